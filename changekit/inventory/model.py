"""The in-memory inventory every part of changekit uses, whatever file format it came from."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from changekit.errors import InputError, NotFoundError
from changekit.inventory.address import address_problem, proxy_jump_problem
from changekit.inventory.selectors import close_names, select_hosts


@dataclass
class Host:
    name: str
    address: str | None = None
    """Where to connect (``ansible_host``/``HostName``); ``None`` means the name itself."""
    port: int = 22
    user: str | None = None
    key_file: str | None = None
    proxy_jump: str | None = None
    proxy_command: str | None = None
    """An ssh ``ProxyCommand`` changekit does not run (from Ansible's ssh args): the host is
    refused rather than connected to directly."""
    vars: dict[str, Any] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)
    """Every group the host is in, nested parents included (not the implicit ``all``)."""
    tags: set[str] = field(default_factory=set)
    contacts: list[str] = field(default_factory=list)
    """Who is told about changes to this host (its own and its groups' contacts)."""
    path: str | None = None
    """The inventory file that declared the host (for messages)."""
    line: int | None = None

    @property
    def address_problem(self) -> str | None:
        """Why the connect address (or a jump host) is unusable, or ``None`` when all is fine."""
        if self.proxy_command:
            return (
                f"it is reached through ProxyCommand {self.proxy_command!r}, which changekit "
                "does not run (it connects directly or through a jump host only)"
            )
        problem = address_problem(self.address or self.name)
        if problem is None and self.proxy_jump and self.proxy_jump.lower() != "none":
            problem = proxy_jump_problem(self.proxy_jump)
        return problem

    @property
    def connect_address(self) -> str:
        """The DNS name or IP to connect to; raises ``InputError`` when it (or a jump host
        in ``proxy_jump``) is not one."""
        target = self.address or self.name
        if self.proxy_command:
            raise InputError(
                f"host {self.name!r}: {self.address_problem}",
                path=self.path,
                line=self.line,
                field="ansible_ssh_common_args",
                hint="reach it through a jump host instead (ProxyJump, `-J`, or the pattern "
                "`ProxyCommand=ssh -W %h:%p BASTION`), or leave it out of the scan",
            )
        if problem := address_problem(target):
            via = "its address" if self.address else "its name (it has no address)"
            raise InputError(
                f"host {self.name!r}: {via} {target!r} cannot be connected to: {problem}",
                path=self.path,
                line=self.line,
                field="address",
                hint="give the host an address: (or ansible_host=) that is a DNS name or an IP address",
            )
        jump = self.proxy_jump if self.proxy_jump and self.proxy_jump.lower() != "none" else None
        if jump and (problem := proxy_jump_problem(jump)):
            raise InputError(
                f"host {self.name!r}: proxy_jump {jump!r} cannot be used: {problem}",
                path=self.path,
                line=self.line,
                field="proxy_jump",
                hint="write it as ssh -J takes it: [user@]host[:port][,...]",
            )
        return target

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": self.address,
            "port": self.port,
            "user": self.user,
            "key_file": self.key_file,
            "proxy_jump": self.proxy_jump,
            "proxy_command": self.proxy_command,
            "groups": sorted(self.groups),
            "tags": sorted(self.tags),
            "contacts": list(self.contacts),
            "vars": self.vars,
            "source": f"{self.path}:{self.line}" if self.path and self.line else self.path,
        }


@dataclass
class Group:
    name: str
    hosts: set[str] = field(default_factory=set)
    """Hosts listed directly in this group (not those of its children)."""
    children: set[str] = field(default_factory=set)
    vars: dict[str, Any] = field(default_factory=dict)
    contacts: list[str] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)


@dataclass
class Inventory:
    hosts: dict[str, Host] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    source: str | None = None

    def select(self, selectors: list[str] | tuple[str, ...]) -> list[Host]:
        """Hosts matching any selector: a name, a glob, ``group:NAME`` or ``tag:NAME``;
        ``A&B`` keeps hosts matching both, ``!SEL`` removes hosts (from all hosts when
        only exclusions are given). No selectors means every host. A selector that
        matches nothing, or an unknown group, is an error."""
        return select_hosts(self, list(selectors))

    def match(self, selector: str) -> list[Host]:
        """Hosts matching one plain selector (possibly none); unknown group is an error."""
        if selector.startswith("group:"):
            g = selector[6:]
            if g == "all":
                return list(self.hosts.values())
            if g == "ungrouped" and g not in self.groups:
                return [h for h in self.hosts.values() if not h.groups]
            if g not in self.groups:
                raise NotFoundError(
                    f"no group named {g!r} in the inventory",
                    path=self.source,
                    hint=close_names(g, self.groups, "groups"),
                )
            return [h for h in self.hosts.values() if g in h.groups]
        if selector.startswith("tag:"):
            t = selector[4:]
            return [h for h in self.hosts.values() if t in h.tags]
        if any(c in selector for c in "*?["):
            return [h for n, h in self.hosts.items() if fnmatch.fnmatchcase(n, selector)]
        host = self.hosts.get(selector)
        return [host] if host else []

    def host(self, name: str) -> Host:
        """The host called ``name``; ``NotFoundError`` naming close names otherwise."""
        try:
            return self.hosts[name]
        except KeyError:
            raise NotFoundError(
                f"no host named {name!r} in the inventory",
                path=self.source,
                hint=close_names(name, self.hosts, "hosts"),
            ) from None

    def tags(self) -> set[str]:
        return {t for h in self.hosts.values() for t in h.tags}
