"""The report as ONE self-contained HTML file: inline CSS, an inline SVG chart, no scripts,
no external assets, so it can be mailed to an auditor or attached to a ticket as is."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

import markupsafe

from changekit.api import ReportRenderer, hookimpl, visible

if TYPE_CHECKING:
    import jinja2

W, H, PAD = 640, 220, 36
PALETTE = ("#8250df", "#bf3989", "#1a7f37", "#9a6700", "#cf222e", "#57606a")


def chart(trend: list[dict[str, Any]]) -> dict[str, Any]:
    """Coordinates of the conformance-over-time line (overall), 0-100 % on the y axis."""
    n = len(trend)
    step = (W - 2 * PAD) / max(n - 1, 1)
    points = []
    for i, t in enumerate(trend):
        x = PAD + i * step if n > 1 else W / 2
        y = PAD + (100 - t["conformance"]) * (H - 2 * PAD) / 100
        points.append(
            {
                "x": round(x, 1),
                "y": round(y, 1),
                "label": t["at"][:16].replace("T", " "),
                "value": t["conformance"],
                "scan": t["scan_id"],
            }
        )
    grid = [
        {"y": round(PAD + (100 - v) * (H - 2 * PAD) / 100, 1), "v": v} for v in (0, 25, 50, 75, 100)
    ]
    series = []  # one dashed line per group, under the overall one
    for k, group in enumerate(sorted({g for t in trend for g in t["groups"]})):
        pts = [
            f"{p['x']},{_y(t['groups'][group])}"
            for p, t in zip(points, trend, strict=True)
            if group in t["groups"]
        ]
        series.append({"name": group, "points": " ".join(pts), "color": PALETTE[k % len(PALETTE)]})
    return {
        "w": W,
        "h": H,
        "pad": PAD,
        "points": points,
        "grid": grid,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "series": series,
    }


def _y(value: float) -> float:
    return round(PAD + (100 - value) * (H - 2 * PAD) / 100, 1)


def _shown(value: Any) -> Any:
    """Every ``{{ }}`` value: autoescaping keeps markup out; this keeps control characters
    and bidirectional overrides from hosts out of the page too."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return visible(value, keep="\n")
    return value


def _env() -> jinja2.Environment:
    import jinja2  # here, not at the top: every command loads this plugin, few render HTML

    return jinja2.Environment(
        autoescape=True, finalize=_shown, trim_blocks=True, lstrip_blocks=True
    )


class HtmlRenderer(ReportRenderer):
    name = "html"
    extension = "html"
    description = "one self-contained HTML file (inline CSS and SVG, no scripts or external assets)"

    def render(self, report: dict[str, Any]) -> str:
        text = resources.files(__package__).joinpath("report.html.j2").read_text(encoding="utf-8")
        template = _env().from_string(text)
        return template.render(
            r=report, s=report["summary"], chart=chart(report["summary"]["trend"])
        )


@hookimpl(trylast=True)
def register_report_renderers(register):
    register(HtmlRenderer())
