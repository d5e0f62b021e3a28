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
import weakref
from collections.abc import Generator, Iterable
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


def ls_tree(
    repo: git.Repo, commit: str, folder: str, kind: str = "blob", recursive: bool = False
) -> dict[str, str]:
    """``{name: object id}`` of the entries of ``kind`` (``blob``, ``tree``) directly in
    ``folder`` of ``commit``; with ``recursive``, of every blob below it, by path."""
    try:
        args = ["-z", "--full-tree", *(["-r"] if recursive else []), commit, "--", folder + "/"]
        out = repo.git.ls_tree(*args)
    except git.GitCommandError:
        return {}
    entries = {}
    for line in out.split("\0"):
        if not line:
            continue
        meta, _, path = line.partition("\t")
        found, sha = meta.split()[1:3]
        if found == kind:
            entries[path if recursive else path.rpartition("/")[2]] = sha
    return entries


def blob_ids(repo: git.Repo, commit: str, folder: str) -> set[str]:
    """The ids of every blob below ``folder`` of ``commit``."""
    try:
        out = repo.git.ls_tree("-r", "--full-tree", commit, "--", folder + "/")
    except git.GitCommandError:
        return set()
    # "<mode> blob <id>\t<path>": the id is the third field of each line
    return {line.split(None, 3)[2] for line in out.splitlines() if line}


def object_format(repo: git.Repo) -> str:
    """The repository's hash (``sha1``, or ``sha256`` for ``--object-format=sha256``)."""
    try:
        return repo.git.rev_parse("--show-object-format").strip() or "sha1"
    except git.GitCommandError:
        return "sha1"


class Objects:
    """Many objects read through one ``git cat-file --batch`` of our own, pipelined: the
    names of a chunk are written at once and the answers read after, instead of one round
    trip per object (drift reads hundreds of thousands of small snapshot files)."""

    CHUNK = 1000
    """Names per write: 1,000 names of at most ~80 bytes fit in the pipe's 64 KiB buffer, so
    writing a chunk never waits for git, which may be blocked writing answers we have not
    read yet."""

    def __init__(self, repo: git.Repo) -> None:
        self.repo = repo
        self._proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git", "--git-dir", str(git_dir(self.repo)),
                 "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=_env(),
            )  # fmt: skip
            weakref.finalize(self, _stop, self._proc)
        return self._proc

    def read(self, names: Iterable[str]) -> Generator[tuple[str, bytes | None]]:
        """``(name, blob bytes)`` for each name (a blob id or ``commit:path``) in order;
        ``None`` for a name that is missing or not a blob."""
        names = list(names)
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        out = proc.stdout
        done = False
        try:
            for at in range(0, len(names), self.CHUNK):
                chunk = names[at : at + self.CHUNK]
                proc.stdin.write("".join(n + "\n" for n in chunk).encode())
                proc.stdin.flush()
                for name in chunk:
                    header = out.readline().split()
                    if len(header) != 3:  # "<name> missing", "<name> ambiguous"
                        yield name, None
                        continue
                    data = out.read(int(header[2]))
                    out.read(1)  # the newline after the contents
                    yield name, data if header[1] == b"blob" else None
            done = True
        finally:
            if not done:  # answers we did not read would be taken for the next ones
                self.close()

    def close(self) -> None:
        if self._proc is not None:
            _stop(self._proc)
            self._proc = None


def _stop(proc: subprocess.Popen[bytes]) -> None:
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


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
        self._files.append((path, self.blob(data)))

    def blob(self, data: bytes) -> str:
        """Write a blob of ``data`` now; what ``keep`` takes to name it (``:mark``)."""
        self._marks += 1
        self._in.write(b"blob\nmark :%d\n" % self._marks)
        self._data(data)
        return f":{self._marks}"

    def keep(self, path: str, blob: str) -> None:
        """Stage an existing blob (by id, or a ``:mark`` from ``blob``) as ``path``."""
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
