"""Quota use per month and service-day adherence, per change class (proven facts only).

A change uses its class's quota in the month its window starts (in the quota's zone), as the
gate counts it: while its proven status is one that counts (filed and not rejected or
cancelled). Service-day adherence is the share of a class's changes started in the period
whose proven start fell inside one of the class's service days.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from changekit.policy.classes import COUNTED
from changekit.review.figure import Figure, compare
from changekit.review.history import Change
from changekit.review.periods import Period
from changekit.review.stats import share


def months(period: Period, quota: Any) -> list[str]:
    """The quota months (``YYYY-MM`` in its zone) the period touches, in order."""
    found: list[str] = []
    moment = period.start
    last = max(period.start, period.end - timedelta(seconds=1))
    while True:
        key = quota.month(moment)
        if key not in found:
            found.append(key)
        if key == quota.month(last):
            return found
        moment = quota.month_start(quota.next_month(key))


def _counted(change: Change, quota: Any) -> str | None:
    """The month ``change`` uses a quota in, or None when it uses none."""
    if change.status not in COUNTED:
        return None
    when: datetime | None = change.window[0] if change.window else change.filed
    return quota.month(when) if when else None


def quota_figures(
    changes: list[Change], policy: Any, period: Period, previous: Period
) -> list[Figure]:
    out: list[Figure] = []
    for cls in policy.classes:
        quota = cls.quota
        if quota is None:
            continue
        per = quota.per
        uses: dict[tuple[str, str | None], list[str]] = defaultdict(list)
        found: set[str] = set()
        for c in changes:
            if c.cls != cls.name or (month := _counted(c, quota)) is None:
                continue
            uses[(month, None)].append(c.id)
            if per != "total":
                mine = getattr(c, f"{per}s")
                found |= mine
                for owner in mine:
                    uses[(month, owner)].append(c.id)
        owners: list[str | None] = sorted(found) if found else [None]
        now, before = months(period, quota), months(previous, quota)
        for i, month in enumerate(now):
            earlier = before[i] if i < len(before) else None
            for owner in owners:
                ids, old = uses.get((month, owner), []), uses.get((earlier, owner), [])  # type: ignore[arg-type]
                out.append(
                    Figure(
                        "quotas",
                        f"quota use {cls.name}",
                        month + (f" {owner}" if owner else ""),
                        "count",
                        len(ids),
                        len(old) if earlier else None,
                        sorted(ids),
                        sorted(old),
                        {"limit": quota.count, "per": per, "owner": owner},
                    )
                )
    return out


def service_figures(
    changes: list[Change], policy: Any, period: Period, previous: Period
) -> list[Figure]:
    out = []
    for cls in policy.classes:
        if not cls.service_days:
            continue

        def started(p: Period, name=cls.name) -> list[Change]:
            return [c for c in changes if c.cls == name and c.started in p]

        def inside(c: Change, cls=cls) -> bool:
            return c.started is not None and cls.in_service(c.started, c.started)

        def adherence(p: Period, started=started, inside=inside):
            found = started(p)
            hit = [c.id for c in found if inside(c)]
            return share(len(hit), len(found)), hit

        def outside(p: Period, started=started, inside=inside):
            found = [c.id for c in started(p) if not inside(c)]
            return len(found), found

        out.append(
            compare(
                "quotas", "service-day adherence", cls.name, "percent", adherence, period, previous
            )
        )
        out.append(
            compare(
                "quotas", "started outside service days", cls.name, "count", outside, period,
                previous,
            )
        )  # fmt: skip
    return out
