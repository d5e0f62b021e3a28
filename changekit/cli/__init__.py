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
from changekit.errors import EXIT_BROKEN_PIPE, EXIT_INTERNAL, ChangekitError
from changekit.plugins import get_manager
from changekit.textsafe import visible
from changekit.workspace import Workspace, find_workspace


def _shown(message: str) -> str:
    """An error for the terminal: it may quote hosts, records and git identities, so control
    characters are shown as escapes (its own line breaks stay)."""
    return visible(message, keep="\n")


# Each built-in command: its name and the "module:attribute" that defines it. Modules are
# imported only when their command runs (or for --help), so every command starts fast.
COMMANDS: dict[str, str] = {
    "plugins": "changekit.cli.plugins_cmd:plugins",
    "schema": "changekit.cli.schema_cmd:schema",
    "drift": "changekit.cli.drift:drift",
    "report": "changekit.cli.report:report",
    "review": "changekit.cli.review:review",
    "timeline": "changekit.cli.timeline:timeline",
    "scan": "changekit.cli.scan:scan",
    "facts": "changekit.cli.facts:facts",
    "inventory": "changekit.cli.inventory:inventory",
    "check": "changekit.cli.check:check",
    "codeowners": "changekit.cli.codeowners:codeowners",
    "ci": "changekit.cli.ci:ci",
    "init": "changekit.cli.init:init",
    "change": "changekit.cli.change:change",
    "merge-record": "changekit.cli.merge_record:merge_record",
    "announce": "changekit.cli.notices:announce",
    "notices": "changekit.cli.notices:notices",
}


def debug_log_path() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "changekit" / "debug.log"


def recover_interrupted(ws: Workspace) -> None:
    """Undo (or finish) what a killed or crashed run left half done, before any command reads:
    a journal left behind must never block the next command. One line says what was done."""
    from changekit.workspace import STATE_DIR

    if not (ws.root / STATE_DIR / "journal.json").exists():
        return  # the usual case: no imports, no git
    from changekit import gitops
    from changekit.records.transaction import recover_now

    note = recover_now(ws, gitops.open_repo(ws.root))
    if note:
        click.echo(f"note: {visible(note)}", err=True)


class State:
    """What every command gets as ``ctx.obj``."""

    def __init__(self, directory: str | None) -> None:
        self.directory = directory
        self._workspace: Workspace | None = None

    def workspace(self) -> Workspace:
        """The workspace found from ``-C DIR`` or the current directory upwards."""
        if self._workspace is None:
            self._workspace = find_workspace(self.directory)
            recover_interrupted(self._workspace)
        return self._workspace

    def workspace_or_none(self) -> Workspace | None:
        try:
            return self.workspace()
        except ChangekitError:
            return None


class ChangekitGroup(click.Group):
    """Loads commands lazily, turns expected errors into one readable message and unexpected
    ones into one line."""

    _plugin_commands_loaded = False

    def _builtin(self, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            module_name, attr = COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module_name), attr), name)
        return self.commands.get(name)

    def _load_plugin_commands(self) -> None:
        if self._plugin_commands_loaded:
            return
        self._plugin_commands_loaded = True
        for name in COMMANDS:
            self._builtin(name)
        builtins = {name: self.commands[name] for name in COMMANDS}
        get_manager().hook.register_commands(cli=self)
        for name, command in builtins.items():
            if self.commands.get(name) is not command:  # built-ins are not replaceable
                click.echo(
                    f"warning: a plugin's command {name!r} clashes with the built-in one; ignored",
                    err=True,
                )
                self.commands[name] = command

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self._builtin(cmd_name)
        if command is None:
            self._load_plugin_commands()
            command = self.commands.get(cmd_name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return sorted(self.commands)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ChangekitError as exc:
            click.echo(f"error: {_shown(exc.format())}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            if not _stdout_gone():
                raise  # another pipe (a child process's): a real error
            # the reader left (`| head`): stop quietly, as Unix tools do on SIGPIPE, and keep
            # the interpreter's last flush of stdout from failing again at exit
            _silence_stdout()
            ctx.exit(EXIT_BROKEN_PIPE)
        except Exception as exc:  # a bug: keep the terminal clean, keep the evidence
            log = debug_log_path()
            try:
                log.parent.mkdir(parents=True, exist_ok=True)
                with log.open("a", encoding="utf-8") as fh:
                    fh.write(
                        f"--- {datetime.now(UTC).isoformat()} changekit {__version__} {sys.argv!r}\n"
                    )
                    fh.write(traceback.format_exc())
                where = f"; traceback in {log}"
            except OSError:
                where = ""
            click.echo(f"internal error: {type(exc).__name__}: {visible(exc)}{where}", err=True)
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


def get_cli() -> click.Group:
    """The root group; built-in commands load on first use, plugin commands when needed."""
    return cli


def _stdout_gone() -> bool:
    """Whether standard output is a pipe nobody reads any more."""
    import select

    try:
        fd = sys.__stdout__.fileno()  # type: ignore[union-attr]
        poll = select.poll()
        poll.register(fd, 0)  # POLLERR is always reported: a pipe whose reader closed
        return any(ev & select.POLLERR for _fd, ev in poll.poll(0))
    except (AttributeError, OSError, ValueError):
        return False


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())  # type: ignore[union-attr]
        os.close(devnull)
    except (AttributeError, OSError, ValueError):
        pass


def main() -> None:
    try:
        cli.main(prog_name="changekit")
    except ChangekitError as exc:  # raised outside a command, e.g. a broken plugin during --help
        click.echo(f"error: {_shown(exc.format())}", err=True)
        sys.exit(exc.exit_code)
