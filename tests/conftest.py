"""Shared fixtures. The autouse fixture keeps every test away from the user's real
home, git config, caches and installed third-party plugins."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from changekit.plugins import get_manager

# session-scoped: `fleet` (real sshd hosts) and `pg_server` (a throwaway PostgreSQL cluster)
pytest_plugins = ["tests.fleet_plugin", "tests.pg_plugin"]


@contextlib.contextmanager
def runner_home(factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A HOME, caches and git config of their own (with a default identity), undone after:
    what every test gets from ``isolated_env``, for a fixture built once per module (which
    runs before any function-scoped one: without this it would use the real HOME, and
    fail where that has no git identity, as a new user's or a clean CI machine's has not)."""
    home = factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_CACHE_HOME", str(home / ".cache"))
        mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        # a collector run on this machine (local connector, parser tests) keeps its host cache here
        mp.setenv("CHANGEKIT_HOST_CACHE", str(home / "host-cache"))
        # git: no system or user config leaks in; a default identity for commits
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
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
            mp.delenv(var, raising=False)
        yield home


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with runner_home(tmp_path_factory) as home:
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
