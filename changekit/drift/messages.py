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
        return "as packaged" if value is None else f"modified ({_value(value)})"
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


def _owner(entry: Any) -> str:
    package = entry.get("package") if isinstance(entry, dict) else None
    return f"the {package} package" if package else "its package"


def missing(
    collector: str, item: str, norm: str, count: int, n: int, group: str, hosts: list[str]
) -> str:
    """Most of a group has ``item``; ``hosts`` do not."""
    who = hosts_text(hosts)
    if collector == "integrity":  # the row is absent: the file is as packaged here
        return (
            f"{item} is as packaged on {who}, but modified on {count} of {n} hosts of group {group}"
        )
    if collector == "preload":
        return f"{who} {'does' if len(hosts) == 1 else 'do'} not preload {item}, which {count} of {n} hosts of group {group} do"
    shown = f"{item} {_value(norm)}".strip() if norm else item
    return f"{shown} is on {count} of {n} hosts of group {group}; missing on {who}"


def only_on(
    collector: str, item: str, hosts: list[str], entry: Any, count: int, n: int, group: str
) -> str:
    """``item`` is on a few hosts of a group (``hosts``), the rest have none."""
    who = hosts_text(hosts)
    rest = f"the other {n - count} hosts of group {group}"
    if collector == "integrity":
        return f"{item} differs from what {_owner(entry)} installed on {who}; it is as packaged on {rest}"
    if collector == "preload":
        source = item_value(entry)
        return (
            f"{who} {'preloads' if count == 1 else 'preload'} {item} into every program"
            + (f" (set in {source})" if source else "")
            + f"; {rest} do not"
        )
    if collector in PACKAGES:
        value = item_value(entry)
        shown = f"{item} {value}".strip()
        return f"{who} {'runs' if count == 1 else 'run'} {shown}, which {rest} do not have"
    return f"{item} is only on {who} of group {group} ({count} of {n})"


def outlier(
    collector: str, item: str, host: str, value: str, norm: str, norm_count: int, count: int,
    group: str,
) -> str:  # fmt: skip
    """``host`` has another version or content of ``item`` than most of its group."""
    most = f"{norm_count} of the {count} hosts of group {group}"
    if collector in PACKAGES:
        return f"{host} runs {item} {value}; {most} run {norm}"
    if collector == "integrity":
        return (
            f"{item} on {host} was changed from its package differently ({_value(value)}) "
            f"than on {most} ({_value(norm)})"
        )
    if collector == "files":
        return f"{item} on {host} ({_value(value)}) differs from the copy {most} share ({_value(norm)})"
    return f"{item} is {_value(value)} on {host} but {_value(norm)} on {most}"


def with_parts(message: str, parent_item: str, parts: list[tuple[str, str, str, str]]) -> str:
    """A root cause's message naming the findings folded into it: ``(collector, item, rule,
    scope)`` of each (``parent_item`` is the kept finding's ``collector:item``)."""
    _pc, path = parent_item.split(":", 1)
    same, named = [], []
    for collector, item, rule, scope in parts:
        group = scope.removeprefix("group:")
        if f"{collector}:{item}" == parent_item or (collector == "integrity" and item == path):
            if collector == "integrity":
                same.append("its package's verification flags it too")
            elif rule == "only-on-few-hosts":
                same.append(f"no other host of group {group} has it")
            else:
                same.append(f"its peers in group {group} differ from it too")
        elif collector == "perl":
            named.append(f"the Perl module {item}")
        elif collector == "python":
            named.append(f"the Python distribution {item}")
        elif collector == "integrity":
            named.append(f"{item} failing verification")
        elif rule == "only-on-few-hosts" and collector == "preload":
            same.append(f"no other host of group {group} preloads it")
        else:
            named.append(f"{collector} {item}")
    out = message
    if same:
        out += "; " + "; ".join(same)
    if named:
        out += f" (the same cause: {hosts_text(named)})"
    return out
