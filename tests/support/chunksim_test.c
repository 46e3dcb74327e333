#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "chunksim_test.h"

#include "chunksim/recorder.h"

#include <sqlite3.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_PATHS       16
#define TEST_SHELL_BYTES 16384

static char test_dir[PATH_MAX];

void chunksim_test_load_path(chunksim_scenario_t *sc, const char *path, const char *const *sets,
                             size_t n)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
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

void chunksim_test_load_starter(chunksim_scenario_t *sc, const char *name, const char *const *sets,
                                size_t n)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", CHUNKSIM_TEST_SCENARIO_DIR, name);
    chunksim_test_load_path(sc, path, sets, n);
}

int chunksim_test_scratch_make(const char *suite)
{
    snprintf(test_dir, sizeof(test_dir), "/tmp/%s.XXXXXX", suite);
    return mkdtemp(test_dir) != NULL ? 0 : -1;
}

int chunksim_test_scratch_remove(void)
{
    char cmd[PATH_MAX + 16];
    if (test_dir[0] == '\0') {
        return 0;
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_dir);
    return system(cmd) == 0 ? 0 : -1;
}

const char *chunksim_test_scratch_dir(void)
{
    return test_dir;
}

const char *chunksim_test_path(const char *name)
{
    static char paths[TEST_PATHS][PATH_MAX];
    static unsigned next;
    char *p = paths[next++ % TEST_PATHS];
    snprintf(p, PATH_MAX, "%s/%s", test_dir, name);
    return p;
}

const char *chunksim_test_write_file(const char *name, const char *text)
{
    const char *p = chunksim_test_path(name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

void chunksim_test_read_file(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

int chunksim_test_shell(char *out, size_t outlen, char *err, size_t errlen, const char *fmt, ...)
{
    char what[TEST_SHELL_BYTES], cmd[TEST_SHELL_BYTES + 3 * PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "cd '%s' && %s > '%s/out.txt' 2> '%s/err.txt'", test_dir, what,
             test_dir, test_dir);
    int status = system(cmd);
    chunksim_test_read_file(chunksim_test_path("out.txt"), out, outlen);
    chunksim_test_read_file(chunksim_test_path("err.txt"), err, errlen);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The first column of sql's first row; without a row, -1 or (need_row) a failed test. */
static int64_t test_sql_first(const char *db_path, const char *sql, bool need_row)
{
    sqlite3 *db;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fail_msg("%s: %s", db_path, sqlite3_errmsg(db));
    }
    sqlite3_busy_timeout(db, 10000);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    }
    int rc = sqlite3_step(st);
    if (need_row && rc != SQLITE_ROW) {
        fail_msg("%s: no row (%s)", sql, sqlite3_errmsg(db));
    }
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

int64_t chunksim_test_sql_int(const char *db_path, const char *sql)
{
    return test_sql_first(db_path, sql, false);
}

int64_t chunksim_test_sql_row(const char *db_path, const char *sql)
{
    return test_sql_first(db_path, sql, true);
}

void chunksim_test_assert_run_ok(const chunksim_run_result_t *res)
{
    if (res->outcome != CHUNKSIM_OUTCOME_OK) {
        fail_msg("expected ok, got %s: %s", chunksim_outcome_name(res->outcome), res->reason);
    }
    assert_int_equal(res->m.violations, 0);
    assert_true(res->safety_ok);
    assert_true(res->liveness_ok);
}

void chunksim_test_assert_contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL) {
        fail_msg("\"%s\" not found in:\n%s", part, text);
    }
}

size_t chunksim_test_count_of(const char *text, const char *part)
{
    size_t n = 0;
    for (const char *p = strstr(text, part); p != NULL; p = strstr(p + strlen(part), part)) {
        n++;
    }
    return n;
}

void chunksim_test_db_remove(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[PATH_MAX + 16];
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

void chunksim_test_sql_exec(const char *db_path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail_msg("%s: %s", sql, msg);
    }
    sqlite3_close(db);
}

chunksim_run_result_t chunksim_test_run_recorded(const chunksim_scenario_t *sc, const char *path)
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
