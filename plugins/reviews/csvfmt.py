"""The review as CSV: one row per figure, for a spreadsheet.

Text cells go through ``csv_cell`` (a cell that would start a formula, ``= + - @``, tab or
CR, gets a leading ``'``; control characters are shown as escapes), as the CSV report does.
The numeric columns are numbers changekit computed, written as plain numbers (a negative
delta stays ``-2``: a spreadsheet reads a lone number as a number, not a formula).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from changekit.api import ReviewRenderer, csv_cell, hookimpl
from changekit.api import figure_number as number

COLUMNS = (
    "section",
    "figure",
    "dimension",
    "unit",
    "value",
    "previous",
    "delta",
    "record_ids",
    "previous_record_ids",
)


class CsvReview(ReviewRenderer):
    name = "csv"
    extension = "csv"
    description = "one row per figure, with the record ids behind it, for spreadsheets"

    def render(self, review: dict[str, Any]) -> str:
        return render(review)


@hookimpl(trylast=True)
def register_review_renderers(register):
    register(CsvReview())


def render(review: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for section in review["sections"]:
        for f in section["figures"]:
            writer.writerow(
                [
                    csv_cell(f["section"]),
                    csv_cell(f["figure"]),
                    csv_cell(f["dimension"]),
                    f["unit"],
                    number(f["value"]),
                    number(f["previous"]),
                    number(f["delta"]),
                    csv_cell(" ".join(f["records"])),
                    csv_cell(" ".join(f["previous_records"])),
                ]
            )
    return out.getvalue()
