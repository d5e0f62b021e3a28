"""Snapshot text: one byte-stable JSON form per snapshot, written and read with orjson.

The form is sorted keys, two-space indent, one item per line, UTF-8 unescaped, and a final
newline: identical facts give identical bytes, and ``git diff`` of two scans shows the
lines that changed. orjson because a real server's snapshot is ~700 KB of JSON and every
scan writes one per host: the standard library's indented encoder runs in pure Python
(its C encoder only writes one-line JSON) and took 70 % of storing a scan. Snapshots
written before (one-space indent) still read: readers parse JSON, never compare text.
"""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2


def canonical(data: Any) -> bytes:
    """The one stored form of ``data``."""
    return orjson.dumps(data, option=_OPTIONS) + b"\n"


def decode(raw: bytes | str) -> Any:
    """``data`` back from its stored text (this form or any other JSON)."""
    return orjson.loads(raw)
