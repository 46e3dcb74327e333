/* Recorder: error messages and the binding of C values to SQL parameters. */
#include "recorder_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int chunksim__rec_fail(chunksim_rec_t *rec, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rec->errmsg_, sizeof rec->errmsg_, fmt, ap);
    va_end(ap);
    return code;
}

int chunksim__rec_fail_sqlite(chunksim_rec_t *rec, const char *what)
{
    return chunksim__rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "%s: %s", what, sqlite3_errmsg(rec->db_));
}

const char *chunksim_rec_errmsg(const chunksim_rec_t *rec)
{
    return rec->errmsg_;
}

const char *chunksim_rec_strerror(int err)
{
    return chunksim_strerror(err);
}

sqlite3_int64 chunksim__rec_i64(uint64_t v)
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
int chunksim__rec_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

int chunksim__rec_bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
    return sqlite3_bind_int64(st, i, chunksim__rec_i64(v));
}

int chunksim__rec_step_done(chunksim_rec_t *rec, sqlite3_stmt *st, int bind_rc, const char *what)
{
    /* bind_rc is the OR of the bind results: nonzero says one failed, not which. */
    if (bind_rc != SQLITE_OK) {
        sqlite3_reset(st);
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "%s: binding a value failed: %s",
                                  what, sqlite3_errmsg(rec->db_));
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        chunksim__rec_fail_sqlite(rec, what);
        sqlite3_reset(st);
        return CHUNKSIM_REC_E_SQLITE;
    }
    sqlite3_reset(st);
    return 0;
}
