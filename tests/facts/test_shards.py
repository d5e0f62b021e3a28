"""``scan --shard K/N``: a deterministic split, and N writers storing one scan together into
the real database at the same time."""

from __future__ import annotations

import multiprocessing

import pytest

from changekit.errors import ChangekitError, InputError
from changekit.facts.backend import open_store
from changekit.facts.shards import in_shard, parse_shard, shard_of
from tests.facts.contract import make_workspace
from tests.facts.fleetgen import fleet_scans

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def test_every_host_is_in_exactly_one_shard_and_the_split_is_stable():
    hosts = [f"web{i:04d}.example.org" for i in range(2000)] + ["ünï", "a b", ""]
    for n in (1, 2, 3, 4, 7):
        parts = [in_shard(hosts, (k, n)) for k in range(1, n + 1)]
        assert sorted(h for p in parts for h in p) == sorted(hosts)
        assert all(parts), "every shard gets hosts"
        if n == 4:
            assert all(400 < len(p) < 600 for p in parts)  # sha256 spreads them evenly
    # documented: 1 + first 8 bytes of sha256(name), big-endian, mod N (fixed forever)
    assert [shard_of("web01", 4), shard_of("db01", 4), shard_of("web01", 7)] == [
        1 + int.from_bytes(__import__("hashlib").sha256(b"web01").digest()[:8], "big") % 4,
        1 + int.from_bytes(__import__("hashlib").sha256(b"db01").digest()[:8], "big") % 4,
        1 + int.from_bytes(__import__("hashlib").sha256(b"web01").digest()[:8], "big") % 7,
    ]
    assert in_shard(list(reversed(hosts)), (2, 4)) == list(reversed(in_shard(hosts, (2, 4))))


@pytest.mark.parametrize("bad", ["0/4", "5/4", "1/0", "2", "a/b", "-1/3", ""])
def test_a_bad_shard_is_named(bad):
    with pytest.raises(InputError, match="not a shard") as err:
        parse_shard(bad)
    assert err.value.field == "--shard" and "K/N" in err.value.hint


def test_shard_needs_a_store_several_runners_can_write(tmp_path, run_cli):
    make_workspace(tmp_path)
    result = run_cli("-C", str(tmp_path), "scan", "-i", "web01,", "--shard", "1/2")
    assert result.exit_code != 0
    assert "--shard needs a facts store that several runners can write at once" in result.stderr
    result = run_cli("-C", str(tmp_path), "scan", "-i", "web01,", "--scan-id", "nightly")
    assert result.exit_code != 0 and "not a scan id" in result.stderr


def _write_shard(root: str, scan_id: str, k: int, n: int, snaps: list, failed: dict) -> None:
    from pathlib import Path

    from changekit.workspace import Workspace

    store = open_store(Workspace(Path(root)))
    mine = in_shard(snaps, (k, n), key=lambda s: s["host"])
    store.save(
        scan_id, mine, {h: w for h, w in failed.items() if shard_of(h, n) == k}, shard=(k, n)
    )


def test_four_shard_writers_store_one_scan_at_once(tmp_path, pg_server, pg_dsn):
    one_dsn = pg_server.create_database("oneshard" + tmp_path.name[-6:].replace("-", "_"))
    together = make_workspace(tmp_path / "n", f"facts:\n  store: postgres\n  dsn: '{pg_dsn}'\n")
    alone = open_store(
        make_workspace(tmp_path / "1", f"facts:\n  store: postgres\n  dsn: '{one_dsn}'\n")
    )
    scans = fleet_scans(seed=5, hosts=40, scans=3)
    ctx = multiprocessing.get_context("spawn")  # real processes, each its own connections
    for scan_id, snaps, failed in scans:
        procs = [
            ctx.Process(
                target=_write_shard, args=(str(together.root), scan_id, k, 4, snaps, failed)
            )
            for k in range(1, 5)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0, 0, 0, 0]
        alone.save(scan_id, snaps, failed)
    store = open_store(together)
    hosts = alone.hosts()
    assert store.hosts() == hosts
    for scan_id, _snaps, _failed in scans:
        for host in hosts:
            try:
                expected = alone.get(scan_id, host)
            except Exception as exc:  # noqa: BLE001 - the same refusal is expected
                expected = type(exc).__name__
            try:
                got = store.get(scan_id, host)
            except Exception as exc:  # noqa: BLE001
                got = type(exc).__name__
            assert got == expected, (scan_id, host)
    index = store.scans()
    assert [s["scan_id"] for s in index] == [s for s, _x, _y in scans]
    assert [sorted(d["shard"] for d in s["shards"]) for s in index] == [[1, 2, 3, 4]] * 3
    assert {h for s in index for h in s["hosts"]} == set(hosts) | {
        h for _s, _x, f in scans for h in f
    }
    with pytest.raises(ChangekitError, match="already has scan"):
        _write_shard(str(together.root), scans[-1][0], 2, 4, scans[-1][1], scans[-1][2])
    store.close()
    alone.close()
    pg_server.drop_database("oneshard" + tmp_path.name[-6:].replace("-", "_"))
