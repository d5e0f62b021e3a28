"""Lifecycle steps, one command each: submit, approve, reject, schedule/reschedule, start,
complete, fail, rollback, cancel. Each is one git commit by the acting identity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from changekit.cli import args
from changekit.records import actions, drafts
from changekit.records import store as _store

_format = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
_push = click.option(
    "--push", is_flag=True, help="Push the current branch to origin after committing."
)
_id = args.record_id


def _run(state, record_id: str, action: str, fmt: str, **kwargs: Any) -> None:
    from changekit.cli.change_view import report

    result = actions.transition(state.workspace(), record_id, action, **kwargs)
    report(result, action, fmt)


@click.command()
@_id
@click.option("--branch", is_flag=True, help="Commit on branch change/<id> (created from here).")
@click.option(
    "--push",
    is_flag=True,
    help="Commit on branch change/<id> and push it to origin for a pull request.",
)
@_format
@click.pass_obj
def submit(state, record_id, branch, push, fmt) -> None:
    """Submit a draft for review (the policy is checked first)."""
    _run(state, record_id, "submit", fmt, branch=branch or push, push=push)


@click.command()
@_id
@click.option("--as", "as_group", metavar="GROUP", help="The approver group you approve for.")
@click.option("--comment")
@_push
@_format
@click.pass_obj
def approve(state, record_id, as_group, comment, push, fmt) -> None:
    """Approve a change as your git identity (the requester cannot approve)."""
    _run(state, record_id, "approve", fmt, as_group=as_group, comment=comment, push=push)


@click.command()
@_id
@click.option("--reason", required=True, help="Why it is rejected (required).")
@_push
@_format
@click.pass_obj
def reject(state, record_id, reason, push, fmt) -> None:
    """Reject a change, saying why."""
    _run(state, record_id, "reject", fmt, reason=reason, push=push)


def _schedule_command(name: str, doc: str) -> Callable:
    @click.command(name, help=doc)
    @_id
    @click.option("--start", help="Window start, e.g. '2026-12-06 02:00' (local to --tz).")
    @click.option("--end", help="Window end.")
    @click.option("--tz", help="IANA time zone, e.g. Europe/Berlin (default: the record's).")
    @click.option("--comment", help="Why (shown in the history).")
    @_push
    @_format
    @click.pass_obj
    def command(state, record_id, start, end, tz, comment, push, fmt) -> None:
        window = None
        if start or end:
            if not (start and end):
                raise click.UsageError("give both --start and --end")
            if not tz:
                tz = _store.find_record(state.workspace(), record_id).window_timezone
            window = drafts.make_window(start, end, tz)
        elif name == "reschedule":
            raise click.UsageError("reschedule needs --start and --end")
        _run(state, record_id, "schedule", fmt, window=window, comment=comment, push=push)

    return command


schedule = _schedule_command(
    "schedule", "Schedule an approved change in its window (or a new one)."
)
reschedule = _schedule_command(
    "reschedule",
    "Move an approved or scheduled change to a new window. A new window voids the approvals "
    "given for the old one: the change goes back to submitted for reviewers to approve again "
    "(pre-approved standard changes keep theirs).",
)


def _simple(action: str, doc: str, note: str = "--notes") -> Callable:
    @click.command(action, help=doc)
    @_id
    @click.option(note, "notes", help="What happened (kept in the outcome and history).")
    @_push
    @_format
    @click.pass_obj
    def command(state, record_id, notes, push, fmt) -> None:
        _run(state, record_id, action, fmt, reason=notes, push=push)

    return command


@click.command()
@_id
@click.option("--notes", help="What happened (kept in the history).")
@click.option(
    "--force",
    is_flag=True,
    help="Start outside the change's window (needs --reason; kept in the history).",
)
@click.option("--reason", help="Why it must start outside its window (with --force).")
@_push
@_format
@click.pass_obj
def start(state, record_id, notes, force, reason, push, fmt) -> None:
    """Start implementing, inside the change's window (emergency changes may start at any
    time, even before approval)."""
    if force and not reason:
        raise click.UsageError("--force needs --reason TEXT: say why it cannot wait")
    _run(state, record_id, "start", fmt, reason=reason or notes, push=push, force=force)


complete = _simple("complete", "Mark the change completed.")
fail = _simple("fail", "Mark the change failed.")
rollback = _simple("rollback", "Mark the change rolled back.")
cancel = _simple("cancel", "Cancel the change.", note="--reason")

COMMANDS = (submit, approve, reject, schedule, reschedule, start, complete, fail, rollback, cancel)
