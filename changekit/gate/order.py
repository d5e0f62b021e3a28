"""Which change was submitted first when git dates two submissions in the same second.

A quota ranks changes by their proven submission time, and commit dates have whole seconds.
In a tie, a submission committed on top of the other (its descendant) came after it: ties
take git's topological order (one ``git rev-list`` for all of them), then their record ids.
The records a ``--base`` check does not replay are the base's: they were filed before any of
the pull request's.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from changekit.gate import history
from changekit.records.times import parse_stored


def filing_order(
    root: Path, records: list[Any], verdicts: dict[str, Any], ranked: set[str]
) -> dict[str, int]:
    """Record id -> its place among the submissions of the same second (0 when alone);
    ``ranked``: the ids of records some quota counts (the others need no place)."""
    order = {r.id: -1 for r in records if r.id not in verdicts}
    same: dict[Any, list[tuple[str, str]]] = defaultdict(list)
    for rid, found in verdicts.items():
        if rid not in ranked:
            continue
        commits = [c for status, c in found.proven.steps if status == "submitted"]
        if commits:
            same[parse_stored(commits[-1].date)].append((rid, commits[-1].sha))
    tied = [sorted(g) for g in same.values() if len({sha for _rid, sha in g}) > 1]
    if not tied:
        return order
    shas = sorted({sha for group in tied for _rid, sha in group})
    listed = history.git(
        root, "rev-list", "--topo-order", "--reverse", "--stdin", input="\n".join(shas).encode()
    ).split()
    place = {sha.decode(): i for i, sha in enumerate(listed)}
    for group in tied:
        ranked = sorted(group, key=lambda g: (place.get(g[1], -1), g[0]))
        order.update({rid: i for i, (rid, _sha) in enumerate(ranked)})
    return order
