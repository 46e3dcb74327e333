/*
 * The engine end to end: determinism of the recorded trace in virtual time,
 * outcomes of the clear-before-delivery pair, metrics that hold together.
 */
#include "chunksim/monitor.h"
#include "chunksim/reader.h"
#include "chunksim/recorder.h"
#include "chunksim/run.h"
#include "chunksim/scenario.h"
#include "chunksim/sha256.h"

#include "chunkcore/coredump.h"
#include "chunkcore/error.h"

#include <inttypes.h>
#include <stdbool.h>
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

/* Runs a starter scenario with overrides, unrecorded. */
static chunksim_run_result_t run_plain(const char *name, const char *const *sets, size_t n)
{
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, name, sets, n);
    chunksim_run_options_t opts = {0};
    chunksim_run_result_t res;
    assert_int_equal(chunksim_run(&sc, &opts, &res), 0);
    chunksim_scenario_free(&sc);
    return res;
}

static void db_path(char *out, size_t n, const char *tag)
{
    snprintf(out, n, "/tmp/chunksim-test-run-%d-%s.db", (int)getpid(), tag);
    unlink(out);
}

/* SHA-256 over every row of the run's trace tables, in order. */
static void trace_digest(const char *path, char out[65])
{
    static const char *const queries[] = {
        "SELECT seq, t_us, kind, arg, result, result_name, detail, duration_us FROM calls "
        "ORDER BY seq",
        "SELECT seq, kind, addr, len, start_us, end_us, status, status_name, fault, latency_us "
        "FROM flash_ops ORDER BY seq",
        "SELECT seq, t_us, sent_us, len, header, delivered, retransmissions, hex(data) FROM chunks "
        "ORDER BY seq",
    };
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    size_t cap = 1 << 20, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, queries[q], -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                const char *v = (const char *)sqlite3_column_text(st, c);
                size_t vl = v ? strlen(v) : 4;
                if (len + vl + 2 > cap) {
                    cap *= 2;
                    text = realloc(text, cap);
                    assert_non_null(text);
                }
                memcpy(text + len, v ? v : "NULL", vl);
                len += vl;
                text[len++] = '|';
            }
            text[len++] = '\n';
        }
        sqlite3_finalize(st);
    }
    assert_gt(len, 1000); /* a real trace, not an empty one */
    chunksim_sha256_hex(text, len, out);
    free(text);
    sqlite3_close(db);
}

static void test_same_seed_gives_byte_identical_trace(void **state)
{
    (void)state;
    static const char *const sets[] = {"coredump.size_bytes=16KiB", "reader.window_bytes=1KiB",
                                       "faults.fault=read_error rate=0.2", "link.loss_rate=0.05"};
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "ble_default.ini", sets, 4);
    char a[256], b[256], da[65], db[65];
    db_path(a, sizeof(a), "a");
    db_path(b, sizeof(b), "b");
    chunksim_run_result_t ra = chunksim_test_run_recorded(&sc, a);
    chunksim_run_result_t rb = chunksim_test_run_recorded(&sc, b);
    assert_gt(ra.m.faults_injected, 0);
    trace_digest(a, da);
    trace_digest(b, db);
    assert_string_equal(da, db);
    assert_int_equal(ra.m.drain_us, rb.m.drain_us);

    /* Another seed draws other faults and losses: the trace must differ. */
    char err[256];
    assert_int_equal(chunksim_scenario_set_arg(&sc, "run.seed=2", err, sizeof(err)), 0);
    assert_int_equal(chunksim_scenario_validate(&sc, err, sizeof(err)), 0);
    chunksim_test_db_remove(b);
    (void)chunksim_test_run_recorded(&sc, b);
    trace_digest(b, db);
    assert_string_not_equal(da, db);
    chunksim_test_db_remove(a);
    chunksim_test_db_remove(b);
    chunksim_scenario_free(&sc);
}

static void test_ble_default_delivers_whole_coredump(void **state)
{
    (void)state;
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "ble_default.ini", NULL, 0);
    chunksim_run_options_t opts = {0};
    chunksim_run_result_t res;
    assert_int_equal(chunksim_run(&sc, &opts, &res), 0);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
    assert_true(res.safety_ok && res.liveness_ok && res.passed);
    /* The message is the type byte and the whole image. */
    assert_int_equal(res.m.message_bytes, sc.coredump.size_bytes + 1);
    assert_le(res.m.bound_us, res.m.drain_us);
    assert_gt(res.m.efficiency, 0.5);
    assert_le(res.m.efficiency, 1.0);
    assert_int_equal(res.m.violations, 0);
    chunksim_scenario_free(&sc);
}

/*
 * A case that runs a starter scenario with overrides, unrecorded, and checks its
 * outcome and whatever else it names. main() registers each under its own name
 * (RUN_CASE), so a failure names the case.
 */
typedef struct run_case {
    const char *scenario;
    const char *sets[5]; /* up to the first NULL */
    chunksim_outcome_t outcome;
    enum { SAFETY_ANY, SAFE, UNSAFE } safety;
    bool no_violations;
    bool retried;           /* at least one retry */
    const char *reason_has; /* NULL: any reason */
} run_case_t;

static void check_run_case(void **state)
{
    const run_case_t *c = *state;
    size_t n = 0;
    while (c->sets[n] != NULL) {
        n++;
    }
    chunksim_run_result_t res = run_plain(c->scenario, c->sets, n);
    assert_int_equal(res.outcome, c->outcome);
    if (c->safety != SAFETY_ANY) {
        assert_int_equal(res.safety_ok, c->safety == SAFE);
    }
    if (c->no_violations) {
        assert_int_equal(res.m.violations, 0);
    }
    if (c->retried) {
        assert_ge(res.m.retries, 1);
    }
    if (c->reason_has != NULL) {
        chunksim_test_assert_contains(res.reason, c->reason_has);
    }
}

/* The reference design deletes before the last chunk is sent: a drop there loses the coredump. */
static const run_case_t test_disconnect_after_last_chunk_loses_with_clear_on_read = {
    .scenario = "disconnect_after_last.ini",
    .outcome = CHUNKSIM_OUTCOME_LOST,
    .safety = UNSAFE,
};

static const run_case_t test_disconnect_after_last_chunk_keeps_with_deferred_clear = {
    .scenario = "disconnect_after_last_deferred.ini",
    .outcome = CHUNKSIM_OUTCOME_OK,
    .safety = SAFE,
};

/* A completion that never comes and no timeout: the run ends incomplete instead of hanging. */
static const run_case_t test_lost_completion_without_timeout_ends_incomplete = {
    .scenario = "ble_default.ini",
    .sets = {"coredump.size_bytes=8KiB", "reader.read_timeout_us=0",
             "faults.fault=read_timeout op=2"},
    .outcome = CHUNKSIM_OUTCOME_INCOMPLETE,
    .reason_has = "stalled",
};

/* The same lost completion with a timeout: cancel, retry, deliver. */
static const run_case_t test_lost_completion_with_timeout_is_retried = {
    .scenario = "ble_default.ini",
    .sets = {"coredump.size_bytes=8KiB", "reader.read_timeout_us=50ms",
             "faults.fault=read_timeout op=2"},
    .outcome = CHUNKSIM_OUTCOME_OK,
    .retried = true,
};

/* A synchronous clear inside confirm holds the CPU: the next flash access waits for it. */
static const run_case_t test_sync_reader_waits_out_its_own_erase = {
    .scenario = "ble_default.ini",
    .sets = {"coredump.size_bytes=8KiB", "link.att_mtu=247", "reader.kind=sync",
             "reader.clear_policy=on_confirm"},
    .outcome = CHUNKSIM_OUTCOME_OK,
    .no_violations = true,
};

/* A failed synchronous read is the flash's fault, and the retry waits for the device. */
static const run_case_t test_sync_reader_read_errors_are_faults_not_violations = {
    .scenario = "ble_default.ini",
    .sets = {"coredump.size_bytes=8KiB", "link.att_mtu=247", "reader.kind=sync",
             "faults.fault=read_error op=5"},
    .outcome = CHUNKSIM_OUTCOME_OK,
    .no_violations = true,
    .retried = true,
};

/* The link never comes back after the last chunk: the erase already dispatched still
 * completes on the device, so the coredump is lost, not "never cleared". */
static const run_case_t test_erase_in_flight_at_the_end_still_completes = {
    .scenario = "disconnect_after_last.ini",
    .sets = {"coredump.size_bytes=8KiB", "link.att_mtu=247", "link.reconnect_after_us=never"},
    .outcome = CHUNKSIM_OUTCOME_LOST,
    .no_violations = true,
};

/* An erase that reports success but erases nothing: the coredump is sent again, which is
 * the flash's doing, not a second delete by the firmware. */
static const run_case_t test_silent_erase_resend_is_not_a_violation = {
    .scenario = "ble_default.ini",
    .sets = {"coredump.size_bytes=8KiB", "link.att_mtu=247",
             "faults.fault=silent_erase op=0 on=erase"},
    .outcome = CHUNKSIM_OUTCOME_OK,
    .no_violations = true,
};

/* Above the decoder's own 64 MiB default, nothing is wrong: big chunks over a fast link
 * deliver the whole coredump intact, and the run must say ok (not lost). */
static void test_coredump_above_64_mib_is_delivered_ok(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "coredump.size_bytes=72MiB", "flash.size_bytes=128MiB",
        "reader.window_bytes=1MiB",  "link.kind=network",
        "link.chunk_bytes=1MiB",     "link.bandwidth_bytes_per_s=1000MiB",
        "link.latency_us=100",
    };
    chunksim_run_result_t res = run_plain("ble_default.ini", sets, 7);
    assert_string_equal(res.reason, "");
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
    assert_true(res.liveness_ok && res.safety_ok && res.passed);
    assert_int_equal(res.m.message_bytes, 72u * 1024 * 1024 + 1);
}

/* ---- run-length encoding ---- */

/*
 * rle_sync.ini: a 64 KiB RAM-like coredump, RLE over the synchronous reader.
 * Delivered intact (the run judges what the message expands to), in fewer
 * wire bytes than without RLE, for more flash reads (the passes).
 */
static void test_rle_with_a_sync_reader_delivers_in_fewer_wire_bytes(void **state)
{
    (void)state;
    chunksim_run_result_t rle = run_plain("rle_sync.ini", NULL, 0);
    static const char *const plain_sets[] = {"coredump.rle=false"};
    chunksim_run_result_t plain = run_plain("rle_sync.ini", plain_sets, 1);
    if (rle.outcome != CHUNKSIM_OUTCOME_OK) {
        fail_msg("rle_sync: %s (%s)", chunksim_outcome_name(rle.outcome), rle.reason);
    }
    assert_true(rle.passed && rle.safety_ok && rle.liveness_ok);
    assert_int_equal(rle.m.violations, 0);
    assert_int_equal(plain.outcome, CHUNKSIM_OUTCOME_OK);
    assert_int_equal(plain.m.message_bytes, 64 * 1024 + 1);
    assert_lt(rle.m.message_bytes, plain.m.message_bytes / 2);
    assert_lt(rle.m.wire_bytes, plain.m.wire_bytes / 2);
    assert_lt(rle.m.chunks, plain.m.chunks / 2);
    assert_gt(rle.m.refills, plain.m.refills); /* a sizing pass, then scan and data reads */
    assert_lt(rle.m.drain_us, plain.m.drain_us);
}

/* A disconnect mid-message: the restart sizes again and streams from 0, still intact. */
static void test_rle_restart_after_a_disconnect_is_intact(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "coredump.size_bytes=16KiB",      "link.att_mtu=247",
        "link.disconnect_after_chunk=10", "link.reconnect_after_us=1s",
        "coredump.project_key=ACME-7",    "reader.clear_policy=on_confirm"};
    chunksim_run_result_t res = run_plain("rle_sync.ini", sets, 6);
    if (res.outcome != CHUNKSIM_OUTCOME_OK) {
        fail_msg("%s (%s)", chunksim_outcome_name(res.outcome), res.reason);
    }
    assert_int_equal(res.m.violations, 0);
}

/*
 * 2 MiB: the sizing pass alone is 16384 reads inside the first get-chunk,
 * more than the no-progress bound, and is no livelock.
 */
static void test_rle_sizing_pass_of_a_large_coredump_is_no_livelock(void **state)
{
    (void)state;
    static const char *const sets[] = {"coredump.size_bytes=2MiB", "link.kind=network",
                                       "link.chunk_bytes=4KiB", "link.latency_us=100"};
    chunksim_run_result_t res = run_plain("rle_sync.ini", sets, 4);
    if (res.outcome != CHUNKSIM_OUTCOME_OK) {
        fail_msg("%s (%s)", chunksim_outcome_name(res.outcome), res.reason);
    }
    assert_gt(res.m.refills, 2 * CHUNKSIM_MONITOR_NO_PROGRESS_CALLS);
}

/* ---- what the record holds ---- */

/*
 * [link] chunk_bytes below what a notification carries is a firmware that
 * sends smaller chunks than the MTU allows: get-chunk gets that buffer, so
 * no chunk on the link is longer (it was always ATT_MTU - 3).
 */
static void test_ble_chunk_bytes_is_the_buffer_get_chunk_gets(void **state)
{
    (void)state;
    static const char *const sets[] = {"coredump.size_bytes=4KiB", "link.att_mtu=23",
                                       "link.chunk_bytes=9"};
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "ble_default.ini", sets, 3);
    char path[256];
    db_path(path, sizeof(path), "chunk9");
    chunksim_run_result_t res = chunksim_test_run_recorded(&sc, path);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
    assert_int_equal(chunksim_test_sql_row(path, "SELECT max(len) FROM chunks"), 9);
    assert_int_equal(chunksim_test_sql_row(path, "SELECT count(*) FROM chunks"),
                     (int64_t)res.m.chunks);
    chunksim_test_db_remove(path);

    /* The default is still the whole notification. */
    chunksim_scenario_free(&sc);
    chunksim_test_load_starter(&sc, "ble_default.ini", sets, 2);
    res = chunksim_test_run_recorded(&sc, path);
    assert_int_equal(chunksim_test_sql_row(path, "SELECT max(len) FROM chunks"), 20);
    chunksim_test_db_remove(path);
    chunksim_scenario_free(&sc);
}

/*
 * What loads must run: the ends of every documented range, alone and in the
 * combinations the models care about, never end a run as "error" (a scenario
 * the models cannot run is refused when it is loaded: tests/sim/test_scenario.c).
 */
#define RANGE_SETS_MAX 6

static void run_range_case(const char *const *sets)
{
    static const char base[] = "[coredump]\nsize_bytes = 4KiB\n[flash]\nsize_bytes = 1MiB\n";
    chunksim_scenario_t sc;
    char err[CHUNKSIM_SCENARIO_ERR_BYTES], what[600] = "";
    int rc = chunksim_scenario_load_string(&sc, base, "range", NULL, err, sizeof(err));
    for (size_t i = 0; i < RANGE_SETS_MAX && sets[i] != NULL; i++) {
        snprintf(what + strlen(what), sizeof(what) - strlen(what), " --set %s", sets[i]);
        rc = rc < 0 ? rc : chunksim_scenario_set_arg(&sc, sets[i], err, sizeof(err));
    }
    rc = rc < 0 ? rc : chunksim_scenario_validate(&sc, err, sizeof(err));
    if (rc < 0) {
        fail_msg("%s: refused at load: %s", what, err);
    }
    chunksim_run_options_t opts = {0};
    chunksim_run_result_t res;
    rc = chunksim_run(&sc, &opts, &res);
    chunksim_scenario_free(&sc);
    if (rc < 0 || res.outcome == CHUNKSIM_OUTCOME_ERROR) {
        fail_msg("%s: loaded, then the run ended as %s (rc %d): %s", what,
                 chunksim_outcome_name(res.outcome), rc, res.reason);
    }
}

static void test_every_documented_range_end_that_loads_runs(void **state)
{
    (void)state;
    static const char *const cases[][RANGE_SETS_MAX] = {
        {"link.att_mtu=517"},
        {"link.att_mtu=517", "link.phy=2M", "link.loss_rate=0.3"},
        {"link.att_mtu=516", "reader.kind=double", "reader.window_bytes=32"},
        {"link.packets_per_event=64"},
        {"link.packets_per_event=64", "link.att_mtu=517", "link.conn_interval_us=4s"},
        {"link.packets_per_event=64", "link.conn_interval_us=7.5ms", "link.phy=2M"},
        {"link.chunk_bytes=9"},
        {"link.kind=network", "link.chunk_bytes=9"},
        {"link.kind=network", "link.chunk_bytes=1MiB", "link.bandwidth_bytes_per_s=1024MiB"},
        {"coredump.size_bytes=40"},
        {"coredump.size_bytes=40", "coredump.content=pattern", "coredump.pattern_hex=00"},
        {"coredump.size_bytes=40", "reader.kind=sync"},
        {"coredump.project_key=ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"},
        {"faults.fault=bitflip op=3 flips=8"},
        {"faults.fault=stuck_bit addr=0x10-0x10 flips=8"},
        {"faults.fault=wear_out cycles=1000000000"},
        {"faults.fault=read_late op=2 delay_us=86400s"},
        {"reader.window_bytes=16"},
        {"reader.window_bytes=16MiB"},
        {"reader.kind=double", "reader.window_bytes=32"},
        {"reader.max_retries=0"},
        {"reader.read_timeout_us=0"},
        {"flash.size_bytes=256", "flash.page_bytes=16", "flash.sector_bytes=256",
         "flash.block_bytes=256", "coredump.size_bytes=200"},
        {"flash.page_bytes=65536", "flash.sector_bytes=16MiB", "flash.block_bytes=16MiB",
         "flash.size_bytes=16MiB"},
        {"flash.read_command=fast", "flash.data_lines=4", "flash.dummy_cycles=32",
         "flash.bus_clock_hz=1000MHz"},
        {"flash.bus_clock_hz=1kHz"},
        {"flash.endurance_cycles=1", "flash.initial_wear_cycles=1"},
        {"flash.endurance_cycles=1000000000", "flash.initial_wear_cycles=1000000000"},
        {"run.max_sim_us=1"},
        {"run.mode=realtime", "run.realtime_scale=0.001"},
        {"coredump.rle=true", "reader.kind=single"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_range_case(cases[i]);
    }

    /* An empty file is a coredump with no blocks: header and footer only. */
    char path[] = "/tmp/chunksim-test-run-empty-XXXXXX", file_set[64];
    int fd = mkstemp(path);
    assert_ge(fd, 0);
    close(fd);
    snprintf(file_set, sizeof(file_set), "coredump.file=%s", path);
    const char *const empty[RANGE_SETS_MAX] = {"coredump.content=file", file_set,
                                               "coredump.size_bytes=28"};
    run_range_case(empty);
    unlink(path);
}

/* The one run's row: status, outcome and reason, as "status/outcome: reason". */
static void db_run_story(const char *path, char *out, size_t n)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT status, outcome, reason FROM runs", -1, &st, NULL),
        SQLITE_OK);
    if (sqlite3_step(st) != SQLITE_ROW) {
        snprintf(out, n, "(no row)");
    } else {
        snprintf(out, n, "%s/%s: %s", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
                 sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "");
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static int refusing_reader(chunksim_reader_t *out, const chunksim_board_t *board,
                           const chunksim_reader_config_t *cfg)
{
    (void)out;
    (void)board;
    (void)cfg;
    return CHUNKCORE_E_INVAL;
}

/* Runs sc into a fresh database with these options; returns chunksim_run()'s code. */
static int run_recorded_opts(const chunksim_scenario_t *sc, const char *path,
                             chunksim_run_options_t *opts, chunksim_run_result_t *res)
{
    chunksim_rec_t rec;
    char err[512];
    assert_int_equal(chunksim_rec_open(&rec, path, err, sizeof(err)), 0);
    opts->rec = &rec;
    int rc = chunksim_run(sc, opts, res);
    (void)chunksim_rec_close(&rec);
    opts->rec = NULL;
    return rc;
}

/* A run whose setup fails is an error in its record too, with the same reason. */
static void test_setup_failure_is_recorded_as_error(void **state)
{
    (void)state;
    static const char *const sets[] = {"coredump.size_bytes=8KiB"};
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "ble_default.ini", sets, 1);
    char path[256], story[600], want[600];
    db_path(path, sizeof(path), "setup");
    chunksim_run_options_t opts = {
        .record_rows = true, .reader_create = refusing_reader, .reader_name = "refusing"};
    chunksim_run_result_t res;
    assert_lt(run_recorded_opts(&sc, path, &opts, &res), 0);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_ERROR);
    assert_gt(res.run_id, 0);
    db_run_story(path, story, sizeof(story));
    snprintf(want, sizeof(want), "finished/error: %s", res.reason);
    assert_string_equal(story, want);
    chunksim_test_db_remove(path);

    /* Before anything was built: still a row, without an image. */
    sc.coredump.size_bytes = 29;
    opts.reader_create = NULL;
    assert_lt(run_recorded_opts(&sc, path, &opts, &res), 0);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_ERROR);
    db_run_story(path, story, sizeof(story));
    snprintf(want, sizeof(want), "finished/error: %s", res.reason);
    assert_string_equal(story, want);
    assert_int_equal(
        chunksim_test_sql_row(path, "SELECT count(*) FROM runs WHERE image_id IS NULL"), 1);
    chunksim_test_db_remove(path);
    chunksim_scenario_free(&sc);
}

/* A chunk on the air when the run stops was produced: it has its row, never delivered. */
static void test_chunk_on_the_air_at_the_stop_has_a_row(void **state)
{
    (void)state;
    /* Power cut during a read while the link carries a chunk (a CI case), and the
     * simulated time limit while BLE waits for its next connection event. */
    static const char *const cut[] = {"run.seed=5",
                                      "reader.kind=double",
                                      "reader.clear_policy=on_confirm",
                                      "run.power_loss_stops=true",
                                      "faults.fault=power_loss on=read op=1",
                                      "flash.initial_wear_cycles=4"};
    static const char *const watchdog[] = {"coredump.size_bytes=8KiB", "run.max_sim_us=100ms"};
    struct {
        const char *file;
        const char *const *sets;
        size_t n;
    } cases[] = {{"ci/write_faults.ini", cut, 6}, {"ble_default.ini", watchdog, 2}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        chunksim_scenario_t sc;
        chunksim_test_load_starter(&sc, cases[i].file, cases[i].sets, cases[i].n);
        char path[256];
        db_path(path, sizeof(path), "inflight");
        chunksim_run_result_t res = chunksim_test_run_recorded(&sc, path);
        assert_gt(res.m.chunks, 0);
        assert_int_equal(chunksim_test_sql_row(path, "SELECT chunks FROM runs"), res.m.chunks);
        assert_int_equal(chunksim_test_sql_row(path, "SELECT count(*) FROM chunks"), res.m.chunks);
        assert_int_equal(chunksim_test_sql_row(path, "SELECT max(seq) FROM chunks"), res.m.chunks);
        assert_int_equal(
            chunksim_test_sql_row(
                path, "SELECT delivered = 0 AND sent_us IS NULL FROM chunks ORDER BY seq DESC"),
            1);
        chunksim_test_db_remove(path);
        chunksim_scenario_free(&sc);
    }
}

/*
 * A notification above MTU 247 goes in several link-layer packets: when the
 * run stops with one on the air, its row counts the resends begun by then,
 * not the packets (a lossless link resends nothing, whichever packet the
 * stop falls in).
 */
static void test_chunk_on_the_air_counts_resends_not_packets(void **state)
{
    (void)state;
    uint64_t on_air_rows = 0;
    /* A power cut that stops the device at an instant, in turn during each
     * packet of a notification (two per 30 ms event: the third opens the next). */
    for (unsigned stop_us = 30500; stop_us < 200000; stop_us += 1700) {
        char stop[64];
        snprintf(stop, sizeof(stop), "faults.fault=power_loss at_us=%u", stop_us);
        const char *const sets[] = {"coredump.size_bytes=8KiB", "link.att_mtu=517",
                                    "link.packets_per_event=2", "run.power_loss_stops=true", stop};
        chunksim_scenario_t sc;
        chunksim_test_load_starter(&sc, "ble_default.ini", sets, 5);
        char path[256];
        db_path(path, sizeof(path), "fragments");
        chunksim_run_result_t res = chunksim_test_run_recorded(&sc, path);
        assert_int_equal(chunksim_test_sql_row(path, "SELECT count(*) FROM chunks"), res.m.chunks);
        assert_int_equal(
            chunksim_test_sql_row(path, "SELECT coalesce(max(retransmissions), 0) FROM chunks"), 0);
        on_air_rows += (uint64_t)chunksim_test_sql_row(
            path, "SELECT count(*) FROM chunks WHERE sent_us IS NULL");
        chunksim_test_db_remove(path);
        chunksim_scenario_free(&sc);
    }
    assert_gt(on_air_rows, 10);
}

/* One name list per enum: names round-trip, an expectation is its outcome, reader kinds match
 * the built-in readers' names. */
static void test_outcome_expect_and_reader_names_come_from_one_list(void **state)
{
    (void)state;
    for (int o = CHUNKSIM_OUTCOME_OK; o <= CHUNKSIM_OUTCOME_ERROR; o++) {
        chunksim_outcome_t got = CHUNKSIM_OUTCOME_ERROR;
        const char *name = chunksim_outcome_name((chunksim_outcome_t)o);
        assert_int_equal(chunksim_outcome_from_name(name, &got), 0);
        assert_int_equal(got, o);
        for (int p = CHUNKSIM_OUTCOME_OK; p < o; p++) {
            assert_string_not_equal(name, chunksim_outcome_name((chunksim_outcome_t)p));
        }
    }
    chunksim_outcome_t got;
    assert_int_equal(chunksim_outcome_from_name("fine", &got), CHUNKSIM_E_INVAL);
    assert_int_equal(chunksim_outcome_from_name(NULL, &got), CHUNKSIM_E_INVAL);
    assert_int_equal(chunksim_expect_outcome(CHUNKSIM_EXPECT_NONE), CHUNKSIM_OUTCOME_OK);
    for (int e = CHUNKSIM_EXPECT_OK; e <= CHUNKSIM_EXPECT_VIOLATION; e++) {
        assert_string_equal(chunksim_expect_name((chunksim_expect_t)e),
                            chunksim_outcome_name(chunksim_expect_outcome((chunksim_expect_t)e)));
    }
    assert_int_equal(chunksim_expect_outcome(CHUNKSIM_EXPECT_LOST), CHUNKSIM_OUTCOME_LOST);
    for (int k = CHUNKSIM_READER_SYNC; k <= CHUNKSIM_READER_DOUBLE; k++) {
        assert_non_null(
            chunksim_reader_lookup(chunksim_reader_kind_name((chunksim_reader_kind_t)k)));
    }
}

/* The metrics table holds the flash model's counters of the run, equal to its trace. */
static void test_run_records_the_flash_counters_as_metrics(void **state)
{
    (void)state;
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "ble_default.ini", NULL, 0);
    char path[256];
    db_path(path, sizeof(path), "metrics");
    chunksim_run_result_t res = chunksim_test_run_recorded(&sc, path);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
    assert_int_equal(chunksim_test_sql_row(path, "SELECT count(*) FROM metrics"), 8);
    assert_int_equal(
        chunksim_test_sql_row(path, "SELECT value FROM metrics WHERE name = 'flash.ops'"),
        chunksim_test_sql_row(path, "SELECT count(*) FROM flash_ops"));
    assert_int_equal(
        chunksim_test_sql_row(path, "SELECT value FROM metrics WHERE name = 'flash.erases'"),
        chunksim_test_sql_row(path, "SELECT count(*) FROM flash_ops WHERE kind LIKE '%erase%'"));
    assert_int_equal(
        chunksim_test_sql_row(path, "SELECT value FROM metrics WHERE name = 'chunks.wire_bytes'"),
        res.m.wire_bytes);
    chunksim_test_db_remove(path);
    chunksim_scenario_free(&sc);
}

/* A run whose trace could not be written (the database is full) is not a passing run:
 * its result says the recording failed, and so does its row as far as it can be written. */
static void test_recording_failure_makes_the_run_an_error(void **state)
{
    (void)state;
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "ble_default.ini", NULL, 0);
    char path[256], err[512], pragma[64];
    db_path(path, sizeof(path), "full");
    chunksim_rec_t rec;
    assert_int_equal(chunksim_rec_open(&rec, path, err, sizeof(err)), 0);
    assert_int_equal(chunksim_rec_set_batch_rows(&rec, 64), 0);
    /* Room for the scenario, the 64 KiB image (16 pages of 4 KiB) and the run's
     * row, not for its trace (some 200 pages). */
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(chunksim_rec_db(&rec), "PRAGMA page_count", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(pragma, sizeof(pragma), "PRAGMA max_page_count = %d", sqlite3_column_int(st, 0) + 24);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(chunksim_rec_db(&rec), pragma, NULL, NULL, NULL), SQLITE_OK);
    chunksim_run_options_t opts = {.rec = &rec, .record_rows = true};
    chunksim_run_result_t res;
    (void)chunksim_run(&sc, &opts, &res);
    (void)chunksim_rec_close(&rec);
    assert_gt(res.run_id, 0);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_ERROR);
    assert_false(res.passed);
    assert_non_null(strstr(res.reason, "not recorded in full: "));
    assert_non_null(strstr(res.reason, "database or disk is full"));
    assert_non_null(strstr(res.reason, "; the run ended ok"));
    assert_non_null(strstr(res.record_error, "database or disk is full"));
    char story[600], want[600];
    db_run_story(path, story, sizeof(story));
    snprintf(want, sizeof(want), "finished/error: %s", res.reason);
    assert_string_equal(story, want);
    chunksim_test_db_remove(path);
    chunksim_scenario_free(&sc);
}

/*
 * A stuck bit in the header's size field: the packetizer sends the coredump
 * at the size the header announces and clears it, as the SDK does, instead
 * of refusing it on every call; the verdict says so, for both kinds of reader.
 */
static void test_altered_size_field_is_sent_as_announced_and_named(void **state)
{
    (void)state;
    static const char *const kinds[] = {"reader.kind=sync", "reader.kind=single"};
    for (size_t i = 0; i < 2; i++) {
        const char *const sets[] = {"coredump.size_bytes=8KiB", "link.att_mtu=247", kinds[i],
                                    "faults.fault=stuck_bit addr=0x9 flips=1"};
        chunksim_run_result_t res = run_plain("ble_default.ini", sets, 4);
        assert_int_equal(res.m.violations, 0);
        assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_CORRUPT);
        chunksim_test_assert_contains(
            res.reason, "header read back announcing 9216 bytes, not the stored image's "
                        "8192 (a data fault: stuck_bit): sent at that size, as the SDK "
                        "sends it, then cleared");
    }
}

/* A stuck bit in the magic: nothing is sent, nothing is cleared, and the verdict does not
 * say "cleared". */
static const run_case_t test_altered_magic_is_lost_without_a_clear = {
    .scenario = "ble_default.ini",
    .sets = {"coredump.size_bytes=8KiB", "link.att_mtu=247",
             "faults.fault=stuck_bit addr=0x0 flips=1"},
    .outcome = CHUNKSIM_OUTCOME_LOST,
    .no_violations = true,
    .reason_has = "header was altered in flash (stuck_bit) and it was never delivered",
};

/*
 * A synchronous header read that fails is "no coredump" (the SDK's
 * convention): the drain ends with the coredump still stored, the reason says
 * why, and it is a fault, not a violation. An async reader's failed window
 * load (the one holding the header) is its own error, reported by prepare
 * and retried.
 */
static void test_failed_header_read_ends_the_drain_as_in_the_sdk(void **state)
{
    (void)state;
    static const char *const sync_sets[] = {"coredump.size_bytes=8KiB", "link.att_mtu=247",
                                            "reader.kind=sync", "faults.fault=read_error op=0"};
    chunksim_run_result_t res = run_plain("ble_default.ini", sync_sets, 4);
    assert_int_equal(res.m.violations, 0);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_INCOMPLETE);
    assert_int_equal(res.m.chunks, 0);
    chunksim_test_assert_contains(res.reason,
                                  "the header read failed with IO, which the packetizer takes for "
                                  "\"no coredump\"");

    static const char *const async_sets[] = {"coredump.size_bytes=8KiB", "link.att_mtu=247",
                                             "reader.kind=single", "faults.fault=read_error op=0"};
    res = run_plain("ble_default.ini", async_sets, 4);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
    assert_int_equal(res.m.violations, 0);
    assert_ge(res.m.retries, 1);
}

/* ---- power cuts with reboot (run.power_cuts) ---- */

/* A text column of the first row sql gives ("" for none). */
static void db_text(const char *path, const char *sql, char *out, size_t len)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    }
    const char *v = sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "";
    snprintf(out, len, "%s", v ? v : "");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* power_loss_slow_link.ini, its overrides, recorded into path. */
static chunksim_run_result_t run_slow_link(const char *path, const char *const *sets, size_t n)
{
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "power_loss_slow_link.ini", sets, n);
    chunksim_run_result_t res = chunksim_test_run_recorded(&sc, path);
    chunksim_scenario_free(&sc);
    return res;
}

/*
 * A cut in the clearing erase (op 3 of power_loss_slow_link.ini: three window
 * loads, the erase, the last peek): the device reboots after the default
 * second, its RAM state gone, and finds the header the cut left undefined,
 * not the image: the coredump is lost, at that cut.
 */
static void test_reboot_keeps_what_the_cut_left_in_flash(void **state)
{
    (void)state;
    char path[256], text[256];
    db_path(path, sizeof(path), "reboot-erase");
    const char *const sets[] = {"run.power_cuts=3"};
    chunksim_run_result_t res = run_slow_link(path, sets, 1);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_LOST);
    assert_int_equal(res.boots, 2);
    assert_non_null(
        strstr(res.reason, "power cut in op 3 of boot 1 (erase_sector); lost at cut 1"));
    int64_t cut_us = chunksim_test_sql_row(path, "SELECT t_us FROM calls WHERE kind = 'power_cut'");
    assert_int_equal(chunksim_test_sql_row(path, "SELECT t_us FROM calls WHERE kind = 'boot'"),
                     cut_us + 1000000);
    db_text(path, "SELECT detail FROM calls WHERE kind = 'boot'", text, sizeof(text));
    assert_non_null(strstr(text, "no valid coredump header"));
    assert_int_equal(chunksim_test_sql_row(
                         path, "SELECT count(*) FROM flash_ops WHERE kind = 'erase_sector' AND "
                               "fault = 'power_loss'"),
                     1);
    /* The new boot's reader starts from nothing: a window load at 0, after the boot. */
    assert_int_equal(
        chunksim_test_sql_row(path, "SELECT addr = 0 AND start_us = "
                                    "(SELECT t_us FROM calls "
                                    "WHERE kind = 'boot') FROM flash_ops WHERE start_us > "
                                    "(SELECT "
                                    "t_us FROM calls WHERE kind = 'power_cut') ORDER BY seq"),
        1);
    db_text(path, "SELECT value FROM params WHERE name = 'run.boots'", text, sizeof(text));
    assert_string_equal(text, "2");
    chunksim_test_db_remove(path);
}

/*
 * A cut during a window load mid-upload: the chunk on the air is lost, the
 * link is back after link.reboot_reconnect_us, and the packetizer starts the
 * message again with an init chunk (its state went with the RAM); the copy
 * sent after the reboot arrives intact.
 */
static void test_reboot_starts_the_upload_again_after_the_reconnect_delay(void **state)
{
    (void)state;
    char path[256];
    db_path(path, sizeof(path), "reboot-read");
    const char *const sets[] = {"run.power_cuts=1", "link.reboot_reconnect_us=250ms"};
    chunksim_run_result_t res = run_slow_link(path, sets, 2);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
    assert_int_equal(res.boots, 2);
    int64_t cut_us = chunksim_test_sql_row(path, "SELECT t_us FROM calls WHERE kind = 'power_cut'");
    int64_t boot_us = chunksim_test_sql_row(path, "SELECT t_us FROM calls WHERE kind = 'boot'");
    assert_int_equal(boot_us, cut_us + 250000);
    /* Chunk 4 was on the air at the cut: never delivered. */
    assert_int_equal(chunksim_test_sql_row(path, "SELECT count(*) FROM chunks WHERE delivered = 0"),
                     1);
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT header & 0x80 FROM chunks WHERE t_us >= %" PRId64 " ORDER BY seq", boot_us);
    assert_int_equal(chunksim_test_sql_row(path, sql), 0); /* init, not a continuation */
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM chunks WHERE t_us >= %" PRId64 " AND delivered = 1", boot_us);
    assert_int_equal(chunksim_test_sql_row(path, sql),
                     9); /* the whole message again: 8 KiB + framing */
    chunksim_test_db_remove(path);
}

/*
 * A second cut counts the rebooted device's operations from 0: op 3 of boot 2
 * is that boot's clearing erase. A cut whose boot makes fewer operations
 * does not happen, and the reason says so.
 */
static void test_second_cut_counts_the_rebooted_devices_ops(void **state)
{
    (void)state;
    const char *const pair[] = {"run.power_cuts=0,3"};
    chunksim_run_result_t res = run_plain("power_loss_slow_link.ini", pair, 1);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_LOST);
    assert_int_equal(res.boots, 3);
    assert_non_null(strstr(res.reason, "op 0 of boot 1 (read), op 3 of boot 2 (erase_sector); "
                                       "lost at cut 2"));
    const char *const short_boot[] = {"run.power_cuts=3,1"};
    res = run_plain("power_loss_slow_link.ini", short_boot, 1);
    assert_int_equal(res.boots, 2);
    assert_int_equal(res.last_boot_ops, 1); /* the peek that finds no coredump */
    assert_non_null(
        strstr(res.reason, "cut 2 (op 1 of boot 2) did not happen: that boot began fewer"));
}

/*
 * The sync reader's header peek is op 0 of a boot: cut, it fails inside the
 * call, and the packetizer takes that for "no coredump". The device has no
 * power by then, so it does not stop on that answer: it reboots and sends.
 */
static void test_a_cut_synchronous_read_reboots_rather_than_ends(void **state)
{
    (void)state;
    const char *const sets[] = {"reader.kind=sync", "run.power_cuts=1,0"};
    chunksim_run_result_t res = run_plain("power_loss_slow_link.ini", sets, 2);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
    assert_int_equal(res.boots, 3);
    assert_null(strstr(res.reason, "did not happen"));
}

/* A copy received intact is ok, whatever cuts come after it. */
static void test_delivered_once_is_ok_despite_later_cuts(void **state)
{
    (void)state;
    const char *const confirm[] = {"reader.clear_policy=on_confirm", "run.power_cuts=3,0"};
    chunksim_run_result_t res = run_plain("power_loss_slow_link.ini", confirm, 2);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
    assert_int_equal(res.boots, 3);
    const char *const last_peek[] = {"run.power_cuts=4"};
    res = run_plain("power_loss_slow_link.ini", last_peek, 1);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
    assert_int_equal(res.boots, 2);
}

/*
 * A reader that "repairs" a header it reads that is not erased (it writes a
 * valid magic, version and size over it), as glue that trusts a header it
 * cached would: after a cut left the header undefined it makes the
 * packetizer send the undefined sector as a coredump. Without a cut it is
 * harmless: an intact header stays itself, an erased one is left alone.
 */
static chunksim_reader_t trusting_inner;
static chunkcore_storage_port_t trusting_port;

static int trusting_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    int rc = trusting_inner.storage->read(ctx, offset, buf, len);
    static const uint8_t erased[CHUNKCORE_COREDUMP_HEADER_BYTES] = {
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    if (rc == 0 && offset == 0 && len >= CHUNKCORE_COREDUMP_HEADER_BYTES &&
        memcmp(buf, erased, sizeof(erased)) != 0) {
        const uint32_t hdr[3] = {CHUNKCORE_COREDUMP_MAGIC, CHUNKCORE_COREDUMP_VERSION, 8192};
        memcpy(buf, hdr, sizeof(hdr)); /* little-endian host, as the format */
    }
    return rc;
}

static int trusting_create(chunksim_reader_t *out, const chunksim_board_t *board,
                           const chunksim_reader_config_t *cfg)
{
    int rc = chunksim_reader_single_create(&trusting_inner, board, cfg);
    *out = trusting_inner;
    trusting_port = *trusting_inner.storage;
    trusting_port.read = trusting_read;
    out->storage = &trusting_port;
    return rc;
}

static void test_corrupt_header_accepted_after_a_cut_is_a_violation(void **state)
{
    (void)state;
    const char *const cut[] = {"run.power_cuts=3"};
    struct {
        const char *const *sets;
        size_t n;
        chunksim_outcome_t outcome;
    } cases[] = {{NULL, 0, CHUNKSIM_OUTCOME_OK}, {cut, 1, CHUNKSIM_OUTCOME_VIOLATION}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        chunksim_scenario_t sc;
        chunksim_test_load_starter(&sc, "power_loss_slow_link.ini", cases[i].sets, cases[i].n);
        const chunksim_run_options_t opts = {.reader_create = trusting_create,
                                             .reader_name = "trusting"};
        chunksim_run_result_t res;
        assert_int_equal(chunksim_run(&sc, &opts, &res), 0);
        assert_int_equal(res.outcome, cases[i].outcome);
        chunksim_scenario_free(&sc);
        if (cases[i].outcome == CHUNKSIM_OUTCOME_VIOLATION) {
            assert_non_null(strstr(res.first_violation, "wrong_bytes"));
            assert_non_null(strstr(res.first_violation, "a corrupt header accepted as valid"));
        }
    }
}

/* A reader whose create fails after the first: the firmware does not come up again. */
static int once_creates;

static int once_create(chunksim_reader_t *out, const chunksim_board_t *board,
                       const chunksim_reader_config_t *cfg)
{
    return once_creates++ == 0 ? chunksim_reader_single_create(out, board, cfg)
                               : CHUNKCORE_E_NOTSUP;
}

static void test_firmware_that_does_not_boot_again_is_an_error(void **state)
{
    (void)state;
    const char *const cut[] = {"run.power_cuts=1"};
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "power_loss_slow_link.ini", cut, 1);
    const chunksim_run_options_t opts = {.reader_create = once_create, .reader_name = "once"};
    chunksim_run_result_t res;
    once_creates = 0;
    assert_int_equal(chunksim_run(&sc, &opts, &res), 0);
    chunksim_scenario_free(&sc);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_ERROR);
    assert_int_equal(res.boots, 2);
    assert_non_null(strstr(res.reason, "reader refused to start"));
}

/* Boots, cuts and undefined bytes all come from the scenario and seed. */
static void test_reboot_trace_is_deterministic(void **state)
{
    (void)state;
    char a[256], b[256], da[65], db[65];
    const char *const sets[] = {"run.power_cuts=1,3", "run.seed=9"};
    db_path(a, sizeof(a), "reboot-a");
    db_path(b, sizeof(b), "reboot-b");
    (void)run_slow_link(a, sets, 2);
    (void)run_slow_link(b, sets, 2);
    trace_digest(a, da);
    trace_digest(b, db);
    assert_string_equal(da, db);
    chunksim_test_db_remove(a);
    chunksim_test_db_remove(b);
}

#define RUN_CASE(c)                                                                                \
    {                                                                                              \
        .name = #c, .test_func = check_run_case, .initial_state = (void *)&(c)                     \
    }
CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_same_seed_gives_byte_identical_trace),
    cmocka_unit_test(test_ble_default_delivers_whole_coredump),
    RUN_CASE(test_disconnect_after_last_chunk_loses_with_clear_on_read),
    RUN_CASE(test_disconnect_after_last_chunk_keeps_with_deferred_clear),
    RUN_CASE(test_lost_completion_without_timeout_ends_incomplete),
    RUN_CASE(test_lost_completion_with_timeout_is_retried),
    RUN_CASE(test_sync_reader_waits_out_its_own_erase),
    RUN_CASE(test_sync_reader_read_errors_are_faults_not_violations),
    RUN_CASE(test_erase_in_flight_at_the_end_still_completes),
    RUN_CASE(test_silent_erase_resend_is_not_a_violation),
    cmocka_unit_test(test_every_documented_range_end_that_loads_runs),
    cmocka_unit_test(test_ble_chunk_bytes_is_the_buffer_get_chunk_gets),
    cmocka_unit_test(test_coredump_above_64_mib_is_delivered_ok),
    cmocka_unit_test(test_rle_with_a_sync_reader_delivers_in_fewer_wire_bytes),
    cmocka_unit_test(test_rle_restart_after_a_disconnect_is_intact),
    cmocka_unit_test(test_rle_sizing_pass_of_a_large_coredump_is_no_livelock),
    cmocka_unit_test(test_setup_failure_is_recorded_as_error),
    cmocka_unit_test(test_chunk_on_the_air_at_the_stop_has_a_row),
    cmocka_unit_test(test_chunk_on_the_air_counts_resends_not_packets),
    cmocka_unit_test(test_run_records_the_flash_counters_as_metrics),
    cmocka_unit_test(test_outcome_expect_and_reader_names_come_from_one_list),
    cmocka_unit_test(test_recording_failure_makes_the_run_an_error),
    cmocka_unit_test(test_altered_size_field_is_sent_as_announced_and_named),
    RUN_CASE(test_altered_magic_is_lost_without_a_clear),
    cmocka_unit_test(test_failed_header_read_ends_the_drain_as_in_the_sdk),
    cmocka_unit_test(test_reboot_keeps_what_the_cut_left_in_flash),
    cmocka_unit_test(test_reboot_starts_the_upload_again_after_the_reconnect_delay),
    cmocka_unit_test(test_second_cut_counts_the_rebooted_devices_ops),
    cmocka_unit_test(test_a_cut_synchronous_read_reboots_rather_than_ends),
    cmocka_unit_test(test_delivered_once_is_ok_despite_later_cuts),
    cmocka_unit_test(test_corrupt_header_accepted_after_a_cut_is_a_violation),
    cmocka_unit_test(test_firmware_that_does_not_boot_again_is_an_error),
    cmocka_unit_test(test_reboot_trace_is_deterministic),
})
#undef RUN_CASE
