/*
 * JUnit (tools/chunksim/campaign/junit.c) on hand-made batch results: each testcase
 * is judged by the caller's judge, a case not run is an error whatever the
 * judge, a failing case that could not be set up is an error, and the totals
 * count exactly the elements written.
 */
#include "baseline.h"
#include "junit.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"

static char tmpdir[] = "/tmp/test_junit.XXXXXX";
static char ini_path[300], xml_path[300];

static int group_setup(void **state)
{
    (void)state;
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(ini_path, sizeof ini_path, "%s/grid.ini", tmpdir);
    snprintf(xml_path, sizeof xml_path, "%s/j.xml", tmpdir);
    FILE *f = fopen(ini_path, "w");
    if (f == NULL)
        return -1;
    fputs("[coredump]\nsize_bytes = 8KiB\n[link]\natt_mtu = 247\n"
          "[matrix]\nseeds = 1..2\nreader.kind = single | double\n",
          f);
    return fclose(f);
}

static int group_teardown(void **state)
{
    (void)state;
    unlink(ini_path);
    unlink(xml_path);
    return rmdir(tmpdir);
}

static char *slurp(const char *path)
{
    static char buf[1 << 16];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

typedef struct fixture {
    chunksim_matrix_t m;
    uint64_t cases[4];
    cli_batch_config_t cfg;
    cli_batch_result_t results[4];
    cli_batch_t b;
} fixture_t;

/*
 * Four cases (single/double x seeds 1, 2): 0 passed; 1 ended lost against
 * expect ok, with a control character in its reason; 2 could not be set up;
 * 3 did not run.
 */
static void fixture_init(fixture_t *x)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    memset(x, 0, sizeof *x);
    assert_int_equal(chunksim_matrix_init(&x->m, NULL, err, sizeof err), 0);
    assert_int_equal(chunksim_matrix_add_file(&x->m, ini_path, err, sizeof err), 0);
    for (size_t i = 0; i < 4; i++) {
        chunksim_matrix_case_t c;
        x->cases[i] = i;
        assert_int_equal(chunksim_matrix_case(&x->m, i, &c), 0);
        cli_batch_result_t *r = &x->results[i];
        memcpy(r->id, c.id, sizeof r->id);
        r->name = "grid";
        r->seed = c.seed;
        r->ran = i < 3;
        r->passed = i == 0;
        r->outcome = i == 1   ? CHUNKSIM_OUTCOME_LOST
                     : i == 2 ? CHUNKSIM_OUTCOME_ERROR
                              : CHUNKSIM_OUTCOME_OK;
        r->rc = i == 2 ? -5 : 0;
        r->reason = i == 1 ? "gone\x01 at <once>" : i == 2 ? "run setup failed" : NULL;
    }
    x->cfg = (cli_batch_config_t){.matrix = &x->m, .cases = x->cases, .case_count = 4};
    x->b = (cli_batch_t){.cfg = &x->cfg, .results = x->results, .done = 3, .not_run = 1};
}

/* Writes the report of the fixture's batch judged by judge; returns its text. */
static const char *fixture_junit(fixture_t *x, cli_junit_judge_fn judge)
{
    fixture_init(x);
    const cli_junit_config_t jc = {.batch = &x->b, .judge = judge};
    assert_int_equal(cli_junit_write(&jc, xml_path), 0);
    return slurp(xml_path);
}

static void test_expect_judge_fails_missed_errors_unrunnable_and_not_run(void **state)
{
    (void)state;
    fixture_t x;
    const char *xml = fixture_junit(&x, cli_junit_judge_expect);
    chunksim_test_assert_contains(
        xml, "<testsuites name=\"chunksim\" tests=\"4\" failures=\"1\" errors=\"2\"");
    assert_int_equal(chunksim_test_count_of(xml, "<testcase "), 4);
    assert_int_equal(chunksim_test_count_of(xml, "<failure "), 1);
    assert_int_equal(chunksim_test_count_of(xml, "<error "), 2);
    chunksim_test_assert_contains(xml, "name=\"grid[kind=single] seed 1\" time=\"0.000\"/>");
    chunksim_test_assert_contains(xml,
                                  "<failure type=\"lost\" message=\"lost (expected ok): gone? at "
                                  "&lt;once&gt;\">");
    chunksim_test_assert_contains(
        xml, "<error type=\"error\" message=\"error (expected ok): run setup failed\">");
    chunksim_test_assert_contains(
        xml, "<error type=\"not-run\" message=\"not run: the batch was interrupted "
             "before it\">");
    char want[128];
    snprintf(want, sizeof want, "\ncase %s\nrepro: chunksim run ", x.results[1].id);
    chunksim_test_assert_contains(xml, want);
    chunksim_matrix_free(&x.m);
}

static bool judge_none(const cli_batch_t *b, size_t i, void *ctx, char *why, size_t whylen)
{
    (void)b, (void)i, (void)ctx, (void)why, (void)whylen;
    return false;
}

/* A judge that fails nothing leaves only the case that did not run: the exit status fails it too.
 */
static void test_a_case_not_run_is_an_error_whatever_the_judge(void **state)
{
    (void)state;
    fixture_t x;
    const char *xml = fixture_junit(&x, judge_none);
    chunksim_test_assert_contains(xml, "tests=\"4\" failures=\"0\" errors=\"1\"");
    assert_int_equal(chunksim_test_count_of(xml, "/>\n"), 3);
    chunksim_matrix_free(&x.m);
}

/* A baseline that agrees passes even the lost and the error case; a gone entry fails. */
static void test_baseline_judge_fails_only_changes_and_lists_gone_entries(void **state)
{
    (void)state;
    fixture_t x;
    fixture_init(&x);
    char bl_path[320], err[256];
    snprintf(bl_path, sizeof bl_path, "%s/bl.tsv", tmpdir);
    FILE *f = fopen(bl_path, "w");
    assert_non_null(f);
    fprintf(f, "%s\tgrid\t1\tok\n%s\tgrid\t2\tlost\n%s\tgrid\t1\terror\nzzzzzzzzzz\tgrid\t9\tok\n",
            x.results[0].id, x.results[1].id, x.results[2].id);
    fclose(f);
    cli_baseline_t bl;
    assert_int_equal(cli_baseline_load(bl_path, &bl, err, sizeof err), 0);
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(cli_baseline_compare(&x.b, &bl, true, devnull), 1); /* the gone one */
    fclose(devnull);
    const cli_junit_config_t jc = {
        .batch = &x.b, .judge = cli_baseline_judge, .ctx = &bl, .gone = &bl};
    assert_int_equal(cli_junit_write(&jc, xml_path), 0);
    const char *xml = slurp(xml_path);
    chunksim_test_assert_contains(
        xml, "<testsuites name=\"chunksim\" tests=\"5\" failures=\"1\" errors=\"1\"");
    chunksim_test_assert_contains(xml, "<testsuite name=\"baseline\" tests=\"1\" failures=\"1\"");
    chunksim_test_assert_contains(
        xml, "<failure type=\"gone\" message=\"gone: ok in the baseline (line 4), no "
             "such case in the matrix\">");
    chunksim_test_assert_contains(xml, "message=\"not run: ");
    cli_baseline_free(&bl);
    unlink(bl_path);
    chunksim_matrix_free(&x.m);
}

CHUNKSIM_TEST_MAIN_GROUP({
    cmocka_unit_test(test_expect_judge_fails_missed_errors_unrunnable_and_not_run),
    cmocka_unit_test(test_a_case_not_run_is_an_error_whatever_the_judge),
    cmocka_unit_test(test_baseline_judge_fails_only_changes_and_lists_gone_entries),
})
