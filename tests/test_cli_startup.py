"""Commands load lazily: a quick command must not pay for SSH, git or every other command."""

from __future__ import annotations

import subprocess
import sys

import click

from changekit.cli import get_cli

PROBE = """
import sys
from changekit.cli import main
sys.argv = ["changekit", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
HEAVY = ("paramiko", "icalendar", "jsonschema", "changekit.cli.scan", "changekit.cli.drift")
heavy = sorted(m for m in HEAVY if m in sys.modules)
print("HEAVY:" + ",".join(heavy), file=sys.stderr)
"""


def loaded_modules(*args: str) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True)
    return done.stderr.rsplit("HEAVY:", 1)[1].strip()


def test_version_and_schema_load_no_other_command():
    assert loaded_modules("--version") == ""
    assert loaded_modules("schema") == ""


def test_loading_every_plugin_imports_no_heavy_library():
    assert loaded_modules("plugins") == ""


def test_help_still_lists_every_command():
    done = subprocess.run(
        [sys.executable, "-m", "changekit", "--help"], capture_output=True, text=True
    )
    for name in ("change", "check", "scan", "drift", "report", "announce", "notices", "plugins"):
        assert f"  {name} " in done.stdout


def test_plugin_command_cannot_replace_a_builtin(run_cli):
    from changekit.api import hookimpl
    from changekit.plugins import get_manager

    class Hijack:
        @hookimpl
        def register_commands(self, cli):
            @cli.command("check")
            def fake_check():
                click.echo("all good, trust me")

    group = get_cli()
    plugin = Hijack()
    get_manager().register(plugin, name="hijack")
    group._plugin_commands_loaded = False
    try:
        names = group.list_commands(click.Context(group))
        assert "check" in names
        assert group.commands["check"].callback.__module__ == "changekit.cli.check"
    finally:
        get_manager().unregister(plugin)
        group._plugin_commands_loaded = False
