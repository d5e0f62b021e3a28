"""``changekit drift`` with no standard written (issue 9): pairs, ties, the built-in baseline.

Snapshots go through the real SnapshotStore into a real workspace; drift runs through the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from changekit.facts.store import SnapshotStore
from changekit.workspace import Workspace
from tests.drift.fleetdata import snapshot
from tests.records.gitrepos import ck, git, ok

SCAN, AT = "20261122T100000Z-cccc", "2026-11-22T10:00:00+00:00"
GZIP = {"manager": "dpkg", "flags": "??5??????", "config": False, "missing": False}
APACHE_CONF = {"manager": "dpkg", "flags": "??5??????", "config": True, "missing": False}


def workspace(tmp_path: Path, groups: dict[str, list[str]], planted: dict[str, dict]) -> Path:
    root = tmp_path / "ws"
    ok(tmp_path, "init", str(root))
    hosts = sorted({h for members in groups.values() for h in members})
    inventory = {
        "version": 1,
        "hosts": {h: {"address": "127.0.0.1"} for h in hosts},
        "groups": {g: {"hosts": m} for g, m in groups.items()},
    }
    (root / "inventories" / "hosts.yaml").write_text(yaml.safe_dump(inventory))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "inventory")
    snaps = [snapshot(h, SCAN, AT, **planted.get(h, {})) for h in hosts]
    SnapshotStore(Workspace(root)).save(SCAN, snaps)
    return root


def findings(ws: Path, *args: str) -> list[dict]:
    return json.loads(ok(ws, "drift", "--format", "json", *args).stdout)["findings"]


def test_a_pair_on_different_versions_is_one_split_naming_both(tmp_path):
    ws = workspace(
        tmp_path,
        {"db": ["db1", "db2"]},
        {
            "db1": {"dpkg__libssl3": {"version": "3.0.11-1"}},
            "db2": {"dpkg__libssl3": {"version": "3.0.13-1"}},
        },
    )
    [f] = findings(ws)
    assert (f["rule"], f["host"], f["hosts"], f["item"]) == (
        "split",
        "db1",
        ["db1", "db2"],
        "dpkg:libssl3",
    )
    assert f["message"].startswith("db1 runs libssl3 3.0.11-1, db2 runs 3.0.13-1 (the pair db")
    assert ck(ws, "drift", "--fail-on", "low").exit_code == 1
    assert ck(ws, "drift", "--fail-on", "medium").exit_code == 0
    # a selector naming one side still shows the split, and the report counts both hosts
    assert [g["id"] for g in findings(ws, "db2")] == [f["id"]]
    report = json.loads(ok(ws, "report", "--format", "json").stdout)
    assert report["summary"]["conformance"] == 0.0
    assert {r["host"] for r in report["matrix"] if "dpkg:libssl3" in r["cells"]} == {"db1", "db2"}


def test_a_tie_at_majority_one_half_picks_no_side(tmp_path):
    web = ["web1", "web2", "web3", "web4"]
    old = {"dpkg__tzdata": {"version": "2024a-1"}}
    ws = workspace(tmp_path, {"web": web}, {"web3": old, "web4": old})
    assert findings(ws) == []  # 2 of 4 is no majority at the default 75 %
    [f] = findings(ws, "--majority", "0.5")
    assert f["rule"] == "split" and f["hosts"] == web
    assert "version-outlier" not in {g["rule"] for g in findings(ws, "--majority", "0.5")}
    assert "(group web is split 2 vs 2; no side is taken as right)" in f["message"]


def test_a_modified_package_binary_is_flagged_with_no_standard(tmp_path):
    ws = workspace(
        tmp_path,
        {"app": ["app1", "app2", "app3"]},
        {"app1": {"integrity": {"/bin/gunzip": {**GZIP, "package": "gzip"}}}},
    )
    [f] = findings(ws)
    assert (f["kind"], f["scope"], f["host"], f["item"]) == (
        "standard",
        "changekit-baseline",
        "app1",
        "integrity:any",
    )
    assert f["message"] == "/bin/gunzip differs from the gzip package's checksum on app1"
    assert f["severity"] == "high" and f["evidence"]["files"] == ["/bin/gunzip"]
    assert ck(ws, "drift", "--fail-on", "high").exit_code == 1
    assert findings(ws, "--no-baseline", "--kind", "standard") == []
    # without the package name (an older scan) the sentence still reads
    ws2 = workspace(
        tmp_path / "old", {"app": ["app1", "app2"]}, {"app2": {"integrity": {"/bin/gunzip": GZIP}}}
    )
    [g] = findings(ws2, "--kind", "standard")
    assert g["message"] == "/bin/gunzip differs from its dpkg package's checksum on app2"


def test_a_standard_named_changekit_baseline_replaces_the_builtin(tmp_path):
    ws = workspace(
        tmp_path, {"app": ["app1", "app2", "app3"]}, {"app1": {"integrity": {"/bin/gunzip": GZIP}}}
    )
    (ws / "standards" / "baseline.yaml").write_text(
        "name: changekit-baseline\napplies_to: [all]\nrequirements:\n  - absent: dpkg:gcc\n"
    )
    assert [f["rule"] for f in findings(ws, "--kind", "standard")] == []


def test_a_modified_conffile_on_one_of_three_peers_is_a_peer_finding(tmp_path):
    conf = {"integrity": {"/etc/apache2/apache2.conf": APACHE_CONF}}
    ws = workspace(tmp_path, {"web": ["web1", "web2", "web3"]}, {"web2": conf})
    [f] = findings(ws)
    assert (f["kind"], f["host"], f["item"], f["rule"]) == (
        "peers",
        "web2",
        "integrity:/etc/apache2/apache2.conf",
        "only-on-few-hosts",
    )
    # a pair: pristine on one, edited on the other is a split, not a baseline finding
    ws2 = workspace(tmp_path / "pair", {"web": ["web1", "web2"]}, {"web2": conf})
    [g] = findings(ws2)
    assert g["rule"] == "split" and g["message"].startswith(
        "/etc/apache2/apache2.conf differs from its package on web2, matches it on web1"
    )


def test_a_system_wide_preload_is_flagged_on_any_host(tmp_path):
    preload = {
        "ld_so_preload_exists": True,
        "ld_so_preload": ["/usr/lib/x86_64-linux-gnu/libprocesshider.so"],
        "environment": [],
    }
    ws = workspace(tmp_path, {"app": ["app1"]}, {"app1": {"preload": preload}})
    [f] = findings(ws)
    assert (f["scope"], f["host"], f["severity"]) == ("changekit-baseline", "app1", "critical")
    assert f["message"] == (
        "app1 preloads /usr/lib/x86_64-linux-gnu/libprocesshider.so into every program"
        " (set in /etc/ld.so.preload)"
    )


# -- one root cause, one finding; edited conffiles told apart by their hashes --

PDF_MISSING = {"dpkg__libpdf-api2-perl": None, "perl__PDF_COLON_API2": None}


def test_a_missing_package_and_the_module_it_ships_are_one_finding(tmp_path):
    web = ["web1", "web2", "web3", "web4"]
    ws = workspace(tmp_path, {"web": web}, {"web4": PDF_MISSING})
    [f] = findings(ws)
    assert (f["host"], f["item"], f["rule"]) == (
        "web4",
        "dpkg:libpdf-api2-perl",
        "missing-vs-peers",
    )
    [part] = f["evidence"]["parts"]
    assert (part["item"], part["rule"], part["actual"]) == (
        "perl:PDF::API2",
        "missing-vs-peers",
        "missing",
    )
    assert f["message"] == (
        "libpdf-api2-perl 2.044-1 is on 3 of 4 hosts of group web; missing on web4"
        " (the same cause: the Perl module PDF::API2)"
    )
    # the module alone (its package still installed) stays a finding of its own
    ws2 = workspace(tmp_path / "mod", {"web": web}, {"web4": {"perl__PDF_COLON_API2": None}})
    assert [g["item"] for g in findings(ws2)] == ["perl:PDF::API2"]


def test_an_edited_file_that_fails_verification_is_one_finding(tmp_path):
    web = ["web1", "web2", "web3", "web4"]
    edited = {
        "files__/etc/apache2/apache2.conf": {"sha256": "b" * 64},
        "integrity": {"/etc/apache2/apache2.conf": {**APACHE_CONF, "sha256": "b" * 64}},
    }
    ws = workspace(tmp_path, {"web": web}, {"web2": edited})
    [f] = findings(ws)
    assert (f["host"], f["item"], f["rule"]) == (
        "web2",
        "files:/etc/apache2/apache2.conf",
        "version-outlier",
    )
    assert [p["item"] for p in f["evidence"]["parts"]] == ["integrity:/etc/apache2/apache2.conf"]
    assert f["message"].endswith("; its package's verification flags it too")


def test_a_package_at_another_version_takes_its_verification_rows(tmp_path):
    web = ["web1", "web2", "web3", "web4"]
    row = {**APACHE_CONF, "package": "apache2", "sha256": "c" * 64}
    other = {
        "dpkg__apache2": {"version": "2.4.57-2"},
        "integrity": {"/etc/apache2/ports.conf": row},
    }
    ws = workspace(tmp_path, {"web": web}, {"web3": other})
    [f] = findings(ws)
    assert (f["host"], f["item"], f["rule"]) == ("web3", "dpkg:apache2", "version-outlier")
    assert f["message"].startswith("web3 runs apache2 2.4.57-2; 3 of the 4 hosts of group web run")
    assert f["evidence"]["parts"][0]["item"] == "integrity:/etc/apache2/ports.conf"


def test_two_different_edits_of_a_conffile_are_told_apart(tmp_path):
    def edit(digest: str) -> dict:
        return {"integrity": {"/etc/apache2/apache2.conf": {**APACHE_CONF, "sha256": digest}}}

    pair = workspace(
        tmp_path, {"db": ["db1", "db2"]}, {"db1": edit("a" * 64), "db2": edit("b" * 64)}
    )
    [f] = findings(pair)
    assert f["rule"] == "split" and f["hosts"] == ["db1", "db2"]
    assert "sha256 aaaaaaaaaaaa" in f["actual"] and "sha256 bbbbbbbbbbbb" in f["actual"]
    trio = workspace(
        tmp_path / "trio",
        {"web": ["web1", "web2", "web3"]},
        {"web1": edit("a" * 64), "web2": edit("a" * 64), "web3": edit("b" * 64)},
    )
    [g] = findings(trio)
    assert (g["host"], g["rule"]) == ("web3", "version-outlier")
    assert g["message"] == (
        "/etc/apache2/apache2.conf on web3 was changed from its package differently"
        " (sha256 bbbbbbbbbbbb…) than on 2 of the 3 hosts of group web (sha256 aaaaaaaaaaaa…)"
    )


def test_a_peer_finding_a_baseline_finding_names_is_part_of_it(tmp_path):
    preload = {
        "ld_so_preload_exists": True,
        "ld_so_preload": ["/usr/lib/libhide.so"],
        "environment": [],
    }
    ws = workspace(tmp_path, {"app": ["app1", "app2", "app3"]}, {"app2": {"preload": preload}})
    [f] = findings(ws)  # the baseline's critical finding, not a second low peer one
    assert (f["kind"], f["item"], f["severity"]) == ("standard", "preload:*", "critical")
    assert f["message"] == (
        "app2 preloads /usr/lib/libhide.so into every program (set in /etc/ld.so.preload);"
        " no other host of group app preloads it"
    )
    assert [(p["item"], p["rule"]) for p in f["evidence"]["parts"]] == [
        ("preload:/usr/lib/libhide.so", "only-on-few-hosts")
    ]
    # without the baseline the peer finding stands on its own
    [g] = findings(ws, "--no-baseline")
    assert (g["kind"], g["item"]) == ("peers", "preload:/usr/lib/libhide.so")
    assert g["message"] == (
        "app2 preloads /usr/lib/libhide.so into every program (set in /etc/ld.so.preload);"
        " the other 2 hosts of group app do not"
    )


def test_proposing_a_folded_part_proposes_its_root_cause(tmp_path):
    ws = workspace(tmp_path, {"web": ["web1", "web2", "web3", "web4"]}, {"web4": PDF_MISSING})
    [f] = findings(ws)
    part = f["evidence"]["parts"][0]["id"]
    result = ok(ws, "drift", "--propose", part)
    assert "on web4: apt-get install -y --no-install-recommends libpdf-api2-perl" in result.stdout
