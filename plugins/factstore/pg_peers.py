"""Peer drift as a set query: the database counts, per peer group, how many hosts hold each
(collector, item, value), and hands back only the items the group does not agree on.

Items every host of a group has alike (nearly all of them in a real fleet) never leave the
database. What comes back is, per host, its snapshot with each collector cut down to those
items: ``compare_peers`` judges that exactly as it judges the whole snapshots, because an
item alike on every host is in no cluster's difference and splits no cluster.
"""

from __future__ import annotations

from typing import Any

from changekit_plugins.factstore import encoding

# hosts of the group that have the collector (their latest snapshot's shapes) vs hosts
# holding each value: an item is divergent when two values exist or one misses some hosts
DIVERGENT = """
WITH g AS (SELECT host_no, name FROM ck_hosts WHERE name = ANY(%(hosts)s)),
per_item AS (
    SELECT f.item_no, count(*) AS hosts FROM ck_facts f JOIN g USING (host_no)
    WHERE f.valid_to IS NULL GROUP BY f.item_no
),
latest AS (
    SELECT DISTINCT ON (hs.host_no) hs.host_no, hs.info FROM ck_host_scans hs JOIN g USING (host_no)
    WHERE hs.status <> 'failed' ORDER BY hs.host_no, hs.scan_no DESC
),
having_collector AS (
    SELECT c.collector, count(*) AS hosts
    FROM latest, jsonb_object_keys(latest.info -> 'shapes') AS c(collector)
    GROUP BY c.collector
),
divergent AS (
    SELECT i.collector, i.item FROM per_item p JOIN ck_items i USING (item_no)
    JOIN having_collector hc USING (collector)
    GROUP BY i.collector, i.item
    HAVING count(*) > 1 OR min(p.hosts) < min(hc.hosts)
)
SELECT g.name, i.collector, i.item, i.value
FROM divergent d
JOIN ck_items i ON i.collector = d.collector AND i.item = d.item
JOIN ck_facts f ON f.item_no = i.item_no AND f.valid_to IS NULL
JOIN g ON g.host_no = f.host_no
"""

LATEST_INFO = """
SELECT DISTINCT ON (h.host_no) h.name, hs.info
FROM ck_hosts h JOIN ck_host_scans hs USING (host_no)
WHERE h.name = ANY(%(hosts)s) AND hs.status <> 'failed'
ORDER BY h.host_no, hs.scan_no DESC
"""


def peer_snapshots(conn: Any, hosts: list[str]) -> dict[str, dict[str, Any]]:
    """The latest snapshot of each of ``hosts`` (one peer group) that has one, each collector
    holding only the items the group disagrees on; a collector all alike is ``{}`` on all."""
    infos = dict(conn.execute(LATEST_INFO, {"hosts": hosts}).fetchall())
    rows: dict[str, list[tuple[str, str, Any]]] = {h: [] for h in infos}
    for name, collector, item, value in conn.execute(DIVERGENT, {"hosts": hosts}):
        rows[name].append((collector, item, value))
    out = {}
    for host in hosts:
        if host not in infos:
            continue
        info = infos[host]
        shapes = info.get("shapes") or {}
        snap = {k: v for k, v in info.items() if k != "shapes"}
        facts = encoding.rebuild(shapes, rows[host])
        for collector in shapes:
            facts.setdefault(collector, {})  # alike on every host: the same stand-in on all
        snap["facts"] = facts
        out[host] = snap
    return out
