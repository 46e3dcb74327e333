/*
 * Batch worker: one forked process of a batch (batch.h). It takes the next
 * case from a counter shared with the other workers, runs it, records it
 * into a scratch database of its own (a segment, in the batch's scratch
 * directory) and reports the result to the parent on a pipe.
 *
 * Every worker writes its own runs into the output. When a segment holds
 * CLI_WORKER_SEGMENT_RUNS runs, or has been open for a second, or no case
 * is left, the worker merges it into the output with chunksim_merge (one
 * short transaction under SQLite's write lock), reports each run's id in
 * the output, and deletes it. A worker that finds another one merging does
 * not wait: it records on into the same segment and tries again a few runs
 * later, and waits only when the segment has grown four times over, or at
 * the end. The parent copies no row: measured on the CI suite, a parent
 * that merged every worker's rows spent more time merging than one worker
 * spent running and recording, so -j 2 could not beat -j 1 by much.
 *
 * A segment that could not be merged stays in the scratch directory: the
 * parent merges what a worker left when it ends (a crash, a failed merge),
 * and the next batch on the same output recovers what a killed parent's
 * workers left (scratch.h).
 *
 * Trace policy (cli_trace_t): with CLI_TRACE_FAILURES a case is
 * first run without trace rows; one that does not pass is run again, with
 * its trace, from the same seed, and the summary-only run is deleted from
 * the segment before it is merged. A re-run that ends differently is a
 * determinism bug: its result says so and fails, whatever it expected. A
 * case in real time cannot be repeated exactly and keeps its trace the
 * first time.
 */
#ifndef CHUNKSIM_CLI_WORKER_H
#define CHUNKSIM_CLI_WORKER_H

#include "batch.h"

#include <limits.h>
#include <signal.h>
#include <stdint.h>

/* Runs per segment, normally: temporary space stays at a few segments per worker. */
#define CLI_WORKER_SEGMENT_RUNS 256
/* How long a worker that must merge waits for the output's write lock (the recorder's wait). */
#define CLI_WORKER_BUSY_MS 10000

typedef enum cli_worker_msg_kind {
    CLI_WORKER_RESULT, /* a case ran: its result; run_id is in the segment */
    CLI_WORKER_MERGED, /* the run of case pos is now run_id in the output */
} cli_worker_msg_kind_t;

/* What a worker sends back: a single write, atomic on a pipe. */
typedef struct cli_worker_msg {
    uint64_t pos; /* index into the batch's cases */
    int32_t kind; /* cli_worker_msg_kind_t */
    int32_t rc;
    int32_t outcome;
    uint8_t passed;
    uint64_t seed;
    int64_t run_id;
    uint32_t segment; /* the segment it was recorded in */
    double wall_ms;
    char reason[600];
} cli_worker_msg_t;

_Static_assert(sizeof(cli_worker_msg_t) <= PIPE_BUF, "a result must reach the parent in one write");

/* Shared by the parent and every worker: an anonymous shared mapping made before the first fork. */
typedef struct cli_worker_shared {
    uint64_t next;                        /* next case position to take (atomic) */
    uint64_t running[CLI_BATCH_JOBS_MAX]; /* per slot: position being run + 1; 0: none */
} cli_worker_shared_t;

typedef struct cli_worker_env {
    const cli_batch_config_t *cfg;
    cli_worker_shared_t *shared;
    const char *tmpdir; /* the scratch directory; NULL: not recording */
    unsigned slot, serial;
    int res_fd;
    volatile sig_atomic_t *stop; /* set by a signal: end the run, take no other case */
} cli_worker_env_t;

/* Takes and runs cases until none is left or stop is set, then _exit(0). */
__attribute__((noreturn)) void cli_worker_main(const cli_worker_env_t *env);

/*
 * A failed case's traced re-run (again) against its first run: true when
 * they ended alike (code, outcome, verdict, reason). When they did not, the
 * simulator is not deterministic and no verdict of the case can be trusted:
 * again's reason then names both ends, it does not pass, and the line goes
 * to stderr too, naming tool.
 */
bool cli_worker_rerun_check(cli_worker_msg_t *again, const cli_worker_msg_t *first,
                            const char *tool);

/* The file of a worker's segment: unique per slot, process and segment. NULL: no memory. */
char *cli_worker_segment_path(const char *tmpdir, unsigned slot, unsigned serial, uint32_t segment);

#endif
