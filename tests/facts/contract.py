"""Workspaces for the facts-store contract tests (the ``store`` fixture is in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import git
import yaml

from changekit.facts.backend import open_store
from changekit.workspace import Workspace
from tests.records import gitrepos


def make_workspace(root: Path, facts: str = "") -> Workspace:
    repo = git.Repo.init(root)
    (root / "changekit.yaml").write_text("version: 1\n" + facts)
    (root / ".gitignore").write_text(".changekit/\n")
    repo.git.add("changekit.yaml", ".gitignore")
    repo.git.commit("-m", "workspace")
    return Workspace(root)


def stored_workspace(
    root: Path, facts: str, scans, inventory: dict[str, Any], files: dict[str, str] | None = None
) -> Path:
    """A workspace made by ``changekit init`` at ``root`` with ``inventory``, ``files``
    (relative path -> text), ``facts`` added to its changekit.yaml, all committed, and then
    ``scans`` (``(scan_id, snapshots, failed)``) saved by its store, as ``scan`` would."""
    gitrepos.ok(root.parent, "init", str(root))
    (root / "inventories" / "hosts.yaml").write_text(yaml.safe_dump(inventory))
    for name, text in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    if facts:
        with (root / "changekit.yaml").open("a") as fh:
            fh.write(facts)
    gitrepos.git(root, "add", "-A")
    gitrepos.git(root, "commit", "-qm", "inventory")
    store = open_store(Workspace(root))
    for scan_id, snaps, failed in scans:
        store.save(scan_id, snaps, failed)
    if hasattr(store, "close"):
        store.close()
    return root
