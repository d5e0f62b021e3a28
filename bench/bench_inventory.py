"""Benchmark: reading a large Ansible INI inventory, changekit vs ``ansible-inventory``.

Generates an inventory of N hosts (N/100 groups of 100, group vars, a parent group with
children, ansible_host/ansible_user per host) and times, in one run:

1. ``changekit inventory list -i hosts.ini --format json --ssh-config none``
2. ``changekit inventory list ... --ssh-config ssh_config`` (one Host block per group)
3. ``ansible-inventory -i hosts.ini --list`` (ansible-core, the `bench` extra)

Each command is run ``--repeat`` times; medians and the ratio ansible/changekit are printed.
Both print every host with its resolved variables as JSON, so they do the same work.

    .venv/bin/python bench/bench_inventory.py [--hosts 10000] [--repeat 3]
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

BIN = Path(sys.executable).parent


def write_inventory(folder: Path, hosts: int) -> tuple[Path, Path]:
    groups = max(1, hosts // 100)
    lines: list[str] = []
    for g in range(groups):
        lines.append(f"[grp{g}]")
        lines += [
            f"host{g:04d}-{h:02d}.example.org ansible_host=10.{g // 256}.{g % 256}.{h + 1} ansible_user=u{g} role=r{h}"
            for h in range(100)
        ]
        lines += [f"[grp{g}:vars]", f"team=t{g}", f"changekit_contacts=team{g}@example.org"]
    lines.append("[dc:children]")
    lines += [f"grp{g}" for g in range(groups)]
    inventory = folder / "hosts.ini"
    inventory.write_text("\n".join(lines) + "\n")
    ssh_config = folder / "ssh_config"
    ssh_config.write_text(
        "".join(f"Host host{g:04d}-*\n  Port {2000 + g % 1000}\n" for g in range(groups))
        + "Host *\n  IdentityFile ~/.ssh/id_ed25519\n"
    )
    return inventory, ssh_config


def timed(cmd: list[str], repeat: int, env: dict[str, str]) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
        times.append(time.perf_counter() - start)
        data = json.loads(out)
        count = (
            len(data) if isinstance(data, list) else len(data.get("_meta", {}).get("hostvars", {}))
        )
    return statistics.median(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inventory, ssh_config = write_inventory(folder, args.hosts)
        env = {**os.environ, "HOME": tmp, "ANSIBLE_LOCAL_TEMP": tmp, "ANSIBLE_HOME": tmp}
        changekit = [
            str(BIN / "changekit"),
            "inventory",
            "list",
            "-i",
            str(inventory),
            "--format",
            "json",
        ]
        rows = [
            ("changekit", timed([*changekit, "--ssh-config", "none"], args.repeat, env)),
            (
                "changekit + ssh_config",
                timed([*changekit, "--ssh-config", str(ssh_config)], args.repeat, env),
            ),
        ]
        ansible = shutil.which("ansible-inventory", path=str(BIN)) or shutil.which(
            "ansible-inventory"
        )
        if ansible:
            rows.append(
                (
                    "ansible-inventory --list",
                    timed([ansible, "-i", str(inventory), "--list"], args.repeat, env),
                )
            )
        for name, (seconds, count) in rows:
            print(f"{name:28s} {seconds:7.2f} s  ({count} hosts)")
        if ansible:
            print(f"ratio ansible-inventory / changekit: {rows[2][1][0] / rows[0][1][0]:.1f}x")
        else:
            print("ansible-inventory not found: pip install -e '.[bench]'")


if __name__ == "__main__":
    main()
