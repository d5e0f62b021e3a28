"""Snapshots shaped like a real server's, for the facts store benchmarks.

Each host has 1,800 dpkg packages, 4,000 Perl modules and 300 Python distributions (about
700 KB of JSON, as ``schemas/snapshot.schema.json`` describes), plus ``os``, ``preload`` and
``integrity`` facts. Hosts sit in peer groups of ``group_size``; 2 % of them differ from
their group by one package version. Day to day a server barely changes: each day about 3 %
of the hosts upgrade one to three packages, and every snapshot has its own scan id and
``collected_at``. Deterministic for a seed, so both sides of a benchmark see the same fleet.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
DPKG, PERL, PYTHON = 1800, 4000, 300


def scan_id(day: int, start: datetime = START) -> str:
    return (start + timedelta(days=day)).strftime("%Y%m%dT%H%M%SZ") + f"-bench{day:03d}"


def collected_at(day: int, index: int, start: datetime = START) -> str:
    # hosts are collected over the scan's first minutes, in order
    return (start + timedelta(days=day, seconds=1 + index // 50)).isoformat()


class Fleet:
    def __init__(
        self, hosts: int, group_size: int = 50, seed: int = 10, start: datetime = START
    ) -> None:
        rng = random.Random(seed)
        self.start = start
        """Day 0's scan; the fleet's history is the same whatever the start."""
        self.hosts = [f"srv{i:05d}.dc{i % 3}.example.org" for i in range(hosts)]
        self.group_size = group_size
        words = ["lib", "tools", "data", "common", "utils", "dev", "bin", "doc", "core", "extra"]

        def version(r: random.Random) -> str:
            return f"{r.randint(0, 9)}.{r.randint(0, 40)}.{r.randint(0, 20)}-{r.randint(1, 5)}+deb12u{r.randint(1, 3)}"

        self.dpkg = {
            f"{rng.choice(words)}{i:04d}-{rng.choice(words)}-{rng.choice(words)}": {
                "arch": rng.choice(["amd64", "all"]),
                "status": "installed",
                "version": version(rng),
            }
            for i in range(DPKG)
        }
        self.perl = {
            f"{rng.choice(['App', 'Net', 'Data', 'Text', 'IO', 'File'])}::{rng.choice(words).title()}{i:04d}::{rng.choice(words).title()}": {
                "path": f"/usr/share/perl5/{rng.choice(words)}/{i:04d}/Module{i}.pm",
                "version": f"{rng.randint(0, 3)}.{rng.randint(0, 999):03d}",
            }
            for i in range(PERL)
        }
        self.python = {
            f"{rng.choice(words)}-{rng.choice(words)}{i:03d}": {
                "path": f"/usr/lib/python3/dist-packages/{rng.choice(words)}{i:03d}-1.0.dist-info",
                "version": f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
            }
            for i in range(PYTHON)
        }
        names = sorted(self.dpkg)
        # per host: one package that differs from its group (2 %), and daily upgrades
        self.odd: dict[str, tuple[str, str]] = {}
        self.upgrades: dict[str, list[tuple[int, str, str]]] = {}
        for h in self.hosts:
            hr = random.Random(f"{seed}-{h}")
            if hr.random() < 0.02:
                name = hr.choice(names)
                self.odd[h] = (name, self.dpkg[name]["version"] + ".1")
            events = []
            for day in range(1, 400):
                if hr.random() < 0.03:
                    for _ in range(hr.randint(1, 3)):
                        name = hr.choice(names)
                        events.append((day, name, f"{day}.0-{hr.randint(1, 9)}+deb12u9"))
            self.upgrades[h] = events

    def group_of(self, host: str) -> str:
        return f"role{self.hosts.index(host) // self.group_size:03d}"

    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for i, h in enumerate(self.hosts):
            out.setdefault(f"role{i // self.group_size:03d}", []).append(h)
        return out

    def snapshot(self, index: int, day: int) -> dict[str, Any]:
        host = self.hosts[index]
        dpkg = dict(self.dpkg)
        if host in self.odd:
            name, version = self.odd[host]
            dpkg[name] = {**dpkg[name], "version": version}
        for when, name, version in self.upgrades[host]:
            if when > day:
                break
            dpkg[name] = {**dpkg[name], "version": version}
        return {
            "schema_version": 1,
            "scan_id": scan_id(day, self.start),
            "host": host,
            "address": f"10.{index // 65536}.{index // 256 % 256}.{index % 256}",
            "collected_at": collected_at(day, index, self.start),
            "duration_seconds": 2.5,
            "collectors": ["dpkg", "integrity", "os", "perl", "preload", "python"],
            "facts": {
                "dpkg": dpkg,
                "perl": self.perl,
                "python": self.python,
                "os": {
                    "family": "debian",
                    "hostname": host.split(".")[0],
                    "id": "debian",
                    "kernel": "6.1.0-28-amd64",
                    "version_id": "12",
                },
                "preload": {"environment": [], "ld_so_preload": [], "ld_so_preload_exists": False},
                "integrity": {},
            },
            "errors": {},
        }

    def scan(self, day: int, hosts: int | None = None) -> Iterator[dict[str, Any]]:
        for i in range(hosts if hosts is not None else len(self.hosts)):
            yield self.snapshot(i, day)

    def inventory(self) -> dict[str, Any]:
        """The workspace inventory (changekit.yaml format): every host in its peer group."""
        return {
            "version": 1,
            "hosts": {h: {"address": "127.0.0.1"} for h in self.hosts},
            "groups": {g: {"hosts": m} for g, m in self.groups().items()},
        }
