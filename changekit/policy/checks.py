"""What the lifecycle (submit, schedule) and the CI gate ask of one record. A mixin of ``Policy``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from changekit.policy.access import (
    announced_at,
    data_of,
    history_time,
    last_history_time,
    record_id,
    window_of,
)
from changekit.policy.conflicts import ConflictIndex
from changekit.policy.timeutil import human
from changekit.policy.timing import NOT_STARTED
from changekit.problems import Problem

EXCEPTIONS = ("over-quota", "outside-service-day")
"""Problems a change class's exception approval lifts."""


class LifecycleChecks:
    """Needs the approval methods and the time rules of ``Policy``."""

    def _standard_problem(self, record: Any) -> Problem | None:
        data = data_of(record)
        if data.get("type") != "standard":
            return None
        if self.is_preapproved_template(data.get("template")):
            return self.preapproval_problem(record)  # diverged from its template: a normal change
        templates = ", ".join(sorted(self.standard_templates)) or "(none yet)"
        return Problem(
            "standard-without-template",
            "a standard change must be filed from a pre-approved template; this one is treated as a normal change",
            record=record_id(record),
            field="template",
            hint=f"pre-approved templates: {templates}; or file it as type normal",
            severity="medium",
        )

    def check_submit(
        self, record: Any, records: Iterable[Any], inventory: Any | None, now: datetime
    ) -> list[Problem]:
        """Problems that stop ``record`` from being submitted (its window is checked when it has one)."""
        since = announced_at(record) or now
        found = self._timing(record, records, inventory, since, now)
        found += self.quota_check(record, records, inventory, now, filing=True)
        cls = self.class_of(record)
        if cls is not None and cls.exception:
            # may still be approved over the quota or outside the service days: schedule and
            # the gate ask for that extra approval
            found = [p for p in found if p.code not in EXCEPTIONS]
        return found

    def _class_exceptions(
        self, record: Any, found: list[Problem], approvals: Iterable[Any] | None
    ) -> list[Problem]:
        """Quota and service-day problems are lifted by the class's exception approval."""
        if self.exception_granted(record, approvals):
            return [p for p in found if p.code not in EXCEPTIONS]
        return found

    def check_schedule(
        self, record: Any, records: Iterable[Any], inventory: Any | None, now: datetime
    ) -> list[Problem]:
        """Problems that stop ``record`` from being scheduled: it needs a window the policy allows."""
        rid = record_id(record)
        if window_of(record) is None:
            return [
                Problem(
                    "window-missing",
                    "a change needs a planned window to be scheduled",
                    record=rid,
                    field="window",
                    hint="give it a window (start, end, timezone)",
                )
            ]
        out = []
        if not self.is_approved(record) and data_of(record).get("type") != "emergency":
            have, need = self.approval_count(record)
            out.append(
                Problem(
                    "not-approved",
                    f"has {have} of {need} approvals it needs",
                    record=rid,
                    field="approvals",
                    hint="needs "
                    + "; ".join(r.describe() for r in self.required_approvals(record)),
                )
            )
        since = announced_at(record) or now
        out += self._timing(record, records, inventory, since, now)
        out += self.quota_check(record, records, inventory, now)
        return self._class_exceptions(record, out, None)

    def check_record(
        self,
        record: Any,
        records: Iterable[Any] | ConflictIndex,
        inventory: Any | None,
        now: datetime,
        approvals: Iterable[Any] | None = None,
    ) -> list[Problem]:
        """Everything the CI gate asks of one record, given the approvals git proved."""
        data = data_of(record)
        rid = record_id(record)
        out: list[Problem] = []
        std = self._standard_problem(record)
        if std:
            out.append(std)
        status = data.get("status")
        win = window_of(record)
        started = history_time(record, "in_progress") if status == "in_progress" else None
        early = win is not None and started is not None and started < win[0]
        if win and (status in NOT_STARTED and status != "draft" or early):
            # (a change started before its window is still judged against that window: a
            # start, by hand or forced, must not hide a freeze, a lead time or a conflict)
            # lead time runs from the announcement, else from when it was submitted
            since = announced_at(record) or last_history_time(record, "submitted") or now
            out += self._timing(record, records, inventory, since, now)
        if status in NOT_STARTED and status != "draft" or early:
            pool = records.records if isinstance(records, ConflictIndex) else records
            out += self.quota_check(record, pool, inventory, now, approvals)
            out = self._class_exceptions(record, out, approvals)
        if win and status == "in_progress" and not early:
            out += self.conflict_problems(record, records, inventory)
        needs_approval = status in (
            "approved",
            "scheduled",
            "in_progress",
            "completed",
            "failed",
            "rolled_back",
        )
        if data.get("type") == "emergency":
            out += self._emergency_problems(record, now, approvals)
        elif needs_approval and not self.is_approved(record, approvals):
            have, need = self.approval_count(record, approvals)
            out.append(
                Problem(
                    "not-approved",
                    f"is {status} but has only {have} of {need} approvals that count",
                    record=rid,
                    field="approvals",
                    hint="needs "
                    + "; ".join(r.describe() for r in self.required_approvals(record)),
                )
            )
        return out

    def _emergency_problems(
        self, record: Any, now: datetime, approvals: Iterable[Any] | None
    ) -> list[Problem]:
        if self.emergency_within is None or self.is_approved(record, approvals):
            return []
        data = data_of(record)
        if data.get("status") in ("draft", "rejected", "cancelled"):
            return []
        started = history_time(record, "in_progress") or history_time(record, "submitted")
        if started is None:
            return []
        due = started + self.emergency_within
        if now <= due:
            return []
        return [
            Problem(
                "emergency-approval-overdue",
                f"emergency change started {human(started, UTC)} and was due to be approved by {human(due, UTC)}",
                record=record_id(record),
                field="approvals",
                hint="an approver must run `changekit change approve "
                + str(record_id(record))
                + "` now",
            )
        ]
