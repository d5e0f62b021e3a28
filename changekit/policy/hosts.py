"""Which hosts and host groups a record touches, through the inventory when there is one."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from changekit.policy.access import data_of


@dataclass(frozen=True)
class Targets:
    names: frozenset[str]
    """Host names (or, without an inventory, the selectors as written)."""
    globs: frozenset[str]
    """Selectors that are globs and could not be resolved."""
    host_groups: tuple[frozenset[str], ...]
    """The groups of each host touched, one set per host."""

    def overlaps(self, other: Targets) -> set[str]:
        common = set(self.names & other.names)
        for glob in self.globs:
            common |= {n for n in other.names if fnmatch.fnmatchcase(n, glob)}
        for glob in other.globs:
            common |= {n for n in self.names if fnmatch.fnmatchcase(n, glob)}
        common |= self.globs & other.globs
        return common


def _match(inventory: Any | None, selector: str) -> list:
    """Hosts the inventory resolves ``selector`` to; none when it cannot (then it is compared as written)."""
    if inventory is None:
        return []
    from changekit.inventory.selectors import hosts_of

    return hosts_of(inventory, selector)


def resolve(record: Any, inventory: Any | None) -> Targets:
    names: set[str] = set()
    globs: set[str] = set()
    groups: list[frozenset[str]] = []
    for sel in data_of(record).get("hosts") or ():
        sel = str(sel)
        matched = _match(inventory, sel)
        if matched:
            for host in matched:
                names.add(host.name)
                groups.append(frozenset(host.groups))
            continue
        if sel.startswith("group:"):
            names.add(sel)
            groups.append(frozenset({sel[6:]}))
        elif any(c in sel for c in "*?["):
            globs.add(sel)
            groups.append(frozenset())
        else:
            names.add(sel)
            groups.append(frozenset())
    return Targets(frozenset(names), frozenset(globs), tuple(groups))
