"""``load_inventory``: find the inventory, pick a loader per file, merge, resolve.

Where the inventory comes from, first match wins:

1. ``path`` (the ``-i`` option, like Ansible's): a file, a folder (every file in it,
   recursively, merged in name order), or a comma-separated host list (``web01,web02,``);
2. the ``inventory:`` key of the workspace's ``changekit.yaml`` (a path or a list of
   paths, relative to the workspace root);
3. the workspace's ``inventories/`` folder.

Files are read by the first registered loader that accepts them (see
``changekit.inventory.loader``). In folders, hidden files, ``README*`` and the files
Ansible ignores in inventory folders (``~``, ``.orig``, ``.bak``, ``.swp``, ``.cfg``,
``.retry``, ``.pyc``, ``.rpm``, ``.md``, ``.txt``, ``.rst``) are skipped, as are the
``group_vars``/``host_vars`` folders, which are read as Ansible reads them (see
``changekit.inventory.varsdirs``). Unlike Ansible, ``*.ini`` files in a folder are
read: ``inventories/prod.ini`` is the obvious place for a team's Ansible INI inventory.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from changekit import plugins
from changekit.errors import InputError, PluginError
from changekit.inventory.draft import InventoryDraft
from changekit.inventory.loader import InventoryLoader, InventorySource
from changekit.inventory.model import Inventory
from changekit.inventory.resolve import resolve
from changekit.inventory.sshconfig import load_ssh_config
from changekit.inventory.varsdirs import VARS_DIRS, apply_vars_dirs
from changekit.yamlfile import load_yaml

if TYPE_CHECKING:
    from changekit.workspace import Workspace

_IGNORED_SUFFIXES = (
    "~",
    ".orig",
    ".bak",
    ".swp",
    ".cfg",
    ".retry",
    ".pyc",
    ".pyo",
    ".rpm",
    ".md",
    ".rst",
    ".txt",
)


def inventory_loaders() -> list[InventoryLoader]:
    """Every registered loader, in registration order (plugins before built-ins)."""
    found = plugins.collect("register_inventory_loaders")
    for loader in found:
        if not isinstance(loader, InventoryLoader):
            raise PluginError(
                f"register_inventory_loaders got {loader!r}, not an InventoryLoader",
                hint="register an instance of a changekit.api.InventoryLoader subclass",
            )
    return found


def _load_file(path: Path, loaders: list[InventoryLoader]) -> InventoryDraft:
    try:
        text = path.read_text(encoding="utf-8-sig")  # Windows editors add a BOM
    except UnicodeDecodeError as exc:
        raise InputError(f"inventory is not UTF-8 text: {exc}", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read inventory: {exc.strerror}", path=path) from None
    source = InventorySource(path, text)
    for loader in loaders:
        if loader.accepts(source):
            draft = loader.load(source)
            draft.source = str(path)
            return draft
    if source.suffix in (".yaml", ".yml", ".json") and source.yaml_error:
        raise source.yaml_error
    names = ", ".join(loader.name for loader in loaders) or "(none registered)"
    raise InputError(
        "not an inventory format changekit can read",
        path=path,
        hint=f"formats: {names}; a changekit inventory has top-level hosts: and/or groups:",
    )


def _files_in(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).parts
        if any(p.startswith(".") or p in VARS_DIRS for p in rel) or not path.is_file():
            continue
        if path.name.upper().startswith("README") or path.name.endswith(_IGNORED_SUFFIXES):
            continue
        found.append(path)
    return found


def _host_list(spec: str) -> InventoryDraft:
    draft = InventoryDraft(source="(host list)")
    for name in (n.strip() for n in spec.split(",")):
        if name:
            draft.host(name)
    return draft


def _workspace_paths(workspace: Workspace) -> list[Path]:
    if workspace.config_path.is_file():
        config, _text = load_yaml(workspace.config_path)
        configured = config.get("inventory") if isinstance(config, dict) else None
        if configured:
            items = configured if isinstance(configured, list) else [configured]
            return [workspace.root / str(item) for item in items]
    return [workspace.inventories_dir]


def load_inventory(
    path: str | Path | None,
    workspace: Workspace | None = None,
    *,
    ssh_config: str | Path | bool | None = None,
) -> Inventory:
    """Load, merge and resolve the inventory (see the module docstring for where from).

    ``ssh_config``: ``None`` for the default (``$CHANGEKIT_SSH_CONFIG`` or
    ``~/.ssh/config``), ``False`` to ignore ssh_config, or a path.
    """
    paths: list[Path] = []
    if path is not None and not Path(path).exists() and "," in str(path):
        drafts, label = [_host_list(str(path))], "(host list)"
    else:
        if path is not None:
            paths = [Path(path)]
        elif workspace is not None:
            paths = _workspace_paths(workspace)
        else:
            raise InputError(
                "no inventory given and not inside a workspace",
                hint="pass -i PATH (a file, a folder, or host1,host2,)",
            )
        drafts = _read_paths(paths)
        label = ", ".join(str(p) for p in paths)
    merged = InventoryDraft(source=label)
    for draft in drafts:
        merged.merge(draft)
    for folder in dict.fromkeys(p if p.is_dir() else p.parent for p in paths):
        apply_vars_dirs(merged, folder)
    config = load_ssh_config(ssh_config)
    return resolve(merged, config.lookup if config else None)


def _read_paths(paths: list[Path]) -> list[InventoryDraft]:
    loaders = inventory_loaders()
    drafts: list[InventoryDraft] = []
    for path in paths:
        if path.is_dir():
            for file in _files_in(path):
                drafts.append(_load_file(file, loaders))
        elif path.is_file():
            drafts.append(_load_file(path, loaders))
        else:
            raise InputError(
                "inventory not found",
                path=path,
                hint="pass -i with an existing file or folder, or create inventories/ in the workspace",
            )
    return drafts
