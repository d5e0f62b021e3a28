"""Drift for a fleet one unit at a time: memory is bounded by the largest unit, not the fleet.

A unit is the smallest set of hosts that must be judged together: the members of a peer
group (peers are compared with each other), joined with any other group a member also
belongs to, and the scope of a standard that asks for the ``same`` version on every host.
A host in no group and no such scope is a unit of its own. Each unit's snapshot history
is read from the store, analysed by ``engine.analyze`` exactly as the whole fleet would be,
and dropped; only its findings and conformance counts are kept, and they add up (a finding
never spans two units, a group's conformance is one unit's).

Every unit is judged against the same scans: the fleet's, from one history read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from changekit.drift.engine import DriftResult, State, analyze, peer_groups, share, with_peers
from changekit.drift.history import snapshots_at, ts
from changekit.drift.standards import Standard
from changekit.inventory.model import Inventory


def units(inventory: Inventory, hosts: list[str], standards: Iterable[Standard]) -> list[list[str]]:
    """``hosts`` split into units (see the module docstring), each sorted, in order of
    their first host."""
    parent = {h: h for h in hosts}

    def find(h: str) -> str:
        while parent[h] != h:
            parent[h] = parent[parent[h]]
            h = parent[h]
        return h

    def join(members: Iterable[str]) -> None:
        members = [m for m in members if m in parent]
        for m in members[1:]:
            a, b = find(members[0]), find(m)
            if a != b:
                parent[b] = a

    for members in peer_groups(inventory, hosts).values():
        join(members)
    for std in standards:
        if any(r.constraint is not None and r.constraint.same for r in std.requirements):
            from changekit.drift.engine import _match_any

            join(sorted({h.name for h in _match_any(inventory, std)}))
    out: dict[str, list[str]] = {}
    for h in sorted(hosts):
        out.setdefault(find(h), []).append(h)
    return sorted(out.values(), key=lambda m: m[0])


def fleet_scans(entries: dict[str, list[dict[str, Any]]]) -> list[tuple[str, datetime]]:
    """Every scan the fleet's history entries name, oldest first: ``(scan id, start)``."""
    seen = {e["scan_id"]: e["time"] for hist in entries.values() for e in hist}
    return sorted(seen.items(), key=lambda kv: (kv[1], kv[0]))


def unit_states(
    histories: dict[str, list[dict[str, Any]]], scans: list[tuple[str, datetime]]
) -> list[tuple[State, bool]]:
    """One state per fleet scan for one unit's hosts: each host's snapshot of that scan, or
    its latest one before it. ``at`` is the earliest ``collected_at`` of the unit's
    snapshots of that scan; the flag says whether there was any (else ``at`` is the scan's
    start and says nothing about this unit)."""
    per_host = {
        h: sorted(snaps, key=lambda s: ts(s["collected_at"])) for h, snaps in histories.items()
    }
    out = []
    for scan_id, start in scans:
        own = [
            s["collected_at"]
            for snaps in per_host.values()
            for s in snaps
            if s["scan_id"] == scan_id
        ]
        at = min(own, key=ts) if own else start.isoformat()
        t = ts(at)
        current = snapshots_at(per_host, scan_id, t)
        out.append((State(scan_id, at, current), bool(own)))
    return out


@dataclass
class _Totals:
    """What the units' results add up to."""

    hosts: list[str] = field(default_factory=list)
    unscanned: list[str] = field(default_factory=list)
    findings: list = field(default_factory=list)
    resolved: list = field(default_factory=list)
    expired: set[str] = field(default_factory=set)
    scopes: dict[str, list[str]] = field(default_factory=dict)
    judged: dict[str, str] = field(default_factory=dict)
    at: dict[str, str] = field(default_factory=dict)
    """Scan id -> the earliest ``collected_at`` of its snapshots in any unit."""
    start: dict[str, str] = field(default_factory=dict)
    """Scan id -> when it started (for a scan no unit has a snapshot of)."""
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)
    first: str | None = None
    previous: str | None = None
    latest: str | None = None


def analyze_units(
    inventory: Inventory,
    selected: list[str],
    read: Callable[[list[str]], Iterator[tuple[str, list[dict[str, Any]]]]],
    scans: list[tuple[str, datetime]],
    *,
    standards: list[Standard],
    **options: Any,
) -> DriftResult:
    """``engine.analyze`` over the fleet, one unit at a time. ``selected``: the hosts to
    report on (their peers are read too); ``read(hosts)`` yields ``(host, snapshots oldest
    first)``; ``scans``: the fleet's scans (``fleet_scans``); ``options``: the rest of
    ``analyze``'s keyword arguments."""
    chosen = set(selected)
    universe = sorted(with_peers(inventory, chosen))
    order = {h: i for i, h in enumerate(selected)}
    totals = _Totals()
    last: tuple[list, list, datetime] | None = None
    for unit in units(inventory, universe, standards):
        histories = dict(read(unit))
        states = unit_states(histories, scans)
        del histories  # the states hold what is still needed
        mine = [h for h in unit if h in chosen]
        mine.sort(key=order.__getitem__)
        result = analyze(
            inventory, [s for s, _ in states], standards=standards, hosts=mine, **options
        )
        _add(totals, result, states)
        last = (result.standards, result.waivers, result.now)
        del states, result  # one unit's snapshots at a time: none kept past its unit
    if last is None:
        return analyze(inventory, [], standards=standards, hosts=[], **options)
    return _total(inventory, totals, last, order)


def _add(totals: _Totals, result: DriftResult, states: list[tuple[State, bool]]) -> None:
    totals.hosts += result.hosts
    totals.unscanned += result.unscanned
    totals.findings += result.findings
    totals.resolved += result.resolved
    totals.expired |= result.expired_waivers
    for name, hosts in result.scopes.items():
        totals.scopes.setdefault(name, []).extend(hosts)
    if result.state is not None:
        totals.judged.update({h: s["scan_id"] for h, s in result.state.snapshots.items()})
    for st, own in states:
        if own and (st.scan_id not in totals.at or ts(st.at) < ts(totals.at[st.scan_id])):
            totals.at[st.scan_id] = st.at
        totals.start.setdefault(st.scan_id, st.at)
    for t in result.trend:
        c = totals.counts.setdefault(t["scan_id"], {"overall": [0, 0], "groups": {}})
        c["overall"][0] += t["counts"]["overall"][0]
        c["overall"][1] += t["counts"]["overall"][1]
        c["groups"].update(t["counts"]["groups"])
    for name, seen in (
        ("first", result.first),
        ("previous", result.previous),
        ("latest", result.state),
    ):
        if seen is not None:
            setattr(totals, name, seen.scan_id)


def _total(
    inventory: Inventory,
    totals: _Totals,
    last: tuple[list, list, datetime],
    order: dict[str, int],
) -> DriftResult:
    def at(scan_id: str) -> str:
        return totals.at.get(scan_id) or totals.start[scan_id]

    def state(scan_id: str | None) -> State | None:
        # the fleet's snapshots are gone by now: a state names its scan, not its hosts'
        return State(scan_id, at(scan_id), {}) if scan_id else None

    hosts = sorted(totals.hosts, key=order.__getitem__)
    trend = []
    for scan_id, c in totals.counts.items():
        good, total = c["overall"]
        trend.append(
            {
                "scan_id": scan_id,
                "at": at(scan_id),
                "hosts": total,
                "overall": share(good, total),
                "groups": {g: share(*gc) for g, gc in sorted(c["groups"].items())},
                "counts": c,
            }
        )
    trend.sort(key=lambda t: (ts(t["at"]), t["scan_id"]))
    return DriftResult(
        hosts=hosts,
        groups=peer_groups(inventory, hosts),
        findings=totals.findings,
        resolved=totals.resolved,
        standards=last[0],
        waivers=last[1],
        expired_waivers=totals.expired,
        trend=trend,
        state=state(totals.latest),
        previous=state(totals.previous),
        first=state(totals.first),
        now=last[2],
        unscanned=sorted(totals.unscanned, key=order.__getitem__),
        scopes={n: sorted(h, key=order.__getitem__) for n, h in totals.scopes.items()},
        judged=totals.judged,
    )
