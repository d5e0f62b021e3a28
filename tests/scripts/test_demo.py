"""scripts/demo.sh leaves nothing running: not after a run, not after a Ctrl-C mid-scan."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.needs import unavailable
from tests.testfleet.addresses import claimed_states
from tests.testfleet.fleet import missing_requirements

pytestmark = pytest.mark.fleet

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _needs_fleet() -> None:
    if why := missing_requirements():
        unavailable(why)


def _left_running(state: Path) -> list[int]:
    """Processes of the demo's fleet: its hosts' sshd (chrooted under ``state``) and whatever
    names ``state`` on its command line. Other sessions' fleets may run meanwhile."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (
                    str(state) in os.readlink(entry / "root")
                    or str(state).encode() in (entry / "cmdline").read_bytes()
                ):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _assert_nothing_left(state: Path) -> None:
    deadline = time.monotonic() + 10  # killed processes can take a moment to be reaped
    while time.monotonic() < deadline and _left_running(state):
        time.sleep(0.2)
    assert not _left_running(state)
    assert state not in claimed_states()
    assert not state.exists()


def _demo_fleet(output: str) -> Path:
    found = re.search(r"testfleet: \d+ hosts up in [\d.]+s: (\S+)", output)
    assert found, output[-3000:]
    return Path(found[1])


def _demo(tmp: Path) -> subprocess.Popen[str]:
    """The demo, its workspace (which it leaves for the user to look at) under ``tmp``."""
    return subprocess.Popen(
        ["bash", "scripts/demo.sh"], cwd=REPO, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
        env={**os.environ, "TMPDIR": str(tmp)},
    )  # fmt: skip


def test_two_runs_in_a_row_stop_their_fleets(tmp_path: Path) -> None:
    for _ in range(2):
        demo = _demo(tmp_path)
        output, _ = demo.communicate(timeout=600)
        assert demo.returncode == 0, output[-3000:]
        _assert_nothing_left(_demo_fleet(output))


def test_ctrl_c_during_the_scan_stops_the_fleet(tmp_path: Path) -> None:
    demo = _demo(tmp_path)
    assert demo.stdout is not None
    lines = []
    try:
        for line in demo.stdout:
            lines.append(line)
            if "== Scan " in line:  # the fleet is up and the scan starts
                break
        else:
            pytest.fail("the demo ended before its scan: " + "".join(lines)[-3000:])
        time.sleep(2)  # into the SSH sessions
        state = _demo_fleet("".join(lines))
        assert _left_running(state), "no fleet host running during the scan"
        os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        rest, _ = demo.communicate(timeout=120)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
    output = "".join(lines) + rest
    assert demo.returncode != 0, output[-3000:]
    assert "demo: stopping the test fleet" in output
    _assert_nothing_left(state)
