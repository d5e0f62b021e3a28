"""The snapshot store: ``facts/hosts/<host>.json`` in the workspace, one git commit per scan.

Why git (docs/facts.md has the numbers): auditors need history that is shared, reviewable
and hard to rewrite quietly, and the workspace already is a git repository that is pushed.
Daily snapshots of one host differ in a few lines, and git stores those as deltas when it
packs, so 200 hosts x 1 MB x 365 scans costs tens of MB, not 73 GB. The working tree holds
only the latest snapshot per host, so reading "now" is a plain file read.

Rules: a host that failed keeps its last good file (the scan index says why it failed); a
partial snapshot (some collectors failed) is stored, and each failed collector's facts are
carried over from the previous snapshot, named in ``carried_over`` with the scan they came
from, so ``latest`` never loses a fact family because one collector hiccuped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import git

from changekit import gitops
from changekit.errors import NotFoundError
from changekit.facts.when import resolve, scan_time
from changekit.fileio import atomic_write
from changekit.workspace import Workspace

FACTS_DIR = "facts"
TRAILER_SCAN = "Changekit-Scan"


def canonical(data: Any) -> str:
    """One byte-stable JSON text per snapshot: sorted keys, one item per line (git diffs well)."""
    return json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def host_filename(host: str) -> str:
    """A file name for any host name (``/``, newlines and leading dots are percent-encoded)."""
    name = quote(host, safe="@+-_.")
    return ("%2E" + name[1:] if name.startswith(".") else name) + ".json"


class SnapshotStore:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.root = workspace.root / FACTS_DIR
        self.hosts_dir = self.root / "hosts"
        self.scans_dir = self.root / "scans"
        self._repo: git.Repo | None = None
        self._histories: dict[tuple[str, str], list[dict[str, Any]]] = {}

    @property
    def repo(self) -> git.Repo:
        # one Repo per store: GitPython keeps one `git cat-file --batch` process for reads
        if self._repo is None:
            self._repo = gitops.open_repo(self.workspace.root)
        return self._repo

    # -- writing ---------------------------------------------------------------

    def save(
        self,
        scan_id: str,
        snapshots: list[dict[str, Any]],
        failed: dict[str, dict[str, str]] | None = None,
    ) -> str | None:
        """Store one scan's snapshots and its index in one commit; return the commit id.

        ``failed`` maps hosts that produced no snapshot to ``{"reason", "message"}``; their
        files stay as they were. Nothing is written when the commit fails.
        """
        failed = failed or {}
        repo = gitops.open_repo(self.workspace.root)
        with self.workspace.lock():
            statuses: dict[str, dict[str, Any]] = {}
            index = {
                "scan_id": scan_id,
                "started_at": scan_time(scan_id).isoformat(),
                "hosts": statuses,
            }
            writes: dict[Path, str] = {}
            for snap in snapshots:
                host = snap["host"]
                merged = self._carry_over(snap)
                writes[self.hosts_dir / host_filename(host)] = canonical(merged)
                statuses[host] = {"status": "partial" if snap.get("errors") else "ok"}
                if snap.get("errors"):
                    statuses[host]["errors"] = dict(snap["errors"])
            for host, why in failed.items():
                statuses[host] = {"status": "failed", **why}
            writes[self.scans_dir / f"{scan_id}.json"] = canonical(index)
            before = {p: (p.read_bytes() if p.exists() else None) for p in writes}
            try:
                for path, text in writes.items():
                    atomic_write(path, text)
                ok = sum(1 for h in statuses.values() if h["status"] != "failed")
                return gitops.commit_paths(
                    repo,
                    list(writes),
                    f"facts: scan {scan_id} ({ok} stored, {len(failed)} failed)",
                    {TRAILER_SCAN: scan_id},
                )
            except BaseException:
                for path, old in before.items():
                    if old is None:
                        path.unlink(missing_ok=True)
                    else:
                        atomic_write(path, old)
                gitops.unstage(repo, list(before))
                raise

    def _carry_over(self, snap: dict[str, Any]) -> dict[str, Any]:
        errors = snap.get("errors") or {}
        previous = self.latest(snap["host"]) if errors else None
        if not previous:
            return snap
        merged = dict(snap, facts=dict(snap["facts"]))
        carried = {}
        for name in errors:
            if name in previous.get("facts", {}):
                merged["facts"][name] = previous["facts"][name]
                carried[name] = (previous.get("carried_over") or {}).get(name, previous["scan_id"])
        if carried:
            merged["carried_over"] = carried
        return merged

    # -- reading ---------------------------------------------------------------

    def hosts(self) -> list[str]:
        """Every host with a stored snapshot."""
        if not self.hosts_dir.is_dir():
            return []
        return sorted(unquote(p.name.removesuffix(".json")) for p in self.hosts_dir.glob("*.json"))

    def latest(self, host: str) -> dict[str, Any] | None:
        """The newest stored snapshot of ``host``, or ``None``."""
        path = self.hosts_dir / host_filename(host)
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def scans(self) -> list[dict[str, Any]]:
        """Every scan's index (``scan_id``, ``started_at``, per-host status), oldest first."""
        if not self.scans_dir.is_dir():
            return []
        return [
            json.loads(p.read_text(encoding="utf-8")) for p in sorted(self.scans_dir.glob("*.json"))
        ]

    def failures(self, hosts: list[str]) -> dict[str, dict[str, Any]]:
        """Hosts (of ``hosts``) whose latest scan attempt failed: ``{"reason", "scan_id"}``."""
        wanted = set(hosts)
        last: dict[str, dict[str, Any]] = {}
        for index in self.scans():  # oldest first: the last attempt wins
            for host, status in (index.get("hosts") or {}).items():
                if host in wanted:
                    last[host] = {"scan_id": index.get("scan_id"), **status}
        return {
            h: {
                "reason": ": ".join(str(x) for x in (s.get("reason"), s.get("message")) if x)
                or "failed",
                "scan_id": s["scan_id"],
            }
            for h, s in sorted(last.items())
            if s.get("status") == "failed"
        }

    def iter_latest(self, hosts: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(host, newest snapshot)`` for each of ``hosts`` that has one, one at a time."""
        for host in hosts:
            snap = self.latest(host)
            if snap is not None:
                yield host, snap

    def histories(
        self, hosts: Iterable[str], max_count: int | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """``history`` for each of ``hosts``."""
        return {h: self.history(h, max_count) for h in hosts}

    def iter_histories(
        self, hosts: Iterable[str], max_count: int | None = None
    ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """``(host, its newest max_count snapshots, oldest first)``, one host at a time."""
        for host in hosts:
            entries = self.history(host, max_count)
            if entries:
                yield host, [self.read_at(e["commit"], host) for e in entries]

    def fetch(self) -> None:
        """Facts live in the workspace's own history: nothing to fetch separately."""

    def push(self) -> None:
        """Facts live in the workspace's own history: nothing to push separately."""

    def history(self, host: str, max_count: int | None = None) -> list[dict[str, Any]]:
        """``[{"scan_id", "commit", "time"}]`` for each stored snapshot of ``host``, oldest first."""
        if max_count is not None:
            return self.history(host)[-max_count:] if max_count > 0 else []
        repo = self.repo
        head = gitops.head(repo) or ""
        cached = self._histories.get((host, head))
        if cached is not None:
            return [dict(e) for e in cached]  # callers may change their copies
        rel = self._rel(repo, host)
        try:
            log = repo.git.log("--format=%H%x1f%B%x1e", "--", rel)
        except git.GitCommandError:
            return []
        out = []
        for entry in log.split("\x1e"):
            commit, _, body = entry.strip().partition("\x1f")
            scan_id = next(
                (
                    ln.split(": ", 1)[1].strip()
                    for ln in body.splitlines()
                    if ln.startswith(TRAILER_SCAN + ": ")
                ),
                None,
            )
            if commit and scan_id:
                out.append({"scan_id": scan_id, "commit": commit, "time": scan_time(scan_id)})
        out.reverse()  # git order, oldest first: two scans in one second keep their order
        self._histories[(host, head)] = out
        return [dict(e) for e in out]

    def get(self, scan_id: str, host: str) -> dict[str, Any]:
        """The snapshot of ``host`` that scan ``scan_id`` stored."""
        for entry in self.history(host):
            if entry["scan_id"] == scan_id:
                return self.read_at(entry["commit"], host)
        index = self.scans_dir / f"{scan_id}.json"
        if index.exists():
            why = json.loads(index.read_text()).get("hosts", {}).get(host)
            if why and why.get("status") == "failed":
                raise NotFoundError(
                    f"{host} failed in scan {scan_id} ({why.get('reason')}): no snapshot",
                    hint="pick an earlier scan or a time: changekit facts show HOST --at WHEN",
                )
            raise NotFoundError(f"scan {scan_id} did not include {host}")
        raise NotFoundError(
            f"no scan {scan_id!r} in {self.scans_dir}", hint="list scans: changekit facts scans"
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

    def read_at(self, commit: str, host: str) -> dict[str, Any]:
        """The snapshot of ``host`` as stored in ``commit`` (an entry of ``history``)."""
        repo = self.repo
        blob = repo.commit(commit).tree / self._rel(repo, host)
        return json.loads(blob.data_stream.read())

    def _rel(self, repo: git.Repo, host: str) -> str:
        """The host file's path from the repository root (the workspace may be a subfolder)."""
        path = (self.hosts_dir / host_filename(host)).resolve()
        return path.relative_to(Path(str(repo.working_tree_dir)).resolve()).as_posix()
