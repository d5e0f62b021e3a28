"""Finding messages as sentences a sysadmin reads without the docs: who, what, compared to what.

Kept apart from the rules so the wording of every drift finding is in one place.
"""

from __future__ import annotations

from typing import Any

from changekit.drift.items import item_value
from changekit.drift.standards import Requirement

PACKAGES = frozenset({"dpkg", "rpm", "perl", "python", "aix", "hpux", "solaris"})
"""Collectors whose items are installed software with a version: a host "runs" them."""


def hosts_text(hosts: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(hosts) < 2:
        return "".join(hosts)
    return f"{', '.join(hosts[:-1])} and {hosts[-1]}"


def _value(value: str) -> str:
    return f"sha256 {value[:12]}…" if len(value) == 64 else value


def _side(collector: str, item: str, value: str | None, hosts: list[str], first: bool) -> str:
    who = hosts_text(hosts)
    one = len(hosts) == 1
    if collector == "integrity":
        if value is None:
            return f"{item} matches its package on {who}" if first else f"matches it on {who}"
        return f"{item} differs from its package on {who}" if first else f"differs on {who}"
    if collector == "preload":
        if value is None:
            return f"{who} {'does' if one else 'do'} not preload {item}"
        return f"{who} {'preloads' if one else 'preload'} {item} (from {value})"
    if collector in PACKAGES:
        if value is None:
            return f"{who} {'does' if one else 'do'} not have {item if first else 'it'}"
        name = f"{item} {value}".strip() if first else value or "it"
        return f"{who} {'runs' if one else 'run'} {name}"
    shown = "missing" if value is None else _value(value) or "present"
    return f"{item} is {shown} on {who}" if first else f"{shown} on {who}"


def state(collector: str, value: str | None) -> str:
    """One side's value in a few words (a finding's ``actual``)."""
    if collector == "integrity":
        return "as packaged" if value is None else f"modified ({value})"
    return "missing" if value is None else _value(value) or "present"


def split(
    collector: str, item: str, sides: list[tuple[str | None, list[str]]], group: str, n: int
) -> str:
    """``db1 runs libssl3 3.0.11-1, db2 runs 3.0.13-1 (the pair disagrees)``."""
    text = ", ".join(_side(collector, item, v, hosts, i == 0) for i, (v, hosts) in enumerate(sides))
    if n == 2:
        return f"{text} (the pair {group} disagrees; neither side is taken as right)"
    counts = " vs ".join(str(len(hosts)) for _v, hosts in sides)
    return f"{text} (group {group} is split {counts}; no side is taken as right)"


def _integrity_file(path: str, entry: Any) -> str:
    entry = entry if isinstance(entry, dict) else {}
    package = entry.get("package")
    owner = f"the {package} package" if package else f"its {entry.get('manager') or ''} package"
    owner = owner.replace("its  package", "its package")
    if entry.get("missing"):
        return f"{path} is missing, though {owner} installed it"
    if "5" in str(entry.get("flags", "")):
        return f"{path} differs from {owner}'s checksum"
    return f"{path} differs from what {owner} installed (verify flags {entry.get('flags')})"


def standard(
    scope: str, req: Requirement, host: str, data: dict[str, Any], expected: str, actual: str
) -> str:
    """A standard's finding on one host as a sentence."""
    if req.kind == "integrity":
        failing = [p for p in actual.split(": ", 1)[-1].split(", ") if p in data]
        if failing:
            first = _integrity_file(failing[0], data[failing[0]])
            more = len(failing) - 1
            rest = f", and {more} more package file{'s' if more > 1 else ''}" if more else ""
            return f"{first} on {host}{rest}"
    if req.kind == "absent" and req.collector == "preload":
        hits = actual.removeprefix("present: ").split(", ")
        where = sorted({item_value(data.get(h)) for h in hits if h in data} - {""})
        return f"{host} preloads {hosts_text(hits)} into every program" + (
            f" (set in {', '.join(where)})" if where else ""
        )
    if req.kind == "present" and actual == "missing":
        return f"{req.item} is not installed on {host}; standard {scope} requires {expected}"
    if req.kind == "absent":
        hits = actual.removeprefix("present: ")
        return f"{hits} is installed on {host}; standard {scope} forbids it"
    return f"{req.key} is {actual} on {host}; standard {scope} expects {expected}"
