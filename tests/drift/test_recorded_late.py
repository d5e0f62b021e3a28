"""Issue 8 item 6, "explained means approved before it happened", through the real CLI and git.

A team (requester Rita, approver Alice, each in their own clone of one remote) files real
change records with ``changekit change ...``; the dates of their commits are set with
GIT_AUTHOR_DATE / GIT_COMMITTER_DATE, which is all the ledger reads. Two scans are stored
with the real snapshot store (no fleet): between them one host each changed, covered by:

- web1: a record approved before the scan that saw the change -> explained
- web2: a record approved only after that scan -> recorded late
- web3: a record whose file claims ``approved`` with a backdated history -> not explained
- web4: an emergency change started before the scan, approved after it -> explained
- web5: approved after the scan, then its history rewritten to say last year -> still late
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from changekit.facts.store import SnapshotStore
from changekit.workspace import Workspace
from changekit.yamlfile import load_schema
from tests.drift.fleetdata import snapshot
from tests.gate.conftest import Team, team_home

HOSTS = ["web1", "web2", "web3", "web4", "web5"]
INVENTORY = {
    "version": 1,
    "hosts": {h: {"address": "127.0.0.1"} for h in HOSTS},
    "groups": {"web": {"hosts": HOSTS}},
}
BEFORE = ("20300601T100000Z-aaaa", "2030-06-01T10:00:00+00:00")
AFTER = ("20300602T100000Z-bbbb", "2030-06-02T10:00:00+00:00")
# the planned window is 2030-06-02 02:00-03:00 Berlin (00:00-01:00 UTC): between the scans
APPROVED_IN_TIME = "2030-06-01T12:00:00+00:00"
APPROVED_LATE = "2030-06-03T09:00:00+00:00"
EMERGENCY_STARTED = "2030-06-02T00:30:00+00:00"
EMERGENCY_APPROVED = "2030-06-02T12:00:00+00:00"
CHANGED = {"dpkg__tzdata": {"version": "2030a-1"}}


class Dated:
    """Commits made inside ``at(...)`` carry that date (author and committer)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.mp = monkeypatch

    def at(self, when: str) -> Dated:
        self.mp.setenv("GIT_AUTHOR_DATE", when)
        self.mp.setenv("GIT_COMMITTER_DATE", when)
        return self

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        self.mp.delenv("GIT_AUTHOR_DATE", raising=False)
        self.mp.delenv("GIT_COMMITTER_DATE", raising=False)


def _sync(clone) -> None:
    clone.git("pull", "-q", "--ff-only", "origin", "main")


def _push(clone) -> None:
    clone.git("push", "-q", "origin", "HEAD:main")


def _file_and_approve(team: Team, host: str, when: Dated, approved: str, **kw) -> str:
    """Rita files and submits a record for ``host``; Alice approves it at ``approved``."""
    rita, alice = team.rita, team.alice
    with when.at("2030-06-01T11:00:00+00:00"):
        rid = rita.new(f"Update tzdata on {host}", hosts=(host,), **kw)
        rita.ck("change", "submit", rid)
    _push(rita)
    _sync(alice)
    with when.at(approved):
        alice.ck("change", "approve", rid)
    _push(alice)
    _sync(rita)
    return rid


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Built once (real clones and commits take a while); the tests only read it."""
    with team_home(tmp_path_factory) as mp:
        yield _build(Team(tmp_path_factory.mktemp("team")), Dated(mp))


def _build(team: Team, when: Dated) -> dict:
    rita = team.rita
    (rita.path / "inventories" / "hosts.yaml").write_text(yaml.safe_dump(INVENTORY))
    rita.git("add", "-A")
    rita.git("commit", "-qm", "inventory")
    _push(rita)
    store = SnapshotStore(Workspace(rita.path))
    store.save(BEFORE[0], [snapshot(h, *BEFORE) for h in HOSTS])
    ids = {
        "in_time": _file_and_approve(team, "web1", when, APPROVED_IN_TIME),
        "late": _file_and_approve(team, "web2", when, APPROVED_LATE),
    }
    # web3: Rita writes an approved record with a backdated history by hand
    with when.at("2030-06-01T11:00:00+00:00"):
        forged = rita.new("Update tzdata on web3", hosts=("web3",))
        path = rita.record_path(forged)
        data = yaml.safe_load(path.read_text())
        data["status"] = "approved"
        data["history"] = [
            {"status": "submitted", "at": "2029-06-01T10:00:00+00:00"},
            {"status": "approved", "at": "2029-06-02T10:00:00+00:00"},
        ]
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        rita.git("commit", "-qam", f"{forged}: approved last year")
    ids["forged"] = forged
    # web4: an emergency, started before the scan and approved afterwards
    with when.at("2030-06-02T00:20:00+00:00"):
        emergency = rita.new(
            "Fix tzdata on web4",
            "--type", "emergency", "--emergency-reason", "clocks are wrong",
            hosts=("web4",),
        )  # fmt: skip
        rita.ck("change", "submit", emergency)
    with when.at(EMERGENCY_STARTED):
        rita.ck("change", "start", emergency)
    _push(rita)
    _sync(team.alice)
    with when.at(EMERGENCY_APPROVED):
        team.alice.ck("change", "approve", emergency)
    _push(team.alice)
    _sync(rita)
    ids["emergency"] = emergency
    # web5: really approved, but late; then the history is backdated by hand
    ids["backdated"] = rewritten = _file_and_approve(team, "web5", when, APPROVED_LATE)
    path = rita.record_path(rewritten)
    data = yaml.safe_load(path.read_text())
    for entry in data["history"]:
        entry["at"] = "2029-06-01T10:00:00+00:00"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    rita.git("commit", "-qam", f"{rewritten}: it was approved last year, really")
    store = SnapshotStore(Workspace(rita.path))
    store.save(AFTER[0], [snapshot(h, *AFTER, **CHANGED) for h in HOSTS])
    return {"clone": rita, "ids": ids}


def _drift(ws: dict, *args: str, code: int = 0):
    return ws["clone"].ck("drift", "--kind", "time", *args, code=code)


def _by_host(findings: list[dict]) -> dict[str, dict]:
    return {f["host"]: f for f in findings if f["item"] == "dpkg:tzdata"}


def test_records_were_made_through_the_lifecycle(workspace):
    ids = workspace["ids"]
    root = workspace["clone"].path
    claimed = {
        k: yaml.safe_load((root / "change_records" / f"{rid}.yaml").read_text())["status"]
        for k, rid in ids.items()
    }
    assert claimed == {
        "in_time": "approved",
        "late": "approved",
        "forged": "approved",  # what the file says; its history proves a draft
        "emergency": "in_progress",
        "backdated": "approved",
    }


def test_drift_explains_only_changes_approved_before_the_scan(workspace):
    ids = workspace["ids"]
    data = json.loads(_drift(workspace, "--all", "--format", "json").stdout)
    found = _by_host(data["findings"])
    assert {h: (f["status"], f.get("change")) for h, f in found.items()} == {
        "web1": ("explained", ids["in_time"]),
        "web2": ("recorded_late", ids["late"]),
        "web3": ("open", None),  # the forged claims count for nothing
        "web4": ("explained", ids["emergency"]),
        "web5": ("recorded_late", ids["backdated"]),
    }
    assert found["web2"]["rule"] == "late-recorded-change"
    assert found["web3"]["rule"] == "unrecorded-change"
    assert (
        f"recorded late by {ids['late']}, approved only at 2030-06-03T09:00:00"
        in (found["web2"]["message"])
    )
    # the default view lists what needs attention: open and recorded late, not explained
    shown = _by_host(json.loads(_drift(workspace, "--format", "json").stdout)["findings"])
    assert set(shown) == {"web2", "web3", "web5"}


def test_drift_table_shows_recorded_late_and_fail_on_counts_it(workspace):
    table = _drift(workspace)
    line = next(ln for ln in table.stdout.splitlines() if "\tweb2\t" in ln)
    assert f"\trecorded late ({workspace['ids']['late']})\t" in line
    assert "2 change(s) recorded late" in table.stderr and "2 waived or explained" in table.stderr
    # only web2's late change is left when web3 is not selected: it still fails the gate
    _drift(workspace, "web1", "web2", "web4", "--fail-on", "high", code=1)
    _drift(workspace, "web1", "web4", "--fail-on", "high", code=0)


def test_report_counts_recorded_late_in_every_format(workspace, tmp_path: Path):
    clone, late = workspace["clone"], workspace["ids"]["late"]
    out = {}
    for fmt in ("json", "html", "md", "csv", "junit"):
        target = tmp_path / f"report.{fmt}"
        clone.ck("report", "--kind", "time", "--format", fmt, "-o", str(target))
        out[fmt] = target.read_text()
    data = json.loads(out["json"])
    validator = jsonschema.Draft202012Validator(
        load_schema("report"), format_checker=jsonschema.FormatChecker()
    )
    assert list(validator.iter_errors(data)) == []
    s = data["summary"]
    assert (s["open"], s["explained"], s["recorded_late"]) == (1, 2, 2)
    assert s["accounted_for"] is False
    assert [f["host"] for f in data["unrecorded_changes"]] == ["web3"]
    web2 = next(r for r in data["matrix"] if r["host"] == "web2")
    assert web2["cells"]["dpkg:tzdata"]["status"] == "recorded_late"
    assert 'id="late"' in out["html"] and f"<td>{late}</td>" in out["html"]
    assert 'class="recorded_late"' in out["html"]
    assert "recorded late: 2" in out["md"] and "## Changes recorded late" in out["md"]
    rows = list(csv.DictReader(io.StringIO(out["csv"])))
    assert {(r["host"], r["status"], r["change"]) for r in rows if r["host"] == "web2"} == {
        ("web2", "recorded_late", late)
    }
    assert 'name="web2"' in out["junit"] and "recorded late by" in out["junit"]


def test_facts_diff_says_which_changes_were_recorded_late(workspace):
    clone, ids = workspace["clone"], workspace["ids"]
    status = {}
    for host in HOSTS:
        result = clone.ck("facts", "diff", host, "--since", BEFORE[0], "--format", "json")
        [change] = json.loads(result.stdout)["changes"]
        status[host] = (change["status"], change.get("record"))
    assert status == {
        "web1": ("explained", ids["in_time"]),
        "web2": ("recorded_late", ids["late"]),
        "web3": ("open", None),
        "web4": ("explained", ids["emergency"]),
        "web5": ("recorded_late", ids["backdated"]),
    }
    table = clone.ck("facts", "diff", "web2", "--since", BEFORE[0]).stdout
    assert f"tzdata\tupgraded\t2025b-0+deb12u1\t2030a-1\trecorded late ({ids['late']})" in table
