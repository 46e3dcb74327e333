/*
 * Reading recordings (docs/schema.md) for the commands that look back at
 * runs: replay re-runs one, diff compares two databases. Everything here
 * opens read-only and copies what it returns, so the caller owns its rows.
 *
 *     chunksim_rec_t rec;
 *     if (dbread_open(&rec, "runs.db", err, sizeof err) < 0) die(err);
 *     dbread_run_t run;
 *     if (dbread_run_get(chunksim_rec_db(&rec), 42, &run, err, sizeof err) < 0) die(err);
 *     ...
 *     dbread_run_free(&run);
 *     chunksim_rec_close(&rec);
 */
#ifndef CHUNKSIM_CLI_DBREAD_H
#define CHUNKSIM_CLI_DBREAD_H

#include "chunksim/recorder.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One runs row with its scenario (metrics are valid when has_metrics). */
typedef struct dbread_run {
    int64_t run_id;
    char *scenario;    /* scenarios.name */
    char *config_text; /* scenarios.config_text: the run's configuration verbatim */
    uint64_t seed;     /* as the run used it (the stored signed value read back) */
    char *mode;        /* "virtual" or "realtime" */
    char *reader;
    char *glue;    /* NULL: chunksim's own core */
    char *status;  /* running, finished, aborted, interrupted */
    char *outcome; /* NULL while running */
    char *reason;  /* NULL: none */
    bool has_metrics;
    bool safety_ok, liveness_ok;
    uint64_t drain_us, message_bytes, chunks, flash_busy_us, link_busy_us, bound_us;
    double efficiency;
    uint64_t waits, refills, retries, faults_injected;
    uint64_t violations; /* rows in violations */
    char *tool_version;  /* chunksim version that recorded it; NULL: not stored */
    /* The matrix case it was (runs.case_*); NULL for a single run. */
    char *case_id, *case_file, *case_cell;
} dbread_run_t;

/* Read-only open; a missing file is an error (SQLite would create it). Returns 0 or -1. */
int dbread_open(chunksim_rec_t *rec, const char *path, char *err, size_t errlen);

/* Run run_id. Returns 0, 1 when there is no such run, -1 on a read error (err says). */
int dbread_run_get(struct sqlite3 *db, int64_t run_id, dbread_run_t *run, char *err, size_t errlen);

/* Whether any run of the database has a case id: 1, 0, or -1 on a read error. */
int dbread_has_cases(struct sqlite3 *db);

/*
 * The latest run (highest run_id) of each key that is not still running.
 * by_case: the key of a run with a case id is that id (runs of a matrix:
 * many cases share a scenario name and seed), ordered by it and before the
 * runs without one; case_id is left NULL otherwise. The key of the others is
 * (scenario name, seed, mode, reader), in that order.
 * *runs is malloc'd (NULL when none); free with dbread_runs_free().
 */
int dbread_runs_latest(struct sqlite3 *db, bool by_case, dbread_run_t **runs, size_t *count,
                       char *err, size_t errlen);

void dbread_run_free(dbread_run_t *run);
void dbread_runs_free(dbread_run_t *runs, size_t count);

/* Message bytes per second of drain time; 0 when nothing was delivered. */
double dbread_run_bytes_per_s(const dbread_run_t *run);

#endif
