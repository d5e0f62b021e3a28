"""Real git repositories for tests: a bare origin, and clones with their own identities."""

from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner, Result

from changekit.cli import get_cli


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def ck(cwd: Path, *args: str, input: str | None = None) -> Result:
    """Run changekit in-process on the workspace at ``cwd`` (via -C)."""
    return CliRunner().invoke(
        get_cli(), ["-C", str(cwd), *args], input=input, catch_exceptions=False
    )


def ok(cwd: Path, *args: str) -> Result:
    result = ck(cwd, *args)
    assert result.exit_code == 0, (args, result.output, result.stderr)
    return result


def set_identity(repo: Path, name: str, email: str) -> None:
    git(repo, "config", "user.name", name)
    git(repo, "config", "user.email", email)


def make_origin(tmp: Path, policy: str | None = None) -> Path:
    """A bare ``origin`` holding a fresh workspace (optionally with the given changekit.yaml)."""
    origin = tmp / "origin.git"
    git(tmp, "init", "-q", "--bare", "-b", "main", str(origin))
    seed = tmp / "seed"
    ok(tmp, "init", str(seed))
    if policy is not None:
        (seed / "changekit.yaml").write_text(policy)
        git(seed, "commit", "-q", "-am", "Team policy")
    git(seed, "remote", "add", "origin", str(origin))
    git(seed, "push", "-q", "-u", "origin", "main")
    return origin


def clone(origin: Path, where: Path, name: str, email: str) -> Path:
    git(where.parent, "clone", "-q", str(origin), str(where))
    set_identity(where, name, email)
    return where


def new_record(ws: Path, *extra: str, title: str = "Upgrade nginx on the web tier") -> str:
    """File a normal change and return its id."""
    result = ok(
        ws,
        "change",
        "new",
        "--no-input",
        "--format",
        "json",
        "--title",
        title,
        "--type",
        "normal",
        "--category",
        "change",
        "--risk",
        "low",
        "--impact",
        "low",
        "--host",
        "web1",
        *extra,
    )
    import json

    return json.loads(result.stdout)["id"]


def policy_with(approvers: list[str], standard: list[str] | None = None, extra: str = "") -> str:
    members = "\n".join(f"      - {e}" for e in approvers)
    std = ", ".join(standard or [])
    return (
        "version: 1\n"
        f"groups:\n  approvers:\n    members:\n{members}\n"
        # the people who carry out changes others filed (the gate proves who took each step)
        "  operators:\n    members: [alice@example.org, carol@example.org]\n"
        "approvals:\n  rules:\n    - when: {risk: [high]}\n      require: [{count: 2, from: [approvers]}]\n"
        "    - require: [{count: 1, from: [approvers]}]\n"
        f"  standard_templates: [{std}]\n  emergency_within: 24h\n"
        "lead_time: 0h\n" + extra
    )


def kill_submit_mid_commit(
    ws: Path, rid: str, *, hook_seconds: int = 60, group: bool = True
) -> None:
    """Run ``change submit`` in a process of its own, hang its commit in a pre-commit hook
    (for ``hook_seconds``) once the new record is written, then kill it: with its git children,
    as a crash would, or (``group=False``) changekit alone, leaving its commit to land."""
    import os
    import shutil
    import signal
    import sys
    import time

    path = ws / "change_records" / f"{rid}.yaml"
    before = path.read_bytes()
    hook = ws / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\nsleep {hook_seconds}\n")
    hook.chmod(0o755)
    exe = shutil.which("changekit") or str(Path(sys.executable).parent / "changekit")
    proc = subprocess.Popen(
        [exe, "-C", str(ws), "change", "submit", rid],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while path.read_bytes() == before:
            assert time.monotonic() < deadline, "changekit never wrote the record"
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        (os.killpg if group else os.kill)(proc.pid, signal.SIGKILL)
        proc.wait()
    if group:
        hook.unlink()
