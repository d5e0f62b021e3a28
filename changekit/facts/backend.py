"""The facts-store contract: what scan, drift, reports and the ``facts`` commands need from
wherever snapshots are kept, and ``open_store`` to get the workspace's store.

Every caller goes through ``open_store`` and this protocol, never a backend class, so a
backend (the git store today, others through plugins) can be swapped without touching them.
Reads that cover many hosts are iterators: a caller holds one host (or one peer group) at a
time, never the fleet, so memory is bounded by what it keeps, not by the fleet's size.

A snapshot is the dict the collectors produce (``schemas/snapshot.schema.json``); a history
entry is ``{"scan_id": str, "commit": ref, "time": datetime}`` where ``commit`` is an opaque
reference only the same store understands (a git commit id, a database row id...), passed
back to ``read_at``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from changekit.workspace import Workspace

Snapshot = dict[str, Any]
HistoryEntry = dict[str, Any]


@runtime_checkable
class FactsStore(Protocol):
    """Snapshots of hosts, one per host per scan, with their history."""

    workspace: Workspace
    """The workspace the store belongs to (inventory, config)."""

    def save(
        self,
        scan_id: str,
        snapshots: Iterable[Snapshot],
        failed: Mapping[str, dict[str, str]] | None = None,
    ) -> str | None:
        """Store one scan: ``snapshots`` (consumed once, may be a generator) and the hosts
        that ``failed`` (``{host: {"reason", "message"}}``, their last good snapshot stays).
        A partial snapshot's failed collectors carry their facts over from the previous one.
        All or nothing. Return the scan's reference in the store (a commit id), or ``None``."""
        ...

    def hosts(self) -> list[str]:
        """Every host with a stored snapshot, sorted."""
        ...

    def latest(self, host: str) -> Snapshot | None:
        """The newest snapshot of ``host``, or ``None`` when it has none."""
        ...

    def iter_latest(self, hosts: Iterable[str]) -> Iterator[tuple[str, Snapshot]]:
        """``(host, newest snapshot)`` for each of ``hosts`` that has one, in the order given,
        one at a time."""
        ...

    def scans(self) -> list[dict[str, Any]]:
        """Every scan's index (``scan_id``, ``started_at``, ``hosts``: per-host status),
        oldest first."""
        ...

    def failures(self, hosts: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Hosts (of ``hosts``) whose latest scan attempt failed: ``{"reason", "scan_id"}``."""
        ...

    def history(self, host: str, max_count: int | None = None) -> list[HistoryEntry]:
        """``host``'s stored snapshots as history entries, oldest first; with ``max_count``,
        only the newest ``max_count`` of them."""
        ...

    def histories(
        self, hosts: Iterable[str], max_count: int | None = None
    ) -> dict[str, list[HistoryEntry]]:
        """``history`` for many hosts in one read (one query, not one per host)."""
        ...

    def iter_histories(
        self, hosts: Iterable[str], max_count: int | None = None
    ) -> Iterator[tuple[str, list[Snapshot]]]:
        """``(host, snapshots oldest first)`` for each of ``hosts`` that has any, in the order
        given: its newest ``max_count`` snapshots (all when ``None``), one host at a time."""
        ...

    def read_at(self, ref: Any, host: str) -> Snapshot:
        """The snapshot of ``host`` stored at ``ref`` (the ``commit`` of a history entry)."""
        ...

    def get(self, scan_id: str, host: str) -> Snapshot:
        """The snapshot of ``host`` that scan ``scan_id`` stored; ``NotFoundError`` saying
        why when there is none."""
        ...

    def at(self, host: str, when: str | datetime) -> Snapshot:
        """``host``'s snapshot as it stood at ``when`` (a scan id, date, ``yesterday``, ISO
        time, or a datetime); ``NotFoundError`` when there is none that early."""
        ...

    def fetch(self) -> None:
        """Bring in facts others stored (from the workspace's remote); a no-op for stores
        that are shared already (a database) or have nowhere to fetch from."""
        ...

    def push(self) -> None:
        """Publish facts stored here (to the workspace's remote); a no-op where not needed."""
        ...


def open_store(workspace: Workspace) -> FactsStore:
    """The facts store of ``workspace``. Every caller uses this, never a backend class.
    Raises a ``ChangekitError`` saying how to fix it when the store cannot be opened."""
    from changekit.errors import WorkspaceError
    from changekit.facts.migrate import needs_migration
    from changekit.facts.store import LEGACY_DIR, SnapshotStore

    store = SnapshotStore(workspace)
    if store.tip() is None and needs_migration(workspace, store.repo):
        raise WorkspaceError(
            f"this workspace keeps its facts in {LEGACY_DIR}/, with the change records",
            hint="move them to their own ref once, history and all: changekit facts migrate",
        )
    return store
