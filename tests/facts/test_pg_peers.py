"""Peer drift counted in the database gives exactly the findings of peer drift computed in
Python from the whole snapshots, on the same scans."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from changekit.drift.peers import PeerThresholds, compare_peers
from changekit.facts.backend import open_store
from tests.facts.contract import make_workspace
from tests.facts.fleetgen import fleet_scans

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.mark.parametrize(
    "thresholds",
    [
        PeerThresholds(),
        PeerThresholds(majority=0.5, unique_max_hosts=2, integrity_conffiles_only=True),
    ],
)
@pytest.mark.parametrize("seed, hosts", [(21, 12), (8, 2), (13, 5)])
def test_the_database_cut_finds_what_the_whole_snapshots_find(
    tmp_path, pg_dsn, seed, hosts, thresholds
):
    pg = open_store(make_workspace(tmp_path, f"facts:\n  store: postgres\n  dsn: '{pg_dsn}'\n"))
    for scan_id, snaps, failed in fleet_scans(seed=seed, hosts=hosts, scans=4):
        pg.save(scan_id, snaps, failed)
    names = pg.hosts()
    full = dict(pg.iter_latest(names))
    groups = {"all-hosts": names, "odd": names[1::2], "first-three": names[:3]}
    total = 0
    for group, members in groups.items():
        expected = compare_peers(group, {h: full[h] for h in members}, thresholds)
        cut = pg.peer_snapshots(members)
        assert sorted(cut) == sorted(members)
        got = compare_peers(group, cut, thresholds)
        assert [asdict(f) for f in got] == [asdict(f) for f in expected], group
        total += len(expected)
        # what left the database: only the items the group disagrees on
        assert (
            sum(len(d) for s in cut.values() for d in s["facts"].values())
            < sum(len(d) for h in members for d in full[h]["facts"].values())
            or len(members) < 3
        )
    assert total or hosts < 3  # the seeds give real findings to compare
    pg.close()
