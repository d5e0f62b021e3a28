"""Find the commit behind every approval entry, reading as little history as possible.

Trailer hints first (``Changekit-Record`` on changekit's own commits, by one of the record's
approvers), then, for approvals nothing explains, the record's full file history. Facts about
commits are cached in ``.git/changekit/``.
"""

from __future__ import annotations

import contextlib
import json

from changekit.fileio import atomic_write
from changekit.gate import blocks, history, proof
from changekit.policy.access import email_of
from changekit.workspace import Workspace

FALLBACK_PATHS = 200
"""Beyond this many records whose approvals no trailer explains, walk the folder once instead."""


def attribute_all(
    ws: Workspace, needing: list, prefix: str, rel
) -> dict[str, list[proof.Attributed]]:
    """Find the commit behind every approval entry: trailer hints first, then path history."""
    hints = history.commits_by_record(ws.root)
    cache = ApprovalCache(ws)
    found: dict[str, dict] = {}
    pending: dict[str, dict] = {}
    current: dict[str, blocks.Current] = {}
    # only commits by someone whose approval is in the record can have added it legitimately
    plan: dict[str, list[history.Commit]] = {}
    for record in needing:
        emails = {email_of(e.get("by")) for e in record.data["approvals"] if isinstance(e, dict)}
        plan[record.id] = [c for c in hints.get(record.id, ()) if c.author_email in emails]
        current[record.id] = blocks.Current(
            record.path.read_bytes() if record.path else b"", record.data
        )
    wanted: dict[tuple[str, str], str] = {}  # (commit, path) not in the cache -> record id
    for r in needing:
        for c in plan[r.id]:
            if cache.get(c.sha, prefix + rel(r)) is None:
                wanted[(c.sha, prefix + rel(r))] = r.id
    with history.BlobReader(ws.root) as blobs:
        shas = list(dict.fromkeys(sha for sha, _path in wanted))
        for sha, path, old, new in history.changed_blobs(
            ws.root, shas, folder=prefix + "change_records"
        ):
            rid = wanted.get((sha, path))
            if rid is not None:
                raw_new = blobs.read(new) if new else None
                raw_old = blobs.read(old) if old else None
                cache.put(sha, path, proof.facts_of(raw_new, raw_old, current[rid]))
        for record in needing:
            path = prefix + rel(record)
            # a commit whose trailer names the record but which did not touch it has no facts
            commits = [(c, f) for c in plan[record.id] if (f := cache.get(c.sha, path)) is not None]
            todo = proof.pending_entries(record.data["approvals"])
            found[record.id] = proof.attribute_facts(todo, commits)
            if todo:
                pending[record.id] = todo
        if pending:
            # approvals no changekit commit explains: hand edits, or forgeries; look at every commit
            paths = [prefix + rel(r) for r in needing if r.id in pending]
            changes_by_path = history.file_history(
                ws.root, paths=paths if len(paths) <= FALLBACK_PATHS else None
            )
            for record in needing:
                if record.id in pending:
                    changes = changes_by_path.get(prefix + rel(record), [])
                    found[record.id].update(
                        proof.attribute(pending[record.id], changes, blobs.read, current[record.id])
                    )
    cache.save()
    return {r.id: proof.in_order(r.data["approvals"], found[r.id]) for r in needing}


class ApprovalCache:
    """Facts about (commit, record file) pairs, kept in ``.git/changekit/``.

    A commit never changes, so neither does what it did to a file: a fact, once computed, is
    true forever. Warm runs then read no old record versions at all.
    """

    NAME = "changekit/approvals-v1.json"

    def __init__(self, ws: Workspace) -> None:
        # inside .git, where no commit can put a file: a pull request cannot plant false facts
        git_path = history.git(ws.root, "rev-parse", "--git-path", self.NAME).decode().strip()
        self.path = ws.root / git_path
        try:
            self.data: dict[str, dict] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.data = {}
        self.dirty = False

    def get(self, sha: str, path: str) -> dict | None:
        return self.data.get(f"{sha}:{path}")

    def put(self, sha: str, path: str, facts: dict) -> dict:
        self.data[f"{sha}:{path}"] = facts
        self.dirty = True
        return facts

    def save(self) -> None:
        if not self.dirty:
            return
        with contextlib.suppress(OSError):  # a read-only checkout still checks, just without it
            atomic_write(self.path, json.dumps(self.data, separators=(",", ":")))
