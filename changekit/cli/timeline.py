"""``changekit timeline``: what happened to some hosts in a period, oldest first."""

from __future__ import annotations

import io
import sys

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from changekit.cli.factsync import fetch_facts
from changekit.cli.output_file import emit, output_option, to_file
from changekit.textsafe import json_document, visible

COLUMNS = ("time", "kind", "host", "record", "what happened")


@click.command()
@click.argument("selectors", nargs=-1, required=True, metavar="SELECTOR...")
@click.option(
    "--since",
    metavar="WHEN",
    default="7d",
    show_default=True,
    help="Start: yesterday, today, 7d, 36h, 2w, a date (its start) or an ISO time "
    "(local time without an offset).",
)
@click.option(
    "--until",
    metavar="WHEN",
    default="now",
    show_default=True,
    help="End: now, today, yesterday, a date (its end), a duration back or an ISO time.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for people, json for scripts (schema: changekit schema timeline).",
)
@output_option
@click.pass_obj
def timeline(obj, selectors, since, until, fmt, output):
    """Show what happened to hosts in a period: recorded changes and their proven steps,
    what the scans saw change (and the record that explains it, or "unrecorded"), notices,
    runs, failed scans and waivers, oldest first.

    SELECTORs: host names, globs, group:NAME, tag:NAME (as for drift). Example:
    changekit timeline web07 --since yesterday
    """
    from changekit.facts.backend import open_store
    from changekit.review.timeline import build_timeline

    ws = obj.workspace()
    store = open_store(ws)
    fetch_facts(store)
    found = build_timeline(ws, list(selectors), since, until, store=store)
    text = json_document(found.as_dict()) + "\n" if fmt == "json" else None
    if to_file(output) or text is not None:
        emit(output, text if text is not None else _plain(found), fmt)
    elif sys.stdout.isatty():
        Console(soft_wrap=False, highlight=False).print(_table(found))
    else:
        click.echo(_plain(found), nl=False)
    _footer(found)


def local(moment) -> str:
    """People read the table in their own zone (JSON is in UTC)."""
    return moment.astimezone().isoformat(sep=" ", timespec="seconds")


def _cells(event) -> tuple[str, ...]:
    return (
        local(event.time),
        event.kind,
        ", ".join(event.hosts),
        event.record or "",
        event.summary,
    )


def _table(found) -> Table:
    """Every cell is text found in records and on hosts: no markup read, controls escaped."""
    table = Table(title=_title(found), show_lines=False)
    for col in COLUMNS:
        table.add_column(col, overflow="fold")
    for event in found.events:
        table.add_row(*(Text(visible(c)) for c in _cells(event)))
    return table


def _plain(found) -> str:
    """Tab-separated lines (piped, or to a file): grep and cut still work."""
    out = io.StringIO()
    out.write("\t".join(COLUMNS) + "\n")
    for event in found.events:
        out.write("\t".join(visible(c) for c in _cells(event)) + "\n")
    return out.getvalue()


def _title(found) -> str:
    return visible(f"{', '.join(found.hosts)}: {local(found.since)} to {local(found.until)}")


def _footer(found) -> None:
    click.echo(
        f"{len(found.events)} event(s) on {len(found.hosts)} host(s) from {local(found.since)} "
        f"to {local(found.until)}",
        err=True,
    )
    for note in found.notes:
        click.echo(f"note: {visible(note)}", err=True)
