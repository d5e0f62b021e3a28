"""The timeline's waivers: opened (when the commit that added it was made, not a date the
file gives), and expiring or expired in the period."""

from __future__ import annotations

import fnmatch
from datetime import datetime

import yaml

from changekit.drift.inputs import workspace_waivers
from changekit.gate import history
from changekit.records.times import parse_stored
from changekit.review.timeline import Event, within
from changekit.workspace import Workspace


def opened_at(ws: Workspace) -> dict[str, history.Commit]:
    """Waiver id -> the first commit that added it to a file under ``waivers/``."""
    from changekit.gate.run import repo_prefix

    changes = history.file_history(ws.root, repo_prefix(ws.root) + "waivers")
    versions = sorted(
        (c for commits in changes.values() for c in commits if c.new_blob),
        key=lambda c: parse_stored(c.commit.date),
    )
    first: dict[str, history.Commit] = {}
    with history.BlobReader(ws.root) as blobs:
        for change in versions:
            try:
                data = yaml.safe_load(blobs.read(change.new_blob or "") or b"")
            except yaml.YAMLError:
                continue  # a broken version opened nothing; the one that fixed it did
            rows = data.get("waivers") if isinstance(data, dict) else None
            for row in rows if isinstance(rows, list) else []:
                if isinstance(row, dict) and isinstance(row.get("id"), str):
                    first.setdefault(row["id"], change.commit)
    return first


def events(
    ws: Workspace, chosen: set[str], start: datetime, end: datetime, now: datetime
) -> list[Event]:
    waivers = workspace_waivers(ws)
    if not waivers:
        return []
    opened = opened_at(ws)
    out: list[Event] = []
    for w in waivers:
        hosts = tuple(sorted(h for h in chosen if any(fnmatch.fnmatchcase(h, p) for p in w.hosts)))
        if not hosts:
            continue
        what = w.item or w.finding or w.standard or "any finding"
        details = {"waiver": w.id, "what": what, "expires": w.expires.isoformat()}
        commit = opened.get(w.id)
        if commit is not None and within(parse_stored(commit.date), start, end):
            out.append(
                Event(
                    parse_stored(commit.date),
                    "waiver-opened",
                    hosts,
                    f"waiver {w.id} for {what} added by {commit.author_email}, approved by "
                    f"{w.approved_by}, until {w.expires.isoformat()}: {w.justification}",
                    None,
                    {**details, "by": commit.author_email, "commit": commit.sha},
                )
            )
        if within(w.expires_at, start, end):
            gone = w.expired(now)
            out.append(
                Event(
                    w.expires_at,
                    "waiver-expired" if gone else "waiver-expiring",
                    hosts,
                    f"waiver {w.id} for {what} "
                    + ("expired: its findings are open again" if gone else "expires"),
                    None,
                    details,
                )
            )
    return out
