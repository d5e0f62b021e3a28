"""Waivers in the review: opened, expired and expiring, each against the previous period.

A waiver was opened when its file was first committed (git says when, not the file): a
waiver file written now with a date in the past opens now. It expires at the end of its
``expires`` day (UTC), as drift reads it: "expired in the period" when that end falls in it
(a waiver that expires on the period's last day counts), "expiring" within 30 days after.
"""

from __future__ import annotations

import fnmatch
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from changekit.review.figure import Figure, compare
from changekit.review.periods import Period

EXPIRING = timedelta(days=30)


def first_commits(root: Path, prefix: str) -> dict[str, datetime]:
    """Path under ``waivers/`` (from the workspace) -> when a commit first added it."""
    from changekit.gate import history

    out = history.git(
        root, "log", "--diff-filter=A", "--no-renames", "--format=%x1e%cI", "--name-only", "-z",
        "--", f":(top){prefix}waivers/",
    )  # fmt: skip
    found: dict[str, datetime] = {}
    for chunk in out.decode("utf-8", "replace").split("\x1e")[1:]:
        date, _, names = chunk.partition("\n")
        when = datetime.fromisoformat(date.strip())
        for name in names.strip("\n\0").split("\0"):
            name = name.strip("\n")
            if name:
                rel = name[len(prefix) :]
                found[rel] = min(when, found.get(rel, when))
    return found


def waiver_figures(
    ws: Any,
    period: Period,
    previous: Period,
    hosts: set[str] | None,
) -> tuple[list[Figure], list[dict[str, Any]]]:
    """The waiver figures, and the waivers behind them. ``hosts``: only waivers that cover
    one of these (None: every waiver)."""
    from changekit.drift.waivers import load_waivers
    from changekit.gate.run import repo_prefix

    waivers = load_waivers(ws.root / "waivers")
    if hosts is not None:
        waivers = [
            w for w in waivers if any(fnmatch.fnmatchcase(h, p) for p in w.hosts for h in hosts)
        ]
    opened_at = first_commits(ws.root, repo_prefix(ws.root)) if waivers else {}
    opened = {
        w.id: opened_at.get(Path(w.path).relative_to(ws.root).as_posix()) if w.path else None
        for w in waivers
    }

    def measure(pick):
        def inner(p: Period):
            found = [w.id for w in waivers if pick(w, p)]
            return len(found), found

        return inner

    s = "waivers"
    figures = [
        compare(s, "waivers", "opened", "count", measure(lambda w, p: opened[w.id] in p), period, previous),
        compare(s, "waivers", "expired", "count", measure(lambda w, p: p.start < w.expires_at <= p.end), period, previous),
        compare(
            s, "waivers", "expiring within 30 days after", "count",
            measure(lambda w, p: p.end < w.expires_at <= p.end + EXPIRING), period, previous,
        ),
    ]  # fmt: skip
    listed = [
        {
            "id": w.id,
            "hosts": list(w.hosts),
            "item": w.item or w.finding or w.standard,
            "approved_by": w.approved_by,
            "opened": opened[w.id].isoformat(timespec="seconds") if opened[w.id] else None,
            "expires": w.expires.isoformat(),
        }
        for w in waivers
    ]
    return figures, listed
