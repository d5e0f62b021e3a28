"""Nothing is lost: a failed commit or a killed run leaves files and history as they were."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.records.gitrepos import ck, git, kill_submit_mid_commit, new_record, ok


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    ok(tmp_path, "init", str(tmp_path / "ws"))
    return tmp_path / "ws"


def _hook(ws: Path, body: str) -> None:
    hook = ws / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\n" + body + "\n")
    hook.chmod(0o755)


def test_failed_commit_restores_the_record(ws):
    rid = new_record(ws)
    path = ws / "change_records" / f"{rid}.yaml"
    before, head = path.read_bytes(), git(ws, "rev-parse", "HEAD")
    _hook(ws, "echo 'policy hook says no' >&2; exit 1")
    result = ck(ws, "change", "submit", rid)
    assert result.exit_code == 5
    assert "git commit failed" in result.stderr and "policy hook says no" in result.stderr
    assert path.read_bytes() == before
    assert git(ws, "rev-parse", "HEAD") == head
    assert git(ws, "status", "--porcelain") == ""  # index too
    assert not (ws / ".changekit" / "journal.json").exists()


def test_failed_first_commit_removes_the_new_file(ws):
    _hook(ws, "exit 1")
    head = git(ws, "rev-parse", "HEAD")
    result = ck(
        ws,
        "change",
        "new",
        "--no-input",
        "--title",
        "abc",
        "--type",
        "normal",
        "--category",
        "add",
        "--risk",
        "low",
        "--impact",
        "low",
        "--host",
        "h",
    )
    assert result.exit_code == 5
    assert not list((ws / "change_records").glob("CHG-*"))
    assert git(ws, "status", "--porcelain") == "" and git(ws, "rev-parse", "HEAD") == head


def test_killed_run_is_undone_by_the_next_one(ws):
    rid = new_record(ws)
    path = ws / "change_records" / f"{rid}.yaml"
    before, head = path.read_bytes(), git(ws, "rev-parse", "HEAD")
    kill_submit_mid_commit(ws, rid)  # the new version is written, the commit hung in the hook
    assert b"status: submitted" in path.read_bytes()
    shown = ck(ws, "change", "show", rid, "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    assert "an interrupted changekit run was undone" in shown.stderr
    assert path.read_bytes() == before
    assert git(ws, "rev-parse", "HEAD") == head
    assert git(ws, "status", "--porcelain") == ""
    ok(ws, "change", "submit", rid)  # and work goes on


def test_a_second_run_waits_for_the_lock(ws):
    from changekit.errors import LockedError
    from changekit.workspace import Workspace

    rid = new_record(ws)
    with Workspace(ws).lock():
        exe = shutil.which("changekit") or str(Path(sys.executable).parent / "changekit")
        done = subprocess.run(
            [exe, "-C", str(ws), "change", "submit", rid],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == LockedError.exit_code
    assert "the workspace is locked by another changekit run" in done.stderr
    assert git(ws, "status", "--porcelain") == ""


def test_kill_of_only_changekit_never_undoes_the_commit_that_lands(ws):
    """kill -9 of the changekit pid alone: its `git commit` child goes on and lands; the next
    run must wait for it and keep the commit, not restore the old file (QA #18)."""
    rid = new_record(ws)
    # only changekit is killed: git and its hook keep running
    kill_submit_mid_commit(ws, rid, hook_seconds=3, group=False)
    _hook(ws, "exit 0")
    shown = ck(ws, "change", "show", rid, "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    assert "waiting for the git commit of an interrupted changekit run" in shown.stderr
    assert "was undone" not in shown.stderr
    assert '"status": "submitted"' in shown.stdout
    assert git(ws, "log", "-1", "--format=%s").startswith(f"Submit {rid}")
    assert git(ws, "status", "--porcelain") == ""
    again = ck(ws, "change", "submit", rid)
    assert again.exit_code == 4  # already submitted: no second "Submit" commit
