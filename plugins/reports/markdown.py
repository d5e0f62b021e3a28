"""The report as Markdown (GitHub-flavoured tables), for a wiki page or a pull request.

Text from hosts and records goes through ``md_text`` (or ``md_code``): it cannot end a table
cell, open a code span or a link, or carry HTML into the rendered page.
"""

from __future__ import annotations

from typing import Any

from changekit.api import ReportRenderer, hookimpl, md_code, md_text

MARK = {"open": "✗", "waived": "W", "explained": "C", "recorded_late": "L", "resolved": "✓"}


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(md_text(h) for h in head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(md_text(c) for c in row) + " |" for row in rows]
    return out + [""]


class MarkdownRenderer(ReportRenderer):
    name = "md"
    extension = "md"
    description = "Markdown, for a wiki page or a pull request"

    def render(self, report: dict[str, Any]) -> str:
        s = report["summary"]
        scan = report["scan"]
        lines = [
            f"# {md_text(report['title'])}",
            "",
            f"Scan {md_code(scan['scan_id'])} at {md_text(scan['at'])}; generated "
            f"{md_text(report['generated_at'])} by {md_text(report['generator'])}.",
            "",
        ]
        prev = s["previous_conformance"]
        trend = "" if prev is None else f" (previous scan: {prev:.1f} %)"
        lines += [
            "## Summary",
            "",
            f"- Conformance: **{s['conformance']:.1f} %** of {s['hosts']} hosts{trend}",
            f"- Open deviations: {s['open']}; waived: {s['waived']}; explained by change "
            f"records: {s['explained']}; recorded late: {s.get('recorded_late', 0)}; "
            f"resolved: {s['resolved']}",
        ]
        for fail in s.get("scan_failed", []):
            lines.append(
                f"- Scan failed: {md_text(fail['host'])}: {md_text(fail['reason'])} "
                "(counted as not conforming"
                + (
                    f"; judged on its snapshot from {md_text(fail['last_good'])})"
                    if fail.get("last_good")
                    else ")"
                )
            )
        if s["unscanned"]:
            lines.append(f"- Never scanned: {md_text(', '.join(s['unscanned']))}")
        lines.append("")
        lines += _table(
            ["group", "conformance"], [[g, f"{v:.1f} %"] for g, v in sorted(s["groups"].items())]
        )
        lines += ["## Conformance over time", ""]
        lines += _table(
            ["scan", "at", "conformance"],
            [[t["scan_id"], t["at"], f"{t['conformance']:.1f} %"] for t in s["trend"]],
        )
        lines += [
            "## Deviations by host",
            "",
            "✗ open, W waived, C explained by a change record, "
            "L recorded late (approved only after the scan that saw it), ✓ resolved",
            "",
        ]
        if report["items"]:
            rows = [
                [r["host"]]
                + [
                    MARK[r["cells"][i]["status"]] if i in r["cells"] else ""
                    for i in report["items"]
                ]
                for r in report["matrix"]
            ]
            lines += _table(["host", *report["items"]], rows)
        else:
            lines += ["No deviations.", ""]
        lines += ["## Findings", ""]
        lines += _table(
            ["id", "status", "severity", "host", "item", "expected", "actual", "since", "evidence"],
            [
                [
                    f["id"],
                    f["status"]
                    + (f" ({f.get('waiver') or f.get('change')})" if f["status"] != "open" else ""),
                    f["severity"],
                    f["host"],
                    f["item"],
                    f["expected"],
                    f["actual"],
                    f.get("since", ""),
                    f"scan {f['evidence'].get('scan_id')}"
                    + (f", sha256 {f['evidence']['hash']}" if f["evidence"].get("hash") else ""),
                ]
                for f in [*report["findings"], *report["resolved"]]
            ],
        )
        lines += ["## Unrecorded changes", ""]
        if report["scan"].get("period_from_at"):
            lines += [
                "Every change observed between the scans of "
                f"{md_text(report['scan']['period_from_at'])} and {md_text(report['scan']['at'])}.",
                "",
            ]
        lines += (
            _table(
                ["host", "item", "before", "after", "between"],
                [
                    [
                        f["host"],
                        f["item"]
                        + (
                            f" (with {len(f['evidence']['folded'])} more)"
                            if f["evidence"].get("folded")
                            else ""
                        ),
                        f["expected"],
                        f["actual"],
                        f"{f['evidence'].get('previous_collected_at')} – {f['evidence'].get('collected_at')}",
                    ]
                    for f in report["unrecorded_changes"]
                ],
            )
            if report["unrecorded_changes"]
            else ["None.", ""]
        )
        late = [f for f in report["findings"] if f["status"] == "recorded_late"]
        lines += ["## Changes recorded late", ""]
        lines += (
            _table(
                ["host", "item", "before", "after", "between", "record"],
                [
                    [
                        f["host"],
                        f["item"],
                        f["expected"],
                        f["actual"],
                        f"{f['evidence'].get('previous_collected_at')} – {f['evidence'].get('collected_at')}",
                        f.get("change"),
                    ]
                    for f in late
                ],
            )
            if late
            else ["None: every recorded change was approved before a scan saw it.", ""]
        )
        lines += ["## Waivers", ""]
        lines += (
            _table(
                ["id", "hosts", "item", "approved by", "expires", "state", "justification"],
                [
                    [
                        w["id"],
                        ", ".join(w["hosts"]),
                        w.get("item") or w.get("finding"),
                        w["approved_by"],
                        w["expires"],
                        "EXPIRED" if w["expired"] else "current",
                        w["justification"],
                    ]
                    for w in report["waivers"]
                ],
            )
            if report["waivers"]
            else ["None.", ""]
        )
        if report.get("runs"):
            lines += ["## Changes carried out by changekit", ""]
            lines += _table(
                ["record", "status", "run", "result", "hosts", "transcripts"],
                [
                    [
                        r["record"],
                        r["status"],
                        r["run"],
                        r["result"],
                        ", ".join(f"{h}: {s}" for h, s in r["hosts"].items()),
                        r["transcripts"],
                    ]
                    for r in report["runs"]
                ],
            )
        return "\n".join(lines)


@hookimpl(trylast=True)
def register_report_renderers(register):
    register(MarkdownRenderer())
