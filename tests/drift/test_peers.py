from __future__ import annotations

from changekit.drift.peers import PeerThresholds, compare_peers
from tests.drift.fleetdata import snapshot

T = "2026-11-20T10:00:00+00:00"
S = "20261120T100000Z-abcd"


def web(**planted):
    snaps = {f"web{i:02d}": snapshot(f"web{i:02d}", S, T) for i in range(1, 13)}
    for host, changes in planted.items():
        snaps[host] = snapshot(host, S, T, **changes)
    return snaps


def test_identical_hosts_have_no_findings():
    assert compare_peers("web", web()) == []


def test_missing_module_names_the_majority_and_the_host():
    found = compare_peers(
        "web", web(web07={"perl__PDF_COLON_API2": None, "dpkg__libpdf_api2_perl": None})
    )
    assert {(f.host, f.item, f.rule) for f in found} == {
        ("web07", "perl:PDF::API2", "missing-vs-peers"),
        ("web07", "dpkg:libpdf-api2-perl", "missing-vs-peers"),
    }
    perl = next(f for f in found if f.item == "perl:PDF::API2")
    assert perl.message == "PDF::API2 2.044 is on 11 of 12 hosts of group web; missing on web07"
    assert perl.actual == "missing" and perl.severity == "medium"


def test_version_outlier_and_changed_file():
    found = compare_peers(
        "web",
        web(
            web02={"dpkg__tzdata": {"version": "2024a-0+deb12u1"}},
            web03={"files": {"/etc/apache2/apache2.conf": {"sha256": "b" * 64}}},
        ),
    )
    got = {(f.host, f.item, f.rule, f.actual) for f in found}
    assert got == {
        ("web02", "dpkg:tzdata", "version-outlier", "2024a-0+deb12u1"),
        ("web03", "files:/etc/apache2/apache2.conf", "version-outlier", "b" * 64),
    }
    conf = next(f for f in found if f.host == "web03")
    assert conf.evidence["hash"] == "b" * 64


def test_item_only_one_host_has():
    found = compare_peers(
        "web",
        web(
            web05={"integrity": {"/usr/share/perl5/PDF/API2.pm": {"manager": "dpkg"}}},
            web09={"dpkg__gcc": {"version": "4:12.2.0-3"}},
        ),
    )
    assert {(f.host, f.item, f.rule) for f in found} == {
        ("web05", "integrity:/usr/share/perl5/PDF/API2.pm", "only-on-few-hosts"),
        ("web09", "dpkg:gcc", "only-on-few-hosts"),
    }


def test_thresholds_are_configurable():
    snaps = web(
        web07={"perl__PDF_COLON_API2": None},
        web08={"perl__PDF_COLON_API2": None},
        web09={"perl__PDF_COLON_API2": None},
        web10={"perl__PDF_COLON_API2": None},
    )
    assert compare_peers("web", snaps) == []  # 8 of 12 is below the default 75 %
    found = compare_peers("web", snaps, PeerThresholds(majority=0.6))
    assert sorted(f.host for f in found) == ["web07", "web08", "web09", "web10"]


def test_a_single_host_and_groups_below_min_group_are_not_compared():
    snaps = {"a": snapshot("a", S, T), "b": snapshot("b", S, T, dpkg__gcc={"version": "1"})}
    assert compare_peers("one", {"a": snaps["a"]}) == []
    assert compare_peers("pair", snaps, PeerThresholds(min_group_size=3)) == []


def test_a_pair_that_disagrees_is_one_split_naming_both_sides():
    snaps = {
        "db1": snapshot("db1", S, T, dpkg__libssl3={"version": "3.0.11-1"}),
        "db2": snapshot("db2", S, T, dpkg__libssl3={"version": "3.0.13-1"}),
    }
    [f] = compare_peers("db", snaps)
    assert (f.rule, f.host, f.hosts, f.item) == ("split", "db1", ["db1", "db2"], "dpkg:libssl3")
    assert f.message == (
        "db1 runs libssl3 3.0.11-1, db2 runs 3.0.13-1 "
        "(the pair db disagrees; neither side is taken as right)"
    )
    assert f.actual == "3.0.11-1 on db1; 3.0.13-1 on db2" and f.severity == "low"
    assert f.evidence["sides"] == [
        {"value": "3.0.11-1", "hosts": ["db1"]},
        {"value": "3.0.13-1", "hosts": ["db2"]},
    ]
    # the id names the group and the item, not a side: a re-scan keeps it
    snaps["db1"] = snapshot("db1", S, T, dpkg__libssl3={"version": "3.0.14-1"})
    assert compare_peers("db", snaps)[0].id == f.id


def test_a_package_on_one_host_of_a_pair_is_a_split_over_presence():
    snaps = {"a": snapshot("a", S, T), "b": snapshot("b", S, T, dpkg__gcc={"version": "1"})}
    [f] = compare_peers("pair", snaps)
    assert f.rule == "split" and f.hosts == ["a", "b"] and f.severity == "medium"
    assert f.message.startswith("b runs gcc 1, a does not have it (the pair pair disagrees")


def test_a_tie_at_the_majority_threshold_picks_no_side():
    snaps = {h: snapshot(h, S, T) for h in ("w1", "w2", "w3", "w4")}
    for h in ("w3", "w4"):
        snaps[h] = snapshot(h, S, T, dpkg__tzdata={"version": "2024a-1"})
    assert compare_peers("w", snaps) == []  # 2 of 4 is below 75 %: no norm, nothing to say
    [f] = compare_peers("w", snaps, PeerThresholds(majority=0.5))
    assert f.rule == "split" and f.hosts == ["w1", "w2", "w3", "w4"]
    assert "(group w is split 2 vs 2; no side is taken as right)" in f.message


def test_two_of_three_is_no_majority():
    snaps = {h: snapshot(h, S, T) for h in ("app01", "app02", "app03")}
    for h in ("app01", "app02"):
        snaps[h] = snapshot(h, S, T, dpkg__python3_yaml={"version": "6.0-3+b2"})
    assert compare_peers("app", snaps) == []


def test_finding_ids_are_stable_and_ignore_versions():
    a = compare_peers("web", web(web02={"dpkg__tzdata": {"version": "2024a-0+deb12u1"}}))
    b = compare_peers("web", web(web02={"dpkg__tzdata": {"version": "2023c-5"}}))
    assert [f.id for f in a] == [f.id for f in b]
    assert a[0].id.startswith("F-") and len(a[0].id) == 14


def test_one_version_outlier_in_a_group_of_three():
    snaps = {h: snapshot(h, S, T) for h in ("db01", "db02", "db03")}
    snaps["db02"] = snapshot("db02", S, T, dpkg__tzdata={"version": "2024a-0+deb12u1"})
    [f] = compare_peers("db", snaps)
    assert (f.host, f.rule, f.expected) == (
        "db02",
        "version-outlier",
        "2025b-0+deb12u1 (on 2 of 3)",
    )


def test_an_item_one_of_three_hosts_has():
    snaps = {h: snapshot(h, S, T) for h in ("app01", "app02", "app03")}
    snaps["app02"] = snapshot(
        "app02", S, T, preload={"ld_so_preload": ["/usr/lib/libpthread.so.0"]}
    )
    [f] = compare_peers("app", snaps)
    assert (f.host, f.item, f.rule) == (
        "app02",
        "preload:/usr/lib/libpthread.so.0",
        "only-on-few-hosts",
    )


def test_missing_perl_submodules_fold_into_their_distribution():
    subs = {
        "perl__PDF_COLON_API2_COLON_Page": {"version": "2.044"},
        "perl__PDF_COLON_API2_COLON_Resource_COLON_Font": {"version": "2.044"},
    }
    snaps = {h: snapshot(h, S, T, **subs) for h in (f"web{i:02d}" for i in range(1, 6))}
    snaps["web04"] = snapshot("web04", S, T, perl__PDF_COLON_API2=None)
    [f] = compare_peers("web", snaps)
    assert f.item == "perl:PDF::API2"
    assert f.message.endswith("(and 2 more modules under PDF::API2::)")
