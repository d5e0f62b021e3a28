"""`changekit scan` streams into the facts store: a host's snapshot reaches the store's ``save``
while other hosts are still being scanned, and a scan interrupted part way (a real SIGINT, as
Ctrl-C sends) stores nothing. Real sshd hosts, the real git store (a subclass that notes what
it consumed, registered through ``register_facts_stores``)."""

from __future__ import annotations

import os
import signal

import pytest

from changekit.api import hookimpl
from changekit.facts.store import SnapshotStore
from changekit.plugins import get_manager
from changekit.workspace import Workspace

pytestmark = pytest.mark.fleet


class RecordingStore(SnapshotStore):
    """The git store, noting for each snapshot it consumes which hosts had failed by then."""

    seen: list[tuple[str, list[str]]] = []
    interrupt = False

    def save(self, scan_id, snapshots, failed=None):
        def noted():
            for snap in snapshots:
                RecordingStore.seen.append((snap["host"], sorted(failed or {})))
                if RecordingStore.interrupt:
                    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, mid-scan
                yield snap

        return super().save(scan_id, noted(), failed)


@pytest.fixture
def recording():
    class Plugin:
        @hookimpl
        def register_facts_stores(self, register):
            register("git", lambda ws, options: RecordingStore(ws))

    RecordingStore.seen = []
    RecordingStore.interrupt = False
    pm = get_manager()
    plugin = Plugin()
    pm.register(plugin, name="recording-store")
    yield RecordingStore
    pm.unregister(plugin)


def scan(run_cli, fleet, workspace, known_hosts, *hosts):
    # hang01 never answers: it is still being scanned until its command timeout
    return run_cli(
        "scan", *hosts, "-i", str(fleet.inventory), "--known-hosts", str(known_hosts),
        "--connect-timeout", "4", "--command-timeout", "8", "--collectors", "os,dpkg",
        cwd=workspace,
    )  # fmt: skip


def test_a_host_is_stored_while_another_is_still_scanned(
    fleet, workspace, known_hosts, recording, run_cli
):
    result = scan(run_cli, fleet, workspace, known_hosts, "web01", "hang01")
    assert result.exit_code == 1, result.stderr  # hang01 timed out
    # web01's snapshot was consumed by the store before hang01's scan had ended...
    assert recording.seen == [("web01", [])]
    # ...and hang01's failure still reached the store, once the scan was over
    store = SnapshotStore(Workspace(workspace))
    [index] = store.scans()
    assert index["hosts"]["web01"]["status"] == "ok"
    assert index["hosts"]["hang01"] == {
        "status": "failed",
        "reason": "timeout",
        "message": index["hosts"]["hang01"]["message"],
    }
    assert store.latest("web01")["host"] == "web01"
    assert "hang01" in result.stdout and "stored as scan" in result.stderr


def test_ctrl_c_mid_scan_stores_nothing(fleet, workspace, known_hosts, recording, run_cli):
    assert scan(run_cli, fleet, workspace, known_hosts, "web02").exit_code == 0
    ws = Workspace(workspace)
    before = SnapshotStore(ws).tip()
    scans_before = SnapshotStore(ws).scans()
    recording.seen, recording.interrupt = [], True
    result = scan(run_cli, fleet, workspace, known_hosts, "web01", "hang01")
    assert result.exit_code != 0
    assert recording.seen == [("web01", [])]  # the store had web01 when the scan was stopped
    store = SnapshotStore(ws)
    assert store.tip() == before  # no commit
    assert store.scans() == scans_before
    assert store.latest("web01") is None
    assert "stored as scan" not in result.stderr
