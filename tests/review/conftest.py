"""The generated history, built once per test module (about sixty commits) in an isolated
git environment, and the review of it through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from changekit.cli import get_cli
from tests.conftest import runner_home
from tests.review.generated import build


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with runner_home(tmp_path_factory):
        root = tmp_path_factory.mktemp("review") / "ws"
        build(root)
    return root


def review(root: Path, *args: str, code: int = 0):
    result = CliRunner().invoke(
        get_cli(), ["-C", str(root), "review", *args], catch_exceptions=False
    )
    assert result.exit_code == code, result.output
    return result


@pytest.fixture(scope="module")
def q4(workspace: Path) -> dict:
    """The 2026Q4 review as JSON, from the real CLI."""
    return json.loads(review(workspace, "--quarter", "2026Q4", "--format", "json").stdout)


def figure(data: dict, name: str, dimension: str) -> dict:
    found = [
        f
        for s in data["sections"]
        for f in s["figures"]
        if f["figure"] == name and f["dimension"] == dimension
    ]
    assert len(found) == 1, (name, dimension, found)
    return found[0]
