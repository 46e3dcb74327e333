#include "chunksim/recorder.h"
#include "chunksim/sha256.h"

#include <sqlite3.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* sim/src/schema.sql, compiled in by the build (sim/CMakeLists.txt). */
extern const char chunksim_schema_sql[];

/* A second writer waits this long for the first one's batch before giving up. */
#define REC_BUSY_TIMEOUT_MS 10000

/*
 * Buffered rows are handed to SQLite when this many are waiting (or at a
 * batch commit, if sooner): past a thousand rows one INSERT ... SELECT costs
 * no less per row, and the buffer stays small whatever batch_rows is.
 */
#define REC_ROWS_FLUSH_ROWS 4096u
/* ... or when their text and chunk bytes reach this; a row bigger than a
 * quarter of it is inserted on its own. */
#define REC_ROWS_FLUSH_BYTES (4u << 20)

#define REC_NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

enum rec_stmt {
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_SCENARIO_INSERT,
    STMT_SCENARIO_FIND,
    STMT_IMAGE_FIND,
    STMT_IMAGE_INSERT,
    STMT_RUN_INSERT,
    STMT_RUN_END,
    STMT_RUN_ABORT,
    STMT_CALL,
    STMT_FLASH_OP,
    STMT_CHUNK,
    STMT_VIOLATION,
    STMT_PARAM,
    STMT_METRIC,
    STMT_CALLS_BULK,
    STMT_FLASH_OPS_BULK,
    STMT_CHUNKS_BULK,
    STMT_COUNT
};

_Static_assert(STMT_COUNT == CHUNKSIM_REC_STMTS_, "recorder.h reserves one slot per statement");

/*
 * BEGIN IMMEDIATE takes the write lock at once, so a second writer waits in the
 * busy handler; a deferred BEGIN could instead fail outright with
 * SQLITE_BUSY_SNAPSHOT when it first writes after another writer committed.
 */
static const char *const stmt_sql[STMT_COUNT] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_SCENARIO_INSERT] = "INSERT INTO scenarios (name, config_sha256, config_text) "
                             "VALUES (?1, ?2, ?3) ON CONFLICT (config_sha256) DO NOTHING",
    [STMT_SCENARIO_FIND] = "SELECT scenario_id FROM scenarios WHERE config_sha256 = ?1",
    [STMT_IMAGE_FIND] = "SELECT image_id FROM images WHERE sha256 = ?1",
    [STMT_IMAGE_INSERT] = "INSERT INTO images (sha256, bytes, data) VALUES (?1, ?2, zeroblob(?2))",
    [STMT_RUN_INSERT] =
        "INSERT INTO runs (scenario_id, seed, mode, tool_version, reader, glue, "
        "image_id, flash_bytes, started_at, writer_pid, writer_host, case_id, case_file, "
        "case_cell) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, coalesce(?9, " REC_NOW_SQL
        "), ?10, ?11, ?12, ?13, ?14)",
    [STMT_RUN_END] = "UPDATE runs SET status = 'finished', ended_at = " REC_NOW_SQL ", "
                     "outcome = ?2, safety_ok = ?3, liveness_ok = ?4, reason = ?5, "
                     "drain_us = ?6, message_bytes = ?7, chunks = ?8, flash_busy_us = ?9, "
                     "link_busy_us = ?10, bound_us = ?11, efficiency = ?12, waits = ?13, "
                     "refills = ?14, retries = ?15, faults_injected = ?16, wall_ms = ?17 "
                     "WHERE run_id = ?1 AND status = 'running'",
    [STMT_RUN_ABORT] = "UPDATE runs SET status = 'aborted', outcome = 'incomplete', "
                       "ended_at = " REC_NOW_SQL ", reason = ?2 "
                       "WHERE run_id = ?1 AND status = 'running'",
    [STMT_CALL] = "INSERT INTO calls (run_id, seq, t_us, kind, arg, result, result_name, detail, "
                  "duration_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [STMT_FLASH_OP] = "INSERT INTO flash_ops (run_id, seq, kind, addr, len, start_us, end_us, "
                      "status, status_name, fault, latency_us) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [STMT_CHUNK] = "INSERT INTO chunks (run_id, seq, t_us, sent_us, len, header, flags, "
                   "delivered, retransmissions, data) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [STMT_VIOLATION] = "INSERT INTO violations (run_id, invariant, call_seq, t_us, detail) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)",
    [STMT_PARAM] = "INSERT INTO params (run_id, name, value) VALUES (?1, ?2, ?3)",
    [STMT_METRIC] = "INSERT INTO metrics (run_id, name, value) VALUES (?1, ?2, ?3)",
    /* ?2 is the buffer, passed with sqlite3_bind_pointer() (see "buffered rows"). */
    [STMT_CALLS_BULK] = "INSERT INTO calls (run_id, seq, t_us, kind, arg, result, result_name, "
                        "detail, duration_us) SELECT ?1, seq, t_us, kind, arg, result, "
                        "result_name, detail, duration_us FROM chunksim_rec_buffered_calls(?2)",
    [STMT_FLASH_OPS_BULK] = "INSERT INTO flash_ops (run_id, seq, kind, addr, len, start_us, "
                            "end_us, status, status_name, fault, latency_us) SELECT ?1, seq, "
                            "kind, addr, len, start_us, end_us, status, status_name, fault, "
                            "latency_us FROM chunksim_rec_buffered_flash_ops(?2)",
    [STMT_CHUNKS_BULK] = "INSERT INTO chunks (run_id, seq, t_us, sent_us, len, header, flags, "
                         "delivered, retransmissions, data) SELECT ?1, seq, t_us, sent_us, len, "
                         "header, flags, delivered, retransmissions, data "
                         "FROM chunksim_rec_buffered_chunks(?2)",
};

static const char *const outcomes[] = {"ok", "lost", "corrupt", "incomplete", "violation", "error"};

/* ---- errors ---------------------------------------------------------------------------- */

static int rec_fail(chunksim_rec_t *rec, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int rec_fail(chunksim_rec_t *rec, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rec->errmsg_, sizeof rec->errmsg_, fmt, ap);
    va_end(ap);
    return code;
}

static int rec_fail_sqlite(chunksim_rec_t *rec, const char *what)
{
    return rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "%s: %s", what, sqlite3_errmsg(rec->db_));
}

const char *chunksim_rec_errmsg(const chunksim_rec_t *rec)
{
    return rec->errmsg_;
}

const char *chunksim_rec_strerror(int err)
{
    switch (err) {
    case CHUNKSIM_REC_OK:
        return "ok";
#define CHUNKSIM_REC_ERRNO_TEXT_(name, value, text)                                                \
    case CHUNKSIM_REC_E_##name:                                                                    \
        return text;
        CHUNKSIM_REC_ERRNO_MAP(CHUNKSIM_REC_ERRNO_TEXT_)
#undef CHUNKSIM_REC_ERRNO_TEXT_
    default:
        return "unknown error";
    }
}

/* ---- binding --------------------------------------------------------------------------- */

/* SQLite integers are signed: keep the bits of values >= 2^63 (seeds) rather than clamp. */
static sqlite3_int64 i64_bits(uint64_t v)
{
    sqlite3_int64 r;
    memcpy(&r, &v, sizeof r);
    return r;
}

/*
 * Text and blobs are bound SQLITE_STATIC: the caller's buffer outlives the
 * sqlite3_step() that reads it, and every call rebinds before stepping again,
 * so SQLite never touches a stale pointer and copies nothing.
 */
static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* A NULL pointer would bind SQL NULL; an empty chunk is an empty blob. */
static int bind_blob(sqlite3_stmt *st, int i, const void *data, size_t len)
{
    if (len == 0)
        return sqlite3_bind_zeroblob(st, i, 0);
    return sqlite3_bind_blob64(st, i, data, (sqlite3_uint64)len, SQLITE_STATIC);
}

static int bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
    return sqlite3_bind_int64(st, i, i64_bits(v));
}

static int bind_time(sqlite3_stmt *st, int i, uint64_t v)
{
    return v == CHUNKSIM_REC_TIME_NONE ? sqlite3_bind_null(st, i) : bind_u64(st, i, v);
}

/* Step a statement that returns no row and make it reusable. */
static int rec_step_done(chunksim_rec_t *rec, sqlite3_stmt *st, int bind_rc, const char *what)
{
    /* bind_rc is the OR of the bind results: nonzero says one failed, not which. */
    if (bind_rc != SQLITE_OK) {
        sqlite3_reset(st);
        return rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "%s: binding a value failed: %s", what,
                        sqlite3_errmsg(rec->db_));
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        rec_fail_sqlite(rec, what);
        sqlite3_reset(st);
        return CHUNKSIM_REC_E_SQLITE;
    }
    sqlite3_reset(st);
    return 0;
}

/* ---- buffered rows --------------------------------------------------------------------- */

/*
 * Calls, flash ops and chunks wait in plain arrays and reach SQLite through
 * one INSERT ... SELECT per kind from an eponymous virtual table that reads
 * the array. A one-row INSERT pays for a whole statement run (cursor open,
 * seek, halt, reset) per row; this pays it once per buffer of up to 4096
 * rows, which halves the cost of a row. Text and chunk bytes are copied into
 * the buffer's byte arena because the caller's pointers live only for its
 * call.
 *
 * The UNIQUE (run_id, seq) keys must still refuse a repeated seq at the call
 * that repeats it. A row whose seq is above every seq of its kind so far in
 * this run cannot collide, so it is buffered; any other row (flash ops
 * completing out of order, a caller's bug) is inserted on the spot after the
 * rows of its kind buffered before it.
 *
 * A writer thread inserting one buffer while the simulation fills the next
 * was tried and measured: on the project's 2-CPU machines it saved nothing
 * in an optimized build (the commits and the checkpoints' fsyncs stay
 * serial, and the simulation is a fifth of a recorded run) and cost 20% more
 * CPU.
 */

enum rec_kind { KIND_CALLS, KIND_FLASH_OPS, KIND_CHUNKS, KIND_COUNT };

/* Offset + 1 of a NUL-terminated string in the arena; 0: SQL NULL. */
typedef uint32_t rec_ref_t;

typedef struct {
    uint64_t seq, t_us, duration_us;
    int64_t arg;
    int result;
    rec_ref_t kind, result_name, detail;
} rec_call_row_t;

typedef struct {
    uint64_t seq, start_us, end_us, latency_us;
    uint32_t addr, len;
    int status;
    rec_ref_t kind, status_name, fault;
} rec_flash_op_row_t;

typedef struct {
    uint64_t seq, t_us, sent_us;
    uint32_t retransmissions;
    uint32_t len;  /* bytes at data */
    uint32_t data; /* offset of the bytes in the arena */
    rec_ref_t flags;
    uint8_t header;
    bool delivered;
} rec_chunk_row_t;

/* What the virtual table reads: one kind's rows, and the arena their text is in. */
typedef struct rec_table {
    const struct chunksim_rec_rows *buf;
    void *row;
    uint32_t count, cap;
} rec_table_t;

struct chunksim_rec_rows {
    rec_table_t table[KIND_COUNT];
    char *bytes;
    size_t bytes_used, bytes_cap;
    uint32_t count; /* rows, all kinds */

    bool any_seq[KIND_COUNT];     /* a row of this kind was recorded in this run ... */
    uint64_t max_seq[KIND_COUNT]; /* ... and this is the highest seq among them */
};

static const struct {
    size_t row_bytes;
    const char *module; /* the virtual table's name, as the *_BULK statements use it */
    const char *columns;
    int buffer_col; /* index of the hidden column that takes the buffer */
    const char *what;
} rec_kinds[KIND_COUNT] = {
    [KIND_CALLS] = {sizeof(rec_call_row_t), "chunksim_rec_buffered_calls",
                    "CREATE TABLE x (seq, t_us, kind, arg, result, result_name, detail, "
                    "duration_us, buffer HIDDEN)",
                    8, "calls"},
    [KIND_FLASH_OPS] = {sizeof(rec_flash_op_row_t), "chunksim_rec_buffered_flash_ops",
                        "CREATE TABLE x (seq, kind, addr, len, start_us, end_us, status, "
                        "status_name, fault, latency_us, buffer HIDDEN)",
                        10, "flash ops"},
    [KIND_CHUNKS] = {sizeof(rec_chunk_row_t), "chunksim_rec_buffered_chunks",
                     "CREATE TABLE x (seq, t_us, sent_us, len, header, flags, delivered, "
                     "retransmissions, data, buffer HIDDEN)",
                     9, "chunks"},
};

/* sqlite3_bind_pointer() type tag: only a rec_table_t bound by this file is ever read. */
static const char rec_rows_pointer_type[] = "chunksim_rec_table";

/* -- the virtual table: read-only, one row per buffered row, the buffer as hidden argument -- */

typedef struct {
    sqlite3_vtab base;
    int kind;
} rec_vtab_t;

typedef struct {
    sqlite3_vtab_cursor base;
    const rec_table_t *table;
    uint32_t i;
} rec_vcursor_t;

static int rec_vtab_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                            sqlite3_vtab **out, char **err)
{
    (void)argc;
    (void)argv;
    (void)err;
    int kind = (int)(intptr_t)aux;
    int rc = sqlite3_declare_vtab(db, rec_kinds[kind].columns);
    if (rc != SQLITE_OK)
        return rc;
    /* Not callable from triggers or views a database file might carry. */
    sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
    rec_vtab_t *v = sqlite3_malloc(sizeof *v);
    if (!v)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    v->kind = kind;
    *out = &v->base;
    return SQLITE_OK;
}

static int rec_vtab_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

/* The only plan: the buffer given as the hidden column's value. Without it there is no table. */
static int rec_vtab_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info)
{
    int buffer_col = rec_kinds[((rec_vtab_t *)vtab)->kind].buffer_col;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->usable && c->op == SQLITE_INDEX_CONSTRAINT_EQ && c->iColumn == buffer_col) {
            info->aConstraintUsage[i].argvIndex = 1;
            info->aConstraintUsage[i].omit = 1;
            info->estimatedCost = 1;
            return SQLITE_OK;
        }
    }
    return SQLITE_CONSTRAINT;
}

static int rec_vtab_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out)
{
    (void)vtab;
    rec_vcursor_t *c = sqlite3_malloc(sizeof *c);
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    *out = &c->base;
    return SQLITE_OK;
}

static int rec_vtab_close(sqlite3_vtab_cursor *cur)
{
    sqlite3_free(cur);
    return SQLITE_OK;
}

static int rec_vtab_filter(sqlite3_vtab_cursor *cur, int idx_num, const char *idx_str, int argc,
                           sqlite3_value **argv)
{
    (void)idx_num;
    (void)idx_str;
    rec_vcursor_t *c = (rec_vcursor_t *)cur;
    c->table = argc == 1 ? sqlite3_value_pointer(argv[0], rec_rows_pointer_type) : NULL;
    c->i = 0;
    return SQLITE_OK;
}

static int rec_vtab_next(sqlite3_vtab_cursor *cur)
{
    ((rec_vcursor_t *)cur)->i++;
    return SQLITE_OK;
}

static int rec_vtab_eof(sqlite3_vtab_cursor *cur)
{
    const rec_vcursor_t *c = (const rec_vcursor_t *)cur;
    return !c->table || c->i >= c->table->count;
}

static int rec_vtab_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = ((rec_vcursor_t *)cur)->i;
    return SQLITE_OK;
}

/* A column left without a result is SQL NULL. Arena text outlives the statement's step. */
static void result_ref(sqlite3_context *ctx, const struct chunksim_rec_rows *rows, rec_ref_t ref)
{
    if (ref)
        sqlite3_result_text(ctx, rows->bytes + ref - 1, -1, SQLITE_STATIC);
}

static void result_time(sqlite3_context *ctx, uint64_t v)
{
    if (v != CHUNKSIM_REC_TIME_NONE)
        sqlite3_result_int64(ctx, i64_bits(v));
}

static void rec_call_column(sqlite3_context *ctx, const struct chunksim_rec_rows *rows,
                            const rec_call_row_t *r, int col)
{
    switch (col) {
    case 0:
        sqlite3_result_int64(ctx, i64_bits(r->seq));
        break;
    case 1:
        sqlite3_result_int64(ctx, i64_bits(r->t_us));
        break;
    case 2:
        result_ref(ctx, rows, r->kind);
        break;
    case 3:
        if (r->arg != CHUNKSIM_REC_ARG_NONE)
            sqlite3_result_int64(ctx, r->arg);
        break;
    case 4:
        sqlite3_result_int(ctx, r->result);
        break;
    case 5:
        result_ref(ctx, rows, r->result_name);
        break;
    case 6:
        result_ref(ctx, rows, r->detail);
        break;
    case 7:
        result_time(ctx, r->duration_us);
        break;
    }
}

static void rec_flash_op_column(sqlite3_context *ctx, const struct chunksim_rec_rows *rows,
                                const rec_flash_op_row_t *r, int col)
{
    switch (col) {
    case 0:
        sqlite3_result_int64(ctx, i64_bits(r->seq));
        break;
    case 1:
        result_ref(ctx, rows, r->kind);
        break;
    case 2:
        sqlite3_result_int64(ctx, r->addr);
        break;
    case 3:
        sqlite3_result_int64(ctx, r->len);
        break;
    case 4:
        sqlite3_result_int64(ctx, i64_bits(r->start_us));
        break;
    case 5:
        result_time(ctx, r->end_us);
        break;
    case 6:
        sqlite3_result_int(ctx, r->status);
        break;
    case 7:
        result_ref(ctx, rows, r->status_name);
        break;
    case 8:
        result_ref(ctx, rows, r->fault);
        break;
    case 9:
        result_time(ctx, r->latency_us);
        break;
    }
}

static void rec_chunk_column(sqlite3_context *ctx, const struct chunksim_rec_rows *rows,
                             const rec_chunk_row_t *r, int col)
{
    switch (col) {
    case 0:
        sqlite3_result_int64(ctx, i64_bits(r->seq));
        break;
    case 1:
        sqlite3_result_int64(ctx, i64_bits(r->t_us));
        break;
    case 2:
        result_time(ctx, r->sent_us);
        break;
    case 3:
        sqlite3_result_int64(ctx, r->len);
        break;
    case 4:
        sqlite3_result_int(ctx, r->header);
        break;
    case 5:
        result_ref(ctx, rows, r->flags);
        break;
    case 6:
        sqlite3_result_int(ctx, r->delivered);
        break;
    case 7:
        sqlite3_result_int64(ctx, r->retransmissions);
        break;
    case 8:
        /* An empty chunk is an empty blob, not NULL (data is NOT NULL). */
        if (r->len == 0)
            sqlite3_result_zeroblob(ctx, 0);
        else
            sqlite3_result_blob(ctx, rows->bytes + r->data, (int)r->len, SQLITE_STATIC);
        break;
    }
}

static int rec_vtab_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    const rec_vcursor_t *c = (const rec_vcursor_t *)cur;
    const rec_table_t *t = c->table;
    switch (((const rec_vtab_t *)cur->pVtab)->kind) {
    case KIND_CALLS:
        rec_call_column(ctx, t->buf, (const rec_call_row_t *)t->row + c->i, col);
        break;
    case KIND_FLASH_OPS:
        rec_flash_op_column(ctx, t->buf, (const rec_flash_op_row_t *)t->row + c->i, col);
        break;
    default:
        rec_chunk_column(ctx, t->buf, (const rec_chunk_row_t *)t->row + c->i, col);
        break;
    }
    return SQLITE_OK;
}

/* No xCreate: eponymous-only, so the tables exist on this connection and never in the file. */
static const sqlite3_module rec_vtab_module = {
    .xConnect = rec_vtab_connect,
    .xBestIndex = rec_vtab_best_index,
    .xDisconnect = rec_vtab_disconnect,
    .xOpen = rec_vtab_open,
    .xClose = rec_vtab_close,
    .xFilter = rec_vtab_filter,
    .xNext = rec_vtab_next,
    .xEof = rec_vtab_eof,
    .xColumn = rec_vtab_column,
    .xRowid = rec_vtab_rowid,
};

/* -- the buffer -- */

static struct chunksim_rec_rows *rec_rows_new(void)
{
    struct chunksim_rec_rows *rows = calloc(1, sizeof *rows);
    for (int k = 0; rows && k < KIND_COUNT; k++)
        rows->table[k].buf = rows;
    return rows;
}

static void rec_rows_free(struct chunksim_rec_rows *rows)
{
    if (!rows)
        return;
    for (int k = 0; k < KIND_COUNT; k++)
        free(rows->table[k].row);
    free(rows->bytes);
    free(rows);
}

/* Drop what is waiting (inserted, or lost with its batch). */
static void rec_rows_clear(struct chunksim_rec_rows *rows)
{
    if (!rows)
        return;
    for (int k = 0; k < KIND_COUNT; k++)
        rows->table[k].count = 0;
    rows->count = 0;
    rows->bytes_used = 0;
}

/* A new run: no seq of any kind seen yet. */
static void rec_rows_run_begin(struct chunksim_rec_rows *rows)
{
    if (!rows)
        return;
    rec_rows_clear(rows);
    for (int k = 0; k < KIND_COUNT; k++)
        rows->any_seq[k] = false;
}

static void rec_seq_seen(chunksim_rec_t *rec, int kind, uint64_t seq)
{
    struct chunksim_rec_rows *rows = rec->rows_;
    if (!rows)
        return;
    if (!rows->any_seq[kind] || seq > rows->max_seq[kind])
        rows->max_seq[kind] = seq;
    rows->any_seq[kind] = true;
}

/* Insert the waiting rows of one kind into the open batch; they are gone from the buffer. */
static int rec_rows_insert_kind(chunksim_rec_t *rec, int kind)
{
    rec_table_t *t = rec->rows_ ? &rec->rows_->table[kind] : NULL;
    if (!t || t->count == 0)
        return 0;
    sqlite3_stmt *st = rec->stmt_[STMT_CALLS_BULK + kind];
    int rc = sqlite3_bind_int64(st, 1, rec->run_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_pointer(st, 2, t, rec_rows_pointer_type, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int r = 0;
    if (rc != SQLITE_DONE)
        r = rec_fail(rec, CHUNKSIM_REC_E_SQLITE,
                     "insert buffered rows: %s; %u buffered %s rows were lost",
                     sqlite3_errmsg(rec->db_), (unsigned)t->count, rec_kinds[kind].what);
    sqlite3_reset(st);
    rec->rows_->count -= t->count;
    t->count = 0;
    return r;
}

/* Every row recorded so far is in SQLite's open batch when this returns 0. */
static int rec_rows_insert(chunksim_rec_t *rec)
{
    if (!rec->rows_ || rec->rows_->count == 0)
        return 0;
    int r = 0;
    for (int k = 0; k < KIND_COUNT; k++) {
        int rk = rec_rows_insert_kind(rec, k);
        r = r != 0 ? r : rk; /* the first failure is reported, the other kinds still tried */
    }
    rec_rows_clear(rec->rows_);
    return r;
}

/* p with room for need units (doubling from first), or NULL with p untouched. */
static void *rec_grow(void *p, size_t *cap, size_t need, size_t unit, size_t first)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : first;
    while (n < need)
        n *= 2;
    void *q = realloc(p, n * unit);
    if (q)
        *cap = n;
    return q;
}

/*
 * A slot for one row of kind whose text and bytes take extra arena bytes, in
 * *slot; *slot NULL when the row must be inserted on its own: its seq is not
 * above the kind's highest so far (it could collide, so SQLite must see it
 * now), it is too big, or memory ran out. Fails only when inserting the
 * rows already waiting, to make room, fails.
 */
static int rec_rows_slot(chunksim_rec_t *rec, int kind, uint64_t seq, size_t extra, void **slot)
{
    struct chunksim_rec_rows *b = rec->rows_;
    *slot = NULL;
    if (!b || extra > REC_ROWS_FLUSH_BYTES / 4)
        return 0;
    if (b->any_seq[kind] && seq <= b->max_seq[kind])
        return 0;
    if (b->count >= REC_ROWS_FLUSH_ROWS || b->bytes_used + extra > REC_ROWS_FLUSH_BYTES) {
        int r = rec_rows_insert(rec);
        if (r != 0)
            return r;
    }
    rec_table_t *t = &b->table[kind];
    size_t cap = t->cap;
    void *row = rec_grow(t->row, &cap, (size_t)t->count + 1, rec_kinds[kind].row_bytes, 256);
    if (!row)
        return 0;
    t->row = row;
    t->cap = (uint32_t)cap; /* at most REC_ROWS_FLUSH_ROWS */
    char *bytes = rec_grow(b->bytes, &b->bytes_cap, b->bytes_used + extra, 1, 64u << 10);
    if (!bytes)
        return 0;
    b->bytes = bytes;
    *slot = (char *)t->row + (size_t)t->count * rec_kinds[kind].row_bytes;
    t->count++;
    b->count++;
    rec_seq_seen(rec, kind, seq);
    return 0;
}

static size_t text_bytes(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

/* Copy into the arena; rec_rows_slot() reserved the room. */
static uint32_t rec_rows_put(struct chunksim_rec_rows *rows, const void *p, size_t len)
{
    uint32_t at = (uint32_t)rows->bytes_used;
    if (len > 0)
        memcpy(rows->bytes + at, p, len);
    rows->bytes_used += len;
    return at;
}

static rec_ref_t rec_rows_text(struct chunksim_rec_rows *rows, const char *s)
{
    return s ? rec_rows_put(rows, s, strlen(s) + 1) + 1 : 0;
}

/* ---- transactions ---------------------------------------------------------------------- */

static bool rec_in_txn(const chunksim_rec_t *rec)
{
    return !sqlite3_get_autocommit(rec->db_);
}

/*
 * Rows counted as pending but no transaction: SQLite rolled it back after an
 * I/O or disk-full error. The rows still buffered go with it, so that a batch
 * is kept or lost as a whole. Say so instead of losing them silently.
 */
static int rec_batch_lost(chunksim_rec_t *rec)
{
    uint32_t lost = rec->pending_rows;
    rec->pending_rows = 0;
    rec_rows_clear(rec->rows_);
    return rec_fail(rec, CHUNKSIM_REC_E_SQLITE,
                    "SQLite rolled back the open batch after an earlier error; "
                    "%u rows were lost",
                    (unsigned)lost);
}

static int rec_txn_begin(chunksim_rec_t *rec)
{
    if (rec_in_txn(rec))
        return 0;
    if (rec->pending_rows > 0)
        return rec_batch_lost(rec);
    return rec_step_done(rec, rec->stmt_[STMT_BEGIN], SQLITE_OK, "begin transaction");
}

static int rec_txn_commit(chunksim_rec_t *rec)
{
    if (!rec_in_txn(rec))
        return rec->pending_rows > 0 ? rec_batch_lost(rec) : 0;
    int r = rec_rows_insert(rec);
    if (r != 0)
        return r;
    r = rec_step_done(rec, rec->stmt_[STMT_COMMIT], SQLITE_OK, "commit");
    if (r == 0)
        rec->pending_rows = 0;
    return r;
}

/*
 * Checked per trace row, the foreign keys would look up the same runs row
 * every time; the recorder writes run_id itself, so they are off while a run
 * is recorded. The pragma is a no-op inside a transaction: callers set it
 * right after a commit.
 */
static void rec_foreign_keys(chunksim_rec_t *rec, bool on)
{
    /* A failure leaves the checks on: slower, never wrong. */
    (void)sqlite3_exec(rec->db_, on ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF",
                       NULL, NULL, NULL);
}

/* ---- opening --------------------------------------------------------------------------- */

static int rec_exec(chunksim_rec_t *rec, const char *sql, const char *what)
{
    if (sqlite3_exec(rec->db_, sql, NULL, NULL, NULL) != SQLITE_OK)
        return rec_fail_sqlite(rec, what);
    return 0;
}

/* Run a one-row, one-column query (PRAGMA, count) and return its integer. */
static int rec_query_int(chunksim_rec_t *rec, const char *sql, sqlite3_int64 *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rec->db_, sql, -1, &st, NULL) != SQLITE_OK)
        return rec_fail_sqlite(rec, sql);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rec_fail_sqlite(rec, sql);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : CHUNKSIM_REC_E_SQLITE;
}

/*
 * user_version 0 is what SQLite reports for any database we did not write, so
 * it only means "ours, to be created" when the file holds nothing at all.
 */
static int rec_check_version(chunksim_rec_t *rec, sqlite3_int64 *version)
{
    if (rec_query_int(rec, "PRAGMA user_version", version) != 0) {
        int code = sqlite3_errcode(rec->db_);
        return code == SQLITE_NOTADB ? CHUNKSIM_REC_E_NOTREC : CHUNKSIM_REC_E_SQLITE;
    }
    if (*version > CHUNKSIM_REC_SCHEMA_VERSION)
        return rec_fail(rec, CHUNKSIM_REC_E_VERSION,
                        "database schema version %lld is newer than this chunksim "
                        "understands (%d); use a newer chunksim to read or extend it",
                        (long long)*version, CHUNKSIM_REC_SCHEMA_VERSION);
    if (*version > 0)
        return 0;
    sqlite3_int64 objects = 0;
    if (rec_query_int(rec, "SELECT count(*) FROM sqlite_schema", &objects) != 0)
        return CHUNKSIM_REC_E_SQLITE;
    if (objects > 0)
        return rec_fail(rec, CHUNKSIM_REC_E_NOTREC,
                        "database holds %lld schema objects but no chunksim schema version "
                        "(PRAGMA user_version is 0): not a chunksim recording",
                        (long long)objects);
    return 0;
}

/*
 * An older database is brought up to this schema when it is opened for
 * writing, one version at a time; what existed before a column did is
 * stated by the column's default.
 */
static const char *const rec_migrations[] = {
    /* 1 -> 2: the case identity of runs, NULL for the runs already there,
     * which were recorded without it. */
    "ALTER TABLE runs ADD COLUMN case_id TEXT; "
    "ALTER TABLE runs ADD COLUMN case_file TEXT; "
    "ALTER TABLE runs ADD COLUMN case_cell TEXT; "
    "CREATE INDEX runs_by_case ON runs (case_id) WHERE case_id IS NOT NULL",
    /* 2 -> 3: runs.packetizer; every earlier run ran chunksim's packetizer. */
    "ALTER TABLE runs ADD COLUMN packetizer TEXT NOT NULL DEFAULT 'chunksim'",
};

_Static_assert(sizeof(rec_migrations) / sizeof(rec_migrations[0]) ==
                   CHUNKSIM_REC_SCHEMA_VERSION - 1,
               "one migration per schema version");

static int rec_create_schema(chunksim_rec_t *rec)
{
    char *meta = sqlite3_mprintf("INSERT INTO meta (key, value) VALUES ('schema_version', '%d'), "
                                 "('created_by', 'chunksim recorder, SQLite %q'), "
                                 "('created_at', %s); PRAGMA user_version = %d;",
                                 CHUNKSIM_REC_SCHEMA_VERSION, sqlite3_libversion(), REC_NOW_SQL,
                                 CHUNKSIM_REC_SCHEMA_VERSION);
    int r = rec_exec(rec, chunksim_schema_sql, "create schema");
    if (r == 0)
        r = meta ? rec_exec(rec, meta, "write schema version")
                 : rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "out of memory");
    sqlite3_free(meta);
    return r;
}

static int rec_migrate(chunksim_rec_t *rec, sqlite3_int64 from)
{
    char *sql = sqlite3_mprintf("%s; PRAGMA user_version = %lld; "
                                "UPDATE meta SET value = '%lld' WHERE key = 'schema_version';",
                                rec_migrations[from - 1], from + 1, from + 1);
    int r = sql ? rec_exec(rec, sql, "upgrade the database schema")
                : rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "out of memory");
    sqlite3_free(sql);
    return r;
}

/* Creates the schema, or upgrades it, in one transaction under the write lock. */
static int rec_update_schema(chunksim_rec_t *rec)
{
    int r = rec_exec(rec, "BEGIN IMMEDIATE", "begin schema update");
    if (r != 0)
        return r;
    /* Another process may have done it while we waited for the lock. */
    sqlite3_int64 version;
    r = rec_check_version(rec, &version);
    if (r == 0 && version == 0)
        r = rec_create_schema(rec);
    for (; r == 0 && version > 0 && version < CHUNKSIM_REC_SCHEMA_VERSION; version++)
        r = rec_migrate(rec, version);
    if (r != 0) {
        sqlite3_exec(rec->db_, "ROLLBACK", NULL, NULL, NULL);
        return r;
    }
    return rec_exec(rec, "COMMIT", "commit schema update");
}

/*
 * Read-only, a version 1 file cannot gain the columns; readers see it through
 * a temporary view (temp names come first) with the case columns NULL.
 */
static int rec_view_v1(chunksim_rec_t *rec)
{
    return rec_exec(rec,
                    "CREATE TEMP VIEW runs AS SELECT *, NULL AS case_id, NULL AS case_file, "
                    "NULL AS case_cell FROM main.runs",
                    "view schema version 1 as 2");
}

static int rec_set_pragmas(chunksim_rec_t *rec)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rec->db_, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK)
        return rec_fail_sqlite(rec, "set WAL journal");
    int rc = sqlite3_step(st);
    const char *mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    bool wal = mode && strcmp(mode, "wal") == 0;
    /* An in-memory database reports "memory"; it has nothing to survive anyway. */
    bool memory = mode && strcmp(mode, "memory") == 0;
    int r = 0;
    if (rc != SQLITE_ROW)
        r = rec_fail_sqlite(rec, "set WAL journal");
    else if (!wal && !memory)
        r = rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "the database refused WAL journaling (mode %s)",
                     mode ? mode : "?");
    sqlite3_finalize(st);
    if (r != 0)
        return r;
    /*
     * WAL + NORMAL: a commit survives a process crash; only a power cut can
     * lose the last commits, never corrupt the file.
     */
    return rec_exec(rec, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;", "set pragmas");
}

static int rec_prepare_all(chunksim_rec_t *rec)
{
    for (int k = 0; k < KIND_COUNT; k++) {
        if (sqlite3_create_module_v2(rec->db_, rec_kinds[k].module, &rec_vtab_module,
                                     (void *)(intptr_t)k, NULL) != SQLITE_OK)
            return rec_fail_sqlite(rec, "register the row buffer tables");
    }
    for (int i = 0; i < STMT_COUNT; i++) {
        if (sqlite3_prepare_v3(rec->db_, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &rec->stmt_[i],
                               NULL) != SQLITE_OK)
            return rec_fail_sqlite(rec, stmt_sql[i]);
    }
    return 0;
}

/*
 * Whether the process that began a 'running' run may still be writing it. WAL
 * needs shared memory, so every connection to this file is on this host: a
 * writer recorded from another host (a database copied from a CI shard) is
 * gone. kill(pid, 0) fails with ESRCH only when no such process exists.
 */
static bool writer_alive(sqlite3_int64 pid, const char *host, const char *this_host)
{
    if (!host || strcmp(host, this_host) != 0)
        return false;
    if (pid <= 0 || pid > INT_MAX)
        return false;
    return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

static void host_name(char *buf, size_t len)
{
    if (gethostname(buf, len) != 0)
        snprintf(buf, len, "unknown");
    buf[len - 1] = '\0';
}

/*
 * One pass over the 'running' runs: count those whose writer is gone into
 * *abandoned and, when upd is given, mark each interrupted.
 */
static int rec_scan_abandoned(chunksim_rec_t *rec, sqlite3_stmt *upd, int *abandoned)
{
    static const char find_sql[] =
        "SELECT run_id, writer_pid, writer_host FROM runs WHERE status = 'running'";
    char this_host[256];
    sqlite3_stmt *find;

    host_name(this_host, sizeof this_host);
    *abandoned = 0;
    if (sqlite3_prepare_v2(rec->db_, find_sql, -1, &find, NULL) != SQLITE_OK)
        return rec_fail_sqlite(rec, "find abandoned runs");
    int r = 0, rc;
    while (r == 0 && (rc = sqlite3_step(find)) == SQLITE_ROW) {
        sqlite3_int64 run_id = sqlite3_column_int64(find, 0);
        const char *host = (const char *)sqlite3_column_text(find, 2);
        if (writer_alive(sqlite3_column_int64(find, 1), host, this_host))
            continue;
        ++*abandoned;
        if (!upd)
            continue;
        int brc = sqlite3_bind_int64(upd, 1, run_id) |
                  sqlite3_bind_int64(upd, 2, (sqlite3_int64)getpid());
        r = rec_step_done(rec, upd, brc, "mark abandoned run interrupted");
        if (r == 0 && sqlite3_changes(rec->db_) == 1)
            rec->recovered_runs++;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = rec_fail_sqlite(rec, "find abandoned runs");
    sqlite3_finalize(find);
    return r;
}

/*
 * Runs left 'running' by a writer that is gone become 'interrupted' /
 * 'incomplete'. The first pass only reads, so opening a database while a live
 * writer holds its batch open does not wait for that batch unless there is
 * something to repair; the second pass re-checks under the write lock, and its
 * UPDATE only touches rows still 'running', so two processes opening at once
 * repair each run once.
 */
static int rec_recover(chunksim_rec_t *rec)
{
    static const char update_sql[] =
        "UPDATE runs SET status = 'interrupted', outcome = 'incomplete', reason = printf("
        "'writer process %d on %s ended without finishing the run (crashed or killed); rows "
        "after its last batch commit are lost; found by process %d at %s', writer_pid, "
        "writer_host, ?2, " REC_NOW_SQL ") WHERE run_id = ?1 AND status = 'running'";
    int abandoned;
    int r = rec_scan_abandoned(rec, NULL, &abandoned);
    if (r != 0 || abandoned == 0)
        return r;

    r = rec_exec(rec, "BEGIN IMMEDIATE", "begin recovery");
    if (r != 0)
        return r;
    sqlite3_stmt *upd;
    if (sqlite3_prepare_v2(rec->db_, update_sql, -1, &upd, NULL) != SQLITE_OK) {
        r = rec_fail_sqlite(rec, "prepare recovery");
    } else {
        r = rec_scan_abandoned(rec, upd, &abandoned);
        sqlite3_finalize(upd);
    }
    if (r != 0) {
        sqlite3_exec(rec->db_, "ROLLBACK", NULL, NULL, NULL);
        return r;
    }
    return rec_exec(rec, "COMMIT", "commit recovery");
}

static void rec_release(chunksim_rec_t *rec)
{
    rec_rows_free(rec->rows_);
    rec->rows_ = NULL;
    for (int i = 0; i < STMT_COUNT; i++) {
        sqlite3_finalize(rec->stmt_[i]);
        rec->stmt_[i] = NULL;
    }
    sqlite3_close(rec->db_);
    rec->db_ = NULL;
    rec->run_id = 0;
    rec->pending_rows = 0;
}

/* Why an open failed, in the user's terms: SQLite says only "unable to open database file". */
static const char *rec_open_hint(sqlite3 *db, const char *path)
{
    static _Thread_local char hint[PATH_MAX + 64];
    const char *slash = strrchr(path, '/');
    struct stat st;
    hint[0] = '\0';
    if (strncmp(path, "file:", 5) != 0 && slash != NULL && slash != path) {
        snprintf(hint, sizeof hint, "%.*s", (int)(slash - path), path);
        if (stat(hint, &st) != 0 || !S_ISDIR(st.st_mode)) {
            char dir[PATH_MAX];
            snprintf(dir, sizeof dir, "%s", hint);
            snprintf(hint, sizeof hint, " (the directory %s does not exist)", dir);
            return hint;
        }
    }
    int e = sqlite3_system_errno(db);
    if (e != 0)
        snprintf(hint, sizeof hint, " (%s)", strerror(e));
    else
        hint[0] = '\0';
    return hint;
}

static int rec_open_common(chunksim_rec_t *rec, const char *path, bool readonly, char *err,
                           size_t errlen)
{
    void *data = rec->data;
    memset(rec, 0, sizeof *rec);
    rec->data = data;
    rec->batch_rows = CHUNKSIM_REC_BATCH_ROWS_DEFAULT;
    rec->readonly_ = readonly;

    int r = 0;
    /* URIs let a caller pass SQLite options ("file:runs.db?mode=ro"). */
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI |
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!path) {
        r = rec_fail(rec, CHUNKSIM_REC_E_INVAL, "no database path");
    } else if (sqlite3_open_v2(path, &rec->db_, flags, NULL) != SQLITE_OK) {
        r = rec->db_ ? rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "cannot open %s: %s%s", path,
                                sqlite3_errmsg(rec->db_), rec_open_hint(rec->db_, path))
                     : rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "cannot open %s: out of memory", path);
    } else {
        sqlite3_extended_result_codes(rec->db_, 1);
        sqlite3_busy_timeout(rec->db_, REC_BUSY_TIMEOUT_MS);
        sqlite3_int64 version = 0;
        r = rec_check_version(rec, &version);
        if (r == 0 && readonly && version == 0)
            r = rec_fail(rec, CHUNKSIM_REC_E_NOTREC, "%s holds no chunksim recording", path);
        if (r == 0 && readonly && version == 1)
            r = rec_view_v1(rec);
        if (r == 0 && !readonly) {
            /* Without it every row is inserted on its own: slower, same result. */
            rec->rows_ = rec_rows_new();
            r = rec_set_pragmas(rec);
            if (r == 0 && version < CHUNKSIM_REC_SCHEMA_VERSION)
                r = rec_update_schema(rec);
            if (r == 0)
                r = rec_prepare_all(rec);
            if (r == 0)
                r = rec_recover(rec);
        }
    }
    if (r != 0) {
        if (err && errlen > 0)
            snprintf(err, errlen, "%s", rec->errmsg_);
        rec_release(rec);
    }
    return r;
}

int chunksim_rec_open(chunksim_rec_t *rec, const char *path, char *err, size_t errlen)
{
    return rec_open_common(rec, path, false, err, errlen);
}

int chunksim_rec_open_readonly(chunksim_rec_t *rec, const char *path, char *err, size_t errlen)
{
    return rec_open_common(rec, path, true, err, errlen);
}

int chunksim_rec_close(chunksim_rec_t *rec)
{
    int r = 0;
    if (!rec->db_)
        return 0;
    if (rec->run_id != 0)
        r = chunksim_rec_run_abort(rec, "recorder closed before the run ended");
    if (r == 0 && !rec->readonly_)
        r = rec_txn_commit(rec);
    rec_release(rec);
    return r;
}

int chunksim_rec_set_batch_rows(chunksim_rec_t *rec, uint32_t rows)
{
    if (rows == 0)
        return rec_fail(rec, CHUNKSIM_REC_E_INVAL, "batch of 0 rows");
    rec->batch_rows = rows;
    return 0;
}

struct sqlite3 *chunksim_rec_db(const chunksim_rec_t *rec)
{
    return rec->db_;
}

/* ---- scenarios and runs ---------------------------------------------------------------- */

static int rec_writable(chunksim_rec_t *rec)
{
    if (!rec->db_)
        return rec_fail(rec, CHUNKSIM_REC_E_STATE, "recorder is not open");
    if (rec->readonly_)
        return rec_fail(rec, CHUNKSIM_REC_E_READONLY, "recorder was opened read-only");
    return 0;
}

/* Look up a content-addressed row by its hash: 1 and *id when found, 0 when not, <0. */
static int rec_find_id(chunksim_rec_t *rec, sqlite3_stmt *st, const char *sha, int64_t *id,
                       const char *what)
{
    int rc = sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW;
    if (found)
        *id = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        found = rec_fail_sqlite(rec, what);
    sqlite3_reset(st);
    return found;
}

/* Commit what a call opened itself; leave a run's batch to its own schedule. */
static int rec_txn_end(chunksim_rec_t *rec, bool opened, int r)
{
    if (!opened)
        return r;
    if (r != 0) {
        sqlite3_exec(rec->db_, "ROLLBACK", NULL, NULL, NULL);
        return r;
    }
    return rec_txn_commit(rec);
}

int chunksim_rec_scenario(chunksim_rec_t *rec, const char *name, const char *config_text,
                          int64_t *scenario_id)
{
    int r = rec_writable(rec);
    if (r != 0)
        return r;
    if (!name || !config_text || !scenario_id)
        return rec_fail(rec, CHUNKSIM_REC_E_INVAL, "scenario needs a name and config text");

    char sha[CHUNKSIM_SHA256_HEX_BYTES];
    chunksim_sha256_hex(config_text, strlen(config_text), sha);
    bool opened = !rec_in_txn(rec);
    r = rec_txn_begin(rec);
    if (r != 0)
        return r;
    sqlite3_stmt *ins = rec->stmt_[STMT_SCENARIO_INSERT];
    int rc = bind_text(ins, 1, name) | bind_text(ins, 2, sha) | bind_text(ins, 3, config_text);
    r = rec_step_done(rec, ins, rc, "insert scenario");
    if (r == 0) {
        int found =
            rec_find_id(rec, rec->stmt_[STMT_SCENARIO_FIND], sha, scenario_id, "find scenario");
        r = found == 1  ? 0
            : found < 0 ? found
                        : rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "scenario %s vanished", sha);
    }
    return rec_txn_end(rec, opened, r);
}

/*
 * Fills the zeroblob the image row was inserted with, a piece at a time:
 * binding the whole image would make SQLite build the row in memory, one
 * more full copy of a coredump that may be hundreds of MiB.
 */
#define REC_IMAGE_PIECE_BYTES (1u << 20)

static int rec_image_write(chunksim_rec_t *rec, int64_t image_id, const uint8_t *image,
                           size_t bytes)
{
    sqlite3_blob *blob = NULL;
    int rc = sqlite3_blob_open(rec->db_, "main", "images", "data", image_id, 1, &blob);
    for (size_t at = 0; rc == SQLITE_OK && at < bytes; at += REC_IMAGE_PIECE_BYTES) {
        size_t n = bytes - at < REC_IMAGE_PIECE_BYTES ? bytes - at : REC_IMAGE_PIECE_BYTES;
        rc = sqlite3_blob_write(blob, image + at, (int)n, (int)at);
    }
    int closed = sqlite3_blob_close(blob);
    rc = rc != SQLITE_OK ? rc : closed;
    return rc == SQLITE_OK ? 0 : rec_fail_sqlite(rec, "write image");
}

/* The image's row id, inserting it unless a row with the same hash exists. */
static int rec_image(chunksim_rec_t *rec, const chunksim_rec_run_info_t *info, int64_t *image_id)
{
    char sha[CHUNKSIM_SHA256_HEX_BYTES];
    chunksim_sha256_hex(info->image, info->image_bytes, sha);
    if (info->image_sha256 && strcasecmp(info->image_sha256, sha) != 0)
        return rec_fail(rec, CHUNKSIM_REC_E_INVAL,
                        "image SHA-256 given as %.64s but the %zu image bytes hash to %s",
                        info->image_sha256, info->image_bytes, sha);

    int found = rec_find_id(rec, rec->stmt_[STMT_IMAGE_FIND], sha, image_id, "find image");
    if (found != 0)
        return found < 0 ? found : 0;
    sqlite3_stmt *ins = rec->stmt_[STMT_IMAGE_INSERT];
    int rc = bind_text(ins, 1, sha) | bind_u64(ins, 2, info->image_bytes);
    int r = rec_step_done(rec, ins, rc, "insert image");
    if (r == 0) {
        *image_id = sqlite3_last_insert_rowid(rec->db_);
        r = rec_image_write(rec, *image_id, (const uint8_t *)info->image, info->image_bytes);
    }
    return r;
}

static int rec_check_run_info(chunksim_rec_t *rec, const chunksim_rec_run_info_t *info)
{
    if (!info || !info->mode || !info->tool_version || !info->reader)
        return rec_fail(rec, CHUNKSIM_REC_E_INVAL, "run needs mode, tool version and reader");
    if (strcmp(info->mode, "virtual") != 0 && strcmp(info->mode, "realtime") != 0)
        return rec_fail(rec, CHUNKSIM_REC_E_INVAL,
                        "run mode '%s' is neither 'virtual' nor 'realtime'", info->mode);
    if (info->scenario_id <= 0)
        return rec_fail(rec, CHUNKSIM_REC_E_INVAL, "run has no scenario");
    if (!info->image && info->image_bytes > 0)
        return rec_fail(rec, CHUNKSIM_REC_E_INVAL, "image of %zu bytes without data",
                        info->image_bytes);
    return 0;
}

static int rec_insert_run(chunksim_rec_t *rec, const chunksim_rec_run_info_t *info,
                          int64_t image_id)
{
    char host[256];
    host_name(host, sizeof host);
    sqlite3_stmt *st = rec->stmt_[STMT_RUN_INSERT];
    int rc = sqlite3_bind_int64(st, 1, info->scenario_id) | bind_u64(st, 2, info->seed) |
             bind_text(st, 3, info->mode) | bind_text(st, 4, info->tool_version) |
             bind_text(st, 5, info->reader) | bind_text(st, 6, info->glue) |
             (image_id > 0 ? sqlite3_bind_int64(st, 7, image_id) : sqlite3_bind_null(st, 7)) |
             bind_u64(st, 8, info->flash_bytes) | bind_text(st, 9, info->started_at) |
             sqlite3_bind_int64(st, 10, (sqlite3_int64)getpid()) |
             sqlite3_bind_text(st, 11, host, -1, SQLITE_TRANSIENT) |
             bind_text(st, 12, info->case_id) | bind_text(st, 13, info->case_file) |
             bind_text(st, 14, info->case_cell);
    return rec_step_done(rec, st, rc, "insert run");
}

int chunksim_rec_run_begin(chunksim_rec_t *rec, const chunksim_rec_run_info_t *info,
                           int64_t *run_id)
{
    int r = rec_writable(rec);
    if (r != 0)
        return r;
    if (rec->run_id != 0)
        return rec_fail(rec, CHUNKSIM_REC_E_STATE, "run %lld is still being recorded",
                        (long long)rec->run_id);
    r = rec_check_run_info(rec, info);
    if (r != 0)
        return r;

    r = rec_txn_begin(rec);
    if (r != 0)
        return r;
    int64_t image_id = 0;
    if (info->image)
        r = rec_image(rec, info, &image_id);
    if (r == 0)
        r = rec_insert_run(rec, info, image_id);
    int64_t id = sqlite3_last_insert_rowid(rec->db_);
    /* Committed now, whatever the batch says: a crash must leave this row behind. */
    r = rec_txn_end(rec, true, r);
    if (r != 0)
        return r;
    rec->run_id = id;
    rec->pending_rows = 0;
    rec_rows_run_begin(rec->rows_);
    rec_foreign_keys(rec, false);
    if (run_id)
        *run_id = id;
    return 0;
}

static int rec_check_outcome(chunksim_rec_t *rec, const char *outcome)
{
    for (size_t i = 0; outcome && i < sizeof outcomes / sizeof outcomes[0]; i++) {
        if (strcmp(outcome, outcomes[i]) == 0)
            return 0;
    }
    return rec_fail(rec, CHUNKSIM_REC_E_INVAL,
                    "outcome '%s' is not one of ok, lost, corrupt, incomplete, violation, error",
                    outcome ? outcome : "(null)");
}

/* Write the final UPDATE of the current run and commit it with the last batch. */
static int rec_run_finish(chunksim_rec_t *rec, sqlite3_stmt *st, int bind_rc, const char *what)
{
    int r = rec_txn_begin(rec);
    if (r == 0)
        r = rec_rows_insert(rec);
    if (r == 0)
        r = rec_step_done(rec, st, bind_rc, what);
    if (r != 0)
        return r; /* the run stays open: the caller may still abort it */
    bool stolen = sqlite3_changes(rec->db_) == 0;
    int64_t id = rec->run_id;
    r = rec_txn_commit(rec);
    if (r != 0)
        return r;
    rec->run_id = 0;
    rec_foreign_keys(rec, true);
    if (stolen)
        return rec_fail(rec, CHUNKSIM_REC_E_STATE,
                        "run %lld was marked interrupted by another process while being "
                        "recorded; its rows are kept but its end was not stored",
                        (long long)id);
    return 0;
}

int chunksim_rec_run_end(chunksim_rec_t *rec, const chunksim_rec_run_result_t *res)
{
    int r = rec_writable(rec);
    if (r != 0)
        return r;
    if (rec->run_id == 0)
        return rec_fail(rec, CHUNKSIM_REC_E_STATE, "no run is being recorded");
    if (!res)
        return rec_fail(rec, CHUNKSIM_REC_E_INVAL, "no run result");
    r = rec_check_outcome(rec, res->outcome);
    if (r != 0)
        return r;

    sqlite3_stmt *st = rec->stmt_[STMT_RUN_END];
    int rc = sqlite3_bind_int64(st, 1, rec->run_id) | bind_text(st, 2, res->outcome) |
             sqlite3_bind_int(st, 3, res->safety_ok) | sqlite3_bind_int(st, 4, res->liveness_ok) |
             bind_text(st, 5, res->reason) | bind_u64(st, 6, res->drain_us) |
             bind_u64(st, 7, res->message_bytes) | bind_u64(st, 8, res->chunks) |
             bind_u64(st, 9, res->flash_busy_us) | bind_u64(st, 10, res->link_busy_us) |
             bind_u64(st, 11, res->bound_us) | sqlite3_bind_double(st, 12, res->efficiency) |
             bind_u64(st, 13, res->waits) | bind_u64(st, 14, res->refills) |
             bind_u64(st, 15, res->retries) | bind_u64(st, 16, res->faults_injected) |
             bind_u64(st, 17, res->wall_ms);
    return rec_run_finish(rec, st, rc, "store run end");
}

int chunksim_rec_run_abort(chunksim_rec_t *rec, const char *reason)
{
    int r = rec_writable(rec);
    if (r != 0)
        return r;
    if (rec->run_id == 0)
        return rec_fail(rec, CHUNKSIM_REC_E_STATE, "no run is being recorded");
    sqlite3_stmt *st = rec->stmt_[STMT_RUN_ABORT];
    int rc = sqlite3_bind_int64(st, 1, rec->run_id) |
             bind_text(st, 2, reason ? reason : "aborted without a reason");
    return rec_run_finish(rec, st, rc, "store run abort");
}

int chunksim_rec_flush(chunksim_rec_t *rec)
{
    int r = rec_writable(rec);
    return r != 0 ? r : rec_txn_commit(rec);
}

/* ---- trace rows ------------------------------------------------------------------------ */

static int rec_row_begin(chunksim_rec_t *rec)
{
    int r = rec_writable(rec);
    if (r != 0)
        return r;
    if (rec->run_id == 0)
        return rec_fail(rec, CHUNKSIM_REC_E_STATE, "no run is being recorded");
    return rec_txn_begin(rec);
}

static int rec_row_end(chunksim_rec_t *rec, int r)
{
    if (r != 0)
        return r;
    if (++rec->pending_rows >= rec->batch_rows)
        return rec_txn_commit(rec);
    return 0;
}

static int rec_call_insert(chunksim_rec_t *rec, const chunksim_rec_call_t *c)
{
    sqlite3_stmt *st = rec->stmt_[STMT_CALL];
    int rc = sqlite3_bind_int64(st, 1, rec->run_id) | bind_u64(st, 2, c->seq) |
             bind_u64(st, 3, c->t_us) | bind_text(st, 4, c->kind) |
             (c->arg == CHUNKSIM_REC_ARG_NONE ? sqlite3_bind_null(st, 5)
                                              : sqlite3_bind_int64(st, 5, c->arg)) |
             sqlite3_bind_int(st, 6, c->result) | bind_text(st, 7, c->result_name) |
             bind_text(st, 8, c->detail) | bind_time(st, 9, c->duration_us);
    return rec_step_done(rec, st, rc, "insert call");
}

/* A row that rec_rows_slot() would not buffer: after the rows of its kind before it. */
static int rec_row_alone(chunksim_rec_t *rec, int kind, uint64_t seq, int r)
{
    if (r == 0)
        rec_seq_seen(rec, kind, seq);
    return rec_row_end(rec, r);
}

int chunksim_rec_call(chunksim_rec_t *rec, const chunksim_rec_call_t *c)
{
    if (!c || !c->kind)
        return rec_fail(rec, CHUNKSIM_REC_E_INVAL, "call without kind");
    int r = rec_row_begin(rec);
    if (r != 0)
        return r;
    void *slot;
    r = rec_rows_slot(rec, KIND_CALLS, c->seq,
                      text_bytes(c->kind) + text_bytes(c->result_name) + text_bytes(c->detail),
                      &slot);
    if (r != 0)
        return r;
    if (!slot) {
        r = rec_rows_insert_kind(rec, KIND_CALLS);
        return rec_row_alone(rec, KIND_CALLS, c->seq, r != 0 ? r : rec_call_insert(rec, c));
    }
    struct chunksim_rec_rows *rows = rec->rows_;
    *(rec_call_row_t *)slot = (rec_call_row_t){
        .seq = c->seq,
        .t_us = c->t_us,
        .duration_us = c->duration_us,
        .arg = c->arg,
        .result = c->result,
        .kind = rec_rows_text(rows, c->kind),
        .result_name = rec_rows_text(rows, c->result_name),
        .detail = rec_rows_text(rows, c->detail),
    };
    return rec_row_end(rec, 0);
}

static int rec_flash_op_insert(chunksim_rec_t *rec, const chunksim_rec_flash_op_t *op)
{
    sqlite3_stmt *st = rec->stmt_[STMT_FLASH_OP];
    int rc = sqlite3_bind_int64(st, 1, rec->run_id) | bind_u64(st, 2, op->seq) |
             bind_text(st, 3, op->kind) | sqlite3_bind_int64(st, 4, op->addr) |
             sqlite3_bind_int64(st, 5, op->len) | bind_u64(st, 6, op->start_us) |
             bind_time(st, 7, op->end_us) | sqlite3_bind_int(st, 8, op->status) |
             bind_text(st, 9, op->status_name) | bind_text(st, 10, op->fault) |
             bind_time(st, 11, op->latency_us);
    return rec_step_done(rec, st, rc, "insert flash op");
}

int chunksim_rec_flash_op(chunksim_rec_t *rec, const chunksim_rec_flash_op_t *op)
{
    if (!op || !op->kind)
        return rec_fail(rec, CHUNKSIM_REC_E_INVAL, "flash op without kind");
    int r = rec_row_begin(rec);
    if (r != 0)
        return r;
    void *slot;
    r = rec_rows_slot(rec, KIND_FLASH_OPS, op->seq,
                      text_bytes(op->kind) + text_bytes(op->status_name) + text_bytes(op->fault),
                      &slot);
    if (r != 0)
        return r;
    if (!slot) {
        r = rec_rows_insert_kind(rec, KIND_FLASH_OPS);
        return rec_row_alone(rec, KIND_FLASH_OPS, op->seq,
                             r != 0 ? r : rec_flash_op_insert(rec, op));
    }
    struct chunksim_rec_rows *rows = rec->rows_;
    *(rec_flash_op_row_t *)slot = (rec_flash_op_row_t){
        .seq = op->seq,
        .start_us = op->start_us,
        .end_us = op->end_us,
        .latency_us = op->latency_us,
        .addr = op->addr,
        .len = op->len,
        .status = op->status,
        .kind = rec_rows_text(rows, op->kind),
        .status_name = rec_rows_text(rows, op->status_name),
        .fault = rec_rows_text(rows, op->fault),
    };
    return rec_row_end(rec, 0);
}

static int rec_chunk_insert(chunksim_rec_t *rec, const chunksim_rec_chunk_t *ch)
{
    sqlite3_stmt *st = rec->stmt_[STMT_CHUNK];
    int rc = sqlite3_bind_int64(st, 1, rec->run_id) | bind_u64(st, 2, ch->seq) |
             bind_u64(st, 3, ch->t_us) | bind_time(st, 4, ch->sent_us) | bind_u64(st, 5, ch->len) |
             sqlite3_bind_int(st, 6, ch->header) | bind_text(st, 7, ch->flags) |
             sqlite3_bind_int(st, 8, ch->delivered) |
             sqlite3_bind_int64(st, 9, ch->retransmissions) | bind_blob(st, 10, ch->data, ch->len);
    return rec_step_done(rec, st, rc, "insert chunk");
}

int chunksim_rec_chunk(chunksim_rec_t *rec, const chunksim_rec_chunk_t *ch)
{
    if (!ch || (!ch->data && ch->len > 0))
        return rec_fail(rec, CHUNKSIM_REC_E_INVAL, "chunk without data");
    int r = rec_row_begin(rec);
    if (r != 0)
        return r;
    void *slot;
    r = rec_rows_slot(rec, KIND_CHUNKS, ch->seq, text_bytes(ch->flags) + ch->len, &slot);
    if (r != 0)
        return r;
    if (!slot) {
        r = rec_rows_insert_kind(rec, KIND_CHUNKS);
        return rec_row_alone(rec, KIND_CHUNKS, ch->seq, r != 0 ? r : rec_chunk_insert(rec, ch));
    }
    struct chunksim_rec_rows *rows = rec->rows_;
    *(rec_chunk_row_t *)slot = (rec_chunk_row_t){
        .seq = ch->seq,
        .t_us = ch->t_us,
        .sent_us = ch->sent_us,
        .retransmissions = ch->retransmissions,
        .len = (uint32_t)ch->len,
        .data = rec_rows_put(rows, ch->data, ch->len),
        .flags = rec_rows_text(rows, ch->flags),
        .header = ch->header,
        .delivered = ch->delivered,
    };
    return rec_row_end(rec, 0);
}

int chunksim_rec_violation(chunksim_rec_t *rec, const chunksim_rec_violation_t *v)
{
    if (!v || !v->invariant)
        return rec_fail(rec, CHUNKSIM_REC_E_INVAL, "violation without invariant name");
    int r = rec_row_begin(rec);
    if (r != 0)
        return r;
    sqlite3_stmt *st = rec->stmt_[STMT_VIOLATION];
    int rc = sqlite3_bind_int64(st, 1, rec->run_id) | bind_text(st, 2, v->invariant) |
             (v->call_seq == CHUNKSIM_REC_SEQ_NONE ? sqlite3_bind_null(st, 3)
                                                   : bind_u64(st, 3, v->call_seq)) |
             bind_u64(st, 4, v->t_us) | bind_text(st, 5, v->detail);
    return rec_row_end(rec, rec_step_done(rec, st, rc, "insert violation"));
}

int chunksim_rec_param(chunksim_rec_t *rec, const char *name, const char *value)
{
    if (!name || !value)
        return rec_fail(rec, CHUNKSIM_REC_E_INVAL, "param needs a name and a value");
    int r = rec_row_begin(rec);
    if (r != 0)
        return r;
    sqlite3_stmt *st = rec->stmt_[STMT_PARAM];
    int rc =
        sqlite3_bind_int64(st, 1, rec->run_id) | bind_text(st, 2, name) | bind_text(st, 3, value);
    return rec_row_end(rec, rec_step_done(rec, st, rc, "insert param"));
}

int chunksim_rec_metric(chunksim_rec_t *rec, const char *name, double value)
{
    if (!name)
        return rec_fail(rec, CHUNKSIM_REC_E_INVAL, "metric needs a name");
    int r = rec_row_begin(rec);
    if (r != 0)
        return r;
    sqlite3_stmt *st = rec->stmt_[STMT_METRIC];
    int rc = sqlite3_bind_int64(st, 1, rec->run_id) | bind_text(st, 2, name) |
             sqlite3_bind_double(st, 3, value);
    return rec_row_end(rec, rec_step_done(rec, st, rc, "insert metric"));
}
