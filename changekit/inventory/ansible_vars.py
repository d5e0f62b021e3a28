"""Ansible's connection variables, mapped to changekit's host fields the way Ansible does.

``ansible_host``/``ansible_port``/``ansible_user``/``ansible_private_key_file`` and their
``ansible_ssh_*`` spellings become address/port/user/key_file. As in Ansible's ssh
connection plugin, the variables are merged across all levels first and then, for each
field, the *last* name in its list that is set anywhere wins: a group's
``ansible_ssh_user`` beats a host's ``ansible_user`` (ansible-inventory agrees; see
tests/inventory/test_against_ansible.py). A ``ProxyJump`` (``-o ProxyJump=X`` or
``-J X``) in ``ansible_ssh_common_args``, else ``ansible_ssh_extra_args``, becomes
proxy_jump (ssh takes the first one given, and Ansible passes the common args first); so does
a ``ProxyCommand`` of the bastion pattern ``ssh -W %h:%p bastion``. Any other
``ProxyCommand`` is kept as ``proxy_command``: changekit does not run it, and the host is
refused with that reason rather than connected to directly.
``changekit_tags`` and ``changekit_contacts`` give Ansible inventories tags and
contacts. Everything else stays a variable.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from changekit import yamlfile
from changekit.errors import InputError
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


_PROXY_COMMAND = re.compile(r"^proxycommand[=\s]\s*(.+)$", re.IGNORECASE | re.DOTALL)
_SSH_FLAGS = frozenset("46ACNTqvx")
"""ssh options without an argument that do not change where or how the jump connects."""


def _proxy_command(args: str) -> str | None:
    """The ``ProxyCommand`` given in ssh arguments (``-o ProxyCommand=...``), if any."""
    try:
        words = shlex.split(args)
    except ValueError:
        words = args.split()
    for i, word in enumerate(words):
        option = words[i + 1] if word == "-o" and i + 1 < len(words) else None
        if option is None and word.startswith("-o") and len(word) > 2:
            option = word[2:]
        if option and (m := _PROXY_COMMAND.match(option.strip())):
            return m.group(1).strip()
    return None


def jump_of_proxy_command(command: str) -> str | None:
    """``ssh [-q] -W %h:%p [-p PORT] [-l USER] [USER@]BASTION``, the bastion pattern of
    Kubespray and many others, as the jump host it amounts to; None for anything else (a
    command changekit would have to run)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words or Path(words[0]).name != "ssh":
        return None
    user = port = None
    forward = False
    rest = []
    i = 1
    while i < len(words):
        word = words[i]
        if word in ("-W", "-p", "-l") and i + 1 < len(words):
            value = words[i + 1]
            if word == "-W":
                forward = value in ("%h:%p", "[%h]:%p")
            elif word == "-p":
                port = value
            else:
                user = value
            i += 2
            continue
        if word.startswith("-"):
            if not set(word[1:]) <= _SSH_FLAGS:
                return None  # an option that changes the connection: not a plain jump
        else:
            rest.append(word)
        i += 1
    if not forward or len(rest) != 1:
        return None
    target = rest[0]
    if user and "@" not in target:
        target = f"{user}@{target}"
    return f"{target}:{port}" if port else target


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple | set):
        return [str(v) for v in value]
    return [str(value)]


def apply_ansible_vars(
    entry: DraftEntry, variables: dict[str, Any], *, from_file: bool = False
) -> None:
    """Put Ansible ``variables`` on a draft host or group; connection variables are kept
    under their own names in ``settings`` until ``connection_settings`` resolves them.
    ``from_file``: they come from a ``group_vars``/``host_vars`` file, a layer of its own."""
    rest = dict(variables)
    settings = entry.file_settings if from_file else entry.settings
    for names in CONNECTION_VARS.values():
        for name in names[1:]:
            if name in rest:
                settings[name] = rest.pop(name)
    if "ansible_group_priority" in rest:
        priority = rest.pop("ansible_group_priority")
        if hasattr(entry, "priority"):  # a group's; Ansible ignores it on a host
            try:
                entry.priority = int(priority)
            except (TypeError, ValueError):
                raise InputError(
                    f"ansible_group_priority of {entry.name} is {priority!r}, not a number",
                    path=entry.path,
                    line=entry.line,
                    hint="give it a whole number (default 1; higher wins among groups of a depth)",
                ) from None
    entry.tags.extend(t for t in _as_list(rest.pop("changekit_tags", None)) if t not in entry.tags)
    entry.contacts.extend(
        c for c in _as_list(rest.pop("changekit_contacts", None)) if c not in entry.contacts
    )
    (entry.file_vars if from_file else entry.vars).update(rest)


def connection_settings(settings: dict[str, Any], variables: dict[str, Any]) -> dict[str, Any]:
    """Host fields from merged ``settings`` (changekit and Ansible names) and variables."""
    fields: dict[str, Any] = {}
    for field_name, names in CONNECTION_VARS.items():
        for name in names:
            if settings.get(name) is not None:
                fields[field_name] = settings[name]
    if settings.get("proxy_jump"):
        fields["proxy_jump"] = settings["proxy_jump"]
        return fields
    for name in _ARGS_VARS:  # ssh takes the first one given; Ansible passes common args first
        args = variables.get(name)
        if not isinstance(args, str):
            continue
        if jump := _proxy_jump(args):
            fields["proxy_jump"] = jump
            break
        if command := _proxy_command(args):
            jump = jump_of_proxy_command(command)
            if jump:
                fields["proxy_jump"] = jump
            else:
                fields["proxy_command"] = command
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
