"""The loader refuses instead of guessing or dying: duplicate keys, deep nesting, alias bombs
and huge files are exit 3 with the file, the line and the fix, through the real CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.records.gitrepos import ck, new_record, ok


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    ok(tmp_path, "init", str(tmp_path / "ws"))
    return tmp_path / "ws"


def _record(ws: Path) -> tuple[str, Path]:
    rid = new_record(ws)
    return rid, ws / "change_records" / f"{rid}.yaml"


def _check_problem(ws: Path, rid: str) -> dict:
    result = ck(ws, "check", "--format", "json")
    assert result.exit_code == 3, result.output
    problems = json.loads(result.stdout)["problems"]
    return next(p for p in problems if p.get("path") == f"change_records/{rid}.yaml")


def test_duplicate_key_is_refused_with_both_lines(ws):
    rid, path = _record(ws)
    text = path.read_text()
    lines = text.splitlines()
    first = lines.index("risk: low") + 1
    path.write_text(text.replace("risk: low\n", "risk: low\nrisk: high\n"))
    shown = ck(ws, "change", "show", rid)
    assert shown.exit_code == 3
    assert f"change_records/{rid}.yaml:{first + 1}:1: duplicate key 'risk'" in shown.stderr
    assert f"on line {first} and line {first + 1}" in shown.stderr
    assert "Traceback" not in shown.output
    problem = _check_problem(ws, rid)
    assert problem["code"] == "invalid-record"
    assert f"line {first} and line {first + 1}" in problem["message"]
    assert ck(ws, "change", "submit", rid).exit_code == 3


def test_nested_duplicate_key_names_the_field(ws):
    rid, path = _record(ws)
    path.write_text(path.read_text().replace("  note: filed\n", "  note: filed\n  note: again\n"))
    shown = ck(ws, "change", "show", rid)
    assert shown.exit_code == 3
    assert "field: history[0].note" in shown.stderr


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ("links: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 100 levels deep"),
        ("links: " + "[" * 150 + "]" * 150 + "\n", "nested more than 100 levels deep"),
        ("description: " + "x" * (1024 * 1024 + 10) + "\n", "file too big"),
    ],
    ids=["deep-5000", "deep-150", "too-big"],
)
def test_limits_are_refused_with_the_file_and_the_limit(ws, payload, words):
    rid, path = _record(ws)
    path.write_text(path.read_text() + payload)
    shown = ck(ws, "change", "show", rid)
    assert shown.exit_code == 3, shown.output
    assert f"change_records/{rid}.yaml" in shown.stderr and words in shown.stderr
    assert "hint:" in shown.stderr and "internal error" not in shown.stderr
    assert words in _check_problem(ws, rid)["message"]


def test_an_alias_bomb_is_refused_quickly(ws):
    rid, path = _record(ws)
    bomb, prev = ["links:", "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"], "a"
    for name in "bcdefghi":
        bomb.append(f"  {name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
        prev = name
    path.write_text(path.read_text() + "\n".join(bomb) + "\n")
    started = time.monotonic()
    shown = ck(ws, "change", "show", rid)
    assert time.monotonic() - started < 10
    assert shown.exit_code == 3
    assert "aliases expand to more than 100,000 repeated values" in shown.stderr
    assert "aliases expand" in _check_problem(ws, rid)["message"]


def test_small_anchors_still_load(ws):
    rid, path = _record(ws)
    text = path.read_text().replace("hosts:\n- web1\n", "hosts: &h\n- web1\nservices: *h\n")
    path.write_text(text)
    shown = ok(ws, "change", "show", rid, "--format", "json")
    assert json.loads(shown.stdout)["services"] == ["web1"]


def test_policy_and_inventory_share_the_loader(ws):
    (ws / "inventories" / "dup.yaml").write_text(
        "hosts:\n  web1: {}\n  web1: {address: 10.0.0.1}\n"
    )
    listed = ck(ws, "inventory", "list")
    assert listed.exit_code == 3
    assert "dup.yaml:3:3: duplicate key 'web1' on line 2 and line 3" in listed.stderr
    (ws / "inventories" / "dup.yaml").unlink()
    policy = ws / "changekit.yaml"
    policy.write_text(policy.read_text() + "version: 1\n")
    checked = ck(ws, "check")
    assert checked.exit_code == 3
    assert "changekit.yaml" in checked.stderr and "duplicate key 'version'" in checked.stderr
