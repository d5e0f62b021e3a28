"""Everything a channel needs to deliver the notices of one change in one run."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from changekit.fileio import atomic_write
from changekit.fleet.connector import Connector
from changekit.inventory.model import Host
from changekit.notices.config import NoticesConfig
from changekit.notices.contacts import contact_key
from changekit.notices.model import Audience
from changekit.workspace import Workspace


@dataclass
class NoticePlan:
    workspace: Workspace
    record: dict[str, Any]
    """The record as it will be once this run's sends are recorded (announcement updated)."""
    config: NoticesConfig
    hosts: list[Host]
    audiences: list[Audience]
    now: datetime
    other_records: Callable[[], list[dict[str, Any]]] = list
    """Every other record in the workspace (for the calendar of all upcoming changes)."""
    connect: Callable[[Host], Connector] | None = None
    write: Callable[[Path, str], None] | None = None
    """Writes a workspace file so it is committed with the record (and undone with it)."""
    sent: list[dict[str, Any]] = field(default_factory=list)
    """Notice entries recorded before and during this run."""

    def settings(self, channel: str) -> dict[str, Any]:
        return self.config.section(channel) or {}

    def default_zone(self) -> str:
        return (
            self.config.data.get("timezone")
            or (self.record.get("window") or {}).get("timezone")
            or "UTC"
        )

    def affects(self, contacts: list[str]) -> bool:
        """Whether any of ``contacts`` (any spelling of their address) reads this change."""
        keys = {contact_key(c) for c in contacts}
        return any(a.name in keys for a in self.audiences)

    def _to(self, entry: dict[str, Any], channel: str, audience: str) -> bool:
        return entry.get("channel") == channel and contact_key(
            str(entry.get("audience"))
        ) == contact_key(audience)

    def thread_root(self, channel: str, audience: str) -> str | None:
        """The message id of the announcement this audience got on this channel (for threading)."""
        for entry in self.sent:
            if entry.get("kind") == "announcement" and self._to(entry, channel, audience):
                return entry.get("message_id")
        return None

    def thread(self, channel: str, audience: str) -> list[str]:
        """Message ids sent to this audience on this channel so far, oldest first."""
        return [
            e["message_id"]
            for e in self.sent
            if self._to(e, channel, audience) and e.get("message_id")
        ]

    def write_file(self, path: str | Path, text: str) -> Path:
        """Write a channel's output file: inside the workspace it is committed with the record."""
        target = Path(path)
        if not target.is_absolute():
            target = self.workspace.root / target
        inside = target.resolve().is_relative_to(self.workspace.root.resolve())
        if inside and self.write is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.write(target, text)
        else:
            atomic_write(target, text)
        return target

    def all_records(self) -> list[dict[str, Any]]:
        """Every record, this one as it will be after this run."""
        others = [r for r in self.other_records() if r.get("id") != self.record.get("id")]
        return [*others, self.record]


def projected(record: dict[str, Any], *, now: datetime, sequence: int) -> dict[str, Any]:
    """The record as it will read once announced at ``sequence`` for its current window."""
    out = copy.deepcopy(record)
    ann = out.setdefault("announcement", {})
    ann.setdefault("announced_at", now.isoformat())
    if out.get("window"):
        ann["window"] = {"start": out["window"]["start"], "end": out["window"]["end"]}
    ann["sequence"] = sequence
    return out
