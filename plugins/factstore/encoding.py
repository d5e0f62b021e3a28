"""How one collector's facts become rows, and back (pure; the PostgreSQL store uses it).

A collector whose data maps item -> object (dpkg, perl, python, rpm, files, integrity...) is
stored item by item (shape ``items``), so a daily scan that changes one package writes one
row. Anything else (a list, a map of plain values such as ``os``, ``services``' envelope) is
one row holding the whole value (shape ``json``, item ``""``). Either way, reading the rows
back gives a value equal to the one stored.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

ITEMS = "items"
JSON = "json"


def shape_of(data: Any) -> str:
    if isinstance(data, dict) and all(isinstance(v, dict) for v in data.values()):
        return ITEMS
    return JSON


def document(data: Any) -> str:
    """The collector's data as compact, key-sorted JSON (the C encoder: no indent)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(collector: str, doc: str) -> str:
    """A stable id of one collector's data on one host: unchanged data, no rows written."""
    return hashlib.md5(f"{collector}\x1f{doc}".encode("utf-8", "surrogatepass")).hexdigest()


def rows_of(collector: str, data: Any) -> list[tuple[str, Any]]:
    """``[(item, value)]`` as stored: one per item, or one ``("", data)``."""
    if shape_of(data) == ITEMS:
        return list(data.items())
    return [("", data)]


def rebuild(shapes: dict[str, str], rows: list[tuple[str, str, Any]]) -> dict[str, Any]:
    """The ``facts`` of a snapshot from its ``shapes`` and ``[(collector, item, value)]``."""
    facts: dict[str, Any] = {c: {} for c, shape in shapes.items() if shape == ITEMS}
    for collector, item, value in rows:
        shape = shapes.get(collector)
        if shape == ITEMS:
            facts[collector][item] = value
        elif shape == JSON:
            facts[collector] = value
    return facts
