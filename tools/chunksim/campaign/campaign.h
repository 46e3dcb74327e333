/*
 * Fault campaigns: what `chunksim sweep`, `swarm` and `shrink` share. Each
 * builds a matrix (chunksim/matrix.h) whose cases are the runs it wants, so
 * every run has a case id and a repro line, and runs it with the batch
 * runner (batch.h) or, one case at a time, in this process.
 */
#ifndef CHUNKSIM_CLI_CAMPAIGN_H
#define CHUNKSIM_CLI_CAMPAIGN_H

#include "batch.h"
#include "options.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Flash operation kinds as fault rules' on= names them. */
typedef enum campaign_op_kind {
    CAMPAIGN_OP_READ = 0,
    CAMPAIGN_OP_PROGRAM,
    CAMPAIGN_OP_ERASE,
    CAMPAIGN_OP_KINDS
} campaign_op_kind_t;

/* The flash operations one run issued, in order (op index = position). */
typedef struct campaign_ops {
    uint8_t *kinds; /* campaign_op_kind_t per op */
    uint64_t count;
    uint64_t per_kind[CAMPAIGN_OP_KINDS];
} campaign_ops_t;

/* "read", "program", "erase" -> kind; -1 for anything else. */
int campaign_op_kind_parse(const char *name);
const char *campaign_op_kind_name(campaign_op_kind_t kind);

/*
 * m, the matrix of file alone under cfg (seeds, sets). With one_case set it
 * must stand for one case; one_case says what the command wants instead
 * ("name one with --case ID"). On error: one line "chunksim CMD: ..." on
 * stderr, m freed, CLI_EXIT_USAGE.
 */
int campaign_matrix_of_file(chunksim_matrix_t *m, const chunksim_matrix_config_t *cfg,
                            const char *cmd, const char *file, const char *one_case);

/*
 * Runs case c alone in this process, recorded nowhere. Returns 0 (see
 * res->outcome) or a negative error described in err (the case does not
 * load, or the run could not be set up).
 */
int campaign_run_case(const chunksim_matrix_t *m, const chunksim_matrix_case_t *c,
                      chunksim_run_result_t *res, char *err, size_t errlen);

/*
 * As campaign_run_case, and lists the flash operations the run issued (refused
 * ones included, as fault rules count them), from a scratch recording under
 * $TMPDIR. ops must be freed with campaign_ops_free().
 */
int campaign_count_ops(const chunksim_matrix_t *m, const chunksim_matrix_case_t *c,
                       chunksim_run_result_t *res, campaign_ops_t *ops, char *err, size_t errlen);

void campaign_ops_free(campaign_ops_t *ops);

/* Whether an outcome is damage a campaign hunts for: lost, corrupt, violation. */
bool campaign_outcome_is_damage(chunksim_outcome_t outcome);

/* Whether a case that ran failed the campaign: damage, or a run that could not be set up. */
bool campaign_case_is_damage(const cli_batch_result_t *r);

/* A JUnit judge (junit.h) failing exactly the cases campaign_case_is_damage names. */
bool campaign_judge_damage(const cli_batch_t *b, size_t i, void *ctx, char *why, size_t whylen);

/*
 * What a damage hunt (sweep, swarm) says about its batch: report writes the
 * text report on out and returns the exit status it calls for; verdict is the
 * --json document's "verdict". ctx is passed to both.
 */
typedef struct campaign_hunt {
    int (*report)(const cli_batch_t *b, const void *ctx, FILE *out);
    json_t *(*verdict)(const cli_batch_t *b, const void *ctx);
    const void *ctx;
} campaign_hunt_t;

/*
 * Runs the batch cfg describes and concludes it: the text report (on stderr
 * under --json, whose document is all of stdout), the JSON document or the
 * summary, and the --junit file judged by campaign_judge_damage. A run that
 * could not finish or a file that could not be written makes the status
 * CLI_EXIT_FAILED; a batch that ran nothing, CLI_EXIT_USAGE. Returns the
 * exit status.
 */
int campaign_hunt_run(const cli_batch_config_t *cfg, const cli_common_t *common,
                      const campaign_hunt_t *hunt);

#endif
