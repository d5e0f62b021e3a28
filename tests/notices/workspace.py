"""A real changekit workspace (a git repository) with an inventory, notices.yaml and records."""

from __future__ import annotations

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
    for rec in records if records is not None else [record()]:
        write_record(root, rec)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "workspace")
    return root


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
