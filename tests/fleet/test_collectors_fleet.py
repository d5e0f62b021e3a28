"""Collectors on real hosts: a third-party collector (the one docs/collectors.md shows), a
collector printing garbage, and hostile names that must not run anything on the host."""

from __future__ import annotations

import json
import re
import types
from pathlib import Path

import pytest

from changekit.api import Collector, hookimpl
from changekit.facts.backend import open_store
from changekit.plugins import get_manager
from changekit.workspace import Workspace
from tests.fleet.conftest import by_host, scan_json

pytestmark = pytest.mark.fleet

DOCS = Path(__file__).resolve().parents[2] / "docs" / "collectors.md"


def doc_example() -> types.ModuleType:
    """The plugin module exactly as docs/collectors.md prints it."""
    code = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S).group(1)
    module = types.ModuleType("changekit_users")
    exec(compile(code, str(DOCS), "exec"), module.__dict__)  # noqa: S102 - our own documentation
    return module


@pytest.fixture
def register():
    """Register throwaway plugins on the process-wide manager; unregister afterwards."""
    pm = get_manager()
    added = []

    def add(plugin, name):
        pm.register(plugin, name)
        added.append(plugin)

    yield add
    for plugin in added:
        pm.unregister(plugin)


def test_the_documented_third_party_collector_runs_on_a_real_host(
    fleet, workspace, known_hosts, register, run_cli
):
    register(doc_example(), "users")
    assert "users" in run_cli("plugins", cwd=workspace).output
    code, data = scan_json("web01", "-i", str(fleet.inventory), "--known-hosts", str(known_hosts),
                           "--collectors", "os,users", cwd=workspace)  # fmt: skip
    assert code == 0, data
    users = data["snapshots"][0]["facts"]["users"]
    assert users["root"] == {"uid": 0, "shell": "/bin/bash"} and users["ops"]["uid"] > 0
    shown = run_cli("facts", "show", "web01", "--collector", "users", cwd=workspace).output
    assert "root\t" in shown


class Junk(Collector):
    name = "junk"

    def script(self, context):
        return "printf 'ELF\\001\\002 garbage %s\\n' 42; head -c 200 /dev/urandom | od -An | head -n 2\n"

    def parse(self, output, context):
        raise ValueError(f"cannot read {output.splitlines()[0]!r}")


class Crashing(Collector):
    name = "crashing"

    def script(self, context):
        return "echo started; exit 7\n"

    def parse(self, output, context):
        return {}


def test_garbage_and_failing_collectors_are_errors_while_the_rest_is_kept(
    fleet, workspace, known_hosts, register
):
    plugin = types.SimpleNamespace()
    plugin.register_collectors = hookimpl(lambda register: [register(Junk()), register(Crashing())])
    register(plugin, "junk-plugin")
    code, data = scan_json("web01", "web02", "-i", str(fleet.inventory), "--known-hosts", str(known_hosts),
                           "--collectors", "os,junk,crashing,dpkg", cwd=workspace)  # fmt: skip
    results, snaps = by_host(data)
    assert code == 1
    assert (
        results["web01"]["status"] == "partial" and results["web01"]["reason"] == "collector errors"
    )
    errors = snaps["web01"]["errors"]
    assert errors["junk"].startswith("garbage output: cannot read 'ELF")
    assert errors["crashing"] == "exited with status 7"
    assert snaps["web01"]["facts"]["os"]["hostname"] == "web01" and snaps["web01"]["facts"]["dpkg"]
    stored = open_store(Workspace(workspace)).latest("web01")  # partial snapshots are stored
    assert stored is not None and stored["errors"] == errors


HOSTILE = [
    "/tmp/ck; touch ck_inj_semicolon",
    "/tmp/$(touch ck_inj_dollar)",
    "/tmp/`touch ck_inj_backtick`",
    "/tmp/ck\ntouch ck_inj_newline\n",
    "/tmp/ck'\"; touch ck_inj_quote",
    "/tmp/ünïcødé ✓ ; touch ck_inj_unicode",
]
MARKERS = ["ck_inj_name", "ck_inj_semicolon", "ck_inj_dollar", "ck_inj_backtick", "ck_inj_newline",
           "ck_inj_quote", "ck_inj_unicode", "ck_inj_mod"]  # fmt: skip


def test_hostile_names_reach_the_host_only_quoted(fleet, workspace, known_hosts, tmp_path):
    web01 = fleet.hosts["web01"]
    root = fleet.root("web01")
    # one hostile name exists for real on the host: it must be hashed, not executed
    real = HOSTILE[0]
    (root / real.lstrip("/")).write_text("hostile but real\n")
    name = "evil; touch ck_inj_name $(touch ck_inj_name) `touch ck_inj_name`\nü"
    inv = tmp_path / "hostile.yaml"  # JSON is YAML, and quotes every hostile string for us
    inv.write_text(json.dumps({"version": 1, "hosts": {name: {
        "address": web01.address, "user": "root", "key_file": str(fleet.key_file),
        "vars": {"changekit_files": HOSTILE,
                 "changekit_modules": {"perl": ["JSON::PP", "x; touch ck_inj_mod", "$(touch ck_inj_mod)"]}},
    }}}))  # fmt: skip
    try:
        code, data = scan_json("-i", str(inv), "--known-hosts", str(known_hosts), "--collectors", "os,files,perl",
                               "--file", "/tmp/--help; touch ck_inj_semicolon", cwd=workspace)  # fmt: skip
        found = {
            m: [str(d) for d in (root / "root", root / "tmp", root) if (d / m).exists()]
            for m in MARKERS
        }
    finally:
        (root / real.lstrip("/")).unlink()
    assert not any(found.values()), f"commands were injected on the host: {found}"
    assert code == 0, data
    snap = data["snapshots"][0]
    assert snap["host"] == name
    files = snap["facts"]["files"]
    assert files[real]["size"] == len("hostile but real\n") and len(files[real]["sha256"]) == 64
    assert all(files[p] == {"missing": True} for p in HOSTILE[1:])
    assert snap["facts"]["perl"]["JSON::PP"]["version"]
