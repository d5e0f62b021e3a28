"""A real changekit workspace (a git repository) with an inventory, notices.yaml and records."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

RID = "CHG-20261125-web001"
INVENTORY = {
    "hosts": {
        "web01": {},
        "web02": {},
        "db01": {},
        "app01": {"contacts": ["app-owner@example.org"]},
    },
    "groups": {
        "web": {
            "hosts": ["web01", "web02"],
            "contacts": ["web-team@example.org", "Intranet Editors <editors@example.org>"],
        },
        "db": {"hosts": ["db01"], "contacts": ["dba@example.org"]},
    },
}


def record(rid: str = RID, **over: Any) -> dict[str, Any]:
    data = {
        "id": rid,
        "title": "Upgrade Apache on the web servers",
        "type": "normal",
        "category": "change",
        "risk": "medium",
        "impact": "medium",
        "requester": {"name": "Alice Admin", "email": "alice@example.org"},
        "hosts": ["group:web"],
        "services": ["intranet"],
        "outage": {
            "expected": True,
            "duration_minutes": 15,
            "description": "The intranet is unreachable while Apache restarts.",
        },
        "window": {
            "start": "2026-12-10T22:00:00+00:00",
            "end": "2026-12-10T23:30:00+00:00",
            "timezone": "Europe/Berlin",
        },
        "description": "Apache is upgraded to the latest security release & restarted.",
        "justification": "Fixes CVE-2026-0001 <critical>.",
        "user_action": "Save your work in the intranet editor before 22:45 CET.",
        "contact": "ops@example.org, +49 30 1234",
        "status": "approved",
        "history": [
            {
                "status": "draft",
                "at": "2026-11-25T09:00:00+00:00",
                "by": {"name": "Alice Admin", "email": "alice@example.org"},
            }
        ],
    }
    data.update(over)
    return data


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout


def make_workspace(
    root: Path,
    notices: dict[str, Any],
    records: list[dict[str, Any]] | None = None,
    inventory: dict[str, Any] | None = None,
    policy: str = "version: 1\n",
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    (root / "changekit.yaml").write_text(policy)
    (root / ".gitignore").write_text(".changekit/\n")
    (root / "inventories").mkdir()
    (root / "inventories" / "hosts.yaml").write_text(yaml.safe_dump(inventory or INVENTORY))
    (root / "notices.yaml").write_text(yaml.safe_dump(notices, sort_keys=False))
    (root / "change_records").mkdir()
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "workspace")
    for rec in records if records is not None else [record()]:
        commit_proven(root, rec)
    return root


REVIEWER = {"name": "Rob Reviewer", "email": "rob@example.org"}
LIFECYCLE = ("status", "history", "approvals", "notices", "announcement", "outcome", "rejection")
ROUTES = {
    "draft": (),
    "submitted": ("submitted",),
    "approved": ("submitted", "approved"),
    "scheduled": ("submitted", "approved", "scheduled"),
    "in_progress": ("submitted", "approved", "in_progress"),
    "completed": ("submitted", "approved", "in_progress", "completed"),
    "failed": ("submitted", "approved", "in_progress", "failed"),
    "rolled_back": ("submitted", "approved", "in_progress", "rolled_back"),
    "cancelled": ("submitted", "cancelled"),
    "rejected": ("submitted", "rejected"),
}


def _commit_as(root: Path, who: dict[str, str], at: str, message: str) -> None:
    env = {
        "GIT_AUTHOR_NAME": who["name"], "GIT_AUTHOR_EMAIL": who["email"],
        "GIT_COMMITTER_NAME": who["name"], "GIT_COMMITTER_EMAIL": who["email"],
        "GIT_AUTHOR_DATE": at, "GIT_COMMITTER_DATE": at,
    }  # fmt: skip
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(root), "commit", "-q", "--allow-empty", "-m", message],
        check=True, capture_output=True, env={**os.environ, **env},
    )  # fmt: skip


def commit_proven(root: Path, rec: dict[str, Any]) -> None:
    """Commit ``rec`` the way the lifecycle commands would have: filed as a draft by its
    requester, each step a commit by the person who may take it, dated as its history says,
    so that the gate's ledger proves the status the record claims."""
    requester = rec["requester"]
    route = ROUTES[rec["status"]]
    if rec.get("type") == "emergency" and rec["status"] in ("in_progress", "completed", "failed"):
        route = tuple(s for s in route if s != "approved" or rec.get("approvals"))
    given = list(rec.get("history") or [])
    plain = {k: v for k, v in rec.items() if k not in LIFECYCLE}
    first = next((h for h in given if h["status"] == "draft"), None)
    history = [first or {"status": "draft", "at": "2026-11-25T09:00:00+00:00", "by": requester}]
    write_record(root, {**plain, "status": "draft", "history": history})
    _commit_as(root, requester, history[0]["at"], f"{rec['id']}: file")
    state: dict[str, Any] = {}
    for status in route:
        entry = next((h for h in given if h["status"] == status), None) or {
            "status": status, "at": history[-1]["at"], "by": requester,
        }  # fmt: skip
        who = entry.get("by") or requester
        if status == "approved":
            approvals = list(rec.get("approvals") or [{"by": REVIEWER, "at": entry["at"]}])
            for done, approval in enumerate(approvals[:-1], 1):
                state["approvals"] = approvals[:done]
                write_record(root, {**plain, "status": "submitted", "history": history, **state})
                _commit_as(root, approval["by"], approval["at"], f"{rec['id']}: approve")
            state["approvals"] = approvals
            who = approvals[-1]["by"]
            entry = {**entry, "by": who}
        if status == "rejected":
            state["rejection"] = rec["rejection"]
            who = rec["rejection"]["by"]
        if status in ("completed", "failed", "rolled_back") and "outcome" in rec:
            state["outcome"] = rec["outcome"]
        history = [*history, entry]
        write_record(root, {**plain, "status": status, "history": history, **state})
        _commit_as(root, who, entry["at"], f"{rec['id']}: {status}")
    rest = {k: rec[k] for k in ("notices", "announcement", "outcome") if k in rec}
    if rest:
        write_record(root, {**plain, "status": rec["status"], "history": history, **state, **rest})
        _commit_as(root, requester, history[-1]["at"], f"{rec['id']}: notices")


def write_record(root: Path, rec: dict[str, Any]) -> None:
    (root / "change_records" / f"{rec['id']}.yaml").write_text(yaml.safe_dump(rec, sort_keys=False))


def load(root: Path, rid: str = RID) -> dict[str, Any]:
    return yaml.safe_load((root / "change_records" / f"{rid}.yaml").read_text())


def update(root: Path, rid: str = RID, **fields: Any) -> None:
    """Edit a record the way a lifecycle command would, and commit it."""
    rec = load(root, rid)
    rec.update(fields)
    write_record(root, rec)
    git(root, "commit", "-q", "-am", f"{rid}: edit")
