"""Benchmark: scan a 200-host test fleet with changekit, with plain parallel OpenSSH running the
same combined collector script (the floor), and with Ansible's ``package_facts``, in one run.

    .venv/bin/python bench/bench_scan.py [--hosts 200] [--concurrency 50] [--repeat 3]

Run as root from the repository root. It starts a ``bench<N>`` test fleet (tests/testfleet/)
unless ``--state-dir`` names a running one, and stops what it started. Targets (issue 3):
changekit within 1.2x of the floor, at least 15x faster than Ansible.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.testfleet import Fleet, instance  # noqa: E402
from tests.testfleet.fleet import missing_requirements  # noqa: E402

VENV_BIN = Path(sys.executable).parent


def collector_script(only: list[str] | None) -> tuple[str, list[str]]:
    """The combined script ``changekit scan`` runs on each host: the collectors' snippets,
    framed by changekit's own script builder. Returns it with the collector names."""
    from changekit.fleet import script
    from changekit.plugins import collect

    collectors = [c for c in collect("register_collectors") if not only or c.name in only]
    if not collectors:
        raise SystemExit("no collectors registered: changekit has nothing to scan with")
    context: dict = {"files": [], "modules": [], "vars": {}}
    snippets = {c.name: c.script(context) for c in collectors}
    return script.build(snippets, script.new_token()), list(snippets)


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


# What paramiko (changekit's transport) negotiates with bookworm's OpenSSH 9.2. OpenSSH's own
# default, sntrup761x25519 (post-quantum), costs about 60 ms of CPU per connection on each side,
# which would make the floor slower than changekit for a reason unrelated to scanning.
SAME_KEX = ["-o", "KexAlgorithms=curve25519-sha256@libssh.org,curve25519-sha256"]
PQ_KEX = ["-o", "KexAlgorithms=sntrup761x25519-sha512@openssh.com,curve25519-sha256"]


def run_floor(
    fleet: Fleet, hosts: list[str], text: str, names: list[str], concurrency: int, kex: list[str]
) -> int:
    """Plain OpenSSH, one session per host, the script on stdin: returns the hosts where every
    collector's section ran to its end."""
    ends = [f" END {n} ".encode() for n in names]

    def one(host: str) -> bool:
        r = subprocess.run(
            ["ssh", "-F", str(fleet.ssh_config), *kex, host, "sh -s"],
            input=text.encode(), capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        return r.returncode == 0 and all(end in r.stdout for end in ends)

    with ThreadPoolExecutor(concurrency) as pool:
        return sum(pool.map(one, hosts))


def run_changekit(
    fleet: Fleet, workdir: Path, concurrency: int, collectors: list[str] | None
) -> int:
    """``changekit scan -i INVENTORY --format json``; returns the hosts scanned completely.
    In ``workdir`` (a workspace or not: with one, the snapshots are stored in its history)."""
    extra = ["--collectors", ",".join(collectors)] if collectors else []
    out = subprocess.run(
        [str(VENV_BIN / "changekit"), "scan", "-i", str(fleet.inventory), "--format", "json",
         "--concurrency", str(concurrency), "--known-hosts", str(fleet.known_hosts),
         "--ssh-config", "none", *extra],
        cwd=workdir, capture_output=True, text=True, timeout=1800, check=False,
        env={**os.environ, "HOME": str(workdir.parent / "home")},
    )  # fmt: skip
    if not out.stdout:
        raise RuntimeError(f"changekit scan exited {out.returncode}: {out.stderr[-2000:]}")
    doc = json.loads(out.stdout)
    ok = {h["host"] for h in doc["hosts"] if h["status"] == "ok"}
    return sum(1 for snap in doc["snapshots"] if snap["host"] in ok and snap["facts"])


def ansible(fleet: Fleet, workdir: Path, concurrency: int, *module: str) -> str:
    """``ansible all -i <the fleet's INI> -f N <module args>``; its standard output. With the
    same key exchange as changekit and the floor: compare the tools, not the kex."""
    env = {**os.environ, "HOME": str(workdir / "home"), "ANSIBLE_HOST_KEY_CHECKING": "True",
           "ANSIBLE_LOCAL_TEMP": str(workdir / "ansible-tmp"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_SSH_EXTRA_ARGS": " ".join(SAME_KEX)}  # fmt: skip
    out = subprocess.run(
        [str(VENV_BIN / "ansible"), "-i", str(fleet.ansible_ini), "all", *module,
         "-f", str(concurrency)],
        cwd=workdir, capture_output=True, text=True, timeout=1800, check=False, env=env,
    )  # fmt: skip
    return out.stdout


def run_ansible(fleet: Fleet, workdir: Path, concurrency: int) -> int:
    """``ansible all -m package_facts -f N``; returns the hosts that reported SUCCESS."""
    out = ansible(fleet, workdir, concurrency, "-m", "package_facts")
    return sum(1 for line in out.splitlines() if " | SUCCESS =>" in line)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--hosts", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--repeat", type=int, default=3, help="runs of changekit and the floor (median)")
    p.add_argument("--state-dir", type=Path, help="a running bench fleet to use")
    p.add_argument("--collectors", help="comma-separated collector names (default: all)")
    p.add_argument("--skip-ansible", action="store_true")
    p.add_argument("--skip-changekit", action="store_true")
    p.add_argument(
        "--openssh-default-kex",
        action="store_true",
        help="also time the floor with OpenSSH's default (post-quantum) key exchange",
    )
    p.add_argument(
        "--store", action="store_true", help="also scan inside a workspace (snapshots stored)"
    )
    args = p.parse_args()
    if why := missing_requirements():
        print(f"bench_scan: {why}", file=sys.stderr)
        return 2

    state = args.state_dir or instance.start(f"bench{args.hosts}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-scan-"))
    try:
        fleet = Fleet(state)
        hosts = fleet.names()
        (workdir / "home" / ".ssh").mkdir(parents=True)
        shutil.copy(fleet.known_hosts, workdir / "home" / ".ssh" / "known_hosts")
        (workdir / "home" / ".gitconfig").write_text(
            "[user]\n\tname = Bench Runner\n\temail = bench@example.org\n"
        )
        only = args.collectors.split(",") if args.collectors else None
        text, names = collector_script(only)
        print(f"{len(hosts)} hosts, concurrency {args.concurrency}, collectors: {', '.join(names)}")
        (workdir / "plain").mkdir()
        contenders = {
            "changekit": lambda: run_changekit(fleet, workdir / "plain", args.concurrency, only),
            "ssh floor": lambda: run_floor(fleet, hosts, text, names, args.concurrency, SAME_KEX),
        }
        if args.openssh_default_kex:
            contenders["ssh pq-kex"] = lambda: run_floor(
                fleet, hosts, text, names, args.concurrency, PQ_KEX
            )
        if args.skip_changekit:
            del contenders["changekit"]
        if args.store:
            ws = workdir / "ws"
            ws.mkdir()
            subprocess.run([str(VENV_BIN / "changekit"), "init"], cwd=ws, check=True,
                           capture_output=True, env={**os.environ, "HOME": str(workdir / "home")})  # fmt: skip
            contenders["ck+store"] = lambda: run_changekit(fleet, ws, args.concurrency, only)
        # Interleaved, so a change in the machine's load hits every contender alike.
        runs: dict[str, list[tuple[float, object]]] = {k: [] for k in contenders}
        for _ in range(args.repeat):
            for label, fn in contenders.items():
                runs[label].append(timed(fn))
        if not args.skip_ansible:
            runs["ansible"] = [timed(lambda: run_ansible(fleet, workdir, args.concurrency))]
        results: dict[str, tuple[float, int]] = {}
        for label, done in runs.items():
            wall = statistics.median(t for t, _ in done)
            ok = min(int(n) for _, n in done)  # type: ignore[call-overload]
            results[label] = (wall, ok)
            each = ", ".join(f"{t:.2f}" for t, _ in done)
            print(f"{label:10} {wall:8.2f} s  ({ok}/{len(hosts)} hosts ok; runs: {each})")
        report(results)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.state_dir:
            instance.stop(state)
    return 0


def report(results: dict[str, tuple[float, int]]) -> None:
    ck, floor, ans = (results.get(k, (None, 0))[0] for k in ("changekit", "ssh floor", "ansible"))
    if ck and floor:
        print(f"changekit / floor   = {ck / floor:6.2f}x   (target <= 1.2x)")
    if ck and ans:
        print(f"ansible / changekit = {ans / ck:6.2f}x   (target >= 15x)")
    if floor and ans:
        print(f"ansible / floor     = {ans / floor:6.2f}x")


if __name__ == "__main__":
    sys.exit(main())
