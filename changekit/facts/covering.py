"""The change records that covered a host in a period: they name it and their window overlaps."""

from __future__ import annotations

import fnmatch
from datetime import datetime
from typing import Any

from changekit.errors import ChangekitError
from changekit.workspace import Workspace


def _inventory(ws: Workspace) -> Any:
    try:
        from changekit.inventory.load import load_inventory

        return load_inventory(None, ws, ssh_config=False)
    except ChangekitError:
        return None  # no inventory: names and globs still match, groups and tags cannot


def names_host(selectors: list[str], host: str, inventory: Any) -> bool:
    """Whether a record's ``hosts`` (names, globs, group:, tag:) select ``host``."""
    for sel in selectors:
        if inventory is not None and host in inventory.hosts:
            try:
                if any(h.name == host for h in inventory.match(sel)):
                    return True
            except ChangekitError:
                pass
        elif sel == host or fnmatch.fnmatchcase(host, sel):
            return True
    return False


def covering_records(
    ws: Workspace, host: str, start: datetime | None, end: datetime | None
) -> list[Any]:
    """Records naming ``host`` whose planned window overlaps ``[start, end]``, by window start."""
    from changekit.records.store import load_all

    overlapping = [r for r in load_all(ws).records if r.overlaps(start, end)]
    if not overlapping:
        return []  # nothing to resolve selectors for: the inventory is not read
    inventory = _inventory(ws)
    found = [r for r in overlapping if names_host(r.hosts, host, inventory)]
    return sorted(found, key=lambda r: r.window_start)
