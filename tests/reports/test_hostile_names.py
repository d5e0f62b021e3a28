"""What hosts report reaches every report format harmless, checked with third-party parsers:
lxml against Jenkins' JUnit schema, Python's csv module, markdown-it-py and html5lib."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import html5lib
import pytest
from lxml import etree
from markdown_it import MarkdownIt

from changekit.reports.renderer import get_renderer
from changekit.textsafe import visible
from tests.reports.sample import HOSTILE, hostile_report, sample_report

JUNIT_XSD = Path(__file__).resolve().parent.parent / "data" / "jenkins-junit-10.xsd"
# Characters no output may carry raw (XML 1.0 forbids most; terminals act on the rest).
RAW = [chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x202E]]


@pytest.fixture(scope="module")
def report():
    return hostile_report()


def _no_raw_controls(text: str) -> None:
    assert [c for c in RAW if c in text] == []


def _kept(text: str) -> None:
    """Letters of any script come through as they are."""
    assert HOSTILE["ja"] in text and HOSTILE["ar"] in text


@pytest.mark.parametrize("make", [sample_report, hostile_report])
def test_junit_is_xml_1_0_and_valid_against_the_jenkins_schema(make):
    xml = get_renderer("junit").render(make())
    _no_raw_controls(xml)
    root = etree.fromstring(xml.encode())  # lxml's parser refuses what XML 1.0 forbids
    schema = etree.XMLSchema(etree.parse(str(JUNIT_XSD)))
    assert schema.validate(root), schema.error_log
    assert root.get("skipped") is None  # only <testsuite> has it in the schema


@pytest.mark.parametrize("make", [sample_report, hostile_report])
def test_junit_reads_in_expat_and_junitparser(make, tmp_path):
    from xml.parsers import expat

    from junitparser import JUnitXml

    xml = get_renderer("junit").render(make())
    expat.ParserCreate().Parse(xml.encode(), True)  # raises ExpatError on malformed XML
    path = tmp_path / "report.xml"
    path.write_text(xml, encoding="utf-8")
    suites = JUnitXml.fromfile(str(path))
    cases = [case for suite in suites for case in suite]
    root = etree.fromstring(xml.encode())
    assert len(cases) == len(root.findall(".//testcase")) > 0
    failed = [c for c in cases if not c.is_passed and not c.is_skipped]
    assert len(failed) == len(root.findall(".//testcase/failure"))
    assert all(c.name for c in cases)


def test_junit_keeps_the_names_visible(report):
    root = etree.fromstring(get_renderer("junit").render(report).encode())
    text = " ".join([*(v for el in root.iter() for v in el.attrib.values()), *root.itertext()])
    _kept(text)
    assert visible(HOSTILE["esc"]) in text  # esc\x1b[31mred... as printable text
    assert "\\x00\\x01\\x08\\x0b\\x0c\\x0e\\x1f\\x7fend" in text
    assert HOSTILE["script"] in text  # an attribute value, escaped by the serializer
    assert root.get("name") == "Report <script>alert(1)</script>" + visible(HOSTILE["esc"])


def test_csv_cells_cannot_start_a_formula(report):
    rows = list(csv.DictReader(io.StringIO(get_renderer("csv").render(report))))
    actual = {r["actual"] for r in rows if r["kind"] == "time"}
    assert {
        "'=cmd|' /C calc'!A0",
        "'+1",
        "'-2",
        "'@SUM(1)",
        "'\\x09=1+1",
        "'\\x0d=1+1",
        "<script>alert(1)</script>",
        "a|b",
        "back`tick`",
        'it\'s "quoted"',
        "evil\\u202egnp.exe",
        "ctl\\x00\\x01\\x08\\x0b\\x0c\\x0e\\x1f\\x7fend",
        "esc\\x1b[31mred\\x1b[0m\\x1b]0;title\\x07",
        "日本語",
        "العربية",
    } == actual
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
            _no_raw_controls(cell)


def _tables(tokens):
    """Column counts of each rendered table: the header's, then each body row's."""
    tables, cells = [], None
    for tok in tokens:
        if tok.type == "table_open":
            tables.append([])
        elif tok.type == "tr_open":
            cells = 0
        elif tok.type in ("th_open", "td_open"):
            cells += 1
        elif tok.type == "tr_close":
            tables[-1].append(cells)
    return tables


def test_markdown_keeps_its_tables_and_carries_no_html(report):
    md = get_renderer("md").render(report)
    _no_raw_controls(md)
    parser = MarkdownIt("commonmark", {"html": True}).enable("table")  # raw HTML allowed
    tables = _tables(parser.parse(md))
    assert len(tables) >= 4
    for counts in tables:
        assert len(set(counts)) == 1, counts  # every row as wide as the header
    doc = html5lib.parse(parser.render(md), namespaceHTMLElements=False)
    assert doc.findall(".//script") == []
    text = "".join(doc.itertext())
    _kept(text)
    assert HOSTILE["script"] in text and "back`tick`" in text and "a|b" in text
    assert "Report <script>alert(1)</script>" in doc.find(".//h1").text
    assert "evil\\u202egnp.exe" in text


def test_markdown_code_span_survives_backticks():
    from changekit.textsafe import md_code

    parser = MarkdownIt("commonmark")
    for value in ("plain", "a`b", "``x``", "`", "<b>"):
        html = parser.render(md_code(value))
        doc = html5lib.parse(html, namespaceHTMLElements=False)
        assert doc.find(".//code").text == value


def test_html_report_escapes_markup_and_shows_controls(report):
    html = get_renderer("html").render(report)
    _no_raw_controls(html)
    doc = html5lib.parse(html, namespaceHTMLElements=False)
    assert doc.findall(".//script") == []
    text = "".join(doc.itertext())
    _kept(text)
    assert HOSTILE["script"] in text and "=cmd|' /C calc'!A0" in text
    assert visible(HOSTILE["esc"]) in text and "evil\\u202egnp.exe" in text


def test_json_keeps_the_exact_names_without_raw_controls(report):
    import json

    text = get_renderer("json").render(report)
    _no_raw_controls(text)
    text.encode("utf-8")  # no lone surrogate either
    data = json.loads(text)
    assert {f["actual"] for f in data["findings"] if f["kind"] == "time"} == set(HOSTILE.values())
    _kept(text)  # other scripts are not \\u-escaped
