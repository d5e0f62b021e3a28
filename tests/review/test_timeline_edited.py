"""A record edited after its approval is shown as what git proves, not as what it now says:
in the timeline (and in drift) it explains no change it was not approved for."""

from __future__ import annotations

from datetime import UTC, datetime

import yaml

from changekit.facts.store import SnapshotStore
from changekit.review.timeline import build_timeline
from changekit.workspace import Workspace
from tests.drift.fleetdata import snapshot
from tests.drift.test_recorded_late import Dated
from tests.gate.conftest import Team
from tests.review.test_timeline import INVENTORY, OPENSSL, SCAN_A, SCAN_B


def test_a_host_added_after_approval_does_not_explain_its_change(tmp_path, monkeypatch):
    # attack: web2 got openssl under no record; the requester adds web2 to an approved
    # record of web1 by hand, so the timeline would call the change explained
    team, when = Team(tmp_path), Dated(monkeypatch)
    rita, alice = team.rita, team.alice
    (rita.path / "inventories" / "hosts.yaml").write_text(yaml.safe_dump(INVENTORY))
    with when.at("2030-05-01T09:00:00+00:00"):
        rita.git("add", "-A")
        rita.git("commit", "-qm", "inventory")
    SnapshotStore(Workspace(rita.path)).save(
        SCAN_A[0], [snapshot(h, *SCAN_A) for h in ("web1", "web2")]
    )
    with when.at("2030-06-01T11:00:00+00:00"):
        rid = rita.new("Update tzdata on web1", hosts=("web1",))
    with when.at("2030-06-01T11:05:00+00:00"):
        rita.ck("change", "submit", rid)
    rita.git("push", "-q", "origin", "HEAD:main")
    alice.git("pull", "-q", "origin", "main")
    with when.at("2030-06-01T12:00:00+00:00"):
        alice.ck("change", "approve", rid)
    alice.git("push", "-q", "origin", "HEAD:main")
    rita.git("pull", "-q", "origin", "main")
    path = rita.record_path(rid)
    with when.at("2030-06-01T13:00:00+00:00"):
        data = yaml.safe_load(path.read_text())
        data["hosts"] = ["web1", "web2"]
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        rita.git("commit", "-qam", "also web2")
    SnapshotStore(Workspace(rita.path)).save(
        SCAN_B[0], [snapshot("web1", *SCAN_B), snapshot("web2", *SCAN_B, **OPENSSL)]
    )
    found = build_timeline(
        Workspace(rita.path), "web2", "2030-06-01T00:00:00+00:00", "2030-06-03T00:00:00+00:00",
        now=datetime(2030, 6, 5, tzinfo=UTC),
    )  # fmt: skip
    observed = [e for e in found.events if e.kind == "observed-change"]
    assert [e.details["status"] for e in observed] == ["recorded_late"]
    assert observed[0].summary.endswith(
        f"recorded late by {rid}, which its git history never proves approved as it reads now"
    )
    # the gate says the same of the record
    assert {"approval-stale", "not-approved"} <= {p["code"] for p in rita.check()["problems"]}
