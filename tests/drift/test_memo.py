"""Drift's identity shortcuts give what plain comparisons give (pure logic)."""

from __future__ import annotations

import copy

from changekit.drift.clusters import cluster
from changekit.drift.memo import PairMemo
from changekit.drift.peers import compare_peers
from changekit.drift.timeline import diff_snapshots
from tests.drift.fleetdata import snapshot


def test_a_pair_is_computed_once_while_remembered():
    calls = []
    memo = PairMemo(2)
    a, b, c = {"x": 1}, {"x": 1}, {"x": 2}

    def compute(p, q):
        calls.append((id(p), id(q)))
        return p == q

    assert memo.get(a, b, compute) and memo.get(a, b, compute)
    assert not memo.get(a, c, compute)
    assert len(calls) == 2
    memo.get(b, c, compute)  # a third pair: the oldest (a, b) goes
    memo.get(a, b, compute)
    assert len(calls) == 4


def test_shared_and_copied_facts_cluster_and_compare_alike():
    at = "2026-11-20T10:00:00+00:00"
    hosts = [f"web{i:02d}" for i in range(12)]
    odd = {"dpkg__tzdata": {"version": "2023c-1"}}
    copied = {
        h: snapshot(h, "20261120T100000Z-aaaa", at, **(odd if h == "web03" else {})) for h in hosts
    }
    shared = copy.deepcopy(copied)
    one = shared["web00"]["facts"]
    for h in hosts:  # what the store hands out: one object per distinct blob
        if h != "web03":
            shared[h]["facts"] = {**shared[h]["facts"], **{c: one[c] for c in one}}
    for collector in ("dpkg", "perl"):
        plain = cluster(hosts, {h: copied[h]["facts"][collector] for h in hosts})
        fast = cluster(hosts, {h: shared[h]["facts"][collector] for h in hosts})
        assert [m for _d, m in plain] == [m for _d, m in fast]
    found = [f.__dict__ for f in compare_peers("web", shared)]
    assert found == [f.__dict__ for f in compare_peers("web", copied)]
    assert [f["host"] for f in found] == ["web03"]
    later = snapshot("web03", "20261121T100000Z-bbbb", at)
    assert [c.item for c in diff_snapshots("web03", shared["web03"], later)] == ["dpkg:tzdata"]
    assert diff_snapshots("web01", shared["web01"], {**shared["web02"], "host": "web01"}) == []
