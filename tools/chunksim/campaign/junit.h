/*
 * JUnit XML for campaigns (`matrix`, `sweep`, `swarm`): one <testsuite> per
 * scenario file, one <testcase> per case of the batch, judged by the same
 * rule as the command's exit status, so that the file and the status never
 * disagree.
 *
 * The rule is the caller's judge: with a baseline a case fails when its
 * outcome changed or the baseline lacks it (cli_baseline_judge), a matrix
 * without one fails a case that missed its expect (cli_junit_judge_expect),
 * a fault campaign fails the cases that lose or corrupt data
 * (campaign_judge_damage). Whatever the judge, a case the batch did not run
 * (interrupted) is an <error>: the exit status fails on it too. A failing
 * case whose run could not be set up is an <error>, any other a <failure>;
 * both hold the judge's reason, the case id and the repro line.
 *
 * Test names say what the case is (chunksim_matrix_case_name):
 * "read_faults[window=2048,fault=read_error op=3] seed 1"; classname is the
 * scenario name.
 *
 *     cli_junit_config_t jc = {.batch = &b, .judge = cli_baseline_judge, .ctx = &bl,
 *                              .gone = whole ? &bl : NULL};
 *     cli_junit_write(&jc, "junit.xml");
 */
#ifndef CHUNKSIM_CLI_JUNIT_H
#define CHUNKSIM_CLI_JUNIT_H

#include "baseline.h"
#include "batch.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether case i of batch b (one that ran) fails; when it does, why says so
 * in one line (the outcome and what it was held against).
 */
typedef bool (*cli_junit_judge_fn)(const cli_batch_t *b, size_t i, void *ctx, char *why,
                                   size_t whylen);

typedef struct cli_junit_config {
    const cli_batch_t *batch;
    cli_junit_judge_fn judge;
    void *ctx; /* passed to judge */
    /* A baseline compared with the whole matrix (cli_baseline_compare, whole):
     * each entry no case met is one more failing testcase, in a suite of its
     * own. NULL: none. */
    const cli_baseline_t *gone;
} cli_junit_config_t;

/* Writes the file. 0 or -errno. */
int cli_junit_write(const cli_junit_config_t *cfg, const char *path);

/* Fails a case that did not pass its scenario's expect (cli_batch_result_t.passed). */
bool cli_junit_judge_expect(const cli_batch_t *b, size_t i, void *ctx, char *why, size_t whylen);

#endif
