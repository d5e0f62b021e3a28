"""When ``integrity`` verifies every packaged file, and when only the ones that changed.

Pure logic: the last stored snapshot's ``runs.integrity`` (what git recorded), the scan's time
and the operator's wishes in, a plan out. The host carries the plan out and may still fall
back to a full verify (no baseline there, or not the one git recorded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

DEFAULT_EVERY_DAYS = 7
"""When the scan's context does not say (``changekit scan --full-verify-days``)."""
DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Plan:
    mode: str
    """``full`` (``dpkg --verify`` hashes every file) or ``incremental``."""
    why: str
    """Why a full verify (empty for an incremental one)."""
    digest: str
    """The sha256 of the host's baseline as the last scan recorded it (incremental only)."""
    full_at: str | None
    """When the last full verify ran (ISO time), carried from the previous run."""


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else None


def plan(previous: Any, now: datetime, every_days: int, forced: bool) -> Plan:
    """The plan for one host. ``previous`` is the last stored snapshot's ``runs.integrity``
    (``None`` when there is none); anything malformed there means a full verify."""
    if forced:
        return Plan("full", "requested (--full-verify)", "", None)
    if previous is None:
        return Plan("full", "no previous verified scan", "", None)
    if not isinstance(previous, dict):
        return Plan("full", "the previous result is unreadable", "", None)
    digest = previous.get("baseline")
    full_at = _parse_time(previous.get("full_at"))
    if full_at is None:
        return Plan("full", "the previous result is unreadable", "", None)
    if not isinstance(digest, str) or not DIGEST_RE.match(digest):
        return Plan("full", "the previous scan left no baseline on the host", "", None)
    if now - full_at >= timedelta(days=every_days):
        return Plan(
            "full",
            f"scheduled: the last full verify was {full_at.date().isoformat()}, "
            f"one runs every {every_days} days",
            "",
            None,
        )
    return Plan("incremental", "", digest, full_at.isoformat(timespec="seconds"))
