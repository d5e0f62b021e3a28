"""The standardisation report as data: one JSON-able dict every renderer formats.

It accounts for every deviation: each one is open (flagged), waived (by a named,
unexpired waiver), explained (by a change record approved before the scan that saw the
change), recorded late (a record covers the change but was approved only after that scan:
flagged too) or resolved (by a completed change). ``schemas/report.schema.json`` describes it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from changekit import __version__
from changekit.drift.engine import DriftResult
from changekit.drift.findings import SEVERITIES, severity_rank

SCHEMA_VERSION = 1


def _matrix(result: DriftResult) -> tuple[list[str], list[dict[str, Any]]]:
    """Items with any deviation (columns) and, per host, the worst finding per item."""
    cells: dict[str, dict[str, dict[str, Any]]] = {h: {} for h in result.hosts}
    every = [*result.findings, *result.resolved]
    for f, host in ((one, h) for one in every for h in one.all_hosts):
        if host not in cells:
            continue
        cell = cells[host].get(f.item)
        rank = (f.flagged, f.is_open, severity_rank(f.severity))
        if cell is None or rank > cell["_rank"]:
            cells[host][f.item] = {
                "_rank": rank,
                "status": f.status,
                "severity": f.severity,
                "kind": f.kind,
                "actual": f.actual,
                "expected": f.expected,
                "finding": f.id,
            }
    items = sorted({item for row in cells.values() for item in row})
    rows = []
    for host in result.hosts:
        row = {k: {kk: vv for kk, vv in v.items() if kk != "_rank"} for k, v in cells[host].items()}
        rows.append({"host": host, "cells": row})
    return items, rows


def _conformance(result: DriftResult, scanned: float) -> float:
    """Hosts whose latest scan failed count as not conforming: nobody can vouch for them."""
    failed = set(result.scan_failed)
    if not failed:
        return scanned
    counted = set(result.hosts) | failed
    bad = {h for f in result.findings if f.is_open for h in f.all_hosts} | failed
    return round(100.0 * len(counted - bad) / len(counted), 1)


def _group_conformance(result: DriftResult, scanned: dict[str, float]) -> dict[str, float]:
    """Per group, hosts whose latest scan failed count as not conforming (as overall)."""
    failed = set(result.scan_failed)
    if not failed:
        return scanned
    bad = {h for f in result.findings if f.is_open for h in f.all_hosts} | failed
    return {
        g: round(100.0 * sum(1 for h in m if h not in bad) / len(m), 1) if m else 100.0
        for g, m in result.groups.items()
    }


def build_report(
    result: DriftResult,
    *,
    title: str = "Standardisation report",
    runs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The report for one drift analysis (see ``changekit.drift.engine.analyze``); ``runs``:
    the changes ``changekit change run`` carried out on its hosts (``changekit.run.evidence``)."""
    findings = sorted(
        result.findings, key=lambda f: (-severity_rank(f.severity), f.host, f.item, f.kind)
    )
    by_status = Counter(f.status for f in findings)
    by_severity = Counter(f.severity for f in findings if f.is_open)
    trend = result.trend
    current: dict[str, Any] = trend[-1] if trend else {"overall": 100.0, "groups": {}}
    previous = trend[-2] if len(trend) > 1 else None
    items, rows = _matrix(result)
    now = result.now
    waivers = [w.as_dict(now) for w in result.waivers]
    for w in waivers:
        w["used_by"] = sorted(f.id for f in findings if f.waiver == w["id"])
        w["hiding_nothing_because_expired"] = w["id"] in result.expired_waivers
    return {
        "schema_version": SCHEMA_VERSION,
        "title": title,
        "generated_at": now.isoformat(),
        "generator": f"changekit {__version__}",
        "scan": {
            "scan_id": result.state.scan_id if result.state else None,
            "at": result.state.at if result.state else None,
            "previous_scan_id": result.previous.scan_id if result.previous else None,
            "previous_at": result.previous.at if result.previous else None,
            "period_from_scan_id": result.first.scan_id if result.first else None,
            "period_from_at": result.first.at if result.first else None,
        },
        "summary": {
            "hosts": len(result.hosts),
            "unscanned": list(result.unscanned),
            "scan_failed": [
                {"host": h, **{k: v for k, v in why.items() if v is not None}}
                for h, why in sorted(result.scan_failed.items())
            ],
            "conformance": _conformance(result, current["overall"]),
            "groups": _group_conformance(result, dict(current.get("groups", {}))),
            "previous_conformance": previous["overall"] if previous else None,
            "trend": [
                {
                    "scan_id": t["scan_id"],
                    "at": t["at"],
                    "conformance": t["overall"],
                    "groups": t["groups"],
                    "hosts": t["hosts"],
                }
                for t in trend
            ],
            "open": by_status.get("open", 0),
            "waived": by_status.get("waived", 0),
            "explained": by_status.get("explained", 0),
            "recorded_late": by_status.get("recorded_late", 0),
            "resolved": len(result.resolved),
            "by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
            "accounted_for": not by_status.get("open") and not by_status.get("recorded_late"),
        },
        "standards": [
            {
                "name": s.name,
                "path": s.path,
                "applies_to": list(s.applies_to),
                "requirements": [r.id for r in s.requirements],
            }
            for s in result.standards
        ],
        "hosts": list(result.hosts),
        "groups": {g: list(m) for g, m in result.groups.items()},
        "items": items,
        "matrix": rows,
        "findings": [f.as_dict() for f in findings],
        "resolved": [f.as_dict() for f in result.resolved],
        "unrecorded_changes": [f.as_dict() for f in findings if f.rule == "unrecorded-change"],
        "waivers": waivers,
        "runs": list(runs or []),
        "checks": [
            {
                "host": c.host,
                "standard": c.scope,
                "requirement": c.requirement,
                "passed": c.passed,
                **({"finding": c.finding} if c.finding else {}),
            }
            for c in result.checks
        ],
    }
