"""Share the facts ref with the workspace's remote: ``fetch`` before reading, ``push`` after
storing. ``git clone`` copies branches and tags only, so a reviewer's clone never downloads
facts; the controllers that scan and report fetch and push the ref by name.

Two controllers may store scans at once. A push that is refused because the remote moved
fetches, replays the local scans on top of the remote's (each scan commit re-made with the
same files, author, time and message: a scan only adds files, so the replay cannot
conflict), and pushes again.
"""

from __future__ import annotations

import os
import subprocess

import git
from git.objects.util import altz_to_utctz_str

from changekit.errors import GitError
from changekit.facts import gitref


def remote_of(repo: git.Repo) -> str | None:
    """The remote facts go to: the current branch's upstream remote, else ``origin``, else
    none (a workspace that is not shared has nothing to sync)."""
    try:
        branch = repo.active_branch.name
        name = repo.git.config("--get", f"branch.{branch}.remote").strip()
        if name and name != ".":
            return name
    except (TypeError, git.GitCommandError):
        pass
    names = [r.name for r in repo.remotes]
    return "origin" if "origin" in names else None


def _git(repo: git.Repo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git", "--git-dir", str(repo.git_dir), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"},
    )


def _tracking(ref: str, remote: str) -> str:
    return ref.replace("refs/changekit/", f"refs/changekit/remotes/{remote}/", 1)


def fetch(repo: git.Repo, ref: str) -> None:
    """Bring the remote's facts in: fast-forward, or replay local-only scans on top."""
    remote = remote_of(repo)
    if remote is None:
        return
    theirs_ref = _tracking(ref, remote)
    done = _git(repo, "fetch", "-q", "--no-tags", remote, f"+{ref}:{theirs_ref}")
    if done.returncode != 0:
        if "couldn't find remote ref" in done.stderr:
            return  # nobody pushed facts yet
        raise GitError(
            f"could not fetch facts from {remote}: " + " ".join(done.stderr.split())[:300],
            hint="check the remote (git remote -v) and your access; local facts are unchanged",
        )
    theirs = gitref.rev(repo, theirs_ref)
    ours = gitref.rev(repo, ref)
    if theirs is None or theirs == ours:
        return
    if ours is None or _is_ancestor(repo, ours, theirs):
        _update(repo, ref, theirs, ours)
    elif not _is_ancestor(repo, theirs, ours):
        _update(repo, ref, replay(repo, theirs, ours), ours)


def _is_ancestor(repo: git.Repo, older: str, newer: str) -> bool:
    return _git(repo, "merge-base", "--is-ancestor", older, newer).returncode == 0


def push(repo: git.Repo, ref: str) -> None:
    """Publish local facts; a refusal because the remote moved fetches and tries once more."""
    remote = remote_of(repo)
    if remote is None or gitref.rev(repo, ref) is None:
        return
    for attempt in (1, 2):
        done = _git(repo, "push", "-q", remote, f"{ref}:{ref}")
        if done.returncode == 0:
            tip = gitref.rev(repo, ref)
            if tip:
                _update(repo, _tracking(ref, remote), tip, None, check=False)
            return
        if attempt == 1 and ("rejected" in done.stderr or "fetch first" in done.stderr):
            fetch(repo, ref)
            continue
        raise GitError(
            f"could not push facts to {remote}: " + " ".join(done.stderr.split())[:300],
            hint="the scan is stored locally; push it later with `changekit facts push`",
        )


def _update(repo: git.Repo, ref: str, new: str, old: str | None, *, check: bool = True) -> None:
    args = ["update-ref", "-m", "changekit facts sync", ref, new]
    if check:
        args.append(old or "0" * 40)
    done = _git(repo, *args)
    if done.returncode != 0:
        raise GitError(
            f"could not move {ref}: " + " ".join(done.stderr.split())[:300],
            hint="another changekit run moved it meanwhile; run the command again",
        )


def _ident(actor: git.Actor, when: float, offset: float) -> str:
    return f"{actor.name} <{actor.email}> {int(when)} {altz_to_utctz_str(int(offset))}"


def replay(repo: git.Repo, onto: str, ours: str) -> str:
    """Re-make the commits of ``ours`` not in ``onto`` on top of ``onto``; the new tip."""
    base = repo.git.merge_base(onto, ours).strip()
    commits = list(reversed(list(repo.iter_commits(f"{base}..{ours}", first_parent=True))))
    scratch = "refs/changekit/replay"
    writer = gitref.FastImport(repo)
    try:
        writer.reset(scratch, onto)
        parent: str | None = onto
        for c in commits:
            raw = repo.git.diff_tree("-r", "--raw", "--no-abbrev", "--no-renames", c.parents[0], c)
            for line in raw.splitlines():
                m = gitref._RAW.match(line)
                if not m:
                    continue
                if m.group(5) == "D":
                    writer.delete(m.group(6))
                else:
                    writer.keep(m.group(6), m.group(4))
            writer.commit(
                scratch,
                parent,
                str(c.message),
                _ident(c.committer, c.committed_date, c.committer_tz_offset),
                _ident(c.author, c.authored_date, c.author_tz_offset),
            )
            parent = None  # fast-import chains the next commit on the branch it is building
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    tip = gitref.rev(repo, scratch)
    _git(repo, "update-ref", "-d", scratch)
    if tip is None:
        raise GitError("replaying local facts on the remote's failed", hint="run the command again")
    return tip
