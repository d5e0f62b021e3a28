"""Read what drift analysis needs from a workspace: inventory, snapshot history, standards,
waivers and change records. Kept apart from the pure analyzers in ``engine``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from changekit.drift import remediation
from changekit.drift.baseline import with_baseline
from changekit.drift.engine import DriftResult, with_peers
from changekit.drift.findings import Finding
from changekit.drift.keep import drift_keep
from changekit.drift.peers import PeerThresholds
from changekit.drift.standards import FALLBACK_COLLECTORS, Standard, load_standards
from changekit.drift.timeline import RecordSpan, changes_between
from changekit.drift.units import analyze_units, fleet_scans
from changekit.drift.waivers import Waiver, load_waivers
from changekit.errors import ChangekitError
from changekit.facts.backend import DriftHistoriesStore, FactsStore
from changekit.inventory.model import Host, Inventory
from changekit.inventory.selectors import hosts_of
from changekit.plugins import collect
from changekit.records.times import parse_stored
from changekit.workspace import Workspace


def known_collectors() -> frozenset[str]:
    """Collector names the loaded plugins offer (the built-in list when none are loaded)."""
    names = {getattr(c, "name", None) for c in collect("register_collectors")}
    names.discard(None)
    return frozenset(names) or FALLBACK_COLLECTORS  # type: ignore[arg-type]


def workspace_standards(ws: Workspace) -> list[Standard]:
    """The workspace's standards, their paths relative to it (reports name them)."""
    found = load_standards(ws.standards_dir, known_collectors())
    return [replace(s, path=ws.relpath(s.path)) if s.path else s for s in found]


def workspace_waivers(ws: Workspace) -> list[Waiver]:
    found = load_waivers(ws.root / "waivers")
    return [replace(w, path=ws.relpath(w.path)) if w.path else w for w in found]


def workspace_inventory(ws: Workspace) -> Inventory:
    from changekit.inventory.load import load_inventory

    return load_inventory(None, ws, ssh_config=False)


def _parse(ts: Any) -> datetime | None:
    if not ts:
        return None
    return ts if isinstance(ts, datetime) else parse_stored(ts)


def record_spans(
    ws: Workspace,
    inventory: Inventory,
    claimed: list[Any] | None = None,
    proven: dict[str, Any] | None = None,
) -> list[RecordSpan]:
    """Every change record as drift sees it: resolved hosts, the time it may have acted in,
    its status and step times as its git history proves them (not as the file claims).
    ``claimed`` and ``proven``: the records and ``prove_all`` of them, when the caller has
    them already (the timeline does: one walk of the history, not two)."""
    from changekit.drift.proof import approved_at, prove_all
    from changekit.gate.verdict import view
    from changekit.records import store

    if claimed is None:
        claimed = store.load_all(ws).records
    if proven is None:
        proven = prove_all(ws, claimed)
    spans = []
    for rec in (view(r, proven[r.id]) for r in claimed):
        data = rec.data
        hosts = {h.name for sel in rec.hosts for h in hosts_of(inventory, sel)} | set(rec.hosts)
        window = data.get("window") or {}
        ran = [
            _parse(h["at"])
            for h in rec.history
            if h.get("status") in ("in_progress", "completed", "failed", "rolled_back")
        ]
        start = _parse(window.get("start"))
        end = _parse(window.get("end"))
        if ran:  # what really happened widens the planned window
            start = min([t for t in (start, *ran) if t is not None])
            end = max([t for t in (end, *ran) if t is not None])
        done = [
            _parse(h["at"])
            for h in rec.history
            if h.get("status") in ("completed", "failed", "rolled_back")
        ]
        if done and rec.status in ("completed", "failed", "rolled_back"):
            end = max(done)  # a finished change acts no more: not until its planned end
        completed = next(
            (_parse(h["at"]) for h in rec.history if h.get("status") == "completed"), None
        )
        spans.append(
            RecordSpan(
                id=rec.id,
                status=rec.status,
                hosts=frozenset(hosts),
                start=start,
                end=end,
                findings=tuple((data.get("links") or {}).get("findings") or ()),
                completed_at=completed,
                title=rec.title,
                approved=approved_at(rec, proven[rec.id]),
            )
        )
    return spans


def host_changes(
    ws: Workspace,
    host: str,
    old: dict[str, Any],
    new: dict[str, Any],
    store: FactsStore | None = None,
) -> list[Finding]:
    """``host``'s changes from snapshot ``old`` to ``new``, judged as ``drift`` judges them:
    one interval between stored scans at a time, so each change is held against the scan
    that first saw it (a record approved between two later scans is still late)."""
    from changekit.facts.backend import open_store
    from changekit.records.store import load_all

    store = store or open_store(ws)
    entries = store.history(host)
    ids = [e["scan_id"] for e in entries]
    if old["scan_id"] not in ids or new["scan_id"] not in ids:
        return []
    first, last = ids.index(old["scan_id"]), ids.index(new["scan_id"])
    snaps = [store.read_at(e["commit"], host) for e in entries[first : last + 1]]
    spans: list[RecordSpan] = []
    if load_all(ws).records:  # with none, no inventory to read (10,000 hosts: a second)
        try:
            inventory = workspace_inventory(ws)
        except ChangekitError:
            inventory = Inventory(hosts={})  # names and globs in records still match
        spans = record_spans(ws, inventory)
    out: list[Finding] = []
    for a, b in zip(snaps, snaps[1:], strict=False):
        out += changes_between({host: a}, {host: b}, spans, package_of=remediation.package_for)
    return out


def unit_reader(
    store: FactsStore, depth: int | None, standards: list[Standard]
) -> Callable[[list[str]], Iterator[tuple[str, list[dict[str, Any]]]]]:
    """How drift reads one unit's history: cut down where the facts are kept when the store
    can (``DriftHistoriesStore``: only what peers, time or a standard can tell apart leaves
    the database), else every snapshot whole. The findings are the same either way."""
    if isinstance(store, DriftHistoriesStore):
        keep = drift_keep(standards)
        return lambda hosts: store.iter_drift_histories(hosts, depth, keep)
    return lambda hosts: store.iter_histories(hosts, depth)


def analyze_workspace(
    ws: Workspace,
    selectors: list[str] | tuple[str, ...] = (),
    *,
    kinds: tuple[str, ...] = ("standard", "peers", "time"),
    thresholds: PeerThresholds | None = None,
    now: datetime,
    history: int = 12,
    since: str | None = None,
    builtin_baseline: bool = True,
    store: FactsStore | None = None,
) -> DriftResult:
    """Drift for the workspace's hosts matching ``selectors`` (all when empty); ``since``
    (a scan id, date, ``yesterday``, ``7d``, ISO time) is the baseline for drift over time.
    ``builtin_baseline``: also check ``changekit.drift.baseline`` (unless a workspace
    standard of that name replaces it).

    Snapshots are read one unit (a peer group and what it is judged with) at a time
    (``changekit.drift.units``): the history of every host comes from one read of the
    store, each snapshot from its own."""
    from changekit.facts.backend import open_store, pinned_reads

    store = store or open_store(ws)
    with pinned_reads(store):  # a scan stored meanwhile: seen by all units or by none
        return _analyze(
            ws, store, selectors, kinds, thresholds, now, history, since, builtin_baseline
        )


def _analyze(
    ws: Workspace,
    store: FactsStore,
    selectors: list[str] | tuple[str, ...],
    kinds: tuple[str, ...],
    thresholds: PeerThresholds | None,
    now: datetime,
    history: int,
    since: str | None,
    builtin_baseline: bool,
) -> DriftResult:
    from changekit.facts.when import resolve

    inventory = workspace_inventory(ws)
    if not inventory.hosts:  # scanned with a host list (-i a,b,): the store knows the hosts
        inventory = Inventory(hosts={h: Host(h) for h in store.hosts()})
    selected = [h.name for h in inventory.select(list(selectors))]
    names = with_peers(inventory, selected)
    baseline = resolve(since, now=now) if since else None
    depth = None if baseline else history
    entries = store.histories(sorted(names), depth)
    standards = with_baseline(workspace_standards(ws), builtin_baseline)
    result = analyze_units(
        inventory,
        selected,
        unit_reader(store, depth, standards),
        fleet_scans(entries),
        since=baseline,
        standards=standards,
        waivers=workspace_waivers(ws),
        records=record_spans(ws, inventory),
        kinds=kinds,
        thresholds=thresholds,
        now=now,
        history=history,
        package_of=remediation.package_for,
    )
    failed = store.failures(result.hosts + result.unscanned)
    for host, why in failed.items():
        why["last_good"] = result.judged.get(host)
    result.scan_failed = failed
    result.unscanned = [h for h in result.unscanned if h not in failed]
    return result
