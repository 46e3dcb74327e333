/*
 * Merge: copies the runs of one recording database into another, so that
 * shards run on other machines (or a matrix's worker processes) end up in
 * one file (docs/design.md, "Scale"; docs/schema.md).
 *
 *     chunksim_rec_t out;
 *     chunksim_rec_open(&out, "all.db", err, sizeof err);
 *     chunksim_merge_stats_t st;
 *     chunksim_merge(&out, "shard-1.db", NULL, &st, err, sizeof err);
 *     chunksim_merge(&out, "shard-2.db", NULL, &st, err, sizeof err);
 *     chunksim_rec_close(&out);
 *
 * What is copied: scenarios and images deduplicated by their SHA-256 (an
 * existing row is kept as it is); every run with all its calls, flash_ops,
 * chunks, violations, params and metrics, each run under a new run_id in the
 * output (input order kept: new ids are the output's largest id + 1, 2, ...
 * in input run_id order). Chunk and violation ids are new too; their order
 * within a run is kept.
 *
 * No duplicates: a run is already present when the output holds a run with
 * the same identity: scenario SHA-256, seed, mode, reader, glue, started_at,
 * writer_host and writer_pid. A process records one run at a time and
 * started_at has millisecond resolution, so two different recordings share
 * an identity only if one process started the same scenario and seed twice
 * within one millisecond; merging a file twice, or merging files that were
 * merged before, copies nothing the second time.
 *
 * A run still 'running' in the input (its writer died, or was not finished
 * when the file was copied) is copied as 'interrupted', outcome 'incomplete',
 * with a reason naming the input, as a reopened database would mark it.
 *
 * One transaction per call (per input): the output gets all of an input's
 * runs or none of them. The input is attached read-only and never written.
 * Errors are the recorder's codes (CHUNKSIM_REC_E_*), with err saying what
 * and where.
 */
#ifndef CHUNKSIM_MERGE_H
#define CHUNKSIM_MERGE_H

#include "chunksim/recorder.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct chunksim_merge_options {
    /* Only input runs with after_run_id < run_id <= up_to_run_id (0: no upper
     * bound). An incremental merge of a file still being written passes the
     * last run it knows finished. */
    int64_t after_run_id;
    int64_t up_to_run_id;
    /* Names the input in reasons; NULL: its path. */
    const char *label;
    /* Called for every run copied, with its id in the input and in the output. */
    void (*on_run)(void *data, int64_t src_run_id, int64_t dst_run_id);
    void *data;
} chunksim_merge_options_t;

typedef struct chunksim_merge_stats {
    uint64_t runs_copied;
    uint64_t runs_present;     /* already in the output: skipped */
    uint64_t runs_interrupted; /* copied as 'interrupted' (were 'running') */
    uint64_t scenarios_added;
    uint64_t images_added;
    uint64_t rows_copied; /* call_blocks + flash_ops + chunk_blocks + violations + params + metrics */
    int64_t last_run_id;  /* largest input run_id looked at (0: none) */
    bool busy;            /* failed: another connection held the output's lock past the wait */
} chunksim_merge_stats_t;

/*
 * Copies the runs of the database at src_path into dst (open for writing,
 * no run in progress). src must be a chunksim recording of this schema
 * version and not the same file as dst. stats may be NULL.
 */
int chunksim_merge(chunksim_rec_t *dst, const char *src_path, const chunksim_merge_options_t *opts,
                   chunksim_merge_stats_t *stats, char *err, size_t errlen);

#endif
