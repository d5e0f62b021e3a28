"""The review's sections that look at the hosts: what the stored scans saw
(``changekit.review.observed``) and the notable events of the timeline
(``changekit.review.timeline``), both from the one history walk the figures came from."""

from __future__ import annotations

from typing import Any

from changekit.review.figure import Figure
from changekit.review.history import Change, History
from changekit.review.periods import Period

NOTABLE = {"failed": "failed", "rolled_back": "rolled back"}
"""Record steps the review's timeline shows; starts are shown for emergencies and forced ones."""


class Looking:
    """The hosts in scope, the inventory and the records as drift sees them (spans), made
    once for both sections."""

    def __init__(self, ws: Any, history: History, hosts: set[str] | None) -> None:
        from changekit.drift.inputs import record_spans, workspace_inventory
        from changekit.facts.backend import open_store

        self.ws = ws
        self.store = open_store(ws)
        self.inventory = workspace_inventory(ws)
        self.hosts = (
            hosts if hosts is not None else set(self.inventory.hosts) | set(self.store.hosts())
        )
        self.history = history
        self.spans = record_spans(ws, self.inventory, history.records, history.proven)
        self.notes: list[str] = []

    def observed(
        self, period: Period, previous: Period
    ) -> tuple[dict[str, Any] | None, list[Figure]]:
        """The stored scans' section for both periods, and its figures."""
        from changekit.review.observed import DiffCache, observed

        if not self.hosts:
            self.notes.append("no hosts in the inventory or the facts store: nothing observed")
            return None, []
        cache = DiffCache(getattr(self.ws, "root", None))  # read once for both periods
        now, before = (
            observed(
                self.ws, hosts=self.hosts, start=p.start, end=p.end, spans=self.spans,
                store=self.store, inventory=self.inventory, cache=cache,
            )
            for p in (period, previous)
        )  # fmt: skip
        return now, observed_figures(now, before)

    def timeline(self, period: Period, changes: list[Change]) -> list[dict[str, Any]]:
        """The period's notable events, oldest first, as ``changekit timeline`` shows them:
        failed and rolled-back changes, and emergency and forced starts."""
        from changekit.review import timeline_records
        from changekit.review.timeline import commit_order

        by_id = {c.id: c for c in changes}
        records = timeline_records.Records(
            {r.id: r for r in self.history.records}, self.history.proven, self.spans, []
        )
        chosen = self.hosts or {h for s in self.spans for h in s.hosts}
        found = []
        for event in timeline_records.events(records, chosen, period.start, period.end):
            change = by_id.get(event.record or "")
            if event.kind != "record-step" or change is None:
                continue
            status = event.details.get("status")
            why = NOTABLE.get(str(status))
            if status == "in_progress" and change.forced is not None:
                why = "forced start"
            elif status == "in_progress" and change.emergency:
                why = "emergency start"
            if why:
                found.append((event, why))
        order = commit_order(self.ws, [e for e, _w in found])
        found.sort(key=lambda item: item[0].sort_key(order))
        return [{**event.as_dict(), "why": why} for event, why in found]


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

        def ids(data: dict, status=status) -> list[str]:
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
