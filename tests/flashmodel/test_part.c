/*
 * Part description: W25Q128JV defaults, the read-time formula for every read
 * command, wear growth of program/erase times, and that the model charges
 * exactly these datasheet times when no distribution is configured.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>

#include <cmocka.h>

#include "chunksim_test_cmp.h"

#include "chunksim_test_main.h"
#include "fm_test.h"

/* The model under test in the model tests; FM_TEST_CASE configures cfg before each. */
static flashmodel_t fm;
static flashmodel_config_t cfg;
static flashmodel_op_t op;

/* One time the part gives: the read time of a command and a length, or the program/erase time
 * of an op kind at a wear. */
struct part_time {
    int what;         /* flashmodel_read_mode_t or flashmodel_op_kind_t */
    uint32_t n;       /* bytes read, or erase cycles */
    uint64_t want_us; /* what the datasheet formula gives */
};

static uint64_t read_us(const flashmodel_part_t *p, int mode, uint32_t bytes)
{
    return flashmodel_part_read_us(p, (flashmodel_read_mode_t)mode, bytes);
}

static uint64_t op_us(const flashmodel_part_t *p, int kind, uint32_t cycles)
{
    return flashmodel_part_op_us(p, (flashmodel_op_kind_t)kind, cycles);
}

/* A time formula of the part and what its rows' fields are, for the failure message. */
struct part_timer {
    uint64_t (*time_us)(const flashmodel_part_t *p, int what, uint32_t n);
    const char *what, *n;
};

static const struct part_timer read_timer = {read_us, "mode", "bytes"};
static const struct part_timer op_timer = {op_us, "kind", "cycles"};

static void check_part_times(const flashmodel_part_t *p, const struct part_timer *timer,
                             const struct part_time *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        uint64_t got = timer->time_us(p, rows[i].what, rows[i].n);
        if (got != rows[i].want_us) {
            fail_msg("row %zu (%s %d, %u %s): %" PRIu64 " us, want %" PRIu64, i, timer->what,
                     rows[i].what, (unsigned)rows[i].n, timer->n, got, rows[i].want_us);
        }
    }
}

/* The tests of the formulas start from the default part of FM_TEST_SIZE bytes (T_PART). */
static int part_setup(void **state)
{
    static flashmodel_part_t part;
    flashmodel_part_default(&part, FM_TEST_SIZE);
    *state = &part;
    return 0;
}

static void test_default_part_is_w25q128jv_class(void **state)
{
    (void)state;
    flashmodel_part_t p;
    flashmodel_part_default(&p, 16u * 1024u * 1024u);
    assert_int_equal(p.size_bytes, 16u * 1024u * 1024u);
    assert_int_equal(p.page_bytes, 256);
    assert_int_equal(p.sector_bytes, 4096);
    assert_int_equal(p.block_bytes, 65536);
    assert_int_equal(p.erased_value, 0xFF);
    assert_int_equal(p.read_clock_hz, 50000000);
    assert_int_equal(p.fast_clock_hz, 133000000);
    assert_int_equal(p.tpp_typ_us, 400);
    assert_int_equal(p.tpp_max_us, 3000);
    assert_int_equal(p.tse_typ_us, 45000);
    assert_int_equal(p.tse_max_us, 400000);
    assert_int_equal(p.tbe_typ_us, 150000);
    assert_int_equal(p.tbe_max_us, 2000000);
    assert_int_equal(p.tce_typ_us, 40000000);
    assert_int_equal(p.tce_max_us, 200000000);
    assert_int_equal(p.endurance_cycles, 100000);
    assert_int_equal(p.dummy_cycles[FLASHMODEL_READ_SINGLE], 0);
    assert_int_equal(p.dummy_cycles[FLASHMODEL_READ_FAST], 8);
    assert_int_equal(p.dummy_cycles[FLASHMODEL_READ_QUAD_IO], 6);
    assert_int_equal(flashmodel_part_check(&p), 0);
}

static void test_read_256_bytes_single_line_at_50mhz_takes_42_us(void **state)
{
    flashmodel_part_t *p = *state;
    /* 8 + 24 + 2048 = 2080 clocks at 50 MHz = 41.6 us, rounded up. */
    assert_int_equal(flashmodel_part_read_us(p, FLASHMODEL_READ_SINGLE, 256), 42);
    /* Command and address alone: 32 clocks = 0.64 us -> 1 us, never free. */
    assert_int_equal(flashmodel_part_read_us(p, FLASHMODEL_READ_SINGLE, 0), 1);
    /* 4096 bytes: 32 + 32768 clocks = 656 us exactly. */
    assert_int_equal(flashmodel_part_read_us(p, FLASHMODEL_READ_SINGLE, 4096), 656);
}

static void test_fast_read_modes_count_lines_and_dummy_cycles(void **state)
{
    flashmodel_part_t *p = *state;
    /* 256 bytes by each command. */
    static const struct part_time rows[] = {
        {FLASHMODEL_READ_FAST, 256, 16},    /* 0Bh: 8 + 24 + 8 + 2048 = 2088 clocks at 133 MHz */
        {FLASHMODEL_READ_DUAL_OUT, 256, 8}, /* 3Bh: 8 + 24 + 8 + 1024 = 1064 clocks = 8.0 us */
        {FLASHMODEL_READ_QUAD_OUT, 256, 5}, /* 6Bh: 8 + 24 + 8 + 512 = 552 clocks = 4.15 us */
        {FLASHMODEL_READ_DUAL_IO, 256, 8},  /* BBh: address on 2 lines: 8 + 12 + 4 + 1024 */
        {FLASHMODEL_READ_QUAD_IO, 256, 4},  /* EBh: address on 4 lines: 8 + 6 + 6 + 512 */
    };
    check_part_times(p, &read_timer, rows, sizeof(rows) / sizeof(rows[0]));
    /* A byte on 4 lines still takes 2 whole clocks. */
    p->fast_clock_hz = 1000000;
    assert_int_equal(flashmodel_part_read_us(p, FLASHMODEL_READ_QUAD_IO, 1), 8 + 6 + 6 + 2);
    /* Dummy cycles are the part's: changing them changes the time. */
    p->dummy_cycles[FLASHMODEL_READ_FAST] = 10;
    assert_int_equal(flashmodel_part_read_us(p, FLASHMODEL_READ_FAST, 0), 8 + 24 + 10);
    assert_int_equal(flashmodel_part_read_us(p, FLASHMODEL_READ_MODE_COUNT, 1), 0);
}

static void test_wear_grows_times_linearly_from_typical_to_maximum(void **state)
{
    flashmodel_part_t *p = *state;
    static const struct part_time rows[] = {
        {FLASHMODEL_OP_PROGRAM, 0, 400},
        {FLASHMODEL_OP_PROGRAM, 50000, 1700},
        {FLASHMODEL_OP_PROGRAM, 100000, 3000},
        {FLASHMODEL_OP_PROGRAM, 1000000, 3000}, /* past the endurance: the maximum */
        {FLASHMODEL_OP_ERASE_SECTOR, 0, 45000},
        {FLASHMODEL_OP_ERASE_SECTOR, 25000, 133750},
        {FLASHMODEL_OP_ERASE_BLOCK, 0, 150000},
        {FLASHMODEL_OP_ERASE_BLOCK, 100000, 2000000},
        {FLASHMODEL_OP_ERASE_CHIP, 0, 40000000},
        {FLASHMODEL_OP_ERASE_CHIP, 100000, 200000000},
        {FLASHMODEL_OP_READ, 0, 0},
    };
    check_part_times(p, &op_timer, rows, sizeof(rows) / sizeof(rows[0]));
    assert_int_equal(flashmodel_part_erase_bytes(p, FLASHMODEL_OP_ERASE_SECTOR), 4096);
    assert_int_equal(flashmodel_part_erase_bytes(p, FLASHMODEL_OP_ERASE_BLOCK), 65536);
    assert_int_equal(flashmodel_part_erase_bytes(p, FLASHMODEL_OP_ERASE_CHIP), FM_TEST_SIZE);
    assert_int_equal(flashmodel_part_erase_bytes(p, FLASHMODEL_OP_PROGRAM), 0);
}

/* The part good with one field set to value is rejected by the check; the config fresh from
 * fm_test_config() with one field set to value, by init. Macros, for the field names and so that
 * a failure names the test's line. */
#define assert_part_rejected_with(good, field, value)                                              \
    do {                                                                                           \
        flashmodel_part_t p_ = (good);                                                             \
        p_.field = (value);                                                                        \
        assert_int_equal(flashmodel_part_check(&p_), FLASHMODEL_E_INVAL);                          \
    } while (0)
#define assert_init_rejected_with(field, value)                                                    \
    do {                                                                                           \
        fm_test_config(&cfg);                                                                      \
        cfg.field = (value);                                                                       \
        assert_int_equal(flashmodel_init(&fm, &cfg), FLASHMODEL_E_INVAL);                          \
    } while (0)

static void test_part_check_rejects_inconsistent_parts(void **state)
{
    (void)state;
    flashmodel_part_t good;
    flashmodel_part_default(&good, FM_TEST_SIZE);
    assert_part_rejected_with(good, page_bytes, 300); /* does not divide the sector */
    assert_part_rejected_with(good, size_bytes, FM_TEST_SIZE + 4096); /* not whole blocks */
    assert_part_rejected_with(good, sector_bytes, 0);
    assert_part_rejected_with(good, read_clock_hz, 0);
    assert_part_rejected_with(good, tse_typ_us, good.tse_max_us + 1);
    assert_part_rejected_with(good, block_bytes, 6000); /* sectors do not tile it */
    assert_part_rejected_with(good, fast_clock_hz, 0);
    assert_part_rejected_with(good, tpp_typ_us, good.tpp_max_us + 1);
    assert_part_rejected_with(good, endurance_cycles, 0);
    assert_int_equal(flashmodel_part_check(NULL), FLASHMODEL_E_INVAL);

    assert_init_rejected_with(part.page_bytes, 300);
    assert_init_rejected_with(read_mode, FLASHMODEL_READ_MODE_COUNT);
    assert_init_rejected_with(busy_policy, FLASHMODEL_BUSY_POLICY_COUNT);
    assert_init_rejected_with(page_policy, FLASHMODEL_PAGE_POLICY_COUNT);
    assert_init_rejected_with(faults.count, 1); /* rules NULL */
}

static void test_model_charges_datasheet_times_by_default(void **state)
{
    (void)state;
    uint8_t buf[256], data[16];
    memset(data, 0, sizeof(data));
    fm_test_open(&fm, &cfg);

    assert_int_equal(fm_test_read(&fm, 1000, 0, buf, 256, &op), 0);
    assert_int_equal(op.start_us, 1000);
    assert_int_equal(op.end_us, 1042);
    assert_int_equal(op.latency_us, 42);
    assert_int_equal(fm_test_program(&fm, 2000, 0, data, 16, &op), 0);
    assert_int_equal(op.end_us - op.start_us, 400);
    assert_int_equal(fm_test_erase(&fm, 3000, FLASHMODEL_OP_ERASE_SECTOR, 0, &op), 0);
    assert_int_equal(op.end_us - op.start_us, 45000);
    assert_int_equal(fm_test_erase(&fm, 100000, FLASHMODEL_OP_ERASE_BLOCK, 65536, &op), 0);
    assert_int_equal(op.end_us - op.start_us, 150000);
    /* Sector 0 and block 1 have been erased once: the chip erase runs at wear 1. */
    assert_int_equal(fm_test_erase(&fm, 300000, FLASHMODEL_OP_ERASE_CHIP, 0, &op), 0);
    assert_int_equal(op.wear_cycles, 1);
    assert_int_equal(op.end_us - op.start_us, 40000000 + 160000000 / 100000);

    /* A worn sector programs and erases slower; the op reports the wear used. */
    assert_int_equal(flashmodel_wear_set(&fm, 8192, 1, 50000), 0);
    assert_int_equal(fm_test_program(&fm, 50000000, 8192, data, 16, &op), 0);
    assert_int_equal(op.wear_cycles, 50000);
    assert_int_equal(op.end_us - op.start_us, 1700);
    /* A block erase is as slow as its most worn sector. */
    assert_int_equal(fm_test_erase(&fm, 51000000, FLASHMODEL_OP_ERASE_BLOCK, 0, &op), 0);
    assert_int_equal(op.wear_cycles, 50000);
    assert_int_equal(op.end_us - op.start_us, 150000 + 1850000 / 2);
    fm_test_close(&fm);
}

static void test_model_reads_with_the_configured_command(void **state)
{
    (void)state;
    uint8_t buf[256];
    cfg.read_mode = FLASHMODEL_READ_QUAD_IO;
    fm_test_open(&fm, &cfg);
    assert_int_equal(fm_test_read(&fm, 0, 0, buf, 256, &op), 0);
    assert_int_equal(op.latency_us, 4);
    fm_test_close(&fm);
}

/* flashmodel_<what>_from_name() reads back what flashmodel_<what>_name() gives for each of the
 * count values: a macro, as every enum has its own pair of functions. */
#define assert_names_round_trip(what, count)                                                       \
    do {                                                                                           \
        for (int k = 0; k < (count); k++) {                                                        \
            assert_int_equal(flashmodel_##what##_from_name(flashmodel_##what##_name(k)), k);       \
        }                                                                                          \
    } while (0)

static void test_names_round_trip(void **state)
{
    (void)state;
    assert_names_round_trip(op_kind, FLASHMODEL_OP_KIND_COUNT);
    assert_names_round_trip(read_mode, FLASHMODEL_READ_MODE_COUNT);
    assert_names_round_trip(dist, FLASHMODEL_DIST_KIND_COUNT);
    assert_names_round_trip(fault, FLASHMODEL_FAULT_COUNT);
    assert_names_round_trip(trigger, FLASHMODEL_TRIGGER_COUNT);
    assert_names_round_trip(busy_policy, FLASHMODEL_BUSY_POLICY_COUNT);
    assert_string_equal(flashmodel_op_kind_name(FLASHMODEL_OP_ERASE_SECTOR), "erase_sector");
    assert_string_equal(flashmodel_read_mode_name(FLASHMODEL_READ_QUAD_IO), "quad_io");
    assert_string_equal(flashmodel_fault_name(FLASHMODEL_FAULT_MISDIRECTED_WRITE),
                        "misdirected_write");
    assert_string_equal(flashmodel_fault_name(FLASHMODEL_FAULT_COUNT), "?");
    assert_string_equal(flashmodel_busy_policy_name(FLASHMODEL_BUSY_SUSPEND), "suspend");
    assert_int_equal(flashmodel_fault_from_name("no_such_fault"), FLASHMODEL_E_INVAL);
    assert_int_equal(flashmodel_dist_from_name(NULL), FLASHMODEL_E_INVAL);
    assert_string_equal(flashmodel_strerror(0), "ok");
    assert_string_equal(flashmodel_strerror(FLASHMODEL_E_BUSY),
                        "device busy (busy policy: reject)");
    assert_string_equal(flashmodel_errname(FLASHMODEL_E_POWER), "POWER");
    assert_string_equal(flashmodel_errname(-999), "UNKNOWN");
    assert_string_equal(flashmodel_strerror(-999), "unknown error");
}

/* Each row as its comment cites it: typ/max program and 4 KiB / 64 KiB / chip erase. */
static const struct {
    const char *name;
    uint32_t size_bytes, page_bytes;
    uint64_t tpp_typ, tpp_max, tse_typ, tse_max, tbe_typ, tce_typ;
    uint32_t endurance;
    bool suspend, mapped;
} cited[] = {
    {"w25q128jv", 16u << 20, 256, 400, 3000, 45000, 400000, 150000, 40000000, 100000, true, false},
    {"mx25r6435f_hp", 8u << 20, 256, 850, 4000, 40000, 240000, 480000, 50000000, 100000, true,
     false},
    {"mx25r6435f_lp", 8u << 20, 256, 3200, 10000, 58000, 300000, 700000, 75000000, 100000, true,
     false},
    {"gd25q16e", 2u << 20, 256, 600, 2400, 45000, 300000, 180000, 8000000, 100000, true, false},
    {"is25lp128f", 16u << 20, 256, 200, 800, 45000, 300000, 250000, 45000000, 100000, true, false},
    {"at25sf128a", 16u << 20, 256, 400, 2500, 60000, 300000, 300000, 60000000, 100000, true, false},
    {"mt25ql128", 16u << 20, 256, 120, 1800, 50000, 400000, 150000, 38000000, 100000, true, false},
    {"nrf52840", 1u << 20, 4, 41, 41, 85000, 85000, 85000, 169000, 10000, false, true},
};

static void test_every_row_loads_and_matches_its_cited_figures(void **state)
{
    (void)state;
    assert_int_equal(flashmodel_part_count(), sizeof(cited) / sizeof(cited[0]));
    for (size_t i = 0; i < sizeof(cited) / sizeof(cited[0]); i++) {
        const flashmodel_part_info_t *row = flashmodel_part_find(cited[i].name);
        assert_non_null(row);
        assert_ptr_equal(row, flashmodel_part_at(i));
        assert_non_null(row->source);
        const flashmodel_part_t *p = &row->part;
        assert_int_equal(flashmodel_part_check(p), 0);
        assert_int_equal(p->size_bytes, cited[i].size_bytes);
        assert_int_equal(p->page_bytes, cited[i].page_bytes);
        assert_int_equal(p->tpp_typ_us, cited[i].tpp_typ);
        assert_int_equal(p->tpp_max_us, cited[i].tpp_max);
        assert_int_equal(p->tse_typ_us, cited[i].tse_typ);
        assert_int_equal(p->tse_max_us, cited[i].tse_max);
        assert_int_equal(p->tbe_typ_us, cited[i].tbe_typ);
        assert_int_equal(p->tce_typ_us, cited[i].tce_typ);
        assert_int_equal(p->endurance_cycles, cited[i].endurance);
        assert_int_equal(p->suspend, cited[i].suspend);
        assert_int_equal(p->memory_mapped, cited[i].mapped);
        assert_int_equal(p->erased_value, 0xFF);
        assert_le(p->tbe32_typ_us, p->tbe32_max_us);
    }
    assert_null(flashmodel_part_find("w25q128"));
    assert_null(flashmodel_part_find(NULL));
    assert_null(flashmodel_part_at(flashmodel_part_count()));
}

static void test_default_part_is_row_zero(void **state)
{
    (void)state;
    flashmodel_part_t p;
    flashmodel_part_default(&p, 1u << 20);
    flashmodel_part_t want = flashmodel_part_at(0)->part;
    want.size_bytes = 1u << 20;
    assert_memory_equal(&p, &want, sizeof(p));
}

/* Internal flash has no command phase: 256 bytes are 64 words at 64 MHz, 1 us. */
static void test_memory_mapped_read_is_one_bus_access_per_word(void **state)
{
    (void)state;
    const flashmodel_part_t *p = &flashmodel_part_find("nrf52840")->part;
    assert_int_equal(flashmodel_part_read_us(p, FLASHMODEL_READ_SINGLE, 256), 1);
    assert_int_equal(flashmodel_part_read_us(p, FLASHMODEL_READ_QUAD_OUT, 4096), 16);
    assert_int_equal(flashmodel_part_read_us(p, FLASHMODEL_READ_FAST, 4), 1);
    /* The SPI part of the same read pays the command and address: 42 us. */
    assert_int_equal(
        flashmodel_part_read_us(&flashmodel_part_at(0)->part, FLASHMODEL_READ_SINGLE, 256), 42);
}

#define T(fn)      FM_TEST_CASE(fn, &cfg)
#define T_PART(fn) cmocka_unit_test_setup(fn, part_setup)

CHUNKSIM_TEST_MAIN({
    T(test_default_part_is_w25q128jv_class),
    T_PART(test_read_256_bytes_single_line_at_50mhz_takes_42_us),
    T_PART(test_fast_read_modes_count_lines_and_dummy_cycles),
    T_PART(test_wear_grows_times_linearly_from_typical_to_maximum),
    T(test_part_check_rejects_inconsistent_parts),
    T(test_model_charges_datasheet_times_by_default),
    T(test_model_reads_with_the_configured_command),
    T(test_names_round_trip),
    T(test_every_row_loads_and_matches_its_cited_figures),
    T(test_default_part_is_row_zero),
    T(test_memory_mapped_read_is_one_bus_access_per_word),
})
