/*
 * The board a reader (or a glue) drives, through chunksim_board_t: page
 * program with NOR semantics and the page wrap, range erase, and the
 * memory-mapped view following both. A test reader makes its board calls
 * when it is created, then hands the run to the built-in sync reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chunksim_test_main.h"

#include "chunkcore/error.h"
#include "chunksim/reader.h"
#include "chunksim/run.h"
#include "chunksim/scenario.h"

/* 4 KiB coredump in a 128 KiB partition: [8 KiB, 128 KiB) is erased and free to use. */
static const char ini[] = "[coredump]\nsize_bytes = 4KiB\nstorage_bytes = 128KiB\n"
                          "[flash]\nsize_bytes = 1MiB\n";

#define FREE_AT 8192u

typedef void (*probe_fn)(const chunksim_board_t *board, const uint8_t *view);

/*
 * The probe runs inside the run's first storage read (the header peek in
 * the first get-chunk), where the monitor watches and a blocking call's
 * time is waited out as a board's CPU would.
 */
static struct {
    probe_fn fn;
    const chunksim_board_t *board;
    const chunkcore_storage_port_t *inner;
    chunkcore_storage_port_t port;
    bool done;
} probe;

static int probe_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    if (!probe.done) {
        probe.done = true;
        probe.fn(probe.board, probe.board->mapped(probe.board->ctx, false));
    }
    return probe.inner->read(ctx, offset, buf, len);
}

static int probe_create(chunksim_reader_t *out, const chunksim_board_t *board,
                        const chunksim_reader_config_t *cfg)
{
    assert_non_null(board->mapped(board->ctx, false));
    int rc = chunksim_reader_sync_create(out, board, cfg);
    probe.board = board;
    probe.inner = out->storage;
    probe.port = *out->storage;
    probe.port.read = probe_read;
    probe.done = false;
    out->storage = &probe.port;
    return rc;
}

static chunksim_run_result_t run_probe(probe_fn fn, const char *set)
{
    chunksim_scenario_t sc;
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    assert_int_equal(chunksim_scenario_load_string(&sc, ini, "board.ini", NULL, err, sizeof err),
                     0);
    if (set != NULL) {
        assert_int_equal(chunksim_scenario_set_arg(&sc, set, err, sizeof err), 0);
        assert_int_equal(chunksim_scenario_validate(&sc, err, sizeof err), 0);
    }
    probe.fn = fn;
    const chunksim_run_options_t opts = {.reader_create = probe_create, .reader_name = "probe"};
    chunksim_run_result_t res;
    assert_int_equal(chunksim_run(&sc, &opts, &res), 0);
    chunksim_scenario_free(&sc);
    assert_true(probe.done);
    return res;
}

static void program(const chunksim_board_t *b, uint32_t offset, const uint8_t *data, size_t len)
{
    assert_int_equal(b->program_sync(b->ctx, offset, data, len), 0);
}

/* The view starts as the flash holds the coredump: its header's magic, then erased space. */
static void probe_view_is_the_flash(const chunksim_board_t *b, const uint8_t *view)
{
    (void)b;
    static const uint8_t magic[4] = {0x43, 0x4f, 0x52, 0x45}; /* "CORE", little-endian word */
    assert_memory_equal(view, magic, sizeof(magic));
    assert_int_equal(view[FREE_AT], 0xFF);
    assert_int_equal(view[128 * 1024 - 1], 0xFF);
}

/* A program only clears bits: a second one over the first keeps what both cleared. */
static void probe_program_clears_bits_only(const chunksim_board_t *b, const uint8_t *view)
{
    static const uint8_t first[2] = {0xF0, 0x0F}, second[2] = {0x30, 0xFF};
    program(b, FREE_AT, first, 2);
    assert_int_equal(view[FREE_AT], 0xF0);
    assert_int_equal(view[FREE_AT + 1], 0x0F);
    program(b, FREE_AT, second, 2); /* 0xFF: leave it */
    assert_int_equal(view[FREE_AT], 0x30);
    assert_int_equal(view[FREE_AT + 1], 0x0F);
}

/* 0x3C over 0xF0 needs bits 0x0C back at 1: named, and the part keeps 0x30. */
static void probe_program_setting_bits(const chunksim_board_t *b, const uint8_t *view)
{
    static const uint8_t first = 0xF0, second = 0x3C;
    program(b, FREE_AT, &first, 1);
    program(b, FREE_AT, &second, 1);
    assert_int_equal(view[FREE_AT], 0x30);
}

/* 8 bytes 4 before a 256-byte page edge: the last 4 land at the start of the same page. */
static void probe_program_wraps_in_its_page(const chunksim_board_t *b, const uint8_t *view)
{
    static const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    program(b, FREE_AT + 252, data, sizeof(data));
    assert_memory_equal(view + FREE_AT + 252, data, 4);
    assert_memory_equal(view + FREE_AT, data + 4, 4);
    assert_int_equal(view[FREE_AT + 256], 0xFF); /* the next page is untouched */
}

static void probe_program_arguments(const chunksim_board_t *b, const uint8_t *view)
{
    (void)view;
    static const uint8_t zero[4] = {0};
    assert_int_equal(b->program_sync(b->ctx, 128 * 1024 - 2, zero, 4), CHUNKCORE_E_RANGE);
    assert_int_equal(b->program_sync(b->ctx, FREE_AT, zero, 0), CHUNKCORE_E_INVAL);
    assert_int_equal(b->page_bytes, 256);
}

/* A range of sectors, and a whole block, come back erased; partial sectors are refused. */
static void probe_range_erase(const chunksim_board_t *b, const uint8_t *view)
{
    static uint8_t zeros[256];
    for (uint32_t at = FREE_AT; at < 128 * 1024; at += 4096) {
        program(b, at, zeros, sizeof(zeros));
    }
    assert_int_equal(b->erase_sync(b->ctx, FREE_AT, 2 * 4096), 0);
    assert_int_equal(view[FREE_AT], 0xFF);
    assert_int_equal(view[FREE_AT + 4096 + 255], 0xFF);
    assert_int_equal(view[FREE_AT + 2 * 4096], 0x00); /* past the range */
    assert_int_equal(b->erase_sync(b->ctx, 64 * 1024, 64 * 1024), 0);
    for (uint32_t at = 64 * 1024; at < 128 * 1024; at += 4096) {
        assert_int_equal(view[at], 0xFF);
    }
    assert_int_equal(view[60 * 1024], 0x00); /* before the block */
    assert_int_equal(b->erase_sync(b->ctx, FREE_AT + 100, 4096), CHUNKCORE_E_INVAL);
    assert_int_equal(b->erase_sync(b->ctx, FREE_AT, 4000), CHUNKCORE_E_INVAL);
    assert_int_equal(b->erase_sync(b->ctx, 124 * 1024, 8192), CHUNKCORE_E_INVAL);
}

static void test_view_is_the_flash(void **state)
{
    (void)state;
    chunksim_run_result_t res = run_probe(probe_view_is_the_flash, NULL);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
}

static void test_program_clears_bits_only(void **state)
{
    (void)state;
    chunksim_run_result_t res = run_probe(probe_program_clears_bits_only, NULL);
    assert_int_equal(res.m.violations, 0);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
}

static void test_program_setting_bits_is_named(void **state)
{
    (void)state;
    chunksim_run_result_t res = run_probe(probe_program_setting_bits, NULL);
    assert_int_equal(res.m.violations, 1);
    assert_non_null(strstr(res.first_violation, "program_sets_bits"));
    assert_non_null(strstr(res.first_violation, "storage offset 8192: stored 0xf0, data 0x3c"));
}

static void test_program_wraps_in_its_page(void **state)
{
    (void)state;
    run_probe(probe_program_wraps_in_its_page, NULL);
    run_probe(probe_program_arguments, NULL);
}

static void test_range_erase(void **state)
{
    (void)state;
    chunksim_run_result_t res = run_probe(probe_range_erase, NULL);
    assert_int_equal(res.m.violations, 0);
    assert_int_equal(res.outcome, CHUNKSIM_OUTCOME_OK);
}

/* The nRF52840's program unit is the NVMC's 32-bit word: 8 bytes at a word edge wrap. */
static void probe_word_program(const chunksim_board_t *b, const uint8_t *view)
{
    static const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(b->page_bytes, 4);
    program(b, FREE_AT, data, sizeof(data));
    assert_memory_equal(view + FREE_AT, data + 4, 4);
    assert_int_equal(view[FREE_AT + 4], 0xFF);
}

static void test_internal_flash_programs_words(void **state)
{
    (void)state;
    run_probe(probe_word_program, "flash.part=nrf52840");
}
/* A program issued while the previous one still runs: the device is busy, and the monitor says so.
 */
static void probe_program_while_busy(const chunksim_board_t *b, const uint8_t *view)
{
    static const uint8_t zero[4] = {0};
    assert_int_equal(b->program_start(b->ctx, 77, FREE_AT, zero, sizeof(zero)), 0);
    assert_int_equal(view[FREE_AT], 0xFF); /* not applied before its completion */
    program(b, FREE_AT + 16, zero, sizeof(zero));
    assert_int_equal(view[FREE_AT + 16], 0x00);
}

static void test_program_while_busy_is_flash_busy(void **state)
{
    (void)state;
    chunksim_run_result_t res = run_probe(probe_program_while_busy, NULL);
    assert_non_null(strstr(res.first_violation, "flash_busy"));
    assert_non_null(strstr(res.first_violation, "program of 4 bytes at 0x00002010"));
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_view_is_the_flash),
    cmocka_unit_test(test_program_clears_bits_only),
    cmocka_unit_test(test_program_setting_bits_is_named),
    cmocka_unit_test(test_program_wraps_in_its_page),
    cmocka_unit_test(test_range_erase),
    cmocka_unit_test(test_internal_flash_programs_words),
    cmocka_unit_test(test_program_while_busy_is_flash_busy),
})
