"""A real team around a real remote: a bare ``origin``, the requester's clone and reviewers' clones,
each with its own git identity (and, for signing tests, its own SSH signing key)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from changekit.cli import get_cli
from tests.needs import need_tools

POLICY = """\
version: 1
groups:
  ops:
    handle: "@acme/ops"
    members:
      - {email: alice@example.org, handle: "@alice"}
      - {email: bob@example.org, handle: "@bob"}
approvals:
  rules:
    - when: {risk: [high]}
      require: [{count: 2, from: [ops]}]
    - require: [{count: 1, from: [ops]}]
  emergency_within: 24h
"""

WINDOW = ("--start", "2030-06-02 02:00", "--end", "2030-06-02 03:00", "--tz", "Europe/Berlin")


def need(tool: str) -> None:
    """A missing tool fails under CI (never a silent skip there); locally it skips."""
    need_tools(tool)


@dataclass
class Clone:
    path: Path
    name: str
    email: str

    def git(self, *args: str, env: dict | None = None) -> str:
        proc = subprocess.run(
            ["git", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
        )
        assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
        return proc.stdout.strip()

    def ck(self, *args: str, code: int | None = 0, env: dict | None = None):
        """Run changekit in-process in this clone; assert the exit code (None: any)."""
        result = CliRunner().invoke(
            get_cli(), ["-C", str(self.path), *args], catch_exceptions=False, env=env
        )
        if code is not None:
            assert result.exit_code == code, (
                f"changekit {' '.join(args)} -> {result.exit_code}\n{result.output}"
            )
        return result

    def check(self, *args: str, code: int | None = None) -> dict:
        result = self.ck("check", "--format", "json", *args, code=code)
        return json.loads(result.stdout)

    def new(
        self,
        title: str = "Upgrade the kernel",
        *extra: str,
        window: tuple = WINDOW,
        hosts: tuple = ("web1",),
    ) -> str:
        out = self.ck(
            "change", "new", "--no-input", "--format", "json", "--title", title, "--type", "normal",
            "--category", "change", "--risk", "low", "--impact", "low",
            *(arg for host in hosts for arg in ("--host", host)),
            "--implementation", "apt-get upgrade", "--rollback", "boot the previous kernel", *window, *extra,
        )  # fmt: skip
        return json.loads(out.stdout)["id"]

    def record_path(self, rid: str) -> Path:
        return self.path / "change_records" / f"{rid}.yaml"

    def sign_with(self, key: Path) -> None:
        self.git("config", "gpg.format", "ssh")
        self.git("config", "user.signingkey", str(key))
        self.git("config", "commit.gpgsign", "true")


class Team:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.origin = root / "origin.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.origin)], check=True)
        self.rita = self.clone("rita", "Rita Requester", "rita@example.org")
        self.rita.ck("init", str(self.rita.path))
        (self.rita.path / "changekit.yaml").write_text(POLICY)
        self.rita.git("add", "changekit.yaml")
        self.rita.git("commit", "-q", "-m", "Team policy")
        self.rita.git("push", "-q", "origin", "HEAD:main")
        self.alice = self.clone("alice", "Alice Approver", "alice@example.org")
        self.bob = self.clone("bob", "Bob Approver", "bob@example.org")
        self.mallory = self.clone("mallory", "Mallory", "mallory@example.org")

    def clone(self, who: str, name: str, email: str) -> Clone:
        path = self.root / who
        if any(self.origin.glob("refs/heads/*")) or (self.origin / "packed-refs").exists():
            subprocess.run(["git", "clone", "-q", str(self.origin), str(path)], check=True)
        else:
            path.mkdir()
            subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
            subprocess.run(
                ["git", "remote", "add", "origin", str(self.origin)], cwd=path, check=True
            )
        c = Clone(path, name, email)
        c.git("config", "user.name", name)
        c.git("config", "user.email", email)
        return c

    def ci(self, ref: str = "main") -> Clone:
        """A fresh full clone checked out at ``ref``, as a CI job would have it."""
        n = len(list(self.root.glob("ci*")))
        c = self.clone(f"ci{n}", "CI", "ci@example.org")
        c.git("checkout", "-q", "--detach", f"origin/{ref}")
        return c

    def approve_on_branch(self, reviewer: Clone, rid: str, *extra: str) -> None:
        reviewer.git("fetch", "-q", "origin")
        reviewer.git("checkout", "-q", "-B", f"change/{rid}", f"origin/change/{rid}")
        reviewer.ck("change", "approve", rid, "--push", *extra)

    def merge(self, rid: str) -> None:
        """Merge the change branch into main with a merge commit, as a forge's merge button does."""
        self.rita.git("fetch", "-q", "origin")
        self.rita.git("checkout", "-q", "main")
        self.rita.git("reset", "-q", "--keep", "origin/main")
        self.rita.git("merge", "-q", "--no-ff", "-m", f"Merge change/{rid}", f"origin/change/{rid}")
        self.rita.git("push", "-q", "origin", "main")


@contextlib.contextmanager
def team_home(factory: pytest.TempPathFactory) -> Iterator[pytest.MonkeyPatch]:
    """A HOME and git configuration of its own, for a team built once per module (a
    module-scoped fixture cannot use ``monkeypatch``); yields the patch, undone after."""
    mp = pytest.MonkeyPatch()
    home = factory.mktemp("home")
    mp.setenv("HOME", str(home))
    mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
    mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    mp.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    try:
        yield mp
    finally:
        mp.undo()


@pytest.fixture
def team(tmp_path: Path) -> Team:
    return Team(tmp_path)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    """An ed25519 SSH key per person."""
    need("ssh-keygen")
    out = {}
    for who in ("alice", "bob", "mallory"):
        key = tmp_path / "keys" / who
        key.parent.mkdir(exist_ok=True)
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(key)], check=True
        )
        out[who] = key
    return out
