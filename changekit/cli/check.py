"""``changekit check``: the CI gate. Exit 0 pass, 1 problems found, 3 a record file is invalid, 5 workspace."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import click

from changekit.cli.output import format_option, print_json
from changekit.errors import EXIT_FAILED, EXIT_INPUT, InputError
from changekit.gate import Report, run_check
from changekit.problems import Problem
from changekit.textsafe import visible


def _parse_at(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise InputError(
            f"--at {value!r} is not an ISO 8601 time with an offset",
            hint="e.g. 2026-11-25T10:00:00+01:00",
        )
    return at


def _print_people(report: Report) -> None:
    groups: dict[str, list[Problem]] = defaultdict(list)
    for p in report.problems:
        groups[p.record or p.path or "(workspace)"].append(p)
    for subject, problems in groups.items():
        path = next((p.path for p in problems if p.path), None)
        # (messages quote git author names and emails and record fields: no raw escapes)
        click.echo(visible(f"{subject}" + (f"  ({path})" if path and path != subject else "")))
        for p in problems:
            mark = "error" if p.severity in ("high", "critical") else "warning"
            where = f"{p.field}: " if p.field else ""
            line = f" (line {p.line})" if p.line else ""
            click.echo(visible(f"  {mark} [{p.code}] {where}{p.message}{line}"))
            if p.hint:
                click.echo(visible(f"      fix: {p.hint}"))
    scope = f" changed since {report.base}" if report.base else ""
    fails, warns = len(report.failures), len(report.problems) - len(report.failures)
    verdict = "ok" if report.ok else "FAILED"
    click.echo(
        f"{verdict}: checked {report.checked} of {report.total} records{scope}: "
        f"{fails} error{'s' * (fails != 1)}, {warns} warning{'s' * (warns != 1)}"
    )


@click.command()
@click.option(
    "--base",
    metavar="REV",
    help="Check only records changed since REV (e.g. origin/main); conflicts still against all.",
)
@click.option(
    "--at",
    "at",
    metavar="TIME",
    hidden=True,
    help="Check as if it were TIME (ISO 8601 with offset).",
)
@format_option("text", "json", default="text")
@click.pass_obj
def check(state, base: str | None, at: str | None, fmt: str) -> None:
    """Check every change record against the schema, the policy and git history (the CI gate).

    \b
    Exit codes: 0 every record passes; 1 problems found (errors; warnings alone pass);
    3 a record or the policy is not valid; 5 workspace problem (not a git repository,
    shallow clone, unknown --base revision).
    """
    ws = state.workspace()
    report = run_check(ws, base=base, now=_parse_at(at))
    if fmt == "json":
        print_json(report.as_dict())
    else:
        _print_people(report)
    ctx = click.get_current_context()
    if report.bad_input:
        ctx.exit(EXIT_INPUT)
    if not report.ok:
        ctx.exit(EXIT_FAILED)
