/* JUnit XML judged like the exit status (see junit.h). */
#include "junit.h"
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reasons are one line; a repro line may be long, so it is sized to fit. */
#define JUNIT_WHY_BYTES 1024

typedef enum junit_verdict { JUNIT_PASS, JUNIT_FAILURE, JUNIT_ERROR } junit_verdict_t;

typedef struct junit_counts {
    size_t tests, failures, errors;
    double time_s;
} junit_counts_t;

static junit_verdict_t junit_judge(const cli_junit_config_t *cfg, size_t i, char *why,
                                   size_t whylen)
{
    const cli_batch_result_t *r = &cfg->batch->results[i];
    if (!r->ran) {
        snprintf(why, whylen, "not run: the batch was interrupted before it");
        return JUNIT_ERROR;
    }
    if (!cfg->judge(cfg->batch, i, cfg->ctx, why, whylen))
        return JUNIT_PASS;
    return r->rc < 0 ? JUNIT_ERROR : JUNIT_FAILURE;
}

static void junit_count(junit_counts_t *k, junit_verdict_t v, double wall_ms)
{
    k->tests++;
    k->time_s += wall_ms / 1000.0;
    k->failures += v == JUNIT_FAILURE;
    k->errors += v == JUNIT_ERROR;
}

static void junit_counts_of(const cli_junit_config_t *cfg, size_t file, bool all, junit_counts_t *k)
{
    char why[JUNIT_WHY_BYTES];
    const cli_batch_t *b = cfg->batch;
    for (size_t i = 0; i < b->cfg->case_count; i++) {
        if (all || b->results[i].file == file)
            junit_count(k, junit_judge(cfg, i, why, sizeof why), b->results[i].wall_ms);
    }
}

/* Opens a <testcase>; the caller closes it, or it is closed here when it passed. */
static void junit_testcase_open(FILE *out, const char *classname, const char *name, double time_s,
                                bool passed)
{
    fputs("    <testcase classname=\"", out);
    report_html_escape(out, classname);
    fputs("\" name=\"", out);
    report_html_escape(out, name);
    fprintf(out, "\" time=\"%.3f\"%s\n", time_s, passed ? "/>" : ">");
}

static void junit_problem(FILE *out, junit_verdict_t v, const char *type, const char *why,
                          const char *id, const char *repro)
{
    const char *tag = v == JUNIT_ERROR ? "error" : "failure";
    fprintf(out, "      <%s type=\"%s\" message=\"", tag, type);
    report_html_escape(out, why);
    fputs("\">", out);
    report_html_escape(out, why);
    fputs("\ncase ", out);
    report_html_escape(out, id);
    if (repro != NULL) {
        fputs("\nrepro: ", out);
        report_html_escape(out, repro);
    }
    fprintf(out, "</%s>\n    </testcase>\n", tag);
}

static void junit_case(FILE *out, const cli_junit_config_t *cfg, size_t i)
{
    const cli_batch_result_t *r = &cfg->batch->results[i];
    char why[JUNIT_WHY_BYTES];
    junit_verdict_t v = junit_judge(cfg, i, why, sizeof why);
    chunksim_matrix_case_t c;
    bool known = cli_batch_case(cfg->batch->cfg, i, &c) == 0;
    const chunksim_matrix_t *m = cfg->batch->cfg->matrix;
    size_t name_len = known ? chunksim_matrix_case_name(m, &c, NULL, 0) + 1 : 0;
    size_t repro_len = known ? chunksim_matrix_case_repro(&c, NULL, 0) + 1 : 0;
    char *name = known ? malloc(name_len) : NULL;
    char *repro = known ? malloc(repro_len) : NULL;
    if (name != NULL)
        chunksim_matrix_case_name(m, &c, name, name_len);
    if (repro != NULL)
        chunksim_matrix_case_repro(&c, repro, repro_len);
    junit_testcase_open(out, r->name != NULL ? r->name : "?", name != NULL ? name : r->id,
                        r->wall_ms / 1000.0, v == JUNIT_PASS);
    if (v != JUNIT_PASS)
        junit_problem(out, v, r->ran ? chunksim_outcome_name(r->outcome) : "not-run", why, r->id,
                      repro);
    free(name);
    free(repro);
}

static void junit_suite(FILE *out, const cli_junit_config_t *cfg, size_t file)
{
    const cli_batch_t *b = cfg->batch;
    junit_counts_t k = {0};
    junit_counts_of(cfg, file, false, &k);
    if (k.tests == 0)
        return;
    fputs("  <testsuite name=\"", out);
    report_html_escape(out, b->cfg->matrix->files[file].path);
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"%.3f\">\n",
            k.tests, k.failures, k.errors, k.time_s);
    for (size_t i = 0; i < b->cfg->case_count; i++) {
        if (b->results[i].file == file)
            junit_case(out, cfg, i);
    }
    fputs("  </testsuite>\n", out);
}

static size_t junit_gone_count(const cli_baseline_t *bl)
{
    size_t n = 0;
    for (size_t i = 0; bl != NULL && i < bl->count; i++)
        n += !bl->entries[i].seen;
    return n;
}

/* Baseline entries no case met: the suite lost them, which fails it too. */
static void junit_gone(FILE *out, const cli_baseline_t *bl)
{
    size_t n = junit_gone_count(bl);
    if (n == 0)
        return;
    fprintf(out,
            "  <testsuite name=\"baseline\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
            "skipped=\"0\" time=\"0.000\">\n",
            n, n);
    char name[512], why[JUNIT_WHY_BYTES];
    for (size_t i = 0; i < bl->count; i++) {
        const cli_baseline_entry_t *e = &bl->entries[i];
        if (e->seen)
            continue;
        snprintf(name, sizeof name, "%s seed %" PRIu64, e->scenario, e->seed);
        snprintf(why, sizeof why,
                 "gone: %s in the baseline (line %" PRIu32 "), no such case in the matrix",
                 chunksim_outcome_name(e->outcome), e->line);
        junit_testcase_open(out, e->scenario, name, 0.0, false);
        junit_problem(out, JUNIT_FAILURE, "gone", why, e->id, NULL);
    }
    fputs("  </testsuite>\n", out);
}

int cli_junit_write(const cli_junit_config_t *cfg, const char *path)
{
    FILE *out = fopen(path, "w");
    if (out == NULL)
        return -errno;
    const cli_batch_t *b = cfg->batch;
    junit_counts_t all = {0};
    junit_counts_of(cfg, 0, true, &all);
    size_t gone = junit_gone_count(cfg->gone);
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out,
            "<testsuites name=\"chunksim\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
            "skipped=\"0\" time=\"%.3f\">\n",
            all.tests + gone, all.failures + gone, all.errors, b->elapsed_s);
    for (size_t f = 0; f < b->cfg->matrix->file_count; f++)
        junit_suite(out, cfg, f);
    junit_gone(out, cfg->gone);
    fprintf(out, "</testsuites>\n");
    int bad = ferror(out);
    if (fclose(out) != 0 || bad)
        return -EIO;
    return 0;
}

bool cli_junit_judge_expect(const cli_batch_t *b, size_t i, void *ctx, char *why, size_t whylen)
{
    (void)ctx;
    const cli_batch_result_t *r = &b->results[i];
    if (r->passed)
        return false;
    snprintf(why, whylen, "%s (expected %s): %s", chunksim_outcome_name(r->outcome),
             cli_batch_expect_name(r->expect), r->reason != NULL ? r->reason : "");
    return true;
}
