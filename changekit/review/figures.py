"""The review's figures about changes, computed from ``history.Change`` (proven facts only).

Which period a change counts in depends on the figure, and is always a proven moment: the
counts by class, type, category, risk and outcome, the success rate and the emergency share
count the changes whose proven outcome was reached in the period; lead times count at their
later step (approved, started); starts outside the window, freeze exceptions, service days
and notices count the changes whose proven start fell in the period.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from changekit.review.figure import Figure, compare
from changekit.review.history import FINISHED, OUTCOMES, Change
from changekit.review.periods import Period
from changekit.review.stats import median, p90, share


class Figures:
    """Figures for ``changes`` over ``period`` against ``previous``."""

    def __init__(self, changes: list[Change], period: Period, previous: Period) -> None:
        self.all, self.period, self.previous = changes, period, previous
        self._memo: dict[tuple[str, Period], list[Change]] = {}

    def _in(self, moment: str, p: Period) -> list[Change]:
        """The changes whose proven ``moment`` falls in ``p`` (each list made once: every
        figure filters these, never all the records again)."""
        key = (moment, p)
        if key not in self._memo:
            self._memo[key] = [c for c in self.all if getattr(c, moment) in p]
        return self._memo[key]

    def filed(self, p: Period) -> list[Change]:
        return self._in("filed", p)

    def ended(self, p: Period) -> list[Change]:
        return self._in("ended", p)

    def started(self, p: Period) -> list[Change]:
        return self._in("started", p)

    def count(
        self, section: str, figure: str, dimension: str, pick: Callable[[Period], list[Change]]
    ) -> Figure:
        def measure(p: Period):
            found = pick(p)
            return len(found), [c.id for c in found]

        return compare(section, figure, dimension, "count", measure, self.period, self.previous)

    def percent(
        self,
        section: str,
        figure: str,
        dimension: str,
        part: Callable[[Change], bool],
        whole: Callable[[Period], list[Change]],
    ) -> Figure:
        """``part`` of ``whole`` in percent; the records are the part's."""

        def measure(p: Period):
            of = whole(p)
            hit = [c for c in of if part(c)]
            return share(len(hit), len(of)), [c.id for c in hit]

        return compare(section, figure, dimension, "percent", measure, self.period, self.previous)

    # -- changes -----------------------------------------------------------------------

    def changes(self) -> list[Figure]:
        s = "changes"
        out = [
            self.count(s, "changes filed", "all", self.filed),
            self.count(s, "changes ended", "all", self.ended),
        ]
        for outcome in OUTCOMES:
            out.append(
                self.count(
                    s,
                    "by outcome",
                    outcome,
                    lambda p, o=outcome: [c for c in self.ended(p) if c.outcome == o],
                )
            )
        for name, key in (("class", "cls"), ("type", "type"), ("category", "category")):
            out += self._by(s, f"by {name}", key)
        out += self._by(s, "by risk", "risk")
        out.append(
            self.percent(
                s,
                "success rate",
                "completed of finished",
                lambda c: c.outcome == "completed",
                lambda p: [c for c in self.ended(p) if c.outcome in FINISHED],
            )
        )
        out.append(
            self.percent(
                s, "emergency share", "emergency of ended", lambda c: c.emergency, self.ended
            )
        )
        return out

    def _by(self, section: str, figure: str, key: str) -> list[Figure]:
        seen = sorted(
            {getattr(c, key) for p in (self.period, self.previous) for c in self.ended(p)}
        )
        return [
            self.count(
                section,
                figure,
                value or "(none)",
                lambda p, v=value: [c for c in self.ended(p) if getattr(c, key) == v],
            )
            for value in seen
        ]

    # -- lead times --------------------------------------------------------------------

    def lead_times(self) -> list[Figure]:
        spans: list[tuple[str, Callable[[Period], list[tuple[str, float]]]]] = [
            (
                "filed to approved",
                lambda p: [
                    (c.id, (c.approved - c.filed).total_seconds())
                    for c in self.all
                    if c.approved in p and c.filed is not None
                ],
            ),
            (
                "approved to start",
                lambda p: [
                    (c.id, (c.started - c.approved).total_seconds())
                    for c in self.started(p)
                    if c.approved is not None and c.approved <= c.started
                ],
            ),
            (
                "announced to start",
                lambda p: [
                    (c.id, (c.started - c.told).total_seconds())
                    for c in self.started(p)
                    if c.told is not None and c.told <= c.started
                ],
            ),
        ]
        out = []
        for name, sample in spans:
            for stat_name, stat in (("median", median), ("p90", p90)):

                def measure(p: Period, sample=sample, stat=stat):
                    found = sample(p)
                    return stat([s for _i, s in found]), [i for i, _s in found]

                out.append(
                    compare(
                        "lead_times",
                        name,
                        stat_name,
                        "seconds",
                        measure,
                        self.period,
                        self.previous,
                    )
                )
        return out

    # -- windows and freezes -----------------------------------------------------------

    def windows(self, policy: Any, inventory: Any) -> tuple[list[Figure], dict[str, Any]]:
        s = "windows"
        forced = self.count(
            s,
            "started outside their window",
            "forced",
            lambda p: [c for c in self.started(p) if c.forced is not None],
        )
        frozen = {c.id: f for c in self.all if (f := _freeze_of(c, policy, inventory))}
        exceptions = self.count(
            s, "freeze exceptions", "ran during a freeze", lambda p: [
                c for c in self.started(p) if c.id in frozen
            ]
        )  # fmt: skip
        details = {
            "forced": [
                {
                    "record": c.id,
                    "started": c.started.isoformat(timespec="seconds"),
                    "window_start": c.window[0].isoformat(timespec="seconds") if c.window else None,
                    "window_end": c.window[1].isoformat(timespec="seconds") if c.window else None,
                    "reason": c.forced,
                }
                for c in sorted(self.started(self.period), key=lambda c: c.started)
                if c.forced is not None
            ],
            "freeze_exceptions": [
                {
                    "record": c.id,
                    "type": c.type,
                    "started": c.started.isoformat(timespec="seconds"),
                    "freeze": frozen[c.id],
                }
                for c in sorted(self.started(self.period), key=lambda c: c.started)
                if c.id in frozen
            ],
        }
        return [forced, exceptions], details

    # -- notices -----------------------------------------------------------------------

    def notices(self) -> list[Figure]:
        """Changes started in the period whose policy asks for notice: told at least the lead
        time before the proven start (on time), told later (late), or never told."""

        def needing(p: Period) -> list[Change]:
            return [c for c in self.started(p) if c.lead]

        def on_time(c: Change) -> bool:
            return c.told is not None and c.told <= c.started - (c.lead or timedelta())

        s = "notices"
        return [
            self.count(s, "notices", "on time", lambda p: [c for c in needing(p) if on_time(c)]),
            self.count(
                s,
                "notices",
                "late",
                lambda p: [c for c in needing(p) if c.told is not None and not on_time(c)],
            ),
            self.count(
                s, "notices", "not sent", lambda p: [c for c in needing(p) if c.told is None]
            ),
            self.percent(s, "notices on time", "share", on_time, needing),
        ]


def _freeze_of(change: Change, policy: Any, inventory: Any) -> str | None:
    """The freeze of its hosts a change ran during (its proven start to its proven end)."""
    if change.started is None or not policy.freezes:
        return None
    from changekit.policy.access import causes_outage

    end = change.ended if change.ended and change.ended > change.started else change.started
    for freeze in policy.freezes_for(change.targets, causes_outage(change.record)):
        if freeze.overlaps(change.started, end + timedelta(seconds=1)):
            return freeze.describe()
    return None
