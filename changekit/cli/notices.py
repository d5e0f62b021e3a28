"""``changekit announce ID`` and ``changekit notices send-due|list|preview``."""

from __future__ import annotations

from datetime import datetime

import click

from changekit.cli import args
from changekit.cli.output import print_json, print_table
from changekit.errors import EXIT_FAILED
from changekit.inventory.load import load_inventory
from changekit.notices import render
from changekit.notices import runner as notice_runner
from changekit.notices.audiences import affected_hosts, audiences_for, find_audience, reader_zone
from changekit.notices.config import load_config, parse_duration
from changekit.notices.contacts import contact_key
from changekit.notices.due import reminder_offsets
from changekit.notices.model import KINDS, Audience
from changekit.notices.send import Report
from changekit.records import store
from changekit.textsafe import visible

_format = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def _runner(state) -> notice_runner.Runner:
    ws = state.workspace()
    return notice_runner.Runner(
        ws,
        config=load_config(ws),
        inventory=load_inventory(None, ws),
        now=notice_runner.current_time(),
    )


def _finish(report: Report, fmt: str) -> None:
    if fmt == "json":
        print_json(
            {
                "sent": report.sent,
                "failed": [f.__dict__ for f in report.failed],
                "warnings": report.warnings,
            }
        )
    else:
        for e in report.sent:
            mid = f"  {e['message_id']}" if e.get("message_id") else ""
            click.echo(
                f"sent    {e['change']}  {e['kind']:<12} {e['channel']:<8} {e['audience']}{mid}"
            )
        for f in report.failed:
            click.echo(
                f"FAILED  {f.change_id}  {f.kind:<12} {f.channel:<8} {f.audience}: {f.error}",
                err=True,
            )
        for w in report.warnings:
            click.echo(f"warning: {w}", err=True)
        if not report.sent and not report.failed:
            click.echo("nothing due")
        elif report.failed:
            click.echo(f"{len(report.failed)} notice(s) failed; run again to retry them", err=True)
    if report.failed:
        raise SystemExit(EXIT_FAILED)


@click.command()
@args.record_id
@_format
@click.pass_obj
def announce(state, record_id, fmt) -> None:
    """Announce a change to everyone it affects, on every channel.

    The lead time the policy demands before an outage counts from this moment.
    Running it again sends nothing twice; it retries what failed."""
    runner = _runner(state)
    try:
        runner.announce(record_id)
    finally:
        runner.close()
    _finish(runner.report, fmt)


@click.group()
def notices() -> None:
    """Maintenance notices: send what is due, list what was sent, preview one."""


@notices.command("send-due")
@_format
@click.pass_obj
def send_due(state, fmt) -> None:
    """Send every notice that is due now: reminders, reschedules, cancellations, start and
    completion notices, and retries of what failed before. Meant for cron; exit 1 when
    something failed."""
    runner = _runner(state)
    try:
        runner.send_due()
    finally:
        runner.close()
    _finish(runner.report, fmt)


@notices.command("list")
@args.record_id
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
def list_notices(state, record_id, fmt) -> None:
    """The notices recorded for a change: kind, channel, audience, time, message id."""
    rec = store.find_record(state.workspace(), record_id)
    sent = rec.data.get("notices") or []
    if fmt == "json":
        print_json(sent)
        return
    cols = ("at", "kind", "channel", "audience", "sequence", "message_id")
    print_table(cols, ([e.get(c) for c in cols] for e in sent), title=f"notices of {rec.id}")


@notices.command()
@args.record_id
@click.option("--kind", type=click.Choice(KINDS), default="announcement", show_default=True)
@click.option(
    "--audience", help="Render for this contact (its time zone); default: the first affected."
)
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the text.")
@click.pass_obj
def preview(state, record_id, kind, audience, as_html) -> None:
    """Show a notice as a reader would get it, without sending anything (for template authors)."""
    ws = state.workspace()
    config = load_config(ws)
    rec = store.find_record(ws, record_id)
    hosts = affected_hosts(rec.data, load_inventory(None, ws))
    readers = audiences_for(rec.data, hosts, config)
    target = readers[0] if readers else None
    if audience:
        # matched as sending matches: by address, any display name or case
        target = find_audience(readers, audience)
        if target is None:
            key = contact_key(audience)
            target = Audience(key, reader_zone(rec.data, config, key), config.audience_name(key))
            click.echo(
                f"warning: {audience} is not affected by {rec.id}, so it gets no notice "
                f"(affected: {', '.join(a.name for a in readers) or 'nobody'})",
                err=True,
            )
    zone = target.timezone if target else reader_zone(rec.data, config)
    variant, moment = "", None
    window = rec.data.get("window")
    if kind == "reminder" and window:
        # as the first configured reminder reads when it goes out
        variant = (reminder_offsets(rec.data, config.reminders()) or ["P1D"])[0]
        moment = datetime.fromisoformat(window["start"]) - parse_duration(variant)
    ctx = render.context(
        rec.data,
        kind=kind,
        zone=zone,
        hosts=[h.name for h in hosts],
        sequence=int((rec.data.get("announcement") or {}).get("sequence") or 0),
        variant=variant,
        contact=config.data.get("contact"),
        now=moment,
    )
    notice = render.render(render.environment(ws), ctx, audience=target)
    click.echo(f"Subject: {visible(notice.subject)}\n")
    click.echo(visible(notice.html if as_html else notice.text, keep="\n\t"), nl=False)
