"""Seeded fleets of snapshots shaped like the collectors' (item maps, plain maps, lists, nested
envelopes, empty data, non-ASCII), changing a little each scan, some hosts partial or failed:
what the store contract and round-trip tests feed every backend alike."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.drift.fleetdata import BASE


def base_facts(rng: random.Random) -> dict[str, Any]:
    facts = copy.deepcopy(BASE)
    for i in range(40):
        facts["dpkg"][f"lib{i}"] = {"version": f"1.{rng.randint(0, 2)}-1", "arch": "amd64"}
        facts["perl"][f"Mod{i % 7}::Sub{i}"] = {"version": f"0.{rng.randint(1, 3)}"}
    facts["os"] = {
        "id": "debian",
        "version_id": "12",
        "pretty_name": "Debian GNU/Linux 12 (bookworm)",
    }
    facts["python"] = {
        "requests": {"version": "2.31.0", "location": "/usr/lib/python3/dist-packages"}
    }
    facts["files"]["/etc/motd"] = {
        "sha256": "b" * 64,
        "mode": "0644",
        "owner": "root",
        "size": 12.5,
    }
    facts["files"]["/etc/ünïcode"] = {"sha256": "c" * 64, "note": "naïve — ✓"}
    return facts


def mutate(rng: random.Random, facts: dict[str, Any]) -> dict[str, Any]:
    facts = copy.deepcopy(facts)
    for _ in range(rng.randint(0, 4)):
        roll = rng.random()
        if roll < 0.4:
            name = rng.choice(sorted(facts["dpkg"]))
            facts["dpkg"][name] = dict(facts["dpkg"][name], version=f"9.{rng.randint(0, 99)}")
        elif roll < 0.55:
            facts["dpkg"].pop(rng.choice(sorted(facts["dpkg"])))
        elif roll < 0.7:
            facts["perl"][f"New::M{rng.randint(0, 9)}"] = {"version": str(rng.randint(1, 3))}
        elif roll < 0.8:
            facts["services"]["services"][f"s{rng.randint(0, 3)}.service"] = {"state": "enabled"}
        elif roll < 0.9:
            facts["preload"]["environment"] = [
                {"file": "/etc/environment", "variable": "LD_PRELOAD", "text": "x"}
            ]
        else:
            facts["integrity"] = {
                "/etc/ssh/sshd_config": {
                    "manager": "dpkg",
                    "flags": "??5??????",
                    "config": True,
                    "missing": False,
                }
            }
    return facts


def scan_ids(n: int, start: datetime = datetime(2026, 11, 1, 2, tzinfo=UTC)) -> list[str]:
    return [f"{(start + timedelta(days=i)):%Y%m%dT%H%M%SZ}-s{i:04d}" for i in range(n)]


def fleet_scans(seed: int, hosts: int, scans: int, *, failures: bool = True):
    """``[(scan_id, snapshots, failed)]``, oldest first."""
    rng = random.Random(seed)
    shared = base_facts(rng)
    state = {f"h{i:03d}": mutate(rng, shared) for i in range(hosts)}
    out = []
    for scan_id in scan_ids(scans):
        at = datetime.strptime(scan_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).isoformat()
        snaps, failed = [], {}
        for host in sorted(state):
            roll = rng.random() if failures else 1.0
            if roll < 0.1:
                failed[host] = {"reason": "unreachable", "message": "connection refused"}
                continue
            state[host] = mutate(rng, state[host])
            facts = copy.deepcopy(state[host])
            errors = {}
            if roll < 0.25:  # partial: a collector failed, its facts are carried over
                broken = rng.choice(["perl", "dpkg", "services"])
                facts.pop(broken)
                errors[broken] = "timed out"
            snaps.append(
                {
                    "schema_version": 1,
                    "scan_id": scan_id,
                    "host": host,
                    "address": "192.0.2.1",
                    "collected_at": at,
                    "duration_seconds": round(rng.random() * 3, 3),
                    "collectors": sorted([*facts, *errors]),
                    "facts": facts,
                    "errors": errors,
                }
            )
        out.append((scan_id, snaps, failed))
    return out
