"""Benchmark: `changekit change list` and `changekit check` on 10,000 committed records.

Targets: list < 1 s, check < 5 s. The peer is the floor of just reading the same
tree with standard tools (`git ls-files | xargs cat`, `grep -l`); the ratio says how
far above "read every byte once" changekit is.

    .venv/bin/python bench/bench_records.py [--records N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
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

from changekit.records.ids import new_id

EXE = shutil.which("changekit") or str(Path(sys.executable).parent / "changekit")
STATUSES = [
    "draft",
    "submitted",
    "approved",
    "scheduled",
    "completed",
    "completed",
    "completed",
    "cancelled",
]


def record(i: int, rng: random.Random, taken: set[str]) -> dict:
    filed = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=i)
    rid = new_id(filed, taken=taken)
    taken.add(rid)
    who = {"name": f"Admin {i % 7}", "email": f"admin{i % 7}@example.org"}
    start = filed + timedelta(days=rng.randint(3, 30), hours=rng.randint(0, 5))
    status = rng.choice(STATUSES)
    data = {
        "id": rid,
        "title": f"Change {i}: patch service {i % 50}",
        "type": rng.choice(["normal", "standard", "normal"]),
        "category": rng.choice(["install", "move", "add", "change", "other"]),
        "risk": rng.choice(["low", "medium"]),
        "impact": "low",
        "requester": who,
        "hosts": [f"web{rng.randint(1, 400)}", f"db{rng.randint(1, 40)}"],
        "services": [f"svc{i % 50}"],
        "outage": {"expected": False},
        "window": {
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "timezone": "UTC",
        },
        "description": "Routine maintenance. " * 5,
        "justification": "Keep the service patched.",
        "implementation": ["step one", "step two", "step three"],
        "verification": ["check health"],
        "rollback": ["revert the package"],
        "status": status,
        "history": [{"status": "draft", "at": filed.isoformat(), "by": who, "note": "filed"}],
    }
    if status != "draft":
        data["history"].append(
            {"status": status, "at": (filed + timedelta(hours=1)).isoformat(), "by": who}
        )
    return data


def dump_fast(data: dict) -> str:
    """The house YAML format (as changekit.yamlfile.dump_yaml), with libyaml for speed."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(
        data,
        Dumper=dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def generate(root: Path, count: int) -> None:
    subprocess.run([EXE, "init", str(root)], check=True, capture_output=True)
    rng, taken = random.Random(42), set()
    records = root / "change_records"
    for i in range(count):
        data = record(i, rng, taken)
        (records / f"{data['id']}.yaml").write_text(dump_fast(data))
    subprocess.run(["git", "add", "change_records"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", f"{count} generated records"], cwd=root, check=True)
    old = time.time() - 3600  # not "racy" for the list cache, as after any normal checkout
    for path in records.iterdir():
        os.utime(path, (old, old))


CPU: dict[str, float] = {}


def timed(cmd: list[str] | str, cwd: Path, runs: int) -> tuple[float, int]:
    """Median wall time; the median CPU time (user+sys of the children) goes to CPU[cmd]."""
    times, cpus, code = [], [], 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        done = subprocess.run(
            cmd,
            cwd=cwd,
            shell=isinstance(cmd, str),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        code = done.returncode
    CPU[str(cmd)] = statistics.median(cpus)
    return statistics.median(times), code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this directory")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="ck-bench-"))
    root = base / "ws"
    if not (root / "changekit.yaml").exists():
        t = time.perf_counter()
        generate(root, args.records)
        print(f"generated and committed {args.records} records in {time.perf_counter() - t:.1f} s")
    cache = root / ".changekit" / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    listing = [EXE, "change", "list", "--format", "json"]
    cold, _ = timed(listing, root, 1)
    rows = [("changekit change list (no cache yet)", cold, CPU[str(listing)], 1.0)]
    warm, code = timed(listing, root, args.runs)
    rows.append(("changekit change list --format json", warm, CPU[str(listing)], 1.0))
    table = [EXE, "change", "list"]
    piped, _ = timed(table, root, args.runs)
    rows.append(("changekit change list (table, piped)", piped, CPU[str(table)], 1.0))
    filtering = [EXE, "change", "list", "--status", "scheduled", "--host", "web1*"]
    filtered, _ = timed(filtering, root, args.runs)
    rows.append(("changekit change list --status --host", filtered, CPU[str(filtering)], 1.0))
    has_check = subprocess.run([EXE, "check", "--help"], capture_output=True).returncode == 0
    if has_check:
        checking = [EXE, "check", "--format", "json"]
        check, check_code = timed(checking, root, args.runs)
        rows.append((f"changekit check (exit {check_code})", check, CPU[str(checking)], 5.0))
    cat, _ = timed("git ls-files -z change_records | xargs -0 cat > /dev/null", root, args.runs)
    grep, _ = timed("grep -l 'status: scheduled' -r change_records > /dev/null", root, args.runs)
    startup, _ = timed([EXE, "--version"], root, args.runs)
    floor = max(cat, grep)
    print(
        f"\n{args.records} records, median of {args.runs} runs (list exit {code}); load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"peer floor: git ls-files | xargs cat {cat:.3f} s, grep -l {grep:.3f} s; "
        f"changekit --version (startup) {startup:.3f} s"
    )
    print(f"{'command':40} {'wall s':>7} {'cpu s':>6} {'target':>7} {'vs floor':>9}")
    for name, secs, cpu, target in rows:
        verdict = "ok" if secs < target else "SLOW"
        print(f"{name:40} {secs:7.3f} {cpu:6.3f} {target:6.1f}s {secs / floor:8.1f}x  {verdict}")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
