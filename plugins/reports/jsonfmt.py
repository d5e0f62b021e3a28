"""The report as JSON, valid against ``changekit schema report``."""

from __future__ import annotations

from typing import Any

from changekit.api import ReportRenderer, hookimpl, json_document


class JsonRenderer(ReportRenderer):
    name = "json"
    extension = "json"
    description = "the report data, valid against schemas/report.schema.json"

    def render(self, report: dict[str, Any]) -> str:
        return json_document(report) + "\n"


@hookimpl(trylast=True)
def register_report_renderers(register):
    register(JsonRenderer())
