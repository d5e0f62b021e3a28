"""``changekit scan --shard K/N --scan-id`` against the real sshd fleet, storing into a real
PostgreSQL: two runners, one scan, every host scanned by exactly one of them."""

from __future__ import annotations

import json

import pytest

from changekit.facts.shards import shard_of
from tests.fleet.conftest import run, scan_json

pytestmark = [pytest.mark.fleet, pytest.mark.filterwarnings("ignore::ResourceWarning")]

HOSTS = ["web01", "web02", "app03", "down01"]
SCAN = "20261206T020000Z-shards"


def test_two_shards_store_one_scan(fleet, workspace, known_hosts, pg_dsn):
    with (workspace / "changekit.yaml").open("a") as fh:
        fh.write(f"facts:\n  store: postgres\n  dsn: '{pg_dsn}'\n")
    seen = []
    for k in (1, 2):
        _code, data = scan_json(
            *HOSTS, "-i", str(fleet.inventory), "--known-hosts", str(known_hosts),
            "--collectors", "os,dpkg", "--connect-timeout", "4",
            "--shard", f"{k}/2", "--scan-id", SCAN, cwd=workspace,
        )  # fmt: skip
        assert data["scan_id"] == SCAN and data["stored"]
        hosts = [h["host"] for h in data["hosts"]]
        assert all(shard_of(h, 2) == k for h in hosts)
        seen += hosts
    assert sorted(seen) == sorted(HOSTS)
    code, out, err = run("facts", "scans", "--format", "json", cwd=workspace)
    assert code == 0, err
    [scan] = json.loads(out)
    assert scan["scan_id"] == SCAN
    assert sorted(scan["hosts"]) == sorted(HOSTS)
    assert scan["hosts"]["down01"]["status"] == "failed"
    assert sorted(s["shard"] for s in scan["shards"]) == [1, 2]
    code, out, err = run("facts", "show", "web01", "--format", "json", cwd=workspace)
    assert code == 0, err
    shown = json.loads(out)
    assert shown["scan_id"] == SCAN and shown["facts"]["dpkg"]
