"""Benchmark: `changekit check` on 10,000 records whose approvals all need proving from history.

Each record has the history changekit itself writes: filed and submitted by the requester,
approved by a reviewer (own commit), then scheduled, or started and completed, by the
requester, each step its own commit (49,801 commits for 10,000 records): the gate replays
every one of them to prove each record's lifecycle. The history is written with `git fast-import` so generating it takes seconds.

Peers, run on the same repository: the floor of reading every record once
(`git ls-files | xargs cat`), and one bulk `git log --raw` over change_records/ (what proving
approvals by walking file history would cost at least, before parsing anything).

    .venv/bin/python bench/bench_check.py [--records N] [--runs N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from changekit.policy.default import DEFAULT_POLICY
from changekit.records.model import FIELD_ORDER

EXE = shutil.which("changekit") or str(Path(sys.executable).parent / "changekit")
POLICY = DEFAULT_POLICY.replace("members: []", "members: [alice@example.org, bob@example.org]")
RITA = {"name": "Rita Requester", "email": "rita@example.org"}
REVIEWERS = [
    {"name": "Alice Approver", "email": "alice@example.org"},
    {"name": "Bob Approver", "email": "bob@example.org"},
]


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """libyaml, and no &anchors / *aliases: changekit writes each identity out in full."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def dump(data: dict) -> bytes:
    ordered = {k: data[k] for k in FIELD_ORDER if k in data}
    return yaml.dump(
        ordered, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    ).encode()


class History:
    """A `git fast-import` stream on one branch."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.mark = 0
        self.clock = 1_750_000_000

    def commit(self, who: dict, subject: str, rid: str | None, files: dict[str, bytes]) -> None:
        self.mark += 1
        self.clock += 60
        msg = subject + (f"\n\nChangekit-Record: {rid}\n" if rid else "\n")
        ident = f"{who['name']} <{who['email']}> {self.clock} +0000"
        head = f"commit refs/heads/main\nmark :{self.mark}\nauthor {ident}\ncommitter {ident}\n"
        self.parts.append(
            head.encode() + f"data {len(msg.encode())}\n".encode() + msg.encode() + b"\n"
        )
        if self.mark > 1:
            self.parts.append(f"from :{self.mark - 1}\n".encode())
        for path, blob in files.items():
            self.parts.append(f"M 100644 inline {path}\ndata {len(blob)}\n".encode() + blob + b"\n")


def generate(root: Path, count: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    hist = History()
    hist.commit(
        RITA,
        "Set up changekit workspace",
        None,
        {"changekit.yaml": POLICY.encode(), ".gitignore": b".changekit/\n"},
    )
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(count):
        rid = f"CHG-20260101-{i:06x}"
        path = f"change_records/{rid}.yaml"
        filed = t0 + timedelta(hours=i)
        start = filed + timedelta(days=10)
        reviewer = REVIEWERS[i % 2]
        data = {
            "id": rid, "title": f"Change {i}: patch service {i % 50}", "type": "normal", "category": "change",
            "risk": "low", "impact": "low", "requester": RITA, "hosts": [f"web{i % 400}"], "services": [f"svc{i % 50}"],
            "outage": {"expected": False},
            "window": {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(), "timezone": "UTC"},
            "description": "Routine maintenance. " * 5, "justification": "Keep the service patched.",
            "implementation": ["step one", "step two"], "verification": ["check health"], "rollback": ["revert"],
            "status": "draft", "history": [{"status": "draft", "at": filed.isoformat(), "by": RITA}],
        }  # fmt: skip
        hist.commit(RITA, f"File {rid}", rid, {path: dump(data)})
        data["status"] = "submitted"
        data["history"].append(
            {"status": "submitted", "at": (filed + timedelta(minutes=5)).isoformat(), "by": RITA}
        )
        hist.commit(RITA, f"Submit {rid}", rid, {path: dump(data)})
        at = (filed + timedelta(hours=2)).isoformat()
        data["approvals"] = [{"by": reviewer, "at": at}]
        data["status"] = "approved"
        data["history"].append({"status": "approved", "at": at, "by": reviewer})
        hist.commit(reviewer, f"Approve {rid}", rid, {path: dump(data)})
        done = i < count - 200  # the last 200 stay scheduled in the future
        if done:  # work starts, then completes: each step its own commit, as the commands do
            data["status"] = "in_progress"
            data["history"].append(
                {
                    "status": "in_progress",
                    "at": (filed + timedelta(hours=3)).isoformat(),
                    "by": RITA,
                }
            )
            hist.commit(RITA, f"Start {rid}", rid, {path: dump(data)})
        data["status"] = "completed" if done else "scheduled"
        if done:
            data["outcome"] = {
                "result": "completed",
                "at": (start + timedelta(hours=1)).isoformat(),
            }
        data["history"].append(
            {"status": data["status"], "at": (filed + timedelta(hours=3)).isoformat(), "by": RITA}
        )
        hist.commit(RITA, f"{'Complete' if done else 'Schedule'} {rid}", rid, {path: dump(data)})
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=root, input=b"".join(hist.parts), check=True
    )
    subprocess.run(["git", "checkout", "-q", "main"], cwd=root, check=True)
    subprocess.run(["git", "gc", "-q"], cwd=root, check=True)
    for sub in ("inventories", "standards"):
        (root / sub).mkdir(exist_ok=True)


def hist_commits(count: int) -> int:
    """Commits ``generate`` writes: 5 per completed record, 4 per scheduled one, plus one."""
    return 5 * count - min(count, 200) + 1


def timed(cmd: list[str] | str, cwd: Path, runs: int, before=None) -> tuple[float, float, int]:
    """Median wall and CPU (user+sys of the children) seconds, and the last exit code."""
    walls, cpus, code = [], [], 0
    for _ in range(runs):
        if before:
            before()
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        done = subprocess.run(
            cmd,
            cwd=cwd,
            shell=isinstance(cmd, str),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        walls.append(time.perf_counter() - t)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
        code = done.returncode
    return statistics.median(walls), statistics.median(cpus), code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this directory")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="ck-bench-check-"))
    root = base / "ws"
    if not (root / "changekit.yaml").exists():
        t = time.perf_counter()
        generate(root, args.records)
        print(
            f"generated {args.records} records in {hist_commits(args.records)} commits in {time.perf_counter() - t:.1f} s"
        )
    cache = root / ".changekit"

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(root / ".git" / "changekit", ignore_errors=True)

    def fresh_checkout() -> None:
        """A CI job: a fresh checkout (new file times) with the CI cache restored."""
        now = time.time() - 5  # (checked out a moment before the job runs changekit)
        for f in (root / "change_records").iterdir():
            os.utime(f, (now, now))
        # a checkout writes the index with the new file times, as `git checkout` would
        subprocess.run(["git", "update-index", "-q", "--really-refresh"], cwd=root, check=False)

    def base_cold() -> None:
        cold()
        fresh_checkout()

    base = ["check", "--base", "HEAD~40"]
    rows = [
        # (what, (wall, cpu, exit), target seconds or None: reported, no target)
        ("check (cold: fresh clone, no caches)", timed([EXE, "check"], root, args.runs, cold), None),
        ("check (warm caches)", timed([EXE, "check"], root, args.runs), 5.0),
        ("check --base HEAD~40, CI cache restored", timed([EXE, *base], root, args.runs, fresh_checkout), 3.0),
        ("check --base HEAD~40, no cache at all", timed([EXE, *base], root, args.runs, base_cold), None),
    ]  # fmt: skip
    cat = timed("git ls-files -z change_records | xargs -0 cat > /dev/null", root, args.runs)
    walk = timed(
        "git log --raw --no-abbrev --no-merges --format=%H -- change_records/ > /dev/null", root, 1
    )
    print(
        f"\n{args.records} records, median of {args.runs} runs; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"peer: git ls-files | xargs cat  {cat[0]:.3f} s wall {cat[1]:.3f} s cpu")
    print(
        f"peer: git log --raw over change_records/ (one history walk)  {walk[0]:.3f} s wall {walk[1]:.3f} s cpu"
    )
    print(
        f"{'changekit':42} {'wall s':>7} {'cpu s':>6} {'exit':>4} {'target':>7} {'vs log walk':>11}"
    )
    for name, (wall, cpu, code), target in rows:
        verdict = "" if target is None else ("ok" if wall < target else "SLOW")
        shown = "-" if target is None else f"{target:.1f}s"
        print(
            f"{name:42} {wall:7.3f} {cpu:6.3f} {code:4d} {shown:>7} {wall / walk[0]:10.2f}x  {verdict}"
        )
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
