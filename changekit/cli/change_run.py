"""``changekit change run ID``: carry out an approved change's plan on its hosts."""

from __future__ import annotations

import sys

import click

from changekit.cli.output import print_json, print_table
from changekit.errors import EXIT_FAILED, InputError
from changekit.fleet.connector import ConnectOptions
from changekit.fleet.scan import DEFAULT_CONCURRENCY, available_connectors
from changekit.inventory.load import load_inventory
from changekit.records import times
from changekit.run import rollout, runner
from changekit.textsafe import visible


def _limit(what: str):
    def convert(_ctx, _param, value):
        return rollout.Limit.parse(value, what) if value is not None else None

    return convert


@click.command("run")
@click.argument("record_id", metavar="ID")
@click.option(
    "--dry-run", is_flag=True, help="Print what would run where, in which batches; run nothing."
)
@click.option(
    "--hosts",
    "hosts",
    multiple=True,
    metavar="SELECTOR",
    help="Only these of the record's hosts (narrows, never widens; repeatable).",
)
@click.option(
    "--canary",
    type=click.IntRange(0),
    default=1,
    show_default=True,
    help="Hosts in the first batch, alone.",
)
@click.option(
    "--batch",
    default="100%",
    show_default=True,
    callback=_limit("--batch"),
    help="Hosts per batch after the canary: a count or a share (25%).",
)
@click.option(
    "--max-fail",
    default="0",
    show_default=True,
    callback=_limit("--max-fail"),
    help="Failed hosts tolerated before the rollout stops: a count or a share.",
)
@click.option(
    "--pause", type=click.FloatRange(0), default=0, help="Seconds to wait between batches."
)
@click.option(
    "--rollback-all", is_flag=True, help="On failure, roll back the hosts that succeeded too."
)
@click.option("--again", is_flag=True, help="Also run hosts an earlier run of this plan finished.")
@click.option("--force", is_flag=True, help="Run outside the change's window (needs --reason).")
@click.option("--reason", help="Why it must run outside its window (with --force).")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1024),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Hosts at once.",
)
@click.option("--connect-timeout", type=click.FloatRange(0.1), default=10.0, show_default=True)
@click.option(
    "--known-hosts",
    type=click.Path(dir_okay=False),
    help="known_hosts file (default: ~/.ssh/known_hosts).",
)
@click.option("--ssh-config", metavar="PATH", help="OpenSSH client config ('none' ignores it).")
@click.option(
    "--sudo", is_flag=True, help="Run steps through `sudo -n` unless a step says otherwise."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def run(state, record_id, dry_run, hosts, canary, batch, max_fail, pause, rollback_all, again,
        force, reason, concurrency, connect_timeout, known_hosts, ssh_config,
        sudo, fmt) -> None:  # fmt: skip
    """Run an approved change's plan on its hosts: canary, then batches; stop and roll back
    on failure; re-scan and check the plan's expectations; record every step as commits.

    Refused unless `changekit check` would pass for the record now (proven approvals of this
    exact plan, window, freeze, conflicts, lead time). A killed run resumes where it stopped.
    Exit 0 when the change completed, 1 when it failed or was rolled back."""
    if force and not reason:
        raise click.UsageError("--force needs --reason TEXT: say why it cannot wait")
    ws = state.workspace()
    config = False if ssh_config and ssh_config.strip().lower() == "none" else ssh_config
    inventory = load_inventory(
        None, ws, ssh_config=config
    )  # the workspace's own: what was approved
    if not inventory.hosts:
        raise InputError(
            "the workspace has no inventory, so the record's hosts cannot be resolved",
            hint="add the hosts to inventories/ (changekit YAML or an Ansible inventory)",
        )
    opts = runner.RunOptions(
        hosts=tuple(hosts), canary=canary, batch=batch, max_fail=max_fail, pause=pause,
        concurrency=concurrency, rollback_all=rollback_all, again=again, force=force,
        reason=reason,
        connect=ConnectOptions(connect_timeout=connect_timeout, known_hosts_file=known_hosts, sudo=sudo),
    )  # fmt: skip
    with runner.run_lock(ws, record_id):
        prep = runner.prepare(ws, record_id, inventory, opts, times.now())
        if dry_run:
            plan = runner.dry_run(prep, opts)
            if fmt == "json":
                print_json(plan)
            else:
                _show_plan(plan)
            return
        say = (lambda text: click.echo(visible(text), err=True)) if fmt == "text" else None
        job = runner.Run(ws, prep, inventory, opts, available_connectors()[opts.connector], say)
        try:
            outcome = job.execute()
        finally:
            opts.connect.close()
    if fmt == "json":
        print_json(outcome.__dict__)
    else:
        print_table(
            ["host", "state", "reason"],
            [(h, e["state"], e.get("reason", "")) for h, e in sorted(outcome.hosts.items())],
        )
        for note in outcome.notes:
            click.echo(visible(note), err=True)
        click.echo(
            f"{outcome.record_id}: {outcome.result.replace('_', ' ')} (run {outcome.run_id})"
        )
    if outcome.result != "completed":
        sys.exit(EXIT_FAILED)


def _show_plan(plan: dict) -> None:
    click.echo(f"{plan['record']} ({plan['status']}): plan {plan['plan_digest']}")
    click.echo(f"  approved by: {visible(', '.join(plan['approved_by']) or 'nobody (emergency)')}")
    if plan["skipped_done"]:
        click.echo(
            f"  already done by an earlier run (skipped): {visible(', '.join(plan['skipped_done']))}"
        )
    for i, batch in enumerate(plan["batches"]):
        click.echo(f"  batch {i + 1}: {visible(', '.join(batch))}")
    click.echo(f"  stop when more than {plan['max_fail']} host(s) fail")
    for host, steps in plan["steps"].items():
        click.echo(f"  on {visible(host)}:")
        for step in steps:
            click.echo(f"    - {visible(step['name'])} (timeout {step['timeout']} s)")
            for line in step["run"].splitlines():
                click.echo(f"        {visible(line)}")
    if plan["verify"]["commands"] or plan["verify"]["facts"]:
        click.echo(
            "  then verify: "
            + visible(", ".join(plan["verify"]["commands"] + plan["verify"]["facts"]))
        )
    if plan["rollback"]:
        click.echo("  on failure, roll back: " + visible(", ".join(plan["rollback"])))


COMMANDS = (run,)
