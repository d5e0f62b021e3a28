"""The cron line in docs/notices.md, run as cron runs it (``sh -c``) against a real origin.

QA #23: with one channel down, what did go out must still be committed and pushed, or
another clone would send it again; cron must still see the failure."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.notices.servers import free_port
from tests.notices.workspace import RID, git, make_workspace, record

DOCS = Path(__file__).resolve().parents[2] / "docs" / "notices.md"


def cron_command() -> str:
    """The command of the documented crontab line (without its five schedule fields)."""
    (block,) = re.findall(r"```cron\n(.*?)```", DOCS.read_text(), flags=re.S)
    (line,) = [x for x in block.splitlines() if x.strip() and not x.startswith("#")]
    return line.split(None, 5)[5]


def test_the_documented_cron_line_pushes_what_was_sent_when_another_channel_failed(tmp_path):
    rec = record(
        window={
            "start": "2030-06-04T20:00:00+00:00",
            "end": "2030-06-04T21:00:00+00:00",
            "timezone": "UTC",
        }
    )
    # announced before: send-due retries the announcement on every channel that lacks it
    rec["announcement"] = {"announced_at": "2026-11-20T10:00:00+00:00"}
    settings = {
        "timezone": "UTC",
        "atom": {"path": "public/notices.atom"},
        "email": {"from": "ops@example.org", "host": "127.0.0.1", "port": free_port()},  # down
    }
    seed = make_workspace(tmp_path / "seed", settings, records=[rec])
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(origin)], check=True)
    ops = tmp_path / "ops"
    subprocess.run(["git", "clone", "-q", str(origin), str(ops)], check=True)
    git(ops, "config", "user.name", "Notices cron")
    git(ops, "config", "user.email", "cron@example.org")
    branch = git(ops, "branch", "--show-current").strip()

    command = cron_command().replace("cd /srv/changes", f"cd {shlex.quote(str(ops))}")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=env)

    assert run.returncode == 1, run.stdout + run.stderr  # cron sees that email failed
    assert "FAILED" in run.stderr and "email" in run.stderr
    assert f"sent    {RID}  announcement atom" in run.stdout
    pushed = git(origin, "log", "-1", "--format=%s", branch).strip()
    assert pushed == f"{RID}: sent 1 notice (announcement)"
    assert git(ops, "rev-parse", "HEAD") == git(origin, "rev-parse", branch)
