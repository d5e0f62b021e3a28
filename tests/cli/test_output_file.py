"""``report -o``: devices, FIFOs and symlinks are written into (never replaced by a regular
file), ``-`` is standard output, regular files are replaced atomically. Real FIFOs, the
real /dev/null and real symlinks; the command runs as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from changekit.cli.output_file import write_output
from changekit.errors import InputError


def test_a_fifo_is_written_into_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_output(fifo, "through the pipe\n")
    reader.join(timeout=10)
    assert got == [b"through the pipe\n"]
    assert fifo.is_fifo()


def test_dev_null_stays_a_device():
    write_output("/dev/null", "discarded\n")
    assert Path("/dev/null").is_char_device()


def test_a_symlink_stays_a_link_and_its_target_gets_the_text(tmp_path):
    target = tmp_path / "real.html"
    target.write_text("old")
    link = tmp_path / "latest.html"
    link.symlink_to(target)
    write_output(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new"
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "made.txt")
    write_output(dangling, "made")
    assert dangling.is_symlink() and (tmp_path / "made.txt").read_text() == "made"


def test_a_symlink_to_a_fifo_writes_into_the_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_output(link, "x")
    reader.join(timeout=10)
    assert got == [b"x"] and link.is_symlink() and fifo.is_fifo()


def test_a_regular_file_is_replaced_atomically(tmp_path):
    out = tmp_path / "r.txt"
    out.write_text("old")
    inode = out.stat().st_ino
    write_output(out, "new")
    assert out.read_text() == "new" and out.stat().st_ino != inode  # renamed over, not rewritten
    assert [p.name for p in tmp_path.iterdir()] == ["r.txt"]


def test_a_directory_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="directory"):
        write_output(tmp_path, "x")


def _report(ws: Path, *args: str, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "changekit", "report", "--format", "json", *args],
        cwd=ws,
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=120,
    )


@pytest.fixture
def workspace(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "changekit", "init", str(tmp_path / "ws")],
        check=True,
        capture_output=True,
    )
    return tmp_path / "ws"


def test_report_dash_and_dev_stdout_are_standard_output(workspace, tmp_path):
    dash = _report(workspace, "-o", "-")
    assert dash.returncode == 0, dash.stderr
    assert dash.stdout.startswith(b"{") and not (workspace / "-").exists()
    # /dev/stdout redirected to a file by the "shell": the file gets the report, stays put
    captured = tmp_path / "captured.json"
    with captured.open("wb") as fh:
        done = _report(workspace, "-o", "/dev/stdout", stdout=fh)
    assert done.returncode == 0, done.stderr
    report = json.loads(captured.read_bytes())
    assert report["summary"] == json.loads(dash.stdout)["summary"]
    assert Path("/dev/stdout").is_symlink()


def test_report_into_a_fifo_and_dev_null(workspace, tmp_path):
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    done = _report(workspace, "-o", str(fifo))
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert got and got[0].startswith(b"{") and fifo.is_fifo()
    assert _report(workspace, "-o", "/dev/null").returncode == 0
    assert Path("/dev/null").is_char_device()
