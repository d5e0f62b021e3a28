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


def test_submit_push_goes_back_to_the_branch_you_were_on(tmp_path: Path):
    origin = make_origin(tmp_path)
    alice = clone(origin, tmp_path / "alice", "Alice", "alice@example.org")
    rid = new_record(alice)
    result = ok(alice, "change", "submit", rid, "--push")
    assert git(alice, "branch", "--show-current") == "main"
    assert f"committed on branch change/{rid}; you are back on main" in result.stdout
    assert "submitted" in git(alice, "show", f"origin/change/{rid}:change_records/{rid}.yaml")
    # the next record is filed on main, not onto the first change's pull request
    other = new_record(alice, title="Second change on its own branch")
    ok(alice, "change", "submit", other, "--push")
    files = git(alice, "diff", "--name-only", f"main~1..origin/change/{other}")
    assert files.splitlines() == [f"change_records/{other}.yaml"]


def test_filing_on_another_changes_branch_warns(tmp_path: Path):
    ok(tmp_path, "init", str(tmp_path / "ws"))
    ws = tmp_path / "ws"
    rid = new_record(ws, "--branch")
    assert git(ws, "branch", "--show-current") == f"change/{rid}"
    result = ok(
        ws,
        "change",
        "new",
        "--no-input",
        "--title",
        "Another one entirely",
        "--type",
        "normal",
        "--category",
        "change",
        "--risk",
        "low",
        "--impact",
        "low",
        "--host",
        "web1",
    )
    assert f"you are on branch change/{rid} (another change's branch)" in result.stdout


def test_rejected_push_does_not_advise_pull_rebase(tmp_path: Path):
    origin = make_origin(tmp_path)
    alice = clone(origin, tmp_path / "alice", "Alice", "alice@example.org")
    rid = new_record(alice, "--branch")
    ok(alice, "change", "submit", rid, "--push")
    git(alice, "commit", "-q", "--allow-empty", "-m", "someone else")
    git(alice, "push", "-q", "origin", f"change/{rid}")
    git(alice, "reset", "-q", "--hard", "HEAD~1")
    result = ck(alice, "change", "cancel", rid, "--reason", "no", "--push")
    assert result.exit_code == 5
    # with changekit's merge driver (set up by init + .gitattributes) a pull merges the record
    assert f"`git pull --no-rebase origin change/{rid}` (changekit's merge driver" in (
        result.stderr
    )
    # a workspace from before the merge driver: pulling would conflict, so redo the step
    git(alice, "reset", "-q", "--hard", "HEAD~1")  # drop the local cancel, try again
    git(alice, "config", "--unset", "merge.changekit-record.driver")
    (alice / ".gitattributes").unlink()
    git(alice, "commit", "-qam", "no merge driver")
    result = ck(alice, "change", "cancel", rid, "--reason", "no", "--push")
    assert result.exit_code == 5
    assert "do not `git pull --rebase`" in result.stderr
    assert f"git reset --keep origin/change/{rid}" in result.stderr
