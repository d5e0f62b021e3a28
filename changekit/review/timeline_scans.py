"""The timeline's scans: what changed between consecutive stored scans of each host (judged
as ``changekit drift`` judges it), and the scans that failed or were partial.

Only the period is read: each host's newest history entries back to the period's start (what
the store lists, no snapshot yet), then the snapshots of the scans in the period and the one
just before it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from changekit.drift import remediation
from changekit.drift.findings import EXPLAINED, RECORDED_LATE
from changekit.drift.timeline import RecordSpan, changes_between
from changekit.records.times import parse_stored
from changekit.review.timeline import Event, within

STATUS = {EXPLAINED: "explained", RECORDED_LATE: "recorded_late"}


def events(
    store: Any,
    spans: list[RecordSpan],
    hosts: list[str],
    start: datetime,
    end: datetime,
    wanted: set[str],
) -> tuple[list[Event], list[str]]:
    """The events, and the selected hosts with no stored scan at all."""
    out: list[Event] = []
    entries = _entries(store, hosts, start)
    if "observed-change" in wanted:
        for host in hosts:
            out += _observed(store, spans, host, entries.get(host) or [], start, end)
    if wanted & {"scan-failed", "scan-partial"}:
        out += _failed(store, set(hosts), start, end)
    return out, [h for h in hosts if not entries.get(h)]


def _entries(store: Any, hosts: list[str], start: datetime) -> dict[str, list[dict[str, Any]]]:
    """Each host's newest history entries back to the last scan before ``start`` (or its
    first): read in growing steps, so a week of a year of daily scans reads about a week."""
    count = 16
    found = store.histories(hosts, count)
    while True:
        more = [h for h, es in found.items() if len(es) == count and es[0]["time"] >= start]
        if not more:
            return found
        count *= 4
        found.update(store.histories(more, count))


def _observed(
    store: Any,
    spans: list[RecordSpan],
    host: str,
    entries: list[dict[str, Any]],
    start: datetime,
    end: datetime,
) -> list[Event]:
    inside = [i for i, e in enumerate(entries) if within(e["time"], start, end)]
    if not inside:
        return []
    first = max(inside[0] - 1, 0)  # the scan before the period: what the first one changed
    snaps = [store.read_at(e["commit"], host) for e in entries[first : inside[-1] + 1]]
    out: list[Event] = []
    for seq, (old, new) in enumerate(zip(snaps, snaps[1:], strict=False)):
        for f in changes_between(
            {host: old}, {host: new}, spans, package_of=remediation.package_for
        ):
            status = STATUS.get(f.status, "unrecorded")
            out.append(
                Event(
                    parse_stored(new["collected_at"]),
                    "observed-change",
                    (host,),
                    f.message,
                    f.change,
                    {
                        "status": status,
                        "item": f.item,
                        "before": f.expected,
                        "after": f.actual,
                        "scan_id": new["scan_id"],
                        "previous_scan_id": old["scan_id"],
                        "finding": f.id,
                    },
                    seq=seq,
                )
            )
    return out


def _failed(store: Any, chosen: set[str], start: datetime, end: datetime) -> list[Event]:
    """Hosts a scan of the period could not reach or read (a partial scan: some collectors)."""
    out: list[Event] = []
    for index in store.scans():
        at = parse_stored(index["started_at"])
        if not within(at, start, end):
            continue
        for host, state in sorted((index.get("hosts") or {}).items()):
            if host not in chosen:
                continue
            if state.get("status") == "failed":
                why = ": ".join(str(x) for x in (state.get("reason"), state.get("message")) if x)
                out.append(
                    Event(
                        at,
                        "scan-failed",
                        (host,),
                        f"scan {index['scan_id']} could not scan {host}: {why or 'failed'}",
                        None,
                        {"scan_id": index["scan_id"], "reason": why or "failed"},
                    )
                )
            elif state.get("status") == "partial":
                failed = sorted(state.get("errors") or {})
                out.append(
                    Event(
                        at,
                        "scan-partial",
                        (host,),
                        f"scan {index['scan_id']} read {host} only in part: "
                        f"{', '.join(failed)} failed (their facts are carried over)",
                        None,
                        {"scan_id": index["scan_id"], "collectors": failed},
                    )
                )
    return out
