"""Shared fixtures. The autouse fixture keeps every test away from the user's real
home, git config, caches and installed third-party plugins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from changekit.plugins import get_manager

# session-scoped: `fleet` (real sshd hosts) and `pg_server` (a throwaway PostgreSQL cluster)
pytest_plugins = ["tests.fleet_plugin", "tests.pg_plugin"]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    # a collector run on this machine (local connector, parser tests) keeps its host cache here
    monkeypatch.setenv("CHANGEKIT_HOST_CACHE", str(home / "host-cache"))
    # git: no system or user config leaks in; a default identity for commits
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test Runner\n\temail = runner@example.org\n"
        "[init]\n\tdefaultBranch = main\n"
    )
    for var in (
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "SSH_AUTH_SOCK",
    ):
        monkeypatch.delenv(var, raising=False)
    get_manager.cache_clear()
    yield home
    get_manager.cache_clear()


@pytest.fixture
def run_cli():
    """Run the changekit CLI in-process; returns click's Result (exit_code, stdout, stderr)."""
    from click.testing import CliRunner

    from changekit.cli import get_cli

    def run(*args: str, input: str | None = None, cwd: str | os.PathLike | None = None):
        runner = CliRunner()
        old = os.getcwd()
        if cwd is not None:
            os.chdir(cwd)
        try:
            return runner.invoke(get_cli(), list(args), input=input, catch_exceptions=False)
        finally:
            os.chdir(old)

    return run
