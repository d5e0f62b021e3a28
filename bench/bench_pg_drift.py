"""Whole-fleet ``changekit drift --format json`` on the PostgreSQL store: the database's cut
(each drift unit's history window counted in SQL, ``plugins/factstore/pg_drift.py``) against
the Python path over whole snapshots (``iter_histories``), the same command, in one run.

    .venv/bin/python bench/bench_pg_drift.py [--hosts 1000] [--days 5] [--groups 10]
                                             [--writers 4] [--history 12] [--dsn DSN]
                                             [--model rollout|upgrades] [--keep DIR]
    .venv/bin/python bench/bench_pg_drift.py --workspace DIR/ws [--only SQL|Python]

Stores ``--days`` daily scans of bench_pg.py's fleet (the same generated snapshots: 6,103
items a host, peer groups, 2 % of hosts deviating, a staggered rollout of 3 items a day) into a
throwaway PostgreSQL (tests/pgserver.py) unless ``--dsn`` names an empty database, in a
workspace whose inventory puts each group in an Ansible-style group and whose standard asks
for versions, a glob and a file. Then runs, as separate processes, ``changekit -C WS drift
--format json --history H``: as installed (the SQL path), and with the store's
``iter_drift_histories`` capability taken away (what every store without it does: each unit's
snapshots read whole and judged in Python). Prints each wall time and peak RSS, the ratio, the
findings, and whether the two outputs are byte-identical (they must be). ``--keep`` leaves
the server and workspace for ``--workspace`` to rerun on (to profile, or compare versions).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import bench_pg  # noqa: E402 - the fleet generator and the shard writers

VENV = ROOT / ".venv" / "bin"

PYTHON_PATH = (
    "import sys;"
    "from changekit_plugins.factstore.postgres import PostgresStore;"
    "del PostgresStore.iter_drift_histories;"  # the store no longer offers the capability
    "from changekit.cli import main;"
    "sys.argv[0] = 'changekit';"
    "main()"
)


def store_days(
    dsn: str, hosts: int, groups: int, days: int, writers: int, models: list[str]
) -> float:
    """Store ``days`` daily scans with ``writers`` shard writers (bench_pg's, under bench_pg's
    change ``models``); seconds taken."""
    ctx = multiprocessing.get_context("spawn")
    model = (bench_pg.CHANGES, bench_pg.plan(models, days))
    out = ctx.Queue()
    inboxes = [ctx.Queue() for _ in range(writers)]
    procs = [
        ctx.Process(
            target=bench_pg._writer,
            args=(dsn, k, writers, hosts, groups, model, inboxes[k - 1], out),
        )
        for k in range(1, writers + 1)
    ]
    for p in procs:
        p.start()
    t0 = time.perf_counter()
    for day in range(days):
        for box in inboxes:
            box.put(day)
        done = 0
        while done < writers:
            try:
                out.get(timeout=5)
                done += 1
            except Exception:  # noqa: BLE001 - queue.Empty: is every writer still alive?
                if any(p.exitcode for p in procs):
                    raise SystemExit("a writer failed") from None
        print(f"  day {day}: stored ({time.perf_counter() - t0:.0f} s so far)", flush=True)
    for box in inboxes:
        box.put(None)
    for p in procs:
        p.join()
    return time.perf_counter() - t0


def make_workspace(root: Path, dsn: str, hosts: int, groups: int) -> Path:
    import yaml

    ws = root / "ws"
    subprocess.run([VENV / "changekit", "init", str(ws)], check=True, capture_output=True)
    members: dict[str, list[str]] = {}
    for h, g in bench_pg.fleet(hosts, groups):
        members.setdefault(f"g{g:02d}", []).append(h)
    inventory = {
        "version": 1,
        "hosts": {h: {"address": "192.0.2.1"} for hs in members.values() for h in hs},
        "groups": {g: {"hosts": hs} for g, hs in members.items()},
    }
    (ws / "inventories" / "hosts.yaml").write_text(yaml.safe_dump(inventory))
    base = bench_pg._base(0)
    dpkg = sorted(base["dpkg"])
    standard = {
        "name": "fleet",
        "applies_to": ["all"],
        "requirements": [
            {"present": f"dpkg:{dpkg[0]}", "version": ">= 3.0"},
            {"present": f"dpkg:{dpkg[1]}"},
            {"present": "python:dist007", "version": ">= 1.0, < 9"},
            {"absent": "dpkg:telnet*"},
            {"absent": "perl:Evil::*"},
        ],
    }
    (ws / "standards" / "fleet.yaml").write_text(yaml.safe_dump(standard))
    with (ws / "changekit.yaml").open("a") as fh:
        fh.write(f"facts:\n  store: postgres\n  dsn: '{dsn}'\n")
    for args in (["add", "-A"], ["commit", "-qm", "bench workspace"]):
        subprocess.run(["git", "-C", str(ws), *args], check=True, capture_output=True)
    return ws


def timed(cmd: list[str]) -> tuple[float, int, bytes]:
    """(wall seconds, peak RSS in MB, stdout) of one command."""
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE)
        _pid, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{cmd[-6:]} exited {proc.returncode}: {err[-2000:]}")
        out.seek(0)
        return took, usage.ru_maxrss // 1024, out.read()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--groups", type=int, default=10)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--history", type=int, default=12)
    ap.add_argument(
        "--model",
        choices=sorted(bench_pg.MODELS),
        default="rollout",
        help="bench_pg's change model: rollout (every host changes daily) or upgrades",
    )
    ap.add_argument("--dsn", help="an empty database to use (default: a throwaway server)")
    ap.add_argument(
        "--keep",
        metavar="DIR",
        type=Path,
        help="store into DIR/ws and leave the throwaway server running (to profile or rerun)",
    )
    ap.add_argument(
        "--workspace",
        metavar="WS",
        type=Path,
        help="skip storing: rerun the two commands on a workspace --keep left",
    )
    ap.add_argument(
        "--only",
        choices=["SQL", "Python"],
        help="with --workspace: run one path, its output saved beside WS as drift-<path>.json",
    )
    args = ap.parse_args()
    print(
        f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
        f" ({os.cpu_count()} cores)"
    )
    if args.workspace:
        compare(args, args.workspace.resolve())
        return
    server = None
    if args.dsn:
        dsn = args.dsn
    else:
        from tests import pgserver

        server = pgserver.start(
            settings={"shared_buffers": "'1GB'", "work_mem": "'64MB'", "max_wal_size": "'4GB'"}
        )
        dsn = server.create_database("facts")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args, dsn, args.keep.resolve())
        if server is not None:
            print(f"server left running: stop it with pg_ctl -D {server.root / 'data'} stop")
        return
    try:
        with tempfile.TemporaryDirectory(prefix="bench-pg-drift-") as tmp:
            run(args, dsn, Path(tmp))
    finally:
        if server is not None:
            server.stop()


def run(args, dsn: str, tmp: Path) -> None:
    import psycopg

    print(
        f"bench_pg_drift: {args.hosts:,} hosts in {args.groups} groups, {args.days} daily scans"
        f" ({bench_pg.MODELS[args.model].format(changes=bench_pg.CHANGES)}),"
        f" drift --history {args.history}"
    )
    bench_pg._open(dsn).hosts()  # creates the tables
    stored = store_days(dsn, args.hosts, args.groups, args.days, args.writers, [args.model])
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")  # as autovacuum would have by the next morning
    ws = make_workspace(tmp, dsn, args.hosts, args.groups)
    print(f"stored in {stored:.0f} s; workspace {ws}", flush=True)
    compare(args, ws)


def compare(args, ws: Path) -> None:
    """Run drift both ways on ``ws`` and print the comparison."""
    drift = ["-C", str(ws), "drift", "--format", "json", "--history", str(args.history)]
    runs = {
        "SQL": [str(VENV / "changekit"), *drift],
        "Python": [str(VENV / "python"), "-c", PYTHON_PATH, *drift],
    }
    results = {}
    for name, cmd in runs.items():  # SQL first: the Python path gets the warmer cache
        if getattr(args, "only", None) not in (None, name):
            continue
        results[name] = timed(cmd)
        print(f"  {name}: {results[name][0]:.1f} s, peak RSS {results[name][1]} MB", flush=True)
        (ws.parent / f"drift-{name}.json").write_bytes(results[name][2])
    if len(results) < 2:
        return
    (t_sql, rss_sql, out_sql), (t_py, rss_py, out_py) = results["SQL"], results["Python"]
    found = json.loads(out_sql)["findings"]
    kinds: dict[str, int] = {}
    for f in found:
        kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
    print()
    print(
        f"whole-fleet changekit drift --format json ({args.hosts:,} hosts, {args.days} scans):"
        f" SQL path {t_sql:.1f} s ({rss_sql} MB peak), Python path over whole snapshots"
        f" {t_py:.1f} s ({rss_py} MB peak): {t_py / t_sql:.1f}x;"
        f" {len(found):,} findings ({', '.join(f'{k} {n:,}' for k, n in sorted(kinds.items()))});"
        f" output byte-identical: {out_sql == out_py} ({len(out_sql):,} bytes)"
    )
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if out_sql != out_py:
        raise SystemExit("the two paths printed different findings")


if __name__ == "__main__":
    main()
