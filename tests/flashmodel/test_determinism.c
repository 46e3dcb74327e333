/*
 * Determinism: the same seed, config and sequence of calls give identical
 * ops, data, counters and arrays; another seed gives another run; and
 * finishing an op draws nothing, so when finishes happen cannot change what
 * later ops draw.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "chunksim_test_cmp.h"

#include "chunksim_test_main.h"
#include "fm_test.h"

#define N_OPS 600

typedef struct record {
    flashmodel_op_t op;
    int begin_status;
    int finish_status;
    uint64_t data_hash;
} record_t;

typedef struct run {
    record_t log[N_OPS];
    flashmodel_counters_t counters;
    uint8_t image[FM_TEST_SIZE];
} run_t;

static run_t run_a, run_b, run_c;
static flashmodel_op_t ops[N_OPS];
static uint8_t bufs[N_OPS][256];
static bool pending[N_OPS];
static uint8_t source[1024];

/* The script's own generator: independent of the model's seed. */
static uint64_t script_state;
static uint64_t script_next(void)
{
    script_state ^= script_state << 13;
    script_state ^= script_state >> 7;
    script_state ^= script_state << 17;
    return script_state;
}

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 1099511628211u;
    }
    return h;
}

static void rich_config(flashmodel_config_t *cfg, uint64_t seed)
{
    static const flashmodel_fault_rule_t rules[] = {
        {.kind = FLASHMODEL_FAULT_POWER_LOSS, .trigger = FLASHMODEL_TRIG_OP_INDEX, .op_index = 150},
        {.kind = FLASHMODEL_FAULT_POWER_LOSS, .trigger = FLASHMODEL_TRIG_TIME, .at_us = 700000},
        {.kind = FLASHMODEL_FAULT_BITFLIP_TRANSIENT,
         .trigger = FLASHMODEL_TRIG_RATE,
         .rate = 0.05,
         .bits = 2},
        {.kind = FLASHMODEL_FAULT_BITFLIP_STUCK, .trigger = FLASHMODEL_TRIG_RATE, .rate = 0.01},
        {.kind = FLASHMODEL_FAULT_READ_ERROR, .trigger = FLASHMODEL_TRIG_RATE, .rate = 0.02},
        {.kind = FLASHMODEL_FAULT_READ_TIMEOUT,
         .trigger = FLASHMODEL_TRIG_RATE,
         .rate = 0.02,
         .delay_us = 300},
        {.kind = FLASHMODEL_FAULT_READ_TIMEOUT, .trigger = FLASHMODEL_TRIG_RATE, .rate = 0.01},
        {.kind = FLASHMODEL_FAULT_TORN_PROGRAM, .trigger = FLASHMODEL_TRIG_RATE, .rate = 0.05},
        {.kind = FLASHMODEL_FAULT_MISDIRECTED_WRITE, .trigger = FLASHMODEL_TRIG_RATE, .rate = 0.03},
        {.kind = FLASHMODEL_FAULT_ERASE_FAIL, .trigger = FLASHMODEL_TRIG_RATE, .rate = 0.1},
    };
    fm_test_config(cfg);
    cfg->seed = seed;
    cfg->busy_policy = FLASHMODEL_BUSY_SUSPEND;
    cfg->latency[FLASHMODEL_OP_READ] =
        (flashmodel_dist_t){.kind = FLASHMODEL_DIST_LOGNORMAL, .median_us = 60, .sigma = 0.5};
    cfg->latency[FLASHMODEL_OP_PROGRAM] = (flashmodel_dist_t){
        .kind = FLASHMODEL_DIST_NORMAL, .mean_us = 500, .stddev_us = 80, .min_us = 100};
    cfg->latency[FLASHMODEL_OP_ERASE_SECTOR] = (flashmodel_dist_t){
        .kind = FLASHMODEL_DIST_SPIKES, .value_us = 30000, .spike_p = 0.2, .spike_us = 50000};
    cfg->faults = (flashmodel_fault_plan_t){rules, sizeof(rules) / sizeof(rules[0])};
}

/* Finishes every pending op due at now, in (end_us, index) order, as an event heap would. */
static void finish_due(flashmodel_t *fm, uint64_t now, run_t *run)
{
    for (;;) {
        int best = -1;
        for (int i = 0; i < N_OPS; i++) {
            if (pending[i] && flashmodel_op_due(&ops[i], now) &&
                (best < 0 || ops[i].end_us < ops[best].end_us)) {
                best = i;
            }
        }
        if (best < 0) {
            return;
        }
        int st = flashmodel_op_finish(fm, &ops[best], bufs[best]);
        assert_true(st != FLASHMODEL_E_ORDER && st != FLASHMODEL_E_STATE &&
                    st != FLASHMODEL_E_INVAL);
        pending[best] = false;
        run->log[best].finish_status = st;
        run->log[best].data_hash = fnv(bufs[best], 256);
    }
}

static void run_script(uint64_t seed, run_t *run)
{
    flashmodel_config_t cfg;
    flashmodel_t fm;
    rich_config(&cfg, seed);
    fm_test_open(&fm, &cfg);
    for (size_t i = 0; i < sizeof(source); i++) {
        source[i] = (uint8_t)(i * 37 + 5);
    }
    memset(bufs, 0, sizeof(bufs));
    memset(pending, 0, sizeof(pending));
    memset(run, 0, sizeof(*run));
    script_state = 0x9E3779B97F4A7C15u;
    uint64_t now = 0;
    for (int i = 0; i < N_OPS; i++) {
        uint64_t r = script_next();
        uint32_t addr = (uint32_t)(script_next() % (FM_TEST_SIZE - 256));
        int rc;
        switch (r % 20) {
        case 0:
            rc = flashmodel_erase_begin(&fm, now, FLASHMODEL_OP_ERASE_SECTOR, addr, &ops[i]);
            break;
        case 1:
        case 2:
        case 3:
        case 4:
        case 5:
            rc = flashmodel_program_begin(&fm, now, addr, source + (r >> 8) % 512,
                                          1 + (uint32_t)((r >> 20) % 256), &ops[i]);
            break;
        default:
            rc = flashmodel_read_begin(&fm, now, addr, 1 + (uint32_t)((r >> 20) % 256), &ops[i]);
            break;
        }
        run->log[i].begin_status = rc;
        if (rc == FLASHMODEL_E_POWER) {
            flashmodel_power_restore(&fm, now);
        }
        pending[i] = rc == 0 && ops[i].end_us != FLASHMODEL_NEVER;
        now += script_next() % 3000;
        finish_due(&fm, now, run);
    }
    finish_due(&fm, UINT64_MAX - 1, run);
    for (int i = 0; i < N_OPS; i++) {
        run->log[i].op = ops[i];
    }
    run->counters = *flashmodel_counters(&fm);
    memcpy(run->image, flashmodel_image(&fm), FM_TEST_SIZE);
    fm_test_close(&fm);
}

static bool op_equal(const flashmodel_op_t *a, const flashmodel_op_t *b)
{
    return a->index == b->index && a->kind == b->kind && a->addr == b->addr && a->len == b->len &&
           a->issue_us == b->issue_us && a->start_us == b->start_us &&
           a->device_end_us == b->device_end_us && a->end_us == b->end_us &&
           a->latency_us == b->latency_us && a->wear_cycles == b->wear_cycles &&
           a->status == b->status && a->fault == b->fault && a->fault_rule == b->fault_rule &&
           a->fault_addr == b->fault_addr && a->fault_count == b->fault_count &&
           a->fault_mask == b->fault_mask &&
           memcmp(a->flip_bits, b->flip_bits, sizeof(a->flip_bits)) == 0 &&
           a->cut_us == b->cut_us && a->seed == b->seed && a->pushed_index == b->pushed_index &&
           a->pushed_us == b->pushed_us;
}

static bool runs_equal(const run_t *a, const run_t *b)
{
    for (int i = 0; i < N_OPS; i++) {
        const record_t *x = &a->log[i], *y = &b->log[i];
        if (!op_equal(&x->op, &y->op) || x->begin_status != y->begin_status ||
            x->finish_status != y->finish_status || x->data_hash != y->data_hash) {
            return false;
        }
    }
    return memcmp(&a->counters, &b->counters, sizeof(a->counters)) == 0 &&
           memcmp(a->image, b->image, FM_TEST_SIZE) == 0;
}

static void test_same_seed_and_calls_give_identical_runs(void **state)
{
    (void)state;
    run_script(1234, &run_a);
    run_script(1234, &run_b);
    assert_true(runs_equal(&run_a, &run_b));
    /* The script exercised what it is meant to. */
    const flashmodel_counters_t *c = &run_a.counters;
    assert_ge(c->power_losses, 2);
    assert_gt(c->suspends, 0);
    assert_gt(c->faults[FLASHMODEL_FAULT_TORN_PROGRAM], 0);
    assert_gt(c->faults[FLASHMODEL_FAULT_BITFLIP_TRANSIENT], 0);
    assert_gt(c->faults[FLASHMODEL_FAULT_READ_TIMEOUT], 0);
    assert_gt(c->double_programs, 0);
}

static void test_another_seed_gives_another_run(void **state)
{
    (void)state;
    run_script(1234, &run_a);
    run_script(1235, &run_c);
    assert_false(runs_equal(&run_a, &run_c));
    int same_latency = 0;
    for (int i = 0; i < N_OPS; i++) {
        same_latency += run_a.log[i].op.latency_us == run_c.log[i].op.latency_us;
    }
    assert_lt(same_latency, N_OPS / 2);
}

static void test_when_an_op_is_finished_does_not_change_later_draws(void **state)
{
    (void)state;
    static const flashmodel_fault_rule_t rule = {
        .kind = FLASHMODEL_FAULT_POWER_LOSS, .trigger = FLASHMODEL_TRIG_OP_INDEX, .op_index = 0};
    flashmodel_config_t cfg;
    flashmodel_t a, b;
    flashmodel_op_t pa, pb, ra, rb;
    uint8_t data[256] = {0}, buf[16];
    fm_test_config(&cfg);
    cfg.latency[FLASHMODEL_OP_READ] =
        (flashmodel_dist_t){.kind = FLASHMODEL_DIST_UNIFORM, .min_us = 10, .max_us = 1000};
    cfg.faults = (flashmodel_fault_plan_t){&rule, 1};
    fm_test_open(&a, &cfg);
    fm_test_open(&b, &cfg);
    /* a finishes the cut program (drawing its undefined bytes) before the next begin ... */
    assert_int_equal(flashmodel_program_begin(&a, 0, 0, data, 256, &pa), 0);
    assert_int_equal(flashmodel_op_finish(&a, &pa, NULL), FLASHMODEL_E_POWER);
    flashmodel_power_restore(&a, 5000);
    assert_int_equal(flashmodel_read_begin(&a, 5000, 0, 16, &ra), 0);
    /* ... b only after it. */
    assert_int_equal(flashmodel_program_begin(&b, 0, 0, data, 256, &pb), 0);
    flashmodel_power_restore(&b, 5000);
    assert_int_equal(flashmodel_read_begin(&b, 5000, 0, 16, &rb), 0);
    assert_int_equal(flashmodel_op_finish(&b, &pb, NULL), FLASHMODEL_E_POWER);
    assert_int_equal(ra.seed, rb.seed);
    assert_int_equal(ra.latency_us, rb.latency_us);
    assert_memory_equal(flashmodel_image(&a), flashmodel_image(&b), 256);
    assert_int_equal(flashmodel_op_finish(&a, &ra, buf), 0);
    assert_int_equal(flashmodel_op_finish(&b, &rb, buf), 0);
    fm_test_close(&a);
    fm_test_close(&b);
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_same_seed_and_calls_give_identical_runs),
    cmocka_unit_test(test_another_seed_gives_another_run),
    cmocka_unit_test(test_when_an_op_is_finished_does_not_change_later_draws),
})
