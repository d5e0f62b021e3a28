"""``changekit review``: the service review of a period, against the period before it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from changekit.cli.output_file import emit, output_option
from changekit.errors import InputError


class _FormatChoice(click.Choice):
    """The renderer names, looked up when the command runs (plugins may add some)."""

    def __init__(self) -> None:
        super().__init__(["html", "markdown", "json", "csv"])

    def convert(self, value, param, ctx):
        from changekit.review.render import renderers

        self.choices = sorted(renderers())
        return super().convert(value, param, ctx)


@click.command()
@click.option("--quarter", metavar="YYYYQN", help="A calendar quarter, e.g. 2026Q4.")
@click.option("--month", metavar="YYYY-MM", help="A calendar month, e.g. 2026-11.")
@click.option("--from", "since", metavar="DATE", help="First day (with --to), e.g. 2026-10-01.")
@click.option("--to", "until", metavar="DATE", help="Last day, included (with --from).")
@click.option("--tz", default="UTC", show_default=True, help="Zone in which days begin.")
@click.option("--customer", help="Only changes of this customer (from the inventory).")
@click.option("--team", help="Only changes of this team (from the inventory).")
@click.option("--group", help="Only changes to hosts of this inventory group.")
@click.option(
    "--format", "fmt", type=_FormatChoice(), default="html", show_default=True,
    help="html (one self-contained file), markdown, json (schema: changekit schema review), "
    "csv, or a plugin's.",
)  # fmt: skip
@output_option
@click.pass_obj
def review(obj, quarter, month, since, until, tz, customer, team, group, fmt, output):
    """Write the service review: changes by class, type, category, risk and outcome, lead
    times, forced starts and freeze exceptions, quotas and service days, notices, waivers
    and what the scans saw, each against the previous period of the same length.

    Without a period: the current quarter so far, against the same stretch of the
    previous quarter. Every figure is proven from git history, never read from a file's
    status."""
    from changekit.review.build import Scope, build_review
    from changekit.review.periods import periods
    from changekit.review.render import get_renderer

    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"--tz {tz!r} is not a time zone", field="--tz", hint="an IANA name, e.g. Europe/Berlin"
        ) from None
    now = datetime.now(UTC)
    period, previous = periods(
        quarter=quarter, month=month, since=since, until=until, now=now, tz=zone
    )
    scope = Scope(customer=customer, team=team, group=group)
    scope.given()
    ws = obj.workspace()
    data = build_review(ws, period, previous, scope, now=now)
    text = get_renderer(fmt).render(data)
    count = len(data["records"])
    emit(output, text, f"{fmt}, {period.label}, {count} records behind the figures")
