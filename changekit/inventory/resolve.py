"""Turn a merged ``InventoryDraft`` into an ``Inventory``: inheritance, checks, ssh_config.

See ``changekit.inventory.draft`` for the inheritance order and
``changekit.inventory.sshconfig`` for how ``~/.ssh/config`` fills what is left empty.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import Any

from changekit.errors import InputError
from changekit.inventory.ansible_vars import connection_settings
from changekit.inventory.draft import DraftEntry, InventoryDraft
from changekit.inventory.model import Group, Host, Inventory
from changekit.inventory.selectors import close_names

SshLookup = Callable[[str], dict[str, Any]]
"""``lookup(target) -> settings`` from the user's ssh_config (see ``sshconfig.py``)."""


def _check_references(draft: InventoryDraft) -> None:
    declared = {n for n, g in draft.groups.items() if g.declared} | {"all"}
    for ref in draft.references:
        if ref.name not in declared:
            raise InputError(
                f"unknown group {ref.name!r}",
                path=ref.path,
                line=ref.line,
                field=ref.field,
                hint=close_names(ref.name, declared - {"all"}, "groups")
                + " (or declare it under groups:)",
            )


def _check_cycles(draft: InventoryDraft) -> None:
    state: dict[str, int] = {}  # 1 = on the path, 2 = done

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            loop = " -> ".join(trail[trail.index(name) :] + [name])
            group = draft.groups[name]
            raise InputError(
                f"groups contain each other in a loop: {loop}",
                path=group.path,
                line=group.line,
                field=f"groups.{name}.children",
                hint="a group cannot be its own (grand)child; remove one of these children entries",
            )
        state[name] = 1
        for child in draft.groups[name].children:
            visit(child, trail + [name])
        state[name] = 2

    for name in draft.groups:
        visit(name, [])


def _port(value: Any, entry: DraftEntry) -> int:
    try:
        port = int(str(value), 10)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise InputError(
            f"host {entry.name!r}: port {value!r} is not a TCP port",
            path=entry.path,
            line=entry.line,
            field="port",
            hint="use a number from 1 to 65535",
        )
    return port


def resolve(draft: InventoryDraft, ssh_lookup: SshLookup | None = None) -> Inventory:
    """Apply inheritance and ssh_config; raise ``InputError`` for unknown groups or loops."""
    _check_references(draft)
    _check_cycles(draft)
    parents: dict[str, set[str]] = {name: set() for name in draft.groups}
    for name, group in draft.groups.items():
        for child in group.children:
            parents[child].add(name)

    @cache
    def ancestors(name: str) -> frozenset[str]:
        found: set[str] = set()
        for parent in parents[name]:
            found |= {parent} | ancestors(parent)
        return frozenset(found)

    @cache
    def depth(name: str) -> int:
        if name == "all":
            return -1
        return 1 + max((depth(p) for p in parents[name]), default=-1)

    def priority(name: str) -> int:
        value = draft.groups[name].priority
        return 1 if value is None else value

    direct: dict[str, set[str]] = {}
    for name, group in draft.groups.items():
        for host in group.hosts:
            direct.setdefault(host, set()).add(name)

    inv = Inventory(source=draft.source)
    for name, entry in draft.hosts.items():
        member = set(direct.get(name, ()))
        for g in list(member):
            member |= ancestors(g)
        if "all" in draft.groups:
            member.add("all")
        order = sorted(member, key=lambda g: (depth(g), priority(g), g))
        inv.hosts[name] = _build_host(entry, [draft.groups[g] for g in order], ssh_lookup)
        inv.hosts[name].groups = member - {"all"}
    for name, group in draft.groups.items():
        inv.groups[name] = Group(
            name,
            hosts=set(group.hosts),
            children=set(group.children),
            vars={**group.vars, **group.file_vars},
            contacts=list(group.contacts),
            tags=set(group.tags),
        )
    return inv


def _build_host(entry: DraftEntry, groups: list[DraftEntry], ssh_lookup: SshLookup | None) -> Host:
    settings: dict[str, Any] = {}
    variables: dict[str, Any] = {}
    tags: set[str] = set(entry.tags)
    # Ansible's precedence, lowest first: the inventory file's group variables (all, then
    # outer to inner groups), group_vars/all, the other group_vars files in the same order,
    # the inventory file's host variables, host_vars files
    every = [g for g in groups if g.name == "all"] + [g for g in groups if g.name != "all"]
    layers = [
        *((g.settings, g.vars) for g in groups),
        *((g.file_settings, g.file_vars) for g in every),
        (entry.settings, entry.vars),
        (entry.file_settings, entry.file_vars),
    ]
    for layer_settings, layer_vars in layers:
        settings.update({k: v for k, v in layer_settings.items() if v is not None})
        variables.update(layer_vars)
    for source in [*groups, entry]:
        tags.update(source.tags)
    contacts: list[str] = []
    for source in [entry, *reversed(groups)]:
        contacts.extend(c for c in source.contacts if c not in contacts)
    settings = connection_settings(settings, variables)
    if ssh_lookup is not None:
        found = ssh_lookup(str(settings.get("address") or entry.name))
        for key, value in found.items():
            settings.setdefault(key, value)
    key_file = settings.get("key_file")
    return Host(
        name=entry.name,
        address=str(settings["address"]) if settings.get("address") else None,
        port=_port(settings["port"], entry) if "port" in settings else 22,
        user=str(settings["user"]) if settings.get("user") else None,
        key_file=os.path.expanduser(str(key_file)) if key_file else None,
        proxy_jump=str(settings["proxy_jump"]) if settings.get("proxy_jump") else None,
        proxy_command=str(settings["proxy_command"]) if settings.get("proxy_command") else None,
        vars=variables,
        tags=tags,
        contacts=contacts,
        path=entry.path,
        line=entry.line,
    )
