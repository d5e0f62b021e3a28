"""Remediation: the draft change record that would fix chosen findings.

Each finding becomes commands for its host (package installs and removals, services,
files), a rollback for each, and one verification: re-scan and expect the findings gone.
Perl and Python modules are mapped to the OS package that ships them through the
``package_for_module`` hook. Every name from a snapshot goes through ``shlex.quote``.
"""

from __future__ import annotations

import shlex
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from changekit.drift.findings import Finding
from changekit.drift.items import split_key
from changekit.plugins import hook

MANAGERS = {
    "debian": {
        # only what the package depends on, as minimal servers are provisioned: a fix that
        # pulled in its recommends would leave the host unlike its peers in a new way
        "install": "apt-get install -y --no-install-recommends {p}",
        "remove": "apt-get purge -y {p}",
        "pin": "apt-get install -y --allow-downgrades {p}={v}",
        "upgrade": "apt-get install -y --only-upgrade {p}",
        "reinstall": "apt-get install -y --reinstall $(dpkg -S {f} | cut -d: -f1 | sort -u)",
    },
    "redhat": {
        "install": "dnf install -y {p}",
        "remove": "dnf remove -y {p}",
        "pin": "dnf install -y --allowerasing {p}-{v}",
        "upgrade": "dnf upgrade -y {p}",
        "reinstall": "dnf reinstall -y $(rpm -qf {f} | sort -u)",
    },
}


@dataclass
class Step:
    host: str
    command: str
    rollback: str | None
    finding: str
    manual: bool = False


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(finding id, why no command could be proposed)."""


def os_family(snapshot: dict[str, Any] | None) -> str:
    os_facts = (snapshot or {}).get("facts", {}).get("os") or {}
    family = os_facts.get("family") if isinstance(os_facts, dict) else None
    return family if family in MANAGERS else "debian"


def package_for(collector: str, item: str, family: str) -> str | None:
    """The OS package for an inventory item: itself for dpkg/rpm, the hook's answer for modules."""
    if collector in ("dpkg", "rpm"):
        return item.split(":", 1)[0]  # multi-arch keys look like name:arch
    return hook().package_for_module(ecosystem=collector, module=item, os_family=family)


def _steps_for(f: Finding, family: str) -> list[Step] | str:
    cmd = MANAGERS[family]
    q = shlex.quote
    try:
        collector, item = split_key(f.item)
    except ValueError:
        return f"no command known for item {f.item!r}"
    if collector == "integrity":
        # a standard's finding lists the failing files; a peer finding is one file
        files = f.evidence.get("files") if f.kind == "standard" else [item]
        files = [p for p in files or [] if isinstance(p, str) and p.startswith("/")]
        if not files:
            return f"no failing file listed for {f.item}: reinstall the package by hand"
        # the package that owns each file is looked up on the host itself (dpkg -S / rpm -qf):
        # the integrity facts name files, not packages
        joined = " ".join(q(p) for p in files)
        return [Step(f.host, cmd["reinstall"].format(f=joined), None, f.id)]
    if collector == "services":
        name = q(item)
        return [
            Step(f.host, f"systemctl enable --now {name}", f"systemctl disable --now {name}", f.id)
        ]
    if collector == "files":
        want = f.expected.removeprefix("sha256 ").split(" ")[0]
        return [
            Step(
                f.host,
                f"restore {item} to the version with sha256 {want} (from configuration "
                f"management or a peer), then: sha256sum {q(item)}",
                None,
                f.id,
                manual=True,
            )
        ]
    if collector == "preload":
        return [
            Step(
                f.host,
                f"remove the entry {item} from /etc/ld.so.preload (keep a copy: "
                "cp -a /etc/ld.so.preload /root/ld.so.preload.bak)",
                "cp -a /root/ld.so.preload.bak /etc/ld.so.preload",
                f.id,
                manual=True,
            )
        ]
    if f.rule.startswith("absent ") or f.rule == "only-on-few-hosts":
        names = (
            [n.strip() for n in f.actual.removeprefix("present: ").split(",")]
            if f.rule.startswith("absent ")
            else [item]
        )
        pkgs = [p for p in (package_for(collector, n, family) for n in names) if p]
        if not pkgs:
            return f"no OS package known for {f.item}"
        joined = " ".join(q(p) for p in pkgs)
        return [Step(f.host, cmd["remove"].format(p=joined), cmd["install"].format(p=joined), f.id)]
    pkg = package_for(collector, item, family)
    if not pkg:
        return f"no OS package known for {collector} module {item}"
    if f.actual == "missing":
        return [Step(f.host, cmd["install"].format(p=q(pkg)), cmd["remove"].format(p=q(pkg)), f.id)]
    if f.rule == "version-outlier" and collector in ("dpkg", "rpm"):
        want = f.expected.split(" (", 1)[0]
        return [
            Step(
                f.host,
                cmd["pin"].format(p=q(pkg), v=q(want)),
                cmd["pin"].format(p=q(pkg), v=q(f.actual)),
                f.id,
            )
        ]
    back = cmd["pin"].format(p=q(pkg), v=q(f.actual)) if collector in ("dpkg", "rpm") else None
    return [Step(f.host, cmd["upgrade"].format(p=q(pkg)), back, f.id)]


def plan(findings: list[Finding], snapshots: dict[str, dict[str, Any]]) -> Plan:
    """Commands, per host, that would fix ``findings`` (unrecorded changes get no command)."""
    out = Plan()
    for f in findings:
        if f.kind == "time":
            out.skipped.append(
                (f.id, "an unrecorded change: file a record for it, or revert it by hand")
            )
            continue
        steps = _steps_for(f, os_family(snapshots.get(f.host)))
        if isinstance(steps, str):
            out.skipped.append((f.id, steps))
        else:
            out.steps += steps
    return out


def record_fields(findings: list[Finding], p: Plan) -> dict[str, Any]:
    """The draft change record's fields (``changekit.records.actions.create`` files it)."""
    hosts = sorted({s.host for s in p.steps} | {f.host for f in findings})
    by_host: dict[str, list[Step]] = defaultdict(list)
    for s in p.steps:
        by_host[s.host].append(s)
    impl = [f"on {h}: {s.command}" for h in sorted(by_host) for s in by_host[h]]
    impl += [f"no command for {fid}: {why}" for fid, why in p.skipped]
    rollback = [
        f"on {h}: {s.rollback}" for h in sorted(by_host) for s in reversed(by_host[h]) if s.rollback
    ]
    ids = [f.id for f in findings]
    first = findings[0]
    title = f"Fix drift: {first.item} on {first.host}"
    if len(findings) > 1:
        title = f"Fix {len(findings)} drift findings on {', '.join(hosts[:3])}" + (
            " and more" if len(hosts) > 3 else ""
        )
    return {
        "title": title[:200],
        "type": "normal",
        "category": "install"
        if all("install -y" in s.command for s in p.steps) and p.steps
        else "change",
        "risk": "low",
        "impact": "low",
        "hosts": hosts,
        "description": "Fixes drift findings:\n"
        + "\n".join(f"- {f.id} {f.host}: {f.message}" for f in findings),
        "justification": "Bring the hosts back to their standard / their peers (proposed by changekit drift --propose).",
        "implementation": impl or ["(no automatic command: see the description)"],
        "verification": [
            f"changekit scan {' '.join(shlex.quote(h) for h in hosts)}",
            f"changekit drift {' '.join(shlex.quote(h) for h in hosts)} --format json: "
            f"expect none of {', '.join(ids)} (they show as resolved by this change)",
        ],
        "rollback": rollback or ["nothing to undo automatically: restore from backup if needed"],
        **({"plan": runnable} if (runnable := runnable_plan(findings, p)) else {}),
        "links": {"findings": ids},
    }


def runnable_plan(findings: list[Finding], p: Plan) -> dict[str, Any] | None:
    """The same steps as a plan ``changekit change run`` carries out: one step per command on
    its host, the rollbacks in reverse, and what a re-scan must show afterwards. ``None`` when
    a step needs a person (restore a file from elsewhere) or nothing has a command."""
    if not p.steps or any(s.manual for s in p.steps):
        return None
    by_id = {f.id: f for f in findings}
    steps = [
        {"name": f"fix {by_id[s.finding].item}", "run": s.command, "hosts": [s.host]}
        for s in p.steps
    ]
    rollback = [
        {
            "name": f"undo the fix of {by_id[s.finding].item}",
            "run": s.rollback,
            "hosts": [s.host],
        }  # fmt: skip
        for s in reversed(p.steps)
        if s.rollback
    ]
    facts = []
    for s in p.steps:
        fact = _expectation(by_id[s.finding])
        if fact and {"fact": fact, "hosts": [s.host]} not in facts:
            facts.append({"fact": fact, "hosts": [s.host]})
    out: dict[str, Any] = {"steps": steps}
    if facts:
        out["verify"] = {"facts": facts}
    if rollback:
        out["rollback"] = rollback
    return out


def _expectation(f: Finding) -> str | None:
    """What a re-scan shows once ``f`` is fixed, as a plan's fact expectation."""
    collector, item = split_key(f.item)
    if collector == "services":
        return f"services:{item} enabled"
    if collector in ("integrity", "files", "preload") or "*" in item:
        return None  # judged by drift after the run: no single fact says "fixed"
    if f.actual == "missing":
        return f"{f.item} present"
    if f.rule.startswith("absent ") or f.rule == "only-on-few-hosts":
        return f"{f.item} absent"
    if f.rule == "version-outlier" and collector in ("dpkg", "rpm"):
        return f"{f.item} {f.expected.split(' (', 1)[0]}"
    return None
