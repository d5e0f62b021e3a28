"""Benchmark: a scan's peak memory when it streams snapshots into the facts store, next to
collecting them all before ``save`` (what ``changekit scan`` did before), in one run.

    .venv/bin/python bench/bench_scan_stream.py [--hosts 300]

Each host's snapshot is shaped like a real server's (``bench/fleetgen.py``: 1,800 dpkg
packages, 4,000 Perl modules, 300 Python distributions) and parsed fresh, as a scan parses
each host's output: no two hosts share objects. Both sides store into the git store of a new
workspace, each in its own child process, whose wall time and peak RSS (wait4) are printed:

- **collect**: every host's snapshot kept, then ``store.save(scan_id, snapshots, failed)``;
- **stream**: each snapshot handed to ``SaveFeed.put`` as its host "finishes" (what
  ``changekit scan`` does from the scan's ``on_result``), then ``finish``.

No SSH here: the hosts' scanning is the same on both sides (``bench_scan.py`` measures it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(mode: str, hosts: int, root: Path) -> None:
    from bench.fleetgen import Fleet, scan_id
    from changekit.facts.backend import open_store
    from changekit.facts.feed import SaveFeed
    from changekit.workspace import Workspace

    fleet = Fleet(hosts)
    store = open_store(Workspace(root))
    sid = scan_id(0)

    def finished(i: int) -> dict:
        return json.loads(json.dumps(fleet.snapshot(i, 0)))  # parsed fresh, like a scan's

    if mode == "collect":
        snapshots = [finished(i) for i in range(hosts)]
        store.save(sid, (s for s in snapshots), {})
    else:
        with SaveFeed(store, sid) as feed:
            for i in range(hosts):
                feed.put(finished(i))
            feed.finish()
    assert len(store.hosts()) == hosts


def measure(mode: str, hosts: int, tmp: Path) -> tuple[float, float]:
    root = tmp / mode
    root.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.org"}
    env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.org"}
    subprocess.run([str(Path(sys.executable).parent / "changekit"), "init"], cwd=root, env=env,
                   check=True, capture_output=True)  # fmt: skip
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, __file__, "--child", mode, "--hosts", str(hosts),
                             "--root", str(root)], env=env)  # fmt: skip
    _pid, status, usage = os.wait4(proc.pid, 0)
    if status:
        sys.exit(f"{mode} failed (status {status})")
    return time.monotonic() - start, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=300)
    parser.add_argument("--child")
    parser.add_argument("--root", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.hosts, args.root)
        return
    with tempfile.TemporaryDirectory(prefix="changekit-bench-stream-") as tmp:
        rows = {mode: measure(mode, args.hosts, Path(tmp)) for mode in ("collect", "stream")}
    print(f"{args.hosts} real-sized hosts, one scan stored in the git store")
    for mode, (secs, mb) in rows.items():
        print(f"  {mode:8} {secs:6.1f} s  peak RSS {mb:7.0f} MB")
    (cs, cm), (ss, sm) = rows["collect"], rows["stream"]
    print(f"  ratio collect/stream: memory {cm / sm:.1f}x, time {cs / ss:.2f}x")


if __name__ == "__main__":
    main()
