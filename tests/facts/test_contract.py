"""The facts-store contract, run against every built-in backend (git, and PostgreSQL on a real
throwaway server): what scan, drift and the facts commands rely on, whichever store holds it."""

from __future__ import annotations

import pytest

from changekit.errors import NotFoundError
from tests.facts.test_store import PKG1, PKG2, S1, S2, S3, snap

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def index(scan: dict) -> dict:
    return {k: v for k, v in scan.items() if k != "shards"}  # shards: the database's extra


def test_save_latest_history_get(store):
    store.save(S1, [snap(S1, "web01", PKG1), snap(S1, "web02", PKG1)])
    store.save(S2, [snap(S2, "web01", PKG2)], {"web02": {"reason": "unreachable", "message": "x"}})
    assert store.hosts() == ["web01", "web02"]
    assert store.latest("web01") == snap(S2, "web01", PKG2)
    assert store.latest("web02") == snap(S1, "web02", PKG1)  # the failed host keeps its last
    assert store.latest("nope") is None
    assert [e["scan_id"] for e in store.history("web01")] == [S1, S2]
    assert [e["scan_id"] for e in store.history("web01", max_count=1)] == [S2]
    assert store.history("web01", max_count=0) == []
    assert [e["scan_id"] for e in store.history("web02")] == [S1]
    assert store.get(S1, "web01") == snap(S1, "web01", PKG1)
    entry = store.history("web01")[0]
    assert store.read_at(entry["commit"], "web01") == snap(S1, "web01", PKG1)
    assert {
        h: [e["scan_id"] for e in es] for h, es in store.histories(["web01", "web02"]).items()
    } == {
        "web01": [S1, S2],
        "web02": [S1],
    }
    assert list(store.iter_latest(["web02", "nope", "web01"])) == [
        ("web02", snap(S1, "web02", PKG1)),
        ("web01", snap(S2, "web01", PKG2)),
    ]
    assert list(store.iter_histories(["web01"], 5)) == [
        ("web01", [snap(S1, "web01", PKG1), snap(S2, "web01", PKG2)])
    ]


def test_get_and_at_say_why_there_is_no_snapshot(store):
    store.save(S1, [snap(S1, "web01", PKG1)])
    store.save(S2, [snap(S2, "web01", PKG2)], {"web02": {"reason": "unreachable", "message": "x"}})
    with pytest.raises(NotFoundError, match="web02 failed in scan .*unreachable"):
        store.get(S2, "web02")
    with pytest.raises(NotFoundError, match="did not include web03"):
        store.get(S2, "web03")
    with pytest.raises(NotFoundError, match="no scan"):
        store.get("20261109T020000Z-zzzz09", "web01")
    assert store.at("web01", S1) == snap(S1, "web01", PKG1)
    assert store.at("web01", "2026-11-01T12:00:00+00:00") == snap(S1, "web01", PKG1)
    assert store.at("web01", "2026-11-05T00:00:00+00:00") == snap(S2, "web01", PKG2)
    with pytest.raises(NotFoundError, match="no snapshot of web01 at or before"):
        store.at("web01", "2026-10-01T00:00:00+00:00")


def test_scans_and_failures(store):
    store.save(S1, [snap(S1, "web01", PKG1), snap(S1, "web02", PKG1)])
    store.save(
        S2,
        [snap(S2, "web01", {"dpkg": PKG2["dpkg"]}, {"perl": "timed out"})],
        {"web02": {"reason": "unreachable", "message": "refused"}},
    )
    store.save(S3, [snap(S3, "web01", PKG2)])
    assert [index(s) for s in store.scans()] == [
        {
            "scan_id": S1,
            "started_at": "2026-11-01T02:00:00+00:00",
            "hosts": {"web01": {"status": "ok"}, "web02": {"status": "ok"}},
        },
        {
            "scan_id": S2,
            "started_at": "2026-11-02T02:00:00+00:00",
            "hosts": {
                "web01": {"status": "partial", "errors": {"perl": "timed out"}},
                "web02": {"status": "failed", "reason": "unreachable", "message": "refused"},
            },
        },
        {
            "scan_id": S3,
            "started_at": "2026-11-03T02:00:00+00:00",
            "hosts": {"web01": {"status": "ok"}},
        },
    ]
    assert store.failures(["web01", "web02", "web03"]) == {
        "web02": {"reason": "unreachable: refused", "scan_id": S2}
    }


def test_partial_snapshot_carries_failed_collectors_over(store):
    store.save(S1, [snap(S1, "web01", PKG1)])
    store.save(S2, [snap(S2, "web01", {"dpkg": PKG2["dpkg"]}, {"perl": "timed out"})])
    store.save(S3, [snap(S3, "web01", {"dpkg": PKG2["dpkg"]}, {"perl": "timed out again"})])
    latest = store.latest("web01")
    assert latest["facts"] == PKG2  # perl carried over, dpkg new
    assert latest["carried_over"] == {"perl": S1}  # from the scan that really saw it, twice
    assert store.get(S2, "web01")["carried_over"] == {"perl": S1}
    assert store.get(S2, "web01")["errors"] == {"perl": "timed out"}


def test_a_collector_that_goes_away_and_comes_back(store):
    both = {**PKG1, "os": {"id": "debian", "version_id": "12"}}
    store.save(S1, [snap(S1, "web01", both)])
    store.save(S2, [snap(S2, "web01", {"dpkg": PKG1["dpkg"]})])
    store.save(S3, [snap(S3, "web01", both)])
    [(_host, snaps)] = store.iter_histories(["web01"])
    assert [s["facts"] for s in snaps] == [
        both,
        {"dpkg": PKG1["dpkg"]},
        both,
    ]


def test_a_scan_that_cannot_be_stored_leaves_the_store_as_it_was(store):
    from changekit.errors import ChangekitError

    store.save(S1, [snap(S1, "web01", PKG1)])
    before = (store.scans(), store.latest("web01"), store.history("web01"))
    bad = snap(S2, "web01", {"dpkg": {"tzdata": {"version": "2025b"}}, "perl": {1.5: "x"}})
    with pytest.raises((ChangekitError, TypeError, ValueError)):
        store.save(S2, [snap(S2, "web02", PKG2), bad])
    assert (store.scans(), store.latest("web01"), store.history("web01")) == before
    assert store.hosts() == ["web01"]


def test_failed_is_read_once_the_snapshots_are_exhausted(store):
    """A streaming scan learns of failed hosts as it goes: ``save`` reads ``failed`` last."""
    store.save(S1, [snap(S1, "web01", PKG1), snap(S1, "web02", PKG1)])
    failed: dict = {}

    def as_the_scan_goes():
        yield snap(S2, "web01", PKG2)
        failed["web02"] = {"reason": "timeout", "message": "no answer in 8 s"}

    store.save(S2, as_the_scan_goes(), failed)
    assert index(store.scans()[-1])["hosts"]["web02"] == {
        "status": "failed",
        "reason": "timeout",
        "message": "no answer in 8 s",
    }
    assert store.failures(["web01", "web02"])["web02"]["scan_id"] == S2
    assert store.latest("web02") == snap(S1, "web02", PKG1)


class Interrupted(Exception):
    pass


@pytest.mark.parametrize("error", [Interrupted, KeyboardInterrupt])
def test_snapshots_raising_part_way_store_nothing(store, error):
    """An interrupted scan (its iterator raises after some hosts were consumed) leaves the
    store as it was: no scan, no snapshot, no failure."""
    store.save(S1, [snap(S1, "web01", PKG1)])
    before = (store.hosts(), store.scans(), store.latest("web01"))

    def cut_short():
        yield snap(S2, "web01", PKG2)
        yield snap(S2, "web02", PKG2)
        raise error()

    with pytest.raises(error):
        store.save(S2, cut_short(), {"web03": {"reason": "unreachable", "message": ""}})
    assert (store.hosts(), store.scans(), store.latest("web01")) == before
    assert [e["scan_id"] for e in store.history("web01")] == [S1]
    assert store.failures(["web03"]) == {}
    store.save(S3, [snap(S3, "web02", PKG2)])  # and the next scan stores as usual
    assert store.hosts() == ["web01", "web02"]
