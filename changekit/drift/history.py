"""The fleet over time: one state per scan, built from each host's snapshot history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from changekit.errors import NotFoundError
from changekit.records.times import parse_stored as ts


@dataclass
class State:
    """The fleet as known at one scan: each host's latest snapshot at or before it."""

    scan_id: str
    at: str
    snapshots: dict[str, dict[str, Any]]


def states_from_histories(histories: dict[str, list[dict[str, Any]]]) -> list[State]:
    """One state per scan id seen, oldest first, from every host's snapshot history."""
    scans: dict[str, str] = {}
    for snaps in histories.values():
        for s in snaps:
            scans[s["scan_id"]] = min(s["collected_at"], scans.get(s["scan_id"], s["collected_at"]))
    ordered = sorted(scans.items(), key=lambda kv: (ts(kv[1]), kv[0]))
    per_host = {
        h: sorted(snaps, key=lambda s: ts(s["collected_at"])) for h, snaps in histories.items()
    }
    states = []
    for scan_id, at in ordered:
        t = ts(at)
        current = snapshots_at(per_host, scan_id, t)
        states.append(State(scan_id, at, current))
    return states


def baseline_state(states: list[State], scan_id: str | None, instant: datetime) -> State:
    """The state of scan ``scan_id``, or the last one at or before ``instant``."""
    if scan_id:
        for st in states:
            if st.scan_id == scan_id:
                return st
        raise NotFoundError(
            f"no scan {scan_id} in the snapshot history", hint="list scans: changekit facts scans"
        )
    before = [st for st in states if ts(st.at) <= instant]
    if not before:
        raise NotFoundError(
            f"no scan at or before {instant.isoformat(timespec='seconds')}",
            hint="pick a later time or a scan id",
        )
    return before[-1]


def snapshots_at(
    per_host: dict[str, list[dict[str, Any]]], scan_id: str, t: datetime
) -> dict[str, dict[str, Any]]:
    """Each host's snapshot in scan ``scan_id``, else its latest taken at or before ``t``
    (``per_host``: each host's snapshots, oldest first)."""
    current: dict[str, dict[str, Any]] = {}
    for host, snaps in per_host.items():
        mine = [s for s in snaps if s["scan_id"] == scan_id]
        older = [s for s in snaps if ts(s["collected_at"]) <= t]
        pick = mine[-1] if mine else (older[-1] if older else None)
        if pick is not None:
            current[host] = pick
    return current
