"""The report renderer interface and the registry of renderers plugins offer."""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from changekit.plugins import by_name, named


class ReportRenderer(abc.ABC):
    """Formats the report dict (``changekit.reports.model.build_report``) as one file."""

    name: ClassVar[str]
    """The ``--format`` value, e.g. ``html``."""
    extension: ClassVar[str]
    """The file name extension, without the dot."""
    description: ClassVar[str] = ""

    @abc.abstractmethod
    def render(self, report: dict[str, Any]) -> str:
        """The whole file's text."""


def renderers() -> dict[str, ReportRenderer]:
    """Every renderer by name; the first registration of a name wins (plugins before built-ins)."""
    return by_name("register_report_renderers")


def get_renderer(name: str) -> ReportRenderer:
    return named("register_report_renderers", name, "report renderer")
