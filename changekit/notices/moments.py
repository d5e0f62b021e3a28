"""When a change really started and ended, from its record (not the planned window)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

ENDED = ("completed", "failed", "rolled_back")


def _last_entry(record: dict[str, Any], statuses: tuple[str, ...]) -> datetime | None:
    for entry in reversed(record.get("history") or []):
        if entry.get("status") in statuses and entry.get("at"):
            return datetime.fromisoformat(entry["at"])
    return None


def started_at(record: dict[str, Any]) -> datetime | None:
    """When work began: the last move to ``in_progress``; ``None`` before it started."""
    if record.get("status") not in ("in_progress", *ENDED):
        return None
    return _last_entry(record, ("in_progress",))


def finished_at(record: dict[str, Any]) -> datetime | None:
    """When work ended (completed, failed or rolled back); ``None`` while it has not."""
    if record.get("status") not in ENDED:
        return None
    outcome = record.get("outcome") or {}
    if outcome.get("at") and outcome.get("result") in ENDED:
        return datetime.fromisoformat(outcome["at"])
    return _last_entry(record, ENDED)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC (``2026-12-10T22:00:00Z``), for machines reading a payload."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
