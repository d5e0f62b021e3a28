"""One root cause, one finding: findings on one host that one change explains are folded.

- A Perl or Python module missing (or at another version) on a host, where the OS package
  that ships it is missing (or at another version) there too: the package's finding stays,
  the module's becomes its evidence. Fixing the package fixes both.
- A package file's verification row (``integrity:/path``) whose owning package has a
  finding on the same host: the package's finding stays.
- A watched file (``files:/path``) that differs from its peers and fails its package's
  verification: one edit, one finding (the file's, which has the hashes).
- A peer finding about an item a standard's finding on the same host already names (the
  built-in baseline's preload or modified package file, which the host's peers lack too):
  the standard's finding stays, as it is what JUnit and ``--fail-on`` count.

The folded findings are listed in the kept finding's ``evidence["parts"]`` (id, kind, scope,
rule, item, expected, actual, severity, message), and its message names them. A change record
may link a part's id: it is resolved when the part is gone (``engine._resolved``). Only peer findings fold, into a finding about the
same hosts: a standard's finding is a failed check, counted by JUnit and conformance.
"""

from __future__ import annotations

from typing import Any

from changekit.drift import messages
from changekit.drift.findings import Finding, severity_rank
from changekit.drift.items import split_key
from changekit.drift.remediation import os_family
from changekit.drift.timeline import PackageOf

MODULES = ("perl", "python")
PACKAGE_MANAGERS = ("dpkg", "rpm")


def fold(
    findings: list[Finding],
    snapshots: dict[str, dict[str, Any]],
    package_of: PackageOf | None = None,
) -> list[Finding]:
    """``findings`` with each root cause's parts folded into it (order kept)."""
    by_key: dict[tuple[str, tuple[str, ...], str], Finding] = {}
    for f in findings:
        if f.kind == "standard":
            for item in _named_items(f):
                by_key.setdefault(("peers", (f.host,), "item:" + item), f)
        collector, item = split_key(f.item)
        if collector in PACKAGE_MANAGERS:
            by_key.setdefault((f.kind, tuple(f.all_hosts), "pkg:" + item.split(":")[0]), f)
        elif collector == "files":
            by_key.setdefault((f.kind, tuple(f.all_hosts), "file:" + item), f)
    if not by_key:
        return findings
    parts: dict[str, list[Finding]] = {}
    folded: set[int] = set()
    for i, f in enumerate(findings):
        if f.kind != "peers":  # a standard's finding is a failed check (JUnit, conformance)
            continue
        parent = _parent(f, by_key, snapshots, package_of)
        if parent is not None and parent is not f:
            parts.setdefault(parent.id, []).append(f)
            folded.add(i)
    out = []
    for i, f in enumerate(findings):
        if i in folded:
            continue
        if f.id in parts:
            _absorb(f, parts[f.id])
        out.append(f)
    return out


def _parent(
    f: Finding,
    by_key: dict[tuple[str, tuple[str, ...], str], Finding],
    snapshots: dict[str, dict[str, Any]],
    package_of: PackageOf | None,
) -> Finding | None:
    collector, item = split_key(f.item)
    hosts = tuple(f.all_hosts)
    named = by_key.get((f.kind, hosts, "item:" + f.item))
    if named is not None:
        return named
    if collector in MODULES and package_of is not None:
        family = os_family(snapshots.get(f.host))
        package = package_of(collector, item, family)
        return by_key.get((f.kind, hosts, f"pkg:{package}")) if package else None
    if collector == "integrity":
        file_parent = by_key.get((f.kind, hosts, "file:" + item))
        if file_parent is not None:
            return file_parent
        owners = {_owner(snapshots.get(h), item) for h in hosts}
        if len(owners) == 1 and None not in owners:
            return by_key.get((f.kind, hosts, f"pkg:{owners.pop()}"))
    return None


def _named_items(f: Finding) -> list[str]:
    """The ``collector:item`` keys a standard's finding is about (its failing files, or the
    items an ``absent`` glob matched)."""
    collector, _item = split_key(f.item)
    if collector == "integrity":
        return [f"integrity:{path}" for path in f.evidence.get("files") or ()]
    if f.rule.startswith("absent ") and f.actual.startswith("present: "):
        return [f"{collector}:{x}" for x in f.actual.removeprefix("present: ").split(", ")]
    return []


def _owner(snapshot: dict[str, Any] | None, path: str) -> str | None:
    rows = ((snapshot or {}).get("facts") or {}).get("integrity")
    entry = rows.get(path) if isinstance(rows, dict) else None
    return entry.get("package") if isinstance(entry, dict) else None


def _absorb(parent: Finding, children: list[Finding]) -> None:
    parent.evidence = dict(parent.evidence)
    parent.evidence["parts"] = [
        {
            "id": c.id,
            "kind": c.kind,
            "scope": c.scope,
            "rule": c.rule,
            "item": c.item,
            "expected": c.expected,
            "actual": c.actual,
            "severity": c.severity,
            "message": c.message,
        }
        for c in children
    ]
    parent.message = messages.with_parts(
        parent.message, parent.item, [(*split_key(c.item), c.rule, c.scope) for c in children]
    )
    parent.severity = max((parent.severity, *(c.severity for c in children)), key=severity_rank)


def unfold(f: Finding) -> list[Finding]:
    """``f`` and each finding folded into it, as findings of their own (same host and time)."""
    out = [f]
    for part in f.evidence.get("parts") or ():
        out.append(
            Finding(
                kind=part["kind"],
                scope=part["scope"],
                rule=part["rule"],
                host=f.host,
                hosts=f.hosts,
                item=part["item"],
                expected=part["expected"],
                actual=part["actual"],
                severity=part["severity"],
                message=part["message"],
                evidence={k: v for k, v in f.evidence.items() if k != "parts"},
                since=f.since,
                status=f.status,
                id=part["id"],
            )
        )
    return out
