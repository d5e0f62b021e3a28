"""Every commit that changed a record file, oldest first, from a cache that only ever grows.

The ledger (``changekit.gate.ledger``) replays each record's whole history, so it needs every
non-merge commit reachable from HEAD that touched ``change_records/``, hand edits included:
trailers are only hints. Diffing 40,000 commits against a folder of 10,000 files takes git
about 25 seconds, so what each commit did is kept in ``.git/changekit/``: a commit never
changes, and a warm run diffs only the commits it has not seen (a pull request's few).
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from changekit.fileio import atomic_write
from changekit.gate import history
from changekit.gate.history import Commit

PATH_LIMITED_ABOVE = 2000
"""With this many commits not yet diffed and only a few records wanted (``--base``), walk
those records' own history instead of diffing every commit once."""


@dataclass(frozen=True)
class Event:
    commit: Commit
    path: str
    old: str | None
    """The blob before (None: the commit created the file)."""
    new: str | None
    """The blob after (None: the commit deleted it)."""


class Cache:
    """Facts about commits, in ``.git/changekit/`` where no commit can plant a file."""

    NAME = "changekit/ledger-v1.json"

    def __init__(self, root: Path) -> None:
        git_path = history.git(root, "rev-parse", "--git-path", self.NAME).decode().strip()
        self.path = root / git_path
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        self.walked: set[str] = set(data.get("walked") or ())
        """Commits whose record changes are all in ``changes`` (most changed none)."""
        self.changes: dict[str, list[list]] = data.get("changes") or {}
        """Commit -> [[path, old blob, new blob], ...]."""
        self.facts: dict[str, dict] = data.get("facts") or {}
        """``commit:path`` -> what that commit did to that record (``ledger.facts_of``)."""
        self.dirty = False

    def save(self) -> None:
        if not self.dirty:
            return
        data = {"walked": sorted(self.walked), "changes": self.changes, "facts": self.facts}
        with contextlib.suppress(OSError):  # a read-only checkout still checks, just slower
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, json.dumps(data, separators=(",", ":")))


def reachable(root: Path) -> list[Commit]:
    """The non-merge commits reachable from HEAD, oldest first (parents before children)."""
    out = history.git(
        root, "log", "--no-merges", "--topo-order", "--reverse",
        "--format=%x1e%H%x1f%an%x1f%ae%x1f%ce%x1f%cI",
    )  # fmt: skip
    commits = []
    for chunk in out.split(b"\x1e")[1:]:
        sha, an, ae, ce, date = chunk.decode("utf-8", "replace").rstrip("\n").split("\x1f")
        commits.append(Commit(sha, an, ae.strip().lower(), ce.strip().lower(), date))
    return commits


def events(
    root: Path, cache: Cache, folder: str, paths: set[str] | None = None
) -> dict[str, list[Event]]:
    """Path -> the commits that changed it, oldest first; ``paths`` None means every record."""
    commits = reachable(root)
    todo = [c.sha for c in commits if c.sha not in cache.walked]
    if paths is not None and len(todo) > PATH_LIMITED_ABOVE:
        return _path_limited(root, sorted(paths))
    if todo:
        found: dict[str, list[list]] = defaultdict(list)
        for sha, path, old, new in history.changed_blobs(root, todo, folder=folder):
            found[sha].append([path, old, new])
        cache.changes.update(found)
        cache.walked.update(todo)
        cache.dirty = True
    out: dict[str, list[Event]] = defaultdict(list)
    for commit in commits:
        for path, old, new in cache.changes.get(commit.sha, ()):
            if paths is None or path in paths:
                out[path].append(Event(commit, path, old, new))
    return out


def _path_limited(root: Path, paths: list[str]) -> dict[str, list[Event]]:
    if not paths:
        return {}
    by_path = history.file_history(root, paths=paths)
    return {
        path: [Event(c.commit, path, c.old_blob, c.new_blob) for c in reversed(changes)]
        for path, changes in by_path.items()
    }
