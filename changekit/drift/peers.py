"""Drift against peers, with no standard written: what most of a group has, the rest should too.

Hosts with identical data for a collector are clustered first (a C-level dict compare),
so a fleet of mostly identical hosts costs one pass of equality checks plus the work
for the few distinct shapes, not a Python loop over every host x item.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from changekit.drift.clusters import cluster
from changekit.drift.findings import Finding
from changekit.drift.items import collector_items, is_itemised, item_value


@dataclass(frozen=True)
class PeerThresholds:
    majority: float = 0.75
    """An item (or version) held by at least this share of a group is the group's norm."""
    min_group_size: int = 3
    """Smaller groups have no meaningful majority and are not compared."""
    unique_max_hosts: int = 1
    """An item on at most this many hosts of a group (below the norm) is reported on them."""
    severity_missing: str = "medium"
    severity_version: str = "low"
    severity_unique: str = "low"


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
    scope = f"group:{group}"
    collectors = sorted({c for s in snapshots.values() for c in s["facts"]})
    for collector in collectors:
        datas = {h: s["facts"][collector] for h, s in snapshots.items() if collector in s["facts"]}
        if len(datas) < thresholds.min_group_size or not all(
            is_itemised(d, collector) for d in datas.values()
        ):
            continue
        clusters = cluster(sorted(datas), datas)
        if len(clusters) == 1:
            continue  # every host alike: nothing to say
        n = len(datas)
        holders: dict[str, list[int]] = defaultdict(list)  # item -> cluster indexes
        values: dict[str, Counter[str]] = defaultdict(Counter)
        items_per_cluster = [
            (collector_items(collector, rep) or {}, members) for rep, members in clusters
        ]
        items_on = {h: items for items, members in items_per_cluster for h in members}
        for ci, (items, members) in enumerate(items_per_cluster):
            size = len(members)
            for item, entry in items.items():
                holders[item].append(ci)
                values[item][item_value(entry)] += size
        for item, held_by in holders.items():
            spread = values[item]
            count = sum(spread.values())
            if count == n and len(spread) == 1:
                continue  # on every host, one version: the common case, decided at once
            have = [h for ci in held_by for h in items_per_cluster[ci][1]]
            key = f"{collector}:{item}"
            norm, norm_count = spread.most_common(1)[0]
            if count < n and count / n >= thresholds.majority:
                missing = sorted(set(datas) - set(have))
                shown = f"{item} {norm}".strip() if norm else item
                for host in missing:
                    findings.append(
                        Finding(
                            kind="peers",
                            scope=scope,
                            rule="missing-vs-peers",
                            host=host,
                            item=key,
                            expected=f"{norm or 'present'} (on {count} of {n})",
                            actual="missing",
                            severity=thresholds.severity_missing,
                            message=f"{shown} is on {count} of {n} hosts of group {group}; missing on {', '.join(missing)}",
                            evidence=_evidence(snapshots[host], None),
                        )
                    )
            elif count <= thresholds.unique_max_hosts and count < n - count:
                for host in sorted(have):
                    value = _value_on(items_on, host, item)
                    findings.append(
                        Finding(
                            kind="peers",
                            scope=scope,
                            rule="only-on-few-hosts",
                            host=host,
                            item=key,
                            expected=f"absent (like {n - count} of {n})",
                            actual=value or "present",
                            severity=thresholds.severity_unique,
                            message=f"{item} is only on {', '.join(sorted(have))} of group {group} ({count} of {n})",
                            evidence=_evidence(snapshots[host], value),
                        )
                    )
            deviants = count - norm_count
            # a version split on a package every peer has is drift when most agree, or when
            # all but a few (unique_max_hosts) agree: 2 of 3 db hosts on one tzdata, 1 not
            if (
                deviants
                and len(spread) > 1
                and count >= thresholds.min_group_size
                and (
                    norm_count / count >= thresholds.majority
                    or (deviants <= thresholds.unique_max_hosts and norm_count > deviants)
                )
            ):
                for host in sorted(have):
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
                            message=f"{item} is {value} on {host} but {norm} on {norm_count} of {count} hosts of group {group}",
                            evidence=_evidence(snapshots[host], value),
                        )
                    )
    return _fold_submodules(findings)


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


def _value_on(items_on: dict[str, dict], host: str, item: str) -> str:
    entry = items_on[host].get(item)
    return item_value(entry) if entry is not None else ""
