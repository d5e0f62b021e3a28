"""Git for change records: the acting identity, one commit per mutation, branches, pushes.

Commits go through the ``git`` binary (via GitPython) rather than writing objects
directly, so the user's hooks and commit signing (``commit.gpgsign``,
``gpg.format=ssh``) apply exactly as for a hand-made commit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import git

from changekit.errors import GitError, WorkspaceError
from changekit.records.model import Identity

TRAILER_RECORD = "Changekit-Record"
TRAILER_ACTION = "Changekit-Action"
TRAILER_STATUS = "Changekit-Status"


def _fail(what: str, exc: Exception, hint: str | None = None) -> GitError:
    detail = getattr(exc, "stderr", "") or str(exc)
    detail = " ".join(str(detail).replace("stderr:", "").split()).strip(" '")
    return GitError(f"{what}: {detail}" if detail else what, hint=hint)


def open_repo(root: Path) -> git.Repo:
    """The git repository the workspace lives in."""
    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise WorkspaceError(
            f"{root} is not inside a git repository",
            hint="run `changekit init` there, or `git init` and then `changekit init`",
        ) from None


def init_repo(root: Path) -> git.Repo:
    try:
        return git.Repo.init(root)
    except git.GitCommandError as exc:
        raise _fail(f"could not create a git repository in {root}", exc) from None


def acting_identity(repo: git.Repo) -> Identity:
    """Who is acting: the author identity git itself would put on a commit made here.

    Asked from the ``git`` binary (``git var``) so every config level and the
    ``GIT_AUTHOR_*`` variables count exactly as they do for the commit.
    """
    hint = 'run `git config user.name "Your Name"` and `git config user.email you@example.org`'
    try:
        configured = repo.git.config("--get", "user.email").strip()
    except git.GitCommandError:
        configured = ""
    try:
        ident = repo.git.var("GIT_AUTHOR_IDENT")
    except git.GitCommandError:
        ident = ""
    match = re.match(r"^(.*?) <([^>]*)>", ident)
    if (
        not match
        or not match.group(1).strip()
        or not (configured or os.environ.get("GIT_AUTHOR_EMAIL"))
    ):
        raise WorkspaceError(
            "git does not know who you are (user.name / user.email not set)", hint=hint
        )
    return Identity(match.group(1).strip(), match.group(2).strip())


def head(repo: git.Repo) -> str | None:
    """The commit HEAD points at, or ``None`` in a repository without commits."""
    try:
        return repo.head.commit.hexsha
    except ValueError:
        return None


def message(subject: str, trailers: dict[str, str], body: str | None = None) -> str:
    parts = [subject]
    if body:
        parts.append(body.strip())
    parts.append("\n".join(f"{k}: {v}" for k, v in trailers.items()))
    return "\n\n".join(parts) + "\n"


def _relative(repo: git.Repo, paths: Iterable[Path | str]) -> list[str]:
    top = Path(str(repo.working_tree_dir)).resolve()
    return [str(Path(p).resolve().relative_to(top)) for p in paths]


def commit_paths(
    repo: git.Repo,
    paths: Sequence[Path | str],
    subject: str,
    trailers: dict[str, str],
    body: str | None = None,
) -> str:
    """Commit exactly ``paths`` (others' staged work stays staged) and return the new commit."""
    rel = _relative(repo, paths)
    try:
        repo.git.add("--", *rel)
        repo.git.commit("-q", "-m", message(subject, trailers, body), "--", *rel)
    except git.GitCommandError as exc:
        raise _fail(
            "git commit failed",
            exc,
            hint="nothing was changed; fix the cause and run the command again",
        ) from None
    return repo.head.commit.hexsha


def unstage(repo: git.Repo, paths: Iterable[Path | str]) -> None:
    """Put the index entries of ``paths`` back to HEAD (after a failed commit)."""
    rel = _relative(repo, paths)
    try:
        if head(repo):
            repo.git.reset("-q", "HEAD", "--", *rel)
        else:
            repo.git.rm("-q", "--cached", "--ignore-unmatch", "--", *rel)
    except git.GitCommandError:
        pass


def trailers_of(commit: git.Commit) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in str(commit.message).splitlines():
        key, sep, value = line.partition(": ")
        if sep and key.startswith("Changekit-"):
            out[key] = value.strip()
    return out


def current_branch(repo: git.Repo) -> str | None:
    try:
        return repo.active_branch.name
    except TypeError:  # detached HEAD
        return None


def switch_branch(repo: git.Repo, name: str) -> None:
    """Switch to ``name``, creating it at HEAD when it does not exist (uncommitted work moves along)."""
    try:
        if name in repo.heads:
            repo.git.switch("-q", name)
        else:
            repo.git.switch("-q", "-c", name)
    except git.GitCommandError as exc:
        raise _fail(f"could not switch to branch {name}", exc) from None


def delete_branch(repo: git.Repo, name: str) -> None:
    try:
        repo.git.branch("-D", name)
    except git.GitCommandError as exc:
        raise _fail(f"could not delete branch {name}", exc) from None


def require_remote(repo: git.Repo, remote: str = "origin") -> None:
    """Fail before anything is written when ``--push`` has nowhere to go."""
    if remote not in [r.name for r in repo.remotes]:
        raise GitError(
            f"no git remote named {remote!r}",
            hint=f"add one with `git remote add {remote} URL`, or leave out --push",
        )


def push(repo: git.Repo, branch: str, remote: str = "origin") -> None:
    """Push ``branch`` to ``remote`` and track it there."""
    require_remote(repo, remote)
    try:
        repo.git.push("-q", "-u", remote, f"{branch}:{branch}")
    except git.GitCommandError as exc:
        if repo.git.config("--get", f"merge.{MERGE_DRIVER}.driver", with_exceptions=False):
            raise _fail(
                f"git push of {branch} to {remote} failed",
                exc,
                hint=f"the commit is made locally. If someone pushed to {branch} first (e.g. "
                f"another approval): `git pull --no-rebase {remote} {branch}` (changekit's "
                "merge driver combines approvals and history, and names any real conflict), "
                "then `git push`",
            ) from None
        raise _fail(
            f"git push of {branch} to {remote} failed",
            exc,
            hint=(
                f"the commit is made locally. If someone pushed to {branch} first (e.g. another "
                "approval), do not `git pull --rebase`: both commits edit the same record and "
                f"conflict. Take theirs and redo yours: `git fetch {remote} {branch} && "
                f"git switch {branch} && git reset --keep {remote}/{branch}`, then run the same "
                "changekit command again"
            ),
        ) from None


MERGE_DRIVER = "changekit-record"
ATTRIBUTES = f"change_records/*.yaml merge={MERGE_DRIVER}\n"


def ensure_merge_driver(repo: git.Repo) -> None:
    """Define changekit's record merge driver in this clone's git config when .gitattributes
    asks for it (git config is not cloned, so each clone sets it on its first commit)."""
    attrs = Path(str(repo.working_tree_dir)) / ".gitattributes"
    try:
        if f"merge={MERGE_DRIVER}" not in attrs.read_text(encoding="utf-8"):
            return
        key = f"merge.{MERGE_DRIVER}.driver"
        if repo.git.config("--get", key, with_exceptions=False).strip():
            return
        import shutil
        import sys

        exe = shutil.which("changekit") or str(Path(sys.executable).parent / "changekit")
        repo.git.config(f"merge.{MERGE_DRIVER}.name", "changekit change record merge")
        repo.git.config(key, f"{exe} merge-record %O %A %B %P")
    except (OSError, git.GitCommandError):
        pass  # without the driver, git falls back to its line merge: nothing is lost
