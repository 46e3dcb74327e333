/*
 * Matrix expansion: [matrix] lists into cases, computed from their index so
 * that nothing per case is stored. See matrix.h for the contract and
 * scenarios/README.md ("Matrices") for the file syntax.
 */
/* asprintf */
#define _GNU_SOURCE
#include "chunksim/matrix.h"

#include "chunksim/error.h"
#include "chunksim/sha256.h"
#include "util_internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Values in one list; a longer list is better written as several files or generated. */
#define MATRIX_VALUES_MAX 4096

#define matrix_fail(...) chunksim_err_format(-EINVAL, __VA_ARGS__)

static const char *matrix_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* ---- seeds ------------------------------------------------------------- */

static int seed_parse_one(const char *s, uint64_t *out)
{
    if (*s == '\0' || *s == '-' || *s == '+')
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || *end != '\0')
        return -EINVAL;
    *out = (uint64_t)v;
    return 0;
}

static int seed_range_cmp(const void *a, const void *b)
{
    const chunksim_seed_range_t *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* One item "N" or "A..B" of a seed list, into r. */
static int seed_item_parse(char *item, chunksim_seed_range_t *r, const char *text, char *err,
                           size_t errlen)
{
    char *dots = strstr(item, "..");
    if (dots == NULL) {
        if (seed_parse_one(item, &r->first) < 0)
            return matrix_fail(err, errlen,
                               "seeds \"%s\": \"%s\" is not a seed (0 to 2^64-1) or a range A..B",
                               text, item);
        r->last = r->first;
        return 0;
    }
    *dots = '\0';
    char *a = chunksim__trim(item), *b = chunksim__trim(dots + 2);
    if (seed_parse_one(a, &r->first) < 0 || seed_parse_one(b, &r->last) < 0)
        return matrix_fail(err, errlen, "seeds \"%s\": \"%s..%s\" is not a range of seeds A..B",
                           text, a, b);
    if (r->first > r->last)
        return matrix_fail(err, errlen, "seeds \"%s\": range %s..%s is empty (A must be <= B)",
                           text, a, b);
    return 0;
}

int chunksim_matrix_seeds_parse(const char *text, chunksim_seed_range_t **ranges, size_t *count,
                                uint64_t *count_seeds, char *err, size_t errlen)
{
    *ranges = NULL;
    *count = 0;
    *count_seeds = 0;
    char *copy = strdup(text);
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',' || *p == '|';
    chunksim_seed_range_t *r = calloc(cap, sizeof *r);
    if (copy == NULL || r == NULL) {
        free(copy);
        free(r);
        return chunksim_err_format(-ENOMEM, err, errlen, "seeds: out of memory");
    }
    size_t n = 0;
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",|", &save); tok != NULL && rc == 0;
         tok = strtok_r(NULL, ",|", &save)) {
        char *item = chunksim__trim(tok);
        if (*item == '\0')
            continue;
        rc = seed_item_parse(item, &r[n], text, err, errlen);
        n += rc == 0;
    }
    if (rc == 0 && n == 0)
        rc = matrix_fail(err, errlen, "seeds \"%s\": no seed given", text);
    uint64_t total = 0;
    if (rc == 0) {
        qsort(r, n, sizeof *r, seed_range_cmp);
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (i > 0 && r[i].first <= r[i - 1].last)
                rc = matrix_fail(err, errlen,
                                 "seeds \"%s\": seed %" PRIu64 " is given twice (ranges overlap)",
                                 text, r[i].first);
            uint64_t span = r[i].last - r[i].first;
            if (rc == 0 &&
                (span >= CHUNKSIM_MATRIX_CASES_MAX || total + span + 1 > CHUNKSIM_MATRIX_CASES_MAX))
                rc = chunksim_err_format(-E2BIG, err, errlen, "seeds \"%s\": more than 2^48 seeds",
                                         text);
            total += span + 1;
        }
    }
    free(copy);
    if (rc < 0) {
        free(r);
        return rc;
    }
    *ranges = r;
    *count = n;
    *count_seeds = total;
    return 0;
}

/* The k-th seed (0-based) of ranges sorted ascending. */
static uint64_t seed_at(const chunksim_seed_range_t *r, size_t n, uint64_t k)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t span = r[i].last - r[i].first + 1;
        if (k < span)
            return r[i].first + k;
        k -= span;
    }
    return r[n - 1].last; /* not reached for k < the number of seeds */
}

/* ---- shards ------------------------------------------------------------ */

int chunksim_matrix_shard_parse(const char *text, uint32_t *k, uint32_t *n, char *err,
                                size_t errlen)
{
    char *end;
    errno = 0;
    unsigned long kk = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '/' || !isdigit((unsigned char)text[0]))
        return matrix_fail(err, errlen, "--shard %s: expected K/N, e.g. 2/8", text);
    const char *ns = end + 1;
    unsigned long nn = strtoul(ns, &end, 10);
    if (errno != 0 || end == ns || *end != '\0' || !isdigit((unsigned char)ns[0]))
        return matrix_fail(err, errlen, "--shard %s: expected K/N, e.g. 2/8", text);
    if (nn < 1 || nn > UINT32_MAX || kk < 1 || kk > nn)
        return matrix_fail(err, errlen, "--shard %s: need 1 <= K <= N (shards are numbered from 1)",
                           text);
    *k = (uint32_t)kk;
    *n = (uint32_t)nn;
    return 0;
}

bool chunksim_matrix_in_shard(uint64_t index, uint32_t k, uint32_t n)
{
    return n > 0 && index % n == (uint64_t)(k - 1);
}

/* ---- matrix lifetime --------------------------------------------------- */

/* "section.key=value" with both parts present. */
static bool set_well_formed(const char *set)
{
    const char *eq = strchr(set, '=');
    const char *dot = strchr(set, '.');
    return eq != NULL && dot != NULL && dot < eq && dot > set && dot + 1 < eq;
}

int chunksim_matrix_init(chunksim_matrix_t *m, const chunksim_matrix_config_t *cfg, char *err,
                         size_t errlen)
{
    memset(m, 0, sizeof *m);
    if (cfg == NULL)
        return 0;
    if (cfg->set_count >= CHUNKSIM_MATRIX_SETS_MAX)
        return chunksim_err_format(-E2BIG, err, errlen, "at most %d overrides",
                                   CHUNKSIM_MATRIX_SETS_MAX - 1);
    for (size_t i = 0; i < cfg->set_count; i++) {
        if (!set_well_formed(cfg->sets[i]))
            return matrix_fail(err, errlen,
                               "--set %s: expected section.key=value, e.g. link.att_mtu=247",
                               cfg->sets[i]);
    }
    if (cfg->seeds != NULL) {
        uint64_t n;
        int rc = chunksim_matrix_seeds_parse(cfg->seeds, &m->seeds_, &m->seed_range_count_, &n, err,
                                             errlen);
        if (rc < 0)
            return rc;
        m->has_seeds_ = true;
    }
    if (cfg->set_count > 0) {
        m->sets_ = calloc(cfg->set_count, sizeof *m->sets_);
        if (m->sets_ == NULL) {
            chunksim_matrix_free(m);
            return chunksim_err_format(-ENOMEM, err, errlen, "out of memory");
        }
        for (size_t i = 0; i < cfg->set_count; i++) {
            m->sets_[i] = strdup(cfg->sets[i]);
            m->set_count_++;
            if (m->sets_[i] == NULL) {
                chunksim_matrix_free(m);
                return chunksim_err_format(-ENOMEM, err, errlen, "out of memory");
            }
        }
    }
    return 0;
}

static void axis_free(chunksim_matrix_axis_t *a)
{
    for (size_t i = 0; i < a->count; i++)
        free(a->sets[i]);
    free(a->sets);
    free(a->key);
    memset(a, 0, sizeof *a);
}

static void file_free(chunksim_matrix_file_t *f)
{
    for (size_t i = 0; i < f->axis_count; i++)
        axis_free(&f->axes[i]);
    free(f->axes);
    free(f->seeds);
    free(f->path);
    chunksim_scenario_free(&f->base);
    memset(f, 0, sizeof *f);
}

void chunksim_matrix_free(chunksim_matrix_t *m)
{
    for (size_t i = 0; i < m->file_count; i++)
        file_free(&m->files[i]);
    free(m->files);
    for (size_t i = 0; i < m->set_count_; i++)
        free(m->sets_[i]);
    free(m->sets_);
    free(m->seeds_);
    memset(m, 0, sizeof *m);
}

uint64_t chunksim_matrix_count(const chunksim_matrix_t *m)
{
    return m->case_count;
}

/* Case counts and offsets of every file, after a file or an axis was added. */
static int matrix_recount(chunksim_matrix_t *m, char *err, size_t errlen)
{
    uint64_t total = 0;
    for (size_t i = 0; i < m->file_count; i++) {
        chunksim_matrix_file_t *f = &m->files[i];
        if (m->set_count_ + f->axis_count > CHUNKSIM_MATRIX_SETS_MAX)
            return chunksim_err_format(
                -E2BIG, err, errlen, "%s: at most %d overrides per case (--set options and lists)",
                f->path, CHUNKSIM_MATRIX_SETS_MAX);
        uint64_t n = f->seed_count;
        for (size_t a = 0; a < f->axis_count; a++) {
            if (n > CHUNKSIM_MATRIX_CASES_MAX / f->axes[a].count)
                return chunksim_err_format(-E2BIG, err, errlen, "%s: more than 2^48 cases",
                                           f->path);
            n *= f->axes[a].count;
        }
        if (total + n > CHUNKSIM_MATRIX_CASES_MAX)
            return chunksim_err_format(-E2BIG, err, errlen, "%s: the matrix exceeds 2^48 cases",
                                       f->path);
        f->first_case = total;
        f->case_count = n;
        total += n;
    }
    m->case_count = total;
    return 0;
}

/* ---- lists ------------------------------------------------------------- */

/* A value through the key's own checks, on a throwaway copy of the file's base. */
static int axis_check_value(const chunksim_matrix_file_t *f, const char *set, char *why,
                            size_t whylen)
{
    chunksim_scenario_t scratch;
    int rc = chunksim_scenario_copy(&scratch, &f->base);
    if (rc < 0)
        return matrix_fail(why, whylen, "out of memory"), rc;
    rc = chunksim_scenario_set_arg(&scratch, set, why, whylen);
    chunksim_scenario_free(&scratch);
    return rc;
}

static int axis_key_check(const chunksim_matrix_file_t *f, const char *key, const char *where,
                          char *err, size_t errlen)
{
    if (strcmp(key, "run.seed") == 0)
        return matrix_fail(err, errlen,
                           "%s: run.seed cannot be listed; use seeds = A..B in [matrix] or "
                           "--seeds",
                           where);
    const char *dot = strchr(key, '.');
    if (dot == NULL || dot == key || dot[1] == '\0')
        return matrix_fail(err, errlen,
                           "%s: expected section.key = value | value ... (e.g. link.att_mtu = "
                           "23 | 247) or seeds = A..B",
                           where);
    for (size_t i = 0; i < f->axis_count; i++) {
        if (strcmp(f->axes[i].key, key) == 0) {
            if (f->axes[i].line > 0)
                return matrix_fail(err, errlen, "%s: %s is already listed on line %u", where, key,
                                   f->axes[i].line);
            return matrix_fail(err, errlen, "%s: %s is already listed", where, key);
        }
    }
    return 0;
}

/* Fills a: key, and "key=value" for each value, each checked and distinct. */
static int axis_build(const chunksim_matrix_file_t *f, chunksim_matrix_axis_t *a, const char *key,
                      const char *const *values, size_t count, const char *where, char *err,
                      size_t errlen)
{
    char why[CHUNKSIM_SCENARIO_ERR_BYTES];
    memset(a, 0, sizeof *a);
    if (count == 0 || count > MATRIX_VALUES_MAX)
        return matrix_fail(err, errlen, "%s: a list holds 1 to %d values", where,
                           MATRIX_VALUES_MAX);
    a->key = strdup(key);
    a->sets = calloc(count, sizeof *a->sets);
    if (a->key == NULL || a->sets == NULL) {
        axis_free(a);
        return chunksim_err_format(-ENOMEM, err, errlen, "%s: out of memory", where);
    }
    for (size_t i = 0; i < count; i++) {
        int rc = 0;
        if (values[i][0] == '\0')
            rc = matrix_fail(err, errlen, "%s: value %zu of %zu is empty", where, i + 1, count);
        for (size_t j = 0; j < i && rc == 0; j++) {
            if (strcmp(values[i], values[j]) == 0)
                rc = matrix_fail(err, errlen, "%s: value \"%s\" is listed twice", where, values[i]);
        }
        if (rc == 0 && asprintf(&a->sets[i], "%s=%s", key, values[i]) < 0) {
            a->sets[i] = NULL;
            rc = chunksim_err_format(-ENOMEM, err, errlen, "%s: out of memory", where);
        }
        a->count += a->sets[i] != NULL;
        if (rc == 0 && (rc = axis_check_value(f, a->sets[i], why, sizeof why)) < 0)
            matrix_fail(err, errlen, "%s: value %zu of %zu: %s", where, i + 1, count, why);
        if (rc < 0) {
            axis_free(a);
            return rc;
        }
    }
    return 0;
}

static int file_append_axis(chunksim_matrix_file_t *f, const char *key, const char *const *values,
                            size_t count, uint32_t line, const char *where, char *err,
                            size_t errlen)
{
    int rc = axis_key_check(f, key, where, err, errlen);
    if (rc < 0)
        return rc;
    chunksim_matrix_axis_t *axes = realloc(f->axes, (f->axis_count + 1) * sizeof *axes);
    if (axes == NULL)
        return chunksim_err_format(-ENOMEM, err, errlen, "%s: out of memory", where);
    f->axes = axes;
    rc = axis_build(f, &axes[f->axis_count], key, values, count, where, err, errlen);
    if (rc < 0)
        return rc;
    axes[f->axis_count].line = line;
    f->axis_count++;
    return 0;
}

int chunksim_matrix_add_axis(chunksim_matrix_t *m, size_t file, const char *key,
                             const char *const *values, size_t count, char *err, size_t errlen)
{
    if (file >= m->file_count)
        return matrix_fail(err, errlen, "matrix: no file %zu", file);
    chunksim_matrix_file_t *f = &m->files[file];
    char where[600];
    snprintf(where, sizeof where, "%s: %s", f->path, key);
    int rc = file_append_axis(f, key, values, count, 0, where, err, errlen);
    if (rc == 0 && (rc = matrix_recount(m, err, errlen)) < 0) {
        axis_free(&f->axes[--f->axis_count]);
        (void)matrix_recount(m, NULL, 0);
    }
    return rc;
}

/* ---- the [matrix] section ---------------------------------------------- */

/* Where an inline comment starts (as the scenario parser: ';' after a blank), or the end. */
static char *matrix_comment_start(char *s)
{
    for (char *p = s; *p; p++) {
        if (*p == ';' && p > s && (p[-1] == ' ' || p[-1] == '\t'))
            return p;
    }
    return s + strlen(s);
}

/* "a | b | c" into trimmed items, in place. */
static size_t split_values(char *value, const char **items, size_t max)
{
    size_t n = 0;
    for (char *p = value;; n++) {
        char *bar = strchr(p, '|');
        if (bar != NULL)
            *bar = '\0';
        if (n < max)
            items[n] = chunksim__trim(p);
        if (bar == NULL)
            return n + 1;
        p = bar + 1;
    }
}

static int file_set_seeds(chunksim_matrix_file_t *f, const char *value, const char *where,
                          char *err, size_t errlen)
{
    char why[512];
    if (f->seeds != NULL)
        return matrix_fail(err, errlen, "%s: seeds given twice", where);
    int rc = chunksim_matrix_seeds_parse(value, &f->seeds, &f->seed_range_count, &f->seed_count,
                                         why, sizeof why);
    if (rc < 0)
        matrix_fail(err, errlen, "%s: %s", where, why);
    return rc;
}

/* One "key = values" line of [matrix]. */
static int matrix_line(chunksim_matrix_file_t *f, char *s, uint32_t line, char *err, size_t errlen)
{
    char where[700];
    *matrix_comment_start(s) = '\0';
    char *eq = strchr(s, '=');
    if (eq == NULL)
        return matrix_fail(err, errlen, "%s:%u: [matrix] \"%s\": expected key = value | value ...",
                           f->path, line, s);
    *eq = '\0';
    char *key = chunksim__trim(s), *value = chunksim__trim(eq + 1);
    snprintf(where, sizeof where, "%s:%u: [matrix] %s = %s", f->path, line, key, value);
    if (strcmp(key, "seeds") == 0)
        return file_set_seeds(f, value, where, err, errlen);
    const char **items = calloc(MATRIX_VALUES_MAX + 1, sizeof *items);
    if (items == NULL)
        return chunksim_err_format(-ENOMEM, err, errlen, "%s: out of memory", where);
    size_t n = split_values(value, items, MATRIX_VALUES_MAX + 1);
    int rc = n > MATRIX_VALUES_MAX
                 ? matrix_fail(err, errlen, "%s: more than %d values", where, MATRIX_VALUES_MAX)
                 : file_append_axis(f, key, items, n, line, where, err, errlen);
    free(items);
    return rc;
}

static int read_text(const char *path, char **text, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        int e = errno;
        return chunksim_err_format(-e, err, errlen, "%s: cannot read: %s", path, strerror(e));
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char block[4096];
    size_t got;
    while (mem != NULL && (got = fread(block, 1, sizeof block, fp)) > 0)
        fwrite(block, 1, got, mem);
    int bad = ferror(fp);
    fclose(fp);
    if (mem == NULL || fclose(mem) != 0 || bad) {
        free(buf);
        return chunksim_err_format(-EIO, err, errlen, "%s: cannot read", path);
    }
    *text = buf;
    return 0;
}

/*
 * The scenario parser has already checked the file's syntax and skipped
 * [matrix]; this reads only that section's lines, with the same trimming,
 * comment and section rules.
 */
static int file_read_matrix(chunksim_matrix_file_t *f, char *err, size_t errlen)
{
    char *text;
    int rc = read_text(f->path, &text, err, errlen);
    if (rc < 0)
        return rc;
    bool in_matrix = false;
    uint32_t line = 0;
    char *save = NULL;
    for (char *p = text; p != NULL && rc == 0; p = save) {
        char *nl = strchr(p, '\n');
        save = nl != NULL ? nl + 1 : NULL;
        if (nl != NULL)
            *nl = '\0';
        line++;
        if (line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
            p += 3;
        size_t n = strlen(p);
        if (n > 0 && p[n - 1] == '\r')
            p[n - 1] = '\0';
        char *s = chunksim__trim(p);
        if (s[0] == '\0' || s[0] == ';' || s[0] == '#')
            continue;
        if (s[0] == '[') {
            in_matrix = strncmp(s, "[matrix]", 8) == 0;
            continue;
        }
        if (in_matrix)
            rc = matrix_line(f, s, line, err, errlen);
    }
    free(text);
    return rc;
}

static int file_seeds_from_matrix(const chunksim_matrix_t *m, chunksim_matrix_file_t *f)
{
    if (!m->has_seeds_) {
        if (f->seeds == NULL)
            f->seed_count = 1;
        return 0;
    }
    /* --seeds replaces the file's own list. */
    free(f->seeds);
    f->seeds = malloc(m->seed_range_count_ * sizeof *f->seeds);
    if (f->seeds == NULL)
        return -ENOMEM;
    memcpy(f->seeds, m->seeds_, m->seed_range_count_ * sizeof *f->seeds);
    f->seed_range_count = m->seed_range_count_;
    f->seed_count = 0;
    for (size_t i = 0; i < f->seed_range_count; i++)
        f->seed_count += f->seeds[i].last - f->seeds[i].first + 1;
    return 0;
}

int chunksim_matrix_add_file(chunksim_matrix_t *m, const char *path, char *err, size_t errlen)
{
    const char *name = matrix_basename(path);
    for (size_t i = 0; i < m->file_count; i++) {
        if (strcmp(matrix_basename(m->files[i].path), name) == 0)
            return matrix_fail(err, errlen,
                               "%s: a file named %s is already in the matrix (%s); case ids "
                               "hash the file name, so names must differ",
                               path, name, m->files[i].path);
    }
    chunksim_matrix_file_t *files = realloc(m->files, (m->file_count + 1) * sizeof *files);
    if (files == NULL)
        return chunksim_err_format(-ENOMEM, err, errlen, "%s: out of memory", path);
    m->files = files;
    chunksim_matrix_file_t *f = &files[m->file_count];
    memset(f, 0, sizeof *f);
    int rc = chunksim_scenario_load(&f->base, path, err, errlen);
    if (rc < 0)
        return rc;
    f->path = strdup(path);
    if (f->path == NULL)
        rc = chunksim_err_format(-ENOMEM, err, errlen, "%s: out of memory", path);
    if (rc == 0)
        rc = file_read_matrix(f, err, errlen);
    if (rc == 0 && file_seeds_from_matrix(m, f) < 0)
        rc = chunksim_err_format(-ENOMEM, err, errlen, "%s: out of memory", path);
    if (rc == 0) {
        m->file_count++;
        rc = matrix_recount(m, err, errlen);
        if (rc < 0)
            m->file_count--;
    }
    if (rc < 0) {
        file_free(f);
        (void)matrix_recount(m, NULL, 0);
    }
    return rc;
}

/* ---- cases ------------------------------------------------------------- */

/* Crockford's base32: no i, l, o, u, so an id read aloud or retyped survives. */
static const char matrix_base32[] = "0123456789abcdefghjkmnpqrstvwxyz";

void chunksim_matrix_case_set_id(chunksim_matrix_case_t *c)
{
    /* Base name, overrides and seed, one per line: the fields cannot run into each other
     * because none of them holds a newline (the scenario parser refuses one in a value). */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem != NULL) {
        fprintf(mem, "%s\n", matrix_basename(c->path));
        for (size_t i = 0; i < c->set_count; i++)
            fprintf(mem, "%s\n", c->sets[i]);
        if (c->has_seed)
            fprintf(mem, "seed=%" PRIu64 "\n", c->seed);
        fclose(mem);
    }
    char hex[CHUNKSIM_SHA256_HEX_BYTES];
    chunksim_sha256_hex(text, text != NULL ? len : 0, hex);
    free(text);
    /* The first 52 bits of the hash (13 hex digits); the id keeps the top 50. */
    char head[14];
    memcpy(head, hex, 13);
    head[13] = '\0';
    uint64_t bits = strtoull(head, NULL, 16) >> 2;
    for (int i = CHUNKSIM_MATRIX_ID_CHARS - 1; i >= 0; i--) {
        c->id[i] = matrix_base32[bits & 31];
        bits >>= 5;
    }
    c->id[CHUNKSIM_MATRIX_ID_CHARS] = '\0';
}

int chunksim_matrix_case(const chunksim_matrix_t *m, uint64_t index, chunksim_matrix_case_t *c)
{
    if (index >= m->case_count)
        return -ENOENT;
    size_t fi = 0;
    while (index >= m->files[fi].first_case + m->files[fi].case_count)
        fi++;
    const chunksim_matrix_file_t *f = &m->files[fi];
    memset(c, 0, sizeof *c);
    c->index = index;
    c->file = fi;
    c->path = f->path;
    uint64_t local = index - f->first_case;
    if (f->seeds != NULL) {
        c->has_seed = true;
        c->seed = seed_at(f->seeds, f->seed_range_count, local % f->seed_count);
    }
    uint64_t combo = local / f->seed_count;
    for (size_t i = 0; i < m->set_count_; i++)
        c->sets[c->set_count++] = m->sets_[i];
    /* The last axis varies fastest: decode the combination from the end. */
    c->set_count += f->axis_count;
    for (size_t a = f->axis_count; a-- > 0;) {
        c->sets[m->set_count_ + a] = f->axes[a].sets[combo % f->axes[a].count];
        combo /= f->axes[a].count;
    }
    chunksim_matrix_case_set_id(c);
    return 0;
}

/* The file's base name without ".ini": what a case name starts with. */
static size_t matrix_stem(const char *path, const char **stem)
{
    *stem = matrix_basename(path);
    size_t n = strlen(*stem);
    return n > 4 && strcmp(*stem + n - 4, ".ini") == 0 ? n - 4 : n;
}

/* An override as a cell shows it: "key=value", without its section. */
static const char *matrix_cell_text(const char *set)
{
    const char *eq = strchr(set, '=');
    const char *dot = memchr(set, '.', eq != NULL ? (size_t)(eq - set) : strlen(set));
    return dot != NULL ? dot + 1 : set;
}

/* The index of axis a's "key=value" that text starts with, followed by end; longest wins. */
static int name_axis_value(const chunksim_matrix_axis_t *a, const char *text, char end,
                           size_t *used)
{
    int best = -1;
    size_t best_n = 0;
    for (size_t v = 0; v < a->count; v++) {
        const char *cell = matrix_cell_text(a->sets[v]);
        size_t n = strlen(cell);
        if (strncmp(text, cell, n) == 0 && text[n] == end && (best < 0 || n > best_n)) {
            best = (int)v;
            best_n = n;
        }
    }
    *used = best_n;
    return best;
}

/* The position of seed among the file's seeds, or -1. */
static int64_t name_seed_position(const chunksim_matrix_file_t *f, uint64_t seed)
{
    uint64_t k = 0;
    for (size_t i = 0; i < f->seed_range_count; i++) {
        if (seed >= f->seeds[i].first && seed <= f->seeds[i].last)
            return (int64_t)(k + seed - f->seeds[i].first);
        k += f->seeds[i].last - f->seeds[i].first + 1;
    }
    return -1;
}

/* A file without seed lists names its cases with its own [run] seed. */
static bool name_is_base_seed(const chunksim_matrix_file_t *f, const char *p)
{
    char want[32];
    snprintf(want, sizeof want, " seed %" PRIu64, f->base.run.seed);
    return strcmp(p, want) == 0;
}

/* Decodes "stem[key=value,...] seed N" against file f into its case index. */
static int name_decode(const chunksim_matrix_file_t *f, const char *p, uint64_t *index)
{
    uint64_t combo = 0;
    for (size_t a = 0; a < f->axis_count; a++) {
        if (*p++ != (a == 0 ? '[' : ','))
            return -ENOENT;
        size_t used = 0;
        int v = name_axis_value(&f->axes[a], p, a + 1 == f->axis_count ? ']' : ',', &used);
        if (v < 0)
            return -ENOENT;
        combo = combo * f->axes[a].count + (uint64_t)v;
        p += used;
    }
    p += f->axis_count > 0 && *p == ']';
    uint64_t k = 0;
    if (f->seeds != NULL) {
        char *end;
        if (strncmp(p, " seed ", 6) != 0 || p[6] < '0' || p[6] > '9')
            return -ENOENT;
        errno = 0;
        int64_t pos = name_seed_position(f, strtoull(p + 6, &end, 10));
        if (errno != 0 || *end != '\0' || pos < 0)
            return -ENOENT;
        k = (uint64_t)pos;
    } else if (*p != '\0' && !name_is_base_seed(f, p)) {
        return -ENOENT;
    }
    *index = f->first_case + combo * f->seed_count + k;
    return 0;
}

/* A case name is decoded, not searched: a matrix of 10^12 cases answers at once. */
static int matrix_find_name(const chunksim_matrix_t *m, const char *name, chunksim_matrix_case_t *c)
{
    for (size_t i = 0; i < m->file_count; i++) {
        const char *stem;
        size_t n = matrix_stem(m->files[i].path, &stem);
        uint64_t index;
        if (strncmp(name, stem, n) == 0 && name_decode(&m->files[i], name + n, &index) == 0)
            return chunksim_matrix_case(m, index, c);
    }
    return -ENOENT;
}

static bool matrix_is_id(const char *text)
{
    if (strlen(text) != CHUNKSIM_MATRIX_ID_CHARS)
        return false;
    for (const char *p = text; *p; p++) {
        if (strchr(matrix_base32, tolower((unsigned char)*p)) == NULL)
            return false;
    }
    return true;
}

int chunksim_matrix_find(const chunksim_matrix_t *m, const char *id, chunksim_matrix_case_t *c)
{
    if (!matrix_is_id(id))
        return matrix_find_name(m, id, c);
    if (m->case_count > CHUNKSIM_MATRIX_FIND_MAX)
        return -E2BIG;
    char want[CHUNKSIM_MATRIX_ID_BYTES];
    for (size_t i = 0; i <= CHUNKSIM_MATRIX_ID_CHARS; i++)
        want[i] = (char)tolower((unsigned char)id[i]);
    for (uint64_t i = 0; i < m->case_count; i++) {
        if (chunksim_matrix_case(m, i, c) == 0 && strcmp(c->id, want) == 0)
            return 0;
    }
    return -ENOENT;
}

int chunksim_matrix_case_load(const chunksim_matrix_t *m, const chunksim_matrix_case_t *c,
                              chunksim_scenario_t *sc, char *err, size_t errlen)
{
    if (c->file >= m->file_count)
        return matrix_fail(err, errlen, "case %s: no such file in the matrix", c->id);
    int rc = chunksim_scenario_copy(sc, &m->files[c->file].base);
    if (rc < 0)
        return matrix_fail(err, errlen, "%s: out of memory", c->path), rc;
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, c->seed);
    if (c->has_seed)
        rc = chunksim_scenario_set(sc, "run.seed", seed, err, errlen);
    for (size_t i = 0; rc == 0 && i < c->set_count; i++)
        rc = chunksim_scenario_set_arg(sc, c->sets[i], err, errlen);
    if (rc == 0)
        rc = chunksim_scenario_validate(sc, err, errlen);
    if (rc < 0)
        chunksim_scenario_free(sc);
    return rc;
}

/* ---- repro line -------------------------------------------------------- */

static bool shell_safe(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s) && strchr("_-+./=:,@%^", *s) == NULL)
            return false;
    }
    return true;
}

static void shell_word(FILE *out, const char *s)
{
    if (shell_safe(s)) {
        fputs(s, out);
        return;
    }
    fputc('\'', out);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", out);
        else
            fputc(*s, out);
    }
    fputc('\'', out);
}

typedef void (*matrix_text_fn)(FILE *mem, const chunksim_matrix_t *m,
                               const chunksim_matrix_case_t *c);

/* What write prints, handed out like snprintf: the length needed, the text cut to fit. */
static size_t matrix_text(matrix_text_fn write, const chunksim_matrix_t *m,
                          const chunksim_matrix_case_t *c, char *buf, size_t len)
{
    char *text = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&text, &n);
    if (mem == NULL) {
        if (len > 0)
            buf[0] = '\0';
        return 0;
    }
    write(mem, m, c);
    fclose(mem);
    if (len > 0) {
        size_t k = n < len ? n : len - 1;
        memcpy(buf, text, k);
        buf[k] = '\0';
    }
    free(text);
    return n;
}

static void matrix_repro_write(FILE *mem, const chunksim_matrix_t *m,
                               const chunksim_matrix_case_t *c)
{
    (void)m;
    fputs("chunksim run ", mem);
    shell_word(mem, c->path);
    if (c->has_seed)
        fprintf(mem, " --seed %" PRIu64, c->seed);
    for (size_t i = 0; i < c->set_count; i++) {
        fputs(" --set ", mem);
        shell_word(mem, c->sets[i]);
    }
}

size_t chunksim_matrix_case_repro(const chunksim_matrix_case_t *c, char *buf, size_t len)
{
    return matrix_text(matrix_repro_write, NULL, c, buf, len);
}

/* The overrides past the shared ones, as "key=value,..." without their sections. */
static void matrix_cell_write(FILE *mem, const chunksim_matrix_t *m,
                              const chunksim_matrix_case_t *c)
{
    for (size_t i = m->set_count_; i < c->set_count; i++)
        fprintf(mem, "%s%s", i > m->set_count_ ? "," : "", matrix_cell_text(c->sets[i]));
}

size_t chunksim_matrix_case_cell(const chunksim_matrix_t *m, const chunksim_matrix_case_t *c,
                                 char *buf, size_t len)
{
    return matrix_text(matrix_cell_write, m, c, buf, len);
}

static void matrix_name_write(FILE *mem, const chunksim_matrix_t *m,
                              const chunksim_matrix_case_t *c)
{
    const char *stem;
    size_t stem_len = matrix_stem(c->path, &stem);
    fprintf(mem, "%.*s", (int)stem_len, stem);
    if (c->set_count > m->set_count_) {
        fputc('[', mem);
        matrix_cell_write(mem, m, c);
        fputc(']', mem);
    }
    uint64_t seed = c->has_seed ? c->seed : m->files[c->file].base.run.seed;
    fprintf(mem, " seed %" PRIu64, seed);
}

size_t chunksim_matrix_case_name(const chunksim_matrix_t *m, const chunksim_matrix_case_t *c,
                                 char *buf, size_t len)
{
    return matrix_text(matrix_name_write, m, c, buf, len);
}
