"""How collector data becomes rows (pure): shapes, slices, and the way back."""

from __future__ import annotations

import json

from changekit_plugins.factstore import encoding

DPKG = {f"pkg{i}": {"version": f"1.{i}", "arch": "amd64"} for i in range(500)}


def test_item_maps_are_stored_by_item_everything_else_whole():
    assert encoding.shape_of(DPKG) == encoding.ITEMS
    assert encoding.shape_of({}) == encoding.ITEMS
    assert encoding.shape_of({"id": "debian"}) == encoding.JSON  # plain values
    assert encoding.shape_of([{"path": "/x"}]) == encoding.JSON
    assert encoding.shape_of({"manager": "systemd", "services": {}}) == encoding.JSON


def test_slices_hold_every_item_once_and_a_change_touches_one_slice():
    slices = dict(encoding.buckets(DPKG, encoding.ITEMS))
    assert 1 < len(slices) <= encoding.BUCKETS
    merged = {}
    for doc in slices.values():
        part = json.loads(doc)
        assert not merged.keys() & part.keys()
        merged.update(part)
    assert merged == DPKG
    changed = dict(DPKG, pkg7={"version": "9", "arch": "amd64"})
    after = dict(encoding.buckets(changed, encoding.ITEMS))
    assert [b for b in slices if slices[b] != after[b]] == [encoding.bucket_of("pkg7")]
    assert list(encoding.buckets({"id": "debian"}, encoding.JSON)) == [(0, b'{"id":"debian"}')]


def test_a_digest_is_stable_16_bytes_and_tells_collectors_and_data_apart():
    doc = encoding.encode(DPKG)
    assert encoding.encode(dict(reversed(DPKG.items()))) == doc  # key order does not matter
    d = encoding.digest("dpkg", doc)
    assert len(d) == 16  # stored as a uuid
    assert encoding.digest("dpkg", doc) == d
    assert encoding.digest("rpm", doc) != d
    assert encoding.digest("dpkg", encoding.encode(dict(DPKG, pkg7={"version": "9"}))) != d


def test_rows_rebuild_the_facts():
    shapes = {"dpkg": encoding.ITEMS, "os": encoding.JSON, "integrity": encoding.ITEMS}
    rows = [("dpkg", k, v) for k, v in DPKG.items()] + [("os", "", {"id": "debian"})]
    assert encoding.rebuild(shapes, rows) == {"dpkg": DPKG, "os": {"id": "debian"}, "integrity": {}}
