"""A generated change history of known shape in a real git workspace: records across 2026Q3
and 2026Q4, each step committed by the person the policy allows at a controlled date
(``GIT_AUTHOR_DATE``/``GIT_COMMITTER_DATE``), exactly as ``changekit change ...`` would
commit it. The expected figures are worked out by hand in ``test_review_figures.py``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from changekit.cli import get_cli

PEOPLE = {
    "rita": ("Rita Requester", "rita@example.org"),
    "alice": ("Alice Approver", "alice@example.org"),
    "bob": ("Bob Approver", "bob@example.org"),
    "mallory": ("Mallory", "mallory@example.org"),
}

POLICY = """\
version: 1
groups:
  ops:
    members: [alice@example.org, bob@example.org]
approvals:
  rules:
    - require: [{count: 1, from: [ops]}]
  emergency_within: 24h
lead_time: 2d
freezes:
  - {name: year-end, from: "2026-12-20", to: "2026-12-31", timezone: UTC}
classes:
  - name: IMAC
    match: {category: [install, move, add]}
    lead_time: 3d
    quota: {count: 2, per: customer, timezone: UTC}
    service_days:
      - {days: [tue], start: "09:00", end: "13:00", timezone: UTC}
  - name: emergency
    match: {type: [emergency]}
  - name: normal
"""

INVENTORY = """\
version: 1
hosts:
  web1: {}
  web2: {}
  db1: {}
groups:
  acme:
    hosts: [web1, web2]
    vars: {customer: acme, team: web}
  globex:
    hosts: [db1]
    vars: {customer: globex, team: dba}
"""

WAIVERS = {
    # file, commit date, expires
    "w-old.yaml": ("2026-08-01T10:00:00+00:00", "2027-01-15", "w-tls"),
    "w-new.yaml": ("2026-10-15T10:00:00+00:00", "2026-11-30", "w-kernel"),
}


class Workspace:
    def __init__(self, root: Path) -> None:
        self.root = root
        subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
        self.git("config", "user.name", "Rita Requester")
        self.git("config", "user.email", "rita@example.org")
        result = CliRunner().invoke(get_cli(), ["init", str(root)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        (root / "changekit.yaml").write_text(POLICY)
        for old in (root / "inventories").glob("*"):
            old.unlink()
        (root / "inventories" / "hosts.yaml").write_text(INVENTORY)
        self.commit("rita", "2026-06-01T09:00:00+00:00", "Team policy and inventory", "-A")

    def git(self, *args: str, env: dict | None = None) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=self.root, capture_output=True, text=True,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
        assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
        return proc.stdout

    def commit(self, who: str, when: str, message: str, *paths: str) -> None:
        name, email = PEOPLE[who]
        env = {
            "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email,
            "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
        }  # fmt: skip
        self.git("add", *paths, env=env)
        self.git("commit", "-q", "--no-verify", "-m", message, env=env)

    def write(self, data: dict[str, Any], who: str, when: str, message: str) -> None:
        path = self.root / "change_records" / f"{data['id']}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        self.commit(who, when, message, str(path))

    def waivers(self) -> None:
        folder = self.root / "waivers"
        folder.mkdir(exist_ok=True)
        for name, (when, expires, wid) in WAIVERS.items():
            (folder / name).write_text(
                yaml.safe_dump(
                    {
                        "waivers": [
                            {
                                "id": wid,
                                "hosts": ["web*"],
                                "item": "deb:openssl",
                                "justification": "vendor appliance pins it",
                                "approved_by": {"name": "Alice", "email": "alice@example.org"},
                                "expires": expires,
                            }
                        ]
                    }
                )
            )
            self.commit("alice", when, f"waiver {wid}", str(folder / name))


def ident(who: str) -> dict[str, str]:
    name, email = PEOPLE[who]
    return {"name": name, "email": email}


class Record:
    """One record, moved step by step; each step is one commit of the person taking it."""

    def __init__(
        self,
        ws: Workspace,
        rid: str,
        *,
        when: str,
        type: str = "normal",
        category: str = "change",
        risk: str = "low",
        host: str = "web1",
        window: tuple[str, str],
        outage: bool = False,
        title: str = "Upgrade the kernel",
    ) -> None:
        self.ws = ws
        self.data: dict[str, Any] = {
            "id": rid,
            "title": title,
            "type": type,
            "category": category,
            "risk": risk,
            "impact": "low",
            "requester": ident("rita"),
            "hosts": [host],
            "window": {"start": window[0], "end": window[1], "timezone": "UTC"},
            "implementation": "apt-get upgrade",
            "rollback": "boot the previous kernel",
            "status": "draft",
            "history": [{"status": "draft", "at": when, "by": ident("rita")}],
        }
        if outage:
            self.data["outage"] = {"expected": True, "duration_minutes": 30}
        if type == "emergency":
            self.data["emergency"] = {"reason": "the disk is filling up"}
        ws.write(self.data, "rita", when, f"change new {rid}")

    def step(self, status: str, who: str, when: str, note: str | None = None) -> Record:
        self.data["status"] = status
        entry: dict[str, Any] = {"status": status, "at": when, "by": ident(who)}
        if note:
            entry["note"] = note
        self.data["history"].append(entry)
        self.ws.write(self.data, who, when, f"{status} {self.data['id']}")
        return self

    def submit(self, when: str) -> Record:
        return self.step("submitted", "rita", when)

    def approve(self, who: str, when: str) -> Record:
        self.data.setdefault("approvals", []).append({"by": ident(who), "at": when})
        status = "approved" if self.data["status"] == "submitted" else self.data["status"]
        return self.step(status, who, when, f"approved by {PEOPLE[who][1]}")

    def reject(self, who: str, when: str) -> Record:
        self.data["rejection"] = {"by": ident(who), "at": when, "reason": "too risky"}
        return self.step("rejected", who, when, "too risky")

    def start(self, when: str, reason: str | None = None) -> Record:
        note = f"started while its window is over, forced: {reason}" if reason else None
        return self.step("in_progress", "rita", when, note)

    def end(self, result: str, when: str) -> Record:
        self.data["outcome"] = {"result": result, "at": when}
        return self.step(result, "rita", when)

    def cancel(self, when: str) -> Record:
        self.data["outcome"] = {"result": "cancelled", "at": when}
        return self.step("cancelled", "rita", when)

    def announce(self, when: str) -> Record:
        self.data.setdefault("notices", []).append(
            {"kind": "announcement", "channel": "email", "at": when}
        )
        self.ws.write(self.data, "rita", when, f"notices {self.data['id']}")
        return self


def D(day: str, hm: str = "09:00") -> str:  # noqa: N802 - reads like a date in the table
    return f"2026-{day}T{hm}:00+00:00"


def build(root: Path) -> Workspace:
    """The history ``test_review_figures`` asserts on (ids say the quarter and the letter)."""
    ws = Workspace(root)
    # -- 2026Q3 --------------------------------------------------------------------
    Record(ws, "CHG-20260701-q3aaaa", when=D("07-01"), window=(D("07-10", "02:00"), D("07-10", "04:00"))
           ).submit(D("07-01", "10:00")).approve("alice", D("07-02", "10:00")).start(
           D("07-10", "02:00")).end("completed", D("07-10", "03:00"))  # fmt: skip
    Record(ws, "CHG-20260803-q3bbbb", when=D("08-03"), risk="medium", host="db1",
           window=(D("08-12", "02:00"), D("08-12", "04:00"))).submit(D("08-03", "09:30")).approve(
           "bob", D("08-03", "15:00")).start(D("08-12", "02:00")).end("failed", D("08-12", "02:30")
           ).end("rolled_back", D("08-12", "03:00"))  # fmt: skip
    Record(ws, "CHG-20260901-q3cccc", when=D("09-01"), risk="high", host="web2",
           window=(D("09-20", "02:00"), D("09-20", "04:00"))).submit(D("09-01", "09:10")).reject(
           "bob", D("09-02"))  # fmt: skip
    # -- 2026Q4 --------------------------------------------------------------------
    Record(ws, "CHG-20261001-q4aaaa", when=D("10-01"), outage=True,
           window=(D("10-14", "02:00"), D("10-14", "04:00"))).submit(D("10-01", "09:05")).approve(
           "alice", D("10-02")).announce(D("10-02", "12:00")).start(D("10-14", "02:00")).end(
           "completed", D("10-14", "03:00"))  # fmt: skip
    Record(ws, "CHG-20261005-q4bbbb", when=D("10-05"), risk="high", host="db1",
           window=(D("10-20", "02:00"), D("10-20", "04:00"))).submit(D("10-05", "09:05")).approve(
           "bob", D("10-05", "21:00")).start(D("10-20", "02:00")).end("failed", D("10-20", "02:40"))  # fmt: skip
    Record(ws, "CHG-20261006-q4cccc", when=D("10-06"), category="install",
           window=(D("10-20", "10:00"), D("10-20", "11:00"))).submit(D("10-06", "09:05")).approve(
           "alice", D("10-06", "18:00")).announce(D("10-07")).start(D("10-20", "10:00")).end(
           "completed", D("10-20", "11:00"))  # fmt: skip
    Record(ws, "CHG-20261008-q4dddd", when=D("10-08"), category="add", host="web2",
           window=(D("10-21", "10:00"), D("10-21", "11:00"))).submit(D("10-08", "09:05")).approve(
           "alice", D("10-09")).announce(D("10-20")).start(D("10-22", "10:00"), "vendor delivered late"
           ).end("completed", D("10-22", "11:00"))  # fmt: skip
    Record(ws, "CHG-20261102-q4ffff", when=D("11-02"), risk="medium", host="db1",
           window=(D("11-20", "02:00"), D("11-20", "04:00"))).submit(D("11-02", "09:05")).cancel(D("11-03"))  # fmt: skip
    Record(ws, "CHG-20261103-q4iiii", when=D("11-03"), category="install", host="db1",
           window=(D("11-17", "09:30"), D("11-17", "10:30"))).submit(D("11-03", "09:05")).approve(
           "bob", D("11-04"))  # fmt: skip
    forged = Record(ws, "CHG-20261110-q4gggg", when=D("11-10"), host="web2",
                    window=(D("11-25", "02:00"), D("11-25", "04:00"))).submit(D("11-10", "09:05"))  # fmt: skip
    forged.data["outcome"] = {"result": "completed", "at": D("11-25", "03:00")}
    forged.step("completed", "mallory", D("11-25", "03:00"))  # a hand edit: proves nothing
    Record(ws, "CHG-20261112-q4hhhh", when=D("11-12"),
           window=(D("11-30", "02:00"), D("11-30", "04:00"))).submit(D("11-12", "09:05")).reject(
           "bob", D("11-13"))  # fmt: skip
    Record(ws, "CHG-20261222-q4eeee", when=D("12-22", "01:00"), type="emergency", risk="high",
           window=(D("12-22", "01:00"), D("12-22", "05:00"))).submit(D("12-22", "01:05")).start(
           D("12-22", "01:10")).approve("alice", D("12-22", "03:00")).end("completed", D("12-22", "04:00"))  # fmt: skip
    ws.waivers()
    scans(root)
    return ws


TZDATA = {"dpkg__tzdata": {"version": "2030a-1"}}
NMAP = {"dpkg__nmap": {"version": "7.93+dfsg1-1"}}
HOSTS = ("web1", "web2", "db1")


def scans(root: Path) -> None:
    """Stored scans: in 2026Q3 web2 gains nmap (no record: unrecorded). In 2026Q4 web1's
    tzdata changes inside CHG-...-q4aaaa's window (explained), web2's scan of 11-05 fails,
    web2's tzdata changes between 10-15 and 12-01, which CHG-...-q4dddd's window covers
    (explained), and db1 gains nmap with no record around (unrecorded)."""
    from changekit.facts.backend import open_store
    from changekit.workspace import Workspace as CkWorkspace
    from tests.drift.fleetdata import snapshot

    store = open_store(CkWorkspace(root))

    def at(day: str) -> tuple[str, str]:
        return f"2026{day.replace('-', '')}T100000Z-s{day.replace('-', '')}", D(day, "10:00")

    def save(day: str, extra: dict[str, dict], failed: dict | None = None) -> None:
        scan, when = at(day)
        hosts = [h for h in HOSTS if h not in (failed or {})]
        store.save(
            scan, [snapshot(h, scan, when, **extra.get(h, {})) for h in hosts], failed=failed
        )

    save("07-05", {})
    save("08-20", {"web2": NMAP})
    save("10-10", {"web2": NMAP})
    save("10-15", {"web2": NMAP, "web1": TZDATA})
    save(
        "11-05",
        {"web1": TZDATA},
        failed={"web2": {"reason": "unreachable", "message": "timed out"}},
    )
    save("12-01", {"web1": TZDATA, "web2": {**NMAP, **TZDATA}})
    save("12-10", {"web1": TZDATA, "web2": {**NMAP, **TZDATA}, "db1": NMAP})
