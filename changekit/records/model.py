"""The change record in memory: the YAML mapping, plus typed accessors.

The mapping stays the source of truth so a record round-trips through
load/save with its keys in order and nothing dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from changekit.records.times import parse_stored

STATUSES: tuple[str, ...] = (
    "draft",
    "submitted",
    "approved",
    "rejected",
    "scheduled",
    "in_progress",
    "completed",
    "failed",
    "rolled_back",
    "cancelled",
)
ACTIVE_STATUSES: frozenset[str] = frozenset({"submitted", "approved", "scheduled", "in_progress"})
FINAL_STATUSES: frozenset[str] = frozenset(
    {"completed", "failed", "rolled_back", "cancelled", "rejected"}
)
TYPES: tuple[str, ...] = ("standard", "normal", "emergency")
CATEGORIES: tuple[str, ...] = ("install", "move", "add", "change", "other")
LEVELS: tuple[str, ...] = ("low", "medium", "high")

# The order keys are written in, so records read the same way top to bottom.
FIELD_ORDER: tuple[str, ...] = (
    "id",
    "title",
    "type",
    "category",
    "risk",
    "impact",
    "template",
    "requester",
    "hosts",
    "services",
    "outage",
    "window",
    "description",
    "justification",
    "implementation",
    "verification",
    "rollback",
    "plan",
    "user_action",
    "contact",
    "emergency",
    "approvals",
    "rejection",
    "announcement",
    "notices",
    "links",
    "outcome",
    "run",
    "status",
    "history",
)


@dataclass(frozen=True)
class Identity:
    """A person as git knows them (``user.name`` / ``user.email``)."""

    name: str
    email: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "email": self.email}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Identity:
        return cls(str(data.get("name", "")), str(data.get("email", "")))

    def same_person(self, other: Identity | dict | None) -> bool:
        """Same person when the emails match (case-insensitively): names are spelt many ways."""
        if other is None:
            return False
        if isinstance(other, dict):
            other = Identity.from_dict(other)
        return self.email.strip().lower() == other.email.strip().lower()

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class ChangeRecord:
    """One record: ``data`` is the YAML mapping, ``path`` the file it came from (if any)."""

    __slots__ = ("data", "_path")

    def __init__(self, data: dict[str, Any], path: Path | str | None = None) -> None:
        self.data = data
        self._path = path  # a str until asked for: building 10,000 Paths costs a listing 0.15 s

    @property
    def path(self) -> Path | None:
        if isinstance(self._path, str):
            self._path = Path(self._path)
        return self._path

    @path.setter
    def path(self, value: Path | str | None) -> None:
        self._path = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChangeRecord) and other.data == self.data

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"ChangeRecord({self.data.get('id')!r}, status={self.data.get('status')!r})"

    # -- plain fields -------------------------------------------------------
    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def title(self) -> str:
        return self.data.get("title", "")

    @property
    def type(self) -> str:
        return self.data.get("type", "normal")

    @property
    def category(self) -> str:
        return self.data.get("category", "other")

    @property
    def risk(self) -> str:
        return self.data.get("risk", "low")

    @property
    def impact(self) -> str:
        return self.data.get("impact", "low")

    @property
    def status(self) -> str:
        return self.data.get("status", "draft")

    @property
    def template(self) -> str | None:
        return self.data.get("template")

    @property
    def hosts(self) -> list[str]:
        return list(self.data.get("hosts") or [])

    @property
    def services(self) -> list[str]:
        return list(self.data.get("services") or [])

    @property
    def requester(self) -> Identity:
        return Identity.from_dict(self.data.get("requester") or {})

    @property
    def outage(self) -> bool:
        return bool((self.data.get("outage") or {}).get("expected"))

    @property
    def approvals(self) -> list[dict[str, Any]]:
        return list(self.data.get("approvals") or [])

    @property
    def history(self) -> list[dict[str, Any]]:
        return list(self.data.get("history") or [])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    # -- the window -----------------------------------------------------------
    @property
    def window_start(self) -> datetime | None:
        w = self.data.get("window")
        return parse_stored(w["start"]) if w else None

    @property
    def window_end(self) -> datetime | None:
        w = self.data.get("window")
        return parse_stored(w["end"]) if w else None

    @property
    def window_timezone(self) -> str | None:
        w = self.data.get("window")
        return w.get("timezone") if w else None

    def overlaps(self, start: datetime | None, end: datetime | None) -> bool:
        """Whether the planned window overlaps ``[start, end]`` (open ends allowed)."""
        ws, we = self.window_start, self.window_end
        if ws is None or we is None:
            return False
        return (end is None or ws <= end) and (start is None or we >= start)

    def ordered(self) -> dict[str, Any]:
        """The mapping with keys in the house order (unknown keys last, untouched)."""
        out = {k: self.data[k] for k in FIELD_ORDER if k in self.data}
        out.update({k: v for k, v in self.data.items() if k not in out})
        return out

    def summary(self) -> dict[str, Any]:
        """The fields ``change list`` shows and ``--format json`` prints."""
        w = self.data.get("window") or {}
        return {
            "id": self.id,
            "title": self.title,
            "type": self.type,
            "status": self.status,
            "risk": self.risk,
            "hosts": self.hosts,
            "window_start": w.get("start"),
            "window_end": w.get("end"),
            "timezone": w.get("timezone"),
            "requester": self.data.get("requester", {}).get("email"),
        }
