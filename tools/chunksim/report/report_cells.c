/*
 * Campaign reports by matrix cell (see report.h): the runs that carry a case
 * (runs.case_*) grouped by file and cell, judged against their scenario's
 * expect, and the text summary of them.
 */
#include "report.h"

#include "chunksim/matrix.h"
#include "chunksim/run.h"
#include "chunksim/scenario.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* Runs with a case, grouped: cell order, seeds within a cell. */
static const char cells_sql[] =
    "SELECT r.run_id, r.case_file, coalesce(r.case_cell, ''), r.case_id, r.seed, "
    "coalesce(r.outcome, 'running'), s.name, s.config_text FROM runs r "
    "JOIN scenarios s USING (scenario_id) WHERE r.case_id IS NOT NULL "
    "ORDER BY r.case_file, r.case_cell, r.seed, r.run_id";

const char *report_expected_outcome(const char *config_text, const char *name)
{
    chunksim_scenario_t sc;
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    if (config_text == NULL ||
        chunksim_scenario_load_string(&sc, config_text, name, NULL, err, sizeof err) != 0)
        return NULL;
    chunksim_expect_t expect = sc.run.expect;
    chunksim_scenario_free(&sc);
    return expect == CHUNKSIM_EXPECT_NONE ? "ok" : chunksim_expect_name(expect);
}

/*
 * The line that reruns a case, from what its run stored: the file, its seed,
 * and the overrides its scenario text lists at its end ("; --set KEY=VALUE"),
 * which are exactly the case's overrides in order. A text recorded before the
 * seed left it may list run.seed too: the run's own seed stands for it.
 */
size_t report_repro_of(const char *file, uint64_t seed, const char *config_text, char *buf,
                       size_t len)
{
    chunksim_matrix_case_t c = {.path = file, .has_seed = true, .seed = seed};
    char *copy = strdup(config_text != NULL ? config_text : "");
    if (copy == NULL) {
        if (len > 0)
            buf[0] = '\0';
        return 0;
    }
    /* Only the trailing block of "; --set" lines: earlier comments are the file's own. */
    for (char *line = strtok(copy, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (strncmp(line, "; --set ", 8) != 0)
            c.set_count = 0;
        else if (strncmp(line + 8, "run.seed=", 9) != 0 && c.set_count < CHUNKSIM_MATRIX_SETS_MAX)
            c.sets[c.set_count++] = line + 8;
    }
    size_t n = chunksim_matrix_case_repro(&c, buf, len);
    free(copy);
    return n;
}

static int cells_grow(report_cells_t *cs, size_t *cap)
{
    if (cs->n < *cap)
        return 0;
    size_t ncap = *cap ? 2 * *cap : 64;
    report_cell_t *n = realloc(cs->cells, ncap * sizeof *n);
    if (n == NULL)
        return -ENOMEM;
    cs->cells = n;
    *cap = ncap;
    return 0;
}

static int outcome_index(const char *outcome)
{
    for (int o = 0; o <= CHUNKSIM_OUTCOME_ERROR; o++) {
        if (strcmp(outcome, chunksim_outcome_name((chunksim_outcome_t)o)) == 0)
            return o;
    }
    return REPORT_OUTCOMES - 1; /* still running */
}

/* Adds one run to the last cell, or opens a new one for it. */
static int cells_add(report_cells_t *cs, size_t *cap, sqlite3_stmt *st, bool *unknown_expect)
{
    const char *file = (const char *)sqlite3_column_text(st, 1);
    const char *cell = (const char *)sqlite3_column_text(st, 2);
    report_cell_t *c = cs->n > 0 ? &cs->cells[cs->n - 1] : NULL;
    if (c == NULL || strcmp(c->file, file ? file : "") != 0 || strcmp(c->cell, cell) != 0) {
        if (cells_grow(cs, cap) < 0)
            return -ENOMEM;
        c = &cs->cells[cs->n++];
        *c = (report_cell_t){.file = strdup(file ? file : ""), .cell = strdup(cell)};
        if (c->file == NULL || c->cell == NULL)
            return -ENOMEM;
    }
    const char *outcome = (const char *)sqlite3_column_text(st, 5);
    const char *text = (const char *)sqlite3_column_text(st, 7);
    const char *want = report_expected_outcome(text, (const char *)sqlite3_column_text(st, 6));
    *unknown_expect |= want == NULL;
    bool failed = strcmp(outcome, want != NULL ? want : "ok") != 0;
    c->runs++;
    c->outcomes[outcome_index(outcome)]++;
    cs->runs++;
    if (!failed)
        return 0;
    c->failed++;
    cs->failed++;
    if (c->failed_run != 0)
        return 0;
    c->failed_run = sqlite3_column_int64(st, 0);
    c->failed_seed = (uint64_t)sqlite3_column_int64(st, 4);
    snprintf(c->failed_case, sizeof c->failed_case, "%s", sqlite3_column_text(st, 3));
    snprintf(c->failed_outcome, sizeof c->failed_outcome, "%s", outcome);
    size_t n = report_repro_of(c->file, c->failed_seed, text, NULL, 0) + 1;
    c->repro = malloc(n);
    if (c->repro == NULL)
        return -ENOMEM;
    report_repro_of(c->file, c->failed_seed, text, c->repro, n);
    return 0;
}

/* Failing cells first, most failures first; then as recorded (file, cell). */
static int cell_cmp(const void *a, const void *b)
{
    const report_cell_t *x = a, *y = b;
    if (x->failed != y->failed)
        return x->failed > y->failed ? -1 : 1;
    int c = strcmp(x->file, y->file);
    return c != 0 ? c : strcmp(x->cell, y->cell);
}

int report_cells_load(sqlite3 *db, report_cells_t *cs, char *err, size_t errlen)
{
    *cs = (report_cells_t){0};
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, cells_sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "reading the runs' cases: %s", sqlite3_errmsg(db));
        return -EIO;
    }
    size_t cap = 0;
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
        rc = cells_add(cs, &cap, st, &cs->unknown_expect);
    if (rc == 0 && step != SQLITE_DONE) {
        snprintf(err, errlen, "reading the runs' cases: %s", sqlite3_errmsg(db));
        rc = -EIO;
    }
    sqlite3_finalize(st);
    if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory reading the runs' cases");
    if (rc < 0) {
        report_cells_free(cs);
        return rc;
    }
    if (cs->n > 0)
        qsort(cs->cells, cs->n, sizeof *cs->cells, cell_cmp);
    for (size_t i = 0; i < cs->n; i++)
        cs->failed_cells += cs->cells[i].failed > 0;
    return 0;
}

void report_cells_free(report_cells_t *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        free(cs->cells[i].file);
        free(cs->cells[i].cell);
        free(cs->cells[i].repro);
    }
    free(cs->cells);
    *cs = (report_cells_t){0};
}

void report_cell_outcomes(FILE *out, const report_cell_t *c)
{
    const char *sep = "";
    for (int o = 0; o < REPORT_OUTCOMES; o++) {
        if (c->outcomes[o] == 0)
            continue;
        const char *name =
            o < REPORT_OUTCOMES - 1 ? chunksim_outcome_name((chunksim_outcome_t)o) : "running";
        fprintf(out, "%s%s %" PRIu64, sep, name, c->outcomes[o]);
        sep = ", ";
    }
}

void report_cells_text(FILE *out, const report_cells_t *cs, size_t max_cells)
{
    fprintf(out,
            "%zu cell(s), %" PRIu64 " run(s) with a case: %zu cell(s) with runs that missed "
            "their expect (%" PRIu64 " run(s))\n",
            cs->n, cs->runs, cs->failed_cells, cs->failed);
    if (cs->unknown_expect)
        fprintf(out, "note: some runs' scenarios no longer load; their expect is taken as ok\n");
    size_t shown = 0;
    for (size_t i = 0; i < cs->n && (max_cells == 0 || shown < max_cells); i++, shown++) {
        const report_cell_t *c = &cs->cells[i];
        fprintf(out, "%s %s [%s]: %" PRIu64 " run(s), %" PRIu64 " missed: ",
                c->failed > 0 ? "FAIL" : "pass", c->file, c->cell, c->runs, c->failed);
        report_cell_outcomes(out, c);
        fputc('\n', out);
        if (c->failed_run != 0)
            fprintf(out, "  first: run %" PRId64 " case %s seed %" PRIu64 " %s\n  %s\n",
                    c->failed_run, c->failed_case, c->failed_seed, c->failed_outcome, c->repro);
    }
    if (shown < cs->n)
        fprintf(out, "... and %zu more cell(s)%s\n", cs->n - shown,
                cs->failed_cells > shown ? ", some failing" : ", none failing");
}
