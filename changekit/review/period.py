"""WHEN for a period's ends, as people write it: ``yesterday``, ``today``, ``now``, ``7d``,
``36h``, ``2w``, a date, an ISO time or a scan id.

``changekit.facts.when.resolve`` reads each of these as an instant ("the state at"): a day
there means its end. A period starts at the beginning of its first day, so ``--since
yesterday`` starts at yesterday's midnight and ``--until 2026-11-30`` ends at that day's
end. A time without an offset is in the local zone, as everywhere in changekit.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, tzinfo

from changekit.errors import InputError
from changekit.facts.when import HINT, local_zone, resolve

_DAY = re.compile(r"^(today|yesterday|\d{4}-\d{2}-\d{2})$", re.IGNORECASE)


def moment(
    text: str, *, start: bool, now: datetime, tz: tzinfo | None = None, option: str = "WHEN"
) -> datetime:
    """The instant ``text`` names: with ``start``, a day means its first instant."""
    try:
        _scan, instant = resolve(text, now=now, tz=tz)
        if start and _DAY.match(text.strip()):
            instant = datetime.combine(instant.date(), time.min, tzinfo=instant.tzinfo)
        instant.astimezone(UTC), instant.astimezone(tz or local_zone())  # both are shown
    except InputError as exc:
        raise InputError(f"{option}: {exc.message}", field=option, hint=HINT) from None
    except OverflowError:
        raise InputError(
            f"{option}: {text!r} is out of range",
            field=option,
            hint="give a time between the years 2 and 9998; " + HINT,
        ) from None
    return instant


def period(
    since: str | datetime | None,
    until: str | datetime | None,
    *,
    now: datetime,
    tz: tzinfo | None = None,
) -> tuple[datetime, datetime]:
    """``(since, until)`` from what was typed (or given); 7 days back to now by default.
    A period that ends before it starts is refused."""
    start = since if isinstance(since, datetime) else None
    end = until if isinstance(until, datetime) else None
    if start is None:
        start = moment(str(since or "7d"), start=True, now=now, tz=tz, option="--since")
    if end is None:
        end = moment(str(until or "now"), start=False, now=now, tz=tz, option="--until")
    for name, value in (("since", start), ("until", end)):
        if value.tzinfo is None:
            raise InputError(f"{name} has no time zone", hint="give a timezone-aware datetime")
    if end < start:
        raise InputError(
            f"the period ends ({end.isoformat(timespec='seconds')}) before it starts "
            f"({start.isoformat(timespec='seconds')})",
            field="--until",
            hint="give --since an earlier time than --until (e.g. --since 7d --until now)",
        )
    return start, end
