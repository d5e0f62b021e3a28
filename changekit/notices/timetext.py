"""Times as a reader reads them: in their zone, with the zone named."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def when(moment: datetime, zone: str) -> str:
    """``Tuesday 1 December 2026, 22:00 CET`` in ``zone``."""
    t = local(moment, zone)
    return f"{t:%A} {t.day} {t:%B %Y, %H:%M} {t.tzname()}"


def span(start: datetime, end: datetime, zone: str) -> str:
    """``Tuesday 1 December 2026, 22:00 to 23:30 CET (Europe/Berlin)``; the end's day only when it differs."""
    s, e = local(start, zone), local(end, zone)
    until = f"{e:%H:%M}" if s.date() == e.date() else f"{e:%A} {e.day} {e:%B %Y, %H:%M}"
    tz = s.tzname() if s.tzname() == e.tzname() else f"{s.tzname()}/{e.tzname()}"
    return f"{s:%A} {s.day} {s:%B %Y, %H:%M} to {until} {tz} ({zone})"


def duration(delta: timedelta) -> str:
    """``1 hour 30 minutes``."""
    minutes = int(delta.total_seconds() // 60)
    return minutes_text(minutes)


def minutes_text(minutes: int) -> str:
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    for n, unit in ((days, "day"), (hours, "hour"), (mins, "minute")):
        if n:
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    return " ".join(parts) or "less than a minute"


def roughly(delta: timedelta) -> str:
    """Time left as a reader wants it: ``40 minutes``, ``1 hour 35 minutes``, ``1 day``.

    Exact to the minute when close, then to 5 minutes, to the hour within two days,
    and to the day beyond; rounded to the nearest step, never below one step."""
    minutes = delta.total_seconds() / 60
    if minutes < 1:
        return "less than a minute"
    step = 1 if minutes < 10 else 5 if minutes < 120 else 60 if minutes < 48 * 60 else 24 * 60
    return minutes_text(max(step, int(minutes / step + 0.5) * step))
