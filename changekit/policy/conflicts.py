"""Two active changes whose hosts overlap and whose windows overlap."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from changekit.policy.access import data_of, record_id, window_of
from changekit.policy.hosts import Targets, resolve


class ConflictIndex:
    """Active records sorted by window start, so finding overlaps is a sweep, not n squared."""

    def __init__(
        self, records: Iterable[Any], inventory: Any | None, statuses: tuple[str, ...]
    ) -> None:
        self.inventory = inventory
        self.records = list(records)
        """Every record given, active or not (a class's quota counts finished changes too)."""
        items = []
        for rec in self.records:
            if data_of(rec).get("status") not in statuses:
                continue
            win = window_of(rec)
            if win is None:
                continue
            items.append((win[0], win[1], record_id(rec), rec))
        items.sort(key=lambda it: it[0])
        self.items = items
        self._targets: dict[int, Targets] = {}

    def targets(self, rec: Any) -> Targets:
        key = id(rec)
        if key not in self._targets:
            self._targets[key] = resolve(rec, self.inventory)
        return self._targets[key]

    def conflicts(
        self, record: Any, start: datetime, end: datetime
    ) -> list[tuple[str, set[str], Any]]:
        """``(other id, common hosts, other record)`` for every active record clashing with ``record``."""
        import bisect

        own_id = record_id(record)
        mine = resolve(record, self.inventory)
        # every item starting before our end may overlap; sorted by start, so stop there
        stop = bisect.bisect_left(self.items, end, key=lambda it: it[0])
        out = []
        for o_start, o_end, o_id, other in self.items[:stop]:
            if o_id == own_id or o_end <= start or o_start >= end:
                continue
            common = mine.overlaps(self.targets(other))
            if common:
                out.append((o_id, common, other))
        return out

    def all_pairs(self) -> list[tuple[Any, Any, set[str]]]:
        """Every clashing pair once, by a sweep over window starts."""
        pairs = []
        open_items: list[tuple[datetime, datetime, str, Any]] = []
        for item in self.items:
            start = item[0]
            open_items = [o for o in open_items if o[1] > start]
            for other in open_items:
                if other[2] == item[2]:
                    continue
                common = self.targets(item[3]).overlaps(self.targets(other[3]))
                if common:
                    pairs.append((other[3], item[3], common))
            open_items.append(item)
        return pairs
