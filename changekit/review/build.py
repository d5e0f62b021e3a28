"""``build_review``: the whole review as one dict (``schemas/review.schema.json``), which every
renderer reads. The figures come from proven history (``review.history``), the waivers from
git's dates, the observed section from the stored scans (``review.observed``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from changekit import __version__
from changekit.errors import InputError
from changekit.review import quotas
from changekit.review.figure import Figure
from changekit.review.figures import Figures
from changekit.review.history import Change, History, load_history
from changekit.review.periods import Period
from changekit.review.waivers import waiver_figures

SCHEMA_VERSION = 1

SECTIONS = (
    ("changes", "Changes"),
    ("lead_times", "Lead times"),
    ("windows", "Windows and freezes"),
    ("quotas", "Quotas and service days"),
    ("notices", "Notices"),
    ("waivers", "Waivers"),
    ("observed", "Observed on the hosts"),
)


@dataclass(frozen=True)
class Scope:
    """Whose changes: one customer, team or inventory group (all when none is given)."""

    customer: str | None = None
    team: str | None = None
    group: str | None = None

    def given(self) -> tuple[str, str] | None:
        found = [(k, v) for k, v in vars(self).items() if v]
        if len(found) > 1:
            raise InputError(
                "give one of --customer, --team and --group",
                hint="a review is for everyone, or for one customer, team or group",
            )
        return found[0] if found else None

    def keeps(self, change: Change) -> bool:
        given = self.given()
        if given is None:
            return True
        kind, name = given
        return (
            name
            in {"customer": change.customers, "team": change.teams, "group": change.groups}[kind]
        )

    def hosts(self, history: History) -> set[str] | None:
        """The inventory's hosts in scope (None: every host)."""
        given = self.given()
        inventory = history.inventory
        if given is None:
            return None
        kind, name = given
        if inventory is None:
            return set()
        if kind == "group":
            return {h.name for h in inventory.hosts.values() if name in h.groups}
        variable = history.policy.owner_variable(kind)
        return {h.name for h in inventory.hosts.values() if str(h.vars.get(variable)) == name}


def build_review(
    ws: Any,
    period: Period,
    previous: Period,
    scope: Scope | None = None,
    *,
    now: datetime | None = None,
    history: History | None = None,
) -> dict[str, Any]:
    scope = scope or Scope()
    scope.given()
    now = now or datetime.now(UTC)
    history = history or load_history(ws)
    changes = [c for c in history.changes if scope.keeps(c)]
    policy = history.policy
    figs = Figures(changes, period, previous)
    hosts = scope.hosts(history)
    window_figures, window_details = figs.windows(policy, history.inventory)
    waiver_figs, waivers = waiver_figures(ws, period, previous, hosts)
    observed, observed_figs, observed_note = observed_section(ws, period, previous, hosts, history)
    notes = [f"left out, cannot be read: {why}" for why in history.broken]
    if observed_note:
        notes.append(observed_note)
    by_section: dict[str, list[Figure]] = {
        "changes": figs.changes(),
        "lead_times": figs.lead_times(),
        "windows": window_figures,
        "quotas": quotas.quota_figures(changes, policy, period, previous)
        + quotas.service_figures(changes, policy, period, previous),
        "notices": figs.notices(),
        "waivers": waiver_figs,
        "observed": observed_figs,
    }
    numbered: list[dict[str, Any]] = []
    sections = []
    for key, title in SECTIONS:
        dicts = []
        for figure in by_section[key]:
            dicts.append(figure.as_dict(len(numbered) + 1))
            numbered.append(dicts[-1])
        sections.append({"id": key, "title": title, "figures": dicts})
    named = {
        i
        for f in numbered
        if f["section"] != "waivers"
        for i in f["records"] + f["previous_records"]
    }
    unproven = [c for c in changes if c.unproven]
    named |= {c.id for c in unproven}
    named |= {d["record"] for rows in window_details.values() for d in rows}
    by_id = {c.id: c for c in changes}
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": f"changekit {__version__}",
        "generated_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "period": period.as_dict(),
        "previous": previous.as_dict(),
        "scope": {k: v for k, v in vars(scope).items() if v},
        "sections": sections,
        "forced_starts": window_details["forced"],
        "freeze_exceptions": window_details["freeze_exceptions"],
        "waivers": waivers,
        "observed": observed,
        "unproven": [{"record": c.id, "problems": c.unproven} for c in unproven],
        "records": {i: by_id[i].as_dict() for i in sorted(named) if i in by_id},
        "notes": notes,
    }


def observed_section(
    ws: Any, period: Period, previous: Period, hosts: set[str] | None, history: History
) -> tuple[dict[str, Any] | None, list[Figure], str | None]:
    """The stored scans' section (``changekit.review.observed``) for both periods, and its
    figures. The records are judged as drift judges them, from the walk already made."""
    from changekit.drift.inputs import record_spans, workspace_inventory
    from changekit.facts.backend import open_store
    from changekit.review.observed import observed

    store = open_store(ws)
    inventory = workspace_inventory(ws)
    if hosts is None:
        hosts = set(inventory.hosts) | set(store.hosts())
    if not hosts:
        return None, [], "no hosts in the inventory or the facts store: nothing observed"
    spans = record_spans(ws, inventory, history.records, history.proven)
    now, before = (
        observed(
            ws, hosts=hosts, start=p.start, end=p.end, spans=spans, store=store,
            inventory=inventory,
        )
        for p in (period, previous)
    )  # fmt: skip
    return now, observed_figures(now, before), None


def observed_figures(now: dict[str, Any], before: dict[str, Any]) -> list[Figure]:
    out = []
    for name, path in (
        ("scans", ("scans", "count")),
        ("failed scans", ("scans", "failed")),
        ("changes observed", ("changes", "observed")),
        ("explained by a record", ("changes", "explained")),
        ("recorded late", ("changes", "recorded_late")),
        ("unrecorded", ("changes", "unrecorded")),
    ):
        status = {"recorded late": "recorded_late", "unrecorded": "unrecorded"}.get(name)

        def ids(data: dict, status=status, name=name) -> list[str]:
            # (items are the changes no record explained in time: the late ones name theirs)
            items = data["changes"]["items"]
            return sorted({i["record"] for i in items if i["status"] == status and i.get("record")})

        out.append(
            Figure(
                "observed", name, "all", "count",
                now[path[0]][path[1]], before[path[0]][path[1]], ids(now), ids(before),
            )
        )  # fmt: skip
    ends = {c["group"]: c["end"] for c in before.get("conformance", [])}
    for c in now.get("conformance", []):
        out.append(
            Figure(
                "observed", "conformance at the period's end", c["group"], "percent",
                c["end"], ends.get(c["group"]),
            )
        )  # fmt: skip
    return out
