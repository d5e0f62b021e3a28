"""``check --base``: a pull request is judged by the rules before it (QA #4)."""

from __future__ import annotations

from tests.gate.conftest import POLICY


def codes(report: dict) -> set[str]:
    return {p["code"] for p in report["problems"]}


def test_a_pull_request_cannot_relax_the_policy_it_is_judged_by(team):
    rid = team.rita.new()
    team.rita.ck("change", "submit", rid, "--push")
    # the PR puts an outsider into ops, and the outsider approves through the proper command
    mallory = team.mallory
    mallory.git("fetch", "-q", "origin")
    mallory.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    relaxed = POLICY.replace(
        '      - {email: bob@example.org, handle: "@bob"}\n',
        '      - {email: bob@example.org, handle: "@bob"}\n'
        '      - {email: mallory@example.org, handle: "@mallory"}\n',
    )
    assert relaxed != POLICY
    (mallory.path / "changekit.yaml").write_text(relaxed)
    mallory.git("commit", "-q", "-am", "relax")
    mallory.ck("change", "approve", rid)
    assert mallory.check(code=0)["ok"]  # by its own (relaxed) policy it would pass
    report = mallory.check("--base", "origin/main", code=1)
    assert {"status-not-proven", "policy-changed"} <= codes(report)
    changed = [p for p in report["problems"] if p["code"] == "policy-changed"]
    assert changed[0]["path"] == "changekit.yaml" and changed[0]["severity"] == "high"


def test_deleting_an_approved_record_is_reported(team):
    rid = team.rita.new()
    team.rita.ck("change", "submit", rid, "--push")
    team.approve_on_branch(team.alice, rid)
    team.merge(rid)
    rita = team.rita
    rita.git("checkout", "-q", "-b", "tidy", "origin/main")
    rita.git("rm", "-q", f"change_records/{rid}.yaml")
    rita.git("commit", "-q", "-m", "tidy up")
    report = rita.check("--base", "origin/main", code=1)
    deleted = [p for p in report["problems"] if p["code"] == "record-deleted"]
    assert deleted and deleted[0]["record"] == rid and "approved" in deleted[0]["message"]
