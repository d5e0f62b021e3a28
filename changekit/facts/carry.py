"""Carry a partial snapshot's failed collectors over from the host's previous snapshot.

One rule for every facts store (docs/facts.md): a collector that failed in this scan keeps
its last good facts, named in ``carried_over`` with the scan they came from, so ``latest``
never loses a fact family because one collector hiccuped.
"""

from __future__ import annotations

from typing import Any


def carry_over(snap: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """``snap`` with each failed collector's facts taken from ``previous`` (when it had them)."""
    errors = snap.get("errors") or {}
    if not errors or not previous:
        return snap
    merged = dict(snap, facts=dict(snap["facts"]))
    carried = {}
    for name in errors:
        if name in previous.get("facts", {}):
            merged["facts"][name] = previous["facts"][name]
            carried[name] = (previous.get("carried_over") or {}).get(name, previous["scan_id"])
    if carried:
        merged["carried_over"] = carried
    return merged
