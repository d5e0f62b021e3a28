"""The in-memory inventory every part of changekit uses, whatever file format it came from."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from changekit.errors import InputError


@dataclass
class Host:
    name: str
    address: str | None = None
    """Where to connect (``ansible_host``/``HostName``); ``None`` means the name itself."""
    port: int = 22
    user: str | None = None
    key_file: str | None = None
    proxy_jump: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)
    """Every group the host is in, nested parents included."""
    tags: set[str] = field(default_factory=set)
    contacts: list[str] = field(default_factory=list)
    """Who is told about changes to this host (its own and its groups' contacts)."""

    @property
    def connect_address(self) -> str:
        return self.address or self.name


@dataclass
class Group:
    name: str
    hosts: set[str] = field(default_factory=set)
    children: set[str] = field(default_factory=set)
    vars: dict[str, Any] = field(default_factory=dict)
    contacts: list[str] = field(default_factory=list)


@dataclass
class Inventory:
    hosts: dict[str, Host] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    source: str | None = None

    def select(self, selectors: list[str] | tuple[str, ...]) -> list[Host]:
        """Hosts matching any selector: a name, a glob, ``group:NAME`` or ``tag:NAME``.
        No selectors means every host. A selector that matches nothing is an error."""
        if not selectors:
            return sorted(self.hosts.values(), key=lambda h: h.name)
        chosen: dict[str, Host] = {}
        for sel in selectors:
            matched = self.match(sel)
            if not matched:
                raise InputError(
                    f"selector {sel!r} matches no host",
                    path=self.source,
                    hint="use a host name, a glob like 'web*', group:NAME or tag:NAME",
                )
            for h in matched:
                chosen[h.name] = h
        return sorted(chosen.values(), key=lambda h: h.name)

    def match(self, selector: str) -> list[Host]:
        """Hosts matching one selector (possibly none)."""
        if selector.startswith("group:"):
            g = selector[6:]
            return [h for h in self.hosts.values() if g in h.groups]
        if selector.startswith("tag:"):
            t = selector[4:]
            return [h for h in self.hosts.values() if t in h.tags]
        if any(c in selector for c in "*?["):
            return [h for n, h in self.hosts.items() if fnmatch.fnmatchcase(n, selector)]
        host = self.hosts.get(selector)
        return [host] if host else []
