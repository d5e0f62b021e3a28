"""Who may approve, and when approvals are enough (pure logic)."""

from __future__ import annotations

from changekit.policy import policy_from_data

POLICY = {
    "version": 1,
    "groups": {
        "ops": {"members": ["alice@example.org", "bob@example.org", "sam@example.org"]},
        "security": {"members": ["sam@example.org", "sue@example.org"]},
    },
    "approvals": {
        "rules": [
            {"when": {"type": ["emergency"]}, "require": [{"count": 1, "from": ["ops"]}]},
            {
                "when": {"risk": ["high"]},
                "require": [{"count": 1, "from": ["ops"]}, {"count": 1, "from": ["security"]}],
            },
            {"when": {"outage": True}, "require": [{"count": 2, "from": ["ops"]}]},
            {"require": [{"count": 1}]},
        ],
        "standard_templates": ["restart-service"],
    },
}


def rec(**kw) -> dict:
    base = {
        "id": "CHG-20261125-aaaaaa",
        "type": "normal",
        "risk": "low",
        "requester": {"name": "R", "email": "rita@example.org"},
    }
    return {**base, **kw}


def by(*emails: str, as_group: str | None = None) -> list[dict]:
    out = []
    for e in emails:
        entry = {"by": {"name": e, "email": e}, "at": "2026-11-25T10:00:00Z"}
        if as_group:
            entry["as"] = as_group
        out.append(entry)
    return out


def test_first_matching_rule_wins():
    policy = policy_from_data(POLICY)
    assert [
        r.describe() for r in policy.required_approvals(rec(type="emergency", risk="high"))
    ] == ["1 from ops"]
    assert [r.describe() for r in policy.required_approvals(rec(risk="high"))] == [
        "1 from ops",
        "1 from security",
    ]
    assert [r.describe() for r in policy.required_approvals(rec(outage={"expected": True}))] == [
        "2 from ops"
    ]
    assert [r.describe() for r in policy.required_approvals(rec())] == [
        "1 from anyone but the requester"
    ]


def test_one_person_fills_one_requirement_only():
    policy = policy_from_data(POLICY)
    high = rec(risk="high")
    assert not policy.is_approved(high, by("sam@example.org"))  # in both groups, but one person
    assert policy.is_approved(high, by("sam@example.org", "alice@example.org"))  # sam for security
    assert policy.is_approved(high, by("alice@example.org", "sue@example.org"))
    assert not policy.is_approved(high, by("alice@example.org", "bob@example.org"))
    assert policy.approval_count(high, by("alice@example.org", "bob@example.org")) == (1, 2)


def test_acting_for_a_group_limits_what_an_approval_counts_for():
    policy = policy_from_data(POLICY)
    high = rec(risk="high")
    # sam says he approves as ops: then he does not count for security
    approvals = by("sam@example.org", as_group="ops") + by("bob@example.org")
    assert not policy.is_approved(high, approvals)


def test_requester_and_duplicates_never_count():
    policy = policy_from_data(POLICY)
    outage = rec(outage={"expected": True}, requester={"name": "A", "email": "Alice@Example.org"})
    assert policy.approval_count(
        outage, by("alice@example.org", "bob@example.org", "bob@example.org")
    ) == (1, 2)


def test_approval_problem_says_who_may_approve():
    policy = policy_from_data(POLICY)
    high = rec(risk="high")
    assert (
        policy.approval_problem(high, {"email": "rita@example.org"}).code == "approver-is-requester"
    )
    p = policy.approval_problem(high, {"email": "eve@example.org"})
    assert p.code == "approver-not-allowed" and "ops, security" in p.hint
    assert policy.approval_problem(high, {"email": "sue@example.org"}) is None

    # an object with an .email attribute works too (the records model's Identity)
    class Ident:
        email = "BOB@example.org"

    assert policy.approval_problem(high, Ident()) is None
    approved = rec(risk="high", approvals=by("bob@example.org"))
    assert (
        policy.approval_problem(approved, {"email": "bob@example.org"}).code == "already-approved"
    )
    assert (
        policy.approval_problem(rec(), {"email": "eve@example.org"}) is None
    )  # anyone but the requester


def test_standard_change_from_a_preapproved_template_needs_nothing():
    policy = policy_from_data(POLICY)
    std = rec(type="standard", template="restart-service")
    assert policy.required_approvals(std) == () and policy.is_approved(std)
    assert policy.is_preapproved_template("restart-service")
    other = rec(type="standard", template="reboot")
    assert not policy.is_approved(other)
    from datetime import UTC, datetime

    problems = policy.check_record(other, [], None, datetime.now(UTC))
    assert [p.code for p in problems] == ["standard-without-template"]
    assert "restart-service" in problems[0].hint


def test_record_model_with_data_attribute():
    policy = policy_from_data(POLICY)

    class Record:
        data = rec(approvals=by("alice@example.org"))

    assert policy.is_approved(Record())
