"""``changekit timeline``: what happened to some hosts in a period, in one chronological list.

"Why did it work yesterday?" needs the recorded changes (with their state moves), what the
scans saw change and which record explains each change, the notices sent, the runs, the
scans that failed and the waivers: each from its own room, put side by side here.

Everything a person could type into a file is proven before it is shown: a record's state
moves and notices come from its git history (``changekit.drift.proof.prove_all``), never its
``status``/``history`` fields (an edit no step explains is shown as a warning, and counts for
nothing); a waiver was opened when the commit that added it was made; an observed change is
judged exactly as ``changekit drift`` judges it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from changekit.workspace import Workspace

KINDS = (
    "record-step",
    "unproven-edit",
    "notice",
    "run-host",
    "observed-change",
    "scan-failed",
    "scan-partial",
    "waiver-opened",
    "waiver-expiring",
    "waiver-expired",
)
"""Every kind of event, in the order events of the same second are listed."""

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Event:
    """One thing that happened, to one or more of the selected hosts."""

    time: datetime
    kind: str
    hosts: tuple[str, ...]
    summary: str
    """One plain sentence (the text is as found: renderers make it safe)."""
    record: str | None = None
    details: dict[str, Any] = field(default_factory=dict, compare=False)
    seq: int = field(default=0, compare=False)
    """Order among one host's events of one kind within a second (what a host's scans saw:
    two scans can be stored in one second, and the later one's changes come after)."""

    def sort_key(self, order: dict[str, int] | None = None) -> tuple:
        """Oldest first. Times are to the second, and a run can start, finish a host and
        complete within one: in one second, commits come in the order git made them, and
        what a scan saw comes after them (a scan sees what was done before it)."""
        rank = (order or {}).get(self.details.get("commit") or "", 1 << 62)
        return (
            self.time,
            rank,
            KINDS.index(self.kind),
            self.hosts,
            self.seq,
            self.record or "",
            self.summary,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "time": utc(self.time),
            "kind": self.kind,
            "hosts": list(self.hosts),
            "record": self.record,
            "summary": self.summary,
            "details": dict(self.details),
        }


@dataclass
class Timeline:
    since: datetime
    until: datetime
    hosts: list[str]
    events: list[Event]
    notes: list[str] = field(default_factory=list)
    """What the timeline could not show (a host never scanned, no git history...)."""

    def as_dict(self) -> dict[str, Any]:
        """The JSON form, as ``schemas/timeline.schema.json`` describes it."""
        return {
            "schema_version": SCHEMA_VERSION,
            "since": utc(self.since),
            "until": utc(self.until),
            "hosts": list(self.hosts),
            "events": [e.as_dict() for e in self.events],
            "notes": list(self.notes),
        }


def build_timeline(
    ws: Workspace,
    hosts_or_selector: str | Iterable[str],
    since: str | datetime | None,
    until: str | datetime | None,
    kinds: Iterable[str] | None = None,
    *,
    now: datetime | None = None,
    store: Any = None,
) -> Timeline:
    """The timeline of the hosts ``hosts_or_selector`` names (host names or the inventory's
    selectors, as ``drift`` and ``change run --hosts`` read them) from ``since`` to
    ``until`` (datetimes, or WHEN as ``changekit.review.period`` reads it; default the last
    7 days). ``kinds``: only events of these kinds (``KINDS``; all when ``None``).
    ``store``: the workspace's facts store when the caller has it open already."""
    from changekit.errors import InputError
    from changekit.facts.backend import open_store
    from changekit.review import timeline_records, timeline_runs, timeline_scans, timeline_waivers
    from changekit.review.period import period

    wanted = set(KINDS if kinds is None else kinds)
    unknown = sorted(wanted - set(KINDS))
    if unknown:
        raise InputError(
            f"unknown event kind {', '.join(unknown)}",
            field="kinds",
            hint=f"known kinds: {', '.join(KINDS)}",
        )
    now = now or datetime.now(UTC)
    start, end = period(since, until, now=now)
    store = store or open_store(ws)
    inventory, hosts = select(ws, store, hosts_or_selector)
    chosen = set(hosts)
    events: list[Event] = []
    notes: list[str] = []
    records = timeline_records.Records.load(ws, inventory)
    notes += [f"left out, cannot be read: {why}" for why in records.broken]
    if wanted & {"record-step", "unproven-edit", "notice"}:
        events += timeline_records.events(records, chosen, start, end)
    if "run-host" in wanted:
        events += timeline_runs.events(ws, chosen, start, end, records)
    if wanted & {"observed-change", "scan-failed", "scan-partial"}:
        found, missing = timeline_scans.events(store, records.spans, hosts, start, end, wanted)
        events += found
        if missing and "observed-change" in wanted:
            notes.append(f"no stored scan of: {', '.join(missing)}")
    if any(k.startswith("waiver-") for k in wanted):
        events += timeline_waivers.events(ws, chosen, start, end, now)
    kept = [e for e in events if e.kind in wanted]
    order = commit_order(ws, kept)
    kept.sort(key=lambda e: e.sort_key(order))
    return Timeline(start, end, hosts, kept, notes)


def commit_order(ws: Workspace, events: list[Event]) -> dict[str, int]:
    """Commit -> its place in the history (parents first), for the commits events name."""
    from changekit.gate import history

    shas = {e.details["commit"] for e in events if e.details.get("commit")}
    if not shas:
        return {}
    listed = history.git(ws.root, "rev-list", "--topo-order", "--reverse", "HEAD").split()
    return {sha.decode(): i for i, sha in enumerate(listed) if sha.decode() in shas}


def select(ws: Workspace, store: Any, hosts_or_selector: str | Iterable[str]):
    """``(inventory, selected host names)``: the inventory's selectors, as drift reads them
    (a workspace scanned with a host list has no inventory: the store's hosts stand in)."""
    from changekit.drift.inputs import workspace_inventory
    from changekit.inventory.model import Host, Inventory

    selectors = (
        [hosts_or_selector] if isinstance(hosts_or_selector, str) else list(hosts_or_selector)
    )
    inventory = workspace_inventory(ws)
    if not inventory.hosts:
        inventory = Inventory(hosts={h: Host(h) for h in store.hosts()})
    # an empty selection means every host to ``select``: a timeline asks for some
    if not selectors:
        from changekit.errors import InputError
        from changekit.inventory.selectors import SELECTOR_HINT

        raise InputError("which hosts? give a host name or a selector", hint=SELECTOR_HINT)
    return inventory, [h.name for h in inventory.select(selectors)]


def utc(moment: datetime) -> str:
    """JSON times are in UTC, to the second: commits, scans and waivers each carry their own
    offset, and one zone makes them comparable as text."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def within(moment: datetime, start: datetime, end: datetime) -> bool:
    return start <= moment <= end
