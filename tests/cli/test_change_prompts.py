"""`change new` on a real terminal (a pty) asks for what is missing."""

from __future__ import annotations

import json
import os
import select
import shutil
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
    assert "rollback" not in data
    assert git(ws, "status", "--porcelain") == ""
