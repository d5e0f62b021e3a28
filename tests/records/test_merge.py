"""Two reviewers approving one change at once: git merges the record through changekit's
merge driver (QA #13); a real conflict is still left to a person, naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from changekit.records.merge import MergeConflict, merge_records
from tests.records.gitrepos import ck, clone, git, make_origin, new_record, ok, policy_with

POLICY = policy_with(["bob@example.org", "carol@example.org"])


def _two_reviewers(tmp_path: Path) -> tuple[str, Path, Path]:
    origin = make_origin(tmp_path, POLICY)
    alice = clone(origin, tmp_path / "alice", "Alice", "alice@example.org")
    assert "merge=changekit-record" in (alice / ".gitattributes").read_text()
    rid = new_record(alice)
    path = alice / "change_records" / f"{rid}.yaml"
    path.write_text(path.read_text().replace("risk: low", "risk: high"))  # needs two approvals
    git(alice, "commit", "-qam", "raise risk")
    ok(alice, "change", "submit", rid, "--push")
    reviewers = []
    for name in ("bob", "carol"):
        who = clone(origin, tmp_path / name, name.capitalize(), f"{name}@example.org")
        git(who, "switch", "-q", f"change/{rid}")
        reviewers.append(who)
    return rid, *reviewers


def test_concurrent_approvals_merge_with_git_pull(tmp_path):
    rid, bob, carol = _two_reviewers(tmp_path)
    ok(bob, "change", "approve", rid, "--push")
    late = ck(carol, "change", "approve", rid, "--push")  # Bob pushed first
    assert late.exit_code == 5
    assert f"git pull --no-rebase origin change/{rid}" in late.stderr
    git(carol, "pull", "-q", "--no-rebase", "origin", f"change/{rid}")  # the driver merges
    git(carol, "push", "-q", "origin", f"change/{rid}")
    data = yaml.safe_load((carol / "change_records" / f"{rid}.yaml").read_text())
    assert {a["by"]["email"] for a in data["approvals"]} == {"bob@example.org", "carol@example.org"}
    assert data["status"] == "approved"
    assert [h["status"] for h in data["history"]][-1] == "approved"
    assert "<<<<<<<" not in (carol / "change_records" / f"{rid}.yaml").read_text()
    shown = ok(carol, "change", "show", rid, "--format", "json")
    assert '"status": "approved"' in shown.stdout
    again = ck(carol, "change", "approve", rid)
    assert again.exit_code == 4 and "already approved" in again.stderr


def test_a_real_conflict_is_left_with_markers_naming_the_field(tmp_path, monkeypatch):
    rid, bob, carol = _two_reviewers(tmp_path)
    monkeypatch.delenv("VISUAL", raising=False)
    for who, risk in ((bob, "medium"), (carol, "low")):
        script = tmp_path / f"set-{risk}"
        script.write_text(f"#!/bin/sh\nsed -i 's/^risk: high/risk: {risk}/' \"$1\"\n")
        script.chmod(0o755)
        monkeypatch.setenv("EDITOR", str(script))
        ok(who, "change", "edit", rid)
    git(bob, "push", "-q", "origin", f"change/{rid}")
    import subprocess

    done = subprocess.run(
        ["git", "pull", "--no-rebase", "origin", f"change/{rid}"],
        cwd=carol,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "both sides changed 'risk' differently" in done.stderr + done.stdout
    assert "<<<<<<<" in (carol / "change_records" / f"{rid}.yaml").read_text()


def test_withdrawn_approvals_stay_withdrawn():
    a1 = {"by": {"email": "bob@example.org"}, "at": "2030-01-01T00:00:00+00:00"}
    a2 = {"by": {"email": "carol@example.org"}, "at": "2030-01-01T00:01:00+00:00"}
    base = {"status": "approved", "approvals": [a1], "history": []}
    ours = {"status": "approved", "approvals": [a1, a2], "history": []}
    theirs = {"status": "submitted", "history": [], "window": {"start": "x"}}
    merged = merge_records(base, ours, theirs)
    assert merged["approvals"] == [a2] and merged["window"] == {"start": "x"}
    with pytest.raises(MergeConflict) as exc:
        merge_records({"risk": "low"}, {"risk": "high"}, {"risk": "medium"})
    assert exc.value.field == "risk"
