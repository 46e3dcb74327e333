/*
 * Busy policies (queue, reject, suspend/resume) and the finish-order rule
 * that keeps effects in device order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>

#include <cmocka.h>

#include "chunksim_test_main.h"
#include "fm_test.h"

static flashmodel_t fm;
static flashmodel_config_t cfg;

/* The device serves op from start to end. A macro, so that a failure names the test's line. */
#define assert_window(op, start, end)                                                              \
    do {                                                                                           \
        assert_int_equal((op).start_us, (start));                                                  \
        assert_int_equal((op).end_us, (end));                                                      \
    } while (0)

/* The suspend tests start with the model open under the SUSPEND policy. */
static int suspend_setup(void **state)
{
    fm_test_setup(state);
    cfg.busy_policy = FLASHMODEL_BUSY_SUSPEND;
    fm_test_open(&fm, &cfg);
    return 0;
}

static int suspend_teardown(void **state)
{
    (void)state;
    fm_test_close(&fm);
    return 0;
}

/* Finishes the NULL-terminated ops in the order given, the device's, each with success; reads
 * copy into buf. */
static void finish_in_order(uint8_t *buf, flashmodel_op_t *const *ops)
{
    for (size_t i = 0; ops[i] != NULL; i++) {
        uint8_t *dst = ops[i]->kind == FLASHMODEL_OP_READ ? buf : NULL;
        int rc = flashmodel_op_finish(&fm, ops[i], dst);
        if (rc != 0) {
            fail_msg("op %zu in the list (begin #%" PRIu64 "): finish returned %d", i,
                     ops[i]->index, rc);
        }
    }
}

static void test_queue_starts_an_op_when_the_device_is_free(void **state)
{
    (void)state;
    fm_test_open(&fm, &cfg);
    flashmodel_op_t prog, rd;
    uint8_t data[16], buf[16];
    memset(data, 0x5A, sizeof(data));
    assert_int_equal(flashmodel_program_begin(&fm, 0, 0, data, 16, &prog), 0);
    assert_int_equal(flashmodel_read_begin(&fm, 100, 0, 16, &rd), 0);
    assert_int_equal(rd.issue_us, 100);
    /* It starts after the program; its 160 clocks at 50 MHz take 4 us. */
    assert_window(rd, 400, 404);
    assert_int_equal(flashmodel_busy_until(&fm), 404);
    assert_int_equal(flashmodel_inflight(&fm), 2);
    assert_int_equal(flashmodel_counters(&fm)->queued, 1);

    /* The read may not complete before the program the device did first. */
    assert_int_equal(flashmodel_op_finish(&fm, &rd, buf), FLASHMODEL_E_ORDER);
    assert_int_equal(flashmodel_inflight(&fm), 2);
    finish_in_order(buf, (flashmodel_op_t *[]){&prog, &rd, NULL});
    assert_memory_equal(buf, data, 16);
    assert_int_equal(flashmodel_counters(&fm)->busy_us, 404);
    fm_test_close(&fm);
}

static void test_queue_keeps_programs_in_issue_order(void **state)
{
    (void)state;
    fm_test_open(&fm, &cfg);
    flashmodel_op_t p1, p2;
    uint8_t a = 0x0F, b = 0xF0;
    assert_int_equal(flashmodel_program_begin(&fm, 0, 0, &a, 1, &p1), 0);
    assert_int_equal(flashmodel_program_begin(&fm, 0, 0, &b, 1, &p2), 0);
    assert_window(p2, 400, 800);
    assert_int_equal(flashmodel_op_finish(&fm, &p2, NULL), FLASHMODEL_E_ORDER);
    finish_in_order(NULL, (flashmodel_op_t *[]){&p1, &p2, NULL});
    assert_int_equal(flashmodel_image(&fm)[0], 0x00);
    fm_test_close(&fm);
}

static void test_reject_refuses_ops_while_busy_with_a_distinct_error(void **state)
{
    (void)state;
    cfg.busy_policy = FLASHMODEL_BUSY_REJECT;
    fm_test_open(&fm, &cfg);
    flashmodel_op_t prog, rd, er;
    uint8_t data[16] = {0}, buf[16];
    assert_int_equal(flashmodel_program_begin(&fm, 0, 0, data, 16, &prog), 0);
    assert_int_equal(flashmodel_read_begin(&fm, 100, 0, 16, &rd), FLASHMODEL_E_BUSY);
    assert_int_equal(rd.status, FLASHMODEL_E_BUSY);
    assert_int_equal(rd.end_us, 100);
    assert_int_equal(flashmodel_op_finish(&fm, &rd, buf), FLASHMODEL_E_STATE);
    assert_int_equal(flashmodel_erase_begin(&fm, 399, FLASHMODEL_OP_ERASE_SECTOR, 0, &er),
                     FLASHMODEL_E_BUSY);
    assert_int_equal(flashmodel_counters(&fm)->rejected, 2);
    assert_int_equal(flashmodel_counters(&fm)->refused, 2);
    assert_int_equal(flashmodel_busy_until(&fm), 400);
    assert_int_equal(flashmodel_op_finish(&fm, &prog, NULL), 0);
    /* Free again at the program's end. */
    assert_int_equal(fm_test_read(&fm, 400, 0, buf, 16, &rd), 0);
    assert_int_equal(rd.start_us, 400);
    fm_test_close(&fm);
}

static void test_suspend_serves_a_read_inside_an_erase_and_pushes_it_out(void **state)
{
    (void)state;
    uint8_t pattern[256], buf[256];
    memset(pattern, 0xAB, sizeof(pattern));
    assert_int_equal(flashmodel_load(&fm, 0, pattern, 256), 0);
    flashmodel_op_t er, r1, r2, r3;
    assert_int_equal(flashmodel_erase_begin(&fm, 0, FLASHMODEL_OP_ERASE_SECTOR, 0, &er), 0);
    assert_int_equal(er.end_us, 45000);

    /* Fresh suspension: tsus before the read, trs after it. */
    assert_int_equal(flashmodel_read_begin(&fm, 10000, 0, 256, &r1), 0);
    assert_window(r1, 10020, 10062);
    assert_int_equal(r1.pushed_index, er.index);
    assert_int_equal(r1.pushed_us, 20 + 42 + 20);
    assert_int_equal(er.end_us, 45082);
    assert_int_equal(er.device_end_us, 45082);
    assert_int_equal(er.start_us, 0);

    /* A read arriving during the first one waits for it; no second tsus. */
    assert_int_equal(flashmodel_read_begin(&fm, 10030, 0, 256, &r2), 0);
    assert_window(r2, 10062, 10104);
    assert_int_equal(r2.pushed_us, 42);
    assert_int_equal(er.end_us, 45124);

    /* After the resume point the erase ran again: a new suspension. */
    assert_int_equal(flashmodel_read_begin(&fm, 10200, 0, 256, &r3), 0);
    assert_int_equal(r3.start_us, 10220);
    assert_int_equal(r3.pushed_us, 82);
    assert_int_equal(er.end_us, 45206);
    assert_int_equal(flashmodel_busy_until(&fm), 45206);
    assert_int_equal(flashmodel_counters(&fm)->suspends, 2);
    /* The device was busy without a gap: op times plus suspend overheads. */
    assert_int_equal(flashmodel_counters(&fm)->busy_us, 45206);

    /* Reads complete first and see the array before the erase. */
    assert_int_equal(flashmodel_op_finish(&fm, &r1, buf), 0);
    assert_memory_equal(buf, pattern, 256);
    assert_int_equal(flashmodel_op_finish(&fm, &r2, buf), 0);
    assert_int_equal(flashmodel_op_finish(&fm, &r3, buf), 0);
    /* The erase's old completion time has passed but it is not due yet. */
    assert_false(flashmodel_op_due(&er, 45000));
    assert_true(flashmodel_op_due(&er, 45206));
    assert_int_equal(flashmodel_op_finish(&fm, &er, NULL), 0);
    assert_int_equal(flashmodel_image(&fm)[0], 0xFF);
}

/* An erase of kind at 0 from time 0 and, behind it, a 1-byte program at addr issued at prog_us:
 * the queue that a read then meets. */
static void begin_erase_and_program(flashmodel_op_kind_t kind, uint64_t prog_us, uint32_t addr,
                                    flashmodel_op_t *er, flashmodel_op_t *prog)
{
    static const uint8_t zero = 0; /* the model reads it at finish */
    assert_int_equal(flashmodel_erase_begin(&fm, 0, kind, 0, er), 0);
    assert_int_equal(flashmodel_program_begin(&fm, prog_us, addr, &zero, 1, prog), 0);
}

static void test_suspend_pushes_programs_queued_behind_the_suspended_op(void **state)
{
    (void)state;
    flashmodel_op_t er, prog, rd;
    uint8_t buf[256];
    /* Programs and erases queue under SUSPEND. */
    begin_erase_and_program(FLASHMODEL_OP_ERASE_SECTOR, 100, 8192, &er, &prog);
    assert_int_equal(prog.start_us, 45000);
    assert_int_equal(flashmodel_read_begin(&fm, 200, 0, 256, &rd), 0);
    assert_int_equal(er.end_us, 45082);
    assert_window(prog, 45082, 45482);
    assert_int_equal(flashmodel_busy_until(&fm), 45482);
    finish_in_order(buf, (flashmodel_op_t *[]){&rd, &er, &prog, NULL});
}

static void test_suspend_read_goes_before_a_queued_program(void **state)
{
    (void)state;
    flashmodel_op_t r1, prog, r2;
    uint8_t data = 0, buf[256];
    assert_int_equal(flashmodel_read_begin(&fm, 0, 0, 256, &r1), 0);
    assert_int_equal(flashmodel_program_begin(&fm, 10, 0, &data, 1, &prog), 0);
    assert_int_equal(prog.start_us, 42);
    assert_int_equal(flashmodel_read_begin(&fm, 20, 0, 256, &r2), 0);
    assert_window(r2, 42, 84);
    assert_int_equal(r2.pushed_index, prog.index);
    assert_int_equal(r2.pushed_us, 42);
    assert_window(prog, 84, 484);
    assert_int_equal(flashmodel_counters(&fm)->suspends, 0); /* nothing had started */
    finish_in_order(buf, (flashmodel_op_t *[]){&r1, &r2, NULL});
    assert_int_equal(buf[0], 0xFF); /* the program had not run */
    finish_in_order(buf, (flashmodel_op_t *[]){&prog, NULL});
}

static void test_suspend_cannot_suspend_a_chip_erase(void **state)
{
    (void)state;
    flashmodel_op_t chip, prog, rd;
    uint8_t buf[256];
    begin_erase_and_program(FLASHMODEL_OP_ERASE_CHIP, 500, 0, &chip, &prog);
    assert_int_equal(flashmodel_read_begin(&fm, 1000, 0, 256, &rd), 0);
    /* The read waits for the chip erase, then goes before the program. */
    assert_window(rd, 40000000, 40000042);
    assert_int_equal(chip.end_us, 40000000);
    assert_int_equal(prog.start_us, 40000042);
    assert_int_equal(flashmodel_counters(&fm)->suspends, 0);
    assert_int_equal(flashmodel_op_finish(&fm, &rd, buf), FLASHMODEL_E_ORDER);
    finish_in_order(buf, (flashmodel_op_t *[]){&chip, &rd, &prog, NULL});
}

static void test_finish_refuses_ops_not_in_flight_and_missing_buffers(void **state)
{
    (void)state;
    fm_test_open(&fm, &cfg);
    flashmodel_op_t op;
    uint8_t buf[4];
    memset(&op, 0, sizeof(op));
    assert_int_equal(flashmodel_op_finish(&fm, &op, buf), FLASHMODEL_E_STATE); /* never begun */
    assert_int_equal(flashmodel_read_begin(&fm, 0, 0, 4, &op), 0);
    assert_int_equal(flashmodel_op_finish(&fm, &op, NULL), FLASHMODEL_E_INVAL);
    assert_int_equal(flashmodel_inflight(&fm), 1);
    assert_int_equal(flashmodel_op_finish(&fm, &op, buf), 0);
    assert_int_equal(flashmodel_op_finish(&fm, &op, buf), FLASHMODEL_E_STATE); /* twice */
    assert_int_equal(flashmodel_op_finish(NULL, &op, buf), FLASHMODEL_E_INVAL);
    fm_test_close(&fm);
}

static void test_op_keeps_the_callers_data_slot(void **state)
{
    (void)state;
    fm_test_open(&fm, &cfg);
    flashmodel_op_t op;
    int tag;
    uint8_t buf[4];
    op.data = &tag;
    assert_int_equal(fm_test_read(&fm, 0, 0, buf, 4, &op), 0);
    assert_ptr_equal(op.data, &tag);
    fm_test_close(&fm);
}

#define T(fn) FM_TEST_CASE(fn, &cfg)
#define T_SUSPEND(fn)                                                                              \
    cmocka_unit_test_prestate_setup_teardown(fn, suspend_setup, suspend_teardown, &cfg)

CHUNKSIM_TEST_MAIN({
    T(test_queue_starts_an_op_when_the_device_is_free),
    T(test_queue_keeps_programs_in_issue_order),
    T(test_reject_refuses_ops_while_busy_with_a_distinct_error),
    T_SUSPEND(test_suspend_serves_a_read_inside_an_erase_and_pushes_it_out),
    T_SUSPEND(test_suspend_pushes_programs_queued_behind_the_suspended_op),
    T_SUSPEND(test_suspend_read_goes_before_a_queued_program),
    T_SUSPEND(test_suspend_cannot_suspend_a_chip_erase),
    T(test_finish_refuses_ops_not_in_flight_and_missing_buffers),
    T(test_op_keeps_the_callers_data_slot),
})
