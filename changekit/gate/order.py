"""Which change was submitted first when git dates two submissions in the same second.

A quota ranks changes by their proven submission time, and commit dates have whole seconds.
In a tie, a submission committed on top of the other (its descendant) came after it; commits
on lines of their own keep the order of their record ids, as before. The records a ``--base``
check does not replay are the base's: they were filed before any of the pull request's.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

from changekit.records.times import parse_stored


def filing_order(root: Path, records: list[Any], verdicts: dict[str, Any]) -> dict[str, int]:
    """Record id -> its place among the submissions of the same second (0 when alone)."""
    order = {r.id: -1 for r in records if r.id not in verdicts}
    same: dict[Any, list[tuple[str, str]]] = defaultdict(list)
    for rid, found in verdicts.items():
        commits = [c for status, c in found.proven.steps if status == "submitted"]
        if commits:
            same[parse_stored(commits[-1].date)].append((rid, commits[-1].sha))
    for group in same.values():
        if len({sha for _rid, sha in group}) > 1:
            order.update(_ranked(root, sorted(group)))
    return order


def _ranked(root: Path, group: list[tuple[str, str]]) -> dict[str, int]:
    """A topological order of the group's commits, ties by record id (a handful at most)."""

    def before(a: str, b: str) -> bool:
        if a == b:  # one commit submitted both
            return False
        ask = ["git", "-C", str(root), "merge-base", "--is-ancestor", a, b]
        return subprocess.run(ask, capture_output=True).returncode == 0

    after = {sha: {o for _r, o in group if before(o, sha)} for _r, sha in group}
    left, out = list(group), {}
    while left:
        pick = next((g for g in left if not after[g[1]] & {s for _r, s in left}), left[0])
        out[pick[0]] = len(out)
        left.remove(pick)
    return out
