"""Benchmark: what a scan costs the hosts, first and repeated, with incremental package verify.

    .venv/bin/python bench/bench_verify.py [--hosts 200] [--concurrency 50] [--repeat 3]

Run as root from the repository root. It starts a ``bench<N>`` test fleet (tests/testfleet/)
unless ``--state-dir`` names a running one, and stops what it started. In one run, all inside
workspaces (so a repeat scan has a stored previous snapshot to build on):

1. **first**: ``changekit scan`` with every collector; ``integrity`` runs a full ``dpkg --verify``.
2. **repeat**: the same scan again; ``integrity`` re-hashes only files that changed (none),
   ``perl`` re-reads only modules that changed (none).
3. **dpkg floor**: ``changekit scan --collectors dpkg`` (just the package list) in a workspace of
   its own, interleaved with 2 so a change in the machine's load hits both alike.
4. **repeat dpkg,integrity** and **repeat, no integrity**: integrity's share and the others',
   after 2-3 (not interleaved: a scan that leaves a collector out makes its next run a full one).
5. **repeat --full-verify**: once, a full verify (and perl read) forced: what every repeat scan
   cost before.

Per host it reads the host's own sshd (PID 1 of the host's namespace) before and after each scan:
``/proc/PID/io`` and the children's CPU in ``/proc/PID/stat`` include every process of every
session it has reaped, so the delta is what the scan's whole remote process tree read and
spent: ``rchar`` (bytes read through read(2), from the page cache or the disk), ``read_bytes``
(bytes the block layer fetched: near zero here, since the hosts share one warm page cache) and
CPU seconds (user + system). Target (issue 10): the repeat scan within 1.5x of the dpkg floor.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.testfleet import Fleet, instance  # noqa: E402
from tests.testfleet.fleet import missing_requirements  # noqa: E402

VENV_BIN = Path(sys.executable).parent
TICK = os.sysconf("SC_CLK_TCK")


def sshd_pids(fleet: Fleet) -> dict[str, int]:
    """Each host's sshd: the only child of the host's ``unshare`` process."""
    pids = {}
    for name in fleet.names():
        outer = fleet.hosts[name].pid
        children = Path(f"/proc/{outer}/task/{outer}/children").read_text().split()
        pids[name] = int(children[0])
    return pids


def counters(pids: dict[str, int]) -> dict[str, tuple[int, int, float]]:
    """``host -> (rchar, read_bytes, CPU seconds)`` of the sshd and every session it reaped."""
    out = {}
    for host, pid in pids.items():
        io = dict(
            line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines() if line
        )
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = sum(int(stat[i]) for i in (11, 12, 13, 14)) / TICK  # utime stime cutime cstime
        out[host] = (int(io["rchar"]), int(io["read_bytes"]), cpu)
    return out


def collector_names() -> list[str]:
    from changekit.plugins import collect

    return [c.name for c in collect("register_collectors")]


def scan(fleet: Fleet, ws: Path, home: Path, concurrency: int, *extra: str) -> tuple[float, dict]:
    """One ``changekit scan`` stored in ``ws``: (wall seconds, parsed JSON output)."""
    start = time.perf_counter()
    out = subprocess.run(
        [str(VENV_BIN / "changekit"), "scan", "-i", str(fleet.inventory), "--format", "json",
         "--concurrency", str(concurrency), "--known-hosts", str(fleet.known_hosts),
         "--ssh-config", "none", *extra],
        cwd=ws, capture_output=True, text=True, timeout=3600, check=False,
        env={**os.environ, "HOME": str(home)},
    )  # fmt: skip
    wall = time.perf_counter() - start
    if not out.stdout:
        raise RuntimeError(f"changekit scan exited {out.returncode}: {out.stderr[-2000:]}")
    return wall, json.loads(out.stdout)


def reaped(pids: dict[str, int], timeout: float = 60.0) -> None:
    """Wait until no sshd has a session left: only a reaped session's counters are in its own."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{p}/task/{p}/children").read_text().strip() for p in pids.values()):
            return
        time.sleep(0.1)
    raise RuntimeError("sessions still open a minute after the scan")


def measured(fleet, pids, ws, home, concurrency, *extra) -> dict:
    reaped(pids)
    before = counters(pids)
    wall, doc = scan(fleet, ws, home, concurrency, *extra)
    reaped(pids)
    after = counters(pids)
    n = len(pids)
    modes: dict[str, int] = {}
    for snap in doc["snapshots"]:
        runs = snap.get("runs") or {}
        mode = "/".join(runs.get(name, {}).get("mode", "-") for name in ("integrity", "perl"))
        modes[mode] = modes.get(mode, 0) + 1
    ok = sum(1 for h in doc["hosts"] if h["status"] == "ok")
    return {
        "wall": wall,
        "ok": ok,
        "modes": modes,
        "rchar": sum(after[h][0] - before[h][0] for h in pids) / n,
        "read_bytes": sum(after[h][1] - before[h][1] for h in pids) / n,
        "cpu": sum(after[h][2] - before[h][2] for h in pids) / n,
    }


def show(label: str, runs: list[dict], hosts: int) -> dict:
    mid = {k: statistics.median(r[k] for r in runs) for k in ("wall", "rchar", "read_bytes", "cpu")}
    walls = ", ".join(f"{r['wall']:.2f}" for r in runs)
    modes = runs[-1]["modes"]
    print(
        f"{label:24} {mid['wall']:7.2f} s  per host: {mid['rchar'] / 1e6:8.2f} MB read "
        f"({mid['read_bytes'] / 1e6:.2f} MB from disk), {mid['cpu']:.3f} CPU-s  "
        f"[{min(r['ok'] for r in runs)}/{hosts} ok; integrity/perl {modes}; runs: {walls}]"
    )
    return mid


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--hosts", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--repeat", type=int, default=3, help="runs of the repeated scans (median)")
    p.add_argument("--state-dir", type=Path, help="a running bench fleet to use")
    args = p.parse_args()
    if why := missing_requirements():
        print(f"bench_verify: {why}", file=sys.stderr)
        return 2
    state = args.state_dir or instance.start(f"bench{args.hosts}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    try:
        fleet = Fleet(state)
        pids = sshd_pids(fleet)
        home = workdir / "home"
        home.mkdir()
        (home / ".gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.org\n")
        spaces = {}
        for name in ("all", "floor"):
            spaces[name] = workdir / name
            spaces[name].mkdir()
            subprocess.run([str(VENV_BIN / "changekit"), "init"], cwd=spaces[name], check=True,
                           capture_output=True, env={**os.environ, "HOME": str(home)})  # fmt: skip
        c = args.concurrency
        print(f"{len(pids)} hosts, concurrency {c}, every collector unless said")
        others = ",".join(n for n in collector_names() if n != "integrity")
        first = measured(fleet, pids, spaces["all"], home, c)

        # Every scan shares one workspace: a host keeps one integrity baseline and one perl
        # cache, and a scan builds on the last stored snapshot's runs, so a scan from another
        # workspace, or one that left a collector out, makes that collector's next run a full
        # one. So the repeat alternates only with the floor (no cache), and each share runs
        # after it, its first run unmeasured where it follows a scan that left its cache out.
        def repeat(*extra: str) -> dict:
            return measured(fleet, pids, spaces["all"], home, c, *extra)

        runs: dict[str, list[dict]] = {"repeat": [], "dpkg floor": []}
        for _ in range(args.repeat):
            runs["repeat"].append(repeat())
            runs["dpkg floor"].append(
                measured(fleet, pids, spaces["floor"], home, c, "--collectors", "dpkg")
            )
        runs["repeat dpkg,integrity"] = [
            repeat("--collectors", "dpkg,integrity") for _ in range(args.repeat)
        ]
        repeat("--collectors", others)  # perl's first run after scans without it: a full read
        runs["repeat, no integrity"] = [repeat("--collectors", others) for _ in range(args.repeat)]
        # what every repeat scan cost before: once, it is the slowest
        runs["repeat --full-verify"] = [
            measured(fleet, pids, spaces["all"], home, c, "--full-verify")
        ]
        hosts = len(pids)
        show("first (full verify)", [first], hosts)
        mids = {label: show(label, done, hosts) for label, done in runs.items()}
        floor, full = mids["dpkg floor"], mids["repeat --full-verify"]
        for label in ("repeat", "repeat dpkg,integrity", "repeat, no integrity"):
            print(
                f"{label + ' / dpkg floor':34} = {mids[label]['wall'] / floor['wall']:5.2f}x wall"
            )
        print("target: repeat / dpkg floor <= 1.5x")
        rep = mids["repeat"]
        print(f"full verify / repeat, per host = {full['rchar'] / rep['rchar']:5.1f}x bytes read, "
              f"{full['cpu'] / rep['cpu']:.1f}x CPU")  # fmt: skip
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.state_dir:
            instance.stop(state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
