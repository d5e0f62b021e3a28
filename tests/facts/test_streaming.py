"""The git facts store streams: a save of more paths than fit in argv, one ``git log`` per
read of the fleet's history (counted at the real git binary), and drift holding one unit's
snapshots at a time (counted at the store's reader). Real git repositories throughout."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import git as gitpython
import pytest
import yaml

from changekit.drift.inputs import analyze_workspace
from changekit.facts import store as store_module
from changekit.facts.backend import FactsStore, open_store
from changekit.facts.store import SnapshotStore
from changekit.workspace import Workspace
from tests.drift.fleetdata import snapshot
from tests.records.gitrepos import git, ok

SCANS = [
    ("20261120T100000Z-aaaa", "2026-11-20T10:00:00+00:00"),
    ("20261121T100000Z-bbbb", "2026-11-21T10:00:00+00:00"),
    ("20261122T100000Z-cccc", "2026-11-22T10:00:00+00:00"),
]


def fleet_workspace(root: Path, groups: int, per_group: int) -> dict[str, list[str]]:
    ok(root.parent, "init", str(root))
    members = {f"g{g}": [f"g{g}-web{i:02d}" for i in range(per_group)] for g in range(groups)}
    inventory = {
        "version": 1,
        "hosts": {h: {"address": "127.0.0.1"} for m in members.values() for h in m},
        "groups": {g: {"hosts": m} for g, m in members.items()},
    }
    (root / "inventories" / "hosts.yaml").write_text(yaml.safe_dump(inventory))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "inventory")
    store = SnapshotStore(Workspace(root))
    for n, (sid, at) in enumerate(SCANS):
        snaps = []
        for m in members.values():
            for i, h in enumerate(m):
                odd = {"dpkg__tzdata": {"version": "2024a-1"}} if n == 2 and i == 0 else {}
                snaps.append(snapshot(h, sid, at, **odd))
        store.save(sid, snaps)
    return members


def counting_git(tmp_path: Path) -> tuple[Path, Path]:
    """A ``git`` first on PATH that logs each invocation's arguments, then runs the real one."""
    real = subprocess.run(["which", "git"], capture_output=True, text=True, check=True).stdout
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    calls = tmp_path / "git-calls.log"
    wrapper = bindir / "git"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{calls}"\nexec "{real.strip()}" "$@"\n')
    wrapper.chmod(0o755)
    return bindir, calls


def run_counted(tmp_path: Path, ws: Path, *args: str) -> list[str]:
    bindir, calls = counting_git(tmp_path)
    calls.unlink(missing_ok=True)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}
    env.pop("GIT_PYTHON_GIT_EXECUTABLE", None)
    done = subprocess.run(
        [sys.executable, "-m", "changekit", "-C", str(ws), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr
    return calls.read_text().splitlines() if calls.exists() else []


def test_the_git_store_keeps_the_contract():
    assert isinstance(SnapshotStore(Workspace(Path("."))), FactsStore)


def test_drift_reads_the_fleets_history_with_one_git_log_however_many_hosts(tmp_path):
    small, big = tmp_path / "small", tmp_path / "big"
    fleet_workspace(small, groups=2, per_group=3)
    fleet_workspace(big, groups=4, per_group=6)
    counts = {}
    for name, ws in (("small", small), ("big", big)):
        calls = run_counted(tmp_path, ws, "drift", "--format", "json")
        facts_logs = [c for c in calls if " log " in c and "Changekit-Scan" in c]
        assert len(facts_logs) == 1, calls
        assert sum(" cat-file " in f" {c} " for c in calls) <= 2  # persistent readers
        counts[name] = len(calls)
    # no git command per host or per snapshot: 24 hosts cost what 6 do
    assert counts["big"] == counts["small"]


@pytest.mark.parametrize(
    "args",
    [
        ("facts", "history", "g0-web00", "--format", "json"),
        ("facts", "diff", "g0-web00", "--since", SCANS[0][0], "--format", "json"),
    ],
)
def test_facts_history_and_diff_are_one_git_log(tmp_path, args):
    ws = tmp_path / "ws"
    fleet_workspace(ws, groups=1, per_group=3)
    calls = run_counted(tmp_path, ws, *args)
    assert sum(1 for c in calls if " log " in c and "Changekit-Scan" in c) == 1, calls


def test_history_reads_stop_at_max_count(tmp_path):
    ws = tmp_path / "ws"
    fleet_workspace(ws, groups=1, per_group=3)
    store = open_store(Workspace(ws))
    assert [e["scan_id"] for e in store.history("g0-web01", max_count=2)] == [
        SCANS[1][0],
        SCANS[2][0],
    ]
    found = store.histories(["g0-web00", "g0-web02", "nobody"], max_count=1)
    assert {h: [e["scan_id"] for e in es] for h, es in found.items()} == {
        "g0-web00": [SCANS[2][0]],
        "g0-web02": [SCANS[2][0]],
    }
    assert [e["scan_id"] for e in store.history("g0-web01")] == [s for s, _ in SCANS]


class Tracked(dict):
    """A snapshot that counts how many of its kind are alive (freed by refcount at once)."""

    live = 0
    peak = 0

    def __init__(self, data):
        super().__init__(data)
        Tracked.live += 1
        Tracked.peak = max(Tracked.peak, Tracked.live)

    def __del__(self):
        Tracked.live -= 1


def test_drift_holds_one_units_snapshots_at_a_time(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    groups, per_group = 5, 4
    fleet_workspace(ws, groups=groups, per_group=per_group)
    real = store_module.decode
    monkeypatch.setattr(store_module, "decode", lambda raw: Tracked(real(raw)))
    Tracked.live = Tracked.peak = 0
    result = analyze_workspace(Workspace(ws), now=datetime(2026, 12, 1, tzinfo=UTC))
    assert len(result.hosts) == groups * per_group
    # each group has one host that changed tzdata in the last scan: found in every group
    assert len({f.host for f in result.findings if f.kind == "time"}) == groups
    one_unit = per_group * len(SCANS)
    assert 0 < Tracked.peak <= one_unit, (Tracked.peak, one_unit)
    assert Tracked.live == 0  # nothing kept once the analysis is done


def test_a_save_with_more_paths_than_fit_on_a_command_line(tmp_path):
    repo = gitpython.Repo.init(tmp_path)
    (tmp_path / "changekit.yaml").write_text("version: 1\n")
    repo.git.add("changekit.yaml")
    repo.git.commit("-qm", "ws")
    store = SnapshotStore(Workspace(tmp_path))
    sid = SCANS[0][0]
    hosts = [f"host-{i:05d}.a-long-datacentre-name.example.org" for i in range(50_000)]
    paths = sum(len(f"hosts/{h}.json") + 1 for h in hosts)
    assert paths > os.sysconf("SC_ARG_MAX")  # `git add PATH...` would fail with E2BIG
    tiny = {"os": {"id": "debian"}}
    commit = store.save(
        sid,
        (
            {
                "schema_version": 1,
                "scan_id": sid,
                "host": h,
                "collected_at": SCANS[0][1],
                "facts": tiny,
                "errors": {},
            }
            for h in hosts
        ),
    )
    assert commit and len(store.hosts()) == len(hosts)
    assert store.latest(hosts[-1])["host"] == hosts[-1]
    assert store.scans()[0]["hosts"][hosts[12345]] == {"status": "ok"}


@pytest.mark.parametrize("history", [1, 3])
def test_drift_over_units_finds_what_the_whole_fleet_analysis_finds(tmp_path, history):
    """The streaming driver against ``engine.analyze`` over the fleet at once (the old way)."""
    from changekit.drift import remediation
    from changekit.drift.baseline import with_baseline
    from changekit.drift.engine import analyze, states_from_histories
    from changekit.drift.inputs import (
        record_spans,
        workspace_inventory,
        workspace_standards,
        workspace_waivers,
    )

    ws = tmp_path / "ws"
    fleet_workspace(ws, groups=3, per_group=3)
    space = Workspace(ws)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    streamed = analyze_workspace(space, now=now, history=history)
    store = open_store(space)
    inventory = workspace_inventory(space)
    whole = analyze(
        inventory,
        states_from_histories(dict(store.iter_histories(store.hosts(), history))),
        standards=with_baseline(workspace_standards(space), True),
        waivers=workspace_waivers(space),
        records=record_spans(space, inventory),
        now=now,
        history=history,
        package_of=remediation.package_for,
    )
    assert sorted(f.id for f in streamed.findings) == sorted(f.id for f in whole.findings)
    assert streamed.hosts == whole.hosts
    assert [
        (t["scan_id"], t["at"], t["overall"], t["groups"], t["hosts"]) for t in streamed.trend
    ] == [(t["scan_id"], t["at"], t["overall"], t["groups"], t["hosts"]) for t in whole.trend]
    assert streamed.state.scan_id == whole.state.scan_id
