"""Workspace discovery, the lock against concurrent runs, and atomic writes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest

from changekit.errors import LockedError, WorkspaceError
from changekit.fileio import atomic_write
from changekit.workspace import find_workspace


def test_found_from_a_subdirectory(tmp_path):
    (tmp_path / "changekit.yaml").write_text("{}\n")
    sub = tmp_path / "change_records" / "deep"
    sub.mkdir(parents=True)
    assert find_workspace(sub).root == tmp_path.resolve()


def test_missing_workspace_says_how_to_make_one(tmp_path):
    with pytest.raises(WorkspaceError) as err:
        find_workspace(tmp_path)
    assert "changekit init" in err.value.hint


def _hold_lock(root, ready):
    ws = find_workspace(root)
    with ws.lock():
        ready.set()
        time.sleep(30)


def test_second_run_waits_then_reports_the_holder(tmp_path):
    (tmp_path / "changekit.yaml").write_text("{}\n")
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(tmp_path, ready))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(LockedError) as err, find_workspace(tmp_path).lock(wait=0.3):
            pass
        assert str(holder.pid) in err.value.message
    finally:
        holder.kill()
        holder.join()
    # a killed holder's lock is released by the kernel: nothing stale is left behind
    with find_workspace(tmp_path).lock(wait=1):
        pass


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "f.yaml"
    atomic_write(target, "old\n")
    atomic_write(target, "new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.yaml"]


def test_killed_writer_leaves_old_file_intact(tmp_path):
    """A writer killed mid-write (SIGKILL) never leaves a half-written target."""
    target = tmp_path / "f.txt"
    atomic_write(target, "old\n")
    code = (
        "import sys; from changekit import fileio\n"
        "import os\n"
        "orig = os.fsync\n"
        "def slow(fd):\n"
        "    sys.stdout.write('writing\\n'); sys.stdout.flush(); import time; time.sleep(30)\n"
        "os.fsync = slow\n"
        f"fileio.atomic_write({str(target)!r}, 'x' * 10_000_000)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert target.read_text() == "old\n"
