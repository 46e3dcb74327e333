/*
 * The chunksim command line: one file per subcommand, this header for what
 * they share. Exit codes: 0 all runs passed, 1 some run failed, 2 usage or
 * input error.
 */
#ifndef CHUNKSIM_CLI_H
#define CHUNKSIM_CLI_H

#include "chunksim/run.h"
#include "chunksim/scenario.h"

#include <stdbool.h>
#include <stdio.h>

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILED = 1, CLI_EXIT_USAGE = 2 };

int cli_run(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_matrix(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_decode(int argc, char **argv);
int cli_replay(int argc, char **argv);
int cli_diff(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_swarm(int argc, char **argv);
int cli_shrink(int argc, char **argv);

/* Loads path, applies the overrides ("section.key=value") in order, validates.
 * On error sc owns nothing. */
int cli_load_scenario(chunksim_scenario_t *sc, const char *path, const char *const *sets,
                      size_t nsets, char *err, size_t errlen);
/* --latencies-from SPEC (DB:RUN or FILE.csv) into sc; NULL: nothing. On error sc is freed. */
int cli_apply_latencies(chunksim_scenario_t *sc, const char *spec, char *err, size_t errlen);

void cli_summary_header(FILE *out);
void cli_summary_row(FILE *out, const chunksim_scenario_t *sc, const chunksim_run_result_t *res);

#endif
