"""A problem found in a record, a policy, a standard or on a host: what, where, how to fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")


@dataclass(frozen=True)
class Problem:
    code: str
    """Stable machine-readable code, e.g. ``approval-not-proven`` or ``window-in-freeze``."""
    message: str
    """One plain sentence a person understands."""
    record: str | None = None
    """The change record id (or host, or standard) the problem belongs to."""
    path: str | None = None
    line: int | None = None
    field: str | None = None
    hint: str | None = None
    """What would fix it, e.g. the next allowed window."""
    severity: Severity = "high"

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def format(self) -> str:
        where = ":".join(str(p) for p in (self.path, self.line) if p is not None)
        head = f"{where}: " if where else ""
        subject = f"{self.record}: " if self.record else ""
        text = f"{head}{subject}{self.message}"
        if self.field:
            text += f"\n  field: {self.field}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text
