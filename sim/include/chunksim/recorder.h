/*
 * Recorder: writes scenarios, runs and their traces into a SQLite database.
 *
 * A pure sink. The simulator hands it plain structs; it knows nothing of the
 * engine's types, so tools that import traces (a capture from a board) can use
 * it too. One database holds many runs; docs/schema.md describes every table.
 *
 *     chunksim_rec_t rec;
 *     chunksim_rec_open(&rec, "runs.db", err, sizeof err);
 *     chunksim_rec_scenario(&rec, name, config_text, &scenario_id);
 *     chunksim_rec_run_begin(&rec, &info, &run_id);     // committed at once
 *     chunksim_rec_call(&rec, &call);                   // buffered ...
 *     chunksim_rec_chunk(&rec, &chunk);                 // ... committed every N rows
 *     chunksim_rec_run_end(&rec, &result);              // commits the rest
 *     chunksim_rec_close(&rec);
 *
 * Crash safety: the runs row is committed with status 'running' before any
 * trace row, and trace rows are committed in batches. If the process dies, the
 * next chunksim_rec_open() finds the run still 'running' with a dead writer,
 * marks it 'interrupted' with outcome 'incomplete' and a reason; the rows of
 * the last, uncommitted batch are lost, everything before it is intact.
 *
 * Speed: calls, flash ops and chunks are copied into a buffer and inserted
 * up to 4096 at a time by one statement per table (SQLite's per-statement
 * cost, not its B-tree work, dominated one-row inserts). Calls and chunks
 * are stored up to 64 consecutive ones per row (call_blocks, chunk_blocks,
 * read through the calls and chunks views; docs/schema.md). A row is still
 * refused at once when its seq repeats one of the run's: a call or chunk
 * whose seq is not above the run's last of its kind is refused
 * (CHUNKSIM_REC_E_INVAL); a flash op whose seq is above every earlier one
 * cannot collide and is buffered, any other is inserted on the spot. What is deferred is an I/O
 * failure (disk full): it is reported, with the number of calls, ops or chunks lost, by the call
 * that inserts the buffer (the one that fills it or ends a batch, chunksim_rec_flush(), run_end()
 * or run_abort()).
 *
 * Concurrency: one writer per database (a matrix funnels its workers' results
 * through one recorder). A second writer waits for the first's batch
 * transaction up to a busy timeout, then fails with CHUNKSIM_REC_E_SQLITE. A
 * recorder is used from one thread at a time.
 *
 * Values: seq and times are uint64_t; SQLite stores signed 64-bit integers,
 * so a seed >= 2^63 is stored as the negative number with the same bits.
 * Text arguments are NUL-terminated UTF-8 and need only live for the call.
 */
#ifndef CHUNKSIM_RECORDER_H
#define CHUNKSIM_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunksim/error.h"

/*
 * PRAGMA user_version of the databases this build writes; a newer one is
 * refused, an older one is read as it is and brought up to this one when
 * opened for writing (docs/schema.md, "Versions").
 */
#define CHUNKSIM_REC_SCHEMA_VERSION 4

/* Rows per transaction (docs/design.md, "The database"; `chunksim bench` measures rows/s). */
#define CHUNKSIM_REC_BATCH_ROWS_DEFAULT 4096u

/* "No value" markers, stored as SQL NULL. */
#define CHUNKSIM_REC_TIME_NONE UINT64_MAX /* an end time that never came, a latency not drawn */
#define CHUNKSIM_REC_SEQ_NONE  UINT64_MAX /* a violation not tied to one call */
#define CHUNKSIM_REC_ARG_NONE  INT64_MIN  /* a call without an argument */

/* Errors: codes of the common list (chunksim/error.h), under the recorder's names. */
enum chunksim_rec_errno {
    CHUNKSIM_REC_OK = CHUNKSIM_OK,
    CHUNKSIM_REC_E_INVAL = CHUNKSIM_E_INVAL,
    CHUNKSIM_REC_E_SQLITE = CHUNKSIM_E_SQLITE,
    CHUNKSIM_REC_E_VERSION = CHUNKSIM_E_VERSION,
    CHUNKSIM_REC_E_NOTREC = CHUNKSIM_E_NOTREC,
    CHUNKSIM_REC_E_STATE = CHUNKSIM_E_STATE,
    CHUNKSIM_REC_E_READONLY = CHUNKSIM_E_READONLY,
};

struct sqlite3;
struct sqlite3_stmt;

struct chunksim_rec_rows;

#define CHUNKSIM_REC_STMTS_     15
#define CHUNKSIM_REC_ERRMSG_MAX 512

typedef struct chunksim_rec {
    void *data; /* the caller's; kept across open */

    /* Read-only for the caller. */
    int64_t run_id;          /* run being recorded, 0 when none */
    uint32_t batch_rows;     /* rows per transaction */
    uint32_t pending_rows;   /* rows appended since the last commit */
    uint64_t recovered_runs; /* runs the last open found abandoned and marked interrupted */

    /* Private. */
    struct sqlite3 *db_;
    struct sqlite3_stmt *stmt_[CHUNKSIM_REC_STMTS_];
    struct chunksim_rec_rows *rows_; /* trace rows not yet handed to SQLite */
    bool readonly_;
    char errmsg_[CHUNKSIM_REC_ERRMSG_MAX];
} chunksim_rec_t;

/* What is known when a run starts. */
typedef struct chunksim_rec_run_info {
    int64_t scenario_id;      /* from chunksim_rec_scenario() */
    uint64_t seed;            /* the run's root seed */
    const char *mode;         /* "virtual" or "realtime" */
    const char *tool_version; /* chunksim version that ran it */
    const char *started_at;   /* wall clock, ISO-8601 UTC; NULL: now */
    const char *reader;       /* reader kind, e.g. "single" */
    const char *glue;         /* user glue under test; NULL: chunksim's own */
    const void *image;        /* coredump image streamed; NULL: none recorded */
    size_t image_bytes;
    const char *image_sha256; /* hex; NULL: computed here, else checked against image */
    uint64_t flash_bytes;     /* size of the flash image the model was loaded with */
    /* The matrix case the run is (chunksim/matrix.h); all NULL for a single run. */
    const char *case_id;   /* the case id, as in repro lines, JUnit and baselines */
    const char *case_file; /* the matrix file, as given */
    const char *case_cell; /* its axis values, "key=value,key=value" ("" without axes) */
} chunksim_rec_run_info_t;

/* One call into the core by the application loop. */
typedef struct chunksim_rec_call {
    uint64_t seq;            /* per run, each above the last */
    uint64_t t_us;           /* when the call was made */
    const char *kind;        /* prepare|get_chunk|complete|cancel|confirm|abort */
    int64_t arg;             /* e.g. requested chunk size; CHUNKSIM_REC_ARG_NONE: none */
    int result;              /* the call's return value */
    const char *result_name; /* e.g. "WAIT", "WINDOW"; NULL: none */
    const char *detail;      /* NULL: none */
    uint64_t duration_us;    /* CHUNKSIM_REC_TIME_NONE: not measured */
} chunksim_rec_call_t;

/* One operation issued to the flash model. */
typedef struct chunksim_rec_flash_op {
    uint64_t seq;            /* per run, increasing */
    const char *kind;        /* read|erase_sector|erase_block|... */
    uint32_t addr;           /* flash address */
    uint32_t len;            /* bytes */
    uint64_t start_us;       /* when it was issued */
    uint64_t end_us;         /* when its completion was delivered; TIME_NONE: never */
    int status;              /* completion status */
    const char *status_name; /* NULL: none */
    const char *fault;       /* injected fault; NULL: none */
    uint64_t latency_us;     /* latency drawn for it; TIME_NONE: none drawn */
} chunksim_rec_flash_op_t;

/* One chunk produced by the packetizer and handed to the link. */
typedef struct chunksim_rec_chunk {
    uint64_t seq;             /* per run, each above the last */
    uint64_t t_us;            /* when get-chunk produced it */
    uint64_t sent_us;         /* when the link finished it; TIME_NONE: not delivered */
    uint8_t header;           /* the chunk's first (header) byte */
    const char *flags;        /* decoded header flags, e.g. "init|more"; NULL: none */
    bool delivered;           /* reached the peer */
    uint32_t retransmissions; /* link-level resends */
    const void *data;         /* the chunk's bytes */
    size_t len;               /* bytes at data */
} chunksim_rec_chunk_t;

/* An invariant the monitor found broken. */
typedef struct chunksim_rec_violation {
    const char *invariant; /* e.g. "sequential" */
    uint64_t call_seq;     /* calls.seq it was detected in; CHUNKSIM_REC_SEQ_NONE: none */
    uint64_t t_us;
    const char *detail; /* NULL: none */
} chunksim_rec_violation_t;

/* What a run concluded; stored in its runs row. */
typedef struct chunksim_rec_run_result {
    const char *outcome; /* ok|lost|corrupt|incomplete|violation|error */
    bool safety_ok;      /* no invariant was violated and the stream decoded correctly */
    bool liveness_ok;    /* the whole message was delivered */
    const char *reason;  /* why, when not ok; NULL: none */
    uint64_t drain_us;   /* the drain (chunksim/run.h, chunksim_metrics_t) */
    uint64_t message_bytes;
    uint64_t chunks;
    uint64_t flash_busy_us;
    uint64_t link_busy_us;
    uint64_t bound_us; /* lower bound on drain time for this flash and link */
    double efficiency; /* bound_us / drain_us when delivered intact, else 0 */
    uint64_t waits;    /* prepare calls that returned "wait" */
    uint64_t refills;  /* flash reads accepted (window loads) */
    uint64_t retries;  /* failed prepares/get-chunks and timed-out waits */
    uint64_t faults_injected;
    uint64_t wall_ms; /* host time the run took */
} chunksim_rec_run_result_t;

/*
 * Open or create the database at path (a file name or a SQLite "file:" URI)
 * for writing: WAL journal (a file system that cannot do WAL is refused),
 * synchronous=NORMAL, foreign keys on (off on this connection while a run is
 * being recorded: the recorder writes every trace row's run_id itself, and
 * the per-row parent lookup cost 8% of a recorded run), schema created if the
 * file is new, brought up to CHUNKSIM_REC_SCHEMA_VERSION when older (version
 * 1 gains the runs case columns, NULL for its runs; version 2 runs.packetizer,
 * 'chunksim' for its runs; version 3's calls and chunks move into blocks, one
 * per row), runs abandoned by dead writers marked interrupted. Fails with
 * CHUNKSIM_REC_E_VERSION on a newer schema and CHUNKSIM_REC_E_NOTREC on a
 * file that is not a chunksim recording. On failure the message is also
 * copied to err (if not NULL) and rec is closed.
 */
int chunksim_rec_open(chunksim_rec_t *rec, const char *path, char *err, size_t errlen);

/*
 * Open for reading only (reports, replay): no schema creation, no recovery.
 * An older file is read as if current: a version 1 file's runs show the case
 * columns, NULL, through a temporary view; the file is not changed.
 */
int chunksim_rec_open_readonly(chunksim_rec_t *rec, const char *path, char *err, size_t errlen);

/* Abort the run in progress, if any ("recorder closed before the run ended"), and close. */
int chunksim_rec_close(chunksim_rec_t *rec);

/* Rows per transaction, at least 1. Takes effect from the next row. */
int chunksim_rec_set_batch_rows(chunksim_rec_t *rec, uint32_t rows);

/*
 * The open connection, for queries (reports, replay, tests). Do not close it.
 * Trace rows of a run in progress reach it in bulk; chunksim_rec_flush()
 * first to see every row recorded so far.
 */
struct sqlite3 *chunksim_rec_db(const chunksim_rec_t *rec);

/*
 * The scenario whose config text this is: inserted if its SHA-256 is new,
 * else the existing row (whose first name is kept). Committed at once unless a
 * run's batch is open, then with it.
 */
int chunksim_rec_scenario(chunksim_rec_t *rec, const char *name, const char *config_text,
                          int64_t *scenario_id);

/* Start a run: its row (and image, stored once per hash) is committed with status 'running'. */
int chunksim_rec_run_begin(chunksim_rec_t *rec, const chunksim_rec_run_info_t *info,
                           int64_t *run_id);

/*
 * Trace rows of the run in progress, committed every batch_rows rows. Calls,
 * flash ops and chunks are buffered (see "Speed" above); violations, params
 * and metrics, a handful per run, go straight to SQLite.
 */
int chunksim_rec_call(chunksim_rec_t *rec, const chunksim_rec_call_t *call);
int chunksim_rec_flash_op(chunksim_rec_t *rec, const chunksim_rec_flash_op_t *op);
int chunksim_rec_chunk(chunksim_rec_t *rec, const chunksim_rec_chunk_t *chunk);
int chunksim_rec_violation(chunksim_rec_t *rec, const chunksim_rec_violation_t *v);
/* A value the run derived (a seed) or decided (docs/schema.md, params); each name once per run. */
int chunksim_rec_param(chunksim_rec_t *rec, const char *name, const char *value);
/* An open-ended metric; each name once per run. */
int chunksim_rec_metric(chunksim_rec_t *rec, const char *name, double value);

/* Commit the rows buffered so far (long realtime runs call this now and then). */
int chunksim_rec_flush(chunksim_rec_t *rec);

/* Store the outcome and metrics (status 'finished') and commit everything. */
int chunksim_rec_run_end(chunksim_rec_t *rec, const chunksim_rec_run_result_t *result);

/* End the run as status 'aborted', outcome 'incomplete', with reason; keep its rows. */
int chunksim_rec_run_abort(chunksim_rec_t *rec, const char *reason);

/*
 * The columns of a trace table ("calls", "flash_ops" or "chunks") after
 * run_id, in order, as "seq, t_us, ..." into buf: what a reader selects to
 * see every value the recorder stores (replay compares them all). Returns the
 * number of columns, or CHUNKSIM_REC_E_INVAL for another name or a buffer
 * too small.
 */
int chunksim_rec_trace_columns(const char *table, char *buf, size_t len);

/* The last failure's message (SQLite's text with what was being done); "" if none. */
const char *chunksim_rec_errmsg(const chunksim_rec_t *rec);

/* chunksim_strerror(), kept for the recorder's callers. */
const char *chunksim_rec_strerror(int err);

#endif
