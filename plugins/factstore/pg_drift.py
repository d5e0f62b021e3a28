"""Drift's reads as set queries: one drift unit's history window, cut down in the database.

``changekit drift`` judges a unit (a peer group and what it is judged with) over each host's
newest snapshots. An item is left in the database when every one of those snapshots that
has its collector holds it, with one value, through the whole window: no peer rule can tell
the hosts apart on it, no time rule sees it change, and no standard names it (``keep``). In
a fleet that mostly agrees that is nearly every package. What comes back is each snapshot
with only the other items, and the same rules find on it exactly what they find on the whole
snapshot (``tests/facts/test_pg_drift.py``). A collector some host has in only part of its
window, and collectors stored whole (shape ``json``), come back whole; so does an item whose
name is stored escaped (a NUL in it: ``encoding.ESC``), which ``LIKE`` cannot match as written.

Most of those items are never even read: a slice of a collector (``ck_current``: 1/64 of its
items by name) that every host holds with one digest, and in which no host opened or closed an
interval during its window, holds only alike items; only the other slices' items are counted
(comments at ``CUT``).

The counting and the selection of what standards name (plain names, ``*``/``?`` globs as
``LIKE``) run in SQL; the judging stays in Python, on the rows returned.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from changekit_plugins.factstore import encoding

# each unit host's newest max_count snapshots (not failed attempts), as iter_histories reads
_WINDOW = """
g AS MATERIALIZED (SELECT host_no, name FROM ck_hosts WHERE name = ANY(%(hosts)s)),
w AS MATERIALIZED (
    SELECT host_no, scan_no, info FROM (
        SELECT hs.host_no, hs.scan_no, hs.info,
               row_number() OVER (PARTITION BY hs.host_no ORDER BY hs.scan_no DESC) AS age
        FROM ck_host_scans hs JOIN g USING (host_no) WHERE hs.status <> 'failed'
    ) t WHERE %(max)s::int IS NULL OR age <= %(max)s::int
)
"""

WINDOW = "WITH " + _WINDOW + "SELECT g.name, w.scan_no, w.info FROM w JOIN g USING (host_no)"

# span: each host's window. has/coll: per collector, the hosts having it, and whether each has
# it in every snapshot. moved: the slices (collector, bucket) of which some host opened or
# closed an interval after its window began. same: the slices every host having the
# collector holds with one digest (ck_current) and did not move: all their items are alike,
# so their intervals are never read (in a fleet that mostly agrees, nearly all of them).
# wanted: the items still to count: the other slices', those a standard names, and those
# stored escaped (LIKE cannot match them: never alike).
# live: every interval of a wanted item overlapping the window, and whether it covers all of
# it. per_value: each value's holders, and whether each holds it all window long and has its
# collector. alike: (collector, item) with one value, held so by every host having the
# collector, in a collector no host has in only part of its window, not named by keep.
CUT = (
    "WITH "
    + _WINDOW
    + """,
span AS MATERIALIZED (
    SELECT host_no, min(scan_no) AS lo, max(scan_no) AS hi, count(*) AS n FROM w GROUP BY host_no
),
has AS MATERIALIZED (
    SELECT w.host_no, c.collector, count(*) AS k
    FROM w, jsonb_object_keys(w.info -> 'shapes') AS c(collector) GROUP BY w.host_no, c.collector
),
coll AS MATERIALIZED (
    SELECT has.collector, count(*) AS hosts, bool_and(has.k = s.n) AS steady
    FROM has JOIN span s USING (host_no) GROUP BY has.collector
),
moved AS MATERIALIZED (
    SELECT DISTINCT i.collector, i.bucket FROM (
        SELECT f.item_no FROM span s JOIN ck_facts f USING (host_no) WHERE f.valid_from > s.lo
        UNION ALL
        SELECT f.item_no FROM span s JOIN ck_facts f USING (host_no)
        WHERE f.valid_to IS NOT NULL AND f.valid_to > s.lo
    ) t JOIN ck_items i USING (item_no)
),
same AS MATERIALIZED (
    SELECT k.collector, k.bucket
    FROM ck_current k JOIN g USING (host_no) JOIN coll c USING (collector)
    LEFT JOIN has h ON h.host_no = k.host_no AND h.collector = k.collector
    WHERE k.bucket >= 0 AND c.steady AND NOT (k.collector = ANY(%(whole)s::text[]))
    GROUP BY k.collector, k.bucket
    HAVING count(*) = min(c.hosts) AND count(h.host_no) = count(*)
       AND min(k.digest::text) = max(k.digest::text)
    EXCEPT SELECT collector, bucket FROM moved
),
wanted AS MATERIALIZED (
    SELECT i.item_no FROM ck_items i
    WHERE NOT EXISTS (SELECT 1 FROM same s WHERE s.collector = i.collector AND s.bucket = i.bucket)
    UNION
    SELECT i.item_no FROM ck_items i
    WHERE i.item = '' OR strpos(i.item, %(esc)s) > 0
       OR EXISTS (
          SELECT 1 FROM unnest(%(kc)s::text[], %(ki)s::text[]) AS k(collector, item)
          WHERE k.collector = i.collector AND k.item = i.item)
       OR EXISTS (
          SELECT 1 FROM unnest(%(pc)s::text[], %(pl)s::text[]) AS k(collector, pattern)
          WHERE k.collector = i.collector AND i.item LIKE k.pattern)
),
live AS MATERIALIZED (
    SELECT f.host_no, f.item_no, f.valid_from, f.valid_to, f.valid_from <= s.lo AS whole
    FROM span s JOIN ck_facts f ON f.host_no = s.host_no
     -- one array: per host, one walk of the open-row index over the wanted items only
     AND f.item_no = ANY((SELECT array_agg(item_no ORDER BY item_no) FROM wanted)::int[])
     AND f.valid_to IS NULL
    WHERE f.valid_from <= s.hi
    UNION ALL
    SELECT f.host_no, f.item_no, f.valid_from, f.valid_to,
           f.valid_from <= s.lo AND f.valid_to > s.hi AS whole
    FROM span s JOIN ck_facts f USING (host_no)
    WHERE f.valid_to IS NOT NULL AND f.valid_to > s.lo AND f.valid_from <= s.hi
      AND f.item_no IN (SELECT item_no FROM wanted)
),
per_value AS (
    SELECT i.item_no, i.collector, i.item, count(*) AS hosts,
           bool_and(l.whole AND has.host_no IS NOT NULL) AS steady
    FROM live l JOIN ck_items i USING (item_no)
    LEFT JOIN has ON has.host_no = l.host_no AND has.collector = i.collector
    GROUP BY i.item_no
),
alike AS MATERIALIZED (
    SELECT p.collector, p.item FROM per_value p JOIN coll c USING (collector)
    WHERE p.item <> '' AND c.steady AND strpos(p.item, %(esc)s) = 0
      AND NOT (p.collector = ANY(%(whole)s::text[]))
      AND NOT EXISTS (
          SELECT 1 FROM unnest(%(kc)s::text[], %(ki)s::text[]) AS k(collector, item)
          WHERE k.collector = p.collector AND k.item = p.item)
      AND NOT EXISTS (
          SELECT 1 FROM unnest(%(pc)s::text[], %(pl)s::text[]) AS k(collector, pattern)
          WHERE k.collector = p.collector AND p.item LIKE k.pattern)
    GROUP BY p.collector, p.item
    HAVING count(*) = 1 AND bool_and(p.steady) AND min(p.hosts) = min(c.hosts)
)
SELECT g.name, l.valid_from, l.valid_to, i.collector, i.item, i.value
FROM live l JOIN g USING (host_no) JOIN ck_items i USING (item_no)
WHERE NOT EXISTS (SELECT 1 FROM alike a WHERE a.collector = i.collector AND a.item = i.item)
"""
)


def like_pattern(glob: str) -> str | None:
    """A shell-style glob as a ``LIKE`` pattern (``\\`` escapes), or ``None`` for one with a
    ``[...]`` class (its collector is then kept whole: judged in Python)."""
    if "[" in glob:
        return None
    out = []
    for ch in glob:
        if ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        elif ch in "%_\\":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _params(hosts: list[str], max_count: int | None, keep: Any) -> dict[str, Any]:
    whole = set(keep.collectors)
    pc, pl = [], []
    for collector, glob in sorted(keep.patterns):
        pattern = like_pattern(glob)
        if pattern is None:
            whole.add(collector)
        else:
            pc.append(collector)
            pl.append(pattern)
    named = sorted(keep.items)
    return {
        "hosts": hosts,
        "max": max_count,
        "whole": sorted(whole),
        "kc": [c for c, _ in named],
        "ki": [i for _, i in named],
        "esc": encoding.ESC,
        "pc": pc,
        "pl": pl,
    }


def drift_histories(
    conn: Any, hosts: list[str], max_count: int | None, keep: Any
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """``(host, snapshots oldest first)`` of each of ``hosts`` that has any, in the order
    given, cut down as the module docstring says."""
    if max_count is not None and max_count <= 0:
        return
    params = _params(hosts, max_count, keep)
    # one snapshot of the database for both reads: a scan committing in between would
    # otherwise pair one scan's info with another's facts (inside ``pinned_reads`` the
    # whole drift run has one already: this is a savepoint in it)
    from psycopg.pq import TransactionStatus  # psycopg: an optional dependency

    pinned = conn.info.transaction_status != TransactionStatus.IDLE
    with conn.transaction():
        if not pinned:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # compiling the CUT (JIT, when its estimates cross the thresholds) took up to 2 s of
        # a unit whose query runs in 0.5 s: never repaid on a query run once per unit
        conn.execute("SET LOCAL jit = off")
        scans: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for name, scan_no, info in conn.execute(WINDOW, params):
            scans.setdefault(name, []).append((scan_no, info))
        rows: dict[str, list[tuple[int, int | None, str, str, Any]]] = {h: [] for h in scans}
        for name, valid_from, valid_to, collector, item, value in conn.execute(CUT, params):
            rows[name].append((valid_from, valid_to, collector, item, value))
    for host in hosts:
        if host not in scans:
            continue
        mine = sorted(rows[host], key=lambda r: (r[2], r[3]))  # stored order: sorted by name
        out = []
        for scan_no, info in sorted(scans[host], key=lambda s: s[0]):
            live = [
                (c, item, v)
                for vf, vt, c, item, v in mine
                if vf <= scan_no and (vt is None or vt > scan_no)
            ]
            snap = {k: v for k, v in info.items() if k != "shapes"}
            snap["facts"] = encoding.rebuild(info.get("shapes") or {}, live)
            out.append(snap)
        yield host, out
