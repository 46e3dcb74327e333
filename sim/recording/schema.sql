-- chunksim recording database.
--
-- This file defines the schema but for the calls and chunks views: the build
-- compiles it into the recorder (sim/recording/recorder_open.c executes it on
-- an empty database, then adds those two views, derived from the recorder's
-- list of their columns in recorder_columns.c), and docs/schema.md explains
-- every column. The version lives in PRAGMA user_version and
-- meta.schema_version, both written by the recorder from
-- CHUNKSIM_REC_SCHEMA_VERSION; any change to what a database holds, or to the
-- rows its tables and views give, must bump that number, because an older
-- chunksim refuses a database whose version it does not know.
--
-- Times named *_us are microseconds of the run's model clock in both modes: a
-- 'realtime' run is paced by the wall clock but stamps each event with the
-- time it was due (docs/design.md, "Time"). Wall-clock instants (*_at)
-- are ISO-8601 UTC text. 64-bit unsigned values (seeds) are stored as the
-- signed integer with the same bit pattern, because SQLite integers are signed.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- A scenario is identified by its configuration text, not by its name: the same
-- text under two names is one scenario (the first name is kept), and an edited
-- file is a new scenario, so old runs stay tied to the config they ran.
CREATE TABLE scenarios (
    scenario_id   INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    config_sha256 TEXT NOT NULL UNIQUE CHECK (length(config_sha256) = 64),
    config_text   TEXT NOT NULL,
    first_seen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Coredump images, stored once however many runs stream them (a seed sweep over
-- one image is the common case, and images are the largest rows).
CREATE TABLE images (
    image_id INTEGER PRIMARY KEY,
    sha256   TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
    bytes    INTEGER NOT NULL,
    data     BLOB NOT NULL
);

-- One row per run, inserted and committed when the run starts so that a crash
-- leaves a trace. status says how the recording ended; outcome says what the
-- simulation concluded. Both are NULL-free exactly when the run is over.
CREATE TABLE runs (
    run_id          INTEGER PRIMARY KEY,
    scenario_id     INTEGER NOT NULL REFERENCES scenarios (scenario_id),
    seed            INTEGER NOT NULL,
    mode            TEXT NOT NULL CHECK (mode IN ('virtual', 'realtime')),
    tool_version    TEXT NOT NULL,
    reader          TEXT NOT NULL,
    glue            TEXT,
    -- Whose packetizer ran: 'chunksim' (core/), or the firmware object's own
    -- with the SDK version it reports, 'firmware, SDK 1.43.0'.
    packetizer      TEXT NOT NULL DEFAULT 'chunksim',
    image_id        INTEGER REFERENCES images (image_id),
    flash_bytes     INTEGER NOT NULL,
    started_at      TEXT NOT NULL,
    ended_at        TEXT,
    writer_pid      INTEGER NOT NULL,
    writer_host     TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'finished', 'aborted', 'interrupted')),
    outcome         TEXT
                    CHECK (outcome IN ('ok', 'lost', 'corrupt', 'incomplete', 'violation', 'error')),
    safety_ok       INTEGER CHECK (safety_ok IN (0, 1)),
    liveness_ok     INTEGER CHECK (liveness_ok IN (0, 1)),
    reason          TEXT,
    drain_us        INTEGER,
    message_bytes   INTEGER,
    chunks          INTEGER,
    flash_busy_us   INTEGER,
    link_busy_us    INTEGER,
    bound_us        INTEGER,
    efficiency      REAL,
    waits           INTEGER,
    refills         INTEGER,
    retries         INTEGER,
    faults_injected INTEGER,
    wall_ms         INTEGER,
    -- The matrix case the run is (schema version 2); NULL for a single run.
    case_id         TEXT,
    case_file       TEXT,
    case_cell       TEXT,
    -- A run without an outcome is still being written; one with an outcome is not.
    CHECK ((status = 'running') = (outcome IS NULL))
);
CREATE INDEX runs_by_scenario ON runs (scenario_id, seed);
CREATE INDEX runs_by_case ON runs (case_id) WHERE case_id IS NOT NULL;
-- Opening a database looks for runs a dead writer left behind; this keeps that
-- lookup off the full table.
CREATE INDEX runs_running ON runs (run_id) WHERE status = 'running';

-- The per-run tables below are keyed (run_id, seq) and written in that order,
-- so inserts append to the B-tree.
-- Calls are stored in blocks: up to 64 consecutive calls (seq, seq + 1, ...)
-- share one row, because a recorded run makes three calls per chunk and a row
-- per call cost more than the simulation. Each element of the JSON array
-- `calls` is one call's columns after seq, in the order of the calls view;
-- read calls through that view. The recorder creates the calls and chunks
-- views, one row per call or chunk as the tables of those names were before
-- schema version 4, from its list of their columns
-- (sim/recording/recorder_columns.c). A block stays under about 2000 bytes,
-- two to a B-tree page, so this is a rowid table with a unique key.
CREATE TABLE call_blocks (
    block_id INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    calls    TEXT NOT NULL,
    UNIQUE (run_id, seq)
);

CREATE TABLE flash_ops (
    run_id      INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    addr        INTEGER NOT NULL,
    len         INTEGER NOT NULL,
    start_us    INTEGER NOT NULL,
    end_us      INTEGER,
    status      INTEGER NOT NULL,
    status_name TEXT,
    fault       TEXT,
    latency_us  INTEGER,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

-- Chunks are stored in blocks like calls: up to 64 consecutive chunks per row,
-- their columns after seq in the JSON array `chunks` (the last element is the
-- offset of the chunk's bytes in `data`), their bytes one after another in
-- `data`. Read chunks through the chunks view.
CREATE TABLE chunk_blocks (
    block_id INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    chunks   TEXT NOT NULL,
    data     BLOB NOT NULL,
    UNIQUE (run_id, seq)
);

-- call_seq names the call a violation was detected in; it is not a foreign key
-- because the monitor may report before the call's own row is written.
CREATE TABLE violations (
    violation_id INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    invariant    TEXT NOT NULL,
    call_seq     INTEGER,
    t_us         INTEGER NOT NULL,
    detail       TEXT
);
CREATE INDEX violations_by_run ON violations (run_id, t_us);

CREATE TABLE params (
    run_id INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;

CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    value  REAL,
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;

CREATE VIEW run_summary AS
SELECT r.run_id,
       s.name AS scenario,
       r.seed,
       r.mode,
       r.reader,
       r.glue,
       r.started_at,
       r.status,
       r.outcome,
       r.safety_ok,
       r.liveness_ok,
       r.reason,
       r.drain_us,
       r.message_bytes,
       r.chunks,
       r.efficiency,
       r.retries,
       r.faults_injected,
       (SELECT count(*) FROM violations v WHERE v.run_id = r.run_id) AS violations,
       r.wall_ms
FROM runs r
JOIN scenarios s ON s.scenario_id = r.scenario_id;

-- Completed flash reads of each run ranked by duration: pos runs 1..n in
-- ascending order. The nearest-rank p-th percentile is the row with
-- pos = ceil(p * n / 100), in integers (p * n + 99) / 100. A WHERE on run_id
-- is pushed into the window's partition, so one run's lookup reads one run.
CREATE VIEW flash_read_durations AS
SELECT run_id,
       seq,
       end_us - start_us AS dur_us,
       row_number() OVER (PARTITION BY run_id ORDER BY end_us - start_us, seq) AS pos,
       count(*) OVER (PARTITION BY run_id) AS n
FROM flash_ops
WHERE kind = 'read' AND end_us IS NOT NULL;

-- SQLite has no percentile function. One correlated subquery ranks a run's
-- completed reads and picks the three percentiles into the JSON array p
-- (written once; SQLite flattens it into each column that reads p, so it still
-- runs once per percentile). Its run_id test sits inside the ranked subquery
-- because SQLite does not push a correlated term into a view: going through
-- flash_read_durations here would rank every run's reads once per row. Reads
-- that never completed have no duration; they are counted in unfinished_reads
-- and left out of the rest. A run with no read at all has no row.
CREATE VIEW flash_read_latency AS
SELECT c.run_id,
       c.reads,
       c.unfinished_reads,
       c.min_us,
       c.mean_us,
       json_extract(c.p, '$[0]') AS p50_us,
       json_extract(c.p, '$[1]') AS p90_us,
       json_extract(c.p, '$[2]') AS p99_us,
       c.max_us
FROM (SELECT a.*,
             (SELECT json_array(max(CASE WHEN d.pos = (50 * d.n + 99) / 100 THEN d.dur_us END),
                                max(CASE WHEN d.pos = (90 * d.n + 99) / 100 THEN d.dur_us END),
                                max(CASE WHEN d.pos = (99 * d.n + 99) / 100 THEN d.dur_us END))
              FROM (SELECT end_us - start_us AS dur_us,
                           row_number() OVER (ORDER BY end_us - start_us, seq) AS pos,
                           count(*) OVER () AS n
                    FROM flash_ops f
                    WHERE f.run_id = a.run_id AND f.kind = 'read' AND f.end_us IS NOT NULL) d) AS p
      FROM (SELECT run_id,
                   count(end_us) AS reads,
                   count(*) - count(end_us) AS unfinished_reads,
                   min(end_us - start_us) AS min_us,
                   avg(end_us - start_us) AS mean_us,
                   max(end_us - start_us) AS max_us
            FROM flash_ops
            WHERE kind = 'read'
            GROUP BY run_id) a) c;

CREATE VIEW chunk_size_histogram AS
SELECT run_id, len, count(*) AS chunks
FROM chunks
GROUP BY run_id, len;
