"""Records across real clones: ids that never collide, approvals by reviewers on the PR branch."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.records.gitrepos import ck, clone, git, make_origin, new_record, ok, policy_with

POLICY = policy_with(["bob@example.org", "carol@example.org"])


def _file_many(ws: Path, count: int) -> list[str]:
    """File ``count`` records through the installed console script (a real separate process)."""
    exe = Path(sys.executable).parent / "changekit"
    ids = []
    for i in range(count):
        out = subprocess.run(
            [
                str(exe),
                "-C",
                str(ws),
                "change",
                "new",
                "--no-input",
                "--format",
                "json",
                "--title",
                f"Change {i}",
                "--type",
                "normal",
                "--category",
                "add",
                "--risk",
                "low",
                "--impact",
                "low",
                "--host",
                f"db{i}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        ids.append(json.loads(out.stdout)["id"])
    return ids


def test_two_clones_file_at_the_same_time_and_merge_without_collisions(tmp_path):
    origin = make_origin(tmp_path, POLICY)
    alice = clone(origin, tmp_path / "alice", "Alice", "alice@example.org")
    dave = clone(origin, tmp_path / "dave", "Dave", "dave@example.org")
    with ThreadPoolExecutor(2) as pool:
        a_ids, d_ids = pool.map(_file_many, [alice, dave], [8, 8])
    assert not set(a_ids) & set(d_ids)
    git(alice, "push", "-q", "origin", "main")
    git(dave, "pull", "-q", "--no-rebase", "origin", "main")  # a real merge of both histories
    git(dave, "push", "-q", "origin", "main")
    listed = json.loads(ok(dave, "change", "list", "--format", "json").stdout)
    assert sorted(r["id"] for r in listed) == sorted(a_ids + d_ids)
    # each record was committed by its author, with trailers naming it
    log = git(dave, "log", "--format=%ae %(trailers:key=Changekit-Record,valueonly)", "main")
    authors = {
        line.split()[1]: line.split()[0] for line in log.splitlines() if len(line.split()) == 2
    }
    assert all(authors[i] == "alice@example.org" for i in a_ids)
    assert all(authors[i] == "dave@example.org" for i in d_ids)


def test_review_on_the_change_branch_through_origin(tmp_path):
    origin = make_origin(tmp_path, POLICY)
    alice = clone(origin, tmp_path / "alice", "Alice", "alice@example.org")
    bob = clone(origin, tmp_path / "bob", "Bob", "bob@example.org")
    rid = new_record(alice, "--branch")
    result = ok(alice, "change", "submit", rid, "--push")
    assert f"change/{rid}" in result.stdout and "pushed" in result.stdout
    assert git(origin, "branch", "--list", f"change/{rid}")

    # the requester may not approve their own change
    refused = ck(alice, "change", "approve", rid)
    assert refused.exit_code == 4
    assert "requester cannot approve" in refused.stderr

    git(bob, "fetch", "-q", "origin")
    git(bob, "switch", "-q", f"change/{rid}")
    approved = ok(
        bob, "change", "approve", rid, "--as", "approvers", "--comment", "looks fine", "--push"
    )
    assert "submitted -> approved" in approved.stdout

    head = git(origin, "log", "-1", "--format=%an|%ae|%B", f"change/{rid}")
    name, email, body = head.split("|", 2)
    assert (name, email) == ("Bob", "bob@example.org")
    assert f"Changekit-Record: {rid}" in body
    assert "Changekit-Action: approve" in body and "Changekit-Status: approved" in body

    # the PR is merged on the forge: here, a real merge into main pushed to origin
    git(alice, "fetch", "-q", "origin")
    git(alice, "switch", "-q", "main")
    git(alice, "merge", "-q", "--no-ff", "-m", "Merge change", f"origin/change/{rid}")
    git(alice, "push", "-q", "origin", "main")
    shown = json.loads(ok(alice, "change", "show", rid, "--format", "json").stdout)
    assert shown["status"] == "approved"
    assert shown["approvals"][0]["by"] == {"name": "Bob", "email": "bob@example.org"}
    assert shown["approvals"][0]["as"] == "approvers"
    assert [h["status"] for h in shown["history"]] == ["draft", "submitted", "approved"]


def test_high_risk_needs_two_reviewers(tmp_path):
    origin = make_origin(tmp_path, POLICY)
    alice = clone(origin, tmp_path / "alice", "Alice", "alice@example.org")
    rid = new_record(alice)
    # raise the risk before submitting: the policy then asks for two approvers
    path = alice / "change_records" / f"{rid}.yaml"
    path.write_text(path.read_text().replace("risk: low", "risk: high"))
    git(alice, "commit", "-qam", "raise risk")
    ok(alice, "change", "submit", rid, "--push")
    bob = clone(origin, tmp_path / "bob", "Bob", "bob@example.org")
    carol = clone(origin, tmp_path / "carol", "Carol", "carol@example.org")
    git(bob, "switch", "-q", f"change/{rid}")
    first = ok(bob, "change", "approve", rid, "--push")
    assert "still submitted" in first.stdout and "more approvals" in first.stdout
    again = ck(bob, "change", "approve", rid)
    assert again.exit_code == 4 and "already approved" in again.stderr
    git(carol, "switch", "-q", f"change/{rid}")
    git(carol, "pull", "-q")
    second = ok(carol, "change", "approve", rid, "--push")
    assert "submitted -> approved" in second.stdout
    outsider = clone(origin, tmp_path / "eve", "Eve", "eve@example.org")
    git(outsider, "switch", "-q", f"change/{rid}")
    denied = ck(outsider, "change", "approve", rid)
    assert denied.exit_code == 4 and "not in a group that may approve" in denied.stderr
