"""The HTML review in a real headless chromium: it loads without errors or requests, the
charts have one bar per figure and period, the numbers shown are the JSON's, and every
anchor resolves."""

from __future__ import annotations

import json

import pytest

from changekit.review import show
from tests.reports.browser import open_page
from tests.review.conftest import review

pytestmark = pytest.mark.browser


def test_html_review_in_chromium(q4, workspace, tmp_path):
    path = tmp_path / "review.html"
    review(workspace, "--quarter", "2026Q4", "--format", "html", "-o", str(path))
    figures = [f for s in q4["sections"] for f in s["figures"]]

    def count(name: str) -> int:
        return sum(1 for f in figures if f["figure"] == name)

    with open_page(path.as_uri()) as page:
        assert page.errors() == []
        assert page.evaluate("document.querySelectorAll('script').length") == 0
        assert page.evaluate("performance.getEntriesByType('resource').length") == 0
        for chart, n in (
            ("chart-outcome", count("by outcome")),
            ("chart-class", count("by class")),
            ("chart-quota", count("quota use IMAC")),
        ):
            assert page.evaluate(f"document.querySelectorAll('#{chart} rect.bar.now').length") == n
            assert page.evaluate(f"document.querySelectorAll('#{chart} rect.bar.prev').length") == n
        tall = page.evaluate(
            "[...document.querySelectorAll('#chart-outcome rect.bar.now')]"
            ".map(r => [r.dataset.value, r.getBoundingClientRect().height])"
        )
        assert [v for v, _h in tall] == [
            show.number(f["value"]) for f in figures if f["figure"] == "by outcome"
        ]
        assert max(tall, key=lambda t: t[1])[0] == "4"  # the tallest bar: 4 completed
        shown = json.loads(
            page.evaluate(
                "JSON.stringify(Object.fromEntries([...document.querySelectorAll('td.value')]"
                ".map(td => [td.dataset.figure, td.textContent])))"
            )
        )
        assert shown == {f["id"]: show.value(f["value"], f["unit"]) for f in figures}
        broken = page.evaluate(
            "[...document.querySelectorAll('a[href^=\"#\"]')]"
            ".filter(a => !document.getElementById(a.getAttribute('href').slice(1)))"
            ".map(a => a.getAttribute('href'))"
        )
        assert broken == []
        behind = page.evaluate(
            "[...document.getElementById('f3').querySelectorAll('a')].map(a => a.textContent)"
        )
        assert behind == figures[2]["records"] + figures[2]["previous_records"]
        assert page.errors() == []
