"""``scan --format json`` spools each snapshot to a temporary file as its host finishes
(``changekit/cli/json_spool.py``): where that file cannot be written, the scan stops with a
clear error naming the directory and what to do, not an internal error."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.fleet


def _small_files() -> None:
    # a full disk, as the spool sees it: every write past 4 KiB fails (EFBIG, not a signal)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_a_spool_that_cannot_be_written_is_a_clear_error(fleet, known_hosts, tmp_path):
    args = ["scan", "web01", "-i", str(fleet.inventory), "--known-hosts", str(known_hosts)]
    args += ["--collectors", "dpkg", "--format", "json"]
    spool = tmp_path / "tmp"
    spool.mkdir()
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TMPDIR": str(spool)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # the size limit would truncate a .pyc
    proc = subprocess.run(
        [sys.executable, "-m", "changekit", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=_small_files,
        timeout=300,
    )
    assert proc.returncode not in (0, 70), proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert f"could not spool the scan's JSON in {spool}" in proc.stderr
    assert "TMPDIR" in proc.stderr  # how to fix it
    assert proc.stdout == ""  # no half document
    assert list(spool.iterdir()) == []  # nothing left behind


def test_a_reader_that_leaves_ends_the_scan_quietly(fleet, known_hosts, tmp_path):
    """``scan --format json | head``: the snapshots are printed after the last host; the
    reader gone by then is no internal error (141, as a Unix tool on SIGPIPE)."""
    from tests.test_cli_errors import _closed_pipe_run

    args = ["scan", "web01", "-i", str(fleet.inventory), "--known-hosts", str(known_hosts)]
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    code, err = _closed_pipe_run([*args, "--collectors", "dpkg", "--format", "json"], tmp_path, env)
    assert (code, err) == (141, "")
