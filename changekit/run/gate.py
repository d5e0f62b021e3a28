"""Before anything runs: what ``changekit check`` would prove for the record must hold now.

Proven approvals (counted as the gate counts them), the plan unchanged since they were given,
the window (or ``--force --reason``, as ``change start``), no freeze now, no conflict, the
outage's lead time, and a status from which work may start or go on. Each refusal says why
and, where there is one, the next moment it would be allowed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from changekit.errors import PolicyError
from changekit.gate.run import FAILING
from changekit.policy.access import causes_outage
from changekit.policy.hosts import resolve
from changekit.records import steps, store
from changekit.records.model import ChangeRecord
from changekit.workspace import Workspace

RUNNABLE = ("approved", "scheduled", "in_progress")


def _refuse(record: ChangeRecord, why: str, hint: str | None, field: str | None = None) -> None:
    raise PolicyError(f"cannot run {record.id}: {why}", field=field, hint=hint)


def require_runnable(
    ws: Workspace,
    record: ChangeRecord,
    policy: Any,
    inventory: Any | None,
    now: datetime,
    *,
    force: bool = False,
    reason: str | None = None,
) -> Any:
    """The record's proof (``gate.verdict.Verdict``) when it may run now; else a refusal."""
    proof = steps.require_proven_status(ws, record, policy, "run")
    emergency = record.type == "emergency"
    if record.status not in RUNNABLE and not (emergency and record.status == "submitted"):
        _refuse(
            record,
            f"it is {record.status}; a change runs once approved (or scheduled), or resumes "
            "while in progress",
            f"next: {', '.join(steps.lifecycle.next_steps(record)) or 'nothing'}",
            "status",
        )
    stale = [p for p in proof.problems if p.code == "approval-stale" and "plan" in p.message]
    if stale:
        _refuse(
            record,
            "its plan changed after it was approved, so what would run is not what was "
            "approved: " + "; ".join(p.message for p in stale),
            "have the reviewers approve the new plan (`changekit change approve ID`), or "
            "restore the approved plan (git revert the commit that changed it)",
            "plan",
        )
    if not emergency and not policy.is_approved(record, proof.counted):
        have, need = policy.approval_count(record, proof.counted)
        others = "; ".join(p.message for p in proof.problems if p.code.startswith("approval-"))
        _refuse(
            record,
            f"only {have} of {need} approvals count, as `changekit check` judges them"
            + (f" ({others})" if others else ""),
            f"ask for approval: `changekit change approve {record.id}`",
            "approvals",
        )
    others_records = [r for r in store.load_all(ws).records if r.id != record.id]
    problems = [
        p
        for p in policy.check_record(record, others_records, inventory, now, proof.counted)
        if p.severity in FAILING
    ]
    if problems:
        first = problems[0]
        _refuse(
            record,
            "; ".join(p.message for p in problems),
            first.hint or "`changekit check` shows the same problems",
            first.field,
        )
    if record.status != "in_progress":
        # outside the window only with --force and a reason, as `change start`
        try:
            steps._check_start_time(record, now, force, reason)
        except PolicyError as exc:
            start = record.window_start
            later = start is not None and now < start
            raise PolicyError(
                exc.message.replace("cannot start", "cannot run")
                + (f"; it may run from {start.isoformat(timespec='minutes')}" if later else ""),
                field="window",
                hint=exc.hint,
            ) from None
    if not policy.exempt(record):
        frozen = [
            f
            for f in policy.freezes_for(resolve(record, inventory), causes_outage(record))
            if f.overlaps(now, now + timedelta(minutes=1))
        ]
        if frozen:
            _refuse(
                record,
                f"now is inside {frozen[0].describe()}",
                f"it may run after {frozen[0].end.isoformat(timespec='minutes')}",
                "window",
            )
    return proof
