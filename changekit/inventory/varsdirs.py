"""Ansible's ``group_vars/`` and ``host_vars/`` folders next to an inventory.

``group_vars/NAME`` (a file, optionally ``.yml``/``.yaml``/``.json``, or a folder of
such files) gives group ``NAME`` variables; ``host_vars/NAME`` does the same for a
host. As in Ansible they win over variables written in the inventory file (a
``group_vars/all`` file over an inline ``[db:vars]`` too: Ansible's variable precedence
puts every vars file above every inventory file group variable), apply only
to hosts and groups the inventory has (``all`` always exists), and a vault-encrypted
file is skipped (changekit never decrypts secrets).
"""

from __future__ import annotations

from pathlib import Path

from changekit.errors import InputError
from changekit.inventory.ansible_vars import apply_ansible_vars, parse_ansible_yaml
from changekit.inventory.draft import DraftEntry, InventoryDraft

VARS_DIRS = ("group_vars", "host_vars")
_SUFFIXES = ("", ".yml", ".yaml", ".json")


def _files_for(base: Path, name: str) -> list[Path]:
    if not name or "/" in name or "\\" in name or "\0" in name or name.startswith("."):
        return []  # a hostile name must not reach outside the vars folder
    found: list[Path] = []
    for suffix in _SUFFIXES:
        candidate = base / f"{name}{suffix}"
        if candidate.is_file():
            found.append(candidate)
        elif suffix == "" and candidate.is_dir():
            found.extend(
                p
                for p in sorted(candidate.rglob("*"))
                if p.is_file() and p.suffix in _SUFFIXES and not p.name.startswith(".")
            )
    return found


def _apply(entry: DraftEntry, path: Path) -> None:
    data = parse_ansible_yaml(path.read_text(encoding="utf-8", errors="replace"), path=path)
    if data is None:
        return
    if not isinstance(data, dict):
        raise InputError(
            f"variables file holds a {type(data).__name__}, not a mapping of names to values",
            path=path,
            hint="write it as `name: value` lines",
        )
    apply_ansible_vars(entry, {str(k): v for k, v in data.items()}, from_file=True)


def apply_vars_dirs(draft: InventoryDraft, folder: Path) -> None:
    """Apply ``folder/group_vars`` and ``folder/host_vars`` to ``draft`` (when present)."""
    groups = folder / "group_vars"
    if groups.is_dir():
        if _files_for(groups, "all"):
            draft.group("all")
        for name, group in draft.groups.items():
            for path in _files_for(groups, name):
                _apply(group, path)
    hosts = folder / "host_vars"
    if hosts.is_dir():
        for name, host in draft.hosts.items():
            for path in _files_for(hosts, name):
                _apply(host, path)
