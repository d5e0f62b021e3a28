"""What changed on one host between two snapshots.

Inventory-shaped facts (``{item: {"version": ...}}``: dpkg, rpm, perl, python, ...) give
added / removed / upgraded / downgraded items, versions ordered per ecosystem (dpkg's
algorithm for Debian packages). ``files`` gives files whose hash, owner, group or mode
changed. Anything else is compared key by key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from changekit.versions import compare


@dataclass(frozen=True)
class Change:
    collector: str
    item: str
    change: str
    """added, removed, upgraded, downgraded, changed"""
    old: Any = None
    new: Any = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_inventory(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and bool(data)
        and all(isinstance(v, dict) and "version" in v for v in data.values())
    )


def version_change(collector: str, old: str, new: str) -> str:
    try:
        order = compare(collector, old, new)
    except Exception:  # noqa: BLE001 - an unparsable version is still a change
        return "changed"
    return "upgraded" if order < 0 else "downgraded" if order > 0 else "changed"


FILE_KEYS = ("sha256", "owner", "group", "mode", "type", "missing", "unreadable")


def diff_snapshots(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from ``old`` to ``new``; collectors missing on either side are skipped."""
    changes: list[Change] = []
    old_facts, new_facts = old.get("facts", {}), new.get("facts", {})
    for collector in sorted(set(old_facts) & set(new_facts)):
        a, b = old_facts[collector], new_facts[collector]
        if collector == "files":
            changes += _diff_files(a, b)
        elif is_inventory(a) or is_inventory(b):
            changes += _diff_inventory(collector, a or {}, b or {})
        else:
            changes += _diff_generic(collector, a, b)
    return changes


def _diff_inventory(collector: str, a: dict, b: dict) -> list[Change]:
    out = []
    for item in sorted(set(a) | set(b)):
        va, vb = a.get(item, {}).get("version"), b.get(item, {}).get("version")
        if item not in b:
            out.append(Change(collector, item, "removed", va, None))
        elif item not in a:
            out.append(Change(collector, item, "added", None, vb))
        elif va != vb:
            out.append(Change(collector, item, version_change(collector, str(va), str(vb)), va, vb))
    return out


def _diff_files(a: dict, b: dict) -> list[Change]:
    out = []
    for path in sorted(set(a) | set(b)):
        fa, fb = a.get(path), b.get(path)
        if fa is None or fb is None:
            continue  # not asked for in one of the scans: unknown, not a change
        sa = {k: fa.get(k) for k in FILE_KEYS if fa.get(k) is not None}
        sb = {k: fb.get(k) for k in FILE_KEYS if fb.get(k) is not None}
        if sa != sb:
            kind = (
                "removed"
                if fb.get("missing") and not fa.get("missing")
                else "added"
                if fa.get("missing") and not fb.get("missing")
                else "changed"
            )
            diff_a = {k: v for k, v in sa.items() if sb.get(k) != v}
            diff_b = {k: v for k, v in sb.items() if sa.get(k) != v}
            out.append(Change("files", path, kind, diff_a, diff_b))
    return out


def _diff_generic(collector: str, a: Any, b: Any) -> list[Change]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            if key not in b:
                out.append(Change(collector, str(key), "removed", a[key], None))
            elif key not in a:
                out.append(Change(collector, str(key), "added", None, b[key]))
            elif a[key] != b[key]:
                if (
                    isinstance(a[key], dict)
                    and isinstance(b[key], dict)
                    and key in ("services", "os_release")
                ):
                    out += [
                        Change(collector, f"{key}.{c.item}", c.change, c.old, c.new)
                        for c in _diff_generic(collector, a[key], b[key])
                    ]
                else:
                    out.append(Change(collector, str(key), "changed", a[key], b[key]))
        return out
    return [] if a == b else [Change(collector, "", "changed", a, b)]
