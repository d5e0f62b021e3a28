"""What the standards make drift read on every host, alike or not (``facts.backend.DriftKeep``).

A store that cuts snapshots down where it keeps them (``iter_drift_histories``) may leave out
an item every host holds alike over the whole history window: peers and time cannot tell
it apart. A standard can (every host may miss its required version alike), so the items
standards name are kept: the store selects those rows, and ``check_standard`` judges them
exactly as it judges whole snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable

from changekit.drift.items import NESTED
from changekit.drift.standards import Standard
from changekit.facts.backend import DriftKeep

GLOB_CHARS = "*?["


def drift_keep(standards: Iterable[Standard]) -> DriftKeep:
    """The items, globs and whole collectors ``standards`` read."""
    items: set[tuple[str, str]] = set()
    patterns: set[tuple[str, str]] = set()
    whole: set[str] = set()
    for std in standards:
        for req in std.requirements:
            if req.kind == "integrity" or req.collector in NESTED:
                # integrity reads every failing file; a wrapping collector's items are not
                # the stored items (``items.collector_items`` unwraps them)
                whole.add(req.collector)
            elif req.kind == "absent" and any(c in req.item for c in GLOB_CHARS):
                patterns.add((req.collector, req.item))
            elif req.kind == "enabled":
                items.update({(req.collector, req.item), (req.collector, f"{req.item}.service")})
            else:
                items.add((req.collector, req.item))
    return DriftKeep(frozenset(items), frozenset(patterns), frozenset(whole))
