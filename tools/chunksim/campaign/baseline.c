/* Baselines of expected outcomes (see baseline.h). */
#include "baseline.h"
#include "grow.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest line read: an id, a scenario name (at most 127), a seed, an outcome. */
#define BASELINE_LINE_BYTES 512

int cli_outcome_parse(const char *name, chunksim_outcome_t *outcome)
{
    return chunksim_outcome_from_name(name, outcome) == 0 ? 0 : -EINVAL;
}

static int baseline_cmp(const void *a, const void *b)
{
    return strcasecmp(((const cli_baseline_entry_t *)a)->id, ((const cli_baseline_entry_t *)b)->id);
}

/* Splits line at tabs into exactly n fields; 0 or -EINVAL. */
static int baseline_fields(char *line, char **fields, int n)
{
    for (int i = 0; i < n; i++) {
        fields[i] = line;
        char *tab = strchr(line, '\t');
        if ((tab == NULL) != (i == n - 1))
            return -EINVAL;
        if (tab != NULL) {
            *tab = '\0';
            line = tab + 1;
        }
    }
    return 0;
}

static int baseline_parse_line(char *line, cli_baseline_entry_t *e, char *why, size_t whylen)
{
    char *f[4];
    if (baseline_fields(line, f, 4) < 0) {
        snprintf(why, whylen, "expected 4 tab-separated fields: case_id, scenario, seed, outcome");
        return -EINVAL;
    }
    if (strlen(f[0]) != CHUNKSIM_MATRIX_ID_CHARS) {
        snprintf(why, whylen, "case id '%s': expected %d characters", f[0],
                 CHUNKSIM_MATRIX_ID_CHARS);
        return -EINVAL;
    }
    char *end;
    errno = 0;
    unsigned long long seed = strtoull(f[2], &end, 10);
    if (errno != 0 || end == f[2] || *end != '\0' || f[2][0] == '-') {
        snprintf(why, whylen, "seed '%s': expected a number", f[2]);
        return -EINVAL;
    }
    if (cli_outcome_parse(f[3], &e->outcome) < 0) {
        snprintf(why, whylen,
                 "outcome '%s': expected ok, lost, corrupt, incomplete, violation or error", f[3]);
        return -EINVAL;
    }
    memcpy(e->id, f[0], sizeof e->id);
    e->seed = seed;
    e->scenario = strdup(f[1]);
    return e->scenario == NULL ? -ENOMEM : 0;
}

static int baseline_add(cli_baseline_t *bl, size_t *cap, const cli_baseline_entry_t *e)
{
    if (cli_grow((void **)&bl->entries, cap, bl->count, sizeof bl->entries[0], 256) < 0)
        return -ENOMEM;
    bl->entries[bl->count++] = *e;
    return 0;
}

/* Sorts by id and refuses a duplicate, naming both lines. */
static int baseline_index(const char *path, cli_baseline_t *bl, char *err, size_t errlen)
{
    if (bl->count > 0)
        qsort(bl->entries, bl->count, sizeof *bl->entries, baseline_cmp);
    for (size_t i = 1; i < bl->count; i++) {
        if (baseline_cmp(&bl->entries[i - 1], &bl->entries[i]) == 0) {
            uint32_t a = bl->entries[i - 1].line, b = bl->entries[i].line;
            snprintf(err, errlen,
                     "%s:%" PRIu32 ": case %s is listed again (first on line %" PRIu32 ")", path,
                     a > b ? a : b, bl->entries[i].id, a < b ? a : b);
            return -EINVAL;
        }
    }
    return 0;
}

int cli_baseline_load(const char *path, cli_baseline_t *bl, char *err, size_t errlen)
{
    memset(bl, 0, sizeof *bl);
    FILE *in = fopen(path, "r");
    if (in == NULL) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    char line[BASELINE_LINE_BYTES];
    size_t cap = 0;
    uint32_t lineno = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, in) != NULL) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            snprintf(err, errlen, "%s:%" PRIu32 ": line longer than %d characters", path, lineno,
                     BASELINE_LINE_BYTES - 2);
            rc = -EINVAL;
            break;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        cli_baseline_entry_t e = {.line = lineno};
        char why[256];
        rc = baseline_parse_line(line, &e, why, sizeof why);
        if (rc == -EINVAL)
            snprintf(err, errlen, "%s:%" PRIu32 ": %s", path, lineno, why);
        if (rc == 0 && (rc = baseline_add(bl, &cap, &e)) < 0)
            free(e.scenario);
        if (rc == -ENOMEM)
            snprintf(err, errlen, "%s: out of memory", path);
    }
    if (rc == 0 && ferror(in)) {
        snprintf(err, errlen, "%s: read error", path);
        rc = -EIO;
    }
    fclose(in);
    if (rc == 0)
        rc = baseline_index(path, bl, err, errlen);
    if (rc < 0)
        cli_baseline_free(bl);
    return rc;
}

static cli_baseline_entry_t *baseline_find(cli_baseline_t *bl, const char *id)
{
    cli_baseline_entry_t key;
    snprintf(key.id, sizeof key.id, "%s", id);
    if (bl->count == 0)
        return NULL;
    return bsearch(&key, bl->entries, bl->count, sizeof key, baseline_cmp);
}

cli_baseline_change_t cli_baseline_check(cli_baseline_t *bl, const cli_batch_result_t *r,
                                         cli_baseline_entry_t **entry)
{
    cli_baseline_entry_t *e = baseline_find(bl, r->id);
    if (entry != NULL)
        *entry = e;
    if (!r->ran)
        return CLI_BASELINE_SAME;
    if (e == NULL)
        return CLI_BASELINE_NEW;
    return e->outcome != r->outcome ? CLI_BASELINE_CHANGED : CLI_BASELINE_SAME;
}

bool cli_baseline_judge(const cli_batch_t *b, size_t i, void *ctx, char *why, size_t whylen)
{
    const cli_batch_result_t *r = &b->results[i];
    cli_baseline_entry_t *e;
    switch (cli_baseline_check(ctx, r, &e)) {
    case CLI_BASELINE_NEW:
        snprintf(why, whylen, "new: %s, not in the baseline", chunksim_outcome_name(r->outcome));
        return true;
    case CLI_BASELINE_CHANGED:
        snprintf(why, whylen, "changed: %s, baseline (line %" PRIu32 ") %s%s%s",
                 chunksim_outcome_name(r->outcome), e->line, chunksim_outcome_name(e->outcome),
                 r->reason ? ": " : "", r->reason ? r->reason : "");
        return true;
    default:
        return false;
    }
}

static void baseline_repro(const cli_batch_t *b, size_t i, FILE *out)
{
    chunksim_matrix_case_t c;
    char repro[4096];
    if (cli_batch_case(b->cfg, i, &c) < 0)
        return;
    chunksim_matrix_case_repro(&c, repro, sizeof repro);
    fprintf(out, "  %s\n", repro);
}

size_t cli_baseline_compare(const cli_batch_t *b, cli_baseline_t *bl, bool whole, FILE *out)
{
    size_t changes = 0;
    for (size_t i = 0; i < bl->count; i++)
        bl->entries[i].seen = false;
    for (size_t i = 0; i < b->cfg->case_count; i++) {
        const cli_batch_result_t *r = &b->results[i];
        cli_baseline_entry_t *e;
        cli_baseline_change_t change = cli_baseline_check(bl, r, &e);
        if (e != NULL)
            e->seen = true;
        if (change == CLI_BASELINE_NEW) {
            fprintf(out, "NEW %s %s seed %" PRIu64 ": %s, not in the baseline\n", r->id, r->name,
                    r->seed, chunksim_outcome_name(r->outcome));
        } else if (change == CLI_BASELINE_CHANGED) {
            fprintf(out, "CHANGED %s %s seed %" PRIu64 ": %s, baseline (line %" PRIu32 ") %s%s%s\n",
                    r->id, r->name, r->seed, chunksim_outcome_name(r->outcome), e->line,
                    chunksim_outcome_name(e->outcome), r->reason ? ": " : "",
                    r->reason ? r->reason : "");
        } else {
            continue;
        }
        baseline_repro(b, i, out);
        changes++;
    }
    for (size_t i = 0; whole && i < bl->count; i++) {
        const cli_baseline_entry_t *e = &bl->entries[i];
        if (!e->seen) {
            fprintf(out,
                    "GONE %s %s seed %" PRIu64 ": %s in the baseline (line %" PRIu32
                    "), no such case in the matrix\n",
                    e->id, e->scenario, e->seed, chunksim_outcome_name(e->outcome), e->line);
            changes++;
        }
    }
    return changes;
}

int cli_baseline_write(const cli_batch_t *b, const char *path)
{
    FILE *out = fopen(path, "w");
    if (out == NULL)
        return -errno;
    fprintf(out, "# Expected outcome of every case (not timings); written by chunksim matrix "
                 "--write-baseline.\n"
                 "# case_id\tscenario\tseed\toutcome\n");
    for (size_t i = 0; i < b->cfg->case_count; i++) {
        const cli_batch_result_t *r = &b->results[i];
        fprintf(out, "%s\t%s\t%" PRIu64 "\t%s\n", r->id, r->name ? r->name : "?", r->seed,
                chunksim_outcome_name(r->outcome));
    }
    int bad = ferror(out);
    if (fclose(out) != 0 || bad)
        return -EIO;
    return 0;
}

void cli_baseline_free(cli_baseline_t *bl)
{
    for (size_t i = 0; i < bl->count; i++)
        free(bl->entries[i].scenario);
    free(bl->entries);
    memset(bl, 0, sizeof *bl);
}
