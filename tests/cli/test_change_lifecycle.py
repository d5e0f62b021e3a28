"""Lifecycle commands through the CLI: each step one commit by the acting identity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from changekit import hookimpl
from changekit.errors import RefusedError
from changekit.plugins import get_manager
from tests.records.gitrepos import ck, git, new_record, ok, policy_with, set_identity

FREEZE = (
    "freezes:\n  - name: year-end closing\n    from: '2030-12-15'\n    to: '2031-01-15'\n"
    "    timezone: Europe/Berlin\n"
)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    ok(tmp_path, "init", str(root))
    (root / "changekit.yaml").write_text(policy_with(["bob@example.org"], extra=FREEZE))
    git(root, "commit", "-qam", "policy")
    set_identity(root, "Alice", "alice@example.org")
    return root


def _as(ws: Path, who: str) -> None:
    set_identity(ws, who.capitalize(), f"{who}@example.org")


def _record(ws: Path, rid: str) -> dict:
    return yaml.safe_load((ws / "change_records" / f"{rid}.yaml").read_text())


def _last(ws: Path) -> tuple[str, dict[str, str]]:
    author = git(ws, "log", "-1", "--format=%ae")
    body = git(ws, "log", "-1", "--format=%(trailers:only,unfold)")
    return author, dict(line.split(": ", 1) for line in body.splitlines() if line)


def test_full_lifecycle_commits_each_step_as_its_actor(ws):
    rid = new_record(
        ws, "--start", "2030-12-06 02:00", "--end", "2030-12-06 04:00", "--tz", "Europe/Berlin"
    )
    steps = [
        ("alice", ("submit", rid), "submitted"),
        ("bob", ("approve", rid, "--comment", "ok"), "approved"),
        ("alice", ("schedule", rid), "scheduled"),
        # a new window voids the approval given for the old one (as `changekit check` judges)
        (
            "alice",
            ("reschedule", rid, "--start", "2030-12-13 02:00", "--end", "2030-12-13 03:00"),
            "submitted",
        ),
        ("bob", ("approve", rid), "approved"),
        ("alice", ("schedule", rid), "scheduled"),
        (
            "carol",
            ("start", rid, "--force", "--reason", "the test runs years early"),
            "in_progress",
        ),
        ("carol", ("complete", rid, "--notes", "went fine"), "completed"),
    ]
    for who, args, status in steps:
        _as(ws, who)
        out = ok(ws, "change", *args).stdout
        if args[0] == "reschedule":
            assert "the window changed, so the approvals by bob@example.org were withdrawn" in out
        author, trailers = _last(ws)
        assert author == f"{who}@example.org"
        verb = git(ws, "log", "-1", "--format=%s").split()[0]
        assert verb == {"reschedule": "Reschedule", "approve": "Approve"}.get(
            args[0], args[0].capitalize()
        )
        action = "schedule" if args[0] == "reschedule" else args[0]
        assert trailers == {
            "Changekit-Record": rid,
            "Changekit-Action": action,
            "Changekit-Status": status,
        }
    data = _record(ws, rid)
    assert data["status"] == "completed"
    assert data["window"]["start"] == "2030-12-13T02:00:00+01:00"
    assert data["window"]["timezone"] == "Europe/Berlin"  # reschedule kept the record's zone
    assert [a.get("comment") for a in data["approvals"]] == [None]  # only the renewed approval
    assert data["outcome"]["result"] == "completed" and data["outcome"]["notes"] == "went fine"
    assert [h["status"] for h in data["history"]] == [
        "draft",
        "submitted",
        "approved",
        "scheduled",
        "submitted",
        "approved",
        "scheduled",
        "in_progress",
        "completed",
    ]
    assert data["history"][4]["note"] == "new window: approvals withdrawn"
    assert data["history"][7]["note"] == (
        "started while its window has not begun, forced: the test runs years early"
    )
    final = ck(ws, "change", "cancel", rid)
    assert final.exit_code == 4 and "completed is final: no further steps" in final.stderr


def test_reschedule_of_a_preapproved_standard_change_stays_scheduled(ws):
    (ws / "changekit.yaml").write_text(
        policy_with(["bob@example.org"], standard=["security-updates"])
    )
    git(ws, "commit", "-qam", "standard templates")
    filed = ok(
        ws,
        "change",
        "new",
        "--no-input",
        "--format",
        "json",
        "--template",
        "security-updates",
        "--host",
        "web1",
        "--start",
        "2031-02-06 02:00",
        "--end",
        "2031-02-06 03:00",
        "--tz",
        "UTC",
    )
    rid = json.loads(filed.stdout)["id"]
    assert "draft -> approved" in ok(ws, "change", "submit", rid).stdout
    ok(ws, "change", "schedule", rid)
    out = ok(
        ws, "change", "reschedule", rid, "--start", "2031-02-07 02:00", "--end", "2031-02-07 03:00"
    )
    assert "still scheduled" in out.stdout and "withdrawn" not in out.stdout
    assert _record(ws, rid)["history"][-1]["note"] == "rescheduled"


def test_reject_needs_a_reason_and_can_be_resubmitted(ws):
    rid = new_record(ws)
    ok(ws, "change", "submit", rid)
    _as(ws, "bob")
    missing = ck(ws, "change", "reject", rid)
    assert missing.exit_code == 2 and "--reason" in missing.stderr
    ok(ws, "change", "reject", rid, "--reason", "no rollback plan")
    data = _record(ws, rid)
    assert data["status"] == "rejected"
    assert data["rejection"]["reason"] == "no rollback plan"
    assert data["rejection"]["by"]["email"] == "bob@example.org"
    _as(ws, "alice")
    ok(ws, "change", "submit", rid)
    assert "rejection" not in _record(ws, rid)


def test_illegal_transition_lists_allowed_steps_and_changes_nothing(ws):
    rid = new_record(ws)
    ok(ws, "change", "submit", rid)
    head = git(ws, "rev-parse", "HEAD")
    result = ck(ws, "change", "start", rid)
    assert result.exit_code == 4
    assert (
        f"cannot start {rid}: it is submitted (only emergency changes may start before approval)"
        in result.stderr
    )
    assert "allowed next steps: approve, reject, cancel" in result.stderr
    assert git(ws, "rev-parse", "HEAD") == head and git(ws, "status", "--porcelain") == ""


def test_emergency_starts_before_approval_and_is_approved_afterwards(ws):
    rid = new_record(ws, "--type", "emergency", "--emergency-reason", "disk full")
    ok(ws, "change", "submit", rid)
    ok(ws, "change", "start", rid)
    ok(ws, "change", "complete", rid)
    _as(ws, "bob")
    result = ok(ws, "change", "approve", rid)
    assert "still completed" in result.stdout
    data = _record(ws, rid)
    assert (
        data["status"] == "completed" and data["approvals"][0]["by"]["email"] == "bob@example.org"
    )


def test_emergency_must_say_why(ws):
    result = ck(
        ws,
        "change",
        "new",
        "--no-input",
        "--title",
        "Hotfix",
        "--type",
        "emergency",
        "--category",
        "change",
        "--risk",
        "high",
        "--impact",
        "high",
        "--host",
        "web1",
    )
    assert result.exit_code == 3
    assert "missing required fields: emergency-reason" in result.stderr
    assert "field: emergency.reason" in result.stderr


def test_fail_then_roll_back(ws):
    rid = new_record(ws, "--type", "emergency", "--emergency-reason", "x")
    for step in ("submit", "start", "fail", "rollback"):
        ok(ws, "change", step, rid)
    data = _record(ws, rid)
    assert data["status"] == "rolled_back" and data["outcome"]["result"] == "rolled_back"


def test_schedule_into_a_freeze_is_refused_with_the_reason(ws):
    rid = new_record(ws)
    ok(ws, "change", "submit", rid)
    _as(ws, "bob")
    ok(ws, "change", "approve", rid)
    head = git(ws, "rev-parse", "HEAD")
    result = ck(
        ws,
        "change",
        "schedule",
        rid,
        "--start",
        "2030-12-20 02:00",
        "--end",
        "2030-12-20 03:00",
        "--tz",
        "Europe/Berlin",
    )
    assert result.exit_code == 4
    assert f"cannot schedule {rid}:" in result.stderr and "year-end closing" in result.stderr
    assert "hint:" in result.stderr
    assert git(ws, "rev-parse", "HEAD") == head and git(ws, "status", "--porcelain") == ""
    assert "window" not in _record(ws, rid)
    moved = ok(
        ws,
        "change",
        "schedule",
        rid,
        "--start",
        "2031-02-01 02:00",
        "--end",
        "2031-02-01 03:00",
        "--tz",
        "Europe/Berlin",
    )
    assert "approved -> submitted" in moved.stdout  # the approval was for no window at all
    ok(ws, "change", "approve", rid)
    _as(ws, "alice")
    assert "approved -> scheduled" in ok(ws, "change", "schedule", rid).stdout


def test_window_stays_right_across_daylight_saving(ws):
    rid = new_record(
        ws, "--start", "2030-03-29 02:00", "--end", "2030-03-29 03:00", "--tz", "Europe/Berlin"
    )
    ok(ws, "change", "submit", rid)
    _as(ws, "bob")
    ok(ws, "change", "approve", rid)
    # the day after the clocks go forward: the same wall time is one hour earlier in UTC
    ok(ws, "change", "schedule", rid, "--start", "2030-04-01 02:00", "--end", "2030-04-01 03:00")
    window = _record(ws, rid)["window"]
    assert window == {
        "start": "2030-04-01T02:00:00+02:00",
        "end": "2030-04-01T03:00:00+02:00",
        "timezone": "Europe/Berlin",
    }
    gap = ck(
        ws, "change", "reschedule", rid, "--start", "2030-03-31 02:30", "--end", "2030-03-31 04:00"
    )
    assert gap.exit_code == 3
    assert "2030-03-31 02:30 does not exist in Europe/Berlin" in gap.stderr


def test_hooks_see_each_transition_and_can_refuse(ws):
    seen = []

    class Plugin:
        @hookimpl
        def before_transition(self, record, status, actor, workspace):
            if status == "cancelled":
                raise RefusedError("cancelling is switched off here", hint="ask the change manager")

        @hookimpl
        def after_transition(self, record, previous, actor, workspace):
            seen.append((record.id, previous, record.status, actor.email, workspace.root))

    plugin = Plugin()
    get_manager().register(plugin, "test-transitions")
    try:
        rid = new_record(ws)
        ok(ws, "change", "submit", rid)
        head = git(ws, "rev-parse", "HEAD")
        refused = ck(ws, "change", "cancel", rid)
    finally:
        get_manager().unregister(plugin)
    assert seen == [(rid, "draft", "submitted", "alice@example.org", ws)]
    assert refused.exit_code == 4 and "cancelling is switched off here" in refused.stderr
    assert git(ws, "rev-parse", "HEAD") == head and git(ws, "status", "--porcelain") == ""


def test_json_output_of_a_step(ws):
    rid = new_record(ws)
    out = json.loads(ok(ws, "change", "submit", rid, "--format", "json").stdout)
    assert out["id"] == rid and out["status"] == "submitted" and out["previous"] == "draft"
    assert out["commit"] == git(ws, "rev-parse", "HEAD")


def _approved(ws: Path, *window: str, kind: str = "normal") -> str:
    extra = (
        ("--type", "emergency", "--emergency-reason", "disk full") if kind == "emergency" else ()
    )
    rid = new_record(ws, *window, "--tz", "UTC", *extra)
    _as(ws, "alice")
    ok(ws, "change", "submit", rid)
    if kind != "emergency":
        _as(ws, "bob")
        ok(ws, "change", "approve", rid)
    _as(ws, "carol")
    return rid


def _utc(delta_hours: float) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(hours=delta_hours)).strftime("%Y-%m-%d %H:%M")


def test_start_before_or_after_the_window_is_refused_unless_forced_with_a_reason(ws):
    """QA #10: starting weeks early was allowed and the notices then contradicted themselves."""
    early = _approved(ws, "--start", "2030-12-06 02:00", "--end", "2030-12-06 04:00")
    head = git(ws, "rev-parse", "HEAD")
    refused = ck(ws, "change", "start", early)
    assert refused.exit_code == 4
    assert (
        f"cannot start {early}: its window has not begun (2030-12-06 02:00 to 2030-12-06 04:00 UTC)"
        in refused.stderr
    )
    assert "--force --reason TEXT" in refused.stderr
    no_reason = ck(ws, "change", "start", early, "--force")
    assert no_reason.exit_code == 2 and "--force needs --reason" in no_reason.stderr
    assert git(ws, "rev-parse", "HEAD") == head and git(ws, "status", "--porcelain") == ""
    ok(ws, "change", "start", early, "--force", "--reason", "vendor moved the slot")
    assert _record(ws, early)["history"][-1]["note"] == (
        "started while its window has not begun, forced: vendor moved the slot"
    )


def test_start_inside_the_window_is_allowed_and_emergencies_start_anytime(ws):
    inside = _approved(ws, "--start", _utc(-1), "--end", _utc(1))
    ok(ws, "change", "start", inside)
    assert "note" not in _record(ws, inside)["history"][-1]
    urgent = _approved(
        ws, "--start", "2030-12-06 02:00", "--end", "2030-12-06 04:00", kind="emergency"
    )
    ok(ws, "change", "start", urgent)
