/* Read-only access to recordings, shared by replay and diff. */
#include "dbread.h"
#include "grow.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
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

/* The text columns of DBREAD_RUN_SELECT, each copied into its dbread_run_t field. */
static const struct {
    int column;
    size_t field;
} dbread_texts[] = {
    {1, offsetof(dbread_run_t, scenario)},      {2, offsetof(dbread_run_t, config_text)},
    {4, offsetof(dbread_run_t, mode)},          {5, offsetof(dbread_run_t, reader)},
    {6, offsetof(dbread_run_t, glue)},          {7, offsetof(dbread_run_t, status)},
    {8, offsetof(dbread_run_t, outcome)},       {9, offsetof(dbread_run_t, reason)},
    {24, offsetof(dbread_run_t, tool_version)}, {25, offsetof(dbread_run_t, case_id)},
    {26, offsetof(dbread_run_t, case_file)},    {27, offsetof(dbread_run_t, case_cell)},
};
#define DBREAD_TEXTS (sizeof dbread_texts / sizeof dbread_texts[0])

static char **dbread_text(dbread_run_t *r, size_t i)
{
    return (char **)((char *)r + dbread_texts[i].field);
}

static int row_read(sqlite3_stmt *st, dbread_run_t *r)
{
    bool oom = false;
    *r = (dbread_run_t){0};
    for (size_t i = 0; i < DBREAD_TEXTS; i++)
        *dbread_text(r, i) = col_text(st, dbread_texts[i].column, &oom);
    r->run_id = sqlite3_column_int64(st, 0);
    r->seed = col_u64(st, 3);
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
    for (size_t i = 0; i < DBREAD_TEXTS; i++)
        free(*dbread_text(run, i));
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
