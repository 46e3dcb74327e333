/*
 * chunksim_flashmap: scenario [flash] and [faults] onto the flash model.
 * Each mapping is checked by what the model then does (op latencies, faults
 * and their statuses), not by the config fields alone: defaults, read
 * commands, latency forms, traces, every fault kind and trigger, on=
 * counting, errors for what the model cannot express, and the starter
 * library.
 */
#include <dirent.h>
#include <errno.h>
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

#include "chunksim/flashmap.h"

#define DATA    SCENARIO_TEST_DATA_DIR
#define LIBRARY SCENARIO_LIBRARY_DIR
#define SEED    0x5EEDu

/* A 1 MiB part keeps the array small; everything else is the scenario default. */
#define SMALL_FLASH "[flash]\nsize_bytes = 1MiB\n"

static char err[CHUNKSIM_SCENARIO_ERR_BYTES];
static uint8_t buf[4096];
static const uint8_t zeros[4096];

/* ---- a scenario, its map and a model built from it ---------------------------------- */

typedef struct bench {
    chunksim_scenario_t sc;
    chunksim_flashmap_t map;
    flashmodel_t fm;
    uint64_t now;
} bench_t;

static bench_t b;

static void assert_err_has(const char *want)
{
    if (strstr(err, want) == NULL) {
        fail_msg("error \"%s\"\n  lacks \"%s\"", err, want);
    }
}

/* text as "t.ini" in the test data directory, then "section.key=value" overrides. */
static void scenario_ok(chunksim_scenario_t *sc, const char *text, const char *const *sets)
{
    if (chunksim_scenario_load_string(sc, text, "t.ini", DATA, err, sizeof err) != 0) {
        fail_msg("load failed: %s", err);
    }
    for (size_t i = 0; sets != NULL && sets[i] != NULL; i++) {
        if (chunksim_scenario_set_arg(sc, sets[i], err, sizeof err) != 0) {
            fail_msg("set %s failed: %s", sets[i], err);
        }
    }
    if (chunksim_scenario_validate(sc, err, sizeof err) != 0) {
        fail_msg("validate failed: %s", err);
    }
}

static void bench_open_sc(void)
{
    if (chunksim_flashmap_build(&b.map, &b.sc, SEED, err, sizeof err) != 0) {
        fail_msg("build failed: %s", err);
    }
    assert_int_equal(flashmodel_init(&b.fm, &b.map.cfg), 0);
    assert_int_equal(chunksim_flashmap_apply_wear(&b.fm, &b.sc), 0);
    b.now = 0;
}

static void bench_open(const char *text, const char *const *sets)
{
    scenario_ok(&b.sc, text, sets);
    bench_open_sc();
}

/* One override on the small part. */
static void bench_open1(const char *set)
{
    const char *const sets[] = {set, NULL};
    bench_open(SMALL_FLASH, sets);
}

static void bench_close(void)
{
    assert_int_equal(flashmodel_inflight(&b.fm), 0);
    flashmodel_close(&b.fm);
    chunksim_flashmap_free(&b.map);
    chunksim_scenario_free(&b.sc);
}

/*
 * Issues one op at b.now (or when the device is free), completes it (a lost
 * read is released) and moves b.now past it. Returns the begin error or the
 * final status.
 */
static int bench_op(flashmodel_op_kind_t kind, uint32_t addr, uint32_t len, flashmodel_op_t *op)
{
    int rc;
    if (kind == FLASHMODEL_OP_READ) {
        rc = flashmodel_read_begin(&b.fm, b.now, addr, len, op);
    } else if (kind == FLASHMODEL_OP_PROGRAM) {
        rc = flashmodel_program_begin(&b.fm, b.now, addr, zeros, len, op);
    } else {
        rc = flashmodel_erase_begin(&b.fm, b.now, kind, addr, op);
    }
    if (rc < 0) {
        return rc;
    }
    int status = flashmodel_op_finish(&b.fm, op, kind == FLASHMODEL_OP_READ ? buf : NULL);
    uint64_t end = op->end_us != FLASHMODEL_NEVER ? op->end_us : op->device_end_us;
    b.now = (end > op->device_end_us ? end : op->device_end_us) + 1;
    return status;
}

static int bench_read(uint32_t addr, flashmodel_op_t *op)
{
    return bench_op(FLASHMODEL_OP_READ, addr, 256, op);
}

/* The operation begins (into op) and takes us. */
static void expect_latency(flashmodel_op_kind_t kind, uint32_t addr, uint32_t len,
                           flashmodel_op_t *op, uint64_t us)
{
    assert_int_equal(bench_op(kind, addr, len, op), 0);
    assert_int_equal(op->latency_us, us);
}

/* ---- [flash] ---------------------------------------------------------------------- */

static void test_defaults_map_to_the_datasheet_part(void **state)
{
    (void)state;
    bench_open("", NULL);
    const flashmodel_config_t *cfg = &b.map.cfg;
    flashmodel_part_t want;
    flashmodel_part_default(&want, 16u * 1024u * 1024u);
    const flashmodel_part_t *p = &cfg->part;
    assert_int_equal(p->size_bytes, want.size_bytes);
    assert_int_equal(p->page_bytes, want.page_bytes);
    assert_int_equal(p->sector_bytes, want.sector_bytes);
    assert_int_equal(p->block_bytes, want.block_bytes);
    assert_int_equal(p->erased_value, want.erased_value);
    assert_int_equal(p->read_clock_hz, want.read_clock_hz);
    assert_memory_equal(p->dummy_cycles, want.dummy_cycles, sizeof(want.dummy_cycles));
    assert_int_equal(p->tpp_typ_us, want.tpp_typ_us);
    assert_int_equal(p->tpp_max_us, want.tpp_max_us);
    assert_int_equal(p->tse_typ_us, want.tse_typ_us);
    assert_int_equal(p->tse_max_us, want.tse_max_us);
    assert_int_equal(p->tbe_typ_us, want.tbe_typ_us);
    assert_int_equal(p->tbe_max_us, want.tbe_max_us);
    assert_int_equal(p->tce_typ_us, want.tce_typ_us);
    assert_int_equal(p->tce_max_us, want.tce_max_us);
    assert_int_equal(p->tsus_us, want.tsus_us);
    assert_int_equal(p->trs_us, want.trs_us);
    assert_int_equal(p->endurance_cycles, want.endurance_cycles);
    assert_int_equal(cfg->read_mode, FLASHMODEL_READ_SINGLE);
    assert_int_equal(cfg->busy_policy, FLASHMODEL_BUSY_QUEUE);
    assert_int_equal(cfg->page_policy, FLASHMODEL_PAGE_WRAP);
    assert_false(cfg->refuse_double_program);
    for (int k = 0; k < FLASHMODEL_OP_KIND_COUNT; k++) {
        assert_int_equal(cfg->latency[k].kind, FLASHMODEL_DIST_PART);
    }
    assert_int_equal(cfg->faults.count, 0);
    assert_null(b.map.rules);
    assert_int_equal(cfg->seed, SEED);
    /* The datasheet's numbers come out of the model: 03h at 50 MHz, tPP, tSE. */
    flashmodel_op_t op;
    expect_latency(FLASHMODEL_OP_READ, 0, 256, &op, 42);
    expect_latency(FLASHMODEL_OP_PROGRAM, 0, 256, &op, 400);
    expect_latency(FLASHMODEL_OP_ERASE_SECTOR, 0, 0, &op, 45000);
    bench_close();
}

/* [flash] part: the row whole (suspend, mapped reads, 32 KiB erase), keys given still win. */
static void test_named_part_maps_its_whole_row(void **state)
{
    (void)state;
    bench_open("[flash]\npart = nrf52840\nsector_erase_typ_us = 80ms\n", NULL);
    flashmodel_part_t want = flashmodel_part_find("nrf52840")->part;
    const flashmodel_part_t *p = &b.map.cfg.part;
    assert_int_equal(p->size_bytes, want.size_bytes);
    assert_int_equal(p->page_bytes, 4);
    assert_true(p->memory_mapped);
    assert_false(p->suspend);
    assert_int_equal(p->tbe32_typ_us, want.tbe32_typ_us);
    assert_int_equal(p->tpp_typ_us, 41);
    assert_int_equal(p->tse_typ_us, 80000);
    assert_int_equal(p->tse_max_us, 85000);
    assert_int_equal(p->endurance_cycles, 10000);
    flashmodel_op_t op;
    expect_latency(FLASHMODEL_OP_READ, 0, 256, &op, 1); /* 64 words on the bus at 64 MHz */
    expect_latency(FLASHMODEL_OP_PROGRAM, 0, 4, &op, 41);
    bench_close();
}

static void test_flash_keys_map_onto_the_part_and_policies(void **state)
{
    (void)state;
    bench_open("[flash]\n"
               "size_bytes = 2MiB\npage_bytes = 512\nsector_bytes = 8KiB\nblock_bytes = 128KiB\n"
               "page_program_typ_us = 500\npage_program_max_us = 2ms\n"
               "sector_erase_typ_us = 40ms\nsector_erase_max_us = 300ms\n"
               "block_erase_typ_us = 100ms\nblock_erase_max_us = 1s\n"
               "chip_erase_typ_us = 20s\nchip_erase_max_us = 100s\n"
               "endurance_cycles = 1000\ninitial_wear_cycles = 500\n"
               "busy_policy = suspend\npage_wrap = false\nrefuse_double_program = true\n",
               NULL);
    const flashmodel_part_t *p = &b.map.cfg.part;
    assert_int_equal(p->size_bytes, 2u << 20);
    assert_int_equal(p->page_bytes, 512);
    assert_int_equal(p->sector_bytes, 8192);
    assert_int_equal(p->block_bytes, 131072);
    assert_int_equal(p->tpp_typ_us, 500);
    assert_int_equal(p->tpp_max_us, 2000);
    assert_int_equal(p->tse_typ_us, 40000);
    assert_int_equal(p->tse_max_us, 300000);
    assert_int_equal(p->tbe_typ_us, 100000);
    assert_int_equal(p->tbe_max_us, 1000000);
    assert_int_equal(p->tce_typ_us, 20000000);
    assert_int_equal(p->tce_max_us, 100000000);
    assert_int_equal(p->endurance_cycles, 1000);
    assert_int_equal(b.map.cfg.busy_policy, FLASHMODEL_BUSY_SUSPEND);
    assert_int_equal(b.map.cfg.page_policy, FLASHMODEL_PAGE_REFUSE);
    assert_true(b.map.cfg.refuse_double_program);
    /* Initial wear reached every sector, first to last, and the program time grew with it. */
    assert_int_equal(flashmodel_erase_count(&b.fm, 0), 500);
    assert_int_equal(flashmodel_erase_count(&b.fm, (2u << 20) - 1), 500);
    flashmodel_op_t op;
    expect_latency(FLASHMODEL_OP_PROGRAM, 0, 16, &op, 500 + (2000 - 500) / 2);
    /* page_wrap = false: a program across a page edge is refused. */
    assert_int_equal(bench_op(FLASHMODEL_OP_PROGRAM, 510, 4, &op), FLASHMODEL_E_PAGE);
    /* The other policies. */
    bench_close();
    const char *const reject[] = {"flash.busy_policy=reject", NULL};
    bench_open(SMALL_FLASH, reject);
    assert_int_equal(b.map.cfg.busy_policy, FLASHMODEL_BUSY_REJECT);
    assert_int_equal(b.map.cfg.page_policy, FLASHMODEL_PAGE_WRAP);
    bench_close();
}

static void test_read_commands_give_the_bus_time_of_a_256_byte_read(void **state)
{
    (void)state;
    /* clocks = 8 + 24 + dummy + 2048 / lines; us rounded up. */
    static const struct {
        const char *text;
        flashmodel_read_mode_t mode;
        uint64_t us;
    } cases[] = {
        {SMALL_FLASH "read_command = read\nbus_clock_hz = 20MHz\n", FLASHMODEL_READ_SINGLE,
         104},                                                             /* 2080 clocks */
        {SMALL_FLASH "read_command = read\n", FLASHMODEL_READ_SINGLE, 42}, /* 2080 at 50 MHz */
        {SMALL_FLASH "read_command = fast\n", FLASHMODEL_READ_FAST, 16},   /* 2088 at 133 MHz */
        {SMALL_FLASH
         "read_command = fast\ndata_lines = 1\nbus_clock_hz = 10MHz\ndummy_cycles = 0\n",
         FLASHMODEL_READ_FAST, 208}, /* 2080 */
        {SMALL_FLASH "read_command = fast\ndata_lines = 2\nbus_clock_hz = 100MHz\n",
         FLASHMODEL_READ_DUAL_OUT, 11}, /* 1064 */
        {SMALL_FLASH
         "read_command = fast\ndata_lines = 4\nbus_clock_hz = 80MHz\ndummy_cycles = 6\n",
         FLASHMODEL_READ_QUAD_OUT, 7}, /* 550 */
        {SMALL_FLASH
         "read_command = fast\ndata_lines = 4\nbus_clock_hz = 1MHz\ndummy_cycles = 32\n",
         FLASHMODEL_READ_QUAD_OUT, 576}, /* 8 + 24 + 32 + 512 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bench_open(cases[i].text, NULL);
        assert_int_equal(b.map.cfg.read_mode, cases[i].mode);
        assert_int_equal(flashmodel_part_read_us(&b.map.cfg.part, b.map.cfg.read_mode, 256),
                         cases[i].us);
        flashmodel_op_t op;
        expect_latency(FLASHMODEL_OP_READ, 0, 256, &op, cases[i].us);
        bench_close();
    }
}

/* A validated default scenario whose fields a test then bends past validation. */
static void raw_scenario(chunksim_scenario_t *sc)
{
    scenario_ok(sc, SMALL_FLASH, NULL);
}

static void expect_build_error(chunksim_scenario_t *sc, const char *want)
{
    chunksim_flashmap_t map;
    err[0] = '\0';
    assert_int_equal(chunksim_flashmap_build(&map, sc, SEED, err, sizeof err), -EINVAL);
    assert_err_has(want);
    assert_null(map.rules); /* nothing owned after an error */
    assert_null(map.trace_us[0]);
}

static void test_what_the_part_cannot_be_is_an_error(void **state)
{
    (void)state;
    chunksim_scenario_t sc;
    raw_scenario(&sc);
    sc.flash.data_lines = 2; /* with 03h */
    expect_build_error(&sc, "[flash] read_command = read: cannot use 2 data lines");
    sc.flash.read_command = CHUNKSIM_READ_CMD_FAST;
    sc.flash.data_lines = 3;
    expect_build_error(&sc, "[flash] data_lines = 3: cannot read fast");
    sc.flash.data_lines = 4;
    sc.flash.dummy_cycles = 256;
    expect_build_error(&sc, "[flash] dummy_cycles = 256: cannot exceed 255");
    sc.flash.dummy_cycles = 8;
    sc.flash.busy_policy = (flashmodel_busy_policy_t)7;
    expect_build_error(&sc, "[flash] busy_policy: unknown policy 7");
    sc.flash.busy_policy = FLASHMODEL_BUSY_QUEUE;
    sc.flash.page_bytes = 300; /* does not divide the sector */
    expect_build_error(&sc, "[flash]: cannot build the part: size 1048576, page 300");
    sc.flash.page_bytes = 256;
    sc.flash.read_latency.kind = (chunksim_latency_kind_t)42;
    expect_build_error(&sc, "[flash] read_latency: unknown latency form 42");
    sc.flash.read_latency.kind = CHUNKSIM_LATENCY_TRACE;
    sc.flash.read_latency.trace.path = NULL;
    sc.flash.read_latency.trace.latency_us = NULL;
    sc.flash.read_latency.trace.count = 0;
    expect_build_error(&sc, "[flash] read_latency: cannot replay an empty trace");
    sc.flash.read_latency.kind = CHUNKSIM_LATENCY_MODEL;
    /* Bent back into shape, it builds. */
    chunksim_flashmap_t map;
    assert_int_equal(chunksim_flashmap_build(&map, &sc, SEED, err, sizeof err), 0);
    assert_int_equal(map.cfg.read_mode, FLASHMODEL_READ_QUAD_OUT);
    chunksim_flashmap_free(&map);
    chunksim_scenario_free(&sc);
}

/* ---- latencies ---------------------------------------------------------------------- */

#define DRAWS 4000

static uint64_t draws[DRAWS];

/* Read latencies of n reads under the read_latency override. */
static void draw_reads(const char *set, size_t n)
{
    bench_open1(set);
    for (size_t i = 0; i < n; i++) {
        flashmodel_op_t op;
        assert_int_equal(bench_read(0, &op), 0);
        draws[i] = op.latency_us;
    }
    bench_close();
}

static void test_fixed_latency_is_always_its_value_even_on_a_worn_part(void **state)
{
    (void)state;
    const char *const sets[] = {"flash.program_latency=fixed:100",
                                "flash.erase_latency=fixed:777.4", "flash.read_latency=fixed:12.5",
                                "flash.initial_wear_cycles=100000", NULL};
    bench_open(SMALL_FLASH, sets);
    flashmodel_op_t op;
    assert_int_equal(bench_op(FLASHMODEL_OP_PROGRAM, 0, 16, &op), 0);
    assert_int_equal(op.wear_cycles, 100000);
    assert_int_equal(op.latency_us, 100);
    expect_latency(FLASHMODEL_OP_READ, 0, 256, &op,
                   13); /* 12.5 rounds to nearest, away from zero */
    /* erase_latency covers every erase size. */
    static const flashmodel_op_kind_t erases[] = {
        FLASHMODEL_OP_ERASE_SECTOR, FLASHMODEL_OP_ERASE_BLOCK, FLASHMODEL_OP_ERASE_CHIP};
    for (size_t i = 0; i < 3; i++) {
        expect_latency(erases[i], 0, 0, &op, 777);
    }
    bench_close();
    /* model still grows with wear: the datasheet maximum at rated endurance. */
    bench_open1("flash.initial_wear_cycles=100000");
    expect_latency(FLASHMODEL_OP_PROGRAM, 0, 16, &op, 3000);
    bench_close();
}

static void test_uniform_latency_covers_its_bounds(void **state)
{
    (void)state;
    draw_reads("flash.read_latency=uniform:10,20", DRAWS);
    uint64_t lo = UINT64_MAX, hi = 0, sum = 0;
    for (size_t i = 0; i < DRAWS; i++) {
        lo = draws[i] < lo ? draws[i] : lo;
        hi = draws[i] > hi ? draws[i] : hi;
        sum += draws[i];
    }
    assert_int_equal(lo, 10);
    assert_int_equal(hi, 20);
    assert_in_range(sum / DRAWS, 14, 16);
}

static void test_normal_latency_has_its_mean(void **state)
{
    (void)state;
    draw_reads("flash.read_latency=normal:500,50", DRAWS);
    uint64_t sum = 0, beyond_2sd = 0;
    for (size_t i = 0; i < DRAWS; i++) {
        sum += draws[i];
        beyond_2sd += draws[i] < 400 || draws[i] > 600;
    }
    assert_in_range(sum / DRAWS, 490, 510);
    assert_in_range(beyond_2sd, DRAWS / 40, DRAWS / 12); /* about 4.6 % */
}

static void test_lognormal_latency_has_its_median(void **state)
{
    (void)state;
    draw_reads("flash.read_latency=lognormal:1000,0.5", DRAWS);
    size_t below = 0;
    for (size_t i = 0; i < DRAWS; i++) {
        below += draws[i] < 1000;
    }
    assert_in_range(below, DRAWS * 45 / 100, DRAWS * 55 / 100);
}

/* Spike counts: every draw is base or spike, spikes at rate p. */
static void check_spikes(uint64_t base, uint64_t spike, unsigned p_percent)
{
    size_t spikes = 0;
    for (size_t i = 0; i < DRAWS; i++) {
        if (draws[i] != base && draws[i] != spike) {
            fail_msg("draw %zu is %llu: neither base %llu nor spike %llu", i,
                     (unsigned long long)draws[i], (unsigned long long)base,
                     (unsigned long long)spike);
        }
        spikes += draws[i] == spike;
    }
    size_t want = DRAWS * p_percent / 100, tol = DRAWS / 25;
    assert_in_range(spikes, want > tol ? want - tol : 0, want + tol);
}

static void test_spikes_replace_the_base_at_their_rate(void **state)
{
    (void)state;
    /* "SPIKE instead of BASE", not "BASE plus SPIKE". */
    draw_reads("flash.read_latency=spikes:100,0.25,1000", DRAWS);
    check_spikes(100, 1000, 25);
    /* A spike shorter than the base is still a replacement. */
    draw_reads("flash.read_latency=spikes:1000,0.25,100", DRAWS);
    check_spikes(1000, 100, 25);
    draw_reads("flash.read_latency=spikes:100,0,1000", DRAWS);
    check_spikes(100, 1000, 0);
    draw_reads("flash.read_latency=spikes:100,1,40", DRAWS);
    check_spikes(100, 40, 100);
}

static void test_trace_latencies_are_consumed_in_order(void **state)
{
    (void)state;
    /* latencies.csv: 120, 125.5, 0; latencies_header.csv: 100, 250.25. */
    const char *const sets[] = {"flash.erase_latency=trace:" DATA "/latencies.csv",
                                "flash.read_latency=trace:" DATA "/latencies_header.csv", NULL};
    bench_open(SMALL_FLASH, sets);
    assert_non_null(b.map.trace_us[CHUNKSIM_FLASHMAP_ERASE]);
    assert_non_null(b.map.trace_us[CHUNKSIM_FLASHMAP_READ]);
    assert_null(b.map.trace_us[CHUNKSIM_FLASHMAP_PROGRAM]);
    /* Erases of every size walk one sequence; reads their own. */
    static const struct {
        flashmodel_op_kind_t kind;
        uint64_t us;
    } seq[] = {
        {FLASHMODEL_OP_ERASE_SECTOR, 120}, {FLASHMODEL_OP_READ, 100},
        {FLASHMODEL_OP_ERASE_BLOCK, 126},  {FLASHMODEL_OP_ERASE_CHIP, 0},
        {FLASHMODEL_OP_READ, 250},         {FLASHMODEL_OP_ERASE_SECTOR, 120}, /* wrapped */
        {FLASHMODEL_OP_READ, 100},
    };
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        flashmodel_op_t op;
        assert_int_equal(bench_op(seq[i].kind, 0, 16, &op), 0);
        if (op.latency_us != seq[i].us) {
            fail_msg("op %zu (%s): latency %llu, want %llu", i,
                     flashmodel_op_kind_name(seq[i].kind), (unsigned long long)op.latency_us,
                     (unsigned long long)seq[i].us);
        }
    }
    bench_close();
}

/* ---- fault kinds -------------------------------------------------------------------- */

/* The op a scenario fault kind applies to, at addr. */
static int run_for_kind(chunksim_fault_kind_t kind, uint32_t addr, flashmodel_op_t *op)
{
    switch (kind) {
    case CHUNKSIM_FAULT_PROGRAM_FAIL:
    case CHUNKSIM_FAULT_SILENT_PROGRAM:
    case CHUNKSIM_FAULT_TORN_PROGRAM:
    case CHUNKSIM_FAULT_MISDIRECTED_WRITE:
    case CHUNKSIM_FAULT_BAD_SECTOR:
        return bench_op(FLASHMODEL_OP_PROGRAM, addr, 16, op);
    case CHUNKSIM_FAULT_ERASE_FAIL:
    case CHUNKSIM_FAULT_SILENT_ERASE:
    case CHUNKSIM_FAULT_WEAR_OUT:
        return bench_op(FLASHMODEL_OP_ERASE_SECTOR, addr, 0, op);
    default:
        return bench_read(addr, op);
    }
}

static void test_each_fault_kind_maps_and_fires(void **state)
{
    (void)state;
    static const struct {
        const char *rule;
        chunksim_fault_kind_t kind;
        flashmodel_fault_t fault;
        int status;
    } cases[] = {
        {"read_error", CHUNKSIM_FAULT_READ_ERROR, FLASHMODEL_FAULT_READ_ERROR, FLASHMODEL_E_READ},
        {"read_timeout", CHUNKSIM_FAULT_READ_TIMEOUT, FLASHMODEL_FAULT_READ_TIMEOUT,
         FLASHMODEL_E_TIMEOUT},
        {"read_late delay_us=500", CHUNKSIM_FAULT_READ_LATE, FLASHMODEL_FAULT_READ_TIMEOUT, 0},
        {"bitflip flips=3", CHUNKSIM_FAULT_BITFLIP, FLASHMODEL_FAULT_BITFLIP_TRANSIENT, 0},
        {"stuck_bit addr=0x10-0x1f flips=2", CHUNKSIM_FAULT_STUCK_BIT,
         FLASHMODEL_FAULT_BITFLIP_STUCK, 0},
        {"program_fail", CHUNKSIM_FAULT_PROGRAM_FAIL, FLASHMODEL_FAULT_PROGRAM_FAIL,
         FLASHMODEL_E_PROGRAM},
        {"erase_fail", CHUNKSIM_FAULT_ERASE_FAIL, FLASHMODEL_FAULT_ERASE_FAIL, FLASHMODEL_E_ERASE},
        {"silent_program", CHUNKSIM_FAULT_SILENT_PROGRAM, FLASHMODEL_FAULT_SILENT_PROGRAM, 0},
        {"silent_erase", CHUNKSIM_FAULT_SILENT_ERASE, FLASHMODEL_FAULT_SILENT_ERASE, 0},
        {"bad_sector addr=0", CHUNKSIM_FAULT_BAD_SECTOR, FLASHMODEL_FAULT_BAD_SECTOR,
         FLASHMODEL_E_PROGRAM},
        {"wear_out cycles=1", CHUNKSIM_FAULT_WEAR_OUT, FLASHMODEL_FAULT_WEAR_OUT,
         FLASHMODEL_E_ERASE},
        {"torn_program", CHUNKSIM_FAULT_TORN_PROGRAM, FLASHMODEL_FAULT_TORN_PROGRAM, 0},
        {"misdirected_write", CHUNKSIM_FAULT_MISDIRECTED_WRITE, FLASHMODEL_FAULT_MISDIRECTED_WRITE,
         0},
        {"power_loss op=0", CHUNKSIM_FAULT_POWER_LOSS, FLASHMODEL_FAULT_POWER_LOSS,
         FLASHMODEL_E_POWER},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char set[128];
        snprintf(set, sizeof set, "faults.fault=%s", cases[i].rule);
        const char *const sets[] = {set, "flash.initial_wear_cycles=1", NULL};
        bench_open(SMALL_FLASH, sets);
        assert_int_equal(b.map.cfg.faults.count, 1);
        assert_int_equal(b.map.rules[0].kind, cases[i].fault);
        flashmodel_op_t op;
        int status = run_for_kind(cases[i].kind, 0, &op);
        if (op.fault != cases[i].fault || status != cases[i].status) {
            fail_msg("%s: fault %s status %s, want %s %s", cases[i].rule,
                     flashmodel_fault_name(op.fault), flashmodel_errname(status),
                     flashmodel_fault_name(cases[i].fault), flashmodel_errname(cases[i].status));
        }
        assert_int_equal(op.fault_rule, 0);
        bench_close();
    }
}

static void test_read_late_and_timeout_deliver_as_the_scenario_says(void **state)
{
    (void)state;
    flashmodel_op_t op;
    bench_open1("faults.fault=read_late delay_us=500");
    assert_int_equal(flashmodel_read_begin(&b.fm, 0, 0, 256, &op), 0);
    assert_int_equal(op.end_us, op.device_end_us + 500);
    assert_int_equal(flashmodel_op_finish(&b.fm, &op, buf), 0);
    bench_close();
    bench_open1("faults.fault=read_timeout");
    assert_int_equal(flashmodel_read_begin(&b.fm, 0, 0, 256, &op), 0);
    assert_int_equal(op.end_us, FLASHMODEL_NEVER);
    assert_int_equal(flashmodel_op_finish(&b.fm, &op, buf), FLASHMODEL_E_TIMEOUT);
    bench_close();
}

static void test_bitflip_flips_the_given_number_of_bits(void **state)
{
    (void)state;
    bench_open1("faults.fault=bitflip flips=8");
    flashmodel_op_t op;
    assert_int_equal(bench_read(0, &op), 0);
    assert_int_equal(op.fault_count, 8);
    unsigned flipped = 0;
    for (size_t i = 0; i < 256; i++) {
        flipped += (unsigned)__builtin_popcount((unsigned)(uint8_t)~buf[i]);
    }
    assert_int_equal(flipped, 8);
    bench_close();
}

static void test_stuck_bits_stay_in_their_range_and_stay_flipped(void **state)
{
    (void)state;
    bench_open1("faults.fault=stuck_bit addr=0x110 flips=3");
    assert_int_equal(b.map.rules[0].addr, 0x110);
    assert_int_equal(b.map.rules[0].len, 1);
    flashmodel_op_t op;
    assert_int_equal(bench_read(0, &op), 0); /* does not touch 0x110 */
    assert_int_equal(op.fault, FLASHMODEL_FAULT_NONE);
    for (int pass = 0; pass < 3; pass++) {
        assert_int_equal(bench_read(0x100, &op), 0);
        assert_int_equal(op.fault,
                         pass == 0 ? FLASHMODEL_FAULT_BITFLIP_STUCK : FLASHMODEL_FAULT_NONE);
        /* Three bits of byte 0x110 read flipped, every time; no other byte. */
        for (size_t i = 0; i < 256; i++) {
            unsigned want = i == 0x10 ? 3 : 0;
            assert_int_equal(__builtin_popcount((unsigned)(uint8_t)~buf[i]), want);
        }
    }
    bench_close();
}

static void test_bad_sector_fails_writes_to_the_whole_sector_but_not_reads(void **state)
{
    (void)state;
    bench_open1("faults.fault=bad_sector addr=0x1100-0x1101");
    assert_int_equal(b.map.rules[0].addr, 0x1000);
    assert_int_equal(b.map.rules[0].len, 0x1000);
    flashmodel_op_t op;
    assert_int_equal(bench_op(FLASHMODEL_OP_PROGRAM, 0x1F00, 16, &op), FLASHMODEL_E_PROGRAM);
    assert_int_equal(bench_op(FLASHMODEL_OP_ERASE_SECTOR, 0x1000, 0, &op), FLASHMODEL_E_ERASE);
    assert_int_equal(bench_read(0x1100, &op), 0);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_NONE);
    assert_int_equal(bench_op(FLASHMODEL_OP_PROGRAM, 0x2000, 16, &op), 0);
    bench_close();
}

static void test_wear_out_counts_initial_wear(void **state)
{
    (void)state;
    /* Sectors start at 4 cycles and survive 5: the first erase is fine, the second fails. */
    const char *const sets[] = {"flash.initial_wear_cycles=4", "faults.fault=wear_out cycles=5",
                                NULL};
    bench_open(SMALL_FLASH, sets);
    flashmodel_op_t op;
    assert_int_equal(bench_op(FLASHMODEL_OP_ERASE_SECTOR, 0, 0, &op), 0);
    assert_int_equal(bench_op(FLASHMODEL_OP_ERASE_SECTOR, 0, 0, &op), FLASHMODEL_E_ERASE);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_WEAR_OUT);
    bench_close();
}

/* ---- triggers and on= ---------------------------------------------------------------- */

/* Issues reads (R), programs (P) and sector erases (E) per script; returns a mask of faulted ops.
 */
static uint32_t faulted_ops(const char *script)
{
    uint32_t mask = 0;
    for (size_t i = 0; script[i] != '\0'; i++) {
        flashmodel_op_t op;
        flashmodel_op_kind_t kind = script[i] == 'R'   ? FLASHMODEL_OP_READ
                                    : script[i] == 'P' ? FLASHMODEL_OP_PROGRAM
                                                       : FLASHMODEL_OP_ERASE_SECTOR;
        (void)bench_op(kind, (uint32_t)(i % 8) * 0x1000u, 16, &op);
        mask |= (op.fault != FLASHMODEL_FAULT_NONE) ? 1u << i : 0;
    }
    return mask;
}

static void test_each_trigger_selects_the_ops_the_scenario_names(void **state)
{
    (void)state;
    static const struct {
        const char *rule;
        const char *script;
        uint32_t faulted;
    } cases[] = {
        {"read_error", "RRPR", 0xB},
        {"read_error rate=0", "RRRR", 0x0},
        {"read_error rate=1", "RRRR", 0xF},
        {"read_error op=2", "RRRRR", 0x4},
        {"read_error op=2", "RRPRR", 0x0}, /* op 2 is not a read: nothing */
        {"read_error from_op=2", "RRPRR", 0x18},
        {"read_error addr=0x100f-0x2000", "RRRR", 0x6}, /* reads at 0x1000, 0x2000 touch it */
        {"read_error on=read op=2", "RPRPRR", 0x10},    /* the third read */
        {"read_error on=read from_op=1", "RPRPR", 0x14},
        {"program_fail on=program op=1", "PRRPP", 0x8},
        {"erase_fail on=erase op=0", "RRPEE", 0x8},
        {"erase_fail op=3", "RRPEE", 0x8},
        {"erase_fail op=2", "RRPEE", 0x0},
        {"power_loss on=read op=1", "PRRP", 0x4}, /* the second read; then no power */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char set[128];
        snprintf(set, sizeof set, "faults.fault=%s", cases[i].rule);
        bench_open1(set);
        uint32_t got = faulted_ops(cases[i].script);
        if (got != cases[i].faulted) {
            fail_msg("%s on %s: faulted 0x%x, want 0x%x", cases[i].rule, cases[i].script, got,
                     cases[i].faulted);
        }
        bench_close();
    }
}

static void test_time_triggers_select_ops_starting_at_or_after_the_time(void **state)
{
    (void)state;
    flashmodel_op_t op;
    bench_open1("faults.fault=read_error at_us=1000");
    b.now = 500;
    assert_int_equal(bench_read(0, &op), 0);
    b.now = 1000;
    assert_int_equal(bench_read(0, &op), FLASHMODEL_E_READ);
    assert_int_equal(bench_read(0, &op), 0); /* one shot */
    bench_close();

    bench_open1("faults.fault=read_error after_us=1000");
    b.now = 500;
    assert_int_equal(bench_read(0, &op), 0);
    b.now = 1000;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(bench_read(0, &op), FLASHMODEL_E_READ);
    }
    bench_close();
}

static void test_power_loss_at_us_is_an_instant(void **state)
{
    (void)state;
    bench_open1("faults.fault=power_loss at_us=5000");
    flashmodel_op_t op;
    assert_int_equal(bench_op(FLASHMODEL_OP_ERASE_SECTOR, 0, 0, &op), FLASHMODEL_E_POWER);
    assert_int_equal(op.cut_us, 5000);
    assert_int_equal(op.end_us, 5000);
    assert_false(flashmodel_powered(&b.fm, 5000));
    bench_close();
}

static void test_power_loss_on_erase_op_0_cuts_the_first_erase_not_the_reads(void **state)
{
    (void)state;
    if (chunksim_scenario_load(&b.sc, LIBRARY "/power_loss_erase.ini", err, sizeof err) != 0) {
        fail_msg("load failed: %s", err);
    }
    bench_open_sc();
    flashmodel_op_t op;
    for (int i = 0; i < 20; i++) {
        assert_int_equal(bench_read((uint32_t)i * 256u, &op), 0);
        assert_int_equal(op.fault, FLASHMODEL_FAULT_NONE);
    }
    assert_int_equal(bench_op(FLASHMODEL_OP_ERASE_SECTOR, 0, 0, &op), FLASHMODEL_E_POWER);
    assert_int_equal(op.index, 20);
    assert_int_equal(op.fault, FLASHMODEL_FAULT_POWER_LOSS);
    assert_gt(op.cut_us, op.start_us);
    assert_lt(op.cut_us, op.start_us + 45000);
    assert_int_equal(flashmodel_counters(&b.fm)->power_losses, 1);
    bench_close();
}

/* ---- what the model cannot express ----------------------------------------------------- */

/* One rule, bent past what validation allows, must fail to map with want in the message. */
static void expect_rule_error(chunksim_fault_rule_t rule, const char *want)
{
    chunksim_scenario_t sc;
    raw_scenario(&sc);
    sc.faults.rules = &rule;
    sc.faults.count = 1;
    expect_build_error(&sc, want);
    sc.faults.rules = NULL; /* the test's, not the scenario's */
    sc.faults.count = 0;
    chunksim_scenario_free(&sc);
}

/* The scenario refuses flips= above the model's limit; a struct bent past it still fails here. */
static void test_more_flips_than_the_model_holds_name_the_line(void **state)
{
    (void)state;
    chunksim_fault_rule_t r = {.kind = CHUNKSIM_FAULT_BITFLIP, .flips = 9, .line = 5};
    expect_rule_error(r, "scenario line 5: fault bitflip: cannot flip more than 8 bits per "
                         "read (flips=9)");
    r = (chunksim_fault_rule_t){
        .kind = CHUNKSIM_FAULT_STUCK_BIT, .trigger = CHUNKSIM_TRIGGER_ADDR, .flips = 64};
    expect_rule_error(r, "scenario override (--set faults.fault): fault stuck_bit: cannot flip "
                         "more than 8 bits");
}

static void test_rules_the_model_cannot_express_are_errors(void **state)
{
    (void)state;
    chunksim_fault_rule_t r = {.kind = CHUNKSIM_FAULT_READ_LATE, .delay_us = 0, .line = 7};
    expect_rule_error(r, "scenario line 7: fault read_late: cannot arrive 0 us late");
    r = (chunksim_fault_rule_t){.kind = CHUNKSIM_FAULT_READ_ERROR,
                                .trigger = CHUNKSIM_TRIGGER_ADDR,
                                .addr_first = 0,
                                .addr_last = 1u << 20,
                                .line = 8};
    expect_rule_error(r, "scenario line 8: fault read_error: cannot use addr=0x0-0x100000");
    r.addr_first = 2;
    r.addr_last = 1;
    expect_rule_error(r, "not a range inside the 1048576-byte flash");
    r = (chunksim_fault_rule_t){.kind = CHUNKSIM_FAULT_READ_ERROR,
                                .trigger = CHUNKSIM_TRIGGER_RATE,
                                .rate = 1.5,
                                .line = 9};
    expect_rule_error(r, "scenario line 9: fault read_error: cannot be expressed: the flash "
                         "model refuses the rule");
    r = (chunksim_fault_rule_t){
        .kind = CHUNKSIM_FAULT_READ_ERROR, .trigger = (chunksim_fault_trigger_t)99, .line = 10};
    expect_rule_error(r, "scenario line 10: fault read_error: cannot use trigger 99: unknown");
    r = (chunksim_fault_rule_t){.kind = CHUNKSIM_FAULT_KIND_COUNT, .line = 11};
    expect_rule_error(r, "scenario line 11: fault ?: cannot map kind 14: unknown");
}

/* ---- the starter library ----------------------------------------------------------------- */

static void test_every_starter_scenario_maps_and_the_model_accepts_it(void **state)
{
    (void)state;
    DIR *dir = opendir(LIBRARY);
    assert_non_null(dir);
    int seen = 0;
    for (struct dirent *e = readdir(dir); e != NULL; e = readdir(dir)) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 4, ".ini") != 0) {
            continue;
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", LIBRARY, e->d_name);
        if (chunksim_scenario_load(&b.sc, path, err, sizeof err) != 0) {
            fail_msg("%s: %s", path, err);
        }
        if (chunksim_flashmap_build(&b.map, &b.sc, SEED, err, sizeof err) != 0) {
            fail_msg("%s: %s", path, err);
        }
        assert_int_equal(b.map.cfg.faults.count, b.sc.faults.count);
        if (flashmodel_init(&b.fm, &b.map.cfg) != 0) {
            fail_msg("%s: the flash model refuses the config", path);
        }
        assert_int_equal(chunksim_flashmap_apply_wear(&b.fm, &b.sc), 0);
        assert_int_equal(flashmodel_erase_count(&b.fm, 0), b.sc.flash.initial_wear_cycles);
        bench_close();
        seen++;
    }
    closedir(dir);
    assert_ge(seen, 14);
}

/* ---- lifetime ------------------------------------------------------------------------------ */

static void test_free_is_safe_on_zeroed_and_freed_maps(void **state)
{
    (void)state;
    chunksim_flashmap_t map;
    memset(&map, 0, sizeof(map));
    chunksim_flashmap_free(&map);
    chunksim_flashmap_free(NULL);
    chunksim_scenario_t sc;
    const char *const sets[] = {"faults.fault=read_error",
                                "flash.read_latency=trace:" DATA "/latencies.csv", NULL};
    scenario_ok(&sc, SMALL_FLASH, sets);
    assert_int_equal(chunksim_flashmap_build(&map, &sc, SEED, err, sizeof err), 0);
    chunksim_flashmap_free(&map);
    assert_null(map.rules);
    assert_null(map.trace_us[CHUNKSIM_FLASHMAP_READ]);
    chunksim_flashmap_free(&map);
    assert_int_equal(chunksim_flashmap_build(NULL, &sc, SEED, err, sizeof err), -EINVAL);
    assert_err_has("no map or no scenario");
    assert_int_equal(chunksim_flashmap_apply_wear(NULL, &sc), FLASHMODEL_E_INVAL);
    chunksim_scenario_free(&sc);
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_defaults_map_to_the_datasheet_part),
    cmocka_unit_test(test_named_part_maps_its_whole_row),
    cmocka_unit_test(test_flash_keys_map_onto_the_part_and_policies),
    cmocka_unit_test(test_read_commands_give_the_bus_time_of_a_256_byte_read),
    cmocka_unit_test(test_what_the_part_cannot_be_is_an_error),
    cmocka_unit_test(test_fixed_latency_is_always_its_value_even_on_a_worn_part),
    cmocka_unit_test(test_uniform_latency_covers_its_bounds),
    cmocka_unit_test(test_normal_latency_has_its_mean),
    cmocka_unit_test(test_lognormal_latency_has_its_median),
    cmocka_unit_test(test_spikes_replace_the_base_at_their_rate),
    cmocka_unit_test(test_trace_latencies_are_consumed_in_order),
    cmocka_unit_test(test_each_fault_kind_maps_and_fires),
    cmocka_unit_test(test_read_late_and_timeout_deliver_as_the_scenario_says),
    cmocka_unit_test(test_bitflip_flips_the_given_number_of_bits),
    cmocka_unit_test(test_stuck_bits_stay_in_their_range_and_stay_flipped),
    cmocka_unit_test(test_bad_sector_fails_writes_to_the_whole_sector_but_not_reads),
    cmocka_unit_test(test_wear_out_counts_initial_wear),
    cmocka_unit_test(test_each_trigger_selects_the_ops_the_scenario_names),
    cmocka_unit_test(test_time_triggers_select_ops_starting_at_or_after_the_time),
    cmocka_unit_test(test_power_loss_at_us_is_an_instant),
    cmocka_unit_test(test_power_loss_on_erase_op_0_cuts_the_first_erase_not_the_reads),
    cmocka_unit_test(test_more_flips_than_the_model_holds_name_the_line),
    cmocka_unit_test(test_rules_the_model_cannot_express_are_errors),
    cmocka_unit_test(test_every_starter_scenario_maps_and_the_model_accepts_it),
    cmocka_unit_test(test_free_is_safe_on_zeroed_and_freed_maps),
})
