"""``changekit change edit ID``: $EDITOR on the record, validated, one commit (QA #20)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.records.gitrepos import ck, git, new_record, ok, policy_with, set_identity


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    ok(tmp_path, "init", str(root))
    (root / "changekit.yaml").write_text(policy_with(["bob@example.org"]))
    git(root, "commit", "-qam", "policy")
    set_identity(root, "Alice", "alice@example.org")
    return root


def _editor(monkeypatch, script: str) -> None:
    """A real editor command run on the temporary file, as a person's $EDITOR would be."""
    monkeypatch.setenv("EDITOR", script)
    monkeypatch.delenv("VISUAL", raising=False)


def _record(ws: Path, rid: str) -> dict:
    return yaml.safe_load((ws / "change_records" / f"{rid}.yaml").read_text())


WINDOW = """#!/bin/sh
cat >> "$1" <<'EOF'
window:
  start: 2030-12-06T02:00:00+01:00
  end: 2030-12-06T03:00:00+01:00
  timezone: Europe/Berlin
EOF
"""


def test_edit_adds_a_window_to_a_submitted_change(ws, monkeypatch, tmp_path):
    rid = new_record(ws)
    ok(ws, "change", "submit", rid)
    script = tmp_path / "add-window"
    script.write_text(WINDOW)
    script.chmod(0o755)
    _editor(monkeypatch, str(script))
    result = ok(ws, "change", "edit", rid)
    assert f"{rid}: edit recorded, still submitted" in result.stdout
    data = _record(ws, rid)
    assert data["window"]["timezone"] == "Europe/Berlin"
    assert data["history"][-1]["note"] == "edited: window"
    assert git(ws, "log", "-1", "--format=%s %ae").startswith(f"Edit {rid}: ")
    assert "Changekit-Action: edit" in git(ws, "log", "-1", "--format=%B")
    assert git(ws, "status", "--porcelain") == ""


def test_editing_an_approved_change_withdraws_its_approvals(ws, monkeypatch):
    rid = new_record(ws)
    ok(ws, "change", "submit", rid)
    set_identity(ws, "Bob", "bob@example.org")
    ok(ws, "change", "approve", rid)
    set_identity(ws, "Alice", "alice@example.org")
    _editor(monkeypatch, "sed -i 's/^title: .*/title: Upgrade nginx and openssl/'")
    result = ok(ws, "change", "edit", rid)
    assert "approved -> submitted" in result.stdout
    assert "approvals by bob@example.org were withdrawn" in result.stdout
    data = _record(ws, rid)
    assert data["status"] == "submitted" and "approvals" not in data
    assert data["title"] == "Upgrade nginx and openssl"


def test_edit_refuses_reserved_fields_invalid_text_and_closed_changes(ws, monkeypatch):
    rid = new_record(ws)
    path = ws / "change_records" / f"{rid}.yaml"
    before, head = path.read_bytes(), git(ws, "rev-parse", "HEAD")
    _editor(monkeypatch, "sed -i 's/^status: draft/status: approved/'")
    refused = ck(ws, "change", "edit", rid)
    assert refused.exit_code == 3 and "status cannot be edited by hand" in refused.stderr
    _editor(monkeypatch, "sed -i 's/^risk: low/risk: lowish/'")
    invalid = ck(ws, "change", "edit", rid)
    assert invalid.exit_code == 3
    assert f".changekit/{rid}.edit.yaml:" in invalid.stderr and "'lowish'" in invalid.stderr
    assert "risk: lowish" in (ws / ".changekit" / f"{rid}.edit.yaml").read_text()
    assert path.read_bytes() == before and git(ws, "rev-parse", "HEAD") == head
    assert git(ws, "status", "--porcelain") == ""
    _editor(monkeypatch, "true")
    assert ok(ws, "change", "edit", rid).stdout.strip() == f"{rid}: no changes"
    ok(ws, "change", "cancel", rid, "--reason", "not needed")
    closed = ck(ws, "change", "edit", rid)
    assert closed.exit_code == 4 and f"cannot edit {rid}: it is cancelled" in closed.stderr
