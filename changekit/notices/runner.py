"""Run notices for records: pick what is due, deliver it, record it in one commit per record."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from changekit import gitops, plugins
from changekit.errors import InputError, NotFoundError, RefusedError
from changekit.fleet.connector import ConnectOptions, Connector
from changekit.inventory.model import Host, Inventory
from changekit.notices import due as duemod
from changekit.notices import render
from changekit.notices.audiences import affected_hosts, audiences_for
from changekit.notices.config import NoticesConfig
from changekit.notices.model import NoticeChannel
from changekit.notices.plan import NoticePlan, projected
from changekit.notices.send import Failure, Report, deliver
from changekit.records import store, times, transaction
from changekit.workspace import Workspace


def current_time() -> datetime:
    """The real clock: what is due, and the times recorded. Never taken from the command line,
    so no one can backdate an announcement to satisfy the lead time."""
    return times.now()


def load_channels() -> dict[str, NoticeChannel]:
    """Every notice channel the plugins offer, by name (a later plugin may replace a built-in)."""
    return plugins.by_name("register_notice_channels")


def connect_options(config: NoticesConfig) -> ConnectOptions:
    """How the banner reaches hosts: like ``changekit scan``, host keys always checked."""
    settings = config.section("banner") or {}
    known = settings.get("known_hosts")
    return ConnectOptions(
        known_hosts_file=os.path.expanduser(known) if known else None,
        sudo=bool(settings.get("sudo")),
    )


class Runner:
    """One ``announce`` or ``send-due`` run over a workspace."""

    def __init__(
        self,
        ws: Workspace,
        *,
        config: NoticesConfig,
        inventory: Inventory,
        now: datetime,
        channels: dict[str, NoticeChannel] | None = None,
    ) -> None:
        self.ws = ws
        self.repo = gitops.open_repo(ws.root)
        self.config = config
        self.inventory = inventory
        self.now = now
        self.channels = channels if channels is not None else load_channels()
        self.env = render.environment(ws)
        self.report = Report()
        self.options = connect_options(config)  # shared by parallel sends; it locks itself
        self._factories: dict[str, Callable[..., Connector]] | None = None

    def connect(self, host: Host) -> Connector:
        """An open connection to ``host`` (the caller closes it)."""
        if self._factories is None:
            self._factories = dict(plugins.collect("register_connectors"))
        kind = str(host.vars.get("changekit_connector", "ssh"))
        if kind not in self._factories:
            raise NotFoundError(
                f"no connector {kind!r} for host {host.name}", hint="is the ssh plugin installed?"
            )
        conn = self._factories[kind](host, self.options)
        conn.connect()
        return conn

    def close(self) -> None:
        """Close what connections shared (jump hosts); safe to call twice."""
        self.options.close()

    def others(self) -> list[dict[str, Any]]:
        return [r.data for r in store.load_all(self.ws).records]

    def announce(self, record_id: str) -> None:
        rec = store.find_record(self.ws, record_id)
        if duemod.unannounced_emergency(rec.data):
            # under way already: announced with its start (or end) notice, as send-due would
            self._run(rec.id, announce=False)
            return
        if rec.status not in duemod.ANNOUNCEABLE:
            raise RefusedError(
                f"{rec.id} is {rec.status}; only submitted, approved or scheduled changes are announced",
                hint="submit the change first (`changekit change submit ID`)"
                if rec.status == "draft"
                else "`changekit notices send-due` sends its start, completion or cancellation notices"
                if duemod.announced(rec.data)
                else None,
            )
        if not rec.data.get("window"):
            raise RefusedError(
                f"{rec.id} has no window, so a notice could not say when",
                field="window",
                hint="give the record a window (window: start, end, timezone), commit it, "
                "and announce again",
            )
        self._run(rec.id, announce=True)

    def send_due(self) -> None:
        loaded = store.load_all(self.ws)
        for err in loaded.errors:
            self.report.warnings.append(f"skipped a record that does not load: {err.format()}")
        for rec in loaded.records:
            if not duemod.due_notices(rec.data, self.config.reminders(), self.now):
                continue
            try:
                self._run(rec.id, announce=False)
            except (InputError, RefusedError) as exc:  # one bad record must not silence the rest
                self.report.failed.append(Failure(rec.id, "-", "-", "-", exc.format()))

    def send_due_for(self, record_id: str) -> None:
        """The notices one record needs now (``changekit change run`` after each step)."""
        rec = store.find_record(self.ws, record_id)
        if duemod.due_notices(rec.data, self.config.reminders(), self.now):
            self._run(rec.id, announce=False)

    def _run(self, record_id: str, *, announce: bool) -> None:
        with transaction.mutation(self.ws, self.repo) as txn:
            rec = store.find_record(self.ws, record_id)  # again, under the lock
            data = rec.data
            dues = (
                [duemod.Due("announcement", 0)]
                if announce
                else duemod.due_notices(data, self.config.reminders(), self.now)
            )
            if not dues:
                return
            hosts = affected_hosts(data, self.inventory)
            seq = max([duemod.sequence(data), *(d.sequence for d in dues)])
            plan = NoticePlan(
                workspace=self.ws,
                record=projected(data, now=self.now, sequence=seq),
                config=self.config,
                hosts=hosts,
                audiences=audiences_for(data, hosts, self.config),
                now=self.now,
                other_records=self.others,
                connect=self.connect,
                write=txn.write,
                sent=list(data.get("notices") or []),
            )
            previous = (data.get("announcement") or {}).get("window")
            entries = deliver(
                plan, dues, self.channels, self.env, self.report, previous_window=previous
            )
            if not entries:
                return
            _apply(data, entries, self.now)
            path = rec.path or store.record_path(self.ws, rec.id)
            text = store.dump_record(rec)
            store.validate_data(rec.data, path=self.ws.relpath(path), text=text)
            txn.write(path, text)
            kinds = sorted({e["kind"] for e in entries})
            body = "\n".join(
                f"- {e['kind']} via {e['channel']} to {e['audience']}"
                + (f" ({e['message_id']})" if e.get("message_id") else "")
                for e in entries
            )
            txn.commit(
                f"{rec.id}: sent {len(entries)} notice{'s' if len(entries) != 1 else ''} ({', '.join(kinds)})",
                {gitops.TRAILER_RECORD: rec.id, gitops.TRAILER_ACTION: "notices"},
                body,
            )


def _apply(data: dict[str, Any], entries: list[dict[str, Any]], now: datetime) -> None:
    """Record what went out; the announcement's window and sequence follow what readers were told."""
    data.setdefault("notices", []).extend(entries)
    ann = data.setdefault("announcement", {})
    kinds = {e["kind"] for e in entries}
    if "announcement" in kinds and not ann.get("announced_at"):
        ann["announced_at"] = now.isoformat()
        ann["sequence"] = 0
        if data.get("window"):
            ann["window"] = {"start": data["window"]["start"], "end": data["window"]["end"]}
    resched = [e["sequence"] for e in entries if e["kind"] == "reschedule"]
    if resched and max(resched) > int(ann.get("sequence") or 0):
        ann["sequence"] = max(resched)
        ann["window"] = {"start": data["window"]["start"], "end": data["window"]["end"]}
