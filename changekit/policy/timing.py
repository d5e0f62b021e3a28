"""The time rules of the policy: maintenance windows, freezes, lead time, the next allowed
window, and conflicts between records. A mixin of ``Policy``; pure, no git."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from changekit.errors import InputError
from changekit.policy.access import (
    announced_at,
    causes_outage,
    data_of,
    record_id,
    window_of,
)
from changekit.policy.conflicts import ConflictIndex
from changekit.policy.freezes import Freeze
from changekit.policy.hosts import Targets, resolve
from changekit.policy.timeutil import format_duration, human
from changekit.policy.windows import Window, openings
from changekit.problems import Problem
from changekit.records.times import zone

NOT_STARTED = ("draft", "submitted", "approved", "scheduled")


class TimeRules:
    """Needs ``windows``, ``freezes``, ``exempt_types``, ``lead_time``, ``conflict_statuses``,
    ``conflicts_allowed`` (the fields of ``Policy``)."""

    # -- time rules ----------------------------------------------------------------

    def exempt(self, record: Any) -> bool:
        """Exempt from windows, freezes and lead time (an emergency only when it says why)."""
        data = data_of(record)
        kind = data.get("type")
        if kind not in self.exempt_types:
            return False
        return kind != "emergency" or bool((data.get("emergency") or {}).get("reason"))

    def windows_for(self, targets: Targets) -> list[list[Window]]:
        """Per distinct host-group set, the windows that apply (hosts without any are free)."""
        out: list[list[Window]] = []
        for groups in set(targets.host_groups):
            applicable = [w for w in self.windows if w.applies_to(set(groups))]
            if applicable and applicable not in out:
                out.append(applicable)
        return out

    def freezes_for(self, targets: Targets, outage: bool) -> list[Freeze]:
        return [
            f
            for f in self.freezes
            if any(f.applies_to(set(g), outage) for g in targets.host_groups)
        ]

    def slot_problems(
        self, record: Any, start: datetime, end: datetime, targets: Targets
    ) -> list[Problem]:
        """Window and freeze problems of running ``record`` from ``start`` to ``end``."""
        rid = record_id(record)
        out = []
        for windows in self.windows_for(targets):
            if not any(w.contains(start, end) for w in windows):
                names = "; ".join(w.describe() for w in windows)
                out.append(
                    Problem(
                        "outside-maintenance-window",
                        f"the window {human(start, windows[0].tz)} to {human(end, windows[0].tz)} "
                        f"is not inside a maintenance window of its hosts ({names})",
                        record=rid,
                        field="window",
                    )
                )
        outage = causes_outage(record)
        for freeze in self.freezes_for(targets, outage):
            if freeze.overlaps(start, end):
                out.append(
                    Problem(
                        "window-in-freeze",
                        f"the window overlaps {freeze.describe()}",
                        record=rid,
                        field="window",
                        path=None if freeze.source == "changekit.yaml" else freeze.source,
                    )
                )
        cls = self.class_of(record)
        if cls is not None and not cls.in_service(start, end):
            tz = cls.service_days[0].tz
            out.append(
                Problem(
                    "outside-service-day",
                    f"{cls.name} changes are done on service days ({cls.describe_days()}), "
                    f"and {human(start, tz)} to {human(end, tz)} is not inside one",
                    record=rid,
                    field="window",
                )
            )
        return out

    def lead_for(self, record: Any) -> timedelta | None:
        """The notice a record needs: the policy's for an outage, its class's for any change
        of the class (the longer when both apply)."""
        leads = [self.lead_time] if self.lead_time and causes_outage(record) else []
        cls = self.class_of(record)
        if cls is not None and cls.lead_time:
            leads.append(cls.lead_time)
        return max(leads) if leads else None

    def lead_problem(self, record: Any, start: datetime, since: datetime) -> Problem | None:
        lead = self.lead_for(record)
        if not lead:
            return None
        if start - since >= lead:
            return None
        cls = self.class_of(record)
        what = (
            f"a change of class {cls.name}"
            if cls is not None and cls.lead_time == lead
            else "an outage"
        )
        return Problem(
            "lead-time-too-short",
            f"{what} needs {format_duration(lead)} notice, but the window starts "
            f"{format_duration(max(start - since, timedelta(0)))} after {'it was announced' if announced_at(record) else 'now'}",
            record=record_id(record),
            field="window.start",
        )

    def next_allowed(
        self, record: Any, inventory: Any | None, after: datetime
    ) -> tuple[datetime, datetime] | None:
        """The earliest slot of the record's length, starting at or after ``after``, that the policy allows."""
        win = window_of(record)
        length = (win[1] - win[0]) if win else timedelta(hours=1)
        targets = resolve(record, inventory)
        # whole minutes, rounded up: a slot a second early may be inside the notice
        exact = after.astimezone(UTC)
        after = exact.replace(second=0, microsecond=0)
        if after < exact:
            after += timedelta(minutes=1)
        candidates = {after}
        for windows in self.windows_for(targets):
            candidates |= {s for s, _e, _w in openings(windows, after) if s > after}
        candidates |= {f.end for f in self.freezes if f.end > after}
        cls = self.class_of(record)
        if cls is not None and cls.service_days:
            candidates |= {s for s, _e, _w in openings(list(cls.service_days), after) if s > after}
        for start in sorted(candidates):
            if start - after > timedelta(days=400):
                break
            if not self.slot_problems(record, start, start + length, targets):
                return start, start + length
        return None

    def _next_hint(self, record: Any, inventory: Any | None, after: datetime) -> str | None:
        slot = self.next_allowed(record, inventory, after)
        if slot is None:
            return "no allowed slot in the next 400 days: check the policy's windows and freezes"
        return self._slot_text(record, slot)

    def _slot_text(self, record: Any, slot: tuple[datetime, datetime], tz: Any = None) -> str:
        """In the record's window's zone, else ``tz``, else the first maintenance window's."""
        tz = tz or (self.windows[0].tz if self.windows else slot[0].tzinfo)
        win = data_of(record).get("window") or {}
        if win.get("timezone"):
            with contextlib.suppress(InputError):  # an unknown zone is reported by the schema check
                tz = zone(win["timezone"])
        return f"the next allowed window is {human(slot[0], tz)} to {human(slot[1], tz)}"

    # -- the checks the lifecycle calls ---------------------------------------------

    def _timing(
        self,
        record: Any,
        records: Iterable[Any],
        inventory: Any | None,
        since: datetime,
        now: datetime,
    ) -> list[Problem]:
        win = window_of(record)
        if win is None:
            return []
        start, end = win
        rid = record_id(record)
        if end <= start:
            return [
                Problem(
                    "window-empty",
                    "the window ends before it starts",
                    record=rid,
                    field="window.end",
                )
            ]
        out: list[Problem] = []
        if not self.exempt(record):
            out += self.slot_problems(record, start, end, resolve(record, inventory))
            lead = self.lead_problem(record, start, since)
            if lead:
                out.append(lead)
            if out:
                # the nearest slot at or after the one asked for, never in the past or inside the notice
                earliest = max(now, start)
                lead = self.lead_for(record)
                if lead:
                    earliest = max(earliest, since + lead)
                hint = self._room_hint(record, records, inventory, earliest, now)
                out = [Problem(**{**p.as_dict(), "hint": p.hint or hint}) for p in out]
        out += self.conflict_problems(record, records, inventory)
        return out

    def conflict_problems(
        self, record: Any, records: Iterable[Any] | ConflictIndex, inventory: Any | None
    ) -> list[Problem]:
        win = window_of(record)
        if win is None:
            return []
        index = (
            records
            if isinstance(records, ConflictIndex)
            else ConflictIndex(records, inventory, self.conflict_statuses)
        )
        out = []
        for other_id, common, _other in index.conflicts(record, *win):
            out.append(
                Problem(
                    "conflict",
                    f"overlaps {other_id} on {', '.join(sorted(common))} at the same time",
                    record=record_id(record),
                    field="window",
                    hint=f"move one of the windows, or coordinate with the owner of {other_id}",
                    severity="medium" if self.conflicts_allowed else "high",
                )
            )
        return out
