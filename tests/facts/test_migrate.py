"""``changekit facts migrate``: a workspace that kept facts in facts/ (the layout before the
facts ref, written here exactly as that store wrote it: indented JSON files committed with
a scan trailer) moves them to refs/changekit/facts with every scan, time and byte kept."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import git as gitpython
import pytest

from changekit.errors import InputError, WorkspaceError
from changekit.facts.backend import open_store
from changekit.facts.migrate import migrate
from changekit.facts.store import FACTS_REF, host_filename
from changekit.workspace import Workspace
from tests.drift.fleetdata import snapshot
from tests.records.gitrepos import git, ok

SCANS = [
    ("20261120T100000Z-aaaa", "2026-11-20T10:00:00+00:00"),
    ("20261121T100000Z-bbbb", "2026-11-21T10:00:00+00:00"),
    ("20261122T100000Z-cccc", "2026-11-22T10:00:00+00:00"),
]
HOSTS = ["web01", "web02", "../odd host\n"]


def legacy_save(root: Path, scan_id: str, snaps: list[dict], failed: dict) -> None:
    """What the store before the facts ref did: files in facts/, one commit per scan."""
    statuses = {s["host"]: {"status": "ok"} for s in snaps}
    statuses.update({h: {"status": "failed", **why} for h, why in failed.items()})
    writes = {root / "facts" / "hosts" / host_filename(s["host"]): s for s in snaps} | {
        root / "facts" / "scans" / f"{scan_id}.json": {
            "scan_id": scan_id,
            "started_at": f"{scan_id[:4]}-{scan_id[4:6]}-{scan_id[6:8]}T10:00:00+00:00",
            "hosts": statuses,
        }
    }
    for path, data in writes.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n")
    rel = [str(p.relative_to(root)) for p in writes]
    git(root, "add", "--", *rel)
    ok_count = len(snaps)
    git(
        root,
        "commit",
        "-q",
        "-m",
        f"facts: scan {scan_id} ({ok_count} stored, {len(failed)} failed)\n\n"
        f"Changekit-Scan: {scan_id}\n",
        "--",
        *rel,
    )


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    ok(tmp_path, "init", str(root))
    for n, (sid, at) in enumerate(SCANS):
        snaps = [
            snapshot(h, sid, at, **({"dpkg__tzdata": {"version": f"2026{n}-1"}} if i == 0 else {}))
            for i, h in enumerate(HOSTS)
            if not (n == 1 and h == "web02")
        ]
        failed = {"web02": {"reason": "unreachable", "message": "refused"}} if n == 1 else {}
        legacy_save(root, sid, snaps, failed)
        (root / "notes.txt").write_text(f"a change record commit after scan {n}\n")
        git(root, "add", "notes.txt")
        git(root, "commit", "-qm", f"records {n}")
    return root


def test_an_unmigrated_workspace_is_told_to_migrate(legacy):
    with pytest.raises(WorkspaceError, match="facts migrate"):
        open_store(Workspace(legacy))


def test_migration_keeps_every_scan_time_and_byte(legacy):
    repo = gitpython.Repo(legacy)
    # what the old layout holds, read straight from git
    old_commits = list(repo.iter_commits("HEAD", paths="facts"))
    before = {
        (c.message, c.authored_date, c.committed_date, c.author.email): {
            e.path: e.data_stream.read() for e in c.tree["facts"].traverse() if e.type == "blob"
        }
        for c in old_commits
    }
    head_tree = {
        e.path: e.data_stream.read()
        for e in repo.head.commit.tree["facts"].traverse()
        if e.type == "blob"
    }

    done = migrate(Workspace(legacy))
    assert (done.commits, done.scans) == (3, 3)

    after = {
        (c.message, c.authored_date, c.committed_date, c.author.email): {
            "facts/" + e.path: e.data_stream.read() for e in c.tree.traverse() if e.type == "blob"
        }
        for c in repo.iter_commits(FACTS_REF)
    }
    assert after == before  # same commits (message, author, times) holding the same bytes
    store = open_store(Workspace(legacy))
    for host in HOSTS:
        key = f"facts/hosts/{host_filename(host)}"
        assert store.latest(host) == json.loads(head_tree[key])
        entries = store.history(host)
        expected = [s for n, (s, _) in enumerate(SCANS) if not (n == 1 and host == "web02")]
        assert [e["scan_id"] for e in entries] == expected
        for e in entries:
            assert store.get(e["scan_id"], host)["scan_id"] == e["scan_id"]
    assert [s["scan_id"] for s in store.scans()] == [s for s, _ in SCANS]
    assert store.failures(["web02"]) == {}  # its last attempt succeeded
    assert store.scans()[1]["hosts"]["web02"]["status"] == "failed"
    # the work tree and the branch no longer carry facts; records' history is untouched
    assert not (legacy / "facts").exists()
    assert "facts" not in [e.name for e in repo.head.commit.tree]
    assert repo.head.commit.message.startswith(f"facts: moved to {FACTS_REF}")
    assert [c.message for c in repo.iter_commits("HEAD~1")][:1] == ["records 2\n"]
    assert not repo.is_dirty(untracked_files=True)
    with pytest.raises(InputError, match="nothing to migrate"):
        migrate(Workspace(legacy))


def test_migrate_command_then_scan_commands_read_the_same(legacy):
    ck = [sys.executable, "-m", "changekit", "-C", str(legacy)]
    done = subprocess.run([*ck, "facts", "migrate"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "moved 3 scan(s)" in done.stderr
    shown = subprocess.run(
        [*ck, "facts", "history", "web01", "--format", "json"], capture_output=True, text=True
    )
    assert [e["scan_id"] for e in json.loads(shown.stdout)] == [s for s, _ in SCANS]
    again = subprocess.run([*ck, "facts", "migrate"], capture_output=True, text=True)
    assert again.returncode != 0 and "nothing to migrate" in again.stderr
    assert "Traceback" not in again.stderr
