"""``changekit drift`` and ``changekit report`` on a real git workspace whose snapshot store
holds three scans (stored with the real SnapshotStore; no fleet needed)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from changekit.facts.store import SnapshotStore
from changekit.workspace import Workspace
from tests.drift.fleetdata import snapshot
from tests.records.gitrepos import ck, git, ok

HOSTS = [f"web{i:02d}" for i in range(1, 6)]
SCANS = [
    ("20261120T100000Z-aaaa", "2026-11-20T10:00:00+00:00"),
    ("20261121T100000Z-bbbb", "2026-11-21T10:00:00+00:00"),
    ("20261122T100000Z-cccc", "2026-11-22T10:00:00+00:00"),
]
INVENTORY = {
    "version": 1,
    "hosts": {h: {"address": "127.0.0.1"} for h in HOSTS},
    "groups": {"web": {"hosts": HOSTS}},
}
WAIVERS = """\
waivers:
  - id: W-web02-tz
    item: "dpkg:tzdata"
    hosts: [web02]
    justification: the billing app needs the old zone data until January
    approved_by: {name: Alice Admin, email: alice@example.org}
    expires: "2099-01-31"
"""


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    ok(tmp_path, "init", str(root))
    (root / "inventories" / "hosts.yaml").write_text(yaml.safe_dump(INVENTORY))
    (root / "waivers").mkdir()
    (root / "waivers" / "tz.yaml").write_text(WAIVERS)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "inventory and waivers")
    store = SnapshotStore(Workspace(root))
    planted = {
        2: {
            "web04": {"perl__PDF_COLON_API2": None},
            "web02": {"dpkg__tzdata": {"version": "2024a-1"}},
        }
    }
    for i, (sid, at) in enumerate(SCANS):
        snaps = [snapshot(h, sid, at, **planted.get(i, {}).get(h, {})) for h in HOSTS]
        store.save(sid, snaps)
    return root


def test_drift_table_json_and_fail_on(ws):
    table = ck(ws, "drift")
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].split("\t") == [
        "id", "host", "item", "kind", "severity", "status", "finding"
    ]  # fmt: skip
    assert (
        "\tweb04\tperl:PDF::API2\tpeers\tmedium\topen\t"
        "PDF::API2 2.044 is on 4 of 5 hosts of group web; missing on web04\n"
    ) in table.stdout
    assert "1 waived or explained" in table.stderr
    data = json.loads(ok(ws, "drift", "--format", "json", "--kind", "peers").stdout)
    assert [(f["host"], f["item"]) for f in data["findings"]] == [("web04", "perl:PDF::API2")]
    assert data["findings"][0]["since"] == SCANS[2][1]
    shown = json.loads(ok(ws, "drift", "--format", "json", "--kind", "peers", "--all").stdout)
    assert {(f["host"], f["status"]) for f in shown["findings"]} == {
        ("web04", "open"),
        ("web02", "waived"),
    }
    assert ck(ws, "drift", "--kind", "peers", "--fail-on", "medium").exit_code == 1
    assert ck(ws, "drift", "--kind", "peers", "--fail-on", "high").exit_code == 0
    assert (
        ck(ws, "drift", "--kind", "time", "--fail-on", "high").exit_code == 1
    )  # unrecorded changes
    assert ck(ws, "drift", "--kind", "peers", "--majority", "0.9").exit_code == 0


def test_report_formats_and_file_output(ws):
    out = ws / "out"
    for fmt, name in (
        ("html", "r.html"),
        ("md", "r.md"),
        ("json", "r.json"),
        ("csv", "r.csv"),
        ("junit", "r.xml"),
    ):
        result = ck(ws, "report", "--format", fmt, "-o", str(out / name))
        assert result.exit_code == 0, result.output
    data = json.loads((out / "r.json").read_text())
    assert data["summary"]["waived"] == 1 and data["scan"]["scan_id"] == SCANS[2][0]
    assert [t["conformance"] for t in data["summary"]["trend"]] == [100.0, 100.0, 80.0]
    assert ET.parse(out / "r.xml").getroot().tag == "testsuites"
    assert "<svg" in (out / "r.html").read_text()
    bad = ck(ws, "report", "--format", "pdf")
    assert bad.exit_code == 2 and "pdf" in bad.stderr


def test_propose_files_a_draft_linked_to_the_findings(ws):
    data = json.loads(ok(ws, "drift", "--format", "json", "--kind", "peers").stdout)
    fid = data["findings"][0]["id"]
    result = ok(ws, "drift", "--propose", fid, "--kind", "peers")
    assert "on web04: apt-get install -y --no-install-recommends libpdf-api2-perl" in result.stdout
    rid = result.stdout.split()[2].rstrip(":")
    record = yaml.safe_load((ws / "change_records" / f"{rid}.yaml").read_text())
    assert record["status"] == "draft" and record["links"]["findings"] == [fid]
    assert record["rollback"] == ["on web04: apt-get purge -y libpdf-api2-perl"]
    assert git(ws, "log", "-1", "--format=%s").startswith(f"File {rid}")
    assert ok(ws, "check").exit_code == 0  # the draft passes the gate's schema and policy checks
    unknown = ck(ws, "drift", "--propose", "F-000000000000")
    assert unknown.exit_code == 3 and "no current finding F-000000000000" in unknown.stderr


def test_expired_waiver_stops_hiding(ws):
    (ws / "waivers" / "tz.yaml").write_text(WAIVERS.replace("2099-01-31", "2026-01-31"))
    data = json.loads(ok(ws, "drift", "--format", "json", "--kind", "peers").stdout)
    assert {f["host"] for f in data["findings"]} == {"web02", "web04"}
    assert data["expired_waivers"] == ["W-web02-tz"]


def test_drift_over_time_since_a_chosen_scan(ws):
    first = json.loads(ok(ws, "drift", "--format", "json", "--kind", "time").stdout)
    assert {(f["host"], f["item"]) for f in first["findings"]} == {
        ("web02", "dpkg:tzdata"),
        ("web04", "perl:PDF::API2"),
    }
    assert {f["evidence"]["previous_scan_id"] for f in first["findings"]} == {SCANS[1][0]}
    assert {f["since"] for f in first["findings"]} == {SCANS[2][1]}  # the scan that showed it
    # from an earlier scan: every interval since then, each change where it happened
    for when in (SCANS[0][0], "2026-11-20T12:00:00+00:00"):
        since = json.loads(
            ok(ws, "drift", "--format", "json", "--kind", "time", "--since", when).stdout
        )
        assert {(f["host"], f["evidence"]["previous_scan_id"]) for f in since["findings"]} == {
            ("web02", SCANS[1][0]),
            ("web04", SCANS[1][0]),
        }
    later = json.loads(
        ok(ws, "drift", "--format", "json", "--kind", "time", "--since", SCANS[2][0]).stdout
    )
    assert later["findings"] == []
    missing = ck(ws, "drift", "--kind", "time", "--since", "20200101T000000Z-zzzz")
    assert missing.exit_code == 3 and "no scan 20200101T000000Z-zzzz" in missing.stderr


def test_without_an_inventory_the_stored_hosts_are_used(ws):
    (ws / "inventories" / "hosts.yaml").unlink()
    data = json.loads(ok(ws, "drift", "--format", "json", "--kind", "time").stdout)
    assert data["hosts"] == HOSTS
    assert {f["host"] for f in data["findings"]} == {"web02", "web04"}


def test_report_names_workspace_files_relative_to_it(ws):
    data = json.loads(ok(ws, "report", "--format", "json").stdout)
    assert [w["path"] for w in data["waivers"]] == ["waivers/tz.yaml"]


def test_an_unrecorded_change_stays_visible_after_later_scans(ws):
    """QA #5: a quiet scan after the change must not make it disappear (drift and report)."""
    store = SnapshotStore(Workspace(ws))
    quiet = ("20261123T100000Z-dddd", "2026-11-23T10:00:00+00:00")
    planted = {
        "web04": {"perl__PDF_COLON_API2": None},
        "web02": {"dpkg__tzdata": {"version": "2024a-1"}},
    }
    store.save(quiet[0], [snapshot(h, *quiet, **planted.get(h, {})) for h in HOSTS])
    data = json.loads(ok(ws, "drift", "--format", "json", "--kind", "time").stdout)
    assert {(f["host"], f["item"], f["rule"], f["since"]) for f in data["findings"]} == {
        ("web02", "dpkg:tzdata", "unrecorded-change", SCANS[2][1]),
        ("web04", "perl:PDF::API2", "unrecorded-change", SCANS[2][1]),
    }
    report = json.loads(ok(ws, "report", "--format", "json").stdout)
    assert {f["host"] for f in report["unrecorded_changes"]} == {"web02", "web04"}
    assert report["scan"]["period_from_scan_id"] == SCANS[0][0]
    md = ok(ws, "report", "--format", "md").stdout
    assert f"Every change observed between the scans of {SCANS[0][1]}" in md
    # a history window that no longer holds the change's interval does not show it
    short = json.loads(
        ok(ws, "drift", "--format", "json", "--kind", "time", "--history", "2").stdout
    )
    assert short["findings"] == []


def test_a_selected_host_is_judged_against_its_whole_group(ws):
    """QA #21: with a selector, peer findings (and resolved ones) are those of the group."""
    data = json.loads(ok(ws, "drift", "web04", "--format", "json", "--kind", "peers").stdout)
    assert [(f["host"], f["item"]) for f in data["findings"]] == [("web04", "perl:PDF::API2")]


def test_hosts_whose_scan_failed_are_shown_and_not_counted_as_conforming(ws):
    """QA #22: a failed scan is "scan failed: <reason>", not "not scanned", and it counts."""
    inv = yaml.safe_load((ws / "inventories" / "hosts.yaml").read_text())
    inv["hosts"]["down01"] = {"address": "127.0.0.1"}
    inv["groups"]["web"]["hosts"].append("down01")
    (ws / "inventories" / "hosts.yaml").write_text(yaml.safe_dump(inv))
    why = {"reason": "unreachable", "message": "cannot connect to 127.0.0.1:1"}
    sid, at = "20261123T100000Z-dddd", "2026-11-23T10:00:00+00:00"
    snaps = [snapshot(h, sid, at) for h in HOSTS if h != "web05"]
    SnapshotStore(Workspace(ws)).save(sid, snaps, failed={"web05": why, "down01": why})
    data = json.loads(ok(ws, "report", "--format", "json").stdout)
    failed = {f["host"]: f for f in data["summary"]["scan_failed"]}
    assert failed["down01"] == {
        "host": "down01",
        "reason": "unreachable: cannot connect to 127.0.0.1:1",
        "scan_id": sid,
    }
    assert failed["web05"]["last_good"] == SCANS[2][0]
    assert data["summary"]["unscanned"] == []
    # 6 hosts counted: web05 and down01 failed, web02 and web04 had unrecorded changes
    assert data["summary"]["conformance"] == 33.3
    assert data["summary"]["groups"] == {"web": 40.0}  # web01, web03 of 5; web05 failed
    md = ok(ws, "report", "--format", "md").stdout
    assert "- Scan failed: down01: unreachable: cannot connect to 127.0.0.1:1" in md
    assert "Not scanned" not in md and "Never scanned" not in md
    table = ck(ws, "drift")
    assert "scan failed: down01: unreachable" in table.stderr


def test_an_unknown_group_in_a_standard_is_the_standard_files_error(ws):
    """QA #22: the error names standards/web.yaml and its line, not the inventory."""
    (ws / "standards").mkdir(exist_ok=True)
    (ws / "standards" / "web.yaml").write_text(
        "name: web\napplies_to:\n  - group:web\n  - group:webz\nrequirements:\n"
        "  - present: dpkg:apache2\n"
    )
    result = ck(ws, "drift")
    assert result.exit_code == 3
    assert "standards/web.yaml:4" in result.stderr
    assert "applies to 'group:webz'" in result.stderr and "inventories" not in result.stderr
    assert "field: applies_to[1]" in result.stderr or "applies_to[1]" in result.stderr
