/*
 * chunksim sweep: power-loss sweeps, as littlefs's test runner does them. A
 * reference run counts the flash operations; then one run per cut point
 * cuts power during operation K (fault rule "power_loss op=K"), each a case
 * of a matrix with its id and repro line, run by the batch runner. The
 * sweep reports the cut points that lose or corrupt the coredump.
 */
#include "batch.h"
#include "campaign.h"
#include "cli.h"

#include "chunksim/matrix.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* One list holds at most this many values (matrix.c); so does one sweep. */
#define SWEEP_MAX_CUTS 4096

typedef enum sweep_mode { SWEEP_NONE, SWEEP_LINEAR, SWEEP_LOG, SWEEP_EXHAUSTIVE } sweep_mode_t;

typedef struct {
    const char *file;
    sweep_mode_t mode;
    uint64_t depth; /* exhaustive: cut the first depth ops; 0: all */
    int on;         /* campaign_op_kind_t, or -1: every op */
    const char *seed;
    const char *db_path;
    const char *junit;
    const char *sets[CAMPAIGN_MAX_SETS];
    int nsets;
    unsigned jobs;
    cli_batch_trace_t trace;
    bool list, quiet;
} sweep_args_t;

static void sweep_usage(FILE *out)
{
    fprintf(out,
            "usage: chunksim sweep SCENARIO --power-loss MODE [options]\n"
            "\n"
            "Power-loss sweep. A reference run of the scenario counts its flash operations;\n"
            "then each cut point K is one run in which power goes during operation K\n"
            "(fault rule 'power_loss op=K', operations numbered from 0 in issue order).\n"
            "With run.power_loss_stops=true, which the sweep sets (override it with --set),\n"
            "the cut stops the device: nothing is made or delivered after it. Each run is a\n"
            "case with an id and a repro line, run in parallel workers and recorded as by\n"
            "'chunksim matrix'. Reported: the cut points whose run lost the coredump,\n"
            "delivered it corrupt, or broke the firmware contract (violation).\n"
            "\n"
            "MODE:\n"
            "  none               the reference run only\n"
            "  linear             every operation: K = 0, 1, 2, ..., N-1\n"
            "  log                K = 0, 1, 2, 4, 8, ... and the last operation N-1\n"
            "  exhaustive[:DEPTH] every operation up to DEPTH: K = 0 .. DEPTH-1 (all without\n"
            "                     DEPTH)\n"
            "\n"
            "options:\n"
            "  --power-loss MODE  the cut points (required)\n"
            "  --on KIND          count and cut only operations of one kind: read, program or\n"
            "                     erase (rule 'power_loss on=KIND op=K')\n"
            "  --seed N           the run seed (default: the file's [run] seed)\n"
            "  --set KEY=VALUE    override, as for 'chunksim run' (repeatable)\n"
            "  -j, --jobs N       worker processes (default: one per core)\n"
            "  --db FILE          database to record into (default chunksim.db; '' "
            "none)\n" CLI_BATCH_TRACE_HELP
            "  --junit FILE       JUnit XML, one testcase per cut point\n"
            "  --list             print the cut points' cases, run nothing but the reference\n"
            "  -q, --quiet        no progress on stderr\n"
            "  -h, --help         this text\n"
            "\n"
            "The file must stand for one case: no [matrix] lists (use --set to pick values).\n"
            "A sweep holds at most %d cut points; use log or exhaustive:DEPTH beyond.\n"
            "\n"
            "Exit status: 0 no cut point loses or corrupts data, 1 some do (or a run\n"
            "failed, or the sweep was interrupted), 2 usage or input error.\n",
            SWEEP_MAX_CUTS);
}

static int sweep_parse_mode(const char *text, sweep_args_t *a)
{
    if (strcmp(text, "none") == 0) {
        a->mode = SWEEP_NONE;
    } else if (strcmp(text, "linear") == 0) {
        a->mode = SWEEP_LINEAR;
    } else if (strcmp(text, "log") == 0) {
        a->mode = SWEEP_LOG;
    } else if (strncmp(text, "exhaustive", 10) == 0 && (text[10] == '\0' || text[10] == ':')) {
        a->mode = SWEEP_EXHAUSTIVE;
        if (text[10] == ':') {
            char *end;
            errno = 0;
            unsigned long long d = strtoull(text + 11, &end, 10);
            if (errno != 0 || end == text + 11 || *end != '\0' || text[11] == '-' || d == 0) {
                fprintf(stderr, "chunksim sweep: --power-loss %s: DEPTH must be a number >= 1\n",
                        text);
                return CLI_EXIT_USAGE;
            }
            a->depth = d;
        }
    } else {
        fprintf(stderr,
                "chunksim sweep: --power-loss %s: expected none, linear, log or "
                "exhaustive[:DEPTH]\n",
                text);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int sweep_parse(int argc, char **argv, sweep_args_t *a)
{
    static const struct option longopts[] = {
        {"power-loss", required_argument, NULL, 'P'},
        {"on", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 'S'},
        {"set", required_argument, NULL, 's'},
        {"jobs", required_argument, NULL, 'j'},
        {"db", required_argument, NULL, 'd'},
        {"no-trace", no_argument, NULL, 'n'},
        {"trace", required_argument, NULL, 'T'},
        {"junit", required_argument, NULL, 'J'},
        {"list", no_argument, NULL, 'l'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (sweep_args_t){.db_path = "chunksim.db", .on = -1};
    bool have_mode = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "j:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'P':
            if (sweep_parse_mode(optarg, a) != 0)
                return CLI_EXIT_USAGE;
            have_mode = true;
            break;
        case 'o':
            if ((a->on = campaign_op_kind_parse(optarg)) < 0) {
                fprintf(stderr, "chunksim sweep: --on %s: expected read, program or erase\n",
                        optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'S':
            a->seed = optarg;
            break;
        case 's':
            if (a->nsets == CAMPAIGN_MAX_SETS) {
                fprintf(stderr, "chunksim sweep: at most %d --set options\n", CAMPAIGN_MAX_SETS);
                return CLI_EXIT_USAGE;
            }
            a->sets[a->nsets++] = optarg;
            break;
        case 'j':
            if (campaign_parse_jobs("chunksim sweep", optarg, &a->jobs) != 0)
                return CLI_EXIT_USAGE;
            break;
        case 'd':
            a->db_path = optarg;
            break;
        case 'n':
            a->trace = CLI_BATCH_TRACE_NONE;
            break;
        case 'T':
            if (cli_batch_trace_parse("chunksim sweep", optarg, &a->trace) < 0)
                return CLI_EXIT_USAGE;
            break;
        case 'J':
            a->junit = optarg;
            break;
        case 'l':
            a->list = true;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 'h':
            sweep_usage(stdout);
            return -1;
        default:
            sweep_usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !have_mode) {
        fprintf(stderr, "chunksim sweep: %s\n",
                optind >= argc ? "no scenario file given"
                : !have_mode   ? "--power-loss MODE is required"
                               : "one scenario file at a time");
        sweep_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    a->file = argv[optind];
    return 0;
}

/* The matrix of the file alone: the sweep's own override first, so --set can undo it. */
static int sweep_matrix(const sweep_args_t *a, chunksim_matrix_t *m)
{
    const char *sets[CHUNKSIM_MATRIX_SETS_MAX];
    size_t n = 0;
    sets[n++] = "run.power_loss_stops=true";
    for (int i = 0; i < a->nsets; i++)
        sets[n++] = a->sets[i];
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    const chunksim_matrix_config_t cfg = {.seeds = a->seed, .sets = sets, .set_count = n};
    if (chunksim_matrix_init(m, &cfg, err, sizeof err) < 0 ||
        chunksim_matrix_add_file(m, a->file, err, sizeof err) < 0) {
        fprintf(stderr, "chunksim sweep: %s\n", err);
        chunksim_matrix_free(m);
        return CLI_EXIT_USAGE;
    }
    if (chunksim_matrix_count(m) != 1) {
        fprintf(stderr,
                "chunksim sweep: %s stands for %" PRIu64 " cases ([matrix] lists or seeds); a "
                "sweep takes one: pick values with --set and --seed, or use a file without "
                "[matrix]\n",
                a->file, chunksim_matrix_count(m));
        chunksim_matrix_free(m);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* The cut points of the mode for n operations, ascending, no duplicates. */
static size_t sweep_cuts(const sweep_args_t *a, uint64_t n, uint64_t *cuts)
{
    size_t count = 0;
    switch (a->mode) {
    case SWEEP_NONE:
        break;
    case SWEEP_LINEAR:
    case SWEEP_EXHAUSTIVE: {
        uint64_t last = a->depth != 0 && a->depth < n ? a->depth : n;
        for (uint64_t k = 0; k < last; k++)
            cuts[count++] = k;
        break;
    }
    case SWEEP_LOG:
        for (uint64_t k = 0; k < n; k = k == 0 ? 1 : 2 * k)
            cuts[count++] = k;
        if (n > 0 && cuts[count - 1] != n - 1)
            cuts[count++] = n - 1;
        break;
    }
    return count;
}

static uint64_t sweep_cut_count(const sweep_args_t *a, uint64_t n)
{
    uint64_t count = 0, last = 0;
    switch (a->mode) {
    case SWEEP_LINEAR:
    case SWEEP_EXHAUSTIVE:
        return a->depth != 0 && a->depth < n ? a->depth : n;
    case SWEEP_LOG:
        for (uint64_t k = 0; k < n; k = k == 0 ? 1 : 2 * k) {
            count++;
            last = k;
        }
        return count + (n > 0 && last != n - 1);
    case SWEEP_NONE:
        break;
    }
    return 0;
}

/* Adds the list of cut rules to the matrix; its cases become the cut points. */
static int sweep_add_cuts(const sweep_args_t *a, chunksim_matrix_t *m, const uint64_t *cuts,
                          size_t count)
{
    char **values = calloc(count, sizeof *values);
    int rc = values == NULL ? -ENOMEM : 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char text[96];
        if (a->on >= 0)
            snprintf(text, sizeof text, "power_loss on=%s op=%" PRIu64,
                     campaign_op_kind_name((campaign_op_kind_t)a->on), cuts[i]);
        else
            snprintf(text, sizeof text, "power_loss op=%" PRIu64, cuts[i]);
        if ((values[i] = strdup(text)) == NULL)
            rc = -ENOMEM;
    }
    char err[CHUNKSIM_SCENARIO_ERR_BYTES] = "out of memory";
    if (rc == 0)
        rc = chunksim_matrix_add_axis(m, 0, "faults.fault", (const char *const *)values, count, err,
                                      sizeof err);
    if (rc < 0)
        fprintf(stderr, "chunksim sweep: %s\n", err);
    for (size_t i = 0; values != NULL && i < count; i++)
        free(values[i]);
    free(values);
    return rc;
}

static const char *sweep_kind_at(const sweep_args_t *a, const campaign_ops_t *ops, uint64_t k)
{
    if (a->on >= 0)
        return campaign_op_kind_name((campaign_op_kind_t)a->on);
    return k < ops->count ? campaign_op_kind_name((campaign_op_kind_t)ops->kinds[k]) : "?";
}

/* Each damaging cut point with its repro line, then the list of them. */
static int sweep_report(const sweep_args_t *a, const cli_batch_t *b, const campaign_ops_t *ops,
                        const uint64_t *cuts)
{
    size_t damage = 0;
    char repro[4096];
    for (size_t i = 0; i < b->cfg->case_count; i++) {
        const cli_batch_result_t *r = &b->results[i];
        if (!r->ran || !(campaign_outcome_is_damage(r->outcome) || r->rc < 0))
            continue;
        chunksim_matrix_case_t c;
        if (cli_batch_case(b->cfg, i, &c) < 0)
            continue;
        chunksim_matrix_case_repro(&c, repro, sizeof repro);
        printf("%s cut at op %" PRIu64 " (%s) case %s: %s\n  %s\n",
               r->rc < 0 ? "ERROR" : chunksim_outcome_name(r->outcome), cuts[i],
               sweep_kind_at(a, ops, cuts[i]), r->id, r->reason ? r->reason : "", repro);
        damage++;
    }
    printf("cut points that lose or corrupt data:");
    for (size_t i = 0; i < b->cfg->case_count; i++) {
        const cli_batch_result_t *r = &b->results[i];
        if (r->ran && (campaign_outcome_is_damage(r->outcome) || r->rc < 0))
            printf(" %" PRIu64 "", cuts[i]);
    }
    printf("%s\n", damage == 0 ? " none" : "");
    return damage > 0 || b->interrupted || b->not_run > 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

static int sweep_execute(const sweep_args_t *a, const chunksim_matrix_t *m,
                         const campaign_ops_t *ops, const uint64_t *cuts, size_t count)
{
    uint64_t *cases = malloc((count ? count : 1) * sizeof *cases);
    if (cases == NULL)
        return CLI_EXIT_USAGE;
    for (size_t i = 0; i < count; i++)
        cases[i] = i;
    const cli_batch_config_t cfg = {
        .matrix = m,
        .cases = cases,
        .case_count = count,
        .jobs = a->jobs,
        .db_path = a->db_path,
        .trace = a->trace,
        .progress = !a->quiet,
        .tool = "chunksim sweep",
        .hide_failures = true,
    };
    cli_batch_t b;
    int rc = cli_batch_run(&cfg, &b);
    int exit_code = CLI_EXIT_USAGE;
    if (rc == 0 || b.done > 0) {
        cli_batch_summary(&b, stdout);
        exit_code = sweep_report(a, &b, ops, cuts);
        if (rc < 0)
            exit_code = CLI_EXIT_FAILED;
        if (a->junit != NULL && cli_batch_junit(&b, a->junit) < 0) {
            fprintf(stderr, "chunksim sweep: --junit %s: cannot write it\n", a->junit);
            exit_code = CLI_EXIT_FAILED;
        }
    }
    cli_batch_free(&b);
    free(cases);
    return exit_code;
}

static void sweep_list(const chunksim_matrix_t *m, const uint64_t *cuts, size_t count)
{
    char repro[4096];
    for (size_t i = 0; i < count; i++) {
        chunksim_matrix_case_t c;
        if (chunksim_matrix_case(m, i, &c) < 0)
            continue;
        chunksim_matrix_case_repro(&c, repro, sizeof repro);
        printf("op %" PRIu64 " %s %s\n", cuts[i], c.id, repro);
    }
}

/* The reference run: how many operations there are to cut. */
static int sweep_reference(const sweep_args_t *a, const chunksim_matrix_t *m, campaign_ops_t *ops,
                           uint64_t *n, chunksim_outcome_t *outcome)
{
    chunksim_matrix_case_t c;
    chunksim_run_result_t res;
    char err[1024];
    (void)chunksim_matrix_case(m, 0, &c);
    if (campaign_count_ops(m, &c, &res, ops, err, sizeof err) < 0) {
        fprintf(stderr, "chunksim sweep: reference run: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    *n = a->on >= 0 ? ops->per_kind[a->on] : ops->count;
    *outcome = res.outcome;
    printf("reference run (no cut): %s, %" PRIu64 " flash ops (%" PRIu64 " read, %" PRIu64
           " program, %" PRIu64 " erase)%s%s\n",
           chunksim_outcome_name(res.outcome), ops->count, ops->per_kind[CAMPAIGN_OP_READ],
           ops->per_kind[CAMPAIGN_OP_PROGRAM], ops->per_kind[CAMPAIGN_OP_ERASE],
           res.reason[0] ? ": " : "", res.reason);
    return 0;
}

int cli_sweep(int argc, char **argv)
{
    sweep_args_t a;
    int rc = sweep_parse(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    chunksim_matrix_t m;
    if ((rc = sweep_matrix(&a, &m)) != 0)
        return rc;
    campaign_ops_t ops;
    uint64_t n = 0;
    chunksim_outcome_t ref_outcome;
    if ((rc = sweep_reference(&a, &m, &ops, &n, &ref_outcome)) != 0) {
        chunksim_matrix_free(&m);
        return rc;
    }
    uint64_t want = sweep_cut_count(&a, n);
    uint64_t *cuts = NULL;
    size_t count = 0;
    if (want > SWEEP_MAX_CUTS) {
        fprintf(stderr,
                "chunksim sweep: %" PRIu64 " cut points; at most %d (use --power-loss log or "
                "exhaustive:DEPTH)\n",
                want, SWEEP_MAX_CUTS);
        rc = CLI_EXIT_USAGE;
    } else if ((cuts = malloc((want + 1) * sizeof *cuts)) == NULL) {
        rc = CLI_EXIT_USAGE;
    } else {
        count = sweep_cuts(&a, n, cuts);
    }
    if (rc == 0 && count > 0 && sweep_add_cuts(&a, &m, cuts, count) < 0)
        rc = CLI_EXIT_USAGE;
    if (rc == 0 && count == 0) {
        printf("no cut points\n");
        rc = campaign_outcome_is_damage(ref_outcome) ? CLI_EXIT_FAILED : CLI_EXIT_OK;
    } else if (rc == 0 && a.list)
        sweep_list(&m, cuts, count);
    else if (rc == 0)
        rc = sweep_execute(&a, &m, &ops, cuts, count);
    free(cuts);
    campaign_ops_free(&ops);
    chunksim_matrix_free(&m);
    return rc;
}
