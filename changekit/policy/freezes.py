"""Freeze (blackout) periods: from the policy, or from events in ``.ics`` files in the repository."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from changekit.errors import InputError
from changekit.policy.timeutil import human, parse_when


@dataclass(frozen=True)
class Freeze:
    name: str
    start: datetime
    """UTC."""
    end: datetime
    """UTC, exclusive."""
    tz: ZoneInfo
    groups: frozenset[str] | None = None
    """Host groups frozen; None means every host."""
    outages_only: bool = False
    source: str = "changekit.yaml"

    def applies_to(self, host_groups: set[str], outage: bool) -> bool:
        if self.outages_only and not outage:
            return False
        return self.groups is None or bool(self.groups & host_groups)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return start < self.end and self.start < end

    def describe(self) -> str:
        what = "no outages" if self.outages_only else "no changes"
        who = f" for {', '.join(sorted(self.groups))}" if self.groups else ""
        return f"freeze {self.name!r} ({what}{who}, {human(self.start, self.tz)} to {human(self.end, self.tz)})"


def from_policy(data: dict, default_tz: ZoneInfo, tz: ZoneInfo | None = None) -> Freeze:
    tz = tz or default_tz
    start = parse_when(data["from"], tz)
    end = parse_when(data["to"], tz, end=True)
    return Freeze(
        name=data["name"],
        start=start.astimezone(UTC),
        end=end.astimezone(UTC),
        tz=tz,
        groups=frozenset(data["groups"]) if data.get("groups") else None,
        outages_only=bool(data.get("outages_only", False)),
    )


def _as_utc(value: date | datetime, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(UTC)
    return datetime.combine(value, time(0, 0), tz).astimezone(UTC)


def from_calendar(
    path: Path,
    *,
    relpath: str,
    tz: ZoneInfo,
    groups: list[str] | None,
    outages_only: bool,
    around: datetime,
) -> list[Freeze]:
    """Every event (recurring ones expanded) from two years before to five years after ``around``."""
    import icalendar
    import recurring_ical_events

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            "calendar file not found", path=relpath, hint="fix `calendars[].file` in changekit.yaml"
        ) from None
    try:
        cal = icalendar.Calendar.from_ical(raw)
        events = recurring_ical_events.of(cal).between(
            around - timedelta(days=730), around + timedelta(days=1826)
        )
    except Exception as exc:  # icalendar raises ValueError and friends with no common base
        raise InputError(f"not a valid iCalendar file: {exc}", path=relpath) from None
    out = []
    for event in events:
        start = event.get("DTSTART")
        if start is None:
            continue
        end = event.get("DTEND")
        start_v = start.dt
        if end is not None:
            end_v = end.dt
        elif isinstance(start_v, datetime):
            end_v = start_v + (event.get("DURATION").dt if event.get("DURATION") else timedelta(0))
        else:
            end_v = start_v + timedelta(days=1)
        out.append(
            Freeze(
                name=str(event.get("SUMMARY", "calendar event")),
                start=_as_utc(start_v, tz),
                end=_as_utc(end_v, tz),
                tz=tz,
                groups=frozenset(groups) if groups else None,
                outages_only=outages_only,
                source=relpath,
            )
        )
    return out
