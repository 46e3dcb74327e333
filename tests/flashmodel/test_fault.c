/*
 * Fault plan: every fault kind fires when triggered and not otherwise, does
 * what fault.h says, and every trigger kind selects the ops it should.
 * Power loss has its own suite (test_power.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "chunksim_test_cmp.h"

#include "chunksim_test_main.h"
#include "fm_test.h"

static flashmodel_t fm;
static flashmodel_config_t cfg;
static flashmodel_op_t op;
static uint8_t buf[256];
static uint8_t zeros[256];
static uint8_t pattern[256];

static int setup(void **state)
{
    (void)state;
    fm_test_config(&cfg);
    memset(buf, 0x11, sizeof(buf));
    for (int i = 0; i < 256; i++) {
        pattern[i] = (uint8_t)(i * 13 + 1);
    }
    return 0;
}

/*
 * A test opens the model under its plan with open_with*(), which first closes the one it had
 * open; the teardown closes the last. Either close checks that nothing was left in flight.
 */
static bool is_open;

static void close_if_open(void)
{
    if (is_open) {
        is_open = false; /* first: a failed check must not leave it to be closed twice */
        fm_test_close(&fm);
    }
}

static void open_with_plan(const flashmodel_fault_rule_t *rules, size_t count)
{
    close_if_open();
    cfg.faults = (flashmodel_fault_plan_t){rules, count};
    fm_test_open(&fm, &cfg);
    is_open = true;
}

static void open_with(const flashmodel_fault_rule_t *rule)
{
    open_with_plan(rule, 1);
}

static int teardown(void **state)
{
    (void)state;
    close_if_open();
    return 0;
}

/* A rule that fires on every applicable op touching [addr, addr + len). */
static flashmodel_fault_rule_t in_range(flashmodel_fault_t kind, uint32_t addr, uint32_t len)
{
    return (flashmodel_fault_rule_t){
        .kind = kind, .trigger = FLASHMODEL_TRIG_ADDR, .addr = addr, .len = len};
}

/* ... touching sector 1. */
static flashmodel_fault_rule_t in_sector1(flashmodel_fault_t kind)
{
    return in_range(kind, FM_TEST_SECTOR, FM_TEST_SECTOR);
}

static flashmodel_fault_rule_t always(flashmodel_fault_t kind)
{
    return (flashmodel_fault_rule_t){.kind = kind, .trigger = FLASHMODEL_TRIG_ADDR};
}

/* Loads pattern at addr and reads len bytes of it back into buf (op) through the plan. */
static int read_back_pattern(uint32_t addr, uint32_t len)
{
    assert_int_equal(flashmodel_load(&fm, addr, pattern, len), 0);
    return fm_test_read(&fm, 0, addr, buf, len, &op);
}

/* Every program meets program_fault, every erase erase_fault; sector 2 holds pattern. */
static void open_with_program_and_erase_faults(flashmodel_fault_t program_fault,
                                               flashmodel_fault_t erase_fault)
{
    const flashmodel_fault_rule_t rules[] = {always(program_fault), always(erase_fault)};
    open_with_plan(rules, 2);
    assert_int_equal(flashmodel_load(&fm, 8192, pattern, 256), 0);
}

/* Runs the op a fault of this kind applies to at addr; returns the fault that fired. */
static flashmodel_fault_t run_applicable_op(flashmodel_fault_t kind, uint32_t addr)
{
    if (flashmodel_fault_applies(kind, FLASHMODEL_OP_READ)) {
        assert_int_equal(flashmodel_read_begin(&fm, 0, addr, 16, &op), 0);
    } else if (flashmodel_fault_applies(kind, FLASHMODEL_OP_PROGRAM)) {
        assert_int_equal(flashmodel_program_begin(&fm, 0, addr, zeros, 16, &op), 0);
    } else {
        assert_int_equal(flashmodel_erase_begin(&fm, 0, FLASHMODEL_OP_ERASE_SECTOR, addr, &op), 0);
    }
    if (op.end_us != FLASHMODEL_NEVER) {
        flashmodel_op_finish(&fm, &op, buf);
    }
    return op.fault;
}

static void test_every_fault_kind_fires_only_when_triggered(void **state)
{
    (void)state;
    for (int k = FLASHMODEL_FAULT_NONE + 1; k < FLASHMODEL_FAULT_COUNT; k++) {
        flashmodel_fault_rule_t rule = in_sector1((flashmodel_fault_t)k);
        fm_test_config(&cfg);
        open_with(&rule);
        /* Outside the range: nothing. */
        assert_int_equal(run_applicable_op(rule.kind, 0), FLASHMODEL_FAULT_NONE);
        assert_int_equal(op.fault_rule, FLASHMODEL_NO_RULE);
        assert_int_equal(flashmodel_counters(&fm)->faults[k], 0);
        /* Inside: this kind, from rule 0, counted once. */
        assert_int_equal(run_applicable_op(rule.kind, FM_TEST_SECTOR), k);
        assert_int_equal(op.fault_rule, 0);
        assert_int_equal(flashmodel_counters(&fm)->faults[k], 1);
    }
}

static void test_faults_only_hit_the_op_kinds_they_apply_to(void **state)
{
    (void)state;
    assert_true(flashmodel_fault_applies(FLASHMODEL_FAULT_BITFLIP_STUCK, FLASHMODEL_OP_READ));
    assert_false(flashmodel_fault_applies(FLASHMODEL_FAULT_BITFLIP_STUCK, FLASHMODEL_OP_PROGRAM));
    assert_false(
        flashmodel_fault_applies(FLASHMODEL_FAULT_TORN_PROGRAM, FLASHMODEL_OP_ERASE_BLOCK));
    assert_true(flashmodel_fault_applies(FLASHMODEL_FAULT_WEAR_OUT, FLASHMODEL_OP_ERASE_CHIP));
    assert_true(flashmodel_fault_applies(FLASHMODEL_FAULT_BAD_SECTOR, FLASHMODEL_OP_PROGRAM));
    assert_false(flashmodel_fault_applies(FLASHMODEL_FAULT_NONE, FLASHMODEL_OP_READ));
    flashmodel_fault_rule_t rule = always(FLASHMODEL_FAULT_READ_ERROR);
    open_with(&rule);
    assert_int_equal(fm_test_program(&fm, 0, 0, zeros, 16, &op), 0);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_NONE);
    assert_int_equal(fm_test_erase(&fm, 1000, FLASHMODEL_OP_ERASE_SECTOR, 0, &op), 0);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_NONE);
}

static void test_read_error_delivers_no_data(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = always(FLASHMODEL_FAULT_READ_ERROR);
    open_with(&rule);
    assert_int_equal(flashmodel_read_begin(&fm, 0, 0, 16, &op), 0);
    assert_int_equal(op.status, FLASHMODEL_E_READ); /* known at begin ... */
    assert_int_equal(op.end_us, 4);                 /* ... reported on time */
    assert_int_equal(flashmodel_op_finish(&fm, &op, buf), FLASHMODEL_E_READ);
    assert_int_equal(buf[0], 0x11);
}

static void test_read_timeout_loses_the_completion_but_frees_the_device(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = always(FLASHMODEL_FAULT_READ_TIMEOUT);
    rule.limit = 1;
    open_with(&rule);
    assert_int_equal(flashmodel_read_begin(&fm, 0, 0, 16, &op), 0);
    assert_int_equal(op.end_us, FLASHMODEL_NEVER);
    assert_int_equal(op.device_end_us, 4);
    assert_int_equal(op.status, FLASHMODEL_E_TIMEOUT);
    assert_false(flashmodel_op_due(&op, UINT64_MAX - 1));
    assert_int_equal(flashmodel_inflight(&fm), 0);
    assert_int_equal(flashmodel_busy_until(&fm), 4);
    /* Releasing it copies nothing; a second finish is a state error. */
    assert_int_equal(flashmodel_op_finish(&fm, &op, buf), FLASHMODEL_E_TIMEOUT);
    assert_int_equal(buf[0], 0x11);
    assert_int_equal(flashmodel_op_finish(&fm, &op, buf), FLASHMODEL_E_STATE);
    flashmodel_op_t next;
    assert_int_equal(fm_test_read(&fm, 4, 0, buf, 16, &next), 0);
    assert_int_equal(next.start_us, 4);
}

static void test_read_timeout_with_delay_arrives_late_with_good_data(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = always(FLASHMODEL_FAULT_READ_TIMEOUT);
    rule.delay_us = 5000;
    open_with(&rule);
    assert_int_equal(flashmodel_load(&fm, 0, pattern, 16), 0);
    assert_int_equal(flashmodel_read_begin(&fm, 0, 0, 16, &op), 0);
    assert_int_equal(op.device_end_us, 4);
    assert_int_equal(op.end_us, 5004);
    assert_int_equal(op.status, 0);
    assert_int_equal(flashmodel_busy_until(&fm), 4);
    assert_int_equal(flashmodel_op_finish(&fm, &op, buf), 0);
    assert_memory_equal(buf, pattern, 16);
}

static void test_transient_bitflips_change_only_the_returned_data(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = always(FLASHMODEL_FAULT_BITFLIP_TRANSIENT);
    rule.bits = 3;
    open_with(&rule);
    assert_int_equal(read_back_pattern(512, 64), 0);
    assert_int_equal(op.fault_count, 3);
    assert_int_equal(fm_test_popcount_diff(buf, pattern, 64), 3);
    for (uint32_t k = 0; k < 3; k++) {
        uint32_t b = op.flip_bits[k];
        assert_lt(b, 64 * 8);
        assert_int_equal((buf[b / 8] ^ pattern[b / 8]) >> (b % 8) & 1, 1);
    }
    assert_int_equal(op.fault_addr, 512 + op.flip_bits[0] / 8);
    assert_memory_equal(flashmodel_image(&fm) + 512, pattern, 64);
}

static void test_stuck_bitflips_change_the_stored_bits(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = always(FLASHMODEL_FAULT_BITFLIP_STUCK);
    rule.bits = 2;
    rule.limit = 1;
    open_with(&rule);
    assert_int_equal(read_back_pattern(0, 64), 0);
    assert_int_equal(fm_test_popcount_diff(buf, pattern, 64), 2);
    assert_memory_equal(flashmodel_image(&fm), buf, 64);
    /* A clean read later still sees them. */
    uint8_t again[64];
    assert_int_equal(fm_test_read(&fm, 1000, 0, again, 64, &op), 0);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_NONE);
    assert_memory_equal(again, buf, 64);
}

static void test_program_and_erase_failures_change_nothing(void **state)
{
    (void)state;
    open_with_program_and_erase_faults(FLASHMODEL_FAULT_PROGRAM_FAIL, FLASHMODEL_FAULT_ERASE_FAIL);
    assert_int_equal(fm_test_program(&fm, 0, 0, zeros, 16, &op), FLASHMODEL_E_PROGRAM);
    assert_int_equal(flashmodel_image(&fm)[0], 0xFF);
    assert_int_equal(fm_test_erase(&fm, 1000, FLASHMODEL_OP_ERASE_SECTOR, 8192, &op),
                     FLASHMODEL_E_ERASE);
    assert_memory_equal(flashmodel_image(&fm) + 8192, pattern, 256);
    assert_int_equal(flashmodel_erase_count(&fm, 8192), 1); /* the attempt wore the sector */
}

static void test_silent_program_and_erase_report_success_and_do_nothing(void **state)
{
    (void)state;
    open_with_program_and_erase_faults(FLASHMODEL_FAULT_SILENT_PROGRAM,
                                       FLASHMODEL_FAULT_SILENT_ERASE);
    assert_int_equal(fm_test_program(&fm, 0, 0, zeros, 16, &op), 0);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_SILENT_PROGRAM);
    assert_int_equal(op.end_us, 400); /* takes its time like a real one */
    assert_int_equal(flashmodel_image(&fm)[0], 0xFF);
    assert_int_equal(fm_test_erase(&fm, 1000, FLASHMODEL_OP_ERASE_SECTOR, 8192, &op), 0);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_SILENT_ERASE);
    assert_memory_equal(flashmodel_image(&fm) + 8192, pattern, 256);
    assert_int_equal(flashmodel_erase_count(&fm, 8192), 0);
}

static void test_bad_sector_fails_every_op_in_its_range(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = in_sector1(FLASHMODEL_FAULT_BAD_SECTOR);
    open_with(&rule);
    uint32_t bad = FM_TEST_SECTOR;
    assert_int_equal(fm_test_read(&fm, 0, bad + 100, buf, 16, &op), FLASHMODEL_E_READ);
    assert_int_equal(fm_test_program(&fm, 100, bad, zeros, 16, &op), FLASHMODEL_E_PROGRAM);
    assert_int_equal(flashmodel_image(&fm)[bad], 0xFF);
    assert_int_equal(fm_test_erase(&fm, 1000, FLASHMODEL_OP_ERASE_SECTOR, bad, &op),
                     FLASHMODEL_E_ERASE);
    /* A read that only overlaps the bad sector's first byte fails too. */
    assert_int_equal(fm_test_read(&fm, 50000, bad - 8, buf, 9, &op), FLASHMODEL_E_READ);
    assert_int_equal(fm_test_read(&fm, 50000, bad - 8, buf, 8, &op), 0);
    assert_int_equal(fm_test_program(&fm, 60000, 0, zeros, 16, &op), 0);
    /* A block erase covering the bad sector fails as a whole. */
    assert_int_equal(fm_test_erase(&fm, 70000, FLASHMODEL_OP_ERASE_BLOCK, 0, &op),
                     FLASHMODEL_E_ERASE);
    assert_int_equal(flashmodel_counters(&fm)->faults[FLASHMODEL_FAULT_BAD_SECTOR], 5);
}

static void test_wear_out_fails_erases_after_n_cycles(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = always(FLASHMODEL_FAULT_WEAR_OUT);
    rule.cycles = 2;
    open_with(&rule);
    assert_int_equal(fm_test_erase(&fm, 0, FLASHMODEL_OP_ERASE_SECTOR, 8192, &op), 0);
    assert_int_equal(fm_test_erase(&fm, 100000, FLASHMODEL_OP_ERASE_SECTOR, 8192, &op), 0);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_NONE);
    assert_int_equal(flashmodel_load(&fm, 8192, pattern, 256), 0);
    /* The third erase of the sector: its count (2) has reached cycles. */
    assert_int_equal(fm_test_erase(&fm, 200000, FLASHMODEL_OP_ERASE_SECTOR, 8192, &op),
                     FLASHMODEL_E_ERASE);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_WEAR_OUT);
    assert_int_equal(op.fault_addr, 8192);
    assert_memory_equal(flashmodel_image(&fm) + 8192, pattern, 256);
    /* A fresh sector is fine. */
    assert_int_equal(fm_test_erase(&fm, 300000, FLASHMODEL_OP_ERASE_SECTOR, 0, &op), 0);
}

static void test_wear_out_can_leave_bits_programmed_in_worn_sectors_only(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = always(FLASHMODEL_FAULT_WEAR_OUT);
    rule.cycles = 5;
    rule.leave_bits = true;
    rule.bits = 3;
    open_with(&rule);
    static uint8_t block_zeros[65536];
    assert_int_equal(flashmodel_load(&fm, 0, block_zeros, 65536), 0);
    assert_int_equal(flashmodel_wear_set(&fm, 4096, 1, 5), 0);
    assert_int_equal(fm_test_erase(&fm, 0, FLASHMODEL_OP_ERASE_BLOCK, 0, &op), 0);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_WEAR_OUT);
    assert_int_equal(op.fault_addr, 4096);
    assert_int_equal(op.fault_count, 3);
    static uint8_t ff[65536];
    memset(ff, 0xFF, sizeof(ff));
    const uint8_t *img = flashmodel_image(&fm);
    assert_int_equal(fm_test_popcount_diff(img + 4096, ff, 4096), 3);
    assert_int_equal(fm_test_popcount_diff(img, ff, 4096), 0);
    assert_int_equal(fm_test_popcount_diff(img + 8192, ff, 65536 - 8192), 0);
}

static void test_torn_program_lands_a_prefix_and_part_of_one_byte(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = always(FLASHMODEL_FAULT_TORN_PROGRAM);
    open_with(&rule);
    assert_int_equal(fm_test_program(&fm, 0, 1024, zeros, 200, &op), 0);
    uint32_t k = op.fault_count;
    assert_lt(k, 200);
    assert_int_equal(op.fault_addr, 1024 + k);
    const uint8_t *img = flashmodel_image(&fm) + 1024;
    for (uint32_t i = 0; i < k; i++) {
        assert_int_equal(img[i], 0x00);
    }
    assert_int_equal(img[k], (uint8_t)~op.fault_mask); /* only the mask's bits went to 0 */
    for (uint32_t i = k + 1; i < 200; i++) {
        assert_int_equal(img[i], 0xFF);
    }
}

static void test_misdirected_write_lands_on_another_page(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = always(FLASHMODEL_FAULT_MISDIRECTED_WRITE);
    open_with(&rule);
    uint32_t addr = 0x108;
    assert_int_equal(fm_test_program(&fm, 0, addr, pattern, 16, &op), 0);
    assert_true(op.fault_addr != addr);
    assert_int_equal(op.fault_addr % FM_TEST_PAGE, addr % FM_TEST_PAGE);
    assert_le(op.fault_addr + 16, FM_TEST_SIZE);
    assert_memory_equal(flashmodel_image(&fm) + op.fault_addr, pattern, 16);
    assert_int_equal(flashmodel_image(&fm)[addr], 0xFF);
}

/* Reads 16 bytes at 0, one per 100 us, n times; returns how many faulted. */
static unsigned faulted_reads(unsigned n, uint64_t t0)
{
    unsigned faults = 0;
    for (unsigned i = 0; i < n; i++) {
        fm_test_read(&fm, t0 + i * 100u, 0, buf, 16, &op);
        faults += op.fault != FLASHMODEL_FAULT_NONE;
    }
    return faults;
}

/* The rule made to fire every time (every): reads_before reads from 0 us on, before its trigger
 * point, get nothing; the ten from 1000 us on, past it, all fault. */
static void assert_every_read_faults_from_1000_us(flashmodel_fault_rule_t rule,
                                                  unsigned reads_before)
{
    rule.every = true;
    open_with(&rule);
    assert_int_equal(faulted_reads(reads_before, 0), 0);
    assert_int_equal(faulted_reads(10, 1000), 10);
}

static void test_rate_trigger_fires_at_its_probability(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = {
        .kind = FLASHMODEL_FAULT_READ_ERROR, .trigger = FLASHMODEL_TRIG_RATE, .rate = 0};
    open_with(&rule);
    assert_int_equal(faulted_reads(1000, 0), 0);
    rule.rate = 1;
    open_with(&rule);
    assert_int_equal(faulted_reads(1000, 0), 1000);
    rule.rate = 0.25;
    open_with(&rule);
    assert_in_range(faulted_reads(1000, 0), 180, 320);
}

static void test_op_index_trigger_fires_once_at_the_first_applicable_op(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = {
        .kind = FLASHMODEL_FAULT_READ_ERROR, .trigger = FLASHMODEL_TRIG_OP_INDEX, .op_index = 3};
    open_with(&rule);
    for (uint64_t i = 0; i < 6; i++) {
        fm_test_read(&fm, i * 100, 0, buf, 16, &op);
        assert_int_equal(op.index, i);
        assert_int_equal(op.fault, i == 3 ? FLASHMODEL_FAULT_READ_ERROR : FLASHMODEL_FAULT_NONE);
    }

    /* Index 1 is a read: the program fault waits for the first program after it. */
    rule = (flashmodel_fault_rule_t){
        .kind = FLASHMODEL_FAULT_PROGRAM_FAIL, .trigger = FLASHMODEL_TRIG_OP_INDEX, .op_index = 1};
    open_with(&rule);
    assert_int_equal(fm_test_read(&fm, 0, 0, buf, 16, &op), 0);
    assert_int_equal(fm_test_read(&fm, 100, 0, buf, 16, &op), 0);
    assert_int_equal(fm_test_program(&fm, 200, 0, zeros, 1, &op), FLASHMODEL_E_PROGRAM);
    assert_int_equal(fm_test_program(&fm, 1000, 1, zeros, 1, &op), 0);

    rule = (flashmodel_fault_rule_t){
        .kind = FLASHMODEL_FAULT_READ_ERROR, .trigger = FLASHMODEL_TRIG_OP_INDEX, .op_index = 2};
    assert_every_read_faults_from_1000_us(rule, 2);
}

static void test_addr_trigger_fires_for_ops_touching_the_range(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = in_range(FLASHMODEL_FAULT_READ_ERROR, 1000, 10);
    open_with(&rule);
    assert_int_equal(fm_test_read(&fm, 0, 990, buf, 10, &op), 0);
    assert_int_equal(fm_test_read(&fm, 100, 995, buf, 10, &op), FLASHMODEL_E_READ);
    assert_int_equal(fm_test_read(&fm, 200, 1009, buf, 1, &op), FLASHMODEL_E_READ);
    assert_int_equal(fm_test_read(&fm, 300, 1010, buf, 10, &op), 0);

    /* A program that wraps touches the start of its page. */
    rule = in_range(FLASHMODEL_FAULT_PROGRAM_FAIL, 0x200, 1);
    open_with(&rule);
    assert_int_equal(fm_test_program(&fm, 0, 0x2F0, zeros, 4, &op), 0);
    assert_int_equal(fm_test_program(&fm, 1000, 0x2FE, zeros, 4, &op), FLASHMODEL_E_PROGRAM);
}

static void test_time_trigger_fires_on_ops_starting_at_or_after_it(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = {
        .kind = FLASHMODEL_FAULT_READ_ERROR, .trigger = FLASHMODEL_TRIG_TIME, .at_us = 1000};
    open_with(&rule);
    assert_int_equal(fm_test_read(&fm, 500, 0, buf, 16, &op), 0);
    /* Issued before at_us, but queued behind a program until after it. */
    flashmodel_op_t prog;
    assert_int_equal(flashmodel_program_begin(&fm, 800, 4096, zeros, 1, &prog), 0);
    assert_int_equal(flashmodel_read_begin(&fm, 900, 0, 16, &op), 0);
    assert_int_equal(op.start_us, 1200);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_READ_ERROR);
    assert_int_equal(flashmodel_op_finish(&fm, &prog, NULL), 0);
    assert_int_equal(flashmodel_op_finish(&fm, &op, buf), FLASHMODEL_E_READ);
    /* One-shot. */
    assert_int_equal(fm_test_read(&fm, 2000, 0, buf, 16, &op), 0);

    assert_every_read_faults_from_1000_us(rule, 10);
}

static void test_limit_caps_how_often_a_rule_fires(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = {.kind = FLASHMODEL_FAULT_READ_ERROR,
                                    .trigger = FLASHMODEL_TRIG_RATE,
                                    .rate = 1,
                                    .limit = 2};
    open_with(&rule);
    assert_int_equal(faulted_reads(10, 0), 2);
}

static void test_range_filter_restricts_other_triggers(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = {.kind = FLASHMODEL_FAULT_READ_ERROR,
                                    .trigger = FLASHMODEL_TRIG_RATE,
                                    .rate = 1,
                                    .addr = 4096,
                                    .len = 4096};
    open_with(&rule);
    assert_int_equal(faulted_reads(5, 0), 0); /* reads at 0 */
    assert_int_equal(fm_test_read(&fm, 1000, 4096, buf, 16, &op), FLASHMODEL_E_READ);
}

static void test_first_matching_rule_wins(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rules[] = {in_sector1(FLASHMODEL_FAULT_READ_ERROR),
                                       always(FLASHMODEL_FAULT_BITFLIP_TRANSIENT)};
    open_with_plan(rules, 2);
    assert_int_equal(fm_test_read(&fm, 0, FM_TEST_SECTOR, buf, 16, &op), FLASHMODEL_E_READ);
    assert_int_equal(op.fault_rule, 0);
    assert_int_equal(fm_test_read(&fm, 100, 0, buf, 16, &op), 0);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_BITFLIP_TRANSIENT);
    assert_int_equal(op.fault_rule, 1);
}

static void test_bad_rules_are_rejected(void **state)
{
    (void)state;
    flashmodel_fault_rule_t r = always(FLASHMODEL_FAULT_READ_ERROR);
    assert_int_equal(flashmodel_fault_rule_check(&r), 0);
    r.kind = FLASHMODEL_FAULT_NONE;
    assert_int_equal(flashmodel_fault_rule_check(&r), FLASHMODEL_E_INVAL);
    r.kind = FLASHMODEL_FAULT_COUNT;
    assert_int_equal(flashmodel_fault_rule_check(&r), FLASHMODEL_E_INVAL);
    r = (flashmodel_fault_rule_t){
        .kind = FLASHMODEL_FAULT_READ_ERROR, .trigger = FLASHMODEL_TRIG_RATE, .rate = 1.5};
    assert_int_equal(flashmodel_fault_rule_check(&r), FLASHMODEL_E_INVAL);
    r = always(FLASHMODEL_FAULT_BITFLIP_STUCK);
    r.bits = FLASHMODEL_MAX_FLIPS + 1;
    assert_int_equal(flashmodel_fault_rule_check(&r), FLASHMODEL_E_INVAL);
    r = always(FLASHMODEL_FAULT_READ_ERROR);
    r.trigger = FLASHMODEL_TRIGGER_COUNT;
    assert_int_equal(flashmodel_fault_rule_check(&r), FLASHMODEL_E_INVAL);
    assert_int_equal(flashmodel_fault_rule_check(NULL), FLASHMODEL_E_INVAL);
    cfg.faults = (flashmodel_fault_plan_t){&r, 1};
    assert_int_equal(flashmodel_init(&fm, &cfg), FLASHMODEL_E_INVAL);
}

static void test_plan_is_copied_at_init(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = always(FLASHMODEL_FAULT_READ_ERROR);
    open_with(&rule);
    rule.kind = FLASHMODEL_FAULT_BITFLIP_STUCK; /* the caller's copy changes ... */
    assert_int_equal(fm_test_read(&fm, 0, 0, buf, 16, &op), FLASHMODEL_E_READ); /* ... not ours */
}

static void test_faults_that_cannot_happen_do_not_fire(void **state)
{
    (void)state;
    /* No bit to flip in a zero-length read. */
    flashmodel_fault_rule_t rule = always(FLASHMODEL_FAULT_BITFLIP_TRANSIENT);
    open_with(&rule);
    assert_int_equal(fm_test_read(&fm, 0, 0, buf, 0, &op), 0);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_NONE);
    /* No other page to misdirect to on a one-page part. */
    rule = always(FLASHMODEL_FAULT_MISDIRECTED_WRITE);
    cfg.part.size_bytes = cfg.part.block_bytes = cfg.part.sector_bytes = FM_TEST_PAGE;
    open_with(&rule);
    assert_int_equal(fm_test_program(&fm, 0, 8, zeros, 4, &op), 0);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_NONE);
    assert_int_equal(flashmodel_image(&fm)[8], 0x00);
}

static void test_flips_can_cover_a_whole_byte(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = always(FLASHMODEL_FAULT_BITFLIP_TRANSIENT);
    rule.bits = FLASHMODEL_MAX_FLIPS;
    open_with(&rule);
    assert_int_equal(read_back_pattern(0, 1), 0);
    assert_int_equal(buf[0], (uint8_t)~pattern[0]);
}

static void test_wear_out_cannot_leave_more_bits_than_the_sector_has(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = always(FLASHMODEL_FAULT_WEAR_OUT);
    rule.leave_bits = true;
    rule.bits = 100000; /* > 4096 * 8 */
    open_with(&rule);
    assert_int_equal(fm_test_erase(&fm, 0, FLASHMODEL_OP_ERASE_SECTOR, 0, &op), 0);
    for (uint32_t i = 0; i < FM_TEST_SECTOR; i++) {
        assert_int_equal(flashmodel_image(&fm)[i], 0x00);
    }
}

static void test_op_filter_counts_and_applies_to_its_kinds_only(void **state)
{
    (void)state;
    /* Bad sector applies to every kind; ops narrows it to programs and counts programs only. */
    flashmodel_fault_rule_t rule = {.kind = FLASHMODEL_FAULT_BAD_SECTOR,
                                    .trigger = FLASHMODEL_TRIG_OP_INDEX,
                                    .op_index = 1,
                                    .every = true,
                                    .ops = FLASHMODEL_OP_BIT(FLASHMODEL_OP_PROGRAM)};
    open_with(&rule);
    assert_int_equal(fm_test_read(&fm, 0, 0, buf, 16, &op), 0);
    assert_int_equal(fm_test_program(&fm, 100, 0, zeros, 1, &op), 0); /* program 0 */
    assert_int_equal(fm_test_read(&fm, 1000, 0, buf, 16, &op), 0);    /* not a program */
    /* A refused program is counted too: it is program 1, so the next is 2. */
    assert_int_equal(flashmodel_program_begin(&fm, 1100, FM_TEST_SIZE, zeros, 1, &op),
                     FLASHMODEL_E_RANGE);
    assert_int_equal(fm_test_program(&fm, 1200, 1, zeros, 1, &op), FLASHMODEL_E_PROGRAM);
    assert_int_equal(fm_test_read(&fm, 2000, 0, buf, 16, &op), 0);

    /* The three erase kinds count as one sequence. */
    rule = (flashmodel_fault_rule_t){.kind = FLASHMODEL_FAULT_ERASE_FAIL,
                                     .trigger = FLASHMODEL_TRIG_OP_INDEX,
                                     .op_index = 1,
                                     .ops = FLASHMODEL_OPS_ERASE};
    open_with(&rule);
    assert_int_equal(fm_test_erase(&fm, 0, FLASHMODEL_OP_ERASE_SECTOR, 0, &op), 0);
    assert_int_equal(fm_test_read(&fm, 100000, 0, buf, 16, &op), 0);
    assert_int_equal(fm_test_erase(&fm, 200000, FLASHMODEL_OP_ERASE_BLOCK, 0, &op),
                     FLASHMODEL_E_ERASE);
    assert_int_equal(fm_test_erase(&fm, 3000000, FLASHMODEL_OP_ERASE_SECTOR, 0, &op), 0);
}

static void test_exact_op_index_fires_on_that_op_or_never(void **state)
{
    (void)state;
    /* Op 1 is a program: an exact read fault for op 1 never fires. */
    flashmodel_fault_rule_t rule = {.kind = FLASHMODEL_FAULT_READ_ERROR,
                                    .trigger = FLASHMODEL_TRIG_OP_INDEX,
                                    .op_index = 1,
                                    .exact = true};
    open_with(&rule);
    assert_int_equal(fm_test_read(&fm, 0, 0, buf, 16, &op), 0);
    assert_int_equal(fm_test_program(&fm, 100, 0, zeros, 1, &op), 0);
    assert_int_equal(faulted_reads(5, 1000), 0);
    /* Op 1 is a read: it fails, and only it. */
    open_with(&rule);
    assert_int_equal(fm_test_read(&fm, 0, 0, buf, 16, &op), 0);
    assert_int_equal(fm_test_read(&fm, 100, 0, buf, 16, &op), FLASHMODEL_E_READ);
    assert_int_equal(faulted_reads(5, 1000), 0);
}

static void test_op_filter_bits_beyond_the_op_kinds_are_rejected(void **state)
{
    (void)state;
    flashmodel_fault_rule_t r = always(FLASHMODEL_FAULT_READ_ERROR);
    r.ops = FLASHMODEL_OP_BIT(FLASHMODEL_OP_READ) | FLASHMODEL_OPS_ERASE;
    assert_int_equal(flashmodel_fault_rule_check(&r), 0);
    r.ops = FLASHMODEL_OP_BIT(FLASHMODEL_OP_KIND_COUNT);
    assert_int_equal(flashmodel_fault_rule_check(&r), FLASHMODEL_E_INVAL);
}

static void test_flips_of_a_ranged_rule_stay_inside_its_range(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = {.kind = FLASHMODEL_FAULT_BITFLIP_STUCK,
                                    .trigger = FLASHMODEL_TRIG_ADDR,
                                    .addr = 512 + 10,
                                    .len = 1,
                                    .bits = FLASHMODEL_MAX_FLIPS,
                                    .limit = 1};
    open_with(&rule);
    assert_int_equal(read_back_pattern(512, 64), 0);
    assert_int_equal(op.fault_count, FLASHMODEL_MAX_FLIPS);
    assert_int_equal(op.fault_addr, 512 + 10);
    /* All eight flips in the one byte of the range: it reads inverted, nothing else changed. */
    assert_int_equal(buf[10], (uint8_t)~pattern[10]);
    assert_int_equal(fm_test_popcount_diff(buf, pattern, 64), 8);
    assert_int_equal(flashmodel_image(&fm)[512 + 10], (uint8_t)~pattern[10]);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

CHUNKSIM_TEST_MAIN({
    T(test_every_fault_kind_fires_only_when_triggered),
    T(test_faults_only_hit_the_op_kinds_they_apply_to),
    T(test_read_error_delivers_no_data),
    T(test_read_timeout_loses_the_completion_but_frees_the_device),
    T(test_read_timeout_with_delay_arrives_late_with_good_data),
    T(test_transient_bitflips_change_only_the_returned_data),
    T(test_stuck_bitflips_change_the_stored_bits),
    T(test_program_and_erase_failures_change_nothing),
    T(test_silent_program_and_erase_report_success_and_do_nothing),
    T(test_bad_sector_fails_every_op_in_its_range),
    T(test_wear_out_fails_erases_after_n_cycles),
    T(test_wear_out_can_leave_bits_programmed_in_worn_sectors_only),
    T(test_torn_program_lands_a_prefix_and_part_of_one_byte),
    T(test_misdirected_write_lands_on_another_page),
    T(test_rate_trigger_fires_at_its_probability),
    T(test_op_index_trigger_fires_once_at_the_first_applicable_op),
    T(test_addr_trigger_fires_for_ops_touching_the_range),
    T(test_time_trigger_fires_on_ops_starting_at_or_after_it),
    T(test_limit_caps_how_often_a_rule_fires),
    T(test_range_filter_restricts_other_triggers),
    T(test_first_matching_rule_wins),
    T(test_bad_rules_are_rejected),
    T(test_plan_is_copied_at_init),
    T(test_faults_that_cannot_happen_do_not_fire),
    T(test_flips_can_cover_a_whole_byte),
    T(test_wear_out_cannot_leave_more_bits_than_the_sector_has),
    T(test_op_filter_counts_and_applies_to_its_kinds_only),
    T(test_exact_op_index_fires_on_that_op_or_never),
    T(test_op_filter_bits_beyond_the_op_kinds_are_rejected),
    T(test_flips_of_a_ranged_rule_stay_inside_its_range),
})
