"""Verify by observing: re-scan the hosts a run touched and hold them to the plan's facts.

The re-scan is stored like any scan (so ``drift`` sees the change as it happened, inside the
record's run), and each fact expectation is checked the way a standard's requirement is.
"""

from __future__ import annotations

import contextlib
from typing import Any

from changekit.drift.standard_check import check_standard
from changekit.errors import GitError
from changekit.facts.backend import open_store
from changekit.fleet.scan import Scan, available_collectors
from changekit.inventory.model import Host, Inventory
from changekit.run.plan import Expectation
from changekit.workspace import Workspace


def rescan_and_check(
    ws: Workspace,
    hosts: list[Host],
    expectations: tuple[Expectation, ...],
    inventory: Inventory,
    opts: Any,
) -> tuple[str, dict[str, str]]:
    """Scan ``hosts`` (every collector), store the scan; return its id and, per host that
    does not meet the expectations, why."""
    from changekit.drift.standards import load_standards, scan_context

    known = available_collectors()
    standards = load_standards(ws.standards_dir, known)  # their files and modules too
    extra = scan_context([*standards, *(e.standard("plan") for e in expectations)])
    # the files the hosts' last scans hashed (`scan --file`) are hashed again: a re-scan that
    # forgot them would make them look deleted
    store = open_store(ws)
    with contextlib.suppress(GitError):  # sharing is a convenience: the next scan retries
        store.fetch()  # the re-scan goes on top of what others stored meanwhile
    for host in hosts:
        last = store.latest(host.name) or {}
        for path in (last.get("facts") or {}).get("files") or {}:
            if path not in extra["files"]:
                extra["files"].append(path)
    job = Scan(
        hosts,
        list(known.values()),
        opts.connect,
        concurrency=opts.concurrency,
        connector=opts.connector,
        extra_context=extra,
        workspace=ws,
        # a repeat scan builds on each host's last verified state (integrity's baseline)
        previous_runs=lambda host: (store.latest(host) or {}).get("runs"),
    )
    results = job.run()
    failed = {
        r.host: {"reason": r.reason or "", "message": r.message or ""}
        for r in results
        if r.snapshot is None
    }
    store.save(job.scan_id, [r.snapshot for r in results if r.snapshot], failed)
    with contextlib.suppress(GitError):
        store.push()
    problems: dict[str, str] = {
        h: f"the re-scan failed ({why['reason']}: {why['message']})" for h, why in failed.items()
    }
    snaps = {r.host: r.snapshot for r in results if r.snapshot}
    for exp in expectations:
        on = set(snaps)
        if exp.hosts:
            on &= {h.name for h in inventory.select(list(exp.hosts))}
        for finding in check_standard(exp.standard("plan"), {h: snaps[h] for h in sorted(on)}):
            line = f"expected {exp.fact}, found {finding.actual}"
            problems[finding.host] = "; ".join(filter(None, (problems.get(finding.host), line)))
    return job.scan_id, problems
