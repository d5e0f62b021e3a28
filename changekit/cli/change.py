"""``changekit change``: file change records, list and show them; lifecycle steps in change_lifecycle."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from changekit.cli import change_edit, change_lifecycle, change_run, change_show, change_view
from changekit.errors import InputError
from changekit.records import actions, drafts
from changekit.records import templates as tmpl
from changekit.records.model import CATEGORIES, LEVELS, TYPES

_FLAG = {"hosts": "host", "services": "service", "plan": "step"}
"""Record fields whose flag is named differently."""


@click.group()
def change() -> None:
    """File change records and move them through review, approval and implementation."""


def _prompt_hosts(inventory: Any | None) -> list[str]:
    """Ask for host selectors until the inventory (if any) resolves every one."""
    from changekit.records import hostcheck

    while True:
        answer = click.prompt("Hosts (selectors, comma-separated)")
        hosts = [h.strip() for h in answer.split(",") if h.strip()]
        try:
            hostcheck.check_hosts(inventory, hosts)
        except InputError as exc:
            click.echo(f"error: {exc.message}" + (f"\n  hint: {exc.hint}" if exc.hint else ""))
            continue
        return hosts


def _prompt_missing(fields: dict[str, Any], inventory: Any | None = None) -> None:
    """Ask for each required field that is still empty (only on a terminal)."""
    asks = {
        "title": lambda: click.prompt("Title"),
        "type": lambda: click.prompt("Type", type=click.Choice(TYPES), default="normal"),
        "category": lambda: click.prompt(
            "Category (IMAC)", type=click.Choice(CATEGORIES), default="change"
        ),
        "risk": lambda: click.prompt("Risk", type=click.Choice(LEVELS), default="low"),
        "impact": lambda: click.prompt("Impact", type=click.Choice(LEVELS), default="low"),
        "hosts": lambda: _prompt_hosts(inventory),
    }
    for name in actions.missing_fields(fields):
        if name in asks:
            fields[name] = asks[name]()
    if "emergency-reason" in actions.missing_fields(fields):
        fields["emergency"] = {"reason": click.prompt("Why can this not wait (emergency reason)")}
    for name, label in (
        ("description", "Description"),
        ("implementation", "Implementation steps"),
        ("rollback", "Rollback plan"),
    ):
        if not fields.get(name):
            fields[name] = (
                click.prompt(f"{label} (optional)", default="", show_default=False) or None
            )
    if not fields.get("plan"):
        fields["plan"] = _prompt_plan()
    if not fields.get("window"):
        fields["window"] = _prompt_window()
    if not fields.get("outage"):
        fields["outage"] = _prompt_outage()


def _prompt_lines(label: str) -> list[str]:
    out = []
    while line := click.prompt(
        f"{label} {len(out) + 1} (empty: done)", default="", show_default=False
    ):
        out.append(line)
    return out


def _prompt_plan() -> dict[str, Any] | None:
    """Runnable steps for ``changekit change run`` (optional: free text is for a person)."""
    run = _prompt_lines("Command for `changekit change run` to run on every host, step")
    if not run:
        return None
    return plan_from(
        run,
        _prompt_lines("Rollback command, step"),
        _prompt_lines("Expected after a re-scan (e.g. dpkg:nginx present), fact"),
    )


def plan_from(run: list[str], rollback: list[str], facts: list[str]) -> dict[str, Any] | None:
    """A plan from ``--step``/``--rollback-step``/``--expect`` (each: every host of the record)."""
    if not run:
        if rollback or facts:
            raise click.UsageError("--rollback-step and --expect go with --step")
        return None
    plan: dict[str, Any] = {
        "steps": [{"name": f"step {i}", "run": c} for i, c in enumerate(run, 1)]
    }
    if facts:
        plan["verify"] = {"facts": list(facts)}
    if rollback:
        plan["rollback"] = [{"name": f"rollback {i}", "run": c} for i, c in enumerate(rollback, 1)]
    return plan


def _local_zone() -> str:
    """The machine's IANA zone name (from /etc/localtime), else UTC."""
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return "UTC"
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "UTC"


def _prompt_window() -> dict[str, str] | None:
    """Ask for the window; a wrong time is explained and asked again, empty means none yet."""
    while True:
        start = click.prompt(
            "Window start, e.g. 2026-12-06 02:00 (empty: decide later)",
            default="",
            show_default=False,
        )
        if not start:
            return None
        end = click.prompt("Window end")
        tz = click.prompt("Time zone of the window", default=_local_zone())
        try:
            return drafts.make_window(start, end, tz)
        except InputError as exc:
            click.echo(f"error: {exc.format()}", err=True)


def _prompt_outage() -> dict[str, Any]:
    if not click.confirm("Will users notice an outage?", default=False):
        return {"expected": False}
    minutes = click.prompt(
        "Expected outage in minutes (empty: unknown)",
        default="",
        show_default=False,
        value_proc=lambda v: click.IntRange(min=0)(v) if v else "",
    )
    return {"expected": True, **({"duration_minutes": minutes} if minutes != "" else {})}


@change.command("new")
@click.option("--title", help="One line saying what changes.")
@click.option("--type", "type_", type=click.Choice(TYPES), help="standard, normal or emergency.")
@click.option("--category", type=click.Choice(CATEGORIES), help="IMAC category.")
@click.option("--risk", type=click.Choice(LEVELS))
@click.option("--impact", type=click.Choice(LEVELS))
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="SELECTOR",
    help="Host, glob, group:NAME or tag:NAME (repeatable).",
)
@click.option("--service", "services", multiple=True, help="Affected service (repeatable).")
@click.option("--outage/--no-outage", default=None, help="Whether users see an outage.")
@click.option("--outage-minutes", type=click.IntRange(min=0), help="Expected outage length.")
@click.option("--start", help="Window start, e.g. '2026-12-06 02:00' (local to --tz).")
@click.option("--end", help="Window end.")
@click.option("--tz", help="IANA time zone of the window, e.g. Europe/Berlin.")
@click.option("--description")
@click.option("--justification")
@click.option("--implementation", multiple=True, help="Implementation step (repeatable).")
@click.option("--verification", multiple=True, help="Verification step (repeatable).")
@click.option("--rollback", multiple=True, help="Rollback step (repeatable).")
@click.option(
    "--step",
    "run_steps",
    multiple=True,
    metavar="COMMAND",
    help="A command `changekit change run` runs on every host (repeatable, in order).",
)
@click.option(
    "--rollback-step",
    "rollback_steps",
    multiple=True,
    metavar="COMMAND",
    help="A command that undoes the steps on a failed host (repeatable).",
)
@click.option(
    "--expect",
    "expect",
    multiple=True,
    metavar="FACT",
    help="What a re-scan must show after the run, e.g. 'dpkg:nginx present' (repeatable).",
)
@click.option("--user-action", help="What affected users must do.")
@click.option("--contact", help="Who to contact during the change.")
@click.option("--emergency-reason", help="Why this cannot wait (emergency changes).")
@click.option(
    "--from-file",
    "from_file",
    type=click.Path(dir_okay=False),
    help="A YAML draft with any of these fields.",
)
@click.option(
    "--template",
    "template_name",
    metavar="NAME",
    help="Start from a template (templates/NAME.yaml or a plugin's).",
)
@click.option(
    "--no-input", is_flag=True, help="Never prompt; missing required fields are an error."
)
@click.option("--branch", is_flag=True, help="Commit on a new branch change/<id>.")
@click.option("--push", is_flag=True, help="Push the branch to origin (implies --branch).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def new(state, **opts: Any) -> None:
    """File a new change record (a draft) and commit it as you."""
    ws = state.workspace()
    fields: dict[str, Any] = drafts.load_draft(opts["from_file"]) if opts["from_file"] else {}
    template_name = opts["template_name"] or fields.pop("template", None)
    template = tmpl.get(ws, template_name) if template_name else None
    flags = {
        "title": opts["title"],
        "type": opts["type_"],
        "category": opts["category"],
        "risk": opts["risk"],
        "impact": opts["impact"],
        "hosts": list(opts["hosts"]),
        "services": list(opts["services"]),
        "description": opts["description"],
        "justification": opts["justification"],
        "implementation": drafts.steps(opts["implementation"]),
        "verification": drafts.steps(opts["verification"]),
        "rollback": drafts.steps(opts["rollback"]),
        "user_action": opts["user_action"],
        "contact": opts["contact"],
        "plan": plan_from(
            list(opts["run_steps"]), list(opts["rollback_steps"]), list(opts["expect"])
        ),
    }
    origins = dict.fromkeys(fields, str(opts["from_file"]))
    given = {k: v for k, v in flags.items() if v not in (None, "", [])}
    fields.update(given)
    origins.update({k: "--" + _FLAG.get(k, k).replace("_", "-") for k in given})
    if opts["outage"] is not None or opts["outage_minutes"] is not None:
        outage: dict[str, Any] = {
            "expected": bool(
                opts["outage"] if opts["outage"] is not None else opts["outage_minutes"]
            )
        }
        if opts["outage_minutes"] is not None:
            outage["duration_minutes"] = opts["outage_minutes"]
        fields["outage"] = outage
        origins["outage"] = "--outage-minutes"
    if opts["emergency_reason"]:
        fields["emergency"] = {"reason": opts["emergency_reason"]}
        origins["emergency"] = "--emergency-reason"
    if opts["start"] or opts["end"]:
        if not (opts["start"] and opts["end"]):
            raise click.UsageError("give both --start and --end for the window")
        fields["window"] = drafts.make_window(opts["start"], opts["end"], opts["tz"])
        origins["window"] = "--start/--end/--tz"
    if not opts["no_input"] and sys.stdin.isatty():
        merged = {**(template.defaults() if template else {}), **fields}
        try:
            from changekit.records import steps

            _prompt_missing(merged, steps.load_inventory(ws))
        except click.exceptions.Abort:  # Ctrl-C / Ctrl-D at a prompt: interrupted, not "no"
            click.echo("\ninterrupted: nothing was filed", err=True)
            sys.exit(130)
        fields = {k: v for k, v in merged.items() if k in fields or v not in (None, "", [])}
    result = actions.create(
        ws,
        fields,
        template=template,
        branch=opts["branch"] or opts["push"],
        push=opts["push"],
        origins=origins,
    )
    change_view.report(result, "new", opts["fmt"])


for _cmd in (
    *change_lifecycle.COMMANDS,
    *change_view.COMMANDS,
    *change_show.COMMANDS,
    *change_edit.COMMANDS,
    *change_run.COMMANDS,
):
    change.add_command(_cmd)  # type: ignore[arg-type]
