"""Waivers: an accepted deviation on named hosts, with a reason, an approver and an expiry.

An expired waiver hides nothing: its findings are open again and the waiver itself is
listed as expired, so nobody mistakes an old exception for a current one.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from changekit import yamlfile
from changekit.drift.findings import OPEN, WAIVED, Finding
from changekit.errors import InputError

SCHEMA = "waiver"


@dataclass(frozen=True)
class Waiver:
    id: str
    hosts: tuple[str, ...]
    justification: str
    approved_by: str
    expires: date
    item: str | None = None
    finding: str | None = None
    standard: str | None = None
    path: str | None = None
    line: int | None = None

    @property
    def expires_at(self) -> datetime:
        """The end of the expiry day, UTC."""
        return datetime.combine(self.expires, time(), tzinfo=UTC) + timedelta(days=1)

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def matches(self, finding: Finding) -> bool:
        if not any(fnmatch.fnmatchcase(finding.host, h) for h in self.hosts):
            return False
        if self.finding and finding.id != self.finding:
            return False
        if self.item and not fnmatch.fnmatchcase(finding.item, self.item):
            return False
        return not (self.standard and finding.scope != self.standard)

    def as_dict(self, now: datetime) -> dict:
        return {
            "id": self.id,
            "hosts": list(self.hosts),
            "item": self.item,
            "finding": self.finding,
            "standard": self.standard,
            "justification": self.justification,
            "approved_by": self.approved_by,
            "expires": self.expires.isoformat(),
            "expired": self.expired(now),
            "path": self.path,
        }


ITEM = re.compile(r"^[A-Za-z0-9_.*-]+:.+$")


def _check_items(data: Any, path: Path, text: str) -> None:
    """``item:`` must be COLLECTOR:ITEM; say so in words (the schema would quote its regex)."""
    rows = data.get("waivers") if isinstance(data, dict) else None
    for i, raw in enumerate(rows if isinstance(rows, list) else []):
        item = raw.get("item") if isinstance(raw, dict) else None
        if not isinstance(item, str) or ITEM.match(item):
            continue
        line, col = yamlfile.position(text, ["waivers", i, "item"])
        guess = f"{item.rstrip('*') or 'dpkg'}:*"
        raise InputError(
            f"item {item!r} is not COLLECTOR:ITEM (a collector, a colon, then the item)",
            path=path,
            line=line,
            column=col,
            field=f"waivers[{i}].item",
            hint=f"did you mean {guess!r}? e.g. 'dpkg:gcc*', 'perl:PDF::API2', "
            "'integrity:dpkg' (a standard's integrity requirement), 'integrity:/etc/*'",
        )


def load_waivers(directory: Path) -> list[Waiver]:
    """Every waiver in ``directory/*.yaml`` (none when the folder does not exist)."""
    if not directory.is_dir():
        return []
    out: list[Waiver] = []
    seen: dict[str, str] = {}
    for path in sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml")):
        data, text = yamlfile.load_yaml(path)
        _check_items(data, path, text)
        yamlfile.validate(data, SCHEMA, path=path, text=text)
        for i, raw in enumerate(data["waivers"]):
            line, _ = yamlfile.position(text, ["waivers", i])
            if raw["id"] in seen:
                raise InputError(
                    f"waiver id {raw['id']!r} is also used in {seen[raw['id']]}",
                    path=path,
                    line=line,
                    field=f"waivers[{i}].id",
                    hint="waiver ids must be unique",
                )
            seen[raw["id"]] = str(path)
            try:
                expires = date.fromisoformat(raw["expires"])
            except ValueError:
                eline, ecol = yamlfile.position(text, ["waivers", i, "expires"])
                raise InputError(
                    f"{raw['expires']!r} is not a real date",
                    path=path,
                    line=eline,
                    column=ecol,
                    field=f"waivers[{i}].expires",
                    hint="write YYYY-MM-DD",
                ) from None
            who = raw["approved_by"]
            out.append(
                Waiver(
                    id=raw["id"],
                    hosts=tuple(raw["hosts"]),
                    justification=raw["justification"],
                    approved_by=f"{who['name']} <{who['email']}>",
                    expires=expires,
                    item=raw.get("item"),
                    finding=raw.get("finding"),
                    standard=raw.get("standard"),
                    path=str(path),
                    line=line,
                )
            )
    return out


def apply_waivers(findings: list[Finding], waivers: list[Waiver], now: datetime) -> set[str]:
    """Mark open findings a current waiver covers as waived; return the ids of expired
    waivers that would have matched (their findings stay open)."""
    expired_hits: set[str] = set()
    for finding in findings:
        if finding.status != OPEN:
            continue
        for waiver in waivers:
            if not waiver.matches(finding):
                continue
            if waiver.expired(now):
                expired_hits.add(waiver.id)
                finding.evidence.setdefault("expired_waiver", waiver.id)
                continue
            finding.status = WAIVED
            finding.waiver = waiver.id
            break
    return expired_hits
