"""Issue 12 part 3, "why did it work yesterday?": ``changekit timeline`` over a real team's git
history and the real facts store (no fleet).

Rita files records and Alice approves them in their own clones of one remote, each commit
dated with GIT_AUTHOR_DATE / GIT_COMMITTER_DATE (all the ledger reads). Three scans are
stored with the real snapshot store: between the first two, web1's tzdata changed under an
approved record (explained) and openssl appeared on web2 under no record (unrecorded); db1
changed too but is never selected; the third scan could not reach web3. Rita also edits a
record's status by hand: the timeline shows that as a warning, never as a state move. Bob adds
a waiver for web3 that has expired by "now".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import pytest
import yaml

from changekit.facts.store import SnapshotStore
from changekit.review.timeline import build_timeline
from changekit.workspace import Workspace
from changekit.yamlfile import load_schema
from tests.drift.fleetdata import snapshot
from tests.drift.test_recorded_late import Dated
from tests.gate.conftest import Team, team_home

WEB = ["web1", "web2", "web3"]
INVENTORY = {
    "version": 1,
    "hosts": {h: {"address": "127.0.0.1"} for h in [*WEB, "db1"]},
    "groups": {
        "web": {"hosts": WEB, "contacts": ["web-team@example.org"]},
        "db": {"hosts": ["db1"]},
    },
}
NOTICES = {
    "timezone": "Europe/Berlin",
    "channels": ["atom"],
    "atom": {"path": "public/notices.atom", "url": "https://ops.example.org/n.atom"},
}
WAIVERS = """\
waivers:
  - id: W-web3-tz
    item: "dpkg:tzdata"
    hosts: [web3]
    justification: "the billing app needs the old zone data [bold]until[/bold] June"
    approved_by: {name: Alice Approver, email: alice@example.org}
    expires: "2030-06-03"
"""
SCAN_A = ("20300601T100000Z-aaaa", "2030-06-01T10:00:00+00:00")
SCAN_B = ("20300602T100000Z-bbbb", "2030-06-02T10:00:00+00:00")
SCAN_C = ("20300603T100000Z-cccc", "2030-06-03T10:00:00+00:00")
TZDATA = {"dpkg__tzdata": {"version": "2030a-1"}}
OPENSSL = {"dpkg__openssl": {"version": "3.0.99-1"}}
# the title is hostile: markup, a control character and another script
TITLE = "Update tzdata [bold]now[/bold] \x1b[31m תיקון"
SINCE, UNTIL = "2030-06-01T00:00:00+00:00", "2030-06-04T12:00:00+00:00"
NOW = datetime(2030, 6, 5, tzinfo=UTC)


def _sync(clone) -> None:
    clone.git("pull", "-q", "--ff-only", "origin", "main")


def _push(clone) -> None:
    clone.git("push", "-q", "origin", "HEAD:main")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Built once (real clones and commits take a while); the tests only read it."""
    with team_home(tmp_path_factory) as mp:
        yield _build(Team(tmp_path_factory.mktemp("team")), Dated(mp))


def _build(team: Team, when: Dated) -> dict:
    rita, alice, bob = team.rita, team.alice, team.bob
    (rita.path / "inventories" / "hosts.yaml").write_text(yaml.safe_dump(INVENTORY))
    (rita.path / "notices.yaml").write_text(yaml.safe_dump(NOTICES))
    with when.at("2030-05-01T09:00:00+00:00"):
        rita.git("add", "-A")
        rita.git("commit", "-qm", "inventory and notices")
    _push(rita)
    store = SnapshotStore(Workspace(rita.path))
    store.save(SCAN_A[0], [snapshot(h, *SCAN_A) for h in [*WEB, "db1"]])
    with when.at("2030-06-01T11:00:00+00:00"):
        explained = rita.new(TITLE, hosts=("web1",))
    with when.at("2030-06-01T11:05:00+00:00"):
        rita.ck("change", "submit", explained)
    with when.at("2030-06-01T11:10:00+00:00"):
        forged = rita.new("Install openssl on web2", hosts=("web2",))
    with when.at("2030-06-01T13:00:00+00:00"):
        path = rita.record_path(forged)
        data = yaml.safe_load(path.read_text())
        data["status"] = "completed"
        data["history"].append(
            {
                "status": "completed",
                "at": "2030-06-01T12:59:00+00:00",
                "by": {"name": "Rita Requester", "email": "rita@example.org"},
            }
        )
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        rita.git("commit", "-qam", f"{forged}: done")
    _push(rita)
    _sync(alice)
    with when.at("2030-06-01T12:00:00+00:00"):
        alice.ck("change", "approve", explained)
    _push(alice)
    _sync(bob)
    with when.at("2030-06-01T15:00:00+00:00"):
        (bob.path / "waivers").mkdir(exist_ok=True)
        (bob.path / "waivers" / "web3.yaml").write_text(WAIVERS)
        bob.git("add", "-A")
        bob.git("commit", "-qm", "waive tzdata on web3")
    _push(bob)
    _sync(rita)
    with when.at("2030-06-01T16:00:00+00:00"):
        rita.ck("announce", explained)
    # the window is 2030-06-02 02:00-03:00 Berlin (00:00-01:00 UTC)
    with when.at("2030-06-02T00:05:00+00:00"):
        # (the real clock is years before the window: the start is forced, with a reason)
        rita.ck("change", "start", explained, "--force", "--reason", "the window is now")
    with when.at("2030-06-02T00:40:00+00:00"):
        rita.ck("change", "complete", explained)
    with when.at("2030-06-02T01:00:00+00:00"):
        # a transcript nobody's run wrote: shown, but as proving nothing
        fake = rita.path / "runs" / explained / "20300602T000500Z-abc123" / "web1.json"
        fake.parent.mkdir(parents=True)
        fake.write_text(json.dumps({"host": "web1", "steps": [{"name": "x", "exit_code": 0}]}))
        rita.git("add", "-A")
        rita.git("commit", "-qm", "transcript")
    store = SnapshotStore(Workspace(rita.path))
    store.save(
        SCAN_B[0],
        [
            snapshot("web1", *SCAN_B, **TZDATA),
            snapshot("web2", *SCAN_B, **OPENSSL),
            snapshot("web3", *SCAN_B),
            snapshot("db1", *SCAN_B, **OPENSSL),
        ],
    )
    partial = snapshot("web2", *SCAN_C, **OPENSSL)
    partial["errors"] = {"perl": "timed out after 60 s"}
    store = SnapshotStore(Workspace(rita.path))
    store.save(
        SCAN_C[0],
        [
            snapshot("web1", *SCAN_C, **TZDATA),
            partial,
            snapshot("db1", *SCAN_C, **OPENSSL),
        ],
        failed={"web3": {"reason": "unreachable", "message": "connection refused"}},
    )
    return {"clone": rita, "explained": explained, "forged": forged}


def _events(found) -> list[tuple]:
    return [(e["time"], e["kind"], e["hosts"], e["record"]) for e in found["events"]]


def test_one_chronological_view_of_what_happened_to_the_web_servers(workspace):
    ws = Workspace(workspace["clone"].path)
    chg, forged = workspace["explained"], workspace["forged"]
    found = build_timeline(ws, "group:web", SINCE, UNTIL, now=NOW).as_dict()
    assert found["hosts"] == WEB
    assert _events(found) == [
        ("2030-06-01T11:00:00+00:00", "record-step", ["web1"], chg),
        ("2030-06-01T11:05:00+00:00", "record-step", ["web1"], chg),
        ("2030-06-01T11:10:00+00:00", "record-step", ["web2"], forged),
        ("2030-06-01T12:00:00+00:00", "record-step", ["web1"], chg),
        ("2030-06-01T13:00:00+00:00", "unproven-edit", ["web2"], forged),
        ("2030-06-01T15:00:00+00:00", "waiver-opened", ["web3"], None),
        ("2030-06-01T16:00:00+00:00", "notice", ["web1"], chg),
        ("2030-06-02T00:05:00+00:00", "record-step", ["web1"], chg),
        ("2030-06-02T00:40:00+00:00", "record-step", ["web1"], chg),
        ("2030-06-02T01:00:00+00:00", "run-host", ["web1"], chg),
        ("2030-06-02T10:00:00+00:00", "observed-change", ["web1"], chg),
        ("2030-06-02T10:00:00+00:00", "observed-change", ["web2"], None),
        ("2030-06-03T10:00:00+00:00", "scan-failed", ["web3"], None),
        ("2030-06-03T10:00:00+00:00", "scan-partial", ["web2"], None),
        ("2030-06-04T00:00:00+00:00", "waiver-expired", ["web3"], None),
    ]
    steps = [e["details"]["status"] for e in found["events"] if e["kind"] == "record-step"]
    assert steps == ["draft", "submitted", "draft", "approved", "in_progress", "completed"]
    by = [e["details"]["by"] for e in found["events"] if e["kind"] == "record-step"]
    assert by[3] == "alice@example.org" and set(by) - {by[3]} == {"rita@example.org"}
    observed = [e for e in found["events"] if e["kind"] == "observed-change"]
    assert [(e["details"]["item"], e["details"]["status"]) for e in observed] == [
        ("dpkg:tzdata", "explained"),
        ("dpkg:openssl", "unrecorded"),
    ]
    assert observed[1]["summary"].endswith("no change record covers it")
    assert observed[1]["details"]["before"] == "absent"
    assert found["events"][6]["details"]["notices"] == ["announcement"]
    fake = found["events"][9]["details"]
    assert (fake["proven"], fake["state"], fake["steps"]) == (False, "unknown", 1)
    assert "proves nothing" in found["events"][9]["summary"]
    failed, partial = found["events"][-3]["summary"], found["events"][-2]["summary"]
    assert (
        failed == "scan 20300603T100000Z-cccc could not scan web3: unreachable: connection refused"
    )
    assert partial.startswith("scan 20300603T100000Z-cccc read web2 only in part: perl failed")
    jsonschema.Draft202012Validator(
        load_schema("timeline"), format_checker=jsonschema.FormatChecker()
    ).validate(found)


def test_a_hand_edited_status_is_a_warning_never_a_state_move(workspace):
    ws = Workspace(workspace["clone"].path)
    forged = workspace["forged"]
    on_disk = yaml.safe_load(workspace["clone"].record_path(forged).read_text())
    assert on_disk["status"] == "completed"  # what the file claims
    found = build_timeline(ws, ["web2"], SINCE, UNTIL, now=NOW)
    mine = [e for e in found.events if e.record == forged]
    assert [(e.kind, e.details.get("status")) for e in mine] == [
        ("record-step", "draft"),
        ("unproven-edit", None),
    ]
    assert "rita@example.org changed status by hand" in mine[1].summary
    # the openssl change it claims to have made stays unrecorded
    assert [e.details["status"] for e in found.events if e.kind == "observed-change"] == [
        "unrecorded"
    ]


def test_kinds_and_period_bound_what_is_read_and_shown(workspace):
    ws = Workspace(workspace["clone"].path)
    found = build_timeline(
        ws, "web*", "2030-06-02T00:00:00+00:00", "2030-06-02T23:00:00+00:00", ["observed-change"]
    )
    assert [(e.hosts, e.details["status"]) for e in found.events] == [
        (("web1",), "explained"),
        (("web2",), "unrecorded"),
    ]
    # a period after the last scan: nothing observed, nothing made up
    later = build_timeline(ws, "web1", "2030-06-03T11:00:00+00:00", UNTIL, now=NOW)
    assert later.events == []
    # a waiver's end is "expiring" until it has passed, "expired" after
    kinds = ["waiver-expiring", "waiver-expired"]
    for now, kind in (
        (datetime(2030, 6, 2, tzinfo=UTC), "waiver-expiring"),
        (NOW, "waiver-expired"),
    ):
        found = build_timeline(ws, "web3", SINCE, UNTIL, kinds, now=now)
        assert [(e.kind, e.time.isoformat()) for e in found.events] == [
            (kind, "2030-06-04T00:00:00+00:00")
        ]


def test_cli_json_table_and_errors(workspace):
    clone = workspace["clone"]
    out = clone.ck("timeline", "web1", "--since", SINCE, "--until", UNTIL, "--format", "json")
    data = json.loads(out.stdout)
    jsonschema.validate(data, load_schema("timeline"))
    assert [e["kind"] for e in data["events"]][-1] == "observed-change"
    assert data["events"][0]["summary"].endswith(TITLE)  # exact in JSON
    assert "\x1b" not in out.stdout  # ... and escaped on the terminal
    table = clone.ck("timeline", "web1", "--since", SINCE, "--until", UNTIL)
    assert "\x1b" not in table.stdout and "\\x1b[31m" in table.stdout
    assert "[bold]now[/bold]" in table.stdout and "תיקון" in table.stdout
    bad = clone.ck("timeline", "web9", code=3)
    assert "selector 'web9' matches no host" in bad.stderr
    assert "did you mean" in bad.stderr and "Traceback" not in bad.output
    bad = clone.ck("timeline", "web1", "--since", "last tuesday", code=3)
    assert "--since: cannot read 'last tuesday' as a time" in bad.stderr
    bad = clone.ck("timeline", "web1", "--since", "now", "--until", "7d", code=3)
    assert "before it starts" in bad.stderr


def test_cli_writes_the_file_it_is_told_to(workspace, tmp_path):
    clone = workspace["clone"]
    target = tmp_path / "tl.json"
    clone.ck(
        "timeline", "group:web", "--since", SINCE, "--until", UNTIL,
        "--format", "json", "-o", str(target),
    )  # fmt: skip
    data = json.loads(target.read_text())
    assert len(data["events"]) == 15
    assert clone.ck("schema", "timeline").stdout.startswith("{")


def test_the_rich_table_shows_hostile_titles_as_written(workspace):
    """On a terminal the table is rich's: markup in a title stays text, controls are escaped."""
    import io

    from rich.console import Console

    from changekit.cli.timeline import _table

    ws = Workspace(workspace["clone"].path)
    found = build_timeline(ws, "web1", SINCE, UNTIL, now=NOW)
    buf = io.StringIO()
    Console(file=buf, width=400, force_terminal=True, color_system=None).print(_table(found))
    shown = buf.getvalue()
    assert "Update tzdata [bold]now[/bold] \\x1b[31m תיקון" in shown
    assert "\x1b[31m" not in shown


def test_an_unknown_kind_is_refused_with_the_known_ones(workspace):
    from changekit.errors import InputError

    ws = Workspace(workspace["clone"].path)
    with pytest.raises(InputError) as err:
        build_timeline(ws, "web1", SINCE, UNTIL, ["record-steps"])
    assert err.value.message == "unknown event kind record-steps"
    assert "record-step, unproven-edit" in err.value.hint
