"""Drift against time: what changed on each host between two scans, and which change record
covers each change. A change no approved record covers is an "unrecorded change"; one that a
record covers but that was approved only after the scan that saw the change is "recorded
late": the record names the change, but nobody approved it before it ran."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress
from operator import ne
from typing import Any

from changekit.drift.findings import EXPLAINED, RECORDED_LATE, Finding, finding_id
from changekit.drift.items import collector_items, is_itemised, item_value
from changekit.records.times import parse_stored as _parse

COVERING_STATUSES = frozenset(
    {"approved", "scheduled", "in_progress", "completed", "failed", "rolled_back"}
)
"""Statuses of a record that was approved to run: only those explain an observed change."""


@dataclass(frozen=True)
class RecordSpan:
    """What drift needs to know of a change record."""

    id: str
    status: str
    hosts: frozenset[str]
    """Host names (the record's selectors already resolved against the inventory)."""
    start: datetime | None
    end: datetime | None
    findings: tuple[str, ...] = ()
    completed_at: datetime | None = None
    title: str = ""
    approved: datetime | None = None
    """When git history proves it approved to run (an emergency change: approved or started,
    whichever came first); None when it never was."""

    def covers(self, host: str, after: datetime, before: datetime) -> bool:
        """Whether this record may have made a change seen between two scans of ``host``."""
        if self.status not in COVERING_STATUSES or host not in self.hosts:
            return False
        if self.start is None or self.end is None:
            return False
        # times are kept to the second: a change may start in the very second a scan ends
        # (inclusive start), but a change that finished in the second an interval began was
        # seen by the scan that began it, so it explains nothing after (exclusive end)
        return self.start <= before and self.end > after

    def approved_by(self, seen: datetime) -> bool:
        """Whether it was approved to run by the time a scan saw its change (to the second,
        as ``covers``: approved in the very second the scan ran still counts)."""
        return self.approved is not None and self.approved <= seen


SCOPED_COLLECTORS = frozenset({"files"})
"""Collectors that report only what they were asked for: an item one snapshot has and the
other lacks entirely was not collected there (a file that really appears or goes shows as
``missing`` on one side), so it is "first seen" / "no longer collected", not a change."""


@dataclass
class Change:
    host: str
    item: str
    before: str | None
    after: str | None
    old: dict[str, Any] = field(default_factory=dict)
    new: dict[str, Any] = field(default_factory=dict)
    folded: list[str] = field(default_factory=list)
    """Items that changed with this one and are counted in it (submodules, a package's modules)."""

    @property
    def what(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


def diff_snapshots(host: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every item added, removed or changed between two snapshots of one host."""
    changes: list[Change] = []
    for collector in sorted(set(old["facts"]) | set(new["facts"])):
        if collector not in old["facts"] or collector not in new["facts"]:
            continue  # a collector that did not run is not a change on the host
        a, b = old["facts"][collector], new["facts"][collector]
        # the same object (the store shares facts read from one blob) needs no comparing
        if a is b or a == b or not (is_itemised(a, collector) and is_itemised(b, collector)):
            continue
        ia, ib = collector_items(collector, a) or {}, collector_items(collector, b) or {}
        for item in sorted(_differing(ia, ib, collector in SCOPED_COLLECTORS)):
            va = item_value(ia[item]) if item in ia else None
            vb = item_value(ib[item]) if item in ib else None
            if va != vb:
                changes.append(Change(host, f"{collector}:{item}", va, vb, old, new))
    return changes


def _differing(ia: dict[str, Any], ib: dict[str, Any], scoped: bool) -> list[str]:
    """Items whose entries differ (or that one side lacks, unless ``scoped``): a superset of
    the items whose values differ, found with set operations and C-level comparisons
    rather than an ``item_value`` of every item (a package table is thousands of items)."""
    if len(ia) == len(ib) and list(ia) == list(ib):
        # the same items in the same order (stored facts are sorted): pair values directly
        return list(compress(ia, map(ne, ia.values(), ib.values())))
    ka, kb = ia.keys(), ib.keys()
    common = list(ka & kb)
    out = list(compress(common, map(ne, map(ia.__getitem__, common), map(ib.__getitem__, common))))
    if not scoped:
        out += ka ^ kb
    return out


PackageOf = Callable[[str, str, str], "str | None"]
"""(collector, item, os family) -> the OS package that ships the item, or ``None``."""


def _fold(changes: list[Change], package_of: PackageOf | None, family: str) -> list[Change]:
    """One change per removed/added thing, not one per file of it: a Perl submodule that
    went (or came) with its parent module folds into it, and a module that went with the
    OS package shipping it folds into that package's change. ``folded`` lists them."""
    by_key = {(ch.item, ch.what): ch for ch in changes}
    modules: list[Change] = []
    for ch in changes:  # pass 1: submodules into their top-most changed parent module
        collector, _, name = ch.item.partition(":")
        parent = None
        if ch.what != "changed" and collector == "perl" and "::" in name:
            parts = name.split("::")
            heads = (("perl:" + "::".join(parts[:i]), ch.what) for i in range(1, len(parts)))
            parent = next((by_key[k] for k in heads if k in by_key), None)
        if parent is None:
            modules.append(ch)
        else:
            parent.folded.append(ch.item)
    kept: list[Change] = []
    for ch in modules:  # pass 2: modules into the OS package that went (or came) with them
        collector, _, name = ch.item.partition(":")
        target = None
        if ch.what != "changed" and collector in ("perl", "python") and package_of:
            pkg = package_of(collector, name, family)
            target = by_key.get((f"dpkg:{pkg}", ch.what)) or by_key.get((f"rpm:{pkg}", ch.what))
        if target is None:
            kept.append(ch)
        else:
            target.folded += [ch.item, *ch.folded]
    return kept


def changes_between(
    old: dict[str, dict[str, Any]],
    new: dict[str, dict[str, Any]],
    records: list[RecordSpan],
    severity: str = "high",
    package_of: PackageOf | None = None,
) -> list[Finding]:
    """One finding per change between two scans; explained ones carry their record's id.

    ``since`` is the scan that first showed the change; ``evidence`` says between which
    two scans it happened."""
    findings: list[Finding] = []
    for host in sorted(set(old) & set(new)):
        before, after = old[host], new[host]
        if before.get("scan_id") == after.get("scan_id"):
            continue
        family = ((after.get("facts") or {}).get("os") or {}).get("family") or "debian"
        changes = _fold(diff_snapshots(host, before, after), package_of, family)
        if not changes:
            continue
        t0, t1 = _parse(before["collected_at"]), _parse(after["collected_at"])
        covering = [r for r in records if r.covers(host, t0, t1)]
        # only a record approved before the scan that saw the change explains it
        cover = next((r for r in covering if r.approved_by(t1)), None)
        late = None if cover is not None or not covering else covering[0]
        scope = f"{before['scan_id']}..{after['scan_id']}"
        for ch in changes:
            more = (
                f" (with {len(ch.folded)} more: {', '.join(ch.folded[:3])}"
                + (", ..." if len(ch.folded) > 3 else "")
                + ")"
                if ch.folded
                else ""
            )
            f = Finding(
                kind="time",
                scope=scope,
                rule="recorded-change"
                if cover
                else "late-recorded-change"
                if late
                else "unrecorded-change",
                host=host,
                item=ch.item,
                expected=ch.before if ch.before is not None else "absent",
                actual=ch.after if ch.after is not None else "absent",
                severity=severity,
                message=f"{ch.item} {ch.what}{more} between {before['collected_at']} and {after['collected_at']}"
                + (
                    f" (by {cover.id})"
                    if cover
                    else f": recorded late by {late.id}, {_approval(late)}"
                    if late
                    else ": no change record covers it"
                ),
                evidence={
                    "scan_id": after["scan_id"],
                    "collected_at": after["collected_at"],
                    "previous_scan_id": before["scan_id"],
                    "previous_collected_at": before["collected_at"],
                    **({"folded": list(ch.folded)} if ch.folded else {}),
                },
                since=after["collected_at"],
            )
            # the id must not depend on whether a record covers it, only on what changed
            f.id = finding_id("time", scope, "change", host, ch.item)
            if cover is not None:
                f.status, f.change = EXPLAINED, cover.id
            elif late is not None:
                f.status, f.change = RECORDED_LATE, late.id
            findings.append(f)
    return findings


def _approval(record: RecordSpan) -> str:
    if record.approved is None:
        return "which its git history never proves approved as it reads now"
    return f"approved only at {record.approved.isoformat()}, after the scan"
