"""Benchmark: ``changekit review`` over 10,000 records and a year of daily scans of 200 hosts,
beside the naive recomputation, in one run.

    .venv/bin/python bench/bench_review.py [--cache /var/tmp/changekit-bench-review]
        [--records 10000] [--hosts 200] [--days 365] [--runs 3]

The workspace (``bench/reviewgen.py``: records with the history changekit writes, each step
its own commit by the person allowed, and daily scans of hosts shaped like real servers,
about 700 KB of facts each) is built once in ``--cache`` and copied for each run. Each
command runs in its own child process; the figures are wall time and peak memory.

The review is of the last 92 days of the history (against the 92 days before them):

- **naive**: that review recomputed from nothing: every derived cache removed (the ledger of
  proven steps, the records cache, the snapshot diffs and conformance points), so every
  record's history is replayed and every snapshot pair of the two periods read and diffed,
  as a tool that keeps nothing between runs must.
- **changekit**: the same review as a team runs it, the caches kept from an earlier run.
- **a day later**: one more daily scan stored, then the review of the 92 days that end with
  it (the new day's pairs diffed, the new start and end points judged; the rest from the
  caches).

It prints each figure and the ratio naive/changekit; the figures each way must agree.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

EXE = str(Path(sys.executable).parent / "changekit")
CACHES = ("changekit", "cache")
"""Folders under the git dir holding derived, content-keyed caches (ledger, records, diffs)."""


def run(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_maxrss / 1024


def figures(path: Path) -> dict:
    """The review's figures without the moment it was written, to compare two runs."""
    data = json.loads(path.read_text())
    data.pop("generated_at", None)
    return data


def forget(ws: Path) -> None:
    for name in CACHES:
        shutil.rmtree(ws / ".git" / name, ignore_errors=True)


def build(cache: Path, records: int, hosts: int, days: int) -> Path:
    ws = cache / f"ws-{records}r-{hosts}h-{days}d"
    done = ws / ".git" / "bench-complete"
    if not done.exists():
        import reviewgen

        shutil.rmtree(ws, ignore_errors=True)
        ws.parent.mkdir(parents=True, exist_ok=True)
        print(f"building {ws} (once; about 20 minutes on 2 cores) ...", flush=True)
        reviewgen.generate(ws, records, hosts, days, progress=lambda m: print(m, flush=True))
        forget(ws)
        done.write_text("ok\n")
    return ws


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("/var/tmp/changekit-bench-review"))
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    source = build(args.cache, args.records, args.hosts, args.days)
    load = os.getloadavg()[0]
    print(f"workspace: {args.records} records, {args.hosts} hosts x {args.days} daily scans")
    print(f"load average at start: {load:.2f} ({os.cpu_count()} cores)\n")
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        ws = Path(tmp) / "ws"
        shutil.copytree(source, ws, symlinks=True)
        out = Path(tmp) / "review.json"
        from fleetgen import START, Fleet

        def window(last_day: int) -> list[str]:
            last = START.date().fromordinal(START.date().toordinal() + last_day)
            first = last.fromordinal(last.toordinal() - 91)
            return ["--from", first.isoformat(), "--to", last.isoformat()]

        review = [EXE, "review", *window(args.days - 1), "--format", "json", "-o", str(out)]

        naive_wall, naive_mem = run(review, ws)
        naive = figures(out)
        print(f"review {' to '.join(window(args.days - 1)[1::2])}, against the 92 days before")
        print(f"naive (nothing kept)     {naive_wall:8.1f} s  {naive_mem:6.0f} MB")

        walls, mem = [], 0.0
        for _ in range(args.runs):
            wall, peak = run(review, ws)
            walls.append(wall)
            mem = max(mem, peak)
            if figures(out) != naive:
                sys.exit("changekit's figures differ from the naive run's")
        best = sorted(walls)[len(walls) // 2]
        print(f"changekit (median of {args.runs})  {best:8.1f} s  {mem:6.0f} MB")

        from changekit.facts.backend import open_store
        from changekit.workspace import Workspace

        fleet = Fleet(args.hosts)
        day = args.days
        open_store(Workspace(ws)).save(next(fleet.scan(day, 1))["scan_id"], fleet.scan(day))
        later = [EXE, "review", *window(day), "--format", "json", "-o", str(out)]
        later_wall, later_mem = run(later, ws)
        print(
            f"a day later ({' to '.join(window(day)[1::2])})  {later_wall:6.1f} s  {later_mem:6.0f} MB"
        )
        print(f"\nnaive / changekit: {naive_wall / best:.1f}x")
        n = len(naive["records"])
        print(f"records behind the figures: {n}; observed changes: "
              f"{naive['observed']['changes']['observed']}")  # fmt: skip


if __name__ == "__main__":
    main()
