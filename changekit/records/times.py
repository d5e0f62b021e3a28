"""Timezone-aware times: parsing what people type, and the ISO strings records store."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from changekit.errors import InputError


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """ISO 8601 with an offset, to the second (what records store)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.replace(microsecond=0).isoformat()


def zone(name: str, *, field: str | None = "timezone", path: str | None = None) -> ZoneInfo:
    """The IANA zone ``name``; an ``InputError`` naming the field (and file) otherwise."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"unknown time zone {name!r}",
            path=path,
            field=field,
            hint="use an IANA name such as Europe/Berlin, America/New_York or UTC",
        ) from None


def parse_moment(text: str, tz: str | None, *, field: str) -> datetime:
    """Parse ``2026-12-06 02:00`` (local to ``tz``) or an ISO time with an offset.

    A local time that does not exist in ``tz`` (the hour skipped when clocks go
    forward) is refused instead of silently shifted.
    """
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "T", 1) if "T" not in raw else raw)
    except ValueError:
        raise InputError(
            f"{text!r} is not a date and time",
            field=field,
            hint="write it like 2026-12-06 02:00 (local to --tz) or 2026-12-06T02:00+01:00",
        ) from None
    if moment.tzinfo is not None:
        return moment.astimezone(zone(tz)) if tz else moment
    if not tz:
        raise InputError(
            f"{text!r} has no time zone",
            field=field,
            hint="add --tz ZONE (e.g. --tz Europe/Berlin) or write an offset like +01:00",
        )
    zi = zone(tz)
    local = moment.replace(tzinfo=zi)
    # round trip through UTC: a time in the spring-forward gap comes back different
    if local.astimezone(UTC).astimezone(zi).replace(tzinfo=None) != moment:
        raise InputError(
            f"{text} does not exist in {tz} (the clocks skip that hour)",
            field=field,
            hint="pick a time outside the daylight-saving change",
        )
    return local


def parse_day_or_moment(text: str, tz: str | None, *, field: str, end: bool = False) -> datetime:
    """Like ``parse_moment`` but a bare date means its start (or, with ``end``, its end)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return parse_moment(text, tz or "UTC", field=field)
    zi = zone(tz or "UTC")
    return datetime.combine(day, time.max if end else time.min, tzinfo=zi)


def parse_stored(text: str) -> datetime:
    """A timestamp as stored in a record or snapshot (always with an offset; ``Z`` allowed)."""
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without offset: {text}")
    return moment
