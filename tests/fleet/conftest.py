"""Helpers for scans against the real test fleet: a workspace, a private known_hosts, the CLI."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from changekit.cli import get_cli


def run(*args: str, cwd: Path) -> tuple[int, str, str]:
    """Run the CLI in-process in ``cwd``; return (exit code, stdout, stderr)."""
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(get_cli(), list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def scan_json(*args: str, cwd: Path) -> tuple[int, dict]:
    code, out, err = run("scan", *args, "--format", "json", cwd=cwd)
    assert out, err
    return code, json.loads(out)


def scan_one(
    fleet, workspace: Path, host: str, collector: str, *extra: str, inventory: Path | None = None
) -> tuple[dict, dict]:
    """Scan ``host`` of the fleet with one collector, which must succeed: (result, snapshot)."""
    code, data = scan_json(
        host, "-i", str(inventory or fleet.inventory), "--known-hosts", str(fleet.known_hosts),
        "--collectors", collector, *extra, cwd=workspace,
    )  # fmt: skip
    (result,) = data["hosts"]
    assert code == 0 and result["status"] == "ok", result
    (snap,) = data["snapshots"]
    return result, snap


@pytest.fixture
def workspace(tmp_path: Path, run_cli) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    assert run_cli("init", cwd=root).exit_code == 0
    return root


@pytest.fixture
def known_hosts(fleet, tmp_path: Path) -> Path:
    """A copy of the fleet's known_hosts: tests that accept keys must not change the shared one."""
    path = tmp_path / "known_hosts"
    shutil.copy(fleet.known_hosts, path)
    return path


def by_host(data: dict) -> tuple[dict, dict]:
    """(results by host, snapshots by host) from ``scan --format json`` output."""
    return {h["host"]: h for h in data["hosts"]}, {s["host"]: s for s in data["snapshots"]}
