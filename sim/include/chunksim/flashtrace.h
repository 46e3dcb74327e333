/*
 * Flash trace: the latency and fault of every flash operation as they
 * happened, in a recorded run (its flash_ops rows) or on a board (a CSV),
 * turned into scenario settings so that the flash model replays them instead
 * of drawing from its distributions (docs/design.md, "Replay": trace-driven).
 *
 *     chunksim_flashtrace_t tr;
 *     char err[CHUNKSIM_SCENARIO_ERR_BYTES];
 *     if (chunksim_flashtrace_load(&tr, "runs.db:42", err, sizeof err) < 0)  // or "board.csv"
 *         die(err);
 *     if (chunksim_flashtrace_apply(&tr, &sc, err, sizeof err) < 0)
 *         die(err);
 *     chunksim_flashtrace_free(&tr);
 *     chunksim_run(&sc, &opts, &res);
 *
 * What apply changes in the scenario:
 *
 *   latencies  [flash] read_latency, program_latency and erase_latency become
 *              trace latencies (CHUNKSIM_LATENCY_TRACE) holding the latencies
 *              of the trace's operations of that kind, in issue order; erases
 *              of every size share one sequence, as in the flash map. The
 *              model replays each list from the start again when a run issues
 *              more operations than the trace holds. A kind the trace has no
 *              operation of keeps the scenario's latency. Operations the flash
 *              refused at issue (busy, no power) drew no latency and are left
 *              out, exactly as the model skips them; so are operations a
 *              recording lost (a gap in flash_ops.seq), which keep their
 *              numbers.
 *   faults     the scenario's fault rules are replaced ("faults.fault=none",
 *              then one override per faulted operation, so the recorded text
 *              shows them): each fault becomes a one-shot rule on that
 *              operation's index (counted over all operations, as the model
 *              numbers them). read_error, read_timeout, program_fail,
 *              erase_fail, silent_program, silent_erase, torn_program,
 *              misdirected_write and bitflip keep their kind; a late read
 *              (read_timeout whose completion came) becomes read_late with
 *              the delay reconstructed from the queue; bad_sector and
 *              wear_out become program_fail / erase_fail (what the operation
 *              saw); bitflip_stuck becomes stuck_bit on the range that read;
 *              a power loss becomes one cut at the instant recorded
 *              (at_us=), or, from a CSV, on the operation (op=).
 *
 * Exact for latencies and for which operation fails how. Drawn details that
 * the trace does not hold are drawn again: which bits flip (and how many: 1),
 * where a misdirected write lands, how much of a torn program lands, the
 * undefined bytes after a power loss.
 *
 * The CSV (scenarios/README.md, "Flash traces"): a header line naming the
 * columns op, kind, latency_us and fault (any order; other columns are
 * ignored), then one row per operation in issue order, op 0, 1, 2, ...
 * Errors name the file and line.
 */
#ifndef CHUNKSIM_FLASHTRACE_H
#define CHUNKSIM_FLASHTRACE_H

#include "chunksim/scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum chunksim_flashtrace_kind {
    CHUNKSIM_FLASHTRACE_READ = 0,
    CHUNKSIM_FLASHTRACE_PROGRAM,
    CHUNKSIM_FLASHTRACE_ERASE, /* any size */
    CHUNKSIM_FLASHTRACE_KIND_COUNT
} chunksim_flashtrace_kind_t;

/* One operation, the model's operation number = its index in the trace. */
typedef struct chunksim_flashtrace_op {
    chunksim_flashtrace_kind_t kind;
    bool refused;      /* refused at issue: no latency drawn, counts as an operation */
    bool missing;      /* a gap in the recording's seq: counted, nothing else known */
    double latency_us; /* how long the device took */
    bool has_fault;
    chunksim_fault_kind_t fault; /* in the scenario's vocabulary */
    uint64_t delay_us;           /* read_late: how late the completion came */
    uint32_t addr, len;          /* stuck_bit: the range the read covered */
    uint64_t cut_us;             /* power_loss: the instant; CHUNKSIM_SCENARIO_NEVER: unknown */
} chunksim_flashtrace_op_t;

#define CHUNKSIM_FLASHTRACE_SOURCE_MAX 512

typedef struct chunksim_flashtrace {
    chunksim_flashtrace_op_t *ops; /* in issue order */
    size_t count;
    char source[CHUNKSIM_FLASHTRACE_SOURCE_MAX]; /* "runs.db:42" or the CSV path */
} chunksim_flashtrace_t;

/*
 * "DB:RUN" (a recording and a run id in it) or a path ending in ".csv".
 * Returns 0, -EINVAL (bad spec, bad row, run without flash operations) or
 * -errno (file not readable), with the reason in err. On error tr owns nothing.
 */
int chunksim_flashtrace_load(chunksim_flashtrace_t *tr, const char *spec, char *err, size_t errlen);

/* A CSV measured on a board; errors name path:line. */
int chunksim_flashtrace_load_csv(chunksim_flashtrace_t *tr, const char *path, char *err,
                                 size_t errlen);

/* The flash_ops rows of run run_id in the recording at db_path (opened read-only). */
int chunksim_flashtrace_load_run(chunksim_flashtrace_t *tr, const char *db_path, int64_t run_id,
                                 char *err, size_t errlen);

/*
 * Latencies and fault rules of tr into sc (see the top of this file), then
 * chunksim_scenario_validate(). On error sc may be partly changed: free it.
 */
int chunksim_flashtrace_apply(const chunksim_flashtrace_t *tr, chunksim_scenario_t *sc, char *err,
                              size_t errlen);

/* Releases what a load allocated; safe on a zeroed or freed trace. */
void chunksim_flashtrace_free(chunksim_flashtrace_t *tr);

/* "read", "program", "erase". */
const char *chunksim_flashtrace_kind_name(chunksim_flashtrace_kind_t kind);

#endif
