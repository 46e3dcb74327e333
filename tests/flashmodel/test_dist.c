/*
 * The generator and the latency distributions: basic properties with a fixed
 * seed (means within bounds, bounds respected, traces consumed in order), and
 * how the model combines draws with datasheet time and wear.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "chunksim_test_cmp.h"

#include <math.h>

#include "chunksim_test_main.h"
#include "fm_test.h"

/* The model under test in the model tests; FM_TEST_CASE configures cfg before each. */
static flashmodel_t fm;
static flashmodel_config_t cfg;
static flashmodel_op_t op;

#define DRAWS 20000

static void test_rng_same_seed_same_sequence(void **state)
{
    (void)state;
    flashmodel_rng_t a, b, c;
    flashmodel_rng_seed(&a, 7);
    flashmodel_rng_seed(&b, 7);
    flashmodel_rng_seed(&c, 8);
    int differs = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = flashmodel_rng_next(&a);
        assert_int_equal(x, flashmodel_rng_next(&b));
        differs += x != flashmodel_rng_next(&c);
    }
    assert_gt(differs, 90);
    /* Seed 0 is a working state, not the all-zero fixed point. */
    flashmodel_rng_seed(&a, 0);
    assert_true(flashmodel_rng_next(&a) != 0 || flashmodel_rng_next(&a) != 0);
}

static void test_rng_below_and_unit_stay_in_range(void **state)
{
    (void)state;
    flashmodel_rng_t r;
    flashmodel_rng_seed(&r, 1);
    unsigned hits[7] = {0};
    for (int i = 0; i < DRAWS; i++) {
        uint64_t v = flashmodel_rng_below(&r, 7);
        assert_lt(v, 7);
        hits[v]++;
        double u = flashmodel_rng_unit(&r);
        assert_ge(u, 0.0);
        assert_lt(u, 1.0);
    }
    for (int k = 0; k < 7; k++) {
        assert_in_range(hits[k], DRAWS / 7 - 300, DRAWS / 7 + 300);
    }
    assert_int_equal(flashmodel_rng_below(&r, 0), 0);
    assert_int_equal(flashmodel_rng_below(&r, 1), 0);
}

/* DRAWS draws from a fresh generator seeded with seed; the buffer is shared. */
static const uint64_t *draws_of(const flashmodel_dist_t *d, uint64_t seed)
{
    static uint64_t v[DRAWS];
    flashmodel_rng_t r;
    size_t pos = 0;
    flashmodel_rng_seed(&r, seed);
    for (int i = 0; i < DRAWS; i++) {
        v[i] = flashmodel_dist_draw(d, &r, &pos);
    }
    return v;
}

static double mean_of(const flashmodel_dist_t *d, uint64_t seed, uint64_t *lo, uint64_t *hi)
{
    const uint64_t *draws = draws_of(d, seed);
    double sum = 0;
    *lo = UINT64_MAX;
    *hi = 0;
    for (int i = 0; i < DRAWS; i++) {
        uint64_t v = draws[i];
        sum += (double)v;
        *lo = v < *lo ? v : *lo;
        *hi = v > *hi ? v : *hi;
    }
    return sum / DRAWS;
}

static uint64_t max_of(const flashmodel_dist_t *d, uint64_t seed)
{
    uint64_t lo, hi;
    mean_of(d, seed, &lo, &hi);
    return hi;
}

static void test_fixed_is_always_its_value(void **state)
{
    (void)state;
    flashmodel_dist_t d = {.kind = FLASHMODEL_DIST_FIXED, .value_us = 1234};
    uint64_t lo, hi;
    assert_true(mean_of(&d, 3, &lo, &hi) == 1234.0);
    assert_int_equal(lo, 1234);
    assert_int_equal(hi, 1234);
}

static void test_uniform_respects_bounds_and_centres_its_mean(void **state)
{
    (void)state;
    flashmodel_dist_t d = {.kind = FLASHMODEL_DIST_UNIFORM, .min_us = 100, .max_us = 300};
    uint64_t lo, hi;
    double m = mean_of(&d, 3, &lo, &hi);
    assert_int_equal(lo, 100); /* both bounds are reachable ... */
    assert_int_equal(hi, 300); /* ... and never passed */
    assert_lt(fabs(m - 200.0), 2.0);
}

static void test_normal_has_its_mean_and_deviation_and_clamps(void **state)
{
    (void)state;
    flashmodel_dist_t d = {.kind = FLASHMODEL_DIST_NORMAL, .mean_us = 1000, .stddev_us = 100};
    const uint64_t *draws = draws_of(&d, 5);
    double sum = 0, sq = 0;
    for (int i = 0; i < DRAWS; i++) {
        double v = (double)draws[i];
        sum += v;
        sq += v * v;
    }
    double mean = sum / DRAWS;
    double sd = sqrt(sq / DRAWS - mean * mean);
    assert_lt(fabs(mean - 1000.0), 5.0);
    assert_lt(fabs(sd - 100.0), 5.0);

    d.min_us = 950;
    d.max_us = 1050;
    uint64_t lo, hi;
    mean_of(&d, 5, &lo, &hi);
    assert_int_equal(lo, 950);
    assert_int_equal(hi, 1050);
    /* A wide normal around a small mean never goes below zero. */
    flashmodel_dist_t wide = {.kind = FLASHMODEL_DIST_NORMAL, .mean_us = 10, .stddev_us = 100};
    mean_of(&wide, 5, &lo, &hi);
    assert_int_equal(lo, 0);
}

static void test_lognormal_has_its_median_and_mean(void **state)
{
    (void)state;
    flashmodel_dist_t d = {.kind = FLASHMODEL_DIST_LOGNORMAL, .median_us = 2000, .sigma = 0.5};
    const uint64_t *draws = draws_of(&d, 9);
    double sum = 0;
    int below = 0;
    for (int i = 0; i < DRAWS; i++) {
        uint64_t v = draws[i];
        sum += (double)v;
        below += v < 2000;
    }
    assert_in_range(below, DRAWS / 2 - 300, DRAWS / 2 + 300);
    double expect = 2000.0 * exp(0.5 * 0.5 / 2.0); /* 2266.3 */
    assert_lt(fabs(sum / DRAWS - expect), 25.0);
    d.max_us = 3000;
    assert_int_equal(max_of(&d, 9), 3000);
}

static void test_spikes_add_their_size_at_their_rate(void **state)
{
    (void)state;
    flashmodel_dist_t d = {
        .kind = FLASHMODEL_DIST_SPIKES, .value_us = 50, .spike_p = 0.1, .spike_us = 5000};
    const uint64_t *draws = draws_of(&d, 11);
    int spikes = 0;
    for (int i = 0; i < DRAWS; i++) {
        uint64_t v = draws[i];
        assert_true(v == 50 || v == 5050);
        spikes += v == 5050;
    }
    assert_in_range(spikes, DRAWS / 10 - 250, DRAWS / 10 + 250);
    d.spike_p = 0;
    assert_int_equal(max_of(&d, 11), 50);
}

static void test_trace_is_consumed_in_order_and_wraps(void **state)
{
    (void)state;
    static const uint64_t trace[] = {10, 20, 30};
    flashmodel_dist_t d = {.kind = FLASHMODEL_DIST_TRACE, .trace_us = trace, .trace_count = 3};
    flashmodel_rng_t r;
    flashmodel_rng_seed(&r, 1);
    flashmodel_rng_t before = r;
    size_t pos = 0;
    const uint64_t expect[] = {10, 20, 30, 10, 20, 30, 10};
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        assert_int_equal(flashmodel_dist_draw(&d, &r, &pos), expect[i]);
    }
    /* A trace draws nothing from the generator. */
    assert_memory_equal(&r, &before, sizeof(r));
}

static void test_dist_check_rejects_bad_parameters(void **state)
{
    (void)state;
    flashmodel_dist_t d = {.kind = FLASHMODEL_DIST_UNIFORM, .min_us = 5, .max_us = 4};
    assert_int_equal(flashmodel_dist_check(&d), FLASHMODEL_E_INVAL);
    d = (flashmodel_dist_t){.kind = FLASHMODEL_DIST_NORMAL, .mean_us = 1, .stddev_us = -1};
    assert_int_equal(flashmodel_dist_check(&d), FLASHMODEL_E_INVAL);
    d = (flashmodel_dist_t){.kind = FLASHMODEL_DIST_NORMAL, .mean_us = 9, .min_us = 9, .max_us = 8};
    assert_int_equal(flashmodel_dist_check(&d), FLASHMODEL_E_INVAL);
    d = (flashmodel_dist_t){.kind = FLASHMODEL_DIST_LOGNORMAL, .median_us = 0, .sigma = 1};
    assert_int_equal(flashmodel_dist_check(&d), FLASHMODEL_E_INVAL);
    d = (flashmodel_dist_t){.kind = FLASHMODEL_DIST_SPIKES, .spike_p = 1.5};
    assert_int_equal(flashmodel_dist_check(&d), FLASHMODEL_E_INVAL);
    d = (flashmodel_dist_t){.kind = FLASHMODEL_DIST_TRACE, .trace_count = 0};
    assert_int_equal(flashmodel_dist_check(&d), FLASHMODEL_E_INVAL);
    d = (flashmodel_dist_t){.kind = FLASHMODEL_DIST_KIND_COUNT};
    assert_int_equal(flashmodel_dist_check(&d), FLASHMODEL_E_INVAL);
    d = (flashmodel_dist_t){.kind = FLASHMODEL_DIST_NORMAL, .mean_us = 9, .min_us = 9};
    assert_int_equal(flashmodel_dist_check(&d), 0); /* max 0: no upper clamp */

    cfg.latency[FLASHMODEL_OP_ERASE_BLOCK] =
        (flashmodel_dist_t){.kind = FLASHMODEL_DIST_UNIFORM, .min_us = 5, .max_us = 4};
    assert_int_equal(flashmodel_init(&fm, &cfg), FLASHMODEL_E_INVAL);
}

static void test_model_uses_each_kinds_distribution_and_reports_the_draw(void **state)
{
    (void)state;
    static const uint64_t trace[] = {700, 800};
    uint8_t buf[256], data[4] = {0};
    cfg.latency[FLASHMODEL_OP_READ] =
        (flashmodel_dist_t){.kind = FLASHMODEL_DIST_FIXED, .value_us = 500};
    cfg.latency[FLASHMODEL_OP_PROGRAM] =
        (flashmodel_dist_t){.kind = FLASHMODEL_DIST_TRACE, .trace_us = trace, .trace_count = 2};
    fm_test_open(&fm, &cfg);
    assert_int_equal(fm_test_read(&fm, 0, 0, buf, 256, &op), 0);
    assert_int_equal(op.latency_us, 500);
    assert_int_equal(op.end_us, 500);
    assert_int_equal(fm_test_program(&fm, 1000, 0, data, 4, &op), 0);
    assert_int_equal(op.latency_us, 700);
    assert_int_equal(fm_test_program(&fm, 2000, 16, data, 4, &op), 0);
    assert_int_equal(op.latency_us, 800);
    assert_int_equal(fm_test_program(&fm, 3000, 32, data, 4, &op), 0);
    assert_int_equal(op.latency_us, 700); /* wrapped */
    /* Kinds without a distribution keep the datasheet. */
    assert_int_equal(fm_test_erase(&fm, 4000, FLASHMODEL_OP_ERASE_SECTOR, 0, &op), 0);
    assert_int_equal(op.latency_us, 45000);
    fm_test_close(&fm);
}

static void test_add_to_part_adds_the_draw_to_the_bus_time(void **state)
{
    (void)state;
    uint8_t buf[256];
    cfg.latency[FLASHMODEL_OP_READ] =
        (flashmodel_dist_t){.kind = FLASHMODEL_DIST_FIXED, .value_us = 100, .add_to_part = true};
    fm_test_open(&fm, &cfg);
    assert_int_equal(fm_test_read(&fm, 0, 0, buf, 256, &op), 0);
    assert_int_equal(op.latency_us, 42 + 100);
    fm_test_close(&fm);
}

/* Opens the model with every sector at the endurance and programs 4 bytes at 0 into op. */
static void open_worn_and_program(void)
{
    uint8_t data[4] = {0};
    fm_test_open(&fm, &cfg);
    assert_int_equal(flashmodel_wear_set(&fm, 0, FM_TEST_SIZE, 100000), 0);
    assert_int_equal(fm_test_program(&fm, 0, 0, data, 4, &op), 0);
}

static void test_wear_scales_drawn_times_but_not_traces(void **state)
{
    (void)state;
    static const uint64_t trace[] = {1000};
    cfg.latency[FLASHMODEL_OP_PROGRAM] =
        (flashmodel_dist_t){.kind = FLASHMODEL_DIST_FIXED, .value_us = 1000};
    cfg.latency[FLASHMODEL_OP_ERASE_SECTOR] =
        (flashmodel_dist_t){.kind = FLASHMODEL_DIST_TRACE, .trace_us = trace, .trace_count = 1};
    cfg.latency[FLASHMODEL_OP_ERASE_BLOCK] =
        (flashmodel_dist_t){.kind = FLASHMODEL_DIST_FIXED, .value_us = 1000, .add_to_part = true};
    open_worn_and_program();
    /* Fully worn: a fresh-part draw grows by tpp_max / tpp_typ = 7.5. */
    assert_int_equal(op.latency_us, 7500);
    assert_int_equal(fm_test_erase(&fm, 10000, FLASHMODEL_OP_ERASE_SECTOR, 0, &op), 0);
    assert_int_equal(op.latency_us, 1000);
    /* Overhead on top of a worn datasheet time: only the datasheet part grew. */
    assert_int_equal(fm_test_erase(&fm, 20000, FLASHMODEL_OP_ERASE_BLOCK, 0, &op), 0);
    assert_int_equal(op.latency_us, 2000000 + 1000);
    fm_test_close(&fm);
}

static void test_huge_draws_saturate_instead_of_overflowing(void **state)
{
    (void)state;
    flashmodel_dist_t d = {.kind = FLASHMODEL_DIST_LOGNORMAL, .median_us = 1e300, .sigma = 0};
    flashmodel_rng_t r;
    size_t pos = 0;
    flashmodel_rng_seed(&r, 1);
    assert_int_equal(flashmodel_dist_draw(&d, &r, &pos), UINT64_MAX);
    d.max_us = 5000;
    assert_int_equal(flashmodel_dist_draw(&d, &r, &pos), 5000);
}

static void test_a_part_with_zero_typical_time_uses_the_draw_unscaled(void **state)
{
    (void)state;
    uint8_t data = 0;
    cfg.part.tpp_typ_us = cfg.part.tpp_max_us = 0;
    cfg.latency[FLASHMODEL_OP_PROGRAM] =
        (flashmodel_dist_t){.kind = FLASHMODEL_DIST_FIXED, .value_us = 100};
    fm_test_open(&fm, &cfg);
    assert_int_equal(flashmodel_wear_set(&fm, 0, 1, 100000), 0);
    assert_int_equal(fm_test_program(&fm, 0, 0, &data, 1, &op), 0);
    assert_int_equal(op.latency_us, 100);
    fm_test_close(&fm);
}

static void test_unscaled_draws_ignore_wear(void **state)
{
    (void)state;
    cfg.latency[FLASHMODEL_OP_PROGRAM] =
        (flashmodel_dist_t){.kind = FLASHMODEL_DIST_FIXED, .value_us = 1000, .unscaled = true};
    open_worn_and_program();
    assert_int_equal(op.wear_cycles, 100000);
    assert_int_equal(op.latency_us, 1000);
    fm_test_close(&fm);
}

static void test_kinds_replaying_one_trace_share_its_position(void **state)
{
    (void)state;
    static const uint64_t erases[] = {10, 20, 30};
    static const uint64_t other[] = {10, 20, 30};
    flashmodel_dist_t trace = {.kind = FLASHMODEL_DIST_TRACE, .trace_us = erases, .trace_count = 3};
    cfg.latency[FLASHMODEL_OP_ERASE_SECTOR] = trace;
    cfg.latency[FLASHMODEL_OP_ERASE_BLOCK] = trace;
    /* Same values, another array: its own position. */
    cfg.latency[FLASHMODEL_OP_ERASE_CHIP] = trace;
    cfg.latency[FLASHMODEL_OP_ERASE_CHIP].trace_us = other;
    fm_test_open(&fm, &cfg);
    assert_int_equal(fm_test_erase(&fm, 0, FLASHMODEL_OP_ERASE_SECTOR, 0, &op), 0);
    assert_int_equal(op.latency_us, 10);
    assert_int_equal(fm_test_erase(&fm, 100, FLASHMODEL_OP_ERASE_BLOCK, 0, &op), 0);
    assert_int_equal(op.latency_us, 20);
    assert_int_equal(fm_test_erase(&fm, 200, FLASHMODEL_OP_ERASE_CHIP, 0, &op), 0);
    assert_int_equal(op.latency_us, 10);
    assert_int_equal(fm_test_erase(&fm, 300, FLASHMODEL_OP_ERASE_SECTOR, 0, &op), 0);
    assert_int_equal(op.latency_us, 30);
    assert_int_equal(fm_test_erase(&fm, 400, FLASHMODEL_OP_ERASE_BLOCK, 0, &op), 0);
    assert_int_equal(op.latency_us, 10); /* wrapped */
    fm_test_close(&fm);
}

#define T(fn) FM_TEST_CASE(fn, &cfg)

CHUNKSIM_TEST_MAIN({
    T(test_rng_same_seed_same_sequence),
    T(test_rng_below_and_unit_stay_in_range),
    T(test_fixed_is_always_its_value),
    T(test_uniform_respects_bounds_and_centres_its_mean),
    T(test_normal_has_its_mean_and_deviation_and_clamps),
    T(test_lognormal_has_its_median_and_mean),
    T(test_spikes_add_their_size_at_their_rate),
    T(test_trace_is_consumed_in_order_and_wraps),
    T(test_dist_check_rejects_bad_parameters),
    T(test_model_uses_each_kinds_distribution_and_reports_the_draw),
    T(test_add_to_part_adds_the_draw_to_the_bus_time),
    T(test_wear_scales_drawn_times_but_not_traces),
    T(test_huge_draws_saturate_instead_of_overflowing),
    T(test_a_part_with_zero_typical_time_uses_the_draw_unscaled),
    T(test_unscaled_draws_ignore_wear),
    T(test_kinds_replaying_one_trace_share_its_position),
})
