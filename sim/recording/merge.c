/*
 * Merge: one input database into the output, by ATTACH and INSERT ... SELECT
 * in one transaction (see merge.h for what is copied and how duplicates are
 * recognised). Every statement works on sets, so an input of thousands of
 * runs costs a dozen statements, not a round trip per row.
 */
#include "chunksim/merge.h"
#include "recorder_internal.h"

#include <sqlite3.h>

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The input's schema name inside the output's connection. */
#define MERGE_SRC "chunksim_merge_src"

typedef struct merge {
    sqlite3 *db;
    const char *path;
    const chunksim_merge_options_t *opts;
    chunksim_merge_stats_t *st;
    char *err;
    size_t errlen;
    bool busy; /* a statement failed because another connection held the lock */
} merge_t;

__attribute__((format(printf, 3, 4))) static int merge_fail(merge_t *g, int code, const char *fmt,
                                                            ...)
{
    if (g->err != NULL && g->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(g->err, g->errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int merge_sqlite_fail(merge_t *g, const char *doing)
{
    g->busy = g->busy || (sqlite3_errcode(g->db) & 0xff) == SQLITE_BUSY; /* extended codes too */
    return merge_fail(g, CHUNKSIM_REC_E_SQLITE, "%s: %s: %s", g->path, doing,
                      sqlite3_errmsg(g->db));
}

/* sql prepared with what it asks for: ?1 = after_run_id, ?2 = up_to_run_id (0: none), ?3 = label.
 */
static int merge_prepare(merge_t *g, const char *sql, const char *doing, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(g->db, sql, -1, st, NULL) != SQLITE_OK)
        return merge_sqlite_fail(g, doing);
    int n = sqlite3_bind_parameter_count(*st);
    if (n >= 1)
        sqlite3_bind_int64(*st, 1, g->opts->after_run_id);
    if (n >= 2)
        sqlite3_bind_int64(*st, 2, g->opts->up_to_run_id);
    if (n >= 3)
        sqlite3_bind_text(*st, 3, g->opts->label != NULL ? g->opts->label : g->path, -1,
                          SQLITE_TRANSIENT);
    return 0;
}

/*
 * Runs sql (parameters as merge_prepare binds them) to its end: *first, when
 * given, gets the first row's first column (0 without a row), and *changes,
 * when given, grows by the rows it changed.
 */
static int merge_run(merge_t *g, const char *sql, const char *doing, int64_t *first,
                     uint64_t *changes)
{
    sqlite3_stmt *st;
    int rc = merge_prepare(g, sql, doing, &st);
    if (rc < 0)
        return rc;
    rc = sqlite3_step(st);
    if (first != NULL)
        *first = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return merge_sqlite_fail(g, doing);
    if (changes != NULL)
        *changes += (uint64_t)sqlite3_changes(g->db);
    return 0;
}

static int merge_exec(merge_t *g, const char *sql, const char *doing, uint64_t *changes)
{
    return merge_run(g, sql, doing, NULL, changes);
}

static int merge_query_int(merge_t *g, const char *sql, const char *doing, int64_t *out)
{
    return merge_run(g, sql, doing, out, NULL);
}

/* ---- attaching the input ----------------------------------------------- */

/*
 * A read-only URI for the path, so that ATTACH neither creates a missing file
 * nor can write to the input. A path that is already a "file:" URI is the
 * caller's to shape.
 */
static char *merge_uri(const char *path)
{
    if (strncmp(path, "file:", 5) == 0)
        return strdup(path);
    size_t n = strlen(path);
    char *uri = malloc(3 * n + 32);
    if (uri == NULL)
        return NULL;
    char *p = uri + sprintf(uri, "file:");
    for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
        if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
            strchr("-._~/", *s) != NULL)
            *p++ = (char)*s;
        else
            p += sprintf(p, "%%%02X", *s);
    }
    strcpy(p, "?mode=ro");
    return uri;
}

static int merge_check_files(merge_t *g)
{
    struct stat in, out;
    if (strncmp(g->path, "file:", 5) != 0 && stat(g->path, &in) != 0)
        return merge_fail(g, CHUNKSIM_REC_E_INVAL, "%s: %s", g->path, strerror(errno));
    const char *dst = sqlite3_db_filename(g->db, "main");
    if (strncmp(g->path, "file:", 5) != 0 && dst != NULL && dst[0] != '\0' &&
        stat(dst, &out) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
        return merge_fail(g, CHUNKSIM_REC_E_INVAL, "%s: is the output database itself", g->path);
    return 0;
}

static int merge_attach(merge_t *g)
{
    char *uri = merge_uri(g->path);
    if (uri == NULL)
        return merge_fail(g, CHUNKSIM_REC_E_SQLITE, "%s: out of memory", g->path);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(g->db, "ATTACH DATABASE ?1 AS " MERGE_SRC, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
    }
    free(uri);
    if (rc != SQLITE_DONE && rc != SQLITE_OK)
        return merge_fail(g,
                          sqlite3_errcode(g->db) == SQLITE_NOTADB ? CHUNKSIM_REC_E_NOTREC
                                                                  : CHUNKSIM_REC_E_SQLITE,
                          "%s: cannot open: %s", g->path, sqlite3_errmsg(g->db));
    return 0;
}

static void merge_detach(merge_t *g)
{
    (void)sqlite3_exec(g->db, "DETACH DATABASE " MERGE_SRC, NULL, NULL, NULL);
}

/* The input must be a recording of exactly this schema version. */
static int merge_check_schema(merge_t *g)
{
    int64_t version = 0, tables = 0;
    if (merge_query_int(g, "PRAGMA " MERGE_SRC ".user_version", "read schema version", &version) <
        0) {
        if (sqlite3_errcode(g->db) == SQLITE_NOTADB)
            return merge_fail(g, CHUNKSIM_REC_E_NOTREC, "%s: not a SQLite database", g->path);
        return CHUNKSIM_REC_E_SQLITE;
    }
    if (version == 0)
        return merge_fail(g, CHUNKSIM_REC_E_NOTREC, "%s: not a chunksim recording", g->path);
    if (version != CHUNKSIM_REC_SCHEMA_VERSION)
        return merge_fail(g, CHUNKSIM_REC_E_VERSION,
                          "%s: schema version %lld, this chunksim merges version %d only", g->path,
                          (long long)version, CHUNKSIM_REC_SCHEMA_VERSION);
    if (merge_query_int(g,
                        "SELECT count(*) FROM " MERGE_SRC ".sqlite_schema WHERE type = 'table' "
                        "AND name IN ('scenarios', 'images', 'runs', 'call_blocks', 'flash_ops', "
                        "'chunk_blocks', 'violations', 'params', 'metrics')",
                        "read schema", &tables) < 0)
        return CHUNKSIM_REC_E_SQLITE;
    if (tables != 9)
        return merge_fail(g, CHUNKSIM_REC_E_NOTREC, "%s: not a chunksim recording", g->path);
    return 0;
}

/* ---- the copy ---------------------------------------------------------- */

/* Input runs in the requested id range. */
#define MERGE_IN_RANGE "r.run_id > ?1 AND (?2 = 0 OR r.run_id <= ?2)"

/*
 * Which input runs to copy and their new ids: the output's largest id + 1, 2,
 * ... in input order, skipping runs whose identity the output already holds.
 */
static const char merge_sql_map[] =
    "INSERT INTO temp.chunksim_merge_map (src, dst) "
    "SELECT r.run_id, (SELECT coalesce(max(run_id), 0) FROM main.runs) "
    "                 + row_number() OVER (ORDER BY r.run_id) "
    "FROM " MERGE_SRC ".runs r JOIN " MERGE_SRC ".scenarios s USING (scenario_id) "
    "WHERE " MERGE_IN_RANGE " AND NOT EXISTS ("
    "  SELECT 1 FROM main.scenarios ms JOIN main.runs mr ON mr.scenario_id = ms.scenario_id "
    "  WHERE ms.config_sha256 = s.config_sha256 AND mr.seed = r.seed AND mr.mode = r.mode "
    "    AND mr.reader = r.reader AND mr.glue IS r.glue AND mr.started_at = r.started_at "
    "    AND mr.writer_host = r.writer_host AND mr.writer_pid = r.writer_pid)";

/* Scenarios and images the copied runs use; a whole-file merge takes the unused ones too. */
static const char merge_sql_scenarios[] =
    "INSERT INTO main.scenarios (name, config_sha256, config_text, first_seen_at) "
    "SELECT s.name, s.config_sha256, s.config_text, s.first_seen_at "
    "FROM " MERGE_SRC ".scenarios s "
    "WHERE ((?1 = 0 AND ?2 = 0) OR s.scenario_id IN (SELECT r.scenario_id FROM " MERGE_SRC
    ".runs r JOIN temp.chunksim_merge_map m ON m.src = r.run_id)) "
    "AND NOT EXISTS (SELECT 1 FROM main.scenarios x WHERE x.config_sha256 = s.config_sha256) "
    "ORDER BY s.scenario_id";

static const char merge_sql_images[] =
    "INSERT INTO main.images (sha256, bytes, data) "
    "SELECT i.sha256, i.bytes, i.data FROM " MERGE_SRC ".images i "
    "WHERE ((?1 = 0 AND ?2 = 0) OR i.image_id IN (SELECT r.image_id FROM " MERGE_SRC
    ".runs r JOIN temp.chunksim_merge_map m ON m.src = r.run_id)) "
    "AND NOT EXISTS (SELECT 1 FROM main.images x WHERE x.sha256 = i.sha256) "
    "ORDER BY i.image_id";

/* A run whose writer never finished it is closed the way a reopened database closes it. */
static const char merge_sql_runs[] =
    "INSERT INTO main.runs (run_id, scenario_id, seed, mode, tool_version, reader, glue, "
    "  image_id, flash_bytes, started_at, ended_at, writer_pid, writer_host, status, outcome, "
    "  safety_ok, liveness_ok, reason, drain_us, message_bytes, chunks, flash_busy_us, "
    "  link_busy_us, bound_us, efficiency, waits, refills, retries, faults_injected, wall_ms, "
    "  case_id, case_file, case_cell, packetizer) "
    "SELECT m.dst, "
    "  (SELECT x.scenario_id FROM main.scenarios x WHERE x.config_sha256 = s.config_sha256), "
    "  r.seed, r.mode, r.tool_version, r.reader, r.glue, "
    "  (SELECT y.image_id FROM main.images y WHERE y.sha256 = i.sha256), "
    "  r.flash_bytes, r.started_at, r.ended_at, r.writer_pid, r.writer_host, "
    "  iif(r.status = 'running', 'interrupted', r.status), "
    "  iif(r.status = 'running', 'incomplete', r.outcome), r.safety_ok, r.liveness_ok, "
    "  iif(r.status = 'running', printf('still running in %s when it was merged: writer pid %d "
    "on %s never finished it', ?3, r.writer_pid, r.writer_host), r.reason), "
    "  r.drain_us, r.message_bytes, r.chunks, r.flash_busy_us, r.link_busy_us, r.bound_us, "
    "  r.efficiency, r.waits, r.refills, r.retries, r.faults_injected, r.wall_ms, r.case_id, "
    "  r.case_file, r.case_cell, r.packetizer "
    "FROM temp.chunksim_merge_map m JOIN " MERGE_SRC ".runs r ON r.run_id = m.src "
    "JOIN " MERGE_SRC ".scenarios s ON s.scenario_id = r.scenario_id "
    "LEFT JOIN " MERGE_SRC ".images i ON i.image_id = r.image_id "
    "ORDER BY m.src";

/* The per-run tables besides the trace tables, rows in their order within each run. */
static const char *const merge_sql_rows[] = {
    "INSERT INTO main.violations (run_id, invariant, call_seq, t_us, detail) "
    "SELECT m.dst, v.invariant, v.call_seq, v.t_us, v.detail FROM temp.chunksim_merge_map m "
    "JOIN " MERGE_SRC ".violations v ON v.run_id = m.src ORDER BY m.src, v.violation_id",

    "INSERT INTO main.params (run_id, name, value) SELECT m.dst, p.name, p.value "
    "FROM temp.chunksim_merge_map m JOIN " MERGE_SRC ".params p ON p.run_id = m.src "
    "ORDER BY m.src, p.name",

    "INSERT INTO main.metrics (run_id, name, value) SELECT m.dst, x.name, x.value "
    "FROM temp.chunksim_merge_map m JOIN " MERGE_SRC ".metrics x ON x.run_id = m.src "
    "ORDER BY m.src, x.name",
};

/* A trace table's rows, every column the recorder writes, in their order within each run. */
static int merge_copy_trace(merge_t *g, const rec_trace_table_t *t)
{
    char *cols = chunksim__rec_column_list(t, "");
    char *from = chunksim__rec_column_list(t, "x.");
    char *sql = cols && from ? sqlite3_mprintf("INSERT INTO main.%s (run_id, %s) SELECT m.dst, %s "
                                               "FROM temp.chunksim_merge_map m JOIN " MERGE_SRC
                                               ".%s x ON x.run_id = m.src ORDER BY m.src, x.seq",
                                               t->name, cols, from, t->name)
                             : NULL;
    int rc = sql ? merge_exec(g, sql, "copy the runs' rows", &g->st->rows_copied)
                 : merge_fail(g, CHUNKSIM_REC_E_SQLITE, "%s: out of memory", g->path);
    sqlite3_free(sql);
    sqlite3_free(from);
    sqlite3_free(cols);
    return rc;
}

static int merge_report_runs(merge_t *g)
{
    if (g->opts->on_run == NULL)
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(g->db, "SELECT src, dst FROM temp.chunksim_merge_map ORDER BY src", -1,
                           &st, NULL) != SQLITE_OK)
        return merge_sqlite_fail(g, "read the new run ids");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        g->opts->on_run(g->opts->data, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : merge_sqlite_fail(g, "read the new run ids");
}

static int merge_copy(merge_t *g)
{
    chunksim_merge_stats_t *st = g->st;
    int64_t in_range = 0, running = 0;
    int rc = merge_exec(g,
                        "CREATE TEMP TABLE IF NOT EXISTS chunksim_merge_map "
                        "(src INTEGER PRIMARY KEY, dst INTEGER NOT NULL)",
                        "create the run map", NULL);
    rc = rc < 0 ? rc : merge_exec(g, "DELETE FROM temp.chunksim_merge_map", "clear", NULL);
    rc = rc < 0
             ? rc
             : merge_query_int(g, "SELECT count(*) FROM " MERGE_SRC ".runs r WHERE " MERGE_IN_RANGE,
                               "count runs", &in_range);
    rc = rc < 0 ? rc
                : merge_query_int(g,
                                  "SELECT coalesce(max(run_id), 0) FROM " MERGE_SRC
                                  ".runs r WHERE " MERGE_IN_RANGE,
                                  "find the last run", &st->last_run_id);
    rc = rc < 0 ? rc : merge_exec(g, merge_sql_map, "choose the runs to copy", NULL);
    rc = rc < 0 ? rc
                : merge_query_int(g,
                                  "SELECT count(*) FROM temp.chunksim_merge_map m JOIN " MERGE_SRC
                                  ".runs r ON r.run_id = m.src WHERE r.status = 'running'",
                                  "count unfinished runs", &running);
    rc = rc < 0 ? rc : merge_exec(g, merge_sql_scenarios, "copy scenarios", &st->scenarios_added);
    rc = rc < 0 ? rc : merge_exec(g, merge_sql_images, "copy images", &st->images_added);
    uint64_t copied = 0;
    rc = rc < 0 ? rc : merge_exec(g, merge_sql_runs, "copy runs", &copied);
    for (int k = 0; rc == 0 && k < KIND_COUNT; k++)
        rc = merge_copy_trace(g, chunksim__rec_stored[k]);
    for (size_t i = 0; rc == 0 && i < sizeof merge_sql_rows / sizeof merge_sql_rows[0]; i++)
        rc = merge_exec(g, merge_sql_rows[i], "copy the runs' rows", &st->rows_copied);
    if (rc < 0)
        return rc;
    st->runs_copied = copied;
    st->runs_present = (uint64_t)in_range - copied;
    st->runs_interrupted = (uint64_t)running;
    return 0;
}

int chunksim_merge(chunksim_rec_t *dst, const char *src_path, const chunksim_merge_options_t *opts,
                   chunksim_merge_stats_t *stats, char *err, size_t errlen)
{
    static const chunksim_merge_options_t no_opts;
    chunksim_merge_stats_t local;
    merge_t g = {
        .db = chunksim_rec_db(dst),
        .path = src_path,
        .opts = opts != NULL ? opts : &no_opts,
        .st = stats != NULL ? stats : &local,
        .err = err,
        .errlen = errlen,
    };
    memset(g.st, 0, sizeof *g.st);
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (g.db == NULL || src_path == NULL || sqlite3_db_readonly(g.db, "main") != 0)
        return merge_fail(&g, CHUNKSIM_REC_E_INVAL, "merge: the output is not open for writing");
    /* ATTACH needs autocommit; a run in progress holds its batch transaction open. */
    if (dst->run_id != 0 || !sqlite3_get_autocommit(g.db))
        return merge_fail(&g, CHUNKSIM_REC_E_STATE, "merge: the output has a run in progress");
    int rc = merge_check_files(&g);
    if (rc < 0 || (rc = merge_attach(&g)) < 0)
        return rc;
    rc = merge_check_schema(&g);
    if (rc == 0)
        rc = merge_exec(&g, "BEGIN IMMEDIATE", "begin", NULL);
    if (rc == 0) {
        rc = merge_copy(&g);
        if (rc == 0)
            rc = merge_exec(&g, "COMMIT", "commit", NULL);
        if (rc < 0) {
            (void)sqlite3_exec(g.db, "ROLLBACK", NULL, NULL, NULL);
            chunksim_merge_stats_t keep_last = {.last_run_id = g.st->last_run_id};
            *g.st = keep_last;
        }
    }
    /* Only runs that are committed are reported. */
    if (rc == 0)
        rc = merge_report_runs(&g);
    merge_detach(&g);
    g.st->busy = rc < 0 && g.busy;
    return rc;
}
