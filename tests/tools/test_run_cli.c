/*
 * chunksim run through the built binary: the table on stdout, --json and the
 * database tell the same story about a run whose setup fails and about one
 * that could not be recorded in full (the database's disk fills up: a file
 * size limit, so the test needs neither root nor a special file system).
 */
#include <sqlite3.h>

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

static char tmpdir[] = "/tmp/test_run_cli.XXXXXX";
static char out[1 << 16], err_text[1 << 16];

static const char *path_of(const char *name)
{
    static char paths[8][300];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 300, "%s/%s", tmpdir, name);
    return p;
}

static void read_file(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Runs "PREFIX chunksim ARGS" through the shell; stdout lands in out, stderr in err_text. */
__attribute__((format(printf, 2, 3))) static int cli(const char *prefix, const char *fmt, ...)
{
    char args[4096], cmd[6000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && %s '%s' %s > '%s/out.txt' 2> '%s/err.txt'", tmpdir,
             prefix, CHUNKSIM_BIN, args, tmpdir, tmpdir);
    int status = system(cmd);
    read_file(path_of("out.txt"), out, sizeof out);
    read_file(path_of("err.txt"), err_text, sizeof err_text);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void expect_exit(int got, int want)
{
    if (got != want)
        fail_msg("exit %d, wanted %d\nstdout:\n%s\nstderr:\n%s", got, want, out, err_text);
}

static void assert_contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL)
        fail_msg("\"%s\" not found in:\n%s", part, text);
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

static void remove_db(const char *name)
{
    char side[400];
    unlink(path_of(name));
    snprintf(side, sizeof side, "%s-wal", path_of(name));
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path_of(name));
    unlink(side);
}

/* A glue whose init refuses: the run is an error on stdout, in JSON and in its row. */
static void test_setup_failure_is_an_error_everywhere(void **state)
{
    (void)state;
    char reason[512], story[700], want[700];
    expect_exit(cli("", "run --glue '%s' --db setup.db '%s/ble_default.ini'", GLUE_REFUSE,
                    SCENARIO_LIBRARY_DIR),
                1);
    assert_contains(out, " error      ok ");
    assert_contains(out, "1 run(s): 0 passed, 1 failed; recorded in setup.db\n");
    stdout_reason(reason, sizeof reason);
    assert_contains(reason, "reader refused to start");
    db_story(path_of("setup.db"), story, sizeof story);
    snprintf(want, sizeof want, "finished error: %s", reason);
    assert_string_equal(story, want);
    remove_db("setup.db");

    expect_exit(cli("", "run --json -q --glue '%s' --db setup.db '%s/ble_default.ini'", GLUE_REFUSE,
                    SCENARIO_LIBRARY_DIR),
                1);
    assert_contains(out, "\"outcome\": \"error\"");
    assert_contains(out, "\"passed\": false");
    db_story(path_of("setup.db"), story, sizeof story);
    assert_string_equal(story, want);
    remove_db("setup.db");
}

/* The disk fills up under the run's trace: not "1 passed", not exit 0, and the error named. */
static void test_recording_failure_fails_the_run_and_is_named(void **state)
{
    (void)state;
    /* 512 KiB per file (sh counts 512-byte blocks): the run's row and its
     * 64 KiB image fit, its trace (over 1 MiB) does not. */
    static const char limit[] = "ulimit -f 1024; trap '' XFSZ;";
    char reason[512], story[700], want[700];
    expect_exit(cli(limit, "run --db full.db '%s/ble_default.ini'", SCENARIO_LIBRARY_DIR), 1);
    assert_contains(out, " error      ok ");
    assert_contains(out, "1 run(s): 0 passed, 1 failed; recording into full.db failed: ");
    stdout_reason(reason, sizeof reason);
    assert_contains(reason, "not recorded in full: ");
    assert_contains(reason, "; the run ended ok");
    db_story(path_of("full.db"), story, sizeof story);
    snprintf(want, sizeof want, "finished error: %s", reason);
    assert_string_equal(story, want);
    remove_db("full.db");

    expect_exit(cli(limit, "run --json -q --db full.db '%s/ble_default.ini'", SCENARIO_LIBRARY_DIR),
                1);
    assert_contains(out, "\"outcome\": \"error\"");
    assert_contains(out, "\"passed\": false");
    assert_contains(out, "\"record_error\": \"");
    assert_contains(err_text, "chunksim run: recording into full.db failed: ");
    remove_db("full.db");
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    remove_db("setup.db");
    remove_db("full.db");
    unlink(path_of("out.txt"));
    unlink(path_of("err.txt"));
    return rmdir(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setup_failure_is_an_error_everywhere),
        cmocka_unit_test(test_recording_failure_fails_the_run_and_is_named),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
