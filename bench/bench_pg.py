"""PostgreSQL facts store at fleet scale, against the naive way, in one run.

    .venv/bin/python bench/bench_pg.py [--hosts 2000] [--days 30] [--writers 4] [--groups 20]
                                       [--model rollout|upgrades|upgrades,rollout]
                                       [--changes 3]
                                       [--naive-days 2] [--no-drift] [--dsn DSN]

Generates snapshots shaped like a real server (1,800 dpkg packages, 4,000 Perl modules, 300
Python distributions; ~500 KB of JSON each), in peer groups, then stores ``--days`` daily
scans with ``--writers`` shard writers at once (separate processes,
``save(..., shard=(K, N))``), into a throwaway PostgreSQL server (tests/pgserver.py, fsync
on) unless ``--dsn`` names one.

Two change models (``--model``): ``rollout``, every group rolls out ``--changes`` updated
items a day and each host takes them that day or up to two days late (every host changes
every day: the writer's worst case); ``upgrades``, about 3 % of hosts upgrade one to three
packages a day (bench/fleetgen.py's model, closer to a real fleet's day). A list
(``upgrades,rollout``) splits the daily scans between the models in that order, on top of
one first scan: one first load (the longest part at 10,000 hosts) measures both.

Measured: each scan's store time (first load and daily; wall, and CPU seconds of the writers
and of the database server per host), whole-fleet peer drift counted in
the database (``peer_snapshots`` + ``compare_peers``) against the same drift computed in
Python from the whole latest snapshots, one host's history, the database size after the
scans and its projection for a year and for 100,000 hosts. The naive way, in the same run:
one row of full snapshot JSON per host per scan (``--naive-days`` scans; its size grows by
exactly one copy per scan, so 30 days and a year are projected from the measured ones).
``--no-drift`` leaves out the drift comparison (its Python side reads every whole snapshot:
56.9 s at 1,000 hosts, so about 10 minutes at 10,000).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DPKG, PERL, PYTHON = 1800, 4000, 300
SEED = 20261206


def scan_id(day: int) -> str:
    return f"202611{1 + day // 24:02d}T{day % 24:02d}0000Z-day{day:03d}"


def _base(group: int) -> dict:
    rng = random.Random(SEED)
    dpkg = {
        f"pkg{i:04d}-{rng.choice(['lib', 'tools', 'data', 'perl', 'py'])}": {
            "version": f"{rng.randint(0, 9)}.{rng.randint(0, 40)}-{rng.randint(1, 5)}+deb12u{rng.randint(1, 3)}",
            "arch": rng.choice(["amd64", "all"]),
            "status": "installed",
        }
        for i in range(DPKG)
    }
    perl = {
        f"Dist{i // 12:03d}::Mod{i:04d}": {
            "version": f"{rng.randint(0, 3)}.{rng.randint(0, 99):02d}",
            "path": f"/usr/share/perl5/Dist{i // 12:03d}/Mod{i:04d}.pm",
        }
        for i in range(PERL)
    }
    python = {
        f"dist{i:03d}": {
            "version": f"{rng.randint(0, 5)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
            "name": f"dist{i:03d}",
            "path": "/usr/lib/python3/dist-packages",
        }
        for i in range(PYTHON)
    }
    grng = random.Random(SEED + group)  # each group pins a few versions of its own
    for name in grng.sample(sorted(dpkg), 20):
        dpkg[name] = dict(dpkg[name], version=dpkg[name]["version"] + f"~g{group}")
    return {"dpkg": dpkg, "perl": perl, "python": python}


_BASES: dict[int, dict] = {}


def snapshot(host: str, group: int, day: int) -> dict:
    """``host`` as scanned on ``day``: its group's base, a planted deviation on 2% of hosts,
    and the changes of each day's model (``PLAN``): ``rollout``, that day ``CHANGES`` items of
    the group get a new version, which each host takes that day or up to two days later (every
    host changes about ``CHANGES`` items a day and lagging hosts differ from their peers);
    ``upgrades``, about 3 % of hosts upgrade one to three packages of their own."""
    base = _BASES.get(group)
    if base is None:
        base = _BASES[group] = _base(group)
    facts = {c: dict(items) for c, items in base.items()}
    keys = [(c, k) for c in ("dpkg", "perl", "python") for k in base[c]]
    h = zlib.crc32(host.encode())
    if h % 50 == 0:  # 2% deviate from their peers
        c, k = keys[h % len(keys)]
        del facts[c][k]
    lag = h % 3
    for d in range(1, day + 1):
        if PLAN[d] == "upgrades":
            rng = random.Random(f"{host}-{d}")
            if rng.random() < 0.03:  # ~3 % of hosts upgrade one to three packages a day
                names = _NAMES.get(group) or _NAMES.setdefault(group, sorted(base["dpkg"]))
                for _ in range(rng.randint(1, 3)):
                    k = rng.choice(names)
                    if k in facts["dpkg"]:
                        facts["dpkg"][k] = dict(facts["dpkg"][k], version=f"{d}.0+deb12u9")
        elif d <= day - lag:  # rollout
            rng = random.Random(group * 100_000 + d)
            for _ in range(CHANGES):
                c, k = keys[rng.randrange(len(keys))]
                if k in facts[c]:
                    facts[c][k] = dict(facts[c][k], version=f"{base[c][k]['version']}+u{d}")
    facts["os"] = {"id": "debian", "version_id": "12", "pretty_name": "Debian GNU/Linux 12"}
    at = f"2026-11-{1 + day // 24:02d}T{day % 24:02d}:00:00+00:00"
    return {
        "schema_version": 1,
        "scan_id": scan_id(day),
        "host": host,
        "address": "192.0.2.1",
        "collected_at": at,
        "duration_seconds": 4.2,
        "collectors": sorted(facts),
        "facts": facts,
        "errors": {},
    }


CHANGES = 3
PLAN: list[str | None] = [None]
"""The change model of each day (day 0, the first scan, has none)."""
_NAMES: dict[int, list[str]] = {}
MODELS = {
    "rollout": "every group rolls out {changes} items a day, each host that day or up to two"
    " days late (every host changes every day)",
    "upgrades": "about 3 % of hosts upgrade 1-3 packages a day",
}


def plan(models: list[str], days: int) -> list[str | None]:
    """Each day's model: the daily scans (1 .. days-1) split between ``models`` in order."""
    daily = max(days - 1, 0)
    per, extra = divmod(daily, len(models))
    out: list[str | None] = [None]
    for i, m in enumerate(models):
        out += [m] * (per + (extra if i == len(models) - 1 else 0))
    return out


def _use(changes: int, days: list[str | None]) -> None:
    """The change model, in this process and (called first thing) in each writer process."""
    global CHANGES, PLAN
    CHANGES, PLAN = changes, days


def fleet(hosts: int, groups: int) -> list[tuple[str, int]]:
    return [(f"g{i % groups:02d}-host{i:06d}.example.org", i % groups) for i in range(hosts)]


def _open(dsn: str):
    from changekit_plugins.factstore.postgres import PostgresStore

    return PostgresStore(None, dsn)


def _writer(dsn, k, n, hosts, groups, changes, inbox, out) -> None:
    """One shard writer, alive for the whole run (as a runner's changekit would be for one
    scan, without paying for process start-up each day): takes a day from ``inbox``, stores
    it, puts (seconds in save, of which generating snapshots; the same in CPU seconds of this
    process) on ``out``."""
    _use(*changes)
    from changekit.facts.shards import in_shard

    mine = in_shard(fleet(hosts, groups), (k, n), key=lambda hg: hg[0])
    store = _open(dsn)
    store.hosts()  # connected before the clock starts, as a runner would be
    while (day := inbox.get()) is not None:
        gen = gen_cpu = 0.0

        def snapshots(day=day):
            nonlocal gen, gen_cpu
            for h, g in mine:
                t, c = time.perf_counter(), time.process_time()
                snap = snapshot(h, g, day)
                gen += time.perf_counter() - t
                gen_cpu += time.process_time() - c
                yield snap

        t0, c0 = time.perf_counter(), time.process_time()
        store.save(scan_id(day), snapshots(), shard=(k, n))
        out.put((time.perf_counter() - t0, gen, time.process_time() - c0, gen_cpu))
    store.close()


def _write_naive(dsn: str, day: int, k: int, n: int, hosts: int, groups: int, changes):
    _use(*changes)
    import psycopg
    from changekit_plugins.factstore.encoding import document

    from changekit.facts.shards import in_shard

    mine = in_shard(fleet(hosts, groups), (k, n), key=lambda hg: hg[0])
    with (
        psycopg.connect(dsn) as conn,
        conn.cursor().copy("COPY naive_snapshots (host, scan_id, snapshot) FROM STDIN") as copy,
    ):
        for h, g in mine:
            copy.write_row((h, scan_id(day), document(snapshot(h, g, day))))


def _generate_only(day: int, k: int, n: int, hosts: int, groups: int, changes) -> None:
    _use(*changes)
    from changekit.facts.shards import in_shard

    for h, g in in_shard(fleet(hosts, groups), (k, n), key=lambda hg: hg[0]):
        snapshot(h, g, day)


def parallel(target, args_for, writers: int, out=None) -> float:
    ctx = multiprocessing.get_context("spawn")
    extra = (out,) if out is not None else ()
    procs = [ctx.Process(target=target, args=(*args_for(k), *extra)) for k in range(1, writers + 1)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    took = time.perf_counter() - t0
    if any(p.exitcode for p in procs):
        raise SystemExit(f"a writer failed: exit codes {[p.exitcode for p in procs]}")
    return took


def size(dsn: str, *tables: str) -> int:
    import psycopg

    with psycopg.connect(dsn) as conn:
        if not tables:
            return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        return sum(
            conn.execute("SELECT pg_total_relation_size(%s)", (t,)).fetchone()[0] for t in tables
        )


def server_cpu(server) -> float:
    """CPU seconds the throwaway server has used so far: the postmaster, its live processes
    (backends, checkpointer, WAL writer, autovacuum) and those that exited (reaped by the
    postmaster, so in its children's times); 0 with ``--dsn`` (a server we cannot see)."""
    if server is None:
        return 0.0
    pid = int((server.root / "data" / "postmaster.pid").read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(proc.name) == pid:
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        elif int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def mb(n: float) -> str:
    if n < 1e7:
        return f"{n / 1e6:,.2f} MB"
    return f"{n / 1e6:,.0f} MB" if n < 1e10 else f"{n / 1e9:,.1f} GB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=2000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--groups", type=int, default=20)
    ap.add_argument("--model", default="rollout", help="rollout, upgrades, or both in order")
    ap.add_argument("--changes", type=int, default=3, help="items a day, --model rollout")
    ap.add_argument("--naive-days", type=int, default=2)
    ap.add_argument("--no-drift", dest="drift", action="store_false")
    ap.add_argument("--dsn", help="an empty database to use (default: a throwaway server)")
    args = ap.parse_args()
    args.models = args.model.split(",")
    if not set(args.models) <= MODELS.keys() or len(args.models) > args.days - 1 > 0:
        ap.error(f"--model: one or more of {', '.join(MODELS)}, at most one per daily scan")
    _use(args.changes, plan(args.models, args.days))
    server = None
    if args.dsn:
        dsn = naive_dsn = args.dsn
    else:
        from tests import pgserver

        server = pgserver.start(
            settings={
                "fsync": "on",
                "shared_buffers": "'2GB'",
                "work_mem": "'64MB'",
                "maintenance_work_mem": "'512MB'",
                "max_wal_size": "'8GB'",
                "checkpoint_timeout": "'30min'",
            }
        )
        dsn = server.create_database("facts")
        naive_dsn = server.create_database("naive")
    try:
        run(args, dsn, naive_dsn, server)
    finally:
        if server is not None:
            server.stop()


def run(args, dsn: str, naive_dsn: str, server) -> None:
    import psycopg
    from changekit_plugins.factstore.encoding import document

    from changekit.drift.peers import compare_peers

    n, w = args.hosts, args.writers
    model = (args.changes, PLAN)
    sample = snapshot("g00-host000000.example.org", 0, 1)
    print(f"load average at start: {load()} ({os.cpu_count()} cores)")
    print(
        f"bench_pg: {n:,} hosts in {args.groups} groups, {args.days} daily scans, {w} shard writers;"
        f" changes: {'; then '.join(MODELS[m].format(changes=args.changes) for m in args.models)};"
        " a snapshot is"
        f" {len(document(sample)) / 1e3:,.0f} KB of JSON"
        f" ({sum(len(v) for v in sample['facts'].values()):,} items)"
    )
    _open(dsn).hosts()  # creates the tables
    gen = parallel(_generate_only, lambda k: (1, k, w, n, args.groups, model), w)
    print(
        f"generating one day's snapshots alone (inside every wall time below): {gen:.1f} s",
        flush=True,
    )

    times, net, writer_cpu, db_cpu, sizes = [], [], [], [], []
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    inboxes = [ctx.Queue() for _ in range(w)]
    writers = [
        ctx.Process(target=_writer, args=(dsn, k, w, n, args.groups, model, inboxes[k - 1], out))
        for k in range(1, w + 1)
    ]
    for p in writers:
        p.start()
    for day in range(args.days):
        t0, cpu0 = time.perf_counter(), server_cpu(server)
        for box in inboxes:
            box.put(day)
        results = []
        while len(results) < w:
            try:
                results.append(out.get(timeout=5))
            except Exception:  # noqa: BLE001 - queue.Empty: is every writer still alive?
                if any(p.exitcode for p in writers):
                    raise SystemExit("a writer failed") from None
        took = time.perf_counter() - t0
        times.append(took)
        # the slowest writer's time in save() less the time its generator spent making
        # snapshots: what storing costs once a runner has its scan results
        net.append(max(s - g for s, g, _c, _gc in results))
        # CPU seconds per host, summed over the writers (less generating) and the server:
        # what a loaded machine does not inflate the way it does wall time
        writer_cpu.append(sum(c - gc for _s, _g, c, gc in results) / n)
        db_cpu.append((server_cpu(server) - cpu0) / n)
        sizes.append(size(dsn))
        kind = "first scan (every fact new)" if day == 0 else f"daily scan, {PLAN[day]}"
        if day < 3 or day == args.days - 1 or day % 10 == 0 or PLAN[day] != PLAN[day - 1]:
            print(
                f"  day {day:2d}: {kind}: {took:6.1f} s wall ({net[-1]:6.1f} s in save, less"
                f" generating); CPU per host: writers {writer_cpu[-1] * 1000:.2f} ms, server"
                f" {db_cpu[-1] * 1000:.2f} ms; database {mb(sizes[-1])}; load {load()}",
                flush=True,
            )
    for box in inboxes:
        box.put(None)
    for p in writers:
        p.join()
    daily = times[1:] or times
    db = size(dsn)
    tables = {
        t: size(dsn, t) for t in ("ck_facts", "ck_items", "ck_host_scans", "ck_current", "ck_hosts")
    }
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT count(*), count(valid_to) FROM ck_facts").fetchone()
        items = conn.execute("SELECT count(*) FROM ck_items").fetchone()[0]

    # the naive way: a full snapshot JSON row per host per scan
    with psycopg.connect(naive_dsn) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS naive_snapshots"
            " (host text, scan_id text, snapshot jsonb, PRIMARY KEY (host, scan_id))"
        )
    naive_times = []
    for day in range(args.naive_days):
        naive_times.append(
            parallel(_write_naive, lambda k, d=day: (naive_dsn, d, k, w, n, args.groups, model), w)
        )
    naive_size = size(naive_dsn, "naive_snapshots") if naive_times else 0
    per_scan_naive = naive_size / max(1, args.naive_days)

    # autovacuum would get there on its own; do it now so the reads below do not depend on
    # when it last ran (visibility map for index-only scans, fresh statistics)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")

    store = _open(dsn)
    # whole-fleet peer drift: counted in the database vs Python over whole snapshots
    if args.drift:
        groups: dict[str, list[str]] = {}
        for h, g in fleet(n, args.groups):
            groups.setdefault(f"g{g:02d}", []).append(h)
        t0 = time.perf_counter()
        sql_findings = []
        for g, members in sorted(groups.items()):
            sql_findings += compare_peers(g, store.peer_snapshots(members))
        t_sql = time.perf_counter() - t0
        t0 = time.perf_counter()
        py_findings = []
        for g, members in sorted(groups.items()):
            py_findings += compare_peers(g, dict(store.iter_latest(members)))
        t_py = time.perf_counter() - t0
        same = [f.id for f in sql_findings] == [f.id for f in py_findings]

    # one host's history
    host = fleet(n, args.groups)[n // 2][0]
    t0 = time.perf_counter()
    entries = store.history(host)
    t_hist = time.perf_counter() - t0
    t0 = time.perf_counter()
    mid = store.get(entries[len(entries) // 2]["scan_id"], host)
    t_get = time.perf_counter() - t0
    t0 = time.perf_counter()
    [(_h, snaps)] = list(store.iter_histories([host], 30))
    t_all = time.perf_counter() - t0
    assert mid["host"] == host and len(snaps) == min(30, args.days)
    store.close()

    scale = 100_000 / n
    print()
    print(
        f"store one scan ({w} writers at once, {n:,} hosts): first scan {times[0]:.1f} s wall"
        f" ({net[0]:.1f} s storing); CPU per host: writers {writer_cpu[0] * 1000:.2f} ms,"
        f" server {db_cpu[0] * 1000:.2f} ms; database {mb(sizes[0])}"
    )
    for m in args.models:
        days = [d for d in range(1, args.days) if PLAN[d] == m]
        wall = statistics.median(times[d] for d in days)
        store = statistics.median(net[d] for d in days)
        w_cpu = statistics.median(writer_cpu[d] for d in days)
        s_cpu = statistics.median(db_cpu[d] for d in days)
        growth = (sizes[days[-1]] - sizes[days[0] - 1]) / len(days)
        print(
            f"  daily scans, {m} ({len(days)}): median {wall:.1f} s wall, max"
            f" {max(times[d] for d in days):.1f} s; storing alone {store:.1f} s ="
            f" {store / n * 1000:.2f} ms per host; CPU per host: writers {w_cpu * 1000:.2f} ms,"
            f" server {s_cpu * 1000:.2f} ms; grows {mb(growth)} a day"
        )
        print(
            f"    projected: 100,000 hosts {store / n * 100_000 / 60:.1f} min storing at this"
            f" machine's speed, {w_cpu * 100_000 / 60:.1f} writer and {s_cpu * 100_000 / 60:.1f}"
            f" server CPU minutes a day; database after 30 daily scans"
            f" {mb(sizes[0] + growth * 29)}, after a year {mb(sizes[0] + growth * 364)}"
            f" (100,000 hosts: {mb((sizes[0] + growth * 29) * scale)},"
            f" {mb((sizes[0] + growth * 364) * scale)})"
        )
    if naive_times:
        print(
            f"  naive (full JSON row per host): first {naive_times[0]:.1f} s"
            + (
                f", daily {statistics.median(naive_times[1:]):.1f} s"
                if len(naive_times) > 1
                else ""
            )
            + f" wall; naive/intervals, wall: {statistics.median(naive_times[1:] or naive_times) / statistics.median(daily):.1f}x"
        )
    print(
        f"database after {args.days} scans: {mb(db)}"
        f" (facts {mb(tables['ck_facts'])}, {rows[0]:,} intervals of which {rows[1]:,} closed;"
        f" items {mb(tables['ck_items'])} for {items:,} distinct values;"
        f" host scans {mb(tables['ck_host_scans'])}; current {mb(tables['ck_current'])})"
    )
    if naive_times:
        print(
            f"  naive: {mb(per_scan_naive)} per scan -> {args.days} scans {mb(per_scan_naive * args.days)}"
            f" ({per_scan_naive * args.days / db:.0f}x), a year {mb(per_scan_naive * 365)};"
            f" at 100,000 hosts a year {mb(per_scan_naive * 365 * scale)}"
        )
    if args.drift:
        print(
            f"whole-fleet peer drift ({len(groups)} groups): counted in SQL {t_sql:.1f} s,"
            f" Python over whole snapshots {t_py:.1f} s ({t_py / t_sql:.1f}x);"
            f" {len(sql_findings)} findings, identical: {same}"
        )
    print(
        f"one host's history: list {t_hist * 1000:.0f} ms, one old snapshot {t_get * 1000:.0f} ms,"
        f" all {len(snaps)} snapshots rebuilt {t_all * 1000:.0f} ms"
    )
    print(f"load average at the end: {load()}")


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
