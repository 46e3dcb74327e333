/* Read-only access to recordings, shared by replay and diff. */
#include "dbread.h"
#include "grow.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The columns dbread_run_t holds, in row_read's order. */
#define DBREAD_RUN_SELECT                                                                          \
    "SELECT r.run_id, s.name, s.config_text, r.seed, r.mode, r.reader, r.glue, r.status, "         \
    "r.outcome, r.reason, r.safety_ok, r.liveness_ok, r.drain_us, r.message_bytes, r.chunks, "     \
    "r.flash_busy_us, r.link_busy_us, r.bound_us, r.efficiency, r.waits, r.refills, r.retries, "   \
    "r.faults_injected, "                                                                          \
    "(SELECT count(*) FROM violations v WHERE v.run_id = r.run_id), r.tool_version, "              \
    "r.case_id, r.case_file, r.case_cell "                                                         \
    "FROM runs r JOIN scenarios s USING (scenario_id) "

int dbread_open(chunksim_rec_t *rec, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (strncmp(path, "file:", 5) != 0 && stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    memset(rec, 0, sizeof(*rec));
    char why[CHUNKSIM_REC_ERRMSG_MAX];
    if (chunksim_rec_open_readonly(rec, path, why, sizeof(why)) < 0) {
        /* SQLite's own messages do not say which file. */
        snprintf(err, errlen, "%s%s%s", strstr(why, path) ? "" : path,
                 strstr(why, path) ? "" : ": ", why);
        return -1;
    }
    return 0;
}

static char *col_text(sqlite3_stmt *st, int i, bool *oom)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (t == NULL) {
        return NULL;
    }
    char *copy = strdup((const char *)t);
    *oom |= copy == NULL;
    return copy;
}

static uint64_t col_u64(sqlite3_stmt *st, int i)
{
    return (uint64_t)sqlite3_column_int64(st, i);
}

static int row_read(sqlite3_stmt *st, dbread_run_t *r)
{
    bool oom = false;
    *r = (dbread_run_t){0};
    r->run_id = sqlite3_column_int64(st, 0);
    r->scenario = col_text(st, 1, &oom);
    r->config_text = col_text(st, 2, &oom);
    r->seed = col_u64(st, 3);
    r->mode = col_text(st, 4, &oom);
    r->reader = col_text(st, 5, &oom);
    r->glue = col_text(st, 6, &oom);
    r->status = col_text(st, 7, &oom);
    r->outcome = col_text(st, 8, &oom);
    r->reason = col_text(st, 9, &oom);
    r->has_metrics = sqlite3_column_type(st, 12) != SQLITE_NULL;
    r->safety_ok = sqlite3_column_int(st, 10) != 0;
    r->liveness_ok = sqlite3_column_int(st, 11) != 0;
    r->drain_us = col_u64(st, 12);
    r->message_bytes = col_u64(st, 13);
    r->chunks = col_u64(st, 14);
    r->flash_busy_us = col_u64(st, 15);
    r->link_busy_us = col_u64(st, 16);
    r->bound_us = col_u64(st, 17);
    r->efficiency = sqlite3_column_double(st, 18);
    r->waits = col_u64(st, 19);
    r->refills = col_u64(st, 20);
    r->retries = col_u64(st, 21);
    r->faults_injected = col_u64(st, 22);
    r->violations = col_u64(st, 23);
    r->tool_version = col_text(st, 24, &oom);
    r->case_id = col_text(st, 25, &oom);
    r->case_file = col_text(st, 26, &oom);
    r->case_cell = col_text(st, 27, &oom);
    if (oom || r->scenario == NULL || r->config_text == NULL || r->mode == NULL ||
        r->reader == NULL || r->status == NULL) {
        dbread_run_free(r);
        return -1;
    }
    return 0;
}

int dbread_run_get(sqlite3 *db, int64_t run_id, dbread_run_t *run, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, DBREAD_RUN_SELECT "WHERE r.run_id = ?1", -1, &st, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "reading run %" PRId64 ": %s", run_id, sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, run_id);
    int step = sqlite3_step(st);
    int rc = 0;
    if (step == SQLITE_DONE) {
        rc = 1;
    } else if (step != SQLITE_ROW) {
        snprintf(err, errlen, "reading run %" PRId64 ": %s", run_id, sqlite3_errmsg(db));
        rc = -1;
    } else if (row_read(st, run) < 0) {
        snprintf(err, errlen,
                 "reading run %" PRId64 ": a required column is NULL, or out of memory", run_id);
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

int dbread_has_cases(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT EXISTS (SELECT 1 FROM runs WHERE case_id IS NOT NULL)", -1,
                           &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return rc;
}

int dbread_runs_latest(sqlite3 *db, bool by_case, dbread_run_t **runs, size_t *count, char *err,
                       size_t errlen)
{
    /*
     * One pass over runs: rank each key's runs newest first, keep rank 1. A
     * case id determines the other key columns, so adding it to the partition
     * makes it the key of the runs that have one.
     */
    static const char sql_by_case[] = DBREAD_RUN_SELECT
        "JOIN (SELECT r3.run_id AS latest_id, row_number() OVER (PARTITION BY r3.case_id, "
        "s3.name, r3.seed, r3.mode, r3.reader ORDER BY r3.run_id DESC) AS k FROM runs r3 JOIN "
        "scenarios s3 USING (scenario_id) WHERE r3.status <> 'running') ON latest_id = r.run_id "
        "AND k = 1 ORDER BY r.case_id IS NULL, r.case_id, s.name, r.seed, r.mode, r.reader";
    static const char sql[] = DBREAD_RUN_SELECT
        "JOIN (SELECT r3.run_id AS latest_id, row_number() OVER (PARTITION BY s3.name, r3.seed, "
        "r3.mode, r3.reader ORDER BY r3.run_id DESC) AS k FROM runs r3 JOIN scenarios s3 USING "
        "(scenario_id) WHERE r3.status <> 'running') ON latest_id = r.run_id AND k = 1 "
        "ORDER BY s.name, r.seed, r.mode, r.reader";
    *runs = NULL;
    *count = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, by_case ? sql_by_case : sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "reading runs: %s", sqlite3_errmsg(db));
        return -1;
    }
    size_t cap = 0;
    int step, rc = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (cli_grow((void **)runs, &cap, *count, sizeof(**runs), 64) < 0) {
            rc = -1;
            break;
        }
        if (row_read(st, &(*runs)[*count]) < 0) {
            rc = -1;
            break;
        }
        if (!by_case) {
            /* Matched by the old key: a case id must not split it. */
            free((*runs)[*count].case_id);
            (*runs)[*count].case_id = NULL;
        }
        (*count)++;
    }
    if (rc < 0 || step != SQLITE_DONE) {
        snprintf(err, errlen, "reading runs: %s",
                 rc < 0 ? "a required column is NULL, or out of memory" : sqlite3_errmsg(db));
        dbread_runs_free(*runs, *count);
        *runs = NULL;
        *count = 0;
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

void dbread_run_free(dbread_run_t *run)
{
    free(run->scenario);
    free(run->config_text);
    free(run->mode);
    free(run->reader);
    free(run->glue);
    free(run->status);
    free(run->outcome);
    free(run->reason);
    free(run->tool_version);
    free(run->case_id);
    free(run->case_file);
    free(run->case_cell);
    *run = (dbread_run_t){0};
}

void dbread_runs_free(dbread_run_t *runs, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        dbread_run_free(&runs[i]);
    }
    free(runs);
}

double dbread_run_bytes_per_s(const dbread_run_t *run)
{
    if (!run->has_metrics || !run->liveness_ok || run->drain_us == 0) {
        return 0;
    }
    return (double)run->message_bytes * 1e6 / (double)run->drain_us;
}
