"""Deliver the notices a change needs: every channel, every audience, each key once.

A channel that fails is reported and tried again on the next run; the others
still go out, and only what went out is returned for recording.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import jinja2

from changekit.errors import ChangekitError
from changekit.notices import calendar, render
from changekit.notices.contacts import notice_key
from changekit.notices.due import Due
from changekit.notices.model import Audience, NoticeChannel
from changekit.notices.plan import NoticePlan

CLOSING = ("cancellation", "completion")


@dataclass(frozen=True)
class Failure:
    change_id: str
    kind: str
    channel: str
    audience: str
    error: str


@dataclass
class Report:
    sent: list[dict[str, Any]] = field(default_factory=list)
    """Recorded notice entries, each with the change id added under ``change``."""
    failed: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def channel_names(plan: NoticePlan) -> list[str]:
    own = (plan.record.get("announcement") or {}).get("channels")
    return list(own) if own else plan.config.default_channels()


def _organizer(plan: NoticePlan) -> str | None:
    return (plan.config.section("email") or {}).get("from")


def deliver(
    plan: NoticePlan,
    dues: list[Due],
    channels: dict[str, NoticeChannel],
    env: jinja2.Environment,
    report: Report,
    *,
    previous_window: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Send every due notice not sent before; return the entries to record."""
    record = plan.record
    cid = record["id"]
    # keys recorded under a display form ("DBA <dba@...>") count for the address
    done = {notice_key(str(e["key"])) for e in plan.sent if e.get("key")}
    recorded: list[dict[str, Any]] = []
    names = channel_names(plan)
    if not names:
        report.warnings.append(f"{cid}: no notice channels configured (notices.yaml)")
    for due in dues:
        for name in names:
            channel = channels.get(name)
            if channel is None:
                report.failed.append(
                    Failure(cid, due.kind, name, "-", f"unknown notice channel {name!r}")
                )
                continue
            if due.kind not in channel.kinds:
                continue
            try:
                targets = channel.targets(plan)
            except ChangekitError as exc:
                report.failed.append(Failure(cid, due.kind, name, "-", exc.format()))
                continue
            pending = [
                t
                for t in targets
                if due.key(name, t.name) not in done
                # never told it was coming: nothing to call off or wrap up
                and not (
                    due.kind in CLOSING and Due("announcement", 0).key(name, t.name) not in done
                )
            ]

            def send(target: Audience, due: Due = due, channel: NoticeChannel = channel):
                return _send_one(plan, due, channel, target, env, report, previous_window)

            for target, entry in zip(pending, _each(send, pending, channel.parallel), strict=True):
                if entry is not None:
                    entry["key"] = due.key(name, target.name)
                    done.add(entry["key"])
                    plan.sent.append(entry)
                    recorded.append(entry)
                    report.sent.append({"change": cid, **entry})
    return recorded


def _each(send: Callable[[Audience], Any], targets: list[Audience], parallel: int) -> list[Any]:
    """``send`` for every target, up to ``parallel`` at once; results in target order."""
    if parallel <= 1 or len(targets) <= 1:
        return [send(t) for t in targets]
    with ThreadPoolExecutor(max_workers=min(parallel, len(targets))) as pool:
        return list(pool.map(send, targets))


def _send_one(
    plan: NoticePlan,
    due: Due,
    channel: NoticeChannel,
    target: Audience,
    env: jinja2.Environment,
    report: Report,
    previous_window: dict[str, str] | None,
) -> dict[str, Any] | None:
    record = plan.record
    ctx = render.context(
        record,
        kind=due.kind,
        zone=target.timezone,
        hosts=[h.name for h in plan.hosts],
        sequence=due.sequence,
        variant=due.variant,
        previous_window=previous_window if due.kind == "reschedule" else None,
        contact=plan.config.data.get("contact"),
        now=plan.now,
    )
    # CANCEL must outrank the last PUBLISH for calendars to apply it
    ics_seq = due.sequence + (1 if due.kind == "cancellation" else 0)
    cal = calendar.for_notice(
        record,
        kind=due.kind,
        sequence=ics_seq,
        now=plan.now,
        description=(record.get("description") or record["title"]).strip(),
        organizer=_organizer(plan),
    )
    try:
        notice = render.render(env, ctx, audience=target, calendar=cal)
        receipt = channel.send(notice, target, plan)
    except ChangekitError as exc:
        report.failed.append(
            Failure(record["id"], due.kind, channel.name, target.name, exc.format())
        )
        return None
    except Exception as exc:  # noqa: BLE001 - one broken channel must not stop the others
        report.failed.append(
            Failure(
                record["id"], due.kind, channel.name, target.name, f"{type(exc).__name__}: {exc}"
            )
        )
        return None
    entry: dict[str, Any] = {
        "kind": due.kind,
        "channel": channel.name,
        "audience": target.name,
        "at": plan.now.isoformat(),
    }
    if receipt.message_id:
        entry["message_id"] = receipt.message_id
    entry["sequence"] = due.sequence
    return entry
