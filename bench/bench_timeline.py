"""Benchmark: ``changekit timeline`` over a long scan history, next to the naive way, in one run.

    .venv/bin/python bench/bench_timeline.py [--hosts 50] [--scans 60] [--days 2]
                                             [--cache /var/tmp/changekit-bench-timeline]

A workspace with ``--scans`` daily scans of ``--hosts`` hosts (``bench/fleetgen.py``: about
700 KB of facts per host, one peer group of 50; a few hosts upgrade packages each day) is
built once in ``--cache`` by the git facts store and reused. Then, each in its own child
process, for the first peer group and the last ``--days`` days:

- **changekit**: ``changekit timeline group:role000 --since ... --until ... --format json``
  (reads the hosts' history entries, then only the snapshots of the period and the scan
  before it);
- **naive**: every stored snapshot of those hosts (``iter_histories`` with no bound), every
  consecutive pair diffed with the same ``changes_between``, the changes of the period kept.

It prints wall time and CPU seconds (with the git processes waited for) of each,
the ratio naive/changekit, and the number of observed changes each found (they must agree).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"

OURS = """
import json, sys
from changekit.cli import main
sys.argv = ["changekit", "-C", {ws!r}, "timeline", "group:role000", "--since", {since!r},
            "--until", {until!r}, "--format", "json", "--output", {out!r}]
try:
    main()
except SystemExit as exc:
    if exc.code:
        raise
data = json.load(open({out!r}))
print(sum(1 for e in data["events"] if e["kind"] == "observed-change"))
"""

NAIVE = """
from datetime import datetime
from pathlib import Path
from changekit.drift import remediation
from changekit.drift.timeline import changes_between
from changekit.facts.backend import open_store
from changekit.inventory.load import load_inventory
from changekit.workspace import Workspace
ws = Workspace(Path({ws!r}))
hosts = [h.name for h in load_inventory(None, ws, ssh_config=False).select(["group:role000"])]
since, until = datetime.fromisoformat({since!r}), datetime.fromisoformat({until!r})
found = 0
for host, snaps in open_store(ws).iter_histories(hosts):
    for a, b in zip(snaps, snaps[1:]):
        if since <= datetime.fromisoformat(b["collected_at"]) <= until:
            found += len(changes_between({{host: a}}, {{host: b}}, [],
                                         package_of=remediation.package_for))
print(found)
"""


def run(code: str) -> dict:
    """Run ``python -c code``: wall and CPU seconds (with the git processes it waited for)
    and what it printed."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"child failed: {proc.stderr.decode(errors='replace').strip()[-500:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"s": wall, "cpu": cpu, "out": proc.stdout.decode().strip()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--scans", type=int, default=60)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=Path("/var/tmp/changekit-bench-timeline"))
    args = ap.parse_args()
    sys.path.insert(0, str(BENCH))
    from bench_facts import workspace
    from fleetgen import START

    args.cache.mkdir(parents=True, exist_ok=True)
    ws, built = workspace(args.cache, "changekit", args.hosts, args.scans, None)
    if built:
        print(f"built {ws}: {sum(m['s'] for m in built):.0f} s")
    last = START + timedelta(days=args.scans - 1)
    since = (last - timedelta(days=args.days - 1, hours=1)).isoformat()
    until = (last + timedelta(hours=1)).isoformat()
    params = {"ws": str(ws), "since": since, "until": until, "out": str(args.cache / "tl.json")}
    naive = run(NAIVE.format(**params))
    ours = run(OURS.format(**params))
    print(
        f"{args.hosts} hosts x {args.scans} daily scans; timeline of group role000 (up to 50 hosts), last {args.days} day(s)"
    )
    for name, m in (("changekit", ours), ("naive", naive)):
        print(
            f"  {name:9} {m['s']:6.2f} s wall, {m['cpu']:6.2f} s cpu, observed changes: {m['out']}"
        )
    print(f"  naive/changekit: {naive['s'] / ours['s']:.1f}x wall")
    if ours["out"] != naive["out"]:
        raise SystemExit("the two disagree on the observed changes")


if __name__ == "__main__":
    main()
