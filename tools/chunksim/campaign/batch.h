/*
 * Batch: runs cases of a matrix in parallel worker processes and records them
 * into one database (docs/design.md, "Scale"). Shared by `chunksim matrix` and the
 * commands built on matrices (fault sweeps, swarm, the CI suite).
 *
 * Processes. Each worker is a fork() of this process. Workers take the next
 * case themselves from a counter in shared memory (so none waits for the
 * parent), build its scenario (chunksim_matrix_case_load), run it with
 * chunksim_run() on a libuv loop of their own, and send the result to the
 * parent on a pipe. A slow case holds up only its own worker.
 *
 * Recording. Each worker records into scratch databases of its own (in a
 * scratch directory next to the output, scratch.h; synchronous=OFF since
 * they are copies in transit) and merges each into the output itself, about
 * once a second (worker.h): the workers take turns for SQLite's write lock,
 * the parent copies no row. Measured on the CI suite, a parent that merged
 * every worker's rows spent longer merging than a worker spent running, and
 * -j 2 gave 1.2-1.5x over -j 1; with the copies in the workers the parent
 * is idle and the work divides. A parent that is killed leaves the scratch
 * directory behind; the next batch on the same output merges it before it
 * starts. The output receives runs in batches, not in case order. The trace
 * policy (cli_trace_t, options.h) decides which runs keep their trace rows.
 *
 * Ctrl-C. SIGINT or SIGTERM to the parent is forwarded to the workers (a
 * terminal sends it to all of them anyway); each ends its current run as
 * incomplete ("interrupted"), reports it, takes no other case and exits. The
 * workers merge what they finished before they exit: the output database
 * holds every finished run and no run left 'running'. A worker that dies
 * (a crash) is replaced; the parent merges what it left, its unfinished run
 * as 'interrupted', and reports its case as an error.
 */
#ifndef CHUNKSIM_CLI_BATCH_H
#define CHUNKSIM_CLI_BATCH_H

#include "options.h"

#include "chunksim/matrix.h"
#include "chunksim/run.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Workers at most, whatever -j asks. */
#define CLI_BATCH_JOBS_MAX 256

typedef struct cli_batch_config {
    const chunksim_matrix_t *matrix;
    const uint64_t *cases; /* matrix indices to run, in this order */
    size_t case_count;
    /* Cases made by a generator (swarm): when not NULL, case i is
     * hand_cases[i] (case_count of them, each of a file of matrix) and cases
     * is unused. They must stay valid for the whole batch. */
    const chunksim_matrix_case_t *hand_cases;
    unsigned jobs;       /* worker processes; 0: one per available core */
    const char *db_path; /* NULL or "": record nothing */
    cli_trace_t trace;   /* which runs get calls, flash ops and chunks */
    bool progress;       /* a progress bar (terminal) or periodic lines on stderr */
    const char *tool;    /* names the command in messages, e.g. "chunksim matrix" */
    bool hide_failures;  /* summary: counts only, no FAIL line per case (a baseline judges) */
    size_t max_failures; /* summary: FAIL lines listed at most (the rest counted); 0: all */
    bool one_line;       /* summary: each failure on one line, its repro line included */
    size_t stop_after;   /* start no case once this many failed (-F N); 0: never */
} cli_batch_config_t;

/*
 * What the shared options ask of a batch of tool ("chunksim matrix"): the
 * workers, the recording and its trace policy (--no-trace is --trace none),
 * progress, the failures listed and when to stop. The cases are the caller's.
 */
cli_batch_config_t cli_batch_config_of(const cli_common_t *common, const char *tool);

/* How one case went. */
typedef struct cli_batch_result {
    char id[CHUNKSIM_MATRIX_ID_BYTES];
    size_t file; /* index into the matrix's files */
    bool ran;    /* false: not run (interrupted before it started) */
    bool passed;
    int rc; /* chunksim_run's setup error, or a worker crash; 0 otherwise */
    chunksim_outcome_t outcome;
    chunksim_expect_t expect;
    uint64_t seed;
    int64_t run_id; /* in the output database; 0: not recorded */
    double wall_ms;
    const char *name; /* scenario name (shared, owned by the batch) */
    char *reason;     /* why it did not pass; NULL when it passed */
} cli_batch_result_t;

typedef struct cli_batch {
    const cli_batch_config_t *cfg;
    cli_batch_result_t *results; /* one per cfg->cases entry, same order */
    size_t done, failed, not_run;
    size_t outcomes[CHUNKSIM_OUTCOME_ERROR + 1];
    unsigned jobs;    /* workers actually used */
    double elapsed_s; /* wall time of the whole batch */
    bool interrupted; /* stopped by SIGINT/SIGTERM */
    bool stopped;     /* stopped after cfg->stop_after failures */
    int signal;       /* which one */
    /* Private. */
    char **names_;
    size_t name_count_;
} cli_batch_t;

/*
 * Checks every case (each one's scenario must load and validate), then runs
 * them. Returns 0 when the batch ran (see b->failed, b->interrupted; some
 * runs may have failed), or a negative error, printed on stderr, when
 * nothing could be run (a bad case, the database, fork). b is filled in either
 * case and must be released with cli_batch_free().
 */
int cli_batch_run(const cli_batch_config_t *cfg, cli_batch_t *b);

/* Case pos of the batch (a matrix case or a hand-made one). 0 or -ENOENT. */
int cli_batch_case(const cli_batch_config_t *cfg, size_t pos, chunksim_matrix_case_t *c);

/*
 * The failures in case order, each with the line that reproduces it alone
 * (at most cfg->max_failures, the rest counted), then whether the batch
 * stopped early, then the counts and rate: the summary comes last, where a
 * terminal leaves it in view.
 */
void cli_batch_summary(const cli_batch_t *b, FILE *out);

/* What a scenario's expect asks for, for messages: "ok" when it names none. */
const char *cli_batch_expect_name(chunksim_expect_t e);

/*
 * The same as one JSON document: {"cases": [one object per case, in case
 * order: index, id, name, scenario, seed, ran, passed (met its expect),
 * outcome, expect, reason, run_id, wall_ms, repro], "summary": {...}}, and
 * "verdict": verdict when not NULL (a campaign's own judgement, which its
 * exit status follows; the reference is taken). 0 or -EIO.
 */
typedef struct json_t json_t;
int cli_batch_json(const cli_batch_t *b, json_t *verdict, FILE *out);

void cli_batch_free(cli_batch_t *b);

/* Seconds on the monotonic clock: how the batch, its workers and bench time things. */
double cli_batch_now_s(void);

#endif
