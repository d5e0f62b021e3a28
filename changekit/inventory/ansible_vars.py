"""Ansible's connection variables, mapped to changekit's host fields the way Ansible does.

``ansible_host``/``ansible_port``/``ansible_user``/``ansible_private_key_file`` and their
``ansible_ssh_*`` spellings become address/port/user/key_file. As in Ansible's ssh
connection plugin, the variables are merged across all levels first and then, for each
field, the *last* name in its list that is set anywhere wins: a group's
``ansible_ssh_user`` beats a host's ``ansible_user`` (ansible-inventory agrees; see
tests/inventory/test_against_ansible.py). A ``ProxyJump`` (``-o ProxyJump=X`` or
``-J X``) in ``ansible_ssh_common_args``, else ``ansible_ssh_extra_args``, becomes
proxy_jump (ssh takes the first one given, and Ansible passes the common args first).
``changekit_tags`` and ``changekit_contacts`` give Ansible inventories tags and
contacts. Everything else stays a variable.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from changekit import yamlfile
from changekit.inventory.draft import DraftEntry

# For each field: changekit's own name, then Ansible's names in the order of the ssh
# connection plugin's option ``vars`` lists (the last one set wins).
CONNECTION_VARS: dict[str, tuple[str, ...]] = {
    "address": ("address", "ansible_host", "ansible_ssh_host"),
    "port": ("port", "ansible_port", "ansible_ssh_port"),
    "user": ("user", "ansible_user", "ansible_ssh_user"),
    "key_file": ("key_file", "ansible_private_key_file", "ansible_ssh_private_key_file"),
}
_ARGS_VARS = ("ansible_ssh_common_args", "ansible_ssh_extra_args")
_PROXY_OPTION = re.compile(r"^proxyjump[=\s]\s*(\S+)$", re.IGNORECASE)


def _proxy_jump(args: str) -> str | None:
    try:
        words = shlex.split(args)
    except ValueError:
        words = args.split()
    for i, word in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if word == "-J" and nxt:
            return nxt
        if word.startswith("-J") and len(word) > 2:
            return word[2:]
        option = nxt if word == "-o" else word[2:] if word.startswith("-o") else None
        if option and (m := _PROXY_OPTION.match(option)):
            return m.group(1)
    return None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple | set):
        return [str(v) for v in value]
    return [str(value)]


def apply_ansible_vars(entry: DraftEntry, variables: dict[str, Any]) -> None:
    """Put Ansible ``variables`` on a draft host or group; connection variables are kept
    under their own names in ``settings`` until ``connection_settings`` resolves them."""
    rest = dict(variables)
    for names in CONNECTION_VARS.values():
        for name in names[1:]:
            if name in rest:
                entry.settings[name] = rest.pop(name)
    entry.tags.extend(t for t in _as_list(rest.pop("changekit_tags", None)) if t not in entry.tags)
    entry.contacts.extend(
        c for c in _as_list(rest.pop("changekit_contacts", None)) if c not in entry.contacts
    )
    entry.vars.update(rest)


def connection_settings(settings: dict[str, Any], variables: dict[str, Any]) -> dict[str, Any]:
    """Host fields from merged ``settings`` (changekit and Ansible names) and variables."""
    fields: dict[str, Any] = {}
    for field_name, names in CONNECTION_VARS.items():
        for name in names:
            if settings.get(name) is not None:
                fields[field_name] = settings[name]
    if settings.get("proxy_jump"):
        fields["proxy_jump"] = settings["proxy_jump"]
    else:
        for name in _ARGS_VARS:
            if isinstance(variables.get(name), str) and (jump := _proxy_jump(variables[name])):
                fields["proxy_jump"] = jump
                break
    return fields


VAULT_PLACEHOLDER = "<ansible-vault encrypted>"
"""What a ``!vault`` value becomes: changekit never decrypts secrets."""

# ``!unsafe`` only tells Ansible not to template a value; the value itself is plain
_ANSIBLE_TAGS = {"!vault": VAULT_PLACEHOLDER, "!unsafe": yamlfile.AS_PLAIN}


def parse_ansible_yaml(text: str, *, path: str | Path) -> Any:
    """Parse an Ansible YAML inventory or vars file; a whole-file vault gives ``None``."""
    if text.lstrip().startswith("$ANSIBLE_VAULT;"):
        return None
    node = yamlfile.compose(text, path=path)
    return yamlfile.construct(node, text, path=path, tags=_ANSIBLE_TAGS)
