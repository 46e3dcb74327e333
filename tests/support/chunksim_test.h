/*
 * Shared by the sim/, tools/ and glue/ suites (flashmodel's have fm_test.h):
 * loading a scenario with overrides, a run that must end ok, scratch files, the command line,
 * and (chunksim_test_cmp.h) comparisons that print both operands when they fail. Include after
 * <cmocka.h>; the suites that link chunksim_sim link chunksim_test_support (tests/CMakeLists.txt).
 */
#ifndef CHUNKSIM_TEST_H
#define CHUNKSIM_TEST_H

#include "chunksim/run.h"
#include "chunksim/scenario.h"
#include "chunksim_test_cmp.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Loads the scenario file at path, applies the `section.key=value` overrides
 * sets[0..n) and validates it; a failure fails the test with the loader's
 * message (file, line, key). chunksim_scenario_free() it when done.
 */
void chunksim_test_load_path(chunksim_scenario_t *sc, const char *path, const char *const *sets,
                             size_t n);

/* The same for a scenario of the starter library (scenarios/NAME). */
void chunksim_test_load_starter(chunksim_scenario_t *sc, const char *name, const char *const *sets,
                                size_t n);

/* Runs sc, every row recorded, into the database at path; the test fails if it cannot. */
chunksim_run_result_t chunksim_test_run_recorded(const chunksim_scenario_t *sc, const char *path);

/*
 * A scratch directory for a suite's files: made in the group setup
 * (mkdtemp of /tmp/<suite>.XXXXXX; 0 or -1), removed with everything in it
 * in the group teardown (0 or -1).
 */
int chunksim_test_scratch_make(const char *suite);
int chunksim_test_scratch_remove(void);
const char *chunksim_test_scratch_dir(void);

/* <scratch dir>/name; each result stays valid for the next 15 calls. */
const char *chunksim_test_path(const char *name);

/* Writes text to <scratch dir>/name (the test fails if it cannot); returns the path. */
const char *chunksim_test_write_file(const char *name, const char *text);

/* The file at path as a NUL-terminated string, cut to len - 1 bytes; "" if unreadable. */
void chunksim_test_read_file(const char *path, char *buf, size_t len);

/*
 * Runs the shell command `cd <scratch dir> && CMD`, CMD formatted from fmt,
 * with stdout and stderr captured into out and err (as read_file). Returns
 * the exit status, or -1 if it did not exit.
 */
int chunksim_test_shell(char *out, size_t outlen, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The first column of the first row of sql on the database at db_path, opened read-only with a
 * 10 s busy timeout (a writer may be at work); -1 without a row. A failing statement fails. */
int64_t chunksim_test_sql_int(const char *db_path, const char *sql);

/* Runs the statements sql on the database at db_path (read-write); a failure fails the test. */
void chunksim_test_sql_exec(const char *db_path, const char *sql);

/* The same where the query must return a row: without one the test fails. */
int64_t chunksim_test_sql_row(const char *db_path, const char *sql);

/* Removes the database at path and its -wal, -shm and -journal files, those that exist. */
void chunksim_test_db_remove(const char *path);

/* Fails unless the run ended ok: no violation, safe and live; the message names the outcome
 * and its reason. */
void chunksim_test_assert_run_ok(const chunksim_run_result_t *res);

/* Fails, showing text, unless part occurs in it. */
void chunksim_test_assert_contains(const char *text, const char *part);

/* How many times part occurs in text, occurrences not overlapping. */
size_t chunksim_test_count_of(const char *text, const char *part);

#endif
