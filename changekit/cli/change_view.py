"""``changekit change list``; how command results are printed (``show`` is in change_show)."""

from __future__ import annotations

import fnmatch
import json
import sys
from datetime import datetime
from typing import Any

import click

from changekit.cli.output import print_json, print_table
from changekit.errors import EXIT_INPUT, ChangekitError
from changekit.inventory.selectors import select_hosts
from changekit.records import lifecycle, steps, store, times
from changekit.records.model import STATUSES, TYPES, ChangeRecord


def report(result: Any, action: str, fmt: str) -> None:
    rec = result.record
    if fmt == "json":
        print_json(
            {
                "id": rec.id,
                "status": rec.status,
                "previous": result.previous or None,
                "commit": result.commit,
                "branch": result.branch,
                "pushed": result.pushed,
                "notes": result.notes,
                "path": f"change_records/{rec.path.name}" if rec.path else None,
            }
        )
        return
    if action == "new":
        click.echo(
            f"Filed {rec.id} ({rec.status}): change_records/{rec.id}.yaml, commit {result.commit[:8]}"
        )
    elif result.previous == rec.status:
        click.echo(f"{rec.id}: {action} recorded, still {rec.status} (commit {result.commit[:8]})")
    else:
        click.echo(f"{rec.id}: {result.previous} -> {rec.status} (commit {result.commit[:8]})")
    for note in result.notes:
        click.echo(f"  note: {note}")
    if action == "approve" and rec.status == "submitted":
        click.echo("  more approvals are needed before it counts as approved")
    if result.branch:
        click.echo(
            f"  on branch {result.branch}"
            + (", pushed to origin: open a pull request" if result.pushed else "")
        )
    steps = lifecycle.next_steps(rec)
    if steps:
        click.echo(f"  next: {', '.join(steps)}")


def window_text(summary: dict[str, Any]) -> str:
    start, end, tz = summary.get("window_start"), summary.get("window_end"), summary.get("timezone")
    if not start or not end:
        return ""
    try:
        zone = times.zone(tz) if tz else None
        s, e = times.parse_stored(start), times.parse_stored(end)
    except Exception:  # noqa: BLE001 - show what is stored rather than fail the listing
        return f"{start} – {end}"
    if zone:
        s, e = s.astimezone(zone), e.astimezone(zone)
    end_fmt = "%H:%M" if s.date() == e.date() else "%Y-%m-%d %H:%M"
    return f"{s:%Y-%m-%d %H:%M}–{e.strftime(end_fmt)} {tz or s.strftime('%z')}"


def host_matches(
    record: ChangeRecord,
    wanted: str,
    inventory: Any | None = None,
    warnings: dict[str, str] | None = None,
) -> bool:
    """A record touches ``wanted`` when a selector equals it or one glob covers the other;
    with an inventory, when the hosts they select overlap (so ``web1`` finds ``group:web``).

    A record selector the inventory cannot resolve (``group:nope``) is compared as written
    and noted in ``warnings`` (by record file): one bad record must not break the listing."""
    for sel in record.hosts:
        if sel == wanted or fnmatch.fnmatchcase(wanted, sel) or fnmatch.fnmatchcase(sel, wanted):
            return True
    if inventory is None:
        return False
    try:
        names = {h.name for h in inventory.match(wanted)}
    except ChangekitError as exc:
        exc.message = f"--host {wanted}: {exc.message}"
        raise
    for i, sel in enumerate(record.hosts):
        try:
            if any(h.name in names for h in select_hosts(inventory, [sel])):
                return True
        except ChangekitError as exc:
            if warnings is not None:
                where = f"change_records/{record.path.name}" if record.path else record.id
                warnings[where] = f"{where}: hosts[{i}] {sel!r}: {exc.message}"
    return False


def recover_before_reading(ws) -> None:
    """Undo what a killed changekit run left half done before reading records."""
    from changekit import gitops
    from changekit.records.transaction import recover_now

    if (ws.root / ".changekit" / "journal.json").exists():
        note = recover_now(ws, gitops.open_repo(ws.root))
        if note:
            click.echo(f"note: {note}", err=True)


def _bound(text: str | None, tz: str | None, *, field: str, end: bool = False) -> datetime | None:
    return times.parse_day_or_moment(text, tz, field=field, end=end) if text else None


@click.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Only these statuses (repeatable).",
)
@click.option(
    "--type",
    "types",
    multiple=True,
    type=click.Choice(TYPES),
    help="Only these types (repeatable).",
)
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="SELECTOR",
    help="Only records touching this host, glob or group:NAME.",
)
@click.option(
    "--from",
    "from_",
    metavar="WHEN",
    help="Only windows ending at or after WHEN (date or date-time).",
)
@click.option("--to", metavar="WHEN", help="Only windows starting at or before WHEN.")
@click.option("--tz", help="Time zone for --from/--to without an offset (default UTC).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
def list_(state, statuses, types, hosts, from_, to, tz, fmt) -> None:
    """List change records, newest last; broken records are reported on stderr (exit 3)."""
    ws = state.workspace()
    start = _bound(from_, tz, field="--from")
    end = _bound(to, tz, field="--to", end=True)
    recover_before_reading(ws)
    loaded = store.load_all(ws)
    if start and end and start > end:
        raise click.UsageError(f"--from {from_} is after --to {to}: no window can match")
    inventory = steps.load_inventory(ws) if hosts else None
    unresolved: dict[str, str] = {}
    chosen = [
        r
        for r in loaded.records
        if (not statuses or r.status in statuses)
        and (not types or r.type in types)
        and (not hosts or any(host_matches(r, h, inventory, unresolved) for h in hosts))
        and (start is None and end is None or r.overlaps(start, end))
    ]
    summaries = [r.summary() for r in chosen]
    if fmt == "json":
        # one record per line: readable, and the C encoder (indent= would use the slow one)
        body = ",\n".join("  " + json.dumps(s, ensure_ascii=False) for s in summaries)
        click.echo(f"[\n{body}\n]" if summaries else "[]")
    else:
        print_table(
            ("ID", "STATUS", "TYPE", "RISK", "WINDOW", "HOSTS", "TITLE"),
            (
                (
                    s["id"],
                    s["status"],
                    s["type"],
                    s["risk"],
                    window_text(s),
                    ",".join(s["hosts"]),
                    s["title"],
                )
                for s in summaries
            ),
        )
    for text in unresolved.values():
        click.echo(f"warning: {text} (compared by name only; fix the record's hosts)", err=True)
    for err in loaded.errors:
        click.echo(f"error: {err.format()}", err=True)
    if loaded.errors:
        sys.exit(EXIT_INPUT)


COMMANDS = (list_,)
