"""Snapshots with history (``SnapshotStore``) and what changed between two of them."""

from changekit.facts.store import SnapshotStore

__all__ = ["SnapshotStore"]
