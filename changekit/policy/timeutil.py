"""Durations, timestamps and zones as the policy writes them."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from changekit.errors import InputError

_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


def parse_duration(text: str, *, field: str | None = None, path: str | None = None) -> timedelta:
    """``30m``, ``4h``, ``2d``, ``1w``, ``1d12h`` -> timedelta."""
    m = _DURATION.match(text or "")
    if not text or not m:
        raise InputError(
            f"{text!r} is not a duration",
            path=path,
            field=field,
            hint="write e.g. 30m, 4h, 2d or 1d12h",
        )
    weeks, days, hours, minutes = (int(g) if g else 0 for g in m.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)


def format_duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m" if mins else ""]
    return "".join(parts) or "0m"


def parse_when(text: str, tz: ZoneInfo, *, end: bool = False) -> datetime:
    """A policy date or date-time; a bare date is the start of that day, or with ``end`` the end of it."""
    text = str(text)
    if len(text) == 10:
        day = date.fromisoformat(text)
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time(0, 0), tz)
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=tz)


def human(dt: datetime, tz: ZoneInfo | None = None) -> str:
    """``Sun 2026-11-29 02:00 CET`` in the given zone (the datetime's own by default)."""
    local = dt.astimezone(tz) if tz else dt
    return local.strftime("%a %Y-%m-%d %H:%M %Z").strip()
