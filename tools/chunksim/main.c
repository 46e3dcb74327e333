/* chunksim: run, bench. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#ifndef CHUNKSIM_VERSION
#define CHUNKSIM_VERSION "0.0.0"
#endif

static void main_usage(FILE *out)
{
    fprintf(out, "usage: chunksim COMMAND [ARGS]\n"
                 "\n"
                 "Runs firmware that streams a coredump out of slow external flash against a\n"
                 "simulated NOR flash and link, checks its contract and records every run.\n"
                 "\n"
                 "commands:\n"
                 "  run SCENARIO...   run scenario files, print a summary, record into SQLite\n"
                 "  bench             measure simulation and recording speed\n"
                 "\n"
                 "'chunksim COMMAND --help' describes each. Exit status: 0 every run passed,\n"
                 "1 some run failed, 2 usage or input error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        main_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        main_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("chunksim %s\n", CHUNKSIM_VERSION);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "run") == 0) {
        return cli_run(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "bench") == 0) {
        return cli_bench(argc - 1, argv + 1);
    }
    fprintf(stderr, "chunksim: unknown command '%s'\n", cmd);
    main_usage(stderr);
    return CLI_EXIT_USAGE;
}
