"""The git store's per-collector layout against real git repositories: it round-trips to the
same snapshots, stores only facts that changed, shares what it parsed once, and reads a
workspace stored in the whole-snapshot layout before it (history across the move, the
same drift findings)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import git
import pytest
import yaml

from changekit import gitops
from changekit.drift.inputs import analyze_workspace
from changekit.facts import gitref
from changekit.facts.codec import canonical
from changekit.facts.store import (
    FACTS_REF,
    TRAILER_SCAN,
    SnapshotStore,
    _FactsCache,
    host_filename,
)
from changekit.facts.when import scan_time
from changekit.workspace import Workspace
from tests.drift.fleetdata import snapshot

SCANS = [
    ("20261120T100000Z-aaaa", "2026-11-20T10:00:00+00:00"),
    ("20261121T100000Z-bbbb", "2026-11-21T10:00:00+00:00"),
    ("20261122T100000Z-cccc", "2026-11-22T10:00:00+00:00"),
    ("20261123T100000Z-dddd", "2026-11-23T10:00:00+00:00"),
]
HOSTS = ["web01", "web02", "web03", "web04", ".odd host/1"]


def make_ws(root: Path) -> Workspace:
    repo = git.Repo.init(root)
    repo.git.config("user.name", "Test")
    repo.git.config("user.email", "test@example.org")
    inventory = {
        "version": 1,
        "hosts": {h: {"address": "127.0.0.1"} for h in HOSTS},
        "groups": {"web": {"hosts": HOSTS}},
    }
    (root / "changekit.yaml").write_text("version: 1\n")
    (root / ".gitignore").write_text(".changekit/\n")
    (root / "inventories").mkdir()
    (root / "inventories" / "hosts.yaml").write_text(yaml.safe_dump(inventory))
    repo.git.add("-A")
    repo.git.commit("-qm", "workspace")
    return Workspace(root)


def fleet_scan(n: int) -> list[dict]:
    """Scan ``n`` of HOSTS: web02 runs its own tzdata throughout, web03 upgrades openssl
    in the third scan, web04 gains a Perl module in the last one."""
    sid, at = SCANS[n]
    out = []
    for h in HOSTS:
        extra: dict = {}
        if h == "web02":
            extra["dpkg__tzdata"] = {"version": "2023c-1"}
        if h == "web03" and n >= 2:
            extra["dpkg__openssl"] = {"version": "3.0.15-1~deb12u1"}
        if h == "web04" and n == 3:
            extra["perl__Local::Thing"] = {"version": "1.0"}
        out.append(snapshot(h, sid, at, **extra))
    return out


def legacy_save(ws: Workspace, scan_id: str, snaps: list[dict]) -> None:
    """A scan stored as the store did before the per-collector layout: each host's whole
    snapshot in ``hosts/<host>.json``."""
    repo = git.Repo(ws.root)
    parent = gitref.rev(repo, FACTS_REF)
    writer = gitref.FastImport(repo)
    statuses = {}
    for s in snaps:
        writer.add(f"hosts/{host_filename(s['host'])}", canonical(s))
        statuses[s["host"]] = {"status": "ok"}
    index = {"scan_id": scan_id, "started_at": scan_time(scan_id).isoformat(), "hosts": statuses}
    writer.add(f"scans/{scan_id}.json", canonical(index))
    message = gitops.message(f"facts: scan {scan_id}", {TRAILER_SCAN: scan_id})
    writer.commit(FACTS_REF, parent, message, repo.git.var("GIT_COMMITTER_IDENT").strip())
    writer.finish()


def git_out(ws: Workspace, *args: str) -> str:
    return git.Repo(ws.root).git.execute(["git", *args])


def test_snapshots_round_trip_through_the_per_collector_layout(tmp_path):
    ws = make_ws(tmp_path)
    store = SnapshotStore(ws)
    saved = [fleet_scan(n) for n in range(len(SCANS))]
    for n, snaps in enumerate(saved):
        store.save(SCANS[n][0], copy.deepcopy(snaps))
    store = SnapshotStore(ws)
    assert store.hosts() == sorted(HOSTS)
    for h, want in zip(HOSTS, saved[-1], strict=True):
        assert store.latest(h) == want
        assert list(store.latest(h)) == sorted(want)  # keys in stored (sorted) order
    for n, snaps in enumerate(saved):
        for h, want in zip(HOSTS, snaps, strict=True):
            assert store.get(SCANS[n][0], h) == want
    histories = dict(store.iter_histories(HOSTS))
    assert histories == {h: [saved[n][i] for n in range(len(SCANS))] for i, h in enumerate(HOSTS)}
    # the tree holds what the snapshot file names, browsable by path
    tree = git_out(ws, "ls-tree", "-r", "--name-only", FACTS_REF, "snapshots/web01").split()
    assert tree == [
        *(f"snapshots/web01/facts/{c}.json" for c in sorted(saved[-1][0]["facts"])),
        "snapshots/web01/snapshot.json",
    ]
    assert "%2Eodd%20host%2F1" in git_out(ws, "ls-tree", "--name-only", f"{FACTS_REF}:snapshots")


def test_a_scan_stores_only_the_facts_that_changed(tmp_path):
    ws = make_ws(tmp_path)
    store = SnapshotStore(ws)
    commits = [store.save(SCANS[n][0], fleet_scan(n)) for n in range(len(SCANS))]

    def new_blobs(n: int) -> set[str]:
        listed = git_out(ws, "rev-list", "--objects", commits[n], f"^{commits[n - 1]}")
        return {line.split(" ", 1)[1] for line in listed.splitlines() if " " in line}

    # each scan writes every host's snapshot file, its index, and the facts that changed
    files = {f"snapshots/{p}/snapshot.json" for p in ("web01", "web02", "web03", "web04")}
    files.add("snapshots/%2Eodd%20host%2F1/snapshot.json")
    assert {p for p in new_blobs(1) if "." in p} == files | {f"scans/{SCANS[1][0]}.json"}
    assert {p for p in new_blobs(2) if "facts/" in p} == {"snapshots/web03/facts/dpkg.json"}
    assert {p for p in new_blobs(3) if "facts/" in p} == {"snapshots/web04/facts/perl.json"}
    # hosts with the same facts share one blob
    same = {
        git_out(ws, "rev-parse", f"{FACTS_REF}:snapshots/{h}/facts/dpkg.json") for h in HOSTS[::3]
    }
    assert len(same) == 1


def test_a_collector_that_did_not_run_is_gone_from_the_latest(tmp_path):
    ws = make_ws(tmp_path)
    store = SnapshotStore(ws)
    store.save(SCANS[0][0], fleet_scan(0))
    later = fleet_scan(1)
    for s in later:
        del s["facts"]["perl"]
    store.save(SCANS[1][0], later)
    assert "perl" not in store.latest("web01")["facts"]
    assert "perl.json" not in git_out(ws, "ls-tree", "-r", "--name-only", FACTS_REF)
    assert "perl" in store.get(SCANS[0][0], "web01")["facts"]


def test_identical_facts_are_parsed_once_and_shared(tmp_path):
    ws = make_ws(tmp_path)
    store = SnapshotStore(ws)
    for n in range(len(SCANS)):
        store.save(SCANS[n][0], fleet_scan(n))
    histories = dict(SnapshotStore(ws).iter_histories(HOSTS))
    perl = [s["facts"]["perl"] for snaps in histories.values() for s in snaps[:3]]
    assert all(p is perl[0] for p in perl)  # one object for every host and scan
    web03 = histories["web03"]
    assert web03[0]["facts"]["dpkg"] is web03[1]["facts"]["dpkg"]
    assert web03[1]["facts"]["dpkg"] is not web03[2]["facts"]["dpkg"]  # it upgraded
    # single reads hand out their own objects: a caller may change them
    one, two = SnapshotStore(ws).latest("web01"), SnapshotStore(ws).latest("web04")
    assert one["facts"]["integrity"] is not two["facts"]["integrity"]


def test_the_facts_cache_keeps_within_its_budget():
    cache = _FactsCache(budget=100)
    for i in range(10):
        cache.put(f"b{i}", {"n": i}, 30)
        cache.get("b0")  # used again and again: kept
    assert cache.get("b0") == {"n": 0}
    assert cache.get("b9") == {"n": 9}
    assert cache.get("b1") is None and cache._held <= 100


def test_a_whole_snapshot_workspace_reads_and_moves_host_by_host(tmp_path):
    ws = make_ws(tmp_path)
    saved = [fleet_scan(n) for n in range(len(SCANS))]
    legacy_save(ws, SCANS[0][0], saved[0])
    legacy_save(ws, SCANS[1][0], saved[1])
    store = SnapshotStore(ws)
    assert store.hosts() == sorted(HOSTS)
    assert store.latest("web03") == saved[1][2]
    # the next scan stores every host but web04 (it failed): they move to the new layout
    third = [s for s in saved[2] if s["host"] != "web04"]
    store.save(SCANS[2][0], third, failed={"web04": {"reason": "unreachable"}})
    files = git_out(ws, "ls-tree", "-r", "--name-only", FACTS_REF).split()
    assert [f for f in files if f.startswith("hosts/")] == ["hosts/web04.json"]
    store.save(SCANS[3][0], saved[3])
    store = SnapshotStore(ws)
    assert not [f for f in git_out(ws, "ls-tree", "-r", "--name-only", FACTS_REF).split()
                if f.startswith("hosts/")]  # fmt: skip
    # history runs across the move, and every old snapshot still reads
    for i, h in enumerate(HOSTS):
        scans = [n for n in range(len(SCANS)) if not (h == "web04" and n == 2)]
        assert [e["scan_id"] for e in store.history(h)] == [SCANS[n][0] for n in scans]
        assert [e["scan_id"] for e in store.history(h, max_count=3)] == [
            SCANS[n][0] for n in scans[-3:]
        ]
        for e, n in zip(store.history(h), scans, strict=True):
            assert store.read_at(e["commit"], h) == saved[n][i]
        assert dict(store.iter_histories([h]))[h] == [saved[n][i] for n in scans]


def test_both_layouts_give_the_same_drift_findings(tmp_path):
    def findings(ws: Workspace) -> list:
        result = analyze_workspace(ws, now=datetime(2026, 12, 1, tzinfo=UTC))
        return sorted(json.dumps(f.__dict__, sort_keys=True, default=str) for f in result.findings)

    old = make_ws(tmp_path / "old")
    new = make_ws(tmp_path / "new")
    moved = make_ws(tmp_path / "moved")
    for n in range(len(SCANS)):
        legacy_save(old, SCANS[n][0], fleet_scan(n))
        SnapshotStore(new).save(SCANS[n][0], fleet_scan(n))
        if n < 2:
            legacy_save(moved, SCANS[n][0], fleet_scan(n))
        else:
            SnapshotStore(moved).save(SCANS[n][0], fleet_scan(n))
    want = findings(old)
    assert {json.loads(f)["kind"] for f in want} == {"peers", "time"}
    assert findings(new) == want
    assert findings(moved) == want


@pytest.mark.parametrize("host", ["web01", ".odd host/1"])
def test_a_snapshot_file_naming_a_lost_blob_is_a_clear_error(tmp_path, host):
    from changekit.errors import GitError

    ws = make_ws(tmp_path)
    store = SnapshotStore(ws)
    store.save(SCANS[0][0], fleet_scan(0))
    meta = json.loads(
        git_out(ws, "show", f"{FACTS_REF}:snapshots/{host_filename(host)[:-5]}/snapshot.json")
    )
    meta["fact_blobs"]["dpkg"] = "0" * 40
    writer = gitref.FastImport(git.Repo(ws.root))
    writer.add(f"snapshots/{host_filename(host)[:-5]}/snapshot.json", canonical(meta))
    writer.commit(FACTS_REF, gitref.rev(git.Repo(ws.root), FACTS_REF), "edit\n",
                  git.Repo(ws.root).git.var("GIT_COMMITTER_IDENT").strip())  # fmt: skip
    writer.finish()
    reader = SnapshotStore(ws)
    with pytest.raises(GitError, match="lost object 0000"):
        reader.latest(host)  # dpkg, the first blob it names, is lost: the rest go unread
    # the reader is still in step with git after the error: other hosts read as they were
    assert reader.latest("web02") == fleet_scan(0)[1]
    assert dict(reader.iter_histories(["web03"]))["web03"] == [fleet_scan(0)[2]]
