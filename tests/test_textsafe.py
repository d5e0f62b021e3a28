"""The helpers every output uses for text from hosts and records."""

from __future__ import annotations

import csv
import io

import pytest

from changekit.textsafe import csv_cell, json_text, md_text, visible, xml_text


def test_visible_shows_control_characters_and_keeps_letters():
    assert visible("a\x00b\x1b[2J\x7f\x9b") == "a\\x00b\\x1b[2J\\x7f\\x9b"
    assert visible("evil\u202egnp\u2066.exe") == "evil\\u202egnp\\u2066.exe"
    assert visible("日本語 العربية Ελληνικά é") == "日本語 العربية Ελληνικά é"
    assert visible("a\nb\tc", keep="\n") == "a\nb\\x09c"
    assert visible(None) == "" and visible(3) == "3"


def test_xml_text_drops_what_xml_1_0_forbids():
    assert xml_text("\ud800x\ufffe\x0b\n") == "\\ud800x\\ufffe\\x0b\n"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-2", "'-2"),  # no column is numeric: a negative number is neutralised too
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1+1", "'\\x09=1+1"),
        ("\r=1+1", "'\\x0d=1+1"),
        ("2.4.62-1~deb12u2", "2.4.62-1~deb12u2"),
        ("a=b", "a=b"),
        (None, ""),
    ],
)
def test_csv_cell_reads_back_as_the_neutralised_text(value, cell):
    out = io.StringIO()
    csv.writer(out).writerow([csv_cell(value), "x"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [cell, "x"]


def test_md_text_escapes_what_markdown_would_act_on():
    assert md_text("a|b`c`<i>&\\") == "a\\|b\\`c\\`&lt;i&gt;&amp;\\\\"
    assert md_text("[x](javascript:1) *y*") == "\\[x\\](javascript:1) \\*y\\*"
    assert md_text("line\nbreak") == "line\\\\x0abreak"  # renders as line\x0abreak


def test_json_text_escapes_but_keeps_the_data():
    import json

    data = {"n": "a\x7f\x9b\u202e\ud800日本語\x1b"}
    text = json_text(json.dumps(data, indent=2, ensure_ascii=False))
    assert "\x7f" not in text and "\u202e" not in text and "日本語" in text
    assert json.loads(text) == data
