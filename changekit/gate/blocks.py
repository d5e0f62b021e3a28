"""Read a few top-level fields of a record blob without parsing all of it.

Proving approvals reads old versions of up to 10,000 records. Parsing each whole YAML
document costs most of the time, and most of it is not needed: only ``approvals`` and the
substance fields matter, and those are usually byte-for-byte the same as in the record now.
So the blob is cut at its top-level keys (lines starting in column 0); a field whose text
equals the current text has the current value, and only fields that differ are parsed (each
on its own, which is small). Anything unusual (anchors/aliases, flow style, a field that does
not parse alone) falls back to a full parse.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from changekit.records.store import _FastLoader

_KEY = re.compile(rb"^([A-Za-z_][A-Za-z0-9_-]*):", re.M)
_ALIAS = re.compile(rb"(^|[\s\[{,:-])[&*][A-Za-z0-9_-]")
_MISSING = object()


def split(raw: bytes) -> dict[str, bytes] | None:
    """Top-level key -> its text (key line included); None when the layout is not plain block style."""
    if _ALIAS.search(raw) or raw.lstrip().startswith((b"{", b"%")):
        return None
    starts = [(m.start(), m.group(1).decode()) for m in _KEY.finditer(raw)]
    if not starts:
        return None
    out = {}
    for i, (pos, key) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(raw)
        if key in out:
            return None  # a duplicate key: let the full parser decide
        out[key] = raw[pos:end].rstrip(b"\n") + b"\n"
    return out


def _load(text: bytes) -> Any:
    return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a SafeLoader


class Blob:
    """One version of a record, read lazily against the current version."""

    def __init__(self, raw: bytes, current_raw: bytes, current: dict) -> None:
        self.raw = raw
        self.current = current
        self.current_raw = current_raw
        self.same = raw == current_raw
        self._split: tuple[dict[str, bytes] | None, dict[str, bytes] | None] | None = None
        self._full: dict | None = None

    @property
    def pair(self) -> tuple[dict[str, bytes] | None, dict[str, bytes] | None]:
        """(this version's blocks, the current version's blocks), split on first use."""
        if self._split is None:
            current_blocks = split(self.current_raw)
            self._split = (split(self.raw) if current_blocks is not None else None, current_blocks)
        return self._split

    def full(self) -> dict:
        if self._full is None:
            try:
                data = _load(self.raw)
            except yaml.YAMLError:
                data = {}
            self._full = data if isinstance(data, dict) else {}
        return self._full

    def get(self, key: str) -> Any:
        if self.same:
            return self.current.get(key)
        mine, theirs = self.pair
        if mine is None or theirs is None:
            return self.full().get(key)
        text = mine.get(key)
        if text is None:
            return None
        if theirs.get(key) == text:
            return self.current.get(key)
        try:
            value = _load(text)
        except yaml.YAMLError:
            return self.full().get(key)
        if not isinstance(value, dict) or list(value) != [key]:
            return self.full().get(key)
        return value[key]
