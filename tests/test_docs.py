"""Docs that must stay true: the CLI reference and the README's commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_cli_reference_is_current():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _readme_invocations() -> list[list[str]]:
    """Every `changekit ...` line inside the README's fenced shell blocks, as argv."""
    import shlex

    text = (ROOT / "README.md").read_text()
    calls, in_block, joined = [], False, ""
    for line in text.splitlines():
        if line.startswith("```"):
            in_block = line.strip() in ("```sh", "```bash")
            continue
        if not in_block:
            continue
        joined += line.rstrip("\\").split(" # ")[0] + " "
        if line.endswith("\\"):
            continue
        for part in joined.split("&&"):
            argv = shlex.split(part)
            if argv and argv[0] == "changekit":
                calls.append(argv[1:])
        joined = ""
    return calls


def test_readme_commands_and_options_exist():
    import click

    from changekit.cli import get_cli

    calls = _readme_invocations()
    assert len(calls) >= 10
    for argv in calls:
        cmd: click.Command = get_cli()
        ctx = click.Context(cmd)
        rest = list(argv)
        while isinstance(cmd, click.Group) and rest and not rest[0].startswith("-"):
            sub = cmd.get_command(ctx, rest[0])
            assert sub is not None, f"README: `changekit {' '.join(argv)}`: no command {rest[0]!r}"
            cmd, rest = sub, rest[1:]
        known = {
            opt
            for p in cmd.params
            for opt in [*getattr(p, "opts", []), *getattr(p, "secondary_opts", [])]
        }
        for word in rest:
            if word.startswith("--"):
                name = word.split("=")[0]
                assert name in known, f"README: `changekit {' '.join(argv)}`: no option {name}"
