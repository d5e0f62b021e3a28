"""`change new` on a real terminal (a pty) asks for what is missing."""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.records.gitrepos import git, ok


def _read_until(fd: int, text: str, seen: bytearray, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text.encode() not in seen:
        assert time.monotonic() < deadline, (
            f"no prompt {text!r}; got {seen.decode(errors='replace')!r}"
        )
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break


def test_prompts_for_missing_fields_on_a_terminal(tmp_path):
    ok(tmp_path, "init", str(tmp_path / "ws"))
    ws = tmp_path / "ws"
    exe = shutil.which("changekit") or str(Path(sys.executable).parent / "changekit")
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [exe, "change", "new", "--title", "Resize /var on mail1", "--risk", "medium"],
        cwd=ws,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    seen = bytearray()
    try:
        for prompt, answer in [
            ("Type", "normal"),
            ("Category", "change"),
            ("Impact", ""),
            ("Hosts", "mail1, group:mail"),
            ("Description", "grow the LV"),
            ("Implementation", "lvextend -r -L +10G /dev/vg/var"),
            ("Rollback", ""),
            ("run on every host, step 1", "lvextend -r -L +10G /dev/vg/var"),
            ("step 2", ""),
            ("Rollback command, step 1", ""),
            ("fact 1", "dpkg:lvm2 present"),
            ("fact 2", ""),
            ("Window start", ""),
            ("outage", "n"),
        ]:
            _read_until(master, prompt, seen)
            seen.clear()
            os.write(master, answer.encode() + b"\r")
        _read_until(master, "Filed", seen)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    rid = seen.decode().split("Filed ", 1)[1].split()[0]
    data = json.loads(ok(ws, "change", "show", rid, "--format", "json").stdout)
    assert data["title"] == "Resize /var on mail1" and data["risk"] == "medium"
    assert data["type"] == "normal" and data["impact"] == "low"  # the default was taken
    assert data["hosts"] == ["mail1", "group:mail"]
    assert data["implementation"] == "lvextend -r -L +10G /dev/vg/var"
    assert "rollback" not in data and "window" not in data
    assert data["plan"] == {
        "steps": [{"name": "step 1", "run": "lvextend -r -L +10G /dev/vg/var"}],
        "verify": {"facts": ["dpkg:lvm2 present"]},
    }
    assert data["outage"] == {"expected": False}
    assert git(ws, "status", "--porcelain") == ""


def _terminal(ws: Path, *args: str) -> tuple[subprocess.Popen, int]:
    exe = shutil.which("changekit") or str(Path(sys.executable).parent / "changekit")
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [exe, "change", "new", *args],
        cwd=ws,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
        # a shell's background job ignores SIGINT and children inherit that; a terminal
        # user's changekit does not
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    os.close(slave)
    return proc, master


def test_prompts_for_the_window_and_the_outage(tmp_path):
    """QA #20: a prompted record gets a window (asked again after a wrong time) and an outage."""
    ok(tmp_path, "init", str(tmp_path / "ws"))
    ws = tmp_path / "ws"
    proc, master = _terminal(
        ws,
        "--title",
        "Reboot mail1",
        "--type",
        "normal",
        "--category",
        "change",
        "--risk",
        "low",
        "--impact",
        "low",
        "--host",
        "mail1",
        "--implementation",
        "reboot",
        "--rollback",
        "none",
    )
    seen = bytearray()
    try:
        for prompt, answer in [
            ("Description", ""),
            ("run on every host, step 1", ""),  # no runnable plan: free text for a person
            ("Window start", "2026-12-06 02:00"),
            ("Window end", "2026-12-06 01:00"),
            ("Time zone", "Europe/Berlin"),
            ("Window start", "2026-12-06 02:00"),  # the end was before the start: asked again
            ("Window end", "2026-12-06 03:00"),
            ("Time zone", "Europe/Berlin"),
            ("outage", "y"),
            ("minutes", "20"),
        ]:
            _read_until(master, prompt, seen)
            if prompt == "Window start" and b"before or when it starts" not in seen:
                assert answer == "2026-12-06 02:00"
            seen.clear()
            os.write(master, answer.encode() + b"\r")
        _read_until(master, "Filed", seen)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    rid = seen.decode().split("Filed ", 1)[1].split()[0]
    data = json.loads(ok(ws, "change", "show", rid, "--format", "json").stdout)
    assert data["window"]["start"] == "2026-12-06T02:00:00+01:00"
    assert data["window"]["end"] == "2026-12-06T03:00:00+01:00"
    assert data["window"]["timezone"] == "Europe/Berlin"
    assert data["outage"] == {"expected": True, "duration_minutes": 20}


def test_ctrl_c_at_a_prompt_exits_130_and_files_nothing(tmp_path):
    ok(tmp_path, "init", str(tmp_path / "ws"))
    ws = tmp_path / "ws"
    head = git(ws, "rev-parse", "HEAD")
    proc, master = _terminal(ws, "--title", "Reboot mail1")
    seen = bytearray()
    try:
        _read_until(master, "Type", seen)
        deadline = time.monotonic() + 30
        while b"interrupted" not in seen and proc.poll() is None:
            assert time.monotonic() < deadline, seen
            proc.send_signal(signal.SIGINT)  # what the terminal sends on Ctrl-C
            # a busy machine: the prompt may not be reading yet, so press Ctrl-C again
            with contextlib.suppress(AssertionError):
                _read_until(master, "interrupted", seen, timeout=1)
        assert proc.wait(timeout=60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert git(ws, "rev-parse", "HEAD") == head and git(ws, "status", "--porcelain") == ""


def test_prompted_hosts_are_checked_against_the_inventory(tmp_path):
    """QA #6: `Hosts: web01, group:nosuch` was accepted at the prompt."""
    ok(tmp_path, "init", str(tmp_path / "ws"))
    ws = tmp_path / "ws"
    (ws / "inventories" / "hosts.yaml").write_text(
        "hosts:\n  web01: {}\n  web02: {}\ngroups:\n  web:\n    hosts: [web01, web02]\n"
    )
    git(ws, "add", "inventories")
    git(ws, "commit", "-qm", "inventory")
    proc, master = _terminal(
        ws,
        "--title",
        "Reboot the web tier",
        "--type",
        "normal",
        "--category",
        "change",
        "--risk",
        "low",
        "--impact",
        "low",
        "--no-outage",
        "--implementation",
        "reboot",
        "--rollback",
        "none",
        "--description",
        "x",
    )
    seen = bytearray()
    try:
        _read_until(master, "Hosts", seen)
        seen.clear()
        os.write(master, b"web01, group:nosuch\r")
        _read_until(master, "Hosts", seen)
        text = seen.decode(errors="replace")
        assert "host selector 'group:nosuch' names no host" in text, text
        seen.clear()
        os.write(master, b"web01, group:web\r")
        _read_until(master, "run on every host, step 1", seen)
        os.write(master, b"\r")
        _read_until(master, "Window start", seen)
        os.write(master, b"\r")
        _read_until(master, "Filed", seen)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    rid = seen.decode().split("Filed ", 1)[1].split()[0]
    data = json.loads(ok(ws, "change", "show", rid, "--format", "json").stdout)
    assert data["hosts"] == ["web01", "group:web"]
