"""The review as Markdown (GitHub-flavoured tables), for a wiki page or a ticket.

Text from records, waivers and hosts goes through ``md_text``/``md_code``: it cannot end a
table cell, open a code span or a link, or carry HTML into the rendered page."""

from __future__ import annotations

from typing import Any

from changekit.api import ReviewRenderer, hookimpl, md_code, md_text
from changekit.api import figure_delta as delta
from changekit.api import figure_value as value


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return out + ["| " + " | ".join(row) + " |" for row in rows] + [""]


SHOWN = 25
"""At most this many ids in a cell: a page stays readable at 10,000 changes (the JSON and the
CSV name every one)."""


def _ids(ids: list[str]) -> str:
    if len(ids) > SHOWN:
        return ", ".join(md_code(i) for i in ids[:SHOWN]) + f" and {len(ids) - SHOWN} more"
    return ", ".join(md_code(i) for i in ids)


class MarkdownReview(ReviewRenderer):
    name = "markdown"
    extension = "md"
    description = "Markdown tables with the record ids, for a wiki page or a ticket"

    def render(self, review: dict[str, Any]) -> str:
        return render(review)


@hookimpl(trylast=True)
def register_review_renderers(register):
    register(MarkdownReview())


def render(review: dict[str, Any]) -> str:
    p, q = review["period"], review["previous"]
    scope = ", ".join(f"{k} {md_text(v)}" for k, v in review["scope"].items()) or "all changes"
    lines = [
        f"# Service review {md_text(p['label'])}",
        "",
        f"{md_text(p['start'])} to {md_text(p['end'])} ({scope}), compared with "
        f"{md_text(q['label'])} ({md_text(q['start'])} to {md_text(q['end'])}). Generated "
        f"{md_text(review['generated_at'])} by {md_text(review['generator'])}; every figure "
        "is proven from git history and stored scans.",
        "",
    ]
    for section in review["sections"]:
        if not section["figures"]:
            continue
        lines += [f"## {md_text(section['title'])}", ""]
        rows = [
            [
                md_text(f["figure"]),
                md_text(f["dimension"]),
                value(f["value"], f["unit"]),
                value(f["previous"], f["unit"]),
                delta(f["delta"], f["unit"]),
                _ids(f["records"]),
            ]
            for f in section["figures"]
        ]
        lines += _table(
            ["figure", "", md_text(p["label"]), md_text(q["label"]), "Δ", "records"], rows
        )
    lines += ["## Started outside their window", ""]
    lines += (
        _table(
            ["record", "started", "window", "reason"],
            [
                [
                    md_code(f["record"]),
                    md_text(f["started"]),
                    f"{md_text(f['window_start'])} – {md_text(f['window_end'])}",
                    md_text(f["reason"]),
                ]
                for f in review["forced_starts"]
            ],
        )  # fmt: skip
        if review["forced_starts"]
        else ["None.", ""]
    )
    lines += ["## Freeze exceptions", ""]
    lines += (
        _table(
            ["record", "type", "started", "freeze"],
            [
                [
                    md_code(f["record"]),
                    md_text(f["type"]),
                    md_text(f["started"]),
                    md_text(f["freeze"]),
                ]
                for f in review["freeze_exceptions"]
            ],
        )
        if review["freeze_exceptions"]
        else ["None.", ""]
    )
    if review["waivers"]:
        lines += ["## Waivers", ""]
        lines += _table(
            ["id", "hosts", "item", "approved by", "opened", "expires"],
            [
                [md_code(w["id"]), md_text(", ".join(w["hosts"])), md_text(w["item"]),
                 md_text(w["approved_by"]), md_text(w["opened"]), md_text(w["expires"])]
                for w in review["waivers"]
            ],
        )  # fmt: skip
    observed = review.get("observed")
    if observed:
        lines += _observed(observed)
    lines += ["## Notable events", ""]
    lines += (
        _table(
            ["when", "what", "hosts", "record", ""],
            [
                [
                    md_text(e["time"]),
                    md_text(e["why"]),
                    md_text(", ".join(e["hosts"])),
                    md_code(e["record"]),
                    md_text(e["summary"]),
                ]
                for e in review["timeline"]
            ],
        )  # fmt: skip
        if review["timeline"]
        else ["No failed or rolled-back changes, emergency or forced starts.", ""]
    )
    if review["unproven"]:
        lines += [
            "## Records whose files claim more than git proves",
            "",
            "Counted by what git proves; the claims count for nothing.",
            "",
        ]
        lines += _table(
            ["record", "what"],
            [[md_code(u["record"]), md_text("; ".join(u["problems"]))] for u in review["unproven"]],
        )
    if review["notes"]:
        lines += ["## Notes", ""] + [f"- {md_text(n)}" for n in review["notes"]] + [""]
    return "\n".join(lines)


def _observed(observed: dict[str, Any]) -> list[str]:
    lines = ["## What the scans saw", ""]
    lines += _table(
        ["group", "hosts", "conformance at start", "at end"],
        [
            [md_text(c["group"]), str(c["hosts"]), value(c["start"], "percent"),
             value(c["end"], "percent")]
            for c in observed.get("conformance", [])
        ],
    )  # fmt: skip
    if observed.get("top_items"):
        lines += ["Items that changed most:", ""]
        lines += _table(
            ["item", "hosts", "changes"],
            [
                [md_code(t["item"]), str(t["hosts"]), str(t["changes"])]
                for t in observed["top_items"]
            ],
        )
    if observed.get("top_drift"):
        lines += ["Items drifting on most hosts at the period's end:", ""]
        lines += _table(
            ["item", "hosts"],
            [[md_code(t["item"]), str(t["hosts"])] for t in observed["top_drift"]],
        )
    items = observed.get("changes", {}).get("items", [])
    if items:
        lines += ["Changes no record explained in time:", ""]
        lines += _table(
            ["host", "item", "what", "seen", "status", "record"],
            [
                [md_text(i["host"]), md_code(i["item"]), md_text(i["what"]), md_text(i["seen"]),
                 md_text(i["status"]), md_code(i["record"]) if i.get("record") else ""]
                for i in items
            ],
        )  # fmt: skip
    return lines
