"""``changekit facts show|diff|history|scans``: stored snapshots and what changed between them."""

from __future__ import annotations

import difflib
from datetime import datetime

import click

from changekit.cli.output import format_option, print_json, print_table
from changekit.errors import NotFoundError
from changekit.facts.backend import FactsStore, open_store
from changekit.facts.covering import covering_records
from changekit.facts.diff import diff_snapshots, is_inventory
from changekit.facts.when import resolve


@click.group()
def facts() -> None:
    """Stored host snapshots: show one, compare over time, list history."""


def _store(ctx: click.Context) -> FactsStore:
    return open_store(ctx.obj.workspace())


def _snapshot(store: FactsStore, host: str, when: str | None) -> dict:
    snap = store.at(host, when) if when else store.latest(host)
    if snap is None:
        raise _why_no_snapshot(store, host)
    return snap


def _why_no_snapshot(store: FactsStore, host: str) -> NotFoundError:
    """Say what really happened: the host's scans failed, it is unknown, or never scanned."""
    failed = store.failures([host]).get(host)
    if failed:
        return NotFoundError(
            f"no snapshot of {host}: its last scan ({failed['scan_id']}) failed: {failed['reason']}",
            hint=f"fix the cause, then scan it again: changekit scan {host}",
        )
    from changekit.inventory.load import load_inventory

    inventory = load_inventory(None, store.workspace, ssh_config=False)
    if inventory.hosts and host not in inventory.hosts:
        close = difflib.get_close_matches(host, list(inventory.hosts), n=1)
        return NotFoundError(
            f"no host {host!r} in the inventory, and no snapshot of it",
            hint=f"did you mean {close[0]!r}?" if close else "list hosts: changekit inventory list",
        )
    return NotFoundError(
        f"no snapshot of {host}: it was never scanned", hint=f"scan it: changekit scan {host}"
    )


def _short(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return "" if value is None else str(value)


@facts.command("show")
@click.argument("host")
@click.option(
    "--at", "when", metavar="WHEN", help="A scan id, date, 'yesterday', ISO time (default: latest)."
)
@click.option("--collector", metavar="NAME", help="List this collector's items.")
@format_option()
@click.pass_context
def show(ctx: click.Context, host: str, when: str | None, collector: str | None, fmt: str) -> None:
    """Show what a host had, now or at WHEN."""
    snap = _snapshot(_store(ctx), host, when)
    data = snap["facts"].get(collector) if collector else snap
    if collector and data is None:
        raise NotFoundError(
            f"{host}'s snapshot has no {collector!r} facts",
            hint=f"it has: {', '.join(snap['facts'])}",
        )
    if fmt == "json":
        print_json(data)
        return
    if collector:
        if is_inventory(data):
            rows = [
                (k, v.get("version"), _short({x: y for x, y in v.items() if x != "version"}))
                for k, v in data.items()
            ]
            print_table(["item", "version", "details"], rows)
        elif isinstance(data, dict):
            print_table(["key", "value"], [(k, _short(v)) for k, v in data.items()])
        else:
            print_json(data)
        return
    click.echo(f"{snap['host']}: scan {snap['scan_id']} at {snap['collected_at']}")
    rows = []
    for name, value in sorted(snap["facts"].items()):
        size = f"{len(value)} items" if is_inventory(value) else f"{len(value)} entries"
        note = (
            f"carried over from {snap['carried_over'][name]}"
            if name in snap.get("carried_over", {})
            else ""
        )
        rows.append((name, size, note))
    for name, why in sorted(snap.get("errors", {}).items()):
        rows.append((name, "error", why))
    print_table(["collector", "data", "note"], rows)


@facts.command("diff")
@click.argument("host")
@click.option(
    "--since",
    "since",
    required=True,
    metavar="WHEN",
    help="A scan id, date, 'yesterday', ISO time.",
)
@click.option("--until", "until", metavar="WHEN", help="Default: the latest snapshot.")
@format_option()
@click.pass_context
def diff(ctx: click.Context, host: str, since: str, until: str | None, fmt: str) -> None:
    """What changed on HOST between two times, and the change records that covered it."""
    store = _store(ctx)
    old = store.at(host, since)
    new = _snapshot(store, host, until)
    changes = diff_snapshots(old, new)
    start = datetime.fromisoformat(old["collected_at"])
    end = resolve(until)[1] if until else datetime.fromisoformat(new["collected_at"])
    records = covering_records(ctx.obj.workspace(), host, start, end)
    judged = _judged(ctx.obj.workspace(), store, host, old, new) if changes else {}
    if fmt == "json":
        print_json(
            {
                "host": host,
                "from": {"scan_id": old["scan_id"], "collected_at": old["collected_at"]},
                "to": {"scan_id": new["scan_id"], "collected_at": new["collected_at"]},
                "changes": [
                    {**c.as_dict(), **judged.get(f"{c.collector}:{c.item}", {})} for c in changes
                ],
                "records": [
                    {
                        "id": r.id,
                        "title": r.title,
                        "status": r.status,
                        "window": {
                            "start": r.window_start.isoformat(),
                            "end": r.window_end.isoformat(),
                        },
                    }
                    for r in records
                ],
            }
        )
        return
    click.echo(
        f"{host}: {old['scan_id']} ({old['collected_at']}) -> {new['scan_id']} ({new['collected_at']})"
    )
    if changes:
        print_table(
            ["collector", "item", "change", "old", "new", "status"],
            [
                (
                    c.collector,
                    c.item,
                    c.change,
                    _short(c.old),
                    _short(c.new),
                    _status(judged.get(f"{c.collector}:{c.item}")),
                )
                for c in changes
            ],
        )
    else:
        click.echo("no changes")
    if records:
        click.echo("change records covering this host in that period:")
        print_table(
            ["record", "status", "window", "title"],
            [
                (
                    r.id,
                    r.status,
                    f"{r.window_start.isoformat()} .. {r.window_end.isoformat()}",
                    r.title,
                )
                for r in records
            ],
        )
    else:
        click.echo("no change record covered this host in that period")


def _judged(ws, store: FactsStore, host: str, old: dict, new: dict) -> dict[str, dict[str, str]]:
    """``collector:item`` -> how drift judges its change: ``status`` (``open`` when no record
    covers it, ``explained``, ``recorded_late``) and the ``record``. The interval that last
    changed an item is the one that decides: its later scan first saw the value shown."""
    from changekit.drift.inputs import host_changes

    out = {}
    for f in host_changes(ws, host, old, new, store):
        verdict = {"status": f.status, **({"record": f.change} if f.change else {})}
        for item in (f.item, *f.evidence.get("folded", ())):
            out[item] = verdict
    return out


def _status(judged: dict[str, str] | None) -> str:
    if judged is None:
        return ""
    if judged["status"] == "open":
        return "unrecorded"
    return f"{judged['status'].replace('_', ' ')} ({judged['record']})"


@facts.command("history")
@click.argument("host")
@format_option()
@click.pass_context
def history(ctx: click.Context, host: str, fmt: str) -> None:
    """Every stored snapshot of HOST (one per scan)."""
    entries = _store(ctx).history(host)
    if fmt == "json":
        print_json([{**e, "time": e["time"].isoformat()} for e in entries])
        return
    print_table(
        ["scan", "time", "commit"],
        [(e["scan_id"], e["time"].isoformat(), e["commit"][:12]) for e in entries],
    )


@facts.command("scans")
@format_option()
@click.pass_context
def scans(ctx: click.Context, fmt: str) -> None:
    """Every stored scan with how many hosts were ok, partial and failed."""
    found = _store(ctx).scans()
    if fmt == "json":
        print_json(found)
        return
    rows = []
    for s in found:
        states = [h["status"] for h in s["hosts"].values()]
        rows.append(
            (s["scan_id"], states.count("ok"), states.count("partial"), states.count("failed"))
        )
    print_table(["scan", "ok", "partial", "failed"], rows)


@facts.command("migrate")
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Move facts/ out of the work tree onto their own ref, history and all (once per workspace)."""
    from changekit.facts.migrate import migrate as run

    done = run(ctx.obj.workspace())
    click.echo(
        f"moved {done.scans} scan(s) ({done.commits} commit(s)) to refs/changekit/facts; "
        f"facts/ removed in commit {(done.commit or '')[:12]}",
        err=True,
    )


@facts.command("fetch")
@click.pass_context
def fetch(ctx: click.Context) -> None:
    """Bring in the facts others pushed to the workspace's remote."""
    _store(ctx).fetch()


@facts.command("push")
@click.pass_context
def push(ctx: click.Context) -> None:
    """Publish the facts stored here to the workspace's remote."""
    _store(ctx).push()
