"""What the review may believe of each change record: its proven history, read once.

Statuses and the times of steps come from git (``changekit.drift.proof.prove_all``, one walk
for every record), never from the file's ``status``/``history``: filed is the record's first
commit, every other step the commit of the proven step that took it, the outcome the proven
final status. What the change *is* (class, type, category, risk, hosts, window) is the
record's current substance: editing it voids the approvals given before, so the gate keeps
those fields honest. A record whose file claims more than git proves is counted by what git
proves, and listed (``Change.unproven``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml

from changekit.records.times import parse_stored

OUTCOMES = ("completed", "failed", "rolled_back", "cancelled", "rejected")
"""The final statuses: a change that reached one of them is over."""
FINISHED = ("completed", "failed", "rolled_back")
"""Outcomes of changes that ran: the denominator of the success rate."""


@dataclass
class Change:
    """One record as the review counts it."""

    id: str
    title: str
    cls: str
    type: str
    category: str
    risk: str
    hosts: tuple[str, ...]
    groups: frozenset[str]
    customers: frozenset[str]
    teams: frozenset[str]
    status: str | None
    """The proven status (None: git proves not even the filing)."""
    claimed: str
    """The status the file says."""
    filed: datetime | None
    approved: datetime | None
    started: datetime | None
    outcome: str | None
    ended: datetime | None
    """When the proven outcome was reached."""
    told: datetime | None
    window: tuple[datetime, datetime] | None
    lead: timedelta | None
    """The notice the policy asks of this change (``policy.lead_for``)."""
    start_commit: str | None = None
    forced: str | None = None
    """The history note of the proven start commit, for a start outside the window."""
    unproven: list[str] = field(default_factory=list)
    record: Any = field(default=None, repr=False, compare=False)
    targets: Any = field(default=None, repr=False, compare=False)
    """``policy.hosts.Targets``: the hosts and their groups, for freezes."""

    @property
    def emergency(self) -> bool:
        return self.type == "emergency"

    def as_dict(self) -> dict[str, Any]:
        def t(v: datetime | None) -> str | None:
            return v.isoformat(timespec="seconds") if v else None

        return {
            "title": self.title,
            "class": self.cls,
            "type": self.type,
            "category": self.category,
            "risk": self.risk,
            "hosts": list(self.hosts),
            "groups": sorted(self.groups),
            "customers": sorted(self.customers),
            "teams": sorted(self.teams),
            "status": self.status,
            "claimed_status": self.claimed,
            "outcome": self.outcome,
            "filed": t(self.filed),
            "approved": t(self.approved),
            "started": t(self.started),
            "ended": t(self.ended),
            "announced": t(self.told),
            "unproven": list(self.unproven),
        }


@dataclass
class History:
    changes: list[Change]
    policy: Any
    inventory: Any
    broken: list[str]
    """Record files that could not be read (left out, named in the review's notes)."""
    records: list[Any] = field(default_factory=list)
    proven: dict[str, Any] = field(default_factory=dict)
    """What ``prove_all`` found, kept for the observed section (one walk, not two)."""


def load_history(ws: Any) -> History:
    """Every record of the workspace with what its history proves (one git walk)."""
    from changekit.drift.proof import prove_all
    from changekit.gate.run import repo_prefix
    from changekit.policy import load_policy
    from changekit.records.steps import load_inventory
    from changekit.records.store import load_all

    loaded = load_all(ws)
    policy = load_policy(ws)
    inventory = load_inventory(ws, policy)
    records = loaded.records
    proven = prove_all(ws, records)
    prefix = repo_prefix(ws.root)
    resolver = _Resolver(policy, inventory)
    changes = [_change(r, proven.get(r.id), policy, resolver) for r in records]
    _read_forced(ws, prefix, changes)
    broken = [e.format() for e in loaded.errors]
    return History(changes, policy, inventory, broken, records, proven)


class _Resolver:
    """Hosts, groups and owners of a record, once per distinct host list (thousands of
    records name the same few selectors)."""

    def __init__(self, policy: Any, inventory: Any) -> None:
        self.policy, self.inventory = policy, inventory
        self.cache: dict[tuple, tuple] = {}

    def __call__(self, record: Any) -> tuple:
        from changekit.policy.hosts import resolve

        data = record.data
        key = (
            tuple(str(h) for h in data.get("hosts") or ()),
            data.get("customer"),
            data.get("team"),
        )
        if key not in self.cache:
            targets = resolve(record, self.inventory)
            groups = frozenset(g for gs in targets.host_groups for g in gs)
            self.cache[key] = (
                tuple(sorted(targets.names | targets.globs)),
                groups,
                self.policy.owners_of(record, self.inventory, "customer"),
                self.policy.owners_of(record, self.inventory, "team"),
                targets,
            )
        return self.cache[key]


def _final(proven: Any) -> tuple[str | None, datetime | None]:
    if proven is None or proven.status not in OUTCOMES or not proven.steps:
        return None, None
    status, commit = proven.steps[-1]
    return proven.status, parse_stored(commit.date)


def _approved(proven: Any) -> datetime | None:
    """When the change was approved: the proven step that approved it, else (an emergency
    approved after it started, which takes no status step) its first proven approval."""
    if proven is None:
        return None
    if (at := proven.time("approved")) is not None:
        return at
    given = [parse_stored(c.date) for _e, c in proven.approvers.values()]
    return min(given) if given else None


def _change(record: Any, proven: Any, policy: Any, resolver: _Resolver) -> Change:
    from changekit.policy.access import window_of

    hosts, groups, customers, teams, targets = resolver(record)
    outcome, ended = _final(proven)
    reached = proven.reached if proven is not None else {}
    started = reached.get("in_progress")
    unproven = [p.message for p in proven.problems if p.code == "unproven-edit"] if proven else []
    claimed = str(record.data.get("status") or "")
    status = proven.status if proven else None
    if claimed != status and not unproven:
        unproven.append(f"the file says {claimed}, git proves {status or 'nothing'}")
    return Change(
        id=record.id,
        title=str(record.data.get("title") or ""),
        cls=policy.class_name(record),
        type=str(record.data.get("type") or ""),
        category=str(record.data.get("category") or ""),
        risk=str(record.data.get("risk") or ""),
        hosts=hosts,
        groups=groups,
        customers=customers,
        teams=teams,
        status=status,
        claimed=claimed,
        filed=proven.time("draft") if proven else None,
        approved=_approved(proven),
        started=parse_stored(started.date) if started else None,
        outcome=outcome,
        ended=ended,
        told=parse_stored(proven.told.date) if proven and proven.told else None,
        window=window_of(record),
        lead=policy.lead_for(record),
        start_commit=started.sha if started else None,
        unproven=unproven,
        record=record,
        targets=targets,
    )


def _outside(change: Change) -> bool:
    if change.started is None or change.window is None:
        return False
    return not change.window[0] <= change.started <= change.window[1]


def _read_forced(ws: Any, prefix: str, changes: list[Change]) -> None:
    """For each change started outside its window, the note its proven start commit wrote
    (``--force --reason``): read from that commit's version of the file, so a note edited in
    later does not count. One ``git cat-file`` process for all of them."""
    from changekit.gate import history

    outside = [c for c in changes if _outside(c) and not c.emergency]
    if not outside:
        return
    with history.BlobReader(ws.root) as blobs:
        for change in outside:
            rel = change.record.path.name if change.record.path else f"{change.id}.yaml"
            raw = blobs.read(f"{change.start_commit}:{prefix}change_records/{rel}")
            change.forced = _start_note(raw) or "(no reason recorded)"


def _start_note(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    try:  # libyaml when present: a year has hundreds of forced starts
        data = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError:
        return None
    entries = data.get("history") if isinstance(data, dict) else None
    notes = [
        str(e.get("note") or "")
        for e in entries or ()
        if isinstance(e, dict) and e.get("status") == "in_progress"
    ]
    return notes[-1] if notes and notes[-1] else None
