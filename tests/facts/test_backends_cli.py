"""The CLI on a workspace whose facts are in PostgreSQL gives what it gives on the git store:
``drift`` and ``report`` find the same, ``facts`` shows the same, from the same scans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.facts.contract import stored_workspace
from tests.facts.fleetgen import fleet_scans

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def workspace(tmp_path: Path, name: str, facts: str, scans) -> Path:
    hosts = sorted({s["host"] for _id, snaps, _f in scans for s in snaps})
    inventory = {
        "version": 1,
        "hosts": {h: {"address": "192.0.2.1"} for h in hosts},
        "groups": {
            "web": {"hosts": hosts[: len(hosts) // 2]},
            "db": {"hosts": hosts[len(hosts) // 2 :]},
        },
    }
    return stored_workspace(tmp_path / name, facts, scans, inventory)


def cli_json(run_cli, root: Path, *args: str):
    result = run_cli("-C", str(root), *args, "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_drift_report_and_facts_alike_on_both_stores(tmp_path, run_cli, pg_dsn):
    scans = fleet_scans(seed=17, hosts=10, scans=4)
    on_git = workspace(tmp_path, "git", "", scans)
    on_pg = workspace(tmp_path, "pg", f"facts:\n  store: postgres\n  dsn: '{pg_dsn}'\n", scans)
    drift_git = cli_json(run_cli, on_git, "drift")
    drift_pg = cli_json(run_cli, on_pg, "drift")
    assert drift_git["findings"], "the seed gives findings to compare"
    assert {f["rule"] for f in drift_git["findings"]} >= {"version-outlier", "missing-vs-peers"}
    assert drift_pg == drift_git

    def history(root):  # "commit" is each store's own reference (a commit id, a scan id)
        return [
            {k: v for k, v in e.items() if k != "commit"}
            for e in cli_json(run_cli, root, "facts", "history", "h003")
        ]

    assert history(on_pg) == history(on_git)
    show = ("facts", "show", "h003", "--at", scans[1][0])
    assert cli_json(run_cli, on_pg, *show) == cli_json(run_cli, on_git, *show)
    scans_git = cli_json(run_cli, on_git, "facts", "scans")
    scans_pg = cli_json(run_cli, on_pg, "facts", "scans")
    # the database adds which shards stored each scan
    assert [{k: v for k, v in s.items() if k != "shards"} for s in scans_pg] == scans_git
    assert [s["shards"] for s in scans_pg] == [
        [{"shard": 1, "of": 1, "stored": len(snaps), "failed": len(failed)}]
        for _id, snaps, failed in scans
    ]


def test_facts_show_and_diff_print_the_same_bytes_on_both_stores(tmp_path, run_cli, pg_dsn):
    """Not only the same data: the same text, keys in the git store's (sorted) order, so a
    user reading ``facts show`` finds packages in order and two runs diff cleanly (jsonb
    orders keys by length, and rows come back in no order)."""
    scans = fleet_scans(seed=3, hosts=6, scans=4, failures=False)
    on_git = workspace(tmp_path, "git", "", scans)
    on_pg = workspace(tmp_path, "pg", f"facts:\n  store: postgres\n  dsn: '{pg_dsn}'\n", scans)
    for args in (
        ("facts", "show", "h001"),
        ("facts", "show", "h003", "--at", scans[1][0]),
        ("facts", "diff", "h001", "--since", scans[0][0]),
    ):
        from_git = run_cli("-C", str(on_git), *args, "--format", "json")
        from_pg = run_cli("-C", str(on_pg), *args, "--format", "json")
        assert from_git.exit_code == from_pg.exit_code == 0, from_pg.stderr
        assert from_pg.stdout == from_git.stdout, args
