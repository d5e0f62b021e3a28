"""Ansible INI inventories, read as they are::

    web01 ansible_host=10.0.0.11
    [web]
    web[02:04].example.org ansible_user=deploy
    [web:vars]
    http_port=8080
    [prod:children]
    web

Host-line and ``[group:vars]`` values are Python literals when they parse as one (as
``ansible-inventory`` reads both; Ansible's docs say group vars are strings, its code does not). ``host:PORT`` sets the port. Ansible's connection
variables become host fields (see ``changekit.api.apply_ansible_vars``).
"""

from __future__ import annotations

import ast
import re
import shlex
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

_SECTION = re.compile(r"^\[([^\]]+)\]\s*(?:[#;].*)?$")
_NEEDS_SHLEX = re.compile(r"[\"'\\#]")
_HOST_PORT = re.compile(r"^([^:\[\]]+):([0-9]+)$")
_YAML_SUFFIXES = (".yaml", ".yml", ".json")


_LITERAL_START = frozenset("'\"[({-+.0123456789")


def _literal(value: str) -> Any:
    if value.isascii() and value.isdigit() and (value == "0" or value[0] != "0"):
        return int(value)
    if not value or (value[0] not in _LITERAL_START and value not in ("True", "False", "None")):
        return value  # cannot be a Python literal: skip the (slow) parse
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value


class _Parser:
    def __init__(self, source: InventorySource) -> None:
        self.path = str(source.path)
        self.draft = InventoryDraft(source=self.path)
        self.group: str | None = None
        self.kind = "hosts"

    def fail(self, lineno: int, message: str, hint: str) -> InputError:
        return InputError(message, path=self.path, line=lineno, hint=hint)

    def section(self, lineno: int, header: str) -> None:
        name, _, kind = header.strip().partition(":")
        kind = kind or "hosts"
        if kind not in ("hosts", "vars", "children") or not name:
            raise self.fail(
                lineno,
                f"unknown section [{header}]",
                "sections are [GROUP], [GROUP:vars] and [GROUP:children]",
            )
        self.group, self.kind = name, kind
        self.draft.group(name, path=self.path, line=lineno)

    def host_line(self, lineno: int, line: str) -> None:
        try:
            # shlex is slow; a line without quotes, escapes or comments splits the same way
            words = shlex.split(line, comments=True) if _NEEDS_SHLEX.search(line) else line.split()
        except ValueError as exc:
            raise self.fail(
                lineno, f"cannot split host line: {exc}", "check the quotes on this line"
            ) from None
        if not words:
            return
        variables: dict[str, Any] = {}
        for word in words[1:]:
            key, eq, value = word.partition("=")
            if not eq or not key:
                raise self.fail(
                    lineno,
                    f"expected key=value after the host name, got {word!r}",
                    "write variables as name=value; quote values with spaces",
                )
            variables[key] = _literal(value)
        name, port = words[0], None
        if m := _HOST_PORT.match(name):
            name, port = m.group(1), m.group(2)
        try:
            names = expand_host_pattern(name)
        except ValueError as exc:
            raise self.fail(lineno, str(exc), "split the range into smaller ones") from None
        for host_name in names:
            entry = self.draft.host(host_name, path=self.path, line=lineno)
            if port is not None:
                entry.settings["ansible_port"] = port  # Ansible reads host:PORT as ansible_port
            apply_ansible_vars(entry, variables)
            if self.group:
                self.draft.add_to_group(self.group, host_name, path=self.path, line=lineno)

    def vars_line(self, lineno: int, line: str) -> None:
        key, eq, value = line.partition("=")
        if not eq or not key.strip():
            raise self.fail(
                lineno,
                f"expected name=value in [{self.group}:vars], got {line!r}",
                "one variable per line: name=value",
            )
        assert self.group is not None
        # typed like host-line values: ansible-inventory gives [g:vars] ints, bools and lists
        # (its docs say strings; its INI plugin runs both through the same literal parse)
        apply_ansible_vars(self.draft.group(self.group), {key.strip(): _literal(value.strip())})

    def child_line(self, lineno: int, line: str) -> None:
        assert self.group is not None
        child = line.split()[0]
        self.draft.group(child, path=self.path, line=lineno)
        self.draft.add_child(self.group, child, path=self.path, line=lineno)

    def parse(self, text: str) -> InventoryDraft:
        for lineno, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                m = _SECTION.match(line)
                if not m:
                    raise self.fail(
                        lineno, f"malformed section header {line!r}", "write it as [GROUP]"
                    )
                self.section(lineno, m.group(1))
            elif self.kind == "vars":
                self.vars_line(lineno, line)
            elif self.kind == "children":
                self.child_line(lineno, line)
            else:
                self.host_line(lineno, line)
        return self.draft


class AnsibleIniLoader(InventoryLoader):
    name = "ansible-ini"
    description = "Ansible INI inventory: [group], [group:vars], [group:children], host ranges"

    def accepts(self, source: InventorySource) -> bool:
        if source.suffix in _YAML_SUFFIXES:
            return False
        return source.suffix == ".ini" or not isinstance(ansible_yaml_data(source), dict)

    def load(self, source: InventorySource) -> InventoryDraft:
        return _Parser(source).parse(source.text)


@hookimpl(trylast=True)
def register_inventory_loaders(register):
    register(AnsibleIniLoader())
