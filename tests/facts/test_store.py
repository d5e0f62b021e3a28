"""The snapshot store against a real git workspace: history, WHEN lookups, failed and partial hosts."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import git
import pytest

from changekit.errors import GitError, NotFoundError
from changekit.facts import gitref
from changekit.facts.store import FACTS_REF, SnapshotStore, host_filename
from changekit.workspace import Workspace
from changekit.yamlfile import validate


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    repo = git.Repo.init(tmp_path)
    (tmp_path / "changekit.yaml").write_text("version: 1\n")
    (tmp_path / ".gitignore").write_text(".changekit/\n")
    repo.git.add("changekit.yaml", ".gitignore")
    repo.git.commit("-m", "workspace")
    return Workspace(tmp_path)


def snap(scan_id: str, host: str, facts: dict, errors: dict | None = None) -> dict:
    t = datetime.strptime(scan_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return {
        "schema_version": 1,
        "scan_id": scan_id,
        "host": host,
        "address": "127.0.0.1",
        "collected_at": t.isoformat(),
        "collectors": sorted(facts) + sorted(errors or {}),
        "facts": facts,
        "errors": errors or {},
    }


S1, S2, S3 = "20261101T020000Z-aaaa01", "20261102T020000Z-bbbb02", "20261103T020000Z-cccc03"
PKG1 = {
    "dpkg": {"tzdata": {"version": "2024a-0+deb12u1"}},
    "perl": {"PDF::API2": {"version": "2.044"}},
}
PKG2 = {
    "dpkg": {"tzdata": {"version": "2025b-0+deb12u1"}},
    "perl": {"PDF::API2": {"version": "2.044"}},
}


def test_one_commit_per_scan_and_history(ws):
    store = SnapshotStore(ws)
    store.save(S1, [snap(S1, "web01", PKG1), snap(S1, "web02", PKG1)])
    store.save(
        S2,
        [snap(S2, "web01", PKG2)],
        failed={"web02": {"reason": "unreachable", "message": "refused"}},
    )
    repo = git.Repo(ws.root)
    assert [c.message.splitlines()[0] for c in repo.iter_commits(FACTS_REF)] == [
        f"facts: scan {S2} (1 stored, 1 failed)",
        f"facts: scan {S1} (2 stored, 0 failed)",
    ]
    assert [e["scan_id"] for e in store.history("web01")] == [S1, S2]
    # the failed host keeps its last good snapshot
    assert store.latest("web02")["scan_id"] == S1
    assert [e["scan_id"] for e in store.history("web02")] == [S1]
    assert store.scans()[1]["hosts"]["web02"] == {
        "status": "failed",
        "reason": "unreachable",
        "message": "refused",
    }
    # facts live on their own ref: the branch, its work tree and its index are untouched
    assert [c.message for c in repo.iter_commits()] == ["workspace\n"]
    assert not repo.is_dirty(untracked_files=True)
    assert not (ws.root / "facts").exists()


def test_stored_snapshots_are_canonical_and_valid(ws):
    store = SnapshotStore(ws)
    store.save(S1, [snap(S1, "web01", {**PKG1, "os": {"name": "Debian \u00e9"}})])
    repo = git.Repo(ws.root)
    meta = repo.git.show(f"{FACTS_REF}:snapshots/web01/snapshot.json") + "\n"
    files = {
        c: repo.git.show(f"{FACTS_REF}:snapshots/web01/facts/{c}.json") + "\n"
        for c in ("dpkg", "perl", "os")
    }
    # sorted keys, one item per line, UTF-8 as is: the same facts give the same bytes
    for text in (meta, *files.values()):
        assert (
            text
            == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        )
    # the snapshot file names each collector's blob; put together it is the snapshot
    blobs = json.loads(meta)["fact_blobs"]
    assert blobs == {
        c: repo.git.rev_parse(f"{FACTS_REF}:snapshots/web01/facts/{c}.json") for c in files
    }
    validate(store.latest("web01"), "snapshot")
    assert store.latest("web01")["facts"]["os"] == {"name": "Debian \u00e9"}


def test_at_accepts_scan_ids_dates_and_times(ws):
    store = SnapshotStore(ws)
    for s, pkgs in ((S1, PKG1), (S2, PKG2)):
        store.save(s, [snap(s, "web01", pkgs)])
    assert store.at("web01", S1)["facts"] == PKG1
    assert store.at("web01", "2026-11-01T12:00:00+00:00")["scan_id"] == S1
    assert store.at("web01", "2026-11-02T02:00:00Z")["scan_id"] == S2
    assert store.at("web01", "2026-11-05")["scan_id"] == S2
    assert store.at("web01", datetime(2026, 11, 1, 3, tzinfo=UTC))["scan_id"] == S1
    with pytest.raises(NotFoundError, match="at or before"):
        store.at("web01", "2026-10-01")
    with pytest.raises(NotFoundError, match="no scan"):
        store.get("20200101T000000Z-zzzz", "web01")


def test_get_explains_a_host_that_failed_in_that_scan(ws):
    store = SnapshotStore(ws)
    store.save(S1, [snap(S1, "web01", PKG1)])
    store.save(S2, [], failed={"web01": {"reason": "timeout", "message": "hung"}})
    with pytest.raises(NotFoundError, match=r"failed in scan .* \(timeout\)"):
        store.get(S2, "web01")


def test_partial_snapshot_carries_the_failed_collectors_facts_over(ws):
    store = SnapshotStore(ws)
    store.save(S1, [snap(S1, "web01", PKG1)])
    store.save(
        S2, [snap(S2, "web01", {"dpkg": PKG2["dpkg"]}, errors={"perl": "garbage output: x"})]
    )
    latest = store.latest("web01")
    assert latest["facts"]["dpkg"] == PKG2["dpkg"]
    assert latest["facts"]["perl"] == PKG1["perl"]
    assert latest["carried_over"] == {"perl": S1}
    assert latest["errors"] == {"perl": "garbage output: x"}
    assert store.scans()[-1]["hosts"]["web01"]["status"] == "partial"
    # carried over twice: still names the scan the data really came from
    store.save(S3, [snap(S3, "web01", {"dpkg": PKG2["dpkg"]}, errors={"perl": "timeout"})])
    assert store.latest("web01")["carried_over"] == {"perl": S1}
    validate(store.latest("web01"), "snapshot")


def test_hostile_host_names_become_safe_file_names(ws):
    name = "../etc/passwd\n; $(x)"
    assert "/" not in host_filename(name) and "\n" not in host_filename(name)
    store = SnapshotStore(ws)
    store.save(S1, [snap(S1, name, PKG1)])
    assert store.latest(name)["host"] == name
    assert name in store.hosts()
    assert store.at(name, S1)["host"] == name


def test_a_failed_save_leaves_the_store_as_it_was(ws):
    store = SnapshotStore(ws)
    store.save(S1, [snap(S1, "web01", PKG1)])
    tip = store.tip()

    def snapshots():
        yield snap(S2, "web01", PKG2)
        yield snap(S2, "web09", PKG2)
        raise RuntimeError("the scan died half way")

    with pytest.raises(RuntimeError):
        store.save(S2, snapshots())
    fresh = SnapshotStore(ws)
    assert fresh.tip() == tip
    assert fresh.latest("web01")["scan_id"] == S1
    assert fresh.latest("web09") is None
    assert [s["scan_id"] for s in fresh.scans()] == [S1]


def test_a_save_git_refuses_leaves_the_store_as_it_was(ws):
    store = SnapshotStore(ws)
    store.save(S1, [snap(S1, "web01", PKG1)])
    tip = store.tip()
    # the ref moved under the writer (another run, not holding the lock): no overwrite
    other = SnapshotStore(ws)
    other.save(S2, [snap(S2, "web01", PKG2)])
    moved = other.tip()
    stale = git.Repo(ws.root)
    stale.git.update_ref(FACTS_REF, tip)
    assert SnapshotStore(ws).tip() == tip
    stale.git.update_ref(FACTS_REF, moved)
    # a parent that is not the tip any more is refused as a non-fast-forward by git
    writer = gitref.FastImport(stale)
    writer.add("hosts/web01.json", b"{}\n")
    writer.commit(FACTS_REF, tip, "x\n", stale.git.var("GIT_COMMITTER_IDENT"))
    with pytest.raises(GitError, match="fast-import failed"):
        writer.finish()
    assert SnapshotStore(ws).tip() == moved
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ws.root, capture_output=True, text=True
    ).stdout
    assert status == ""
