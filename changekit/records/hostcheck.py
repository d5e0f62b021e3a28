"""A record's host selectors must name hosts the workspace inventory knows.

A selector naming nothing (a typo'd host, ``group:nope``) would make the change invisible
to conflict detection, drift explanation and notices, so it is refused when filed or
submitted, and readers that meet one anyway name the record it came from.
"""

from __future__ import annotations

from typing import Any

from changekit.errors import ChangekitError, InputError
from changekit.inventory.selectors import select_hosts


def selector_problem(inventory: Any, selector: str) -> ChangekitError | None:
    """Why ``selector`` selects no host of ``inventory``, or ``None`` when it selects some."""
    try:
        select_hosts(inventory, [selector])
    except ChangekitError as exc:
        return exc
    return None


def check_hosts(
    inventory: Any | None,
    hosts: list[str],
    *,
    path: str | None = None,
    text: str | None = None,
) -> None:
    """Refuse the first selector that names nothing; no inventory means nothing to check."""
    if inventory is None:
        return
    from changekit import yamlfile

    for i, selector in enumerate(hosts):
        problem = selector_problem(inventory, selector)
        if problem is None:
            continue
        line, col = yamlfile.position(text, ["hosts", i]) if text else (None, None)
        raise InputError(
            f"host selector {selector!r} names no host in the inventory: {problem.message}",
            path=path,
            line=line,
            column=col,
            field=f"hosts[{i}]",
            hint=(problem.hint or "")
            + (
                "; fix the name, or add the host to the inventory "
                f"({inventory.source or 'inventories/'}) first"
            ),
        )
