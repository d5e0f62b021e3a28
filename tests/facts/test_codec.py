"""The stored JSON form, and reading it with shared collector facts."""

from __future__ import annotations

import json

from changekit.facts.codec import canonical, decode, decode_shared
from tests.drift.fleetdata import snapshot

HOSTILE = {
    "schema_version": 1,
    "scan_id": "20261120T100000Z-aaaa",
    "host": 'h"\n  }',
    "collected_at": "2026-11-20T10:00:00+00:00",
    "facts": {'a\n    "b': {"x": 1}, "z": [1, {"k": '\n    "q": {'}], "é": {}},
    "errors": {"q": "\n  }"},
    "carried_over": {"z": "20261119T100000Z-zzzz"},
}


def test_canonical_is_sorted_indented_utf8_and_stable():
    text = canonical(HOSTILE)
    assert text == canonical(json.loads(text))
    assert text.decode() == json.dumps(HOSTILE, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_shared_reading_gives_what_a_plain_read_gives():
    snaps = [
        snapshot(
            h,
            f"2026112{d}T100000Z-s{d:03d}",
            f"2026-11-2{d}T10:00:00+00:00",
            **({"dpkg__tzdata": {"version": f"{d}-1"}} if h == "web02" else {}),
        )  # fmt: skip
        for d in range(3)
        for h in ("web01", "web02")
    ] + [HOSTILE, {**HOSTILE, "facts": {}}]
    seen: dict = {}
    read = [decode_shared(canonical(s), seen) for s in snaps]
    assert read == snaps
    assert [list(r) for r in read] == [list(decode(canonical(s))) for s in snaps]
    # web01's unchanged packages over three scans, and both hosts' Perl: one object each
    web01 = [r for r in read if r["host"] == "web01"]
    assert web01[0]["facts"]["dpkg"] is web01[2]["facts"]["dpkg"]
    assert read[0]["facts"]["perl"] is read[1]["facts"]["perl"]
    web02 = [r for r in read if r["host"] == "web02"]
    assert web02[0]["facts"]["dpkg"] is not web02[1]["facts"]["dpkg"]


def test_older_text_forms_still_read():
    old = json.dumps(HOSTILE, sort_keys=True, indent=1, ensure_ascii=False).encode()
    assert decode_shared(old, {}) == HOSTILE == decode(old)
