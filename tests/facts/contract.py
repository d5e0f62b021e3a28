"""Workspaces for the facts-store contract tests (the ``store`` fixture is in conftest.py)."""

from __future__ import annotations

from pathlib import Path

import git

from changekit.workspace import Workspace


def make_workspace(root: Path, facts: str = "") -> Workspace:
    repo = git.Repo.init(root)
    (root / "changekit.yaml").write_text("version: 1\n" + facts)
    (root / ".gitignore").write_text(".changekit/\n")
    repo.git.add("changekit.yaml", ".gitignore")
    repo.git.commit("-m", "workspace")
    return Workspace(root)
