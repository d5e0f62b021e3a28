"""The PostgreSQL facts store, registered as ``postgres`` (docs/facts-postgres.md).

Facts are intervals (``schema.sql``): each (host, collector, item, value) row is valid from
the scan that first saw it until the scan that saw it change. A scan sends only the
collectors whose data changed (by digest), and the database works out, set by set, which
intervals to close and which to open. Several writers (``scan --shard K/N``) store one scan
at once: each writes its own hosts in one transaction, and the scan row ties them together.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from changekit_plugins.factstore import encoding

from changekit.api import ChangekitError, InputError, NotFoundError, hookimpl

DSN_ENV = "CHANGEKIT_FACTS_DSN"
"""A DSN here wins over ``facts.dsn`` in changekit.yaml, so no password needs to sit in git."""
BATCH = 200
"""Hosts written per round trip: bounds the writer's memory, not the transaction."""
SCHEMA = (Path(__file__).with_name("schema.sql")).read_text()
SCHEMA_VERSION = "1"
_SCHEMA_LOCK = 0x636B6673  # advisory lock: two writers creating the tables at once


_Staged = tuple[int, str, int, str, str | None, str | None, bool]
"""A slice to write: host_no, collector, bucket, shape (items, json, whole, gone), its
document and digest, and whether the host held that slice before (only then can it have
open rows to close, and a ck_current row to replace)."""


class DatabaseError(ChangekitError):
    """The facts database refused or could not be reached."""


def _psycopg():
    try:
        import psycopg
    except ImportError as exc:  # an optional dependency: say how to get it
        raise DatabaseError(
            "the postgres facts store needs psycopg",
            hint="pip install 'changekit[postgres]'",
        ) from exc
    return psycopg


def postgres_store(workspace: Any, options: dict[str, Any]) -> PostgresStore:
    dsn = os.environ.get(DSN_ENV) or options.get("dsn")
    if not dsn or not isinstance(dsn, str):
        raise InputError(
            "facts.store is postgres but no database is named",
            path=getattr(workspace, "config_path", None),
            field="facts.dsn",
            hint=f"set facts.dsn in changekit.yaml (no password: use ~/.pgpass) or {DSN_ENV}",
        )
    return PostgresStore(workspace, dsn)


@hookimpl
def register_facts_stores(register) -> None:
    register("postgres", postgres_store)


def _when():
    from changekit.api import resolve_when, scan_time

    return resolve_when, scan_time


class PostgresStore:
    concurrent_writers = True
    """Shards (``scan --shard K/N``) may write one scan at the same time."""

    def __init__(self, workspace: Any, dsn: str) -> None:
        self.workspace = workspace
        self.dsn = dsn
        self._conn: Any = None

    # -- connections -------------------------------------------------------------

    def _connect(self, *, autocommit: bool = True) -> Any:
        psycopg = _psycopg()
        from psycopg.types.json import set_json_loads

        try:
            conn = psycopg.connect(self.dsn, autocommit=autocommit, connect_timeout=10)
            set_json_loads(encoding.loads, conn)  # jsonb in: facts of every host read
        except psycopg.Error as exc:
            raise DatabaseError(
                f"could not connect to the facts database: {str(exc).strip()}",
                hint=f"check facts.dsn in changekit.yaml or {DSN_ENV}, and that the server runs",
            ) from None
        return conn

    @property
    def conn(self) -> Any:
        if self._conn is None or self._conn.closed:
            conn = self._connect()
            # DDL only on a database without the tables: CREATE ... IF NOT EXISTS still locks
            # them, and would deadlock against another shard already writing
            if not _schema_ready(conn):
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                    if not _schema_ready(conn):
                        conn.execute(SCHEMA)
                        conn.execute("INSERT INTO ck_meta VALUES ('schema', %s)", (SCHEMA_VERSION,))
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- writing -------------------------------------------------------------------

    def save(
        self,
        scan_id: str,
        snapshots: Iterable[dict[str, Any]],
        failed: Mapping[str, dict[str, str]] | None = None,
        *,
        shard: tuple[int, int] | None = None,
    ) -> str | None:
        """Store one scan's snapshots (or one shard's part of it) in one transaction;
        ``failed`` is read once ``snapshots`` is exhausted (a streaming scan fills it as it goes)."""
        _resolve, scan_time = _when()
        conn = self.conn
        row = conn.execute(
            "INSERT INTO ck_scans (scan_id, started_at) VALUES (%s, %s)"
            " ON CONFLICT (scan_id) DO UPDATE SET scan_id = EXCLUDED.scan_id RETURNING scan_no",
            (scan_id, scan_time(scan_id)),
        ).fetchone()
        scan_no = row[0]
        items_conn = self._connect()  # new items commit at once: shards never wait on each other
        try:
            stored = 0
            with conn.transaction():
                batch: list[dict[str, Any]] = []
                for snap in snapshots:
                    batch.append(snap)
                    if len(batch) >= BATCH:
                        stored += self._write_batch(conn, items_conn, scan_no, scan_id, batch)
                        batch = []
                if batch:
                    stored += self._write_batch(conn, items_conn, scan_no, scan_id, batch)
                failed = dict(failed or {})  # complete only now (the contract in backend.py)
                if failed:
                    self._write_failed(conn, items_conn, scan_no, scan_id, failed)
                k, n = shard or (1, 1)
                conn.execute(
                    "INSERT INTO ck_scan_shards (scan_no, shard, shards, stored, failed)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    (scan_no, k, n, stored, len(failed)),
                )
        except _psycopg().errors.UniqueViolation as exc:
            part = f"shard {shard[0]}/{shard[1]}" if shard else "it"
            raise DatabaseError(
                f"scan {scan_id} already stored {part}",
                hint="each shard stores once per scan; start a new scan (a new --scan-id)",
            ) from exc
        except _psycopg().Error as exc:
            # nothing of the scan is visible: a scan counts once a shard of it committed
            raise DatabaseError(
                f"could not store scan {scan_id}: {str(exc).strip().splitlines()[0]}",
                hint="nothing of this scan was stored; fix the cause and scan again",
            ) from exc
        finally:
            items_conn.close()
        return scan_id

    def _host_numbers(self, conn: Any, side: Any, names: list[str], scan_id: str) -> dict[str, int]:
        for name in names:
            if "\x00" in name:
                raise DatabaseError(
                    f"could not store scan {scan_id}: host {name!r} has a NUL character in its"
                    " name, which PostgreSQL cannot store",
                    hint="nothing of this scan was stored; rename the host in the inventory"
                    " (a name may hold any other character)",
                )
        # committed at once on the side connection, outside the scan's transaction (shards
        # never wait on each other); ON CONFLICT returns no row for names already there
        side.execute(
            "INSERT INTO ck_hosts (name) SELECT unnest(%s::text[]) ORDER BY 1"
            " ON CONFLICT (name) DO NOTHING",
            (sorted(names),),
        )
        rows = conn.execute(
            "SELECT name, host_no FROM ck_hosts WHERE name = ANY(%s)", (names,)
        ).fetchall()
        return dict(rows)

    def _check_order(self, conn: Any, numbers: list[int], scan_no: int, scan_id: str) -> None:
        row = conn.execute(
            "SELECT h.name, s.scan_id FROM ck_host_scans hs JOIN ck_hosts h USING (host_no)"
            " JOIN ck_scans s USING (scan_no)"
            " WHERE hs.host_no = ANY(%s) AND hs.scan_no >= %s LIMIT 1",
            (numbers, scan_no),
        ).fetchone()
        if row:
            raise DatabaseError(
                f"{row[0]} already has scan {row[1]}, as new as scan {scan_id} or newer",
                hint="a host's scans are stored in order, once each; start a new scan",
            )

    def _write_batch(
        self, conn: Any, items_conn: Any, scan_no: int, scan_id: str, batch: list[dict[str, Any]]
    ) -> int:
        from changekit.api import carry_over

        numbers = self._host_numbers(conn, items_conn, [s["host"] for s in batch], scan_id)
        self._check_order(conn, list(numbers.values()), scan_no, scan_id)
        previous = {}
        errored = [s["host"] for s in batch if s.get("errors")]
        if errored:
            previous = dict(self.iter_latest(errored, conn=conn))
        # what each host holds now, in two reads: first one digest per collector (the whole
        # collector, or the one slice of a json-shaped one); only the collectors that changed
        # (few, on most days) have their 64 slice digests read and their slices cut
        heads: dict[tuple[int, str], dict[int, bytes]] = {}
        holds: dict[int, set[str]] = {}
        for h, c, b, d in conn.execute(_CURRENT_HEADS, (list(numbers.values()),)):
            heads.setdefault((h, c), {})[b] = d
            holds.setdefault(h, set()).add(c)
        changed: list[tuple[int, str, Any, str, bytes | None]] = []
        scans: list[tuple[int, str, Any]] = []
        for snap in batch:
            merged = carry_over(snap, previous.get(snap["host"]))
            host_no = numbers[snap["host"]]
            shapes = {}
            for collector, data in merged["facts"].items():
                shape = shapes[collector] = encoding.shape_of(data)
                held = heads.get((host_no, collector), {})
                if shape == encoding.ITEMS:
                    # the whole collector first: unchanged (most collectors of most hosts on
                    # most days), its slices need not be cut, encoded and compared
                    whole = encoding.digest(collector, encoding.encode(data))
                    if held.get(encoding.WHOLE) == whole:
                        continue
                elif encoding.WHOLE not in held and held.get(0) == encoding.digest(
                    collector, encoding.encode(data)
                ):
                    continue
                else:
                    whole = None
                changed.append((host_no, collector, data, shape, whole))
            info = {k: v for k, v in merged.items() if k != "facts"}
            info["shapes"] = shapes
            scans.append((host_no, "partial" if snap.get("errors") else "ok", info))
            for collector in sorted(holds.get(host_no, set()) - shapes.keys()):
                changed.append((host_no, collector, None, "gone", None))  # close its rows
        staged = self._stage(conn, heads, changed) if changed else []
        if staged:
            self._apply(conn, items_conn, scan_no, staged)
        with conn.cursor().copy(
            "COPY ck_host_scans (host_no, scan_no, status, info) FROM STDIN"
        ) as copy:
            for host_no, status, info in scans:
                copy.write_row((host_no, scan_no, status, _json(info)))
        return len(batch)

    def _stage(
        self,
        conn: Any,
        heads: dict[tuple[int, str], dict[int, bytes]],
        changed: list[tuple[int, str, Any, str, bytes | None]],
    ) -> list[_Staged]:
        """The slices of the changed collectors that differ from what their hosts hold (a
        changed package: one slice of 64), and those the hosts hold no more."""
        # a collector a host holds has a head row; one it never had (every collector of a
        # first scan) has no slices to read, and no open rows to find (see _DIFF)
        pairs = {(h, c) for h, c, *_rest in changed if (h, c) in heads}
        current: dict[tuple[int, str], dict[int, bytes]] = {}
        if pairs:
            hosts, collectors = sorted({h for h, _c in pairs}), sorted({c for _h, c in pairs})
            for h, c, b, d in conn.execute(_CURRENT_SLICES, (hosts, collectors)):
                if (h, c) in pairs:
                    current.setdefault((h, c), {})[b] = d
        staged: list[_Staged] = []
        for host_no, collector, data, shape, whole in changed:
            held = current.get((host_no, collector), {})
            seen: set[int] = set()
            if shape == encoding.ITEMS:
                seen.add(encoding.WHOLE)
                was_whole = encoding.WHOLE in held
                staged.append(
                    (host_no, collector, encoding.WHOLE, "whole", None, whole.hex(), was_whole)
                )
            if shape != "gone":
                for bucket, doc in encoding.buckets(data, shape):
                    seen.add(bucket)
                    digest = encoding.digest(collector, doc)
                    was = held.get(bucket)
                    if was != digest:
                        staged.append(
                            (
                                host_no,
                                collector,
                                bucket,
                                shape,
                                doc.decode(),
                                digest.hex(),
                                bool(was),
                            )
                        )
            for bucket in held.keys() - seen:  # gone: close its rows
                staged.append((host_no, collector, bucket, "gone", None, None, True))
        return staged

    def _apply(
        self,
        conn: Any,
        items_conn: Any,
        scan_no: int,
        staged: list[_Staged],
    ) -> None:
        """Close the intervals of changed items and open the new ones, all in SQL."""
        conn.execute(_TEMP_TABLES)
        with conn.cursor().copy(
            "COPY ck_staged (host_no, collector, bucket, shape, doc, digest, held) FROM STDIN"
        ) as copy:
            for row in staged:
                copy.write_row(row)
        conn.execute(_EXPAND)
        new_items = conn.execute(_UNKNOWN_ITEMS).fetchall()
        if new_items:
            with items_conn.transaction():
                items_conn.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS ck_items_in"
                    " (collector text, item text, bucket smallint, value jsonb, digest uuid)"
                    " ON COMMIT DELETE ROWS"
                )
                items_conn.execute("TRUNCATE ck_items_in")
                with items_conn.cursor().copy("COPY ck_items_in FROM STDIN") as copy:
                    for row in new_items:
                        copy.write_row(row)
                # in digest order: two writers adding the same items never deadlock
                items_conn.execute(
                    "INSERT INTO ck_items (collector, item, bucket, value, digest)"
                    " SELECT DISTINCT ON (digest) collector, item, bucket, value, digest"
                    " FROM ck_items_in ORDER BY digest ON CONFLICT (digest) DO NOTHING"
                )
        conn.execute(_DIFF)
        conn.execute(_CLOSE, {"scan": scan_no})
        conn.execute(_OPEN, {"scan": scan_no})
        conn.execute(_CURRENT)

    def _write_failed(
        self, conn: Any, side: Any, scan_no: int, scan_id: str, failed: dict[str, dict[str, str]]
    ) -> None:
        numbers = self._host_numbers(conn, side, list(failed), scan_id)
        self._check_order(conn, list(numbers.values()), scan_no, scan_id)
        with conn.cursor().copy(
            "COPY ck_host_scans (host_no, scan_no, status, info) FROM STDIN"
        ) as copy:
            for host, why in failed.items():
                copy.write_row((numbers[host], scan_no, "failed", _json(dict(why))))

    # -- reading -------------------------------------------------------------------

    def hosts(self) -> list[str]:
        rows = self.conn.execute(
            "SELECT name FROM ck_hosts h WHERE EXISTS (SELECT 1 FROM ck_host_scans s"
            " WHERE s.host_no = h.host_no AND s.status <> 'failed') ORDER BY name"
        )
        return [r[0] for r in rows]

    def latest(self, host: str) -> dict[str, Any] | None:
        return next((snap for _h, snap in self.iter_latest([host])), None)

    def iter_latest(
        self, hosts: Iterable[str], *, conn: Any = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        conn = conn or self.conn
        names = _storable(hosts)
        for start in range(0, len(names), BATCH):
            chunk = names[start : start + BATCH]
            infos = {
                name: (host_no, info)
                for name, host_no, info in conn.execute(_LATEST_INFO, (chunk,))
            }
            rows: dict[int, list[tuple[str, str, Any]]] = {}
            for host_no, collector, item, value in conn.execute(
                "SELECT f.host_no, i.collector, i.item, i.value FROM ck_facts f"
                " JOIN ck_items i USING (item_no)"
                " WHERE f.host_no = ANY(%s) AND f.valid_to IS NULL",
                ([h for h, _i in infos.values()],),
            ):
                rows.setdefault(host_no, []).append((collector, item, value))
            for name in chunk:
                if name in infos:
                    host_no, info = infos[name]
                    yield name, _snapshot(info, rows.get(host_no, []))

    def scans(self) -> list[dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        for scan_no, scan_id, started in self.conn.execute(
            "SELECT scan_no, scan_id, started_at FROM ck_scans s WHERE "
            + _SCAN_STORED
            + " ORDER BY started_at, scan_id"
        ):
            out[scan_no] = {"scan_id": scan_id, "started_at": started.isoformat(), "hosts": {}}
        for scan_no, name, status, info in self.conn.execute(
            "SELECT hs.scan_no, h.name, hs.status, hs.info FROM ck_host_scans hs"
            " JOIN ck_hosts h USING (host_no) ORDER BY hs.scan_no, h.name"
        ):
            entry: dict[str, Any] = {"status": status}
            if status == "failed":
                entry.update(info)
            elif info.get("errors"):
                entry["errors"] = info["errors"]
            out[scan_no]["hosts"][name] = entry
        for scan_no, shard, shards, stored, failed in self.conn.execute(
            "SELECT scan_no, shard, shards, stored, failed FROM ck_scan_shards"
            " ORDER BY scan_no, shards, shard"
        ):
            out[scan_no].setdefault("shards", []).append(
                {"shard": shard, "of": shards, "stored": stored, "failed": failed}
            )
        return list(out.values())

    def failures(self, hosts: Iterable[str]) -> dict[str, dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT DISTINCT ON (hs.host_no) h.name, s.scan_id, hs.status, hs.info"
            " FROM ck_host_scans hs JOIN ck_hosts h USING (host_no) JOIN ck_scans s USING (scan_no)"
            " WHERE h.name = ANY(%s) ORDER BY hs.host_no, hs.scan_no DESC",
            (_storable(hosts),),
        )
        out = {}
        for name, scan_id, status, info in rows:
            if status == "failed":
                why = ": ".join(str(x) for x in (info.get("reason"), info.get("message")) if x)
                out[name] = {"reason": why or "failed", "scan_id": scan_id}
        return dict(sorted(out.items()))

    def history(self, host: str, max_count: int | None = None) -> list[dict[str, Any]]:
        return self.histories([host], max_count).get(host, [])

    def histories(
        self, hosts: Iterable[str], max_count: int | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        if max_count is not None and max_count <= 0:
            return {}
        _resolve, scan_time = _when()
        out: dict[str, list[dict[str, Any]]] = {}
        query = self.conn.execute(_HISTORY, {"hosts": _storable(hosts), "max": max_count})
        for name, scan_id, _started in query:
            entry = {"scan_id": scan_id, "commit": scan_id, "time": scan_time(scan_id)}
            out.setdefault(name, []).append(entry)
        for entries in out.values():
            entries.reverse()  # the query reads newest first, to cut at max_count
        return out

    def iter_histories(
        self, hosts: Iterable[str], max_count: int | None = None
    ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        for host in hosts:
            snaps = self._snapshots(host, max_count)
            if snaps:
                yield host, snaps

    def _snapshots(self, host: str, max_count: int | None) -> list[dict[str, Any]]:
        """``host``'s newest ``max_count`` snapshots from two queries: its scans, and every
        interval that overlaps the oldest of them (each snapshot is rebuilt from those)."""
        if max_count is not None and max_count <= 0:
            return []
        scans = self.conn.execute(_HOST_SCANS, (_lookup(host), max_count)).fetchall()
        if not scans:
            return []
        scans.reverse()
        oldest = scans[0][0]
        rows = self.conn.execute(
            "SELECT f.valid_from, f.valid_to, i.collector, i.item, i.value FROM ck_facts f"
            " JOIN ck_hosts h USING (host_no) JOIN ck_items i USING (item_no)"
            " WHERE h.name = %s AND (f.valid_to IS NULL OR f.valid_to > %s)",
            (host, oldest),
        ).fetchall()
        out = []
        for scan_no, info in scans:
            live = [
                (c, item, v)
                for vf, vt, c, item, v in rows
                if vf <= scan_no and (vt is None or vt > scan_no)
            ]
            out.append(_snapshot(info, live, shown=False))
        return out

    def read_at(self, ref: Any, host: str) -> dict[str, Any]:
        row = self.conn.execute(
            "SELECT hs.host_no, hs.scan_no, hs.info FROM ck_host_scans hs"
            " JOIN ck_hosts h USING (host_no) JOIN ck_scans s USING (scan_no)"
            " WHERE h.name = %s AND s.scan_id = %s AND hs.status <> 'failed'",
            (_lookup(host), str(ref)),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no snapshot of {host} in scan {ref}")
        host_no, scan_no, info = row
        rows = self.conn.execute(
            "SELECT i.collector, i.item, i.value FROM ck_facts f JOIN ck_items i USING (item_no)"
            " WHERE f.host_no = %s AND f.valid_from <= %s"
            " AND (f.valid_to IS NULL OR f.valid_to > %s)",
            (host_no, scan_no, scan_no),
        ).fetchall()
        return _snapshot(info, rows)

    def get(self, scan_id: str, host: str) -> dict[str, Any]:
        row = self.conn.execute(
            "SELECT s.scan_no, hs.status, hs.info FROM ck_scans s"
            " LEFT JOIN ck_hosts h ON h.name = %s"
            " LEFT JOIN ck_host_scans hs ON hs.scan_no = s.scan_no AND hs.host_no = h.host_no"
            " WHERE s.scan_id = %s AND " + _SCAN_STORED,
            (_lookup(host), scan_id),
        ).fetchone()
        if row is None:
            raise NotFoundError(
                f"no scan {scan_id!r} in the facts database",
                hint="list scans: changekit facts scans",
            )
        _scan_no, status, info = row
        if status is None:
            raise NotFoundError(f"scan {scan_id} did not include {host}")
        if status == "failed":
            raise NotFoundError(
                f"{host} failed in scan {scan_id} ({info.get('reason')}): no snapshot",
                hint="pick an earlier scan or a time: changekit facts show HOST --at WHEN",
            )
        return self.read_at(scan_id, host)

    def at(self, host: str, when: str | datetime) -> dict[str, Any]:
        resolve, _scan_time = _when()
        if isinstance(when, datetime):
            scan_id, instant = None, when
        else:
            scan_id, instant = resolve(when)
        if scan_id:
            return self.get(scan_id, host)
        row = self.conn.execute(
            "SELECT s.scan_id FROM ck_host_scans hs JOIN ck_hosts h USING (host_no)"
            " JOIN ck_scans s USING (scan_no) WHERE h.name = %s AND hs.status <> 'failed'"
            " AND s.started_at <= %s ORDER BY hs.scan_no DESC LIMIT 1",
            (_lookup(host), instant),
        ).fetchone()
        if row is None:
            raise NotFoundError(
                f"no snapshot of {host} at or before {instant.isoformat(timespec='seconds')}",
                hint="scan it first (changekit scan HOST) or pick a later time",
            )
        return self.read_at(row[0], host)

    def peer_snapshots(self, hosts: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Latest snapshots of one peer group, cut down in the database to the items the
        group disagrees on (``pg_peers``): ``compare_peers`` finds the same on them."""
        from changekit_plugins.factstore.pg_peers import peer_snapshots

        return peer_snapshots(self.conn, _storable(hosts))

    def iter_drift_histories(
        self, hosts: Iterable[str], max_count: int | None, keep: Any
    ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """``iter_histories`` of one drift unit, cut down in the database to what drift can
        tell apart (``pg_drift``; the ``DriftHistoriesStore`` capability)."""
        from changekit_plugins.factstore.pg_drift import drift_histories

        return drift_histories(self.conn, _storable(hosts), max_count, keep)

    @contextmanager
    def pinned_reads(self) -> Iterator[None]:
        """Every read inside sees one snapshot of the database (``REPEATABLE READ``): drift's
        many reads are not split by a scan committing meanwhile (``PinnedReadsStore``). The
        writers never wait on it."""
        conn = self.conn
        if _in_transaction(conn):  # pinned already
            yield
            return
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield

    def fetch(self) -> None:
        """A database is shared already: nothing to fetch."""

    def push(self) -> None:
        """A database is shared already: nothing to push."""


def _storable(hosts: Iterable[str]) -> list[str]:
    """The names a text column can hold: a host whose name has a NUL has no rows (``save``
    refuses it), and the driver would refuse to send the name at all."""
    return [h for h in hosts if "\x00" not in h]


def _lookup(host: str) -> str | None:
    return None if "\x00" in host else host  # NULL matches no name: not found, as it is


def _in_transaction(conn: Any) -> bool:
    from psycopg.pq import TransactionStatus

    return conn.info.transaction_status != TransactionStatus.IDLE


def _schema_ready(conn: Any) -> bool:
    # a catalog query, not to_regclass(): that may answer from a cache older than the lock
    found = conn.execute(
        "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
        " ON n.oid = c.relnamespace WHERE c.relname = 'ck_meta' AND n.nspname = current_schema()"
    ).fetchone()
    if found is None:
        return False
    row = conn.execute("SELECT value FROM ck_meta WHERE key = 'schema'").fetchone()
    if row and row[0] != SCHEMA_VERSION:
        raise DatabaseError(
            f"the facts database has schema {row[0]}, this changekit knows {SCHEMA_VERSION}",
            hint="upgrade changekit on every runner to the same version",
        )
    return row is not None


def _json(value: Any) -> str:
    return encoding.document(value)


def _snapshot(
    info: dict[str, Any], rows: list[tuple[str, str, Any]], *, shown: bool = True
) -> dict[str, Any]:
    snap = {k: v for k, v in info.items() if k != "shapes"}
    snap["facts"] = encoding.rebuild(info.get("shapes") or {}, rows)
    if not shown:  # histories feed drift, which orders what it prints itself
        return snap
    # in the git store's order, keys sorted at every level (``facts show`` prints it): jsonb
    # orders keys by length, and the rows come in no order
    return orjson.loads(orjson.dumps(snap, option=orjson.OPT_SORT_KEYS))


# a scan row is written before its shards' transactions (so they need not wait on each
# other); it counts once one of them has committed
_SCAN_STORED = "EXISTS (SELECT 1 FROM ck_scan_shards ss WHERE ss.scan_no = s.scan_no)"

_LATEST_INFO = """
SELECT DISTINCT ON (h.host_no) h.name, h.host_no, hs.info
FROM ck_hosts h JOIN ck_host_scans hs USING (host_no)
WHERE h.name = ANY(%s) AND hs.status <> 'failed'
ORDER BY h.host_no, hs.scan_no DESC
"""

_HISTORY = """
SELECT name, scan_id, started_at FROM (
    SELECT h.name, s.scan_id, s.started_at, hs.scan_no,
           row_number() OVER (PARTITION BY hs.host_no ORDER BY hs.scan_no DESC) AS age
    FROM ck_host_scans hs JOIN ck_hosts h USING (host_no) JOIN ck_scans s USING (scan_no)
    WHERE h.name = ANY(%(hosts)s) AND hs.status <> 'failed'
) t WHERE %(max)s::int IS NULL OR age <= %(max)s::int
ORDER BY name, scan_no DESC
"""

_HOST_SCANS = """
SELECT hs.scan_no, hs.info FROM ck_host_scans hs JOIN ck_hosts h USING (host_no)
WHERE h.name = %s AND hs.status <> 'failed' ORDER BY hs.scan_no DESC LIMIT %s
"""

# digests as bytes (uuid_send): compared with the writer's, never turned into UUID objects
_CURRENT_HEADS = """
SELECT host_no, collector, bucket, uuid_send(digest) FROM ck_current
WHERE host_no = ANY(%s) AND bucket <= 0
"""

# by the primary key's prefix (the writer drops the pairs it did not ask for): a join with
# the pairs was planned as a scan of all of ck_current
_CURRENT_SLICES = """
SELECT host_no, collector, bucket, uuid_send(digest) FROM ck_current
WHERE host_no = ANY(%s) AND collector = ANY(%s)
"""

_TEMP_TABLES = """
CREATE TEMP TABLE IF NOT EXISTS ck_staged
    (host_no int, collector text, bucket smallint, shape text, doc jsonb, digest uuid, held bool)
    ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS ck_new
    (host_no int, collector text, item text, bucket smallint, value jsonb, digest uuid)
    ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS ck_old (host_no int, item_no int, row tid) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS ck_now (host_no int, item_no int) ON COMMIT DELETE ROWS;
TRUNCATE ck_staged, ck_new;
"""

# every (host, collector, item, value) of the changed collectors, with its item digest
_EXPAND = """
INSERT INTO ck_new
SELECT host_no, collector, item, bucket, value,
       md5(collector || chr(31) || item || chr(31) || value::text)::uuid
FROM (
    SELECT s.host_no, s.collector, e.key AS item, s.bucket, e.value
    FROM ck_staged s CROSS JOIN LATERAL jsonb_each(s.doc) e WHERE s.shape = 'items'
    UNION ALL
    SELECT s.host_no, s.collector, '', s.bucket, s.doc FROM ck_staged s WHERE s.shape = 'json'
) x;
ANALYZE ck_staged (host_no, collector, bucket, shape);
ANALYZE ck_new (host_no, digest);
"""

_UNKNOWN_ITEMS = """
SELECT DISTINCT n.collector, n.item, n.bucket, n.value::text, n.digest FROM ck_new n
WHERE NOT EXISTS (SELECT 1 FROM ck_items i WHERE i.digest = n.digest)
"""

# the open intervals of the changed slices (old, with where each row is) and the items they
# hold now (new): what to close is old minus new, what to open new minus old (hashed set
# operations: the temp tables' row counts are unknown to the planner, and a nested loop there
# costs minutes); ANALYZE reads only the columns the plans need (not the documents).
# Old rows are looked up item by item in the open-interval index (LATERAL ... LIMIT 1 keeps
# the planner from turning it into a join): ck_facts grows inside a shard's transaction,
# where its statistics cannot follow, and a join was planned as a scan of every open interval
# per batch (a first load of 10,000 hosts slowed down with every batch). Only slices a host
# held are looked up: a first scan looks up nothing.
_DIFF = """
TRUNCATE ck_old, ck_now;
INSERT INTO ck_old
SELECT f.host_no, f.item_no, f.ctid
FROM ck_staged s
JOIN ck_items i ON i.collector = s.collector AND i.bucket = s.bucket
CROSS JOIN LATERAL (
    SELECT host_no, item_no, ctid FROM ck_facts f
    WHERE f.host_no = s.host_no AND f.item_no = i.item_no AND f.valid_to IS NULL LIMIT 1
) f
WHERE s.held;
INSERT INTO ck_now SELECT n.host_no, i.item_no FROM ck_new n JOIN ck_items i USING (digest);
"""

# by the rows' own addresses (a TID scan): joined on (host_no, item_no), with ck_facts'
# statistics stale, the planner read every open interval of every host for each batch (at 100
# hosts, 610,098 rows read to close 207). The addresses hold: only this transaction writes
# these hosts' rows, and it has not touched them since it filled ck_old.
_CLOSE = """
UPDATE ck_facts SET valid_to = %(scan)s
WHERE ctid = ANY(ARRAY(
    SELECT o.row FROM ck_old o LEFT JOIN ck_now n USING (host_no, item_no)
    WHERE n.host_no IS NULL
)) AND valid_to IS NULL
"""

_OPEN = """
INSERT INTO ck_facts (host_no, item_no, valid_from)
SELECT host_no, item_no, %(scan)s
FROM (SELECT host_no, item_no FROM ck_now EXCEPT SELECT host_no, item_no FROM ck_old) added
"""

_CURRENT = """
DELETE FROM ck_current c USING ck_staged s
WHERE s.held AND c.host_no = s.host_no AND c.collector = s.collector AND c.bucket = s.bucket;
INSERT INTO ck_current (host_no, collector, bucket, digest)
SELECT host_no, collector, bucket, digest FROM ck_staged WHERE shape <> 'gone';
"""
