"""Which notices a change needs now. Pure logic: record + settings + time in, kinds out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from changekit.notices.config import parse_duration

ANNOUNCEABLE = ("submitted", "approved", "scheduled")
FINISHED = ("completed", "failed", "rolled_back")


@dataclass(frozen=True)
class Due:
    kind: str
    sequence: int
    variant: str = ""

    def key(self, channel: str, audience: str) -> str:
        """The idempotency key: the same key is never sent twice."""
        kind = f"{self.kind}+{self.variant}" if self.variant else self.kind
        return f"{kind}/{channel}/{audience}/{self.sequence}"


def announced(record: dict[str, Any]) -> bool:
    return bool((record.get("announcement") or {}).get("announced_at"))


def sequence(record: dict[str, Any]) -> int:
    return int((record.get("announcement") or {}).get("sequence") or 0)


def rescheduled(record: dict[str, Any]) -> bool:
    """The window differs from the one last announced."""
    ann = (record.get("announcement") or {}).get("window")
    win = record.get("window")
    if not ann or not win:
        return False
    return (datetime.fromisoformat(ann["start"]), datetime.fromisoformat(ann["end"])) != (
        datetime.fromisoformat(win["start"]),
        datetime.fromisoformat(win["end"]),
    )


def reminder_offsets(record: dict[str, Any], defaults: list[str]) -> list[str]:
    own = (record.get("announcement") or {}).get("reminders")
    return list(own if own else defaults)


def told_at(record: dict[str, Any], seq: int, now: datetime) -> datetime:
    """When readers were last told the window: the announcement (sequence 0) or the first
    reschedule notice of ``seq``; ``now`` when that notice is only going out now."""
    if seq == 0:
        return datetime.fromisoformat(record["announcement"]["announced_at"])
    sent = [
        datetime.fromisoformat(e["at"])
        for e in record.get("notices") or []
        if e.get("kind") == "reschedule" and e.get("sequence") == seq and e.get("at")
    ]
    return min(sent) if sent else now


def due_reminder(
    record: dict[str, Any], defaults: list[str], now: datetime, told: datetime | None = None
) -> str | None:
    """The one reminder to send now: the smallest offset whose time has come.

    Only the closest reminder goes out, so a cron that was down for a day does not
    send "tomorrow" and "in one hour" at once. A reminder whose time had already passed
    when readers were ``told`` the window is never sent: they have just read when it is."""
    window = record.get("window")
    if not window:
        return None
    start = datetime.fromisoformat(window["start"])
    if now >= start:
        return None
    ready = []
    for offset in reminder_offsets(record, defaults):
        moment = start - parse_duration(offset)
        if moment <= now and (told is None or moment > told):
            ready.append((parse_duration(offset), offset))
    return min(ready)[1] if ready else None


def unannounced_emergency(record: dict[str, Any]) -> list[Due]:
    """An emergency that started before anyone announced it: the people it affects still
    hear that it is happening and why (announcement), then that it started or how it ended."""
    if record.get("type") != "emergency":
        return []
    status = record.get("status")
    if status == "in_progress":
        return [Due("announcement", 0), Due("start", 0)]
    if status in FINISHED:
        return [Due("announcement", 0), Due("completion", 0)]
    return []


def due_notices(record: dict[str, Any], reminders: list[str], now: datetime) -> list[Due]:
    """The notices a change needs at ``now`` (sent ones are filtered later by key).

    A change that was never announced needs nothing (``changekit announce`` starts it all),
    except an emergency that is already under way."""
    if not announced(record):
        return unannounced_emergency(record)
    seq = sequence(record)
    status = record.get("status")
    # the end of a change goes to those who were told about it; late announcements stop
    if status == "cancelled":
        return [Due("cancellation", seq)]
    if status in FINISHED:
        return [Due("completion", seq)]
    due = [Due("announcement", 0)]  # retried until every channel and audience has it
    if rescheduled(record):
        seq += 1
    if seq > 0:  # also retries a reschedule notice a channel failed to deliver
        due.append(Due("reschedule", seq))
    if status == "in_progress":
        return [*due, Due("start", seq)]
    if status in ANNOUNCEABLE:
        offset = due_reminder(record, reminders, now, told_at(record, seq, now))
        if offset:
            due.append(Due("reminder", seq, offset))
    return due
