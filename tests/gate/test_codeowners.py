"""`changekit codeowners`: the forge asks the reviewers the policy names."""

from __future__ import annotations

import pytest

from changekit.errors import InputError
from changekit.policy import policy_from_data
from changekit.policy.codeowners import codeowners_text


def test_codeowners_from_the_team_policy(team):
    team.rita.ck("codeowners")
    text = (team.rita.path / ".github/CODEOWNERS").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines == ["/change_records/  @acme/ops", "/changekit.yaml   @acme/ops"]
    team.rita.ck("codeowners", "--forge", "gitlab")
    assert (team.rita.path / ".gitlab/CODEOWNERS").read_text() == text


def test_members_handles_emails_and_extra_paths():
    policy = policy_from_data({
        "version": 1,
        "groups": {
            "ops": {"members": [{"email": "alice@example.org", "handle": "@alice"}, "bob@example.org"]},
            "security": {"members": [{"email": "sam@example.org", "handle": "@sam"}]},
        },
        "approvals": {
            "rules": [{"require": [{"count": 1, "from": ["ops"]}, {"count": 1, "from": ["security"]}]}],
            "signed": True,
            "allowed_signers": ".allowed_signers",
        },
        "codeowners": [{"path": "/inventories/finance/", "owners": ["security", "@acme/finance"]}],
    })  # fmt: skip
    body = [
        line.split() for line in codeowners_text(policy).splitlines() if not line.startswith("#")
    ]
    assert body == [
        ["/change_records/", "@alice", "bob@example.org", "@sam"],
        ["/changekit.yaml", "@alice", "bob@example.org", "@sam"],
        ["/.allowed_signers", "@alice", "bob@example.org", "@sam"],
        ["/inventories/finance/", "@sam", "@acme/finance"],
    ]


def test_unknown_owner_group_is_refused():
    policy = policy_from_data({"version": 1, "codeowners": [{"path": "/x/", "owners": ["opps"]}]})
    with pytest.raises(InputError, match="'opps', which is not a group"):
        codeowners_text(policy)


def test_no_approvers_at_all_is_explained(team):
    (team.rita.path / "changekit.yaml").write_text("version: 1\n")
    result = team.rita.ck("codeowners", code=3)
    assert "nobody to put in CODEOWNERS" in result.stderr
