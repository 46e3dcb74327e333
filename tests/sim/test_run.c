/*
 * The engine end to end: determinism of the recorded trace in virtual time,
 * outcomes of the clear-before-delivery pair, metrics that hold together.
 */
#include "chunksim/recorder.h"
#include "chunksim/run.h"
#include "chunksim/scenario.h"
#include "chunksim/sha256.h"

#include "chunkcore/error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

static void load(chunksim_scenario_t *sc, const char *name, const char *const *sets, size_t n)
{
    char path[512], err[CHUNKSIM_SCENARIO_ERR_BYTES];
    snprintf(path, sizeof(path), "%s/%s", SCENARIO_LIBRARY_DIR, name);
    int rc = chunksim_scenario_load(sc, path, err, sizeof(err));
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = chunksim_scenario_set_arg(sc, sets[i], err, sizeof(err));
    }
    if (rc == 0) {
        rc = chunksim_scenario_validate(sc, err, sizeof(err));
    }
    if (rc != 0) {
        fail_msg("%s", err);
    }
}

/* Runs a starter scenario with overrides, unrecorded. */
static chunksim_run_result_t run_plain(const char *name, const char *const *sets, size_t n)
{
    chunksim_scenario_t sc;
    load(&sc, name, sets, n);
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

static void db_remove(const char *path)
{
    char side[600];
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
}

/* Runs sc into a fresh database at path; returns the result. */
static chunksim_run_result_t run_recorded(const chunksim_scenario_t *sc, const char *path)
{
    chunksim_rec_t rec;
    char err[512];
    assert_int_equal(chunksim_rec_open(&rec, path, err, sizeof(err)), 0);
    chunksim_run_options_t opts = {.rec = &rec, .record_rows = true};
    chunksim_run_result_t res;
    assert_int_equal(chunksim_run(sc, &opts, &res), 0);
    assert_int_equal(chunksim_rec_close(&rec), 0);
    return res;
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
    assert_true(len > 1000); /* a real trace, not an empty one */
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
    load(&sc, "ble_default.ini", sets, 4);
    char a[256], b[256], da[65], db[65];
    db_path(a, sizeof(a), "a");
    db_path(b, sizeof(b), "b");
    chunksim_run_result_t ra = run_recorded(&sc, a);
    chunksim_run_result_t rb = run_recorded(&sc, b);
    assert_true(ra.m.faults_injected > 0);
    trace_digest(a, da);
    trace_digest(b, db);
    assert_string_equal(da, db);
    assert_int_equal(ra.m.drain_us, rb.m.drain_us);

    /* Another seed draws other faults and losses: the trace must differ. */
    char err[256];
    assert_int_equal(chunksim_scenario_set_arg(&sc, "run.seed=2", err, sizeof(err)), 0);
    assert_int_equal(chunksim_scenario_validate(&sc, err, sizeof(err)), 0);
    db_remove(b);
    (void)run_recorded(&sc, b);
    trace_digest(b, db);
    assert_string_not_equal(da, db);
    db_remove(a);
    db_remove(b);
    chunksim_scenario_free(&sc);
}

static void test_ble_default_delivers_whole_coredump(void **state)
{
    (void)state;
    chunksim_scenario_t sc;
    load(&sc, "ble_default.ini", NULL, 0);
    chunksim_run_options_t opts = {0};
    chunksim_run_result_t res;
    assert_int_equal(chunksim_run(&sc, &opts, &res), 0);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
    assert_true(res.safety_ok && res.liveness_ok && res.passed);
    /* The message is the type byte and the whole image. */
    assert_int_equal(res.m.message_bytes, sc.coredump.size_bytes + 1);
    assert_true(res.m.bound_us <= res.m.drain_us);
    assert_true(res.m.efficiency > 0.5 && res.m.efficiency <= 1.0);
    assert_int_equal(res.m.violations, 0);
    chunksim_scenario_free(&sc);
}

/* The reference design deletes before the last chunk is sent: a drop there loses the coredump. */
static void test_disconnect_after_last_chunk_loses_with_clear_on_read(void **state)
{
    (void)state;
    chunksim_run_result_t res = run_plain("disconnect_after_last.ini", NULL, 0);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_LOST);
    assert_false(res.safety_ok);
}

static void test_disconnect_after_last_chunk_keeps_with_deferred_clear(void **state)
{
    (void)state;
    chunksim_run_result_t res = run_plain("disconnect_after_last_deferred.ini", NULL, 0);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
    assert_true(res.safety_ok);
}

/* A completion that never comes and no timeout: the run ends incomplete instead of hanging. */
static void test_lost_completion_without_timeout_ends_incomplete(void **state)
{
    (void)state;
    static const char *const sets[] = {"coredump.size_bytes=8KiB", "reader.read_timeout_us=0",
                                       "faults.fault=read_timeout op=2"};
    chunksim_run_result_t res = run_plain("ble_default.ini", sets, 3);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_INCOMPLETE);
    assert_non_null(strstr(res.reason, "stalled"));
}

/* The same lost completion with a timeout: cancel, retry, deliver. */
static void test_lost_completion_with_timeout_is_retried(void **state)
{
    (void)state;
    static const char *const sets[] = {"coredump.size_bytes=8KiB", "reader.read_timeout_us=50ms",
                                       "faults.fault=read_timeout op=2"};
    chunksim_run_result_t res = run_plain("ble_default.ini", sets, 3);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
    assert_true(res.m.retries >= 1);
}

/* A synchronous clear inside confirm holds the CPU: the next flash access waits for it. */
static void test_sync_reader_waits_out_its_own_erase(void **state)
{
    (void)state;
    static const char *const sets[] = {"coredump.size_bytes=8KiB", "link.att_mtu=247",
                                       "reader.kind=sync", "reader.clear_policy=on_confirm"};
    chunksim_run_result_t res = run_plain("ble_default.ini", sets, 4);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
    assert_int_equal(res.m.violations, 0);
}

/* A failed synchronous read is the flash's fault, and the retry waits for the device. */
static void test_sync_reader_read_errors_are_faults_not_violations(void **state)
{
    (void)state;
    static const char *const sets[] = {"coredump.size_bytes=8KiB", "link.att_mtu=247",
                                       "reader.kind=sync", "faults.fault=read_error op=5"};
    chunksim_run_result_t res = run_plain("ble_default.ini", sets, 4);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
    assert_int_equal(res.m.violations, 0);
    assert_true(res.m.retries >= 1);
}

/* The link never comes back after the last chunk: the erase already dispatched still
 * completes on the device, so the coredump is lost, not "never cleared". */
static void test_erase_in_flight_at_the_end_still_completes(void **state)
{
    (void)state;
    static const char *const sets[] = {"coredump.size_bytes=8KiB", "link.att_mtu=247",
                                       "link.reconnect_after_us=never"};
    chunksim_run_result_t res = run_plain("disconnect_after_last.ini", sets, 3);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_LOST);
    assert_int_equal(res.m.violations, 0);
}

/* An erase that reports success but erases nothing: the coredump is sent again, which is
 * the flash's doing, not a second delete by the firmware. */
static void test_silent_erase_resend_is_not_a_violation(void **state)
{
    (void)state;
    static const char *const sets[] = {"coredump.size_bytes=8KiB", "link.att_mtu=247",
                                       "faults.fault=silent_erase op=0 on=erase"};
    chunksim_run_result_t res = run_plain("ble_default.ini", sets, 3);
    assert_int_equal(res.m.violations, 0);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
}

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

/* ---- the record tells the same story as the result ---- */

static int64_t db_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    }
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
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
    load(&sc, "ble_default.ini", sets, 1);
    char path[256], story[600], want[600];
    db_path(path, sizeof(path), "setup");
    chunksim_run_options_t opts = {
        .record_rows = true, .reader_create = refusing_reader, .reader_name = "refusing"};
    chunksim_run_result_t res;
    assert_true(run_recorded_opts(&sc, path, &opts, &res) < 0);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_ERROR);
    assert_true(res.run_id > 0);
    db_run_story(path, story, sizeof(story));
    snprintf(want, sizeof(want), "finished/error: %s", res.reason);
    assert_string_equal(story, want);
    db_remove(path);

    /* Before anything was built: still a row, without an image. */
    sc.coredump.size_bytes = 29;
    opts.reader_create = NULL;
    assert_true(run_recorded_opts(&sc, path, &opts, &res) < 0);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_ERROR);
    db_run_story(path, story, sizeof(story));
    snprintf(want, sizeof(want), "finished/error: %s", res.reason);
    assert_string_equal(story, want);
    assert_int_equal(db_int(path, "SELECT count(*) FROM runs WHERE image_id IS NULL"), 1);
    db_remove(path);
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
        load(&sc, cases[i].file, cases[i].sets, cases[i].n);
        char path[256];
        db_path(path, sizeof(path), "inflight");
        chunksim_run_result_t res = run_recorded(&sc, path);
        assert_true(res.m.chunks > 0);
        assert_int_equal(db_int(path, "SELECT chunks FROM runs"), res.m.chunks);
        assert_int_equal(db_int(path, "SELECT count(*) FROM chunks"), res.m.chunks);
        assert_int_equal(db_int(path, "SELECT max(seq) FROM chunks"), res.m.chunks);
        assert_int_equal(
            db_int(path, "SELECT delivered = 0 AND sent_us IS NULL FROM chunks ORDER BY seq DESC"),
            1);
        db_remove(path);
        chunksim_scenario_free(&sc);
    }
}

/* A run whose trace could not be written (the database is full) is not a passing run:
 * its result says the recording failed, and so does its row as far as it can be written. */
static void test_recording_failure_makes_the_run_an_error(void **state)
{
    (void)state;
    chunksim_scenario_t sc;
    load(&sc, "ble_default.ini", NULL, 0);
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
    assert_true(res.run_id > 0);
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
    db_remove(path);
    chunksim_scenario_free(&sc);
}

static void assert_reason_has(const chunksim_run_result_t *res, const char *part)
{
    if (strstr(res->reason, part) == NULL) {
        fail_msg("reason \"%s\" lacks \"%s\"", res->reason, part);
    }
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
        assert_reason_has(&res, "header read back announcing 9216 bytes, not the stored image's "
                                "8192 (a data fault: stuck_bit): sent at that size, as the SDK "
                                "sends it, then cleared");
    }
}

/* A stuck bit in the magic: nothing is sent, nothing is cleared, and the verdict does not
 * say "cleared". */
static void test_altered_magic_is_lost_without_a_clear(void **state)
{
    (void)state;
    static const char *const sets[] = {"coredump.size_bytes=8KiB", "link.att_mtu=247",
                                       "faults.fault=stuck_bit addr=0x0 flips=1"};
    chunksim_run_result_t res = run_plain("ble_default.ini", sets, 3);
    assert_int_equal(res.m.violations, 0);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_LOST);
    assert_reason_has(&res, "header was altered in flash (stuck_bit) and it was never delivered");
}

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
    assert_reason_has(&res, "the header read failed with IO, which the packetizer takes for "
                            "\"no coredump\"");

    static const char *const async_sets[] = {"coredump.size_bytes=8KiB", "link.att_mtu=247",
                                             "reader.kind=single", "faults.fault=read_error op=0"};
    res = run_plain("ble_default.ini", async_sets, 4);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
    assert_int_equal(res.m.violations, 0);
    assert_true(res.m.retries >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_gives_byte_identical_trace),
        cmocka_unit_test(test_ble_default_delivers_whole_coredump),
        cmocka_unit_test(test_disconnect_after_last_chunk_loses_with_clear_on_read),
        cmocka_unit_test(test_disconnect_after_last_chunk_keeps_with_deferred_clear),
        cmocka_unit_test(test_lost_completion_without_timeout_ends_incomplete),
        cmocka_unit_test(test_lost_completion_with_timeout_is_retried),
        cmocka_unit_test(test_sync_reader_waits_out_its_own_erase),
        cmocka_unit_test(test_sync_reader_read_errors_are_faults_not_violations),
        cmocka_unit_test(test_erase_in_flight_at_the_end_still_completes),
        cmocka_unit_test(test_silent_erase_resend_is_not_a_violation),
        cmocka_unit_test(test_coredump_above_64_mib_is_delivered_ok),
        cmocka_unit_test(test_setup_failure_is_recorded_as_error),
        cmocka_unit_test(test_chunk_on_the_air_at_the_stop_has_a_row),
        cmocka_unit_test(test_recording_failure_makes_the_run_an_error),
        cmocka_unit_test(test_altered_size_field_is_sent_as_announced_and_named),
        cmocka_unit_test(test_altered_magic_is_lost_without_a_clear),
        cmocka_unit_test(test_failed_header_read_ends_the_drain_as_in_the_sdk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
