"""Reading back what the channels produced, with independent parsers."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import icalendar

from tests.notices.workspace import git


def parts(msg: EmailMessage) -> dict[str, EmailMessage]:
    """The leaf parts of a message by content type."""
    return {p.get_content_type(): p for p in msg.walk() if not p.is_multipart()}


def attached_calendar(msg: EmailMessage) -> icalendar.Calendar:
    part = parts(msg)["text/calendar"]
    assert part.get_content_disposition() == "attachment"
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def check_calendar(cal: icalendar.Calendar) -> list[icalendar.Event]:
    """RFC 5545's required properties, and no component icalendar could not parse."""
    assert cal.name == "VCALENDAR"
    assert cal["VERSION"] == "2.0" and cal.get("PRODID")
    events = list(cal.walk("VEVENT"))
    for ev in events:
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY"):
            assert prop in ev, prop
        assert ev.decoded("DTEND") > ev.decoded("DTSTART")
    assert not [c.errors for c in cal.walk() if c.errors]
    return events


def read_calendar(path: Path) -> list[icalendar.Event]:
    return check_calendar(icalendar.Calendar.from_ical(path.read_bytes()))


def commits(root: Path) -> list[str]:
    return git(root, "log", "--format=%H %s").splitlines()


def clean(root: Path) -> bool:
    return git(root, "status", "--porcelain") == ""
