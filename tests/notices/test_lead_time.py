"""The policy's notice lead time, end to end: announce, then try to schedule too early."""

from __future__ import annotations

import datetime as dt

from tests.notices.workspace import RID, load, make_workspace, record

APPROVED = [
    {"by": {"name": "Bob Boss", "email": "bob@example.org"}, "at": "2026-11-25T10:00:00+00:00"}
]


def window(start: dt.datetime) -> dict[str, str]:
    return {
        "start": start.isoformat(),
        "end": (start + dt.timedelta(hours=1)).isoformat(),
        "timezone": "UTC",
    }


def schedule(run_cli, ws, start: dt.datetime, rid: str = RID):
    return run_cli(
        "-C", str(ws), "change", "reschedule", rid, "--tz", "UTC",
        "--start", start.isoformat(), "--end", (start + dt.timedelta(hours=1)).isoformat(),
    )  # fmt: skip


def test_an_outage_cannot_be_scheduled_before_the_lead_time_after_its_announcement(
    tmp_path, run_cli
):
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    ws = make_workspace(
        tmp_path / "ws",
        {"atom": {"path": "public/notices.atom"}},
        records=[record(window=window(now + dt.timedelta(days=5)), approvals=APPROVED)],
        policy="version: 1\nlead_time: 2d\n",
    )
    announced = run_cli("-C", str(ws), "announce", RID)
    assert announced.exit_code == 0, announced.output
    since = dt.datetime.fromisoformat(load(ws)["announcement"]["announced_at"])
    assert now <= since <= dt.datetime.now(dt.UTC)

    early = schedule(run_cli, ws, now + dt.timedelta(days=1))
    assert early.exit_code == 4, early.output
    assert "an outage needs 2d notice" in early.stderr and "after it was announced" in early.stderr
    earliest = since + dt.timedelta(days=2)
    if earliest.second or earliest.microsecond:  # whole minutes, rounded up: never inside it
        earliest = earliest.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    assert f"the next allowed window is {earliest:%a %Y-%m-%d %H:%M} UTC" in early.stderr
    assert load(ws)["window"] == window(now + dt.timedelta(days=5))  # nothing changed

    ok = schedule(run_cli, ws, now + dt.timedelta(days=3))
    assert ok.exit_code == 0, ok.output
    assert load(ws)["window"] == window(now + dt.timedelta(days=3))
    assert load(ws)["status"] == "submitted"  # a new window withdraws the approvals
    # and the move is announced as a reschedule on the next cron run
    due = run_cli("-C", str(ws), "notices", "send-due")
    assert due.exit_code == 0 and "reschedule" in due.stdout


def test_an_emergency_with_a_reason_may_start_sooner(tmp_path, run_cli):
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    rec = record(
        type="emergency",
        emergency={"reason": "CVE under active exploitation"},
        window=window(now + dt.timedelta(days=5)),
        approvals=APPROVED,
    )
    ws = make_workspace(tmp_path / "ws", {"atom": {"path": "public/notices.atom"}}, records=[rec],
                        policy="version: 1\nlead_time: 2d\n")  # fmt: skip
    assert run_cli("-C", str(ws), "announce", RID).exit_code == 0
    soon = schedule(run_cli, ws, now + dt.timedelta(hours=3))
    assert soon.exit_code == 0, soon.output
