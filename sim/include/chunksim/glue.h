/*
 * User glue: loading a shared object that implements the SDK-style platform
 * functions (see chunksim/board.h for the glue's side of the contract), an
 * adapter reader that lets the engine drive it like a built-in reader, and
 * an isolated runner that gives every run its own child process.
 *
 *     chunksim_glue_t g;
 *     chunksim_glue_open(&g, "libmyglue.so", err, sizeof err);   // probed, never run here
 *     chunksim_glue_run(&g, &scenario, &opts, &res);             // one child per run
 *     chunksim_glue_close(&g);
 *
 * Isolation: the glue's code never runs in the calling process. Opening it
 * probes the object in a child process (does it load, does it export what
 * the contract requires); each run forks a child that loads the glue, runs
 * the scenario, records into the database itself and reports its result
 * over a pipe. A child that dies from a signal (a segfault, an abort from a
 * corrupted heap), that loops inside one glue call calling the board
 * ("glue livelocked: no progress: 10000 flash operations inside one call,
 * ..."), or that the wall-clock watchdog kills (a call that never returns),
 * leaves its run recorded as outcome 'error' with the reason: which signal,
 * and the glue function it was in ("glue crashed: SIGSEGV in
 * memfault_coredump_read(offset 963, 241 bytes), called by the packetizer in
 * get-chunk"). The simulated time watchdog ([run] max_sim_us) and the
 * monitor's no_progress work as for every run.
 *
 * The database: SQLite connections must not cross fork(), so the runner
 * closes the caller's recorder before forking and reopens it afterwards
 * (opts->db_path). Every run row it leaves holds the glue in runs.glue as
 * "<absolute path> sha256:<hex of the object>", and whose packetizer ran in
 * runs.packetizer (chunksim's, or a firmware object's own: chunksim/firmware.h).
 *
 * Loading is lazy (RTLD_LAZY): a function the object references but never
 * defines stops nothing until it is called; the run that calls it ends as
 * an error naming it (the child's stderr, where the dynamic linker names
 * it, is passed on to this process's after the run).
 */
#ifndef CHUNKSIM_GLUE_H
#define CHUNKSIM_GLUE_H

#include "chunksim/reader.h"
#include "chunksim/recorder.h"
#include "chunksim/run.h"
#include "chunksim/scenario.h"
#include "chunksim/sha256.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define CHUNKSIM_GLUE_LABEL_BYTES (PATH_MAX + 80)

/* Default wall-clock limit of one glue run, in seconds. */
#define CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT 30.0

typedef struct chunksim_glue_fns chunksim_glue_fns_t;

typedef struct chunksim_glue {
    char path[PATH_MAX]; /* absolute */
    char sha256[CHUNKSIM_SHA256_HEX_BYTES];
    char label[CHUNKSIM_GLUE_LABEL_BYTES]; /* "<path> sha256:<hex>", as recorded */
    bool async;                            /* it exports prepare_async */
    /* A firmware object (chunksim/firmware.h): it exports its own packetizer,
     * which then runs in place of chunksim's. */
    bool firmware;
    char packetizer[64]; /* as recorded in runs.packetizer: "chunksim", "firmware, SDK 1.43.0" */
    /* Private: set by chunksim_glue_load() in the process that runs it. */
    void *dl_;
    chunksim_glue_fns_t *fns_;
} chunksim_glue_t;

typedef struct chunksim_glue_run_options {
    chunksim_rec_t *rec;         /* open recorder, or NULL: not recorded */
    const char *db_path;         /* the database rec was opened on (reopened around each run) */
    bool record_rows;            /* calls, flash ops, chunks (false: runs row only) */
    FILE *log;                   /* diagnostics; NULL: quiet */
    double timeout_s;            /* wall-clock limit of one run; <= 0: none */
    volatile sig_atomic_t *stop; /* as chunksim_run_options_t.stop; forwarded to the child */
} chunksim_glue_run_options_t;

/*
 * Resolve path, hash the object and probe it in a child process. Negative on
 * failure with the reason in err: no such file, not a loadable shared object
 * (dlerror's text), a required function missing, or the probe crashed.
 */
int chunksim_glue_open(chunksim_glue_t *g, const char *path, char *err, size_t errlen);

/* Unload it if this process loaded it. */
void chunksim_glue_close(chunksim_glue_t *g);

/*
 * One run of sc with the glue as the reader, in a child process; res is
 * always filled. Returns what chunksim_run() returned in the child (0, or a
 * negative setup error such as a glue whose init refused), 0 for a child
 * that crashed or hung (res->outcome is CHUNKSIM_OUTCOME_ERROR, with the
 * reason), or a negative error when the runner itself could not work (no
 * fork; the database could not be reopened: opts->rec is then left closed).
 */
int chunksim_glue_run(chunksim_glue_t *g, const chunksim_scenario_t *sc,
                      const chunksim_glue_run_options_t *opts, chunksim_run_result_t *res);

/*
 * In-process use, without isolation (a debugger, a sanitizer build): load
 * the glue into this process, make it the one chunksim_glue_reader_create()
 * wires up, and pass that function as chunksim_run_options_t.reader_create.
 * The SDK-style functions are global, so one glue at a time per process.
 */
int chunksim_glue_load(chunksim_glue_t *g, char *err, size_t errlen);
void chunksim_glue_use(chunksim_glue_t *g);
int chunksim_glue_reader_create(chunksim_reader_t *out, const chunksim_board_t *board,
                                const chunksim_reader_config_t *cfg);

/*
 * A firmware object's own packetizer, driven by the engine in place of
 * chunksim's (chunksim_run_options_t.packetizer_create) for the glue
 * chunksim_glue_use() selected: its coredump reads, seen through the shim,
 * go to the monitor. It refuses a scenario the SDK's packetizer cannot play:
 * [reader] clear_policy = on_confirm (the SDK clears on the last read),
 * coredump.project_key (the firmware's configuration decides it) and
 * coredump.rle when the firmware does not encode. Whether it encodes is the
 * firmware's configuration (MEMFAULT_DATA_SOURCE_RLE_ENABLED, on by default
 * in the SDK): with it on, the run is judged as an RLE run, the clear after
 * the last chunk taken for the end of the encoded message.
 */
int chunksim_glue_packetizer_create(chunksim_packetizer_t *out,
                                    const chunksim_source_observer_t *obs,
                                    const chunksim_scenario_t *sc, char *why, size_t whylen);

/*
 * What the adapter noticed about the glue during the last in-process run, ""
 * if nothing: the first board call the board refused, or a prepare that said
 * "wait" with no flash operation in flight (nothing will ever complete).
 */
const char *chunksim_glue_note(void);

#endif
