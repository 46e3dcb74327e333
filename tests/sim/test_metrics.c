/*
 * The run's figures stay in their ranges (docs/schema.md, runs): every one is
 * taken over the drain interval, so no busy time exceeds the drain, the bound
 * is a lower bound on it and efficiency is at most 1. Checked on every
 * starter scenario, on the same over a fast network link (where the clearing
 * erase outlasts the last chunk), and on every case of the CI suite (power
 * loss that stops the device, disconnects, clears that fail), and on the same
 * with BLE notifications fragmented into several link-layer packets (ATT MTU
 * above 247).
 */
#include "chunksim/matrix.h"
#include "chunksim/run.h"
#include "chunksim/scenario.h"

#include <glob.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"

typedef struct {
    uint64_t runs;
    uint64_t out_of_range;
    uint64_t delivered; /* runs with an efficiency to check */
} range_tally_t;

/* Prints the first few offenders in full; counts them all. */
static void check_ranges(const chunksim_matrix_case_t *c, const chunksim_run_result_t *r,
                         range_tally_t *t)
{
    const chunksim_metrics_t *m = &r->m;
    double flash_pct = m->drain_us ? 100.0 * (double)m->flash_busy_us / (double)m->drain_us : 0;
    double link_pct = m->drain_us ? 100.0 * (double)m->link_busy_us / (double)m->drain_us : 0;
    bool ok = flash_pct >= 0 && flash_pct <= 100 && link_pct >= 0 && link_pct <= 100 &&
              m->bound_us <= m->drain_us && isfinite(m->efficiency) && m->efficiency >= 0 &&
              m->efficiency <= 1 && isfinite(m->bytes_per_s) && m->bytes_per_s >= 0;
    t->runs++;
    t->delivered += r->liveness_ok;
    if (ok) {
        return;
    }
    if (t->out_of_range++ < 8) {
        char repro[1024];
        chunksim_matrix_case_repro(c, repro, sizeof(repro));
        print_message("out of range (%s): drain %" PRIu64 " us, flash %" PRIu64 " us (%.1f %%), "
                      "link %" PRIu64 " us (%.1f %%), bound %" PRIu64
                      " us, efficiency %.3f\n  %s\n",
                      chunksim_outcome_name(r->outcome), m->drain_us, m->flash_busy_us, flash_pct,
                      m->link_busy_us, link_pct, m->bound_us, m->efficiency, repro);
    }
}

/* Every case of the files matching pattern, each with the extra overrides. */
static void run_all(const char *pattern, const char *const *sets, size_t set_count,
                    range_tally_t *t)
{
    glob_t g;
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    chunksim_matrix_t m;
    const chunksim_matrix_config_t cfg = {.sets = sets, .set_count = set_count};
    assert_int_equal(chunksim_matrix_init(&m, &cfg, err, sizeof(err)), 0);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        if (chunksim_matrix_add_file(&m, g.gl_pathv[i], err, sizeof(err)) != 0) {
            fail_msg("%s", err);
        }
    }
    for (uint64_t i = 0; i < chunksim_matrix_count(&m); i++) {
        chunksim_matrix_case_t c;
        chunksim_scenario_t sc;
        assert_int_equal(chunksim_matrix_case(&m, i, &c), 0);
        if (chunksim_matrix_case_load(&m, &c, &sc, err, sizeof(err)) != 0) {
            fail_msg("%s", err);
        }
        const chunksim_run_options_t opts = {0};
        chunksim_run_result_t res;
        assert_int_equal(chunksim_run(&sc, &opts, &res), 0);
        check_ranges(&c, &res, t);
        chunksim_scenario_free(&sc);
    }
    chunksim_matrix_free(&m);
    globfree(&g);
}

/* Every run in range, and enough of them (and of them delivered) to mean something. */
static void tally_check(const range_tally_t *t, uint64_t min_runs, uint64_t min_delivered)
{
    print_message("%" PRIu64 " runs (%" PRIu64 " delivered), %" PRIu64 " out of range\n", t->runs,
                  t->delivered, t->out_of_range);
    assert_gt(t->runs, min_runs);
    assert_gt(t->delivered, min_delivered);
    assert_int_equal(t->out_of_range, 0);
}

static void test_busy_percent_and_efficiency_stay_in_range(void **state)
{
    (void)state;
    /* A link far faster than the flash: the bound is the flash's, and the
     * clear's erase runs on after the last chunk is acknowledged. */
    static const char *const fast_network[] = {"link.kind=network", "link.chunk_bytes=4KiB",
                                               "link.bandwidth_bytes_per_s=10000000",
                                               "link.latency_us=100"};
    range_tally_t t = {0};
    run_all(SCENARIO_LIBRARY_DIR "/*.ini", NULL, 0, &t);
    run_all(SCENARIO_LIBRARY_DIR "/*.ini", fast_network, 4, &t);
    run_all(SCENARIO_LIBRARY_DIR "/ci/*.ini", NULL, 0, &t);
    tally_check(&t, 1400, 1000);
}

/*
 * Above ATT MTU 247 a notification goes in two or three link-layer packets
 * that may span connection events, each lost and resent on its own, and a
 * chunk still on the air at the stop counts packet by packet: the same
 * ranges hold, with loss and disconnects (the CI suite's), a tight packet
 * budget, and a short interval with many packets per event.
 */
static void test_ranges_hold_with_fragmented_notifications(void **state)
{
    (void)state;
    static const char *const mtu517[] = {"link.att_mtu=517"};
    static const char *const mtu517_lossy[] = {"link.att_mtu=517", "link.loss_rate=0.3",
                                               "link.packets_per_event=5", "link.phy=2M"};
    static const char *const mtu300_dense[] = {"link.att_mtu=300", "link.packets_per_event=64",
                                               "link.conn_interval_us=7.5ms"};
    range_tally_t t = {0};
    run_all(SCENARIO_LIBRARY_DIR "/*.ini", mtu517, 1, &t);
    run_all(SCENARIO_LIBRARY_DIR "/*.ini", mtu517_lossy, 4, &t);
    run_all(SCENARIO_LIBRARY_DIR "/ci/*.ini", mtu517, 1, &t);
    run_all(SCENARIO_LIBRARY_DIR "/ci/*.ini", mtu300_dense, 3, &t);
    tally_check(&t, 2800, 2000);
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_busy_percent_and_efficiency_stay_in_range),
    cmocka_unit_test(test_ranges_hold_with_fragmented_notifications),
})
