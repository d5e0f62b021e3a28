"""Benchmark: the git facts store at fleet scale, next to the store it replaced, in one run.

    .venv/bin/python bench/bench_facts.py [--hosts 2000] [--scans 12] [--naive-hosts 300]
                                          [--cache /var/tmp/changekit-bench-facts]
                                          [--naive-mem-gb 6] [--naive-at-full]

Snapshots come from ``bench/fleetgen.py`` (1,800 dpkg packages, 4,000 Perl modules, 300
Python distributions per host, ~700 KB of JSON; peer groups of 50; daily scans that differ
in a few packages). Workspaces are built once per size in ``--cache`` and reused:

- **changekit**: this checkout's store (facts on ``refs/changekit/facts``), ``--scans``
  daily scans stored through it (each one timed while building);
- **naive**: the store before it (facts/ in the work tree, committed with the records;
  drift reading every host's history at once), from the last commit before it (``NAIVE``,
  ``git archive`` into the cache), at ``--naive-hosts``
  (it runs out of memory from about 650 hosts), under a ``--naive-mem-gb`` address-space
  cap so it fails with MemoryError instead of starving the machine.

Each measurement is its own child process; wall time and the child's peak RSS (wait4) are
printed with the ratio naive/changekit at the same size. Measured: storing one more scan,
whole-fleet ``drift --format json`` and ``report --format json`` over a 12-scan history,
``facts history`` and ``facts diff`` of one host, and the size of a ``git clone`` of the
workspace (what a reviewer downloads). The extra scan is undone afterwards, so the cache
stays as built.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = sys.executable
OURS = None  # this checkout, as installed in the virtualenv (no path to put first)
OURS_NAME = "changekit-percollector"
"""Cache name of this checkout's workspaces: built by the per-collector layout (a workspace
built by the earlier whole-snapshot layout still reads, but would measure that layout)."""

SAVE = """
import sys, time
from pathlib import Path
sys.path[:0] = [p for p in ({src!r}, {bench!r}) if p]
from changekit.workspace import Workspace
from changekit.facts.store import SnapshotStore
from fleetgen import Fleet, scan_id
fleet = Fleet({hosts})
SnapshotStore(Workspace(Path({ws!r}))).save(scan_id({day}), fleet.scan({day}))
"""

CLI = """
import sys
sys.path[:0] = [p for p in ({src!r},) if p]
from changekit.cli import main
sys.argv = ["changekit"] + {args!r}
main()
"""


def foreign_plugins(src: Path | None) -> str:
    """The installed entry points (this checkout's plugins) that ``src`` lacks, comma
    separated: blocked in its children, else the older package refuses a plugin that
    implements a hook it does not know yet (``register_facts_stores``)."""
    from importlib.metadata import entry_points

    if src is None:
        return ""
    missing = []
    for ep in entry_points(group="changekit"):
        module = src / Path(*ep.value.split(":")[0].split("."))
        if not (module.with_suffix(".py").is_file() or module.is_dir()):
            missing.append(ep.name)
    return ",".join(missing)


def child(
    code: str, *, cwd: Path | None = None, mem_gb: float | None = None, block: str = ""
) -> dict:
    """Run ``python -c code``; wall seconds, peak RSS (MB) of the child, exit status."""

    def limit() -> None:
        if mem_gb:
            cap = int(mem_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    start = time.monotonic()
    proc = subprocess.Popen(
        [PY, "-c", code],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=limit,
        env={**os.environ, "CHANGEKIT_BLOCK_PLUGINS": block} if block else None,
    )
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    tail = err.strip().splitlines()[-1] if err.strip() else ""
    cpu = usage.ru_utime + usage.ru_stime  # with the git processes it waited for
    return {"s": wall, "cpu": cpu, "mb": usage.ru_maxrss / 1024, "rc": proc.returncode, "err": tail}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


NAIVE = "3401471a8c0d"
"""The last commit before facts moved to their own ref (issue 10): the store "naive" runs.
Pinned, since main has the new store by now (its merge base would compare like with like)."""


def naive_source(cache: Path) -> Path:
    """The package as it was before the facts store streamed: changekit/, schemas, plugins."""
    base = git(ROOT, "rev-parse", NAIVE)
    src = cache / f"naive-src-{base[:12]}"
    if (src / "changekit").is_dir():
        return src
    tmp = cache / "naive-src.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", base, "changekit", "plugins", "schemas"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
    (tmp / "plugins").rename(tmp / "changekit_plugins")
    (tmp / "schemas").rename(tmp / "changekit" / "schemas")
    tmp.rename(src)
    return src


def workspace(cache: Path, name: str, hosts: int, scans: int, src: Path) -> tuple[Path, list]:
    """A workspace with ``scans`` daily scans of ``hosts`` stored by the store in ``src``;
    built once (the per-scan figures of the build are returned only when it is built now)."""
    import yaml

    sys.path.insert(0, str(BENCH))
    from fleetgen import Fleet

    ws = cache / f"{name}-h{hosts}-s{scans}"
    if (ws / ".bench-done").exists():
        return ws, []
    shutil.rmtree(ws, ignore_errors=True)
    ws.mkdir(parents=True)
    git(ws, "init", "-q", "-b", "main")
    git(ws, "config", "user.name", "Bench")
    git(ws, "config", "user.email", "bench@example.org")
    (ws / "changekit.yaml").write_text("version: 1\n")
    (ws / ".gitignore").write_text(".changekit/\n")
    (ws / "inventories").mkdir()
    fleet = Fleet(hosts)
    (ws / "inventories" / "hosts.yaml").write_text(yaml.safe_dump(fleet.inventory()))
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "workspace")
    built = []
    for day in range(scans):
        m = child(
            SAVE.format(
                src=str(src) if src else "", bench=str(BENCH), hosts=hosts, ws=str(ws), day=day
            )
        )
        if m["rc"] != 0:
            raise SystemExit(f"building {ws}: scan {day} failed: {m['err']}")
        built.append(m)
        print(
            f"  built {name} scan {day + 1}/{scans}: {m['s']:.1f} s, {m['mb']:.0f} MB", flush=True
        )
    (ws / ".bench-done").write_text("")
    return ws, built


def clone_mb(ws: Path, cache: Path) -> float:
    target = cache / "clone.tmp"
    shutil.rmtree(target, ignore_errors=True)
    # --no-local: what a reviewer gets over the network (a local clone hard-links all objects)
    subprocess.run(
        ["git", "clone", "-q", "--no-local", str(ws), str(target)], check=True, capture_output=True
    )
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    shutil.rmtree(target)
    return size / 2**20


def measure(ws: Path, src: Path, hosts: int, scans: int, mem_gb: float | None) -> dict:
    """Every figure for one workspace (``src``: whose code runs)."""
    sys.path.insert(0, str(BENCH))
    from fleetgen import Fleet, scan_id

    host = Fleet(hosts).hosts[hosts // 2]
    out = {}

    def cli(*args: str) -> dict:
        return child(
            CLI.format(src=str(src) if src else "", args=["-C", str(ws), *args]),
            mem_gb=mem_gb,
            block=foreign_plugins(src),
        )

    out["drift"] = cli("drift", "--format", "json")
    out["report"] = cli("report", "--format", "json")
    out["history"] = cli("facts", "history", host, "--format", "json")
    out["diff"] = cli("facts", "diff", host, "--since", scan_id(0), "--format", "json")
    out["clone MB"] = clone_mb(ws, ws.parent)
    # one more scan, then put everything back as it was
    head = git(ws, "rev-parse", "HEAD")
    facts = subprocess.run(
        ["git", "rev-parse", "-q", "--verify", "refs/changekit/facts"],
        cwd=ws,
        capture_output=True,
        text=True,
    ).stdout.strip()
    out["store"] = child(
        SAVE.format(
            src=str(src) if src else "", bench=str(BENCH), hosts=hosts, ws=str(ws), day=scans
        ),
        mem_gb=mem_gb,
    )
    if facts:
        git(ws, "update-ref", "refs/changekit/facts", facts)
    else:  # the store under test made it (or none did): gone, as before the measurement
        subprocess.run(["git", "update-ref", "-d", "refs/changekit/facts"], cwd=ws, check=False)
    git(ws, "reset", "-q", "--hard", head)
    return out


def show(label: str, ours: dict, theirs: dict | None) -> None:
    def cell(m: dict | float | None) -> str:
        if m is None:
            return "-"
        if isinstance(m, float):
            return f"{m:.2f} MB"
        if m["rc"] != 0:
            return f"failed ({m['err'][:60]})"
        return f"{m['s']:.2f} s ({m['cpu']:.2f} cpu), {m['mb']:.0f} MB"

    print(f"\n{label}")
    print(f"  {'':10} {'changekit':>32} {'naive':>40}  naive/changekit")
    for key in ("store", "drift", "report", "history", "diff", "clone MB"):
        a = ours.get(key)
        b = theirs.get(key) if theirs else None
        ratio = ""
        if isinstance(a, float) and isinstance(b, float) and a:
            ratio = f"{b / a:.1f}x"
        elif isinstance(a, dict) and isinstance(b, dict) and a["rc"] == 0 and b["rc"] == 0:
            ratio = (
                f"{b['s'] / a['s']:.1f}x time, {b['cpu'] / max(a['cpu'], 0.01):.1f}x cpu, "
                f"{b['mb'] / a['mb']:.1f}x RSS"
            )
        print(f"  {key:10} {cell(a):>32} {cell(b):>40}  {ratio}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=2000, help="0: only the side-by-side run")
    ap.add_argument("--scans", type=int, default=12)
    ap.add_argument("--naive-hosts", type=int, default=300, help="0: skip the side-by-side run")
    ap.add_argument("--naive-mem-gb", type=float, default=6.0)
    ap.add_argument("--naive-at-full", action="store_true", help="also run naive at --hosts")
    ap.add_argument("--cache", type=Path, default=Path("/var/tmp/changekit-bench-facts"))
    a = ap.parse_args()
    a.cache.mkdir(parents=True, exist_ok=True)
    naive = naive_source(a.cache)
    print(f"load average {os.getloadavg()[0]:.1f}; cache {a.cache}", flush=True)

    if a.naive_hosts:
        small_new, _ = workspace(a.cache, OURS_NAME, a.naive_hosts, a.scans, OURS)
        small_old, _ = workspace(a.cache, "naive", a.naive_hosts, a.scans, naive)
        show(
            f"{a.naive_hosts} hosts x {a.scans} daily scans",
            measure(small_new, OURS, a.naive_hosts, a.scans, None),
            measure(small_old, naive, a.naive_hosts, a.scans, a.naive_mem_gb),
        )
    if not a.hosts:
        return
    big_new, built = workspace(a.cache, OURS_NAME, a.hosts, a.scans, OURS)
    if built:
        worst = max(built, key=lambda m: m["s"])
        print(f"  storing each of the {a.scans} scans: slowest {worst['s']:.1f} s, "
              f"peak {max(m['mb'] for m in built):.0f} MB")  # fmt: skip
    theirs = None
    if a.naive_at_full:
        big_old, _ = workspace(a.cache, "naive", a.hosts, a.scans, naive)
        theirs = measure(big_old, naive, a.hosts, a.scans, a.naive_mem_gb)
    show(
        f"{a.hosts} hosts x {a.scans} daily scans",
        measure(big_new, OURS, a.hosts, a.scans, None),
        theirs,
    )
    print(f"\nload average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
