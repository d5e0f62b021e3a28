"""Output helpers shared by commands: a --format option, tables on a terminal, JSON for scripts."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from changekit.textsafe import json_document, visible


def format_option(*choices: str, default: str = "table"):
    """``--format`` with the given choices (``table`` and ``json`` when none are given)."""
    choices = choices or ("table", "json")
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Output format: a table for people, json for scripts.",
    )


def print_json(data: Any) -> None:
    click.echo(json_document(data))  # exact data, no raw control characters on a terminal


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, soft_wrap=False, highlight=False)


def print_table(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str | None = None
) -> None:
    """A table on a terminal; tab-separated lines when piped, so grep and cut still work.

    Cells often hold what hosts report: control characters are shown as escapes (a tab or
    newline in a name cannot add a column or a row, ``\x1b`` cannot drive the terminal), and
    rich reads no markup in them."""
    rows = list(rows)
    if not sys.stdout.isatty():
        lines = ["\t".join(columns)]
        lines += ["\t".join(visible(c) for c in row) for row in rows]
        click.echo("\n".join(lines))  # one write: 10,000 echo calls cost a listing 0.1 s
        return
    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*(Text(visible(c)) for c in row))
    console().print(table)
