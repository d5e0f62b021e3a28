"""``changekit report``: the standardisation report for auditors, in any renderer's format."""

from __future__ import annotations

import click

from changekit.cli.drift import run_analysis, thresholds_options
from changekit.cli.output_file import emit, output_option
from changekit.reports.model import build_report
from changekit.reports.renderer import get_renderer, renderers
from changekit.run.evidence import runs_on


class _FormatChoice(click.Choice):
    """The renderer names, looked up when the command runs (plugins may add some)."""

    def __init__(self) -> None:
        super().__init__(["html", "md", "json", "csv", "junit"])

    def convert(self, value, param, ctx):
        self.choices = sorted(renderers())
        return super().convert(value, param, ctx)


@click.command()
@click.argument("selectors", nargs=-1, metavar="[SELECTOR]...")
@click.option(
    "--format",
    "fmt",
    type=_FormatChoice(),
    default="html",
    show_default=True,
    help="html (one self-contained file), md, json, csv, junit, or a plugin's.",
)
@output_option
@click.option("--title", default="Standardisation report", show_default=True)
@thresholds_options
@click.pass_obj
def report(obj, selectors, fmt, output, title, **analysis):
    """Write the standardisation report: conformance, deviations, evidence, waivers, changes."""
    renderer = get_renderer(fmt)
    ws, result = run_analysis(obj, selectors, **analysis)
    runs = runs_on(ws, result.hosts)
    text = renderer.render(build_report(result, title=title, runs=runs))
    opened = sum(1 for f in result.findings if f.is_open)
    emit(output, text, f"{fmt}, {len(result.hosts)} hosts, {opened} open findings")
