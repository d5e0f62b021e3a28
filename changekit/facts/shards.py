"""``scan --shard K/N``: split a fleet between N runners deterministically.

A host belongs to shard ``1 + (first 8 bytes of SHA-256 of its UTF-8 name, big-endian) mod N``:
the same on every machine, Python version and run (unlike ``hash()``), independent of the
inventory's order, and every host is in exactly one shard. Adding hosts never moves others.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import TypeVar

from changekit.errors import InputError

T = TypeVar("T")
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> ``(2, 4)``; shards count from 1."""
    m = _SPEC.match(text)
    k, n = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    if not m or n < 1 or not 1 <= k <= n:
        raise InputError(
            f"not a shard: {text!r}",
            field="--shard",
            hint="write K/N with 1 <= K <= N, e.g. --shard 2/4 for the second of four runners",
        )
    return k, n


def shard_of(host: str, shards: int) -> int:
    """The shard (1..``shards``) that ``host`` belongs to."""
    digest = hashlib.sha256(host.encode("utf-8", "surrogateescape")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % shards


def in_shard(names: Iterable[T], shard: tuple[int, int], key=lambda x: x) -> list[T]:
    """The items of ``names`` whose ``key`` (a host name) falls in ``shard``, order kept."""
    k, n = shard
    return [x for x in names if shard_of(key(x), n) == k]
