"""``changekit timeline`` on the real sshd test fleet: a package installed by an approved
``change run`` and then removed by hand between real scans shows as one explained change, the
run's outcome on the host, and one unrecorded change, in the order they happened.

It changes a host, so it starts a fleet instance of its own (as tests/run does)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.records.gitrepos import git, ok, policy_with
from tests.run.test_run_fleet import approve, file_record, ssh_args

pytestmark = pytest.mark.fleet

HOST = "web07"  # lacks libpdf-api2-perl in the fleet's layout
INSTALL = "apt-get install -y --no-install-recommends libpdf-api2-perl"


def test_a_run_and_a_hand_removal_between_real_scans(own_fleet, tmp_path):
    ws = tmp_path / "ws"
    ok(tmp_path, "init", str(ws))
    (ws / "changekit.yaml").write_text(policy_with(["bob@example.org"]))
    inv = yaml.safe_load(Path(own_fleet.inventory).read_text())
    (ws / "inventories" / "fleet.yaml").write_text(yaml.safe_dump(inv))
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "policy and inventory")
    ok(ws, "scan", *ssh_args(own_fleet), HOST)
    rid = file_record(
        ws, [HOST], {"steps": [{"name": "install", "run": INSTALL}]}, "Install PDF API2"
    )
    approve(ws, rid)
    ok(ws, "change", "run", rid, *ssh_args(own_fleet))
    ok(ws, "scan", *ssh_args(own_fleet), HOST)
    own_fleet.ssh(HOST, "dpkg -r libpdf-api2-perl >/dev/null", check=True)
    ok(ws, "scan", *ssh_args(own_fleet), HOST)

    out = ok(ws, "timeline", HOST, "--since", "1h", "--format", "json")
    events = json.loads(out.stdout)["events"]
    shown = [
        (e["kind"], e["record"], e["details"].get("status") or e["details"].get("state"))
        for e in events
    ]
    assert shown == [
        ("record-step", rid, "draft"),
        ("record-step", rid, "submitted"),
        ("record-step", rid, "approved"),
        ("record-step", rid, "in_progress"),
        ("run-host", rid, "done"),
        ("record-step", rid, "completed"),
        ("observed-change", rid, "explained"),
        ("observed-change", None, "unrecorded"),
    ]
    added, removed = events[-2]["details"], events[-1]["details"]
    assert (added["item"], added["before"]) == ("dpkg:libpdf-api2-perl", "absent")
    assert (removed["item"], removed["after"]) == ("dpkg:libpdf-api2-perl", "absent")
    assert events[2]["details"]["by"] == "bob@example.org"
    assert events[4]["details"]["proven"] is True
    assert events[4]["details"]["transcript"].startswith(f"runs/{rid}/")
