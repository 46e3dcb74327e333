/*
 * Recorder: opening a database (versions, pragmas, schema creation), the
 * repair of runs a dead writer left 'running', and closing.
 */
#include "recorder_internal.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* sim/recording/schema.sql, compiled in by the build (sim/CMakeLists.txt). */
extern const char chunksim__schema_sql[];

/* A second writer waits this long for the first one's batch before giving up. */
#define REC_BUSY_TIMEOUT_MS 10000

_Static_assert(STMT_COUNT == CHUNKSIM_REC_STMTS_, "recorder.h reserves one slot per statement");

/*
 * BEGIN IMMEDIATE takes the write lock at once, so a second writer waits in the
 * busy handler; a deferred BEGIN could instead fail outright with
 * SQLITE_BUSY_SNAPSHOT when it first writes after another writer committed.
 */
static const char *const stmt_sql[STMT_BULK] = {
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
    [STMT_VIOLATION] = "INSERT INTO violations (run_id, invariant, call_seq, t_us, detail) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)",
    [STMT_PARAM] = "INSERT INTO params (run_id, name, value) VALUES (?1, ?2, ?3)",
    [STMT_METRIC] = "INSERT INTO metrics (run_id, name, value) VALUES (?1, ?2, ?3)",
};

static int rec_exec(chunksim_rec_t *rec, const char *sql, const char *what)
{
    if (sqlite3_exec(rec->db_, sql, NULL, NULL, NULL) != SQLITE_OK)
        return chunksim__rec_fail_sqlite(rec, what);
    return 0;
}

/* Run a one-row, one-column query (PRAGMA, count) and return its integer. */
static int rec_query_int(chunksim_rec_t *rec, const char *sql, sqlite3_int64 *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rec->db_, sql, -1, &st, NULL) != SQLITE_OK)
        return chunksim__rec_fail_sqlite(rec, sql);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        chunksim__rec_fail_sqlite(rec, sql);
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
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_VERSION,
                                  "database schema version %lld is newer than this chunksim "
                                  "understands (%d); use a newer chunksim to read or extend it",
                                  (long long)*version, CHUNKSIM_REC_SCHEMA_VERSION);
    if (*version > 0)
        return 0;
    sqlite3_int64 objects = 0;
    if (rec_query_int(rec, "SELECT count(*) FROM sqlite_schema", &objects) != 0)
        return CHUNKSIM_REC_E_SQLITE;
    if (objects > 0)
        return chunksim__rec_fail(
            rec, CHUNKSIM_REC_E_NOTREC,
            "database holds %lld schema objects but no chunksim schema version "
            "(PRAGMA user_version is 0): not a chunksim recording",
            (long long)objects);
    return 0;
}

/* The calls and chunks views (chunksim__rec_view_sql). */
static int rec_create_view(chunksim_rec_t *rec, int kind)
{
    char *sql = chunksim__rec_view_sql(kind);
    int r = sql ? rec_exec(rec, sql, "create a view")
                : chunksim__rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "out of memory");
    sqlite3_free(sql);
    return r;
}

static int rec_create_schema(chunksim_rec_t *rec)
{
    char *meta = sqlite3_mprintf("INSERT INTO meta (key, value) VALUES ('schema_version', '%d'), "
                                 "('created_by', 'chunksim recorder, SQLite %q'), "
                                 "('created_at', %s); PRAGMA user_version = %d;",
                                 CHUNKSIM_REC_SCHEMA_VERSION, sqlite3_libversion(), REC_NOW_SQL,
                                 CHUNKSIM_REC_SCHEMA_VERSION);
    int r = rec_exec(rec, chunksim__schema_sql, "create schema");
    for (int k = 0; r == 0 && k < KIND_COUNT; k++) {
        if (chunksim__rec_stored[k] != &chunksim__rec_tables[k]) /* stored in blocks */
            r = rec_create_view(rec, k);
    }
    if (r == 0)
        r = meta ? rec_exec(rec, meta, "write schema version")
                 : chunksim__rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "out of memory");
    sqlite3_free(meta);
    return r;
}

/*
 * An older database is brought up to this schema when it is opened for
 * writing, one version at a time, in one transaction, nothing dropped; what
 * existed before a column did is stated by the column's default.
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
    /* 3 -> 4: calls and chunks into blocks, rec_migrate_blocks(). */
    NULL,
};

_Static_assert(sizeof(rec_migrations) / sizeof(rec_migrations[0]) ==
                   CHUNKSIM_REC_SCHEMA_VERSION - 1,
               "one migration per schema version");

/* The statement of schema.sql that begins with head, through its ';'. */
static int rec_exec_schema_part(chunksim_rec_t *rec, const char *head)
{
    const char *at = strstr(chunksim__schema_sql, head);
    const char *end = at ? strchr(at, ';') : NULL;
    char *sql = end ? sqlite3_mprintf("%.*s;", (int)(end - at), at) : NULL;
    int r = sql ? rec_exec(rec, sql, head)
                : chunksim__rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "migrate: no '%s'", head);
    sqlite3_free(sql);
    return r;
}

/*
 * Before version 4, calls and chunks had tables of their own: each row becomes
 * a block of one, its columns after seq in the JSON the blocks use (a BLOB as
 * offset 0 of the block's data), and the tables give way to the views.
 */
static int rec_migrate_to_blocks(chunksim_rec_t *rec, int kind, const char *table_ddl)
{
    const rec_trace_table_t *t = &chunksim__rec_tables[kind];
    const rec_trace_table_t *st = chunksim__rec_stored[kind];
    sqlite3_str *q = sqlite3_str_new(rec->db_);
    const char *blob = NULL;
    sqlite3_str_appendf(q, "INSERT INTO %s (run_id, seq, %s", st->name, st->cols[1].name);
    for (int i = 1; i < t->ncols; i++)
        blob = t->cols[i].type == REC_COL_BLOB ? t->cols[i].name : blob;
    sqlite3_str_appendf(q, "%s%s) SELECT run_id, seq, json_array(json_array(", blob ? ", " : "",
                        blob ? blob : "");
    for (int i = 1; i < t->ncols; i++)
        sqlite3_str_appendf(q, "%s%s", i > 1 ? ", " : "",
                            t->cols[i].type == REC_COL_BLOB ? "0" : t->cols[i].name);
    sqlite3_str_appendf(q, "))%s%s FROM main.%s ORDER BY run_id, seq; DROP TABLE main.%s;",
                        blob ? ", " : "", blob ? blob : "", t->name, t->name);
    char *sql = sqlite3_str_finish(q);
    int r = rec_exec_schema_part(rec, table_ddl);
    if (r == 0)
        r = sql ? rec_exec(rec, sql, "migrate a trace table into blocks")
                : chunksim__rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "out of memory");
    sqlite3_free(sql);
    return r == 0 ? rec_create_view(rec, kind) : r;
}

/* Version 3 kept calls and chunks in tables of their own. */
static int rec_migrate_blocks(chunksim_rec_t *rec)
{
    int r = rec_exec(rec, "DROP VIEW chunk_size_histogram", "upgrade the database schema");
    if (r == 0)
        r = rec_migrate_to_blocks(rec, KIND_CALLS, "CREATE TABLE call_blocks (");
    if (r == 0)
        r = rec_migrate_to_blocks(rec, KIND_CHUNKS, "CREATE TABLE chunk_blocks (");
    return r == 0 ? rec_exec_schema_part(rec, "CREATE VIEW chunk_size_histogram AS") : r;
}

static int rec_migrate(chunksim_rec_t *rec, sqlite3_int64 from)
{
    const char *step = rec_migrations[from - 1];
    int r = step ? rec_exec(rec, step, "upgrade the database schema") : rec_migrate_blocks(rec);
    char *sql = sqlite3_mprintf("PRAGMA user_version = %lld; "
                                "UPDATE meta SET value = '%lld' WHERE key = 'schema_version';",
                                from + 1, from + 1);
    if (r == 0)
        r = sql ? rec_exec(rec, sql, "upgrade the database schema")
                : chunksim__rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "out of memory");
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
 * a temporary view (temp names come first) with the case columns NULL. Its
 * calls and chunks tables, like those of versions 2 and 3, have the columns
 * of the views.
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
        return chunksim__rec_fail_sqlite(rec, "set WAL journal");
    int rc = sqlite3_step(st);
    const char *mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    bool wal = mode && strcmp(mode, "wal") == 0;
    /* An in-memory database reports "memory"; it has nothing to survive anyway. */
    bool memory = mode && strcmp(mode, "memory") == 0;
    int r = 0;
    if (rc != SQLITE_ROW)
        r = chunksim__rec_fail_sqlite(rec, "set WAL journal");
    else if (!wal && !memory)
        r = chunksim__rec_fail(rec, CHUNKSIM_REC_E_SQLITE,
                               "the database refused WAL journaling (mode %s)", mode ? mode : "?");
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
    for (int i = 0; i < STMT_BULK; i++) {
        if (sqlite3_prepare_v3(rec->db_, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &rec->stmt_[i],
                               NULL) != SQLITE_OK)
            return chunksim__rec_fail_sqlite(rec, stmt_sql[i]);
    }
    return chunksim__rec_rows_prepare(rec);
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

void chunksim__rec_host_name(char *buf, size_t len)
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

    chunksim__rec_host_name(this_host, sizeof this_host);
    *abandoned = 0;
    if (sqlite3_prepare_v2(rec->db_, find_sql, -1, &find, NULL) != SQLITE_OK)
        return chunksim__rec_fail_sqlite(rec, "find abandoned runs");
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
        r = chunksim__rec_step_done(rec, upd, brc, "mark abandoned run interrupted");
        if (r == 0 && sqlite3_changes(rec->db_) == 1)
            rec->recovered_runs++;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = chunksim__rec_fail_sqlite(rec, "find abandoned runs");
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
        r = chunksim__rec_fail_sqlite(rec, "prepare recovery");
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
    chunksim__rec_rows_free(rec->rows_);
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
        r = chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL, "no database path");
    } else if (sqlite3_open_v2(path, &rec->db_, flags, NULL) != SQLITE_OK) {
        r = rec->db_ ? chunksim__rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "cannot open %s: %s%s", path,
                                          sqlite3_errmsg(rec->db_), rec_open_hint(rec->db_, path))
                     : chunksim__rec_fail(rec, CHUNKSIM_REC_E_SQLITE,
                                          "cannot open %s: out of memory", path);
    } else {
        sqlite3_extended_result_codes(rec->db_, 1);
        sqlite3_busy_timeout(rec->db_, REC_BUSY_TIMEOUT_MS);
        sqlite3_int64 version = 0;
        r = rec_check_version(rec, &version);
        if (r == 0 && readonly && version == 0)
            r = chunksim__rec_fail(rec, CHUNKSIM_REC_E_NOTREC, "%s holds no chunksim recording",
                                   path);
        if (r == 0 && readonly && version == 1)
            r = rec_view_v1(rec);
        if (r == 0 && !readonly) {
            rec->rows_ = chunksim__rec_rows_new();
            r = rec->rows_ ? rec_set_pragmas(rec)
                           : chunksim__rec_fail(rec, CHUNKSIM_REC_E_SQLITE, "out of memory");
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
        r = chunksim__rec_txn_commit(rec);
    rec_release(rec);
    return r;
}

int chunksim_rec_set_batch_rows(chunksim_rec_t *rec, uint32_t rows)
{
    if (rows == 0)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL, "batch of 0 rows");
    rec->batch_rows = rows;
    return 0;
}

struct sqlite3 *chunksim_rec_db(const chunksim_rec_t *rec)
{
    return rec->db_;
}
