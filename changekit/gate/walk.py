"""Every commit that changed a record file, oldest first, from a cache that only ever grows.

The ledger (``changekit.gate.ledger``) replays each record's whole history, so it needs every
non-merge commit reachable from HEAD that touched ``change_records/``, hand edits included:
trailers are only hints. Diffing 40,000 commits against a folder of 10,000 files takes git
about 25 seconds, so what each commit did is kept in ``.git/changekit/``: a commit never
changes, and a warm run diffs only the commits it has not seen (a pull request's few).
"""

from __future__ import annotations

import contextlib
import marshal
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from changekit.fileio import atomic_write
from changekit.gate import history
from changekit.gate.history import Commit


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

    NAME = f"changekit/ledger-v7-py{sys.version_info[0]}{sys.version_info[1]}.marshal"
    """marshal: several times faster to read than JSON at 50,000 commits; per Python version.
    The version changes with what ``facts`` hold (v7: category, customer and team are substance)."""

    def __init__(self, root: Path) -> None:
        git_path = history.git(root, "rev-parse", "--git-path", self.NAME).decode().strip()
        self.path = root / git_path
        try:
            data = marshal.loads(self.path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        self.walked: set[str] = set(data.get("walked") or ())
        """Commits whose record changes are all in ``changes`` (most changed none)."""
        self.changes: dict[str, list[list]] = data.get("changes") or {}
        """Commit -> [[path, old blob, new blob], ...]."""
        self.facts: dict[str, dict] = data.get("facts") or {}
        """``commit:path`` -> what that commit did to that record (``ledger.facts_of``)."""
        self.head: str | None = data.get("head")
        self.commits: list[tuple] = data.get("commits") or []
        """The non-merge commits reachable from ``head``, oldest first, as tuples."""
        self.dirty = False

    def save(self) -> None:
        if not self.dirty:
            return
        data = {
            "walked": sorted(self.walked),
            "changes": self.changes,
            "facts": self.facts,
            "head": self.head,
            "commits": self.commits,
        }
        with contextlib.suppress(OSError, ValueError):  # read-only: still checks, just slower
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, marshal.dumps(data))


def reachable_cached(root: Path, cache: Cache) -> list[Commit]:
    """``reachable`` for every record, listing only the commits since the cached HEAD.

    Commits reachable from HEAD but not from the cached head all come after the cached ones
    in some topological order (none is a parent of an old one), so appending them keeps
    parents before children. A HEAD that does not descend from the cached one (a reset, a
    force-push) is listed in full."""
    head = (
        history.git(root, "rev-parse", "--verify", "--quiet", "HEAD", check=False).decode().strip()
    )
    old = cache.head
    if old and head and old != head and _descends(root, old, head):
        new, _hints = reachable(root, since=old)
        cache.commits = [*cache.commits, *(_row(c) for c in new)]
    elif not old or old != head:
        commits, _hints = reachable(root)
        cache.commits = [_row(c) for c in commits]
    if cache.head != head:
        cache.head = head
        cache.dirty = True
    return [Commit(*c) for c in cache.commits]


def _descends(root: Path, old: str, head: str) -> bool:
    done = subprocess.run(
        ["git", "-C", str(root), "merge-base", "--is-ancestor", old, head], capture_output=True
    )
    return done.returncode == 0


def _row(c: Commit) -> tuple:
    return (c.sha, c.author_name, c.author_email, c.committer_email, c.date)


GREP_AT_MOST = 200
"""Up to this many records, ``reachable`` asks git for only the commits that name them."""


def reachable(
    root: Path, ids: list[str] | None = None, since: str | None = None
) -> tuple[list[Commit], dict[str, set[str]]]:
    """The non-merge commits reachable from HEAD, oldest first (parents before children), and
    for each record id the commits whose ``Changekit-Record`` trailer names it (a hint only).
    With ``ids``, only commits whose message names one of them (git filters, Python parses
    less)."""
    grep = []
    if ids is not None and len(ids) <= GREP_AT_MOST:
        grep = ["--fixed-strings", *(f"--grep={history.RECORD_TRAILER}: {i}" for i in ids)]
        if not ids:
            return [], {}
    revs = ["HEAD", f"^{since}"] if since else []
    out = history.git(
        root, "log", "-z", "--no-merges", "--topo-order", "--reverse", *grep, *revs,
        "--format=%H%x00%an%x00%ae%x00%ce%x00%cI"
        f"%x00%(trailers:key={history.RECORD_TRAILER},valueonly,separator=%x1d)%x00",
    )  # fmt: skip
    commits = []
    hints: dict[str, set[str]] = defaultdict(set)
    # NUL between fields and (with -z) after each commit: no name, email or trailer can hold
    # one, whatever control characters an author puts in them
    fields = out.decode("utf-8", "replace").split("\0")
    for i in range(0, len(fields) - 6, 7):
        sha, an, ae, ce, date, ids = fields[i : i + 6]
        commits.append(Commit(sha, an, ae.strip().lower(), ce.strip().lower(), date))
        for rid in ids.split("\x1d"):
            if rid.strip():
                hints[rid.strip()].add(sha)
    return commits, hints


def events(
    root: Path,
    cache: Cache | None,
    folder: str,
    paths: set[str] | None = None,
    *,
    since: str | None = None,
) -> dict[str, list[Event]]:
    """Path -> the commits that changed it, oldest first; ``paths`` None means every record.

    With ``paths`` (a pull request's few records) the commits their trailers name are diffed
    and their chain of custody checked (``_hinted``), which needs neither the cache nor a diff
    of every commit; without, every commit not yet in the cache is diffed once."""
    if paths is not None or cache is None:
        wanted = sorted(paths or ())
        commits, hints = reachable(root, [PurePosixPath(p).stem for p in wanted])
        return _hinted(root, commits, hints, wanted, folder, since)
    commits = reachable_cached(root, cache)
    todo = [c.sha for c in commits if c.sha not in cache.walked]
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


def _hinted(
    root: Path,
    commits: list[Commit],
    hints: dict[str, set[str]],
    paths: list[str],
    folder: str,
    since: str | None = None,
) -> dict[str, list[Event]]:
    """A few records' events without diffing every commit: diff only the commits whose trailer
    names them, then check the chain of custody. Each event's blob before must be the blob
    after the one before it, the first must create the file and the last must leave the blob
    HEAD has; a commit without the trailer that changed the file (a hand edit) breaks the
    chain, and that record's own file history is walked instead, so no commit is missed."""
    by_sha = {c.sha: (i, c) for i, c in enumerate(commits)}
    ids = {PurePosixPath(p).stem: p for p in paths}
    shas = sorted({sha for rid in ids for sha in hints.get(rid, ()) if sha in by_sha})
    found: dict[str, list[tuple[int, Event]]] = defaultdict(list)
    wanted = set(paths)
    for sha, path, old, new in history.changed_blobs(root, shas, folder=folder):
        if path in wanted:
            i, commit = by_sha[sha]
            found[path].append((i, Event(commit, path, old, new)))
    heads = _blobs_at_head(root, paths)
    unhinted = _touched_without_trailer(root, since, paths, hints) if since else set()
    out: dict[str, list[Event]] = {}
    for path in paths:
        chain = [e for _i, e in sorted(found.get(path, ()), key=lambda pair: pair[0])]
        if path not in unhinted and _unbroken(chain, heads.get(path)):
            out[path] = chain
        else:
            out.update(_path_limited(root, [path]))  # one path per walk: git is quick at that
    return out


def _touched_without_trailer(
    root: Path, since: str, paths: list[str], hints: dict[str, set[str]]
) -> set[str]:
    """The paths a commit after ``since`` changed without a trailer naming the record: even
    an edit undone before the next changekit commit (which leaves the chain whole) happened."""
    out = history.git(
        root, "log", "--no-merges", "--full-history", "--format=%x1e%H", "--name-only", "-z",
        f"{since}..HEAD", "--", *(f":(top){p}" for p in paths), check=False,
    )  # fmt: skip
    by_path = {p: PurePosixPath(p).stem for p in paths}
    touched = set()
    for chunk in out.split(b"\x1e")[1:]:
        sha, _, names = chunk.partition(b"\n")
        sha_s = sha.decode().strip("\0\n ")
        for name in names.split(b"\0"):
            path = name.decode("utf-8", "replace").strip("\n")
            if path in by_path and sha_s not in hints.get(by_path[path], ()):
                touched.add(path)
    return touched


def _unbroken(chain: list[Event], head: str | None) -> bool:
    if not chain or chain[0].old is not None or chain[-1].new != head:
        return False
    return all(a.new == b.old for a, b in zip(chain, chain[1:], strict=False))


def _blobs_at_head(root: Path, paths: list[str]) -> dict[str, str]:
    """Path -> its blob at HEAD (``HEAD:path`` names a path from the top of the repository)."""
    query = "".join(f"HEAD:{p}\n" for p in paths).encode()
    out = history.git(root, "cat-file", "--batch-check=%(objectname)", input=query, check=False)
    blobs = {}
    for path, line in zip(paths, out.decode().splitlines(), strict=False):
        if not line.endswith("missing") and len(line) == 40:
            blobs[path] = line
    return blobs


def _path_limited(root: Path, paths: list[str]) -> dict[str, list[Event]]:
    if not paths:
        return {}
    by_path = history.file_history(root, paths=paths)
    return {
        path: [Event(c.commit, path, c.old_blob, c.new_blob) for c in reversed(changes)]
        for path, changes in by_path.items()
    }
