/* chunksim: the command-line tool; CLI_COMMANDS (cli.h) lists every subcommand. */
#include "cli.h"
#include "options.h"

#include <stdio.h>
#include <string.h>

/* One row per subcommand of CLI_COMMANDS (cli.h). */
static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} main_commands[] = {
#define MAIN_COMMAND_ROW(name, summary) {#name, cli_##name, summary},
    CLI_COMMANDS(MAIN_COMMAND_ROW)
#undef MAIN_COMMAND_ROW
};
#define MAIN_COMMANDS (sizeof(main_commands) / sizeof(main_commands[0]))

static void main_usage(FILE *out)
{
    fprintf(out, "usage: chunksim COMMAND [ARGS]\n"
                 "\n"
                 "Runs firmware that streams a coredump out of slow external flash against a\n"
                 "simulated NOR flash and link, checks its contract and records every run.\n"
                 "\n"
                 "commands:\n");
    for (size_t i = 0; i < MAIN_COMMANDS; i++) {
        fprintf(out, "  %-10s %s\n", main_commands[i].name, main_commands[i].summary);
    }
    fprintf(out, "\n'chunksim COMMAND --help' (or 'chunksim help COMMAND') describes each. Exit\n"
                 "status: 0 success (every run passed), 1 a run failed or damage/regression was\n"
                 "found, 2 usage or input error.\n");
}

/* "chunksim help CMD" is "chunksim CMD --help", so the two never differ. */
static int main_help(const char *cmd)
{
    char help[] = "--help";
    for (size_t i = 0; i < MAIN_COMMANDS; i++) {
        if (strcmp(cmd, main_commands[i].name) == 0) {
            char *argv[] = {(char *)main_commands[i].name, help, NULL};
            return main_commands[i].fn(2, argv);
        }
    }
    return -1;
}

static int main_unknown(const char *cmd)
{
    const char *names[MAIN_COMMANDS];
    for (size_t i = 0; i < MAIN_COMMANDS; i++)
        names[i] = main_commands[i].name;
    const char *near = cli_options_nearest(cmd, names, MAIN_COMMANDS);
    if (near != NULL)
        fprintf(stderr, "chunksim: unknown command '%s'; did you mean %s? see 'chunksim --help'\n",
                cmd, near);
    else
        fprintf(stderr, "chunksim: unknown command '%s'; see 'chunksim --help'\n", cmd);
    return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        main_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 && argc > 2) {
        int rc = main_help(argv[2]);
        return rc < 0 ? main_unknown(argv[2]) : rc;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        main_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("chunksim %s\n", CHUNKSIM_VERSION);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < MAIN_COMMANDS; i++) {
        if (strcmp(cmd, main_commands[i].name) == 0) {
            return main_commands[i].fn(argc - 1, argv + 1);
        }
    }
    return main_unknown(cmd);
}
