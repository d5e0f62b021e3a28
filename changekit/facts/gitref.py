"""Git plumbing for the facts ref: write a commit by streaming to ``git fast-import``, read
blobs through one ``git cat-file --batch``, and read history with one streamed ``git log``.

Nothing here touches the work tree or the index, and no path ever goes on a command line:
paths and contents travel on stdin, so a scan of 100,000 hosts stores like one of ten
(``git add`` with every path in argv stops at the kernel's argument limit).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import git

from changekit.errors import GitError

ZERO = "0" * 40
_RAW = re.compile(r"^:(\d{6}) (\d{6}) ([0-9a-f]{40}) ([0-9a-f]{40}) ([A-Z])\d*\t(.*)$")


def git_dir(repo: git.Repo) -> Path:
    return Path(repo.git_dir)


def _env() -> dict[str, str]:
    # one language for git's messages: errors are shown to people and parsed nowhere
    return {**os.environ, "LC_ALL": "C"}


def rev(repo: git.Repo, ref: str) -> str | None:
    """The commit ``ref`` points at, or ``None`` when it does not exist."""
    try:
        return repo.git.rev_parse("--verify", "-q", f"{ref}^{{commit}}").strip() or None
    except git.GitCommandError:
        return None


def ls_tree(repo: git.Repo, commit: str, folder: str) -> dict[str, str]:
    """``{file name: blob id}`` of the files directly in ``folder`` of ``commit``."""
    try:
        out = repo.git.ls_tree("-z", "--full-tree", commit, "--", folder + "/")
    except git.GitCommandError:
        return {}
    entries = {}
    for line in out.split("\0"):
        if not line:
            continue
        meta, _, path = line.partition("\t")
        kind, sha = meta.split()[1:3]
        if kind == "blob":
            entries[path.rpartition("/")[2]] = sha
    return entries


def read_blob(repo: git.Repo, name: str) -> bytes | None:
    """The bytes of object ``name`` (a blob id or ``commit:path``) through GitPython's
    persistent ``git cat-file --batch``; ``None`` when there is no such object."""
    try:
        _sha, kind, _size, data = repo.git.get_object_data(name)
    except ValueError:  # cat-file says "missing"
        return None
    return data if kind == b"blob" or kind == "blob" else None


@dataclass
class LogEntry:
    commit: str
    scan_id: str | None
    changes: list[tuple[str, str, str]]
    """``(status letter, blob id, path)`` of each file the commit changed."""


def log(repo: git.Repo, ref: str, paths: list[str], trailer: str) -> Generator[LogEntry]:
    """Commits of ``ref`` touching ``paths`` (folders or files), newest first, with the
    files each changed and its ``trailer`` value: one ``git log`` read as it streams, so a
    caller that has enough stops it early (``close()`` the iterator)."""
    cmd = [
        git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git",
        "--git-dir",
        str(git_dir(repo)),
        "-c",
        "core.quotePath=false",
        "log",
        f"--format=%x1e%H %(trailers:key={trailer},valueonly,separator=%x1f)",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        ref,
        "--",
        *paths,
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env()
    )
    assert proc.stdout is not None
    try:
        current: LogEntry | None = None
        for line in proc.stdout:
            line = line.rstrip("\n")
            if line.startswith("\x1e"):
                if current is not None:
                    yield current
                commit, _, value = line[1:].partition(" ")
                current = LogEntry(commit, value.split("\x1f")[0].strip() or None, [])
            elif current is not None and line.startswith(":"):
                m = _RAW.match(line)
                if m:
                    current.changes.append((m.group(5), m.group(4), m.group(6)))
        if current is not None:
            yield current
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()


class FastImport:
    """One commit on ``ref`` written through ``git fast-import``: blobs are streamed in as
    they come (``add``), the commit is written at the end (``commit``), when its message,
    which counts what was stored, is known. Until then the ref does not move: ``abort``
    (or any exception) leaves it as it was."""

    def __init__(self, repo: git.Repo) -> None:
        self.repo = repo
        self._marks = 0
        self._files: list[tuple[str, str]] = []
        self.proc = subprocess.Popen(
            [
                git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git",
                "--git-dir",
                str(git_dir(repo)),
                "fast-import",
                "--quiet",
                "--date-format=raw",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=_env(),
        )
        assert self.proc.stdin is not None
        self._in: IO[bytes] = self.proc.stdin

    def _data(self, data: bytes) -> None:
        self._in.write(b"data %d\n" % len(data))
        self._in.write(data)
        self._in.write(b"\n")

    def add(self, path: str, data: bytes) -> None:
        """Stage ``data`` as the new content of ``path`` (relative to the ref's tree)."""
        self._marks += 1
        self._in.write(b"blob\nmark :%d\n" % self._marks)
        self._data(data)
        self._files.append((path, f":{self._marks}"))

    def keep(self, path: str, blob: str) -> None:
        """Stage an existing blob (by id) as the content of ``path``."""
        self._files.append((path, blob))

    def delete(self, path: str) -> None:
        """Stage the removal of ``path``."""
        self._files.append((path, ""))

    def commit(
        self,
        ref: str,
        parent: str | None,
        message: str,
        committer: str,
        author: str | None = None,
    ) -> None:
        """Write the commit of the staged files on top of ``parent`` (``None``: a root
        commit). ``committer``/``author``: ``Name <email> epoch +zone``. Does not move
        ``ref`` until ``finish``."""
        w = self._in
        w.write(f"commit {ref}\n".encode())
        if author:
            w.write(f"author {author}\n".encode())
        w.write(f"committer {committer}\n".encode())
        self._data(message.encode())
        if parent:
            w.write(f"from {parent}\n".encode())
        for path, blob in self._files:
            w.write((f"M 100644 {blob} {path}\n" if blob else f"D {path}\n").encode())
        w.write(b"\n")
        self._files = []

    def reset(self, ref: str, to: str | None) -> None:
        """Start ``ref`` again from ``to`` (``None``: no parent) before the next commit."""
        self._in.write(f"reset {ref}\n".encode())
        if to:
            self._in.write(f"from {to}\n\n".encode())

    def finish(self) -> None:
        """Write the pack and move the ref(s); ``GitError`` when git refuses."""
        self._in.close()
        err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
        if self.proc.wait() != 0:
            raise GitError(
                "git fast-import failed: " + " ".join(err.split())[:500],
                hint="nothing was stored; fix the cause and run the command again",
            )

    def abort(self) -> None:
        """Stop without moving any ref (the objects written so far are garbage for gc)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
