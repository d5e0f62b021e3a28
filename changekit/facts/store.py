"""The git facts store: snapshots on their own ref, ``refs/changekit/facts``, one commit per
scan, apart from the change records' history (docs/facts.md says why and has the numbers).

The ref's tree holds each host's latest snapshot, one blob per collector
(``snapshots/<host>/``, see ``layout``; hosts stored before keep ``hosts/<host>.json`` until
their next snapshot), and ``scans/<scan id>.json`` (each scan's index). It is written with
``git fast-import`` and read with ``git cat-file --batch`` and ``git log``: the work tree and
the index are never touched, so a reviewer's clone of the workspace (branches and tags only)
holds no facts, and storing a scan streams every path through stdin, never argv. A
collector's facts that did not change since they were last stored are not written again
(their blob id is known), and readers parse each distinct blob once.

Rules: a host that failed keeps its last good file (the scan index says why it failed); a
partial snapshot (some collectors failed) is stored, and each failed collector's facts are
carried over from the previous snapshot, named in ``carried_over`` with the scan they came
from, so ``latest`` never loses a fact family because one collector hiccuped.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import git

from changekit import gitops
from changekit.errors import GitError, NotFoundError
from changekit.facts import codec, gitref, layout, sync
from changekit.facts.carry import carry_over
from changekit.facts.codec import canonical, decode, decode_shared
from changekit.facts.layout import HOSTS, SNAPSHOTS, host_dirname, host_filename, host_of
from changekit.facts.when import resolve, scan_time
from changekit.workspace import Workspace

FACTS_REF = "refs/changekit/facts"
SCANS = "scans"
LEGACY_DIR = "facts"
"""Where facts lived, in the work tree, before ``changekit facts migrate``."""
TRAILER_SCAN = "Changekit-Scan"
FACTS_CACHE_BYTES = 64 * 2**20
"""How much stored text of parsed facts a reader keeps for reuse (each distinct blob is
parsed once while it stays): a group's package sets and the fleet's shared Perl and Python
modules fit many times over; memory stays bounded whatever the fleet."""

__all__ = ["FACTS_REF", "SnapshotStore", "canonical", "host_filename", "host_of"]

_UNREAD = object()


class _Missing(GitError):
    """A snapshot file named for reading is not there."""


def _snapshot_of(path: str) -> tuple[str | None, int]:
    """``(host, layout)`` when ``path`` is a host's snapshot file (``layout``), else
    ``(None, 0)``: a per-collector layout's facts file is not a snapshot of its own."""
    folder, _, name = path.rpartition("/")
    if folder == HOSTS:
        return host_of(name), 1
    top, _, host = folder.partition("/")
    if top == SNAPSHOTS and name == layout.SNAPSHOT_FILE and "/" not in host:
        return host_of(host), 2
    return None, 0


class _FactsCache:
    """Parsed facts by blob id, least recently used dropped past ``budget`` bytes of text."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._held = 0
        self._items: OrderedDict[str, tuple[Any, int]] = OrderedDict()

    def get(self, blob: str) -> Any:
        found = self._items.get(blob)
        if found is None:
            return None
        self._items.move_to_end(blob)
        return found[0]

    def put(self, blob: str, facts: Any, size: int) -> None:
        self._items[blob] = (facts, size)
        self._held += size
        while self._held > self.budget and len(self._items) > 1:
            _old, (_facts, dropped) = self._items.popitem(last=False)
            self._held -= dropped


class SnapshotStore:
    """The git facts store (see the module docstring); use ``open_store``, not this class."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._repo: git.Repo | None = None
        self._tip: str | None | object = _UNREAD
        self._trees: dict[tuple[str, str, str], dict[str, str]] = {}
        self._objects: gitref.Objects | None = None
        self._format: str | None = None
        self._facts = _FactsCache(FACTS_CACHE_BYTES)
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

    @property
    def objects(self) -> gitref.Objects:
        # one pipelined `git cat-file --batch` for the many small reads of a fleet's history
        if self._objects is None:
            self._objects = gitref.Objects(self.repo)
        return self._objects

    def close(self) -> None:
        """Stop the git processes reading for this store (they also stop with it)."""
        if self._objects is not None:
            self._objects.close()
            self._objects = None

    def _object_format(self) -> str:
        if self._format is None:
            self._format = gitref.object_format(self.repo)
        return self._format

    def _tree(self, tip: str | None, folder: str, kind: str = "blob") -> dict[str, str]:
        if tip is None:
            return {}
        key = (tip, folder, kind)
        if key not in self._trees:
            self._trees[key] = gitref.ls_tree(self.repo, tip, folder, kind)
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
        files stay as they were. It is read once ``snapshots`` is exhausted (a streaming scan
        fills it as it goes). Nothing is stored when anything fails on the way.
        """
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
            # blob id -> how fast-import names it: facts already stored are named by id
            # and never sent again; new ones by the mark they were written under
            known: dict[str, str] = {}
            if parent is not None:
                known = {sha: sha for sha in gitref.blob_ids(repo, parent, SNAPSHOTS)}
            whole = self._tree(parent, HOSTS)
            writer = gitref.FastImport(repo)
            try:
                for snap in snapshots:  # one at a time: a scan's snapshots never all in memory
                    host = snap["host"]
                    self._stage(writer, self._carry_over(snap), known, whole)
                    statuses[host] = {"status": "partial" if snap.get("errors") else "ok"}
                    if snap.get("errors"):
                        statuses[host]["errors"] = dict(snap["errors"])
                failed = dict(failed or {})  # complete only now (the contract in backend.py)
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

    def _stage(
        self,
        writer: gitref.FastImport,
        snap: dict[str, Any],
        known: dict[str, str],
        whole: dict[str, str],
    ) -> None:
        """Stage one host's snapshot in the per-collector layout (``layout``)."""
        host = snap["host"]
        meta, blobs = layout.split(snap, self._object_format())
        # collectors that did not run this time must not linger from the last snapshot
        writer.delete(f"{layout.host_dir(host)}/{layout.FACTS_DIR}")
        for collector, (sha, data) in blobs.items():
            if sha not in known:
                known[sha] = writer.blob(data)
            writer.keep(layout.fact_path(host, collector), known[sha])
        writer.add(layout.snapshot_path(host), canonical(meta))
        if host_filename(host) in whole:  # moved to the per-collector layout
            writer.delete(f"{HOSTS}/{host_filename(host)}")

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
        tip = self.tip()
        found = {host_of(name) for name in self._tree(tip, SNAPSHOTS, "tree")}
        found.update(host_of(name) for name in self._tree(tip, HOSTS))
        return sorted(found)

    FEW = 2
    """Up to this many hosts (facts show, history, diff) are looked up by path, not by
    listing every host's folder (10,000 of them)."""

    def _per_collector(self, tip: str | None, hosts: list[str]) -> set[str]:
        """The ``hosts`` stored in the per-collector layout at ``tip``."""
        if tip is None:
            return set()
        if len(hosts) > self.FEW or (tip, SNAPSHOTS, "tree") in self._trees:
            dirs = self._tree(tip, SNAPSHOTS, "tree")
            return {h for h in hosts if host_dirname(h) in dirs}
        # a host or two (facts history, show, diff): ask for their files, rather than list
        # the folders of a fleet of 10,000
        names = {f"{tip}:{layout.snapshot_path(h)}": h for h in hosts}
        return {names[n] for n, data in self.objects.read(names) if data is not None}

    def _latest_name(self, host: str) -> tuple[str, int] | None:
        """How to read ``host``'s newest snapshot: ``(object name, layout)``."""
        tip = self.tip()
        if self._per_collector(tip, [host]):
            return f"{tip}:{layout.snapshot_path(host)}", 2
        blob = self._tree(tip, HOSTS).get(host_filename(host))
        return (blob, 1) if blob else None

    def latest(self, host: str) -> dict[str, Any] | None:
        """The newest stored snapshot of ``host``, or ``None``."""
        found = self._latest_name(host)
        return self._load([(host, *found)], shared=False)[0] if found else None

    def iter_latest(self, hosts: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(host, newest snapshot)`` for each of ``hosts`` that has one, one at a time."""
        for host in hosts:
            found = self._latest_name(host)
            if found:
                yield host, self._load([(host, *found)], shared=False)[0]

    def _load(
        self, wanted: list[tuple[str, str, int]], shared: bool, seen: dict[bytes, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The snapshots named by ``(host, object name, layout)``, in order, read through one
        pipelined ``git cat-file``. ``shared``: facts met before (the same blob) are the same
        object (callers must not change them in place); else each snapshot's are its own."""
        raws = dict(self.objects.read(dict.fromkeys(name for _h, name, _l in wanted)))
        out: list[dict[str, Any]] = []
        need: dict[str, None] = {}
        for host, name, form in wanted:
            raw = raws.get(name)
            if raw is None:
                raise _Missing(f"no snapshot of {host} at {name}")
            if form == 1:
                snap = decode_shared(raw, seen) if shared and seen is not None else decode(raw)
            else:
                snap = decode(raw)
                if shared:
                    need.update((b, None) for b in snap.get(layout.BLOBS_KEY, {}).values())
            out.append(snap)
        fetched: dict[str, Any] = {}
        if shared:
            missing = [b for b in need if self._facts.get(b) is None]
            for blob, data in self.objects.read(missing):
                if data is None:
                    raise self._lost(blob, None)
                self._facts.put(blob, codec.decode(data), len(data))
            # held here too: a unit larger than the cache still gets each blob parsed once
            fetched = {b: self._facts.get(b) for b in need}
        else:
            need = {
                b: None
                for snap, (_h, _n, form) in zip(out, wanted, strict=True)
                if form == 2
                for b in snap.get(layout.BLOBS_KEY, {}).values()
            }
            for blob, data in self.objects.read(need):
                if data is None:
                    raise self._lost(blob, None)
                fetched[blob] = data  # parsed per snapshot below: each gets its own objects
        for snap, (_h, _n, form) in zip(out, wanted, strict=True):
            if form == 2:
                blobs = snap.get(layout.BLOBS_KEY, {})
                layout.join(
                    snap,
                    {
                        c: fetched[b] if shared else codec.decode(fetched[b])
                        for c, b in sorted(blobs.items())
                    },
                )
        return out

    @staticmethod
    def _lost(name: str, host: str | None) -> GitError:
        return GitError(
            f"the facts store lost object {name}" + (f" ({host})" if host else ""),
            hint="fetch the facts again (changekit facts fetch) or check the repository with git fsck",
        )

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
        moved, files = self._per_collector(tip, hosts), self._tree(tip, HOSTS)
        entries, complete = self._logs.setdefault(tip, ({}, set()))
        stored = [h for h in hosts if h in moved or host_filename(h) in files]

        def enough(host: str) -> bool:
            have = entries.get(host, [])
            return host in complete or (max_count is not None and len(have) >= max_count)

        need = {h for h in stored if not enough(h)}
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
        need: set[str],
        entries: dict[str, list[dict[str, Any]]],
        complete: set[str],
        max_count: int | None,
    ) -> None:
        """One ``git log`` over the snapshot folders (or the one host's files), newest
        first, read until every needed host has ``max_count`` entries or its first snapshot.
        A host's entry is a commit that changed its snapshot file, in either layout."""
        if len(need) == 1:
            host = next(iter(need))
            paths = [layout.snapshot_path(host), f"{HOSTS}/{host_filename(host)}"]
        else:
            paths = [SNAPSHOTS, HOSTS]
        pending = set(need)
        for host in need:
            entries[host] = []  # read afresh: a partial list from an earlier need is re-read
        walk = gitref.log(self.repo, tip, paths, TRAILER_SCAN)
        try:
            for item in walk:
                found = [(status, blob, *_snapshot_of(path)) for status, blob, path in item.changes]
                # a host whose whole-snapshot file went in this commit moved layouts here:
                # the per-collector file it gained is not its first snapshot
                moved = {who for status, _b, who, form in found if form == 1 and status == "D"}
                for status, blob, who, form in found:
                    if who not in pending or status == "D":
                        continue
                    if item.scan_id:
                        entries[who].append(
                            {
                                "scan_id": item.scan_id,
                                "commit": item.commit,
                                "time": scan_time(item.scan_id),
                                "blob": blob,
                                "layout": form,
                            }
                        )
                    if status == "A" and who not in moved:  # its first: nothing older
                        complete.add(who)
                        pending.discard(who)
                    elif max_count is not None and len(entries[who]) >= max_count:
                        pending.discard(who)
                if not pending:
                    break
            else:
                complete.update(pending)  # the log ended: every list is whole
        finally:
            walk.close()

    def history(self, host: str, max_count: int | None = None) -> list[dict[str, Any]]:
        """``[{"scan_id", "commit", "time"}]`` for each stored snapshot of ``host``, oldest
        first; with ``max_count``, the newest ``max_count`` only."""
        if max_count is not None and max_count <= 0:
            return []
        return self.histories([host], max_count).get(host, [])

    READ_BATCH = 1000
    """Snapshot files read in one pipelined batch by ``iter_histories`` (hosts are never
    split); a whole-snapshot file (the layout before, ~700 KB) counts as ``WHOLE_WEIGHT``."""
    WHOLE_WEIGHT = 50

    def iter_histories(
        self, hosts: Iterable[str], max_count: int | None = None
    ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """``(host, its newest max_count snapshots, oldest first)``, one host at a time; the
        history of all of them comes from one ``git log``, the snapshots in batches of about
        ``READ_BATCH`` files, each distinct facts blob parsed once (shared objects)."""
        hosts = list(hosts)
        found = self.histories(hosts, max_count)
        seen: dict[bytes, Any] = {}  # whole-snapshot files: facts met before are shared too
        batch: list[str] = []
        size = 0
        wanted: list[tuple[str, str, int]] = []
        for host in hosts:
            if found.get(host):
                batch.append(host)
                for e in found[host]:
                    wanted.append((host, *self._name(e["commit"], host)))
                    size += 1 if wanted[-1][2] == 2 else self.WHOLE_WEIGHT
            if batch and (size >= self.READ_BATCH or host == hosts[-1]):
                snaps = iter(self._load(wanted, shared=True, seen=seen))
                for h in batch:
                    yield h, [next(snaps) for _e in found[h]]
                batch, wanted, size = [], [], 0

    def _name(self, commit: str, host: str) -> tuple[str, int]:
        """How to read ``host``'s snapshot of ``commit``: ``(object name, layout)``."""
        for entries, _complete in self._logs.values():
            for e in entries.get(host, ()):
                if e["commit"] == commit:
                    return e["blob"], e["layout"]
        return f"{commit}:{layout.snapshot_path(host)}", 2

    def read_at(self, ref: Any, host: str) -> dict[str, Any]:
        """The snapshot of ``host`` as stored in commit ``ref`` (an entry of ``history``)."""
        name, form = self._name(str(ref), host)
        try:
            return self._load([(host, name, form)], shared=False)[0]
        except _Missing:
            if form == 1:
                raise NotFoundError(f"no snapshot of {host} in facts commit {ref}") from None
        try:  # a commit from before the host moved to the per-collector layout
            return self._load([(host, f"{ref}:{HOSTS}/{host_filename(host)}", 1)], shared=False)[0]
        except _Missing:
            raise NotFoundError(f"no snapshot of {host} in facts commit {ref}") from None

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
