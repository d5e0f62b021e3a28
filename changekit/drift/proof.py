"""What drift may believe of change records: only what their git history proves.

A record explains an observed change only if it was approved before the scan that saw the
change (issue 8). The file's ``status`` and ``history`` are claims anyone can type, so drift
asks the gate's ledger (``changekit.gate.verdict.prove``) instead: the proven status, and the
commit date of the step that first reached each status.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from changekit.gate import ledger
from changekit.workspace import Workspace

STARTS = ("approved", "in_progress")
"""The proven steps after which an emergency change may act (it may start before approval)."""


def _rel(record: Any) -> str:
    return f"change_records/{record.path.name if record.path else record.id + '.yaml'}"


def prove_all(ws: Workspace, records: list[Any]) -> dict[str, ledger.Proven]:
    """Record id -> what its git history proves, for every record in one walk."""
    if not records:
        return {}
    from changekit.gate import verdict
    from changekit.gate.run import repo_prefix  # refuses a shallow clone, as `check` does
    from changekit.policy import load_policy

    policy = load_policy(ws)

    def signers(_tmp: Path) -> Path:
        assert policy.allowed_signers
        return ws.root / policy.allowed_signers

    found = verdict.prove(
        ws, policy, records, repo_prefix(ws.root), _rel, limited=False, signers=signers
    )
    for record in records:
        held = found[record.id]
        if "approved" in held.proven.reached:
            # a record edited after its approval (a host added) explains nothing it now says
            seen = verdict.view(record, held.proven)
            held.proven.approvals_hold = policy.is_approved(seen, held.counted)
    return {rid: v.proven for rid, v in found.items()}


def approved_at(record: Any, proven: ledger.Proven) -> datetime | None:
    """When the record was proven approved to run: its approval, or for an emergency change
    whichever came first of its approval and its start; None when history proves neither,
    or when its approvals no longer cover what the record now says."""
    steps = STARTS if record.type == "emergency" else STARTS[:1]
    if not proven.approvals_hold:
        steps = tuple(s for s in steps if s != "approved")
    times = [t for t in (proven.time(s) for s in steps) if t is not None]
    return min(times) if times else None
