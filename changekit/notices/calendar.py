"""iCalendar (RFC 5545) for changes: one VEVENT per change, with a UID that never changes."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

import icalendar

from changekit import __version__

PRODID = f"-//changekit//changekit {__version__}//EN"


def uid(change_id: str) -> str:
    """Stable across reschedules, so calendars update the event instead of adding one."""
    return f"{change_id}@changekit"


def event(
    record: dict[str, Any],
    *,
    sequence: int,
    now: datetime,
    description: str = "",
    organizer: str | None = None,
    cancelled: bool = False,
) -> icalendar.Event:
    window = record["window"]
    ev = icalendar.Event()
    ev.add("uid", uid(record["id"]))
    ev.add("dtstamp", now.astimezone(UTC))
    ev.add("dtstart", datetime.fromisoformat(window["start"]).astimezone(UTC))
    ev.add("dtend", datetime.fromisoformat(window["end"]).astimezone(UTC))
    ev.add("sequence", sequence)
    ev.add("summary", f"Maintenance: {record['title']} ({record['id']})")
    if description:
        ev.add("description", description)
    ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    ev.add("transp", "TRANSPARENT")  # a maintenance window does not make readers busy
    if record.get("services"):
        ev.add("categories", list(record["services"]))
    if organizer:
        name, addr = parseaddr(organizer)
        org = icalendar.vCalAddress(f"mailto:{addr}")
        if name:
            org.params["cn"] = icalendar.vText(name)
        ev.add("organizer", org)
    return ev


def calendar(
    events: list[icalendar.Event], *, method: str | None = None, name: str | None = None
) -> bytes:
    """A VCALENDAR holding ``events``; ``method`` PUBLISH or CANCEL for an email attachment."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    for ev in events:
        cal.add_component(ev)
    return cal.to_ical()


def for_notice(
    record: dict[str, Any],
    *,
    kind: str,
    sequence: int,
    now: datetime,
    description: str,
    organizer: str | None,
) -> bytes | None:
    """The calendar object a notice carries: PUBLISH the event, or CANCEL it."""
    if not record.get("window") or kind in ("start", "completion"):
        return None
    cancelled = kind == "cancellation"
    ev = event(
        record,
        sequence=sequence,
        now=now,
        description=description,
        organizer=organizer,
        cancelled=cancelled,
    )
    return calendar([ev], method="CANCEL" if cancelled else "PUBLISH")


def upcoming(
    records: list[dict[str, Any]], *, now: datetime, name: str, organizer: str | None = None
) -> bytes:
    """The subscribable calendar: every announced change whose window has not ended, also
    one that is already completed (or failed, rolled back) inside it.

    Cancelled and rejected ones stay in as STATUS:CANCELLED so subscribed calendars drop them."""
    events = []
    for rec in sorted(records, key=lambda r: (r.get("window") or {}).get("start", "")):
        ann = rec.get("announcement") or {}
        window = rec.get("window")
        if not ann.get("announced_at") or not window:
            continue
        if datetime.fromisoformat(window["end"]) <= now:
            continue
        # a change that ended early stays in until its window ends: readers were told that
        # window, and a subscribed calendar that lost the event would look cancelled
        cancelled = rec.get("status") in ("cancelled", "rejected")
        seq = int(ann.get("sequence") or 0) + (1 if cancelled else 0)
        events.append(
            event(
                rec,
                sequence=seq,
                now=now,
                description=(rec.get("description") or "").strip(),
                organizer=organizer,
                cancelled=cancelled,
            )
        )
    return calendar(events, method="PUBLISH", name=name)
