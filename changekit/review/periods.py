"""The review's period (``--quarter``, ``--month``, ``--from/--to``) and the one before it.

A quarter or month is a calendar one; ``--from/--to`` are days, both included. Each period is
compared with the period of the same length just before it: the previous quarter, the
previous month, or the same number of days. With none of these, the review covers the
current quarter so far (its first day to now), compared with the same stretch of the
previous quarter: what a team looks at during the quarter, and what becomes the quarterly
review once the quarter is over. Days begin at midnight in ``tz`` (UTC by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from changekit.errors import InputError


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime
    end: datetime
    """Exclusive: the first instant after the period."""

    def __contains__(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end

    def as_dict(self) -> dict[str, str]:
        return {
            "label": self.label,
            "start": self.start.isoformat(timespec="seconds"),
            "end": self.end.isoformat(timespec="seconds"),
        }


def _at(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _quarter(year: int, q: int, tz: tzinfo) -> Period:
    start = _month_start(year, 3 * q - 2)
    return Period(f"{year}Q{q}", _at(start, tz), _at(_month_start(year, 3 * q + 1), tz))


def _month(year: int, month: int, tz: tzinfo) -> Period:
    start = _month_start(year, month)
    return Period(
        f"{start:%Y-%m}", _at(start, tz), _at(_month_start(start.year, start.month + 1), tz)
    )


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{option} {text!r} is not a date", field=option, hint="write it as YYYY-MM-DD"
        ) from None


def periods(
    *,
    quarter: str | None = None,
    month: str | None = None,
    since: str | None = None,
    until: str | None = None,
    now: datetime,
    tz: tzinfo,
) -> tuple[Period, Period]:
    """``(period, previous period of the same length)`` from the options as typed."""
    given = [name for name, v in (("--quarter", quarter), ("--month", month)) if v]
    if since or until:
        given.append("--from/--to")
    if len(given) > 1:
        raise InputError(
            f"give one period, not {' and '.join(given)}",
            hint="--quarter 2026Q4, --month 2026-11, or --from 2026-10-01 --to 2026-10-31",
        )
    if quarter:
        found = re.fullmatch(r"(\d{4})-?Q([1-4])", quarter.strip(), re.IGNORECASE)
        if not found:
            raise InputError(
                f"--quarter {quarter!r} is not a quarter", field="--quarter", hint="e.g. 2026Q4"
            )
        year, q = int(found[1]), int(found[2])
        return _quarter(year, q, tz), _quarter(year - (q == 1), (q - 2) % 4 + 1, tz)
    if month:
        found = re.fullmatch(r"(\d{4})-(\d{2})", month.strip())
        if not found or not 1 <= int(found[2]) <= 12:
            raise InputError(
                f"--month {month!r} is not a month", field="--month", hint="e.g. 2026-11"
            )
        year, m = int(found[1]), int(found[2])
        return _month(year, m, tz), _month(year, m - 1, tz)
    if since or until:
        if not (since and until):
            raise InputError(
                "--from and --to go together", hint="e.g. --from 2026-10-01 --to 2026-10-31"
            )
        first, last = _day(since, "--from"), _day(until, "--to")
        if last < first:
            raise InputError(
                f"--to {last} is before --from {first}",
                field="--to",
                hint="give the first day with --from and the last with --to",
            )
        start, end = _at(first, tz), _at(last + timedelta(days=1), tz)
        length = end - start
        return (
            Period(f"{first} to {last}", start, end),
            Period(
                f"{first - (last - first) - timedelta(days=1)} to {first - timedelta(days=1)}",
                start - length,
                start,
            ),
        )
    local = now.astimezone(tz)
    q = (local.month - 1) // 3 + 1
    whole, before = (
        _quarter(local.year, q, tz),
        _quarter(local.year - (q == 1), (q - 2) % 4 + 1, tz),
    )
    so_far = now - whole.start
    return (
        Period(f"{whole.label} so far", whole.start, now),
        Period(f"{before.label} (same stretch)", before.start, before.start + so_far),
    )
