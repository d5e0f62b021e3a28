"""A workspace with a year of history, for the review benchmark: change records with the
history changekit itself writes (each step its own commit, by the person allowed to take it,
dated when it happened) and daily scans of a fleet shaped like real servers
(``bench/fleetgen.py``).

Records are spread over the year; about 70 % normal, 25 % standard (pre-approved), 5 %
emergency; 3 % rejected, 4 % cancelled, 3 % failed, 3 % rolled back, 1 % started early
(forced, with a reason); the rest completed, or still scheduled when their window is after
the last day. Deterministic for a seed. The history is written with ``git fast-import``.

    .venv/bin/python bench/reviewgen.py DIR [--records N] [--hosts N] [--days N]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import dump  # noqa: E402
from fleetgen import START, Fleet  # noqa: E402

from changekit.policy.default import DEFAULT_POLICY  # noqa: E402

REQUESTERS = [
    {"name": "Rita Requester", "email": "rita@example.org"},
    {"name": "Ron Requester", "email": "ron@example.org"},
    {"name": "Rosa Requester", "email": "rosa@example.org"},
]
REVIEWERS = [
    {"name": "Alice Approver", "email": "alice@example.org"},
    {"name": "Bob Approver", "email": "bob@example.org"},
]
CUSTOMERS = ["acme", "globex", "initech", "umbrella"]
CLASSES = """
classes:
  - name: IMAC
    match: {category: [install, move, add]}
    lead_time: 1d
    quota: {count: QUOTA, per: customer}
  - name: emergency
    match: {type: [emergency]}
  - name: standard
    match: {type: [standard]}
  - name: normal
"""
POLICY = (
    DEFAULT_POLICY.replace(
        "  approvers:\n    members: []",
        "  approvers:\n    members: [alice@example.org, bob@example.org]",
    )
    .replace("standard_templates: []", "standard_templates: [security-updates]")
    .replace("\nclasses: []\n", CLASSES)
)


TEMPLATE = yaml.safe_load(
    (
        Path(__file__).resolve().parent.parent / "changekit/records/data/security-updates.yaml"
    ).read_text()
)
PLAN = ("implementation", "verification", "rollback", "risk", "impact", "outage", "services")


class History:
    """A ``git fast-import`` stream on one branch, each commit at its own time."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.mark = 0

    def commit(self, who: dict, at: datetime, subject: str, files: dict[str, bytes]) -> None:
        self.mark += 1
        ident = f"{who['name']} <{who['email']}> {int(at.timestamp())} +0000"
        msg = subject + "\n"
        head = f"commit refs/heads/main\nmark :{self.mark}\nauthor {ident}\ncommitter {ident}\n"
        self.parts.append(head.encode() + f"data {len(msg.encode())}\n{msg}".encode())
        if self.mark > 1:
            self.parts.append(f"from :{self.mark - 1}\n".encode())
        for path, blob in files.items():
            self.parts.append(f"M 100644 inline {path}\ndata {len(blob)}\n".encode() + blob + b"\n")


def _events(
    i: int, rng: random.Random, hosts: list[str], days: int, start0: datetime
) -> list[tuple]:
    """``(time, step, who, record data changes)`` for record ``i``: its whole life."""
    filed = start0 + timedelta(minutes=rng.randrange(0, (days - 12) * 24 * 60))
    kind = rng.choices(["normal", "standard", "emergency"], [70, 25, 5])[0]
    requester = REQUESTERS[i % len(REQUESTERS)]
    lead = timedelta(hours=rng.randint(20, 240))
    start = (filed + lead).replace(minute=0, second=0, microsecond=0)
    if kind == "emergency":
        start = filed + timedelta(minutes=30)
    end = start + timedelta(hours=1)
    fate = rng.choices(
        ["completed", "rejected", "cancelled", "failed", "rolled_back", "forced"],
        [86, 3, 4, 3, 3, 1],
    )[0]
    if kind == "standard" and fate == "rejected":
        fate = "completed"
    risk = rng.choices(["low", "medium", "high"], [60, 30, 10])[0] if kind == "normal" else "low"
    data = {
        "id": f"CHG-{filed:%Y%m%d}-{i:06x}",
        "title": f"Change {i}: {rng.choice(['patch', 'upgrade', 'install', 'move'])} service {i % 50}",
        "type": kind,
        "category": rng.choice(["install", "move", "add", "change", "change", "other"]),
        "risk": risk,
        "impact": "low",
        "requester": requester,
        "hosts": [rng.choice(hosts)],
        "outage": {"expected": False},
        "window": {"start": start.isoformat(), "end": end.isoformat(), "timezone": "UTC"},
        "description": "Routine maintenance.",
        "justification": "Keep the service patched.",
        "implementation": ["step one", "step two"],
        "verification": ["check health"],
        "rollback": ["revert"],
    }
    if kind == "standard":
        data.update({k: TEMPLATE[k] for k in PLAN}, template="security-updates", category="change")
    if kind == "emergency":
        data["emergency"] = {"reason": "the service is down"}
    out = [(filed, "file", requester, None)]
    submitted = filed + timedelta(minutes=5)
    out.append((submitted, "submit", requester, None))
    approvers = REVIEWERS if risk == "high" else [REVIEWERS[i % 2]]
    approved = submitted + timedelta(minutes=rng.randint(30, 48 * 60))
    if kind == "emergency":
        out.append((start, "start", requester, None))
        out += [(start + timedelta(hours=4), "approve", r, None) for r in approvers]
        out.append((end + timedelta(minutes=10), "complete", requester, None))
        return [data, out]
    if approved >= start:
        approved = start - timedelta(hours=1)
    if fate == "rejected":
        out.append((approved, "reject", approvers[0], None))
        return [data, out]
    if kind != "standard":
        out += [
            (approved + timedelta(minutes=k), "approve", r, None) for k, r in enumerate(approvers)
        ]
    if fate == "cancelled":
        out.append((approved + timedelta(hours=1), "cancel", requester, None))
        return [data, out]
    if rng.random() < 0.85:  # the users are told; now and then too late for the class's lead
        told = (
            approved + timedelta(minutes=20) if rng.random() < 0.9 else start - timedelta(hours=2)
        )
        out.append((told, "announce", requester, None))
    began = start - timedelta(hours=3) if fate == "forced" else start + timedelta(minutes=2)
    out.append((began, "start", requester, "forced" if fate == "forced" else None))
    if fate == "failed":
        out.append((end, "fail", requester, None))
    elif fate == "rolled_back":
        out.append((end, "rollback", requester, None))
    else:
        out.append((end, "complete", requester, None))
    return [data, out]


TARGET = {
    "file": "draft", "submit": "submitted", "approve": "approved", "reject": "rejected",
    "cancel": "cancelled", "start": "in_progress", "complete": "completed", "fail": "failed",
    "rollback": "rolled_back", "announce": None,
}  # fmt: skip


def quota(count: int, days: int, customers: int) -> int:
    """IMAC changes a customer may have a month: about what the generated team files, so
    the busiest months go over it (as real ones do)."""
    customers = min(len(CUSTOMERS), max(1, customers))
    per_month = count / days * 30 * 0.45 / customers  # install, move, add: about 45 %
    return max(3, round(per_month * 1.15))


def records(
    root: Path,
    count: int,
    hosts: list[str],
    days: int,
    seed: int = 12,
    start: datetime = START,
    customers: int = 1,
) -> History:
    rng = random.Random(seed)
    lives = [_events(i, rng, hosts, days, start) for i in range(count)]
    last = start + timedelta(days=days)
    timeline = sorted(
        (at, i, n, step, who, note)
        for i, (_data, events) in enumerate(lives)
        for n, (at, step, who, note) in enumerate(events)
        if at < last
    )
    hist = History()
    hist.commit(
        REQUESTERS[0],
        start - timedelta(days=1),
        "Set up changekit workspace",
        {
            "changekit.yaml": POLICY.replace("QUOTA", str(quota(count, days, customers))).encode(),
            ".gitignore": b".changekit/\n",
            "templates/security-updates.yaml": yaml.safe_dump(TEMPLATE, sort_keys=False).encode(),
        },
    )
    for at, i, _n, step, who, note in timeline:
        data = lives[i][0]
        rid = data["id"]
        entry = {"status": TARGET[step], "at": at.isoformat(), "by": who}
        if step == "file":
            data["status"] = "draft"
            data["history"] = [{**entry, "note": "filed"}]
        else:
            if step == "approve":
                data.setdefault("approvals", []).append({"by": who, "at": at.isoformat()})
                if data["status"] not in ("submitted", "approved"):
                    entry = None  # an emergency approved after it started keeps its status
                elif (
                    data["type"] != "standard"
                    and data["risk"] == "high"
                    and len(data["approvals"]) < 2
                ):
                    entry = None  # one of two approvals: still submitted
            elif step == "reject":
                data["rejection"] = {"by": who, "at": at.isoformat(), "reason": "not now"}
            elif step == "submit" and data["type"] == "standard":
                entry["status"] = "approved"  # pre-approved on submission
            elif step in ("complete", "fail", "rollback", "cancel"):
                data["outcome"] = {"result": TARGET[step], "at": at.isoformat()}
            elif step == "announce":
                data["announcement"] = {"announced_at": at.isoformat()}
                data.setdefault("notices", []).append(
                    {"kind": "announcement", "channel": "email", "audience": "users",
                     "at": at.isoformat()}
                )  # fmt: skip
                entry = None  # telling users is no status step
            if note == "forced":
                entry["note"] = (
                    "started while its window has not begun, forced: the vendor is on site now"
                )
            if entry is not None:
                data["status"] = entry["status"]
                data["history"].append(entry)
        path = f"change_records/{rid}.yaml"
        hist.commit(who, at, f"{step} {rid}", {path: dump(data)})
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    for key, value in (("user.name", "Changekit Scanner"), ("user.email", "scanner@example.org")):
        subprocess.run(["git", "config", key, value], cwd=root, check=True)  # stores the scans
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=root, input=b"".join(hist.parts), check=True
    )
    subprocess.run(["git", "checkout", "-q", "main"], cwd=root, check=True)
    return hist


def inventory(fleet: Fleet) -> dict:
    inv = fleet.inventory()
    for n, group in enumerate(sorted(inv["groups"])):
        inv["groups"][group]["vars"] = {"customer": CUSTOMERS[n % len(CUSTOMERS)]}
    return inv


def generate(
    root: Path,
    count: int,
    hosts: int,
    days: int,
    *,
    progress=print,
    start: datetime = START,
    group_size: int = 50,
) -> None:
    from changekit.facts.backend import open_store
    from changekit.workspace import Workspace

    fleet = Fleet(hosts, group_size=group_size, start=start)
    records(root, count, fleet.hosts, days, start=start, customers=len(fleet.groups()))
    for sub in ("inventories", "standards", "waivers"):
        (root / sub).mkdir(exist_ok=True)
    (root / "inventories" / "fleet.yaml").write_text(yaml.safe_dump(inventory(fleet)))
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=Rita Requester", "-c", "user.email=rita@example.org",
         "commit", "-qm", "inventory"],
        cwd=root, check=True,
    )  # fmt: skip
    store = open_store(Workspace(root))
    for day in range(days):
        store.save(fleet.scan(day).__next__()["scan_id"], fleet.scan(day))
        if day % 30 == 0:
            progress(f"  stored day {day} of {days}")
    subprocess.run(["git", "gc", "-q"], cwd=root, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--group-size", type=int, default=50, help="hosts per peer group")
    ap.add_argument(
        "--until-today",
        action="store_true",
        help="end the history today (the demo), not a year from 2026-11-01 (the benchmark)",
    )
    args = ap.parse_args()
    start = START
    if args.until_today:
        today = datetime.now(UTC).replace(hour=START.hour, minute=0, second=0, microsecond=0)
        start = today - timedelta(days=args.days - 1)
    generate(
        args.dir, args.records, args.hosts, args.days, start=start, group_size=args.group_size,
        progress=lambda _m: None,
    )  # fmt: skip
    print(f"wrote {args.dir}: {args.records} records, {args.hosts} hosts x {args.days} daily scans")


if __name__ == "__main__":
    main()
