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

from changekit.errors import InputError

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
ID_RE = re.compile(r"^CHG-[0-9]{8}-[0-9a-z]{6}$")
PREFIX_RE = re.compile(r"^CHG-[0-9]{1,8}(?:-[0-9a-z]{0,6})?$")
"""What a command accepts for an id: the id, or a unique prefix of it (``CHG-20261206-k3``)."""


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


def check_id(text: str, *, prefix: bool = True) -> str:
    """``text`` when it is a record id (or, with ``prefix``, the start of one); else ``InputError``.

    Every command that takes an id checks it first, so an argument such as ``../../x``
    never becomes a path."""
    if ID_RE.match(text) or (prefix and PREFIX_RE.match(text)):
        return text
    raise InputError(
        f"{text!r} is not a change record id",
        hint="ids look like CHG-20261206-k3x9qa (CHG-, the date, 6 lowercase letters/digits); "
        "a unique start of one, such as CHG-20261206-k3, is enough; "
        "`changekit change list` shows them",
    )
