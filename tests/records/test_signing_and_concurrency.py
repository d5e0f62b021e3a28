"""Approvals are signed when the reviewer's git signs; parallel runs on one workspace queue up."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.needs import need_tools
from tests.records.gitrepos import clone, git, make_origin, new_record, ok, policy_with


def _need(tool: str) -> str:
    need_tools(tool)
    return shutil.which(tool)


def test_approval_commit_is_ssh_signed_by_the_reviewer(tmp_path):
    _need("ssh-keygen")
    origin = make_origin(tmp_path, policy_with(["bob@example.org"]))
    alice = clone(origin, tmp_path / "alice", "Alice", "alice@example.org")
    rid = new_record(alice)
    ok(alice, "change", "submit", rid, "--push")
    bob = clone(origin, tmp_path / "bob", "Bob", "bob@example.org")
    key = tmp_path / "bob_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bob", "-f", str(key)], check=True
    )
    signers = tmp_path / "allowed_signers"
    signers.write_text(f"bob@example.org {(tmp_path / 'bob_key.pub').read_text().strip()}\n")
    for k, v in {
        "gpg.format": "ssh",
        "user.signingkey": str(key),
        "commit.gpgsign": "true",
        "gpg.ssh.allowedSignersFile": str(signers),
    }.items():
        git(bob, "config", k, v)
    git(bob, "switch", "-q", f"change/{rid}")
    ok(bob, "change", "approve", rid, "--push")
    assert git(bob, "log", "-1", "--format=%G? %GS") == "G bob@example.org"
    done = subprocess.run(["git", "verify-commit", "HEAD"], cwd=bob, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert 'Good "git" signature for bob@example.org' in done.stderr


def test_parallel_runs_on_one_workspace_take_turns(tmp_path):
    ok(tmp_path, "init", str(tmp_path / "ws"))
    ws = tmp_path / "ws"
    exe = shutil.which("changekit") or str(Path(sys.executable).parent / "changekit")
    head = git(ws, "rev-parse", "HEAD")
    procs = [
        subprocess.Popen(
            [
                exe,
                "-C",
                str(ws),
                "change",
                "new",
                "--no-input",
                "--title",
                f"Parallel {i}",
                "--type",
                "normal",
                "--category",
                "add",
                "--risk",
                "low",
                "--impact",
                "low",
                "--host",
                f"h{i}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert all(code == 0 for _out, _err, code in results), results
    assert len(git(ws, "rev-list", f"{head}..HEAD").splitlines()) == 3
    for line in git(ws, "log", f"{head}..HEAD", "--format=%H").splitlines():
        assert (
            len(git(ws, "show", "--name-only", "--format=", line).splitlines()) == 1
        )  # one record each
    assert git(ws, "status", "--porcelain") == ""
    assert len(list((ws / "change_records").glob("CHG-*.yaml"))) == 3
