"""Benchmark: one step of an approved change on a 200-host test fleet, run by
``changekit change run``, by plain parallel OpenSSH (the floor) and by ``ansible all -m shell``,
in one run.

    .venv/bin/python bench/bench_run.py [--hosts 200] [--concurrency 50] [--repeat 3]

Run as root from the repository root. It starts a ``bench<N>`` test fleet (tests/testfleet/)
unless ``--state-dir`` names a running one, and stops what it started. Each changekit run is a
fresh record (filed, approved by a second identity, then run: gate, ``start`` commit, the
step on every host with ``--canary 0 --batch 100%``, one commit of 200 transcripts, the
``complete`` commit); only ``change run`` is timed. Targets (issue 11): changekit within 1.3x
of the floor, at least 5x faster than Ansible.
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
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_scan import SAME_KEX, ansible  # noqa: E402
from tests.testfleet import Fleet, instance  # noqa: E402
from tests.testfleet.fleet import missing_requirements  # noqa: E402

VENV_BIN = Path(sys.executable).parent
STEP = "uname -r; test -r /etc/os-release && echo changed-by-bench >> /tmp/bench-run"
POLICY = """\
version: 1
groups:
  approvers: {members: [bob@example.org]}
  operators: {members: [alice@example.org]}
approvals:
  rules:
    - require: [{count: 1, from: [approvers]}]
lead_time: 0h
"""


def sh(ws: Path, *args: str, env: dict, who: str = "alice") -> str:
    names = {"alice": ("Alice", "alice@example.org"), "bob": ("Bob", "bob@example.org")}
    name, email = names[who]
    full = {**env, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}  # fmt: skip
    subprocess.run(["git", "config", "user.name", name], cwd=ws, check=True)
    subprocess.run(["git", "config", "user.email", email], cwd=ws, check=True)
    out = subprocess.run(args, cwd=ws, env=full, capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(f"{' '.join(args)} exited {out.returncode}: {out.stderr[-2000:]}")
    return out.stdout


def approved_record(ws: Path, hosts: list[str], env: dict) -> str:
    ck = str(VENV_BIN / "changekit")
    start = datetime.now(UTC) - timedelta(minutes=5)
    draft = {
        "title": "Bench: one step on every host", "type": "normal", "category": "change",
        "risk": "low", "impact": "low", "hosts": hosts, "implementation": ["see plan"],
        "window": {"start": start.isoformat(timespec="seconds"),
                   "end": (start + timedelta(hours=3)).isoformat(timespec="seconds"),
                   "timezone": "UTC"},
        "plan": {"steps": [{"name": "one step", "run": STEP}]},
    }  # fmt: skip
    path = ws.parent / "draft.yaml"
    path.write_text(yaml.safe_dump(draft))
    rid = json.loads(sh(ws, ck, "change", "new", "--no-input", "--format", "json", "--from-file",
                        str(path), env=env))["id"]  # fmt: skip
    sh(ws, ck, "change", "submit", rid, env=env)
    sh(ws, ck, "change", "approve", rid, env=env, who="bob")
    return rid


def run_changekit(ws: Path, fleet: Fleet, rid: str, concurrency: int, env: dict) -> int:
    out = sh(ws, str(VENV_BIN / "changekit"), "change", "run", rid, "--canary", "0", "--batch",
             "100%", "--concurrency", str(concurrency), "--known-hosts", str(fleet.known_hosts),
             "--ssh-config", "none", "--format", "json", env=env)  # fmt: skip
    return sum(1 for e in json.loads(out)["hosts"].values() if e["state"] == "done")


def run_floor(fleet: Fleet, hosts: list[str], concurrency: int) -> int:
    def one(host: str) -> bool:
        r = subprocess.run(
            ["ssh", "-F", str(fleet.ssh_config), *SAME_KEX, host, "sh -s"],
            input=STEP.encode(), capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        return r.returncode == 0

    with ThreadPoolExecutor(concurrency) as pool:
        return sum(pool.map(one, hosts))


def run_ansible(fleet: Fleet, workdir: Path, concurrency: int) -> int:
    """``ansible all -m shell -a STEP -f N``; returns the hosts where it ran with status 0."""
    out = ansible(fleet, workdir, concurrency, "-m", "shell", "-a", STEP)
    return sum(1 for line in out.splitlines() if " | CHANGED | rc=0" in line)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--hosts", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--repeat", type=int, default=3, help="runs of changekit and the floor (median)")
    p.add_argument("--state-dir", type=Path, help="a running bench fleet to use")
    p.add_argument("--skip-ansible", action="store_true")
    args = p.parse_args()
    if why := missing_requirements():
        print(f"bench_run: {why}", file=sys.stderr)
        return 2
    state = args.state_dir or instance.start(f"bench{args.hosts}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-run-"))
    try:
        fleet = Fleet(state)
        hosts = fleet.names()
        home = workdir / "home"
        (home / ".ssh").mkdir(parents=True)
        shutil.copy(fleet.known_hosts, home / ".ssh" / "known_hosts")
        (home / ".gitconfig").write_text("[user]\n\tname = Alice\n\temail = alice@example.org\n")
        env = {**os.environ, "HOME": str(home)}
        ws = workdir / "ws"
        subprocess.run([str(VENV_BIN / "changekit"), "init", str(ws)], check=True,
                       capture_output=True, env=env)  # fmt: skip
        (ws / "changekit.yaml").write_text(POLICY)
        shutil.copy(fleet.inventory, ws / "inventories" / "bench.yaml")
        sh(ws, "git", "add", "-A", env=env)
        sh(ws, "git", "commit", "-qm", "bench policy and inventory", env=env)
        print(f"{len(hosts)} hosts, concurrency {args.concurrency}, step: {STEP}")
        runs: dict[str, list[tuple[float, int]]] = {"changekit": [], "ssh floor": []}
        for _ in range(args.repeat):  # interleaved: load changes hit both alike
            rid = approved_record(ws, hosts, env)
            start = time.perf_counter()
            done = run_changekit(ws, fleet, rid, args.concurrency, env)
            runs["changekit"].append((time.perf_counter() - start, done))
            start = time.perf_counter()
            done = run_floor(fleet, hosts, args.concurrency)
            runs["ssh floor"].append((time.perf_counter() - start, done))
        if not args.skip_ansible:
            start = time.perf_counter()
            done = run_ansible(fleet, workdir, args.concurrency)
            runs["ansible"] = [(time.perf_counter() - start, done)]
        wall = {}
        for label, done in runs.items():
            wall[label] = statistics.median(t for t, _ in done)
            ok = min(n for _, n in done)
            each = ", ".join(f"{t:.2f}" for t, _ in done)
            print(f"{label:10} {wall[label]:8.2f} s  ({ok}/{len(hosts)} hosts ok; runs: {each})")
        print(
            f"changekit / floor   = {wall['changekit'] / wall['ssh floor']:6.2f}x   (target <= 1.3x)"
        )
        if "ansible" in wall:
            print(
                f"ansible / changekit = {wall['ansible'] / wall['changekit']:6.2f}x   (target >= 5x)"
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.state_dir:
            instance.stop(state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
