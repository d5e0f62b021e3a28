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

from changekit import yamlfile
from changekit.errors import InputError
from changekit.policy.access import SUBSTANCE_FIELDS, audiences_of

_KEY = re.compile(rb"^([A-Za-z_][A-Za-z0-9_-]*):", re.M)
_ALIAS = re.compile(rb"(^|[\s\[{,:-])[&*][A-Za-z0-9_-]")
_TOP = re.compile(rb"^[A-Za-z_][A-Za-z0-9_-]*:", re.M)
_KEY_AT: dict[str, re.Pattern[bytes]] = {}
_SUBSTANCE_KEY = re.compile(rb"^(" + b"|".join(k.encode() for k in SUBSTANCE_FIELDS) + rb"):", re.M)


# a quote starts a quoted scalar only as a value's first character; later it is plain text
_PLAIN_VALUE = rb"(?:[^\s'\"\[\]{}&*!|>%@`#,?:-]|[-?:](?=\S))(?:[^\[\]{}\t:]|:(?! |$))*"
_QUOTED_VALUE = rb"'(?:[^'\n]|'')*'|\"(?:[^\"\\\n]|\\.)*\""
_VALUE = rb"(?:(?P<block>[|>][-+]?)|" + _QUOTED_VALUE + rb"|\[\]|\{\}|" + _PLAIN_VALUE + rb")"
_LINE = re.compile(
    rb"(?P<indent> *)(?P<dash>(?:- +)*)(?:(?P<key>[A-Za-z_][A-Za-z0-9_-]*:)(?: +"
    + _VALUE
    + rb")?|"
    + _VALUE.replace(b"?P<block>", b"?P<block2>")
    + rb")?(?: +#.*)? *"
)
_BLANK = re.compile(rb" *(?:#.*)?")


def plain_layout(raw: bytes) -> bool:
    """Whether every line of ``raw`` is a plain house-style line.

    Only then are the top-level keys exactly the column-0 ``key:`` lines, and does each
    top-level field parse alone as it does in the whole document. Rules out what makes a
    line mean something else in context: quoted scalars continued on the next line (which
    may hide or fake a column-0 key), flow collections, anchors, aliases, tags, merge and
    complex keys, directives, tabs. Block scalar bodies (``|``, ``>``) are free text.
    """
    if b"\t" in raw or b"\r" in raw:
        return False
    body = -1  # inside a block scalar: its body's indentation (0 while not yet known)
    header = 0
    for line in raw.split(b"\n"):
        stripped = line.lstrip(b" ")
        indent = len(line) - len(stripped)
        if body >= 0:
            if not stripped:
                continue
            if body == 0 and indent > header:
                body = indent
            if body and indent >= body:
                continue
            body = -1
        if _BLANK.fullmatch(line):
            continue
        found = _LINE.fullmatch(line)
        if found is None:
            return False
        if indent == 0 and not (found.group("dash") or found.group("key")):
            return False  # at column 0 only a top-level key or a sequence entry
        if found.group("block") or found.group("block2"):
            body, header = 0, indent
    return True


def block(raw: bytes, key: str) -> bytes | None | bool:
    """The text of top-level ``key`` (key line included); None when absent, False when ambiguous."""
    pattern = _KEY_AT.get(key)
    if pattern is None:
        pattern = _KEY_AT[key] = re.compile(rb"^" + re.escape(key.encode()) + rb":", re.M)
    found = pattern.search(raw)
    if found is None:
        return None
    if pattern.search(raw, found.end()) is not None:
        return False  # the key twice: let the full parser decide which wins
    following = _TOP.search(raw, found.end())
    return raw[found.start() : following.start() if following else len(raw)].rstrip(b"\n") + b"\n"


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
    """Parsed with the shared loader and limits; a version that breaks them reads as unparseable."""
    try:
        return yamlfile.parse_yaml(text.decode("utf-8"), limits=yamlfile.RECORD_LIMITS)
    except (InputError, UnicodeDecodeError):
        raise yaml.YAMLError("not a readable record version") from None


class Current:
    """The record as it is now: its bytes, its data, and (split once, on first use) its blocks."""

    def __init__(self, raw: bytes, data: dict) -> None:
        self.raw = raw
        self.data = data
        self._blocks: dict[str, bytes] | None | bool = False
        self.versions: dict[bytes, Blob] = {}
        self.plain = plain_layout(raw)
        self.approvals_block = block(raw, "approvals") if self.plain else False

    @property
    def blocks(self) -> dict[str, bytes] | None:
        if self._blocks is False:
            self._blocks = split(self.raw) if self.plain else None
        return self._blocks  # type: ignore[return-value]

    def version(self, raw: bytes) -> Blob:
        """One ``Blob`` per distinct content: a commit's old side is often the previous one's new side."""
        blob = self.versions.get(raw)
        if blob is None:
            blob = self.versions[raw] = Blob(raw, self)
        return blob


class Blob:
    """One version of a record, read lazily against the current version."""

    def __init__(self, raw: bytes, current: Current) -> None:
        self.raw = raw
        self.current = current.data
        self._current = current
        self.same = raw == current.raw
        self._split: tuple[dict[str, bytes] | None, dict[str, bytes] | None] | None = None
        self._full: dict | None = None
        self._plain: bool | None = None

    @property
    def plain(self) -> bool:
        """Both this version and the current one are in plain layout (``plain_layout``)."""
        if self._plain is None:
            self._plain = self._current.plain and plain_layout(self.raw)
        return self._plain

    @property
    def pair(self) -> tuple[dict[str, bytes] | None, dict[str, bytes] | None]:
        """(this version's blocks, the current version's blocks), split on first use."""
        if self._split is None:
            current_blocks = self._current.blocks
            plain = current_blocks is not None and self.plain
            self._split = (split(self.raw) if plain else None, current_blocks)
        return self._split

    def full(self) -> dict:
        if self._full is None:
            try:
                data = _load(self.raw)
            except yaml.YAMLError:
                data = {}
            self._full = data if isinstance(data, dict) else {}
        return self._full

    def substance(self) -> dict[str, Any]:
        """The substance fields of this version.

        Fast path: records are written with every substance field before ``approvals``; when
        everything before ``approvals`` is byte-for-byte the record's current text and no
        substance key appears later in either version, the substance is the current one. Only
        in plain layout, where column-0 ``key:`` lines are exactly the top-level keys.
        """
        if not self.same:
            cut, cur_cut = self.raw.find(b"\napprovals:"), self._current.raw.find(b"\napprovals:")
            if (
                cut <= 0
                or cut != cur_cut
                or self.raw[:cut] != self._current.raw[:cut]
                or _SUBSTANCE_KEY.search(self.raw, cut) is not None
                or _SUBSTANCE_KEY.search(self._current.raw, cut) is not None
                or not self.plain
            ):
                out = {k: self.get(k) for k in SUBSTANCE_FIELDS}
                out["audiences"] = audiences_of(self.get("announcement"))
                return out
        out = {k: self.current.get(k) for k in SUBSTANCE_FIELDS}
        out["audiences"] = audiences_of(self.get("announcement"))
        return out

    def approvals(self) -> Any:
        """The approvals list of this version, parsing only that field when it differs."""
        if self.same:
            return self.current.get("approvals")
        mine = block(self.raw, "approvals") if self.plain else False
        if (
            mine is None or mine is False or _ALIAS.search(mine)
        ):  # absent, unusual layout, twice, aliased
            return self.full().get("approvals")
        if mine == self._current.approvals_block:
            return self.current.get("approvals")
        return self._parse_field("approvals", mine)

    def _parse_field(self, key: str, text: bytes) -> Any:
        try:
            value = _load(text)
        except yaml.YAMLError:
            return self.full().get(key)
        if not isinstance(value, dict) or list(value) != [key]:
            return self.full().get(key)
        return value[key]

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
        return self._parse_field(key, text)
