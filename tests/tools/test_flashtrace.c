/*
 * Flash traces: a board's CSV is checked row by row (errors name the line),
 * a trace becomes trace latencies and one-shot fault rules, and a run driven
 * by the trace of a recorded run shows that run's flash latencies and faults.
 */
#include "chunksim/flashtrace.h"
#include "chunksim/recorder.h"
#include "chunksim/run.h"
#include "chunksim/scenario.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"
#include <sqlite3.h>

static char tmpdir[256];

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/chunksim-test-flashtrace-XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static void write_file(const char *path, const char *text)
{
    write_bytes(path, text, strlen(text));
}

static int64_t run_into(const chunksim_scenario_t *sc, const char *db)
{
    chunksim_run_result_t res = chunksim_test_run_recorded(sc, db);
    assert_gt(res.run_id, 0);
    return res.run_id;
}

/* Drives sc's flash latencies by the trace run run_id recorded in db. */
static void drive_by_trace(chunksim_scenario_t *sc, const char *db, int64_t run_id)
{
    char spec[320], err[CHUNKSIM_SCENARIO_ERR_BYTES];
    snprintf(spec, sizeof(spec), "%s:%lld", db, (long long)run_id);
    chunksim_flashtrace_t tr;
    if (chunksim_flashtrace_load(&tr, spec, err, sizeof(err)) != 0 ||
        chunksim_flashtrace_apply(&tr, sc, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
    chunksim_flashtrace_free(&tr);
}

/* ---- CSV ---- */

static void csv_loads_every_row_with_its_kind_latency_and_fault(void **state)
{
    (void)state;
    char path[300], err[512];
    tmp_path(path, sizeof(path), "good.csv");
    write_file(path, "\xEF\xBB\xBF# measured on board 7\r\n"
                     "addr,op,kind,latency_us,fault\r\n"
                     "0x0,0,read,656.4,\r\n"
                     "\r\n"
                     "0x1000,1,\"read\",700,read_error\r\n"
                     "0x0,2,erase_sector,45000,erase_fail\r\n"
                     "0x0,3,program,400,\r\n");
    chunksim_flashtrace_t tr;
    assert_int_equal(chunksim_flashtrace_load(&tr, path, err, sizeof(err)), 0);
    assert_int_equal(tr.count, 4);
    assert_string_equal(tr.source, path);
    assert_int_equal(tr.ops[0].kind, CHUNKSIM_FLASHTRACE_READ);
    assert_eq(tr.ops[0].latency_us, 656.4);
    assert_false(tr.ops[0].has_fault);
    assert_true(tr.ops[1].has_fault);
    assert_int_equal(tr.ops[1].fault, CHUNKSIM_FAULT_READ_ERROR);
    assert_int_equal(tr.ops[2].kind, CHUNKSIM_FLASHTRACE_ERASE);
    assert_int_equal(tr.ops[2].fault, CHUNKSIM_FAULT_ERASE_FAIL);
    assert_int_equal(tr.ops[3].kind, CHUNKSIM_FLASHTRACE_PROGRAM);
    chunksim_flashtrace_free(&tr);
}

/* Each bad CSV and the start of the message that must name its file and line. */
static const struct {
    const char *text;
    const char *line_prefix; /* after "<path>" */
    const char *what;
} bad_csvs[] = {
    {"op,kind,latency_us,fault\n0,read,12x,\n", ":2: latency_us '12x'", "not a latency"},
    {"op,kind,latency_us,fault\n0,read,-3,\n", ":2: latency_us '-3'", "number >= 0"},
    {"op,kind,latency_us,fault\n0,read,nan,\n", ":2: latency_us 'nan'", "not a latency"},
    {"op,kind,latency_us,fault\n0,read,5,\n\n1,write,5,\n", ":4: kind 'write'", "read, program"},
    {"op,kind,latency_us,fault\n0,read,5,\n2,read,5,\n", ":3: op '2': expected 1", "one row each"},
    {"op,kind,latency_us,fault\nx,read,5,\n", ":2: op 'x': expected 0", "issue order"},
    {"op,kind,latency_us,fault\n0,read,5,melted\n", ":2: fault 'melted'", "unknown"},
    {"op,kind,latency_us,fault\n0,read,5,erase_fail\n", ":2: fault erase_fail", "a read"},
    {"op,kind,latency_us,fault\n0,read,5,read_late\n", ":2: fault read_late", "latency_us"},
    {"op,kind,latency_us,fault\n0,read,5,stuck_bit\n", ":2: fault stuck_bit", "bitflip"},
    {"op,kind,latency_us,fault\n0,read,5\n", ":2: 3 fields, the header has 4", ""},
    {"op,kind,latency_us\n0,read,5\n", ":1: the header names no 'fault' column", "op,kind"},
    {"op,kind,latency_us,fault,op\n", ":1: the header names column 'op' twice", ""},
    {"# nothing\n\n", ": empty", "header line"},
    {"op,kind,latency_us,fault\n", ": no operations", "header"},
};

static void csv_errors_name_the_file_and_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_csvs) / sizeof(bad_csvs[0]); i++) {
        char path[300], err[1024], want[400];
        snprintf(want, sizeof(want), "bad%zu.csv", i);
        tmp_path(path, sizeof(path), want);
        write_file(path, bad_csvs[i].text);
        chunksim_flashtrace_t tr;
        int rc = chunksim_flashtrace_load(&tr, path, err, sizeof(err));
        snprintf(want, sizeof(want), "%s%s", path, bad_csvs[i].line_prefix);
        if (rc != -EINVAL || strncmp(err, want, strlen(want)) != 0 ||
            strstr(err, bad_csvs[i].what) == NULL) {
            fail_msg("case %zu: rc %d, message \"%s\", wanted \"%s...%s\"", i, rc, err, want,
                     bad_csvs[i].what);
        }
        assert_null(tr.ops);
    }
}

static void csv_with_too_many_fields_or_nul_bytes_is_refused(void **state)
{
    (void)state;
    char path[300], err[512], wide[400] = "";
    for (int i = 0; i < 70; i++) {
        snprintf(wide + strlen(wide), sizeof(wide) - strlen(wide), "c%d,", i);
    }
    strcat(wide, "op\n");
    tmp_path(path, sizeof(path), "wide.csv");
    write_file(path, wide);
    chunksim_flashtrace_t tr;
    assert_int_equal(chunksim_flashtrace_load(&tr, path, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "wide.csv:1: more than 64 fields"));

    tmp_path(path, sizeof(path), "nul.csv");
    write_bytes(path, "op,kind\0x\n", 11);
    assert_int_equal(chunksim_flashtrace_load(&tr, path, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "nul.csv: not a text file"));
}

static void csv_that_cannot_be_read_is_an_errno(void **state)
{
    (void)state;
    char path[300], err[512];
    tmp_path(path, sizeof(path), "absent.csv");
    chunksim_flashtrace_t tr;
    assert_int_equal(chunksim_flashtrace_load(&tr, path, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "absent.csv"));
}

static void spec_must_be_db_colon_run_or_csv(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "runs.db", "runs.db:", "runs.db:x1", "runs.db:0", ":4"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        chunksim_flashtrace_t tr;
        char err[512];
        assert_int_equal(chunksim_flashtrace_load(&tr, bad[i], err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "expected DB:RUN"));
    }
    chunksim_flashtrace_t tr;
    char err[512], db[300], spec[320];
    tmp_path(db, sizeof(db), "absent.db");
    snprintf(spec, sizeof(spec), "%s:3", db);
    assert_int_equal(chunksim_flashtrace_load(&tr, spec, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "absent.db"));
}

/* ---- into a scenario ---- */

static void apply_turns_latencies_into_traces_and_faults_into_one_shot_rules(void **state)
{
    (void)state;
    chunksim_flashtrace_op_t ops[] = {
        {.kind = CHUNKSIM_FLASHTRACE_READ, .latency_us = 600},
        {.kind = CHUNKSIM_FLASHTRACE_READ, .refused = true},
        {.kind = CHUNKSIM_FLASHTRACE_READ,
         .latency_us = 610,
         .has_fault = true,
         .fault = CHUNKSIM_FAULT_READ_ERROR},
        {.kind = CHUNKSIM_FLASHTRACE_ERASE,
         .latency_us = 45000,
         .has_fault = true,
         .fault = CHUNKSIM_FAULT_WEAR_OUT},
        {.kind = CHUNKSIM_FLASHTRACE_READ,
         .latency_us = 620,
         .has_fault = true,
         .fault = CHUNKSIM_FAULT_READ_LATE,
         .delay_us = 3000},
        {.kind = CHUNKSIM_FLASHTRACE_ERASE,
         .latency_us = 100,
         .has_fault = true,
         .fault = CHUNKSIM_FAULT_POWER_LOSS,
         .cut_us = 77777},
        {.kind = CHUNKSIM_FLASHTRACE_ERASE,
         .latency_us = 100,
         .has_fault = true,
         .fault = CHUNKSIM_FAULT_POWER_LOSS,
         .cut_us = 77777},
        {.kind = CHUNKSIM_FLASHTRACE_READ, .missing = true},
    };
    chunksim_flashtrace_t tr = {.ops = ops, .count = sizeof(ops) / sizeof(ops[0])};
    snprintf(tr.source, sizeof(tr.source), "board.csv");
    chunksim_scenario_t sc;
    const char *const sets[] = {"faults.fault=read_error rate=0.5",
                                "flash.program_latency=fixed:9"};
    chunksim_test_load_starter(&sc, "ble_default.ini", sets, 2);
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    if (chunksim_flashtrace_apply(&tr, &sc, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
    const chunksim_latency_t *rd = &sc.flash.read_latency;
    assert_int_equal(rd->kind, CHUNKSIM_LATENCY_TRACE);
    assert_int_equal(rd->trace.count, 3); /* refused and missing reads drew nothing */
    assert_true(rd->trace.latency_us[0] == 600 && rd->trace.latency_us[1] == 610 &&
                rd->trace.latency_us[2] == 620);
    assert_string_equal(rd->trace.path, "board.csv");
    assert_int_equal(sc.flash.erase_latency.kind, CHUNKSIM_LATENCY_TRACE);
    assert_int_equal(sc.flash.erase_latency.trace.count, 3);
    /* No program in the trace: the scenario's own latency stays. */
    assert_int_equal(sc.flash.program_latency.kind, CHUNKSIM_LATENCY_FIXED);

    /* The scenario's rate rule is gone; one rule per faulted op, one cut for the two cut ops. */
    assert_int_equal(sc.faults.count, 4);
    assert_int_equal(sc.faults.rules[0].kind, CHUNKSIM_FAULT_READ_ERROR);
    assert_int_equal(sc.faults.rules[0].trigger, CHUNKSIM_TRIGGER_OP);
    assert_int_equal(sc.faults.rules[0].op_index, 2);
    assert_int_equal(sc.faults.rules[0].on, CHUNKSIM_ON_ANY);
    assert_int_equal(sc.faults.rules[1].kind, CHUNKSIM_FAULT_ERASE_FAIL);
    assert_int_equal(sc.faults.rules[1].op_index, 3);
    assert_int_equal(sc.faults.rules[2].kind, CHUNKSIM_FAULT_READ_LATE);
    assert_int_equal(sc.faults.rules[2].op_index, 4);
    assert_int_equal(sc.faults.rules[2].delay_us, 3000);
    assert_int_equal(sc.faults.rules[3].kind, CHUNKSIM_FAULT_POWER_LOSS);
    assert_int_equal(sc.faults.rules[3].trigger, CHUNKSIM_TRIGGER_AT_US);
    assert_int_equal(sc.faults.rules[3].time_us, 77777);
    const char *text = chunksim_scenario_text(&sc);
    assert_non_null(strstr(text, "; --set faults.fault=none\n"));
    assert_non_null(strstr(text, "; --set faults.fault=read_error op=2\n"));
    chunksim_scenario_free(&sc);
}

static void apply_refuses_an_empty_trace(void **state)
{
    (void)state;
    chunksim_flashtrace_t tr = {0};
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "ble_default.ini", NULL, 0);
    char err[512];
    assert_int_equal(chunksim_flashtrace_apply(&tr, &sc, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "no operations"));
    chunksim_scenario_free(&sc);
}

/* ---- from a recorded run ---- */

static const char *const small[] = {"coredump.size_bytes=16KiB", "link.att_mtu=247"};

/* Rows of run b's flash_ops that differ from run a's in the given columns (and rows only one has).
 */
static int64_t flash_ops_differ(const char *db, int64_t a, int64_t b, const char *cols)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT (SELECT count(*) FROM (SELECT seq, %s FROM flash_ops WHERE run_id = %lld "
             "EXCEPT SELECT seq, %s FROM flash_ops WHERE run_id = %lld)) "
             "+ abs((SELECT count(*) FROM flash_ops WHERE run_id = %lld) "
             "- (SELECT count(*) FROM flash_ops WHERE run_id = %lld))",
             cols, (long long)a, cols, (long long)b, (long long)a, (long long)b);
    return chunksim_test_sql_row(db, sql);
}

static void trace_driven_run_shows_the_recorded_runs_flash_latencies(void **state)
{
    (void)state;
    char db[300];
    tmp_path(db, sizeof(db), "latencies.db");
    /* Run A draws its latencies at random. */
    chunksim_scenario_t sc;
    const char *const drawn[] = {small[0], small[1], "flash.read_latency=lognormal:700,0.5",
                                 "flash.erase_latency=uniform:30000,60000"};
    chunksim_test_load_starter(&sc, "ble_default.ini", drawn, 4);
    int64_t a = run_into(&sc, db);
    chunksim_scenario_free(&sc);
    assert_true(chunksim_test_sql_row(db, "SELECT count(DISTINCT latency_us) FROM flash_ops "
                                          "WHERE run_id = 1 AND kind = 'read'") > 2);

    /* Run B: another seed and a fixed latency, driven by A's trace. */
    const char *const other[] = {small[0], small[1], "run.seed=99", "flash.read_latency=fixed:5"};
    chunksim_test_load_starter(&sc, "ble_default.ini", other, 4);
    drive_by_trace(&sc, db, a);
    int64_t b = run_into(&sc, db);
    chunksim_scenario_free(&sc);
    assert_ge(chunksim_test_sql_row(db, "SELECT count(*) FROM flash_ops WHERE run_id = 1"), 5);
    assert_int_equal(flash_ops_differ(db, a, b, "kind, latency_us"), 0);
}

/* A faulty starter scenario, then the same driven by its own trace: same ops, same faults. */
static void trace_driven_run_reproduces_recorded_faults(const char *scenario, const char *extra)
{
    char db[300], spec[320];
    snprintf(spec, sizeof(spec), "%.40s.db", scenario);
    tmp_path(db, sizeof(db), spec);
    const char *const sets[] = {small[0], small[1], extra};
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, scenario, sets, extra ? 3 : 2);
    int64_t a = run_into(&sc, db);
    drive_by_trace(&sc, db, a);
    int64_t b = run_into(&sc, db);
    chunksim_scenario_free(&sc);
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM flash_ops WHERE run_id = %lld AND fault "
             "IS NOT NULL",
             (long long)a);
    if (chunksim_test_sql_row(db, sql) == 0) {
        fail_msg("%s: the recorded run has no fault to reproduce", scenario);
    }
    if (flash_ops_differ(db, a, b, "kind, addr, len, start_us, end_us, status, latency_us") != 0) {
        fail_msg("%s: the trace-driven run's flash ops differ from the recorded run's", scenario);
    }
    /* The names differ where the model's vocabulary is finer (wear_out -> erase_fail). */
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM flash_ops a JOIN flash_ops b USING (seq) WHERE a.run_id = %lld "
             "AND b.run_id = %lld AND (a.fault IS NULL) <> (b.fault IS NULL)",
             (long long)a, (long long)b);
    assert_int_equal(chunksim_test_sql_row(db, sql), 0);
}

static void trace_driven_run_reproduces_read_errors_and_late_reads(void **state)
{
    (void)state;
    trace_driven_run_reproduces_recorded_faults("read_errors.ini",
                                                "faults.fault=read_late rate=0.3 delay_us=3000");
}

static void trace_driven_run_reproduces_a_power_cut(void **state)
{
    (void)state;
    trace_driven_run_reproduces_recorded_faults("power_loss_erase.ini", NULL);
}

static void trace_driven_run_reproduces_worn_out_erases(void **state)
{
    (void)state;
    trace_driven_run_reproduces_recorded_faults("wear_out.ini", NULL);
}

static void refused_operations_draw_no_latency_from_the_trace(void **state)
{
    (void)state;
    char db[300], spec[320], err[512];
    tmp_path(db, sizeof(db), "refused.db");
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "power_loss_erase.ini", small, 2);
    int64_t a = run_into(&sc, db);
    chunksim_scenario_free(&sc);
    int64_t refused =
        chunksim_test_sql_row(db, "SELECT count(*) FROM flash_ops WHERE fault IS NULL AND "
                                  "status_name = 'POWER'");
    assert_gt(refused, 0);
    snprintf(spec, sizeof(spec), "%s:%lld", db, (long long)a);
    chunksim_flashtrace_t tr;
    assert_int_equal(chunksim_flashtrace_load(&tr, spec, err, sizeof(err)), 0);
    int64_t n = 0;
    for (size_t i = 0; i < tr.count; i++) {
        n += tr.ops[i].refused;
    }
    assert_int_equal(n, refused);
    chunksim_flashtrace_free(&tr);
}

static void a_gap_in_the_recorded_seq_keeps_the_operation_numbers(void **state)
{
    (void)state;
    char db[300], spec[320], err[512];
    tmp_path(db, sizeof(db), "gap.db");
    chunksim_scenario_t sc;
    const char *const sets[] = {small[0], small[1], "faults.fault=read_error on=read op=3"};
    chunksim_test_load_starter(&sc, "ble_default.ini", sets, 3);
    int64_t a = run_into(&sc, db);
    chunksim_scenario_free(&sc);
    assert_int_equal(
        chunksim_test_sql_row(db, "SELECT seq FROM flash_ops WHERE fault = 'read_error'"), 4);
    chunksim_test_sql_exec(db, "DELETE FROM flash_ops WHERE seq = 2");
    snprintf(spec, sizeof(spec), "%s:%lld", db, (long long)a);
    chunksim_flashtrace_t tr;
    assert_int_equal(chunksim_flashtrace_load(&tr, spec, err, sizeof(err)), 0);
    assert_true(tr.ops[1].missing);
    assert_true(tr.ops[3].has_fault); /* still the model's operation 3 */
    chunksim_flashtrace_free(&tr);

    chunksim_test_sql_exec(db, "UPDATE flash_ops SET kind = 'scrub' WHERE seq = 3");
    assert_int_equal(chunksim_flashtrace_load(&tr, spec, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "flash_ops seq 3: kind 'scrub'"));
    chunksim_test_sql_exec(db,
                           "UPDATE flash_ops SET kind = 'read', fault = 'melted' WHERE seq = 3");
    assert_int_equal(chunksim_flashtrace_load(&tr, spec, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "flash_ops seq 3: fault 'melted'"));

    chunksim_test_sql_exec(db, "DELETE FROM flash_ops");
    assert_int_equal(chunksim_flashtrace_load(&tr, spec, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "no flash operations"));
}

CHUNKSIM_TEST_MAIN_GROUP({
    cmocka_unit_test(csv_loads_every_row_with_its_kind_latency_and_fault),
    cmocka_unit_test(csv_errors_name_the_file_and_line),
    cmocka_unit_test(csv_with_too_many_fields_or_nul_bytes_is_refused),
    cmocka_unit_test(csv_that_cannot_be_read_is_an_errno),
    cmocka_unit_test(spec_must_be_db_colon_run_or_csv),
    cmocka_unit_test(apply_turns_latencies_into_traces_and_faults_into_one_shot_rules),
    cmocka_unit_test(apply_refuses_an_empty_trace),
    cmocka_unit_test(trace_driven_run_shows_the_recorded_runs_flash_latencies),
    cmocka_unit_test(trace_driven_run_reproduces_read_errors_and_late_reads),
    cmocka_unit_test(trace_driven_run_reproduces_a_power_cut),
    cmocka_unit_test(trace_driven_run_reproduces_worn_out_erases),
    cmocka_unit_test(refused_operations_draw_no_latency_from_the_trace),
    cmocka_unit_test(a_gap_in_the_recorded_seq_keeps_the_operation_numbers),
})
