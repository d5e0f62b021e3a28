-- changekit facts in PostgreSQL (docs/facts-postgres.md). Idempotent: run on every connect.
-- Facts are intervals: a row says "host H had item I (collector, item, value) from scan
-- valid_from until scan valid_to" (NULL: still has it), so a daily scan writes only what changed.

CREATE TABLE IF NOT EXISTS ck_scans (
    scan_no    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- order of first write
    scan_id    text NOT NULL UNIQUE,
    started_at timestamptz NOT NULL
);

-- one row per shard writer that finished its part of a scan (scan --shard K/N)
CREATE TABLE IF NOT EXISTS ck_scan_shards (
    scan_no     integer NOT NULL REFERENCES ck_scans,
    shard       integer NOT NULL,
    shards      integer NOT NULL,
    stored      integer NOT NULL,
    failed      integer NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scan_no, shard, shards)
);

CREATE TABLE IF NOT EXISTS ck_hosts (
    host_no integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name    text NOT NULL UNIQUE
);

-- every scan attempt of every host: ok / partial (with the snapshot's fields but its facts)
-- or failed (reason, message); "shapes" in info says how each collector's facts are stored
CREATE TABLE IF NOT EXISTS ck_host_scans (
    host_no integer NOT NULL REFERENCES ck_hosts,
    scan_no integer NOT NULL REFERENCES ck_scans,
    status  text NOT NULL CHECK (status IN ('ok', 'partial', 'failed')),
    info    jsonb NOT NULL,
    PRIMARY KEY (host_no, scan_no)
);
CREATE INDEX IF NOT EXISTS ck_host_scans_scan ON ck_host_scans (scan_no);

-- each distinct (collector, item, value) once, however many hosts and scans have it
CREATE TABLE IF NOT EXISTS ck_items (
    item_no   integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collector text NOT NULL,
    item      text NOT NULL,
    bucket    smallint NOT NULL,  -- encoding.bucket_of(item): which slice of its collector
    value     jsonb NOT NULL,
    digest    uuid NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS ck_facts (
    host_no    integer NOT NULL,
    item_no    integer NOT NULL,
    valid_from integer NOT NULL,
    valid_to   integer
);
-- one host's history and "state at scan X": valid_from <= X < coalesce(valid_to, infinity)
CREATE INDEX IF NOT EXISTS ck_facts_host ON ck_facts (host_no, valid_from);
-- the current state (drift, closing changed intervals): one open row per host and item
CREATE UNIQUE INDEX IF NOT EXISTS ck_facts_open ON ck_facts (host_no, item_no) WHERE valid_to IS NULL;
-- drift (pg_drift.py): which items a host changed since scan X, from its closed rows only (a
-- few a day) rather than all its intervals (6,000 a host)
CREATE INDEX IF NOT EXISTS ck_facts_closed ON ck_facts (host_no, valid_to) WHERE valid_to IS NOT NULL;

-- each host's current facts by slice (a collector's items in 64 buckets by name; bucket -1: the
-- whole collector) and digest:
-- an unchanged slice costs no rows, a changed package re-reads one slice, not 1,800 items
CREATE TABLE IF NOT EXISTS ck_current (
    host_no   integer NOT NULL REFERENCES ck_hosts,
    collector text NOT NULL,
    bucket    smallint NOT NULL,
    digest    uuid NOT NULL,
    PRIMARY KEY (host_no, collector, bucket)
);

CREATE TABLE IF NOT EXISTS ck_meta (key text PRIMARY KEY, value text NOT NULL);
