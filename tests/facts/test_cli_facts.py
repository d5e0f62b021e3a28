"""``changekit facts show|diff|history|scans`` in a real workspace, with change records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from changekit.facts.store import SnapshotStore
from changekit.workspace import Workspace
from tests.facts.test_store import snap

EXAMPLE = (
    Path(__file__).resolve().parents[1] / "examples" / "records" / "good" / "normal-scheduled.yaml"
)
S1, S2 = "20261101T020000Z-aaaa01", "20261103T020000Z-bbbb02"
S3 = "20261104T020000Z-cccc03"


def record(root: Path, rid: str, hosts: list[str], start: str, end: str) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data.update(id=rid, hosts=hosts, title=f"work on {hosts}")
    data["window"] = {"start": start, "end": end, "timezone": "UTC"}
    (root / "change_records" / f"{rid}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture
def ws(tmp_path: Path, run_cli) -> Path:
    result = run_cli("init", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    (tmp_path / "inventories" / "hosts.yaml").write_text(
        "version: 1\nhosts:\n  web01: {address: 127.0.0.1, groups: [web]}\n  db01: {address: 127.0.0.2}\n"
        "groups:\n  web: {}\n"
    )
    old = {
        "dpkg": {"tzdata": {"version": "2024a-0+deb12u1"}, "gone": {"version": "1.0"}},
        "perl": {"PDF::API2": {"version": "2.044"}},
        "files": {
            "/etc/apache2/apache2.conf": {
                "sha256": "a" * 64,
                "owner": "root",
                "group": "root",
                "mode": "0644",
            }
        },
    }
    new = {
        "dpkg": {"tzdata": {"version": "2025b-0+deb12u1"}, "new": {"version": "2.0"}},
        "perl": {},
        "files": {
            "/etc/apache2/apache2.conf": {
                "sha256": "b" * 64,
                "owner": "root",
                "group": "root",
                "mode": "0644",
            }
        },
    }
    store = SnapshotStore(Workspace(tmp_path))
    store.save(S1, [snap(S1, "web01", old)])
    store.save(S2, [snap(S2, "web01", new)])
    record(
        tmp_path,
        "CHG-20261102-aaaaaa",
        ["group:web"],
        "2026-11-02T01:00:00+00:00",
        "2026-11-02T03:00:00+00:00",
    )
    record(
        tmp_path,
        "CHG-20261102-bbbbbb",
        ["db01"],
        "2026-11-02T01:00:00+00:00",
        "2026-11-02T03:00:00+00:00",
    )
    record(
        tmp_path,
        "CHG-20261010-cccccc",
        ["web*"],
        "2026-10-10T01:00:00+00:00",
        "2026-10-10T03:00:00+00:00",
    )
    return tmp_path


def test_diff_lists_changes_and_the_records_that_covered_the_host(ws, run_cli):
    result = run_cli("facts", "diff", "web01", "--since", S1, "--format", "json", cwd=ws)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    changes = {(c["collector"], c["item"], c["change"]) for c in data["changes"]}
    assert changes == {
        ("dpkg", "tzdata", "upgraded"),
        ("dpkg", "gone", "removed"),
        ("dpkg", "new", "added"),
        ("perl", "PDF::API2", "removed"),
        ("files", "/etc/apache2/apache2.conf", "changed"),
    }
    # group:web selects web01 through the inventory; db01's record and the old one do not count
    assert [r["id"] for r in data["records"]] == ["CHG-20261102-aaaaaa"]


def test_diff_since_a_date_and_table_output(ws, run_cli):
    result = run_cli("facts", "diff", "web01", "--since", "2026-11-01", cwd=ws)
    assert result.exit_code == 0, result.output
    assert "tzdata\tupgraded\t2024a-0+deb12u1\t2025b-0+deb12u1" in result.output
    assert "CHG-20261102-aaaaaa" in result.output


def test_show_latest_and_at_a_scan(ws, run_cli):
    now = json.loads(run_cli("facts", "show", "web01", "--format", "json", cwd=ws).output)
    assert now["scan_id"] == S2
    then = run_cli("facts", "show", "web01", "--at", S1, "--collector", "dpkg", cwd=ws)
    assert "gone\t1.0" in then.output
    assert run_cli("facts", "history", "web01", cwd=ws).output.count("\n") == 3


def test_unknown_host_and_bad_when_are_readable_errors(ws, run_cli):
    missing = run_cli("facts", "show", "web0l", cwd=ws)
    assert missing.exit_code == 3 and "no host 'web0l' in the inventory" in missing.output
    assert "did you mean 'web01'?" in missing.output
    never = run_cli("facts", "show", "db01", cwd=ws)
    assert never.exit_code == 3 and "db01: it was never scanned" in never.output
    why = {"reason": "unreachable", "message": "cannot connect to 127.0.0.2:22"}
    SnapshotStore(Workspace(ws)).save(S3, [], failed={"db01": why})
    failed = run_cli("facts", "show", "db01", cwd=ws)
    assert failed.exit_code == 3 and "scan it first" not in failed.output
    assert (
        f"no snapshot of db01: its last scan ({S3}) failed: unreachable: "
        "cannot connect to 127.0.0.2:22" in failed.output
    )
    bad = run_cli("facts", "diff", "web01", "--since", "last tuesday", cwd=ws)
    assert bad.exit_code == 3 and "cannot read 'last tuesday'" in bad.output
