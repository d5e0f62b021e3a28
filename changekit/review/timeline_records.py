"""The timeline's recorded changes: each record's state moves, notices sent and unproven
edits, as its git history proves them (``changekit.drift.proof``), never as the file says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from changekit.drift.timeline import RecordSpan
from changekit.records.times import parse_stored
from changekit.review.timeline import Event, within
from changekit.workspace import Workspace

VERBS = {
    "draft": "filed",
    "submitted": "submitted for approval",
    "approved": "approved",
    "rejected": "rejected",
    "scheduled": "scheduled",
    "in_progress": "started",
    "completed": "completed",
    "failed": "failed",
    "rolled_back": "rolled back",
    "cancelled": "cancelled",
}


@dataclass
class Records:
    """Every change record, what its history proves, and how drift sees it (one walk)."""

    claimed: dict[str, Any]
    proven: dict[str, Any]
    spans: list[RecordSpan]
    broken: list[str]
    """Record files that could not be read (they are left out, as ``drift`` leaves them)."""

    @classmethod
    def load(cls, ws: Workspace, inventory: Any) -> Records:
        from changekit.drift.inputs import record_spans
        from changekit.drift.proof import prove_all
        from changekit.records import store

        loaded = store.load_all(ws)
        claimed = loaded.records
        proven = prove_all(ws, claimed)
        spans = record_spans(ws, inventory, claimed, proven)
        broken = [e.format().splitlines()[0] for e in loaded.errors]
        return cls({r.id: r for r in claimed}, proven, spans, broken)


def events(records: Records, chosen: set[str], start: datetime, end: datetime) -> list[Event]:
    out: list[Event] = []
    for span in records.spans:
        hosts = tuple(sorted(span.hosts & chosen))
        if not hosts:
            continue
        proven = records.proven[span.id]
        title = span.title
        for status, commit in proven.steps:
            at = parse_stored(commit.date)
            if within(at, start, end):
                verb = VERBS.get(status, status.replace("_", " "))
                out.append(
                    Event(
                        at,
                        "record-step",
                        hosts,
                        f"{span.id} {verb} by {commit.author_email}: {title}",
                        span.id,
                        {"status": status, "by": commit.author_email, "commit": commit.sha},
                    )
                )
        for kinds, commit in proven.notices:
            at = parse_stored(commit.date)
            if within(at, start, end):
                out.append(
                    Event(
                        at,
                        "notice",
                        hosts,
                        f"{span.id}: notice sent ({', '.join(kinds)}), recorded by "
                        f"{commit.author_email}: {title}",
                        span.id,
                        {"notices": list(kinds), "by": commit.author_email, "commit": commit.sha},
                    )
                )
        for field_name, commit in proven.unproven:
            if not commit.date:  # the working tree: not committed, so no time to show
                continue
            at = parse_stored(commit.date)
            if within(at, start, end):
                out.append(
                    Event(
                        at,
                        "unproven-edit",
                        hosts,
                        f"{span.id}: {commit.author_email} changed {field_name} by hand in "
                        f"commit {commit.sha[:12]}; no lifecycle step explains it, so it "
                        "counts for nothing",
                        span.id,
                        {"field": field_name, "by": commit.author_email, "commit": commit.sha},
                    )
                )
    return out
