/*
 * chunksim replay, diff and --latencies-from, through the built binary: every
 * starter scenario replays identically, a changed parameter is reported at
 * the right first divergence, a trace-driven run shows the recorded
 * latencies, and diff flags an injected regression but not an unchanged run.
 */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"

#include <sqlite3.h>

/* Small runs: the whole suite stays fast. */
#define SMALL "--set coredump.size_bytes=8KiB --set link.att_mtu=247"

static char tmpdir[256];
static char starter_db[300]; /* every starter scenario, recorded once for the suite */
static int starter_runs;

static char out[1 << 16]; /* the last command's stdout and stderr */

/* Runs a shell command (stderr folded into stdout); returns its exit status. */
__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
    FILE *p = popen(cmd, "r");
    if (p == NULL) {
        return -1;
    }
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect(int status, int want, const char *needle)
{
    if (status != want || (needle != NULL && strstr(out, needle) == NULL)) {
        fail_msg("exit %d (wanted %d), output lacks \"%s\":\n%s", status, want,
                 needle ? needle : "", out);
    }
}

static void tmp_path(char *dst, size_t n, const char *name)
{
    snprintf(dst, n, "%s/%s", tmpdir, name);
}

/* A copy of the starter recording to tamper with. */
static void starter_copy(char *dst, size_t n, const char *name)
{
    tmp_path(dst, n, name);
    assert_int_equal(sh("cp '%s' '%s'", starter_db, dst), 0);
}

/* The run id of a starter scenario in the starter recording. */
static int64_t starter_run(const char *scenario)
{
    char text[300];
    snprintf(text, sizeof(text),
             "SELECT run_id FROM runs JOIN scenarios USING (scenario_id) WHERE name = '%s'",
             scenario);
    return chunksim_test_sql_row(starter_db, text);
}

/*
 * A copy of the starter recording, named name, in which the statement update
 * (each %lld in it the run id) has changed the run of scenario; returns that id.
 */
static int64_t tampered_copy(char *db, size_t n, const char *name, const char *scenario,
                             const char *update)
{
    char text[400];
    starter_copy(db, n, name);
    const long long id = starter_run(scenario);
    snprintf(text, sizeof(text), update, id, id);
    chunksim_test_sql_exec(db, text);
    return id;
}

/* `chunksim replay -q` of run id in db exits with status, its output holding want. */
static void expect_replay(const char *db, int64_t id, int status, const char *want)
{
    expect(sh("'%s' replay --db '%s' --run %lld -q", CHUNKSIM_BIN, db, (long long)id), status,
           want);
}

/* `chunksim run` of the starter ble_default.ini, small, with flags, into db: it passes. */
static void record_ble_default(const char *db, const char *flags)
{
    expect(sh("'%s' run '%s/ble_default.ini' --db '%s' -q " SMALL " %s", CHUNKSIM_BIN,
              SCENARIO_LIBRARY_DIR, db, flags),
           0, NULL);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/chunksim-test-replay-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        return -1;
    }
    tmp_path(starter_db, sizeof(starter_db), "starter.db");
    glob_t g;
    char pattern[512];
    snprintf(pattern, sizeof(pattern), "%s/*.ini", SCENARIO_LIBRARY_DIR);
    if (glob(pattern, 0, NULL, &g) != 0) {
        return -1;
    }
    starter_runs = (int)g.gl_pathc;
    globfree(&g);
    /* Some starter runs do not pass (expect still to calibrate): exit 1 is fine here. */
    int rc = sh("'%s' run %s --db '%s' -q " SMALL, CHUNKSIM_BIN, pattern, starter_db);
    if (rc != 0 && rc != 1) {
        fprintf(stderr, "%s", out);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    return sh("rm -rf '%s'", tmpdir) == 0 ? 0 : -1;
}

/* ---- replay ---- */

static void every_starter_scenario_replays_identically(void **state)
{
    (void)state;
    assert_ge(starter_runs, 14);
    assert_int_equal(chunksim_test_sql_row(starter_db, "SELECT count(*) FROM runs"), starter_runs);
    for (int id = 1; id <= starter_runs; id++) {
        char want[64];
        snprintf(want, sizeof(want), "run %d replays identically: ", id);
        expect(sh("'%s' replay --db '%s' --run %d -q", CHUNKSIM_BIN, starter_db, id), 0, want);
    }
    char want[64];
    snprintf(want, sizeof(want), "%d run(s): %d identical, 0 diverged", starter_runs, starter_runs);
    expect(sh("'%s' replay --db '%s' --all -q", CHUNKSIM_BIN, starter_db), 0, want);
}

static void a_row_missing_on_either_side_is_a_divergence(void **state)
{
    (void)state;
    char db[300];
    int64_t id =
        tampered_copy(db, sizeof(db), "rows.db", "ble_default",
                      "UPDATE chunk_blocks SET chunks = json_remove(chunks, '$[#-1]') WHERE run_id "
                      "= %lld AND seq = (SELECT max(seq) FROM chunk_blocks WHERE run_id = %lld)");
    expect_replay(db, id, 1, "field (row): stored no such row, new seq=");
    /* A stored row the replay does not make. */
    char text[300];
    int64_t other = starter_run("sync_baseline");
    snprintf(text, sizeof(text),
             "INSERT INTO call_blocks (run_id, seq, calls) VALUES (%lld, 100000, "
             "'[[1,\"cancel\",null,0,null,null,null]]')",
             (long long)other);
    chunksim_test_sql_exec(db, text);
    expect_replay(db, other, 1, "diverges: calls seq 100000, field (row): stored seq=100000");
    assert_non_null(strstr(out, "new no such row"));
}

/* A change of the stored run that the replay names: copy, scenario and update as
 * tampered_copy() takes them; the replay diverges saying want (and also, unless NULL). */
typedef struct divergence_case {
    const char *name;
    const char *copy, *scenario, *update;
    const char *want, *also;
} divergence_case_t;

static const divergence_case_t divergence_cases[] = {
    {"a_changed_mtu_diverges_first_at_the_chunk_size_asked_for", "mtu.db", "ble_default",
     "UPDATE scenarios SET config_text = replace(config_text, "
     "'link.att_mtu=247', 'link.att_mtu=185') WHERE scenario_id = "
     "(SELECT scenario_id FROM runs WHERE run_id = %lld)",
     "diverges: calls seq 1, field arg: stored 244, new 182", NULL},
    /* No fault and no random latency: calls and flash ops are the same, the bytes are not. */
    {"a_changed_seed_diverges_first_at_the_chunk_bytes", "seed.db", "ble_default",
     "UPDATE runs SET seed = 5 WHERE run_id = %lld",
     "diverges: chunks seq 1, field data: stored 244 bytes", "first difference at byte"},
    {"a_changed_flash_latency_is_named_by_table_seq_and_field", "latency.db", "ble_default",
     "UPDATE flash_ops SET latency_us = latency_us + 1 WHERE run_id = %lld AND seq = 2",
     "diverges: flash_ops seq 2, field latency_us: stored 657, new 656", NULL},
    {"a_changed_outcome_is_a_divergence", "outcome.db", "double_buffer",
     "UPDATE runs SET drain_us = drain_us + 1 WHERE run_id = %lld",
     "diverges: runs (outcome and metrics), field drain_us", NULL},
};

static void a_divergence_case(void **state)
{
    const divergence_case_t *c = *state;
    char db[300];
    int64_t id = tampered_copy(db, sizeof(db), c->copy, c->scenario, c->update);
    expect_replay(db, id, 1, c->want);
    if (c->also != NULL)
        chunksim_test_assert_contains(out, c->also);
}

static void a_realtime_run_is_refused_unless_replayed_virtually(void **state)
{
    (void)state;
    char db[300];
    int64_t id = tampered_copy(db, sizeof(db), "realtime.db", "qspi_fast",
                               "UPDATE runs SET mode = 'realtime' WHERE run_id = %lld");
    expect_replay(db, id, 2, "realtime mode");
    /* It was in fact simulated: on the simulated clock it replays identically. */
    expect(
        sh("'%s' replay --db '%s' --run %lld --mode virtual -q", CHUNKSIM_BIN, db, (long long)id),
        0, "replays identically");
    expect(sh("'%s' replay --db '%s' --run %lld --mode realtime", CHUNKSIM_BIN, db, (long long)id),
           2, "only 'virtual'");
    /* --all passes over it. */
    expect(sh("'%s' replay --db '%s' --all -q", CHUNKSIM_BIN, db), 0, "1 skipped");
}

static void a_file_the_scenario_names_that_is_gone_is_named(void **state)
{
    (void)state;
    char dir[300], db[320];
    tmp_path(dir, sizeof(dir), "files");
    snprintf(db, sizeof(db), "%s/files.db", dir);
    assert_int_equal(sh("mkdir -p '%s' && printf 'latency_us\\n500\\n700\\n' > '%s/lat.csv' && "
                        "printf '[flash]\\nread_latency = trace:lat.csv\\n' > '%s/t.ini'",
                        dir, dir, dir),
                     0);
    expect(sh("'%s' run '%s/t.ini' --db '%s' -q " SMALL, CHUNKSIM_BIN, dir, db), 0, NULL);
    expect(sh("'%s' replay --db '%s' --run 1 --base-dir '%s' -q", CHUNKSIM_BIN, db, dir), 0,
           "replays identically");
    assert_int_equal(sh("rm '%s/lat.csv'", dir), 0);
    expect(sh("'%s' replay --db '%s' --run 1 --base-dir '%s' -q", CHUNKSIM_BIN, db, dir), 2,
           "lat.csv: No such file or directory");
    assert_non_null(strstr(out, "names a file that is gone"));
}

static void runs_that_cannot_replay_are_refused_with_the_reason(void **state)
{
    (void)state;
    static const struct {
        const char *update;
        const char *why;
    } cases[] = {
        {"UPDATE runs SET status = 'interrupted', outcome = 'incomplete' WHERE run_id = 1",
         "did not finish (status interrupted)"},
        {"UPDATE runs SET glue = 'vendor_port' WHERE run_id = 1", "user glue 'vendor_port'"},
        {"UPDATE runs SET reader = 'fancy' WHERE run_id = 1", "reader 'fancy'"},
        {"UPDATE scenarios SET config_text = '[bogus]' WHERE scenario_id = (SELECT scenario_id "
         "FROM runs WHERE run_id = 1)",
         "stored scenario does not load"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char db[300], name[32];
        snprintf(name, sizeof(name), "refused%zu.db", i);
        starter_copy(db, sizeof(db), name);
        chunksim_test_sql_exec(db, cases[i].update);
        expect(sh("'%s' replay --db '%s' --run 1 -q", CHUNKSIM_BIN, db), 2, cases[i].why);
    }
}

static void bad_arguments_and_inputs_exit_2(void **state)
{
    (void)state;
    expect(sh("'%s' replay --db '%s' --run 9999", CHUNKSIM_BIN, starter_db), 2, "no run 9999");
    expect(sh("'%s' replay --db '%s/absent.db' --run 1", CHUNKSIM_BIN, tmpdir), 2, "absent.db");
    expect(sh("'%s' replay --db '%s'", CHUNKSIM_BIN, starter_db), 2, "--run ID or --all");
    expect(sh("'%s' replay --run 1", CHUNKSIM_BIN), 2, "--db FILE is required");
    expect(sh("'%s' replay --db x --run one", CHUNKSIM_BIN), 2, "expected a run id");
    expect(sh("'%s' replay --help", CHUNKSIM_BIN), 0, "usage: chunksim replay");
    char bad[300];
    tmp_path(bad, sizeof(bad), "not-a-db.txt");
    assert_int_equal(sh("echo hello > '%s'", bad), 0);
    expect(sh("'%s' replay --db '%s' --run 1", CHUNKSIM_BIN, bad), 2, "not-a-db.txt");
}

static void a_run_recorded_without_its_trace_is_compared_by_outcome(void **state)
{
    (void)state;
    char db[300];
    tmp_path(db, sizeof(db), "notrace.db");
    record_ble_default(db, "--no-trace");
    expect(sh("'%s' replay --db '%s' --run 1 -q", CHUNKSIM_BIN, db), 0,
           "replays identically in outcome and metrics");
    chunksim_test_sql_exec(db, "UPDATE runs SET waits = waits + 1");
    expect(sh("'%s' replay --db '%s' --run 1 -q", CHUNKSIM_BIN, db), 1, "field waits");
}

static void keep_records_the_replay_into_a_file(void **state)
{
    (void)state;
    char keep[300];
    tmp_path(keep, sizeof(keep), "kept.db");
    expect(sh("'%s' replay --db '%s' --run 1 --keep '%s' -q", CHUNKSIM_BIN, starter_db, keep), 0,
           "replays identically");
    assert_int_equal(chunksim_test_sql_row(keep, "SELECT count(*) FROM runs"), 1);
}

/* ---- --latencies-from ---- */

static void trace_driven_run_shows_the_recorded_latencies(void **state)
{
    (void)state;
    char db[300];
    tmp_path(db, sizeof(db), "trace.db");
    record_ble_default(db,
                       "--set coredump.size_bytes=16KiB --set flash.read_latency=lognormal:700,0.5 "
                       "--set flash.erase_latency=uniform:30000,60000");
    expect(sh("'%s' run '%s/ble_default.ini' --db '%s' -q " SMALL
              " --set coredump.size_bytes=16KiB --seed 9 --latencies-from '%s:1'",
              CHUNKSIM_BIN, SCENARIO_LIBRARY_DIR, db, db),
           0, NULL);
    assert_true(chunksim_test_sql_row(
                    db, "SELECT count(DISTINCT latency_us) FROM flash_ops WHERE run_id = 1 "
                        "AND kind = 'read'") > 2);
    assert_int_equal(chunksim_test_sql_row(db, "SELECT count(*) FROM flash_ops WHERE run_id = 1"),
                     chunksim_test_sql_row(db, "SELECT count(*) FROM flash_ops WHERE run_id = 2"));
    assert_int_equal(
        chunksim_test_sql_row(db, "SELECT count(*) FROM flash_ops a JOIN flash_ops b USING (seq) "
                                  "WHERE a.run_id = 1 AND b.run_id = 2 AND (a.kind <> b.kind OR "
                                  "a.latency_us <> b.latency_us)"),
        0);
    /* Its replay needs the same trace: without it the model draws again. */
    expect(sh("'%s' replay --db '%s' --run 2 -q", CHUNKSIM_BIN, db), 1,
           "diverges: calls seq 2, field t_us");
    expect(sh("'%s' replay --db '%s' --run 2 -q --latencies-from '%s:1'", CHUNKSIM_BIN, db, db), 0,
           "replays identically");
}

static void csv_latencies_drive_the_flash_and_bad_rows_are_named_by_line(void **state)
{
    (void)state;
    char db[300], csv[300];
    tmp_path(db, sizeof(db), "csv.db");
    tmp_path(csv, sizeof(csv), "board.csv");
    assert_int_equal(sh("printf 'op,kind,latency_us,fault\\n0,read,1000,\\n1,read,2000,"
                        "read_error\\n2,read,3000,\\n3,erase,50000,\\n' > '%s'",
                        csv),
                     0);
    expect(sh("'%s' run '%s/ble_default.ini' --db '%s' -q " SMALL " --latencies-from '%s'",
              CHUNKSIM_BIN, SCENARIO_LIBRARY_DIR, db, csv),
           0, NULL);
    /* Reads take 1000, 2000 (failing), 3000, then the list again from the top. */
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT group_concat(latency_us || ':' || "
                                        "coalesce(fault, '-'), ',') FROM (SELECT * FROM flash_ops "
                                        "WHERE kind = 'read' ORDER BY seq LIMIT 4)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0),
                        "1000:-,2000:read_error,3000:-,1000:-");
    sqlite3_finalize(st);
    sqlite3_close(h);
    assert_int_equal(
        chunksim_test_sql_row(db, "SELECT latency_us FROM flash_ops WHERE kind LIKE 'erase%'"),
        50000);

    assert_int_equal(
        sh("printf 'op,kind,latency_us,fault\\n0,read,1000,\\n1,read,fast,\\n' > '%s'", csv), 0);
    expect(sh("'%s' run '%s/ble_default.ini' --db '' -q --latencies-from '%s'", CHUNKSIM_BIN,
              SCENARIO_LIBRARY_DIR, csv),
           2, "board.csv:3: latency_us 'fast'");
    expect(sh("'%s' run '%s/ble_default.ini' --db '' -q --latencies-from nowhere", CHUNKSIM_BIN,
              SCENARIO_LIBRARY_DIR),
           2, "expected DB:RUN");
}

/* ---- diff ---- */

static void diff_of_a_recording_with_itself_finds_nothing(void **state)
{
    (void)state;
    char want[100];
    snprintf(want, sizeof(want),
             "%d run(s) matched (0 changed), 0 only in BASE, 0 only in NEW: 0 "
             "regression(s)",
             starter_runs);
    expect(sh("'%s' diff '%s' '%s'", CHUNKSIM_BIN, starter_db, starter_db), 0, want);
    expect(sh("'%s' diff '%s' '%s' --all", CHUNKSIM_BIN, starter_db, starter_db), 0, "(unchanged)");
}

static void diff_flags_a_slower_flash_as_a_regression(void **state)
{
    (void)state;
    char base[300], slow[300];
    tmp_path(base, sizeof(base), "base.db");
    tmp_path(slow, sizeof(slow), "slow.db");
    expect(sh("'%s' run '%s/ble_default.ini' '%s/sync_baseline.ini' --db '%s' -q " SMALL,
              CHUNKSIM_BIN, SCENARIO_LIBRARY_DIR, SCENARIO_LIBRARY_DIR, base),
           0, NULL);
    expect(sh("'%s' run '%s/ble_default.ini' '%s/sync_baseline.ini' --db '%s' -q " SMALL
              " --set flash.bus_clock_hz=200kHz",
              CHUNKSIM_BIN, SCENARIO_LIBRARY_DIR, SCENARIO_LIBRARY_DIR, slow),
           0, NULL);
    expect(sh("'%s' diff '%s' '%s'", CHUNKSIM_BIN, base, slow), 1, "REGRESSION (limit 5%");
    assert_non_null(strstr(out, "drain_us"));
    assert_non_null(strstr(out, "2 run(s) matched (2 changed)"));
    /* The other way round it drains faster (better); efficiency, measured against a bound
     * that a faster flash lowers, drops: that one is judged by its own flag. */
    expect(sh("'%s' diff '%s' '%s' --max-efficiency-drop off", CHUNKSIM_BIN, slow, base), 0,
           "better");
    /* Thresholds are the flags': off everywhere, the change is reported but passes. */
    expect(sh("'%s' diff '%s' '%s' --max-drain-increase off --max-throughput-drop off "
              "--max-efficiency-drop off",
              CHUNKSIM_BIN, base, slow),
           0, "worse");
    expect(sh("'%s' diff '%s' '%s' --max-drain-increase 100000%% --max-throughput-drop 100 "
              "--max-efficiency-drop 1",
              CHUNKSIM_BIN, base, slow),
           0, "0 regression(s)");
}

static void diff_flags_an_outcome_that_is_no_longer_expected(void **state)
{
    (void)state;
    char base[300], lost[300];
    tmp_path(base, sizeof(base), "base-outcome.db");
    tmp_path(lost, sizeof(lost), "lost.db");
    record_ble_default(base, "");
    expect(sh("'%s' run '%s/ble_default.ini' --db '%s' -q " SMALL
              " --set link.disconnect_after_chunk=last",
              CHUNKSIM_BIN, SCENARIO_LIBRARY_DIR, lost),
           1, NULL);
    expect(sh("'%s' diff '%s' '%s'", CHUNKSIM_BIN, base, lost), 1, "outcome");
    assert_non_null(strstr(out, "REGRESSION (no longer the expected outcome)"));
    /* Coming back to ok is better. */
    expect(sh("'%s' diff '%s' '%s'", CHUNKSIM_BIN, lost, base), 0, "better");
}

static void diff_lists_runs_found_in_one_recording_only(void **state)
{
    (void)state;
    char one[300];
    tmp_path(one, sizeof(one), "one.db");
    record_ble_default(one, "");
    char want[100];
    snprintf(want, sizeof(want), "1 run(s) matched (0 changed), %d only in BASE, 0 only in NEW",
             starter_runs - 1);
    expect(sh("'%s' diff '%s' '%s'", CHUNKSIM_BIN, starter_db, one), 0, want);
    assert_non_null(strstr(out, "only in BASE"));
    expect(sh("'%s' diff '%s' '%s'", CHUNKSIM_BIN, one, starter_db), 0, "only in NEW");
}

/* Two cells of one file share scenario name and seed: only the case id tells them apart. */
static void diff_matches_matrix_runs_by_case(void **state)
{
    (void)state;
    char ini[300], a[300], b[300];
    tmp_path(ini, sizeof(ini), "cells.ini");
    tmp_path(a, sizeof(a), "cells-a.db");
    tmp_path(b, sizeof(b), "cells-b.db");
    FILE *f = fopen(ini, "w");
    assert_non_null(f);
    fputs("[run]\nname = cells\n[coredump]\nsize_bytes = 8KiB\n[link]\natt_mtu = 247\n"
          "[matrix]\nlink.disconnect_after_chunk = never | last\n",
          f);
    fclose(f);
    expect(sh("'%s' matrix '%s' --db '%s' -q", CHUNKSIM_BIN, ini, a), 1, NULL);
    expect(sh("'%s' matrix '%s' --db '%s' -q", CHUNKSIM_BIN, ini, b), 1, NULL);
    expect(sh("'%s' diff '%s' '%s'", CHUNKSIM_BIN, a, b), 0,
           "2 run(s) matched (0 changed), 0 only in BASE, 0 only in NEW: 0 regression");
    chunksim_test_sql_exec(
        b, "UPDATE runs SET outcome = 'lost' WHERE case_cell = 'disconnect_after_chunk=never'");
    expect(sh("'%s' diff '%s' '%s'", CHUNKSIM_BIN, a, b), 1, "2 run(s) matched (1 changed)");
    assert_non_null(strstr(out, "REGRESSION (no longer the expected outcome)  case "));
    assert_non_null(strstr(out, " [disconnect_after_chunk=never]\n"));
    assert_null(strstr(out, " [disconnect_after_chunk=last]\n"));
    /* Against a recording without case ids the old key applies, and says so. */
    expect(sh("'%s' diff '%s' '%s'", CHUNKSIM_BIN, starter_db, b), 0, "only NEW has case ids");
}

static void diff_of_unreadable_input_exits_2(void **state)
{
    (void)state;
    expect(sh("'%s' diff '%s' '%s/absent.db'", CHUNKSIM_BIN, starter_db, tmpdir), 2, "absent.db");
    expect(sh("'%s' diff '%s'", CHUNKSIM_BIN, starter_db), 2, "expected two databases");
    expect(sh("'%s' diff a b --max-drain-increase lots", CHUNKSIM_BIN), 2,
           "--max-drain-increase lots");
    expect(sh("'%s' diff --help", CHUNKSIM_BIN), 0, "usage: chunksim diff");
}

CHUNKSIM_TEST_MAIN_GROUP({
    cmocka_unit_test(every_starter_scenario_replays_identically),
#define DIVERGENCE_CASE(i)                                                                         \
    {divergence_cases[i].name, a_divergence_case, NULL, NULL, (void *)&divergence_cases[i]}
    DIVERGENCE_CASE(0),
    DIVERGENCE_CASE(1),
    DIVERGENCE_CASE(2),
    cmocka_unit_test(a_row_missing_on_either_side_is_a_divergence),
    DIVERGENCE_CASE(3),
    cmocka_unit_test(a_realtime_run_is_refused_unless_replayed_virtually),
    cmocka_unit_test(a_file_the_scenario_names_that_is_gone_is_named),
    cmocka_unit_test(runs_that_cannot_replay_are_refused_with_the_reason),
    cmocka_unit_test(bad_arguments_and_inputs_exit_2),
    cmocka_unit_test(a_run_recorded_without_its_trace_is_compared_by_outcome),
    cmocka_unit_test(keep_records_the_replay_into_a_file),
    cmocka_unit_test(trace_driven_run_shows_the_recorded_latencies),
    cmocka_unit_test(csv_latencies_drive_the_flash_and_bad_rows_are_named_by_line),
    cmocka_unit_test(diff_of_a_recording_with_itself_finds_nothing),
    cmocka_unit_test(diff_flags_a_slower_flash_as_a_regression),
    cmocka_unit_test(diff_flags_an_outcome_that_is_no_longer_expected),
    cmocka_unit_test(diff_lists_runs_found_in_one_recording_only),
    cmocka_unit_test(diff_matches_matrix_runs_by_case),
    cmocka_unit_test(diff_of_unreadable_input_exits_2),
})
