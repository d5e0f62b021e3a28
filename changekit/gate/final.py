"""Records that are over (completed, failed, rolled back) are judged as they were when work began.

A finished change cannot be approved again, so an approval that went stale because someone
corrected the record afterwards (the host really touched, a typo in the plan) would fail the
gate forever. What mattered is that the approvals covered the change when it started: an
approval counts for a finished record when the record's substance then is the substance of the
version that first said ``in_progress`` (QA #9). The correction is still reported, as a note.
A change of its class or owner afterwards (``CLASSIFYING``) is no correction: it would move
the change out of a quota it used, so the approval stays stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from changekit.errors import InputError
from changekit.gate import history
from changekit.policy.access import CLASSIFYING, fingerprint, substance
from changekit.problems import Problem
from changekit.yamlfile import parse_yaml

FINISHED = ("completed", "failed", "rolled_back")


def substance_at_start(root: Path, path: str, start: str | None) -> dict | None:
    """The substance of ``path`` in ``start``, the commit of the record's proven start (not
    the first version whose file says in_progress: a hand-made merge can say anything)."""
    if start is None:
        return None
    raw = history.git(root, "show", f"{start}:{path}", check=False)
    try:
        data = parse_yaml(raw.decode("utf-8"), path=path) if raw else None
    except (InputError, UnicodeDecodeError):
        return None
    return fingerprint(substance(data)) if isinstance(data, dict) else None


def recount(
    root: Path,
    path: str,
    attributed: list,
    counted: list[dict],
    problems: list[Problem],
    started: str | None,
    now: dict,
) -> tuple[list[dict], list[Problem]]:
    """Count the stale approvals that covered the record when it started; note them instead.
    ``now``: the record's data as the file has it."""
    start: dict | None | bool = False
    moved: list[str] = []
    out = []
    for problem in problems:
        if problem.code == "approval-stale" and (problem.field or "").startswith("approvals["):
            if start is False:
                start = substance_at_start(root, path, started)
                current = fingerprint(substance(now))
                moved = [k for k in CLASSIFYING if start and start.get(k) != current.get(k)]
            item: Any = attributed[int(problem.field[len("approvals[") : -1])]
            if moved:
                hint = (
                    f"undo the edit of {', '.join(moved)} (git revert): a finished change's "
                    "class and owner are what was approved, and it cannot be approved again"
                )
                problem = Problem(**{**problem.as_dict(), "hint": hint})
            elif start is not None and item.substance_then == start:
                counted = [*counted, item.entry]
                problem = Problem(
                    "approval-edited-after-start",
                    problem.message.replace("so it no longer counts", "after the change started")
                    + "; it counts, as it covered the change when work began",
                    record=problem.record,
                    path=problem.path,
                    field=problem.field,
                    hint="nothing to do; the edit is in the record's git history",
                    severity="low",
                )
        out.append(problem)
    return counted, out
