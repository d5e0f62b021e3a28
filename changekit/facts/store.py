"""The git facts store: snapshots on their own ref, ``refs/changekit/facts``, one commit per
scan, apart from the change records' history (docs/facts.md says why and has the numbers).

The ref's tree holds ``hosts/<host>.json`` (each host's latest snapshot) and
``scans/<scan id>.json`` (each scan's index). It is written with ``git fast-import`` and read
with ``git cat-file --batch`` and ``git log``: the work tree and the index are never
touched, so a reviewer's clone of the workspace (branches and tags only) holds no facts,
and storing a scan streams every path through stdin, never argv.

Rules: a host that failed keeps its last good file (the scan index says why it failed); a
partial snapshot (some collectors failed) is stored, and each failed collector's facts are
carried over from the previous snapshot, named in ``carried_over`` with the scan they came
from, so ``latest`` never loses a fact family because one collector hiccuped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

import git

from changekit import gitops
from changekit.errors import GitError, NotFoundError
from changekit.facts import gitref, sync
from changekit.facts.carry import carry_over
from changekit.facts.codec import canonical, decode, decode_shared
from changekit.facts.when import resolve, scan_time
from changekit.workspace import Workspace

FACTS_REF = "refs/changekit/facts"
HOSTS, SCANS = "hosts", "scans"
LEGACY_DIR = "facts"
"""Where facts lived, in the work tree, before ``changekit facts migrate``."""
TRAILER_SCAN = "Changekit-Scan"

__all__ = ["FACTS_REF", "SnapshotStore", "canonical", "host_filename"]


def host_filename(host: str) -> str:
    """A file name for any host name (``/``, newlines and leading dots are percent-encoded)."""
    name = quote(host, safe="@+-_.")
    return ("%2E" + name[1:] if name.startswith(".") else name) + ".json"


def host_of(filename: str) -> str:
    return unquote(filename.removesuffix(".json"))


_UNREAD = object()


class SnapshotStore:
    """The git facts store (see the module docstring); use ``open_store``, not this class."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._repo: git.Repo | None = None
        self._tip: str | None | object = _UNREAD
        self._trees: dict[tuple[str, str], dict[str, str]] = {}
        # per tip: host -> history entries newest first (with blob ids), and the hosts whose
        # list is complete (the log reached the commit that added them)
        self._logs: dict[str, tuple[dict[str, list[dict[str, Any]]], set[str]]] = {}

    @property
    def repo(self) -> git.Repo:
        # one Repo per store: GitPython keeps one `git cat-file --batch` process for reads
        if self._repo is None:
            self._repo = gitops.open_repo(self.workspace.root)
        return self._repo

    def tip(self) -> str | None:
        """The newest facts commit, or ``None`` before the first scan. Read once per store
        (a command reads one consistent version of the facts), again after ``save``/``fetch``."""
        if self._tip is _UNREAD:
            self._tip = gitref.rev(self.repo, FACTS_REF)
        return self._tip  # type: ignore[return-value]

    def _tree(self, tip: str | None, folder: str) -> dict[str, str]:
        if tip is None:
            return {}
        key = (tip, folder)
        if key not in self._trees:
            self._trees[key] = gitref.ls_tree(self.repo, tip, folder)
        return self._trees[key]

    def _blob(self, blob: str) -> dict[str, Any]:
        raw = gitref.read_blob(self.repo, blob)
        if raw is None:
            raise GitError(
                f"the facts store lost object {blob}",
                hint="fetch the facts again (changekit facts fetch) or check the repository with git fsck",
            )
        return decode(raw)

    # -- writing ---------------------------------------------------------------

    def save(
        self,
        scan_id: str,
        snapshots: Iterable[dict[str, Any]],
        failed: Mapping[str, dict[str, str]] | None = None,
    ) -> str | None:
        """Store one scan's snapshots and its index in one commit; return the commit id.

        ``failed`` maps hosts that produced no snapshot to ``{"reason", "message"}``; their
        files stay as they were. Nothing is stored when anything fails on the way.
        """
        failed = dict(failed or {})
        repo = self.repo
        with self.workspace.lock():
            try:
                committer = repo.git.var("GIT_COMMITTER_IDENT").strip()
            except git.GitCommandError:
                raise GitError(
                    "git does not know who you are (user.name / user.email not set)",
                    hint='run `git config user.name "Your Name"` and `git config user.email you@example.org`',
                ) from None
            parent = self.tip()
            statuses: dict[str, dict[str, Any]] = {}
            writer = gitref.FastImport(repo)
            try:
                for snap in snapshots:  # one at a time: a scan's snapshots never all in memory
                    host = snap["host"]
                    writer.add(f"{HOSTS}/{host_filename(host)}", canonical(self._carry_over(snap)))
                    statuses[host] = {"status": "partial" if snap.get("errors") else "ok"}
                    if snap.get("errors"):
                        statuses[host]["errors"] = dict(snap["errors"])
                for host, why in failed.items():
                    statuses[host] = {"status": "failed", **why}
                index = {
                    "scan_id": scan_id,
                    "started_at": scan_time(scan_id).isoformat(),
                    "hosts": statuses,
                }
                writer.add(f"{SCANS}/{scan_id}.json", canonical(index))
                ok = sum(1 for h in statuses.values() if h["status"] != "failed")
                subject = f"facts: scan {scan_id} ({ok} stored, {len(failed)} failed)"
                writer.commit(
                    FACTS_REF, parent, gitops.message(subject, {TRAILER_SCAN: scan_id}), committer
                )
                writer.finish()
            except BaseException:
                writer.abort()
                raise
            finally:
                self._tip = _UNREAD
        return self.tip()

    def _carry_over(self, snap: dict[str, Any]) -> dict[str, Any]:
        # the previous snapshot is read only when a collector failed
        return carry_over(snap, self.latest(snap["host"]) if snap.get("errors") else None)

    # -- sharing ---------------------------------------------------------------

    def fetch(self) -> None:
        """Bring in the facts others pushed to the workspace's remote (see ``sync``)."""
        sync.fetch(self.repo, FACTS_REF)
        self._tip = _UNREAD

    def push(self) -> None:
        """Publish the facts stored here to the workspace's remote (see ``sync``)."""
        sync.push(self.repo, FACTS_REF)
        self._tip = _UNREAD  # a refused push fetches and replays: the tip may move

    # -- reading the latest ----------------------------------------------------

    def hosts(self) -> list[str]:
        """Every host with a stored snapshot."""
        return sorted(host_of(name) for name in self._tree(self.tip(), HOSTS))

    def latest(self, host: str) -> dict[str, Any] | None:
        """The newest stored snapshot of ``host``, or ``None``."""
        blob = self._tree(self.tip(), HOSTS).get(host_filename(host))
        return self._blob(blob) if blob else None

    def iter_latest(self, hosts: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(host, newest snapshot)`` for each of ``hosts`` that has one, one at a time."""
        tree = self._tree(self.tip(), HOSTS)
        for host in hosts:
            blob = tree.get(host_filename(host))
            if blob:
                yield host, self._blob(blob)

    def scans(self) -> list[dict[str, Any]]:
        """Every scan's index (``scan_id``, ``started_at``, per-host status), oldest first."""
        tree = self._tree(self.tip(), SCANS)
        return [self._blob(tree[name]) for name in sorted(tree)]

    def _scan(self, scan_id: str) -> dict[str, Any] | None:
        blob = self._tree(self.tip(), SCANS).get(f"{scan_id}.json")
        return self._blob(blob) if blob else None

    def failures(self, hosts: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Hosts (of ``hosts``) whose latest scan attempt failed: ``{"reason", "scan_id"}``."""
        wanted = set(hosts)
        last: dict[str, dict[str, Any]] = {}
        tree = self._tree(self.tip(), SCANS)
        for name in sorted(tree, reverse=True):  # newest first: stop once every host is known
            if not wanted:
                break
            index = self._blob(tree[name])
            for host in wanted & set(index.get("hosts") or {}):
                last[host] = {"scan_id": index.get("scan_id"), **index["hosts"][host]}
            wanted -= set(last)
        return {
            h: {
                "reason": ": ".join(str(x) for x in (s.get("reason"), s.get("message")) if x)
                or "failed",
                "scan_id": s["scan_id"],
            }
            for h, s in sorted(last.items())
            if s.get("status") == "failed"
        }

    # -- reading history -------------------------------------------------------

    def histories(
        self, hosts: Iterable[str], max_count: int | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """``history`` of each of ``hosts`` (that has any), from one ``git log``."""
        hosts = list(dict.fromkeys(hosts))
        tip = self.tip()
        if tip is None:
            return {}
        known = self._tree(tip, HOSTS)
        entries, complete = self._logs.setdefault(tip, ({}, set()))
        stored = [h for h in hosts if host_filename(h) in known]

        def enough(host: str) -> bool:
            have = entries.get(host, [])
            return host in complete or (max_count is not None and len(have) >= max_count)

        need = {host_filename(h): h for h in stored if not enough(h)}
        if need:
            self._read_log(tip, need, entries, complete, max_count)
        out = {}
        for host in stored:
            newest_first = entries.get(host, [])
            chosen = newest_first if max_count is None else newest_first[:max_count]
            out[host] = [
                {"scan_id": e["scan_id"], "commit": e["commit"], "time": e["time"]}
                for e in reversed(chosen)
            ]
        return out

    def _read_log(
        self,
        tip: str,
        need: dict[str, str],
        entries: dict[str, list[dict[str, Any]]],
        complete: set[str],
        max_count: int | None,
    ) -> None:
        """One ``git log`` over the hosts folder (or the one file), newest first, read until
        every needed host has ``max_count`` entries or its first snapshot."""
        paths = [f"{HOSTS}/{next(iter(need))}"] if len(need) == 1 else [HOSTS]
        pending = dict(need)
        for host in need.values():
            entries[host] = []  # read afresh: a partial list from an earlier need is re-read
        walk = gitref.log(self.repo, tip, paths, TRAILER_SCAN)
        try:
            for item in walk:
                for status, blob, path in item.changes:
                    folder, _, name = path.rpartition("/")
                    who = pending.get(name) if folder == HOSTS else None
                    if who is None or status == "D":
                        continue
                    if item.scan_id:
                        entries[who].append(
                            {
                                "scan_id": item.scan_id,
                                "commit": item.commit,
                                "time": scan_time(item.scan_id),
                                "blob": blob,
                            }
                        )
                    if status == "A":  # its first snapshot: nothing older to find
                        complete.add(who)
                        del pending[name]
                    elif max_count is not None and len(entries[who]) >= max_count:
                        del pending[name]
                if not pending:
                    break
            else:
                complete.update(pending.values())  # the log ended: every list is whole
        finally:
            walk.close()

    def history(self, host: str, max_count: int | None = None) -> list[dict[str, Any]]:
        """``[{"scan_id", "commit", "time"}]`` for each stored snapshot of ``host``, oldest
        first; with ``max_count``, the newest ``max_count`` only."""
        if max_count is not None and max_count <= 0:
            return []
        return self.histories([host], max_count).get(host, [])

    def iter_histories(
        self, hosts: Iterable[str], max_count: int | None = None
    ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """``(host, its newest max_count snapshots, oldest first)``, one host at a time; the
        history of all of them comes from one ``git log``, each snapshot from its blob."""
        hosts = list(hosts)
        found = self.histories(hosts, max_count)
        seen: dict[bytes, Any] = {}  # facts met before in this call are one shared object
        for host in hosts:
            if found.get(host):
                yield host, [self._read(e["commit"], host, seen) for e in found[host]]

    def _known_blob(self, commit: str, host: str) -> str | None:
        for entries, _complete in self._logs.values():
            for e in entries.get(host, ()):
                if e["commit"] == commit:
                    return e["blob"]
        return None

    def read_at(self, ref: Any, host: str) -> dict[str, Any]:
        """The snapshot of ``host`` as stored in commit ``ref`` (an entry of ``history``)."""
        return self._read(ref, host, None)

    def _read(self, ref: Any, host: str, seen: dict[bytes, Any] | None) -> dict[str, Any]:
        blob = self._known_blob(str(ref), host)
        raw = gitref.read_blob(self.repo, blob or f"{ref}:{HOSTS}/{host_filename(host)}")
        if raw is None:
            raise NotFoundError(f"no snapshot of {host} in facts commit {ref}")
        return decode(raw) if seen is None else decode_shared(raw, seen)

    def get(self, scan_id: str, host: str) -> dict[str, Any]:
        """The snapshot of ``host`` that scan ``scan_id`` stored."""
        for entry in self.history(host):
            if entry["scan_id"] == scan_id:
                return self.read_at(entry["commit"], host)
        index = self._scan(scan_id)
        if index is not None:
            why = (index.get("hosts") or {}).get(host)
            if why and why.get("status") == "failed":
                raise NotFoundError(
                    f"{host} failed in scan {scan_id} ({why.get('reason')}): no snapshot",
                    hint="pick an earlier scan or a time: changekit facts show HOST --at WHEN",
                )
            raise NotFoundError(f"scan {scan_id} did not include {host}")
        raise NotFoundError(
            f"no scan {scan_id!r} in the facts store ({FACTS_REF})",
            hint="list scans: changekit facts scans",
        )

    def at(self, host: str, when: str | datetime) -> dict[str, Any]:
        """The snapshot of ``host`` as it stood at ``when`` (a scan id, date, ``yesterday``, ISO time)."""
        if isinstance(when, datetime):
            scan_id, instant = None, when
        else:
            scan_id, instant = resolve(when)
        if scan_id:
            return self.get(scan_id, host)
        entries = [e for e in self.history(host) if e["time"] <= instant]
        if not entries:
            raise NotFoundError(
                f"no snapshot of {host} at or before {instant.isoformat(timespec='seconds')}",
                hint="scan it first (changekit scan HOST) or pick a later time",
            )
        return self.read_at(entries[-1]["commit"], host)
