"""Move a workspace's facts from the work tree (``facts/``, committed with the change
records) to the facts ref, keeping their history.

Every commit that touched ``facts/`` is re-made on ``refs/changekit/facts`` with the same
blobs (the stored bytes do not change), author, committer, times and message, oldest first,
in one ``git fast-import``. The result is checked (the new ref's tree must equal
``HEAD:facts``) before ``facts/`` is removed from the work tree in one ordinary commit.
The old commits stay in the branch's history: the gate proves approvals from that history,
so changekit never rewrites it (docs/facts.md says how to slim old clones).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git
from git.objects.util import altz_to_utctz_str

from changekit import gitops
from changekit.errors import GitError, InputError
from changekit.facts import gitref, sync
from changekit.facts.store import FACTS_REF, LEGACY_DIR, TRAILER_SCAN
from changekit.workspace import Workspace


@dataclass
class Migrated:
    commits: int
    scans: int
    commit: str | None
    """The workspace commit that removed ``facts/``."""


def legacy_dir(ws: Workspace, repo: git.Repo) -> str:
    """``facts/`` of the workspace, as a path from the repository root."""
    top = Path(str(repo.working_tree_dir)).resolve()
    return (ws.root.resolve() / LEGACY_DIR).relative_to(top).as_posix()


def needs_migration(ws: Workspace, repo: git.Repo) -> bool:
    """Whether HEAD still tracks ``facts/`` (the layout before the facts ref)."""
    try:
        return bool(repo.git.ls_tree("HEAD", "--", legacy_dir(ws, repo) + "/").strip())
    except git.GitCommandError:  # no commit yet
        return False


def _ident(actor: git.Actor, when: float, offset: float) -> str:
    return f"{actor.name} <{actor.email}> {int(when)} {altz_to_utctz_str(int(offset))}"


def migrate(ws: Workspace) -> Migrated:
    """Copy ``facts/`` with its history to the facts ref, then remove it from the work tree."""
    repo = gitops.open_repo(ws.root)
    if not needs_migration(ws, repo):
        raise InputError(
            f"nothing to migrate: HEAD tracks no {LEGACY_DIR}/ folder",
            hint="facts are already on their own ref (changekit facts scans lists them)",
        )
    if gitref.rev(repo, FACTS_REF) is not None:
        raise InputError(
            f"{FACTS_REF} exists already, and HEAD still tracks {LEGACY_DIR}/",
            hint=f"if the ref is a leftover, delete it (git update-ref -d {FACTS_REF}) and run again",
        )
    old = legacy_dir(ws, repo)
    prefix = old + "/"
    with ws.lock():
        found = list(gitref.log(repo, "HEAD", [old], TRAILER_SCAN))
        found.reverse()  # oldest first
        writer = gitref.FastImport(repo)
        scans = 0
        try:
            for item in found:
                c = repo.commit(item.commit)
                for status, blob, path in item.changes:
                    if not path.startswith(prefix):
                        continue
                    if status == "D":
                        writer.delete(path[len(prefix) :])
                    else:
                        writer.keep(path[len(prefix) :], blob)
                writer.commit(
                    FACTS_REF,
                    None,
                    str(c.message),
                    _ident(c.committer, c.committed_date, c.committer_tz_offset),
                    _ident(c.author, c.authored_date, c.author_tz_offset),
                )
                scans += 1 if item.scan_id else 0
            writer.finish()
        except BaseException:
            writer.abort()
            raise
        # the proof: the ref holds exactly what HEAD's facts/ holds
        want = repo.git.rev_parse(f"HEAD:{old}").strip()
        got = repo.git.rev_parse(f"{FACTS_REF}^{{tree}}").strip()
        if want != got:
            repo.git.update_ref("-d", FACTS_REF)
            raise GitError(
                f"the migrated facts differ from HEAD's {old}/ (tree {got} != {want})",
                hint="nothing was changed; commit or discard local edits under facts/ and run again",
            )
        try:
            repo.git.rm("-r", "-q", "--", old)
            repo.git.commit(
                "-q",
                "-m",
                gitops.message(
                    f"facts: moved to {FACTS_REF} (changekit facts migrate)",
                    {"Changekit-Action": "facts-migrate"},
                ),
                "--",
                old,
            )
        except git.GitCommandError as exc:
            repo.git.update_ref("-d", FACTS_REF)
            repo.git.reset("-q", "HEAD", "--", old)
            repo.git.checkout("-q", "HEAD", "--", old)
            raise GitError(
                "could not commit the removal of facts/: " + " ".join(str(exc.stderr).split()),
                hint="nothing was changed; fix the cause and run again",
            ) from None
    sync.push(repo, FACTS_REF)
    return Migrated(commits=len(found), scans=scans, commit=gitops.head(repo))
