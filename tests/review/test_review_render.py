"""The review's CSV, Markdown and HTML read back by independent parsers: Python's csv module,
markdown-it and html5lib. Hostile text (a formula, table pipes, markup, a terminal escape)
stays text in every format."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import subprocess

import html5lib
from markdown_it import MarkdownIt

from changekit.review import show
from changekit.review.render import get_renderer
from tests.review.conftest import figure, review

HOSTILE = '=HYPERLINK("http://x")|<script>alert(1)</script>`\x1b[31m'
NS = {"h": "http://www.w3.org/1999/xhtml"}


def tag(name: str) -> str:
    return "{" + NS["h"] + "}" + name


def hostile(q4: dict) -> dict:
    data = copy.deepcopy(q4)
    f = figure(data, "by class", "IMAC")
    f["dimension"] = HOSTILE
    rid = f["records"][0]
    data["records"][rid]["title"] = HOSTILE
    data["forced_starts"][0]["reason"] = HOSTILE
    return data


def test_csv_one_row_per_figure_read_back(q4, workspace):
    text = review(workspace, "--quarter", "2026Q4", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    figures = [f for s in q4["sections"] for f in s["figures"]]
    assert len(rows) == len(figures)
    for row, f in zip(rows, figures, strict=True):
        assert (row["section"], row["figure"], row["dimension"]) == (
            f["section"], f["figure"], f["dimension"],
        )  # fmt: skip
        assert row["value"] == show.number(f["value"])
        assert row["delta"] == show.number(f["delta"])
        assert row["record_ids"].split() == f["records"]
    lead = next(r for r in rows if r["figure"] == "filed to approved" and r["dimension"] == "p90")
    assert (lead["value"], lead["previous"], lead["delta"]) == ("86400", "90000", "-3600")


def test_csv_neutralises_formulas(q4):
    rows = list(csv.DictReader(io.StringIO(get_renderer("csv").render(hostile(q4)))))
    (row,) = [r for r in rows if r["figure"] == "by class" and "HYPERLINK" in r["dimension"]]
    assert row["dimension"].startswith("'=")
    assert "\x1b" not in row["dimension"]


def test_markdown_keeps_hostile_text_inside_its_cell(q4):
    text = get_renderer("markdown").render(hostile(q4))
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<script>" not in html
    assert "\x1b" not in text
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    for table in tree.iter("table"):
        head = len(table.find("thead/tr").findall("th"))
        for tr in table.iter("tr"):
            assert len(tr) == head  # no cell split by a pipe from the data
    assert "# Service review 2026Q4" in text


def test_html_parses_every_figure_links_to_its_records(q4, workspace, tmp_path):
    out = tmp_path / "review.html"
    review(workspace, "--quarter", "2026Q4", "-o", str(out))
    tree = html5lib.parse(out.read_text(encoding="utf-8"))
    ids = {e.get("id") for e in tree.iter() if e.get("id")}
    hrefs = [e.get("href") for e in tree.iter(tag("a")) if e.get("href")]
    assert hrefs and all(h.startswith("#") for h in hrefs)
    assert {h[1:] for h in hrefs} <= ids  # every anchor resolves
    assert {f"rec-{r}" for r in q4["records"]} <= ids
    for section in q4["sections"]:
        for f in section["figures"]:
            assert f["id"] in ids
            (cell,) = tree.findall(f".//h:td[@data-figure='{f['id']}']", NS)
            assert "".join(cell.itertext()) == show.value(f["value"], f["unit"])
    assert not list(tree.iter(tag("script")))
    (csp,) = [m for m in tree.iter(tag("meta")) if m.get("http-equiv")]
    assert "default-src 'none'" in csp.get("content")


def test_html_shows_hostile_text_as_text(q4):
    text = get_renderer("html").render(hostile(q4))
    tree = html5lib.parse(text)
    assert not list(tree.iter(tag("script")))
    assert "<script>alert" not in text
    assert "\x1b" not in text
    assert any(HOSTILE[:20] in "".join(td.itertext()) for td in tree.iter(tag("td")))


def test_output_to_a_symlink_and_a_fifo(workspace, tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    review(workspace, "--quarter", "2026Q4", "--format", "json", "-o", str(link))
    assert link.is_symlink()
    assert json.loads(target.read_text())["period"]["label"] == "2026Q4"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    review(workspace, "--quarter", "2026Q4", "--format", "csv", "-o", str(fifo))
    assert reader.communicate(timeout=30)[0].startswith(b"section,figure,")


def test_a_hostile_output_name_is_shown_escaped(workspace, tmp_path):
    out = tmp_path / "rev\x1b[31mred\u202e.json"
    result = review(workspace, "--quarter", "2026Q4", "--format", "json", "-o", str(out))
    assert json.loads(out.read_text())["period"]["label"] == "2026Q4"
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert "wrote " in result.stderr


def test_the_schema_is_published(run_cli):
    listed = run_cli("schema").stdout.split()
    assert "review" in listed
    assert json.loads(run_cli("schema", "review").stdout)["title"] == "changekit service review"


def test_bad_options_are_clear_errors(workspace):
    for args, message in (
        (("--quarter", "2026Q5"), "--quarter '2026Q5' is not a quarter"),
        (("--month", "2026-13"), "--month '2026-13' is not a month"),
        (("--from", "2026-10-01"), "--from and --to go together"),
        (("--from", "2026-10-31", "--to", "2026-10-01"), "is before --from"),
        (("--quarter", "2026Q4", "--month", "2026-11"), "give one period"),
        (("--customer", "acme", "--group", "acme"), "give one of --customer"),
        (("--tz", "Mars/Olympus"), "is not a time zone"),
    ):
        result = review(workspace, *args, code=3)  # InputError
        assert message in result.output
        assert "Traceback" not in result.output


def test_a_plugin_adds_a_review_format(workspace):
    """``register_review_renderers``: a plugin's format is offered by ``--format``."""
    from changekit.api import ReviewRenderer, hookimpl
    from changekit.plugins import get_manager

    class Count(ReviewRenderer):
        name = "count"
        extension = "txt"

        def render(self, review):
            return f"{sum(len(s['figures']) for s in review['sections'])} figures\n"

    class Plugin:
        @hookimpl
        def register_review_renderers(self, register):
            register(Count())

    pm = get_manager()
    plugin = Plugin()
    pm.register(plugin, name="test-review-count")
    try:
        out = review(workspace, "--quarter", "2026Q4", "--format", "count").stdout
        assert out.endswith(" figures\n") and int(out.split()[0]) > 40
    finally:
        pm.unregister(plugin)
    assert "count" not in review(workspace, "--format", "nope", code=2).output.split("'")[1:2]
