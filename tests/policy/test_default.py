"""The default changekit.yaml that `changekit init` writes validates and means what its comments say."""

from __future__ import annotations

from changekit.policy import default_policy_text, load_policy
from changekit.yamlfile import parse_yaml, validate


def test_default_policy_validates_and_loads(tmp_path):
    text = default_policy_text()
    validate(parse_yaml(text), "policy", text=text)
    (tmp_path / "changekit.yaml").write_text(text)
    policy = load_policy(tmp_path)
    record = {
        "id": "CHG-20261125-abcdef",
        "type": "normal",
        "risk": "high",
        "requester": {"name": "R", "email": "r@example.org"},
        "hosts": ["web1"],
    }
    assert sum(r.count for r in policy.required_approvals(record)) == 2
    record["risk"] = "low"
    assert not policy.is_approved(record)
    record["approvals"] = [
        {"by": {"name": "R", "email": "r@example.org"}, "at": "2026-11-25T10:00:00Z"}
    ]
    assert not policy.is_approved(record), "the requester never counts"
    record["approvals"].append(
        {"by": {"name": "R", "email": "r+review@example.org"}, "at": "2026-11-25T10:00:00Z"}
    )
    assert not policy.is_approved(record), "plus-addressing is still the requester"
    assert policy.approval_problem(record, "R+x@Example.org").code == "approver-is-requester"
    record["approvals"].append(
        {"by": {"name": "A", "email": "a@example.org"}, "at": "2026-11-25T10:00:00Z"}
    )
    assert not policy.is_approved(record), "QA #3: only the approvers group counts by default"
    assert policy.approval_problem(record, "b@example.org").code == "approver-not-allowed"
    (tmp_path / "changekit.yaml").write_text(
        text.replace("members: []", "members: [a@example.org]")
    )
    assert load_policy(tmp_path).is_approved(record)
