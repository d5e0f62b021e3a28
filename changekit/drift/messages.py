"""Finding messages as sentences a sysadmin reads without the docs: who, what, compared to what.

Kept apart from the rules so the wording of every drift finding is in one place.
"""

from __future__ import annotations

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
