/*
 * chunksim_scenario: defaults, every key, units, every error class with its
 * file:line and key, overrides and the recorded text, trace CSVs, copies,
 * and the starter library in scenarios/.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"

#include "chunksim/scenario.h"
#include "flashmodel/part.h"

#define DATA SCENARIO_TEST_DATA_DIR

static char err[CHUNKSIM_SCENARIO_ERR_BYTES];

/*
 * The scenario a case loads into: set to the defaults before the case and
 * freed after it, a failed one too (T() in main).
 */
static chunksim_scenario_t sc;

static int setup(void **state)
{
    (void)state;
    chunksim_scenario_defaults(&sc);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    chunksim_scenario_free(&sc);
    return 0;
}

/* Loads text as "t.ini" from the data directory (relative paths resolve there). */
static int load(chunksim_scenario_t *sc, const char *text)
{
    err[0] = '\0';
    return chunksim_scenario_load_string(sc, text, "t.ini", DATA, err, sizeof err);
}

static void load_ok(chunksim_scenario_t *sc, const char *text)
{
    if (load(sc, text) != 0)
        fail_msg("load failed: %s", err);
}

static void assert_err_has(const char *want)
{
    if (strstr(err, want) == NULL)
        fail_msg("error \"%s\"\n  lacks \"%s\"", err, want);
}

/* The load fails with -EINVAL, the message holds every wanted piece, nothing leaks. */
static void expect_error(const char *text, const char *want1, const char *want2)
{
    chunksim_scenario_t sc;
    int rc = load(&sc, text);
    if (rc != -EINVAL)
        fail_msg("expected -EINVAL, got %d for:\n%s", rc, text);
    assert_err_has(want1);
    if (want2 != NULL)
        assert_err_has(want2);
    assert_null(sc.record);
    assert_null(sc.faults.rules);
}

/* Makes a file from the mkstemp() template path (rewritten to its name) holding text[0..len). */
static void write_temp(char *path, const char *text, size_t len)
{
    int fd = mkstemp(path);
    assert_ge(fd, 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static void set_ok(chunksim_scenario_t *sc, const char *key, const char *value)
{
    if (chunksim_scenario_set(sc, key, value, err, sizeof err) != 0)
        fail_msg("set %s=%s failed: %s", key, value, err);
}

/* ---- defaults --------------------------------------------------------- */

static void test_defaults_are_the_documented_values(void **state)
{
    (void)state;
    chunksim_scenario_defaults(&sc);

    assert_string_equal(sc.run.name, "unnamed");
    assert_string_equal(sc.run.description, "");
    assert_int_equal(sc.run.seed, 1);
    assert_int_equal(sc.run.mode, CHUNKSIM_SCHED_VIRTUAL);
    assert_eq(sc.run.realtime_scale, 1.0);
    assert_int_equal(sc.run.max_sim_us, 600000000u);
    assert_int_equal(sc.run.expect, CHUNKSIM_EXPECT_NONE);

    assert_int_equal(sc.coredump.size_bytes, 65536);
    assert_int_equal(sc.coredump.content, CHUNKSIM_IMAGE_RANDOM);
    assert_int_equal(sc.coredump.pattern_bytes, 4);
    assert_memory_equal(sc.coredump.pattern, "\xDE\xAD\xBE\xEF", 4);
    assert_null(sc.coredump.file_path);
    assert_int_equal(sc.coredump.storage_bytes, 65536);
    assert_int_equal(sc.coredump.storage_offset_bytes, 0);
    assert_string_equal(sc.coredump.project_key, "");
    assert_false(sc.coredump.rle);
    assert_int_equal(sc.coredump.zero_percent, 60);

    assert_int_equal(sc.flash.size_bytes, 16u * 1024 * 1024);
    assert_int_equal(sc.flash.page_bytes, 256);
    assert_int_equal(sc.flash.sector_bytes, 4096);
    assert_int_equal(sc.flash.block_bytes, 65536);
    assert_int_equal(sc.flash.read_command, CHUNKSIM_READ_CMD_READ);
    assert_int_equal(sc.flash.bus_clock_hz, 50000000);
    assert_int_equal(sc.flash.data_lines, 1);
    assert_int_equal(sc.flash.dummy_cycles, 0);
    assert_int_equal(sc.flash.page_program_typ_us, 400);
    assert_int_equal(sc.flash.page_program_max_us, 3000);
    assert_int_equal(sc.flash.sector_erase_typ_us, 45000);
    assert_int_equal(sc.flash.sector_erase_max_us, 400000);
    assert_int_equal(sc.flash.block_erase_typ_us, 150000);
    assert_int_equal(sc.flash.block_erase_max_us, 2000000);
    assert_int_equal(sc.flash.chip_erase_typ_us, 40000000);
    assert_int_equal(sc.flash.chip_erase_max_us, 200000000);
    assert_int_equal(sc.flash.endurance_cycles, 100000);
    assert_int_equal(sc.flash.initial_wear_cycles, 0);
    assert_int_equal(sc.flash.busy_policy, FLASHMODEL_BUSY_QUEUE);
    assert_true(sc.flash.page_wrap);
    assert_false(sc.flash.refuse_double_program);
    assert_int_equal(sc.flash.read_latency.kind, CHUNKSIM_LATENCY_MODEL);
    assert_int_equal(sc.flash.program_latency.kind, CHUNKSIM_LATENCY_MODEL);
    assert_int_equal(sc.flash.erase_latency.kind, CHUNKSIM_LATENCY_MODEL);

    assert_int_equal(sc.faults.count, 0);
    assert_null(sc.faults.rules);

    assert_int_equal(sc.reader.kind, CHUNKSIM_READER_SINGLE);
    assert_int_equal(sc.reader.window_bytes, 4096);
    assert_int_equal(sc.reader.clear_policy, CHUNKSIM_CLEAR_ON_LAST_READ);
    assert_int_equal(sc.reader.read_timeout_us, 1000000);
    assert_int_equal(sc.reader.max_retries, 3);

    assert_int_equal(sc.link.kind, CHUNKSIM_LINK_BLE);
    assert_int_equal(sc.link.att_mtu, 23);
    assert_int_equal(sc.link.conn_interval_us, 30000);
    assert_int_equal(sc.link.packets_per_event, 4);
    assert_int_equal(sc.link.phy, CHUNKSIM_PHY_1M);
    assert_eq(sc.link.loss_rate, 0.0);
    assert_eq(sc.link.disconnect_at_us, CHUNKSIM_SCENARIO_NEVER);
    assert_eq(sc.link.disconnect_after_chunk, CHUNKSIM_SCENARIO_NEVER);
    assert_eq(sc.link.reconnect_after_us, CHUNKSIM_SCENARIO_NEVER);
    assert_int_equal(sc.link.chunk_bytes, 20);
    assert_int_equal(sc.link.bandwidth_bytes_per_s, 1000000);
    assert_int_equal(sc.link.latency_us, 5000);

    assert_null(sc.record);
    assert_string_equal(chunksim_scenario_text(&sc), "");
}

static void test_empty_file_gives_defaults_named_after_file(void **state)
{
    (void)state;
    load_ok(&sc, "; nothing but a comment\n");
    assert_string_equal(sc.run.name, "t");
    assert_int_equal(sc.link.chunk_bytes, 20);
    assert_string_equal(chunksim_scenario_text(&sc), "; nothing but a comment\n");
    chunksim_scenario_free(&sc);

    assert_int_equal(chunksim_scenario_load(&sc, DATA "/sub/trace_relative.ini", err, sizeof err),
                     0);
    assert_string_equal(sc.run.name, "trace_relative");
}

static void test_derived_defaults_follow_their_keys(void **state)
{
    (void)state;
    load_ok(&sc, "[flash]\nread_command = fast\n[link]\natt_mtu = 185\n[coredump]\n"
                 "size_bytes = 5000\n");
    assert_int_equal(sc.flash.bus_clock_hz, 133000000);
    assert_int_equal(sc.flash.dummy_cycles, 8);
    assert_int_equal(sc.link.chunk_bytes, 182);
    assert_int_equal(sc.coredump.storage_bytes, 8192); /* rounded up to the sector */
    chunksim_scenario_free(&sc);

    load_ok(&sc, "[link]\nkind = network\n");
    assert_int_equal(sc.link.chunk_bytes, 1024);
    chunksim_scenario_free(&sc);

    /* A notification carries at most 512 bytes, the longest attribute value. */
    load_ok(&sc, "[link]\natt_mtu = 517\n");
    assert_int_equal(sc.link.chunk_bytes, 512);
}

/* ---- every key -------------------------------------------------------- */

static void test_every_key_lands_in_its_field(void **state)
{
    (void)state;
    if (chunksim_scenario_load(&sc, DATA "/all_keys.ini", err, sizeof err) != 0)
        fail_msg("%s", err);

    assert_string_equal(sc.run.name, "every_key");
    assert_string_equal(sc.run.description, "all keys set");
    assert_eq(sc.run.seed, UINT64_MAX);
    assert_int_equal(sc.run.mode, CHUNKSIM_SCHED_REALTIME);
    assert_eq(sc.run.realtime_scale, 0.5);
    assert_int_equal(sc.run.max_sim_us, 90000000);
    assert_int_equal(sc.run.expect, CHUNKSIM_EXPECT_VIOLATION);

    assert_int_equal(sc.coredump.size_bytes, 91);
    assert_int_equal(sc.coredump.content, CHUNKSIM_IMAGE_FILE);
    assert_int_equal(sc.coredump.pattern_bytes, 4);
    assert_memory_equal(sc.coredump.pattern, "\x01\x02\xA0\xFF", 4);
    assert_string_equal(sc.coredump.file_path, DATA "/payload.bin");
    assert_int_equal(sc.coredump.file_bytes, 63);
    assert_memory_equal(sc.coredump.file_data, "coredump payload", 16);
    assert_int_equal(sc.coredump.storage_bytes, 8192);
    assert_int_equal(sc.coredump.storage_offset_bytes, 1048576);
    assert_string_equal(sc.coredump.project_key, "abcdef0123456789abcdef0123456789");
    assert_true(sc.coredump.rle);
    assert_int_equal(sc.coredump.zero_percent, 35);

    assert_int_equal(sc.flash.size_bytes, 32u * 1024 * 1024);
    assert_int_equal(sc.flash.page_bytes, 512);
    assert_int_equal(sc.flash.sector_bytes, 8192);
    assert_int_equal(sc.flash.block_bytes, 131072);
    assert_int_equal(sc.flash.read_command, CHUNKSIM_READ_CMD_FAST);
    assert_int_equal(sc.flash.bus_clock_hz, 104000000);
    assert_int_equal(sc.flash.data_lines, 2);
    assert_int_equal(sc.flash.dummy_cycles, 6);
    assert_int_equal(sc.flash.page_program_typ_us, 700);
    assert_int_equal(sc.flash.page_program_max_us, 5000);
    assert_int_equal(sc.flash.sector_erase_typ_us, 60000);
    assert_int_equal(sc.flash.sector_erase_max_us, 500000);
    assert_int_equal(sc.flash.block_erase_typ_us, 200000);
    assert_int_equal(sc.flash.block_erase_max_us, 3000000);
    assert_int_equal(sc.flash.chip_erase_typ_us, 50000000);
    assert_int_equal(sc.flash.chip_erase_max_us, 250000000);
    assert_int_equal(sc.flash.endurance_cycles, 10000);
    assert_int_equal(sc.flash.initial_wear_cycles, 500);
    assert_int_equal(sc.flash.busy_policy, FLASHMODEL_BUSY_SUSPEND);
    assert_false(sc.flash.page_wrap);
    assert_true(sc.flash.refuse_double_program);
    assert_int_equal(sc.flash.read_latency.kind, CHUNKSIM_LATENCY_TRACE);
    assert_string_equal(sc.flash.read_latency.trace.path, DATA "/latencies_header.csv");
    assert_int_equal(sc.flash.read_latency.trace.count, 2);
    assert_int_equal(sc.flash.program_latency.kind, CHUNKSIM_LATENCY_LOGNORMAL);
    assert_eq(sc.flash.program_latency.lognormal.median_us, 450);
    assert_eq(sc.flash.program_latency.lognormal.sigma, 0.25);
    assert_int_equal(sc.flash.erase_latency.kind, CHUNKSIM_LATENCY_SPIKES);
    assert_eq(sc.flash.erase_latency.spikes.base_us, 45000);
    assert_eq(sc.flash.erase_latency.spikes.probability, 0.01);
    assert_eq(sc.flash.erase_latency.spikes.spike_us, 400000);

    assert_int_equal(sc.reader.kind, CHUNKSIM_READER_DOUBLE);
    assert_int_equal(sc.reader.window_bytes, 2048);
    assert_int_equal(sc.reader.clear_policy, CHUNKSIM_CLEAR_ON_CONFIRM);
    assert_int_equal(sc.reader.read_timeout_us, 0);
    assert_int_equal(sc.reader.max_retries, 9);

    assert_int_equal(sc.link.kind, CHUNKSIM_LINK_BLE);
    assert_int_equal(sc.link.att_mtu, 247);
    assert_int_equal(sc.link.conn_interval_us, 7500);
    assert_int_equal(sc.link.packets_per_event, 6);
    assert_int_equal(sc.link.phy, CHUNKSIM_PHY_2M);
    assert_eq(sc.link.loss_rate, 0.02);
    assert_int_equal(sc.link.disconnect_at_us, 2000000);
    assert_int_equal(sc.link.disconnect_after_chunk, 17);
    assert_int_equal(sc.link.reconnect_after_us, 250000);
    assert_int_equal(sc.link.chunk_bytes, 200);
    assert_int_equal(sc.link.bandwidth_bytes_per_s, 2097152);
    assert_int_equal(sc.link.latency_us, 1250);
}

static void test_fault_rules_keep_kind_trigger_filter_and_params(void **state)
{
    (void)state;
    if (chunksim_scenario_load(&sc, DATA "/all_keys.ini", err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(sc.faults.count, 8);
    const chunksim_fault_rule_t *r = sc.faults.rules;

    assert_int_equal(r[0].kind, CHUNKSIM_FAULT_READ_LATE);
    assert_int_equal(r[0].trigger, CHUNKSIM_TRIGGER_RATE);
    assert_eq(r[0].rate, 0.1);
    assert_int_equal(r[0].delay_us, 2000);
    assert_int_equal(r[0].on, CHUNKSIM_ON_ANY);
    assert_int_equal(r[0].line, 49);

    assert_int_equal(r[1].kind, CHUNKSIM_FAULT_POWER_LOSS);
    assert_int_equal(r[1].trigger, CHUNKSIM_TRIGGER_OP);
    assert_int_equal(r[1].on, CHUNKSIM_ON_ERASE);
    assert_int_equal(r[1].op_index, 0);

    assert_int_equal(r[2].kind, CHUNKSIM_FAULT_STUCK_BIT);
    assert_int_equal(r[2].trigger, CHUNKSIM_TRIGGER_ADDR);
    assert_int_equal(r[2].addr_first, 0x100);
    assert_int_equal(r[2].addr_last, 0x1FF);
    assert_int_equal(r[2].flips, 3);

    assert_int_equal(r[3].kind, CHUNKSIM_FAULT_WEAR_OUT);
    assert_int_equal(r[3].addr_first, 4096);
    assert_int_equal(r[3].addr_last, 4096);
    assert_int_equal(r[3].cycles, 9000);

    assert_int_equal(r[4].kind, CHUNKSIM_FAULT_PROGRAM_FAIL);
    assert_int_equal(r[4].trigger, CHUNKSIM_TRIGGER_AFTER_US);
    assert_int_equal(r[4].time_us, 1500000);
    assert_int_equal(r[4].on, CHUNKSIM_ON_PROGRAM);

    assert_int_equal(r[5].kind, CHUNKSIM_FAULT_BITFLIP);
    assert_int_equal(r[5].trigger, CHUNKSIM_TRIGGER_FROM_OP);
    assert_int_equal(r[5].op_index, 12);
    assert_int_equal(r[5].flips, 1); /* default */

    assert_int_equal(r[6].kind, CHUNKSIM_FAULT_SILENT_ERASE);
    assert_int_equal(r[6].trigger, CHUNKSIM_TRIGGER_AT_US);
    assert_int_equal(r[6].time_us, 250000);

    assert_int_equal(r[7].kind, CHUNKSIM_FAULT_MISDIRECTED_WRITE);
    assert_int_equal(r[7].trigger, CHUNKSIM_TRIGGER_ALWAYS);
}

static void test_every_fault_kind_is_accepted_with_a_valid_trigger(void **state)
{
    (void)state;
    static const char *const rules[] = {
        "read_error",           "read_timeout op=3",
        "read_late delay_us=5", "bitflip rate=0.5",
        "stuck_bit addr=0x10",  "program_fail op=1",
        "erase_fail",           "silent_program from_op=2",
        "silent_erase rate=1",  "bad_sector addr=0-4095",
        "wear_out cycles=10",   "torn_program at_us=3ms",
        "misdirected_write",    "power_loss at_us=1s",
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        set_ok(&sc, "faults.fault", rules[i]);
        assert_int_equal(sc.faults.rules[i].kind, (int)i);
        assert_int_equal(sc.faults.rules[i].line, 0);
    }
    assert_int_equal(sc.faults.count, CHUNKSIM_FAULT_KIND_COUNT);
    set_ok(&sc, "faults.fault", "none");
    assert_int_equal(sc.faults.count, 0);
}

static void test_keyword_names_match_the_file_spelling(void **state)
{
    (void)state;
    assert_string_equal(chunksim_expect_name(CHUNKSIM_EXPECT_OK), "ok");
    assert_string_equal(chunksim_expect_name(CHUNKSIM_EXPECT_INCOMPLETE), "incomplete");
    assert_string_equal(chunksim_expect_name(CHUNKSIM_EXPECT_NONE), "none");
    assert_string_equal(chunksim_expect_name((chunksim_expect_t)99), "?");
    assert_string_equal(chunksim_fault_kind_name(CHUNKSIM_FAULT_TORN_PROGRAM), "torn_program");
    assert_string_equal(chunksim_fault_kind_name(CHUNKSIM_FAULT_KIND_COUNT), "?");
    assert_string_equal(chunksim_fault_trigger_name(CHUNKSIM_TRIGGER_FROM_OP), "from_op");
    assert_string_equal(chunksim_fault_trigger_name(CHUNKSIM_TRIGGER_ALWAYS), "always");
    assert_string_equal(chunksim_fault_trigger_name((chunksim_fault_trigger_t)42), "?");
}

/* ---- value syntax ----------------------------------------------------- */

static void test_byte_time_and_frequency_suffixes_scale(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value;
        uint64_t want;
    } cases[] = {
        {"reader.window_bytes", "4096", 4096},
        {"reader.window_bytes", "4K", 4096},
        {"reader.window_bytes", "4KiB", 4096},
        {"reader.window_bytes", "1M", 1048576},
        {"reader.window_bytes", "2 MiB", 2097152},
        {"reader.window_bytes", "0.5K", 512},
        {"reader.window_bytes", "0x100", 256},
        {"reader.read_timeout_us", "250", 250},
        {"reader.read_timeout_us", "250us", 250},
        {"reader.read_timeout_us", "7.5ms", 7500},
        {"reader.read_timeout_us", "2s", 2000000},
        {"reader.read_timeout_us", "0.000001s", 1},
        {"flash.bus_clock_hz", "20MHz", 20000000},
        {"flash.bus_clock_hz", "400kHz", 400000},
        {"flash.bus_clock_hz", "1000Hz", 1000},
        {"flash.bus_clock_hz", "33.3MHz", 33300000},
        {"run.seed", "18446744073709551615", UINT64_MAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        set_ok(&sc, cases[i].key, cases[i].value);
        uint64_t got = strcmp(cases[i].key, "reader.window_bytes") == 0  ? sc.reader.window_bytes
                       : strcmp(cases[i].key, "flash.bus_clock_hz") == 0 ? sc.flash.bus_clock_hz
                       : strcmp(cases[i].key, "run.seed") == 0           ? sc.run.seed
                                                               : sc.reader.read_timeout_us;
        if (got != cases[i].want)
            fail_msg("%s = %s gave %llu, want %llu", cases[i].key, cases[i].value,
                     (unsigned long long)got, (unsigned long long)cases[i].want);
    }
}

static void test_numbers_that_are_not_whole_or_too_big_are_refused(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value;
    } bad[] = {
        {"reader.window_bytes", "1.5"},
        {"reader.window_bytes", "4 kB"},
        {"reader.window_bytes", "-4096"},
        {"reader.window_bytes", "0x"},
        {"reader.window_bytes", "0x1K"},
        {"reader.window_bytes", "4."},
        {"reader.window_bytes", "1.0000000000000000001K"},
        {"reader.read_timeout_us", "1.5us"},
        {"reader.read_timeout_us", "5 min"},
        {"run.seed", "18446744073709551616"},
        {"run.seed", "0x1FFFFFFFFFFFFFFFF"},
        {"run.max_sim_us", "99999999999999999999s"},
        {"run.max_sim_us", "18446744073709551615s"},
        {"run.seed", ""},
        {"reader.read_timeout_us", "18446744073709.9s"}, /* the fraction overflows */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (chunksim_scenario_set(&sc, bad[i].key, bad[i].value, err, sizeof err) != -EINVAL)
            fail_msg("%s = %s was accepted", bad[i].key, bad[i].value);
        assert_err_has("must be");
    }
    assert_int_equal(sc.reader.window_bytes, 4096); /* a refused value changes nothing */
}

static void test_booleans_accept_every_documented_spelling(void **state)
{
    (void)state;
    static const char *const yes[] = {"true", "yes", "1", "TRUE", "Yes"};
    static const char *const no[] = {"false", "no", "0", "False", "NO"};
    for (size_t i = 0; i < 5; i++) {
        set_ok(&sc, "coredump.rle", yes[i]);
        assert_true(sc.coredump.rle);
        set_ok(&sc, "coredump.rle", no[i]);
        assert_false(sc.coredump.rle);
    }
    assert_int_equal(chunksim_scenario_set(&sc, "coredump.rle", "on", err, sizeof err), -EINVAL);
    assert_err_has("must be true or false (also yes/no, 1/0)");
}

/* A RAM-like coredump for RLE: content = ram and the share of zero-filled stretches. */
static void test_ram_content_and_its_zero_percent(void **state)
{
    (void)state;
    set_ok(&sc, "coredump.content", "ram");
    assert_int_equal(sc.coredump.content, CHUNKSIM_IMAGE_RAM);
    set_ok(&sc, "coredump.zero_percent", "100");
    assert_int_equal(sc.coredump.zero_percent, 100);
    set_ok(&sc, "coredump.zero_percent", "0");
    assert_int_equal(sc.coredump.zero_percent, 0);
    assert_int_equal(chunksim_scenario_set(&sc, "coredump.zero_percent", "101", err, sizeof err),
                     -EINVAL);
}

static void test_comments_indentation_crlf_and_bom_are_tolerated(void **state)
{
    (void)state;
    load_ok(&sc, "\xEF\xBB\xBF; BOM, then a comment\r\n"
                 "# hash comment\r\n"
                 "[run] ; section comment\r\n"
                 "   seed = 4   ; inline comment\r\n"
                 "\tmode = realtime\r\n"
                 "  \r\n"
                 "[link]\r\n"
                 "    kind = network\r\n");
    assert_int_equal(sc.run.seed, 4);
    assert_int_equal(sc.run.mode, CHUNKSIM_SCHED_REALTIME);
    assert_int_equal(sc.link.kind, CHUNKSIM_LINK_NETWORK);
}

static void test_never_and_last_spell_the_sentinels(void **state)
{
    (void)state;
    load_ok(&sc, "[link]\ndisconnect_at_us = never\ndisconnect_after_chunk = last\n"
                 "reconnect_after_us = 0\n");
    assert_eq(sc.link.disconnect_at_us, CHUNKSIM_SCENARIO_NEVER);
    assert_eq(sc.link.disconnect_after_chunk, CHUNKSIM_SCENARIO_LAST_CHUNK);
    assert_int_equal(sc.link.reconnect_after_us, 0);
    set_ok(&sc, "link.disconnect_after_chunk", "never");
    assert_eq(sc.link.disconnect_after_chunk, CHUNKSIM_SCENARIO_NEVER);
    set_ok(&sc, "link.disconnect_after_chunk", "0");
    assert_int_equal(sc.link.disconnect_after_chunk, 0);
    set_ok(&sc, "link.reconnect_after_us", "never");
    assert_eq(sc.link.reconnect_after_us, CHUNKSIM_SCENARIO_NEVER);
}

static void test_latency_specs_parse_each_form(void **state)
{
    (void)state;
    set_ok(&sc, "flash.read_latency", "fixed:12.5");
    assert_int_equal(sc.flash.read_latency.kind, CHUNKSIM_LATENCY_FIXED);
    assert_eq(sc.flash.read_latency.fixed.us, 12.5);
    set_ok(&sc, "flash.read_latency", "uniform: 10 , 20");
    assert_int_equal(sc.flash.read_latency.kind, CHUNKSIM_LATENCY_UNIFORM);
    assert_eq(sc.flash.read_latency.uniform.min_us, 10);
    assert_eq(sc.flash.read_latency.uniform.max_us, 20);
    set_ok(&sc, "flash.read_latency", "normal:100,15");
    assert_eq(sc.flash.read_latency.normal.mean_us, 100);
    assert_eq(sc.flash.read_latency.normal.sd_us, 15);
    set_ok(&sc, "flash.read_latency", "trace:" DATA "/latencies.csv");
    assert_int_equal(sc.flash.read_latency.kind, CHUNKSIM_LATENCY_TRACE);
    set_ok(&sc, "flash.read_latency", "model"); /* frees the trace it replaces */
    assert_int_equal(sc.flash.read_latency.kind, CHUNKSIM_LATENCY_MODEL);
}

static void test_bad_latency_specs_say_what_each_form_needs(void **state)
{
    (void)state;
    static const struct {
        const char *value, *want;
    } bad[] = {
        {"gamma:1,2", "must be one of model, fixed:US"},
        {"fixed", "fixed:US with US >= 0"},
        {"fixed:-1", "fixed:US with US >= 0"},
        {"fixed:1,2", "fixed:US with US >= 0"},
        {"uniform:20,10", "0 <= MIN_US <= MAX_US"},
        {"uniform:10", "0 <= MIN_US <= MAX_US"},
        {"normal:-5,1", "MEAN_US >= 0, SD_US >= 0"},
        {"normal:5,-1", "MEAN_US >= 0, SD_US >= 0"},
        {"lognormal:0,1", "MEDIAN_US > 0, SIGMA >= 0"},
        {"spikes:10,1.5,100", "0 <= P <= 1"},
        {"spikes:10,0.1", "0 <= P <= 1"},
        {"trace:", "trace: needs a file name"},
        {"fixed:abc", "fixed:US"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (chunksim_scenario_set(&sc, "flash.erase_latency", bad[i].value, err, sizeof err) !=
            -EINVAL)
            fail_msg("erase_latency = %s was accepted", bad[i].value);
        assert_err_has(bad[i].want);
    }
    assert_int_equal(sc.flash.erase_latency.kind, CHUNKSIM_LATENCY_MODEL);
}

/* ---- trace CSV -------------------------------------------------------- */

static void test_trace_csv_one_latency_per_line_skips_comments_and_blanks(void **state)
{
    (void)state;
    load_ok(&sc, "[flash]\nprogram_latency = trace:latencies.csv\n");
    const chunksim_latency_t *l = &sc.flash.program_latency;
    assert_int_equal(l->kind, CHUNKSIM_LATENCY_TRACE);
    assert_string_equal(l->trace.path, DATA "/latencies.csv");
    assert_int_equal(l->trace.count, 3);
    assert_eq(l->trace.latency_us[0], 120);
    assert_eq(l->trace.latency_us[1], 125.5);
    assert_eq(l->trace.latency_us[2], 0);
}

static void test_trace_csv_header_picks_the_latency_us_column(void **state)
{
    (void)state;
    load_ok(&sc, "[flash]\nread_latency = trace:latencies_header.csv\n");
    const chunksim_latency_t *l = &sc.flash.read_latency;
    assert_int_equal(l->trace.count, 2);
    assert_eq(l->trace.latency_us[0], 100);
    assert_eq(l->trace.latency_us[1], 250.25); /* quoted, CRLF line */
}

static void test_trace_csv_path_is_relative_to_the_scenario_file(void **state)
{
    (void)state;
    if (chunksim_scenario_load(&sc, DATA "/sub/trace_relative.ini", err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_string_equal(sc.flash.read_latency.trace.path, DATA "/sub/../latencies.csv");
    assert_int_equal(sc.flash.read_latency.trace.count, 3);
}

static void test_trace_csv_errors_name_the_csv_file_and_line(void **state)
{
    (void)state;
    expect_error("[flash]\nread_latency = trace:bad_number.csv\n",
                 "t.ini:2: [flash] read_latency = trace:bad_number.csv: ",
                 DATA "/bad_number.csv:4: \"1x\" is not a latency in microseconds");
    expect_error("[flash]\n\nread_latency = trace:negative.csv\n", "t.ini:3: [flash] read_latency",
                 DATA "/negative.csv:2: \"-5\" is not a latency");
    expect_error("[flash]\nread_latency = trace:no_column.csv\n", "t.ini:2:",
                 DATA "/no_column.csv:1: expected a latency in microseconds or a header with a "
                      "latency_us column");
    expect_error("[flash]\nread_latency = trace:ragged.csv\n",
                 "t.ini:2:", DATA "/ragged.csv:3: expected 2 fields, found 1");
    expect_error("[flash]\nread_latency = trace:empty.csv\n",
                 "t.ini:2:", DATA "/empty.csv: no latencies in the trace");
    /* A row wider than any board log is refused, not truncated. */
    char path[] = "/tmp/chunksim_scenario_wide_XXXXXX";
    int fd = mkstemp(path);
    assert_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("latency_us", f);
    for (int i = 0; i < 64; i++)
        fprintf(f, ",c%d", i);
    fputs("\n", f);
    fclose(f);
    char text[200];
    snprintf(text, sizeof text, "[flash]\nread_latency = trace:%s\n", path);
    expect_error(text, path, ":1: more than 64 fields");
    unlink(path);

    assert_int_equal(load(&sc, "[flash]\nread_latency = trace:missing.csv\n"), -ENOENT);
    assert_err_has("t.ini:2: [flash] read_latency = trace:missing.csv: cannot read trace " DATA
                   "/missing.csv: No such file or directory");
}

/* ---- error classes: where and what ------------------------------------ */

static void test_bad_value_names_file_line_key_and_expectation(void **state)
{
    (void)state;
    assert_int_equal(chunksim_scenario_load(&sc, DATA "/bad_value.ini", err, sizeof err), -EINVAL);
    assert_string_equal(err,
                        DATA "/bad_value.ini:7: [link] conn_interval_us = 7000: must be a "
                             "multiple of 1250 between 7500 and 4000000 microseconds (suffixes: "
                             "us, ms, s)");
    assert_null(sc.record); /* a failed load owns nothing */
}

static void test_missing_scenario_file_is_reported_with_its_path(void **state)
{
    (void)state;
    assert_int_equal(chunksim_scenario_load(&sc, DATA "/no_such.ini", err, sizeof err), -ENOENT);
    assert_string_equal(err, DATA "/no_such.ini: cannot read: No such file or directory");
}

static void test_unknown_section_is_reported_even_without_keys(void **state)
{
    (void)state;
    expect_error("[run]\nseed = 2\n[bogus]\n",
                 "t.ini:3: [bogus]: unknown section; sections are run, coredump", NULL);
    expect_error("[Run]\nseed = 2\n", "t.ini:1: [Run]: unknown section", NULL);
}

static void test_unknown_key_lists_the_section_keys(void **state)
{
    (void)state;
    expect_error("[link]\n\nmtu = 247\n", "t.ini:3: [link] mtu = 247: unknown key",
                 "keys in [link] are kind, att_mtu, conn_interval_us");
}

static void test_syntax_errors_name_their_line(void **state)
{
    (void)state;
    expect_error("[run]\nseed 4\n", "t.ini:2: \"seed 4\": expected key = value", NULL);
    expect_error("[run]\nseed: 4\n", "t.ini:2: \"seed: 4\": expected key = value", NULL);
    expect_error("[run]\nx ; = 4\n", "t.ini:2:", "expected key = value");
    expect_error("[run\nseed = 4\n", "t.ini:1: \"[run\": missing ']'", NULL);
    expect_error("[run] seed = 4\n", "t.ini:1: \"[run] seed = 4\": unexpected text after", NULL);
    expect_error("seed = 4\n[run]\n", "t.ini:1: \"seed = 4\": key outside any section", NULL);
}

static void test_key_given_twice_names_both_lines(void **state)
{
    (void)state;
    expect_error("[run]\nseed = 1\n; ...\nseed = 2\n",
                 "t.ini:4: [run] seed = 2: given twice (first on line 2)", NULL);
}

static void test_overlong_line_is_refused_not_split(void **state)
{
    (void)state;
    char text[600];
    int n = snprintf(text, sizeof text, "[run]\ndescription = ");
    memset(text + n, 'x', 400);
    strcpy(text + n + 400, "\n");
    expect_error(text, "t.ini:2: line longer than", NULL);
}

static void test_nul_byte_in_file_is_refused(void **state)
{
    (void)state;
    char path[] = "/tmp/chunksim_scenario_nul_XXXXXX";
    static const char text[] = "[run]\nseed = 1\nmode = v\0irtual\n";
    write_temp(path, text, sizeof text - 1);
    assert_int_equal(chunksim_scenario_load(&sc, path, err, sizeof err), -EINVAL);
    unlink(path);
    assert_err_has(":3: NUL byte");
}

static void test_out_of_range_values_state_the_range(void **state)
{
    (void)state;
    expect_error("[link]\natt_mtu = 518\n",
                 "t.ini:2: [link] att_mtu = 518: must be a whole number between 23 and 517", NULL);
    expect_error("[coredump]\nsize_bytes = 27\n",
                 "t.ini:2: [coredump] size_bytes = 27: must be a whole number between 28 and "
                 "536870912 bytes (suffixes: K, KiB (1024), M, MiB (1048576))",
                 NULL);
    expect_error("[flash]\npage_bytes = 300\n",
                 "[flash] page_bytes = 300: must be a power of two between 16 and 65536", NULL);
    expect_error("[reader]\nwindow_bytes = 15\n", "must be a whole number between 16 and", NULL);
    expect_error("[link]\nchunk_bytes = 8\n",
                 "[link] chunk_bytes = 8: must be a whole number "
                 "between 9 and",
                 NULL);
    expect_error("[link]\nloss_rate = 1\n",
                 "[link] loss_rate = 1: must be a number from 0 to 1 "
                 "(exclusive)",
                 NULL);
    expect_error("[run]\nrealtime_scale = 0\n", "[run] realtime_scale = 0: must be a number from",
                 NULL);
    expect_error("[run]\nrealtime_scale = fast\n", "must be a number from", NULL);
    expect_error("[run]\nmax_sim_us = 0\n", "[run] max_sim_us = 0: must be a whole number", NULL);
    expect_error("[run]\nmode = turbo\n", "[run] mode = turbo: must be virtual or realtime", NULL);
    expect_error("[run]\nexpect = fine\n",
                 "must be none, ok, lost, corrupt, incomplete or violation", NULL);
    expect_error("[link]\nphy = 3M\n", "must be 1M or 2M", NULL);
    expect_error("[link]\ndisconnect_after_chunk = first\n",
                 "must be a chunk index (0 is the first chunk), last or never", NULL);
    expect_error("[link]\ndisconnect_at_us = later\n", "microseconds, or never", NULL);
    expect_error("[flash]\ndata_lines = 3\n", "[flash] data_lines = 3: must be 1, 2 or 4", NULL);
    expect_error("[flash]\ndummy_cycles = 33\n", "must be a whole number between 0 and 32", NULL);
}

static void test_string_keys_check_length_and_characters(void **state)
{
    (void)state;
    expect_error("[run]\nname =\n", "[run] name = : must be 1 to 127 bytes of UTF-8 text", NULL);
    expect_error("[run]\nname = a\tb\n", "no control characters", NULL);
    /* Names and descriptions go into JSON, HTML and traces: only UTF-8 keeps them valid. */
    expect_error("[run]\nname = caf\xe9\n",
                 "t.ini:2: [run] name = caf\xe9: byte 4 (0xE9) is not UTF-8; must be 1 to 127 "
                 "bytes of UTF-8 text, no control characters",
                 NULL);
    expect_error("[run]\n\ndescription = \xff\xfe\n",
                 "t.ini:3: [run] description = \xff\xfe: byte 1 (0xFF) is not UTF-8; must be at "
                 "most 255 bytes of UTF-8 text",
                 NULL);
    expect_error("[run]\nname = \xc0\xaf\n", "byte 1 (0xC0) is not UTF-8", NULL); /* overlong */
    expect_error("[run]\nname = \xed\xa0\x80\n", "byte 1 (0xED) is not UTF-8",
                 NULL); /* surrogate */
    expect_error("[run]\nname = \xf4\x90\x80\x80\n", "byte 1 (0xF4) is not UTF-8", NULL);
    expect_error("[run]\nname = ab\xe2\x82\n", "byte 3 (0xE2) is not UTF-8", NULL); /* cut */
    expect_error("[run]\nname = a\xc2\x85"
                 "b\n",
                 "no control characters", NULL); /* U+0085 */
    expect_error("[coredump]\nproject_key = abcdef0123456789abcdef0123456789X\n",
                 "must be at most 32 printable characters without spaces", NULL);
    expect_error("[coredump]\nproject_key = ab cd\n", "without spaces", NULL);
    expect_error("[coredump]\npattern_hex = ABC\n", "must be an even number of hex digits", NULL);
    expect_error("[coredump]\npattern_hex = GG\n", "must be an even number of hex digits", NULL);
    expect_error("[coredump]\npattern_hex = +1\n", "must be an even number of hex digits", NULL);
    char long_hex[140];
    memset(long_hex, 'A', 130);
    long_hex[130] = '\0';
    assert_int_equal(chunksim_scenario_set(&sc, "coredump.pattern_hex", long_hex, err, sizeof err),
                     -EINVAL);
    assert_err_has("(1 to 64 bytes)");
    set_ok(&sc, "coredump.project_key", "");
    assert_string_equal(sc.coredump.project_key, "");
    set_ok(&sc, "run.name", "Zürich \xe2\x9c\x93 \xf0\x9f\x94\xa5");
    set_ok(&sc, "run.description", "\xf4\x8f\xbf\xbf is the last code point");
    assert_int_equal(chunksim_scenario_set(&sc, "run.name", "\x80", err, sizeof err), -EINVAL);
    assert_err_has("--set run.name=\x80: byte 1 (0x80) is not UTF-8");
}

static void test_run_name_cannot_come_from_an_unusable_file_name(void **state)
{
    (void)state;
    char source[300];
    memset(source, 'n', 200);
    strcpy(source + 200, ".ini");
    assert_int_equal(chunksim_scenario_load_string(&sc, "", source, NULL, err, sizeof err),
                     -EINVAL);
    assert_err_has("cannot name the run after the file; set [run] name");
    /* A file name that is not UTF-8 cannot name the run either. */
    assert_int_equal(
        chunksim_scenario_load_string(&sc, "", "dir/caf\xe9.ini", NULL, err, sizeof err), -EINVAL);
    assert_err_has("dir/caf\xe9.ini: cannot name the run after the file (not UTF-8, or control "
                   "characters); set [run] name");
    /* ... unless the file names the run itself */
    assert_int_equal(
        chunksim_scenario_load_string(&sc, "[run]\nname = n\n", source, NULL, err, sizeof err), 0);
}

static void test_missing_coredump_file_names_the_resolved_path(void **state)
{
    (void)state;
    assert_int_equal(load(&sc, "[coredump]\ncontent = file\nfile = nothere.bin\n"), -ENOENT);
    assert_err_has("t.ini:3: [coredump] file = nothere.bin: cannot read " DATA
                   "/nothere.bin: No such file or directory");
    expect_error("[coredump]\nfile =\n", "t.ini:2: [coredump] file = : must be a path", NULL);
}

/* The largest coredump is the largest one a run can record (one SQLite value)
 * and judge: the parser takes it and refuses one byte more. */
static void test_coredump_size_stops_at_what_a_run_records(void **state)
{
    (void)state;
    load_ok(&sc, "[coredump]\nsize_bytes = 512MiB\n[flash]\nsize_bytes = 1024MiB\n");
    assert_int_equal(sc.coredump.size_bytes, CHUNKSIM_SCENARIO_COREDUMP_MAX_BYTES);
    assert_int_equal(chunksim_scenario_validate(&sc, err, sizeof err), 0);
    chunksim_scenario_free(&sc);
    expect_error("[coredump]\nsize_bytes = 536870913\n[flash]\nsize_bytes = 1024MiB\n",
                 "t.ini:2: [coredump] size_bytes = 536870913: must be a whole number between 28 "
                 "and 536870912 bytes",
                 NULL);
    expect_error("[coredump]\nsize_bytes = 2048MiB\n[flash]\nsize_bytes = 2048MiB\n",
                 "[coredump] size_bytes = 2048MiB: must be", NULL);
}

static void test_coredump_file_must_be_readable_and_fit(void **state)
{
    (void)state;
    expect_error("[coredump]\nfile = sub\n",
                 "t.ini:2: [coredump] file = sub: " DATA "/sub is a directory, not a regular file",
                 NULL);

    /* A sparse file is refused by its size, before anything is read. */
    char path[] = "/tmp/chunksim_scenario_big_XXXXXX";
    int fd = mkstemp(path);
    assert_ge(fd, 0);
    int rc = ftruncate(fd, (off_t)536870912 - 27);
    close(fd);
    assert_int_equal(rc, 0);
    rc = chunksim_scenario_set(&sc, "coredump.file", path, err, sizeof err);
    unlink(path);
    assert_int_equal(rc, -EINVAL);
    assert_err_has(": 536870885 bytes, more than a coredump can hold (536870884)");
    assert_null(sc.coredump.file_path);
    assert_null(sc.record); /* the refused override left nothing behind */
}

/*
 * A device or a FIFO is refused before it is read: /dev/zero would fill memory
 * and a FIFO without a writer would block the load forever. The alarm turns a
 * blocked open into a failed test instead of a hung one.
 */
static void test_coredump_file_and_trace_must_be_regular_files(void **state)
{
    (void)state;
    alarm(20);
    expect_error("[coredump]\ncontent = file\nfile = /dev/null\n",
                 "t.ini:3: [coredump] file = /dev/null: /dev/null is a character device, not a "
                 "regular file",
                 NULL);
    expect_error("[flash]\nread_latency = trace:/dev/null\n",
                 "t.ini:2: [flash] read_latency = trace:/dev/null: /dev/null is a character "
                 "device, not a regular file",
                 NULL);
    char dir[] = "/tmp/chunksim_scenario_fifo_XXXXXX", fifo[64], text[160];
    assert_non_null(mkdtemp(dir));
    snprintf(fifo, sizeof fifo, "%s/dump", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(text, sizeof text, "[coredump]\ncontent = file\nfile = %s\n", fifo);
    expect_error(text, "is a FIFO, not a regular file", NULL);
    snprintf(text, sizeof text, "[flash]\nerase_latency = trace:%s\n", fifo);
    expect_error(text, "is a FIFO, not a regular file", NULL);
    unlink(fifo);
    rmdir(dir);
    alarm(0);
}

/* ---- fault rule errors ------------------------------------------------ */

static void test_fault_rule_errors_explain_the_rule(void **state)
{
    (void)state;
    static const struct {
        const char *rule, *want;
    } bad[] = {
        {"meltdown", "\"meltdown\" is not a fault kind; must start with a fault kind: read_error"},
        {"", "must start with a fault kind"},
        {"read_error op", "\"op\": expected name=value"},
        {"read_error =3", "\"=3\": expected name=value"},
        {"read_error when=3", "unknown fault setting when="},
        {"read_error op=1 rate=0.5", "one trigger per rule: op= and rate= both given"},
        {"power_loss rate=0.5", "power_loss does not take rate=; it takes op=N or at_us=T"},
        {"power_loss", "power_loss needs a trigger: op=N or at_us=T"},
        {"stuck_bit", "stuck_bit needs a trigger: addr=LO-HI"},
        {"bad_sector op=3", "bad_sector does not take op=; it takes addr=LO-HI"},
        {"wear_out cycles=5 rate=0.1",
         "wear_out does not take rate=; it takes addr=LO-HI or no trigger"},
        {"read_error on=erase", "on=erase: read_error applies to read operations only"},
        {"erase_fail on=read", "erase_fail applies to erase operations only"},
        {"bad_sector addr=0 on=read", "bad_sector applies to program and erase operations only"},
        {"program_fail on=program on=program", "on= given twice"},
        {"read_error on=write", "on=write: must be read, program or erase"},
        {"read_error delay_us=5", "read_error does not take delay_us="},
        {"bitflip cycles=5", "bitflip does not take cycles="},
        {"wear_out flips=2 cycles=3", "wear_out does not take flips="},
        {"read_late delay_us=5 delay_us=6", "delay_us= given twice"},
        {"read_late", "read_late needs delay_us=D"},
        {"wear_out", "wear_out needs cycles=N"},
        {"read_error rate=1.5", "rate=1.5: must be a probability from 0 to 1"},
        {"read_error rate=x", "rate=x: must be a probability"},
        {"read_error op=-1", "op=-1: must be an operation index"},
        {"read_error from_op=1.5", "from_op=1.5: must be an operation index"},
        {"read_error addr=0x200-0x100", "addr=0x200-0x100: must be FIRST-LAST or ADDR"},
        {"read_error addr=0x100000000", "must be FIRST-LAST or ADDR"},
        {"read_error addr=-5", "must be FIRST-LAST or ADDR"},
        {"read_error at_us=soon", "at_us=soon: must be a time in microseconds"},
        {"read_late delay_us=0", "delay_us=0: must be a delay of at least 1 microsecond"},
        /* The flash model flips at most 8 bits per read: 9 would load and then fail the run. */
        {"bitflip flips=9", "flips=9: must be a bit count from 1 to 8"},
        {"stuck_bit addr=0x10 flips=9", "flips=9: must be a bit count from 1 to 8"},
        {"bitflip flips=0", "flips=0: must be a bit count from 1 to 8"},
        {"wear_out cycles=0", "cycles=0: must be an erase cycle count"},
        {"read_error op=9223372036854775808", "must be an operation index"},
        {"read_error addr=0x00000000000000000000000000000000001", "must be FIRST-LAST or ADDR"},
        {"read_error at_us=86400000001", "at_us=86400000001: must be a time in microseconds"},
        {"read_late delay_us=25h", "delay_us=25h: must be a delay"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (chunksim_scenario_set(&sc, "faults.fault", bad[i].rule, err, sizeof err) != -EINVAL)
            fail_msg("fault = %s was accepted", bad[i].rule);
        assert_err_has(bad[i].want);
    }
    assert_int_equal(sc.faults.count, 0);
    chunksim_scenario_free(&sc);

    char rule[700];
    memset(rule, ' ', sizeof rule - 1);
    memcpy(rule, "read_error", 10);
    rule[sizeof rule - 1] = '\0';
    assert_int_equal(chunksim_scenario_set(&sc, "faults.fault", rule, err, sizeof err), -EINVAL);
    assert_err_has("--set faults.fault: longer than 127 characters (key) or 511 (value)");

    expect_error("[faults]\nfault = read_error\nfault = power_loss\n",
                 "t.ini:3: [faults] fault = power_loss: power_loss needs a trigger", NULL);
}

/* ---- cross-field rules ------------------------------------------------ */

static void test_cross_field_rules_blame_the_key_to_change(void **state)
{
    (void)state;
    expect_error("[flash]\nsector_bytes = 256\npage_bytes = 512\n",
                 "t.ini:2: [flash] sector_bytes = 256: must be at least [flash] page_bytes = 512",
                 NULL);
    expect_error("[flash]\nblock_bytes = 2048\n",
                 "t.ini:2: [flash] block_bytes = 2048: must be at least [flash] sector_bytes = "
                 "4096",
                 NULL);
    expect_error("[flash]\nsize_bytes = 100000\n",
                 "t.ini:2: [flash] size_bytes = 100000: must be a multiple of [flash] "
                 "block_bytes = 65536",
                 NULL);
    expect_error("[flash]\npage_program_typ_us = 4ms\n",
                 "t.ini:2: [flash] page_program_typ_us = 4000: must not exceed [flash] "
                 "page_program_max_us = 3000",
                 NULL);
    expect_error("[flash]\nsector_erase_max_us = 1ms\n",
                 "t.ini: [flash] sector_erase_typ_us = 45000 (default): must not exceed [flash] "
                 "sector_erase_max_us = 1000",
                 NULL);
    expect_error("[flash]\nblock_erase_typ_us = 3s\n", "block_erase_typ_us = 3000000: must not",
                 NULL);
    expect_error("[flash]\nchip_erase_typ_us = 300s\n", "chip_erase_typ_us = 300000000: must not",
                 NULL);
    expect_error("[flash]\ndata_lines = 2\n",
                 "t.ini:2: [flash] data_lines = 2: the 03h read command uses one data line", NULL);
    expect_error("[flash]\ndummy_cycles = 8\n",
                 "t.ini:2: [flash] dummy_cycles = 8: the 03h read command has no dummy cycles",
                 NULL);
    expect_error("[flash]\nendurance_cycles = 100\ninitial_wear_cycles = 101\n",
                 "t.ini:3: [flash] initial_wear_cycles = 101: must not exceed [flash] "
                 "endurance_cycles = 100",
                 NULL);
    expect_error("[coredump]\ncontent = file\n",
                 "t.ini:2: [coredump] content = file: needs [coredump] file = PATH", NULL);
    expect_error("[coredump]\ncontent = file\nfile = payload.bin\nsize_bytes = 64K\n",
                 "t.ini:4: [coredump] size_bytes = 65536: must be 91 (the 63 bytes of " DATA
                 "/payload.bin plus the 28-byte header and footer), or left out",
                 NULL);
    /* The image builder needs a memory-region block to carry drawn or repeated bytes. */
    expect_error("[coredump]\nsize_bytes = 39\n",
                 "t.ini:2: [coredump] size_bytes = 39: with content = random the image is at "
                 "least 40 bytes (12-byte header, 12-byte memory-region block header, 16-byte "
                 "footer); 28 to 39 only as a file's size + 28 with content = file",
                 NULL);
    expect_error("[coredump]\ncontent = pattern\nsize_bytes = 28\n",
                 "t.ini:3: [coredump] size_bytes = 28: with content = pattern the image is at "
                 "least 40 bytes",
                 NULL);
    expect_error("[coredump]\nsize_bytes = 64K\nstorage_bytes = 32K\n",
                 "t.ini:3: [coredump] storage_bytes = 32768: must be at least [coredump] "
                 "size_bytes = 65536",
                 NULL);
    expect_error("[coredump]\nsize_bytes = 100\nstorage_bytes = 1000\n",
                 "t.ini:3: [coredump] storage_bytes = 1000: must be a multiple of [flash] "
                 "sector_bytes = 4096",
                 NULL);
    expect_error("[coredump]\nstorage_offset_bytes = 100\n",
                 "t.ini:2: [coredump] storage_offset_bytes = 100: must be a multiple of [flash] "
                 "sector_bytes = 4096",
                 NULL);
    expect_error("[coredump]\nstorage_offset_bytes = 16M\n",
                 "t.ini:2: [coredump] storage_offset_bytes = 16777216: the coredump partition "
                 "[16777216, 16842752) ends beyond the flash ([flash] size_bytes = 16777216 "
                 "(default))",
                 NULL);
    expect_error("[coredump]\nstorage_bytes = 32M\n",
                 "t.ini:2: [coredump] storage_bytes = 33554432: the coredump partition", NULL);
    expect_error("[coredump]\nsize_bytes = 1M\n[flash]\nsize_bytes = 512K\n",
                 "t.ini:2: [coredump] size_bytes = 1048576: the coredump partition [0, 1048576) "
                 "ends beyond the flash ([flash] size_bytes = 524288 (line 4))",
                 NULL);
    expect_error("[reader]\nkind = double\nwindow_bytes = 101\n",
                 "t.ini:3: [reader] window_bytes = 101: with kind = double the window is split in "
                 "two: must be even and at least 32",
                 NULL);
    expect_error("[reader]\nkind = double\nwindow_bytes = 16\n", "must be even and at least 32",
                 NULL);
    expect_error("[link]\nchunk_bytes = 21\n",
                 "t.ini:2: [link] chunk_bytes = 21: with kind = ble a chunk is one notification: "
                 "at most [link] att_mtu - 3 = 20",
                 NULL);
    expect_error("[link]\natt_mtu = 517\nchunk_bytes = 513\n",
                 "t.ini:3: [link] chunk_bytes = 513: with kind = ble a chunk is one notification: "
                 "at most 512 bytes, the longest attribute value ([link] att_mtu = 517 (line 2))",
                 NULL);
    expect_error("[faults]\n\nfault = bad_sector addr=0xFFF000-0x1000000\n",
                 "t.ini:3: [faults] fault = bad_sector: addr=0xfff000-0x1000000 reaches beyond "
                 "the flash ([flash] size_bytes = 16777216)",
                 NULL);
}

static void test_cross_field_rules_accept_the_boundaries(void **state)
{
    (void)state;
    load_ok(&sc, "[coredump]\nsize_bytes = 40\nstorage_offset_bytes = 16380K\n"
                 "[link]\nchunk_bytes = 20\n[reader]\nkind = double\nwindow_bytes = 32\n"
                 "[flash]\npage_program_typ_us = 3ms\ninitial_wear_cycles = 100000\n"
                 "[faults]\nfault = bad_sector addr=0xFFF000-0xFFFFFF\n"
                 "fault = bitflip op=1 flips=8\n");
    assert_int_equal(sc.coredump.storage_bytes, 4096);
}

/* ---- overrides and the recorded text ---------------------------------- */

static void test_set_overrides_and_is_recorded_in_the_text(void **state)
{
    (void)state;
    load_ok(&sc, "[link]\natt_mtu = 23");
    set_ok(&sc, "link.att_mtu", " 247 ");
    assert_int_equal(
        chunksim_scenario_set_arg(&sc, "faults.fault=read_error rate=0.5", err, sizeof err), 0);
    assert_int_equal(chunksim_scenario_validate(&sc, err, sizeof err), 0);
    assert_int_equal(sc.link.att_mtu, 247);
    assert_int_equal(sc.link.chunk_bytes, 244); /* re-derived from the new MTU */
    assert_int_equal(sc.faults.count, 1);
    assert_string_equal(chunksim_scenario_text(&sc), "[link]\natt_mtu = 23\n"
                                                     "; --set link.att_mtu=247\n"
                                                     "; --set faults.fault=read_error rate=0.5\n");
}

/* scenarios/README.md: the rules between keys are checked after the file and its overrides. */
static void test_load_with_applies_overrides_before_the_rules(void **state)
{
    (void)state;
    char path[] = "/tmp/chunksim_scenario_with_XXXXXX";
    static const char text[] = "[link]\nchunk_bytes = 200\n";
    write_temp(path, text, sizeof text - 1);

    const char *const repair[] = {"link.att_mtu=247"};
    if (chunksim_scenario_load_with(&sc, path, repair, 1, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(sc.link.chunk_bytes, 200);
    assert_string_equal(chunksim_scenario_text(&sc), "[link]\nchunk_bytes = 200\n"
                                                     "; --set link.att_mtu=247\n");
    chunksim_scenario_free(&sc);

    /* A broken override is named, and the loaded file is released (nothing owned). */
    const char *const broken[] = {"link.att_mtu=247", "link.att_mtu=7"};
    assert_int_equal(chunksim_scenario_load_with(&sc, path, broken, 2, err, sizeof err), -EINVAL);
    assert_err_has("--set link.att_mtu=7: must be a whole number between 23 and 517");
    assert_null(sc.record);
    const char *const too_small[] = {"link.att_mtu=64"};
    assert_int_equal(chunksim_scenario_load_with(&sc, path, too_small, 1, err, sizeof err),
                     -EINVAL);
    assert_err_has(":2: [link] chunk_bytes = 200: with kind = ble a chunk is one notification: "
                   "at most [link] att_mtu - 3 = 61 (--set link.att_mtu=64)");
    assert_null(sc.record);
    unlink(path);
}

static void test_set_on_defaults_starts_an_empty_record(void **state)
{
    (void)state;
    set_ok(&sc, "reader.kind", "sync");
    assert_int_equal(sc.reader.kind, CHUNKSIM_READER_SYNC);
    assert_string_equal(chunksim_scenario_text(&sc), "; --set reader.kind=sync\n");
    assert_int_equal(chunksim_scenario_validate(&sc, err, sizeof err), 0);
    chunksim_scenario_free(&sc);
    assert_null(sc.record);
}

static void test_refused_set_changes_neither_value_nor_text(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value, *want;
    } bad[] = {
        {"link.att_mtu", "7", "--set link.att_mtu=7: must be a whole number between 23 and 517"},
        {"att_mtu", "247", "--set att_mtu=247: expected section.key=value"},
        {"bogus.key", "1", "--set bogus.key=1: unknown section [bogus]"},
        {"link.mtu", "1", "--set link.mtu=1: unknown key mtu in [link]; keys are kind, att_mtu"},
        {"run.description", "two\nlines", "a value cannot span lines"},
        {"link.att_mtu", "", "--set link.att_mtu=: must be"},
    };
    load_ok(&sc, "[run]\nseed = 9\n");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (chunksim_scenario_set(&sc, bad[i].key, bad[i].value, err, sizeof err) != -EINVAL)
            fail_msg("--set %s=%s was accepted", bad[i].key, bad[i].value);
        assert_err_has(bad[i].want);
    }
    assert_int_equal(chunksim_scenario_set_arg(&sc, "link.att_mtu", err, sizeof err), -EINVAL);
    assert_err_has("--set link.att_mtu: expected section.key=value");
    assert_int_equal(sc.link.att_mtu, 23);
    assert_string_equal(chunksim_scenario_text(&sc), "[run]\nseed = 9\n");
}

static void test_validate_after_set_reports_the_override(void **state)
{
    (void)state;
    load_ok(&sc, "[coredump]\nsize_bytes = 64K\n");
    set_ok(&sc, "coredump.storage_bytes", "8K");
    assert_int_equal(chunksim_scenario_validate(&sc, err, sizeof err), -EINVAL);
    assert_string_equal(err, "--set coredump.storage_bytes=8192: must be at least [coredump] "
                             "size_bytes = 65536 (line 2)");
    chunksim_scenario_free(&sc);

    chunksim_scenario_defaults(&sc);
    set_ok(&sc, "faults.fault", "stuck_bit addr=0x2000000");
    assert_int_equal(chunksim_scenario_validate(&sc, err, sizeof err), -EINVAL);
    assert_err_has("--set faults.fault=stuck_bit: addr=0x2000000-0x2000000 reaches beyond");
}

static void test_set_paths_resolve_against_the_current_directory(void **state)
{
    (void)state;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(DATA), 0);
    int rc =
        chunksim_scenario_set(&sc, "flash.read_latency", "trace:latencies.csv", err, sizeof err);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, 0);
    assert_string_equal(sc.flash.read_latency.trace.path, "latencies.csv");
}

static void test_recorded_text_reloads_to_the_same_config(void **state)
{
    (void)state;
    chunksim_scenario_t a, b;
    load_ok(&a, "[run]\nseed = 3\n[link]\nkind = ble");
    set_ok(&a, "link.att_mtu", "100");
    set_ok(&a, "run.seed", "4");
    set_ok(&a, "faults.fault", "bitflip op=2");
    assert_int_equal(chunksim_scenario_validate(&a, err, sizeof err), 0);

    if (chunksim_scenario_load_string(&b, chunksim_scenario_text(&a), "t.ini", NULL, err,
                                      sizeof err) != 0)
        fail_msg("%s", err);
    /* The seed is recorded with the run, not in the text: the file's own comes back. */
    assert_int_equal(b.run.seed, 3);
    assert_null(strstr(chunksim_scenario_text(&a), "run.seed"));
    assert_int_equal(b.link.att_mtu, 100);
    assert_int_equal(b.link.chunk_bytes, 97);
    assert_int_equal(b.faults.count, 1);
    assert_int_equal(b.faults.rules[0].line, 6); /* the "; --set" line it came from */
    /* The text is kept verbatim, not extended a second time. */
    assert_string_equal(chunksim_scenario_text(&b), chunksim_scenario_text(&a));
    chunksim_scenario_free(&a);
    chunksim_scenario_free(&b);
}

static void test_recorded_override_errors_name_their_line(void **state)
{
    (void)state;
    expect_error("[link]\natt_mtu = 23\n; --set link.att_mtu=7\n",
                 "t.ini:3: --set link.att_mtu=7: must be a whole number between 23 and 517", NULL);
    expect_error("[run]\n; --set run.seed\n", "t.ini:2: --set run.seed: expected section.key=value",
                 NULL);
    /* An ordinary comment that merely mentions --set is left alone. */
    load_ok(&sc, "[run]\n;--set run.seed=x\n; see --set run.seed=x\n");
    assert_int_equal(sc.run.seed, 1);
}

/* ---- lifetime --------------------------------------------------------- */

static void test_copy_is_deep_and_outlives_the_original(void **state)
{
    (void)state;
    chunksim_scenario_t a, b;
    if (chunksim_scenario_load(&a, DATA "/all_keys.ini", err, sizeof err) != 0)
        fail_msg("%s", err);
    set_ok(&a, "flash.erase_latency", "trace:" DATA "/latencies.csv");
    assert_int_equal(chunksim_scenario_copy(&b, &a), 0);
    char *text = strdup(chunksim_scenario_text(&a));
    chunksim_scenario_free(&a);

    assert_int_equal(b.faults.count, 8);
    assert_int_equal(b.faults.rules[7].kind, CHUNKSIM_FAULT_MISDIRECTED_WRITE);
    assert_int_equal(b.flash.read_latency.trace.count, 2);
    assert_eq(b.flash.erase_latency.trace.latency_us[1], 125.5);
    assert_memory_equal(b.coredump.file_data, "coredump payload", 16);
    assert_string_equal(chunksim_scenario_text(&b), text);
    /* Key origins travel too: the copy still knows which keys the file set. */
    set_ok(&b, "link.att_mtu", "23");
    assert_int_equal(chunksim_scenario_validate(&b, err, sizeof err), -EINVAL);
    assert_err_has(DATA "/all_keys.ini:75: [link] chunk_bytes = 200");
    free(text);
    chunksim_scenario_free(&b);
}

static void test_copy_of_defaults_owns_nothing(void **state)
{
    (void)state;
    chunksim_scenario_t a, b;
    chunksim_scenario_defaults(&a);
    assert_int_equal(chunksim_scenario_copy(&b, &a), 0);
    assert_null(b.record);
    assert_null(b.faults.rules);
    chunksim_scenario_free(&b);
}

static void test_free_resets_to_defaults_and_may_repeat(void **state)
{
    (void)state;
    chunksim_scenario_t sc, def;
    chunksim_scenario_defaults(&def);
    if (chunksim_scenario_load(&sc, DATA "/all_keys.ini", err, sizeof err) != 0)
        fail_msg("%s", err);
    chunksim_scenario_free(&sc);
    chunksim_scenario_free(&sc);
    assert_null(sc.record);
    assert_null(sc.faults.rules);
    assert_null(sc.coredump.file_path);
    assert_int_equal(sc.flash.read_latency.kind, CHUNKSIM_LATENCY_MODEL);
    assert_string_equal(sc.run.name, def.run.name);
    assert_int_equal(sc.flash.size_bytes, def.flash.size_bytes);
    assert_int_equal(sc.link.chunk_bytes, def.link.chunk_bytes);
}

/* ---- the starter library ---------------------------------------------- */

static void test_every_starter_scenario_loads(void **state)
{
    (void)state;
    DIR *dir = opendir(SCENARIO_LIBRARY_DIR);
    assert_non_null(dir);
    int loaded = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".ini") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", SCENARIO_LIBRARY_DIR, e->d_name);
        chunksim_scenario_t sc;
        if (chunksim_scenario_load(&sc, path, err, sizeof err) != 0)
            fail_msg("%s", err);
        assert_eq(strncmp(sc.run.name, e->d_name, n - 4), 0);
        assert_true(sc.run.description[0] != '\0');
        chunksim_scenario_free(&sc);
        loaded++;
    }
    closedir(dir);
    assert_ge(loaded, 14);
}

static void test_starter_scenarios_say_what_they_promise(void **state)
{
    (void)state;
    assert_int_equal(
        chunksim_scenario_load(&sc, SCENARIO_LIBRARY_DIR "/power_loss_erase.ini", err, sizeof err),
        0);
    assert_int_equal(sc.faults.rules[0].kind, CHUNKSIM_FAULT_POWER_LOSS);
    assert_int_equal(sc.faults.rules[0].on, CHUNKSIM_ON_ERASE);
    assert_int_equal(sc.faults.rules[0].op_index, 0);
    chunksim_scenario_free(&sc);

    assert_int_equal(
        chunksim_scenario_load(&sc, SCENARIO_LIBRARY_DIR "/rle_async.ini", err, sizeof err), 0);
    assert_true(sc.coredump.rle);
    assert_int_equal(sc.reader.kind, CHUNKSIM_READER_SINGLE);
    assert_int_equal(sc.run.expect, CHUNKSIM_EXPECT_VIOLATION);
    chunksim_scenario_free(&sc);

    assert_int_equal(chunksim_scenario_load(&sc, SCENARIO_LIBRARY_DIR "/disconnect_after_last.ini",
                                            err, sizeof err),
                     0);
    assert_eq(sc.link.disconnect_after_chunk, CHUNKSIM_SCENARIO_LAST_CHUNK);
    assert_int_equal(sc.reader.clear_policy, CHUNKSIM_CLEAR_ON_LAST_READ);
    assert_int_equal(sc.run.expect, CHUNKSIM_EXPECT_LOST);
    chunksim_scenario_free(&sc);

    assert_int_equal(
        chunksim_scenario_load(&sc, SCENARIO_LIBRARY_DIR "/disconnect_after_last_deferred.ini", err,
                               sizeof err),
        0);
    assert_int_equal(sc.reader.clear_policy, CHUNKSIM_CLEAR_ON_CONFIRM);
    assert_int_equal(sc.run.expect, CHUNKSIM_EXPECT_OK);
    chunksim_scenario_free(&sc);

    assert_int_equal(
        chunksim_scenario_load(&sc, SCENARIO_LIBRARY_DIR "/qspi_fast.ini", err, sizeof err), 0);
    assert_int_equal(sc.flash.data_lines, 4);
    assert_int_equal(sc.flash.bus_clock_hz, 133000000);
}

/* [flash] part: the part's figures become the defaults of every datasheet key. */
static void test_part_sets_the_datasheet_defaults(void **state)
{
    (void)state;
    load_ok(&sc, "[flash]\npart = nrf52840\n");
    assert_string_equal(sc.flash.part, "nrf52840");
    assert_int_equal(sc.flash.size_bytes, 1024u * 1024u);
    assert_int_equal(sc.flash.page_bytes, 4);
    assert_int_equal(sc.flash.sector_bytes, 4096);
    assert_int_equal(sc.flash.page_program_typ_us, 41);
    assert_int_equal(sc.flash.sector_erase_typ_us, 85000);
    assert_int_equal(sc.flash.chip_erase_typ_us, 169000);
    assert_int_equal(sc.flash.endurance_cycles, 10000);
    assert_int_equal(sc.flash.bus_clock_hz, 64000000);
    chunksim_scenario_free(&sc);

    load_ok(&sc, "[flash]\npart = mx25r6435f_lp\nread_command = fast\ndata_lines = 4\n");
    assert_int_equal(sc.flash.bus_clock_hz, 8000000);
    assert_int_equal(sc.flash.dummy_cycles, 8);
    assert_int_equal(sc.flash.page_program_typ_us, 3200);
    chunksim_scenario_free(&sc);

    /* No part named: the default part, today's W25Q128JV figures. */
    load_ok(&sc, "[run]\nseed = 2\n");
    assert_string_equal(sc.flash.part, "w25q128jv");
    assert_int_equal(sc.flash.page_program_typ_us, 400);
    assert_int_equal(sc.flash.sector_erase_typ_us, 45000);
    assert_int_equal(sc.flash.bus_clock_hz, 50000000);
}

/* A key given keeps its value, before or after part =, and from --set. */
static void test_part_keys_given_override_the_part(void **state)
{
    (void)state;
    load_ok(&sc, "[flash]\nsector_erase_typ_us = 30ms\npart = gd25q16e\nbus_clock_hz = 10MHz\n");
    assert_int_equal(sc.flash.sector_erase_typ_us, 30000);
    assert_int_equal(sc.flash.bus_clock_hz, 10000000);
    assert_int_equal(sc.flash.page_program_typ_us, 600);
    assert_int_equal(sc.flash.size_bytes, 2u * 1024u * 1024u);
    set_ok(&sc, "flash.page_program_typ_us", "500");
    assert_int_equal(chunksim_scenario_validate(&sc, err, sizeof err), 0);
    assert_int_equal(sc.flash.page_program_typ_us, 500);
}

static void test_unknown_part_names_file_line_field_and_the_parts(void **state)
{
    (void)state;
    expect_error("[run]\nseed = 1\n[flash]\npart = w25q64\n", "t.ini:4: [flash] part = w25q64",
                 "unknown part; known parts are w25q128jv, mx25r6435f_hp, mx25r6435f_lp, "
                 "gd25q16e, is25lp128f, at25sf128a, mt25ql128, nrf52840");
}

static void test_suspend_needs_a_part_that_can_suspend(void **state)
{
    (void)state;
    expect_error("[flash]\npart = nrf52840\nbusy_policy = suspend\n",
                 "t.ini:3: [flash] busy_policy = suspend",
                 "part = nrf52840 (line 2) cannot suspend");
}

/* Every row of the part table is a scenario that loads, with the row's figures. */
static void test_every_part_loads(void **state)
{
    (void)state;
    for (size_t i = 0; i < flashmodel_part_count(); i++) {
        const flashmodel_part_info_t *row = flashmodel_part_at(i);
        char text[128];
        snprintf(text, sizeof text, "[flash]\npart = %s\nread_command = fast\n", row->name);
        chunksim_scenario_t sc;
        load_ok(&sc, text);
        assert_int_equal(sc.flash.size_bytes, row->part.size_bytes);
        assert_int_equal(sc.flash.page_program_typ_us, row->part.tpp_typ_us);
        assert_int_equal(sc.flash.sector_erase_max_us, row->part.tse_max_us);
        assert_int_equal(sc.flash.bus_clock_hz, row->part.fast_clock_hz);
        chunksim_scenario_free(&sc);
    }
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
CHUNKSIM_TEST_MAIN({
    T(test_defaults_are_the_documented_values),
    T(test_empty_file_gives_defaults_named_after_file),
    T(test_derived_defaults_follow_their_keys),
    T(test_every_key_lands_in_its_field),
    T(test_fault_rules_keep_kind_trigger_filter_and_params),
    T(test_every_fault_kind_is_accepted_with_a_valid_trigger),
    cmocka_unit_test(test_keyword_names_match_the_file_spelling),
    T(test_byte_time_and_frequency_suffixes_scale),
    T(test_numbers_that_are_not_whole_or_too_big_are_refused),
    T(test_booleans_accept_every_documented_spelling),
    T(test_ram_content_and_its_zero_percent),
    T(test_comments_indentation_crlf_and_bom_are_tolerated),
    T(test_never_and_last_spell_the_sentinels),
    T(test_latency_specs_parse_each_form),
    T(test_bad_latency_specs_say_what_each_form_needs),
    T(test_trace_csv_one_latency_per_line_skips_comments_and_blanks),
    T(test_trace_csv_header_picks_the_latency_us_column),
    T(test_trace_csv_path_is_relative_to_the_scenario_file),
    T(test_trace_csv_errors_name_the_csv_file_and_line),
    T(test_bad_value_names_file_line_key_and_expectation),
    T(test_missing_scenario_file_is_reported_with_its_path),
    cmocka_unit_test(test_unknown_section_is_reported_even_without_keys),
    cmocka_unit_test(test_unknown_key_lists_the_section_keys),
    cmocka_unit_test(test_syntax_errors_name_their_line),
    cmocka_unit_test(test_key_given_twice_names_both_lines),
    cmocka_unit_test(test_overlong_line_is_refused_not_split),
    T(test_nul_byte_in_file_is_refused),
    cmocka_unit_test(test_out_of_range_values_state_the_range),
    T(test_string_keys_check_length_and_characters),
    T(test_run_name_cannot_come_from_an_unusable_file_name),
    T(test_missing_coredump_file_names_the_resolved_path),
    T(test_coredump_size_stops_at_what_a_run_records),
    T(test_coredump_file_must_be_readable_and_fit),
    cmocka_unit_test(test_coredump_file_and_trace_must_be_regular_files),
    T(test_fault_rule_errors_explain_the_rule),
    cmocka_unit_test(test_cross_field_rules_blame_the_key_to_change),
    T(test_cross_field_rules_accept_the_boundaries),
    T(test_set_overrides_and_is_recorded_in_the_text),
    T(test_load_with_applies_overrides_before_the_rules),
    T(test_set_on_defaults_starts_an_empty_record),
    T(test_refused_set_changes_neither_value_nor_text),
    T(test_validate_after_set_reports_the_override),
    T(test_set_paths_resolve_against_the_current_directory),
    cmocka_unit_test(test_recorded_text_reloads_to_the_same_config),
    T(test_recorded_override_errors_name_their_line),
    cmocka_unit_test(test_copy_is_deep_and_outlives_the_original),
    cmocka_unit_test(test_copy_of_defaults_owns_nothing),
    cmocka_unit_test(test_free_resets_to_defaults_and_may_repeat),
    cmocka_unit_test(test_every_starter_scenario_loads),
    T(test_starter_scenarios_say_what_they_promise),
    T(test_part_sets_the_datasheet_defaults),
    cmocka_unit_test(test_every_part_loads),
    T(test_part_keys_given_override_the_part),
    cmocka_unit_test(test_unknown_part_names_file_line_field_and_the_parts),
    cmocka_unit_test(test_suspend_needs_a_part_that_can_suspend),
})
#undef T
