"""The timeline reads what its period needs from the real git facts store, not the whole
history: 40 daily scans, a period of the last three."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import yaml

from changekit.facts.store import SnapshotStore
from changekit.review.timeline import build_timeline
from changekit.workspace import Workspace
from tests.drift.fleetdata import snapshot

DAY0 = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)


class Counting:
    """The real store, counting what the timeline asks of it."""

    def __init__(self, store: SnapshotStore) -> None:
        self.store, self.reads, self.depths = store, 0, []

    def read_at(self, ref, host):
        self.reads += 1
        return self.store.read_at(ref, host)

    def histories(self, hosts, max_count=None):
        self.depths.append(max_count)
        return self.store.histories(hosts, max_count)

    def __getattr__(self, name):
        return getattr(self.store, name)


def test_a_short_period_of_a_long_history(tmp_path, run_cli):
    ws = tmp_path / "ws"
    assert run_cli("init", str(ws)).exit_code == 0
    inv = {"version": 1, "hosts": {"web1": {"address": "127.0.0.1"}}}
    (ws / "inventories" / "hosts.yaml").write_text(yaml.safe_dump(inv))
    subprocess.run(["git", "add", "-A"], cwd=ws, check=True)
    subprocess.run(["git", "commit", "-qm", "inventory"], cwd=ws, check=True)
    for day in range(40):
        at = DAY0 + timedelta(days=day)
        scan = at.strftime("%Y%m%dT%H%M%SZ") + f"-d{day:03d}"
        tz = {"dpkg__tzdata": {"version": f"2030.{day}-1"}}
        SnapshotStore(Workspace(ws)).save(scan, [snapshot("web1", scan, at.isoformat(), **tz)])
    store = Counting(SnapshotStore(Workspace(ws)))
    since = DAY0 + timedelta(days=37) - timedelta(hours=1)
    found = build_timeline(Workspace(ws), "web1", since, DAY0 + timedelta(days=40), store=store)
    assert [(e.details["before"], e.details["after"]) for e in found.events] == [
        ("2030.36-1", "2030.37-1"),
        ("2030.37-1", "2030.38-1"),
        ("2030.38-1", "2030.39-1"),
    ]
    assert store.reads == 4  # the three scans of the period and the one before
    assert store.depths == [16]  # 16 entries reach back before the period: no more listed
    # a period at the start of the history lists further back, in growing steps
    store = Counting(SnapshotStore(Workspace(ws)))
    early = build_timeline(Workspace(ws), "web1", DAY0, DAY0 + timedelta(hours=1), store=store)
    assert early.events == [] and store.depths == [16, 64] and store.reads == 1
