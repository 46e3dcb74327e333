/*
 * The chunksim command line: one file per subcommand, this header for what
 * they share. Exit codes: 0 all runs passed, 1 some run failed, 2 usage or
 * input error.
 */
#ifndef CHUNKSIM_CLI_H
#define CHUNKSIM_CLI_H

#include "chunksim/recorder.h"
#include "chunksim/run.h"
#include "chunksim/scenario.h"

#include <stdbool.h>
#include <stdio.h>

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILED = 1, CLI_EXIT_USAGE = 2 };

/*
 * Every subcommand, in the order 'chunksim --help' lists them: X(name,
 * summary) for cli_name in commands/cmd_name.c and its line in that list.
 */
#define CLI_COMMANDS(X)                                                                            \
    X(run, "run scenario files, print a summary, record into SQLite")                              \
    X(bench, "measure simulation and recording speed")                                             \
    X(matrix, "run scenario matrices in parallel workers; shards, JUnit")                          \
    X(merge, "merge recording databases (shards, machines) without duplicates")                    \
    X(sweep, "power-loss sweep with reboots: report the cut sequences that lose data")             \
    X(swarm, "per seed, random fault kinds and rates drawn from the seed (recorded)")              \
    X(shrink, "reduce a failing case to a smaller one that fails the same way")                    \
    X(report, "latency, throughput and outcomes of recorded runs; HTML page")                      \
    X(export, "a recorded run as a Perfetto (Chrome trace event) JSON file")                       \
    X(decode, "reassemble chunks from a run or a capture, check CRCs, locate damage")              \
    X(replay, "re-run a recorded run and compare its trace with the recording")                    \
    X(diff, "compare the runs of two recordings; flag regressions")

#define CLI_COMMAND_DECLARE(name, summary) int cli_##name(int argc, char **argv);
CLI_COMMANDS(CLI_COMMAND_DECLARE)
#undef CLI_COMMAND_DECLARE

/* Loads path, applies the overrides ("section.key=value") in order, validates.
 * On error sc owns nothing. */
int cli_load_scenario(chunksim_scenario_t *sc, const char *path, const char *const *sets,
                      size_t nsets, char *err, size_t errlen);
/* --latencies-from SPEC (DB:RUN or FILE.csv) into sc; NULL: nothing. On error sc is freed. */
int cli_apply_latencies(chunksim_scenario_t *sc, const char *spec, char *err, size_t errlen);

/* Opens the recording at path read-only for command cmd ("report"). On failure
 * says "chunksim CMD: PATH: WHY" on err and returns CLI_EXIT_USAGE; 0 when open.
 * (In options.c, which every command links, as the command tests do.) */
int cli_open_recording(chunksim_rec_t *rec, const char *cmd, const char *path, FILE *err);

void cli_summary_header(FILE *out);
void cli_summary_row(FILE *out, const chunksim_scenario_t *sc, const chunksim_run_result_t *res);

#endif
