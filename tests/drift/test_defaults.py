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
