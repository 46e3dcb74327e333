/* chunksim matrix: scenario files with lists, expanded and run in parallel, one database. */
#include "baseline.h"
#include "junit.h"
#include "batch.h"
#include "campaign.h"
#include "cli.h"
#include "options.h"
#include "select.h"

#include "chunksim/matrix.h"
#include "chunksim/error.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Cases one invocation runs; a bigger matrix is split with --shard. */
#define MATRIX_MAX_CASES (64u * 1024 * 1024)

typedef struct {
    cli_common_t common;
    cli_list_t ids;
    cli_list_t where;
    const char *regex;
    const char *rerun_failed;
    const char *baseline;
    const char *write_baseline;
    bool list;
} matrix_args_t;

#define OWN(field) offsetof(matrix_args_t, field)

static const cli_option_t matrix_options[] = {
    {"case", 0, "ID",
     "run only the case with this id or name (repeatable); the\n"
     "same files, --seeds and --set must be given as when it\n"
     "was listed. A name is decoded, so it answers at once on a\n"
     "matrix of any size; an id is searched for (at most 2^26\n"
     "cases)",
     OWN(ids), cli_options_parse_list},
    {"regex", 'R', "REGEX",
     "run only the cases whose name matches REGEX (POSIX\n"
     "extended), e.g. -R 'att_mtu=23[],]'",
     OWN(regex), NULL},
    {"where", 0, "KEY=VALUE",
     "run only the cases with this [matrix] value (repeatable:\n"
     "all must hold); KEY is section.key, key, or seed",
     OWN(where), cli_options_parse_list},
    {"rerun-failed", 0, "DB",
     "run only the cases whose latest run in DB did not end as\n"
     "expected (found by case id; a run without one by its\n"
     "scenario text and seed)",
     OWN(rerun_failed), NULL},
    {"list", 0, NULL,
     "print the selected cases, one per line (index, id, name,\n"
     "repro line; tab-separated), run nothing",
     OWN(list), NULL},
    {"baseline", 0, "FILE",
     "compare every case's outcome with FILE (case_id, scenario,\n"
     "seed, outcome; tab-separated) and print each change with\n"
     "its repro line; the exit status then follows the baseline,\n"
     "not the scenarios' expect",
     OWN(baseline), NULL},
    {"write-baseline", 0, "FILE", "write the outcomes as a baseline (after any compare)",
     OWN(write_baseline), NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static cli_command_fn matrix_check, matrix_main;

static const cli_command_t matrix_command = {
    .name = "matrix",
    .usage = "SCENARIO... [options]",
    .about = "Expands each scenario file's [matrix] lists into the cross product of their\n"
             "values and seeds (scenarios/README.md, \"Matrices\"; a file without [matrix] is\n"
             "one case), runs the cases in parallel worker processes and records every run\n"
             "into one SQLite database. Progress on stderr; on stdout a summary, and for\n"
             "each failing case its id and the command that reproduces it alone (-q: on\n"
             "one line), then the counts. --set overrides apply to every case before the\n"
             "lists and are part of every case id and repro line.\n"
             "\n"
             "A case's name says what it is: the file's base name, its [matrix] values\n"
             "and its seed, e.g. 'cli[link.att_mtu=23,flash.read_latency=model] seed 2'.\n"
             "-R, --where and --rerun-failed select among the cases (of the shard); a case\n"
             "runs when every one given selects it.\n",
    .shared = CLI_OPT_BATCH | CLI_OPT_SEEDS | CLI_OPT_SHARD,
    .options = matrix_options,
    .notes = "Ctrl-C (SIGINT) or SIGTERM ends each worker's current run early (recorded as\n"
             "incomplete) and starts no other; finished runs stay in the database. Workers\n"
             "record into a scratch directory next to the database (.FILE.scratch-XXXXXX);\n"
             "if this process is killed, the next matrix, sweep or swarm on the same\n"
             "database merges the runs left there first and says how many. To run one\n"
             "matrix on several machines, give each job its --shard K/N and combine the\n"
             "databases with 'chunksim merge'.\n"
             "\n"
             "Exit status: 0 every case passed (with --baseline: no outcome changed), 1 some\n"
             "failed (changed) or the batch was interrupted, 2 usage or input error.\n",
    .operands = CLI_OPERANDS_SCENARIOS,
    .check = matrix_check,
    .run = matrix_main,
};

static int matrix_build(const matrix_args_t *a, char **files, int nfiles, chunksim_matrix_t *m)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    const chunksim_matrix_config_t cfg = {
        .seeds = a->common.seeds, .sets = a->common.sets, .set_count = a->common.set_count};
    if (chunksim_matrix_init(m, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "chunksim matrix: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    for (int i = 0; i < nfiles; i++) {
        if (chunksim_matrix_add_file(m, files[i], err, sizeof err) < 0) {
            fprintf(stderr, "chunksim matrix: %s\n", err);
            chunksim_matrix_free(m);
            return CLI_EXIT_USAGE;
        }
    }
    return 0;
}

/* The cases named by --case, in the order given. */
static int matrix_select_ids(const matrix_args_t *a, const chunksim_matrix_t *m, uint64_t *cases)
{
    for (size_t i = 0; i < a->ids.count; i++) {
        chunksim_matrix_case_t c;
        int rc = chunksim_matrix_find(m, a->ids.items[i], &c);
        if (rc == -E2BIG) {
            fprintf(
                stderr,
                "chunksim matrix: --case %s: an id is searched for, and this matrix has %" PRIu64
                " cases; give the case's name (--list prints it)\n",
                a->ids.items[i], chunksim_matrix_count(m));
            return CLI_EXIT_USAGE;
        }
        if (rc < 0) {
            fprintf(stderr,
                    "chunksim matrix: --case %s: no such case in this matrix (%" PRIu64
                    " cases; give the same files, --seeds and --set as when it was listed)\n",
                    a->ids.items[i], chunksim_matrix_count(m));
            return CLI_EXIT_USAGE;
        }
        cases[i] = c.index;
    }
    return 0;
}

/* The shard's cases that the filters select, in matrix order. */
static int matrix_select_filtered(const matrix_args_t *a, const chunksim_matrix_t *m, uint32_t k,
                                  uint32_t n, uint64_t *cases, size_t *count)
{
    const cli_select_config_t scfg = {
        .regex = a->regex, .where = &a->where, .rerun_failed = a->rerun_failed};
    cli_select_t sel;
    char err[1024];
    if (cli_select_init(&sel, m, &scfg, err, sizeof err) < 0) {
        fprintf(stderr, "chunksim matrix: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    bool filtered = cli_select_filters(&scfg);
    int rc = 0;
    for (uint64_t i = k - 1; rc >= 0 && i < chunksim_matrix_count(m); i += n) {
        chunksim_matrix_case_t c;
        rc = 1; /* without filters, every case of the shard */
        if (filtered && chunksim_matrix_case(m, i, &c) == 0)
            rc = cli_select_case(&sel, &c, err, sizeof err);
        if (rc < 0)
            fprintf(stderr, "chunksim matrix: %s\n", err);
        else if (rc > 0)
            cases[(*count)++] = i;
    }
    cli_select_free(&sel);
    return rc < 0 ? CLI_EXIT_USAGE : 0;
}

/* The cases to run: by id, or the shard's that the filters select; in matrix order. */
static int matrix_select(const matrix_args_t *a, const chunksim_matrix_t *m, uint64_t **out,
                         size_t *count)
{
    uint32_t k = 1, n = 1;
    char err[256];
    if (a->common.shard != NULL &&
        chunksim_matrix_shard_parse(a->common.shard, &k, &n, err, sizeof err) < 0) {
        fprintf(stderr, "chunksim matrix: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    uint64_t total = chunksim_matrix_count(m);
    uint64_t want = a->ids.count > 0 ? (uint64_t)a->ids.count : (total + n - k) / n;
    if (want > MATRIX_MAX_CASES) {
        fprintf(stderr,
                "chunksim matrix: %" PRIu64 " cases in one run; at most %u (split it with "
                "--shard K/N, or name cases with --case)\n",
                want, MATRIX_MAX_CASES);
        return CLI_EXIT_USAGE;
    }
    uint64_t *cases = malloc((want ? want : 1) * sizeof *cases);
    if (cases == NULL)
        return CLI_EXIT_USAGE;
    *count = a->ids.count;
    int rc = a->ids.count > 0 ? matrix_select_ids(a, m, cases)
                              : matrix_select_filtered(a, m, k, n, cases, count);
    if (rc != 0) {
        free(cases);
        return rc;
    }
    *out = cases;
    return 0;
}

static void matrix_list(const chunksim_matrix_t *m, const uint64_t *cases, size_t count)
{
    char repro[4096], name[4096];
    for (size_t i = 0; i < count; i++) {
        chunksim_matrix_case_t c;
        if (chunksim_matrix_case(m, cases[i], &c) < 0)
            continue;
        chunksim_matrix_case_repro(&c, repro, sizeof repro);
        chunksim_matrix_case_name(m, &c, name, sizeof name);
        printf("%" PRIu64 "\t%s\t%s\t%s\n", c.index, c.id, name, repro);
    }
}

/* Every case of the files runs: a baseline case that did not run is gone, not unselected. */
static bool matrix_runs_whole(const matrix_args_t *a)
{
    return a->common.shard == NULL && a->ids.count == 0 && a->regex == NULL &&
           a->where.count == 0 && a->rerun_failed == NULL;
}

/*
 * The exit status when baselines are involved: with --baseline a change (or a
 * case not run) fails, not a case that fails its scenario's expect;
 * --write-baseline needs every case to have run.
 */
static int matrix_baselines(const matrix_args_t *a, const cli_batch_t *b, cli_baseline_t *bl)
{
    int exit_code = CLI_EXIT_OK;
    if (a->baseline != NULL) {
        size_t changes = cli_baseline_compare(b, bl, matrix_runs_whole(a), stdout);
        printf("baseline %s: %zu change(s)%s\n", a->baseline, changes,
               b->not_run > 0 ? " among the cases that ran" : "");
        if (changes > 0 || b->interrupted || b->not_run > 0)
            exit_code = CLI_EXIT_FAILED;
    }
    if (a->write_baseline != NULL) {
        if (b->interrupted || b->not_run > 0) {
            fprintf(stderr,
                    "chunksim matrix: --write-baseline %s: not written, %zu case(s) did "
                    "not run\n",
                    a->write_baseline, b->not_run);
            return CLI_EXIT_FAILED;
        }
        int rc = cli_baseline_write(b, a->write_baseline);
        if (rc < 0) {
            fprintf(stderr, "chunksim matrix: --write-baseline %s: %s\n", a->write_baseline,
                    chunksim_strerror(rc));
            return CLI_EXIT_FAILED;
        }
        printf("baseline written to %s (%zu cases)\n", a->write_baseline, b->cfg->case_count);
    }
    return exit_code;
}

/* --write-baseline alone records outcomes and judges none (its exit status fails no case). */
static bool matrix_judge_none(const cli_batch_t *b, size_t i, void *ctx, char *why, size_t whylen)
{
    (void)b, (void)i, (void)ctx, (void)why, (void)whylen;
    return false;
}

static int matrix_execute(const matrix_args_t *a, const chunksim_matrix_t *m, const uint64_t *cases,
                          size_t count)
{
    cli_baseline_t bl = {0};
    char err[1024];
    if (a->baseline != NULL && cli_baseline_load(a->baseline, &bl, err, sizeof err) < 0) {
        fprintf(stderr, "chunksim matrix: --baseline %s\n", err);
        return CLI_EXIT_USAGE;
    }
    cli_batch_config_t cfg = cli_batch_config_of(&a->common, "chunksim matrix");
    cfg.matrix = m;
    cfg.cases = cases;
    cfg.case_count = count;
    cfg.hide_failures = a->baseline != NULL || a->write_baseline != NULL;
    cli_batch_t b;
    int rc = cli_batch_run(&cfg, &b);
    if (rc < 0 && b.done == 0) {
        cli_batch_free(&b);
        cli_baseline_free(&bl);
        return CLI_EXIT_USAGE;
    }
    if (a->common.json)
        cli_batch_json(&b, NULL, stdout);
    else
        cli_batch_summary(&b, stdout);
    int exit_code = (rc < 0 || b.failed > 0 || b.interrupted) ? CLI_EXIT_FAILED : CLI_EXIT_OK;
    if (a->baseline != NULL || a->write_baseline != NULL) {
        exit_code = matrix_baselines(a, &b, &bl);
        if (rc < 0)
            exit_code = CLI_EXIT_FAILED;
    }
    if (a->common.junit != NULL) {
        /* Judged like the exit status: by the baseline when there is one. */
        bool whole = matrix_runs_whole(a);
        const cli_junit_config_t jc = {
            .batch = &b,
            .judge = a->baseline != NULL         ? cli_baseline_judge
                     : a->write_baseline != NULL ? matrix_judge_none
                                                 : cli_junit_judge_expect,
            .ctx = &bl,
            .gone = a->baseline != NULL && whole ? &bl : NULL,
        };
        int jrc = cli_junit_write(&jc, a->common.junit);
        if (jrc < 0) {
            fprintf(stderr, "chunksim matrix: --junit %s: %s\n", a->common.junit,
                    chunksim_strerror(jrc));
            exit_code = CLI_EXIT_FAILED;
        }
    }
    cli_batch_free(&b);
    cli_baseline_free(&bl);
    return exit_code;
}

/* Options that contradict each other. */
static int matrix_check(const cli_call_t *call)
{
    const matrix_args_t *a = call->own;
    bool filters = a->regex != NULL || a->where.count > 0 || a->rerun_failed != NULL;
    const char *why = a->ids.count > 0 && filters ? "--case names the cases: no -R, --where or "
                                                    "--rerun-failed with it"
                      : a->common.json && (a->baseline || a->write_baseline)
                          ? "--json and --baseline/--write-baseline: give one"
                          : NULL;
    if (why != NULL) {
        cli_options_usage_error(&matrix_command, stderr, "%s", why);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int matrix_main(const cli_call_t *call)
{
    const matrix_args_t *a = call->own;
    chunksim_matrix_t m;
    int rc = matrix_build(a, call->ops, call->nops, &m);
    if (rc != 0)
        return rc;
    uint64_t *cases = NULL;
    size_t count = 0;
    rc = matrix_select(a, &m, &cases, &count);
    if (rc == 0 && a->list)
        matrix_list(&m, cases, count);
    else if (rc == 0)
        rc = matrix_execute(a, &m, cases, count);
    free(cases);
    chunksim_matrix_free(&m);
    return rc;
}

int cli_matrix(int argc, char **argv)
{
    matrix_args_t a = {0};
    return cli_command_main(&matrix_command, argc, argv, &a.common, &a);
}
