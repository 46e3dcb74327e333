/*
 * Scenario loading: defaults, the INI reader (libinih, fed line by line so
 * that every message can name its line), overrides, the recorded text, and
 * the lifetime of what a scenario owns.
 */
#include "scenario_internal.h"
#include "util_internal.h"

#include "chunksim/link.h"
#include "chunksim/error.h"
#include "flashmodel/part.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* BLE and network defaults (docs/design.md, "The link model"); the flash's come from its part. */
#define BLE_ATT_MTU_MIN           23u
#define BLE_ATT_HEADER_BYTES      3u /* opcode + handle: notification payload = MTU - 3 */
#define BLE_CONN_INTERVAL_US      30000u
#define BLE_PACKETS_PER_EVENT     4u
#define NETWORK_CHUNK_BYTES       1024u
#define NETWORK_BANDWIDTH_BYTES_S 1000000u
#define NETWORK_LATENCY_US        5000u

static const chunksim_scenario_t scenario_default = {
    .run =
        {
            .name = "unnamed",
            .seed = 1,
            .mode = CHUNKSIM_SCHED_VIRTUAL,
            .realtime_scale = 1.0,
            .max_sim_us = 600000000u,
            .expect = CHUNKSIM_EXPECT_NONE,
        },
    .coredump =
        {
            .size_bytes = 65536,
            .content = CHUNKSIM_IMAGE_RANDOM,
            .pattern = {0xDE, 0xAD, 0xBE, 0xEF},
            .pattern_bytes = 4,
            .storage_bytes = 65536,
            .zero_percent = 60,
        },
    .flash =
        {
            .read_command = CHUNKSIM_READ_CMD_READ,
            .data_lines = 1,
            .busy_policy = FLASHMODEL_BUSY_QUEUE,
            .page_wrap = true,
        },
    .reader =
        {
            .kind = CHUNKSIM_READER_SINGLE,
            .window_bytes = 4096,
            .clear_policy = CHUNKSIM_CLEAR_ON_LAST_READ,
            .read_timeout_us = 1000000,
            .max_retries = 3,
        },
    .link =
        {
            .kind = CHUNKSIM_LINK_BLE,
            .att_mtu = BLE_ATT_MTU_MIN,
            .conn_interval_us = BLE_CONN_INTERVAL_US,
            .packets_per_event = BLE_PACKETS_PER_EVENT,
            .phy = CHUNKSIM_PHY_1M,
            .disconnect_at_us = CHUNKSIM_SCENARIO_NEVER,
            .disconnect_after_chunk = CHUNKSIM_SCENARIO_NEVER,
            .reconnect_after_us = CHUNKSIM_SCENARIO_NEVER,
            .reboot_reconnect_us = 1000000,
            .chunk_bytes = BLE_ATT_MTU_MIN - BLE_ATT_HEADER_BYTES,
            .bandwidth_bytes_per_s = NETWORK_BANDWIDTH_BYTES_S,
            .latency_us = NETWORK_LATENCY_US,
        },
};

void chunksim_scenario_defaults(chunksim_scenario_t *sc)
{
    *sc = scenario_default;
    chunksim__scenario_format(sc->flash.part, sizeof sc->flash.part, "%s",
                              flashmodel_part_at(0)->name);
    chunksim__scenario_part_fill(sc);
}

/* ---- derived defaults (used by validation) ----------------------------- */

uint32_t chunksim__scenario_ble_max_chunk_bytes(uint32_t att_mtu)
{
    return chunksim_link_ble_notify_max_bytes(att_mtu);
}

uint32_t chunksim__scenario_default_chunk_bytes(const chunksim_scenario_t *sc)
{
    return sc->link.kind == CHUNKSIM_LINK_BLE
               ? chunksim__scenario_ble_max_chunk_bytes(sc->link.att_mtu)
               : NETWORK_CHUNK_BYTES;
}

/* ---- the record -------------------------------------------------------- */

static struct chunksim_scenario_record *record_new(const char *text, size_t text_bytes,
                                                   const char *source)
{
    struct chunksim_scenario_record *rec = calloc(1, sizeof *rec);
    if (rec == NULL)
        return NULL;
    rec->text = malloc(text_bytes + 1);
    rec->source = strdup(source);
    rec->origin = calloc(chunksim__scenario_key_count, sizeof *rec->origin);
    if (rec->text == NULL || rec->source == NULL || rec->origin == NULL) {
        free(rec->text);
        free(rec->source);
        free(rec->origin);
        free(rec);
        return NULL;
    }
    memcpy(rec->text, text, text_bytes);
    rec->text[text_bytes] = '\0';
    rec->text_bytes = text_bytes;
    return rec;
}

static void record_free(struct chunksim_scenario_record *rec)
{
    if (rec == NULL)
        return;
    free(rec->text);
    free(rec->source);
    free(rec->origin);
    free(rec);
}

int chunksim__scenario_origin(const chunksim_scenario_t *sc, int index)
{
    return sc->record != NULL ? sc->record->origin[index] : SCENARIO_ORIGIN_DEFAULT;
}

const char *chunksim__scenario_source(const chunksim_scenario_t *sc)
{
    return sc->record != NULL ? sc->record->source : "scenario";
}

void chunksim__scenario_key_where(const chunksim_scenario_t *sc, int index, char *buf, size_t len)
{
    const struct scenario_key *key = &chunksim__scenario_keys[index];
    char value[160];
    chunksim__scenario_key_format(sc, index, value, sizeof value);
    int origin = chunksim__scenario_origin(sc, index);
    if (origin > 0)
        chunksim__scenario_format(buf, len, "%s:%d: [%s] %s = %s", chunksim__scenario_source(sc),
                                  origin, key->section, key->name, value);
    else if (origin == SCENARIO_ORIGIN_SET)
        chunksim__scenario_format(buf, len, "--set %s.%s=%s", key->section, key->name, value);
    else
        chunksim__scenario_format(buf, len, "%s: [%s] %s = %s (default)",
                                  chunksim__scenario_source(sc), key->section, key->name, value);
}

/* ---- overrides --------------------------------------------------------- */

/* Grows the text so that the override line fits; nothing else changes. */
static int record_reserve(struct chunksim_scenario_record *rec, size_t extra)
{
    char *bigger = realloc(rec->text, rec->text_bytes + extra + 1);
    if (bigger == NULL)
        return -ENOMEM;
    rec->text = bigger;
    return 0;
}

static void record_append_set(struct chunksim_scenario_record *rec, const char *key,
                              const char *value)
{
    size_t room = strlen(key) + strlen(value) + 16;
    char *end = rec->text + rec->text_bytes;
    const char *nl = rec->text_bytes > 0 && end[-1] != '\n' ? "\n" : "";
    int w = snprintf(end, room, "%s; --set %s=%s\n", nl, key, value);
    rec->text_bytes += (size_t)w;
}

/*
 * One override. line > 0: a "; --set" line of a loaded text (messages name
 * it, the text already holds it); line 0: a new override, appended to the text.
 */
static int set_one(chunksim_scenario_t *sc, const char *key_in, const char *value_in, uint32_t line,
                   char *err, size_t errlen)
{
    char keybuf[128], valbuf[512], where[700], why[SCENARIO_WHY_BYTES], keys[400];
    if (strlen(key_in) >= sizeof keybuf || strlen(value_in) >= sizeof valbuf) {
        chunksim__scenario_format(
            err, errlen, "--set %.*s: longer than %zu characters (key) or %zu (value)",
            (int)(sizeof keybuf), key_in, sizeof keybuf - 1, sizeof valbuf - 1);
        return -EINVAL;
    }
    strcpy(keybuf, key_in);
    strcpy(valbuf, value_in);
    char *key = chunksim__trim(keybuf), *value = chunksim__trim(valbuf);
    if (line > 0)
        chunksim__scenario_format(where, sizeof where, "%s:%u: --set %s=%s",
                                  chunksim__scenario_source(sc), line, key, value);
    else
        chunksim__scenario_format(where, sizeof where, "--set %s=%s", key, value);

    char *dot = strchr(key, '.');
    if (dot == NULL) {
        chunksim__scenario_format(err, errlen,
                                  "%s: expected section.key=value, e.g. link.att_mtu=247", where);
        return -EINVAL;
    }
    *dot = '\0';
    const char *section = key, *name = dot + 1;
    if (!chunksim__scenario_section_known(section)) {
        chunksim__scenario_format(
            err, errlen,
            "%s: unknown section [%s]; sections are run, coredump, flash, faults, "
            "reader, link",
            where, section);
        return -EINVAL;
    }
    int idx = chunksim__scenario_key_index(section, name);
    if (idx < 0) {
        chunksim__scenario_section_keys(section, keys, sizeof keys);
        chunksim__scenario_format(err, errlen, "%s: unknown key %s in [%s]; keys are %s", where,
                                  name, section, keys);
        return -EINVAL;
    }
    if (strpbrk(value, "\r\n") != NULL) {
        chunksim__scenario_format(err, errlen, "%s: a value cannot span lines", where);
        return -EINVAL;
    }
    bool new_record = sc->record == NULL;
    if (new_record) {
        sc->record = record_new("", 0, "scenario");
        if (sc->record == NULL)
            return -ENOMEM;
    }
    if (line == 0 && record_reserve(sc->record, strlen(key_in) + strlen(value) + 16) < 0)
        return -ENOMEM;

    struct scenario_env env = {.base_dir = NULL, .line = line};
    int rc = chunksim__scenario_key_apply(sc, idx, value, &env, why, sizeof why);
    if (rc < 0) {
        chunksim__scenario_format(err, errlen, "%s: %s", where,
                                  rc == -ENOMEM ? "out of memory" : why);
        if (new_record) { /* a refused override leaves sc as it was */
            record_free(sc->record);
            sc->record = NULL;
        }
        return rc;
    }
    sc->record->origin[idx] = line > 0 ? (int)line : SCENARIO_ORIGIN_SET;
    /* The seed is recorded with the run (runs.seed): in the text it would make every seed
     * of one configuration a scenario of its own. */
    bool seed = strcmp(section, "run") == 0 && strcmp(name, "seed") == 0;
    if (line == 0 && !seed) {
        *dot = '.';
        record_append_set(sc->record, key, value);
    }
    return 0;
}

int chunksim_scenario_set(chunksim_scenario_t *sc, const char *key, const char *value, char *err,
                          size_t errlen)
{
    return set_one(sc, key, value, 0, err, errlen);
}

static int set_assignment(chunksim_scenario_t *sc, const char *assignment, uint32_t line, char *err,
                          size_t errlen)
{
    const char *eq = strchr(assignment, '=');
    char key[128];
    if (eq == NULL || (size_t)(eq - assignment) >= sizeof key) {
        if (line > 0)
            chunksim__scenario_format(err, errlen, "%s:%u: --set %s: expected section.key=value",
                                      chunksim__scenario_source(sc), line, assignment);
        else
            chunksim__scenario_format(err, errlen,
                                      "--set %s: expected section.key=value, e.g. link.att_mtu=247",
                                      assignment);
        return -EINVAL;
    }
    memcpy(key, assignment, (size_t)(eq - assignment));
    key[eq - assignment] = '\0';
    return set_one(sc, key, eq + 1, line, err, errlen);
}

int chunksim_scenario_set_arg(chunksim_scenario_t *sc, const char *assignment, char *err,
                              size_t errlen)
{
    return set_assignment(sc, assignment, 0, err, errlen);
}

/* ---- the INI reader ---------------------------------------------------- */

/* A "; --set section.key=value" line carried in a text, applied after the keys. */
struct pending_set {
    uint32_t line;
    char *assignment;
};

struct ini_run {
    chunksim_scenario_t *sc;
    const char *source;
    const char *base_dir;
    const char *text;
    size_t len, pos;
    uint32_t line;
    bool in_section;
    bool in_matrix; /* [matrix]: its lines are matrix.c's, read there whole */
    uint32_t *seen; /* per key: the line it was first given on */
    struct pending_set *sets;
    size_t set_count;
    int rc;
    char *err;
    size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int ini_fail(struct ini_run *r, const char *fmt, ...)
{
    char msg[SCENARIO_WHY_BYTES + 200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    chunksim__scenario_format(r->err, r->errlen, "%s:%u: %s", r->source, r->line, msg);
    r->rc = -EINVAL;
    return r->rc;
}

/* Where an inline comment starts (inih: ';' after whitespace), or the end. */
static const char *comment_start(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == ';' && p > s && (p[-1] == ' ' || p[-1] == '\t'))
            return p;
    }
    return s + strlen(s);
}

static int inspect_section(struct ini_run *r, const char *s)
{
    const char *close = strchr(s, ']');
    if (close == NULL)
        return ini_fail(r, "\"%s\": missing ']' in section header", s);
    const char *rest = close + 1;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    if (*rest != '\0' && *rest != ';' && *rest != '#')
        return ini_fail(r, "\"%s\": unexpected text after the section header", s);
    char name[64];
    size_t n = (size_t)(close - s - 1);
    if (n >= sizeof name)
        n = sizeof name - 1;
    memcpy(name, s + 1, n);
    name[n] = '\0';
    /* [matrix] lists values for a matrix of runs (matrix.h); a single run skips it. */
    r->in_matrix = strcmp(name, "matrix") == 0;
    if (!chunksim__scenario_section_known(name) && !r->in_matrix)
        return ini_fail(r,
                        "[%s]: unknown section; sections are run, coredump, flash, faults, "
                        "reader, link",
                        name);
    r->in_section = true;
    return 0;
}

static int inspect_override(struct ini_run *r, const char *assignment)
{
    struct pending_set *sets = realloc(r->sets, (r->set_count + 1) * sizeof *sets);
    if (sets == NULL)
        return r->rc = -ENOMEM;
    r->sets = sets;
    sets[r->set_count].line = r->line;
    sets[r->set_count].assignment = strdup(assignment);
    if (sets[r->set_count].assignment == NULL)
        return r->rc = -ENOMEM;
    r->set_count++;
    return 0;
}

/*
 * Syntax and sections are checked here, per line, because inih reports
 * neither a section without keys nor what was wrong with a line.
 */
static int inspect_line(struct ini_run *r, const char *s)
{
    static const char set_prefix[] = "; --set ";
    if (s[0] == '\0' || s[0] == '#')
        return 0;
    if (s[0] == ';') {
        if (strncmp(s, set_prefix, sizeof set_prefix - 1) == 0)
            return inspect_override(r, s + sizeof set_prefix - 1);
        return 0;
    }
    if (s[0] == '[')
        return inspect_section(r, s);
    const char *end = comment_start(s);
    const char *sep = strpbrk(s, "=:");
    if (sep == NULL || sep >= end || *sep == ':')
        return ini_fail(r, "\"%s\": expected key = value, [section] or a comment", s);
    if (!r->in_section)
        return ini_fail(r,
                        "\"%s\": key outside any section; put it under [run], [coredump], "
                        "[flash], [faults], [reader] or [link]",
                        s);
    return 0;
}

static char *ini_read_line(char *str, int num, void *stream)
{
    struct ini_run *r = stream;
    if (r->rc < 0 || r->pos >= r->len)
        return NULL;
    const char *start = r->text + r->pos;
    const char *nl = memchr(start, '\n', r->len - r->pos);
    size_t n = nl != NULL ? (size_t)(nl - start) : r->len - r->pos;
    r->pos += n + (nl != NULL);
    r->line++;
    if (n > 0 && start[n - 1] == '\r')
        n--;
    if (r->line == 1 && n >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
        start += 3;
        n -= 3;
    }
    /* Leading blanks go: inih would take an indented line for a continuation. */
    while (n > 0 && (*start == ' ' || *start == '\t')) {
        start++;
        n--;
    }
    while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t'))
        n--;
    if (memchr(start, '\0', n) != NULL) {
        ini_fail(r, "NUL byte in the line (not a text file?)");
        return NULL;
    }
    /* A [matrix] list may be far longer than inih's line (4096 values): matrix.c
     * reads it whole, so inih, which skips the section, gets only "key =". */
    const char *eq = r->in_matrix ? memchr(start, '=', n) : NULL;
    if (n + 2 > (size_t)num && eq != NULL && (size_t)(eq - start) + 3 <= (size_t)num)
        n = (size_t)(eq - start) + 1;
    if (n + 2 > (size_t)num) {
        ini_fail(r, "line longer than %d characters", num - 2);
        return NULL;
    }
    memcpy(str, start, n);
    str[n] = '\0';
    if (inspect_line(r, str) < 0)
        return NULL;
    str[n] = '\n';
    str[n + 1] = '\0';
    return str;
}

static int ini_on_key(void *user, const char *section, const char *name, const char *value)
{
    struct ini_run *r = user;
    char why[SCENARIO_WHY_BYTES], keys[400];
    if (r->rc < 0)
        return 0;
    if (strcmp(section, "matrix") == 0)
        return 1;
    int idx = chunksim__scenario_key_index(section, name);
    if (idx < 0) {
        chunksim__scenario_section_keys(section, keys, sizeof keys);
        ini_fail(r, "[%s] %s = %s: unknown key; keys in [%s] are %s", section, name, value, section,
                 keys);
        return 0;
    }
    if (!chunksim__scenario_keys[idx].repeats && r->seen[idx] != 0) {
        ini_fail(r, "[%s] %s = %s: given twice (first on line %u)", section, name, value,
                 r->seen[idx]);
        return 0;
    }
    struct scenario_env env = {.base_dir = r->base_dir, .line = r->line};
    int rc = chunksim__scenario_key_apply(r->sc, idx, value, &env, why, sizeof why);
    if (rc < 0) {
        ini_fail(r, "[%s] %s = %s: %s", section, name, value,
                 rc == -ENOMEM ? "out of memory" : why);
        r->rc = rc;
        return 0;
    }
    r->seen[idx] = r->line;
    r->sc->record->origin[idx] = (int)r->line;
    return 1;
}

/* The file name without directory and extension. */
static int default_name(chunksim_scenario_t *sc, const char *source, char *err, size_t errlen)
{
    const char *base = strrchr(source, '/');
    base = base != NULL ? base + 1 : source;
    const char *dot = strrchr(base, '.');
    size_t n = dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n == 0 || n > CHUNKSIM_SCENARIO_NAME_MAX) {
        chunksim__scenario_format(err, errlen,
                                  "%s: cannot name the run after the file; set [run] name", source);
        return -EINVAL;
    }
    char name[CHUNKSIM_SCENARIO_NAME_MAX + 1];
    memcpy(name, base, n);
    name[n] = '\0';
    /* The same rule as a name the file gives: it goes into JSON and HTML. */
    bool control;
    if (chunksim__scenario_text_check(name, &control) >= 0 || control) {
        chunksim__scenario_format(err, errlen,
                                  "%s: cannot name the run after the file (not UTF-8, or control "
                                  "characters); set [run] name",
                                  source);
        return -EINVAL;
    }
    memcpy(sc->run.name, name, n + 1);
    return 0;
}

static int parse_text(struct ini_run *r)
{
    int ret = ini_parse_stream(ini_read_line, r, ini_on_key, r);
    if (r->rc < 0) {
        if (r->rc == -ENOMEM)
            chunksim__scenario_format(r->err, r->errlen, "%s: out of memory", r->source);
        return r->rc;
    }
    if (ret == -2) {
        chunksim__scenario_format(r->err, r->errlen, "%s: out of memory", r->source);
        return -ENOMEM;
    }
    if (ret != 0) { /* a syntax error the line check did not foresee */
        chunksim__scenario_format(r->err, r->errlen, "%s:%d: syntax error", r->source, ret);
        return -EINVAL;
    }
    for (size_t i = 0; i < r->set_count; i++) {
        int rc = set_assignment(r->sc, r->sets[i].assignment, r->sets[i].line, r->err, r->errlen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Overrides given with the load, as on a command line, applied after the text's own. */
struct load_sets {
    const char *const *sets;
    size_t count;
};

static int load_text(chunksim_scenario_t *sc, const char *text, size_t len, const char *source,
                     const char *base_dir, const struct load_sets *extra, char *err, size_t errlen)
{
    chunksim_scenario_defaults(sc);
    sc->record = record_new(text, len, source);
    uint32_t *seen = calloc(chunksim__scenario_key_count, sizeof *seen);
    if (sc->record == NULL || seen == NULL) {
        free(seen);
        chunksim_scenario_free(sc);
        chunksim__scenario_format(err, errlen, "%s: out of memory", source);
        return -ENOMEM;
    }
    struct ini_run r = {.sc = sc,
                        .source = source,
                        .base_dir = base_dir,
                        .text = text,
                        .len = len,
                        .seen = seen,
                        .err = err,
                        .errlen = errlen};
    int rc = parse_text(&r);
    for (size_t i = 0; i < r.set_count; i++)
        free(r.sets[i].assignment);
    free(r.sets);
    free(seen);
    for (size_t i = 0; rc == 0 && extra != NULL && i < extra->count; i++)
        rc = chunksim_scenario_set_arg(sc, extra->sets[i], err, errlen);
    int name_idx = chunksim__scenario_key_index("run", "name");
    if (rc == 0 && sc->record->origin[name_idx] == SCENARIO_ORIGIN_DEFAULT)
        rc = default_name(sc, source, err, errlen);
    if (rc == 0)
        rc = chunksim_scenario_validate(sc, err, errlen);
    if (rc < 0)
        chunksim_scenario_free(sc);
    return rc;
}

int chunksim_scenario_load_string(chunksim_scenario_t *sc, const char *text, const char *source,
                                  const char *base_dir, char *err, size_t errlen)
{
    return load_text(sc, text, strlen(text), source != NULL ? source : "scenario", base_dir, NULL,
                     err, errlen);
}

int chunksim_scenario_load(chunksim_scenario_t *sc, const char *path, char *err, size_t errlen)
{
    return chunksim_scenario_load_with(sc, path, NULL, 0, err, errlen);
}

int chunksim_scenario_load_with(chunksim_scenario_t *sc, const char *path, const char *const *sets,
                                size_t nsets, char *err, size_t errlen)
{
    chunksim_scenario_defaults(sc);
    char *text;
    size_t len;
    int rc = chunksim__scenario_file_read(path, &text, &len);
    if (rc < 0) {
        chunksim__scenario_format(err, errlen, "%s: cannot read: %s", path, chunksim_strerror(rc));
        return rc;
    }
    char *dir = NULL;
    const char *slash = strrchr(path, '/');
    if (slash != NULL) {
        dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
        if (dir == NULL) {
            free(text);
            chunksim__scenario_format(err, errlen, "%s: out of memory", path);
            return -ENOMEM;
        }
    }
    const struct load_sets extra = {.sets = sets, .count = nsets};
    rc = load_text(sc, text, len, path, dir, &extra, err, errlen);
    free(dir);
    free(text);
    return rc;
}

const char *chunksim_scenario_text(const chunksim_scenario_t *sc)
{
    return sc->record != NULL ? sc->record->text : "";
}

/* ---- lifetime ---------------------------------------------------------- */

static int record_copy(struct chunksim_scenario_record **dst,
                       const struct chunksim_scenario_record *src)
{
    *dst = NULL;
    if (src == NULL)
        return 0;
    struct chunksim_scenario_record *rec = record_new(src->text, src->text_bytes, src->source);
    if (rec == NULL)
        return -ENOMEM;
    memcpy(rec->origin, src->origin, chunksim__scenario_key_count * sizeof *rec->origin);
    *dst = rec;
    return 0;
}

static void *memdup(const void *p, size_t n)
{
    void *q = malloc(n ? n : 1);
    if (q != NULL && n)
        memcpy(q, p, n);
    return q;
}

int chunksim_scenario_copy(chunksim_scenario_t *dst, const chunksim_scenario_t *src)
{
    *dst = *src;
    /* Nothing of src's may stay in dst, or a failed copy would free src's memory. */
    dst->coredump.file_path = NULL;
    dst->coredump.file_data = NULL;
    dst->faults.rules = NULL;
    dst->record = NULL;
    chunksim_latency_t *lats[] = {&dst->flash.read_latency, &dst->flash.program_latency,
                                  &dst->flash.erase_latency};
    const chunksim_latency_t *srcs[] = {&src->flash.read_latency, &src->flash.program_latency,
                                        &src->flash.erase_latency};
    for (int i = 0; i < 3; i++)
        lats[i]->kind = CHUNKSIM_LATENCY_MODEL;

    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = chunksim__scenario_latency_copy(lats[i], srcs[i]);
    if (rc == 0 && src->coredump.file_path != NULL) {
        dst->coredump.file_path = strdup(src->coredump.file_path);
        dst->coredump.file_data = memdup(src->coredump.file_data, src->coredump.file_bytes);
        if (dst->coredump.file_path == NULL || dst->coredump.file_data == NULL)
            rc = -ENOMEM;
    }
    if (rc == 0 && src->faults.count > 0) {
        dst->faults.rules =
            memdup(src->faults.rules, src->faults.count * sizeof *src->faults.rules);
        if (dst->faults.rules == NULL)
            rc = -ENOMEM;
    }
    if (rc == 0)
        rc = record_copy(&dst->record, src->record);
    if (rc < 0)
        chunksim_scenario_free(dst);
    return rc;
}

void chunksim_scenario_free(chunksim_scenario_t *sc)
{
    free(sc->coredump.file_path);
    free(sc->coredump.file_data);
    free(sc->faults.rules);
    chunksim__scenario_latency_free(&sc->flash.read_latency);
    chunksim__scenario_latency_free(&sc->flash.program_latency);
    chunksim__scenario_latency_free(&sc->flash.erase_latency);
    record_free(sc->record);
    chunksim_scenario_defaults(sc);
}
