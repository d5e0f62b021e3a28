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

# one pass over the group's open intervals: hosts holding each value, against the hosts
# that have the collector at all (their latest snapshot's shapes); an item is divergent
# when two values exist or its one value misses some hosts that have the collector
DIVERGENT = """
WITH g AS MATERIALIZED (SELECT host_no, name FROM ck_hosts WHERE name = ANY(%(hosts)s)),
open AS MATERIALIZED (
    SELECT f.host_no, f.item_no FROM ck_facts f JOIN g USING (host_no) WHERE f.valid_to IS NULL
),
keyed AS MATERIALIZED (
    SELECT p.item_no, p.hosts, i.collector, i.item
    FROM (SELECT item_no, count(*) AS hosts FROM open GROUP BY item_no) p
    JOIN ck_items i USING (item_no)
),
latest AS (
    SELECT DISTINCT ON (hs.host_no) hs.host_no, hs.info
    FROM ck_host_scans hs JOIN g USING (host_no)
    WHERE hs.status <> 'failed' ORDER BY hs.host_no, hs.scan_no DESC
),
having_collector AS (
    SELECT c.collector, count(*) AS hosts
    FROM latest, jsonb_object_keys(latest.info -> 'shapes') AS c(collector)
    GROUP BY c.collector
),
divergent AS (
    SELECT k.collector, k.item FROM keyed k JOIN having_collector hc USING (collector)
    GROUP BY k.collector, k.item
    HAVING count(*) > 1 OR min(k.hosts) < min(hc.hosts)
)
SELECT g.name, i.collector, i.item, i.value
FROM open o
JOIN (SELECT k.item_no FROM keyed k JOIN divergent d USING (collector, item)) x USING (item_no)
JOIN g USING (host_no)
JOIN ck_items i USING (item_no)
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
