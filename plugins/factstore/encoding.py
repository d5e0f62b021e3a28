"""How one collector's facts become rows, and back (pure; the PostgreSQL store uses it).

A collector whose data maps item -> object (dpkg, perl, python, rpm, files, integrity...) is
stored item by item (shape ``items``), so a daily scan that changes one package writes one
row. Anything else (a list, a map of plain values such as ``os``, ``services``' envelope) is
one row holding the whole value (shape ``json``, item ``""``). Either way, reading the rows
back gives a value equal to the one stored.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from itertools import repeat
from typing import Any

import orjson
import xxhash

ITEMS = "items"
JSON = "json"
BUCKETS = 64
"""Slices of an item-shaped collector, each with its own digest: a daily scan that changes
three packages sends and re-checks three slices (about 90 items), not the whole collector."""
WHOLE = -1
"""The bucket number of a digest of the whole collector: unchanged, its slices are not cut."""
_BUCKET_OF: dict[str, int] = {}  # item names repeat across hosts and scans: hash each once


def shape_of(data: Any) -> str:
    # map(): the check runs in C, once per item of every collector of every host
    if isinstance(data, dict) and all(map(isinstance, data.values(), repeat(dict))):
        return ITEMS
    return JSON


ESC = "\uffff"
"""PostgreSQL's text and jsonb cannot hold NUL, which a host's bytes can put in a name or a
value. Stored, NUL is ``ESC + "0"`` and ``ESC`` itself ``ESC + ESC`` (a noncharacter: no
package name has it), so every string reads back as it was. ``ESC`` in a stored item name
marks one the database cannot compare as the host wrote it (``pg_drift`` keeps it)."""
_ESC_BYTES = ESC.encode()
_UNESCAPE = re.compile(ESC + "(.)", re.DOTALL)


def escape_text(text: str) -> str:
    if "\x00" not in text and ESC not in text:
        return text
    return text.replace(ESC, ESC + ESC).replace("\x00", ESC + "0")


def unescape_text(text: str) -> str:
    if ESC not in text:
        return text
    return _UNESCAPE.sub(lambda m: "\x00" if m.group(1) == "0" else ESC, text)


def _walk(data: Any, fix: Any) -> Any:
    if isinstance(data, str):
        return fix(data)
    if isinstance(data, dict):
        return {fix(k) if isinstance(k, str) else k: _walk(v, fix) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_walk(v, fix) for v in data]
    return data


def document(data: Any) -> str:
    """The collector's data as compact, key-sorted JSON, NUL and ``ESC`` escaped (``ESC``)."""
    return encode(data).decode()


def loads(raw: bytes) -> Any:
    """A stored JSON value (psycopg hands its loader bytes) as it was before ``document``."""
    data = orjson.loads(raw)
    return _walk(data, unescape_text) if _ESC_BYTES in raw else data


def encode(data: Any) -> bytes:
    """:func:`document` as UTF-8 bytes (orjson: every collector of every host of every scan is
    encoded to find what changed; bytes, because only the changed slices are ever decoded)."""
    raw = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    if b"\\u0000" in raw or _ESC_BYTES in raw:  # rare: walked only then
        raw = orjson.dumps(_walk(data, escape_text), option=orjson.OPT_SORT_KEYS)
    return raw


def digest(collector: str, doc: bytes) -> bytes:
    """A stable id of one collector's data on one host (16 bytes, stored as a uuid): unchanged
    data, no rows written. XXH3-128, not MD5: it reads the ~500 KB of every host of every scan
    (at least once), ten times faster; nothing here needs a cryptographic hash (a host that
    forged a collision would only hide a change of its own facts from its own history)."""
    return xxhash.xxh3_128_digest(doc, seed=zlib.crc32(collector.encode()))


def bucket_of(item: str) -> int:
    return zlib.crc32(item.encode("utf-8", "surrogatepass")) % BUCKETS


def buckets(data: Any, shape: str) -> Iterator[tuple[int, bytes]]:
    """``(bucket, document)`` for each non-empty slice of one collector's data: the items
    whose names fall in that bucket, or, for shape ``json``, the whole value as bucket 0."""
    if shape != ITEMS:
        yield 0, encode(data)
        return
    known = _BUCKET_OF
    if len(known) > 1_000_000:
        known.clear()
    slices: list[dict[str, Any]] = [{} for _ in range(BUCKETS)]
    for item, value in data.items():
        b = known.get(item)
        if b is None:
            b = known[item] = bucket_of(item)
        slices[b][item] = value
    for bucket, part in enumerate(slices):
        if part:
            yield bucket, encode(part)


def rebuild(shapes: dict[str, str], rows: list[tuple[str, str, Any]]) -> dict[str, Any]:
    """The ``facts`` of a snapshot from its ``shapes`` and ``[(collector, item, value)]``."""
    facts: dict[str, Any] = {c: {} for c, shape in shapes.items() if shape == ITEMS}
    for collector, item, value in rows:
        if ESC in item:
            item = unescape_text(item)
        shape = shapes.get(collector)
        if shape == ITEMS:
            facts[collector][item] = value
        elif shape == JSON:
            facts[collector] = value
    return facts
