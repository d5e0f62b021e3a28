"""The policy: approvals, maintenance windows, freezes, lead time and conflicts.

Pure: nothing here touches git, so every rule is unit-testable. ``record`` is the
records model (anything with a ``.data`` mapping) or the mapping itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from changekit.errors import InputError
from changekit.policy import approvals as ap
from changekit.policy.access import (
    ACTIVE_STATUSES,
    causes_outage,
    data_of,
    email_of,
    history_time,
    record_id,
    window_of,
)
from changekit.policy.conflicts import ConflictIndex
from changekit.policy.freezes import Freeze
from changekit.policy.hosts import Targets, resolve
from changekit.policy.timeutil import format_duration, human, parse_timestamp, zone
from changekit.policy.windows import Window, openings
from changekit.problems import Problem

NOT_STARTED = ("draft", "submitted", "approved", "scheduled")


@dataclass
class Policy:
    data: dict = field(default_factory=dict)
    path: str = "changekit.yaml"
    groups: dict[str, set[str]] = field(default_factory=dict)
    """Approver group -> member emails (lower case)."""
    handles: dict[str, str] = field(default_factory=dict)
    """Member email or group name -> forge handle, for CODEOWNERS."""
    rules: tuple[ap.Rule, ...] = ap.DEFAULT_RULES
    standard_templates: frozenset[str] = frozenset()
    emergency_within: timedelta | None = None
    committer_must_match: bool = True
    signed: bool = False
    allowed_signers: str | None = None
    windows: list[Window] = field(default_factory=list)
    freezes: list[Freeze] = field(default_factory=list)
    exempt_types: frozenset[str] = frozenset({"emergency"})
    lead_time: timedelta | None = None
    conflict_statuses: tuple[str, ...] = ACTIVE_STATUSES
    conflicts_allowed: bool = False
    codeowners: list[dict] = field(default_factory=list)

    # -- approvals -------------------------------------------------------------

    def groups_of(self, identity: Any) -> set[str]:
        email = email_of(identity)
        return {name for name, members in self.groups.items() if email in members}

    def is_preapproved_template(self, name: str | None) -> bool:
        return bool(name) and name in self.standard_templates

    def required_approvals(self, record: Any) -> tuple[ap.Requirement, ...]:
        """What the record needs; empty for a standard change filed from a pre-approved template."""
        data = data_of(record)
        if data.get("type") == "standard" and self.is_preapproved_template(data.get("template")):
            return ()
        for rule in self.rules:
            if rule.matches(data):
                return rule.require
        return ap.DEFAULT_RULES[0].require

    def approval_count(
        self, record: Any, approvals: Iterable[Any] | None = None
    ) -> tuple[int, int]:
        """``(approvals that count, approvals needed)``; ``approvals`` defaults to the record's own."""
        data = data_of(record)
        needed = self.required_approvals(record)
        entries = data.get("approvals") or () if approvals is None else approvals
        acting = ap.approver_emails(entries, ap.requester_email(record))
        people = {email: self.groups_of(email) for email in acting}
        return ap.matching(needed, people, acting), sum(r.count for r in needed)

    def is_approved(self, record: Any, approvals: Iterable[Any] | None = None) -> bool:
        have, need = self.approval_count(record, approvals)
        return have >= need

    def approval_problem(self, record: Any, identity: Any) -> Problem | None:
        """Why ``identity`` may not approve ``record``, or None when it may."""
        rid = record_id(record)
        email = email_of(identity)
        if email and email == ap.requester_email(record):
            return Problem(
                "approver-is-requester",
                "the requester cannot approve their own change",
                record=rid,
                hint="ask someone else in an approver group to approve it",
            )
        for entry in data_of(record).get("approvals") or ():
            if email_of(entry.get("by")) == email:
                return Problem(
                    "already-approved", f"{email} has already approved this change", record=rid
                )
        needed = self.required_approvals(record)
        allowed = {g for r in needed if r.groups is not None for g in r.groups}
        if (
            needed
            and all(r.groups is not None for r in needed)
            and not (self.groups_of(email) & allowed)
        ):
            return Problem(
                "approver-not-allowed",
                f"{email or 'this identity'} is not in a group that may approve this change",
                record=rid,
                hint=f"approvers must be in: {', '.join(sorted(allowed))} (groups in {self.path})",
            )
        return None

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
        return out

    def lead_problem(self, record: Any, start: datetime, since: datetime) -> Problem | None:
        if not self.lead_time or not causes_outage(record):
            return None
        if start - since >= self.lead_time:
            return None
        return Problem(
            "lead-time-too-short",
            f"an outage needs {format_duration(self.lead_time)} notice, but the window starts "
            f"{format_duration(max(start - since, timedelta(0)))} after {'it was announced' if _announced(record) else 'now'}",
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
        after = after.astimezone(UTC).replace(second=0, microsecond=0)
        candidates = {after}
        for windows in self.windows_for(targets):
            candidates |= {s for s, _e, _w in openings(windows, after) if s > after}
        candidates |= {f.end for f in self.freezes if f.end > after}
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
        tz = self.windows[0].tz if self.windows else slot[0].tzinfo
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
                if self.lead_time and causes_outage(record):
                    earliest = max(earliest, since + self.lead_time)
                hint = self._next_hint(record, inventory, earliest)
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

    def _standard_problem(self, record: Any) -> Problem | None:
        data = data_of(record)
        if data.get("type") != "standard" or self.is_preapproved_template(data.get("template")):
            return None
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
        since = _announced(record) or now
        return self._timing(record, records, inventory, since, now)

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
        since = _announced(record) or now
        return out + self._timing(record, records, inventory, since, now)

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
        if win and status in NOT_STARTED and status != "draft":
            # lead time runs from the announcement, else from when it was submitted
            since = _announced(record) or history_time(record, "submitted") or now
            out += self._timing(record, records, inventory, since, now)
        elif win and status == "in_progress":
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


def _announced(record: Any) -> datetime | None:
    ann = data_of(record).get("announcement") or {}
    if ann.get("announced_at"):
        try:
            return parse_timestamp(ann["announced_at"])
        except ValueError:
            return None
    return None
