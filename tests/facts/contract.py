"""The facts-store contract fixture: ``store`` is each built-in backend in turn (git, and
PostgreSQL on the throwaway server), opened through ``open_store`` like the CLI does."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from changekit.facts.backend import open_store
from changekit.workspace import Workspace

BACKENDS = ["git", "postgres"]


def make_workspace(root: Path, facts: str = "") -> Workspace:
    repo = git.Repo.init(root)
    (root / "changekit.yaml").write_text("version: 1\n" + facts)
    (root / ".gitignore").write_text(".changekit/\n")
    repo.git.add("changekit.yaml", ".gitignore")
    repo.git.commit("-m", "workspace")
    return Workspace(root)


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path: Path):
    if request.param == "postgres":
        dsn = request.getfixturevalue("pg_dsn")
        ws = make_workspace(tmp_path, f"facts:\n  store: postgres\n  dsn: '{dsn}'\n")
    else:
        ws = make_workspace(tmp_path)
    opened = open_store(ws)
    yield opened
    if hasattr(opened, "close"):
        opened.close()
