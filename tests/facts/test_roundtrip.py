"""Interval encoding round-trips: after the same scans, the PostgreSQL store rebuilds, at every
scan, exactly the snapshot the git store gives (partial hosts with carried-over collectors,
failed hosts, collectors that come and go, lists, plain maps, non-ASCII)."""

from __future__ import annotations

import pytest

from changekit.errors import NotFoundError
from changekit.facts.backend import open_store
from tests.facts.contract import make_workspace
from tests.facts.fleetgen import fleet_scans

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def outcome(fn, *args):
    try:
        return fn(*args)
    except NotFoundError as exc:
        return ("NotFoundError", exc.message)


def test_database_rebuilds_every_snapshot_the_git_store_gives(tmp_path, pg_dsn):
    git_store = open_store(make_workspace(tmp_path / "git"))
    pg = open_store(
        make_workspace(tmp_path / "pg", f"facts:\n  store: postgres\n  dsn: '{pg_dsn}'\n")
    )
    scans = fleet_scans(seed=11, hosts=8, scans=7)
    for scan_id, snaps, failed in scans:
        git_store.save(scan_id, snaps, failed)
        pg.save(scan_id, snaps, failed)
    hosts = git_store.hosts()
    assert pg.hosts() == hosts
    carried = 0
    for scan_id, _snaps, _failed in scans:
        for host in hosts:
            expected = outcome(git_store.get, scan_id, host)
            assert outcome(pg.get, scan_id, host) == expected, (scan_id, host)
            carried += isinstance(expected, dict) and bool(expected.get("carried_over"))
    assert carried  # the seed gives partial snapshots whose facts were carried over
    assert dict(pg.iter_latest(hosts)) == dict(git_store.iter_latest(hosts))
    assert dict(pg.iter_histories(hosts, 3)) == dict(git_store.iter_histories(hosts, 3))
    assert [e["scan_id"] for e in pg.history("h001")] == [
        e["scan_id"] for e in git_store.history("h001")
    ]
    assert pg.failures(hosts) == git_store.failures(hosts)
    assert [{k: v for k, v in s.items() if k != "shards"} for s in pg.scans()] == git_store.scans()
    pg.close()


def test_an_unchanged_daily_scan_writes_no_fact_rows(tmp_path, pg_dsn):
    import psycopg

    pg = open_store(make_workspace(tmp_path, f"facts:\n  store: postgres\n  dsn: '{pg_dsn}'\n"))
    [(s1, snaps, _f)] = fleet_scans(seed=3, hosts=3, scans=1, failures=False)
    pg.save(s1, snaps)
    count = "SELECT count(*) FROM ck_facts"
    with psycopg.connect(pg_dsn) as conn:
        before = conn.execute(count).fetchone()[0]
        s2 = "20261201T020000Z-same01"
        pg.save(s2, [dict(s, scan_id=s2) for s in snaps])
        assert conn.execute(count).fetchone()[0] == before
        changed = dict(snaps[0], scan_id="20261202T020000Z-one001")
        changed["facts"] = dict(
            changed["facts"], dpkg=dict(changed["facts"]["dpkg"], tzdata={"version": "2099a"})
        )
        pg.save(changed["scan_id"], [changed])
        # one interval closed (old tzdata), one opened (new): nothing else written
        assert conn.execute(count).fetchone()[0] == before + 1
        assert (
            conn.execute("SELECT count(*) FROM ck_facts WHERE valid_to IS NOT NULL").fetchone()[0]
            == 1
        )
    assert pg.get(s2, snaps[0]["host"])["facts"] == snaps[0]["facts"]
    pg.close()


def test_a_collector_that_changes_shape_or_empties_a_slice_reads_back_as_stored(tmp_path, pg_dsn):
    # the writer reads a collector's slice digests only when its whole-collector digest
    # changed: every way the set of slices can change must still close the right rows
    pg = open_store(make_workspace(tmp_path, f"facts:\n  store: postgres\n  dsn: '{pg_dsn}'\n"))
    [(_s, [snap], _f)] = fleet_scans(seed=5, hosts=1, scans=1, failures=False)
    host = snap["host"]
    dpkg = snap["facts"]["dpkg"]
    one = sorted(dpkg)[0]
    days = [
        dict(snap["facts"]),
        dict(snap["facts"], dpkg={k: v for k, v in dpkg.items() if k != one}),  # a slice empties
        dict(snap["facts"], dpkg=["now", "a", "list"]),  # items -> one json value
        dict(snap["facts"], dpkg={"x": 1}),  # a plain map: still one json value
        dict(snap["facts"], dpkg=dpkg),  # json -> items again
        {k: v for k, v in snap["facts"].items() if k != "dpkg"},  # gone
        dict(snap["facts"], dpkg={}),  # back, empty
        dict(snap["facts"]),
    ]
    ids = [f"202612{d + 1:02d}T020000Z-shape{d}" for d in range(len(days))]
    for scan_id, facts in zip(ids, days, strict=True):
        pg.save(scan_id, [dict(snap, scan_id=scan_id, facts=facts)])
    for scan_id, facts in zip(ids, days, strict=True):
        assert pg.get(scan_id, host)["facts"] == facts, scan_id
    assert pg.latest(host)["facts"] == snap["facts"]
    pg.close()


def test_a_scan_the_database_refuses_is_not_there_at_all(tmp_path, pg_dsn):
    from changekit.errors import ChangekitError

    pg = open_store(make_workspace(tmp_path, f"facts:\n  store: postgres\n  dsn: '{pg_dsn}'\n"))
    [(s1, snaps, _f)] = fleet_scans(seed=3, hosts=3, scans=1, failures=False)
    pg.save(s1, snaps)
    before = (pg.scans(), dict(pg.iter_latest(pg.hosts())))
    s2 = "20261201T020000Z-nul001"
    # a text column refuses NUL: facts escape it (encoding.ESC), a host's name cannot
    bad = dict(snaps[1], scan_id=s2, host="web\u000001")
    with pytest.raises(ChangekitError, match=f"could not store scan {s2}") as err:
        pg.save(s2, [dict(snaps[0], scan_id=s2), bad], shard=(1, 2))
    assert "nothing of this scan was stored" in err.value.hint
    assert (pg.scans(), dict(pg.iter_latest(pg.hosts()))) == before
    with pytest.raises(NotFoundError, match="no scan"):
        pg.get(s2, snaps[0]["host"])
    pg.close()
