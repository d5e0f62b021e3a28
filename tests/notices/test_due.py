"""Which notices are due: pure logic, record + time in, kinds out."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from changekit.notices.due import Due, due_notices
from tests.notices.workspace import record

START = "2026-12-10T22:00:00+00:00"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def announced(**over):
    """A record announced for its original window (``over`` may then move the window)."""
    first = record()["window"]
    rec = record(**over)
    rec["announcement"] = {
        "announced_at": "2026-12-01T10:00:00+00:00",
        "sequence": 0,
        "window": {"start": first["start"], "end": first["end"]},
    }
    return rec


def kinds(dues):
    return [(d.kind, d.sequence, d.variant) for d in dues]


def test_nothing_is_due_before_the_announcement():
    assert due_notices(record(), ["P1D"], at("2026-12-10T21:00:00+00:00")) == []


def test_announced_change_retries_announcements_only_until_a_reminder_is_due():
    rec = announced()
    assert kinds(due_notices(rec, ["P1D", "PT1H"], at("2026-12-05T00:00:00+00:00"))) == [
        ("announcement", 0, "")
    ]


@pytest.mark.parametrize(
    ("now", "variant"),
    [
        ("2026-12-09T22:00:00+00:00", "P1D"),  # exactly a day before
        ("2026-12-10T20:59:59+00:00", "P1D"),
        ("2026-12-10T21:00:00+00:00", "PT1H"),  # the closer reminder wins once it is due
        ("2026-12-10T21:59:59+00:00", "PT1H"),
    ],
)
def test_the_closest_due_reminder_is_chosen(now, variant):
    due = due_notices(announced(), ["P1D", "PT1H"], at(now))
    assert ("reminder", 0, variant) in kinds(due)
    assert len([d for d in due if d.kind == "reminder"]) == 1


def test_no_reminder_once_the_window_started():
    assert all(d.kind != "reminder" for d in due_notices(announced(), ["P1D"], at(START)))


MOVED = {
    "start": "2026-12-12T22:00:00+00:00",
    "end": "2026-12-12T23:00:00+00:00",
    "timezone": "UTC",
}


def rescheduled_at(moment: str):
    """Announced, moved to MOVED, and the reschedule notice sent at ``moment``."""
    rec = announced(window=MOVED)
    rec["announcement"].update(sequence=1, window={k: MOVED[k] for k in ("start", "end")})
    rec["notices"] = [{"kind": "reschedule", "channel": "email", "audience": "a@x",
                       "at": moment, "sequence": 1, "key": "reschedule/email/a@x/1"}]  # fmt: skip
    return rec


def test_a_moved_window_needs_a_reschedule_with_the_next_sequence_and_reminders_follow_it():
    # the move is noticed a day and a half early: a reschedule, no reminder yet
    due = kinds(due_notices(announced(window=MOVED), ["P1D"], at("2026-12-11T10:00:00+00:00")))
    assert ("reschedule", 1, "") in due and all(k != "reminder" for k, _s, _v in due)
    # once the reschedule went out, the reminder comes a day before the new start
    rec = rescheduled_at("2026-12-11T10:00:00+00:00")
    assert ("reminder", 1, "P1D") in kinds(
        due_notices(rec, ["P1D"], at("2026-12-11T22:00:00+00:00"))
    )


def test_no_reminder_right_after_the_reschedule_notice_that_gave_the_new_time():
    # noticed within a day of the new start: the reschedule notice says when; no "in 1 day"
    late = announced(window=MOVED)
    due = kinds(due_notices(late, ["P1D"], at("2026-12-12T00:00:00+00:00")))
    assert ("reschedule", 1, "") in due and all(k != "reminder" for k, _s, _v in due)
    rec = rescheduled_at("2026-12-12T00:00:00+00:00")
    assert all(
        d.kind != "reminder" for d in due_notices(rec, ["P1D"], at("2026-12-12T00:10:00+00:00"))
    )
    # a closer reminder whose time comes later still goes out
    closer = due_notices(rec, ["P1D", "PT1H"], at("2026-12-12T21:05:00+00:00"))
    assert ("reminder", 1, "PT1H") in kinds(closer)


def announced_before_start(minutes: int):
    """Announced ``minutes`` before the window (2026-12-10 22:00 UTC) starts."""
    rec = announced()
    start = at(START)
    rec["announcement"]["announced_at"] = (start - timedelta(minutes=minutes)).isoformat()
    return rec, start


def test_no_reminder_whose_time_had_passed_when_the_announcement_went_out():
    rec, start = announced_before_start(40)  # QA #19: announced 40 minutes before the start
    for later in (timedelta(seconds=1), timedelta(minutes=10), timedelta(minutes=39)):
        due = due_notices(rec, ["P1D", "PT1H"], start - timedelta(minutes=40) + later)
        assert [d.kind for d in due] == ["announcement"], later


def test_a_reminder_whose_time_comes_after_the_announcement_still_goes_out():
    rec, start = announced_before_start(120)
    assert due_notices(rec, ["P1D", "PT1H"], start - timedelta(minutes=61)) == [
        Due("announcement", 0)
    ]
    due = due_notices(rec, ["P1D", "PT1H"], start - timedelta(minutes=60))
    assert ("reminder", 0, "PT1H") in kinds(due)
    # announced exactly at a reminder's time: the announcement is that notice
    rec, start = announced_before_start(60)
    assert all(
        d.kind != "reminder" for d in due_notices(rec, ["PT1H"], start - timedelta(minutes=30))
    )


def test_same_window_written_with_another_offset_is_not_a_reschedule():
    rec = announced(
        window={
            "start": "2026-12-10T23:00:00+01:00",
            "end": "2026-12-11T00:30:00+01:00",
            "timezone": "Europe/Berlin",
        }
    )
    assert all(
        d.kind != "reschedule" for d in due_notices(rec, ["P1D"], at("2026-12-01T11:00:00+00:00"))
    )


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("in_progress", "start"),
        ("completed", "completion"),
        ("rolled_back", "completion"),
        ("failed", "completion"),
        ("cancelled", "cancellation"),
    ],
)
def test_status_drives_start_completion_and_cancellation(status, kind):
    due = kinds(due_notices(announced(status=status), ["P1D"], at("2026-12-10T22:05:00+00:00")))
    assert (kind, 0, "") in due
    if kind == "start":
        assert due[0] == ("announcement", 0, "")  # still retried while the work runs
    else:
        assert due == [(kind, 0, "")]  # once it is over, no late announcements


def test_keys_tell_kind_variant_channel_audience_and_sequence_apart():
    keys = {
        Due("reminder", 0, "P1D").key("email", "a@x"),
        Due("reminder", 0, "PT1H").key("email", "a@x"),
        Due("reminder", 1, "P1D").key("email", "a@x"),
        Due("reminder", 0, "P1D").key("webhook", "a@x"),
        Due("reminder", 0, "P1D").key("email", "b@x"),
    }
    assert len(keys) == 5


EMERGENCY = {"type": "emergency", "emergency": {"reason": "CVE under active exploitation"}}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("submitted", []),  # not under way yet: `changekit announce` as for any change
        ("in_progress", [("announcement", 0, ""), ("start", 0, "")]),
        ("completed", [("announcement", 0, ""), ("completion", 0, "")]),
        ("rolled_back", [("announcement", 0, ""), ("completion", 0, "")]),
        ("cancelled", []),  # never started, never announced: nobody to call it off for
    ],
)
def test_an_emergency_under_way_that_nobody_announced_is_announced_with_its_start_or_end(
    status, expected
):
    rec = record(status=status, **EMERGENCY)
    assert kinds(due_notices(rec, ["P1D"], at("2026-12-10T22:05:00+00:00"))) == expected


def test_a_normal_change_under_way_without_an_announcement_stays_silent():
    assert due_notices(record(status="in_progress"), ["P1D"], at(START)) == []
