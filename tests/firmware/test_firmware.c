/*
 * Bring your own firmware (chunksim/firmware.h): a firmware object built by
 * chunksim_add_firmware() from a test SDK copy (chunksim's SDK-style layer
 * laid out as the SDK is, tests/firmware/CMakeLists.txt) and a test port.
 *
 *   - The object's packetizer is the one that runs: the marked build's
 *     chunks are never longer than its mark whatever the room, chunksim's
 *     fill it; the run's row names the packetizer and the SDK version.
 *   - The monitor sees its reads through the shim: a packetizer in the
 *     object that reads twice per chunk, or backwards, is caught by name.
 *   - A function the port references but the simulation never calls stops
 *     nothing; a run that calls it ends in error naming it.
 *   - Reads out of the shim's sight end the run in error, not in a verdict.
 *   - A packetizer without the shim is refused at open; a scenario the SDK's
 *     packetizer cannot play is an error that says why.
 */
#include "chunksim/glue.h"
#include "chunksim/recorder.h"
#include "chunksim/run.h"
#include "chunksim/scenario.h"

#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include "chunksim_test_main.h"

#include "chunksim_test.h"

static const char *firmware(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/lib%s.so", FIRMWARE_DIR, name);
    return path;
}

/* A starter scenario; small: an 8 KiB coredump over BLE with a 247-byte MTU. */
static void load_starter(chunksim_scenario_t *sc, const char *name, bool small)
{
    static const char *const sets[] = {"coredump.size_bytes=8KiB", "link.att_mtu=247"};
    char err[CHUNKSIM_SCENARIO_ERR_BYTES], path[512];
    snprintf(path, sizeof(path), "%s/%s", SCENARIO_LIBRARY_DIR, name);
    int rc = chunksim_scenario_load(sc, path, err, sizeof(err));
    for (size_t i = 0; rc == 0 && small && i < sizeof(sets) / sizeof(sets[0]); i++) {
        rc = chunksim_scenario_set_arg(sc, sets[i], err, sizeof(err));
    }
    if (rc == 0) {
        rc = chunksim_scenario_validate(sc, err, sizeof(err));
    }
    if (rc != 0) {
        fail_msg("%s", err);
    }
}

/* One isolated run of the object, recorded into db when it is given. */
static chunksim_run_result_t run_firmware(const char *name, const chunksim_scenario_t *sc,
                                          const char *db)
{
    chunksim_glue_t g;
    char err[CHUNKSIM_GLUE_LABEL_BYTES];
    if (chunksim_glue_open(&g, firmware(name), err, sizeof(err)) < 0) {
        fail_msg("%s", err);
    }
    assert_true(g.firmware);
    chunksim_rec_t rec;
    if (db != NULL && chunksim_rec_open(&rec, db, err, sizeof(err)) < 0) {
        fail_msg("%s", err);
    }
    const chunksim_glue_run_options_t opts = {
        .rec = db != NULL ? &rec : NULL,
        .db_path = db,
        .record_rows = true,
        .timeout_s = CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT,
    };
    chunksim_run_result_t res;
    int rc = chunksim_glue_run(&g, sc, &opts, &res);
    /* As chunksim_run(): a run that could not be set up says so with a negative code too. */
    assert_true(rc == 0 || res.outcome == CHUNKSIM_OUTCOME_ERROR);
    if (db != NULL) {
        assert_int_equal(chunksim_rec_close(&rec), 0);
    }
    chunksim_glue_close(&g);
    return res;
}

static void assert_outcome(const chunksim_run_result_t *res, chunksim_outcome_t outcome)
{
    if (res->outcome != outcome) {
        fail_msg("expected %s, got %s: %s", chunksim_outcome_name(outcome),
                 chunksim_outcome_name(res->outcome), res->reason);
    }
}

static int64_t db_int(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static void temp_db(char *path, size_t len, const char *name)
{
    snprintf(path, len, "%s/%s-%d.db", FIRMWARE_DIR, name, (int)getpid());
    unlink(path);
}

/* ble_default.ini, small, with the object, recorded into db when it is given. */
static chunksim_run_result_t run_small(const char *name, const char *db, chunksim_outcome_t outcome)
{
    chunksim_scenario_t sc;
    load_starter(&sc, "ble_default.ini", true);
    chunksim_run_result_t res = run_firmware(name, &sc, db);
    chunksim_scenario_free(&sc);
    assert_outcome(&res, outcome);
    return res;
}

/* The marked build's chunks are at most 40 bytes with a 247-byte MTU; chunksim's fill it. */
static void test_the_objects_packetizer_runs(void **state)
{
    (void)state;
    char db[1024];
    temp_db(db, sizeof(db), "packetizer");
    chunksim_run_result_t res = run_small("fw_chunk_limit", db, CHUNKSIM_OUTCOME_OK);
    assert_gt(res.run_id, 0);
    assert_int_equal(db_int(db, "SELECT max(length(data)) FROM chunks"), 40);
    assert_int_equal(db_int(db, "SELECT count(*) FROM runs WHERE packetizer = "
                                "'firmware, SDK 0.99.7'"),
                     1);
    run_small("fw_ok", db, CHUNKSIM_OUTCOME_OK);
    assert_true(db_int(db, "SELECT max(length(data)) FROM chunks") > 40);
    unlink(db);
}

/* Every starter scenario the SDK's packetizer can play ends as the scenario expects (the
 * others, RLE and the deferred clear, are refused: test_deferred_clear_is_refused). */
static void test_starters_pass_with_the_objects_packetizer(void **state)
{
    (void)state;
    static const char *const starters[] = {
        "bitflips.ini",
        "ble_default.ini",
        "disconnect_after_last.ini",
        "double_buffer.ini",
        "network_large_chunk.ini",
        "power_loss_erase.ini",
        "power_loss_slow_link.ini",
        "qspi_fast.ini",
        "read_errors.ini",
        "read_timeouts.ini",
        "spi_slow_single.ini",
        "sync_baseline.ini",
        "wear_out.ini",
    };
    for (size_t i = 0; i < sizeof(starters) / sizeof(starters[0]); i++) {
        chunksim_scenario_t sc;
        load_starter(&sc, starters[i], false);
        chunksim_run_result_t res = run_firmware("fw_ok", &sc, NULL);
        if (!res.passed) {
            fail_msg("%s: %s: %s", starters[i], chunksim_outcome_name(res.outcome), res.reason);
        }
        chunksim_scenario_free(&sc);
    }
}

static void assert_caught(const char *name, const char *invariant)
{
    chunksim_run_result_t res = run_small(name, NULL, CHUNKSIM_OUTCOME_VIOLATION);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "%s at call ", invariant);
    if (strncmp(res.first_violation, prefix, strlen(prefix)) != 0) {
        fail_msg("expected %s first, got \"%s\"", invariant, res.first_violation);
    }
}

static void test_reads_twice_is_caught(void **state)
{
    (void)state;
    assert_caught("fw_reads_twice", "one_read_per_chunk");
}

static void test_reads_backwards_is_caught(void **state)
{
    (void)state;
    assert_caught("fw_reads_backwards", "sequential");
}

/* fw_ok references memfault_platform_reboot() too, at crash time only: it loads and passes. */
static void test_unresolved_call_is_named(void **state)
{
    (void)state;
    char db[1024];
    temp_db(db, sizeof(db), "unresolved");
    chunksim_run_result_t res = run_small("fw_clear_reboots", db, CHUNKSIM_OUTCOME_ERROR);
    chunksim_test_assert_contains(
        res.reason, "glue called memfault_platform_reboot, which the object references "
                    "but does not define");
    chunksim_test_assert_contains(res.reason, "memfault_platform_coredump_storage_clear");
    assert_int_equal(db_int(db, "SELECT count(*) FROM runs WHERE outcome = 'error' AND reason "
                                "LIKE '%memfault_platform_reboot%' AND packetizer LIKE "
                                "'firmware, SDK %'"),
                     1);
    unlink(db);
}

/* Reads the shim cannot see end the run in error: never judged blind (no wrongly_absent). */
static void test_unseen_reads_are_an_error(void **state)
{
    (void)state;
    chunksim_run_result_t res = run_small("fw_hidden_reads", NULL, CHUNKSIM_OUTCOME_ERROR);
    chunksim_test_assert_contains(res.reason, "where chunksim's shim cannot see it");
    assert_int_equal(res.m.violations, 0);
}

/* A port's own memfault_coredump_read over a storage read in its file, the memory-mapped
 * flash at a uint32_t address (the nRF5 SDK port's shape): its reads are seen and judged. */
static void test_ports_own_coredump_read_is_seen(void **state)
{
    (void)state;
    run_small("fw_own_read", NULL, CHUNKSIM_OUTCOME_OK);
    assert_caught("fw_own_read_skewed", "wrong_bytes");
}

/* A packetizer that makes its chunk after a failed read is named for it in the run's reason. */
static void test_chunk_after_a_failed_read_is_named(void **state)
{
    (void)state;
    chunksim_scenario_t sc;
    load_starter(&sc, "read_errors.ini", false);
    chunksim_run_result_t res = run_firmware("fw_ignores_read_errors", &sc, NULL);
    chunksim_test_assert_contains(res.reason,
                                  "failed and the packetizer made its chunk all the same");
    res = run_firmware("fw_ok", &sc, NULL); /* retries a failed read: nothing to say */
    assert_null(strstr(res.reason, "made its chunk all the same"));
    chunksim_scenario_free(&sc);
}

/* A power cut drops the firmware's packetizer with the reader; the boot makes it again. */
static void test_reboot_starts_the_firmware_again(void **state)
{
    (void)state;
    chunksim_scenario_t sc;
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    load_starter(&sc, "ble_default.ini", true);
    assert_int_equal(chunksim_scenario_set_arg(&sc, "run.power_cuts=3", err, sizeof(err)), 0);
    assert_int_equal(chunksim_scenario_validate(&sc, err, sizeof(err)), 0);
    chunksim_run_result_t res = run_firmware("fw_ok", &sc, NULL);
    chunksim_scenario_free(&sc);
    assert_outcome(&res, CHUNKSIM_OUTCOME_OK);
    chunksim_test_assert_contains(res.reason, "2 boots, power cut in op 3 of boot 1");
}

static void test_packetizer_without_shim_is_refused(void **state)
{
    (void)state;
    chunksim_glue_t g;
    char err[CHUNKSIM_GLUE_LABEL_BYTES];
    assert_true(chunksim_glue_open(&g, firmware("glue_fw_no_shim"), err, sizeof(err)) < 0);
    chunksim_test_assert_contains(err, "carries its own packetizer but not chunksim's shim");
}

static void test_deferred_clear_is_refused(void **state)
{
    (void)state;
    chunksim_scenario_t sc;
    load_starter(&sc, "disconnect_after_last_deferred.ini", false);
    chunksim_run_result_t res = run_firmware("fw_ok", &sc, NULL);
    assert_outcome(&res, CHUNKSIM_OUTCOME_ERROR);
    chunksim_test_assert_contains(res.reason, "clear_policy = on_confirm");
    chunksim_scenario_free(&sc);
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_the_objects_packetizer_runs),
    cmocka_unit_test(test_starters_pass_with_the_objects_packetizer),
    cmocka_unit_test(test_reads_twice_is_caught),
    cmocka_unit_test(test_reads_backwards_is_caught),
    cmocka_unit_test(test_unresolved_call_is_named),
    cmocka_unit_test(test_unseen_reads_are_an_error),
    cmocka_unit_test(test_ports_own_coredump_read_is_seen),
    cmocka_unit_test(test_chunk_after_a_failed_read_is_named),
    cmocka_unit_test(test_reboot_starts_the_firmware_again),
    cmocka_unit_test(test_packetizer_without_shim_is_refused),
    cmocka_unit_test(test_deferred_clear_is_refused),
})
