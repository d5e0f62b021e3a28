"""Every renderer's output read back with an independent parser."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import jsonschema
import pytest

from changekit.reports.renderer import get_renderer, renderers
from changekit.yamlfile import load_schema
from tests.reports.sample import sample_report


@pytest.fixture(scope="module")
def report():
    return sample_report()


def test_builtin_renderers_are_registered():
    assert {"html", "md", "json", "csv", "junit"} <= set(renderers())


def test_json_is_valid_against_the_report_schema(report):
    data = json.loads(get_renderer("json").render(report))
    validator = jsonschema.Draft202012Validator(
        load_schema("report"), format_checker=jsonschema.FormatChecker()
    )
    assert list(validator.iter_errors(data)) == []
    s = data["summary"]
    opened = len([f for f in data["findings"] if f["status"] == "open"])
    assert (s["open"], s["waived"], s["explained"]) == (opened, 1, 1)
    assert s["accounted_for"] is False
    assert {f["status"] for f in data["findings"]} == {"open", "waived", "explained"}
    assert [t["conformance"] for t in s["trend"]] == [
        0.0,
        0.0,
        0.0,
    ]  # the standard's conf hash: nobody matches
    expired = {w["id"]: w["expired"] for w in data["waivers"]}
    assert expired == {"W-tz": False, "W-old": True}


def test_every_deviation_is_open_waived_explained_or_resolved(report):
    statuses = {
        (f["host"], f["item"]): f["status"] for f in report["findings"] if f["kind"] != "time"
    }
    changes = {
        (f["host"], f["item"]): f["status"] for f in report["findings"] if f["kind"] == "time"
    }
    assert statuses[("web02", "dpkg:tzdata")] == "waived"
    assert changes[("web05", "dpkg:gcc-12")] == "explained"  # by CHG-20261121-gcc001
    assert (
        changes[("web02", "dpkg:tzdata")] == "open"
    )  # a waiver does not hide an unrecorded change
    # only web05 has it: peers flag it, and standard web-baseline forbids it: one root cause,
    # the standard's finding (a failed check) with the peer finding as its part
    assert statuses[("web05", "dpkg:gcc*")] == "open"
    gcc = next(f for f in report["findings"] if f["item"] == "dpkg:gcc*")
    assert [(p["item"], p["rule"]) for p in gcc["evidence"]["parts"]] == [
        ("dpkg:gcc-12", "only-on-few-hosts")
    ]
    assert statuses[("web06", "files:/etc/apache2/apache2.conf")] == "open"  # its waiver expired
    assert statuses[("web04", "perl:PDF::API2")] == "open"
    # web04 lost PDF::API2 two scans ago: still an unrecorded change of the period (QA #5)
    assert [f["host"] for f in report["unrecorded_changes"]] == ["web02", "web04", "web06"]


def test_csv_has_one_row_per_finding(report):
    rows = list(csv.DictReader(io.StringIO(get_renderer("csv").render(report))))
    assert len(rows) == len(report["findings"]) + len(report["resolved"])
    web04 = next(
        r
        for r in rows
        if r["host"] == "web04" and r["item"] == "perl:PDF::API2" and r["kind"] == "peers"
    )
    assert web04["actual"] == "missing" and web04["since"] == "2026-11-21T10:00:00+00:00"
    assert web04["scan_id"] == "20261122T100000Z-cccc"


def test_junit_has_a_case_per_host_and_requirement(report):
    root = ET.fromstring(get_renderer("junit").render(report))
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"standard web-baseline", "peers", "changes"}
    std = suites["standard web-baseline"]
    cases = std.findall("testcase")
    assert len(cases) == 6 * 8 == int(std.get("tests"))
    failed = [c for c in cases if c.find("failure") is not None]
    assert int(std.get("failures")) == len(failed)
    names = {(c.get("classname"), c.get("name")) for c in failed}
    assert ("web-baseline.web04", "present perl:PDF::API2") in names
    assert ("web-baseline.web05", "absent dpkg:gcc*") in names
    assert ("web-baseline.web01", "present perl:PDF::API2") not in names
    peers = suites["peers"]
    tz = next(c for c in peers.findall("testcase") if c.get("name") == "web02")
    assert tz.find("skipped") is not None and "W-tz" in tz.find("skipped").get("message")
    changes = {c.get("name"): c for c in suites["changes"].findall("testcase")}
    assert changes["web05"].find("skipped") is not None  # explained by the change record
    assert changes["web02"].find("failure") is not None  # unrecorded
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values())


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.external, self.matrix_cells, self._in_matrix, self.text = (
            [],
            [],
            [],
            False,
            [],
        )

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        for key in ("src", "href"):
            if a.get(key) and not a[key].startswith(("#", "data:")):
                self.external.append(a[key])
        if tag == "table" and a.get("id") == "matrix":
            self._in_matrix = True
        if self._in_matrix and tag == "td":
            self.matrix_cells.append(a.get("class"))

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_matrix = False

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_one_self_contained_file(report):
    html = get_renderer("html").render(report)
    parser = _Collect()
    parser.feed(html)
    assert parser.external == []
    assert "script" not in parser.tags and "svg" in parser.tags and "style" in parser.tags
    assert (
        {"open", "none"}
        <= set(parser.matrix_cells)
        <= {"open", "waived", "explained", "resolved", "none"}
    )
    assert len(parser.matrix_cells) == len(report["hosts"]) * len(report["items"])
    text = "".join(parser.text)
    assert "EXPIRED (hides nothing)" in text and "CHG-20261121-gcc001" in text
    assert "<b>&" not in html  # values are escaped


def test_markdown_lists_matrix_and_waivers(report):
    md = get_renderer("md").render(report)
    assert (
        "| host | dpkg:gcc-12 |" in md.replace("dpkg:gcc-12 | dpkg:tzdata", "dpkg:gcc-12 |")
        or "dpkg:gcc-12" in md
    )
    assert "| W-old | web06 |" in md and "EXPIRED" in md
    assert "## Unrecorded changes" in md


def test_a_plugin_renderer_overrides_a_builtin(report):
    from changekit.api import ReportRenderer, hookimpl
    from changekit.plugins import get_manager

    class Loud(ReportRenderer):
        name = "md"
        extension = "md"

        def render(self, report):
            return "LOUD"

    class Plugin:
        @hookimpl
        def register_report_renderers(self, register):
            register(Loud())

    pm = get_manager()
    pm.register(Plugin(), "loud")
    try:
        assert get_renderer("md").render(report) == "LOUD"
    finally:
        pm.unregister(name="loud")
    assert get_renderer("md").render(report) != "LOUD"
