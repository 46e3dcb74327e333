/*
 * The batch worker's determinism check: a failed case's traced re-run must
 * end as its first run did, and one that does not is reported, loudly, as
 * not passing. (The end-to-end trace policy is in test_matrix_cli.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chunksim_test_main.h"

#include "worker.h"

static cli_worker_msg_t lost_run(void)
{
    cli_worker_msg_t m = {.pos = 7, .outcome = CHUNKSIM_OUTCOME_LOST, .passed = 0};
    snprintf(m.reason, sizeof m.reason, "the coredump was cleared from flash");
    return m;
}

static void test_a_rerun_that_ends_alike_is_left_as_it_is(void **state)
{
    (void)state;
    cli_worker_msg_t first = lost_run(), again = lost_run();
    again.run_id = 12; /* the traced run has its own id: not part of how it ended */
    assert_true(cli_worker_rerun_check(&again, &first, "test"));
    assert_string_equal(again.reason, first.reason);
    assert_int_equal(again.outcome, CHUNKSIM_OUTCOME_LOST);
}

static void test_a_rerun_that_ends_otherwise_is_nondeterministic_and_fails(void **state)
{
    (void)state;
    cli_worker_msg_t first = lost_run(), again = lost_run();
    again.outcome = CHUNKSIM_OUTCOME_OK;
    again.passed = 1;
    snprintf(again.reason, sizeof again.reason, "delivered");
    assert_false(cli_worker_rerun_check(&again, &first, "test"));
    assert_int_equal(again.passed, 0);
    assert_non_null(strstr(again.reason, "NONDETERMINISTIC: without trace it ended lost (the "
                                         "coredump was cleared from flash)"));
    assert_non_null(strstr(again.reason, "it ended ok (delivered)"));
}

static void test_a_different_reason_alone_is_enough(void **state)
{
    (void)state;
    cli_worker_msg_t first = lost_run(), again = lost_run();
    snprintf(again.reason, sizeof again.reason, "the coredump was cleared at another time");
    assert_false(cli_worker_rerun_check(&again, &first, "test"));
    assert_non_null(strstr(again.reason, "NONDETERMINISTIC"));
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_a_rerun_that_ends_alike_is_left_as_it_is),
    cmocka_unit_test(test_a_rerun_that_ends_otherwise_is_nondeterministic_and_fails),
    cmocka_unit_test(test_a_different_reason_alone_is_enough),
})
