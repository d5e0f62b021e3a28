"""Signed approvals: real SSH-signed commits (gpg.format=ssh), verified against the allowed-signers
file of the base revision."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.gate.conftest import POLICY

SIGNED_POLICY = POLICY.replace(
    "  emergency_within: 24h\n",
    "  emergency_within: 24h\n  signed: true\n  allowed_signers: .allowed_signers\n",
)


def allowed(keys: dict[str, Path], *pairs: tuple[str, str]) -> str:
    """``email key-type key`` lines, one per (email, whose key)."""
    lines = []
    for email, who in pairs:
        kind, blob = Path(f"{keys[who]}.pub").read_text().split()[:2]
        lines.append(f"{email} {kind} {blob}")
    return "\n".join(lines) + "\n"


def require_signing(team, keys) -> None:
    """Rita pushes the signed policy and the approvers' keys; everyone pulls it."""
    rita = team.rita
    (rita.path / "changekit.yaml").write_text(SIGNED_POLICY)
    (rita.path / ".allowed_signers").write_text(
        allowed(keys, ("alice@example.org", "alice"), ("bob@example.org", "bob"))
    )
    rita.git("add", "changekit.yaml", ".allowed_signers")
    rita.git("commit", "-q", "-m", "Require signed approvals")
    rita.git("push", "-q", "origin", "main")
    for c in (team.alice, team.bob, team.mallory):
        c.git("pull", "-q", "origin", "main")
    team.keys = keys


@pytest.fixture
def signed_team(team, keys):
    require_signing(team, keys)
    return team


@contextmanager
def env(**values: str):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def open_pr(team) -> str:
    rid = team.rita.new()
    team.rita.ck("change", "submit", rid, "--push")
    return rid


def problems(clone, *args) -> dict[str, str]:
    report = clone.check("--base", "origin/main", *args)
    return {p["code"]: p["message"] for p in report["problems"]}


def test_signed_approval_is_verified_and_passes(signed_team):
    team = signed_team
    team.alice.sign_with(team.keys["alice"])
    rid = open_pr(team)
    team.approve_on_branch(team.alice, rid)
    # independently of changekit: git itself verifies the approving commit
    signers = f"gpg.ssh.allowedSignersFile={team.alice.path}/.allowed_signers"
    team.alice.git("-c", signers, "verify-commit", "HEAD")
    pr = team.ci(f"change/{rid}")
    assert pr.check("--base", "origin/main", code=0)["ok"]


def test_unsigned_approval_is_refused(signed_team):
    team = signed_team
    rid = open_pr(team)
    team.approve_on_branch(team.alice, rid)  # alice has no signing configured
    found = problems(team.ci(f"change/{rid}"))
    assert "approval-unsigned" in found and "is not signed" in found["approval-unsigned"]
    assert "status-not-proven" in found  # the approve step is not proven: still submitted


def test_approval_signed_by_another_approvers_key_is_refused(signed_team):
    team = signed_team
    rid = open_pr(team)
    # Bob forges Alice's author and committer, but can only sign with his own key
    team.bob.sign_with(team.keys["bob"])
    team.bob.git("fetch", "-q", "origin")
    team.bob.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    alice = {"GIT_AUTHOR_NAME": "Alice Approver", "GIT_AUTHOR_EMAIL": "alice@example.org",
             "GIT_COMMITTER_NAME": "Alice Approver", "GIT_COMMITTER_EMAIL": "alice@example.org"}  # fmt: skip
    with env(**alice):
        team.bob.ck("change", "approve", rid, "--push")
    found = problems(team.ci(f"change/{rid}"))
    assert "approval-wrong-signer" in found and "bob@example.org" in found["approval-wrong-signer"]


def test_key_outside_the_allowed_signers_is_refused(signed_team):
    team = signed_team
    rid = open_pr(team)
    team.mallory.sign_with(team.keys["mallory"])
    team.mallory.git("fetch", "-q", "origin")
    team.mallory.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    alice = {"GIT_AUTHOR_NAME": "Alice Approver", "GIT_AUTHOR_EMAIL": "alice@example.org",
             "GIT_COMMITTER_NAME": "Alice Approver", "GIT_COMMITTER_EMAIL": "alice@example.org"}  # fmt: skip
    with env(**alice):
        team.mallory.ck("change", "approve", rid, "--push")
    found = problems(team.ci(f"change/{rid}"))
    assert "approval-unsigned" in found


def test_a_pull_request_cannot_add_its_own_signing_key(signed_team):
    team = signed_team
    rid = open_pr(team)
    m = team.mallory
    m.sign_with(team.keys["mallory"])
    m.git("fetch", "-q", "origin")
    m.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
    # the PR also lists Mallory's key as Alice's
    with open(m.path / ".allowed_signers", "a") as fh:
        fh.write(allowed(team.keys, ("alice@example.org", "mallory")))
    m.git("commit", "-q", "-am", "update signers")
    alice = {"GIT_AUTHOR_NAME": "Alice Approver", "GIT_AUTHOR_EMAIL": "alice@example.org",
             "GIT_COMMITTER_NAME": "Alice Approver", "GIT_COMMITTER_EMAIL": "alice@example.org"}  # fmt: skip
    with env(**alice):
        m.ck("change", "approve", rid, "--push")
    pr = team.ci(f"change/{rid}")
    # judged against the base's allowed signers: refused
    found = problems(pr)
    assert "approval-unsigned" in found
    # (without --base the work tree's file is used, and the forged key would pass: CI must pass --base)
    assert pr.check(code=None)["ok"] is True
