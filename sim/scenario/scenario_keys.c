/*
 * Every scenario key, once: its section, its field, its type and range. The
 * INI reader, --set overrides and the messages all go through this table, so
 * a key cannot be accepted in one place and refused in another.
 * scenarios/README.md documents the same table for users; keep them in step.
 */
#include "scenario_internal.h"

#include "chunksim/link.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFF(field)            offsetof(chunksim_scenario_t, field)
#define FIELD(sc, key, type)  ((type *)((char *)(sc) + (key)->offset))
#define CFIELD(sc, key, type) ((const type *)((const char *)(sc) + (key)->offset))

/* The core addresses storage with 32-bit offsets; 2 GiB keeps sums of two in range. */
#define BYTES_MAX 2147483648ull
/* What a run records and judges (scenario.h). */
#define COREDUMP_MAX ((uint64_t)CHUNKSIM_SCENARIO_COREDUMP_MAX_BYTES)
#define MIB          1048576ull
#define SECOND_US    1000000ull
#define DAY_US       (86400ull * SECOND_US)
#define YEAR_US      (365ull * DAY_US)

/* Enum keywords; the index is the enum value. */
static const char *const mode_words[] = {"virtual", "realtime", NULL};
#define EXPECT_WORD_YES(text) text,
#define EXPECT_WORD_NO(text)
#define EXPECT_WORD_(name, text, expectable) EXPECT_WORD_##expectable(text)
/* Every outcome a scenario may expect, in the outcomes' order: chunksim_expect_t is one above. */
static const char *const expect_words[] = {"none", CHUNKSIM_OUTCOME_MAP(EXPECT_WORD_) NULL};
/* By chunksim_image_content_t. */
static const char *const content_words[] = {"pattern", "random", "file", "ram", NULL};
static const char *const read_command_words[] = {"read", "fast", NULL};
static const char *const busy_words[] = {"queue", "reject", "suspend", NULL};
static const char *const reader_words[] = {"sync", "single", "double", NULL};
static const char *const clear_words[] = {"on_last_read", "on_confirm", NULL};
static const char *const link_words[] = {"ble", "network", NULL};
static const char *const phy_words[] = {"1M", "2M", NULL};
static const char *const cut_on_words[] = {"any", "read", "program", "erase", NULL};

_Static_assert(sizeof(chunksim_sched_mode_t) == sizeof(int), "WORD keys store enums as int");
_Static_assert(sizeof(chunksim_expect_t) == sizeof(int), "WORD keys store enums as int");
_Static_assert(sizeof(chunksim_link_kind_t) == sizeof(int), "WORD keys store enums as int");
/* The words' index is the module's value. */
_Static_assert(CHUNKSIM_SCHED_VIRTUAL == 0 && CHUNKSIM_SCHED_REALTIME == 1, "mode_words order");
_Static_assert(CHUNKSIM_LINK_BLE == 0 && CHUNKSIM_LINK_NETWORK == 1, "link_words order");
_Static_assert(sizeof(flashmodel_busy_policy_t) == sizeof(int), "WORD keys store enums as int");
_Static_assert(FLASHMODEL_BUSY_QUEUE == 0 && FLASHMODEL_BUSY_REJECT == 1 &&
                   FLASHMODEL_BUSY_SUSPEND == 2,
               "busy_words order");
_Static_assert(sizeof(chunksim_phy_t) == sizeof(int), "WORD keys store enums as int");
_Static_assert(sizeof(chunksim_cut_on_t) == sizeof(int), "WORD keys store enums as int");

const char *const chunksim__scenario_sections[] = {"run",    "coredump", "flash", "faults",
                                                   "reader", "link",     NULL};

const char *chunksim_expect_name(chunksim_expect_t expect)
{
    return (unsigned)expect <= CHUNKSIM_EXPECT_VIOLATION ? expect_words[expect] : "?";
}

chunksim_outcome_t chunksim_expect_outcome(chunksim_expect_t expect)
{
    return expect == CHUNKSIM_EXPECT_NONE ? CHUNKSIM_OUTCOME_OK
                                          : (chunksim_outcome_t)(expect - CHUNKSIM_EXPECT_OK);
}

const char *chunksim_reader_kind_name(chunksim_reader_kind_t kind)
{
    return (unsigned)kind <= CHUNKSIM_READER_DOUBLE ? reader_words[kind] : "?";
}

/* ---- custom appliers --------------------------------------------------- */

static int apply_pattern(chunksim_scenario_t *sc, const struct scenario_key *key, const char *value,
                         const struct scenario_env *env, char *why, size_t whylen)
{
    (void)key;
    (void)env;
    size_t digits = strlen(value);
    uint8_t bytes[CHUNKSIM_SCENARIO_PATTERN_MAX];
    bool ok = digits >= 2 && digits % 2 == 0 && digits / 2 <= sizeof bytes;
    for (size_t i = 0; ok && i < digits / 2; i++) {
        unsigned b;
        char pair[3] = {value[2 * i], value[2 * i + 1], '\0'};
        char *end;
        b = (unsigned)strtoul(pair, &end, 16);
        ok = *end == '\0' && pair[0] != '+' && pair[0] != '-' && pair[0] != ' ';
        bytes[i] = (uint8_t)b;
    }
    if (!ok) {
        chunksim__scenario_format(
            why, whylen, "must be an even number of hex digits (1 to %d bytes), e.g. DEADBEEF",
            CHUNKSIM_SCENARIO_PATTERN_MAX);
        return -EINVAL;
    }
    memcpy(sc->coredump.pattern, bytes, digits / 2);
    sc->coredump.pattern_bytes = digits / 2;
    return 0;
}

static int apply_file(chunksim_scenario_t *sc, const struct scenario_key *key, const char *value,
                      const struct scenario_env *env, char *why, size_t whylen)
{
    (void)key;
    if (value[0] == '\0') {
        chunksim__scenario_format(why, whylen, "must be a path (relative to the scenario file)");
        return -EINVAL;
    }
    char *path = chunksim__scenario_path_join(env->base_dir, value);
    if (path == NULL)
        return -ENOMEM;
    /* Sized before it is read: a wrong path to a disk image must not fill RAM. */
    char *data;
    size_t bytes;
    int rc =
        chunksim__scenario_regular_file_read(path, COREDUMP_MAX - SCENARIO_COREDUMP_FRAME_BYTES,
                                             "a coredump can hold", &data, &bytes, why, whylen);
    if (rc < 0) {
        free(path);
        return rc;
    }
    free(sc->coredump.file_path);
    free(sc->coredump.file_data);
    sc->coredump.file_path = path;
    sc->coredump.file_data = (uint8_t *)data;
    sc->coredump.file_bytes = bytes;
    return 0;
}

static int apply_project_key(chunksim_scenario_t *sc, const struct scenario_key *key,
                             const char *value, const struct scenario_env *env, char *why,
                             size_t whylen)
{
    (void)key;
    (void)env;
    size_t n = strlen(value);
    bool ok = n <= CHUNKSIM_SCENARIO_PROJECT_KEY_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = value[i] > ' ' && value[i] < 0x7F;
    if (!ok) {
        chunksim__scenario_format(why, whylen,
                                  "must be at most %d printable characters without spaces",
                                  CHUNKSIM_SCENARIO_PROJECT_KEY_MAX);
        return -EINVAL;
    }
    memcpy(sc->coredump.project_key, value, n + 1);
    return 0;
}

static int apply_data_lines(chunksim_scenario_t *sc, const struct scenario_key *key,
                            const char *value, const struct scenario_env *env, char *why,
                            size_t whylen)
{
    (void)key;
    (void)env;
    uint64_t v;
    if (chunksim__scenario_parse_scaled(value, SCENARIO_UNIT_NONE, &v) != 0 ||
        (v != 1 && v != 2 && v != 4)) {
        chunksim__scenario_format(why, whylen, "must be 1, 2 or 4");
        return -EINVAL;
    }
    sc->flash.data_lines = (uint32_t)v;
    return 0;
}

static int apply_latency(chunksim_scenario_t *sc, const struct scenario_key *key, const char *value,
                         const struct scenario_env *env, char *why, size_t whylen)
{
    chunksim_latency_t lat;
    int rc = chunksim__scenario_parse_latency(value, env->base_dir, &lat, why, whylen);
    if (rc < 0)
        return rc;
    chunksim_latency_t *field = FIELD(sc, key, chunksim_latency_t);
    chunksim__scenario_latency_free(field);
    *field = lat;
    return 0;
}

static int apply_fault(chunksim_scenario_t *sc, const struct scenario_key *key, const char *value,
                       const struct scenario_env *env, char *why, size_t whylen)
{
    (void)key;
    if (strcmp(value, "none") == 0) {
        free(sc->faults.rules);
        sc->faults.rules = NULL;
        sc->faults.count = 0;
        return 0;
    }
    chunksim_fault_rule_t rule;
    int rc = chunksim__scenario_parse_fault(value, &rule, why, whylen);
    if (rc < 0)
        return rc;
    rule.line = env->line;
    chunksim_fault_rule_t *rules =
        realloc(sc->faults.rules, (sc->faults.count + 1) * sizeof *sc->faults.rules);
    if (rules == NULL)
        return -ENOMEM;
    rules[sc->faults.count++] = rule;
    sc->faults.rules = rules;
    return 0;
}

static int apply_chunk_index(chunksim_scenario_t *sc, const struct scenario_key *key,
                             const char *value, const struct scenario_env *env, char *why,
                             size_t whylen)
{
    (void)key;
    (void)env;
    uint64_t v;
    if (chunksim__scenario_parse_word(value, (const char *const[]){"never", NULL}) == 0) {
        v = CHUNKSIM_SCENARIO_NEVER;
    } else if (chunksim__scenario_parse_word(value, (const char *const[]){"last", NULL}) == 0) {
        v = CHUNKSIM_SCENARIO_LAST_CHUNK;
    } else if (chunksim__scenario_parse_scaled(value, SCENARIO_UNIT_NONE, &v) != 0 ||
               v > INT64_MAX) {
        chunksim__scenario_format(why, whylen,
                                  "must be a chunk index (0 is the first chunk), last or never");
        return -EINVAL;
    }
    sc->link.disconnect_after_chunk = v;
    return 0;
}

/* "none", or operation numbers separated by commas, one per boot. */
static int apply_power_cuts(chunksim_scenario_t *sc, const struct scenario_key *key,
                            const char *value, const struct scenario_env *env, char *why,
                            size_t whylen)
{
    (void)key;
    (void)env;
    uint64_t cuts[CHUNKSIM_SCENARIO_POWER_CUTS_MAX];
    size_t n = 0;
    if (chunksim__scenario_parse_word(value, (const char *const[]){"none", NULL}) == 0) {
        sc->run.power_cut_count = 0;
        return 0;
    }
    for (const char *p = value;; p++) {
        char item[32];
        size_t len = strcspn(p, ",");
        bool ok = len < sizeof(item) && n < CHUNKSIM_SCENARIO_POWER_CUTS_MAX;
        if (ok) {
            size_t skip = strspn(p, " \t"), end = len;
            while (end > skip && (p[end - 1] == ' ' || p[end - 1] == '\t')) {
                end--;
            }
            memcpy(item, p + skip, end - skip);
            item[end - skip] = '\0';
            ok = chunksim__scenario_parse_scaled(item, SCENARIO_UNIT_NONE, &cuts[n]) == 0 &&
                 cuts[n] <= INT64_MAX;
        }
        if (!ok) {
            chunksim__scenario_format(
                why, whylen,
                "must be none or up to %d operation numbers separated by commas (0 is "
                "a boot's first flash operation), e.g. 14,0",
                CHUNKSIM_SCENARIO_POWER_CUTS_MAX);
            return -EINVAL;
        }
        n++;
        p += len;
        if (*p == '\0') {
            break;
        }
    }
    memcpy(sc->run.power_cuts, cuts, n * sizeof(cuts[0]));
    sc->run.power_cut_count = n;
    return 0;
}

/* ---- the table --------------------------------------------------------- */

#define KEY(sec, nm, ty, field) .section = sec, .name = nm, .type = ty, .offset = OFF(field)
#define U32(sec, nm, field, un, lo, hi)                                                            \
    {                                                                                              \
        KEY(sec, nm, SCENARIO_KT_U32, field), .unit = un, .min = lo, .max = hi                     \
    }
#define U64(sec, nm, field, un, lo, hi)                                                            \
    {                                                                                              \
        KEY(sec, nm, SCENARIO_KT_U64, field), .unit = un, .min = lo, .max = hi                     \
    }
#define POW2(sec, nm, field, lo, hi)                                                               \
    {                                                                                              \
        KEY(sec, nm, SCENARIO_KT_U32, field), .unit = SCENARIO_UNIT_BYTES, .min = lo, .max = hi,   \
                                              .pow2 = true                                         \
    }
#define NEVER_US(sec, nm, field)                                                                   \
    {                                                                                              \
        KEY(sec, nm, SCENARIO_KT_U64, field), .unit = SCENARIO_UNIT_US, .min = 0, .max = YEAR_US,  \
                                              .never = true                                        \
    }
#define WORD(sec, nm, field, w)                                                                    \
    {                                                                                              \
        KEY(sec, nm, SCENARIO_KT_WORD, field), .words = w                                          \
    }
#define BOOL(sec, nm, field)                                                                       \
    {                                                                                              \
        KEY(sec, nm, SCENARIO_KT_BOOL, field)                                                      \
    }
#define STRING(sec, nm, field)                                                                     \
    {                                                                                              \
        KEY(sec, nm, SCENARIO_KT_STRING, field),                                                   \
            .capacity = sizeof(((chunksim_scenario_t *)0)->field)                                  \
    }
#define CUSTOM(sec, nm, field, fn)                                                                 \
    {                                                                                              \
        KEY(sec, nm, SCENARIO_KT_CUSTOM, field), .apply = fn                                       \
    }
#define TIME(sec, nm, field) U64(sec, nm, field, SCENARIO_UNIT_US, 0, DAY_US)

const struct scenario_key chunksim__scenario_keys[] = {
    STRING("run", "name", run.name),
    STRING("run", "description", run.description),
    U64("run", "seed", run.seed, SCENARIO_UNIT_NONE, 0, UINT64_MAX),
    WORD("run", "mode", run.mode, mode_words),
    {KEY("run", "realtime_scale", SCENARIO_KT_DOUBLE, run.realtime_scale), .dmin = 1e-3,
     .dmax = 1e3},
    U64("run", "max_sim_us", run.max_sim_us, SCENARIO_UNIT_US, 1, YEAR_US),
    WORD("run", "expect", run.expect, expect_words),
    BOOL("run", "power_loss_stops", run.power_loss_stops),
    CUSTOM("run", "power_cuts", run.power_cuts, apply_power_cuts),
    WORD("run", "power_cuts_on", run.power_cuts_on, cut_on_words),

    U32("coredump", "size_bytes", coredump.size_bytes, SCENARIO_UNIT_BYTES,
        SCENARIO_COREDUMP_FRAME_BYTES, COREDUMP_MAX),
    WORD("coredump", "content", coredump.content, content_words),
    CUSTOM("coredump", "pattern_hex", coredump.pattern, apply_pattern),
    CUSTOM("coredump", "file", coredump.file_path, apply_file),
    U32("coredump", "storage_bytes", coredump.storage_bytes, SCENARIO_UNIT_BYTES,
        SCENARIO_COREDUMP_FRAME_BYTES, BYTES_MAX),
    U32("coredump", "storage_offset_bytes", coredump.storage_offset_bytes, SCENARIO_UNIT_BYTES, 0,
        BYTES_MAX - 1),
    CUSTOM("coredump", "project_key", coredump.project_key, apply_project_key),
    BOOL("coredump", "rle", coredump.rle),
    U32("coredump", "zero_percent", coredump.zero_percent, SCENARIO_UNIT_NONE, 0, 100),

    CUSTOM("flash", "part", flash.part, chunksim__scenario_apply_part),
    U32("flash", "size_bytes", flash.size_bytes, SCENARIO_UNIT_BYTES, 256, BYTES_MAX),
    POW2("flash", "page_bytes", flash.page_bytes, 16, 65536),
    POW2("flash", "sector_bytes", flash.sector_bytes, 256, 16 * MIB),
    POW2("flash", "block_bytes", flash.block_bytes, 256, 16 * MIB),
    WORD("flash", "read_command", flash.read_command, read_command_words),
    U32("flash", "bus_clock_hz", flash.bus_clock_hz, SCENARIO_UNIT_HZ, 1000, 1000000000),
    CUSTOM("flash", "data_lines", flash.data_lines, apply_data_lines),
    U32("flash", "dummy_cycles", flash.dummy_cycles, SCENARIO_UNIT_NONE, 0, 32),
    TIME("flash", "page_program_typ_us", flash.page_program_typ_us),
    TIME("flash", "page_program_max_us", flash.page_program_max_us),
    TIME("flash", "sector_erase_typ_us", flash.sector_erase_typ_us),
    TIME("flash", "sector_erase_max_us", flash.sector_erase_max_us),
    TIME("flash", "block_erase_typ_us", flash.block_erase_typ_us),
    TIME("flash", "block_erase_max_us", flash.block_erase_max_us),
    TIME("flash", "chip_erase_typ_us", flash.chip_erase_typ_us),
    TIME("flash", "chip_erase_max_us", flash.chip_erase_max_us),
    U32("flash", "endurance_cycles", flash.endurance_cycles, SCENARIO_UNIT_NONE, 1, 1000000000),
    U32("flash", "initial_wear_cycles", flash.initial_wear_cycles, SCENARIO_UNIT_NONE, 0,
        1000000000),
    WORD("flash", "busy_policy", flash.busy_policy, busy_words),
    BOOL("flash", "page_wrap", flash.page_wrap),
    BOOL("flash", "refuse_double_program", flash.refuse_double_program),
    CUSTOM("flash", "read_latency", flash.read_latency, apply_latency),
    CUSTOM("flash", "program_latency", flash.program_latency, apply_latency),
    CUSTOM("flash", "erase_latency", flash.erase_latency, apply_latency),

    {KEY("faults", "fault", SCENARIO_KT_CUSTOM, faults), .apply = apply_fault, .repeats = true},

    WORD("reader", "kind", reader.kind, reader_words),
    U32("reader", "window_bytes", reader.window_bytes, SCENARIO_UNIT_BYTES,
        CHUNKCORE_ASYNC_MIN_WINDOW_BYTES, 16 * MIB),
    WORD("reader", "clear_policy", reader.clear_policy, clear_words),
    TIME("reader", "read_timeout_us", reader.read_timeout_us),
    U32("reader", "max_retries", reader.max_retries, SCENARIO_UNIT_NONE, 0, 1000000),

    WORD("link", "kind", link.kind, link_words),
    /* The link model's own limits, so that what loads also runs. */
    U32("link", "att_mtu", link.att_mtu, SCENARIO_UNIT_NONE, CHUNKSIM_LINK_BLE_MTU_MIN,
        CHUNKSIM_LINK_BLE_MTU_MAX),
    {KEY("link", "conn_interval_us", SCENARIO_KT_U64, link.conn_interval_us),
     .unit = SCENARIO_UNIT_US, .min = CHUNKSIM_LINK_BLE_INTERVAL_MIN_US,
     .max = CHUNKSIM_LINK_BLE_INTERVAL_MAX_US, .step = CHUNKSIM_LINK_BLE_INTERVAL_STEP_US},
    U32("link", "packets_per_event", link.packets_per_event, SCENARIO_UNIT_NONE, 1,
        CHUNKSIM_LINK_BLE_PPE_MAX),
    WORD("link", "phy", link.phy, phy_words),
    {KEY("link", "loss_rate", SCENARIO_KT_DOUBLE, link.loss_rate), .dmin = 0, .dmax = 1,
     .dmax_open = true},
    NEVER_US("link", "disconnect_at_us", link.disconnect_at_us),
    CUSTOM("link", "disconnect_after_chunk", link.disconnect_after_chunk, apply_chunk_index),
    NEVER_US("link", "reconnect_after_us", link.reconnect_after_us),
    NEVER_US("link", "reboot_reconnect_us", link.reboot_reconnect_us),
    U32("link", "chunk_bytes", link.chunk_bytes, SCENARIO_UNIT_BYTES, CHUNKCORE_CHUNK_MIN_BYTES,
        CHUNKSIM_LINK_NETWORK_CHUNK_MAX),
    U64("link", "bandwidth_bytes_per_s", link.bandwidth_bytes_per_s, SCENARIO_UNIT_BYTES, 1,
        1024 * MIB),
    TIME("link", "latency_us", link.latency_us),
};

const size_t chunksim__scenario_key_count =
    sizeof chunksim__scenario_keys / sizeof chunksim__scenario_keys[0];

int chunksim__scenario_key_index(const char *section, const char *name)
{
    /* Every case of a matrix loads its scenario, and defaults and part rows
     * look keys up by name: the first letters rule out most keys cheaply. */
    for (size_t i = 0; i < chunksim__scenario_key_count; i++) {
        const char *ks = chunksim__scenario_keys[i].section, *kn = chunksim__scenario_keys[i].name;
        if (kn[0] == name[0] && ks[0] == section[0] && strcmp(kn, name) == 0 &&
            strcmp(ks, section) == 0)
            return (int)i;
    }
    return -1;
}

bool chunksim__scenario_section_known(const char *section)
{
    for (int i = 0; chunksim__scenario_sections[i] != NULL; i++) {
        if (strcmp(section, chunksim__scenario_sections[i]) == 0)
            return true;
    }
    return false;
}

void chunksim__scenario_section_keys(const char *section, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < chunksim__scenario_key_count && used < len; i++) {
        if (strcmp(chunksim__scenario_keys[i].section, section) != 0)
            continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                         chunksim__scenario_keys[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* ---- generic appliers -------------------------------------------------- */

static void int_expectation(const struct scenario_key *key, char *why, size_t whylen)
{
    static const char *const unit_words[] = {"", " bytes", " microseconds", " Hz"};
    const char *what = key->pow2   ? "a power of two"
                       : key->step ? "a multiple of"
                                   : "a whole number";
    char step[32] = "";
    if (key->step && !key->pow2)
        snprintf(step, sizeof step, " %" PRIu64, key->step);
    const char *suffixes = chunksim__scenario_unit_suffixes(key->unit);
    chunksim__scenario_format(
        why, whylen, "must be %s%s between %" PRIu64 " and %" PRIu64 "%s%s%s%s%s", what, step,
        key->min, key->max, unit_words[key->unit], key->never ? ", or never" : "",
        suffixes[0] ? " (suffixes: " : "", suffixes, suffixes[0] ? ")" : "");
}

static int apply_int(chunksim_scenario_t *sc, const struct scenario_key *key, const char *value,
                     char *why, size_t whylen)
{
    uint64_t v;
    if (key->never &&
        chunksim__scenario_parse_word(value, (const char *const[]){"never", NULL}) == 0) {
        *FIELD(sc, key, uint64_t) = CHUNKSIM_SCENARIO_NEVER;
        return 0;
    }
    bool ok = chunksim__scenario_parse_scaled(value, key->unit, &v) == SCENARIO_NUM_OK &&
              v >= key->min && v <= key->max && (!key->step || v % key->step == 0) &&
              (!key->pow2 || (v & (v - 1)) == 0);
    if (!ok) {
        int_expectation(key, why, whylen);
        return -EINVAL;
    }
    if (key->type == SCENARIO_KT_U32)
        *FIELD(sc, key, uint32_t) = (uint32_t)v;
    else
        *FIELD(sc, key, uint64_t) = v;
    return 0;
}

static int apply_double(chunksim_scenario_t *sc, const struct scenario_key *key, const char *value,
                        char *why, size_t whylen)
{
    double v;
    if (chunksim__scenario_parse_double(value, &v) < 0 || v < key->dmin || v > key->dmax ||
        (key->dmax_open && v >= key->dmax)) {
        chunksim__scenario_format(why, whylen, "must be a number from %g to %g%s", key->dmin,
                                  key->dmax, key->dmax_open ? " (exclusive)" : "");
        return -EINVAL;
    }
    *FIELD(sc, key, double) = v;
    return 0;
}

static int apply_string(chunksim_scenario_t *sc, const struct scenario_key *key, const char *value,
                        char *why, size_t whylen)
{
    size_t n = strlen(value);
    bool control;
    long bad = chunksim__scenario_text_check(value, &control);
    if (n >= key->capacity || (n == 0 && strcmp(key->name, "name") == 0) || bad >= 0 || control) {
        char where[48] = "";
        if (bad >= 0)
            snprintf(where, sizeof where, "byte %ld (0x%02X) is not UTF-8; ", bad + 1,
                     (unsigned char)value[bad]);
        chunksim__scenario_format(
            why, whylen, "%smust be %s%zu bytes of UTF-8 text, no control characters", where,
            strcmp(key->name, "name") == 0 ? "1 to " : "at most ", key->capacity - 1);
        return -EINVAL;
    }
    memcpy(FIELD(sc, key, char), value, n + 1);
    return 0;
}

int chunksim__scenario_key_apply(chunksim_scenario_t *sc, int index, const char *value,
                                 const struct scenario_env *env, char *why, size_t whylen)
{
    const struct scenario_key *key = &chunksim__scenario_keys[index];
    char words[200];
    int w;
    bool b;
    switch (key->type) {
    case SCENARIO_KT_U32:
    case SCENARIO_KT_U64:
        return apply_int(sc, key, value, why, whylen);
    case SCENARIO_KT_DOUBLE:
        return apply_double(sc, key, value, why, whylen);
    case SCENARIO_KT_BOOL:
        if (chunksim__scenario_parse_bool(value, &b) < 0) {
            chunksim__scenario_format(why, whylen, "must be true or false (also yes/no, 1/0)");
            return -EINVAL;
        }
        *FIELD(sc, key, bool) = b;
        return 0;
    case SCENARIO_KT_WORD:
        w = chunksim__scenario_parse_word(value, key->words);
        if (w < 0) {
            chunksim__scenario_words_join(key->words, words, sizeof words);
            chunksim__scenario_format(why, whylen, "must be %s", words);
            return -EINVAL;
        }
        *FIELD(sc, key, int) = w;
        return 0;
    case SCENARIO_KT_STRING:
        return apply_string(sc, key, value, why, whylen);
    default:
        return key->apply(sc, key, value, env, why, whylen);
    }
}

void chunksim__scenario_key_format(const chunksim_scenario_t *sc, int index, char *buf, size_t len)
{
    const struct scenario_key *key = &chunksim__scenario_keys[index];
    uint64_t v;
    switch (key->type) {
    case SCENARIO_KT_U32:
        chunksim__scenario_format(buf, len, "%" PRIu32, *CFIELD(sc, key, uint32_t));
        return;
    case SCENARIO_KT_U64:
        v = *CFIELD(sc, key, uint64_t);
        if (key->never && v == CHUNKSIM_SCENARIO_NEVER)
            chunksim__scenario_format(buf, len, "never");
        else
            chunksim__scenario_format(buf, len, "%" PRIu64, v);
        return;
    case SCENARIO_KT_DOUBLE:
        chunksim__scenario_format(buf, len, "%g", *CFIELD(sc, key, double));
        return;
    case SCENARIO_KT_BOOL:
        chunksim__scenario_format(buf, len, "%s", *CFIELD(sc, key, bool) ? "true" : "false");
        return;
    case SCENARIO_KT_WORD:
        chunksim__scenario_format(buf, len, "%s", key->words[*CFIELD(sc, key, int)]);
        return;
    case SCENARIO_KT_STRING:
        chunksim__scenario_format(buf, len, "%s", CFIELD(sc, key, char));
        return;
    default:
        if (key->apply == apply_data_lines)
            chunksim__scenario_format(buf, len, "%" PRIu32, sc->flash.data_lines);
        else if (key->apply == chunksim__scenario_apply_part)
            chunksim__scenario_format(buf, len, "%s", sc->flash.part);
        else
            chunksim__scenario_format(buf, len, "...");
        return;
    }
}
