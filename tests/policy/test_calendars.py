"""Freezes from .ics files: all-day, timed with TZID, and RRULE-recurring events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import icalendar

from changekit.policy import load_policy

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//changekit tests//EN
BEGIN:VEVENT
UID:payroll@example.org
DTSTAMP:20260101T000000Z
SUMMARY:Payroll run
DTSTART;TZID=Europe/Berlin:20260128T180000
DTEND;TZID=Europe/Berlin:20260128T230000
RRULE:FREQ=MONTHLY;BYMONTHDAY=28
END:VEVENT
BEGIN:VEVENT
UID:xmas@example.org
DTSTAMP:20260101T000000Z
SUMMARY:Christmas
DTSTART;VALUE=DATE:20261224
DTEND;VALUE=DATE:20261227
END:VEVENT
END:VCALENDAR
"""


def write_policy(root: Path) -> None:
    (root / "calendars").mkdir()
    (root / "calendars/freezes.ics").write_text(ICS.replace("\n", "\r\n"))
    (root / "changekit.yaml").write_text(
        "version: 1\ncalendars:\n  - file: calendars/freezes.ics\n    groups: [finance]\n    timezone: Europe/Berlin\n"
    )


def record(start: str, end: str, hosts=("group:finance",)) -> dict:
    return {"id": "CHG-20261125-aaaaaa", "type": "normal", "risk": "low", "status": "draft",
            "requester": {"name": "R", "email": "r@example.org"}, "hosts": list(hosts),
            "window": {"start": start, "end": end, "timezone": "Europe/Berlin"}}  # fmt: skip


def test_calendar_freezes_refuse_overlapping_windows(tmp_path):
    write_policy(tmp_path)
    # the file is a real calendar (an independent parser reads it)
    assert (
        len(
            icalendar.Calendar.from_ical((tmp_path / "calendars/freezes.ics").read_bytes()).walk(
                "VEVENT"
            )
        )
        == 2
    )
    policy = load_policy(tmp_path, now=datetime(2026, 11, 1, tzinfo=UTC))
    now = datetime(2026, 11, 1, tzinfo=UTC)
    # the recurring payroll run on 2026-11-28 18:00-23:00 Berlin
    hit = policy.check_submit(
        record("2026-11-28T20:00:00+01:00", "2026-11-28T21:00:00+01:00"), [], None, now
    )
    assert [p.code for p in hit] == ["window-in-freeze"]
    assert "'Payroll run'" in hit[0].message and hit[0].path == "calendars/freezes.ics"
    assert (
        hit[0].hint
        == "the next allowed window is Sat 2026-11-28 23:00 CET to Sun 2026-11-29 00:00 CET"
    )
    # an all-day event covers its whole days, in the calendar's zone
    xmas = policy.check_submit(
        record("2026-12-26T23:30:00+01:00", "2026-12-27T00:30:00+01:00"), [], None, now
    )
    assert [p.code for p in xmas] == ["window-in-freeze"]
    assert (
        policy.check_submit(
            record("2026-12-27T00:00:00+01:00", "2026-12-27T01:00:00+01:00"), [], None, now
        )
        == []
    )
    # hosts outside the frozen group are not affected
    other = record("2026-11-28T20:00:00+01:00", "2026-11-28T21:00:00+01:00", hosts=("web1",))
    assert policy.check_submit(other, [], None, now) == []


def test_broken_calendar_is_bad_input(tmp_path):
    write_policy(tmp_path)
    (tmp_path / "calendars/freezes.ics").write_text("BEGIN:VCALENDAR\nthis is not ical\n")
    import pytest

    from changekit.errors import InputError

    with pytest.raises(InputError) as err:
        load_policy(tmp_path)
    assert (
        err.value.path == "calendars/freezes.ics"
        and "not a valid iCalendar file" in err.value.message
    )
