"""Reading snapshot facts generically: ``<collector>:<item>`` keys and comparable values.

An inventory-kind collector maps item -> ``{"version": ...}``; file-like collectors map a
path -> ``{"sha256": ...}``; list-shaped facts (e.g. integrity failures) are a set of items.
Drift compares all of them the same way: an item is present or not, and has a value.
"""

from __future__ import annotations

import json
from typing import Any

VALUE_KEYS = ("version", "sha256", "hash", "digest", "value", "state", "enabled", "flags")
"""The field that stands for an item's state, in order of preference."""


def split_key(key: str) -> tuple[str, str]:
    """``perl:PDF::API2`` -> (``perl``, ``PDF::API2``): the collector is before the first colon."""
    collector, sep, item = key.partition(":")
    if not sep:
        raise ValueError(f"{key!r} is not COLLECTOR:ITEM")
    return collector, item


def item_value(entry: Any) -> str:
    """The comparable state of one item (its version, hash, ... or its whole value)."""
    if isinstance(entry, dict):
        for key in VALUE_KEYS:
            if key in entry and entry[key] is not None:
                return str(entry[key])
        return json.dumps(entry, sort_keys=True, default=str)
    if entry is None or entry is True:
        return ""
    return str(entry)


def _preload_items(data: dict[str, Any]) -> dict[str, Any]:
    """``preload``: each ld.so.preload entry, and each LD_PRELOAD setting found in a file."""
    out: dict[str, Any] = {
        entry: {"value": "/etc/ld.so.preload"} for entry in data.get("ld_so_preload") or []
    }
    for env in data.get("environment") or []:
        out[f"{env.get('file')}:{env.get('variable') or env.get('line')}"] = {
            "value": env.get("text", "")
        }
    return out


NESTED = {
    "services": lambda d: d.get("services") or {},
    "preload": _preload_items,
}
"""Collectors whose data wraps its items: how to reach them."""


def collector_items(collector: str, data: Any) -> dict[str, Any] | None:
    """``items_of`` after unwrapping a collector's known envelope (``services``, ``preload``)."""
    if collector in NESTED and isinstance(data, dict):
        return NESTED[collector](data)
    return items_of(data)


def items_of(data: Any) -> dict[str, Any] | None:
    """A collector's data as item -> entry, or ``None`` when it has no item shape."""
    if isinstance(data, dict):
        return data
    if isinstance(data, list):
        out: dict[str, Any] = {}
        for entry in data:
            if isinstance(entry, str):
                out[entry] = True
            elif isinstance(entry, dict):
                name = entry.get("path") or entry.get("name") or entry.get("item")
                if name is not None:
                    out[str(name)] = entry
        return out
    return None


def is_itemised(data: Any, collector: str = "") -> bool:
    """Whether drift can compare a collector's data item by item across hosts."""
    if collector in NESTED or isinstance(data, list):
        return True
    if not isinstance(data, dict):
        return False
    for entry in data.values():
        return isinstance(entry, dict)
    return True
