/*
 * Bring your own glue (chunksim/glue.h, chunksim/board.h): the example glues
 * in examples/glue/, built through chunksim_add_glue() as a user builds
 * theirs, run in place of the built-in reader.
 *
 *   - The two correct glues end every starter scenario as the built-in
 *     reader does, as the scenario expects.
 *   - The write-up's glue (the published pattern) fails every starter
 *     scenario the glue is asked anything in; built once per defect, each
 *     defect shows as a named violation with the call where it happened, on
 *     a scenario the correct glues pass; with every defect fixed it ends
 *     every starter scenario as the built-in reader does. (BLE, 247-byte
 *     MTU, so the first chunk reads payload [0, 240) and every later one 241
 *     bytes.) A read the glue's memfault_coredump_read() refuses is named
 *     as that, never as a flash I/O error.
 *   - A glue that segfaults, spins forever, writes past its buffer or
 *     refuses to start is a recorded failed run with the reason, the test
 *     process (the harness) carries on, and the database stays sound.
 *   - Every run row names the glue: its absolute path and SHA-256.
 */
#include "chunksim/glue.h"
#include "chunksim/recorder.h"
#include "chunksim/run.h"
#include "chunksim/scenario.h"
#include "chunksim/sha256.h"

#include <dirent.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
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

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define SMALL_RUN "coredump.size_bytes=8KiB", "link.att_mtu=247"

/* ---- helpers ---- */

static void open_glue(chunksim_glue_t *g, const char *path)
{
    char err[CHUNKSIM_GLUE_LABEL_BYTES];
    if (chunksim_glue_open(g, path, err, sizeof(err)) < 0) {
        fail_msg("%s", err);
    }
}

/* One glue run, not recorded. */
static chunksim_run_result_t run_glue(const char *path, const chunksim_scenario_t *sc)
{
    chunksim_glue_t g;
    open_glue(&g, path);
    const chunksim_glue_run_options_t opts = {.timeout_s = CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT};
    chunksim_run_result_t res;
    int rc = chunksim_glue_run(&g, sc, &opts, &res);
    /* As chunksim_run(): a run that could not be set up says so with a negative code too. */
    assert_true(rc == 0 || res.outcome == CHUNKSIM_OUTCOME_ERROR);
    chunksim_glue_close(&g);
    return res;
}

/* The glue at path on the starter scenario name, with the overrides sets[0..n). */
static chunksim_run_result_t run_starter(const char *path, const char *name,
                                         const char *const *sets, size_t n)
{
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, name, sets, n);
    chunksim_run_result_t res = run_glue(path, &sc);
    chunksim_scenario_free(&sc);
    return res;
}

static chunksim_run_result_t run_builtin(const chunksim_scenario_t *sc)
{
    const chunksim_run_options_t opts = {0};
    chunksim_run_result_t res;
    assert_int_equal(chunksim_run(sc, &opts, &res), 0);
    return res;
}

/* The writeup.c copy with only this defect ("none": every defect fixed). */
static const char *writeup_only(const char *defect)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/libglue_writeup_only_%s.so", GLUE_TEST_DIR, defect);
    return path;
}

static const char *evil(const char *what)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/libglue_evil_%s.so", GLUE_TEST_DIR, what);
    return path;
}

/* A glue built in this directory by name (libglue_<name>.so). */
static const char *test_glue(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/libglue_%s.so", GLUE_TEST_DIR, name);
    return path;
}

/* First violation "<invariant> at call N: ..." with N > 0, and the detail holds part. */
static void assert_caught_by(const chunksim_run_result_t *res, const char *invariant,
                             const char *part)
{
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "%s at call ", invariant);
    if (strncmp(res->first_violation, prefix, strlen(prefix)) != 0) {
        fail_msg("expected %s first, got \"%s\" (outcome %s: %s)", invariant, res->first_violation,
                 chunksim_outcome_name(res->outcome), res->reason);
    }
    assert_gt(strtoull(res->first_violation + strlen(prefix), NULL, 10), 0);
    chunksim_test_assert_contains(res->first_violation, part);
    assert_int_equal(res->outcome, CHUNKSIM_OUTCOME_VIOLATION);
    assert_false(res->safety_ok);
}

/* Ended by the monitor, not by a watchdog: no_progress with the read it kept making. */
static void assert_no_progress(const chunksim_run_result_t *res, const char *read)
{
    assert_caught_by(res, "no_progress", read);
    chunksim_test_assert_contains(res->first_violation, "calls and flash operations since t=");
    chunksim_test_assert_contains(res->reason, "stopped: no progress");
    assert_int_equal(res->m.violations, 1);
}

/* The scenario is sound: the built-in reader, both example glues and the write-up fixed pass. */
static void assert_scenario_passes(const chunksim_scenario_t *sc)
{
    chunksim_run_result_t res = run_builtin(sc);
    chunksim_test_assert_run_ok(&res);
    res = run_glue(GLUE_SINGLE_WINDOW, sc);
    chunksim_test_assert_run_ok(&res);
    res = run_glue(GLUE_DOUBLE_BUFFER, sc);
    chunksim_test_assert_run_ok(&res);
    res = run_glue(writeup_only("none"), sc);
    chunksim_test_assert_run_ok(&res);
}

/*
 * The write-up's glue with only defect, on the starter scenario name with the overrides
 * sets[0..n): its result. The scenario itself passes (assert_scenario_passes), so what the
 * result shows is the defect's doing.
 */
static chunksim_run_result_t run_writeup_only(const char *defect, const char *name,
                                              const char *const *sets, size_t n)
{
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, name, sets, n);
    chunksim_run_result_t res = run_glue(writeup_only(defect), &sc);
    assert_scenario_passes(&sc);
    chunksim_scenario_free(&sc);
    return res;
}

static int starter_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The starter library's file names, sorted; NULL-terminated, free with free_names(). */
static char **starter_names(void)
{
    DIR *d = opendir(SCENARIO_LIBRARY_DIR);
    assert_non_null(d);
    char **names = calloc(64, sizeof(*names));
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 63) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".ini") == 0) {
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    assert_ge(n, 10);
    qsort(names, n, sizeof(*names), starter_cmp);
    return names;
}

static void free_names(char **names)
{
    for (size_t i = 0; names[i] != NULL; i++) {
        free(names[i]);
    }
    free(names);
}

/* A recorder on a fresh database file, removed by db_drop(). */
typedef struct {
    char path[256];
    chunksim_rec_t rec;
} db_t;

static void db_open(db_t *db)
{
    char err[512];
    snprintf(db->path, sizeof(db->path), "/tmp/chunksim_test_glue_%ld.db", (long)getpid());
    unlink(db->path);
    memset(&db->rec, 0, sizeof(db->rec));
    if (chunksim_rec_open(&db->rec, db->path, err, sizeof(err)) < 0) {
        fail_msg("%s", err);
    }
}

static void db_drop(db_t *db)
{
    chunksim_rec_close(&db->rec);
    chunksim_test_db_remove(db->path);
}

static chunksim_run_result_t run_recorded(db_t *db, chunksim_glue_t *g,
                                          const chunksim_scenario_t *sc, double timeout_s)
{
    const chunksim_glue_run_options_t opts = {
        .rec = &db->rec,
        .db_path = db->path,
        .record_rows = true,
        .timeout_s = timeout_s,
    };
    chunksim_run_result_t res;
    assert_int_equal(chunksim_glue_run(g, sc, &opts, &res), 0);
    assert_non_null(chunksim_rec_db(&db->rec)); /* reopened after the child */
    assert_gt(res.run_id, 0);
    return res;
}

/* The row sql (?1 the run id) gives for one run, stepped to: there must be one. Finalize it. */
static sqlite3_stmt *run_row(db_t *db, const char *sql, int64_t run_id)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(chunksim_rec_db(&db->rec), sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, run_id);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    return st;
}

/* A text column of one run; "" when NULL. */
static const char *run_text(db_t *db, int64_t run_id, const char *column)
{
    static char text[1024];
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT %s FROM runs WHERE run_id = ?1", column);
    sqlite3_stmt *st = run_row(db, sql, run_id);
    const unsigned char *v = sqlite3_column_text(st, 0);
    snprintf(text, sizeof(text), "%s", v != NULL ? (const char *)v : "");
    sqlite3_finalize(st);
    return text;
}

static int64_t db_count(db_t *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(chunksim_rec_db(&db->rec), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void assert_db_sound(db_t *db)
{
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(chunksim_rec_db(&db->rec), "PRAGMA integrity_check", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    assert_int_equal(db_count(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    assert_int_equal(db_count(db, "SELECT count(*) FROM runs WHERE status = 'running'"), 0);
}

/* ---- the correct glues ---- */

/*
 * A glue is an async reader. A starter about RLE over a synchronous reader
 * (rle_sync.ini) plays out with any glue as rle_async.ini does, a
 * violation, where the built-in reader it is about ends ok.
 */
static bool glue_can_play(const chunksim_scenario_t *sc)
{
    return !(sc->coredump.rle && sc->reader.kind == CHUNKSIM_READER_SYNC);
}

/* Each glue ends every starter scenario with the built-in reader's outcome and verdicts. */
static void assert_every_starter_ends_as_with_the_builtin_reader(const char *const *glues, size_t n)
{
    char **names = starter_names();
    for (size_t i = 0; names[i] != NULL; i++) {
        chunksim_scenario_t sc;
        chunksim_test_load_starter(&sc, names[i], NULL, 0);
        if (!glue_can_play(&sc)) {
            chunksim_scenario_free(&sc);
            continue;
        }
        chunksim_run_result_t want = run_builtin(&sc);
        for (size_t k = 0; k < n; k++) {
            chunksim_run_result_t got = run_glue(glues[k], &sc);
            if (got.outcome != want.outcome || !got.passed ||
                got.m.violations != want.m.violations ||
                got.m.message_bytes != want.m.message_bytes ||
                strcmp(got.first_violation, want.first_violation) != 0) {
                fail_msg("%s with %s: %s (%s), %" PRIu64 " violation(s) (first: '%s'), %" PRIu64
                         " message bytes; the built-in reader: %s, %" PRIu64
                         " violation(s) (first: '%s'), %" PRIu64 " message bytes",
                         names[i], glues[k], chunksim_outcome_name(got.outcome), got.reason,
                         got.m.violations, got.first_violation, got.m.message_bytes,
                         chunksim_outcome_name(want.outcome), want.m.violations,
                         want.first_violation, want.m.message_bytes);
            }
        }
        chunksim_scenario_free(&sc);
    }
    free_names(names);
}

static void test_example_glues_end_every_starter_scenario_as_the_builtin_reader(void **state)
{
    (void)state;
    static const char *const glues[] = {GLUE_SINGLE_WINDOW, GLUE_DOUBLE_BUFFER};
    assert_every_starter_ends_as_with_the_builtin_reader(glues, ARRAY_LEN(glues));
}

/*
 * A glue with no "read in flight" flag of its own, correct per board.h: after its prepare said
 * wait, the application asks nothing of it before the completion. On ble_default its load of
 * the window at 4085 is still in flight when the link has sent the chunk before; an application
 * that prepared early, while the link sent, must wait for that load instead of reading it.
 */
static void test_glue_without_an_in_flight_flag_is_not_blamed_for_the_early_prepare(void **state)
{
    (void)state;
    static const char *const glues[] = {GLUE_TRUSTING};
    assert_every_starter_ends_as_with_the_builtin_reader(glues, ARRAY_LEN(glues));
}

/* A prepare that runs its load's completion itself and says ready: caught at the peek that
 * reads the bytes still on their way, and named in the verdict. */
static void test_glue_completing_its_read_inside_prepare_is_inline_completion(void **state)
{
    (void)state;
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "ble_default.ini", NULL, 0);
    chunksim_run_result_t res = run_glue(test_glue("inline"), &sc);
    assert_caught_by(&res, "inline_completion",
                     "read of [0, 4096) taken as done by the prepare that started it: "
                     "memfault_coredump_read(0, 12 bytes) before its completion; seen inside "
                     "get_chunk");
    /* The same glue, waiting for its completion as it should, is correct. */
    res = run_glue(GLUE_TRUSTING, &sc);
    chunksim_test_assert_run_ok(&res);
    chunksim_scenario_free(&sc);
}

/*
 * ble_default's second load (flash op 1, at 4085) is the early prepare's, made while chunk 239
 * is on the air. Its completion is lost: the wait for it still times out and retries.
 */
static void test_lost_completion_of_the_early_prepare_is_given_up_and_retried(void **state)
{
    (void)state;
    static const char *const sets[] = {"reader.read_timeout_us=50ms",
                                       "faults.fault=read_timeout on=read op=1"};
    chunksim_run_result_t res =
        run_starter(GLUE_TRUSTING, "ble_default.ini", sets, ARRAY_LEN(sets));
    chunksim_test_assert_run_ok(&res);
    assert_int_equal(res.m.retries, 1);
}

/* The link drops with that load in flight and is back before it completes: the message
 * restarts at 0 only after the completion, so the glue's one flash operation is never doubled. */
static void test_abort_with_the_early_prepare_in_flight_waits_for_its_completion(void **state)
{
    (void)state;
    static const char *const sets[] = {"link.disconnect_after_chunk=239",
                                       "link.reconnect_after_us=100us"};
    chunksim_run_result_t res =
        run_starter(GLUE_TRUSTING, "ble_default.ini", sets, ARRAY_LEN(sets));
    chunksim_test_assert_run_ok(&res);
}

/* ---- the write-up's glue ---- */

/*
 * The arithmetic below: writeup.c's buffer is 4 KiB (WRITEUP_BUF_BYTES), the BLE runs have a
 * 247-byte MTU (prepare is asked for 244 bytes; the first payload read is [0, 240), every later
 * one 241 bytes) and an 8 KiB coredump that fills its storage. The buffer is loaded again once
 * it holds 244 bytes or fewer past the last read: after the read that ends at 3855.
 */

/* The defects' verdicts: each names the invariant, where it happened and what the glue did. */
static void assert_read_refused(const chunksim_run_result_t *res, const char *range)
{
    char want[96];
    snprintf(want, sizeof(want), "memfault_coredump_read returned false for %s", range);
    assert_caught_by(res, "read_failed", want);
    /* The glue's own routine refused: nothing sends its author to the flash driver. */
    if (strstr(res->reason, "(IO)") != NULL || strstr(res->reason, "with IO") != NULL) {
        fail_msg("a refused read worded as a flash I/O error: %s", res->reason);
    }
    /* The loop's own ending names the code too: retries of a refused payload read run
     * out, or a refused header read is "no coredump", as in the SDK. */
    chunksim_test_assert_contains(res->reason, "READ_REFUSED");
}

/* The published glue, every defect in: no starter scenario ends as it should. Each fails with
 * a defect's verdict, the first to fire: the reads skipping ahead, or with 4 KiB chunks the
 * buffer the size of the chunk. rle_async.ini is refused before the glue is asked anything. */
static void test_writeup_glue_fails_every_starter_scenario(void **state)
{
    (void)state;
    char **names = starter_names();
    for (size_t i = 0; names[i] != NULL; i++) {
        chunksim_scenario_t sc;
        chunksim_test_load_starter(&sc, names[i], NULL, 0);
        chunksim_run_result_t res = run_glue(GLUE_WRITEUP, &sc);
        if (strcmp(names[i], "rle_async.ini") == 0) {
            /* The sizing pass fits its buffer; the second pass goes back to 0. */
            assert_caught_by(&res, "sequential", "read [0, 128) but the next offset is 4096");
        } else if (strcmp(names[i], "network_large_chunk.ini") == 0) {
            assert_no_progress(&res, "last read [0, 4096) repeated");
        } else {
            assert_caught_by(&res, "read_failed", "memfault_coredump_read returned false for [");
            assert_false(res.passed);
        }
        chunksim_scenario_free(&sc);
    }
    free_names(names);
}

/* Where none of its defects can fire, the published glue is sound: a coredump that its one
 * buffer holds is sent and cleared (with the storage info filled in, as the page has it). */
static void test_writeup_glue_sends_a_coredump_its_buffer_holds(void **state)
{
    (void)state;
    static const char *const sets[] = {"coredump.size_bytes=4KiB", "link.att_mtu=247"};
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "ble_default.ini", sets, ARRAY_LEN(sets));
    chunksim_run_result_t res = run_glue(GLUE_WRITEUP, &sc);
    chunksim_test_assert_run_ok(&res);
    assert_int_equal(res.m.message_bytes, run_builtin(&sc).m.message_bytes);
    chunksim_scenario_free(&sc);
}

/* The second load starts at 3855 and sets last_read_offset to 3855, not 0: the buffer seems to
 * hold 241 bytes and is loaded again at 3855 + 3855. The read at 3855 is then refused. */
static void test_writeup_absolute_offset_skips_the_reads_ahead(void **state)
{
    (void)state;
    static const char *const sets[] = {SMALL_RUN};
    chunksim_run_result_t res =
        run_writeup_only("absolute_offset", "ble_default.ini", sets, ARRAY_LEN(sets));
    assert_read_refused(&res, "[3855, 4096)");
    chunksim_test_assert_contains(res.first_violation, "the last flash read was [7710, 8192)");
}

/* The final window [7952, 8192) holds 240 bytes, never more than 244: loaded again, forever. */
static void test_writeup_final_short_window_is_no_progress(void **state)
{
    (void)state;
    static const char *const sets[] = {SMALL_RUN};
    chunksim_run_result_t res =
        run_writeup_only("final_window", "ble_default.ini", sets, ARRAY_LEN(sets));
    assert_no_progress(&res, "last read [7952, 8192) repeated");
    assert_int_equal(res.m.chunks, 33); /* every chunk but the last */
}

/* 4 KiB chunks and a 4 KiB buffer, as "size just needs to be >= the chunk size" allows: the
 * full buffer is never more than the chunk, so the first window is loaded again, forever. */
static void test_writeup_buffer_the_size_of_the_chunk_is_no_progress(void **state)
{
    (void)state;
    chunksim_run_result_t res =
        run_writeup_only("chunk_sized_buf", "network_large_chunk.ini", NULL, 0);
    assert_no_progress(&res, "last read [0, 4096) repeated");
    assert_int_equal(res.m.chunks, 0);
}

/* The second load (at 3855) fails; the glue never looks at the status and serves the buffer,
 * which still holds [0, 4096). The reason says which flash read failed. */
static void test_writeup_ignored_read_error_serves_stale_bytes(void **state)
{
    (void)state;
    static const char *const sets[] = {SMALL_RUN, "faults.fault=read_error on=read op=1"};
    chunksim_run_result_t res =
        run_writeup_only("status_ignored", "ble_default.ini", sets, ARRAY_LEN(sets));
    assert_caught_by(&res, "wrong_bytes", "read [3855, 4096)");
    chunksim_test_assert_contains(
        res.reason, "glue: flash_read_async(offset 3855, 4096 bytes) completed with E_IO");
    assert_int_equal(res.m.faults_injected, 1);
}

/* The second load never completes; the read timeout gives it up, the glue serves the buffer. */
static void test_writeup_abandoned_read_serves_stale_bytes(void **state)
{
    (void)state;
    static const char *const sets[] = {SMALL_RUN, "reader.read_timeout_us=50ms",
                                       "faults.fault=read_timeout on=read op=1"};
    chunksim_run_result_t res =
        run_writeup_only("status_ignored", "ble_default.ini", sets, ARRAY_LEN(sets));
    assert_caught_by(&res, "wrong_bytes", "read [3855, 4096)");
    chunksim_test_assert_contains(res.reason,
                                  "glue: flash_read_async(offset 3855, 4096 bytes) completed with "
                                  "E_TIMEOUT");
}

/* The link drops after chunk 20 (the buffer then starts at 3855): the packetizer starts the
 * message again with the header peek at 0, which the buffer no longer holds. */
static void test_writeup_without_a_restart_refuses_the_header_peek_after_an_abort(void **state)
{
    (void)state;
    static const char *const sets[] = {SMALL_RUN, "link.disconnect_after_chunk=20",
                                       "link.reconnect_after_us=100ms"};
    chunksim_run_result_t res =
        run_writeup_only("no_restart", "ble_default.ini", sets, ARRAY_LEN(sets));
    assert_read_refused(&res, "[0, 12)");
    chunksim_test_assert_contains(res.first_violation,
                                  "header peek in get_chunk after the message restarted");
}

/* The starter scenario with a disconnect that restarts the message shows it too. */
static void test_writeup_without_a_restart_fails_the_deferred_clear_scenario(void **state)
{
    (void)state;
    chunksim_run_result_t res =
        run_writeup_only("no_restart", "disconnect_after_last_deferred.ini", NULL, 0);
    assert_read_refused(&res, "[0, 12)");
}

static void
test_writeup_with_every_defect_fixed_ends_every_starter_scenario_as_the_builtin(void **state)
{
    (void)state;
    const char *const glues[] = {writeup_only("none")};
    assert_every_starter_ends_as_with_the_builtin_reader(glues, ARRAY_LEN(glues));
}

/* ---- isolation: a misbehaving glue is a failed run, not a dead harness ---- */

/* A run of the glue at path on ble_default.ini with SMALL_RUN, recorded into a database of its
 * own: recorded_open() loads the scenario, opens the database and the glue; recorded_free()
 * closes and removes them. */
typedef struct recorded {
    chunksim_scenario_t sc;
    db_t db;
    chunksim_glue_t g;
} recorded_t;

static void recorded_open(recorded_t *r, const char *path)
{
    static const char *const sets[] = {SMALL_RUN};
    chunksim_test_load_starter(&r->sc, "ble_default.ini", sets, ARRAY_LEN(sets));
    db_open(&r->db);
    open_glue(&r->g, path);
}

static void recorded_free(recorded_t *r)
{
    chunksim_glue_close(&r->g);
    db_drop(&r->db);
    chunksim_scenario_free(&r->sc);
}

/* The run row of a glue that died: interrupted, outcome error, the reason, the glue named. */
static void assert_recorded_failure(db_t *db, const chunksim_run_result_t *res, const char *glue)
{
    assert_int_equal(res->outcome, CHUNKSIM_OUTCOME_ERROR);
    assert_false(res->passed);
    assert_string_equal(run_text(db, res->run_id, "status"), "interrupted");
    assert_string_equal(run_text(db, res->run_id, "outcome"), "error");
    assert_string_equal(run_text(db, res->run_id, "reason"), res->reason);
    chunksim_test_assert_contains(run_text(db, res->run_id, "glue"), glue);
    assert_db_sound(db);
}

static void test_segfaulting_glue_is_a_recorded_failed_run(void **state)
{
    (void)state;
    recorded_t r;
    recorded_open(&r, evil("segfault"));
    chunksim_run_result_t res = run_recorded(&r.db, &r.g, &r.sc, CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT);
    /* The fifth coredump read: the header peek, then payload reads at 0, 240, 481, 722. */
    chunksim_test_assert_contains(res.reason, "glue crashed: ");
    chunksim_test_assert_contains(res.reason,
                                  "in memfault_coredump_read(offset 722, 241 bytes), called by the "
                                  "packetizer in get-chunk");
#ifndef __SANITIZE_ADDRESS__
    chunksim_test_assert_contains(res.reason, "SIGSEGV");
#endif
    assert_recorded_failure(&r.db, &res, "libglue_evil_segfault.so sha256:");

    /* The harness and the database carry on: the next run is recorded as usual. */
    chunksim_glue_t fine;
    open_glue(&fine, evil("none"));
    res = run_recorded(&r.db, &fine, &r.sc, CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT);
    chunksim_test_assert_run_ok(&res);
    assert_string_equal(run_text(&r.db, res.run_id, "status"), "finished");
    assert_gt(db_count(&r.db, "SELECT count(*) FROM chunks"), 0);
    assert_db_sound(&r.db);
    chunksim_glue_close(&fine);
    recorded_free(&r);
}

static void test_glue_that_never_returns_is_killed_and_recorded(void **state)
{
    (void)state;
    recorded_t r;
    recorded_open(&r, evil("spin"));
    chunksim_run_result_t res = run_recorded(&r.db, &r.g, &r.sc, 2.0);
    chunksim_test_assert_contains(res.reason, "glue hung: still running after 2 s of wall time");
    chunksim_test_assert_contains(res.reason, "in memfault_coredump_read(offset 722, 241 bytes)");
    assert_recorded_failure(&r.db, &res, "libglue_evil_spin.so sha256:");
    recorded_free(&r);
}

static void test_glue_writing_past_its_buffer_is_a_recorded_failed_run(void **state)
{
    (void)state;
    recorded_t r;
    recorded_open(&r, evil("scribble"));
    chunksim_run_result_t res = run_recorded(&r.db, &r.g, &r.sc, CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT);
    chunksim_test_assert_contains(
        res.reason, "glue corrupted memory: memfault_coredump_read(offset 722, 241 bytes)");
    chunksim_test_assert_contains(res.reason, "wrote outside the 241-byte buffer it was given");
    assert_recorded_failure(&r.db, &res, "libglue_evil_scribble.so sha256:");
    recorded_free(&r);
}

/* A stop request (SIGINT/SIGTERM in the harness) reaches the run, which ends as interrupted. */
static void test_stop_request_ends_a_glue_run_as_interrupted(void **state)
{
    (void)state;
    static const char *const sets[] = {SMALL_RUN};
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "ble_default.ini", sets, ARRAY_LEN(sets));
    chunksim_glue_t g;
    open_glue(&g, evil("spin"));
    volatile sig_atomic_t stop = 1;
    const chunksim_glue_run_options_t opts = {.timeout_s = CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT,
                                              .stop = &stop};
    chunksim_run_result_t res;
    (void)chunksim_glue_run(&g, &sc, &opts, &res);
    chunksim_test_assert_contains(res.reason, "interrupted: stopped by a signal before the end");
    assert_false(res.passed);
    assert_lt(res.wall_ms, 0.9 * CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT * 1e3);
    chunksim_glue_close(&g);
    chunksim_scenario_free(&sc);
}

/* The glue hands the flash driver a wild buffer: the crash comes later, in the board's code. */
static void test_crash_after_the_glue_returned_names_the_last_glue_call(void **state)
{
    (void)state;
    recorded_t r;
    recorded_open(&r, evil("wild_dma"));
    chunksim_run_result_t res = run_recorded(&r.db, &r.g, &r.sc, CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT);
#ifdef __SANITIZE_ADDRESS__
    /* The sanitizer may report the wild write and exit instead of dying from SIGSEGV. */
    if (strstr(res.reason, "without a result; the last glue call was ") == NULL) {
        chunksim_test_assert_contains(res.reason, "run crashed: ");
    }
#else
    chunksim_test_assert_contains(res.reason, "run crashed: SIGSEGV outside the glue");
#endif
    chunksim_test_assert_contains(res.reason,
                                  "memfault_platform_coredump_prepare_async(244), called by the "
                                  "application's prepare step");
    assert_recorded_failure(&r.db, &res, "libglue_evil_wild_dma.so sha256:");
    recorded_free(&r);
}

/* The object was deleted after it was opened (a rebuild): the run still gets a failed row. */
static void test_glue_gone_before_its_run_is_a_recorded_failed_run(void **state)
{
    (void)state;
    char copy[256], cmd[1024];
    snprintf(copy, sizeof(copy), "/tmp/chunksim_test_glue_%ld.so", (long)getpid());
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", GLUE_SINGLE_WINDOW, copy);
    assert_int_equal(system(cmd), 0);
    recorded_t r;
    recorded_open(&r, copy);
    unlink(copy);
    chunksim_run_result_t res = run_recorded(&r.db, &r.g, &r.sc, CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_ERROR);
    chunksim_test_assert_contains(res.reason, "glue run could not start: ");
    assert_string_equal(run_text(&r.db, res.run_id, "outcome"), "error");
    assert_string_equal(run_text(&r.db, res.run_id, "reason"), res.reason);
    chunksim_test_assert_contains(run_text(&r.db, res.run_id, "glue"), copy);
    assert_db_sound(&r.db);
    recorded_free(&r);
}

static void test_glue_refusing_to_start_is_an_error(void **state)
{
    (void)state;
    static const char *const sets[] = {SMALL_RUN};
    chunksim_run_result_t res =
        run_starter(evil("refuse"), "ble_default.ini", sets, ARRAY_LEN(sets));
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_ERROR);
    chunksim_test_assert_contains(res.reason, "glue: chunksim_glue_init refused to start with -1");
    /* A version 1 glue that checks for equality refuses this board: the reason says so. */
    chunksim_test_assert_contains(
        res.reason, "(the board is version 2; a glue built for an older "
                    "chunksim/board.h that checks for equality refuses it: rebuild it)");
}

/* prepare says "wait" and starts nothing: the read timeout gives up, and the note says why. */
static void test_wait_with_nothing_in_flight_is_named(void **state)
{
    (void)state;
    static const char *const sets[] = {SMALL_RUN, "reader.read_timeout_us=50ms"};
    chunksim_run_result_t res = run_starter(evil("wait"), "ble_default.ini", sets, ARRAY_LEN(sets));
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_INCOMPLETE);
    chunksim_test_assert_contains(res.reason, "timed out");
    chunksim_test_assert_contains(res.reason, "said wait with no flash operation in flight");
}

/* A glue that keeps the flash busy forever ends at the simulated-time watchdog. */
static void test_simulated_time_watchdog_ends_a_glue_that_never_gets_ready(void **state)
{
    (void)state;
    static const char *const sets[] = {SMALL_RUN, "run.max_sim_us=100ms"};
    chunksim_run_result_t res =
        run_starter(evil("reload"), "ble_default.ini", sets, ARRAY_LEN(sets));
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_INCOMPLETE);
    chunksim_test_assert_contains(res.reason, "watchdog");
    assert_gt(res.m.waits, 10);
}

/* ---- livelocks: no progress in simulated time, named in milliseconds of wall time ---- */

/* The final window holds 7 bytes, the glue wants a whole chunk: it loads them again, forever. */
static void test_glue_reloading_the_final_short_window_is_no_progress(void **state)
{
    (void)state;
    chunksim_run_result_t res = run_starter(test_glue("livelock_tail"), "ble_default.ini", NULL, 0);
    assert_no_progress(&res, "last read [65529, 65536) repeated");
    assert_gt(res.m.chunks, 0); /* every chunk up to the last one */
}

static void test_glue_making_zero_length_reads_is_no_progress(void **state)
{
    (void)state;
    static const char *const sets[] = {SMALL_RUN};
    chunksim_run_result_t res =
        run_starter(test_glue("livelock_empty"), "ble_default.ini", sets, ARRAY_LEN(sets));
    assert_no_progress(&res, "last read [0, 0) repeated");
    assert_int_equal(res.m.chunks, 0);
}

/* prepare starts the same window read every time and never says ready: get-chunk never runs.
 * Today's 600 s of simulated time are no longer waited out. */
static void test_glue_whose_prepare_never_lets_get_chunk_run_is_no_progress(void **state)
{
    (void)state;
    static const char *const sets[] = {SMALL_RUN};
    chunksim_run_result_t res =
        run_starter(evil("reload"), "ble_default.ini", sets, ARRAY_LEN(sets));
    assert_no_progress(&res, "last read [0, 4096) repeated");
    assert_int_equal(res.m.chunks, 0);
}

/* A loop inside one glue call that keeps calling the board: its own process is ended at once. */
static void test_glue_looping_inside_one_call_is_ended_with_the_reason(void **state)
{
    (void)state;
    recorded_t r;
    recorded_open(&r, test_glue("livelock_poll"));
    chunksim_run_result_t res = run_recorded(&r.db, &r.g, &r.sc, CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT);
    chunksim_test_assert_contains(
        res.reason, "glue livelocked: no progress: 10000 flash operations inside one call, "
                    "the last a read of [0, 1), in memfault_platform_coredump_prepare_async(244)");
    assert_recorded_failure(&r.db, &res, "libglue_livelock_poll.so sha256:");
    recorded_free(&r);
}

/* ---- loading ---- */

static void test_run_row_names_the_glue_by_path_and_sha256(void **state)
{
    (void)state;
    recorded_t r;
    recorded_open(&r, GLUE_SINGLE_WINDOW);
    chunksim_run_result_t res = run_recorded(&r.db, &r.g, &r.sc, CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT);
    chunksim_test_assert_run_ok(&res);

    FILE *f = fopen(GLUE_SINGLE_WINDOW, "rb");
    assert_non_null(f);
    static uint8_t bytes[4 << 20];
    size_t n = fread(bytes, 1, sizeof(bytes), f);
    fclose(f);
    char hex[CHUNKSIM_SHA256_HEX_BYTES], want[CHUNKSIM_GLUE_LABEL_BYTES];
    chunksim_sha256_hex(bytes, n, hex);
    char *abs = realpath(GLUE_SINGLE_WINDOW, NULL);
    snprintf(want, sizeof(want), "%s sha256:%s", abs, hex);
    free(abs);
    assert_string_equal(run_text(&r.db, res.run_id, "glue"), want);
    assert_string_equal(run_text(&r.db, res.run_id, "reader"), "glue");
    assert_gt(db_count(&r.db, "SELECT count(*) FROM calls"), 0);
    assert_db_sound(&r.db);
    recorded_free(&r);
}

/* Without isolation (a debugger, a sanitizer): the glue loaded into this process. */
static void test_glue_runs_in_process_with_its_notes(void **state)
{
    (void)state;
    char err[CHUNKSIM_GLUE_LABEL_BYTES];
    static const char *const sets[] = {"coredump.size_bytes=8000", "link.att_mtu=247",
                                       "reader.window_bytes=1024"};
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "ble_default.ini", sets, ARRAY_LEN(sets));
    const chunksim_run_options_t opts = {.reader_create = chunksim_glue_reader_create,
                                         .reader_name = "glue"};
    chunksim_run_result_t res;

    chunksim_glue_t g;
    open_glue(&g, GLUE_DOUBLE_BUFFER);
    assert_int_equal(chunksim_glue_load(&g, err, sizeof(err)), 0);
    assert_true(g.async);
    chunksim_glue_use(&g);
    assert_int_equal(chunksim_run(&sc, &opts, &res), 0);
    chunksim_test_assert_run_ok(&res);
    assert_string_equal(chunksim_glue_note(), "");
    chunksim_glue_close(&g);

    /* The write-up's 4 KiB buffer needs the default window. */
    static const char *const faulty[] = {SMALL_RUN, "faults.fault=read_error on=read op=1"};
    chunksim_scenario_t fsc;
    chunksim_test_load_starter(&fsc, "ble_default.ini", faulty, ARRAY_LEN(faulty));
    open_glue(&g, writeup_only("status_ignored"));
    assert_int_equal(chunksim_glue_load(&g, err, sizeof(err)), 0);
    chunksim_glue_use(&g);
    assert_int_equal(chunksim_run(&fsc, &opts, &res), 0);
    assert_caught_by(&res, "wrong_bytes", "read [3855, 4096)");
    assert_string_equal(chunksim_glue_note(),
                        "flash_read_async(offset 3855, 4096 bytes) completed with E_IO");
    chunksim_glue_close(&g);
    chunksim_scenario_free(&fsc);

    /* Nothing selected: the reader refuses to start. */
    assert_int_equal(chunksim_run(&sc, &opts, &res) < 0, true);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_ERROR);
    chunksim_scenario_free(&sc);
}

/* ---- the SDK's conventions ---- */

/*
 * A glue whose memfault_coredump_read() returns false while its clear's erase
 * is in flight (the SDK's nRF5 port): the header peek after the last chunk
 * finds "no coredump", as in the SDK, and the run ends there; it is not a
 * get-chunk that fails until the application gives up.
 */
static void test_glue_refusing_reads_during_its_async_clear_ends_ok(void **state)
{
    (void)state;
    static const char *const sets[] = {SMALL_RUN};
    chunksim_run_result_t res =
        run_starter(test_glue("async_clear"), "ble_default.ini", sets, ARRAY_LEN(sets));
    chunksim_test_assert_run_ok(&res);
    if (strstr(res.reason, "in a row") != NULL) {
        fail_msg("the run ended with \"%s\"", res.reason);
    }
    chunksim_test_assert_contains(res.reason, "takes for \"no coredump\"");
    assert_int_equal(res.m.retries, 0);
}

static void test_open_refuses_what_is_not_a_glue(void **state)
{
    (void)state;
    char err[CHUNKSIM_GLUE_LABEL_BYTES];
    chunksim_glue_t g;
    assert_lt(chunksim_glue_open(&g, "/nonexistent/libnothing.so", err, sizeof(err)), 0);
    chunksim_test_assert_contains(err, "No such file");

    assert_lt(chunksim_glue_open(&g, evil("no_clear"), err, sizeof(err)), 0);
    chunksim_test_assert_contains(err, "does not export memfault_platform_coredump_storage_clear");

    char path[512];
    snprintf(path, sizeof(path), "%s/ble_default.ini", SCENARIO_LIBRARY_DIR);
    assert_lt(chunksim_glue_open(&g, path, err, sizeof(err)), 0);
    chunksim_test_assert_contains(err, "ble_default.ini");
}

/* ---- ports that clear by programming a word (board version 2) ---- */

/* The one program of a run: its length and modeled latency. */
static void program_row(db_t *db, int64_t run_id, int64_t *len, int64_t *latency_us)
{
    sqlite3_stmt *st = run_row(db,
                               "SELECT len, latency_us, count(*) OVER () FROM flash_ops "
                               "WHERE run_id = ?1 AND kind = 'program'",
                               run_id);
    *len = sqlite3_column_int64(st, 0);
    *latency_us = sqlite3_column_int64(st, 1);
    assert_int_equal(sqlite3_column_int64(st, 2), 1);
    sqlite3_finalize(st);
}

/* The clear is a word program with the part's program time, not an erase's. */
static void test_word_program_clear_gets_the_parts_program_time(void **state)
{
    (void)state;
    static const struct {
        const char *set[2];
        int64_t min_us, max_us;
    } parts[] = {
        {{"flash.part=nrf52840", "run.seed=1"}, 41, 41},
        {{"flash.part=w25q128jv", "run.seed=1"}, 400, 400},
        /* Half the rated endurance: between typical and maximum, 400 + 2600 / 2. */
        {{"flash.part=w25q128jv", "flash.initial_wear_cycles=50000"}, 1700, 1700},
        {{"flash.part=mx25r6435f_lp", "run.seed=1"}, 3200, 3200},
    };
    chunksim_glue_t g;
    open_glue(&g, test_glue("word_clear"));
    for (size_t i = 0; i < ARRAY_LEN(parts); i++) {
        db_t db;
        db_open(&db);
        chunksim_scenario_t sc;
        chunksim_test_load_starter(&sc, "ble_default.ini", parts[i].set, 2);
        chunksim_run_result_t res = run_recorded(&db, &g, &sc, CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT);
        chunksim_test_assert_run_ok(&res);
        int64_t len, latency_us;
        program_row(&db, res.run_id, &len, &latency_us);
        assert_int_equal(len, 4);
        assert_in_range(latency_us, parts[i].min_us, parts[i].max_us);
        assert_int_equal(db_count(&db, "SELECT count(*) FROM flash_ops WHERE kind LIKE 'erase%'"),
                         0);
        chunksim_scenario_free(&sc);
        db_drop(&db);
    }
    chunksim_glue_close(&g);
}

/*
 * After the zero word, the header reads as "no coredump": the reconnect's
 * peek finds nothing, which the monitor accepts (the packetizer cleared it),
 * and the verdict says the clear took it, as for an erase.
 */
static void test_programmed_zero_header_is_no_coredump(void **state)
{
    (void)state;
    const char *const sets[] = {"flash.part=nrf52840"};
    chunksim_run_result_t res =
        run_starter(test_glue("word_clear"), "disconnect_after_last.ini", sets, 1);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_LOST);
    assert_true(res.passed);
    assert_int_equal(res.m.violations, 0);
    chunksim_test_assert_contains(res.reason, "cleared from flash (its header programmed over)");
}

/* A program whose word needs bits back at 1 is named, with the byte it hit. */
static void test_program_that_would_set_bits_is_named(void **state)
{
    (void)state;
    chunksim_run_result_t res =
        run_starter(test_glue("word_clear_sets_bits"), "ble_default.ini", NULL, 0);
    assert_caught_by(&res, "program_sets_bits",
                     "program at storage offset 0: stored 0x43, data 0x5a");
    assert_int_equal(res.m.violations, 1);
}

/*
 * The async word program is in flight when the reconnect's peek loads the
 * header through FLASH_BASE: a SPI NOR part answers with its status then.
 * The same glue with the blocking program, or with the program done before
 * the reconnect, is not blamed.
 */
static void test_mapped_read_during_a_program_is_mapped_read_busy(void **state)
{
    (void)state;
    chunksim_scenario_t sc;
    const char *const slow[] = {"flash.program_latency=fixed:2000000"};
    chunksim_test_load_starter(&sc, "disconnect_after_last.ini", slow, 1);
    chunksim_run_result_t res = run_glue(test_glue("word_clear_async"), &sc);
    assert_caught_by(&res, "mapped_read_busy",
                     "load from the memory-mapped flash at storage offset ");
    res = run_glue(test_glue("word_clear"), &sc);
    assert_int_equal(res.m.violations, 0);
    chunksim_scenario_free(&sc);

    chunksim_test_load_starter(&sc, "disconnect_after_last.ini", NULL, 0);
    res = run_glue(test_glue("word_clear_async"), &sc);
    assert_int_equal(res.m.violations, 0);
    assert_true(res.passed);
    chunksim_scenario_free(&sc);
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_example_glues_end_every_starter_scenario_as_the_builtin_reader),
    cmocka_unit_test(test_word_program_clear_gets_the_parts_program_time),
    cmocka_unit_test(test_programmed_zero_header_is_no_coredump),
    cmocka_unit_test(test_program_that_would_set_bits_is_named),
    cmocka_unit_test(test_mapped_read_during_a_program_is_mapped_read_busy),
    cmocka_unit_test(test_glue_without_an_in_flight_flag_is_not_blamed_for_the_early_prepare),
    cmocka_unit_test(test_glue_completing_its_read_inside_prepare_is_inline_completion),
    cmocka_unit_test(test_lost_completion_of_the_early_prepare_is_given_up_and_retried),
    cmocka_unit_test(test_abort_with_the_early_prepare_in_flight_waits_for_its_completion),
    cmocka_unit_test(test_writeup_glue_fails_every_starter_scenario),
    cmocka_unit_test(test_writeup_glue_sends_a_coredump_its_buffer_holds),
    cmocka_unit_test(test_writeup_absolute_offset_skips_the_reads_ahead),
    cmocka_unit_test(test_writeup_final_short_window_is_no_progress),
    cmocka_unit_test(test_writeup_buffer_the_size_of_the_chunk_is_no_progress),
    cmocka_unit_test(test_writeup_ignored_read_error_serves_stale_bytes),
    cmocka_unit_test(test_writeup_abandoned_read_serves_stale_bytes),
    cmocka_unit_test(test_writeup_without_a_restart_refuses_the_header_peek_after_an_abort),
    cmocka_unit_test(test_writeup_without_a_restart_fails_the_deferred_clear_scenario),
    cmocka_unit_test(
        test_writeup_with_every_defect_fixed_ends_every_starter_scenario_as_the_builtin),
    cmocka_unit_test(test_segfaulting_glue_is_a_recorded_failed_run),
    cmocka_unit_test(test_glue_that_never_returns_is_killed_and_recorded),
    cmocka_unit_test(test_glue_writing_past_its_buffer_is_a_recorded_failed_run),
    cmocka_unit_test(test_stop_request_ends_a_glue_run_as_interrupted),
    cmocka_unit_test(test_crash_after_the_glue_returned_names_the_last_glue_call),
    cmocka_unit_test(test_glue_gone_before_its_run_is_a_recorded_failed_run),
    cmocka_unit_test(test_glue_refusing_to_start_is_an_error),
    cmocka_unit_test(test_wait_with_nothing_in_flight_is_named),
    cmocka_unit_test(test_simulated_time_watchdog_ends_a_glue_that_never_gets_ready),
    cmocka_unit_test(test_glue_reloading_the_final_short_window_is_no_progress),
    cmocka_unit_test(test_glue_making_zero_length_reads_is_no_progress),
    cmocka_unit_test(test_glue_whose_prepare_never_lets_get_chunk_run_is_no_progress),
    cmocka_unit_test(test_glue_looping_inside_one_call_is_ended_with_the_reason),
    cmocka_unit_test(test_run_row_names_the_glue_by_path_and_sha256),
    cmocka_unit_test(test_glue_runs_in_process_with_its_notes),
    cmocka_unit_test(test_glue_refusing_reads_during_its_async_clear_ends_ok),
    cmocka_unit_test(test_open_refuses_what_is_not_a_glue),
})
