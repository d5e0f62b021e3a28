"""One mutation = file writes + one git commit, all or nothing, even if the process is killed.

Before touching a file, the old contents and HEAD go to a journal in
``.changekit/``. If the commit fails, the files are put back at once. If the
process is killed, the next changekit run finds the journal: when HEAD did not
move, the commit never happened and the files are put back; when it did, the
commit is complete and the journal is just removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import git

from changekit import gitops
from changekit.errors import LockedError
from changekit.fileio import atomic_write
from changekit.workspace import Workspace

JOURNAL = "journal.json"
GIT_WAIT_SECONDS = 120.0


def warn(note: str) -> None:
    print(f"note: {note}", file=sys.stderr)


class Transaction:
    def __init__(self, ws: Workspace, repo: git.Repo) -> None:
        self.ws = ws
        self.repo = repo
        self.head = gitops.head(repo)
        self.old: dict[str, str | None] = {}
        self.committed: str | None = None

    @property
    def journal(self) -> Path:
        return self.ws.state_dir / JOURNAL

    def write(self, path: Path, text: str) -> None:
        """Write ``text`` to ``path`` atomically, remembering what was there first."""
        key = str(path.resolve())
        if key not in self.old:
            self.old[key] = path.read_text(encoding="utf-8") if path.exists() else None
            atomic_write(self.journal, json.dumps({"head": self.head, "files": self.old}))
        atomic_write(path, text)

    def commit(self, subject: str, trailers: dict[str, str], body: str | None = None) -> str:
        self.committed = gitops.commit_paths(
            self.repo, [Path(p) for p in self.old], subject, trailers, body
        )
        self.journal.unlink(missing_ok=True)
        return self.committed

    def rollback(self) -> None:
        restore(self.repo, self.old)
        self.journal.unlink(missing_ok=True)


def restore(repo: git.Repo, old: dict[str, str | None]) -> None:
    for name, text in old.items():
        path = Path(name)
        if text is None:
            path.unlink(missing_ok=True)
        else:
            atomic_write(path, text)
    if old:
        gitops.unstage(repo, list(old))


def _git_processes(top: Path) -> list[int]:
    """Live ``git commit`` processes working in ``top`` (Linux /proc; empty elsewhere)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            # only a commit: GitPython keeps `git cat-file --batch` helpers alive in here
            if Path(argv[0].decode()).name != "git" or b"commit" not in argv:
                continue
            if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            cwd = Path(os.readlink(proc / "cwd"))
        except (OSError, IndexError, UnicodeDecodeError):
            continue
        if cwd == top or top in cwd.parents:
            found.append(int(proc.name))
    return found


def _wait_for_git(repo: git.Repo, index_lock: Path) -> None:
    """Wait while a git process still holds the index lock in this repository."""
    top = Path(str(repo.working_tree_dir)).resolve()
    deadline = time.monotonic() + GIT_WAIT_SECONDS
    told = False
    while index_lock.exists() and _git_processes(top):
        if time.monotonic() > deadline:
            raise LockedError(
                "a git command from an interrupted changekit run is still running here",
                path=str(index_lock),
                hint="wait for it to finish (or end it), then run the command again",
            )
        if not told:
            warn("waiting for the git commit of an interrupted changekit run to finish")
            told = True
        time.sleep(0.2)


def _read_journal(ws: Workspace, journal: Path) -> tuple[str | None, dict[str, str | None]] | None:
    """(HEAD, files) from the journal; ``None`` when it is not one this version wrote."""
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files", {}), dict):
        return None
    head, files = data.get("head"), data.get("files") or {}
    if head is not None and not isinstance(head, str):
        return None
    root = ws.root.resolve()
    for name, text in files.items():
        # only files of this workspace, outside .changekit/ and .git/: nothing else is ours to undo
        inside = Path(name).is_absolute() and root in Path(name).parents
        parts = Path(name).relative_to(root).parts if inside else ()
        if not inside or parts[0] in (".git", ".changekit") or not isinstance(text, str | None):
            return None
    return head, files


def _set_aside(journal: Path) -> str:
    kept = journal.with_name(f"{journal.name}.broken-{int(time.time())}")
    os.replace(journal, kept)
    return (
        f"an interrupted changekit run left a journal that cannot be read; it was moved to "
        f"{kept.name} in .changekit/ (check `git status` for half-written files)"
    )


def recover(ws: Workspace, repo: git.Repo) -> str | None:
    """Finish what a killed run left behind; returns a note for the user, or ``None``."""
    journal = ws.root / ".changekit" / JOURNAL
    try:
        started = journal.stat().st_mtime
    except FileNotFoundError:
        return None
    read = _read_journal(ws, journal)
    if read is None:
        if journal.stat().st_size == 0:  # torn before anything was written: nothing to undo
            journal.unlink(missing_ok=True)
            return None
        return _set_aside(journal)
    head, files = read
    # when only changekit was killed, its `git commit` child may still be running (a slow
    # hook): wait for it, or HEAD would look unmoved and we would undo a commit that lands
    index_lock = Path(repo.git_dir) / "index.lock"
    _wait_for_git(repo, index_lock)
    # a `git commit` killed together with us leaves its index.lock behind; one created
    # after our journal is ours (we hold the workspace lock), an older one is not touched
    with contextlib.suppress(FileNotFoundError):
        if index_lock.stat().st_mtime >= started:
            index_lock.unlink()
    note = None
    if gitops.head(repo) == head:
        restore(repo, files)
        note = "an interrupted changekit run was undone: " + ", ".join(ws.relpath(p) for p in files)
    elif files:
        note = "an interrupted changekit run had committed; its journal was removed"
    journal.unlink(missing_ok=True)
    return note


def recover_now(ws: Workspace, repo: git.Repo) -> str | None:
    """``recover`` for read-only commands: only when a journal exists, under the lock."""
    if not (ws.root / ".changekit" / JOURNAL).exists():
        return None
    with ws.lock():
        return recover(ws, repo)


@contextlib.contextmanager
def mutation(ws: Workspace, repo: git.Repo) -> Iterator[Transaction]:
    """Hold the workspace lock for one all-or-nothing change."""
    with ws.lock():
        note = recover(ws, repo)
        if note:
            warn(note)
        txn = Transaction(ws, repo)
        try:
            yield txn
        except BaseException:
            if txn.committed is None:
                txn.rollback()
            raise
        if txn.committed is None and txn.old:
            txn.rollback()
