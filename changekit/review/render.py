"""The review renderer interface and the registry of renderers plugins offer (the built-in
html, markdown, json and csv are plugins too: ``plugins/reviews/``)."""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from changekit.plugins import by_name, named


class ReviewRenderer(abc.ABC):
    """Formats the review dict (``changekit.review.build.build_review``, described by
    ``schemas/review.schema.json``) as one file."""

    name: ClassVar[str]
    """The ``--format`` value, e.g. ``html``."""
    extension: ClassVar[str]
    description: ClassVar[str] = ""

    @abc.abstractmethod
    def render(self, review: dict[str, Any]) -> str:
        """The whole file's text."""


def renderers() -> dict[str, ReviewRenderer]:
    """Every renderer by name; the first registration of a name wins (plugins before built-ins)."""
    return by_name("register_review_renderers")


def get_renderer(name: str) -> ReviewRenderer:
    return named("register_review_renderers", name, "review renderer")
