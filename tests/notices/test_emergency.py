"""QA #12: an emergency that starts before anyone announced it still tells the people it affects.

Driven through the real lifecycle commands (``change start``/``complete``) and the real clock,
with a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt

from tests.notices.helpers import parts
from tests.notices.workspace import RID, load, make_workspace, record

REASON = "CVE-2026-0002 is exploited on our web servers"


def emergency(now: dt.datetime) -> dict:
    return record(
        type="emergency",
        emergency={"reason": REASON},
        status="submitted",  # an emergency may start before it is approved
        window={
            "start": (now - dt.timedelta(minutes=5)).isoformat(),
            "end": (now + dt.timedelta(minutes=55)).isoformat(),
            "timezone": "UTC",
        },
    )


def texts(smtp, addr: str) -> list[tuple[str, str]]:
    return [
        (m["Subject"], parts(m)["text/plain"].get_content())
        for m in smtp.inbox.messages
        if m["To"].addresses[0].addr_spec == addr
    ]


def started_at(ws) -> dt.datetime:
    entry = next(h for h in reversed(load(ws)["history"]) if h["status"] == "in_progress")
    return dt.datetime.fromisoformat(entry["at"])


def test_send_due_announces_an_emergency_under_way_then_its_end(
    tmp_path, run_cli, smtp, notices_config
):
    notices_config["channels"] = ["email", "atom"]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ws = make_workspace(tmp_path / "ws", notices_config, records=[emergency(now)])
    assert run_cli("-C", str(ws), "notices", "send-due").stdout.strip() == "nothing due"

    start = run_cli("-C", str(ws), "change", "start", RID)
    assert start.exit_code == 0, start.output
    began = started_at(ws)
    due = run_cli("-C", str(ws), "notices", "send-due")
    assert due.exit_code == 0, due.output

    (announcement, started) = texts(smtp, "web-team@example.org")  # in this order
    assert announcement[0].startswith(f"[{RID}] Emergency maintenance: Upgrade Apache")
    assert "This is an emergency change that affects you, with an outage." in announcement[1]
    assert f"could not wait: {REASON}." in announcement[1]
    ny = began.astimezone(dt.timezone(dt.timedelta(hours=-5)))  # New York in December
    assert f"Work started on {ny:%A} {ny.day} {ny:%B %Y, %H:%M} EST" in announcement[1]
    assert started[0].startswith(f"[{RID}] Started: Upgrade Apache")
    assert f"Started: {ny:%A} {ny.day} {ny:%B %Y, %H:%M} EST" in started[1]
    assert "earlier than" not in started[1]  # it started inside its window
    rec = load(ws)
    assert rec["announcement"]["announced_at"]
    assert {(n["kind"], n["channel"]) for n in rec["notices"]} == {
        ("announcement", "email"), ("announcement", "atom"), ("start", "email"), ("start", "atom")
    }  # fmt: skip
    assert run_cli("-C", str(ws), "notices", "send-due").stdout.strip() == "nothing due"

    done = run_cli("-C", str(ws), "change", "complete", RID, "--notes", "Patched and restarted.")
    assert done.exit_code == 0, done.output
    smtp.inbox.messages.clear()
    finished = run_cli("-C", str(ws), "notices", "send-due")
    assert finished.exit_code == 0, finished.output
    ((subject, body),) = texts(smtp, "web-team@example.org")
    assert subject.startswith(f"[{RID}] Completed:")
    assert "went as planned" in body and "Patched and restarted." in body
    assert "Ended: " in body


def test_announce_of_an_emergency_under_way_sends_the_announcement_and_the_start(
    tmp_path, run_cli, smtp, notices_config
):
    notices_config["channels"] = ["email"]
    ws = make_workspace(
        tmp_path / "ws", notices_config, records=[emergency(dt.datetime.now(dt.UTC))]
    )
    assert run_cli("-C", str(ws), "change", "start", RID).exit_code == 0
    announced = run_cli("-C", str(ws), "announce", RID)
    assert announced.exit_code == 0, announced.output
    kinds = sorted({n["kind"] for n in load(ws)["notices"]})
    assert kinds == ["announcement", "start"]
    assert len(smtp.inbox.messages) == 6  # three readers, two notices each


def test_an_emergency_that_ended_before_cron_ran_is_still_told_with_its_outcome(
    tmp_path, run_cli, smtp, notices_config
):
    notices_config["channels"] = ["email"]
    ws = make_workspace(
        tmp_path / "ws", notices_config, records=[emergency(dt.datetime.now(dt.UTC))]
    )
    assert run_cli("-C", str(ws), "change", "start", RID).exit_code == 0
    assert (
        run_cli("-C", str(ws), "change", "rollback", RID, "--notes", "It broke logins.").exit_code
        == 0
    )
    due = run_cli("-C", str(ws), "notices", "send-due")
    assert due.exit_code == 0, due.output
    got = texts(smtp, "intranet-users@example.org")
    assert [s.split("]")[1].split(":")[0].strip() for s, _b in got] == [
        "Emergency maintenance",
        "Rolled back",
    ]
    assert f"could not wait: {REASON}." in got[0][1]


def test_a_normal_change_started_without_an_announcement_sends_nothing(
    tmp_path, run_cli, smtp, notices_config
):
    rec = emergency(dt.datetime.now(dt.UTC))
    rec.update(type="normal", status="in_progress")
    del rec["emergency"]
    ws = make_workspace(tmp_path / "ws", notices_config, records=[rec])
    assert run_cli("-C", str(ws), "notices", "send-due").stdout.strip() == "nothing due"
    assert smtp.inbox.messages == []
