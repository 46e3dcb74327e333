/*
 * chunksim run, end to end through the built binary:
 * - a scenario that cannot run is refused when it is loaded (exit 2, file,
 *   line, key, value and what is accepted), overrides are named in messages
 *   and applied before the rules between keys, and a refused override frees
 *   what was loaded (the ASan build runs this suite: LeakSanitizer turns a
 *   leak into a wrong exit status);
 * - the table on stdout, --json and the database tell the same story about a
 *   run whose setup fails and about one that could not be recorded in full
 *   (the database's disk fills up: a file size limit, so the test needs
 *   neither root nor a special file system).
 */
#include <sqlite3.h>

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"

static char out[1 << 16], err_text[1 << 16];

/* Small and quick: 4 KiB over BLE with MTU 247. */
static const char small_ini[] = "[coredump]\nsize_bytes = 4KiB\n[flash]\nsize_bytes = 1MiB\n"
                                "[link]\natt_mtu = 247\n";

/*
 * Runs "PREFIX chunksim ARGS" through the shell; stdout lands in out, stderr in err_text.
 * PREFIX (shell words) and ARGS (a format) are string literals: chunksim_test_shell() formats
 * them, the binary's path between them as an argument (a build directory may hold a '%').
 */
#define cli(prefix, fmt, ...)                                                                      \
    chunksim_test_shell(out, sizeof out, err_text, sizeof err_text, prefix " '%s' " fmt,           \
                        CHUNKSIM_BIN, ##__VA_ARGS__)

/*
 * Runs "chunksim run ARGS" in the scratch directory, as cli() does. The
 * timeout turns a load that blocks into a failure.
 */
#define run_cli(fmt, ...) cli("timeout 60", "run " fmt, ##__VA_ARGS__)

static void expect_exit(int got, int want)
{
    if (got != want)
        fail_msg("exit %d, wanted %d\nstdout:\n%s\nstderr:\n%s", got, want, out, err_text);
}

/* The database's only run as "status outcome: reason". */
static void db_story(const char *db_path, char *story, size_t len)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("%s: %s", db_path, sqlite3_errmsg(db));
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT status, outcome, reason FROM runs", -1, &st, NULL),
        SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(story, len, "%s %s: %s", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
                 sqlite3_column_text(st, 2));
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    } else {
        snprintf(story, len, "(no row)");
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* The indented reason line under the table's only row. */
static void stdout_reason(char *reason, size_t len)
{
    const char *p = strstr(out, "\n    ");
    if (p == NULL)
        fail_msg("no reason line in:\n%s", out);
    p += 5;
    size_t n = strcspn(p, "\n");
    snprintf(reason, len, "%.*s", (int)(n < len ? n : len - 1), p);
}

/* The message names the override, not a line of the file; nothing leaks (ASan). */
static void test_refused_override_is_named_and_frees_the_scenario(void **state)
{
    (void)state;
    chunksim_test_write_file("small.ini", small_ini);
    expect_exit(run_cli("small.ini --db '' --set link.att_mtu=7"), 2);
    chunksim_test_assert_contains(
        err_text, "chunksim run: --set link.att_mtu=7: must be a whole number between 23 and 517");
    expect_exit(run_cli("small.ini --db '' --set link.nosuch=1"), 2);
    chunksim_test_assert_contains(err_text, "--set link.nosuch=1: unknown key nosuch in [link]");
    /* A rule between keys that only the override breaks blames the key and names the override. */
    expect_exit(run_cli("small.ini --db '' --set link.chunk_bytes=200 --set link.att_mtu=64"), 2);
    chunksim_test_assert_contains(err_text,
                                  "--set link.chunk_bytes=200: with kind = ble a chunk is one "
                                  "notification: at most [link] att_mtu - 3 = 61 "
                                  "(--set link.att_mtu=64)");
}

/* scenarios/README.md: the rules between keys are checked after the file and its overrides. */
static void test_override_may_repair_what_the_file_alone_breaks(void **state)
{
    (void)state;
    chunksim_test_write_file("big_chunk.ini",
                             "[coredump]\nsize_bytes = 4KiB\n[link]\nchunk_bytes = 200\n");
    expect_exit(run_cli("big_chunk.ini --db '' --set link.att_mtu=247"), 0);
    expect_exit(run_cli("big_chunk.ini --db ''"), 2);
    chunksim_test_assert_contains(
        err_text, "big_chunk.ini:4: [link] chunk_bytes = 200: with kind = ble a chunk "
                  "is one notification: at most [link] att_mtu - 3 = 20 (default)");
}

/* What the models cannot run never starts: exit 2 at load, not a run ended as "error". */
static void test_scenario_the_models_cannot_run_is_refused_at_load(void **state)
{
    (void)state;
    chunksim_test_write_file("tiny.ini", "[run]\nexpect = ok\n[coredump]\nsize_bytes = 30\n");
    expect_exit(run_cli("tiny.ini --db ''"), 2);
    chunksim_test_assert_contains(
        err_text, "tiny.ini:4: [coredump] size_bytes = 30: with content = random the "
                  "image is at least 40 bytes");
    assert_eq(out[0], '\0'); /* no table, no run */

    chunksim_test_write_file("flips.ini", "[faults]\nfault = bitflip op=3 flips=20\n");
    expect_exit(run_cli("flips.ini --db ''"), 2);
    chunksim_test_assert_contains(
        err_text, "flips.ini:2: [faults] fault = bitflip op=3 flips=20: flips=20: must "
                  "be a bit count from 1 to 8");

    /* RLE with a synchronous reader is no longer refused: the core encodes it. */
    chunksim_test_write_file("rle_sync.ini",
                             "[run]\nexpect = ok\n[coredump]\nsize_bytes = 4KiB\nrle = true\n");
    expect_exit(run_cli("rle_sync.ini --db '' --set reader.kind=sync"), 0);

    /* A FIFO blocked the load forever, /dev/zero filled memory. */
    assert_int_equal(mkfifo(chunksim_test_path("dump.fifo"), 0600), 0);
    chunksim_test_write_file("fifo.ini", "[coredump]\ncontent = file\nfile = dump.fifo\n");
    expect_exit(run_cli("fifo.ini --db ''"), 2);
    chunksim_test_assert_contains(
        err_text, "fifo.ini:3: [coredump] file = dump.fifo: dump.fifo is a FIFO, not "
                  "a regular file");
    chunksim_test_write_file("zero.ini", "[coredump]\ncontent = file\nfile = /dev/zero\n");
    expect_exit(run_cli("zero.ini --db ''"), 2);
    chunksim_test_assert_contains(err_text, "/dev/zero is a character device, not a regular file");
}

/* run --json printed [] and exited 0 for a name that is not UTF-8. */
static void test_name_that_is_not_utf8_is_refused_before_any_output(void **state)
{
    (void)state;
    chunksim_test_write_file("latin1.ini",
                             "[run]\nname = caf\xe9\n[coredump]\nsize_bytes = 4KiB\n");
    expect_exit(run_cli("latin1.ini --db '' --json -q"), 2);
    chunksim_test_assert_contains(err_text,
                                  "latin1.ini:2: [run] name = caf\xe9: byte 4 (0xE9) is not UTF-8");
    assert_eq(out[0], '\0');
    expect_exit(run_cli("small.ini --db '' --json -q --set 'run.description=ab\xff'"), 2);
    chunksim_test_assert_contains(err_text,
                                  "--set run.description=ab\xff: byte 3 (0xFF) is not UTF-8");
}

/* A glue whose init refuses: the run is an error on stdout, in JSON and in its row. */
static void test_setup_failure_is_an_error_everywhere(void **state)
{
    (void)state;
    char reason[512], story[700], want[700];
    expect_exit(cli("", "run --glue '%s' --db setup.db '%s/ble_default.ini'", GLUE_REFUSE,
                    SCENARIO_LIBRARY_DIR),
                1);
    chunksim_test_assert_contains(out, " error      ok ");
    chunksim_test_assert_contains(out, "1 run(s): 0 passed, 1 failed; recorded in setup.db\n");
    stdout_reason(reason, sizeof reason);
    chunksim_test_assert_contains(reason, "reader refused to start");
    db_story(chunksim_test_path("setup.db"), story, sizeof story);
    snprintf(want, sizeof want, "finished error: %s", reason);
    assert_string_equal(story, want);
    chunksim_test_db_remove(chunksim_test_path("setup.db"));

    expect_exit(cli("", "run --json -q --glue '%s' --db setup.db '%s/ble_default.ini'", GLUE_REFUSE,
                    SCENARIO_LIBRARY_DIR),
                1);
    chunksim_test_assert_contains(out, "\"outcome\": \"error\"");
    chunksim_test_assert_contains(out, "\"passed\": false");
    db_story(chunksim_test_path("setup.db"), story, sizeof story);
    assert_string_equal(story, want);
    chunksim_test_db_remove(chunksim_test_path("setup.db"));
}

/* 512 KiB per file (sh counts 512-byte blocks): the run's row and its
 * 64 KiB image fit, its trace (over 1 MiB) does not. */
#define FILE_LIMIT "ulimit -f 1024; trap '' XFSZ;"

/* The disk fills up under the run's trace: not "1 passed", not exit 0, and the error named. */
static void test_recording_failure_fails_the_run_and_is_named(void **state)
{
    (void)state;
    char reason[512], story[700], want[700];
    expect_exit(cli(FILE_LIMIT, "run --db full.db '%s/ble_default.ini'", SCENARIO_LIBRARY_DIR), 1);
    chunksim_test_assert_contains(out, " error      ok ");
    chunksim_test_assert_contains(out,
                                  "1 run(s): 0 passed, 1 failed; recording into full.db failed: ");
    stdout_reason(reason, sizeof reason);
    chunksim_test_assert_contains(reason, "not recorded in full: ");
    chunksim_test_assert_contains(reason, "; the run ended ok");
    db_story(chunksim_test_path("full.db"), story, sizeof story);
    snprintf(want, sizeof want, "finished error: %s", reason);
    assert_string_equal(story, want);
    chunksim_test_db_remove(chunksim_test_path("full.db"));

    expect_exit(
        cli(FILE_LIMIT, "run --json -q --db full.db '%s/ble_default.ini'", SCENARIO_LIBRARY_DIR),
        1);
    chunksim_test_assert_contains(out, "\"outcome\": \"error\"");
    chunksim_test_assert_contains(out, "\"passed\": false");
    chunksim_test_assert_contains(out, "\"record_error\": \"");
    chunksim_test_assert_contains(err_text, "chunksim run: recording into full.db failed: ");
    chunksim_test_db_remove(chunksim_test_path("full.db"));
}

static int group_setup(void **state)
{
    (void)state;
    return chunksim_test_scratch_make("test_run_cli");
}

static int group_teardown(void **state)
{
    (void)state;
    return chunksim_test_scratch_remove();
}

/* A run is printed once: its row, and under it its reason; nothing about it on stderr. */
static void test_each_run_is_printed_once(void **state)
{
    (void)state;
    chunksim_test_write_file("lost.ini",
                             "[coredump]\nsize_bytes = 8KiB\n[flash]\nsize_bytes = 64KiB\n"
                             "[link]\natt_mtu = 247\ndisconnect_after_chunk = last\n");
    expect_exit(run_cli("lost.ini lost.ini --db ''"), 1);
    assert_string_equal(err_text, "");
    size_t rows = 0, reasons = 0;
    for (const char *p = out; (p = strstr(p, "\nlost ")) != NULL; p++)
        rows++;
    for (const char *p = out; (p = strstr(p, "never came back")) != NULL; p++)
        reasons++;
    assert_int_equal(rows, 2);
    assert_int_equal(reasons, 2);
    chunksim_test_assert_contains(out, "2 run(s): 0 passed, 2 failed\n");
    /* --json: the document on stdout, one progress line per run on stderr unless -q. */
    expect_exit(run_cli("lost.ini --db '' --json"), 1);
    chunksim_test_assert_contains(err_text, "chunksim: lost seed ");
    expect_exit(run_cli("lost.ini --db '' --json -q"), 1);
    assert_string_equal(err_text, "");
}

CHUNKSIM_TEST_MAIN_GROUP({
    cmocka_unit_test(test_refused_override_is_named_and_frees_the_scenario),
    cmocka_unit_test(test_override_may_repair_what_the_file_alone_breaks),
    cmocka_unit_test(test_scenario_the_models_cannot_run_is_refused_at_load),
    cmocka_unit_test(test_name_that_is_not_utf8_is_refused_before_any_output),
    cmocka_unit_test(test_setup_failure_is_an_error_everywhere),
    cmocka_unit_test(test_recording_failure_fails_the_run_and_is_named),
    cmocka_unit_test(test_each_run_is_printed_once),
})
