"""The ``changekit`` command. One module per command group; the core never imports this package."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

import click

from changekit import __version__
from changekit.errors import EXIT_INTERNAL, ChangekitError
from changekit.plugins import get_manager
from changekit.workspace import Workspace, find_workspace

# "module:attribute" of each built-in command or group, in help order.
COMMANDS: tuple[str, ...] = (
    "changekit.cli.plugins_cmd:plugins",
    "changekit.cli.schema_cmd:schema",
    "changekit.cli.drift:drift",
    "changekit.cli.report:report",
    "changekit.cli.scan:scan",
    "changekit.cli.facts:facts",
    "changekit.cli.check:check",
    "changekit.cli.codeowners:codeowners",
    "changekit.cli.ci:ci",
    "changekit.cli.inventory:inventory",
    "changekit.cli.init:init",
    "changekit.cli.change:change",
    "changekit.cli.notices:announce",
    "changekit.cli.notices:notices",
)


def debug_log_path() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "changekit" / "debug.log"


class State:
    """What every command gets as ``ctx.obj``."""

    def __init__(self, directory: str | None) -> None:
        self.directory = directory
        self._workspace: Workspace | None = None

    def workspace(self) -> Workspace:
        """The workspace found from ``-C DIR`` or the current directory upwards."""
        if self._workspace is None:
            self._workspace = find_workspace(self.directory)
        return self._workspace

    def workspace_or_none(self) -> Workspace | None:
        try:
            return self.workspace()
        except ChangekitError:
            return None


class ChangekitGroup(click.Group):
    """Turns expected errors into one readable message and unexpected ones into one line."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ChangekitError as exc:
            click.echo(f"error: {exc.format()}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # a bug: keep the terminal clean, keep the evidence
            log = debug_log_path()
            try:
                log.parent.mkdir(parents=True, exist_ok=True)
                with log.open("a", encoding="utf-8") as fh:
                    fh.write(f"--- {datetime.now(UTC).isoformat()} changekit {__version__} {sys.argv!r}\n")
                    fh.write(traceback.format_exc())
                where = f"; traceback in {log}"
            except OSError:
                where = ""
            click.echo(f"internal error: {type(exc).__name__}: {exc}{where}", err=True)
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=ChangekitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="changekit")
@click.option(
    "-C",
    "directory",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Run as if started in DIR (the workspace is found from there upwards).",
)
@click.pass_context
def cli(ctx: click.Context, directory: str | None) -> None:
    """Documented, announced change management and standardised servers, from git."""
    ctx.obj = State(directory)


def _load_commands() -> None:
    for spec in COMMANDS:
        module_name, attr = spec.split(":")
        cli.add_command(getattr(importlib.import_module(module_name), attr))
    get_manager().hook.register_commands(cli=cli)


_loaded = False


def get_cli() -> click.Group:
    """The root group with every built-in and plugin command added (done once)."""
    global _loaded
    if not _loaded:
        _loaded = True
        _load_commands()
    return cli


def main() -> None:
    try:
        group = get_cli()
    except ChangekitError as exc:  # e.g. a broken plugin: still one readable message
        click.echo(f"error: {exc.format()}", err=True)
        sys.exit(exc.exit_code)
    group(prog_name="changekit")
