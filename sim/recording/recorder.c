/*
 * Recorder: transactions, scenarios, runs and the recording calls
 * (chunksim/recorder.h). Opening is in recorder_open.c, the trace tables'
 * columns and their row buffer in recorder_rows.c.
 */
#include "recorder_internal.h"
#include "chunksim/outcome.h"
#include "chunksim/sha256.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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
    chunksim__rec_rows_clear(rec->rows_);
    return chunksim__rec_fail(rec, CHUNKSIM_REC_E_SQLITE,
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
    return chunksim__rec_step_done(rec, rec->stmt_[STMT_BEGIN], SQLITE_OK, "begin transaction");
}

int chunksim__rec_txn_commit(chunksim_rec_t *rec)
{
    if (!rec_in_txn(rec))
        return rec->pending_rows > 0 ? rec_batch_lost(rec) : 0;
    int r = chunksim__rec_rows_insert(rec);
    if (r != 0)
        return r;
    r = chunksim__rec_step_done(rec, rec->stmt_[STMT_COMMIT], SQLITE_OK, "commit");
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

/* ---- scenarios and runs ---------------------------------------------------------------- */

static int rec_writable(chunksim_rec_t *rec)
{
    if (!rec->db_)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_STATE, "recorder is not open");
    if (rec->readonly_)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_READONLY, "recorder was opened read-only");
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
        found = chunksim__rec_fail_sqlite(rec, what);
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
    return chunksim__rec_txn_commit(rec);
}

int chunksim_rec_scenario(chunksim_rec_t *rec, const char *name, const char *config_text,
                          int64_t *scenario_id)
{
    int r = rec_writable(rec);
    if (r != 0)
        return r;
    if (!name || !config_text || !scenario_id)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL,
                                  "scenario needs a name and config text");

    char sha[CHUNKSIM_SHA256_HEX_BYTES];
    chunksim_sha256_hex(config_text, strlen(config_text), sha);
    bool opened = !rec_in_txn(rec);
    r = rec_txn_begin(rec);
    if (r != 0)
        return r;
    sqlite3_stmt *ins = rec->stmt_[STMT_SCENARIO_INSERT];
    int rc = chunksim__rec_bind_text(ins, 1, name) | chunksim__rec_bind_text(ins, 2, sha) |
             chunksim__rec_bind_text(ins, 3, config_text);
    r = chunksim__rec_step_done(rec, ins, rc, "insert scenario");
    if (r == 0) {
        int found =
            rec_find_id(rec, rec->stmt_[STMT_SCENARIO_FIND], sha, scenario_id, "find scenario");
        r = found == 1 ? 0
            : found < 0
                ? found
                : chunksim__rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "scenario %s vanished", sha);
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
    return rc == SQLITE_OK ? 0 : chunksim__rec_fail_sqlite(rec, "write image");
}

/* The image's row id, inserting it unless a row with the same hash exists. */
static int rec_image(chunksim_rec_t *rec, const chunksim_rec_run_info_t *info, int64_t *image_id)
{
    char sha[CHUNKSIM_SHA256_HEX_BYTES];
    chunksim_sha256_hex(info->image, info->image_bytes, sha);
    if (info->image_sha256 && strcasecmp(info->image_sha256, sha) != 0)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL,
                                  "image SHA-256 given as %.64s but the %zu image bytes hash to %s",
                                  info->image_sha256, info->image_bytes, sha);

    int found = rec_find_id(rec, rec->stmt_[STMT_IMAGE_FIND], sha, image_id, "find image");
    if (found != 0)
        return found < 0 ? found : 0;
    sqlite3_stmt *ins = rec->stmt_[STMT_IMAGE_INSERT];
    int rc =
        chunksim__rec_bind_text(ins, 1, sha) | chunksim__rec_bind_u64(ins, 2, info->image_bytes);
    int r = chunksim__rec_step_done(rec, ins, rc, "insert image");
    if (r == 0) {
        *image_id = sqlite3_last_insert_rowid(rec->db_);
        r = rec_image_write(rec, *image_id, (const uint8_t *)info->image, info->image_bytes);
    }
    return r;
}

static int rec_check_run_info(chunksim_rec_t *rec, const chunksim_rec_run_info_t *info)
{
    if (!info || !info->mode || !info->tool_version || !info->reader)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL,
                                  "run needs mode, tool version and reader");
    if (strcmp(info->mode, "virtual") != 0 && strcmp(info->mode, "realtime") != 0)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL,
                                  "run mode '%s' is neither 'virtual' nor 'realtime'", info->mode);
    if (info->scenario_id <= 0)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL, "run has no scenario");
    if (!info->image && info->image_bytes > 0)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL, "image of %zu bytes without data",
                                  info->image_bytes);
    return 0;
}

static int rec_insert_run(chunksim_rec_t *rec, const chunksim_rec_run_info_t *info,
                          int64_t image_id)
{
    char host[256];
    chunksim__rec_host_name(host, sizeof host);
    sqlite3_stmt *st = rec->stmt_[STMT_RUN_INSERT];
    int rc =
        sqlite3_bind_int64(st, 1, info->scenario_id) | chunksim__rec_bind_u64(st, 2, info->seed) |
        chunksim__rec_bind_text(st, 3, info->mode) |
        chunksim__rec_bind_text(st, 4, info->tool_version) |
        chunksim__rec_bind_text(st, 5, info->reader) | chunksim__rec_bind_text(st, 6, info->glue) |
        (image_id > 0 ? sqlite3_bind_int64(st, 7, image_id) : sqlite3_bind_null(st, 7)) |
        chunksim__rec_bind_u64(st, 8, info->flash_bytes) |
        chunksim__rec_bind_text(st, 9, info->started_at) |
        sqlite3_bind_int64(st, 10, (sqlite3_int64)getpid()) |
        sqlite3_bind_text(st, 11, host, -1, SQLITE_TRANSIENT) |
        chunksim__rec_bind_text(st, 12, info->case_id) |
        chunksim__rec_bind_text(st, 13, info->case_file) |
        chunksim__rec_bind_text(st, 14, info->case_cell);
    return chunksim__rec_step_done(rec, st, rc, "insert run");
}

int chunksim_rec_run_begin(chunksim_rec_t *rec, const chunksim_rec_run_info_t *info,
                           int64_t *run_id)
{
    int r = rec_writable(rec);
    if (r != 0)
        return r;
    if (rec->run_id != 0)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_STATE, "run %lld is still being recorded",
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
    chunksim__rec_rows_run_begin(rec->rows_);
    rec_foreign_keys(rec, false);
    if (run_id)
        *run_id = id;
    return 0;
}

static int rec_check_outcome(chunksim_rec_t *rec, const char *outcome)
{
    chunksim_outcome_t known;
    if (chunksim_outcome_from_name(outcome, &known) == 0)
        return 0;
    return chunksim__rec_fail(
        rec, CHUNKSIM_REC_E_INVAL,
        "outcome '%s' is not one of ok, lost, corrupt, incomplete, violation, error",
        outcome ? outcome : "(null)");
}

/* Whether rows of a run may be written now: writable, and a run is being recorded. */
static int rec_recording(chunksim_rec_t *rec)
{
    int r = rec_writable(rec);
    if (r != 0)
        return r;
    if (rec->run_id == 0)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_STATE, "no run is being recorded");
    return 0;
}

/* Write the final UPDATE of the current run and commit it with the last batch. */
static int rec_run_finish(chunksim_rec_t *rec, sqlite3_stmt *st, int bind_rc, const char *what)
{
    int r = rec_txn_begin(rec);
    if (r == 0)
        r = chunksim__rec_rows_insert(rec);
    if (r == 0)
        r = chunksim__rec_step_done(rec, st, bind_rc, what);
    if (r != 0)
        return r; /* the run stays open: the caller may still abort it */
    bool stolen = sqlite3_changes(rec->db_) == 0;
    int64_t id = rec->run_id;
    r = chunksim__rec_txn_commit(rec);
    if (r != 0)
        return r;
    rec->run_id = 0;
    rec_foreign_keys(rec, true);
    if (stolen)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_STATE,
                                  "run %lld was marked interrupted by another process while being "
                                  "recorded; its rows are kept but its end was not stored",
                                  (long long)id);
    return 0;
}

int chunksim_rec_run_end(chunksim_rec_t *rec, const chunksim_rec_run_result_t *res)
{
    int r = rec_recording(rec);
    if (r != 0)
        return r;
    if (!res)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL, "no run result");
    r = rec_check_outcome(rec, res->outcome);
    if (r != 0)
        return r;

    sqlite3_stmt *st = rec->stmt_[STMT_RUN_END];
    int rc =
        sqlite3_bind_int64(st, 1, rec->run_id) | chunksim__rec_bind_text(st, 2, res->outcome) |
        sqlite3_bind_int(st, 3, res->safety_ok) | sqlite3_bind_int(st, 4, res->liveness_ok) |
        chunksim__rec_bind_text(st, 5, res->reason) | chunksim__rec_bind_u64(st, 6, res->drain_us) |
        chunksim__rec_bind_u64(st, 7, res->message_bytes) |
        chunksim__rec_bind_u64(st, 8, res->chunks) |
        chunksim__rec_bind_u64(st, 9, res->flash_busy_us) |
        chunksim__rec_bind_u64(st, 10, res->link_busy_us) |
        chunksim__rec_bind_u64(st, 11, res->bound_us) |
        sqlite3_bind_double(st, 12, res->efficiency) | chunksim__rec_bind_u64(st, 13, res->waits) |
        chunksim__rec_bind_u64(st, 14, res->refills) |
        chunksim__rec_bind_u64(st, 15, res->retries) |
        chunksim__rec_bind_u64(st, 16, res->faults_injected) |
        chunksim__rec_bind_u64(st, 17, res->wall_ms);
    return rec_run_finish(rec, st, rc, "store run end");
}

int chunksim_rec_run_abort(chunksim_rec_t *rec, const char *reason)
{
    int r = rec_recording(rec);
    if (r != 0)
        return r;
    sqlite3_stmt *st = rec->stmt_[STMT_RUN_ABORT];
    int rc = sqlite3_bind_int64(st, 1, rec->run_id) |
             chunksim__rec_bind_text(st, 2, reason ? reason : "aborted without a reason");
    return rec_run_finish(rec, st, rc, "store run abort");
}

int chunksim_rec_flush(chunksim_rec_t *rec)
{
    int r = rec_writable(rec);
    return r != 0 ? r : chunksim__rec_txn_commit(rec);
}

/* ---- trace rows ------------------------------------------------------------------------ */

static int rec_row_begin(chunksim_rec_t *rec)
{
    int r = rec_recording(rec);
    return r != 0 ? r : rec_txn_begin(rec);
}

static int rec_row_end(chunksim_rec_t *rec, int r)
{
    if (r != 0)
        return r;
    if (++rec->pending_rows >= rec->batch_rows)
        return chunksim__rec_txn_commit(rec);
    return 0;
}

/* A buffered trace row: the call that fills the buffer may insert it, and fail for it. */
static int rec_trace_row(chunksim_rec_t *rec, int kind, const void *row)
{
    int r = rec_row_begin(rec);
    if (r != 0)
        return r;
    return rec_row_end(rec, chunksim__rec_rows_add(rec, kind, row));
}

int chunksim_rec_call(chunksim_rec_t *rec, const chunksim_rec_call_t *c)
{
    if (!c || !c->kind)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL, "call without kind");
    return rec_trace_row(rec, KIND_CALLS, c);
}

int chunksim_rec_flash_op(chunksim_rec_t *rec, const chunksim_rec_flash_op_t *op)
{
    if (!op || !op->kind)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL, "flash op without kind");
    return rec_trace_row(rec, KIND_FLASH_OPS, op);
}

int chunksim_rec_chunk(chunksim_rec_t *rec, const chunksim_rec_chunk_t *ch)
{
    if (!ch || (!ch->data && ch->len > 0))
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL, "chunk without data");
    return rec_trace_row(rec, KIND_CHUNKS, ch);
}

/* A row of the current run by the prepared INSERT which: run_id is ?1, bind() binds the rest. */
static int rec_insert_row(chunksim_rec_t *rec, int which,
                          int (*bind)(sqlite3_stmt *st, const void *row), const void *row,
                          const char *doing)
{
    int r = rec_row_begin(rec);
    if (r != 0)
        return r;
    sqlite3_stmt *st = rec->stmt_[which];
    int rc = sqlite3_bind_int64(st, 1, rec->run_id) | bind(st, row);
    return rec_row_end(rec, chunksim__rec_step_done(rec, st, rc, doing));
}

static int rec_bind_violation(sqlite3_stmt *st, const void *row)
{
    const chunksim_rec_violation_t *v = row;
    return chunksim__rec_bind_text(st, 2, v->invariant) |
           (v->call_seq == CHUNKSIM_REC_SEQ_NONE ? sqlite3_bind_null(st, 3)
                                                 : chunksim__rec_bind_u64(st, 3, v->call_seq)) |
           chunksim__rec_bind_u64(st, 4, v->t_us) | chunksim__rec_bind_text(st, 5, v->detail);
}

int chunksim_rec_violation(chunksim_rec_t *rec, const chunksim_rec_violation_t *v)
{
    if (!v || !v->invariant)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL, "violation without invariant name");
    return rec_insert_row(rec, STMT_VIOLATION, rec_bind_violation, v, "insert violation");
}

/* A params or a metrics row: a name and its value, a text (params) or a number (metrics). */
typedef struct {
    const char *name, *text;
    double number;
} rec_named_value_t;

static int rec_bind_named_value(sqlite3_stmt *st, const void *row)
{
    const rec_named_value_t *nv = row;
    return chunksim__rec_bind_text(st, 2, nv->name) |
           (nv->text ? chunksim__rec_bind_text(st, 3, nv->text)
                     : sqlite3_bind_double(st, 3, nv->number));
}

int chunksim_rec_param(chunksim_rec_t *rec, const char *name, const char *value)
{
    if (!name || !value)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL, "param needs a name and a value");
    rec_named_value_t nv = {.name = name, .text = value};
    return rec_insert_row(rec, STMT_PARAM, rec_bind_named_value, &nv, "insert param");
}

int chunksim_rec_metric(chunksim_rec_t *rec, const char *name, double value)
{
    if (!name)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL, "metric needs a name");
    rec_named_value_t nv = {.name = name, .number = value};
    return rec_insert_row(rec, STMT_METRIC, rec_bind_named_value, &nv, "insert metric");
}
