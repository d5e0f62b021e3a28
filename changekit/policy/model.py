"""The policy: approvals, maintenance windows, freezes, lead time and conflicts.

Pure: nothing here touches git, so every rule is unit-testable. ``record`` is the
records model (anything with a ``.data`` mapping) or the mapping itself. The time rules
live in ``timing.py`` and the per-record checks in ``checks.py``, as mixins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from changekit.policy import approvals as ap
from changekit.policy import preapproval
from changekit.policy.access import (
    ACTIVE_STATUSES,
    data_of,
    email_of,
    record_id,
)
from changekit.policy.checks import LifecycleChecks
from changekit.policy.classes import ChangeClass, ClassRules
from changekit.policy.freezes import Freeze
from changekit.policy.timing import NOT_STARTED, TimeRules
from changekit.policy.windows import Window
from changekit.problems import Problem

__all__ = ["NOT_STARTED", "Policy"]


@dataclass
class Policy(TimeRules, LifecycleChecks, ClassRules):
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
    classes: tuple[ChangeClass, ...] = ()
    """Named change classes, in the policy's order (the first that matches a record is its)."""
    ownership: dict[str, str] = field(
        default_factory=lambda: {"customer": "customer", "team": "team"}
    )
    """``customer``/``team`` -> the inventory variable that names a host's customer or team."""
    filing_order: dict[str, int] = field(default_factory=dict)
    """Record id -> its place among submissions git dates in the same second, set by the gate
    (``changekit.gate.order``); a quota ranks by submission time, then by this."""
    templates: dict[str, dict] | None = None
    """Template name -> its fields, set by callers that can read them (``check``, the lifecycle
    steps); None: unknown, and a pre-approved template is then judged by its name only."""

    # -- approvals -------------------------------------------------------------

    def groups_of(self, identity: Any) -> set[str]:
        email = email_of(identity)
        return {name for name, members in self.groups.items() if email in members}

    def is_preapproved_template(self, name: str | None) -> bool:
        return bool(name) and name in self.standard_templates

    def preapproval_problem(self, record: Any, template: dict | None = None) -> Problem | None:
        """Why ``record`` is not a pre-approved standard change, or None when it is.

        Pre-approval covers what the template says and nothing else: the plan, rollback,
        verification, risk, impact and outage must be the template's, the hosts within the
        template's (when it names any), and a change once rejected needs a normal approval.
        """
        return preapproval.problem(self, record, template)

    def required_approvals(self, record: Any) -> tuple[ap.Requirement, ...]:
        """What the record needs; empty for a standard change filed from a pre-approved template."""
        data = data_of(record)
        if data.get("type") == "standard" and self.preapproval_problem(record) is None:
            return ()
        cls = self.class_of(record)
        if cls is not None and cls.require is not None:
            return cls.require
        for rule in self.rules:
            if rule.matches(data):
                return rule.require
        return ap.DEFAULT_RULES[0].require

    def approver_requirements(self, record: Any) -> tuple[ap.Requirement, ...]:
        """Whose approval a record may take: its rule's, and its class's exception approvers."""
        cls = self.class_of(record)
        extra = cls.exception if cls is not None and cls.exception else ()
        return tuple(self.required_approvals(record)) + tuple(extra)

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
        if email and ap.person_of(email) == ap.person_of(ap.requester_email(record)):
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
        needed = self.approver_requirements(record)
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
