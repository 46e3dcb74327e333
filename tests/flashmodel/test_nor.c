/*
 * NOR semantics: programming only moves bits away from the erased value, page
 * wrap or refusal, double programs counted and refused, erase units, erase
 * counters, direct load/peek, and argument checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chunksim_test_main.h"
#include "fm_test.h"

static flashmodel_t fm;
static flashmodel_config_t cfg;
static flashmodel_op_t op;

static uint8_t peek1(uint32_t addr)
{
    uint8_t b;
    assert_int_equal(flashmodel_peek(&fm, addr, &b, 1), 0);
    return b;
}

static void test_program_only_clears_bits(void **state)
{
    (void)state;
    fm_test_open(&fm, &cfg);
    uint8_t old = 0xF0, data = 0x3C;
    assert_int_equal(flashmodel_load(&fm, 10, &old, 1), 0);
    assert_int_equal(fm_test_program(&fm, 0, 10, &data, 1, &op), 0);
    assert_int_equal(peek1(10), 0x30); /* old & data: 1-bits of data cannot set anything */
    /* Into erased flash, the data lands as is. */
    uint8_t pattern[4] = {0x12, 0x34, 0x56, 0x78};
    assert_int_equal(fm_test_program(&fm, 1000, 20, pattern, 4, &op), 0);
    uint8_t back[4];
    assert_int_equal(fm_test_read(&fm, 2000, 20, back, 4, &op), 0);
    assert_memory_equal(back, pattern, 4);
    fm_test_close(&fm);
}

static void test_erased_value_other_than_ff_programs_by_setting_bits(void **state)
{
    (void)state;
    cfg.part.erased_value = 0x00;
    fm_test_open(&fm, &cfg);
    assert_int_equal(peek1(0), 0x00);
    uint8_t old = 0x0F, data = 0x3C;
    assert_int_equal(flashmodel_load(&fm, 0, &old, 1), 0);
    assert_int_equal(fm_test_program(&fm, 0, 0, &data, 1, &op), 0);
    assert_int_equal(peek1(0), 0x3F);
    assert_int_equal(fm_test_erase(&fm, 1000, FLASHMODEL_OP_ERASE_SECTOR, 0, &op), 0);
    assert_int_equal(peek1(0), 0x00);
    fm_test_close(&fm);
}

static void test_program_across_page_boundary_wraps_within_the_page(void **state)
{
    (void)state;
    fm_test_open(&fm, &cfg);
    uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint32_t page = 3 * FM_TEST_PAGE;
    assert_int_equal(fm_test_program(&fm, 0, page + 252, data, 8, &op), 0);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(peek1(page + 252 + i), data[i]);
        assert_int_equal(peek1(page + i), data[4 + i]); /* wrapped, not into the next page */
    }
    assert_int_equal(peek1(page + FM_TEST_PAGE), 0xFF);
    fm_test_close(&fm);
}

static void test_program_longer_than_a_page_keeps_the_last_page_of_data(void **state)
{
    (void)state;
    fm_test_open(&fm, &cfg);
    uint8_t data[FM_TEST_PAGE + 4];
    for (uint32_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i & 0x7F); /* < 0x80 everywhere: ANDs are visible */
    }
    assert_int_equal(fm_test_program(&fm, 0, 0, data, sizeof(data), &op), 0);
    /* The page buffer wrapped: data[256..259] overwrote slots 0..3. */
    for (uint32_t i = 4; i < FM_TEST_PAGE; i++) {
        assert_int_equal(peek1(i), data[i]);
    }
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(peek1(i), data[FM_TEST_PAGE + i]);
    }
    assert_int_equal(flashmodel_counters(&fm)->double_programs, 0);
    fm_test_close(&fm);
}

static void test_page_policy_refuse_rejects_a_crossing_program(void **state)
{
    (void)state;
    cfg.page_policy = FLASHMODEL_PAGE_REFUSE;
    fm_test_open(&fm, &cfg);
    uint8_t data[8] = {0};
    assert_int_equal(flashmodel_program_begin(&fm, 0, 252, data, 8, &op), FLASHMODEL_E_PAGE);
    assert_int_equal(op.status, FLASHMODEL_E_PAGE);
    assert_int_equal(op.end_us, op.issue_us);
    assert_int_equal(flashmodel_op_finish(&fm, &op, NULL), FLASHMODEL_E_STATE);
    assert_int_equal(peek1(252), 0xFF);
    assert_int_equal(peek1(0), 0xFF);
    assert_int_equal(flashmodel_counters(&fm)->refused, 1);
    assert_int_equal(flashmodel_counters(&fm)->programs, 0);
    /* Up to the page end is fine. */
    assert_int_equal(fm_test_program(&fm, 0, 248, data, 8, &op), 0);
    fm_test_close(&fm);
}

static void test_double_program_is_counted(void **state)
{
    (void)state;
    fm_test_open(&fm, &cfg);
    uint8_t a[4] = {0xF0, 0xF0, 0xFF, 0xF0}, b[4] = {0x0F, 0xFF, 0x0F, 0x00};
    assert_int_equal(fm_test_program(&fm, 0, 0, a, 4, &op), 0);
    assert_int_equal(flashmodel_counters(&fm)->double_programs, 0);
    /* Byte 0 and 3: programmed and programmed again. Byte 1: data is 0xFF,
     * nothing asked. Byte 2: still erased. */
    assert_int_equal(fm_test_program(&fm, 1000, 0, b, 4, &op), 0);
    assert_int_equal(flashmodel_counters(&fm)->double_programs, 1);
    assert_int_equal(flashmodel_counters(&fm)->double_program_bytes, 2);
    assert_int_equal(peek1(0), 0x00);
    assert_int_equal(peek1(3), 0x00);
    fm_test_close(&fm);
}

static void test_double_program_can_be_refused(void **state)
{
    (void)state;
    cfg.refuse_double_program = true;
    fm_test_open(&fm, &cfg);
    uint8_t a = 0xF0, b[2] = {0x0F, 0x0F};
    assert_int_equal(fm_test_program(&fm, 0, 1, &a, 1, &op), 0);
    assert_int_equal(flashmodel_program_begin(&fm, 1000, 0, b, 2, &op), 0);
    assert_int_equal(op.status, 0); /* not known until the bytes are looked at */
    assert_int_equal(flashmodel_op_finish(&fm, &op, NULL), FLASHMODEL_E_DOUBLE_PROGRAM);
    assert_int_equal(op.status, FLASHMODEL_E_DOUBLE_PROGRAM);
    assert_int_equal(peek1(0), 0xFF); /* the whole program was refused */
    assert_int_equal(peek1(1), 0xF0);
    assert_int_equal(flashmodel_counters(&fm)->double_programs, 1);
    fm_test_close(&fm);
}

static void fill(uint32_t addr, uint32_t len)
{
    static uint8_t zeros[64 * 1024];
    assert_int_equal(flashmodel_load(&fm, addr, zeros, len), 0);
}

static void assert_erased(uint32_t addr, uint32_t len, bool erased)
{
    for (uint32_t i = 0; i < len; i += 97) {
        assert_int_equal(peek1(addr + i), erased ? 0xFF : 0x00);
    }
    assert_int_equal(peek1(addr + len - 1), erased ? 0xFF : 0x00);
}

static void test_erase_units_clear_exactly_their_range(void **state)
{
    (void)state;
    fm_test_open(&fm, &cfg);
    fill(0, 65536);
    fill(65536, 65536);
    /* Any address inside the sector erases the whole sector. */
    assert_int_equal(fm_test_erase(&fm, 0, FLASHMODEL_OP_ERASE_SECTOR, 0x1234, &op), 0);
    assert_int_equal(op.addr, 0x1000);
    assert_int_equal(op.len, 4096);
    assert_erased(0x0000, 0x1000, false);
    assert_erased(0x1000, 0x1000, true);
    assert_erased(0x2000, 0x1000, false);

    assert_int_equal(fm_test_erase(&fm, 100000, FLASHMODEL_OP_ERASE_BLOCK, 65536 + 5, &op), 0);
    assert_int_equal(op.addr, 65536);
    assert_int_equal(op.len, 65536);
    assert_erased(65536, 65536, true);
    assert_erased(0x2000, 0x1000, false);

    assert_int_equal(fm_test_erase(&fm, 300000, FLASHMODEL_OP_ERASE_CHIP, 777, &op), 0);
    assert_int_equal(op.addr, 0);
    assert_int_equal(op.len, FM_TEST_SIZE);
    assert_erased(0, FM_TEST_SIZE, true);
    fm_test_close(&fm);
}

static void test_erase_counts_every_sector_of_the_unit(void **state)
{
    (void)state;
    fm_test_open(&fm, &cfg);
    assert_int_equal(fm_test_erase(&fm, 0, FLASHMODEL_OP_ERASE_SECTOR, 4096, &op), 0);
    assert_int_equal(flashmodel_erase_count(&fm, 4096), 1);
    assert_int_equal(flashmodel_erase_count(&fm, 0), 0);
    assert_int_equal(fm_test_erase(&fm, 100000, FLASHMODEL_OP_ERASE_BLOCK, 0, &op), 0);
    assert_int_equal(flashmodel_erase_count(&fm, 4096), 2);
    assert_int_equal(flashmodel_erase_count(&fm, 65535), 1);
    assert_int_equal(flashmodel_erase_count(&fm, 65536), 0);
    assert_int_equal(fm_test_erase(&fm, 300000, FLASHMODEL_OP_ERASE_CHIP, 0, &op), 0);
    assert_int_equal(flashmodel_erase_count(&fm, 4096), 3);
    assert_int_equal(flashmodel_erase_count(&fm, FM_TEST_SIZE - 1), 1);
    assert_int_equal(flashmodel_erase_count(&fm, FM_TEST_SIZE), 0);
    assert_int_equal(flashmodel_counters(&fm)->erases, 3);
    assert_int_equal(flashmodel_counters(&fm)->erase_bytes, 4096 + 65536 + FM_TEST_SIZE);
    /* Pre-ageing sets every sector the range touches. */
    assert_int_equal(flashmodel_wear_set(&fm, 4095, 2, 77), 0);
    assert_int_equal(flashmodel_erase_count(&fm, 0), 77);
    assert_int_equal(flashmodel_erase_count(&fm, 4096), 77);
    assert_int_equal(flashmodel_erase_count(&fm, 8192), 2);
    assert_int_equal(flashmodel_wear_set(&fm, FM_TEST_SIZE - 1, 2, 1), FLASHMODEL_E_RANGE);
    /* The counter saturates rather than wrapping back to "fresh". */
    assert_int_equal(flashmodel_wear_set(&fm, 0, 1, UINT32_MAX), 0);
    assert_int_equal(fm_test_erase(&fm, 50000000, FLASHMODEL_OP_ERASE_SECTOR, 0, &op), 0);
    assert_int_equal(flashmodel_erase_count(&fm, 0), UINT32_MAX);
    fm_test_close(&fm);
}

static void test_load_and_peek_bypass_timing_and_rules(void **state)
{
    (void)state;
    fm_test_open(&fm, &cfg);
    uint8_t img[300], back[300];
    for (int i = 0; i < 300; i++) {
        img[i] = (uint8_t)(i * 7);
    }
    assert_int_equal(flashmodel_load(&fm, 1000, img, 300), 0);
    assert_int_equal(flashmodel_load(&fm, 1000, img, 300), 0); /* no NOR rule: overwrite */
    assert_int_equal(flashmodel_peek(&fm, 1000, back, 300), 0);
    assert_memory_equal(back, img, 300);
    assert_memory_equal(flashmodel_image(&fm) + 1000, img, 300);
    assert_int_equal(flashmodel_counters(&fm)->ops, 0);
    assert_int_equal(flashmodel_busy_until(&fm), 0);
    assert_int_equal(flashmodel_load(&fm, FM_TEST_SIZE - 1, img, 2), FLASHMODEL_E_RANGE);
    assert_int_equal(flashmodel_peek(&fm, FM_TEST_SIZE, back, 1), FLASHMODEL_E_RANGE);
    assert_int_equal(flashmodel_peek(&fm, FM_TEST_SIZE, back, 0), 0);
    assert_int_equal(flashmodel_load(&fm, 0, NULL, 1), FLASHMODEL_E_INVAL);
    fm_test_close(&fm);
}

static void test_bad_arguments_are_refused_at_begin(void **state)
{
    (void)state;
    fm_test_open(&fm, &cfg);
    uint8_t data[4] = {0}, buf[8];
    assert_int_equal(flashmodel_read_begin(&fm, 0, FM_TEST_SIZE - 4, 8, &op), FLASHMODEL_E_RANGE);
    assert_int_equal(flashmodel_program_begin(&fm, 0, FM_TEST_SIZE, data, 4, &op),
                     FLASHMODEL_E_RANGE);
    assert_int_equal(flashmodel_program_begin(&fm, 0, 0, data, 0, &op), FLASHMODEL_E_INVAL);
    assert_int_equal(flashmodel_program_begin(&fm, 0, 0, NULL, 4, &op), FLASHMODEL_E_INVAL);
    assert_int_equal(flashmodel_erase_begin(&fm, 0, FLASHMODEL_OP_ERASE_SECTOR, FM_TEST_SIZE, &op),
                     FLASHMODEL_E_RANGE);
    assert_int_equal(flashmodel_erase_begin(&fm, 0, FLASHMODEL_OP_PROGRAM, 0, &op),
                     FLASHMODEL_E_INVAL);
    assert_int_equal(flashmodel_read_begin(NULL, 0, 0, 1, &op), FLASHMODEL_E_INVAL);
    assert_int_equal(flashmodel_read_begin(&fm, 0, 0, 1, NULL), FLASHMODEL_E_INVAL);
    /* Refused calls still take an op index: triggers count calls. */
    assert_int_equal(flashmodel_counters(&fm)->ops, 6);
    assert_int_equal(flashmodel_counters(&fm)->refused, 6);
    assert_int_equal(op.index, 5);
    assert_int_equal(flashmodel_busy_until(&fm), 0);
    /* A zero-length read is command and address only. */
    assert_int_equal(fm_test_read(&fm, 0, FM_TEST_SIZE, buf, 0, &op), 0);
    assert_int_equal(op.latency_us, 1);
    fm_test_close(&fm);
}

/* Pages of the cell array in memory: only those that differ from the erased value. */
static uint32_t pages_held(const flashmodel_t *f, uint32_t size_bytes)
{
    uint32_t n = 0;
    for (uint32_t p = 0; p < size_bytes >> FM_ARRAY_PAGE_SHIFT; p++)
        n += f->cells.pages[p] != NULL;
    return n;
}

static void test_the_array_holds_only_what_differs_from_erased(void **state)
{
    (void)state;
    const uint32_t big = 256u * 1024u * 1024u; /* what a 256 MiB part would cost, if dense */
    flashmodel_config_default(&cfg, big);
    fm_test_open(&fm, &cfg);
    assert_int_equal(pages_held(&fm, big), 0);
    assert_int_equal(peek1(big - 1), 0xFF); /* never written: the erased value */
    uint8_t data[6000];
    memset(data, 0x5A, sizeof data);
    assert_int_equal(flashmodel_load(&fm, big - 8192 - 100, data, sizeof data), 0);
    assert_int_equal(pages_held(&fm, big), 3);
    uint8_t back[6200];
    assert_int_equal(flashmodel_peek(&fm, big - 8192 - 200, back, sizeof back), 0);
    for (size_t i = 0; i < sizeof back; i++)
        assert_int_equal(back[i], i >= 100 && i < 6100 ? 0x5A : 0xFF);
    /* A program of erased bytes allocates nothing. */
    uint8_t ff[16];
    memset(ff, 0xFF, sizeof ff);
    assert_int_equal(fm_test_program(&fm, 0, 4096, ff, sizeof ff, &op), 0);
    assert_int_equal(pages_held(&fm, big), 3);
    /* Erasing a sector gives its page back; the page only partly erased stays. */
    assert_int_equal(fm_test_erase(&fm, 0, FLASHMODEL_OP_ERASE_SECTOR, big - 8192, &op), 0);
    assert_int_equal(pages_held(&fm, big), 2);
    assert_int_equal(peek1(big - 8192 - 100), 0x5A);
    assert_int_equal(peek1(big - 8192), 0xFF);
    /* The whole image, for tests, is a copy that reads the same. */
    const uint8_t *img = flashmodel_image(&fm);
    assert_non_null(img);
    assert_int_equal(img[big - 8192 - 100], 0x5A);
    assert_int_equal(img[big - 1], 0xFF);
    fm_test_close(&fm);
}

/* A shared load copies only its partial pages; each shared page is copied on its first change. */
static void test_a_shared_load_is_read_in_place_until_changed(void **state)
{
    (void)state;
    static uint8_t data[3 * 4096];
    fm_test_open(&fm, &cfg);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 1) & 0x7F;
    const uint32_t at = 4096 - 100; /* partial, two whole pages, partial */
    assert_int_equal(flashmodel_load_shared(&fm, at, data, sizeof data), 0);
    assert_int_equal(flashmodel_load_shared(&fm, 0, data, 1), FLASHMODEL_E_INVAL);
    assert_ptr_equal(fm.cells.pages[1], data + 100);
    assert_ptr_equal(fm.cells.pages[2], data + 100 + 4096);
    assert_true(fm.cells.pages[0] != NULL && fm.cells.pages[0] != data);
    uint8_t back[sizeof data];
    assert_int_equal(flashmodel_peek(&fm, at, back, sizeof back), 0);
    assert_memory_equal(back, data, sizeof data);
    /* A program into a shared page changes the model's copy, never the caller's bytes. */
    uint8_t zero = 0;
    assert_int_equal(fm_test_program(&fm, 0, 4096 + 5, &zero, 1, &op), 0);
    assert_int_equal(peek1(4096 + 5), 0);
    assert_int_equal(data[105], (uint8_t)(105 * 7 + 1) & 0x7F);
    assert_true(fm.cells.pages[1] != data + 100);
    /* Erasing a shared page forgets it (close must not free it), the data stays. */
    assert_int_equal(fm_test_erase(&fm, 0, FLASHMODEL_OP_ERASE_SECTOR, 2 * 4096, &op), 0);
    assert_null(fm.cells.pages[2]);
    assert_int_equal(data[100 + 4096], (uint8_t)((100 + 4096) * 7 + 1) & 0x7F);
    assert_int_equal(peek1(2 * 4096), 0xFF);
    assert_int_equal(peek1(3 * 4096), data[100 + 2 * 4096]);
    fm_test_close(&fm);
}

#define T(fn) FM_TEST_CASE(fn, &cfg)

CHUNKSIM_TEST_MAIN({
    T(test_program_only_clears_bits),
    T(test_erased_value_other_than_ff_programs_by_setting_bits),
    T(test_program_across_page_boundary_wraps_within_the_page),
    T(test_program_longer_than_a_page_keeps_the_last_page_of_data),
    T(test_page_policy_refuse_rejects_a_crossing_program),
    T(test_double_program_is_counted),
    T(test_double_program_can_be_refused),
    T(test_erase_units_clear_exactly_their_range),
    T(test_erase_counts_every_sector_of_the_unit),
    T(test_load_and_peek_bypass_timing_and_rules),
    T(test_bad_arguments_are_refused_at_begin),
    T(test_the_array_holds_only_what_differs_from_erased),
    T(test_a_shared_load_is_read_in_place_until_changed),
})
