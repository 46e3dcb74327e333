/*
 * scenarios/README.md against the code: every key its tables document is one
 * the parser knows (and the other way round), setting it to a value other
 * than the default changes the loaded configuration, and, where the run's
 * figures can show it, changes what the run does. A documented key that is
 * accepted and then ignored fails here.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"

#include "chunksim/run.h"
#include "chunksim/scenario.h"
#include "flashmodel/part.h"
#include "scenario_internal.h" /* chunksim__scenario_keys[]: what the parser knows */

#define README SCENARIO_LIBRARY_DIR "/README.md"
#define DATA   SCENARIO_TEST_DATA_DIR

/* Small enough for a run in a few milliseconds. */
static const char base_ini[] = "[coredump]\nsize_bytes = 4KiB\n[flash]\nsize_bytes = 1MiB\n";

/*
 * A value other than the default for every documented key. context, when
 * given, is applied to both runs compared, to make the key's effect visible
 * (a retry count needs a fault to retry). run_visible is false where no
 * figure of a run can show the key: the reason says why.
 */
typedef struct {
    const char *key, *value;
    const char *context[2];
    bool run_visible;
    const char *why_not;
} doc_key_t;

#define RUN(k, v)                                                                                  \
    {                                                                                              \
        k, v, {NULL, NULL}, true, NULL                                                             \
    }
#define RUN_WITH(k, v, ...)                                                                        \
    {                                                                                              \
        k, v, {__VA_ARGS__}, true, NULL                                                            \
    }
#define STRUCT_ONLY(k, v, why)                                                                     \
    {                                                                                              \
        k, v, {NULL, NULL}, false, why                                                             \
    }

static const char no_program[] = "no run programs the flash: the coredump is in flash at the "
                                 "start and the clear is a sector erase";
static const char no_figure[] = "recorded, but no figure of a run depends on it";

static const doc_key_t doc_keys[] = {
    STRUCT_ONLY("run.name", "other", no_figure),
    STRUCT_ONLY("run.description", "text", no_figure),
    RUN_WITH("run.seed", "2", "link.loss_rate=0.2"),
    STRUCT_ONLY("run.mode", "realtime",
                "a realtime run takes wall time; it must agree with "
                "virtual time (issue item 7)"),
    STRUCT_ONLY("run.realtime_scale", "0.5", "realtime only"),
    RUN("run.max_sim_us", "1s"),
    RUN("run.expect", "lost"),
    RUN_WITH("run.power_loss_stops", "true", "faults.fault=power_loss on=erase op=0"),
    RUN("run.power_cuts", "2"),
    RUN_WITH("run.power_cuts_on", "erase", "run.power_cuts=0"),

    RUN("coredump.size_bytes", "8KiB"),
    /* The bytes show in the figures only run-length encoded. */
    RUN_WITH("coredump.content", "ram", "coredump.rle=true"),
    RUN_WITH("coredump.pattern_hex", "00", "coredump.content=pattern", "coredump.rle=true"),
    STRUCT_ONLY("coredump.file", DATA "/payload.bin", "read, but used only with content = file"),
    STRUCT_ONLY("coredump.storage_bytes", "64KiB", "the partition's size bounds reads only"),
    STRUCT_ONLY("coredump.storage_offset_bytes", "64KiB", "moves every address, not a figure"),
    RUN("coredump.project_key", "ACME-7"),
    RUN("coredump.rle", "true"),
    RUN_WITH("coredump.zero_percent", "10", "coredump.content=ram", "coredump.rle=true"),

    RUN("flash.part", "mx25r6435f_lp"),
    STRUCT_ONLY("flash.size_bytes", "2MiB", "the partition is the same"),
    STRUCT_ONLY("flash.page_bytes", "512", no_program),
    RUN("flash.sector_bytes", "8KiB"),
    STRUCT_ONLY("flash.block_bytes", "128KiB", "only a glue's block erase uses it"),
    RUN("flash.read_command", "fast"),
    RUN("flash.bus_clock_hz", "20MHz"),
    RUN_WITH("flash.data_lines", "4", "flash.read_command=fast"),
    RUN_WITH("flash.dummy_cycles", "32", "flash.read_command=fast", "flash.bus_clock_hz=1MHz"),
    STRUCT_ONLY("flash.page_program_typ_us", "500", no_program),
    STRUCT_ONLY("flash.page_program_max_us", "4ms", no_program),
    /* Figures are taken over the drain: the clearing erase counts where it
     * comes before the last ack, as a sync reader's does. */
    RUN_WITH("flash.sector_erase_typ_us", "50ms", "reader.kind=sync"),
    RUN_WITH("flash.sector_erase_max_us", "800ms", "flash.initial_wear_cycles=50000",
             "reader.kind=sync"),
    STRUCT_ONLY("flash.block_erase_typ_us", "200ms", "only a glue's block erase uses it"),
    STRUCT_ONLY("flash.block_erase_max_us", "3s", "only a glue's block erase uses it"),
    STRUCT_ONLY("flash.chip_erase_typ_us", "50s", "no run erases the whole chip"),
    STRUCT_ONLY("flash.chip_erase_max_us", "300s", "no run erases the whole chip"),
    RUN_WITH("flash.endurance_cycles", "60000", "flash.initial_wear_cycles=50000",
             "reader.kind=sync"),
    RUN_WITH("flash.initial_wear_cycles", "50000", "reader.kind=sync"),
    RUN_WITH("flash.busy_policy", "reject", "flash.read_latency=fixed:2000000"),
    STRUCT_ONLY("flash.page_wrap", "false", no_program),
    STRUCT_ONLY("flash.refuse_double_program", "true", no_program),
    RUN("flash.read_latency", "fixed:100"),
    STRUCT_ONLY("flash.program_latency", "fixed:100", no_program),
    RUN("flash.erase_latency", "fixed:100"),

    RUN("faults.fault", "read_error op=2"),

    RUN("reader.kind", "double"),
    RUN("reader.window_bytes", "1KiB"),
    RUN_WITH("reader.clear_policy", "on_confirm", "link.disconnect_after_chunk=last"),
    RUN_WITH("reader.read_timeout_us", "50ms", "faults.fault=read_timeout op=3",
             "reader.window_bytes=256"),
    RUN_WITH("reader.max_retries", "0", "faults.fault=read_error op=2"),

    RUN("link.kind", "network"),
    RUN("link.att_mtu", "247"),
    RUN("link.conn_interval_us", "15ms"),
    RUN("link.packets_per_event", "2"),
    RUN("link.phy", "2M"),
    RUN("link.loss_rate", "0.2"),
    RUN("link.disconnect_at_us", "100ms"),
    RUN("link.disconnect_after_chunk", "5"),
    RUN_WITH("link.reconnect_after_us", "1s", "link.disconnect_at_us=100ms"),
    RUN_WITH("link.reboot_reconnect_us", "2s", "run.power_cuts=0"),
    RUN("link.chunk_bytes", "9"),
    RUN_WITH("link.bandwidth_bytes_per_s", "10000", "link.kind=network"),
    RUN_WITH("link.latency_us", "1ms", "link.kind=network"),
};

#define DOC_KEYS_MAX 128

typedef struct {
    char key[DOC_KEYS_MAX][64]; /* "section.key" */
    size_t count;
} documented_t;

static void documented_add(documented_t *d, const char *section, const char *name, size_t len)
{
    assert_lt(d->count, DOC_KEYS_MAX);
    snprintf(d->key[d->count++], sizeof d->key[0], "%s.%.*s", section, (int)len, name);
}

/*
 * The "| key | type | ..." tables under each "## [section]" heading; [faults]
 * documents its one key as "fault = KIND ..." instead of in a table.
 */
static void documented_keys(documented_t *d)
{
    FILE *f = fopen(README, "r");
    if (f == NULL)
        fail_msg("cannot read %s", README);
    char line[1024], section[32] = "";
    bool in_key_table = false;
    d->count = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "## ", 3) == 0) {
            section[0] = '\0';
            if (sscanf(line, "## [%31[a-z]]", section) != 1)
                section[0] = '\0';
            in_key_table = false;
        } else if (section[0] != '\0' && strncmp(line, "| key |", 7) == 0) {
            in_key_table = true;
        } else if (in_key_table && strncmp(line, "| `", 3) == 0) {
            const char *name = line + 3, *end = strchr(name, '`');
            assert_non_null(end);
            documented_add(d, section, name, (size_t)(end - name));
        } else if (line[0] != '|') {
            in_key_table = false;
        }
        if (strcmp(section, "faults") == 0 && strncmp(line, "fault = KIND", 12) == 0)
            documented_add(d, section, "fault", 5);
    }
    fclose(f);
}

static bool is_documented(const documented_t *d, const char *key)
{
    for (size_t i = 0; i < d->count; i++) {
        if (strcmp(d->key[i], key) == 0)
            return true;
    }
    return false;
}

static const doc_key_t *doc_key_find(const char *key)
{
    for (size_t i = 0; i < sizeof doc_keys / sizeof doc_keys[0]; i++) {
        if (strcmp(doc_keys[i].key, key) == 0)
            return &doc_keys[i];
    }
    return NULL;
}

static void test_documented_keys_and_parser_keys_are_the_same(void **state)
{
    (void)state;
    documented_t d;
    documented_keys(&d);
    assert_gt(d.count, 50); /* the tables were found */
    for (size_t i = 0; i < d.count; i++) {
        const char *dot = strchr(d.key[i], '.');
        char section[32];
        snprintf(section, sizeof section, "%.*s", (int)(dot - d.key[i]), d.key[i]);
        if (chunksim__scenario_key_index(section, dot + 1) < 0)
            fail_msg("%s documents %s, which the parser does not know", README, d.key[i]);
        if (doc_key_find(d.key[i]) == NULL)
            fail_msg("%s is documented but has no value in doc_keys[] here: add one", d.key[i]);
    }
    for (size_t i = 0; i < chunksim__scenario_key_count; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s.%s", chunksim__scenario_keys[i].section,
                 chunksim__scenario_keys[i].name);
        if (!is_documented(&d, key))
            fail_msg("the parser knows %s, which %s does not document", key, README);
    }
    for (size_t i = 0; i < sizeof doc_keys / sizeof doc_keys[0]; i++) {
        if (!is_documented(&d, doc_keys[i].key))
            fail_msg("doc_keys[] has %s, which %s does not document", doc_keys[i].key, README);
    }
}

/* The base, then the context and the key's value when given, validated. */
static void load_case(chunksim_scenario_t *sc, const doc_key_t *k, bool with_key)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    int rc = chunksim_scenario_load_string(sc, base_ini, "doc", NULL, err, sizeof err);
    for (int i = 0; i < 2 && rc == 0 && k->context[i] != NULL; i++)
        rc = chunksim_scenario_set_arg(sc, k->context[i], err, sizeof err);
    if (rc == 0 && with_key)
        rc = chunksim_scenario_set(sc, k->key, k->value, err, sizeof err);
    if (rc == 0)
        rc = chunksim_scenario_validate(sc, err, sizeof err);
    if (rc != 0)
        fail_msg("%s=%s: %s", k->key, k->value, err);
}

/*
 * The configuration as plain data, the record (text and origins) left out.
 * Both structs were zeroed before loading and are copied bytewise, so their
 * padding is equal and only the fields can differ.
 */
static bool config_equal(const chunksim_scenario_t *a, const chunksim_scenario_t *b)
{
    chunksim_scenario_t x, y;
    memcpy(&x, a, sizeof x);
    memcpy(&y, b, sizeof y);
    x.record = NULL;
    y.record = NULL;
    return memcmp(&x, &y, sizeof x) == 0;
}

static bool run_equal(const chunksim_run_result_t *a, const chunksim_run_result_t *b)
{
    const chunksim_metrics_t *x = &a->m, *y = &b->m;
    return a->outcome == b->outcome && a->passed == b->passed && x->drain_us == y->drain_us &&
           x->message_bytes == y->message_bytes && x->chunks == y->chunks &&
           x->wire_bytes == y->wire_bytes && x->flash_busy_us == y->flash_busy_us &&
           x->link_busy_us == y->link_busy_us && x->waits == y->waits && x->refills == y->refills &&
           x->retries == y->retries && x->faults_injected == y->faults_injected &&
           x->violations == y->violations && x->flash_ops == y->flash_ops;
}

static chunksim_run_result_t run_of(const chunksim_scenario_t *sc)
{
    chunksim_run_options_t opts = {0};
    chunksim_run_result_t res;
    assert_int_equal(chunksim_run(sc, &opts, &res), 0);
    return res;
}

static void test_every_documented_key_changes_what_it_documents(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof doc_keys / sizeof doc_keys[0]; i++) {
        const doc_key_t *k = &doc_keys[i];
        chunksim_scenario_t without, with;
        memset(&without, 0, sizeof without);
        memset(&with, 0, sizeof with);
        load_case(&without, k, false);
        load_case(&with, k, true);
        if (config_equal(&without, &with))
            fail_msg("%s=%s is accepted but leaves the loaded configuration as it was", k->key,
                     k->value);
        if (k->run_visible) {
            chunksim_run_result_t a = run_of(&without), b = run_of(&with);
            if (run_equal(&a, &b))
                fail_msg("%s=%s (with %s) changes nothing in the run: %s, %" PRIu64
                         " chunks in %" PRIu64 " us either way",
                         k->key, k->value, k->context[0] ? k->context[0] : "no context",
                         chunksim_outcome_name(b.outcome), b.m.chunks, b.m.drain_us);
        } else {
            assert_non_null(k->why_not);
        }
        chunksim_scenario_free(&without);
        chunksim_scenario_free(&with);
    }
}
/* The "| part | what | ..." table under [flash] names the part table's rows, in its order. */
static void test_documented_parts_are_the_part_table(void **state)
{
    (void)state;
    FILE *f = fopen(README, "r");
    if (f == NULL)
        fail_msg("cannot read %s", README);
    char line[1024];
    bool in_parts = false;
    size_t n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "| part | what |", 15) == 0) {
            in_parts = true;
        } else if (in_parts && strncmp(line, "| `", 3) == 0) {
            const flashmodel_part_info_t *row = flashmodel_part_at(n++);
            if (row == NULL)
                fail_msg("%s lists a part beyond the table: %s", README, line);
            size_t len = strlen(row->name);
            if (strncmp(line + 3, row->name, len) != 0 || line[3 + len] != '`')
                fail_msg("%s lists \"%.40s\" where the part table has %s", README, line + 2,
                         row->name);
        } else if (line[0] != '|') {
            in_parts = false;
        }
    }
    fclose(f);
    assert_int_equal(n, flashmodel_part_count());
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_documented_keys_and_parser_keys_are_the_same),
    cmocka_unit_test(test_every_documented_key_changes_what_it_documents),
    cmocka_unit_test(test_documented_parts_are_the_part_table),
})
