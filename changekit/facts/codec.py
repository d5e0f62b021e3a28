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


_FACTS = b'\n  "facts": {\n'
_FACTS_END = b"\n  }"
_ENTRY = b'\n    "'
_HOST = b'\n  "host": '


def decode_shared(raw: bytes, seen: dict[bytes, Any]) -> Any:
    """``decode(raw)``, with each collector's facts parsed once per distinct text: ``seen``
    maps a collector entry's exact bytes to its parsed facts, and an entry met again (the
    same host's packages yesterday, a peer's identical Perl modules) is that same object.

    Snapshots of one host differ from scan to scan in a few lines, and peers share most of
    their facts, so a group's twelve-scan history holds a handful of package tables instead
    of hundreds, and comparing peers finds identical objects. It relies on the canonical
    form (``canonical``: a collector's entry is the lines from its key at four spaces of
    indent to the next); text in any other form is parsed whole. The objects are shared:
    callers must not change a snapshot's facts in place (replace them).
    """
    start = raw.find(_FACTS)
    if start < 0 or not raw.startswith(b"{\n  "):
        return orjson.loads(raw)
    body = start + len(_FACTS)
    # "host" is the key after "facts" (sorted): find the end of facts from the short tail
    # rather than through the facts themselves
    host = raw.rfind(_HOST, body)
    end = raw.rfind(_FACTS_END, body, host + 1) if host >= 0 else -1
    if end < 0:
        return orjson.loads(raw)
    cuts = [body - 1]  # each entry starts after a newline followed by four spaces and a quote
    at = raw.find(_ENTRY, body)
    while 0 <= at < end:
        cuts.append(at)
        at = raw.find(_ENTRY, at + 1)
    cuts.append(end)
    facts: dict[str, Any] = {}
    for a, b in zip(cuts, cuts[1:], strict=False):
        entry = raw[a + 1 : b]
        found = seen.get(entry)
        if found is None:
            found = orjson.loads(b"{" + entry.rstrip(b",") + b"}")
            seen[entry] = found
        facts.update(found)
    skeleton = orjson.loads(raw[: body - 2] + b"{}" + raw[end + len(_FACTS_END) :])
    skeleton["facts"] = facts
    return skeleton
