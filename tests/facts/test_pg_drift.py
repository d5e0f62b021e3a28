"""``changekit drift`` on PostgreSQL, where the database cuts each unit's history down to what
drift can tell apart (``plugins/factstore/pg_drift.py``), prints byte for byte what it prints
on the git store from the same scans: standards with version constraints, ``same``, globs and
files; peers; time; partial, failed and never-scanned hosts, missing collectors, and item
names with quotes, newlines, non-Latin letters and SQL metacharacters."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from changekit_plugins.factstore import pg_drift

from changekit.drift.inputs import known_collectors, unit_reader, workspace_standards
from changekit.drift.keep import drift_keep
from changekit.drift.standards import load_standards
from changekit.facts.backend import DriftHistoriesStore, DriftKeep, open_store
from changekit.workspace import Workspace
from tests.conftest import runner_home
from tests.facts.contract import stored_workspace
from tests.facts.fleetgen import fleet_scans

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

INJECTION = "'; DROP TABLE ck_facts; --"
QUOTED = '/etc/it\'s "quoted"\nand a newline'
CYRILLIC = "Ünïcödé::Модуль"
PERCENT = "telnet%_x'\\\""

STANDARDS = {
    "hostile.yaml": {
        "name": "hostile",
        "applies_to": ["group:web", "group:canary"],
        "requirements": [
            {"present": "dpkg:openssl", "version": ">= 3.0"},  # alike everywhere, too old
            {"present": "dpkg:lib1", "version": "same"},
            {"present": "dpkg:lib2", "version": ">= 1.1, < 9"},
            {"absent": "dpkg:telnet%_*"},  # matches PERCENT only: LIKE escaping
            {"absent": "dpkg:'; DROP*"},
            {"absent": "perl:[Ü]n*"},  # a class: the collector comes back whole
            {"present": f"perl:{CYRILLIC}", "version": "2.0"},
            {"present": "python:requests", "version": ">= 2.25, < 3"},
            {"file": QUOTED.split("\n")[0], "sha256": "d" * 64},
            {"enabled": "ssh"},
            {"integrity": "dpkg"},
        ],
    },
    "everywhere.yaml": {
        "name": "everywhere",
        "applies_to": ["all"],
        "requirements": [
            {"present": "dpkg:tzdata", "version": "2025b-0+deb12u1"},
            {"absent": "dpkg:gcc*"},
            {"present": "dpkg:lib7"},
        ],
    },
}


def hostile_scans():
    """Seeded scans plus items every host holds alike (which the database leaves out unless a
    standard names them), hostile names that differ, failed and partial hosts and collectors
    that did not run."""
    out = []
    for n, (scan_id, snaps, _failed) in enumerate(
        fleet_scans(seed=29, hosts=12, scans=5, failures=False)
    ):
        snaps = copy.deepcopy(snaps)
        failed = {}
        for s in list(snaps):
            facts, i, host = s["facts"], int(s["host"][1:]), s["host"]
            if (host, n) in (("h006", 2), ("h009", 4)):
                failed[host] = {"reason": "unreachable", "message": "connection refused; 'x'"}
                snaps.remove(s)
                continue
            facts["dpkg"]["openssl"] = {"version": "1.1.1w-0+deb11u1"}
            facts["dpkg"][PERCENT] = {"version": "1"}
            facts["dpkg"]["telnetd"] = {"version": "0.17"}
            if i % 5 == 1:
                facts["dpkg"][INJECTION] = {"version": f"{n}'--"}
            if i == 3 and n >= 2:
                facts["dpkg"]["naïve\\path_%"] = {"version": "1"}
            facts["perl"][CYRILLIC] = {"version": "1.0" if i != 4 else "2.0"}
            facts["files"][QUOTED] = {"sha256": "e" * 64, "mode": "0644"}
            if (host, n) == ("h008", 3):  # partial: perl timed out, its facts carried over
                facts.pop("perl")
                s["errors"] = {"perl": "timed out"}
            if host in ("h001", "h002") and n >= 3:  # a collector that did not run
                facts.pop("python")
            if (host, n) == ("h011", 4):
                facts.pop("perl")
            s["collectors"] = sorted([*facts, *s["errors"]])
        out.append((scan_id, snaps, failed))
    return out


def workspace(tmp_path: Path, name: str, facts: str, scans) -> Path:
    hosts = sorted({s["host"] for _id, snaps, _f in scans for s in snaps})
    inventory = {
        "version": 1,
        "hosts": {**{h: {"address": "192.0.2.1"} for h in hosts}, "never01": {}},
        "groups": {
            "web": {"hosts": hosts[:5]},
            "db": {"hosts": hosts[5:10]},
            "canary": {"hosts": [hosts[0], hosts[7], "never01"]},  # joins web and db
        },  # the last two hosts are in no group: units of their own
    }
    standards = {
        f"standards/{file}": yaml.safe_dump(std, allow_unicode=True)
        for file, std in STANDARDS.items()
    }
    return stored_workspace(tmp_path / name, facts, scans, inventory, standards)


@pytest.fixture(scope="module")
def both(tmp_path_factory, pg_server):
    """(git workspace, PostgreSQL workspace, scans) holding the same scans."""
    tmp = tmp_path_factory.mktemp("pgdrift")
    dsn = pg_server.create_database("pgdrift")
    scans = hostile_scans()
    with runner_home(tmp_path_factory):
        yield (
            workspace(tmp, "git", "", scans),
            workspace(tmp, "pg", f"facts:\n  store: postgres\n  dsn: '{dsn}'\n", scans),
            scans,
        )
    pg_server.drop_database("pgdrift")


@pytest.fixture
def sql_reads(monkeypatch):
    """How many units drift read through the database's cut (the real function, counted)."""
    calls: list[list[str]] = []
    real = pg_drift.drift_histories

    def counted(conn, hosts, max_count, keep):
        calls.append(list(hosts))
        return real(conn, hosts, max_count, keep)

    monkeypatch.setattr(pg_drift, "drift_histories", counted)
    return calls


def run(run_cli, root: Path, *args: str) -> str:
    result = run_cli("-C", str(root), *args)
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("drift", "--format", "json"),
        ("drift", "--format", "json", "--history", "2"),
        ("drift", "--format", "json", "--since", "SCAN1"),
        ("drift", "--format", "json", "group:web", "--no-baseline"),
        ("report", "--format", "json"),
    ],
    ids=["drift", "history-2", "since", "selected", "report"],
)
def test_drift_json_is_byte_identical_on_both_stores(both, run_cli, sql_reads, args):
    on_git, on_pg, scans = both
    args = tuple(scans[1][0] if a == "SCAN1" else a for a in args)
    from_git = run(run_cli, on_git, *args)
    assert not sql_reads
    from_pg = run(run_cli, on_pg, *args)
    assert sql_reads, "drift on PostgreSQL read its units through the database's cut"
    assert same_run(from_pg) == same_run(from_git)


def same_run(text: str) -> str:
    """The output, but for when it was made (a report says so; drift's JSON does not)."""
    return re.sub(r'"generated_at": "[^"]*"', '"generated_at": ""', text, count=1)


def test_the_fleet_gives_every_kind_of_finding(both, run_cli):
    """The scans above are worth comparing: what the byte comparison covers is there."""
    import json

    _on_git, on_pg, _scans = both
    found = json.loads(run(run_cli, on_pg, "drift", "--format", "json"))["findings"]
    rules = {(f["kind"], f["rule"]) for f in found}
    items = {f["item"] for f in found}
    assert {"standard", "peers", "time"} <= {kind for kind, _ in rules}
    assert {
        "present dpkg:openssl",  # every host alike, every one too old
        "absent dpkg:telnet%_*",
        "absent dpkg:'; DROP*",
        "absent perl:[Ü]n*",
    } <= {rule for _, rule in rules}
    assert f"dpkg:{INJECTION}" in items
    assert any("not collected" in f["actual"] for f in found)  # the missing collectors


def test_the_database_leaves_out_what_every_host_holds_alike(both):
    _on_git, on_pg, _scans = both
    ws = Workspace(on_pg)
    store = open_store(ws)
    assert isinstance(store, DriftHistoriesStore)
    hosts = ["h000", "h001", "h002", "h003", "h004", "h007"]
    full = dict(store.iter_histories(hosts, 12))
    cut = dict(store.iter_drift_histories(hosts, 12, DriftKeep()))
    kept = dict(unit_reader(store, 12, workspace_standards(ws))(hosts))
    assert sorted(cut) == sorted(kept) == sorted(full)
    for host in hosts:
        assert len(cut[host]) == len(full[host])
        for whole, small, named in zip(full[host], cut[host], kept[host], strict=True):
            assert {k: v for k, v in small.items() if k != "facts"} == {
                k: v for k, v in whole.items() if k != "facts"
            }
            assert small["facts"].keys() == whole["facts"].keys()
            assert "openssl" not in small["facts"].get("dpkg", {"openssl": None})
            if "dpkg" in whole["facts"]:
                # what standards name comes back, alike or not
                assert named["facts"]["dpkg"]["openssl"] == whole["facts"]["dpkg"]["openssl"]
                assert PERCENT in named["facts"]["dpkg"]
            for collector, data in small["facts"].items():
                if isinstance(data, dict) and isinstance(whole["facts"][collector], dict):
                    assert data.items() <= whole["facts"][collector].items()
    size = sum(len(d) for snaps in cut.values() for s in snaps for d in s["facts"].values())
    whole_size = sum(len(d) for snaps in full.values() for s in snaps for d in s["facts"].values())
    assert size < whole_size / 2
    store.close()


def test_what_standards_name_is_kept(tmp_path):
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(STANDARDS["hostile.yaml"], allow_unicode=True))
    keep = drift_keep(load_standards(tmp_path, known_collectors()))
    assert ("dpkg", "openssl") in keep.items and ("dpkg", "telnetd") not in keep.items
    assert {("dpkg", "telnet%_*"), ("perl", "[Ü]n*")} <= keep.patterns
    assert {"integrity", "services"} <= keep.collectors  # read whole (services wraps items)


@pytest.mark.parametrize(
    "glob, like",
    [
        ("telnet*", "telnet%"),
        ("a?b", "a_b"),
        ("100%_*", "100\\%\\_%"),
        ("back\\slash*", "back\\\\slash%"),
        ("'; DROP*", "'; DROP%"),
        ("[ab]*", None),
    ],
)
def test_globs_become_like_patterns(glob, like):
    assert pg_drift.like_pattern(glob) == like


NUL_STANDARD = {
    "name": "nul",
    "applies_to": ["all"],
    "requirements": [
        {"absent": "dpkg:nul?pkg"},  # ? matches the NUL: Python and SQL must agree
        {"present": "perl:Evil::Mod", "version": ">= 1.0"},
    ],
}


def nul_scans():
    """Scans whose facts hold NUL (a text column and jsonb cannot) and U+FFFF in names,
    values and a partial host's error message: what a host's own bytes can put there."""
    out = []
    for n, (scan_id, snaps, failed) in enumerate(
        fleet_scans(seed=5, hosts=12, scans=3, failures=False)
    ):
        snaps = copy.deepcopy(snaps)
        for s in snaps:
            facts, host = s["facts"], s["host"]
            facts["dpkg"]["nul\x00pkg"] = {"version": "1"}  # every host alike
            facts["files"]["/etc/a\x00b"] = {"error": "not an absolute path; not checked"}
            if host == "h001":
                facts["perl"]["Evil::Mod"] = {"version": f"1.{n}\x00x"}
            if host == "h002":
                facts["dpkg"]["x\uffff0"] = {"version": "\uffff\uffff0"}  # looks escaped
                facts["dpkg"]["x\x00"] = {"version": "2", "note": ["\x00", {"k\x00": None}]}
            if (host, n) == ("h003", 2):
                facts.pop("perl")
                s["errors"] = {"perl": "garbage output: '\x00'"}
            s["collectors"] = sorted([*facts, *s["errors"]])
        out.append((scan_id, snaps, failed))
    return out


def test_nul_bytes_are_stored_and_drift_is_byte_identical(tmp_path, pg_dsn, run_cli):
    """PostgreSQL text and jsonb cannot hold NUL, which a host's bytes can put in a module's
    version (perl asked for a standard's module) or a standard in a files key: the scan is
    stored all the same, reads back as it was, and drift prints what it prints on git."""
    scans = nul_scans()
    on_git = workspace(tmp_path, "git", "", scans)
    on_pg = workspace(tmp_path, "pg", f"facts:\n  store: postgres\n  dsn: '{pg_dsn}'\n", scans)
    for root in (on_git, on_pg):
        (root / "standards" / "nul.yaml").write_text(yaml.safe_dump(NUL_STANDARD))
    git_store, pg = open_store(Workspace(on_git)), open_store(Workspace(on_pg))
    hosts = git_store.hosts()
    for scan_id, _snaps, _failed in scans:
        for host in hosts:
            assert pg.get(scan_id, host) == git_store.get(scan_id, host), (scan_id, host)
    pg.close()
    for args in (("drift", "--format", "json"), ("report", "--format", "json")):
        from_git, from_pg = run(run_cli, on_git, *args), run(run_cli, on_pg, *args)
        assert same_run(from_pg) == same_run(from_git)
    found = run(run_cli, on_pg, "drift", "--format", "json")
    assert "nul\\u0000pkg" in found and "1.2\\u0000x" in found


def test_a_scan_committing_while_drift_reads_is_not_half_seen(
    tmp_path, pg_dsn, run_cli, monkeypatch
):
    """Drift reads a unit at a time; a scan stored between two units' reads must not leave
    one unit judged at the new scan and the rest at the old one: drift prints what it
    printed before the scan, from one snapshot of the database."""
    scans = fleet_scans(seed=7, hosts=12, scans=4, failures=False)
    facts = f"facts:\n  store: postgres\n  dsn: '{pg_dsn}'\n"
    root = workspace(tmp_path, "pg", facts, scans[:3])
    args = ("drift", "--format", "json", "--history", "2")
    before = run(run_cli, root, *args)
    real = pg_drift.drift_histories
    writes: list[str] = []

    def scan_meanwhile(conn, hosts, max_count, keep):
        if not writes:  # once the first unit has been read: another runner stores a scan
            yield from real(conn, hosts, max_count, keep)
            other = open_store(Workspace(root))
            writes.append(other.save(*scans[3]))
            other.close()
            return
        yield from real(conn, hosts, max_count, keep)

    monkeypatch.setattr(pg_drift, "drift_histories", scan_meanwhile)
    during = run(run_cli, root, *args)
    assert writes == [scans[3][0]]
    monkeypatch.undo()
    after = run(run_cli, root, *args)
    assert after != before  # the fourth scan changes what drift says
    assert during == before


def test_a_host_name_with_nul_is_judged_as_on_git(tmp_path, pg_dsn, run_cli):
    """Inventory names are labels and may hold any character; a text column cannot hold NUL.
    Such a host has nothing stored in the database, and drift says so as it does on git, not
    an internal error from the database driver."""
    scans = fleet_scans(seed=3, hosts=12, scans=2, failures=False)
    on_git = workspace(tmp_path, "git", "", scans)
    on_pg = workspace(tmp_path, "pg", f"facts:\n  store: postgres\n  dsn: '{pg_dsn}'\n", scans)
    for root in (on_git, on_pg):
        inv = root / "inventories" / "hosts.yaml"
        inv.write_text(inv.read_text().replace("never01", '"never\\0x"'))
    for args in (("drift", "--format", "json"), ("report", "--format", "json")):
        from_git, from_pg = run(run_cli, on_git, *args), run(run_cli, on_pg, *args)
        assert same_run(from_pg) == same_run(from_git)
    assert "never\\u0000x" in from_pg


def alike_changes_scans():
    """Hosts whose dpkg is alike now, but changed in the window: every host removed one item
    (only closed rows in the database), upgraded another, and one host held a third for one
    scan; the rest never changed. Equal slice digests now must not hide those changes."""
    steady = {f"pkg{k:03d}": {"version": f"1.{k}"} for k in range(300)}
    out = []
    for n, (scan_id, snaps, failed) in enumerate(
        fleet_scans(seed=31, hosts=12, scans=4, failures=False)
    ):
        snaps = copy.deepcopy(snaps)
        for s in snaps:
            dpkg = dict(steady)
            if n < 2:
                dpkg["gone-in-window"] = {"version": "1"}
            dpkg["upgraded"] = {"version": "1" if n < 3 else "2"}
            if (s["host"], n) == ("h002", 1):
                dpkg["transient"] = {"version": "1"}
            s["facts"]["dpkg"] = dpkg
        out.append((scan_id, snaps, failed))
    return out


def test_changes_within_the_window_come_back_though_hosts_are_alike_now(tmp_path, pg_dsn, run_cli):
    import json

    scans = alike_changes_scans()
    on_git = workspace(tmp_path, "git", "", scans)
    on_pg = workspace(tmp_path, "pg", f"facts:\n  store: postgres\n  dsn: '{pg_dsn}'\n", scans)
    args = ("drift", "--format", "json")
    from_pg = run(run_cli, on_pg, *args)
    assert from_pg == run(run_cli, on_git, *args)
    items = {f["item"] for f in json.loads(from_pg)["findings"] if f["kind"] == "time"}
    assert {"dpkg:gone-in-window", "dpkg:upgraded", "dpkg:transient"} <= items
    store = open_store(Workspace(on_pg))
    cut = dict(store.iter_drift_histories(["h000", "h002", "h004"], 12, DriftKeep()))
    store.close()
    for snaps in cut.values():
        assert [("gone-in-window" in s["facts"]["dpkg"]) for s in snaps] == [
            True,
            True,
            False,
            False,
        ]
        assert not any("pkg000" in s["facts"]["dpkg"] for s in snaps)  # never changed
