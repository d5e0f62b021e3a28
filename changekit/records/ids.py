"""Record ids: ``CHG-<yyyymmdd>-<6 random base36>``.

A counter would collide when two admins file records in different clones at the
same time; 36**6 (about 2.2 billion) random suffixes per day make a collision
between clones negligible without any coordination, and the store still refuses
a duplicate id when it loads (see ``store``).
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
ID_RE = re.compile(r"^CHG-[0-9]{8}-[0-9a-z]{6}$")


def new_id(now: datetime | None = None, *, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A fresh id for a record filed at ``now`` (UTC date), never one in ``taken``."""
    day = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d")
    while True:
        suffix = "".join(secrets.choice(ALPHABET) for _ in range(6))
        rid = f"CHG-{day}-{suffix}"
        if rid not in taken:
            return rid


def is_id(text: str) -> bool:
    return bool(ID_RE.match(text))
