/*
 * chunksim replay: re-execute a recorded run from its stored scenario text
 * and seed into a scratch database, then compare the two traces row by row.
 * Virtual time makes a run a pure function of scenario, seed and code: any
 * difference is a change in behaviour, and the first one is where it began.
 */
#include "cli.h"
#include "options.h"
#include "dbread.h"
#include "report.h"

#include "chunksim/reader.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *db_path;
    int64_t run_id; /* 0: --all */
    bool all;
    bool force_virtual;
    const char *latencies_from;
    const char *base_dir;
    const char *keep_path;
    bool quiet;
} replay_args_t;

/* Where the replay is recorded: a scratch file unless --keep names one. */
typedef struct {
    chunksim_rec_t rec;
    char dir[256];
    char path[320];
    bool scratch;
} replay_sink_t;

/* The first difference between the stored and the new trace. */
typedef struct {
    char where[160]; /* "calls seq 17" */
    char field[64];
    char stored[512];
    char now[512];
} replay_diff_t;

/*
 * One compared table: the first column is the key rows are named by (NULL:
 * their position). A trace table (sql NULL) is read with every column the
 * recorder stores, as chunksim_rec_trace_columns() lists them.
 */
typedef struct {
    const char *name;
    const char *key;
    const char *sql; /* ?1 = run_id, in trace order */
} replay_table_t;

static const replay_table_t replay_tables[] = {
    {"calls", "seq", NULL},
    {"flash_ops", "seq", NULL},
    {"chunks", "seq", NULL},
    {"violations", NULL,
     "SELECT invariant, call_seq, t_us, detail FROM violations WHERE run_id = ?1 "
     "ORDER BY t_us, violation_id"},
    /* The outcome last: a trace difference explains it better than its result does. */
    {"outcome", NULL,
     "SELECT r.outcome, r.safety_ok, r.liveness_ok, r.reason, r.drain_us, r.message_bytes, "
     "r.chunks, r.flash_busy_us, r.link_busy_us, r.bound_us, r.efficiency, r.waits, r.refills, "
     "r.retries, r.faults_injected, r.flash_bytes, i.sha256 AS image_sha256 "
     "FROM runs r LEFT JOIN images i USING (image_id) WHERE r.run_id = ?1"},
};
enum { REPLAY_CALLS = 0, REPLAY_FLASH_OPS, REPLAY_CHUNKS, REPLAY_VIOLATIONS, REPLAY_TABLES = 5 };

static int replay_parse_mode(const cli_value_t *v, void *field)
{
    if (strcmp(v->text, "virtual") != 0) {
        return cli_options_refuse(v,
                                  "only 'virtual' (a replay is compared on the simulated clock)");
    }
    *(bool *)field = true;
    return 0;
}

#define OWN(field) offsetof(replay_args_t, field)

static const cli_option_t replay_options[] = {
    {"run", 0, "ID", "the run to replay (runs.run_id)", OWN(run_id), cli_options_parse_run_id},
    {"all", 0, NULL,
     "every run in FILE; runs that cannot replay (not\n"
     "finished, realtime, foreign reader) are skipped",
     OWN(all), NULL},
    {"mode", 0, "virtual",
     "re-run a realtime run on the simulated clock (realtime\n"
     "runs are refused otherwise: measured time never\n"
     "replays identically)",
     OWN(force_virtual), replay_parse_mode},
    {"latencies-from", 0, "SRC",
     "flash latencies and faults from DB:RUN or FILE.csv, as\n"
     "'chunksim run --latencies-from' (scenarios/README.md);\n"
     "needed to replay a run that was recorded with it",
     OWN(latencies_from), NULL},
    {"base-dir", 0, "DIR",
     "where relative paths in the stored scenario resolve\n"
     "(coredump.file, trace CSVs; default: the current\n"
     "directory)",
     OWN(base_dir), NULL},
    {"keep", 0, "FILE",
     "record the replay into FILE instead of a scratch\n"
     "database that is deleted afterwards",
     OWN(keep_path), NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static cli_command_fn replay_check, replay_main;

static const cli_command_t replay_command = {
    .name = "replay",
    .usage = "--db FILE (--run ID | --all) [options]",
    .about = "Re-executes a recorded run from the scenario text and seed stored with it and\n"
             "compares the new trace with the stored one, in order: calls, flash operations,\n"
             "chunks, violations, then the outcome and its metrics. Every column counts\n"
             "except wall-clock ones. Identical: one line saying so. Different: the first\n"
             "divergence (table, sequence number, field, stored value, new value). The\n"
             "recording is opened read-only.\n",
    .shared = CLI_OPT_DB_SOURCE | CLI_OPT_QUIET,
    .required = "db",
    .options = replay_options,
    .notes = "Exit status: 0 identical, 1 a run diverged, 2 usage or input error (no such\n"
             "run, unreadable database, a file the scenario names is gone, realtime run).\n",
    .check = replay_check,
    .run = replay_main,
};

static int replay_check(const cli_call_t *call)
{
    replay_args_t *a = call->own;
    a->db_path = call->common->db_path;
    a->quiet = call->common->quiet;
    if ((a->run_id != 0) == a->all) {
        cli_options_usage_error(&replay_command, stderr, "give either --run ID or --all");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* ---- the scratch recording ---- */

static int replay_sink_open(replay_sink_t *s, const char *keep_path)
{
    char err[512];
    *s = (replay_sink_t){0};
    if (keep_path != NULL) {
        snprintf(s->path, sizeof(s->path), "%s", keep_path);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(s->dir, sizeof(s->dir), "%s/chunksim-replay-XXXXXX",
                 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
        if (mkdtemp(s->dir) == NULL) {
            fprintf(stderr, "chunksim replay: cannot create a scratch directory %s: %s\n", s->dir,
                    strerror(errno));
            return -1;
        }
        snprintf(s->path, sizeof(s->path), "%s/replay.db", s->dir);
        s->scratch = true;
    }
    if (chunksim_rec_open(&s->rec, s->path, err, sizeof(err)) < 0) {
        fprintf(stderr, "chunksim replay: %s: %s\n", s->path, err);
        if (s->scratch) {
            rmdir(s->dir);
        }
        return -1;
    }
    return 0;
}

static void replay_sink_close(replay_sink_t *s)
{
    chunksim_rec_close(&s->rec);
    if (!s->scratch) {
        return;
    }
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        char p[sizeof(s->path) + 16];
        snprintf(p, sizeof(p), "%s%s", s->path, suffixes[i]);
        unlink(p);
    }
    rmdir(s->dir);
}

/* ---- comparing ---- */

static void replay_value(sqlite3_stmt *st, int col, char *buf, size_t len)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
        snprintf(buf, len, "NULL");
        break;
    case SQLITE_INTEGER:
        snprintf(buf, len, "%lld", (long long)sqlite3_column_int64(st, col));
        break;
    case SQLITE_FLOAT:
        snprintf(buf, len, "%.17g", sqlite3_column_double(st, col));
        break;
    case SQLITE_TEXT: {
        const char *t = (const char *)sqlite3_column_text(st, col);
        int n = sqlite3_column_bytes(st, col);
        snprintf(buf, len, "\"%.*s%s\"", n > 200 ? 200 : n, t, n > 200 ? "..." : "");
        break;
    }
    default: {
        const unsigned char *b = sqlite3_column_blob(st, col);
        int n = sqlite3_column_bytes(st, col);
        int w = snprintf(buf, len, "%d bytes", n);
        for (int i = 0; i < n && i < 16 && w > 0 && (size_t)w + 4 < len; i++) {
            w += snprintf(buf + w, len - (size_t)w, "%s%02x", i == 0 ? ": " : "", b[i]);
        }
        if (n > 16 && w > 0 && (size_t)w + 4 < len) {
            snprintf(buf + w, len - (size_t)w, "...");
        }
        break;
    }
    }
}

static bool replay_same(sqlite3_stmt *a, sqlite3_stmt *b, int col)
{
    int type = sqlite3_column_type(a, col);
    if (type != sqlite3_column_type(b, col)) {
        return false;
    }
    switch (type) {
    case SQLITE_NULL:
        return true;
    case SQLITE_INTEGER:
        return sqlite3_column_int64(a, col) == sqlite3_column_int64(b, col);
    case SQLITE_FLOAT:
        return sqlite3_column_double(a, col) == sqlite3_column_double(b, col);
    default: {
        const void *pa = type == SQLITE_TEXT ? (const void *)sqlite3_column_text(a, col)
                                             : sqlite3_column_blob(a, col);
        const void *pb = type == SQLITE_TEXT ? (const void *)sqlite3_column_text(b, col)
                                             : sqlite3_column_blob(b, col);
        int n = sqlite3_column_bytes(a, col);
        return n == sqlite3_column_bytes(b, col) && (n == 0 || memcmp(pa, pb, (size_t)n) == 0);
    }
    }
}

/* Two blobs of the same column: where they part, appended to the new value's text. */
static void replay_blob_where(sqlite3_stmt *a, sqlite3_stmt *b, int col, replay_diff_t *d)
{
    if (sqlite3_column_type(a, col) != SQLITE_BLOB || sqlite3_column_type(b, col) != SQLITE_BLOB) {
        return;
    }
    const unsigned char *pa = sqlite3_column_blob(a, col);
    const unsigned char *pb = sqlite3_column_blob(b, col);
    int na = sqlite3_column_bytes(a, col), nb = sqlite3_column_bytes(b, col);
    int i = 0;
    while (i < na && i < nb && pa[i] == pb[i]) {
        i++;
    }
    size_t w = strlen(d->now);
    if (i < na && i < nb) {
        snprintf(d->now + w, sizeof(d->now) - w,
                 " (first difference at byte %d: stored 0x%02x, new 0x%02x)", i, pa[i], pb[i]);
    } else {
        snprintf(d->now + w, sizeof(d->now) - w, " (equal for the first %d bytes)", i);
    }
}

/* "seq=3 t_us=120 kind=\"prepare\" ...": a row that only one side has. */
static void replay_row_text(sqlite3_stmt *st, char *buf, size_t len)
{
    size_t w = 0;
    buf[0] = '\0';
    for (int c = 0; c < sqlite3_column_count(st) && w + 1 < len; c++) {
        char v[160];
        replay_value(st, c, v, sizeof(v));
        int n = snprintf(buf + w, len - w, "%s%s=%s", c ? " " : "", sqlite3_column_name(st, c), v);
        w = n < 0 ? len : w + (size_t)n;
    }
}

static void replay_where(const replay_table_t *t, sqlite3_stmt *row, uint64_t pos, char *buf,
                         size_t len)
{
    if (t->key != NULL) {
        snprintf(buf, len, "%s %s %lld", t->name, t->key, (long long)sqlite3_column_int64(row, 0));
    } else if (strcmp(t->name, "outcome") == 0) {
        snprintf(buf, len, "runs (outcome and metrics)");
    } else {
        snprintf(buf, len, "%s #%" PRIu64, t->name, pos);
    }
}

/* Compares one table; returns 1 at the first difference (d filled), 0 equal, -1 error. */
static int replay_table(const replay_table_t *t, sqlite3 *old_db, int64_t old_id, sqlite3 *new_db,
                        int64_t new_id, uint64_t *rows, replay_diff_t *d)
{
    sqlite3_stmt *a = NULL, *b = NULL;
    char sql[512], cols[400];
    if (t->sql != NULL) {
        snprintf(sql, sizeof(sql), "%s", t->sql);
    } else if (chunksim_rec_trace_columns(t->name, cols, sizeof(cols)) > 0) {
        snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE run_id = ?1 ORDER BY seq", cols,
                 t->name);
    } else {
        fprintf(stderr, "chunksim replay: the recorder does not describe table %s\n", t->name);
        return -1;
    }
    if (sqlite3_prepare_v2(old_db, sql, -1, &a, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(new_db, sql, -1, &b, NULL) != SQLITE_OK) {
        fprintf(stderr, "chunksim replay: reading %s: %s\n", t->name,
                sqlite3_errmsg(a == NULL ? old_db : new_db));
        sqlite3_finalize(a);
        return -1;
    }
    sqlite3_bind_int64(a, 1, old_id);
    sqlite3_bind_int64(b, 1, new_id);
    int rc = 0;
    *rows = 0;
    for (;;) {
        int sa = sqlite3_step(a), sb = sqlite3_step(b);
        if ((sa != SQLITE_ROW && sa != SQLITE_DONE) || (sb != SQLITE_ROW && sb != SQLITE_DONE)) {
            fprintf(stderr, "chunksim replay: reading %s: %s\n", t->name,
                    sqlite3_errmsg(sa != SQLITE_ROW && sa != SQLITE_DONE ? old_db : new_db));
            rc = -1;
            break;
        }
        if (sa == SQLITE_DONE && sb == SQLITE_DONE) {
            break;
        }
        if (sa != sb) { /* a row only one side has */
            sqlite3_stmt *has = sa == SQLITE_ROW ? a : b;
            replay_where(t, has, *rows + 1, d->where, sizeof(d->where));
            snprintf(d->field, sizeof(d->field), "(row)");
            char text[sizeof(d->stored) - 8];
            replay_row_text(has, text, sizeof(text));
            snprintf(sa == SQLITE_ROW ? d->stored : d->now, sizeof(d->stored), "%s", text);
            snprintf(sa == SQLITE_ROW ? d->now : d->stored, sizeof(d->now), "no such row");
            rc = 1;
            break;
        }
        for (int c = 0; c < sqlite3_column_count(a) && rc == 0; c++) {
            if (!replay_same(a, b, c)) {
                replay_where(t, a, *rows + 1, d->where, sizeof(d->where));
                snprintf(d->field, sizeof(d->field), "%s", sqlite3_column_name(a, c));
                replay_value(a, c, d->stored, sizeof(d->stored));
                replay_value(b, c, d->now, sizeof(d->now));
                replay_blob_where(a, b, c, d);
                rc = 1;
            }
        }
        if (rc != 0) {
            break;
        }
        (*rows)++;
    }
    sqlite3_finalize(a);
    sqlite3_finalize(b);
    return rc;
}

/* ---- one run ---- */

/* Why a stored run cannot be re-executed at all, or NULL. */
static const char *replay_refusal(const replay_args_t *a, const dbread_run_t *run, char *buf,
                                  size_t len)
{
    if (strcmp(run->status, "finished") != 0) {
        snprintf(buf, len,
                 "it did not finish (status %s): its trace stops where the recording did, and "
                 "no re-run stops there",
                 run->status);
    } else if (strcmp(run->mode, "realtime") == 0 && !a->force_virtual) {
        snprintf(buf, len,
                 "it ran in realtime mode: its times were measured, and measured time never "
                 "replays identically (--mode virtual re-runs it on the simulated clock and "
                 "shows where the two differ)");
    } else if (run->glue != NULL) {
        snprintf(buf, len, "it ran user glue '%s', which replay cannot load", run->glue);
    } else if (chunksim_reader_lookup(run->reader) == NULL) {
        snprintf(buf, len, "it ran reader '%s', which is not built into chunksim", run->reader);
    } else {
        return NULL;
    }
    return buf;
}

/* The stored text reloaded, then the run's own seed, mode and reader on top. */
static int replay_scenario(const replay_args_t *a, const dbread_run_t *run, chunksim_scenario_t *sc)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    int rc = chunksim_scenario_load_string(sc, run->config_text, run->scenario, a->base_dir, err,
                                           sizeof(err));
    if (rc < 0) {
        if (rc == -EINVAL || rc == -ENOMEM) {
            fprintf(stderr,
                    "chunksim replay: run %" PRId64 ": its stored scenario does not load: %s\n",
                    run->run_id, err);
        } else {
            fprintf(stderr,
                    "chunksim replay: run %" PRId64
                    ": the scenario names a file that is gone or unreadable (relative paths "
                    "resolve against %s; see --base-dir): %s\n",
                    run->run_id, a->base_dir ? a->base_dir : "the current directory", err);
        }
        return -1;
    }
    for (int k = CHUNKSIM_READER_SYNC; k <= CHUNKSIM_READER_DOUBLE; k++) {
        if (strcmp(run->reader, chunksim_reader_kind_name((chunksim_reader_kind_t)k)) == 0) {
            sc->reader.kind = (chunksim_reader_kind_t)k;
        }
    }
    sc->run.seed = run->seed;
    sc->run.mode = CHUNKSIM_SCHED_VIRTUAL;
    snprintf(sc->run.name, sizeof(sc->run.name), "%s", run->scenario);
    rc = chunksim_scenario_validate(sc, err, sizeof(err));
    if (rc == 0) {
        rc = cli_apply_latencies(sc, a->latencies_from, err, sizeof(err));
    } else {
        chunksim_scenario_free(sc);
    }
    if (rc < 0) {
        fprintf(stderr, "chunksim replay: run %" PRId64 ": %s\n", run->run_id, err);
        return -1;
    }
    return 0;
}

/* A yes/no question about run ?1; fallback when it cannot be read. */
static bool replay_ask(sqlite3 *db, const char *sql, int64_t run_id, bool fallback)
{
    sqlite3_stmt *st;
    bool yes = fallback;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            yes = sqlite3_column_int(st, 0) != 0;
        }
    }
    sqlite3_finalize(st);
    return yes;
}

/* Whether the run has any trace row (a run recorded with --no-trace has none). */
static bool replay_traced(sqlite3 *db, int64_t run_id)
{
    /* On a read error, compare everything and let that report it. */
    return replay_ask(db,
                      "SELECT EXISTS (SELECT 1 FROM calls WHERE run_id = ?1) OR EXISTS "
                      "(SELECT 1 FROM flash_ops WHERE run_id = ?1) OR EXISTS (SELECT 1 "
                      "FROM chunks WHERE run_id = ?1)",
                      run_id, true);
}

/* Whether the run's coredump image was stored (--no-trace, --trace none store none). */
static bool replay_has_image(sqlite3 *db, int64_t run_id)
{
    return replay_ask(db, "SELECT image_id IS NOT NULL FROM runs WHERE run_id = ?1", run_id, true);
}

static int replay_compare(const dbread_run_t *run, sqlite3 *old_db, sqlite3 *new_db, int64_t new_id,
                          const char *new_path, bool scratch)
{
    uint64_t rows[REPLAY_TABLES] = {0};
    replay_diff_t d = {0};
    /* Without a stored trace only the outcome can be compared; say so rather than fail. */
    bool outcome_only = !replay_traced(old_db, run->run_id) && replay_traced(new_db, new_id);
    for (int t = outcome_only ? REPLAY_VIOLATIONS : 0; t < REPLAY_TABLES; t++) {
        int rc = replay_table(&replay_tables[t], old_db, run->run_id, new_db, new_id, &rows[t], &d);
        if (rc < 0) {
            return CLI_EXIT_USAGE;
        }
        if (rc == 0) {
            continue;
        }
        printf("run %" PRId64 " diverges: %s, field %s: stored %s, new %s\n", run->run_id, d.where,
               d.field, d.stored, d.now);
        printf("  (the %" PRIu64 " %s row%s before it are equal; recorded by chunksim %s, "
               "replayed by %s; %s)\n",
               rows[t], replay_tables[t].name, rows[t] == 1 ? "" : "s",
               run->tool_version ? run->tool_version : "?", CHUNKSIM_VERSION,
               scratch ? "--keep FILE keeps the new trace" : new_path);
        return CLI_EXIT_FAILED;
    }
    if (outcome_only) {
        printf("run %" PRId64 " replays identically in outcome and metrics (it was recorded "
               "without its trace, --no-trace: calls, flash ops and chunks not compared)\n",
               run->run_id);
    } else {
        printf("run %" PRId64 " replays identically: %" PRIu64 " calls, %" PRIu64
               " flash ops, %" PRIu64 " chunks\n",
               run->run_id, rows[REPLAY_CALLS], rows[REPLAY_FLASH_OPS], rows[REPLAY_CHUNKS]);
    }
    return CLI_EXIT_OK;
}

/* Replays run_id; *skipped when --all passes over a run that cannot replay. */
static int replay_one(const replay_args_t *a, sqlite3 *old_db, int64_t run_id, replay_sink_t *sink,
                      bool *skipped)
{
    dbread_run_t run;
    char err[512];
    int rc = dbread_run_get(old_db, run_id, &run, err, sizeof(err));
    if (rc != 0) {
        if (rc > 0) {
            snprintf(err, sizeof(err), "no run %" PRId64 " in %s", run_id, a->db_path);
        }
        fprintf(stderr, "chunksim replay: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    char why[512];
    if (replay_refusal(a, &run, why, sizeof(why)) != NULL) {
        fprintf(stderr, "chunksim replay: run %" PRId64 " cannot replay: %s\n", run_id, why);
        *skipped = a->all;
        dbread_run_free(&run);
        return a->all ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    chunksim_scenario_t sc;
    if (replay_scenario(a, &run, &sc) < 0) {
        dbread_run_free(&run);
        return CLI_EXIT_USAGE;
    }
    /* A run recorded without its image is replayed without it: the image is not compared. */
    chunksim_run_options_t opts = {.rec = &sink->rec,
                                   .record_rows = true,
                                   .no_image = !replay_has_image(old_db, run_id),
                                   .log = a->quiet ? NULL : stderr};
    chunksim_run_result_t res;
    (void)chunksim_run(&sc, &opts, &res); /* a setup error is an outcome to compare too */
    chunksim_scenario_free(&sc);
    if (res.run_id == 0) {
        fprintf(stderr, "chunksim replay: run %" PRId64 ": the replay was not recorded: %s\n",
                run_id, res.reason);
        dbread_run_free(&run);
        return CLI_EXIT_USAGE;
    }
    rc = replay_compare(&run, old_db, chunksim_rec_db(&sink->rec), res.run_id, sink->path,
                        sink->scratch);
    dbread_run_free(&run);
    return rc;
}

static int replay_all(const replay_args_t *a, sqlite3 *db, replay_sink_t *sink)
{
    int64_t *ids;
    size_t n;
    char err[512];
    if (report_run_ids(db, &ids, &n, err, sizeof(err)) < 0) {
        fprintf(stderr, "chunksim replay: %s: %s\n", a->db_path, err);
        return CLI_EXIT_USAGE;
    }
    size_t same = 0, diverged = 0, skipped = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        bool skip = false;
        int rc = replay_one(a, db, ids[i], sink, &skip);
        skipped += skip;
        same += rc == CLI_EXIT_OK && !skip;
        diverged += rc == CLI_EXIT_FAILED;
        failed += rc == CLI_EXIT_USAGE;
    }
    free(ids);
    printf("%zu run(s): %zu identical, %zu diverged, %zu skipped, %zu could not replay\n", n, same,
           diverged, skipped, failed);
    return failed > 0 ? CLI_EXIT_USAGE : diverged > 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

static int replay_main(const cli_call_t *call)
{
    replay_args_t *a = call->own;
    chunksim_rec_t old;
    char err[512];
    if (dbread_open(&old, a->db_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "chunksim replay: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    replay_sink_t sink;
    if (replay_sink_open(&sink, a->keep_path) < 0) {
        chunksim_rec_close(&old);
        return CLI_EXIT_USAGE;
    }
    bool skipped = false;
    int rc = a->all ? replay_all(a, chunksim_rec_db(&old), &sink)
                    : replay_one(a, chunksim_rec_db(&old), a->run_id, &sink, &skipped);
    replay_sink_close(&sink);
    chunksim_rec_close(&old);
    return rc;
}

int cli_replay(int argc, char **argv)
{
    replay_args_t a = {0};
    return cli_command_main(&replay_command, argc, argv, NULL, &a);
}
