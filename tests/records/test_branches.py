"""Change branches: a failed step goes back to where it was; --push needs a remote first."""

from __future__ import annotations

from pathlib import Path

from tests.records.gitrepos import ck, clone, git, make_origin, new_record, ok


def test_push_without_a_remote_fails_before_anything_is_written(tmp_path):
    ok(tmp_path, "init", str(tmp_path / "ws"))
    ws = tmp_path / "ws"
    rid = new_record(ws)
    head = git(ws, "rev-parse", "HEAD")
    result = ck(ws, "change", "submit", rid, "--push")
    assert result.exit_code == 5
    assert "no git remote named 'origin'" in result.stderr
    assert git(ws, "rev-parse", "HEAD") == head and git(ws, "status", "--porcelain") == ""
    assert git(ws, "branch", "--show-current") == "main"
    assert git(ws, "branch", "--list", f"change/{rid}") == ""


def test_failed_commit_on_a_new_branch_goes_back_and_removes_it(tmp_path):
    ok(tmp_path, "init", str(tmp_path / "ws"))
    ws = tmp_path / "ws"
    rid = new_record(ws)
    hook = ws / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    result = ck(ws, "change", "submit", rid, "--branch")
    assert result.exit_code == 5
    assert git(ws, "branch", "--show-current") == "main"
    assert git(ws, "branch", "--list", f"change/{rid}") == ""
    assert git(ws, "status", "--porcelain") == ""


def test_a_record_under_review_elsewhere_says_which_branch(tmp_path: Path):
    origin = make_origin(tmp_path)
    alice = clone(origin, tmp_path / "alice", "Alice", "alice@example.org")
    rid = new_record(alice, "--branch")
    ok(alice, "change", "submit", rid, "--push")
    bob = clone(origin, tmp_path / "bob", "Bob", "bob@example.org")
    result = ck(bob, "change", "approve", rid)
    assert result.exit_code == 3
    assert f"no change record {rid}" in result.stderr
    assert (
        f"it is on branch origin/change/{rid}: `git fetch && git switch change/{rid}` first"
        in result.stderr
    )
