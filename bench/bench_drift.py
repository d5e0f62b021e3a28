"""Benchmark: drift analysis of 10,000 host snapshots x 2,000 packages each, against a
standard and against peers, next to a naive pure-Python set comparison on the same data.

    .venv/bin/python bench/bench_drift.py [--hosts 10000] [--packages 2000] [--groups 20]

Each implementation runs in its own process (so each peak RSS is its own), on the same
deterministic data: 20 groups of 500 hosts; in each group 2 % of the hosts deviate (a
missing package, another version, an extra package). The standard has 200 requirements
(150 minimum versions, 20 "same version", 30 absent packages, 5 of them globs).

Snapshots are built in memory the way a store keeping 10,000 of them must hold them: the
``{"version": ...}`` entry of one package version is one shared object. Target: under 5 s
and under 2 GB peak RSS for changekit's analysis.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def generate(hosts: int, packages: int, groups: int, seed: int = 7, deviating: float = 0.02):
    """``({host: snapshot}, {group: [hosts]})`` with planted deviations."""
    rng = random.Random(seed)
    names = [
        f"pkg{i:04d}-{rng.choice(['lib', 'tools', 'data', 'perl', 'py'])}" for i in range(packages)
    ]
    versions = {
        n: f"{rng.randint(0, 9)}.{rng.randint(0, 40)}-{rng.randint(1, 5)}+deb12u{rng.randint(1, 3)}"
        for n in names
    }
    pool = {(n, v): {"version": v} for n, v in versions.items()}
    base = {n: pool[(n, versions[n])] for n in names}
    snapshots, members = {}, {}
    per_group = hosts // groups
    for g in range(groups):
        group = f"group{g:02d}"
        members[group] = []
        for i in range(per_group):
            host = f"{group}-h{i:04d}"
            data = dict(base)  # each host its own table, as loaded from its own file
            if rng.random() < deviating:
                kind = rng.randrange(3)
                victim = rng.choice(names)
                if kind == 0:
                    del data[victim]
                elif kind == 1:
                    data[victim] = {"version": versions[victim] + ".1"}
                else:
                    data[f"extra-{host}"] = {"version": "1.0-1"}
            snapshots[host] = {
                "scan_id": "20261125T000000Z-bench",
                "host": host,
                "collected_at": "2026-11-25T00:00:00+00:00",
                "facts": {"dpkg": data},
                "errors": {},
            }
            members[group].append(host)
    return snapshots, members, names, versions


def standard_spec(names: list[str], versions: dict[str, str]):
    """200 requirements: (kind, item, constraint)."""
    reqs = [("present", n, f">= {versions[n].split('-')[0]}") for n in names[:150]]
    reqs += [("present", n, "same") for n in names[150:170]]
    reqs += [("absent", f"compiler{i}", None) for i in range(25)]
    reqs += [("absent", f"gcc-{i}*", None) for i in range(5)]
    return reqs


def run_changekit(snapshots, members, names, versions) -> tuple[int, int]:
    from changekit.drift.constraints import parse_constraint
    from changekit.drift.peers import compare_peers
    from changekit.drift.standard_check import check_standard
    from changekit.drift.standards import Requirement, Standard

    reqs = []
    for kind, item, constraint in standard_spec(names, versions):
        reqs.append(
            Requirement(
                kind=kind,
                collector="dpkg",
                item=item,
                severity="high",
                id=f"{kind} dpkg:{item}",
                constraint=parse_constraint("dpkg", constraint) if constraint else None,
            )
        )
    std = Standard(name="bench", applies_to=("all",), requirements=tuple(reqs))
    std_findings = check_standard(std, snapshots)
    peer_findings = []
    for group, hosts in members.items():
        peer_findings += compare_peers(group, {h: snapshots[h] for h in hosts})
    return len(std_findings), len(peer_findings)


def run_engine(snapshots, members, names, versions) -> tuple[int, int]:
    """The whole ``analyze()`` (scoping, waivers, since, conformance), not just the analyzers."""
    from datetime import UTC, datetime

    from changekit.drift.constraints import parse_constraint
    from changekit.drift.engine import State, analyze
    from changekit.drift.standards import Requirement, Standard
    from changekit.inventory.model import Group, Host, Inventory

    inv = Inventory()
    for group, hosts in members.items():
        inv.groups[group] = Group(group, hosts=set(hosts))
        for h in hosts:
            inv.hosts[h] = Host(h, groups={group})
    reqs = tuple(
        Requirement(
            kind=k,
            collector="dpkg",
            item=i,
            severity="high",
            id=f"{k} dpkg:{i}",
            constraint=parse_constraint("dpkg", c) if c else None,
        )
        for k, i, c in standard_spec(names, versions)
    )
    std = Standard(name="bench", applies_to=("*",), requirements=reqs)
    state = State("20261125T000000Z-bench", "2026-11-25T00:00:00+00:00", snapshots)
    result = analyze(
        inv, [state], standards=[std], kinds=("standard", "peers"), now=datetime.now(UTC), history=1
    )
    std_n = sum(1 for f in result.findings if f.kind == "standard")
    return std_n, len(result.findings) - std_n


def run_naive(snapshots, members, names, versions) -> tuple[int, int]:
    """The floor: every host x requirement and every host x package in plain Python sets."""
    import fnmatch

    from changekit.versions import compare

    std_findings = 0
    spec = standard_spec(names, versions)
    for snap in snapshots.values():
        pkgs = snap["facts"]["dpkg"]
        for kind, item, constraint in spec:
            if kind == "absent":
                std_findings += (
                    any(fnmatch.fnmatchcase(k, item) for k in pkgs) if "*" in item else item in pkgs
                )
            elif item not in pkgs:
                std_findings += 1
            elif constraint and constraint != "same":
                std_findings += compare("dpkg", pkgs[item]["version"], constraint[3:]) < 0
    # "same": the most common version across the fleet
    for _kind, item, constraint in spec:
        if constraint == "same":
            counts = Counter(
                s["facts"]["dpkg"][item]["version"]
                for s in snapshots.values()
                if item in s["facts"]["dpkg"]
            )
            norm = counts.most_common(1)[0][0]
            std_findings += sum(
                1
                for s in snapshots.values()
                if s["facts"]["dpkg"].get(item, {}).get("version", norm) != norm
            )
    peer_findings = 0
    for hosts in members.values():
        pairs = {
            h: {(n, e["version"]) for n, e in snapshots[h]["facts"]["dpkg"].items()} for h in hosts
        }
        have = Counter(n for p in pairs.values() for n, _v in p)
        pair_count = Counter(x for p in pairs.values() for x in p)
        n = len(hosts)
        norms: dict[str, tuple[str, int]] = {}
        for (name, v), c in pair_count.items():
            if c > norms.get(name, ("", 0))[1]:
                norms[name] = (v, c)
        for p in pairs.values():
            mine = {name for name, _v in p}
            peer_findings += sum(
                1 for name, c in have.items() if c < n and c / n >= 0.75 and name not in mine
            )
            peer_findings += sum(1 for name in mine if have[name] <= 1 < n - have[name])
            for name, v in p:  # the same rule as changekit's version outliers
                norm, nc = norms[name]
                count = have[name]
                if (
                    v != norm
                    and count >= 3
                    and (nc / count >= 0.75 or (count - nc <= 1 and nc > count - nc))
                ):
                    peer_findings += 1
        del pairs
    return std_findings, peer_findings


def child(impl: str, hosts: int, packages: int, groups: int, deviating: float) -> None:
    t0 = time.perf_counter()
    data = generate(hosts, packages, groups, deviating=deviating)
    gen = time.perf_counter() - t0
    import changekit.drift.peers  # noqa: F401  imports are not part of the analysis
    import changekit.drift.standard_check  # noqa: F401
    import changekit.versions  # noqa: F401

    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t1, c1 = time.perf_counter(), time.process_time()
    run = {"changekit": run_changekit, "engine": run_engine, "naive": run_naive}[impl]
    std_n, peer_n = run(*data)
    took, cpu = time.perf_counter() - t1, time.process_time() - c1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "impl": impl,
                "generate_s": gen,
                "analysis_s": took,
                "analysis_cpu_s": cpu,
                "rss_after_data_mb": rss_data,
                "peak_rss_mb": peak,
                "standard_findings": std_n,
                "peer_findings": peer_n,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=10_000)
    ap.add_argument("--packages", type=int, default=2_000)
    ap.add_argument("--groups", type=int, default=20)
    ap.add_argument("--deviating", type=float, default=0.02, help="share of hosts that deviate")
    ap.add_argument("--child", choices=["changekit", "engine", "naive"])
    args = ap.parse_args()
    if args.child:
        child(args.child, args.hosts, args.packages, args.groups, args.deviating)
        return
    results = {}
    for impl in ("changekit", "engine", "naive"):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                impl,
                "--hosts",
                str(args.hosts),
                "--packages",
                str(args.packages),
                "--groups",
                str(args.groups),
                "--deviating",
                str(args.deviating),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        results[impl] = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"drift analysis: {args.hosts} hosts x {args.packages} packages, {args.groups} groups, "
        f"200 requirements, {args.deviating:.0%} of hosts deviating"
    )
    print(f"{'':24}{'analyzers':>14}{'analyze()':>14}{'naive sets':>14}")
    for key, label in (
        ("analysis_s", "analysis wall (s)"),
        ("analysis_cpu_s", "analysis CPU (s)"),
        ("peak_rss_mb", "peak RSS (MB)"),
        ("rss_after_data_mb", "RSS data only (MB)"),
        ("generate_s", "generate (s)"),
        ("standard_findings", "standard findings"),
        ("peer_findings", "peer findings"),
    ):
        row = [results[impl][key] for impl in ("changekit", "engine", "naive")]
        fmt = "{:>14.2f}" if isinstance(row[0], float) else "{:>14}"
        print(f"{label:24}" + "".join(fmt.format(v) for v in row))
    ck, nv = results["changekit"], results["naive"]
    print(
        f"ratio naive/changekit: wall {nv['analysis_s'] / ck['analysis_s']:.1f}x, "
        f"CPU {nv['analysis_cpu_s'] / ck['analysis_cpu_s']:.1f}x"
    )
    same = all(
        results[i][k] == nv[k]
        for i in ("changekit", "engine")
        for k in ("standard_findings", "peer_findings")
    )
    print(f"same findings as the naive floor: {'yes' if same else 'NO'}")
    en = results["engine"]
    ok = (
        max(ck["analysis_s"], en["analysis_s"]) < 5
        and max(ck["peak_rss_mb"], en["peak_rss_mb"]) < 2048
    )
    print(f"target (< 5 s, < 2048 MB peak RSS): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
