"""What each lifecycle step changes in a record, and the policy checks it must pass first."""

from __future__ import annotations

from typing import Any

from changekit.errors import InputError, PolicyError
from changekit.policy import load_policy as _load_policy
from changekit.problems import Problem
from changekit.records import lifecycle, store, times
from changekit.records.model import ChangeRecord, Identity
from changekit.workspace import Workspace


def load_policy(ws: Workspace) -> Any:
    """The workspace policy (``changekit.yaml``), knowing what each template pre-approves."""
    from changekit.records.templates import fields

    policy = _load_policy(ws)
    policy.templates = fields(ws)
    return policy


def load_inventory(ws: Workspace, policy: Any | None = None) -> Any | None:
    """The workspace inventory, or ``None`` when there is none (selectors then compare as written)."""
    from changekit.inventory.load import load_inventory as _load  # paramiko: only when needed

    configured = policy is not None and "inventory" in (getattr(policy, "data", None) or {})
    folder = ws.inventories_dir
    if not configured and not (
        folder.is_dir() and any(not p.name.startswith(".") for p in folder.rglob("*"))
    ):
        return None
    return _load(None, ws, ssh_config=False)


def _refuse(problems: list[Problem], action: str, rid: str) -> None:
    if not problems:
        return
    first = problems[0]
    lines = [f"cannot {action} {rid}: {first.message}"]
    lines += [f"  also: {p.message}" + (f" ({p.hint})" if p.hint else "") for p in problems[1:]]
    raise PolicyError("\n".join(lines), field=first.field, hint=first.hint)


def _others(ws: Workspace, record: ChangeRecord) -> list[ChangeRecord]:
    return [r for r in store.load_all(ws).records if r.id != record.id]


def _preapproved(record: ChangeRecord, policy: Any | None) -> bool:
    return (
        record.type == "standard"
        and policy is not None
        and policy.preapproval_problem(record) is None
    )


def _refuse_unproven(record: ChangeRecord, policy: Any, proof: Any) -> None:
    """Work starts only with approvals that count as the gate counts them (proven, not stale);
    ``proof`` is the record's ``gate.verdict.Verdict`` (``require_proven_status`` made it)."""
    counted = proof.counted
    problems = [p for p in proof.problems if p.code.startswith("approval-")]
    if policy.is_approved(record, counted):
        return
    have, need = policy.approval_count(record, counted)
    _refuse(
        [
            Problem(
                "not-approved",
                f"only {have} of {need} approvals count, as `changekit check` judges them",
                record=record.id,
                field="approvals",
                hint="; ".join(p.message for p in problems)
                or f"ask for approval: `changekit change approve {record.id}`",
            ),
            *problems,
        ],
        "start",
        record.id,
    )


def require_proven_status(ws: Workspace, record: ChangeRecord, policy: Any, action: str) -> Any:
    """Refuse a step on a record whose status its git history does not prove: a completed
    change set back to approved by hand is not started again on its old approval."""
    from changekit.gate.run import prove_record  # the gate reads records too
    from changekit.policy.access import email_of

    found = prove_record(ws, policy, record)
    proven = found.proven.status
    filed_by = found.proven.requester
    edits = [p for p in found.problems if p.code == "unproven-edit"]
    if proven != record.status:
        why = (
            f"the record says {record.status}, but its git history proves "
            f"{proven or 'nothing (the record was never committed)'}"
        )
    elif filed_by and filed_by != email_of(record.data.get("requester")):
        why = f"the record names another requester than the person who filed it ({filed_by})"
    else:
        return found
    raise PolicyError(
        f"cannot {action} {record.id}: {why}" + "".join(f"\n  {p.message}" for p in edits),
        field="status",
        hint="undo the hand edit (git revert the commit named above) and take the missing "
        "steps with the changekit commands; `changekit check` lists what it cannot prove",
    )


def require_operator(record: ChangeRecord, policy: Any, actor: Identity, action: str) -> None:
    """Refuse a step the gate would not accept from this person: every step but approve and
    reject is the requester's or a policy group member's (``changekit.gate.ledger.WHO``)."""
    from changekit.gate.ledger import WHO, Judge
    from changekit.policy.access import email_of

    if action in WHO or Judge(policy, record.data).operator(
        actor.email, email_of(record.data.get("requester"))
    ):
        return
    raise PolicyError(
        f"cannot {action} {record.id}: {actor.email} is neither its requester nor in a group "
        "of the policy, and `changekit check` accepts this step only from them",
        field="status",
        hint="ask the requester or an operator to do it, or add yourself to a group (such as "
        "`operators`) in changekit.yaml through a reviewed pull request",
    )


def _withdraw_approvals(record: ChangeRecord, notes: list[str]) -> str:
    """A new window voids the approvals given for the old one: ask for them again.

    ``changekit check`` only counts approvals given after the window last changed, so
    keeping them would leave a record that looks approved and fails the gate.
    """
    who = ", ".join(a["by"]["email"] for a in record.approvals)
    record.data.pop("approvals")
    notes.append(
        f"the window changed, so the approvals by {who} were withdrawn; the change is submitted "
        f"again: reviewers approve it (`changekit change approve {record.id}`), then schedule it"
    )
    return "submitted"


def _check_start_time(record: ChangeRecord, moment, force: bool, reason: str | None) -> str | None:
    """Work starts inside the approved window; outside it only with ``--force`` and a reason.

    Emergency changes may start at any time: that is what makes them emergencies."""
    start, end = record.window_start, record.window_end
    if record.type == "emergency" or start is None or end is None or start <= moment <= end:
        return None
    zone = times.zone(record.window_timezone) if record.window_timezone else None
    shown = [t.astimezone(zone) if zone else t for t in (start, end)]
    when = "has not begun" if moment < start else "is over"
    if force and reason:
        return f"started while its window {when}, forced: {reason}"
    raise PolicyError(
        f"cannot start {record.id}: its window {when} "
        f"({shown[0]:%Y-%m-%d %H:%M} to {shown[1]:%Y-%m-%d %H:%M} {record.window_timezone or ''})",
        field="window",
        hint=(
            "give `--reason TEXT` with --force; it is kept in the history"
            if force
            else "wait for the window, `changekit change reschedule ID` to move it, or "
            "`--force --reason TEXT` to start anyway (kept in the history)"
        ),
    )


def apply_step(
    ws: Workspace,
    record: ChangeRecord,
    action: str,
    target: str,
    actor: Identity,
    policy: Any | None,
    moment,
    *,
    reason,
    comment,
    as_group,
    window,
    notes: list[str],
    force: bool = False,
    proof: Any,
) -> str:
    """Change the record's fields for ``action``; return the status it takes. ``proof``: what
    the record's history proves (``gate.verdict.Verdict``), needed to start it."""
    data = record.data
    if action == "submit":
        if data.pop("rejection", None) and record.approvals:
            # a rejection outweighs earlier approvals: the resubmitted change is reviewed afresh
            who = ", ".join(a["by"]["email"] for a in record.approvals)
            data.pop("approvals")
            notes.append(f"it was rejected, so the earlier approvals by {who} were withdrawn")
        if policy is not None:
            _refuse(
                policy.check_submit(
                    record, _others(ws, record), load_inventory(ws, policy), moment
                ),
                "submit",
                record.id,
            )
            if _preapproved(record, policy):
                return "approved"
        return target
    if action == "approve":
        if actor.same_person(data.get("requester")):
            raise PolicyError(
                f"cannot approve {record.id}: the requester cannot approve their own change",
                hint="ask someone else in an approver group to approve it",
            )
        problem = policy.approval_problem(record, actor) if policy is not None else None
        if problem is None and any(actor.same_person(a.get("by")) for a in record.approvals):
            problem = Problem("already-approved", f"{actor.email} has already approved this change")
        if problem is not None:
            _refuse([problem], "approve", record.id)
        entry: dict[str, Any] = {"by": actor.as_dict(), "at": times.iso(moment)}
        if as_group:
            entry["as"] = as_group
        if comment:
            entry["comment"] = comment
        data["approvals"] = record.approvals + [entry]
        if record.status != "submitted":
            return record.status  # extra approval (or an emergency approved afterwards)
        enough = policy.is_approved(record) if policy is not None else True
        return "approved" if enough else "submitted"
    if action == "reject":
        if not reason:
            raise InputError("a rejection needs a reason", field="reason", hint="add --reason TEXT")
        data["rejection"] = {"by": actor.as_dict(), "at": times.iso(moment), "reason": reason}
        return target
    if action == "schedule":
        moved = bool(window) and window != data.get("window")
        if moved:
            data["window"] = window
        if policy is not None:
            _refuse(
                policy.check_schedule(
                    record, _others(ws, record), load_inventory(ws, policy), moment
                ),
                "schedule",
                record.id,
            )
        elif "window" not in data:
            raise InputError(
                f"{record.id} has no window to schedule",
                field="window",
                hint="give --start, --end and --tz",
            )
        if moved and record.approvals and not _preapproved(record, policy):
            return _withdraw_approvals(record, notes)
        return target
    if action == "start":
        if policy is not None and record.type != "emergency":
            _refuse_unproven(record, policy, proof)
        forced = _check_start_time(record, moment, force, reason)
        if forced:
            notes.append(forced)
        return target
    if action in lifecycle.OUTCOME_ACTIONS:
        out: dict[str, Any] = {"result": lifecycle.OUTCOME_ACTIONS[action], "at": times.iso(moment)}
        if reason or comment:
            out["notes"] = reason or comment
        data["outcome"] = out
    return target
