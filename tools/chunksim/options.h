/*
 * Options: the one command-line parser of chunksim. The options several
 * commands take (--db, --set, --seed, --seeds, -j, --shard, -q, --json,
 * --junit, --no-trace) are declared here once, with their parsing, default
 * and help line; a command picks the ones it takes with CLI_OPT_* bits and
 * declares only its own in a table:
 *
 *     static const cli_option_t own[] = {
 *         {"list", 0, NULL, "print the cases, run nothing", offsetof(args_t, list), NULL},
 *         {NULL},
 *     };
 *     static const cli_command_t cmd = {
 *         .name = "matrix", .usage = "SCENARIO... [options]", .about = "...",
 *         .shared = CLI_OPT_DB_RECORD | CLI_OPT_SET | CLI_OPT_JOBS, .options = own,
 *         .operands = CLI_OPERANDS_SCENARIOS,
 *         .check = matrix_check, .run = matrix_main};
 *     matrix_args_t a = {0};   // the defaults
 *     return cli_command_main(&cmd, argc, argv, &a.common, &a);
 *
 * The help text is generated from the command's description and both tables,
 * so `chunksim help CMD` and `chunksim CMD --help` print the same. A usage
 * error is one line naming the command, plus a hint where to look: an unknown
 * option names the nearest known one ("did you mean --seed?").
 */
#ifndef CHUNKSIM_CLI_OPTIONS_H
#define CHUNKSIM_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* --set overrides one command line may give; matrix cases keep room for their axes. */
#define CLI_SETS_MAX 56

/* Default of --db. */
#define CLI_DB_DEFAULT "chunksim.db"

/* The shared options a command takes. */
enum {
    CLI_OPT_DB = 1u << 0,            /* --db FILE: a recording to read */
    CLI_OPT_DB_RECORD = 1u << 1,     /* --db FILE: the database to record into ('' none) */
    CLI_OPT_SET = 1u << 2,           /* --set KEY=VALUE, repeatable */
    CLI_OPT_SEED = 1u << 3,          /* --seed N */
    CLI_OPT_SEEDS = 1u << 4,         /* --seeds LIST */
    CLI_OPT_JOBS = 1u << 5,          /* -j, --jobs N */
    CLI_OPT_SHARD = 1u << 6,         /* --shard K/N */
    CLI_OPT_QUIET = 1u << 7,         /* -q, --quiet */
    CLI_OPT_JSON = 1u << 8,          /* --json */
    CLI_OPT_JUNIT = 1u << 9,         /* --junit FILE */
    CLI_OPT_NO_TRACE = 1u << 10,     /* --no-trace */
    CLI_OPT_DB_SOURCE = 1u << 11,    /* --db FILE: a recording to read, no default (db_given) */
    CLI_OPT_MAX_FAILURES = 1u << 12, /* --max-failures N */
    CLI_OPT_STOP = 1u << 13,         /* -F, --stop-on-failure N */
    CLI_OPT_TRACE = 1u << 14,        /* --trace POLICY (failures, all, none) */
};

/* What every command that runs its cases as one batch in parallel workers
 * (matrix, sweep, swarm) takes: the workers, the recording and its trace, the
 * reports, and when to stop. */
#define CLI_OPT_BATCH                                                                              \
    (CLI_OPT_SET | CLI_OPT_JOBS | CLI_OPT_DB_RECORD | CLI_OPT_NO_TRACE | CLI_OPT_TRACE |           \
     CLI_OPT_JUNIT | CLI_OPT_QUIET | CLI_OPT_JSON | CLI_OPT_MAX_FAILURES | CLI_OPT_STOP)

/* Trace policy (--trace POLICY): which runs of a batch keep their trace rows. */
typedef enum cli_trace {
    /* Every run's runs row; a case that does not pass is run again from
     * its seed with the full trace, which replaces its summary-only run. */
    CLI_TRACE_FAILURES,
    CLI_TRACE_ALL,  /* every run with its full trace */
    CLI_TRACE_NONE, /* runs rows only, and no coredump image per run */
    CLI_TRACE_POLICIES
} cli_trace_t;

/* The policies' names on the command line, by cli_trace_t. */
extern const char *const cli_trace_names[CLI_TRACE_POLICIES];

/* The values of the shared options, after parsing (defaults where not given). */
typedef struct cli_common {
    const char *db_path; /* CLI_DB_DEFAULT; "" records nothing */
    bool db_given;       /* --db was on the command line */
    const char *sets[CLI_SETS_MAX];
    size_t set_count;
    const char *seed;      /* NULL: not given */
    const char *seeds;     /* NULL: not given */
    unsigned jobs;         /* 0: one per available core */
    const char *shard;     /* NULL: every case */
    const char *junit;     /* NULL: none */
    unsigned max_failures; /* failures listed; CLI_MAX_FAILURES_DEFAULT; 0: all */
    unsigned stop_after;   /* -F N; 0: never stop */
    bool quiet;
    bool json;
    bool no_trace;
    cli_trace_t trace; /* --trace POLICY; CLI_TRACE_FAILURES when not given */
} cli_common_t;

/* Failures a campaign lists unless --max-failures says otherwise. */
#define CLI_MAX_FAILURES_DEFAULT 20

/* A value being parsed: what a parser needs to say what is wrong with it. */
typedef struct cli_value {
    const char *tool;   /* "chunksim matrix" */
    const char *option; /* long name, "jobs" */
    const char *text;   /* the value as given */
    FILE *err;          /* where the message goes */
} cli_value_t;

/*
 * One option of a command. A flag (arg NULL) sets the bool at offset in the
 * command's arguments; an option with a value stores the value (a const char
 * *) at offset, or, when parse is set, hands it to parse with the field's
 * address (offset 0: the whole arguments), which prints its own message on
 * v->err ("chunksim NAME: --OPTION VALUE: ...") and returns non-zero when the
 * value is bad. help may hold several lines separated by '\n'; NULL leaves
 * the option out of the list (the command's about describes it).
 */
typedef struct cli_option {
    const char *name; /* long name, without "--"; NULL ends a table */
    char short_name;  /* 'j' for -j; 0: none */
    const char *arg;  /* what the value is called in the help ("FILE"); NULL: a flag */
    const char *help;
    size_t offset;
    int (*parse)(const cli_value_t *v, void *field);
} cli_option_t;

struct sqlite3;

/* A parsed command line: what a command's steps work from. */
typedef struct cli_call {
    cli_common_t *common;
    void *own;  /* the command's own arguments */
    char **ops; /* the operands (positional arguments) */
    int nops;
    struct sqlite3 *db; /* CLI_OPT_DB: the recording, read-only, for run; else NULL */
} cli_call_t;

/* A step of a command once its options are parsed: an exit status (0: go on). */
typedef int cli_command_fn(const cli_call_t *call);

/* The operands (positional arguments) a command takes. */
typedef struct cli_operands {
    int min;
    int max;             /* -1: no limit */
    const char *missing; /* the message when fewer than min are given */
} cli_operands_t;

/* The operands of the commands that run scenarios: one file, or any number. */
#define CLI_OPERAND_SCENARIO                                                                       \
    {                                                                                              \
        1, 1, "no scenario file given"                                                             \
    }
#define CLI_OPERANDS_SCENARIOS                                                                     \
    {                                                                                              \
        1, -1, "no scenario file given"                                                            \
    }

typedef struct cli_command {
    const char *name;            /* "matrix" */
    const char *usage;           /* what follows "usage: chunksim NAME " */
    const char *about;           /* paragraphs before the options */
    void (*about_fn)(FILE *out); /* instead of about, when the text comes from a table */
    unsigned shared;             /* CLI_OPT_* */
    const char *required;        /* an option it cannot do without ("--NAME ARG is required") */
    const cli_option_t *options;
    const char *notes;       /* paragraphs after the options (exit status and the like) */
    cli_operands_t operands; /* {0}: none */
    /* What the option table cannot say (options that exclude each other or
     * need another) and taking the operands into own; NULL: nothing. */
    cli_command_fn *check;
    cli_command_fn *run; /* the command itself */
} cli_command_t;

/*
 * A command from argv to its exit status: parses into common and own (which
 * hold their defaults), then cmd->check, then cmd->run; a command that takes
 * CLI_OPT_DB gets the recording opened for run and closed after it, so it
 * never reads one that is not there. --help: CLI_EXIT_OK; a usage error or
 * an unreadable recording: CLI_EXIT_USAGE. common NULL: the shared options
 * live only as long as the command runs.
 */
int cli_command_main(const cli_command_t *cmd, int argc, char **argv, cli_common_t *common,
                     void *own);

/* As cli_command_main, with help printed on out and errors on err. */
int cli_command_main_io(const cli_command_t *cmd, int argc, char **argv, cli_common_t *common,
                        void *own, FILE *out, FILE *err);

/*
 * Parses argv (argv[0] is the command's name) into common and own. Returns 0
 * with *first_arg the index of the first positional argument, -1 when --help
 * was printed on stdout, or CLI_EXIT_USAGE after one line (and a hint) on
 * stderr.
 */
int cli_options_parse(const cli_command_t *cmd, int argc, char **argv, cli_common_t *common,
                      void *own, int *first_arg);

/* As cli_options_parse, with help printed on out and errors on err. */
int cli_options_parse_io(const cli_command_t *cmd, int argc, char **argv, cli_common_t *common,
                         void *own, int *first_arg, FILE *out, FILE *err);

/* The command's help text. */
void cli_options_help(const cli_command_t *cmd, FILE *out);

/* A usage error on err: "chunksim NAME: MESSAGE" and the hint to see --help, one line. */
void cli_options_usage_error(const cli_command_t *cmd, FILE *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The known word nearest to word (at most 2 edits away, or a prefix), NULL if none. */
const char *cli_options_nearest(const char *word, const char *const *known, size_t count);

/* Values of a repeatable option, in the order given. */
#define CLI_LIST_MAX 256
typedef struct cli_list {
    const char *items[CLI_LIST_MAX];
    size_t count;
} cli_list_t;

/* For a parser refusing v: "TOOL: --OPTION VALUE: WHY" on v->err; returns CLI_EXIT_USAGE. */
int cli_options_refuse(const cli_value_t *v, const char *why_fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* For cli_option_t.parse: appends the value to the cli_list_t at field. */
int cli_options_parse_list(const cli_value_t *v, void *field);

/* For cli_option_t.parse: a number 0 .. UINT32_MAX into the unsigned at field. */
int cli_options_parse_unsigned(const cli_value_t *v, void *field);

/* For cli_option_t.parse: a run id (runs.run_id: 1, 2, ...) into the int64_t at field. */
int cli_options_parse_run_id(const cli_value_t *v, void *field);

#endif
