"""The report renderer interface and the registry of renderers plugins offer."""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from changekit.errors import NotFoundError
from changekit.plugins import collect


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
    found: dict[str, ReportRenderer] = {}
    for renderer in collect("register_report_renderers"):
        found.setdefault(renderer.name, renderer)
    return found


def get_renderer(name: str) -> ReportRenderer:
    available = renderers()
    if name not in available:
        raise NotFoundError(
            f"no report renderer named {name!r}",
            hint=f"available: {', '.join(sorted(available))}",
        )
    return available[name]
