/*
 * Each defect of the public write-up's async glue is caught: a copy of the
 * glue with that one defect fails the run with the expected invariant (or
 * outcome), while the same scenario passes with chunkcore's async core and
 * with the glue itself, every defect fixed. So every check here has been
 * seen to fail and to pass.
 *
 * Runs are small and quick: BLE with a 247-byte ATT MTU (244-byte chunks),
 * coredumps of 4 to 8 KiB. Chunk arithmetic used below (docs/chunk-format.md §8, no
 * project key): the first chunk reads payload [0, 240), every later one 241
 * bytes, so reads start at 240 + 241 k.
 */
#include "broken_readers.h"

#include "chunksim/run.h"
#include "chunksim/scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "chunksim_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static chunksim_run_result_t run_with(const chunksim_scenario_t *sc,
                                      chunksim_reader_create_fn create, const char *name)
{
    const chunksim_run_options_t opts = {.reader_create = create, .reader_name = name};
    chunksim_run_result_t res;
    assert_int_equal(chunksim_run(sc, &opts, &res), 0);
    return res;
}

static chunksim_run_result_t run_broken(const chunksim_scenario_t *sc, broken_defect_t defect)
{
    return run_with(sc, broken_reader_factories[defect], broken_defect_name(defect));
}

/* The run failed on the invariant named first, as "name at call N: ...". */
static void assert_caught_by(const chunksim_run_result_t *res, const char *invariant)
{
    size_t n = strlen(invariant);
    if (strncmp(res->first_violation, invariant, n) != 0 || res->first_violation[n] != ' ') {
        fail_msg("expected %s first, got \"%s\" (outcome %s: %s)", invariant, res->first_violation,
                 chunksim_outcome_name(res->outcome), res->reason);
    }
    assert_gt(res->m.violations, 0);
    assert_int_equal(res->outcome, CHUNKSIM_OUTCOME_VIOLATION);
    assert_false(res->safety_ok);
}

/* The scenario is sound: chunkcore's async core and the defect-free glue both pass it. */
static void assert_scenario_passes(const chunksim_scenario_t *sc)
{
    chunksim_run_result_t res = run_with(sc, chunksim_reader_single_create, "single");
    chunksim_test_assert_run_ok(&res);
    res = run_broken(sc, BROKEN_DEFECT_NONE);
    chunksim_test_assert_run_ok(&res);
}

/*
 * One defect caught: ble_default.ini with sets, run by the glue with defect, fails as check
 * says. Unless in_company, the same scenario passes with the async core and the defect-free glue.
 * Each case of broken_cases is a test of its own (main), named after what it shows.
 */
typedef struct broken_case {
    const char *name;
    const char *sets[5];
    broken_defect_t defect;
    void (*check)(const chunksim_run_result_t *res, const chunksim_scenario_t *sc);
    bool in_company; /* a fault rule in sets: the scenario alone is not checked */
} broken_case_t;

static void test_broken_case(void **state)
{
    const broken_case_t *c = *state;
    size_t n = 0;
    while (n < ARRAY_LEN(c->sets) && c->sets[n] != NULL)
        n++;
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "ble_default.ini", c->sets, n);
    chunksim_run_result_t res = run_broken(&sc, c->defect);
    c->check(&res, &sc);
    if (!c->in_company)
        assert_scenario_passes(&sc);
    chunksim_scenario_free(&sc);
}

/* The first violation is invariant's, at the read [from, to) of a payload. */
static void assert_caught_at(const chunksim_run_result_t *res, const char *invariant,
                             const char *read)
{
    assert_caught_by(res, invariant);
    chunksim_test_assert_contains(res->first_violation, read);
}

/* ---- 1. the storage info is never filled in ---- */

/* A zero storage size cannot hold a header: the peek says "no coredump". */
static void wrongly_absent(const chunksim_run_result_t *res, const chunksim_scenario_t *sc)
{
    (void)sc;
    assert_caught_by(res, "wrongly_absent");
    assert_int_equal(res->m.chunks, 0);
}

/* ---- 2. the window's bytes looked up at the absolute offset ---- */

/*
 * 4 KiB window, 8 KiB coredump: the second window loads at 3855 (the first
 * holds 244 bytes from there no more), and [3855, 4096) still lies inside
 * the buffer, where the second window's bytes [7710, 7951) are. A power-loss
 * rule elsewhere in the run (a cut of the clearing erase, the device running
 * on) excuses no bytes the flash never delivered: the stale window is still
 * the reader's wrong_bytes, not flash-caused corruption.
 */
static void wrong_bytes_of_the_second_window(const chunksim_run_result_t *res,
                                             const chunksim_scenario_t *sc)
{
    (void)sc;
    assert_caught_at(res, "wrong_bytes", "read [3855, 4096)");
}

/* 2 KiB window: the second window loads at 1927 and [1927, 2168) runs past the buffer. */
static void outside_past_the_buffer(const chunksim_run_result_t *res, const chunksim_scenario_t *sc)
{
    (void)sc;
    assert_caught_at(res, "read_outside_window", "read [1927, 2168)");
}

/* ---- 3. "enough buffered" off by one ---- */

/*
 * The only read whose length prepare knows exactly is the last one, cut at
 * the end of storage; elsewhere a chunk's read is at least 2 bytes shorter
 * than the chunk. So: a 4 KiB coredump filling its 4 KiB partition, a
 * 4095-byte window loaded at 0. The last read is [3855, 4096); the window
 * holds one byte less, which the off-by-one test accepts.
 */
static void outside_at_the_end(const chunksim_run_result_t *res, const chunksim_scenario_t *sc)
{
    assert_int_equal(sc->coredump.storage_bytes, 4096);
    assert_caught_at(res, "read_outside_window", "read [3855, 4096)");
}

/* ---- 4. the final, shorter window ---- */

/* The run never finishes: every retry of prepare fails as the reason says. */
static void assert_retried_in_vain(const chunksim_run_result_t *res, const chunksim_scenario_t *sc,
                                   const char *why)
{
    assert_int_equal(res->outcome, CHUNKSIM_OUTCOME_INCOMPLETE);
    chunksim_test_assert_contains(res->reason, why);
    assert_int_equal(res->m.retries, sc->reader.max_retries + 1);
}

/*
 * 8000-byte coredump (not a multiple of the 1 KiB window) in an 8 KiB
 * partition: the window due at 7711 has 481 bytes of storage left, and the
 * board refuses a 1024-byte read past the end, every time.
 */
static void refused_past_the_end(const chunksim_run_result_t *res, const chunksim_scenario_t *sc)
{
    assert_int_equal(sc->coredump.storage_bytes, 8192);
    assert_retried_in_vain(res, sc, "prepare failed");
    assert_false(res->liveness_ok);
    chunksim_test_assert_contains(res->reason, "RANGE");
}

/* ---- 5. a failed or lost flash read ---- */

/*
 * The fourth load (at 2891, 1 KiB windows loaded at 0, 963, 1927, 2891)
 * fails and leaves the buffer as the third load filled it; the glue calls it
 * loaded. read_error alters no stored byte, so the monitor checks the bytes
 * served (run.c counts it among no data faults).
 */
static void stale_bytes_served(const chunksim_run_result_t *res, const chunksim_scenario_t *sc)
{
    (void)sc;
    assert_caught_at(res, "wrong_bytes", "read [2891, 3132)");
    assert_int_equal(res->m.faults_injected, 1);
}

/* The fourth load never completes; cancel does nothing, so every retry waits for it again. */
static void waited_for_forever(const chunksim_run_result_t *res, const chunksim_scenario_t *sc)
{
    assert_retried_in_vain(res, sc, "timed out");
    assert_int_equal(res->m.violations, 0);
}

/* ---- the contract's third guarantee ---- */

static void separate_read_routine_broken(const chunksim_run_result_t *res,
                                         const chunksim_scenario_t *sc)
{
    (void)sc;
    assert_caught_by(res, "separate_read_routine");
}

#define SMALL "coredump.size_bytes=8KiB", "link.att_mtu=247"

static const broken_case_t broken_cases[] = {
    {"test_unfilled_storage_info_makes_the_coredump_wrongly_absent",
     {SMALL},
     BROKEN_DEFECT_INFO_UNFILLED,
     wrongly_absent,
     false},
    {"test_absolute_window_offset_serves_wrong_bytes_from_the_second_window",
     {SMALL, "reader.window_bytes=4096"},
     BROKEN_DEFECT_ABSOLUTE_OFFSET,
     wrong_bytes_of_the_second_window,
     false},
    {"test_absolute_window_offset_past_the_buffer_is_refused",
     {SMALL, "reader.window_bytes=2048"},
     BROKEN_DEFECT_ABSOLUTE_OFFSET,
     outside_past_the_buffer,
     false},
    {"test_a_fault_elsewhere_does_not_hide_a_stale_window",
     {SMALL, "reader.window_bytes=4096", "faults.fault=power_loss on=erase op=0",
      "run.power_loss_stops=false"},
     BROKEN_DEFECT_ABSOLUTE_OFFSET,
     wrong_bytes_of_the_second_window,
     true},
    {"test_off_by_one_enough_buffered_reads_past_the_window_at_the_end",
     {"coredump.size_bytes=4KiB", "link.att_mtu=247", "reader.window_bytes=4095"},
     BROKEN_DEFECT_OFF_BY_ONE,
     outside_at_the_end,
     false},
    {"test_full_window_at_the_end_of_storage_never_finishes",
     {"coredump.size_bytes=8000", "link.att_mtu=247", "reader.window_bytes=1024"},
     BROKEN_DEFECT_FULL_FINAL_WINDOW,
     refused_past_the_end,
     false},
    {"test_ignored_read_error_serves_stale_bytes",
     {SMALL, "reader.window_bytes=1024", "faults.fault=read_error on=read op=3"},
     BROKEN_DEFECT_STATUS_IGNORED,
     stale_bytes_served,
     false},
    {"test_lost_completion_without_cancel_never_finishes",
     {SMALL, "reader.window_bytes=1024", "reader.read_timeout_us=50ms",
      "faults.fault=read_timeout on=read op=3"},
     BROKEN_DEFECT_STATUS_IGNORED,
     waited_for_forever,
     false},
    {"test_sync_flash_read_inside_get_chunk_breaks_the_separate_read_routine",
     {SMALL},
     BROKEN_DEFECT_SYNC_READ,
     separate_read_routine_broken,
     false},
};

/* ---- RLE ---- */

/*
 * RLE for real over an async reader (the simulator switches the board's
 * refusal off): the 4 KiB coredump fits the 8 KiB window, so every byte
 * served is right, and the second pass going back to offset 0 is the breach:
 * `sequential`, in the get-chunk that makes it. The defect-free glue's
 * forward-only window breaks the same way. Without RLE, or with a
 * synchronous reader, the same coredump goes out intact.
 */
static void test_rle_with_an_async_reader_breaks_sequential_reads(void **state)
{
    (void)state;
    static const char *const sets[] = {"link.att_mtu=247"};
    chunksim_scenario_t sc;
    chunksim_test_load_starter(&sc, "rle_async.ini", sets, ARRAY_LEN(sets));
    assert_true(sc.coredump.rle);

    chunksim_run_result_t res = run_with(&sc, NULL, NULL);
    assert_caught_by(&res, "sequential");
    assert_non_null(strstr(res.first_violation, "read [0, 128) but the next offset is 4096"));
    assert_non_null(strstr(res.reason, "chunkcore_rle_init() says RLE_ASYNC"));
    assert_true(res.passed); /* the scenario expects the violation */
    assert_true(res.liveness_ok);
    res = run_broken(&sc, BROKEN_DEFECT_NONE);
    assert_caught_by(&res, "sequential");
    chunksim_scenario_free(&sc);

    /* Larger than the window: the sizing pass runs out of it first. */
    static const char *const larger[] = {"link.att_mtu=247", "coredump.size_bytes=16KiB",
                                         "coredump.storage_bytes=16KiB"};
    chunksim_test_load_starter(&sc, "rle_async.ini", larger, ARRAY_LEN(larger));
    res = run_with(&sc, NULL, NULL);
    assert_caught_by(&res, "read_outside_window");
    assert_non_null(strstr(res.first_violation, "read [8192, 8320)"));
    chunksim_scenario_free(&sc);

    static const char *const without[] = {"link.att_mtu=247", "coredump.rle=false"};
    chunksim_test_load_starter(&sc, "rle_async.ini", without, ARRAY_LEN(without));
    chunksim_run_result_t plain = run_with(&sc, NULL, NULL);
    chunksim_test_assert_run_ok(&plain);
    chunksim_scenario_free(&sc);

    static const char *const sync[] = {"link.att_mtu=247", "reader.kind=sync"};
    chunksim_test_load_starter(&sc, "rle_async.ini", sync, ARRAY_LEN(sync));
    res = run_with(&sc, NULL, NULL);
    chunksim_test_assert_run_ok(&res);
    assert_lt(res.m.wire_bytes, plain.m.wire_bytes);
    chunksim_scenario_free(&sc);
}

int main(void)
{
    struct CMUnitTest tests[ARRAY_LEN(broken_cases) + 1];
    for (size_t i = 0; i < ARRAY_LEN(broken_cases); i++) {
        tests[i] = (struct CMUnitTest){.name = broken_cases[i].name,
                                       .test_func = test_broken_case,
                                       .initial_state = (void *)&broken_cases[i]};
    }
    tests[ARRAY_LEN(broken_cases)] =
        (struct CMUnitTest)cmocka_unit_test(test_rle_with_an_async_reader_breaks_sequential_reads);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
