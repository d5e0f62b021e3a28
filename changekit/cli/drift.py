"""``changekit drift``: deviations from the standards, from peers and over time; ``--propose``
files the draft change record that would fix them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import click

from changekit.cli.factsync import fetch_facts
from changekit.cli.output import print_json, print_table
from changekit.drift import remediation
from changekit.drift.findings import RECORDED_LATE, SEVERITIES, severity_rank
from changekit.drift.inputs import analyze_workspace
from changekit.drift.peers import PeerThresholds
from changekit.errors import EXIT_FAILED, NotFoundError
from changekit.facts.backend import open_store
from changekit.textsafe import visible

FINDING_ID = re.compile(r"^F-[0-9a-f]{12}$")


def thresholds_options(func):
    for opt in reversed(
        (
            click.option(
                "--kind",
                "kinds",
                multiple=True,
                type=click.Choice(["standard", "peers", "time"]),
                help="Only these analyses (repeatable; default: all three).",
            ),
            click.option(
                "--majority",
                type=click.FloatRange(0.5, 1.0),
                default=0.75,
                show_default=True,
                help="Share of a group that makes an item or version the norm.",
            ),
            click.option(
                "--min-group",
                type=click.IntRange(min=2),
                default=2,
                show_default=True,
                help="Smallest group compared against its peers (a pair that disagrees is "
                "one split finding).",
            ),
            click.option(
                "--unique-max",
                type=click.IntRange(min=0),
                default=1,
                show_default=True,
                help="Report items only this many hosts of a group have.",
            ),
            click.option(
                "--history",
                type=click.IntRange(min=1),
                default=12,
                show_default=True,
                help="How many past scans to read (for 'since' and the trend).",
            ),
            click.option(
                "--no-baseline",
                is_flag=True,
                help="Leave out the built-in baseline standard (modified package binaries, "
                "system-wide preloads); a standard named changekit-baseline replaces it.",
            ),
            click.option(
                "--since",
                "baseline",
                metavar="WHEN",
                help="Drift over time against this scan or time (scan id, 2026-11-01, "
                "yesterday, 7d) instead of the previous scan.",
            ),
        )
    ):
        func = opt(func)
    return func


def run_analysis(
    ctx_obj,
    selectors,
    *,
    kinds,
    majority,
    min_group,
    unique_max,
    history,
    baseline,
    no_baseline=False,
):
    """Drift over the workspace, from the options ``thresholds_options`` adds (by name)."""
    ws = ctx_obj.workspace()
    store = open_store(ws)
    fetch_facts(store)
    thresholds = PeerThresholds(
        majority=majority, min_group_size=min_group, unique_max_hosts=unique_max
    )
    result = analyze_workspace(
        ws,
        list(selectors),
        kinds=tuple(kinds) or ("standard", "peers", "time"),
        thresholds=thresholds,
        now=datetime.now(UTC),
        history=history,
        since=baseline,
        builtin_baseline=not no_baseline,
        store=store,
    )
    return ws, result


@click.command()
@click.argument("args", nargs=-1, metavar="[SELECTOR|FINDING-ID]...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for people, json for scripts.",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    help="Exit 1 when an open or recorded-late finding has this severity or higher.",
)
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Also list waived, explained and resolved findings (open and recorded-late ones always).",
)
@click.option(
    "--propose",
    is_flag=True,
    help="File a draft change record that fixes the given findings (default: every open one).",
)
@thresholds_options
@click.pass_obj
def drift(obj, args, fmt, fail_on, show_all, propose, **analysis):
    """Show how hosts deviate from their standards, their peers and their own past.

    SELECTORs (names, globs, group:NAME, tag:NAME) choose hosts; FINDING-IDs (F-...) choose
    findings for --propose.
    """
    ids = [a for a in args if FINDING_ID.match(a)]
    selectors = [a for a in args if not FINDING_ID.match(a)]
    ws, result = run_analysis(obj, selectors, **analysis)
    if propose:
        _propose(ws, result, ids)
        return
    shown = [f for f in result.findings if show_all or f.flagged] + (
        result.resolved if show_all else []
    )
    if fmt == "json":
        print_json(
            {
                "scan_id": result.state.scan_id if result.state else None,
                "hosts": result.hosts,
                "unscanned": result.unscanned,
                "scan_failed": result.scan_failed,
                "findings": [f.as_dict() for f in shown],
                "resolved": [f.as_dict() for f in result.resolved],
                "expired_waivers": sorted(result.expired_waivers),
            }
        )
    else:
        rows = [
            (
                f.id,
                f.host,
                f.item,
                f.expected,
                f.actual,
                f.kind,
                f.severity,
                f.since or "",
                f.status
                if f.status == "open"
                else f"{f.status.replace('_', ' ')} ({f.waiver or f.change})",
            )
            for f in sorted(shown, key=lambda f: (-severity_rank(f.severity), f.host, f.item))
        ]
        print_table(
            ("id", "host", "item", "expected", "actual", "kind", "severity", "since", "status"),
            rows,
        )
        late = sum(1 for f in result.findings if f.status == RECORDED_LATE)
        hidden = len(result.findings) - len(result.open) - late
        click.echo(
            f"{len(result.open)} open finding(s) on {len(result.hosts)} host(s)"
            + (f"; {late} change(s) recorded late" if late else "")
            + (f"; {hidden} waived or explained" if hidden else "")
            + (f"; {len(result.resolved)} resolved" if result.resolved else "")
            + (
                f"; expired waivers: {visible(', '.join(sorted(result.expired_waivers)))}"
                if result.expired_waivers
                else ""
            ),
            err=True,
        )
        for host, why in sorted(result.scan_failed.items()):
            click.echo(
                f"scan failed: {visible(host)}: {visible(why['reason'])}"
                + (
                    f" (judged on its snapshot from {visible(why['last_good'])})"
                    if why.get("last_good")
                    else " (no snapshot to judge)"
                ),
                err=True,
            )
        if result.unscanned:
            click.echo(f"never scanned: {visible(', '.join(result.unscanned))}", err=True)
    if fail_on and any(
        f.flagged and severity_rank(f.severity) >= severity_rank(fail_on) for f in result.findings
    ):
        raise click.exceptions.Exit(EXIT_FAILED)


def _propose(ws, result, ids):
    from changekit.records import actions

    chosen = [f for f in result.findings if (f.id in ids if ids else f.is_open)]
    missing = sorted(set(ids) - {f.id for f in chosen})
    if missing:
        raise NotFoundError(
            f"no current finding {', '.join(missing)}",
            hint="list them with `changekit drift --all`",
        )
    if not chosen:
        click.echo("nothing to propose: no open findings", err=True)
        return
    hosts = sorted({h for f in chosen for h in f.all_hosts})
    plan = remediation.plan(chosen, dict(open_store(ws).iter_latest(hosts)))
    outcome = actions.create(ws, remediation.record_fields(chosen, plan))
    click.echo(f"filed draft {outcome.record.id}: {visible(outcome.record.title)}")
    for step in plan.steps:
        click.echo(f"  on {visible(step.host)}: {visible(step.command)}")
    for fid, why in plan.skipped:
        click.echo(f"  {fid}: {visible(why)}")
