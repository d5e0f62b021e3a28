"""YAML and schema errors point at the file, line, column and field, with a fix."""

from __future__ import annotations

import pytest

from changekit.errors import InputError, SchemaError
from changekit.yamlfile import load_validated, parse_yaml, position


def test_broken_yaml_reports_line_and_column(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text("id: CHG-1\ntitle: [unclosed\ntype: normal\n")
    with pytest.raises(InputError) as err:
        load_validated(f, "change-record")
    assert err.value.path == str(f)
    assert err.value.line == 3
    assert err.value.column is not None
    assert "not valid YAML" in err.value.message


def test_timestamps_stay_strings():
    assert parse_yaml("at: 2026-11-25T10:00:00+01:00") == {"at": "2026-11-25T10:00:00+01:00"}


GOOD = """\
id: CHG-20261125-a1b2c3
title: Install PDF::API2 on web07
type: normal
category: install
risk: low
impact: low
requester: {name: Ada Admin, email: ada@example.org}
hosts: [web07]
status: draft
history:
  - {status: draft, at: "2026-11-25T10:00:00+00:00", by: {name: Ada Admin, email: ada@example.org}}
"""


def test_good_record_validates(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text(GOOD)
    assert load_validated(f, "change-record")["hosts"] == ["web07"]


def test_unknown_key_suggests_the_closest(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text(GOOD + "justfication: typo\n")
    with pytest.raises(SchemaError) as err:
        load_validated(f, "change-record")
    e = err.value
    assert e.field == "justfication"
    assert e.line == 12
    assert e.hint == "did you mean 'justification'?"


def test_bad_enum_names_field_line_and_choices(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text(GOOD.replace("risk: low", "risk: lowish"))
    with pytest.raises(SchemaError) as err:
        load_validated(f, "change-record")
    e = err.value
    assert (e.field, e.line) == ("risk", 5)
    assert "'lowish' is not one of: low, medium, high" in e.message
    assert e.hint == "did you mean 'low'?"


def test_nested_field_path_and_every_problem_listed(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text(
        GOOD.replace("email: ada@example.org}\nhosts", "email: not-an-email}\nhosts").replace(
            "hosts: [web07]", "hosts: []"
        )
    )
    with pytest.raises(SchemaError) as err:
        load_validated(f, "change-record")
    text = err.value.format()
    assert "hosts" in text and "requester.email" in text
    assert "and 1 more" in text


def test_position_walks_sequences():
    text = "a:\n  - x: 1\n  - x: 2\n"
    assert position(text, ["a", 1, "x"]) == (3, 8)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: !!map [1]\n", "expected a mapping node"),
        ("a: !!seq {b: 1}\n", "expected a sequence node"),
        ("? [1]\n: x\n", "a mapping key must be a plain value"),
        ("a: 1\nb: 2\na: 3\n", "duplicate key 'a' on line 1 and line 3"),
    ],
)
def test_odd_yaml_is_an_input_error_never_a_crash(text, words):
    with pytest.raises(InputError) as err:
        parse_yaml(text, path="f.yaml")
    assert words in err.value.message and err.value.path == "f.yaml"
