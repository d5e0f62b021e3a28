"""``changekit change show ID``: one record, readable or as JSON/YAML."""

from __future__ import annotations

from typing import Any

import click

from changekit import yamlfile
from changekit.cli import args
from changekit.cli.change_view import recover_before_reading, window_text
from changekit.cli.output import print_json
from changekit.records import lifecycle, store
from changekit.records.model import ChangeRecord
from changekit.textsafe import visible


def _steps_text(value: Any) -> list[str]:
    if not value:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [f"  {i}. {s}" for i, s in enumerate(items, 1)] if len(items) > 1 else [f"  {items[0]}"]


def _plan_text(plan: dict) -> list[str]:
    from changekit.run.plan import Plan

    digest = Plan(steps=(), data=plan).digest
    lines = [f"Plan (runnable with `changekit change run`, {digest}):"]
    for title, steps in (("step", plan.get("steps")), ("verify", (plan.get("verify") or {}).get("commands")), ("rollback", plan.get("rollback"))):  # fmt: skip
        for i, step in enumerate(steps or (), 1):
            where = f" on {', '.join(step['hosts'])}" if step.get("hosts") else ""
            lines.append(f"  {title} {i}: {step.get('name') or ''}{where}")
            lines += [f"      {line}" for line in step["run"].splitlines()]
    for fact in (plan.get("verify") or {}).get("facts") or ():
        text = fact if isinstance(fact, str) else fact["fact"] + (f" on {', '.join(fact['hosts'])}" if fact.get("hosts") else "")  # fmt: skip
        lines.append(f"  expect after a re-scan: {text}")
    return lines


def _run_text(rid: str, run: dict) -> list[str]:
    lines = [
        f"Run {run['id']}: {run['result'].replace('_', ' ')}, started {run['started_at']}"
        + (f", finished {run['finished_at']}" if run.get("finished_at") else "")
        + (f", verified by scan {run['scan_id']}" if run.get("scan_id") else "")
    ]
    for host, entry in sorted(run["hosts"].items()):
        reason = f": {entry['reason']}" if entry.get("reason") else ""
        lines.append(f"  {host:<12} {entry['state']}{reason}")
    lines.append(f"  transcripts: runs/{rid}/{run['id']}/")
    return lines


def _readable(rec: ChangeRecord) -> str:
    d = rec.data
    lines = [
        f"{rec.id}  {rec.title}",
        f"  status: {rec.status}   type: {rec.type}   category: {rec.category}"
        f"   risk: {rec.risk}   impact: {rec.impact}",
    ]
    lines.append(f"  requester: {rec.requester}")
    if rec.template:
        lines.append(f"  template: {rec.template}")
    lines.append(f"  hosts: {', '.join(rec.hosts)}")
    if rec.services:
        lines.append(f"  services: {', '.join(rec.services)}")
    if d.get("outage"):
        o = d["outage"]
        lines.append(
            "  outage: "
            + ("yes" if o.get("expected") else "no")
            + (f", {o['duration_minutes']} min" if o.get("duration_minutes") is not None else "")
        )
    if d.get("window"):
        lines.append(f"  window: {window_text(rec.summary())}")
    for key in ("description", "justification", "user_action", "contact"):
        if d.get(key):
            lines += ["", f"{key.replace('_', ' ').capitalize()}:", f"  {d[key]}"]
    for key in ("implementation", "verification", "rollback"):
        if d.get(key):
            lines += ["", f"{key.capitalize()}:", *_steps_text(d[key])]
    if d.get("plan"):
        lines += ["", *_plan_text(d["plan"])]
    if rec.approvals:
        lines += ["", "Approvals:"]
        lines += [
            f"  {a['by']['name']} <{a['by']['email']}> at {a['at']}"
            + (f" as {a['as']}" if a.get("as") else "")
            + (f": {a['comment']}" if a.get("comment") else "")
            for a in rec.approvals
        ]
    if d.get("rejection"):
        r = d["rejection"]
        lines += ["", f"Rejected by {r['by']['email']} at {r['at']}: {r['reason']}"]
    if d.get("outcome"):
        o = d["outcome"]
        lines += [
            "",
            f"Outcome: {o['result']} at {o['at']}" + (f": {o['notes']}" if o.get("notes") else ""),
        ]
    if d.get("run"):
        lines += ["", *_run_text(rec.id, d["run"])]
    lines += ["", "History:"]
    lines += [
        f"  {h['at']}  {h['status']:<12} {h['by']['email']}"
        + (f"  {h['note']}" if h.get("note") else "")
        for h in rec.history
    ]
    nxt = lifecycle.next_steps(rec)
    lines += ["", f"Next steps: {', '.join(nxt) if nxt else 'none (final)'}"]
    return "\n".join(lines)


@click.command()
@args.record_id
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "yaml"]),
    default="text",
    show_default=True,
)
@click.pass_obj
def show(state, record_id: str, fmt: str) -> None:
    """Show one change record (ID or a unique prefix of it)."""
    ws = state.workspace()
    recover_before_reading(ws)
    rec = store.find_record(ws, record_id)
    if fmt == "json":
        print_json(rec.ordered())
    elif fmt == "yaml":
        click.echo(yamlfile.dump_yaml(rec.ordered()), nl=False)
    else:
        click.echo(visible(_readable(rec), keep="\n"))  # a record's text is anyone's


COMMANDS = (show,)
