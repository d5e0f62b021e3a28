"""Drift analysis over a fleet's scan history: findings now, since when, conformance over time.

Pure: it gets the inventory, the snapshots, standards, waivers and change records as
values (``changekit.drift.workspace_inputs`` reads them from a workspace), so every
rule is unit-tested without a fleet and the same code runs against the real one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from changekit.drift import rootcause
from changekit.drift.findings import OPEN, RESOLVED, WAIVED, Check, Finding
from changekit.drift.history import State, baseline_state, states_from_histories, ts
from changekit.drift.memo import PairMemo
from changekit.drift.peers import PeerThresholds, compare_peers
from changekit.drift.standard_check import check_standard
from changekit.drift.standards import Standard
from changekit.drift.timeline import PackageOf, RecordSpan, changes_between
from changekit.drift.waivers import Waiver, apply_waivers
from changekit.errors import InputError, NotFoundError
from changekit.inventory.model import Inventory

__all__ = ["DriftResult", "State", "analyze", "baseline_state", "states_from_histories"]

ALL_KINDS = ("standard", "peers", "time")


@dataclass
class DriftResult:
    hosts: list[str]
    groups: dict[str, list[str]]
    findings: list[Finding]
    resolved: list[Finding]
    standards: list[Standard]
    waivers: list[Waiver]
    expired_waivers: set[str]
    trend: list[dict[str, Any]]
    """Per state, oldest first: scan_id, at, overall and per-group conformance."""
    state: State | None
    previous: State | None
    now: datetime
    first: State | None = None
    """The scan drift over time starts from (the history window's oldest, or ``--since``)."""
    unscanned: list[str] = field(default_factory=list)
    """Selected hosts with no snapshot and no failed scan either: never scanned."""
    scan_failed: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Selected hosts whose latest scan failed: ``{"reason", "scan_id", "last_good"}``
    (``last_good``: the scan whose snapshot is judged instead, or ``None``)."""
    scopes: dict[str, list[str]] = field(default_factory=dict)
    """Standard name -> the scanned hosts it applies to."""
    judged: dict[str, str] = field(default_factory=dict)
    """Host -> the scan of the snapshot judged as its latest (set by the streaming driver,
    whose ``state`` names the scan but no longer holds the fleet's snapshots)."""

    @property
    def checks(self) -> list[Check]:
        """Every standard requirement on every host in its scope (passed or not); built on
        demand: 10,000 hosts x 200 requirements is 2 million checks, needed only for JUnit."""
        failed = {(f.scope, f.rule, f.host): f.id for f in self.findings if f.kind == "standard"}
        out = []
        for std in self.standards:
            for host in self.scopes.get(std.name, []):
                for req in std.requirements:
                    fid = failed.get((std.name, req.id, host))
                    out.append(Check(host, req.id, std.name, fid is None, fid))
        return out

    @property
    def open(self) -> list[Finding]:
        return [f for f in self.findings if f.is_open]


def peer_groups(inventory: Inventory, hosts: Iterable[str]) -> dict[str, list[str]]:
    """Groups that hold hosts directly (nested parents like ``prod`` mix roles: not peers)."""
    index = _INDEXES.get(inventory, None, _group_index)
    found: dict[str, list[str]] = {}
    for host in set(hosts):
        for name in index.get(host, ()):
            found.setdefault(name, []).append(host)
    return {name: sorted(found[name]) for name in sorted(found)}


_INDEXES = PairMemo(4)
"""Each inventory's host -> peer groups, built once: drift asks for a unit's groups a few
times per scan of its history, and walking every group of a 10,000-host fleet each time
made the whole-fleet run grow with the square of the fleet."""


def _group_index(inventory: Inventory, _unused: None) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for name, group in inventory.groups.items():
        if name in ("all", "ungrouped"):
            continue
        for host in dict.fromkeys(group.hosts):
            index.setdefault(host, []).append(name)
    return index


def with_peers(inventory: Inventory, hosts: Iterable[str]) -> set[str]:
    """``hosts`` and every member of each peer group they are in: drift judges a host
    against its whole group, so its peers are read too."""
    out = set(hosts)
    for members in peer_groups(inventory, inventory.hosts).values():
        if out.intersection(members):
            out.update(members)
    return out


def findings_for(
    state: State,
    inventory: Inventory,
    hosts: list[str],
    standards: list[Standard],
    kinds: Iterable[str],
    thresholds: PeerThresholds,
    package_of: PackageOf | None = None,
) -> list[Finding]:
    """Standard and peer findings for one state of the fleet, one per root cause."""
    kinds = set(kinds)
    present = {h: state.snapshots[h] for h in hosts if h in state.snapshots}
    out: list[Finding] = []
    if "standard" in kinds:
        for std in standards:
            scoped = _scope_names(inventory, std)
            out += check_standard(std, {h: s for h, s in present.items() if h in scoped})
    if "peers" in kinds:
        if any(r.kind == "integrity" and not r.config for s in standards for r in s.requirements):
            thresholds = replace(thresholds, integrity_conffiles_only=True)
        for group, members in peer_groups(inventory, present).items():
            out += compare_peers(group, {h: present[h] for h in members}, thresholds)
    return rootcause.fold(out, present, package_of)


_SCOPES = PairMemo(256)
"""The hosts each standard applies to, per inventory: asked again for every unit and scan."""


def _scope_names(inventory: Inventory, standard: Standard) -> frozenset[str]:
    """The names of the hosts ``standard`` applies to (``_match_any``), computed once."""
    return _SCOPES.get(
        inventory, standard, lambda i, s: frozenset(h.name for h in _match_any(i, s))
    )


def _match_any(inventory: Inventory, standard: Standard) -> list:
    """The hosts a standard applies to; an unknown group is the standard's error, named there."""
    found = {}
    for i, sel in enumerate(standard.applies_to):
        if sel in ("all", "group:all"):  # Ansible's implicit group of every host
            return list(inventory.hosts.values())
        try:
            matched = inventory.match(sel)
        except NotFoundError as exc:
            lines = standard.applies_lines
            raise InputError(
                f"standard {standard.name!r} applies to {sel!r}: {exc.message}",
                path=standard.path,
                line=lines[i] if i < len(lines) else None,
                field=f"applies_to[{i}]",
                hint=exc.hint,
            ) from None
        for h in matched:
            found[h.name] = h
    return list(found.values())


def conformance_counts(
    hosts: list[str], groups: dict[str, list[str]], findings: list[Finding]
) -> dict[str, Any]:
    """Hosts with no open finding and hosts counted, overall and per group (``[good, all]``):
    what adds up across units where shares do not."""
    bad = {h for f in findings if f.is_open for h in f.all_hosts}
    good = [h for h in hosts if h not in bad]
    return {
        "overall": [len(good), len(hosts)],
        "groups": {g: [sum(1 for h in m if h not in bad), len(m)] for g, m in groups.items()},
    }


def share(good: int, total: int) -> float:
    """A percentage to one decimal; 100 for nobody (nothing to fault)."""
    return round(100.0 * good / total, 1) if total else 100.0


def conformance(
    hosts: list[str], groups: dict[str, list[str]], findings: list[Finding]
) -> dict[str, Any]:
    """Share of scanned hosts with no open finding, overall and per group."""
    bad = {h for f in findings if f.is_open for h in f.all_hosts}

    def share(members: list[str]) -> float:
        return (
            round(100.0 * sum(1 for h in members if h not in bad) / len(members), 1)
            if members
            else 100.0
        )

    return {"overall": share(hosts), "groups": {g: share(m) for g, m in groups.items()}}


def analyze(
    inventory: Inventory,
    states: list[State],
    *,
    standards: list[Standard] = (),  # type: ignore[assignment]
    waivers: list[Waiver] = (),  # type: ignore[assignment]
    records: list[RecordSpan] = (),  # type: ignore[assignment]
    selectors: Iterable[str] = (),
    kinds: Iterable[str] = ALL_KINDS,
    thresholds: PeerThresholds | None = None,
    now: datetime,
    history: int = 12,
    since: tuple[str | None, datetime] | None = None,
    package_of: PackageOf | None = None,
    hosts: list[str] | None = None,
) -> DriftResult:
    """Findings for the latest state, with since-when, waivers, explained and resolved ones.

    ``since`` (scan id or ``None``, instant) picks the baseline for drift against time;
    by default it is the oldest scan of the ``history`` window. Drift over time lists every
    change between consecutive scans from the baseline to the latest. ``hosts``, when
    given, is the selection itself (``selectors`` are then not read): the streaming driver
    (``changekit.drift.units``) passes one unit's selected hosts at a time."""
    kinds = tuple(kinds)
    thresholds = thresholds or PeerThresholds()
    selected = (
        list(hosts) if hosts is not None else [h.name for h in inventory.select(list(selectors))]
    )
    chosen = set(selected)
    # peers are judged against their whole group even when only some hosts are selected
    universe = sorted(with_peers(inventory, chosen))
    standards, waivers, records = list(standards), list(waivers), list(records)
    window = states[-history:] if states else []
    per_state: list[list[Finding]] = []
    trend = []
    for st in window:
        hosts = [h for h in selected if h in st.snapshots]
        present = [h for h in universe if h in st.snapshots]
        found = [
            f
            for f in findings_for(st, inventory, present, standards, kinds, thresholds, package_of)
            if f.host in chosen or (f.hosts and chosen.intersection(f.hosts))
        ]
        apply_waivers(found, waivers, ts(st.at))
        per_state.append(found)
        groups = peer_groups(inventory, hosts)
        trend.append(
            {
                "scan_id": st.scan_id,
                "at": st.at,
                "hosts": len(hosts),
                **conformance(hosts, groups, found),
                "counts": conformance_counts(hosts, groups, found),
            }
        )
    latest = window[-1] if window else None
    previous = window[-2] if len(window) > 1 else None
    first = window[0] if window else None
    if since is not None:
        previous = first = baseline_state(states, *since)
    findings = per_state[-1] if per_state else []
    _set_since(findings, window, per_state)
    for f in findings:  # re-judge the latest findings against today, not the scan day
        if f.status == WAIVED:
            f.status, f.waiver = OPEN, None
    expired = apply_waivers(findings, waivers, now)
    if "time" in kinds and latest is not None and first is not None:
        # every change between consecutive scans of the period, not only the last interval:
        # an unrecorded change stays visible for as long as its scan is in the history
        # a waiver accepts a state, not an unrecorded change: those stay visible
        findings += changes_over(states, first, latest, chosen, records, package_of)
    resolved = _resolved(findings, per_state, records)
    hosts = [h for h in selected if latest and h in latest.snapshots]
    return DriftResult(
        hosts=hosts,
        groups=peer_groups(inventory, hosts),
        findings=findings,
        resolved=resolved,
        standards=standards,
        waivers=waivers,
        expired_waivers=expired,
        trend=trend,
        state=latest,
        previous=previous,
        first=first,
        now=now,
        unscanned=[h for h in selected if not latest or h not in latest.snapshots],
        scopes=_scopes(inventory, hosts, standards) if "standard" in kinds else {},
    )


def changes_over(
    states: list[State],
    first: State,
    latest: State,
    hosts: set[str],
    records: list[RecordSpan],
    package_of: PackageOf | None = None,
) -> list[Finding]:
    """Time findings for each interval between consecutive states from ``first`` to ``latest``
    (a host's snapshot pairs: a host not re-scanned in a state adds no interval)."""
    start = next(i for i, st in enumerate(states) if st is first or st.scan_id == first.scan_id)
    end = next(i for i, st in enumerate(states) if st is latest or st.scan_id == latest.scan_id)
    out: list[Finding] = []
    for old_st, new_st in zip(states[start:end], states[start + 1 : end + 1], strict=True):
        old = {h: s for h, s in old_st.snapshots.items() if h in hosts}
        new = {h: s for h, s in new_st.snapshots.items() if h in old}
        out += changes_between(old, new, records, package_of=package_of)
    return out


def _scopes(
    inventory: Inventory, hosts: list[str], standards: list[Standard]
) -> dict[str, list[str]]:
    out = {}
    for std in standards:
        scoped = _scope_names(inventory, std)
        out[std.name] = [h for h in hosts if h in scoped]
    return out


def _set_since(
    findings: list[Finding], window: list[State], per_state: list[list[Finding]]
) -> None:
    """A finding's ``since`` is the first scan of the unbroken run of scans that show it."""
    ids_per_state = [{f.id for f in fs} for fs in per_state]
    for f in findings:
        since = (
            window[-1].snapshots[f.host]["collected_at"] if f.host in window[-1].snapshots else None
        )
        for st, ids in zip(reversed(window[:-1]), reversed(ids_per_state[:-1]), strict=True):
            if f.id not in ids:
                break
            since = st.snapshots[f.host]["collected_at"] if f.host in st.snapshots else since
        f.since = since


def _resolved(
    current: list[Finding], per_state: list[list[Finding]], records: list[RecordSpan]
) -> list[Finding]:
    """Findings a completed record linked that the latest state no longer shows."""
    # a record may link a finding folded into another (``evidence.parts``): count parts too
    now_ids = {
        g.id
        for f in current
        if f.status == OPEN or f.status == "waived"
        for g in rootcause.unfold(f)
    }
    last_seen: dict[str, Finding] = {}
    for fs in per_state[:-1]:
        for f in fs:
            for g in rootcause.unfold(f):
                last_seen[g.id] = g
    out = []
    for rec in records:
        if rec.status != "completed":
            continue
        for fid in rec.findings:
            if fid in now_ids or fid not in last_seen:
                continue
            old = last_seen[fid]
            out.append(
                Finding(
                    kind=old.kind,
                    scope=old.scope,
                    rule=old.rule,
                    host=old.host,
                    item=old.item,
                    expected=old.expected,
                    actual=old.actual,
                    severity=old.severity,
                    message=f"resolved by {rec.id}: {old.message}",
                    evidence=old.evidence,
                    since=old.since,
                    status=RESOLVED,
                    change=rec.id,
                    id=old.id,
                )
            )
    return out
