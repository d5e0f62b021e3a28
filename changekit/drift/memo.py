"""Results about pairs of objects, remembered by the objects' identity.

The facts store hands drift one shared object per distinct stored blob (a group's package
table read in twelve scans is one dict), so the same pairs of tables meet again in each
scan of the history: comparing or diffing them once is enough. Each entry holds its two
objects, so their ids cannot be reused by others while it is remembered; the oldest
entries go past ``size``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class PairMemo:
    """``compute(a, b)`` remembered for the ``size`` pairs used last."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[int, int], tuple[Any, Any, Any]] = OrderedDict()

    def get(self, a: Any, b: Any, compute: Callable[[Any, Any], Any]) -> Any:
        key = (id(a), id(b))
        hit = self._items.get(key)
        if hit is not None and hit[0] is a and hit[1] is b:
            self._items.move_to_end(key)
            return hit[2]
        value = compute(a, b)
        self._items[key] = (a, b, value)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return value
