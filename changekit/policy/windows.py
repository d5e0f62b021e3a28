"""Recurring weekly maintenance windows, DST-correct: 02:00-06:00 local stays 02:00-06:00 local."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from changekit.policy.timeutil import human

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Window:
    name: str
    days: frozenset[int]
    """Weekdays the window opens on, 0 = Monday."""
    start: time
    end: time
    end_is_midnight: bool
    """``24:00``: the end of the opening day."""
    tz: ZoneInfo
    groups: frozenset[str] | None = None
    """Host groups it is for; None means every host."""

    @classmethod
    def from_policy(cls, data: dict, tz: ZoneInfo) -> Window:
        end_text = data["end"]
        end_midnight = end_text == "24:00"
        return cls(
            name=data["name"],
            days=frozenset(DAYS.index(d) for d in data["days"]),
            start=time.fromisoformat(data["start"]),
            end=time(0, 0) if end_midnight else time.fromisoformat(end_text),
            end_is_midnight=end_midnight,
            tz=tz,
            groups=frozenset(data["groups"]) if data.get("groups") else None,
        )

    def applies_to(self, host_groups: set[str]) -> bool:
        return self.groups is None or bool(self.groups & host_groups)

    def occurrences(
        self, after: datetime, *, days: int = 400
    ) -> Iterator[tuple[datetime, datetime]]:
        """Each opening ``(start, end)`` in UTC that ends after ``after``, in time order."""
        first = after.astimezone(self.tz).date() - timedelta(days=1)
        for offset in range(days + 2):
            day = first + timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            start = datetime.combine(day, self.start, self.tz)
            end_day = (
                day + timedelta(days=1) if self.end_is_midnight or self.end <= self.start else day
            )
            end = datetime.combine(end_day, self.end, self.tz)
            # compare in UTC: aware datetimes sharing a tzinfo compare naively (wrong across DST)
            start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
            if end_utc > after:
                yield start_utc, end_utc

    def contains(self, start: datetime, end: datetime) -> bool:
        """Does ``[start, end]`` fit inside one opening?"""
        for occ_start, occ_end in self.occurrences(start - timedelta(days=1), days=3):
            if occ_start <= start and end <= occ_end:
                return True
            if occ_start > start:
                return False
        return False

    def describe(self) -> str:
        names = ", ".join(DAYS[d].capitalize() for d in sorted(self.days))
        end = "24:00" if self.end_is_midnight else self.end.strftime("%H:%M")
        return f"{self.name} ({names} {self.start.strftime('%H:%M')}-{end} {self.tz.key})"


def fits_any(windows: list[Window], start: datetime, end: datetime) -> bool:
    return any(w.contains(start, end) for w in windows)


def openings(
    windows: list[Window], after: datetime, *, days: int = 400
) -> list[tuple[datetime, datetime, Window]]:
    """Every opening of any of ``windows`` ending after ``after``, sorted by start."""
    found = [(s, e, w) for w in windows for s, e in w.occurrences(after, days=days)]
    found.sort(key=lambda item: (item[0], item[1]))
    return found


def describe_slot(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    return f"{human(start, tz)} to {human(end, tz)}"
