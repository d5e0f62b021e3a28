"""``build_review``: the whole review as one dict (``schemas/review.schema.json``), which every
renderer reads. The figures come from proven history (``review.history``), the waivers from
git's dates, the observed section from the stored scans (``review.observed``) and the notable
events from the timeline (``review.looking``)."""

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
from changekit.review.looking import Looking
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
    seen = Looking(ws, history, hosts)
    observed, observed_figs = seen.observed(period, previous)
    notes = [f"left out, cannot be read: {why}" for why in history.broken] + seen.notes
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
    events = seen.timeline(period, changes)
    named |= {e["record"] for e in events}
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
        "timeline": events,
        "unproven": [{"record": c.id, "problems": c.unproven} for c in unproven],
        "records": {i: by_id[i].as_dict() for i in sorted(named) if i in by_id},
        "notes": notes,
    }
