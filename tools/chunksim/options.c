/* The one command-line parser: shared options declared once, each command's own in a table. */
#include "options.h"

#include "batch.h"
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int options_parse_jobs(const cli_value_t *v, void *field)
{
    const char *value = v->text;
    char *end;
    errno = 0;
    unsigned long n = strtoul(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || value[0] == '-' || n < 1 ||
        n > CLI_BATCH_JOBS_MAX) {
        fprintf(v->err, "%s: -j %s: expected a number of workers, 1 to %d\n", v->tool, value,
                CLI_BATCH_JOBS_MAX);
        return CLI_EXIT_USAGE;
    }
    *(unsigned *)field = (unsigned)n;
    return 0;
}

/* field: the whole cli_common_t (offset 0). */
static int options_parse_set(const cli_value_t *v, void *field)
{
    cli_common_t *c = field;
    if (c->set_count == CLI_SETS_MAX) {
        fprintf(v->err, "%s: at most %d --set options\n", v->tool, CLI_SETS_MAX);
        return CLI_EXIT_USAGE;
    }
    c->sets[c->set_count++] = v->text;
    return 0;
}

static int options_parse_stop(const cli_value_t *v, void *field)
{
    if (cli_options_parse_unsigned(v, field) != 0)
        return CLI_EXIT_USAGE;
    if (*(unsigned *)field == 0) {
        fprintf(v->err, "%s: --%s 0: expected a number of failures, 1 or more\n", v->tool,
                v->option);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int options_parse_db(const cli_value_t *v, void *field)
{
    cli_common_t *c = field;
    c->db_path = v->text;
    c->db_given = true;
    return 0;
}

int cli_options_refuse(const cli_value_t *v, const char *why_fmt, ...)
{
    fprintf(v->err, "%s: --%s %s: ", v->tool, v->option, v->text);
    va_list ap;
    va_start(ap, why_fmt);
    vfprintf(v->err, why_fmt, ap);
    va_end(ap);
    fputc('\n', v->err);
    return CLI_EXIT_USAGE;
}

int cli_options_parse_list(const cli_value_t *v, void *field)
{
    cli_list_t *l = field;
    if (l->count == CLI_LIST_MAX) {
        fprintf(v->err, "%s: at most %d --%s options\n", v->tool, CLI_LIST_MAX, v->option);
        return CLI_EXIT_USAGE;
    }
    l->items[l->count++] = v->text;
    return 0;
}

int cli_options_parse_unsigned(const cli_value_t *v, void *field)
{
    const char *value = v->text;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || value[0] == '-' || n > UINT32_MAX) {
        return cli_options_refuse(v, "expected a number, 0 to %" PRIu32, UINT32_MAX);
    }
    *(unsigned *)field = (unsigned)n;
    return 0;
}

int cli_options_parse_run_id(const cli_value_t *v, void *field)
{
    char *end;
    errno = 0;
    long long id = strtoll(v->text, &end, 10);
    if (errno != 0 || end == v->text || *end != '\0' || id <= 0) {
        return cli_options_refuse(v, "expected a run id (1, 2, ...)");
    }
    *(int64_t *)field = id;
    return 0;
}

const char *const cli_trace_names[CLI_TRACE_POLICIES] = {
    [CLI_TRACE_FAILURES] = "failures", [CLI_TRACE_ALL] = "all", [CLI_TRACE_NONE] = "none"};

static int options_parse_trace(const cli_value_t *v, void *field)
{
    for (int i = 0; i < CLI_TRACE_POLICIES; i++) {
        if (strcmp(v->text, cli_trace_names[i]) == 0) {
            *(cli_trace_t *)field = (cli_trace_t)i;
            return 0;
        }
    }
    return cli_options_refuse(v, "expected failures, all or none");
}

#define COMMON(field) offsetof(cli_common_t, field)

/* Shared options, in the order their help lines are printed; bit i is CLI_OPT_* 1u << i. */
static const cli_option_t options_shared[] = {
    {"db", 0, "FILE", "recording to read (default " CLI_DB_DEFAULT ")", 0, options_parse_db},
    {"db", 0, "FILE",
     "database to record into (created if missing; default\n" CLI_DB_DEFAULT
     "); --db '' records nothing",
     0, options_parse_db},
    {"set", 0, "KEY=VALUE",
     "override any key, e.g. --set link.att_mtu=247 (repeatable;\n"
     "applied after the file, in order)",
     0, options_parse_set},
    {"seed", 0, "N", "the run's seed, in place of the file's [run] seed", COMMON(seed), NULL},
    {"seeds", 0, "LIST",
     "the seeds, in place of any [matrix] seeds: A..B\n"
     "(inclusive), N, or a list such as 1..100,200",
     COMMON(seeds), NULL},
    {"jobs", 'j', "N", "worker processes, 1 to 256 (default: one per core)", COMMON(jobs),
     options_parse_jobs},
    {"shard", 0, "K/N",
     "run only shard K of N (1 <= K <= N): the cases whose index\n"
     "mod N is K-1; the N shards cover every case exactly once",
     COMMON(shard), NULL},
    {"quiet", 'q', NULL, "no progress on stderr", COMMON(quiet), NULL},
    {"json", 0, NULL, "print the results as one JSON document on stdout", COMMON(json), NULL},
    {"junit", 0, "FILE",
     "write JUnit XML: one testcase per case, named by file,\n"
     "cell and seed, failing as the exit status does",
     COMMON(junit), NULL},
    {"no-trace", 0, NULL,
     "record only the runs rows: no calls, flash ops, chunks, nor\n"
     "the coredump image (--trace none)",
     COMMON(no_trace), NULL},
    {"db", 0, "FILE", "the recording to read (no default)", 0, options_parse_db},
    {"max-failures", 0, "N",
     "list at most N failures, in case order, and count the rest\n"
     "(default 20; 0: all)",
     COMMON(max_failures), cli_options_parse_unsigned},
    {"stop-on-failure", 'F', "N",
     "start no case once N cases failed (those running finish);\n"
     "the summary says so",
     COMMON(stop_after), options_parse_stop},
    {"trace", 0, "POLICY",
     "which runs keep their calls, flash ops and chunks:\n"
     "failures (default: every run's runs row; a case that\n"
     "fails is run again from its seed with its full trace,\n"
     "which replaces the summary-only run), all, or none\n"
     "(runs rows only, and no coredump image per run)",
     COMMON(trace), options_parse_trace},
};
#define OPTIONS_SHARED (sizeof options_shared / sizeof options_shared[0])
_Static_assert(OPTIONS_SHARED == 15 && CLI_OPT_TRACE == 1u << 14,
               "one shared option per CLI_OPT_* bit, in bit order");

/* Where help texts start, as in the hand-written help of old. */
#define OPTIONS_HELP_COLUMN 21

static const cli_option_t options_help_option = {"help", 'h', NULL, "this text", 0, NULL};

/* Every option cmd takes, shared ones first, then its own, then --help: at most max. */
static size_t options_all(const cli_command_t *cmd, const cli_option_t **all, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < OPTIONS_SHARED && n < max; i++) {
        if (cmd->shared & (1u << i))
            all[n++] = &options_shared[i];
    }
    for (const cli_option_t *o = cmd->options; o != NULL && o->name != NULL && n < max; o++)
        all[n++] = o;
    if (n < max)
        all[n++] = &options_help_option;
    return n;
}

static bool options_is_shared(const cli_option_t *o)
{
    return o >= options_shared && o < options_shared + OPTIONS_SHARED;
}

static void options_help_line(const cli_option_t *o, FILE *out)
{
    char name[8] = "";
    if (o->short_name)
        snprintf(name, sizeof name, "-%c, ", o->short_name);
    char head[64];
    int n = snprintf(head, sizeof head, "  %s--%s%s%s", name, o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
    if (n >= OPTIONS_HELP_COLUMN - 1)
        fprintf(out, "%s\n%*s", head, OPTIONS_HELP_COLUMN, "");
    else
        fprintf(out, "%-*s", OPTIONS_HELP_COLUMN, head);
    const char *line = o->help;
    for (const char *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1)
        fprintf(out, "%.*s\n%*s", (int)(nl - line), line, OPTIONS_HELP_COLUMN, "");
    fprintf(out, "%s\n", line);
}

void cli_options_help(const cli_command_t *cmd, FILE *out)
{
    const cli_option_t *all[64];
    size_t n = options_all(cmd, all, 64);
    fprintf(out, "usage: chunksim %s %s\n\n", cmd->name, cmd->usage);
    if (cmd->about_fn != NULL)
        cmd->about_fn(out);
    else
        fputs(cmd->about, out);
    fprintf(out, "\noptions:\n");
    for (size_t i = 0; i < n; i++) {
        if (all[i]->help != NULL)
            options_help_line(all[i], out);
    }
    if (cmd->notes != NULL)
        fprintf(out, "\n%s", cmd->notes);
}

void cli_options_usage_error(const cli_command_t *cmd, FILE *err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bool question = n > 0 && (size_t)n < sizeof msg && msg[n - 1] == '?';
    fprintf(err, "chunksim %s: %s%s see 'chunksim %s --help'\n", cmd->name, msg,
            question ? "" : ";", cmd->name);
}

/* Levenshtein distance, capped: only "close enough" matters. */
static size_t options_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return SIZE_MAX;
    size_t row[41];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            best = up + 1 < best ? up + 1 : best;
            best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *cli_options_nearest(const char *word, const char *const *known, size_t count)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < count; i++) {
        size_t d = options_distance(word, known[i]);
        if (d == 0)
            continue; /* an exact match that was refused (ambiguous, say) helps nobody */
        if (strlen(word) >= 3 && strncmp(known[i], word, strlen(word)) == 0)
            d = 1;
        if (d < best_d) {
            best_d = d;
            best = known[i];
        }
    }
    return best;
}

/* Where one parse reads and writes. */
typedef struct options_io {
    const cli_command_t *cmd;
    FILE *out, *err;
} options_io_t;

/* One line for an option getopt refused (argv[optind - 1] or optopt), with the nearest. */
static void options_unknown(const options_io_t *io, const cli_option_t *const *all, size_t n,
                            const char *arg)
{
    if (arg == NULL || strncmp(arg, "--", 2) != 0) {
        cli_options_usage_error(io->cmd, io->err, "unknown option '-%c'", optopt ? optopt : '?');
        return;
    }
    char word[64];
    snprintf(word, sizeof word, "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
    const char *names[64];
    for (size_t i = 0; i < n; i++)
        names[i] = all[i]->name;
    const char *near = cli_options_nearest(word, names, n);
    if (near != NULL)
        cli_options_usage_error(io->cmd, io->err, "unknown option '--%s'; did you mean --%s?", word,
                                near);
    else
        cli_options_usage_error(io->cmd, io->err, "unknown option '--%s'", word);
}

/* Stores one parsed option; 0 or CLI_EXIT_USAGE (the message printed). */
static int options_store(const options_io_t *io, const cli_option_t *o, cli_common_t *common,
                         void *own, const char *value)
{
    char *base = options_is_shared(o) ? (char *)common : (char *)own;
    char tool[64];
    snprintf(tool, sizeof tool, "chunksim %s", io->cmd->name);
    const cli_value_t v = {tool, o->name, value, io->err};
    if (o->parse != NULL)
        return o->parse(&v, base + o->offset) != 0 ? CLI_EXIT_USAGE : 0;
    if (o->arg == NULL)
        *(bool *)(base + o->offset) = true;
    else
        *(const char **)(base + o->offset) = value;
    return 0;
}

/* getopt's tables for the options in all: long ones with val = index + 256, short ones. */
static void options_tables(const cli_option_t *const *all, size_t n, struct option *longopts,
                           char *shortopts)
{
    size_t s = 0;
    shortopts[s++] = ':'; /* a missing value is told from an unknown option */
    for (size_t i = 0; i < n; i++) {
        longopts[i] = (struct option){all[i]->name, all[i]->arg ? required_argument : no_argument,
                                      NULL, (int)i + 256};
        if (all[i]->short_name) {
            shortopts[s++] = all[i]->short_name;
            if (all[i]->arg)
                shortopts[s++] = ':';
        }
    }
    longopts[n] = (struct option){NULL, 0, NULL, 0};
    shortopts[s] = '\0';
}

/* The option getopt returned c for (a long option's index + 256, or a short name). */
static const cli_option_t *options_find(const cli_option_t *const *all, size_t n, int c)
{
    if (c >= 256 && (size_t)(c - 256) < n)
        return all[c - 256];
    for (size_t i = 0; i < n; i++) {
        if (all[i]->short_name == c)
            return all[i];
    }
    return NULL;
}

/* Marks o, one of the n in all, as given. */
static void options_given(const cli_option_t *const *all, size_t n, const cli_option_t *o,
                          bool *given)
{
    for (size_t i = 0; i < n; i++)
        given[i] |= all[i] == o;
}

/* The option cmd cannot do without, when it was not given (given: by options_all), or NULL. */
static const cli_option_t *options_missing(const cli_command_t *cmd, const bool *given)
{
    const cli_option_t *all[64];
    size_t n = options_all(cmd, all, 64);
    for (size_t i = 0; cmd->required != NULL && i < n; i++) {
        if (strcmp(all[i]->name, cmd->required) == 0 && !given[i])
            return all[i];
    }
    return NULL;
}

static int options_loop(const options_io_t *io, int argc, char **argv, cli_common_t *common,
                        void *own, bool *given)
{
    const cli_option_t *all[64];
    size_t n = options_all(io->cmd, all, 64);
    struct option longopts[65];
    char shortopts[2 * 64 + 2];
    options_tables(all, n, longopts, shortopts);
    optind = 0; /* 0, not 1: GNU getopt starts afresh, as a second parse in one process needs */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == ':') {
            cli_options_usage_error(io->cmd, io->err, "option '%s' needs a value",
                                    argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
        const cli_option_t *flag = c == '?' && optopt >= 256 ? options_find(all, n, optopt) : NULL;
        if (flag != NULL) { /* "--json=1": a flag given a value */
            cli_options_usage_error(io->cmd, io->err, "option '--%s' takes no value", flag->name);
            return CLI_EXIT_USAGE;
        }
        const cli_option_t *o = c == '?' ? NULL : options_find(all, n, c);
        if (o == NULL) {
            options_unknown(io, all, n, optopt ? NULL : argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
        if (o == &options_help_option) {
            cli_options_help(io->cmd, io->out);
            return -1;
        }
        int rc = options_store(io, o, common, own, optarg);
        if (rc != 0)
            return rc;
        options_given(all, n, o, given);
    }
    return 0;
}

int cli_options_parse_io(const cli_command_t *cmd, int argc, char **argv, cli_common_t *common,
                         void *own, int *first_arg, FILE *out, FILE *err)
{
    const options_io_t io = {cmd, out, err};
    *common = (cli_common_t){.db_path = CLI_DB_DEFAULT, .max_failures = CLI_MAX_FAILURES_DEFAULT};
    bool given[64] = {false};
    int rc = options_loop(&io, argc, argv, common, own, given);
    if (rc != 0)
        return rc;
    int count = argc - optind;
    const cli_operands_t *ops = &cmd->operands;
    if (count < ops->min) {
        cli_options_usage_error(cmd, err, "%s", ops->missing ? ops->missing : "too few arguments");
        return CLI_EXIT_USAGE;
    }
    if (ops->max >= 0 && count > ops->max) {
        cli_options_usage_error(cmd, err, "unexpected argument '%s'", argv[optind + ops->max]);
        return CLI_EXIT_USAGE;
    }
    const cli_option_t *missing = options_missing(cmd, given);
    if (missing != NULL) {
        cli_options_usage_error(cmd, err, "--%s %s is required", missing->name, missing->arg);
        return CLI_EXIT_USAGE;
    }
    *first_arg = optind;
    return 0;
}

int cli_options_parse(const cli_command_t *cmd, int argc, char **argv, cli_common_t *common,
                      void *own, int *first_arg)
{
    return cli_options_parse_io(cmd, argc, argv, common, own, first_arg, stdout, stderr);
}

/* cmd->run on call, with the recording open when the command reads one. */
static int options_run(const cli_command_t *cmd, cli_call_t *call, FILE *err)
{
    if (!(cmd->shared & CLI_OPT_DB))
        return cmd->run(call);
    chunksim_rec_t rec;
    int rc = cli_open_recording(&rec, cmd->name, call->common->db_path, err);
    if (rc != 0)
        return rc;
    call->db = chunksim_rec_db(&rec);
    rc = cmd->run(call);
    chunksim_rec_close(&rec);
    return rc;
}

int cli_command_main_io(const cli_command_t *cmd, int argc, char **argv, cli_common_t *common,
                        void *own, FILE *out, FILE *err)
{
    cli_common_t local;
    common = common != NULL ? common : &local;
    int first = argc; /* no operands when parsing fails */
    int rc = cli_options_parse_io(cmd, argc, argv, common, own, &first, out, err);
    cli_call_t call = {common, own, argv + first, argc - first, NULL};
    if (rc == 0 && cmd->check != NULL)
        rc = cmd->check(&call);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc; /* -1: --help was printed */
    return options_run(cmd, &call, err);
}

int cli_command_main(const cli_command_t *cmd, int argc, char **argv, cli_common_t *common,
                     void *own)
{
    return cli_command_main_io(cmd, argc, argv, common, own, stdout, stderr);
}

int cli_open_recording(chunksim_rec_t *rec, const char *cmd, const char *path, FILE *err)
{
    char why[CHUNKSIM_REC_ERRMSG_MAX];
    *rec = (chunksim_rec_t){0};
    if (chunksim_rec_open_readonly(rec, path, why, sizeof(why)) < 0) {
        fprintf(err, "chunksim %s: %s: %s\n", cmd, path, why);
        return CLI_EXIT_USAGE;
    }
    return 0;
}
