"""The review's output formats, by ``--format`` name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FORMATS = ("html", "markdown", "json", "csv")


def renderer(name: str) -> Callable[[dict[str, Any]], str]:
    from changekit.review import render_csv, render_html, render_json, render_markdown

    return {
        "html": render_html.render,
        "markdown": render_markdown.render,
        "json": render_json.render,
        "csv": render_csv.render,
    }[name]
