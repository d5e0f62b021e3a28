"""Drift against peers, with no standard written: what most of a group has, the rest should too.

Hosts with identical data for a collector are clustered first (a C-level dict compare),
so a fleet of mostly identical hosts costs one pass of equality checks plus the work
for the few distinct shapes, not a Python loop over every host x item.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import compress
from operator import ne
from typing import Any

from changekit.drift import messages
from changekit.drift.clusters import cluster
from changekit.drift.findings import Finding, finding_id
from changekit.drift.items import collector_items, is_itemised, item_value
from changekit.drift.memo import PairMemo


@dataclass(frozen=True)
class PeerThresholds:
    majority: float = 0.75
    """An item (or version) held by at least this share of a group is the group's norm."""
    min_group_size: int = 2
    """Smaller groups are not compared. A group of two has no majority: where its hosts
    disagree, the finding is one ``split`` naming both sides, never a pick of one."""
    unique_max_hosts: int = 1
    """An item on at most this many hosts of a group (below the norm) is reported on them."""
    severity_missing: str = "medium"
    severity_version: str = "low"
    severity_unique: str = "low"
    integrity_conffiles_only: bool = False
    """Compare only conffile rows of ``integrity`` among peers (set when the built-in
    baseline flags every other modified package file on every host)."""
    severity_split: str = "low"
    """A split over versions or contents; a split over presence is ``severity_missing``."""


def _evidence(snap: dict[str, Any], value: str | None) -> dict[str, Any]:
    ev = {"scan_id": snap.get("scan_id"), "collected_at": snap.get("collected_at")}
    if value:
        ev["hash" if len(value) == 64 else "value"] = value
    return ev


def compare_peers(
    group: str, snapshots: dict[str, dict[str, Any]], thresholds: PeerThresholds = PeerThresholds()
) -> list[Finding]:
    """Findings for hosts of one group that differ from what most of the group has."""
    findings: list[Finding] = []
    if len(snapshots) < thresholds.min_group_size:
        return findings
    collectors = sorted({c for s in snapshots.values() for c in s["facts"]})
    for collector in collectors:
        datas = {h: s["facts"][collector] for h, s in snapshots.items() if collector in s["facts"]}
        if collector == "integrity" and thresholds.integrity_conffiles_only:
            datas = {h: _conffiles(d) for h, d in datas.items()}
        if len(datas) < thresholds.min_group_size or not all(
            is_itemised(d, collector) for d in datas.values()
        ):
            continue
        clusters = cluster(sorted(datas), datas)
        if len(clusters) == 1:
            continue  # every host alike: nothing to say
        n = len(datas)
        items_per_cluster = [
            (collector_items(collector, rep) or {}, members) for rep, members in clusters
        ]
        items_on = {h: items for items, members in items_per_cluster for h in members}
        for spread in _spreads(items_per_cluster):
            findings += _judge_item(collector, spread, n, group, snapshots, items_on, thresholds)
    return _fold_submodules(findings)


@dataclass
class _Spread:
    """How one item that is not alike on every host is spread over the clusters."""

    item: str
    clusters: list[tuple[dict[str, Any], list[str]]]
    direct: list[int]
    """Cluster indexes: those WITHOUT the item when ``ref_has`` (a reference item), else those with it."""
    ref_has: bool
    changed: list[int] = field(default_factory=list)
    """Clusters whose value differs from the reference cluster's (reference items only)."""

    def present(self) -> list[int]:
        if not self.ref_has:
            return self.direct
        skip = set(self.direct)
        return [ci for ci in range(len(self.clusters)) if ci not in skip]

    def absent(self) -> list[int]:
        if self.ref_has:
            return self.direct
        skip = set(self.direct)
        return [ci for ci in range(len(self.clusters)) if ci not in skip]

    def hosts(self, idxs: list[int]) -> list[str]:
        return [h for ci in idxs for h in self.clusters[ci][1]]

    def values(self) -> Counter[str]:
        """Value -> number of hosts, computed from the deltas (never host by host)."""
        out: Counter[str] = Counter()
        if self.ref_has:
            ref_items, ref_members = self.clusters[0]
            n = sum(len(m) for _i, m in self.clusters)
            rest = n - sum(len(self.clusters[ci][1]) for ci in self.direct)
            for ci in self.changed:
                items, members = self.clusters[ci]
                out[item_value(items[self.item])] += len(members)
                rest -= len(members)
            out[item_value(ref_items[self.item])] += rest
        else:
            for ci in self.direct:
                items, members = self.clusters[ci]
                out[item_value(items[self.item])] += len(members)
        return out


def _spreads(clusters: list[tuple[dict[str, Any], list[str]]]) -> list[_Spread]:
    """Items not alike on every host, found by diffing each cluster against the largest one
    with set operations and C-level maps (no Python loop over every item of every host)."""
    ref = clusters[0][0]
    missing_in: dict[str, list[int]] = defaultdict(list)
    changed_in: dict[str, list[int]] = defaultdict(list)
    extra_in: dict[str, list[int]] = defaultdict(list)
    for ci in range(1, len(clusters)):
        missing, extra, changed = _pair_diff(ref, clusters[ci][0])
        for k in missing:
            missing_in[k].append(ci)
        for k in extra:
            extra_in[k].append(ci)
        for k in changed:
            changed_in[k].append(ci)
    out = [
        _Spread(k, clusters, missing_in.get(k, []), True, changed_in.get(k, []))
        for k in sorted(set(missing_in) | set(changed_in))
    ]
    out += [_Spread(k, clusters, extra_in[k], False) for k in sorted(extra_in)]
    return out


_DIFFS = PairMemo(128)
"""Item-table diffs by the tables' identity: a group's clusters are mostly the same objects
from one scan to the next, so each pair is diffed once per analysis, not once per scan."""


def _pair_diff(ref: dict[str, Any], items: dict[str, Any]) -> tuple[list, list, list]:
    """``(items ref has and items lacks, items only items has, items both have that differ)``."""
    return _DIFFS.get(ref, items, _diff)


def _diff(ref: dict[str, Any], items: dict[str, Any]) -> tuple[list, list, list]:
    if len(ref) == len(items) and list(ref) == list(items):
        # the same items in the same order (stored facts are sorted): pair values directly
        return [], [], list(compress(ref, map(ne, items.values(), ref.values())))
    ref_keys, keys = ref.keys(), items.keys()
    common = list(ref_keys & keys)
    differs = map(ne, map(items.__getitem__, common), map(ref.__getitem__, common))
    return list(ref_keys - keys), list(keys - ref_keys), list(compress(common, differs))


def _judge_item(
    collector: str,
    sp: _Spread,
    n: int,
    group: str,
    snapshots: dict[str, dict[str, Any]],
    items_on: dict[str, dict],
    thresholds: PeerThresholds,
) -> list[Finding]:
    findings: list[Finding] = []
    item = sp.item
    spread = sp.values()
    count = sum(spread.values())
    key = f"{collector}:{item}"
    scope = f"group:{group}"
    norm, norm_count = spread.most_common(1)[0]
    split = _split(collector, sp, n, count, group, snapshots, items_on, thresholds)
    if split is not None:
        return [split]
    if count < n and count / n >= thresholds.majority:
        missing = sorted(sp.hosts(sp.absent()))
        for host in missing:
            findings.append(
                Finding(
                    kind="peers",
                    scope=scope,
                    rule="missing-vs-peers",
                    host=host,
                    item=key,
                    expected=f"{messages.state(collector, norm or None) if collector == 'integrity' else norm or 'present'} (on {count} of {n})",
                    actual=_absent(collector),
                    severity=thresholds.severity_missing,
                    message=messages.missing(collector, item, norm, count, n, group, missing),
                    evidence=_evidence(snapshots[host], None),
                )
            )
    elif count <= thresholds.unique_max_hosts and count < n - count:
        have = sorted(sp.hosts(sp.present()))
        for host in have:
            value = _value_on(items_on, host, item)
            findings.append(
                Finding(
                    kind="peers",
                    scope=scope,
                    rule="only-on-few-hosts",
                    host=host,
                    item=key,
                    expected=f"{_absent(collector)} (like {n - count} of {n})",
                    actual=messages.state(collector, value)
                    if collector == "integrity"
                    else value or "present",
                    severity=thresholds.severity_unique,
                    message=messages.only_on(
                        collector, item, have, items_on[have[0]].get(item), count, n, group
                    ),
                    evidence=_evidence(snapshots[host], value),
                )
            )
    deviants = count - norm_count
    # a version split on a package every peer has is drift when most agree, or when
    # all but a few (unique_max_hosts) agree: 2 of 3 db hosts on one tzdata, 1 not
    if not (
        deviants
        and len(spread) > 1
        and count >= thresholds.min_group_size
        and (
            norm_count / count >= thresholds.majority
            or (deviants <= thresholds.unique_max_hosts and norm_count > deviants)
        )
    ):
        return findings
    ref_value = item_value(sp.clusters[0][0][item]) if sp.ref_has else None
    candidates = sp.changed if norm == ref_value else sp.present()
    for host in sorted(sp.hosts(candidates)):
        value = _value_on(items_on, host, item)
        if value == norm:
            continue
        findings.append(
            Finding(
                kind="peers",
                scope=scope,
                rule="version-outlier",
                host=host,
                item=key,
                expected=f"{norm} (on {norm_count} of {count})",
                actual=value,
                severity=thresholds.severity_version,
                message=messages.outlier(
                    collector, item, host, value, norm, norm_count, count, group
                ),
                evidence=_evidence(snapshots[host], value),
            )
        )
    return findings


def _split(
    collector: str,
    sp: _Spread,
    n: int,
    count: int,
    group: str,
    snapshots: dict[str, dict[str, Any]],
    items_on: dict[str, dict],
    thresholds: PeerThresholds,
) -> Finding | None:
    """One finding for a group that disagrees with no side ahead: a pair that differs, or a
    tie at the top that meets the majority threshold (2 vs 2 at ``--majority 0.5``). Which
    side is right is for a person to say; picking one would call the other host deviant."""
    sides: dict[str | None, list[str]] = defaultdict(list)
    for ci in sp.present():  # one value per cluster: its hosts have the same items
        items, members = sp.clusters[ci]
        entry = items.get(sp.item)
        sides[item_value(entry) if entry is not None else ""].extend(members)
    if count < n:
        sides[None] = sp.hosts(sp.absent())  # None: the item is missing there
    ranked = sorted(sides.items(), key=lambda kv: (-len(kv[1]), kv[0] is None, kv[0] or ""))
    top = len(ranked[0][1])
    if len(ranked) < 2 or len(ranked[1][1]) != top:
        return None
    if n != 2 and top / n < thresholds.majority:
        return None  # no side has enough hosts to count as the norm: not a tie at the norm
    hosts = sorted(h for _v, members in ranked for h in members)
    shown = [(v, sorted(members)) for v, members in ranked]
    key = f"{collector}:{sp.item}"
    scope = f"group:{group}"
    first = snapshots[hosts[0]]
    return Finding(
        kind="peers",
        scope=scope,
        rule="split",
        host=hosts[0],
        hosts=hosts,
        item=key,
        expected=f"one {'state' if None in sides else 'value'} across group {group}",
        actual="; ".join(f"{messages.state(collector, v)} on {', '.join(m)}" for v, m in shown),
        severity=thresholds.severity_missing if None in sides else thresholds.severity_split,
        message=messages.split(collector, sp.item, shown, group, n),
        evidence={
            "scan_id": first.get("scan_id"),
            "collected_at": first.get("collected_at"),
            "sides": [{"value": v or "", "hosts": m} for v, m in shown],
        },
        id=finding_id("peers", scope, "split", "", key),
    )


def _fold_submodules(findings: list[Finding]) -> list[Finding]:
    """One finding for a missing Perl distribution, not one per module it ships: drop
    ``perl:A::B`` when ``perl:A`` is missing on the same host too, and count it there."""
    missing = {(f.host, f.item) for f in findings if f.rule == "missing-vs-peers"}
    parents: dict[tuple[str, str], int] = {}
    kept = []
    for f in findings:
        if f.rule == "missing-vs-peers" and f.item.startswith("perl:") and "::" in f.item[5:]:
            parts = f.item[5:].split("::")
            parent = next(
                (
                    p
                    for p in ("perl:" + "::".join(parts[:i]) for i in range(1, len(parts)))
                    if (f.host, p) in missing
                ),
                None,
            )
            if parent:
                parents[(f.host, parent)] = parents.get((f.host, parent), 0) + 1
                continue
        kept.append(f)
    for f in kept:
        extra = parents.get((f.host, f.item))
        if extra:
            f.message += f" (and {extra} more modules under {f.item[5:]}::)"
    return kept


def _conffiles(data: Any) -> Any:
    """An edited conffile is a local choice, judged against peers; other rows are not."""
    if not isinstance(data, dict):
        return data
    return {p: e for p, e in data.items() if not isinstance(e, dict) or e.get("config")}


def _absent(collector: str) -> str:
    """How a host without the item reads: an integrity row is absent when the file is intact."""
    return "as packaged" if collector == "integrity" else "missing"


def _value_on(items_on: dict[str, dict], host: str, item: str) -> str:
    entry = items_on[host].get(item)
    return item_value(entry) if entry is not None else ""
