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
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from changekit.errors import InputError

DEFAULT_STORE = "git"

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
        ``failed`` is read only once ``snapshots`` is exhausted: a scan streaming its
        snapshots as hosts finish (``facts.feed``) fills it until then. A partial snapshot's
        failed collectors carry their facts over from the previous one. All or nothing,
        including when ``snapshots`` raises part way (an interrupted scan): nothing is stored.
        Return the scan's reference in the store (a commit id), or ``None``."""
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


@runtime_checkable
class ShardedFactsStore(FactsStore, Protocol):
    """A store several runners write at once (``scan --shard K/N``, one ``--scan-id``): the
    PostgreSQL store. ``save`` takes which shard it stores; the scan counts once one shard of
    it is in, and a shard stored twice is refused."""

    concurrent_writers: bool

    def save(  # type: ignore[override]
        self,
        scan_id: str,
        snapshots: Iterable[Snapshot],
        failed: Mapping[str, dict[str, str]] | None = None,
        *,
        shard: tuple[int, int] | None = None,
    ) -> str | None: ...


@dataclass(frozen=True)
class DriftKeep:
    """Facts drift judges on every host whether or not they differ: what standards name."""

    items: frozenset[tuple[str, str]] = frozenset()
    """``(collector, item)`` pairs (a ``present``, ``file`` or ``enabled`` requirement's)."""
    patterns: frozenset[tuple[str, str]] = frozenset()
    """``(collector, glob)``: items matching a shell-style glob, case-sensitive (``absent``)."""
    collectors: frozenset[str] = frozenset()
    """Collectors kept whole (``integrity``; collectors that wrap their items, like ``services``)."""


@runtime_checkable
class DriftHistoriesStore(FactsStore, Protocol):
    """A store that can cut, where it keeps the facts, what drift does not need: optional.
    ``changekit drift`` (and ``report``) use it when the store offers it, and
    ``iter_histories`` otherwise; the findings are the same either way."""

    def iter_drift_histories(
        self, hosts: Iterable[str], max_count: int | None, keep: DriftKeep
    ) -> Iterator[tuple[str, list[Snapshot]]]:
        """``iter_histories(hosts, max_count)`` with each item-shaped collector (see
        ``plugins/factstore/encoding.py``) cut down: an item is left out when every one of
        these snapshots that has its collector holds it with the same value (so no peer,
        time or standard rule can tell it apart) and ``keep`` does not name it. ``hosts`` are
        judged together (one drift unit); everything else of a snapshot stays as stored."""
        ...


@runtime_checkable
class PinnedReadsStore(FactsStore, Protocol):
    """A store whose reads can be pinned to one state of it: optional. ``changekit drift``
    reads the fleet's history, then each unit's snapshots, then failures, in many reads; a
    scan stored in between must not leave some units judged at it and others not. The git
    store needs nothing (it reads one tip per opening); the PostgreSQL store offers this."""

    def pinned_reads(self) -> AbstractContextManager[None]:
        """Every read inside sees the store as it was when the block began."""
        ...


def pinned_reads(store: FactsStore) -> AbstractContextManager[None]:
    """``store.pinned_reads()`` when the store offers it (``PinnedReadsStore``), else nothing."""
    return store.pinned_reads() if isinstance(store, PinnedReadsStore) else nullcontext()


def open_store(workspace: Workspace) -> FactsStore:
    """The facts store of ``workspace``: ``facts.store`` in its changekit.yaml names one that a
    plugin registered (``register_facts_stores``); ``git`` when it names none. Every caller
    uses this, never a backend class. Raises a ``ChangekitError`` saying how to fix it when
    the store cannot be opened."""
    name, options = store_settings(workspace)
    stores = facts_stores()
    if name not in stores:
        raise InputError(
            f"no facts store named {name!r}",
            path=workspace.config_path,
            field="facts.store",
            hint=f"known: {', '.join(sorted(stores))} (a plugin may add more)",
        )
    return stores[name](workspace, options)


def facts_stores() -> dict[str, Any]:
    """Store name -> factory, from every plugin; a plugin's name wins over a built-in's."""
    from changekit.plugins import collect

    found: dict[str, Any] = {}
    for name, factory in collect("register_facts_stores"):
        found.setdefault(name, factory)  # trylast built-ins come last: others override them
    return found


def store_settings(workspace: Workspace) -> tuple[str, dict[str, Any]]:
    """``(store name, the facts mapping)`` from the workspace's changekit.yaml."""
    from changekit.yamlfile import load_yaml

    facts: Any = {}
    if workspace.config_path.is_file():
        config, _text = load_yaml(workspace.config_path)
        facts = (config.get("facts") if isinstance(config, dict) else None) or {}
    if not isinstance(facts, dict):
        raise InputError(
            "facts must be a mapping",
            path=workspace.config_path,
            field="facts",
            hint="e.g. facts: {store: postgres, dsn: 'host=db dbname=changekit'}",
        )
    name = facts.get("store", DEFAULT_STORE)
    if not isinstance(name, str) or not name:
        raise InputError(
            "facts.store must be a store name",
            path=workspace.config_path,
            field="facts.store",
            hint="git (the default) or postgres",
        )
    return name, dict(facts)


def open_git_store(workspace: Workspace) -> FactsStore:
    """The built-in git store (``facts.store: git``, the default)."""
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
