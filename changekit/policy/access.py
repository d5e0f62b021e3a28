"""Read a change record whether it is the records model (with ``.data``) or a plain mapping."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from changekit.records.times import parse_stored

ACTIVE_STATUSES = ("submitted", "approved", "scheduled", "in_progress")

SUBSTANCE_FIELDS = (
    "type",
    "category",
    "risk",
    "impact",
    "requester",
    "template",
    "hosts",
    "outage",
    "window",
    "implementation",
    "verification",
    "rollback",
    "plan",
    "services",
    "contact",
    "customer",
    "team",
)
"""What an approver approves: a change to any of these after an approval voids it. Who is told
(services, contact, hosts and the announcement's extra audiences) is part of it: an approval
of a change announced to some readers does not cover telling fewer. So is what decides its
change class (type, category, template) and whose quota it uses (customer, team): otherwise
an approved change could leave its class or its customer's quota by a hand edit."""


CLASSIFYING = ("type", "category", "template", "customer", "team")
"""The substance that says what kind of change it is and whose quota it uses, never what
happened on the hosts: editing it after the change started is no correction of fact."""


def data_of(record: Any) -> Mapping[str, Any]:
    data = getattr(record, "data", record)
    if not isinstance(data, Mapping):
        raise TypeError(f"not a change record: {type(record).__name__}")
    return data


def substance(record: Any) -> dict[str, Any]:
    data = data_of(record)
    out = {k: data.get(k) for k in SUBSTANCE_FIELDS}
    out["audiences"] = audiences_of(data.get("announcement"))
    return out


def digest(value: Any) -> str:
    """A short digest of a JSON-able value (keys sorted)."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(values: Mapping[str, Any]) -> dict[str, str]:
    """Field -> a digest of its value, and ``*`` -> one of them all: what the gate caches of a
    record's substance at each approval (a few bytes instead of the plan), enough to tell
    whether it changed (``*``) and which fields did."""
    return {"*": digest(dict(values)), **{k: digest(v) for k, v in values.items()}}


def audiences_of(announcement: Any) -> Any:
    """The extra audiences an announcement names (``announcement.audiences``)."""
    return announcement.get("audiences") if isinstance(announcement, Mapping) else None


def record_id(record: Any) -> str | None:
    return data_of(record).get("id")


def email_of(identity: Any) -> str:
    if identity is None:
        return ""
    if isinstance(identity, str):
        return identity.strip().lower()
    if isinstance(identity, Mapping):
        return str(identity.get("email", "")).strip().lower()
    return str(getattr(identity, "email", "")).strip().lower()


def window_of(record: Any) -> tuple[datetime, datetime] | None:
    """The planned window as aware datetimes, or None when there is none (or it is unreadable)."""
    win = data_of(record).get("window")
    if not isinstance(win, Mapping):
        return None
    try:
        return parse_stored(win["start"]), parse_stored(win["end"])
    except (KeyError, ValueError, TypeError):
        return None


def causes_outage(record: Any) -> bool:
    outage = data_of(record).get("outage")
    return bool(isinstance(outage, Mapping) and outage.get("expected"))


def history_time(record: Any, status: str) -> datetime | None:
    """When the record first took ``status``, from its history."""
    for entry in data_of(record).get("history") or ():
        if isinstance(entry, Mapping) and entry.get("status") == status:
            try:
                return parse_stored(entry["at"])
            except (KeyError, ValueError):
                return None
    return None


def last_history_time(record: Any, status: str) -> datetime | None:
    """When the record last took ``status``, from its history."""
    found = None
    for entry in data_of(record).get("history") or ():
        if isinstance(entry, Mapping) and entry.get("status") == status:
            with contextlib.suppress(KeyError, ValueError):
                found = parse_stored(entry["at"])
    return found


def announced_at(record: Any) -> datetime | None:
    """When the record's maintenance notice went out, if it has."""
    ann = data_of(record).get("announcement") or {}
    if ann.get("announced_at"):
        try:
            return parse_stored(ann["announced_at"])
        except ValueError:
            return None
    return None
