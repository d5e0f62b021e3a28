"""An inventory as declared, before inheritance: what loaders produce and files merge into.

Loaders fill an ``InventoryDraft`` (hosts and groups with their own settings, vars, tags
and contacts); ``load_inventory`` merges the drafts of every file and resolves them once
into an ``Inventory``, so a group may be declared in one file and given vars in another.

Inheritance, like Ansible: ``all`` first, then groups from the outermost parent to the
innermost child (ties by name), then the host itself; later wins. Connection settings
(address, port, user, key_file, proxy_jump) inherit the same way. Tags are the union
of the host's and its groups'; contacts are the host's own, then its groups' from the
innermost out, without duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SETTINGS = ("address", "port", "user", "key_file", "proxy_jump")
"""Host connection fields a file may set on a host or a group."""


def _add_unique(target: list[str], items: list[str]) -> None:
    for item in items:
        if item not in target:
            target.append(item)


@dataclass
class DraftEntry:
    name: str
    settings: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    path: str | None = None
    line: int | None = None
    file_settings: dict[str, Any] = field(default_factory=dict)
    file_vars: dict[str, Any] = field(default_factory=dict)
    """From Ansible's ``group_vars/``/``host_vars/`` files: a layer of their own, above every
    variable written in the inventory file (Ansible's variable precedence)."""

    def absorb(self, other: DraftEntry) -> None:
        """Take ``other``'s declarations on top of ours (a later file wins)."""
        self.settings.update(other.settings)
        self.vars.update(other.vars)
        self.file_settings.update(other.file_settings)
        self.file_vars.update(other.file_vars)
        _add_unique(self.tags, other.tags)
        _add_unique(self.contacts, other.contacts)
        if self.path is None:
            self.path, self.line = other.path, other.line


@dataclass
class DraftGroup(DraftEntry):
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    declared: bool = False
    """Defined by a file, not just named as someone's child."""
    priority: int | None = None
    """Ansible's ``ansible_group_priority``: among groups of one depth, a higher one's
    variables win (default 1); it is no variable itself."""

    def absorb(self, other: DraftEntry) -> None:
        super().absorb(other)
        if isinstance(other, DraftGroup):
            self.declared = self.declared or other.declared
            if other.priority is not None:
                self.priority = other.priority
            _add_unique(self.hosts, other.hosts)
            _add_unique(self.children, other.children)


@dataclass
class GroupReference:
    """A group a strict format names (e.g. as a child) that must be declared somewhere."""

    name: str
    path: str | None
    line: int | None
    field: str


@dataclass
class InventoryDraft:
    source: str | None = None
    hosts: dict[str, DraftEntry] = field(default_factory=dict)
    groups: dict[str, DraftGroup] = field(default_factory=dict)
    references: list[GroupReference] = field(default_factory=list)

    def host(self, name: str, *, path: str | None = None, line: int | None = None) -> DraftEntry:
        """The draft host ``name``, created on first mention."""
        if name not in self.hosts:
            self.hosts[name] = DraftEntry(str(name), path=path, line=line)
        return self.hosts[name]

    def group(
        self, name: str, *, path: str | None = None, line: int | None = None, declare: bool = True
    ) -> DraftGroup:
        """The draft group ``name``, created on first mention."""
        if name not in self.groups:
            self.groups[name] = DraftGroup(str(name), path=path, line=line)
        group = self.groups[name]
        group.declared = group.declared or declare
        return group

    def add_to_group(self, group: str, host: str, **where: Any) -> None:
        self.host(host, **where)
        _add_unique(self.group(group, declare=False, **where).hosts, [host])

    def add_child(self, parent: str, child: str, **where: Any) -> None:
        self.group(child, declare=False, **where)
        _add_unique(self.group(parent, **where).children, [child])

    def require_group(self, name: str, *, path: str | None, line: int | None, field: str) -> None:
        self.references.append(GroupReference(name, path, line, field))

    def merge(self, other: InventoryDraft) -> None:
        """Fold ``other`` (a later file) into this draft."""
        for name, entry in other.hosts.items():
            self.host(name, path=entry.path, line=entry.line).absorb(entry)
        for name, group in other.groups.items():
            self.group(name, path=group.path, line=group.line, declare=False).absorb(group)
        self.references.extend(other.references)
