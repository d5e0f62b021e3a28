"""``changekit scan``: inspect hosts over SSH and store one snapshot per host."""

from __future__ import annotations

import difflib
import sys
import threading
from collections.abc import Callable

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from changekit.cli.factsync import fetch_facts, push_facts
from changekit.cli.inventory import inventory_options, load_from_options
from changekit.cli.json_spool import JsonSpool
from changekit.cli.output import console, format_option, print_table
from changekit.errors import EXIT_FAILED, InputError, WorkspaceError
from changekit.facts.backend import FactsStore, open_store
from changekit.facts.feed import SaveFeed
from changekit.facts.shards import in_shard, parse_shard
from changekit.facts.when import scan_time
from changekit.fleet.connector import ConnectOptions
from changekit.fleet.scan import (
    DEFAULT_CONCURRENCY,
    DEFAULT_FULL_VERIFY_DAYS,
    HostResult,
    Scan,
    available_collectors,
)


def choose_collectors(names: str | None) -> list:
    known = available_collectors()
    if not names:
        return list(known.values())
    chosen = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            raise InputError(
                f"no collector named {name!r}",
                field="--collectors",
                hint=f"did you mean {close[0]!r}?"
                if close
                else f"known: {', '.join(sorted(known))}",
            )
        chosen.append(known[name])
    return chosen


def standards_context(workspace) -> dict:
    """Files and modules the workspace's standards name: every scan collects them too."""
    if workspace is None:
        return {"files": [], "modules": {}}
    from changekit.drift.standards import load_standards, scan_context

    return scan_context(load_standards(workspace.standards_dir, available_collectors()))


def _last_runs(store: FactsStore):
    """``host -> runs`` of its latest stored snapshot: what a repeat scan builds on (only
    from the workspace's store, whose history git proves; never from the host)."""

    lock = threading.Lock()

    def read(host: str) -> dict | None:
        with lock:  # called from the scan's workers; a store's readers are not thread-safe
            snapshot = store.latest(host)
        return snapshot.get("runs") if isinstance(snapshot, dict) else None

    return read


def _shown(text: str) -> str:
    """A host name safe on one table line: control characters escaped."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _detail(r: HostResult) -> str:
    if r.status == "ok":
        return ""
    return _shown(f"{r.reason}: {r.message}" if r.message else str(r.reason))


@click.command()
@click.argument("selectors", nargs=-1)
@inventory_options
@click.option("--collectors", metavar="A,B", help="Only these collectors (default: all installed).")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1024),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Hosts scanned at once.",
)
@click.option(
    "--connect-timeout",
    type=click.FloatRange(0.1),
    default=10.0,
    show_default=True,
    help="Seconds to connect and log in.",
)
@click.option(
    "--command-timeout",
    type=click.FloatRange(0.1),
    default=300.0,
    show_default=True,
    help="Seconds the collectors may run per host.",
)
@click.option(
    "--accept-new-host-keys",
    is_flag=True,
    help="Trust and record keys of hosts not yet in known_hosts (a changed key is still refused).",
)
@click.option(
    "--known-hosts",
    "known_hosts",
    type=click.Path(dir_okay=False),
    help="known_hosts file (default: ~/.ssh/known_hosts).",
)
@click.option("--sudo", is_flag=True, help="Run the collectors through `sudo -n`.")
@click.option(
    "--file",
    "files",
    multiple=True,
    metavar="PATH",
    help="Also hash this file on every host (repeatable).",
)
@click.option(
    "--full-verify",
    is_flag=True,
    help="integrity and perl: hash every packaged file and read every module now, "
    "not only the ones that changed.",
)
@click.option(
    "--full-verify-days",
    type=click.IntRange(1),
    default=DEFAULT_FULL_VERIFY_DAYS,
    show_default=True,
    metavar="DAYS",
    help="integrity and perl: a full verify (read) when the last one is this many days old.",
)
@click.option(
    "--shard",
    metavar="K/N",
    help="Scan only shard K of N (hosts split by a stable hash of their name; docs/scan.md).",
)
@click.option(
    "--scan-id",
    "scan_id",
    metavar="ID",
    help="Store under this scan id (shards of one scan share it), e.g. 20261206T020000Z-nightly.",
)
@format_option("table", "json")
@click.pass_context
def scan(
    ctx: click.Context,
    selectors,
    inventory,
    ssh_config,
    collectors,
    concurrency,
    connect_timeout,
    command_timeout,
    accept_new_host_keys,
    known_hosts,
    sudo,
    files,
    full_verify,
    full_verify_days,
    shard,
    scan_id,
    fmt,
) -> None:
    """Scan hosts over SSH and store a snapshot of each.

    SELECTOR: host names, globs (web*), group:NAME or tag:NAME; none means every host.
    Exit status 0 when every host was scanned completely, 1 when any failed or was partial.
    """
    workspace = ctx.obj.workspace_or_none()
    if workspace is None and fmt != "json":
        raise WorkspaceError(
            "not inside a changekit workspace: the snapshots would have nowhere to go",
            hint="run inside a workspace (changekit init), or add --format json to print them",
        )
    hosts = load_from_options(ctx, inventory, ssh_config).select(list(selectors))
    store = open_store(workspace) if workspace is not None else None
    part = parse_shard(shard) if shard else None
    sharded = getattr(store, "concurrent_writers", False)  # a ShardedFactsStore
    if part and part[1] > 1 and store is not None and not sharded:
        raise InputError(
            "--shard needs a facts store that several runners can write at once",
            field="--shard",
            hint="set facts.store: postgres in changekit.yaml (docs/facts-postgres.md)",
        )
    if part:
        hosts = in_shard(hosts, part, key=lambda h: h.name)
    if scan_id:
        try:
            scan_time(scan_id)
        except InputError as exc:
            raise InputError(exc.message, field="--scan-id", hint=exc.hint) from None
    chosen = choose_collectors(collectors)
    options = ConnectOptions(
        connect_timeout=connect_timeout,
        command_timeout=command_timeout,
        known_hosts_file=known_hosts,
        accept_new_host_keys=accept_new_host_keys,
        sudo=sudo,
    )
    extra = standards_context(workspace)
    extra["files"] = list(dict.fromkeys([*extra["files"], *files]))
    extra["full_verify"] = full_verify
    extra["full_verify_days"] = full_verify_days
    job = Scan(
        hosts,
        chosen,
        options,
        concurrency=concurrency,
        extra_context=extra,
        workspace=workspace,
        # its own store: read by the scan's workers while the other one saves
        previous_runs=_last_runs(open_store(workspace)) if store is not None else None,
        **({"scan_id": scan_id} if scan_id else {}),
    )
    stored = None
    spool = JsonSpool() if fmt == "json" else None

    def keep(result: HostResult) -> None:
        if spool is not None and result.snapshot is not None:
            spool.put(result.host, result.snapshot)  # on disk: memory stays at --concurrency

    if store is None:
        results = _run_with_progress(job, len(hosts), keep)
    else:
        fetch_facts(store)  # our scan goes on top of what others pushed before it
        with SaveFeed(store, job.scan_id, shard=part if part and sharded else None) as feed:

            def hand_over(result: HostResult) -> None:
                if result.snapshot is not None:
                    feed.put(result.snapshot)
                else:
                    feed.failed[result.host] = {
                        "reason": result.reason or "",
                        "message": result.message or "",
                    }
                keep(result)

            results = _run_with_progress(job, len(hosts), hand_over)
            feed.finish()
        push_facts(store)
        stored = job.scan_id
    if spool is not None:
        with spool:
            spool.emit(
                {
                    "scan_id": job.scan_id,
                    "stored": stored is not None,
                    "hosts": [
                        {
                            "host": r.host,
                            "status": r.status,
                            "reason": r.reason,
                            "message": r.message,
                            "seconds": round(r.duration, 3),
                        }
                        for r in results
                    ],
                },
                [r.host for r in results],
            )
    else:
        print_table(
            ["host", "status", "seconds", "detail"],
            [(_shown(r.host), r.status, f"{r.duration:.1f}", _detail(r)) for r in results],
            title=f"scan {job.scan_id}",
        )
        counts = {s: sum(1 for r in results if r.status == s) for s in ("ok", "partial", "failed")}
        click.echo(
            f"{counts['ok']} ok, {counts['partial']} partial, {counts['failed']} failed"
            + (f"; stored as scan {stored}" if stored else ""),
            err=True,
        )
    if any(r.status != "ok" for r in results):
        sys.exit(EXIT_FAILED)


def _run_with_progress(
    job: Scan,
    total: int,
    on_result: Callable[[HostResult], None],
) -> list[HostResult]:
    """Scan, each result handed to ``on_result``; the results returned carry no snapshots."""
    err = console(stderr=True)
    if not err.is_terminal:
        return job.run(on_result=on_result, keep_snapshots=False)
    columns = (
        TextColumn("scanning"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("scan", total=total, failed=0)
        failed = 0

        def done(result: HostResult) -> None:
            nonlocal failed
            on_result(result)
            failed += result.status == "failed"
            progress.update(task, advance=1, failed=failed)
            if result.status == "failed":
                progress.console.print(
                    f"[red]{escape(_shown(result.host))}[/]: {escape(_detail(result))}",
                    highlight=False,
                )

        return job.run(on_result=done, keep_snapshots=False)
