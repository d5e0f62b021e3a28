"""``changekit drift`` on a terminal and through a pipe, when hosts report hostile names:
control characters and escape sequences are shown, never written raw; names in any script
come through; a name cannot add a column or a row, nor style the table."""

from __future__ import annotations

import csv
import io
import json
import types
from pathlib import Path

import pytest
import yaml

from changekit.cli import output
from changekit.facts.store import SnapshotStore
from changekit.workspace import Workspace
from tests.drift.fleetdata import snapshot
from tests.records.gitrepos import git, ok
from tests.reports.sample import HOSTILE

HOSTS = [f"web{i:02d}" for i in range(1, 6)]
SCANS = [
    ("20261121T100000Z-bbbb", "2026-11-21T10:00:00+00:00"),
    ("20261122T100000Z-cccc", "2026-11-22T10:00:00+00:00"),
]
NAMES = {**HOSTILE, "markup": "[bold red]styled[/] [/]"}
RAW = [chr(c) for c in [*range(0x00, 0x20), 0x7F, 0x202E] if chr(c) != "\n"]
COLUMNS = ("id", "host", "item", "kind", "severity", "status", "finding")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    ok(tmp_path, "init", str(root))
    inventory = {
        "version": 1,
        "hosts": {h: {"address": "127.0.0.1"} for h in HOSTS},
        "groups": {"web": {"hosts": HOSTS}},
    }
    (root / "inventories" / "hosts.yaml").write_text(yaml.safe_dump(inventory))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "inventory")
    planted = {f"dpkg__{k}-{v}": {"version": v} for k, v in NAMES.items()}
    store = SnapshotStore(Workspace(root))
    for i, (sid, at) in enumerate(SCANS):
        store.save(
            sid,
            [snapshot(h, sid, at, **(planted if (h, i) == ("web03", 1) else {})) for h in HOSTS],
        )
    return root


def _shown(text: str, separator: str = "") -> None:
    assert [c for c in RAW if c in text and c != separator] == []
    assert HOSTILE["ja"] in text and HOSTILE["ar"] in text
    assert "esc\\x1b[31mred\\x1b[0m\\x1b]0;title\\x07" in text
    assert "evil\\u202egnp.exe" in text and "ctl\\x00\\x01\\x08" in text


def test_piped_drift_is_one_tab_separated_row_per_finding(ws):
    result = ok(ws, "drift", "--kind", "time")
    _shown(result.stdout, separator="\t")
    rows = list(csv.reader(io.StringIO(result.stdout), delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0] == list(COLUMNS)
    assert {len(r) for r in rows} == {len(COLUMNS)}  # a tab or CR in a name adds no column
    assert len(rows) == 1 + len(NAMES)
    sentences = "\n".join(r[6] for r in rows[1:])
    for shown in ("\\x09=1+1", "\\x0d=1+1", NAMES["markup"], HOSTILE["script"]):
        assert shown in sentences


def test_drift_table_on_a_terminal_shows_names_and_reads_no_markup(ws, monkeypatch):
    # print_table draws with rich when stdout is a terminal; CliRunner's is not one
    monkeypatch.setattr(
        output, "sys", types.SimpleNamespace(stdout=types.SimpleNamespace(isatty=lambda: True))
    )
    monkeypatch.setenv("COLUMNS", "1000")  # no cell is cut short
    result = ok(ws, "drift", "--kind", "time")
    assert "─" in result.stdout or "━" in result.stdout  # rich drew the table
    _shown(result.stdout)
    assert "[bold red]styled[/] [/]" in result.stdout  # printed, not applied
    assert HOSTILE["script"] in result.stdout


def test_drift_json_is_exact_and_safe_on_a_terminal(ws):
    result = ok(ws, "drift", "--kind", "time", "--format", "json")
    assert [c for c in RAW if c in result.stdout] == []
    assert HOSTILE["ja"] in result.stdout
    actual = {f["actual"] for f in json.loads(result.stdout)["findings"]}
    assert actual == set(NAMES.values())
