"""The HTML report in a real headless chromium: it loads cleanly and shows the matrix."""

from __future__ import annotations

import pytest

from changekit.reports.renderer import get_renderer
from tests.reports.browser import open_page
from tests.reports.sample import sample_report

pytestmark = pytest.mark.browser


def test_html_report_loads_without_errors_and_shows_the_matrix(tmp_path):
    report = sample_report()
    path = tmp_path / "report.html"
    path.write_text(get_renderer("html").render(report), encoding="utf-8")
    with open_page(path.as_uri()) as page:
        assert page.errors() == []
        rows = page.evaluate("document.querySelectorAll('#matrix tr').length")
        assert rows == len(report["hosts"]) + 1
        visible = page.evaluate(
            "(() => { const r = document.getElementById('matrix').getBoundingClientRect();"
            " return r.width > 100 && r.height > 50; })()"
        )
        assert visible is True
        heads = page.evaluate(
            "[...document.querySelectorAll('#matrix tr:first-child th')].map(t => t.textContent)"
        )
        assert heads == ["host", *report["items"]]
        web04 = page.evaluate(
            "[...document.querySelectorAll('#matrix tr')].find(r => r.cells[0].textContent === 'web04')"
            ".querySelectorAll('td.open').length"
        )
        assert web04 >= 1
        assert page.evaluate("document.querySelectorAll('svg.chart circle').length") == len(
            report["summary"]["trend"]
        )
        assert page.evaluate("document.querySelectorAll('svg.chart polyline.group').length") == len(
            report["groups"]
        )
        assert page.evaluate("document.querySelectorAll('script').length") == 0
        resources = page.evaluate("performance.getEntriesByType('resource').length")
        assert resources == 0  # nothing fetched: the file is self-contained
        assert page.errors() == []


def test_a_broken_page_is_noticed(tmp_path):
    """The harness itself can fail: a console error and a missing asset are reported."""
    path = tmp_path / "bad.html"
    path.write_text(
        "<html><body><img src='missing.png'><script>console.error('boom')</script></body></html>"
    )
    with open_page(path.as_uri()) as page:
        errors = page.errors()
    assert any("boom" in e for e in errors)
    assert any("missing.png" in e or "load failed" in e for e in errors)
