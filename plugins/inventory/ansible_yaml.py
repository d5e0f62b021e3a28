"""Ansible YAML inventories, read as they are::

    all:
      vars: {ansible_user: deploy}
      children:
        web:
          hosts:
            web[01:03].example.org:
            web04: {ansible_host: 10.0.0.14}

A group has ``hosts`` (name -> variables), ``children`` (name -> group) and ``vars``;
Ansible's connection variables become host fields (``changekit.api.apply_ansible_vars``).
``!vault`` values are kept as a placeholder: changekit never decrypts secrets.
"""

from __future__ import annotations

import difflib
from typing import Any

from changekit_plugins.inventory.common import ansible_yaml_data, expand_host_pattern

from changekit.api import (
    InputError,
    InventoryDraft,
    InventoryLoader,
    InventorySource,
    apply_ansible_vars,
    hookimpl,
)

_GROUP_KEYS = ("hosts", "children", "vars")


def _group_shaped(value: Any) -> bool:
    return value is None or (isinstance(value, dict) and set(map(str, value)) <= set(_GROUP_KEYS))


class _Reader:
    def __init__(self, source: InventorySource) -> None:
        self.path = str(source.path)
        self.lines = source.key_lines()
        self.draft = InventoryDraft(source=self.path)

    def fail(self, keys: tuple[str, ...], message: str, hint: str | None = None) -> InputError:
        return InputError(
            message, path=self.path, line=self.lines.get(keys), field=".".join(keys), hint=hint
        )

    def mapping(self, value: Any, keys: tuple[str, ...], what: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(
                keys,
                f"{what} must be a mapping, not a {type(value).__name__}",
                "indent the entries under it as `name:` lines",
            )
        return value

    def group(self, name: str, spec: Any, keys: tuple[str, ...]) -> None:
        line = self.lines.get(keys)
        entry = self.draft.group(name, path=self.path, line=line)
        spec = self.mapping(spec, keys, f"group {name!r}")
        for key in spec:
            if str(key) not in _GROUP_KEYS:
                close = difflib.get_close_matches(str(key), _GROUP_KEYS, n=1)
                hint = (
                    f"did you mean {close[0]!r}?"
                    if close
                    else "a group has hosts, children and vars"
                )
                raise self.fail(
                    (*keys, str(key)), f"unknown key {str(key)!r} in group {name!r}", hint
                )
        apply_ansible_vars(
            entry,
            {str(k): v for k, v in self.mapping(spec.get("vars"), (*keys, "vars"), "vars").items()},
        )
        hosts = self.mapping(spec.get("hosts"), (*keys, "hosts"), "hosts")
        for raw, variables in hosts.items():
            hkeys = (*keys, "hosts", str(raw))
            variables = self.mapping(variables, hkeys, f"host {str(raw)!r}")
            try:
                names = expand_host_pattern(str(raw))
            except ValueError as exc:
                raise self.fail(hkeys, str(exc)) from None
            for host in names:
                apply_ansible_vars(
                    self.draft.host(host, path=self.path, line=self.lines.get(hkeys)),
                    {str(k): v for k, v in variables.items()},
                )
                self.draft.add_to_group(name, host)
        children = self.mapping(spec.get("children"), (*keys, "children"), "children")
        for raw, child in children.items():
            self.draft.add_child(name, str(raw), path=self.path, line=line)
            self.group(str(raw), child, (*keys, "children", str(raw)))


class AnsibleYamlLoader(InventoryLoader):
    name = "ansible-yaml"
    description = "Ansible YAML inventory: all: hosts/children/vars"

    def accepts(self, source: InventorySource) -> bool:
        if source.suffix == ".ini":
            return False
        data = ansible_yaml_data(source)
        if not isinstance(data, dict) or not data:
            return False
        if {"hosts", "groups", "version"} & set(map(str, data)) and "all" not in data:
            return False  # the changekit format's top-level keys
        return all(_group_shaped(v) for v in data.values())

    def load(self, source: InventorySource) -> InventoryDraft:
        data = ansible_yaml_data(source) or {}
        reader = _Reader(source)
        for name, spec in data.items():
            reader.group(str(name), spec, (str(name),))
        return reader.draft


@hookimpl(trylast=True)
def register_inventory_loaders(register):
    register(AnsibleYamlLoader())
