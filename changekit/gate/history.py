"""Read the history of ``change_records/`` in bulk: one ``git log`` and one ``git cat-file`` process.

Walking history per file (GitPython's ``iter_commits(paths=...)``) costs one git process per
record; for 10,000 records that is minutes. One ``git log --raw`` gives, for every commit that
touched a record, its author, committer and the blob before and after, for all files at once.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from changekit.errors import GitError

NULL_SHA = "0" * 40


@dataclass(frozen=True)
class Commit:
    sha: str
    author_name: str
    author_email: str
    committer_email: str
    date: str


@dataclass(frozen=True)
class FileChange:
    commit: Commit
    old_blob: str | None
    new_blob: str | None
    """None when the commit deleted the file."""


def git(root: Path, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
    proc = subprocess.run(["git", "-C", str(root), *args], input=input, capture_output=True)
    if check and proc.returncode != 0:
        raise GitError(
            f"git {args[0]} failed: {proc.stderr.decode(errors='replace').strip()}",
            path=str(root),
            hint="is this a git repository with its full history? (CI: fetch-depth: 0)",
        )
    return proc.stdout


RECORD_TRAILER = "Changekit-Record"
"""The trailer changekit's own commits carry (``changekit.gitops.TRAILER_RECORD``)."""


def file_history(
    root: Path, folder: str = "change_records", paths: list[str] | None = None
) -> dict[str, list[FileChange]]:
    """For each path under ``folder``, the non-merge commits that changed it, newest first.

    Merge commits carry no diff here on purpose: an approval must come from a commit of its
    own, made by the approver, not appear in a merge resolution. ``--full-history``: a branch
    a merge threw away (``merge -s ours`` over a rejection) still happened. Paths are from
    the top of the repository (``:(top)``), wherever the workspace sits in it.
    """
    spec = [f":(top){p}" for p in (paths or [f"{folder}/"])]
    out = git(
        root, "log", "--topo-order", "--full-history", "--raw", "--no-abbrev", "-z",
        "--no-renames", "--no-merges", "--format=%x1e%H", "--", *spec,
    )  # fmt: skip
    found: list[tuple[str, str, str | None, str | None]] = []
    for chunk in out.split(b"\x1e")[1:]:
        sha, _, rest = chunk.partition(b"\0")
        fields = rest.lstrip(b"\n").split(b"\0")
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            if not meta.startswith(b":"):
                continue
            parts = meta.decode().split()
            old, new = parts[2], parts[3]
            found.append(
                (sha.decode().strip(), path.decode("utf-8", "replace"),
                 None if old == NULL_SHA else old, None if new == NULL_SHA else new)
            )  # fmt: skip
    meta_of = commits_of(root, list(dict.fromkeys(sha for sha, *_ in found)))
    changes: dict[str, list[FileChange]] = defaultdict(list)
    for sha, path, old, new in found:
        changes[path].append(FileChange(meta_of[sha], old, new))
    return changes


def commits_of(root: Path, shas: list[str]) -> dict[str, Commit]:
    """Who made each commit and when, NUL-separated: names and emails may hold anything else."""
    if not shas:
        return {}
    out = git(
        root, "log", "-z", "--no-walk=unsorted", "--stdin",
        "--format=%H%x00%an%x00%ae%x00%ce%x00%cI%x00",
        input="\n".join(shas).encode() + b"\n",
    )  # fmt: skip
    fields = out.decode("utf-8", "replace").split("\0")
    found = {}
    for i in range(0, len(fields) - 5, 6):
        sha, an, ae, ce, date = fields[i : i + 5]
        found[sha] = Commit(sha, an, ae.strip().lower(), ce.strip().lower(), date)
    return found


def changed_blobs(
    root: Path, shas: list[str], folder: str = "change_records"
) -> Iterator[tuple[str, str, str | None, str | None]]:
    """``(commit, path, blob before, blob after)`` for every file under ``folder`` those commits changed.

    One ``git diff-tree --stdin`` for all commits: far cheaper than looking up ``commit:path``
    and ``commit^:path`` one by one in a folder of 10,000 files. Results stream as git finds
    them, so the caller's work overlaps git's (two cores, two processes).
    """
    if not shas:
        return
    proc = subprocess.Popen(
        ["git", "-C", str(root), "diff-tree", "--stdin", "--root", "-r", "--raw", "--no-abbrev", "--no-renames", "-z"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdin and proc.stdout

    def feed() -> None:
        assert proc.stdin
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.write("\n".join(shas).encode() + b"\n")
        proc.stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    commit, meta, rest = "", None, b""
    prefix = f"{folder}/"
    while True:
        chunk = proc.stdout.read1(1 << 16)
        if not chunk:
            break
        tokens = (rest + chunk).split(b"\0")
        rest = tokens.pop()
        for raw in tokens:
            token = raw.strip(b"\n")
            if meta is not None:
                path = token.decode("utf-8", "replace")
                if path.startswith(prefix):
                    parts = meta.split()
                    old, new = parts[2], parts[3]
                    yield (
                        commit,
                        path,
                        None if old == NULL_SHA else old,
                        None if new == NULL_SHA else new,
                    )
                meta = None
            elif token.startswith(b":"):
                meta = token.decode()
            elif token:
                commit = token.decode()
    writer.join()
    if proc.wait() != 0:
        raise GitError("git diff-tree failed", path=str(root))


class BlobReader:
    """One long-lived ``git cat-file --batch``: ask for a blob, get its bytes."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen(
            ["git", "-C", str(root), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.cache: dict[str, bytes | None] = {}

    def read(self, sha: str) -> bytes | None:
        if sha in self.cache:
            return self.cache[sha]
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(sha.encode() + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        if len(header) < 3 or header[1] == b"missing":
            data = None
        else:
            data = self.proc.stdout.read(int(header[2]) + 1)[:-1]
        self.cache[sha] = data
        return data

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def changed_since(root: Path, base: str, folder: str = "change_records") -> set[str]:
    """Paths under ``folder`` that differ between the merge base of ``base`` and HEAD and the work tree."""
    if not git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", check=False).strip():
        raise GitError(
            f"--base {base}: no such revision",
            path=str(root),
            hint="fetch it first (git fetch origin), and give a branch, tag or commit such as origin/main",
        )
    merge_base = git(root, "merge-base", base, "HEAD", check=False).decode().strip()
    if not merge_base:
        raise GitError(f"--base {base} and HEAD have no history in common", path=str(root))
    out = git(root, "diff", "--name-only", "-z", "--no-renames", merge_base, "--", f"{folder}/")
    untracked = git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", f"{folder}/")
    return {p.decode() for p in (out + untracked).split(b"\0") if p}


def verify_signatures(
    root: Path, shas: list[str], allowed_signers: Path
) -> dict[str, tuple[str, str]]:
    """``sha -> (status, signer)`` where status is git's ``%G?`` (``G`` = good and trusted)."""
    if not shas:
        return {}
    out = git(
        root, "-c", "gpg.format=ssh", "-c", f"gpg.ssh.allowedSignersFile={allowed_signers}",
        "log", "--no-walk=unsorted", "--stdin", "--format=%H%x1f%G?%x1f%GS%x1e",
        input="\n".join(shas).encode() + b"\n",
    )  # fmt: skip
    result = {}
    for item in out.split(b"\x1e"):
        item = item.strip()
        if not item:
            continue
        sha, status, signer = item.decode("utf-8", "replace").split("\x1f")
        result[sha] = (status, signer.strip().lower())
    return result
