/*
 * Power loss: at an op index or an instant; an interrupted program or erase
 * leaves its bytes undefined and drawn from the seed; every op after the cut
 * fails with FLASHMODEL_E_POWER until flashmodel_power_restore().
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
static uint8_t pattern[FM_TEST_SECTOR];
static uint8_t buf[FM_TEST_SECTOR];

static int setup(void **state)
{
    (void)state;
    fm_test_config(&cfg);
    for (uint32_t i = 0; i < sizeof(pattern); i++) {
        pattern[i] = (uint8_t)(i * 29 + 3);
    }
    return 0;
}

static const flashmodel_fault_rule_t cut_at_op1 = {
    .kind = FLASHMODEL_FAULT_POWER_LOSS, .trigger = FLASHMODEL_TRIG_OP_INDEX, .op_index = 1};

static flashmodel_fault_rule_t cut_at(uint64_t at_us)
{
    return (flashmodel_fault_rule_t){
        .kind = FLASHMODEL_FAULT_POWER_LOSS, .trigger = FLASHMODEL_TRIG_TIME, .at_us = at_us};
}

/* Op 0 a read, op 1 a page program at 0x400 that power cuts. */
static void cut_a_program(uint64_t seed, flashmodel_op_t *prog)
{
    flashmodel_op_t rd;
    cfg.seed = seed;
    fm_test_open_with_rule(&fm, &cfg, &cut_at_op1);
    assert_int_equal(fm_test_read(&fm, 0, 0, buf, 16, &rd), 0);
    assert_int_equal(rd.fault, FLASHMODEL_FAULT_NONE);
    assert_int_equal(flashmodel_program_begin(&fm, 1000, 0x400, pattern, 256, prog), 0);
}

static void test_power_loss_at_op_index_leaves_a_partly_programmed_page(void **state)
{
    (void)state;
    flashmodel_op_t prog, late;
    cut_a_program(42, &prog);
    assert_int_equal(prog.status, FLASHMODEL_E_POWER);
    assert_int_equal(prog.fault, FLASHMODEL_FAULT_POWER_LOSS);
    assert_int_equal(prog.fault_rule, 0);
    assert_gt(prog.cut_us, 1000);
    assert_lt(prog.cut_us, 1400); /* strictly inside the program */
    assert_int_equal(prog.end_us, prog.cut_us);
    assert_int_equal(prog.device_end_us, prog.cut_us);

    /* Issued before the cut but queued behind the program: never starts. */
    assert_int_equal(flashmodel_read_begin(&fm, prog.cut_us - 1, 0, 16, &late), 0);
    assert_int_equal(late.status, FLASHMODEL_E_POWER);
    assert_int_equal(late.start_us, prog.cut_us);
    assert_int_equal(late.end_us, prog.cut_us);
    assert_int_equal(flashmodel_op_finish(&fm, &late, buf), FLASHMODEL_E_POWER);

    assert_int_equal(flashmodel_op_finish(&fm, &prog, NULL), FLASHMODEL_E_POWER);
    const uint8_t *img = flashmodel_image(&fm) + 0x400;
    unsigned full = 0, untouched = 0;
    for (int i = 0; i < 256; i++) {
        assert_int_equal(pattern[i] & (uint8_t)~img[i], 0); /* only bits data clears went 0 */
        full += img[i] == pattern[i];
        untouched += img[i] == 0xFF;
    }
    assert_lt(full, 256);
    assert_lt(untouched, 256);
    assert_int_equal(flashmodel_counters(&fm)->power_losses, 1);
    assert_int_equal(flashmodel_counters(&fm)->faults[FLASHMODEL_FAULT_POWER_LOSS], 1);
    fm_test_close(&fm);
}

static void test_every_op_after_the_cut_fails_until_restore(void **state)
{
    (void)state;
    flashmodel_op_t prog, op;
    cut_a_program(42, &prog);
    uint64_t after = prog.cut_us;
    assert_true(flashmodel_powered(&fm, after - 1));
    assert_false(flashmodel_powered(&fm, after));
    assert_int_equal(flashmodel_op_finish(&fm, &prog, NULL), FLASHMODEL_E_POWER);
    assert_int_equal(flashmodel_read_begin(&fm, after, 0, 16, &op), FLASHMODEL_E_POWER);
    assert_int_equal(op.status, FLASHMODEL_E_POWER);
    assert_int_equal(flashmodel_program_begin(&fm, after + 10, 0, pattern, 1, &op),
                     FLASHMODEL_E_POWER);
    assert_int_equal(flashmodel_erase_begin(&fm, after + 20, FLASHMODEL_OP_ERASE_SECTOR, 0, &op),
                     FLASHMODEL_E_POWER);
    assert_int_equal(flashmodel_counters(&fm)->refused, 3);
    assert_int_equal(flashmodel_counters(&fm)->power_losses, 1); /* one cut, counted once */

    uint8_t page[256];
    memcpy(page, flashmodel_image(&fm) + 0x400, 256);
    flashmodel_power_restore(&fm, 50000);
    assert_true(flashmodel_powered(&fm, 50000));
    assert_int_equal(flashmodel_busy_until(&fm), 50000);
    /* The undefined bytes stay what they became; the one-shot rule is spent. */
    assert_int_equal(fm_test_read(&fm, 50000, 0x400, buf, 256, &op), 0);
    assert_int_equal(op.start_us, 50000);
    assert_memory_equal(buf, page, 256);
    assert_int_equal(fm_test_program(&fm, 60000, 0x800, pattern, 16, &op), 0);
    fm_test_close(&fm);
}

static void test_undefined_bytes_are_drawn_from_the_seed(void **state)
{
    (void)state;
    flashmodel_op_t prog;
    uint8_t a[256], b[256], c[256];
    uint64_t cut_a;
    cut_a_program(7, &prog);
    cut_a = prog.cut_us;
    flashmodel_op_finish(&fm, &prog, NULL);
    memcpy(a, flashmodel_image(&fm) + 0x400, 256);
    fm_test_close(&fm);
    cut_a_program(7, &prog);
    assert_int_equal(prog.cut_us, cut_a);
    flashmodel_op_finish(&fm, &prog, NULL);
    memcpy(b, flashmodel_image(&fm) + 0x400, 256);
    fm_test_close(&fm);
    cut_a_program(8, &prog);
    flashmodel_op_finish(&fm, &prog, NULL);
    memcpy(c, flashmodel_image(&fm) + 0x400, 256);
    fm_test_close(&fm);
    assert_memory_equal(a, b, 256);
    assert_true(memcmp(a, c, 256) != 0);
}

static void erase_cut_at_10000(uint64_t seed, uint8_t *sector_after)
{
    flashmodel_op_t rd, er, op;
    flashmodel_fault_rule_t rule = cut_at(10000);
    cfg.seed = seed;
    fm_test_open_with_rule(&fm, &cfg, &rule);
    assert_int_equal(flashmodel_load(&fm, 0, pattern, FM_TEST_SECTOR), 0);
    /* Done before the instant: untouched by it. */
    assert_int_equal(fm_test_read(&fm, 0, 0, buf, 256, &rd), 0);
    assert_int_equal(rd.fault, FLASHMODEL_FAULT_NONE);
    assert_int_equal(flashmodel_erase_begin(&fm, 100, FLASHMODEL_OP_ERASE_SECTOR, 0, &er), 0);
    assert_int_equal(er.status, FLASHMODEL_E_POWER);
    assert_int_equal(er.fault, FLASHMODEL_FAULT_POWER_LOSS);
    assert_int_equal(er.fault_rule, FLASHMODEL_NO_RULE); /* an instant, not a per-op rule */
    assert_int_equal(er.cut_us, 10000);
    assert_int_equal(er.end_us, 10000);
    assert_int_equal(flashmodel_op_finish(&fm, &er, NULL), FLASHMODEL_E_POWER);
    memcpy(sector_after, flashmodel_image(&fm), FM_TEST_SECTOR);
    assert_int_equal(flashmodel_read_begin(&fm, 10000, 0, 16, &op), FLASHMODEL_E_POWER);
    assert_int_equal(flashmodel_counters(&fm)->power_losses, 1);
    fm_test_close(&fm);
}

static void test_power_loss_at_an_instant_leaves_the_erase_in_flight_undefined(void **state)
{
    (void)state;
    static uint8_t a[FM_TEST_SECTOR], b[FM_TEST_SECTOR], c[FM_TEST_SECTOR];
    erase_cut_at_10000(1, a);
    erase_cut_at_10000(1, b);
    erase_cut_at_10000(2, c);
    unsigned erased = 0, kept = 0;
    for (uint32_t i = 0; i < FM_TEST_SECTOR; i++) {
        erased += a[i] == 0xFF;
        kept += a[i] == pattern[i];
    }
    /* Neither erased nor intact: random bytes, about 1/256 match either. */
    assert_lt(erased, 100);
    assert_lt(kept, 100);
    assert_memory_equal(a, b, FM_TEST_SECTOR);
    assert_true(memcmp(a, c, FM_TEST_SECTOR) != 0);
}

static void test_power_loss_at_an_instant_with_nothing_in_flight(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = cut_at(1000);
    flashmodel_op_t op;
    fm_test_open_with_rule(&fm, &cfg, &rule);
    assert_int_equal(fm_test_read(&fm, 500, 0, buf, 16, &op), 0);
    assert_true(flashmodel_powered(&fm, 999));
    assert_false(flashmodel_powered(&fm, 1000));
    assert_int_equal(flashmodel_counters(&fm)->power_losses, 0); /* not reached yet */
    assert_int_equal(flashmodel_read_begin(&fm, 2000, 0, 16, &op), FLASHMODEL_E_POWER);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_NONE); /* refused, not faulted */
    assert_int_equal(flashmodel_counters(&fm)->power_losses, 1);
    fm_test_close(&fm);
}

static void test_ops_queued_at_the_cut_never_start(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = cut_at(200);
    flashmodel_op_t p1, p2;
    fm_test_open_with_rule(&fm, &cfg, &rule);
    assert_int_equal(flashmodel_program_begin(&fm, 0, 0, pattern, 256, &p1), 0);
    assert_int_equal(flashmodel_program_begin(&fm, 0, 256, pattern, 256, &p2), 0);
    assert_int_equal(p1.end_us, 200);
    assert_int_equal(p2.start_us, 200);
    assert_int_equal(p2.end_us, 200);
    assert_int_equal(p2.status, FLASHMODEL_E_POWER);
    assert_int_equal(flashmodel_op_finish(&fm, &p1, NULL), FLASHMODEL_E_POWER);
    assert_int_equal(flashmodel_op_finish(&fm, &p2, NULL), FLASHMODEL_E_POWER);
    const uint8_t *img = flashmodel_image(&fm);
    for (int i = 0; i < 256; i++) {
        assert_int_equal(img[256 + i], 0xFF);
    }
    assert_true(memcmp(img, pattern, 256) != 0);
    assert_int_equal(flashmodel_counters(&fm)->power_losses, 1);
    fm_test_close(&fm);
}

static void test_restore_consumes_cuts_that_fell_while_off_and_keeps_later_ones(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rules[] = {cut_at(1000), cut_at(2000), cut_at(5000)};
    flashmodel_op_t op;
    cfg.faults = (flashmodel_fault_plan_t){rules, 3};
    fm_test_open(&fm, &cfg);
    /* Power is on until something notices the cut: restoring now does nothing. */
    flashmodel_power_restore(&fm, 500);
    assert_int_equal(flashmodel_read_begin(&fm, 1500, 0, 16, &op), FLASHMODEL_E_POWER);
    flashmodel_power_restore(&fm, 3000); /* 2000 fell while off */
    assert_int_equal(fm_test_read(&fm, 3000, 0, buf, 16, &op), 0);
    assert_int_equal(fm_test_read(&fm, 4000, 0, buf, 16, &op), 0);
    assert_int_equal(flashmodel_read_begin(&fm, 6000, 0, 16, &op), FLASHMODEL_E_POWER);
    assert_int_equal(flashmodel_counters(&fm)->power_losses, 2);
    flashmodel_power_restore(&fm, 7000);
    assert_int_equal(fm_test_read(&fm, 7000, 0, buf, 16, &op), 0);
    assert_int_equal(fm_test_read(&fm, 90000, 0, buf, 16, &op), 0);
    fm_test_close(&fm);
}

static void test_restore_after_an_unnoticed_cut_restores(void **state)
{
    (void)state;
    flashmodel_fault_rule_t rule = cut_at(1000);
    flashmodel_op_t op;
    fm_test_open_with_rule(&fm, &cfg, &rule);
    flashmodel_power_restore(&fm, 3000);
    assert_int_equal(flashmodel_counters(&fm)->power_losses, 1);
    assert_int_equal(fm_test_read(&fm, 3000, 0, buf, 16, &op), 0);
    fm_test_close(&fm);
}

static void test_power_loss_in_a_read_cuts_the_erase_it_suspended(void **state)
{
    (void)state;
    flashmodel_op_t er, rd;
    cfg.busy_policy = FLASHMODEL_BUSY_SUSPEND;
    fm_test_open_with_rule(&fm, &cfg, &cut_at_op1);
    assert_int_equal(flashmodel_load(&fm, 0, pattern, FM_TEST_SECTOR), 0);
    assert_int_equal(flashmodel_erase_begin(&fm, 0, FLASHMODEL_OP_ERASE_SECTOR, 0, &er), 0);
    assert_int_equal(flashmodel_read_begin(&fm, 10000, 0, 256, &rd), 0);
    assert_int_equal(rd.fault, FLASHMODEL_FAULT_POWER_LOSS);
    assert_gt(rd.cut_us, rd.start_us);
    assert_lt(rd.cut_us, rd.start_us + 42);
    assert_int_equal(er.status, FLASHMODEL_E_POWER);
    assert_int_equal(er.cut_us, rd.cut_us);
    assert_int_equal(er.end_us, rd.cut_us); /* moved earlier: the sim re-reads end_us */
    assert_int_equal(flashmodel_op_finish(&fm, &rd, buf), FLASHMODEL_E_POWER);
    assert_int_equal(flashmodel_op_finish(&fm, &er, NULL), FLASHMODEL_E_POWER);
    assert_true(memcmp(flashmodel_image(&fm), pattern, FM_TEST_SECTOR) != 0);
    assert_int_equal(flashmodel_counters(&fm)->power_losses, 1);
    fm_test_close(&fm);
}

/*
 * A reboot as the simulator makes one: a cut armed on the next op, power
 * back, and a second cut armed on the rebooted device. The erase cut first
 * leaves its sector undefined, and restore keeps those bytes; a refused op
 * does not take an armed cut.
 */
static void test_cut_next_reboot_and_cut_again(void **state)
{
    (void)state;
    flashmodel_op_t op, er, rd;
    fm_test_open(&fm, &cfg);
    assert_int_equal(flashmodel_load(&fm, 0, pattern, sizeof(pattern)), 0);
    flashmodel_power_cut_next(&fm);
    assert_int_equal(flashmodel_program_begin(&fm, 0, FM_TEST_SIZE, pattern, 1, &op),
                     FLASHMODEL_E_RANGE); /* refused: the cut waits */
    assert_int_equal(flashmodel_erase_begin(&fm, 10, FLASHMODEL_OP_ERASE_SECTOR, 0, &er), 0);
    assert_int_equal(er.status, FLASHMODEL_E_POWER);
    assert_int_equal(er.fault, FLASHMODEL_FAULT_POWER_LOSS);
    assert_int_equal(er.fault_rule, FLASHMODEL_NO_RULE);
    assert_gt(er.cut_us, er.start_us);
    assert_lt(er.cut_us, er.start_us + 45000);
    assert_int_equal(flashmodel_op_finish(&fm, &er, NULL), FLASHMODEL_E_POWER);
    uint8_t after_cut[FM_TEST_SECTOR];
    memcpy(after_cut, flashmodel_image(&fm), sizeof(after_cut));
    assert_memory_not_equal(after_cut, pattern, sizeof(after_cut));
    assert_int_equal(flashmodel_read_begin(&fm, er.cut_us, 0, 16, &rd), FLASHMODEL_E_POWER);

    flashmodel_power_restore(&fm, er.cut_us + 1000000);
    uint64_t boot = er.cut_us + 1000000;
    assert_int_equal(fm_test_read(&fm, boot, 0, buf, sizeof(buf), &rd), 0);
    assert_memory_equal(buf, after_cut, sizeof(buf)); /* the flash kept what the cut left */
    flashmodel_power_cut_next(&fm);
    assert_int_equal(flashmodel_read_begin(&fm, boot + 1000, 0, 256, &rd), 0);
    assert_int_equal(rd.status, FLASHMODEL_E_POWER);
    assert_int_equal(flashmodel_op_finish(&fm, &rd, buf), FLASHMODEL_E_POWER);
    assert_int_equal(flashmodel_counters(&fm)->power_losses, 2);
    flashmodel_power_restore(&fm, boot + 2000000);
    assert_int_equal(fm_test_read(&fm, boot + 2000000, 0, buf, 16, &rd), 0); /* spent */
    assert_int_equal(rd.fault, FLASHMODEL_FAULT_NONE);
    fm_test_close(&fm);
}

#define T(fn) cmocka_unit_test_setup(fn, setup)

CHUNKSIM_TEST_MAIN({
    T(test_power_loss_at_op_index_leaves_a_partly_programmed_page),
    T(test_every_op_after_the_cut_fails_until_restore),
    T(test_undefined_bytes_are_drawn_from_the_seed),
    T(test_power_loss_at_an_instant_leaves_the_erase_in_flight_undefined),
    T(test_power_loss_at_an_instant_with_nothing_in_flight),
    T(test_ops_queued_at_the_cut_never_start),
    T(test_restore_consumes_cuts_that_fell_while_off_and_keeps_later_ones),
    T(test_restore_after_an_unnoticed_cut_restores),
    T(test_power_loss_in_a_read_cuts_the_erase_it_suspended),
    T(test_cut_next_reboot_and_cut_again),
})
