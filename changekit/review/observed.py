"""What the stored scans say about a period: scans and their failures, the changes observed
between consecutive scans (explained, recorded late or unrecorded, judged against what git
proves of the records), conformance per group at the period's start and end, and the items
that changed and drifted most.

A year of daily scans of a fleet is tens of thousands of snapshot pairs, and diffing each
means parsing two multi-megabyte snapshots. What two snapshots differ by never changes, so it
is kept in ``.git/changekit/`` (where no commit can plant a file) keyed by the host and the
two stored snapshots' references: a review diffs only the pairs stored since the last one.
Whether a change is explained is judged afresh each time (records move on), never cached.
"""

from __future__ import annotations

import contextlib
import marshal
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from changekit.drift.timeline import RecordSpan, _fold, diff_snapshots
from changekit.fileio import atomic_write
from changekit.records.times import parse_stored

CACHE = f"changekit/observed-v1-py{sys.version_info[0]}{sys.version_info[1]}.marshal"

_EPSILON = timedelta(microseconds=1)

Pair = tuple[str, str, str]
"""(host, reference of the older snapshot, reference of the newer one)."""


class DiffCache:
    """``Pair`` -> ``(older collected_at, newer collected_at, changes)``, plain values."""

    def __init__(self, root: Path | None) -> None:
        self.path: Path | None = None
        self.data: dict[str, tuple] = {}
        self.dirty = False
        if root is None:
            return
        from changekit.gate.history import git

        with contextlib.suppress(Exception):  # no git dir: work without a cache
            rel = git(root, "rev-parse", "--git-path", CACHE).decode().strip()
            self.path = root / rel
            loaded = marshal.loads(self.path.read_bytes())
            if isinstance(loaded, dict):
                self.data = loaded

    @staticmethod
    def key(pair: Pair) -> str:
        return "\0".join(pair)

    def get(self, pair: Pair) -> tuple | None:
        return self.data.get(self.key(pair))

    def put(self, pair: Pair, value: tuple) -> None:
        self.data[self.key(pair)] = value
        self.dirty = True

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        with contextlib.suppress(OSError, ValueError):  # read-only: still works, just slower
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, marshal.dumps(self.data))
            self.dirty = False


def _diff(host: str, old: dict, new: dict, package_of: Any) -> tuple:
    family = ((new.get("facts") or {}).get("os") or {}).get("family") or "debian"
    changes = [
        (ch.item, ch.what, ch.before, ch.after, len(ch.folded))
        for ch in _fold(diff_snapshots(host, old, new), package_of, family)
    ]
    return str(old.get("collected_at")), str(new.get("collected_at")), changes


def _in(t: datetime, start: datetime, end: datetime) -> bool:
    return start <= t < end


def _pairs(entries: list[dict[str, Any]], start: datetime, end: datetime) -> list[tuple]:
    """Consecutive history entries whose newer one was stored in ``[start, end)``."""
    return [
        (a, b) for a, b in zip(entries, entries[1:], strict=False) if _in(b["time"], start, end)
    ]


def observed_changes(
    store: Any,
    histories: dict[str, list[dict[str, Any]]],
    start: datetime,
    end: datetime,
    cache: DiffCache,
    package_of: Any = None,
) -> Iterator[tuple[str, dict, tuple]]:
    """``(host, newer entry, (older collected_at, newer collected_at, changes))`` for every
    stored pair in the period. Uncached pairs are read host by host, each snapshot once."""
    for host, entries in histories.items():
        held: dict[str, dict] = {}  # the newer snapshot of one pair is the older of the next
        for a, b in _pairs(entries, start, end):
            pair = (host, str(a["commit"]), str(b["commit"]))
            found = cache.get(pair)
            if found is None:
                old = held.pop(pair[1], None) or store.read_at(a["commit"], host)
                new = store.read_at(b["commit"], host)
                held = {pair[2]: new}
                found = _diff(host, old, new, package_of)
                cache.put(pair, found)
            yield host, b, found


def _judge(
    host: str, t0: datetime, t1: datetime, spans_by_host: dict[str, list[RecordSpan]]
) -> tuple[str, str | None]:
    """As drift judges a change between two scans: explained by a record approved before the
    later scan, recorded late by one approved after it, else unrecorded."""
    covering = [r for r in spans_by_host.get(host, ()) if r.covers(host, t0, t1)]
    cover = next((r for r in covering if r.approved_by(t1)), None)
    if cover is not None:
        return "explained", cover.id
    if covering:
        return "recorded_late", covering[0].id
    return "unrecorded", None


def _scan_figures(scans: list[dict[str, Any]], hosts: set[str], start, end) -> dict[str, Any]:
    count, seen, failures = 0, set(), []
    for index in scans:
        when = index.get("started_at")
        t = parse_stored(when) if isinstance(when, str) else when
        if t is None or not _in(t, start, end):
            continue
        mine = {h: s for h, s in (index.get("hosts") or {}).items() if h in hosts}
        if not mine:
            continue
        count += 1
        for host, status in sorted(mine.items()):
            seen.add(host)
            if status.get("status") == "failed":
                reason = ": ".join(
                    str(x) for x in (status.get("reason"), status.get("message")) if x
                )
                failures.append(
                    {
                        "host": host,
                        "scan_id": index.get("scan_id"),
                        "time": t.isoformat(),
                        "reason": reason or "failed",
                    }
                )
    return {"count": count, "hosts": len(seen), "failed": len(failures), "failures": failures}


def observed(
    ws: Any,
    *,
    hosts: Iterable[str],
    start: datetime,
    end: datetime,
    spans: list[RecordSpan] | None = None,
    store: Any = None,
    inventory: Any = None,
    conformance: bool = True,
    cache: DiffCache | None = None,
    top: int = 10,
) -> dict[str, Any]:
    """The period ``[start, end)``'s figures from stored scans for ``hosts`` (see the module
    docstring for the shape). ``spans``: the records as drift sees them (proven), read from
    the workspace when not given."""
    from changekit.drift import remediation
    from changekit.drift.inputs import record_spans, workspace_inventory
    from changekit.facts.backend import open_store

    store = store or open_store(ws)
    inventory = inventory if inventory is not None else workspace_inventory(ws)
    hosts = sorted(set(hosts))
    if spans is None:
        spans = record_spans(ws, inventory)
    spans_by_host: dict[str, list[RecordSpan]] = defaultdict(list)
    for span in spans:
        for host in span.hosts:
            spans_by_host[host].append(span)
    histories = store.histories(hosts)
    cache = cache if cache is not None else DiffCache(getattr(ws, "root", None))
    counts: Counter[str] = Counter()
    items: list[dict[str, Any]] = []
    per_item: dict[str, set[str]] = defaultdict(set)
    per_item_changes: Counter[str] = Counter()
    try:
        for host, b, (was, seen, changes) in observed_changes(
            store, histories, start, end, cache, remediation.package_for
        ):
            if not changes:
                continue
            # judged as drift judges it: by when the two snapshots were collected
            status, record = _judge(host, parse_stored(was), parse_stored(seen), spans_by_host)
            for item, what, _before, _after, _folded in changes:
                counts["observed"] += 1
                counts[status] += 1
                per_item[item].add(host)
                per_item_changes[item] += 1
                if status != "explained":
                    items.append(
                        {
                            "host": host,
                            "item": item,
                            "what": what,
                            "seen": seen,
                            "scan_id": b["scan_id"],
                            "status": status,
                            "record": record,
                        }
                    )
    finally:
        cache.save()
    top_items = sorted(per_item, key=lambda i: (-per_item_changes[i], -len(per_item[i]), i))
    out: dict[str, Any] = {
        "scans": _scan_figures(store.scans(), set(hosts), start, end),
        "changes": {
            "observed": counts["observed"],
            "explained": counts["explained"],
            "recorded_late": counts["recorded_late"],
            "unrecorded": counts["unrecorded"],
            "items": items,
        },
        "top_items": [
            {"item": i, "hosts": len(per_item[i]), "changes": per_item_changes[i]}
            for i in top_items[:top]
        ],
        "conformance": [],
        "top_drift": [],
    }
    if conformance:
        out["conformance"], out["top_drift"] = _conformance(
            ws, store, inventory, hosts, histories, start, end, top, cache
        )
    return out


def _last_before(entries: list[dict[str, Any]], t: datetime) -> dict[str, Any] | None:
    found = None
    for e in entries:
        if e["time"] < t:
            found = e
        else:
            break
    return found


def _canon(value: Any) -> Any:
    """A value as plain, ordered JSON data (sets sorted, dataclasses as their fields), so
    equal inputs hash equal from one run to the next."""
    if isinstance(value, dict):
        return {str(k): _canon(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (set, frozenset)):
        return sorted((_canon(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_canon(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _canon(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _rules_digest(hosts, inventory, standards, waivers) -> str:
    """What decides conformance besides the snapshots: the hosts asked about, the inventory,
    standards and waivers as parsed, and changekit's version (its rules)."""
    import hashlib
    import json

    from changekit import __version__

    payload = [__version__, sorted(hosts), _canon(inventory), _canon(standards), _canon(waivers)]
    return hashlib.sha256(json.dumps(payload, default=str).encode()).hexdigest()


def _refs_at(histories: dict[str, list[dict[str, Any]]], t: datetime) -> dict[str, str]:
    """Each host's snapshot as it stood at ``t`` (its latest stored at or before)."""
    return {
        h: str(e["commit"])
        for h, entries in sorted(histories.items())
        if (e := _last_before(entries, t + _EPSILON))
    }


def _conformance(ws, store, inventory, hosts, histories, start, end, top, cache):
    """Per peer group, the share of conforming hosts at the period's start (the fleet as
    the last scan before it left it) and end (the last scan in it), judged as ``drift``
    judges them today (the workspace's standards and waivers); and the items with the most
    open drift findings at the end. Each point is cached like the diffs: the same
    snapshots, inventory, standards and waivers give the same answer, so a quarter's
    review judges only the points it has not judged before."""
    import hashlib

    from changekit.drift.baseline import with_baseline
    from changekit.drift.inputs import workspace_standards, workspace_waivers

    picks: list[tuple[str, datetime]] = []
    for label, t in (("start", start), ("end", end)):
        chosen = [e for e in (_last_before(h, t) for h in histories.values()) if e]
        if chosen:
            newest = max(chosen, key=lambda e: e["time"])
            picks.append((label, newest["time"]))
    if not picks:
        return [], []
    standards = with_baseline(workspace_standards(ws), True)
    waivers = workspace_waivers(ws)
    rules = _rules_digest(hosts, inventory, standards, waivers)
    judged: dict[str, dict[str, Any]] = {}
    for label, t in picks:
        refs = repr(sorted(_refs_at(histories, t).items())).encode()
        key = f"conformance\0{rules}\0{hashlib.sha256(refs).hexdigest()}"
        value = cache.data.get(key)
        if value is None:
            value = _judge_at(store, inventory, hosts, histories, t, standards, waivers)
            cache.data[key] = value
            cache.dirty = True
        judged[label] = value
    cache.save()
    last = judged.get("end") or judged["start"]
    rows = [
        {
            "group": group,
            "hosts": size,
            "start": (judged.get("start") or {}).get("groups", {}).get(group),
            "end": (judged.get("end") or {}).get("groups", {}).get(group),
        }
        for group, size in sorted(last["sizes"].items())
    ]
    drift = (judged.get("end") or {}).get("drift", {})
    top_drift = sorted(drift, key=lambda i: (-drift[i], i))[:top]
    return rows, [{"item": i, "hosts": drift[i]} for i in top_drift]


def _judge_at(store, inventory, hosts, histories, t, standards, waivers) -> dict[str, Any]:
    """Conformance of the fleet as it stood at ``t``: per group its share and size, and
    per item how many hosts have an open finding for it."""
    from changekit.drift.engine import peer_groups
    from changekit.drift.units import analyze_units

    label = "at"

    def read(unit: list[str]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        for host in unit:
            entry = _last_before(histories.get(host, []), t + _EPSILON)
            if entry is not None:
                snap = dict(store.read_at(entry["commit"], host))
                snap["scan_id"] = label  # the fleet as it stood then is one scan
                yield host, [snap]

    result = analyze_units(
        inventory,
        [h for h in hosts if h in inventory.hosts],
        read,
        [(label, t)],
        standards=standards,
        waivers=waivers,
        records=[],
        kinds=("standard", "peers"),
        now=t,
        history=1,
    )
    trend = next((x for x in result.trend if x["scan_id"] == label), {})
    groups = peer_groups(inventory, result.hosts)
    drifting: dict[str, set[str]] = defaultdict(set)
    for f in result.findings:
        if getattr(f, "status", None) in (None, "open"):
            drifting[f.item].add(f.host)
    return {
        "groups": {g: (trend.get("groups") or {}).get(g) for g in groups},
        "sizes": {g: len(m) for g, m in groups.items()},
        "drift": {item: len(h) for item, h in drifting.items()},
    }
