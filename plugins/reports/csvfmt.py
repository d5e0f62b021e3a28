"""The report's findings as CSV: one row per finding, resolved ones included.

Every cell goes through ``csv_cell``: a name from a host that starts like a formula
(``=``, ``+``, ``-``, ``@``, tab, CR) gets a leading ``'`` (OWASP "CSV Injection"), and
control characters are shown as escapes.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from changekit.api import ReportRenderer, csv_cell, hookimpl

COLUMNS = (
    "id",
    "status",
    "severity",
    "kind",
    "host",
    "item",
    "expected",
    "actual",
    "since",
    "scope",
    "rule",
    "waiver",
    "change",
    "scan_id",
    "collected_at",
    "hash",
    "message",
)


class CsvRenderer(ReportRenderer):
    name = "csv"
    extension = "csv"
    description = "one row per finding, for spreadsheets"

    def render(self, report: dict[str, Any]) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for finding in [*report["findings"], *report["resolved"]]:
            ev = finding.get("evidence", {})
            row = {
                **finding,
                "scan_id": ev.get("scan_id"),
                "collected_at": ev.get("collected_at"),
                "hash": ev.get("hash", ""),
            }
            writer.writerow({k: csv_cell(row.get(k)) for k in COLUMNS})
        return out.getvalue()


@hookimpl(trylast=True)
def register_report_renderers(register):
    register(CsvRenderer())
