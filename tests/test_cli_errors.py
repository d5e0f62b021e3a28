"""The CLI turns expected errors into one message with an exit code, and bugs into one line."""

from __future__ import annotations

import json
import os

import click

from changekit.cli import get_cli
from changekit.errors import EXIT_INTERNAL, EXIT_WORKSPACE


def test_expected_error_is_one_readable_message(run_cli, tmp_path):
    from changekit.cli import State

    @click.command("needs-ws")
    @click.pass_obj
    def needs_ws(state: State):
        state.workspace()

    get_cli().add_command(needs_ws)
    try:
        result = run_cli("-C", str(tmp_path), "needs-ws")
    finally:
        get_cli().commands.pop("needs-ws")
    assert result.exit_code == EXIT_WORKSPACE
    assert result.stderr.startswith("error: not inside a changekit workspace")
    assert "hint: run `changekit init`" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_a_bug_prints_one_line_and_logs_the_traceback(run_cli, isolated_env):
    @click.command("explode")
    def explode():
        raise RuntimeError("boom")

    get_cli().add_command(explode)
    try:
        result = run_cli("explode")
    finally:
        get_cli().commands.pop("explode")
    assert result.exit_code == EXIT_INTERNAL
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("internal error: RuntimeError: boom; traceback in ")
    log = isolated_env / ".cache" / "changekit" / "debug.log"
    assert "Traceback" in log.read_text() and "boom" in log.read_text()


def test_schema_command_prints_shipped_schemas(run_cli):
    listed = run_cli("schema")
    assert "change-record" in listed.stdout.split()
    shown = run_cli("schema", "change-record")
    assert json.loads(shown.stdout)["title"] == "changekit change record"
    missing = run_cli("schema", "nope")
    assert missing.exit_code == 3 and "available:" in missing.stderr


def _closed_pipe_run(args: list[str], cwd, env=None) -> tuple[int, str]:
    """Run changekit with stdout a pipe whose reader is already gone (``| head`` done)."""
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "changekit", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=env,
            timeout=300,
        )
    finally:
        os.close(write)
    return proc.returncode, proc.stderr


def test_output_into_a_closed_pipe_ends_quietly(tmp_path):
    """``changekit schema change-record | head -1``: the reader leaving is no error of ours; the
    command stops as Unix tools do (141, as if by SIGPIPE), with nothing on stderr."""
    env = {**os.environ, "HOME": str(tmp_path)}
    code, err = _closed_pipe_run(["schema", "change-record"], tmp_path, env)
    assert (code, err) == (141, "")
