"""Write docs/cli.md from the CLI's own --help, so the reference never drifts from the code.

.venv/bin/python scripts/gen_cli_reference.py          # rewrite docs/cli.md
.venv/bin/python scripts/gen_cli_reference.py --check  # exit 1 if it is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "cli.md"


def _walk(cmd: click.Command, path: list[str]):
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.commands):
            yield from _walk(cmd.commands[name], [*path, name])


def render() -> str:
    from changekit.cli import get_cli

    root = get_cli()
    out = [
        "# CLI reference",
        "",
        "Generated from `--help` by `scripts/gen_cli_reference.py`; a test fails when it is stale.",
        "",
    ]
    for path, cmd in _walk(root, ["changekit"]):
        ctx = click.Context(
            cmd, info_name=" ".join(path), terminal_width=100, max_content_width=100
        )
        out += [f"## `{' '.join(path)}`", "", "```", cmd.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(out)


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print("docs/cli.md is stale: run .venv/bin/python scripts/gen_cli_reference.py")
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
