"""Drift against a standard: every requirement checked on every host in its scope."""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from functools import lru_cache
from typing import Any

from changekit.drift import messages
from changekit.drift.clusters import cluster
from changekit.drift.findings import Finding
from changekit.drift.items import collector_items, item_value
from changekit.drift.standards import Requirement, Standard

_TRUE = {"true", "yes", "enabled", "1", "on", "enabled-runtime", "static", "alias", "indirect"}


def _evidence(snapshot: dict[str, Any], **extra: Any) -> dict[str, Any]:
    ev = {"scan_id": snapshot.get("scan_id"), "collected_at": snapshot.get("collected_at")}
    ev.update({k: v for k, v in extra.items() if v is not None})
    return ev


def _same_target(req: Requirement, shapes: list[tuple[Any, list[str]]]) -> str | None:
    """The version most hosts in scope have (ties: the newest-looking string), for ``same``."""
    counts: Counter[str] = Counter()
    for raw, members in shapes:
        entry = (
            (collector_items(req.collector, raw) or {}).get(req.item) if raw is not None else None
        )
        if entry is not None:
            counts[item_value(entry)] += len(members)
    if not counts:
        return None
    return max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]


def _matching(pattern: str, data: dict[str, Any], cache: dict) -> list[str]:
    """Item names matching a glob; a plain name is a dict lookup, not a scan. A glob is
    matched once against every name any host has (``cache``), then looked up per host."""
    if not any(c in pattern for c in "*?["):
        return [pattern] if pattern in data else []
    candidates = cache.get(("glob", pattern))
    if candidates is None:
        return sorted(filter(_glob(pattern).match, data))
    return [k for k in candidates if k in data]


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern))


def _judge(
    req: Requirement, data: dict[str, Any], target: str | None, cache: dict
) -> tuple[str, str] | None:
    """``None`` when the host meets ``req``; else (expected, actual)."""
    if req.kind == "present":
        entry = data.get(req.item)
        if entry is None:
            return req.expected, "missing"
        value = item_value(entry)
        if req.constraint is None:
            return None
        if req.constraint.same:
            return (
                None if target is None or value == target else (f"same as scope: {target}", value)
            )
        ok = cache.get(value)
        if ok is None:
            ok = cache[value] = req.constraint.satisfied_by(value)
        return None if ok else (req.expected, value)
    if req.kind == "absent":
        hits = _matching(req.item, data, cache)
        return ("absent", "present: " + ", ".join(hits)) if hits else None
    if req.kind == "enabled":
        entry = data.get(req.item, data.get(f"{req.item}.service"))
        if entry is None:
            return "enabled", "not installed"
        state = entry.get("state", entry.get("enabled")) if isinstance(entry, dict) else entry
        return None if str(state).lower() in _TRUE else ("enabled", str(state))
    if req.kind == "file":
        entry = data.get(req.item)
        if entry is None:  # the files collector reports a missing file as {"missing": true}
            return req.expected, f"not hashed by the scan (scan with --file {req.item})"
        if isinstance(entry, dict) and (entry.get("missing") or entry.get("unreadable")):
            return req.expected, "missing" if entry.get("missing") else "unreadable"
        value = item_value(entry)
        return None if value == req.sha256 else (req.expected, f"sha256 {value}")
    failed = _failing(req, data)
    return (req.expected, f"{len(failed)} failed: " + ", ".join(failed[:5])) if failed else None


def _failing(req: Requirement, data: dict[str, Any]) -> list[str]:
    """Integrity: every reported file of the requirement's package manager fails."""
    return sorted(
        path
        for path, entry in data.items()
        if (req.config or not (isinstance(entry, dict) and entry.get("config")))
        and (
            req.manager == "any"
            or not isinstance(entry, dict)
            or entry.get("manager", req.manager) == req.manager
        )
    )


def _shapes(req: Requirement, snapshots: dict[str, dict[str, Any]]) -> list[tuple[Any, list[str]]]:
    """Hosts clustered by their data for the requirement's collector (``None``: not collected)."""
    hosts = list(snapshots)
    datas = {h: snapshots[h]["facts"].get(req.collector) for h in hosts}
    missing = [h for h in hosts if datas[h] is None]
    shapes = cluster([h for h in hosts if datas[h] is not None], datas)
    return shapes + [(None, [h]) for h in missing]


def check_standard(standard: Standard, snapshots: dict[str, dict[str, Any]]) -> list[Finding]:
    """Findings for every host (in ``snapshots``, already scoped) that misses a requirement.

    Hosts with identical data are judged once (see ``changekit.drift.clusters``)."""
    findings: list[Finding] = []
    by_collector: dict[str, list[tuple[Any, list[str]]]] = {}
    for req in standard.requirements:
        if req.collector not in by_collector:
            by_collector[req.collector] = _shapes(req, snapshots)
        shapes = by_collector[req.collector]
        target = None
        if req.constraint is not None and req.constraint.same:
            target = _same_target(req, shapes)
        cache: dict[Any, Any] = {}
        if req.kind == "absent" and any(c in req.item for c in "*?["):
            names: set[str] = set()
            for raw, _members in shapes:
                if raw is not None:
                    names.update((collector_items(req.collector, raw) or {}).keys())
            cache[("glob", req.item)] = sorted(filter(_glob(req.item).match, names))
        for raw, members in shapes:
            if raw is None and standard.builtin:
                continue
            if raw is None:
                snap = snapshots[members[0]]
                why = (snap.get("errors") or {}).get(req.collector, "collector did not run")
                verdict: tuple[str, str] | None = (req.expected, f"not collected: {why}")
                data: dict[str, Any] = {}
            else:
                data = collector_items(req.collector, raw) or {}
                verdict = _judge(req, data, target, cache)
            if verdict is None:
                continue
            expected, actual = verdict
            entry = data.get(req.item) if req.item else None
            hashed = entry.get("sha256") if isinstance(entry, dict) else None
            failing = _failing(req, data) if req.kind == "integrity" else None
            for host in members:
                findings.append(
                    Finding(
                        kind="standard",
                        scope=standard.name,
                        rule=req.id,
                        host=host,
                        item=req.key,
                        expected=expected,
                        actual=actual,
                        severity=req.severity,
                        message=messages.standard(standard.name, req, host, data, expected, actual),
                        evidence=_evidence(
                            snapshots[host],
                            hash=hashed,
                            files=failing,
                            standard_path=standard.path,
                            line=req.line,
                        ),
                    )
                )
    return findings
