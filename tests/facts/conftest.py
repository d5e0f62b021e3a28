"""``store``: each built-in facts store in turn (git, and PostgreSQL on the throwaway server),
opened through ``open_store`` like the CLI does."""

from __future__ import annotations

from pathlib import Path

import pytest

from changekit.facts.backend import open_store
from tests.facts.contract import make_workspace

BACKENDS = ["git", "postgres"]


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
