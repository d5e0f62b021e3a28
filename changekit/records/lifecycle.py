"""The lifecycle state machine: which step is allowed from which status.

    draft -> submitted -> approved -> scheduled -> in_progress -> completed
                 |            |           |  ^          |-> failed -> rolled_back
                 v            v           v  | (reschedule)  `-> rolled_back
              rejected     cancelled  cancelled

An emergency change may start as soon as it is submitted and be approved later.
"""

from __future__ import annotations

from dataclasses import dataclass

from changekit.errors import TransitionError
from changekit.records.model import ChangeRecord


@dataclass(frozen=True)
class Step:
    action: str
    """The command: submit, approve, ..."""
    target: str
    """The status the record takes (``approve`` may keep it ``submitted`` until enough approvals)."""
    sources: frozenset[str]
    emergency_sources: frozenset[str] = frozenset()
    """Extra statuses this step is allowed from for emergency changes."""


def _s(*names: str) -> frozenset[str]:
    return frozenset(names)


STEPS: dict[str, Step] = {
    s.action: s
    for s in (
        Step("submit", "submitted", _s("draft", "rejected")),
        Step(
            "approve",
            "approved",
            _s("submitted", "approved", "scheduled"),
            _s("in_progress", "completed", "failed", "rolled_back"),
        ),
        Step("reject", "rejected", _s("submitted", "approved", "scheduled")),
        Step("schedule", "scheduled", _s("approved", "scheduled")),
        Step("start", "in_progress", _s("approved", "scheduled"), _s("submitted")),
        Step("complete", "completed", _s("in_progress")),
        Step("fail", "failed", _s("in_progress")),
        Step("rollback", "rolled_back", _s("in_progress", "failed")),
        Step("cancel", "cancelled", _s("draft", "submitted", "approved", "scheduled", "rejected")),
    )
}
OUTCOME_ACTIONS = {
    "complete": "completed",
    "fail": "failed",
    "rollback": "rolled_back",
    "cancel": "cancelled",
}


def allowed(record: ChangeRecord, action: str) -> bool:
    step = STEPS[action]
    if record.status in step.sources:
        return True
    return record.type == "emergency" and record.status in step.emergency_sources


def next_steps(record: ChangeRecord) -> list[str]:
    """The actions allowed from the record's current status, in lifecycle order."""
    return [a for a in STEPS if allowed(record, a)]


def require(record: ChangeRecord, action: str) -> Step:
    """The step for ``action``, or a ``TransitionError`` naming what is allowed instead."""
    if action not in STEPS:
        raise ValueError(f"unknown lifecycle action {action!r}")
    if allowed(record, action):
        return STEPS[action]
    options = next_steps(record)
    extra = ""
    if action == "start" and record.status == "submitted":
        extra = " (only emergency changes may start before approval)"
    raise TransitionError(
        f"cannot {action} {record.id}: it is {record.status}{extra}",
        path=f"change_records/{record.path.name}" if record.path else None,
        field="status",
        hint=("allowed next steps: " + ", ".join(options))
        if options
        else f"{record.status} is final: no further steps",
    )
