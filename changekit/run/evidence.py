"""What the report shows of the changes ``changekit change run`` carried out."""

from __future__ import annotations

from typing import Any

from changekit.workspace import Workspace


def runs_on(ws: Workspace, hosts: list[str]) -> list[dict[str, Any]]:
    """Each record's latest run that touched one of ``hosts``: its proven status (from git
    history, as drift proves it), the run's result and each host's state, and where the
    transcripts are."""
    from changekit.drift.inputs import record_spans, workspace_inventory
    from changekit.records import store

    wanted = set(hosts)
    records = [r for r in store.load_all(ws).records if r.data.get("run")]
    records = [r for r in records if wanted & set(r.data["run"]["hosts"])]
    if not records:
        return []
    proven = {s.id: s.status for s in record_spans(ws, workspace_inventory(ws))}
    out = []
    for rec in sorted(records, key=lambda r: r.data["run"]["started_at"]):
        run = rec.data["run"]
        out.append(
            {
                "record": rec.id,
                "title": rec.title,
                "status": proven.get(rec.id) or "not proven",
                "run": run["id"],
                "result": run["result"],
                "plan_digest": run["plan_digest"],
                "started_at": run["started_at"],
                "finished_at": run.get("finished_at"),
                "scan_id": run.get("scan_id"),
                "hosts": {h: e["state"] for h, e in sorted(run["hosts"].items())},
                "transcripts": f"runs/{rec.id}/{run['id']}/",
            }
        )
    return out
