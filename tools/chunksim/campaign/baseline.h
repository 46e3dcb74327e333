/*
 * Baselines: the expected outcome of every case of a matrix, checked in next
 * to the scenarios (scenarios/ci/baseline.tsv), so that CI fails on any
 * change in outcome, not on timings.
 *
 * The file is text, one case per line, tab-separated:
 *
 *     case_id<TAB>scenario<TAB>seed<TAB>outcome
 *
 * in matrix order, so that a regenerated file diffs line by line. Lines
 * starting with '#' and blank lines are skipped. The case id alone is the
 * key (it already hashes the file name, overrides and seed); scenario and
 * seed are there for people reading the file and a diff of it.
 *
 *     cli_baseline_t bl;
 *     cli_baseline_load("scenarios/ci/baseline.tsv", &bl, err, sizeof err);
 *     size_t changes = cli_baseline_compare(&batch, &bl, true, stdout);
 *     cli_baseline_free(&bl);
 */
#ifndef CHUNKSIM_CLI_BASELINE_H
#define CHUNKSIM_CLI_BASELINE_H

#include "batch.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct cli_baseline_entry {
    char id[CHUNKSIM_MATRIX_ID_BYTES];
    char *scenario;
    uint64_t seed;
    chunksim_outcome_t outcome;
    uint32_t line;
    bool seen; /* matched by a case of the batch compared last */
} cli_baseline_entry_t;

typedef struct cli_baseline {
    cli_baseline_entry_t *entries; /* sorted by id */
    size_t count;
} cli_baseline_t;

/*
 * Reads a baseline. Errors (-ENOENT, -EINVAL: a bad line, a duplicate id,
 * an unknown outcome) are described in err with the file and line.
 */
int cli_baseline_load(const char *path, cli_baseline_t *bl, char *err, size_t errlen);

/*
 * Compares the batch's outcomes with the baseline and prints, for each case
 * whose outcome changed or that the baseline lacks, a line with the id, the
 * scenario, the seed, both outcomes and the command that reproduces it.
 * whole: the batch ran the whole matrix (no shard, no --case), so baseline
 * entries it did not meet are reported too (the suite lost cases). Cases not
 * run (an interrupted batch) are not compared. Returns the number of changes.
 */
size_t cli_baseline_compare(const cli_batch_t *b, cli_baseline_t *bl, bool whole, FILE *out);

/* How a case that ran compares with the baseline (a case not run: SAME). */
typedef enum cli_baseline_change {
    CLI_BASELINE_SAME = 0,
    CLI_BASELINE_NEW,     /* the baseline has no such case */
    CLI_BASELINE_CHANGED, /* its outcome differs from the baseline's */
} cli_baseline_change_t;

/* Compares one result; *entry (when entry is not NULL) is its baseline line or NULL. */
cli_baseline_change_t cli_baseline_check(cli_baseline_t *bl, const cli_batch_result_t *r,
                                         cli_baseline_entry_t **entry);

/*
 * A JUnit judge (junit.h; ctx is the cli_baseline_t): a case fails when it
 * is NEW or CHANGED, exactly the cases cli_baseline_compare counts, whatever
 * its outcome; why says which and both outcomes.
 */
bool cli_baseline_judge(const cli_batch_t *b, size_t i, void *ctx, char *why, size_t whylen);

/* Writes the batch's outcomes as a baseline (every case must have run). 0 or -errno. */
int cli_baseline_write(const cli_batch_t *b, const char *path);

/* The outcome named name ("ok", "lost", ...), or -EINVAL. */
int cli_outcome_parse(const char *name, chunksim_outcome_t *outcome);

void cli_baseline_free(cli_baseline_t *bl);

#endif
