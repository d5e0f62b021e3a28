"""The timeline's runs: each host's outcome in each ``changekit change run``, from the commits
that wrote its transcript (``runs/<record>/<run>/<host>.json``, ``changekit.run.runner``).

The run writes a host's transcript and its state in the record in one commit: the state is
read from the record as that commit left it, and a transcript written by a commit the record's
proven history does not explain (a hand edit, a file added on its own) is shown as such."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import yaml

from changekit.facts.store import host_of
from changekit.gate import history
from changekit.records.times import parse_stored
from changekit.review.timeline import Event, within
from changekit.run.runner import RUNS_DIR
from changekit.workspace import Workspace

STATES = {
    "done": "done",
    "verified": "done and verified",
    "failed": "failed",
    "rolled_back": "failed and rolled back",
    "rollback_failed": "failed, and its rollback failed too",
    "pending": "pending",
}


def events(
    ws: Workspace, chosen: set[str], start: datetime, end: datetime, records: Any
) -> list[Event]:
    from changekit.gate.run import repo_prefix

    prefix = repo_prefix(ws.root)
    changes = history.file_history(ws.root, prefix + RUNS_DIR)
    wanted: list[tuple[str, str, str, str, history.FileChange]] = []
    for path, commits in changes.items():
        parts = path[len(prefix) :].split("/")
        if len(parts) != 4 or host_of(parts[3]) not in chosen:
            continue
        for change in commits:
            if change.new_blob and within(parse_stored(change.commit.date), start, end):
                wanted.append((path[len(prefix) :], parts[1], parts[2], host_of(parts[3]), change))
    if not wanted:
        return []
    out: list[Event] = []
    with history.BlobReader(ws.root) as blobs:
        for path, rid, run, host, change in wanted:
            out.append(_event(blobs, prefix, records, path, rid, run, host, change))
    return out


def _event(blobs, prefix, records, path, rid, run, host, change) -> Event:
    commit = change.commit
    record = records.claimed.get(rid)
    name = record.path.name if record is not None and record.path else f"{rid}.yaml"
    raw = blobs.read(f"{commit.sha}:{prefix}change_records/{name}")
    try:
        data = yaml.safe_load(raw) if raw else None
    except yaml.YAMLError:
        data = None
    entry = (((data or {}).get("run") or {}).get("hosts") or {}).get(host) or {}
    state = str(entry.get("state") or "unknown")
    try:
        steps = json.loads(blobs.read(change.new_blob) or b"{}").get("steps") or []
    except (ValueError, AttributeError):
        steps = []
    proven = records.proven.get(rid)
    # the runner writes the transcript and the host's state in the record in one commit,
    # a proven step of the record; a transcript any other commit wrote is only a claim
    hand = proven is None or commit.sha not in proven.accepted
    reason = entry.get("reason")
    summary = (
        f"{rid} run {run} on {host}: {STATES.get(state, state)}"
        + (f" ({reason})" if reason else "")
        + f", {len(steps)} step(s) in its transcript"
        + (
            f"; written by {commit.author_email} in a commit no step of {rid} explains, "
            "so it proves nothing"
            if hand
            else ""
        )
    )
    return Event(
        parse_stored(commit.date),
        "run-host",
        (host,),
        summary,
        rid,
        {
            "run": run,
            "state": state,
            "reason": reason,
            "steps": len(steps),
            "proven": not hand,
            "commit": commit.sha,
            "by": commit.author_email,
            "transcript": path,
        },
    )
