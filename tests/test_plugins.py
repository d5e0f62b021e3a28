"""The plugin system: real third-party distributions, hook docs, blocking, misspelled hooks."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from changekit import hookspecs
from changekit.plugins import get_manager

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


def pip_install_target(src: Path, target: Path) -> None:
    """Install a fixture distribution with real pip, as a user would, into ``target``."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(src),
        ],
        check=True,
        capture_output=True,
    )


def changekit(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "changekit", *args], capture_output=True, text=True, env=env
    )


@pytest.fixture(scope="module")
def hello_site(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    pip_install_target(FIXTURES / "thirdparty_plugin", target)
    return target


def test_third_party_plugin_is_loaded_listed_and_called(hello_site):
    env = {"PYTHONPATH": str(hello_site)}
    listed = changekit("plugins", "--format", "json", env_extra=env)
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["hello"]["distribution"] == "changekit-hello 1.2.3"
    assert rows["hello"]["hooks"] == ["check_record", "register_commands"]

    said = changekit("hello", env_extra=env)
    assert said.returncode == 0, said.stderr
    assert said.stdout.strip() == "hello from changekit-hello"


def test_blocked_plugin_is_not_loaded(hello_site):
    env = {"PYTHONPATH": str(hello_site), "CHANGEKIT_BLOCK_PLUGINS": "hello"}
    listed = changekit("plugins", "--format", "json", env_extra=env)
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["hello"]["blocked"] is True
    assert changekit("hello", env_extra=env).returncode == 2  # no such command


def test_misspelled_hook_is_an_error_not_ignored(tmp_path):
    pip_install_target(FIXTURES / "misspelled_plugin", tmp_path)
    result = changekit("plugins", env_extra={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 3
    assert "register_comands" in result.stderr
    assert "Traceback" not in result.stderr


def test_throwaway_hook_implementation_is_called():
    from changekit.api import Problem, hookimpl

    class Plugin:
        @hookimpl
        def check_record(self, record, policy, workspace):
            return [Problem(code="x", message=f"saw {record['id']}")]

    pm = get_manager()
    plugin = Plugin()
    pm.register(plugin, name="throwaway")
    try:
        results = pm.hook.check_record(record={"id": "CHG-1"}, policy=None, workspace=None)
    finally:
        pm.unregister(plugin)
    assert [p.message for group in results for p in group] == ["saw CHG-1"]


HOOKS = sorted(
    name
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(fn, "changekit_spec")
)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert doc, f"hook {hook} has no docstring"
    params = [p for p in inspect.signature(getattr(hookspecs, hook)).parameters]
    for p in params:
        assert f":param {p}:" in doc, f"hook {hook}: parameter {p} is not documented"
    assert ":return:" in doc, f"hook {hook}: say what it returns"
    if getattr(hookspecs, hook).changekit_spec.get("firstresult"):
        assert "Stops at first non-None result" in doc
