"""Facts shared through the workspace's remote (a real bare repository): a reviewer's clone
holds no facts however many scans there are; controllers fetch and push the facts ref, and
two that stored scans at once both keep theirs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from changekit.facts.backend import open_store
from changekit.facts.store import FACTS_REF
from changekit.workspace import Workspace
from tests.drift.fleetdata import snapshot
from tests.records.gitrepos import clone, git, make_origin

HOSTS = [f"web{i:02d}" for i in range(8)]


def scan(ws: Path, n: int) -> str:
    sid = f"202611{n + 1:02d}T100000Z-s{n:03d}"
    at = f"2026-11-{n + 1:02d}T10:00:00+00:00"
    store = open_store(Workspace(ws))
    store.fetch()
    store.save(
        sid, [snapshot(h, sid, at, **{"dpkg__tzdata": {"version": f"{n}-1"}}) for h in HOSTS]
    )
    store.push()
    return sid


def clone_size(origin: Path, where: Path) -> tuple[int, set[str]]:
    # --no-local: clone as over the network (a local clone hard-links every object)
    git(where.parent, "clone", "-q", "--no-local", str(origin), str(where))
    refs = set(git(where, "for-each-ref", "--format=%(refname)").split())
    size = sum(p.stat().st_size for p in (where / ".git").rglob("*") if p.is_file())
    return size, refs


def test_a_reviewers_clone_holds_no_facts_however_many_scans(tmp_path):
    origin = make_origin(tmp_path)
    controller = clone(origin, tmp_path / "controller", "Scanner", "scan@example.org")
    scan(controller, 0)
    small, refs = clone_size(origin, tmp_path / "review1")
    for n in range(1, 6):
        scan(controller, n)
    assert git(origin, "rev-list", "--count", FACTS_REF) == "6"  # the facts did go up
    big, refs_after = clone_size(origin, tmp_path / "review2")
    assert not any(r.startswith("refs/changekit") for r in refs | refs_after)
    assert abs(big - small) < 4096, (small, big)  # index/log noise only, no facts
    objects = git(tmp_path / "review2", "cat-file", "--batch-all-objects", "--batch-check")
    facts_blob = git(controller, "rev-parse", f"{FACTS_REF}:snapshots/web00/facts/dpkg.json")
    assert facts_blob not in objects


def test_two_controllers_storing_at_once_keep_both_scans(tmp_path):
    origin = make_origin(tmp_path)
    a = clone(origin, tmp_path / "a", "Site A", "a@example.org")
    b = clone(origin, tmp_path / "b", "Site B", "b@example.org")
    s0 = scan(a, 0)
    s1 = scan(b, 1)  # b fetched s0 first: a plain fast-forward
    # both store without fetching in between: b's push is refused, then replayed on top
    sa = f"20261110T100000Z-late{'a'}"
    sb = f"20261111T100000Z-late{'b'}"
    for ws, sid, at in ((a, sa, "2026-11-10T10:00:00+00:00"), (b, sb, "2026-11-11T10:00:00+00:00")):
        store = open_store(Workspace(ws))
        store.save(sid, [snapshot(h, sid, at) for h in HOSTS])
    open_store(Workspace(a)).push()
    open_store(Workspace(a)).fetch()  # nothing new for a: it is ahead
    open_store(Workspace(b)).push()  # refused, fetched, replayed, pushed
    for ws in (a, b):
        store = open_store(Workspace(ws))
        store.fetch()
        assert [e["scan_id"] for e in store.history("web03")] == [s0, s1, sa, sb]
        assert store.latest("web03")["scan_id"] == sb
    log = git(origin, "log", "--format=%an %s", FACTS_REF)
    assert log.splitlines()[0] == f"Site B facts: scan {sb} (8 stored, 0 failed)"


def test_scan_warns_and_keeps_the_facts_when_the_remote_is_gone(tmp_path):
    origin = make_origin(tmp_path)
    ws = clone(origin, tmp_path / "ws", "Scanner", "scan@example.org")
    scan(ws, 0)
    git(ws, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    done = subprocess.run(
        [sys.executable, "-m", "changekit", "-C", str(ws), "drift", "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "warning: could not fetch facts from origin" in done.stderr
    assert '"hosts"' in done.stdout
