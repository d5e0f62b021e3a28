"""``SaveFeed``: a scan hands snapshots to a real store's ``save`` (git, and PostgreSQL on the
throwaway server) while it runs; finished, it is one stored scan, aborted or failing, none."""

from __future__ import annotations

import pytest

from changekit.facts.feed import SaveFeed
from tests.facts.test_store import PKG1, PKG2, S1, S2, snap

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def test_snapshots_fed_as_hosts_finish_are_one_scan(store):
    with SaveFeed(store, S1, depth=1) as feed:
        for host in ("web01", "web02", "web03"):  # more than the queue holds: it drains
            feed.put(snap(S1, host, PKG1))
        feed.failed["db01"] = {"reason": "unreachable", "message": "refused"}
        feed.finish()
    assert store.hosts() == ["web01", "web02", "web03"]
    [scan] = store.scans()
    assert scan["hosts"]["db01"]["status"] == "failed"


def test_a_scan_that_raises_stores_nothing(store):
    store.save(S1, [snap(S1, "web01", PKG1)])
    before = (store.hosts(), store.scans())
    with pytest.raises(KeyboardInterrupt), SaveFeed(store, S2) as feed:
        feed.put(snap(S2, "web01", PKG2))
        feed.put(snap(S2, "web02", PKG2))
        raise KeyboardInterrupt  # Ctrl-C in the scan's thread
    assert (store.hosts(), store.scans()) == before
    assert store.latest("web01") == snap(S1, "web01", PKG1)


def test_the_stores_error_reaches_the_scan(store):
    store.save(S1, [snap(S1, "web01", PKG1)])
    with pytest.raises(KeyError), SaveFeed(store, S2) as feed:
        feed.put({"scan_id": S2})  # no host: save fails on it
        feed.put(snap(S2, "web01", PKG2))
        feed.finish()
    assert store.latest("web01") == snap(S1, "web01", PKG1)
