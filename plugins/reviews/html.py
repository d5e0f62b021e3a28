"""The review as ONE self-contained HTML file: inline CSS and SVG bar charts, no scripts
(a Content-Security-Policy meta forbids them), no external assets. Every figure links to the
list of its records, and every record has a row ``id="rec-<ID>"``."""

from __future__ import annotations

import html
from importlib import resources
from typing import Any

import jinja2
import markupsafe

from changekit.api import (
    ReviewRenderer,
    figure_delta,
    figure_number,
    figure_value,
    hookimpl,
    visible,
)

W, H, PAD, TOP = 640, 220, 36, 16


def bars(figures: list[dict[str, Any]], label: str = "dimension") -> dict[str, Any]:
    """Grouped bars, the period's beside the previous period's, for count figures."""
    shown = [f for f in figures if f["unit"] == "count"]
    top = max([f["value"] or 0 for f in shown] + [f["previous"] or 0 for f in shown] + [1])
    top = max(top, max((f.get("limit") or 0 for f in shown), default=0))
    slot = (W - 2 * PAD) / max(len(shown), 1)
    width = min(28.0, slot / 2.5)
    scale = (H - PAD - TOP) / top
    out = []
    for i, f in enumerate(shown):
        x = PAD + i * slot + slot / 2
        for kind, v, dx in (("prev", f["previous"], -width), ("now", f["value"], 0.0)):
            h = (v or 0) * scale
            out.append(
                {
                    "cls": kind,
                    "x": round(x + dx, 1),
                    "y": round(H - PAD - h, 1),
                    "w": round(width, 1),
                    "h": round(h, 1),
                    "value": v,
                    "figure": f["id"],
                    "label": f[label],
                }
            )
    limits = sorted({f["limit"] for f in shown if f.get("limit")})
    return {
        "w": W,
        "h": H,
        "pad": PAD,
        "bars": out,
        "labels": [
            {"x": round(PAD + i * slot + slot / 2, 1), "text": f[label]}
            for i, f in enumerate(shown)
        ],
        "limits": [{"y": round(H - PAD - v * scale, 1), "v": v} for v in limits],
        "top": top,
    }


def _shown(value: Any) -> Any:
    """Every ``{{ }}`` value: autoescaping keeps markup out; this keeps control characters
    and bidirectional overrides from records out of the page too."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return visible(value, keep="\n")
    return value


class HtmlReview(ReviewRenderer):
    name = "html"
    extension = "html"
    description = "one self-contained HTML file (inline CSS and SVG charts, no scripts)"

    def render(self, review: dict[str, Any]) -> str:
        return render(review)


@hookimpl(trylast=True)
def register_review_renderers(register):
    register(HtmlReview())


def render(review: dict[str, Any]) -> str:
    text = resources.files(__package__).joinpath("review.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, finalize=_shown, trim_blocks=True, lstrip_blocks=True)
    env.filters["value"] = figure_value
    env.filters["delta"] = figure_delta
    env.filters["number"] = figure_number
    sections = {s["id"]: s["figures"] for s in review["sections"]}
    charts = []
    for title, section, figure in (
        ("Changes by outcome", "changes", "by outcome"),
        ("Changes by class", "changes", "by class"),
    ):
        picked = [f for f in sections[section] if f["figure"] == figure]
        if picked:
            charts.append({"id": f"chart-{figure.split()[-1]}", "title": title, **bars(picked)})
    quota = [f for f in sections["quotas"] if f["figure"].startswith("quota use")]
    if quota:
        charts.append({"id": "chart-quota", "title": "Quota use per month", **bars(quota)})
    figures = [f for s in review["sections"] for f in s["figures"]]
    behind = {
        f["id"]: (_links(f, f["records"], review), _links(f, f["previous_records"], review))
        for f in figures
    }
    return env.from_string(text).render(r=review, charts=charts, figures=figures, behind=behind)


def _links(figure: dict[str, Any], ids: list[str], review: dict[str, Any]) -> markupsafe.Markup:
    """The ids behind a figure, each a link to its row (a figure of 10,000 changes has
    10,000 of them: joined here, not in a template loop)."""
    if not ids:
        return markupsafe.Markup("none")
    prefix = "waiver-" if figure["section"] == "waivers" else "rec-"
    known = None if prefix == "waiver-" else review["records"]
    out = []
    for i in ids:
        shown = html.escape(visible(i), quote=True)
        out.append(
            f'<a href="#{prefix}{shown}">{shown}</a>' if known is None or i in known else shown
        )
    return markupsafe.Markup(", ".join(out))  # every part escaped above
