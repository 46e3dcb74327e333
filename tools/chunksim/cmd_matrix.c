/* chunksim matrix: scenario files with lists, expanded and run in parallel, one database. */
#include "baseline.h"
#include "junit.h"
#include "batch.h"
#include "campaign.h"
#include "cli.h"

#include "chunksim/matrix.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define MATRIX_MAX_SETS (CHUNKSIM_MATRIX_SETS_MAX - 1)
#define MATRIX_MAX_IDS  256
/* Cases one invocation runs; a bigger matrix is split with --shard. */
#define MATRIX_MAX_CASES (64u * 1024 * 1024)

typedef struct {
    const char *db_path;
    const char *seeds;
    const char *junit;
    const char *shard;
    const char *baseline;
    const char *write_baseline;
    const char *sets[MATRIX_MAX_SETS];
    int nsets;
    const char *ids[MATRIX_MAX_IDS];
    int nids;
    unsigned jobs;
    bool rows;
    bool list;
    bool quiet;
} matrix_args_t;

static void matrix_usage(FILE *out)
{
    fprintf(out,
            "usage: chunksim matrix SCENARIO... [options]\n"
            "\n"
            "Expands each scenario file's [matrix] lists into the cross product of their\n"
            "values and seeds (scenarios/README.md, \"Matrices\"; a file without [matrix] is\n"
            "one case), runs the cases in parallel worker processes and records every run\n"
            "into one SQLite database. Progress on stderr; on stdout a summary, and for\n"
            "each failing case its id and the command that reproduces it alone.\n"
            "\n"
            "options:\n"
            "  --seeds LIST       seeds for every file, replacing their [matrix] seeds:\n"
            "                     A..B (inclusive), N, or a list such as 1..100,200\n"
            "  --set KEY=VALUE    override for every case, applied before the lists\n"
            "                     (repeatable); part of every case id and repro line\n"
            "  -j, --jobs N       worker processes (default: one per core, here %u)\n"
            "  --db FILE          database to record into (default chunksim.db);\n"
            "                     --db '' records nothing\n"
            "  --no-trace         record only the runs rows, not calls/flash ops/chunks\n"
            "  --junit FILE       write JUnit XML: one testcase per case, named by file,\n"
            "                     cell and seed, failing as the exit status does: with\n"
            "                     --baseline when changed, new or gone, else when it\n"
            "                     missed its expect\n"
            "  --shard K/N        run only shard K of N (1 <= K <= N): the cases whose index\n"
            "                     mod N is K-1; the N shards cover every case exactly once\n"
            "  --case ID          run only the case with this id (repeatable); the same\n"
            "                     files, --seeds and --set must be given as when it was listed\n"
            "  --list             print the cases (index, id, repro line), run nothing\n"
            "  --baseline FILE    compare every case's outcome with FILE (case_id, scenario,\n"
            "                     seed, outcome; tab-separated) and print each change with\n"
            "                     its repro line; the exit status then follows the baseline,\n"
            "                     not the scenarios' expect\n"
            "  --write-baseline FILE  write the outcomes as a baseline (after any compare)\n"
            "  -q, --quiet        no progress on stderr\n"
            "  -h, --help         this text\n"
            "\n"
            "Ctrl-C (SIGINT) or SIGTERM ends each worker's current run early (recorded as\n"
            "incomplete) and starts no other; finished runs stay in the database. Workers\n"
            "record into a scratch directory next to the database (.FILE.scratch-XXXXXX);\n"
            "if this process is killed, the next matrix, sweep or swarm on the same\n"
            "database merges the runs left there first and says how many. To run one\n"
            "matrix on several machines, give each job its --shard K/N and combine the\n"
            "databases with 'chunksim merge'.\n"
            "\n"
            "Exit status: 0 every case passed (with --baseline: no outcome changed), 1 some\n"
            "failed (changed) or the batch was interrupted, 2 usage or input error.\n",
            uv_available_parallelism());
}

static int matrix_parse(int argc, char **argv, matrix_args_t *a)
{
    static const struct option longopts[] = {
        {"seeds", required_argument, NULL, 'S'},
        {"set", required_argument, NULL, 's'},
        {"jobs", required_argument, NULL, 'j'},
        {"db", required_argument, NULL, 'd'},
        {"no-trace", no_argument, NULL, 'n'},
        {"junit", required_argument, NULL, 'J'},
        {"shard", required_argument, NULL, 'k'},
        {"case", required_argument, NULL, 'c'},
        {"list", no_argument, NULL, 'l'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"baseline", required_argument, NULL, 'B'},
        {"write-baseline", required_argument, NULL, 'W'},
        {NULL, 0, NULL, 0},
    };
    *a = (matrix_args_t){.db_path = "chunksim.db", .rows = true};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "j:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'S':
            a->seeds = optarg;
            break;
        case 's':
            if (a->nsets == MATRIX_MAX_SETS) {
                fprintf(stderr, "chunksim matrix: at most %d --set options\n", MATRIX_MAX_SETS);
                return CLI_EXIT_USAGE;
            }
            a->sets[a->nsets++] = optarg;
            break;
        case 'j':
            if (campaign_parse_jobs("chunksim matrix", optarg, &a->jobs) != 0)
                return CLI_EXIT_USAGE;
            break;
        case 'd':
            a->db_path = optarg;
            break;
        case 'n':
            a->rows = false;
            break;
        case 'J':
            a->junit = optarg;
            break;
        case 'k':
            a->shard = optarg;
            break;
        case 'c':
            if (a->nids == MATRIX_MAX_IDS) {
                fprintf(stderr, "chunksim matrix: at most %d --case options\n", MATRIX_MAX_IDS);
                return CLI_EXIT_USAGE;
            }
            a->ids[a->nids++] = optarg;
            break;
        case 'l':
            a->list = true;
            break;
        case 'B':
            a->baseline = optarg;
            break;
        case 'W':
            a->write_baseline = optarg;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 'h':
            matrix_usage(stdout);
            return -1;
        default:
            matrix_usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "chunksim matrix: no scenario file given\n");
        matrix_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int matrix_build(const matrix_args_t *a, int argc, char **argv, chunksim_matrix_t *m)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    const chunksim_matrix_config_t cfg = {
        .seeds = a->seeds, .sets = a->sets, .set_count = (size_t)a->nsets};
    if (chunksim_matrix_init(m, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "chunksim matrix: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        if (chunksim_matrix_add_file(m, argv[i], err, sizeof err) < 0) {
            fprintf(stderr, "chunksim matrix: %s\n", err);
            chunksim_matrix_free(m);
            return CLI_EXIT_USAGE;
        }
    }
    return 0;
}

/* The cases to run: by id, or the shard, or all; in matrix order. */
static int matrix_select(const matrix_args_t *a, const chunksim_matrix_t *m, uint64_t **out,
                         size_t *count)
{
    uint32_t k = 1, n = 1;
    char err[256];
    if (a->shard != NULL && chunksim_matrix_shard_parse(a->shard, &k, &n, err, sizeof err) < 0) {
        fprintf(stderr, "chunksim matrix: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    uint64_t total = chunksim_matrix_count(m);
    uint64_t want = a->nids > 0 ? (uint64_t)a->nids : (total + n - k) / n;
    if (want > MATRIX_MAX_CASES) {
        fprintf(stderr,
                "chunksim matrix: %" PRIu64 " cases in one run; at most %u (split it with "
                "--shard K/N)\n",
                want, MATRIX_MAX_CASES);
        return CLI_EXIT_USAGE;
    }
    uint64_t *cases = malloc((want ? want : 1) * sizeof *cases);
    if (cases == NULL)
        return CLI_EXIT_USAGE;
    size_t nsel = 0;
    for (int i = 0; i < a->nids; i++) {
        chunksim_matrix_case_t c;
        if (chunksim_matrix_find(m, a->ids[i], &c) < 0) {
            fprintf(stderr,
                    "chunksim matrix: --case %s: no such case in this matrix (%" PRIu64
                    " cases; give the same files, --seeds and --set as when it was listed)\n",
                    a->ids[i], total);
            free(cases);
            return CLI_EXIT_USAGE;
        }
        cases[nsel++] = c.index;
    }
    for (uint64_t i = k - 1; a->nids == 0 && i < total; i += n)
        cases[nsel++] = i;
    *out = cases;
    *count = nsel;
    return 0;
}

static void matrix_list(const chunksim_matrix_t *m, const uint64_t *cases, size_t count)
{
    char repro[4096];
    for (size_t i = 0; i < count; i++) {
        chunksim_matrix_case_t c;
        if (chunksim_matrix_case(m, cases[i], &c) < 0)
            continue;
        chunksim_matrix_case_repro(&c, repro, sizeof repro);
        printf("%" PRIu64 " %s %s\n", c.index, c.id, repro);
    }
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
        bool whole = a->shard == NULL && a->nids == 0;
        size_t changes = cli_baseline_compare(b, bl, whole, stdout);
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
                    strerror(-rc));
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
    const cli_batch_config_t cfg = {
        .matrix = m,
        .cases = cases,
        .case_count = count,
        .jobs = a->jobs,
        .db_path = a->db_path,
        .record_rows = a->rows,
        .progress = !a->quiet,
        .tool = "chunksim matrix",
        .hide_failures = a->baseline != NULL || a->write_baseline != NULL,
    };
    cli_batch_t b;
    int rc = cli_batch_run(&cfg, &b);
    if (rc < 0 && b.done == 0) {
        cli_batch_free(&b);
        cli_baseline_free(&bl);
        return CLI_EXIT_USAGE;
    }
    cli_batch_summary(&b, stdout);
    int exit_code = (rc < 0 || b.failed > 0 || b.interrupted) ? CLI_EXIT_FAILED : CLI_EXIT_OK;
    if (a->baseline != NULL || a->write_baseline != NULL) {
        exit_code = matrix_baselines(a, &b, &bl);
        if (rc < 0)
            exit_code = CLI_EXIT_FAILED;
    }
    if (a->junit != NULL) {
        /* Judged like the exit status: by the baseline when there is one. */
        bool whole = a->shard == NULL && a->nids == 0;
        const cli_junit_config_t jc = {
            .batch = &b,
            .judge = a->baseline != NULL         ? cli_baseline_judge
                     : a->write_baseline != NULL ? matrix_judge_none
                                                 : cli_junit_judge_expect,
            .ctx = &bl,
            .gone = a->baseline != NULL && whole ? &bl : NULL,
        };
        int jrc = cli_junit_write(&jc, a->junit);
        if (jrc < 0) {
            fprintf(stderr, "chunksim matrix: --junit %s: %s\n", a->junit, strerror(-jrc));
            exit_code = CLI_EXIT_FAILED;
        }
    }
    cli_batch_free(&b);
    cli_baseline_free(&bl);
    return exit_code;
}

int cli_matrix(int argc, char **argv)
{
    matrix_args_t a;
    int rc = matrix_parse(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    chunksim_matrix_t m;
    if ((rc = matrix_build(&a, argc, argv, &m)) != 0)
        return rc;
    uint64_t *cases = NULL;
    size_t count = 0;
    rc = matrix_select(&a, &m, &cases, &count);
    if (rc == 0 && a.list)
        matrix_list(&m, cases, count);
    else if (rc == 0)
        rc = matrix_execute(&a, &m, cases, count);
    free(cases);
    chunksim_matrix_free(&m);
    return rc;
}
