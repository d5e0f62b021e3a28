"""The record is a claim, its git history the ledger: each hand edit a teammate with push access
could make passes no `changekit check` (with or without --base, signed policy or not), and the
same outcome reached through the proper commands by the proper people still passes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from tests.gate.conftest import POLICY, Clone, Team
from tests.gate.test_signing import require_signing


def codes(report: dict) -> set[str]:
    return {p["code"] for p in report["problems"]}


def unproven(report: dict, field: str) -> list[dict]:
    return [p for p in report["problems"] if p["code"] == "unproven-edit" and p["field"] == field]


@pytest.fixture(params=["unsigned", "signed"])
def crew(request, team: Team, keys) -> Team:
    """The team, under the plain policy or one that asks for signed approvals (everyone signs)."""
    if request.param == "signed":
        require_signing(team, keys)
        for who in ("alice", "bob", "mallory"):
            getattr(team, who).sign_with(keys[who])
    team.signed = request.param == "signed"
    return team


def now_window(hours_ahead: float = -0.5, length: float = 3) -> tuple[str, ...]:
    start = datetime.now(UTC) + timedelta(hours=hours_ahead)
    end = start + timedelta(hours=length)
    return ("--start", f"{start:%Y-%m-%d %H:%M}", "--end", f"{end:%Y-%m-%d %H:%M}", "--tz", "UTC")


def approved_on_main(team: Team, *extra: str, window=None, hosts=("web1",), by=None) -> str:
    """Filed by rita, approved by alice in the pull request, merged: the proper way."""
    rid = team.rita.new("Upgrade the kernel", *extra, **({"window": window} if window else {}),
                        hosts=hosts)  # fmt: skip
    team.rita.ck("change", "submit", rid, "--push")
    team.approve_on_branch(by or team.alice, rid)
    team.merge(rid)
    return rid


def attack(team: Team, who: Clone, rid: str, edit: Callable[[dict], None], message: str) -> Clone:
    """``who`` edits the record by hand on a branch off main and pushes it: the pull request."""
    who.git("fetch", "-q", "origin")
    who.git("checkout", "-q", "-B", "attack", "origin/main")
    path = who.record_path(rid)
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    who.git("commit", "-q", "-am", message)
    who.git("push", "-q", "-f", "origin", "attack")
    return team.ci("attack")


def both(pr: Clone) -> tuple[dict, dict]:
    """The gate's verdict without and with --base: both must fail."""
    return pr.check(code=1), pr.check("--base", "origin/main", code=1)


def test_requester_rewritten_to_approve_her_own_change(crew):
    team = crew
    # alice, an approver, files a change, then names bob as its requester and approves it
    alice = team.alice
    alice.git("pull", "-q", "origin", "main")
    rid = alice.new()
    alice.ck("change", "submit", rid)
    alice.git("push", "-q", "origin", "main")

    def swap(data):
        data["requester"] = {"name": "Bob", "email": "bob@example.org"}

    attack(team, alice, rid, swap, "fix requester")
    # changekit itself refuses to approve a record whose history it cannot prove...
    refused = alice.ck("change", "approve", rid, code=4)
    assert "requester never changes" in refused.stderr
    # ...so she approves by hand, in a commit of her own (signed, under the signed policy)

    def approve(data):
        data["approvals"] = [{"by": {"name": "Alice", "email": "alice@example.org"},
                              "at": datetime.now(UTC).isoformat(timespec="seconds")}]  # fmt: skip
        data["status"] = "approved"

    path = alice.record_path(rid)
    data = yaml.safe_load(path.read_text())
    approve(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    alice.git("commit", "-q", "-am", "approve")
    alice.git("push", "-q", "-f", "origin", "attack")
    pr = team.ci("attack")
    for report in both(pr):
        [edit] = unproven(report, "requester")
        assert "alice@example.org" in edit["message"] and edit["record"] == rid
        assert "requester never changes" in edit["message"]
        assert "status-not-proven" in codes(report)
        assert {"approval-stale", "approver-is-requester"} & codes(report), report["problems"]


def test_completed_change_set_back_to_approved_is_not_run_again(team):
    rid = approved_on_main(team, window=now_window())
    rita = team.rita
    rita.git("pull", "-q", "origin", "main")
    rita.ck("change", "start", rid)
    rita.ck("change", "complete", rid)
    rita.git("push", "-q", "origin", "main")
    assert team.ci().check("--base", "origin/main", code=0)["ok"]

    def reopen(data):
        data["status"] = "approved"
        data.pop("outcome", None)
        data["history"] = [
            h for h in data["history"] if h["status"] not in ("in_progress", "completed")
        ]

    pr = attack(team, rita, rid, reopen, "run it again")
    for report in both(pr):
        assert "status-not-proven" in codes(report)
        assert "proves completed" in next(
            p["message"] for p in report["problems"] if p["code"] == "status-not-proven"
        )
        assert unproven(report, "history") or unproven(report, "status")
    # and `change start` refuses to run it again on the old approval
    result = rita.ck("change", "start", rid, code=4)
    assert "its git history proves completed" in result.stderr
    assert "Traceback" not in result.output
    assert yaml.safe_load(rita.record_path(rid).read_text())["status"] == "approved"


def test_in_progress_by_hand_does_not_hide_a_freeze(team):
    rid = approved_on_main(team)  # its window is 2030-06-02
    rita = team.rita
    rita.git("pull", "-q", "origin", "main")
    # a freeze is declared over it afterwards
    (rita.path / "changekit.yaml").write_text(
        POLICY + 'freezes:\n  - name: year-end\n    from: "2030-06-01"\n    to: "2030-06-03"\n'
        "    timezone: Europe/Berlin\n"
    )
    rita.git("commit", "-q", "-am", "year-end freeze")
    rita.git("push", "-q", "origin", "main")
    assert "window-in-freeze" in codes(team.ci().check(code=1))

    def started(data):
        data["status"] = "in_progress"
        data["history"].append({"status": "in_progress", "at": "2030-05-01T10:00:00+00:00",
                                "by": {"name": "Rita Requester", "email": "rita@example.org"}})  # fmt: skip

    pr = attack(team, rita, rid, started, "started early")
    # rita may start her change; but a start years before its window is judged against the
    # window all the same, so the freeze is still found
    for report in both(pr):
        assert "window-in-freeze" in codes(report)


def test_someone_elses_overlapping_change_set_completed_still_conflicts(team):
    # two pull requests made side by side, each approved, both merged: they overlap on web1
    first = team.rita.new()
    team.rita.ck("change", "submit", first, "--push")
    bob = team.bob
    bob.git("pull", "-q", "origin", "main")
    second = bob.new("Reboot web1")
    bob.ck("change", "submit", second, "--push")
    team.approve_on_branch(team.alice, first)
    team.approve_on_branch(team.alice, second)
    team.merge(first)
    team.merge(second)
    assert "conflict" in codes(team.ci().check(code=1))

    def done(data):
        data["status"] = "completed"

    # mallory (not in any group) marks rita's first change completed to clear the conflict
    pr = attack(team, team.mallory, first, done, "that one is done")
    for report in both(pr):
        assert "conflict" in codes(report)
        [edit] = unproven(report, "status")
        assert "mallory@example.org" in edit["message"] and edit["record"] == first


def test_reverting_a_rejection_does_not_revive_the_approval_before_it(crew):
    team = crew
    rid = team.rita.new()
    team.rita.ck("change", "submit", rid, "--push")
    team.approve_on_branch(team.alice, rid)  # approved
    bob = team.bob
    bob.git("fetch", "-q", "origin")
    bob.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    bob.ck("change", "reject", rid, "--reason", "not this week", "--push")
    # rita reverts bob's rejection: the file is approved again, with alice's approval
    rita = team.rita
    rita.git("pull", "-q", "origin", f"change/{rid}")
    rita.git("revert", "--no-edit", "HEAD")
    assert yaml.safe_load(rita.record_path(rid).read_text())["status"] == "approved"
    rita.git("push", "-q", "origin", f"HEAD:change/{rid}")
    pr = team.ci(f"change/{rid}")
    for report in (pr.check(code=1), pr.check("--base", "origin/main", code=1)):
        withdrawn = [p for p in report["problems"] if p["code"] == "approval-withdrawn"]
        assert withdrawn and "alice@example.org" in withdrawn[0]["message"]
        assert "status-not-proven" in codes(report)
    # nor can the change be started on it
    assert "proves rejected" in rita.ck("change", "start", rid, code=4).stderr


def test_a_withdrawn_approval_pasted_back_never_counts(crew):
    team = crew
    rid = approved_on_main(team)
    rita = team.rita
    rita.git("pull", "-q", "origin", "main")
    old = yaml.safe_load(rita.record_path(rid).read_text())
    # the proper edit withdraws alice's approval (the plan changed)...
    editor = rita.path.parent / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/apt-get upgrade/apt-get dist-upgrade/' \"$1\"\n")
    editor.chmod(0o755)
    result = rita.ck("change", "edit", rid, env={"EDITOR": str(editor), "VISUAL": str(editor)})
    assert "approvals withdrawn" in result.output or "withdrawn" in result.output
    rita.git("push", "-q", "origin", "main")

    # ...and rita pastes alice's approval back, with the old plan's approval for the new plan
    def paste(data):
        data["approvals"] = old["approvals"]
        data["status"] = "approved"

    pr = attack(team, rita, rid, paste, "restore approval")
    for report in both(pr):
        assert "approval-withdrawn" in codes(report) or "approval-wrong-author" in codes(report)
        assert "not-approved" in codes(report) or "status-not-proven" in codes(report)


def test_trimming_an_emergencys_history_keeps_the_overdue_approval(team):
    rita = team.rita
    rid = rita.new("Patch openssl now", "--type", "emergency", "--emergency-reason", "CVE",
                   window=now_window(hours_ahead=-40, length=1))  # fmt: skip
    rita.ck("change", "submit", rid)
    # started 30 hours ago (the commit's date; changekit takes times from commits)
    then = (datetime.now(UTC) - timedelta(hours=30)).isoformat(timespec="seconds")
    rita.ck("change", "start", rid, "--force", "--reason", "exploited in the wild",
            env={"GIT_COMMITTER_DATE": then, "GIT_AUTHOR_DATE": then})  # fmt: skip
    rita.git("push", "-q", "origin", "main")
    assert "emergency-approval-overdue" in codes(team.ci().check(code=1))

    def trim(data):
        data["history"] = [h for h in data["history"] if h["status"] == "draft"]

    pr = attack(team, rita, rid, trim, "tidy history")
    for report in both(pr):
        assert "emergency-approval-overdue" in codes(report)
        assert unproven(report, "history")


def test_a_forged_announcement_time_does_not_give_lead_time(team):
    rita = team.rita
    rid = approved_on_main(team, "--outage", "--outage-minutes", "30",
                           window=now_window(hours_ahead=72, length=1))  # fmt: skip
    rita.git("pull", "-q", "origin", "main")
    (rita.path / "changekit.yaml").write_text(POLICY + "lead_time: 5d\n")
    rita.git("commit", "-q", "-am", "outages need five days' notice")
    rita.git("push", "-q", "origin", "main")
    assert "lead-time-too-short" in codes(team.ci().check(code=1))
    month_ago = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="seconds")

    def forge(data):
        data["announcement"] = {"announced_at": month_ago}

    pr = attack(team, rita, rid, forge, "announced long ago")
    for report in both(pr):
        assert "lead-time-too-short" in codes(report)


def test_inventory_edited_in_the_pull_request_is_reported_and_ignored(team):
    rita = team.rita
    inv = rita.path / "inventories" / "hosts.yaml"
    inv.write_text(
        "version: 1\nhosts:\n  web1: {address: 192.0.2.1}\n  web2: {address: 192.0.2.2}\n"
        "groups:\n  finance: {hosts: [web1]}\n"
    )
    rita.git("add", "-A")
    rita.git("commit", "-q", "-m", "inventory")
    rita.git("push", "-q", "origin", "main")
    rid = rita.new()
    rita.ck("change", "submit", rid, "--push")
    team.approve_on_branch(team.alice, rid)
    # meanwhile main declares a freeze for finance hosts over the change's window
    rita.git("checkout", "-q", "main")
    (rita.path / "changekit.yaml").write_text(
        POLICY + 'freezes:\n  - name: closing\n    groups: [finance]\n    from: "2030-06-01"\n'
        '    to: "2030-06-03"\n    timezone: Europe/Berlin\n'
    )
    rita.git("commit", "-q", "-am", "finance freeze")
    rita.git("push", "-q", "origin", "main")
    # the PR takes web1 out of the frozen group
    rita.git("checkout", "-q", f"change/{rid}")
    rita.git("pull", "-q", "origin", f"change/{rid}")
    inv.write_text(inv.read_text().replace("finance: {hosts: [web1]}", "finance: {hosts: [web2]}"))
    rita.git("commit", "-q", "-am", "web1 is not finance")
    rita.git("push", "-q", "origin", f"change/{rid}")
    pr = team.ci(f"change/{rid}")
    report = pr.check("--base", "origin/main", code=1)
    assert "window-in-freeze" in codes(report)  # judged by the base's inventory
    changed = [p for p in report["problems"] if p["code"] == "policy-changed"]
    assert "inventories/hosts.yaml" in [p["path"] for p in changed]


@pytest.mark.parametrize("field", ["services", "contact"])
def test_editing_who_is_told_after_approval_withdraws_the_approval(team, field):
    rid = approved_on_main(team, "--service", "mail", "--contact", "ops@example.org")
    rita = team.rita
    rita.git("pull", "-q", "origin", "main")

    def fewer(data):
        data[field] = ["webmail"] if field == "services" else "nobody@example.org"

    pr = attack(team, rita, rid, fewer, "narrow the audience")
    for report in both(pr):
        stale = [p for p in report["problems"] if p["code"] == "approval-stale"]
        assert stale and field in stale[0]["message"]
        assert "not-approved" in codes(report)


def test_the_proper_commands_by_the_proper_people_pass(crew):
    team = crew
    rita = team.rita
    rid = approved_on_main(team, window=now_window())
    rita.git("pull", "-q", "origin", "main")
    rita.ck("change", "start", rid)
    rita.ck("change", "complete", rid)
    rita.git("push", "-q", "origin", "main")
    # a high-risk change: rejected, resubmitted, approved by two
    other = rita.new("Replace the disks", "--risk", "high", window=now_window(hours_ahead=48))
    rita.ck("change", "submit", other, "--push")
    team.approve_on_branch(team.alice, other)
    team.bob.git("fetch", "-q", "origin")
    team.bob.git("checkout", "-q", "-B", f"change/{other}", f"origin/change/{other}")
    team.bob.ck("change", "reject", other, "--reason", "not this week", "--push")
    rita.git("fetch", "-q", "origin")
    rita.git("checkout", "-q", f"change/{other}")
    rita.git("pull", "-q", "origin", f"change/{other}")
    rita.ck("change", "submit", other, "--push")
    team.approve_on_branch(team.alice, other)
    team.approve_on_branch(team.bob, other)
    pr = team.ci(f"change/{other}")
    assert pr.check(code=0)["ok"]
    assert pr.check("--base", "origin/main", code=0)["ok"]


def test_the_cache_follows_a_rewritten_history(team):
    """A cached run, then HEAD moves back (a reset, a force-push): the verdict is the one a run
    without any cache gives, never one from commits no longer in the history."""
    rid = approved_on_main(team)
    pr = team.ci()
    assert pr.check(code=0)["ok"]

    def reject(data):  # a rejection by hand, by the requester: unproven
        data["status"] = "rejected"

    pr.git("fetch", "-q", "origin")
    pr.git("checkout", "-q", "--detach", "origin/main")
    path = pr.record_path(rid)
    data = yaml.safe_load(path.read_text())
    reject(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    pr.git("commit", "-q", "-am", "gone")
    assert "unproven-edit" in codes(pr.check(code=1))
    pr.git("reset", "-q", "--hard", "HEAD~1")
    cached = pr.check(code=0)
    for f in (pr.path / ".git" / "changekit").iterdir():
        f.unlink()
    assert pr.check(code=0) == cached


def test_a_step_the_gate_would_not_accept_is_refused_by_the_command(team):
    rid = approved_on_main(team, window=now_window())
    mallory = team.mallory
    mallory.git("pull", "-q", "origin", "main")
    refused = mallory.ck("change", "start", rid, code=4)
    assert "mallory@example.org is neither its requester nor in a group" in refused.stderr
    assert "Traceback" not in refused.output
    assert yaml.safe_load(mallory.record_path(rid).read_text())["status"] == "approved"
    # bob, in a policy group, may carry it out
    team.bob.git("pull", "-q", "origin", "main")
    team.bob.ck("change", "start", rid)


def test_a_hostile_author_reaches_the_gates_output_only_as_visible_text(team):
    """An author's name and email are the committer's to choose: control characters and
    terminal escapes in them are shown, never sent raw to the CI log; JSON keeps them exact."""
    rid = approved_on_main(team)
    evil = "mal\x1b[2J\x07lory\u202e@example.org"

    def done(data):
        data["status"] = "completed"

    mallory = team.mallory
    mallory.git("fetch", "-q", "origin")
    mallory.git("checkout", "-q", "-B", "attack", "origin/main")
    path = mallory.record_path(rid)
    data = yaml.safe_load(path.read_text())
    done(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    mallory.git("commit", "-q", "-am", "done", env={"GIT_AUTHOR_EMAIL": evil})
    text = mallory.ck("check", code=1).stdout
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "mal\\x1b[2j\\x07lory\\u202e@example.org" in text  # (emails compare lowercased)
    report = mallory.check(code=1)
    edit = next(p for p in report["problems"] if p["code"] == "unproven-edit")
    assert evil.lower() in edit["message"]
    # a command's refusal quotes the same commit: shown, not sent raw either
    refused = mallory.ck("change", "cancel", rid, code=4).stderr
    assert "mal\\x1b[2j" in refused and "\x1b" not in refused
