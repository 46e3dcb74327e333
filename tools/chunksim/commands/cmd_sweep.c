/*
 * chunksim sweep: power-loss sweeps, as littlefs's test runner does them. A
 * reference run counts the flash operations; then each case cuts power
 * during operation K, the device reboots and goes on, and with a depth of
 * more than one it is cut again during operation J of the rebooted device
 * (run.power_cuts = K,J,...; docs/design.md, "Power loss and reboot"). The
 * cut sequences of each depth come from runs of the shorter ones, in this
 * process; the sequences of the full depth are the cases of a matrix, each
 * with its id and repro line, run by the batch runner. The sweep reports
 * the sequences that lose or corrupt the coredump.
 */
/* asprintf */
#define _GNU_SOURCE
#include "batch.h"
#include "campaign.h"
#include "cli.h"
#include "options.h"

#include "chunksim/matrix.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* One list holds at most this many values (matrix.c); so does one sweep. */
#define SWEEP_MAX_CUTS 4096
/* Cuts in one sequence: reboots per run (run.power_cuts). */
#define SWEEP_MAX_DEPTH CHUNKSIM_SCENARIO_POWER_CUTS_MAX
#define SWEEP_STR_(x)   #x
#define SWEEP_STR(x)    SWEEP_STR_(x)

typedef enum sweep_mode { SWEEP_NONE, SWEEP_LINEAR, SWEEP_LOG, SWEEP_EXHAUSTIVE } sweep_mode_t;

typedef struct {
    const char *file;
    sweep_mode_t mode;
    uint64_t depth; /* exhaustive: cuts per sequence (reboots per run) */
    int on;         /* campaign_op_kind_t, or -1: every op */
    cli_common_t common;
    bool list;
} sweep_args_t;

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
            if (errno != 0 || end == text + 11 || *end != '\0' || text[11] == '-' || d == 0 ||
                d > SWEEP_MAX_DEPTH) {
                fprintf(stderr, "chunksim sweep: --power-loss %s: DEPTH must be 1 to %d\n", text,
                        SWEEP_MAX_DEPTH);
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

/* --power-loss MODE; field is the whole sweep_args_t. */
static int sweep_option_mode(const cli_value_t *v, void *field)
{
    return sweep_parse_mode(v->text, field);
}

static int sweep_option_on(const cli_value_t *v, void *field)
{
    if ((*(int *)field = campaign_op_kind_parse(v->text)) < 0) {
        return cli_options_refuse(v, "expected read, program or erase");
    }
    return 0;
}

static const cli_option_t sweep_options[] = {
    {"power-loss", 0, "MODE", "the cut points (required)", 0, sweep_option_mode},
    {"on", 0, "KIND",
     "count and cut only operations of one kind: read, program or\n"
     "erase (run.power_cuts_on=KIND)",
     offsetof(sweep_args_t, on), sweep_option_on},
    {"list", 0, NULL, "print the cases, run nothing but the runs that find them",
     offsetof(sweep_args_t, list), NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void sweep_about(FILE *out)
{
    fprintf(out,
            "Power-loss sweep with reboots. A reference run of the scenario counts its flash\n"
            "operations (every read, program and erase the firmware begins, refused ones\n"
            "included, numbered from 0 in issue order). Each case cuts power during\n"
            "operation K (run.power_cuts=K): the operation ends as the flash model cuts it\n"
            "(an interrupted erase leaves its sector undefined), the chunk on the air is\n"
            "lost, and the device reboots link.reboot_reconnect_us later with its RAM state\n"
            "gone (reader, coredump source and packetizer initialized again) and goes on\n"
            "from what the flash holds. With exhaustive:DEPTH the rebooted device is cut\n"
            "again, during operation J counted from its own first operation\n"
            "(run.power_cuts=K,J), and so on to DEPTH cuts. Each sequence is a case with an\n"
            "id and a repro line, run in parallel workers and recorded as by 'chunksim\n"
            "matrix'. Reported: the sequences whose run lost the coredump, delivered it\n"
            "corrupt, or broke the firmware contract (violation; a corrupt header accepted\n"
            "as valid is one), and how many were tried and lost.\n"
            "\n"
            "MODE:\n"
            "  none               the reference run only\n"
            "  linear             one cut at every operation: K = 0, 1, 2, ..., N-1\n"
            "  log                one cut at K = 0, 1, 2, 4, 8, ... and the last operation N-1\n"
            "  exhaustive[:DEPTH] every sequence of DEPTH cuts (default 1, at most %d): K\n"
            "                     over the N operations, J over the operations of the device\n"
            "                     rebooted after K, ... (a sequence whose rebooted device\n"
            "                     makes no operation to cut ends there)\n",
            SWEEP_MAX_DEPTH);
}

static cli_command_fn sweep_main;

static const cli_command_t sweep_command = {
    .name = "sweep",
    .usage = "SCENARIO --power-loss MODE [options]",
    .about_fn = sweep_about,
    .shared = CLI_OPT_BATCH | CLI_OPT_SEED,
    .options = sweep_options,
    .required = "power-loss",
    .notes = "On stdout: the reference run, each cut sequence that loses or corrupts data with\n"
             "its repro line, the list of them and the tally, then the counts. With --json,\n"
             "stdout is one JSON document (the cases, the counts, and the verdict: every cut\n"
             "sequence and those that lose or corrupt data) and the rest goes to stderr.\n"
             "\n"
             "The file must stand for one case: no [matrix] lists (use --set to pick values).\n"
             "A sweep holds at most " SWEEP_STR(
                 SWEEP_MAX_CUTS) " cut sequences; use log or a "
                                 "smaller DEPTH beyond.\n"
                                 "\n"
                                 "Exit status: 0 no sequence loses or corrupts data, 1 some do (or "
                                 "a run\n"
                                 "failed, or the sweep was interrupted), 2 usage or input error.\n",
    .operands = CLI_OPERAND_SCENARIO,
    .run = sweep_main,
};

/* The matrix of the file alone: the sweep's own override first, so --set can undo it. */
static int sweep_matrix(const sweep_args_t *a, chunksim_matrix_t *m)
{
    const char *sets[CHUNKSIM_MATRIX_SETS_MAX];
    char on[48];
    size_t n = 0;
    if (a->on >= 0) {
        snprintf(on, sizeof on, "run.power_cuts_on=%s",
                 campaign_op_kind_name((campaign_op_kind_t)a->on));
        sets[n++] = on;
    }
    for (size_t i = 0; i < a->common.set_count; i++)
        sets[n++] = a->common.sets[i];
    const chunksim_matrix_config_t cfg = {.seeds = a->common.seed, .sets = sets, .set_count = n};
    return campaign_matrix_of_file(m, &cfg, "sweep", a->file,
                                   "a sweep takes one: pick values with --set and --seed, or use "
                                   "a file without [matrix]");
}

/* The first cut points of the mode for n operations, ascending, no duplicates. */
static size_t sweep_cuts(const sweep_args_t *a, uint64_t n, uint64_t *cuts)
{
    size_t count = 0;
    switch (a->mode) {
    case SWEEP_NONE:
        break;
    case SWEEP_LINEAR:
    case SWEEP_EXHAUSTIVE:
        for (uint64_t k = 0; k < n; k++)
            cuts[count++] = k;
        break;
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
        return n;
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

/* Cut sequences, each the value of run.power_cuts ("14" or "14,0"). */
typedef struct {
    char **text;
    size_t count;
} sweep_seqs_t;

static void sweep_seqs_free(sweep_seqs_t *q)
{
    for (size_t i = 0; i < q->count; i++)
        free(q->text[i]);
    free(q->text);
    *q = (sweep_seqs_t){0};
}

/* Takes v (NULL: out of memory); -ENOMEM, or -E2BIG past SWEEP_MAX_CUTS. */
static int sweep_seqs_push(sweep_seqs_t *q, char *v)
{
    int rc = v == NULL ? -ENOMEM : q->count == SWEEP_MAX_CUTS ? -E2BIG : 0;
    if (rc == 0 && q->count % 64 == 0) {
        char **t = realloc(q->text, (q->count + 64) * sizeof *t);
        rc = t == NULL ? -ENOMEM : 0;
        q->text = t != NULL ? t : q->text;
    }
    if (rc < 0) {
        free(v);
        return rc;
    }
    q->text[q->count++] = v;
    return 0;
}

/* Appends "prefix,k", or "k" without a prefix. */
static int sweep_seqs_add(sweep_seqs_t *q, const char *prefix, uint64_t k)
{
    char *v;
    int n = prefix != NULL ? asprintf(&v, "%s,%" PRIu64, prefix, k) : asprintf(&v, "%" PRIu64, k);
    return sweep_seqs_push(q, n < 0 ? NULL : v);
}

/*
 * The device rebooted after every cut of seq: the operations of its last
 * boot, which a further cut chooses from (0 when a cut did not happen, so
 * the sequence ends there).
 */
static int sweep_boot_ops(const chunksim_matrix_t *m, const char *seq, size_t cuts, uint64_t *ops)
{
    chunksim_matrix_case_t c;
    chunksim_run_result_t res;
    char set[128], err[1024];
    (void)chunksim_matrix_case(m, 0, &c);
    snprintf(set, sizeof set, "run.power_cuts=%s", seq);
    c.sets[c.set_count++] = set;
    if (campaign_run_case(m, &c, &res, err, sizeof err) < 0) {
        fprintf(stderr, "chunksim sweep: cuts %s: %s\n", seq, err);
        return -EINVAL;
    }
    *ops = res.boots == cuts + 1 ? res.last_boot_ops : 0;
    return 0;
}

/* One cut more on every sequence of q, over the operations of its last boot. */
static int sweep_deepen(const chunksim_matrix_t *m, size_t depth, sweep_seqs_t *q)
{
    sweep_seqs_t next = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < q->count; i++) {
        uint64_t n = 0;
        rc = sweep_boot_ops(m, q->text[i], depth, &n);
        if (rc == 0 && n == 0) {
            /* Nothing left to cut: the sequence is a case as it is. */
            rc = sweep_seqs_push(&next, q->text[i]);
            q->text[i] = NULL;
        }
        for (uint64_t j = 0; rc == 0 && j < n; j++)
            rc = sweep_seqs_add(&next, q->text[i], j);
    }
    sweep_seqs_free(q);
    *q = next;
    return rc;
}

/* The sequences of the mode: the first cuts, then one level per further cut. */
static int sweep_sequences(const sweep_args_t *a, const chunksim_matrix_t *m, uint64_t n,
                           sweep_seqs_t *q)
{
    uint64_t want = sweep_cut_count(a, n);
    if (want > SWEEP_MAX_CUTS) {
        fprintf(stderr,
                "chunksim sweep: %" PRIu64 " cut points; at most %d (use --power-loss log)\n", want,
                SWEEP_MAX_CUTS);
        return -E2BIG;
    }
    uint64_t *cuts = malloc((want + 1) * sizeof *cuts);
    int rc = cuts == NULL ? -ENOMEM : 0;
    size_t count = rc == 0 ? sweep_cuts(a, n, cuts) : 0;
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = sweep_seqs_add(q, NULL, cuts[i]);
    free(cuts);
    size_t depth = a->mode == SWEEP_EXHAUSTIVE ? (size_t)a->depth : 1;
    for (size_t d = 1; rc == 0 && d < depth; d++)
        rc = sweep_deepen(m, d, q);
    if (rc == -E2BIG)
        fprintf(stderr, "chunksim sweep: more than %d cut sequences; use a smaller DEPTH\n",
                SWEEP_MAX_CUTS);
    else if (rc == -ENOMEM)
        fprintf(stderr, "chunksim sweep: out of memory\n");
    return rc;
}

/* Adds the list of cut sequences to the matrix; its cases become the sequences. */
static int sweep_add_cuts(chunksim_matrix_t *m, const sweep_seqs_t *q)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    int rc = chunksim_matrix_add_axis(m, 0, "run.power_cuts", (const char *const *)q->text,
                                      q->count, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "chunksim sweep: %s\n", err);
    return rc;
}

static const char *sweep_kind_at(const sweep_args_t *a, const campaign_ops_t *ops, uint64_t k)
{
    if (a->on >= 0)
        return campaign_op_kind_name((campaign_op_kind_t)a->on);
    return k < ops->count ? campaign_op_kind_name((campaign_op_kind_t)ops->kinds[k]) : "?";
}

/* Each damaging sequence with its repro line (at most --max-failures), the list, the tally. */
/* The three things a sweep's report needs besides the batch. */
typedef struct sweep_hunt {
    const sweep_args_t *a;
    const campaign_ops_t *ops;
    const sweep_seqs_t *q;
} sweep_hunt_t;

static int sweep_report(const cli_batch_t *b, const void *ctx, FILE *out)
{
    const sweep_hunt_t *h = ctx;
    const sweep_args_t *a = h->a;
    const campaign_ops_t *ops = h->ops;
    const sweep_seqs_t *q = h->q;
    size_t damage = 0, ran = 0, max = a->common.max_failures;
    char repro[4096];
    for (size_t i = 0; i < b->cfg->case_count; i++) {
        const cli_batch_result_t *r = &b->results[i];
        ran += r->ran;
        if (!campaign_case_is_damage(r) || (damage++ >= max && max != 0))
            continue;
        chunksim_matrix_case_t c;
        if (cli_batch_case(b->cfg, i, &c) < 0)
            continue;
        chunksim_matrix_case_repro(&c, repro, sizeof repro);
        fprintf(out, "%s at cuts %s (first cut: %s) case %s: %s\n  %s\n",
                r->rc < 0 ? "ERROR" : chunksim_outcome_name(r->outcome), q->text[i],
                sweep_kind_at(a, ops, strtoull(q->text[i], NULL, 10)), r->id,
                r->reason ? r->reason : "", repro);
    }
    if (max != 0 && damage > max)
        fprintf(out, "... and %zu more (--max-failures 0 lists all)\n", damage - max);
    fprintf(out, "cut sequences that lose or corrupt data:");
    for (size_t i = 0; i < b->cfg->case_count; i++) {
        if (campaign_case_is_damage(&b->results[i]))
            fprintf(out, " %s", q->text[i]);
    }
    fprintf(out, "%s\n", damage == 0 ? " none" : "");
    fprintf(out, "cut sequences: %zu tried, %zu lost, %zu corrupt, %zu violation, %zu ok\n", ran,
            b->outcomes[CHUNKSIM_OUTCOME_LOST], b->outcomes[CHUNKSIM_OUTCOME_CORRUPT],
            b->outcomes[CHUNKSIM_OUTCOME_VIOLATION], b->outcomes[CHUNKSIM_OUTCOME_OK]);
    return damage > 0 || b->interrupted || b->not_run > 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

/* --json: the cut sequences and those that lose or corrupt data, as the text report lists them. */
static json_t *sweep_verdict(const cli_batch_t *b, const void *ctx)
{
    const sweep_seqs_t *q = ((const sweep_hunt_t *)ctx)->q;
    json_t *all = json_array(), *bad = json_array();
    for (size_t i = 0; i < b->cfg->case_count; i++) {
        json_array_append_new(all, json_string(q->text[i]));
        if (campaign_case_is_damage(&b->results[i]))
            json_array_append_new(bad, json_string(q->text[i]));
    }
    return json_pack("{s:o, s:o}", "cut_sequences", all, "damaging_cut_sequences", bad);
}

static int sweep_execute(const sweep_args_t *a, const chunksim_matrix_t *m,
                         const campaign_ops_t *ops, const sweep_seqs_t *q)
{
    uint64_t *cases = malloc((q->count ? q->count : 1) * sizeof *cases);
    if (cases == NULL)
        return CLI_EXIT_USAGE;
    for (size_t i = 0; i < q->count; i++)
        cases[i] = i;
    cli_batch_config_t cfg = cli_batch_config_of(&a->common, "chunksim sweep");
    cfg.matrix = m;
    cfg.cases = cases;
    cfg.case_count = q->count;
    cfg.hide_failures = true; /* the hunt reports the damaging sequences itself */
    const sweep_hunt_t ctx = {.a = a, .ops = ops, .q = q};
    const campaign_hunt_t hunt = {.report = sweep_report, .verdict = sweep_verdict, .ctx = &ctx};
    int exit_code = campaign_hunt_run(&cfg, &a->common, &hunt);
    free(cases);
    return exit_code;
}

static void sweep_list(const chunksim_matrix_t *m, const sweep_seqs_t *q)
{
    char repro[4096];
    for (size_t i = 0; i < q->count; i++) {
        chunksim_matrix_case_t c;
        if (chunksim_matrix_case(m, i, &c) < 0)
            continue;
        chunksim_matrix_case_repro(&c, repro, sizeof repro);
        printf("cuts %s %s %s\n", q->text[i], c.id, repro);
    }
}

/* The reference run: how many operations there are to cut. */
static int sweep_reference(const chunksim_matrix_t *m, campaign_ops_t *ops, uint64_t *n,
                           chunksim_outcome_t *outcome, FILE *out)
{
    chunksim_matrix_case_t c;
    chunksim_run_result_t res;
    char err[1024];
    (void)chunksim_matrix_case(m, 0, &c);
    if (campaign_count_ops(m, &c, &res, ops, err, sizeof err) < 0) {
        fprintf(stderr, "chunksim sweep: reference run: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    *n = res.last_boot_ops;
    *outcome = res.outcome;
    fprintf(out,
            "reference run (no cut): %s, %" PRIu64 " flash ops (%" PRIu64 " read, %" PRIu64
            " program, %" PRIu64 " erase)%s%s\n",
            chunksim_outcome_name(res.outcome), ops->count, ops->per_kind[CAMPAIGN_OP_READ],
            ops->per_kind[CAMPAIGN_OP_PROGRAM], ops->per_kind[CAMPAIGN_OP_ERASE],
            res.reason[0] ? ": " : "", res.reason);
    return 0;
}

static int sweep_main(const cli_call_t *call)
{
    sweep_args_t *a = call->own;
    a->file = call->ops[0];
    int rc;
    chunksim_matrix_t m;
    if ((rc = sweep_matrix(a, &m)) != 0)
        return rc;
    campaign_ops_t ops;
    uint64_t n = 0;
    chunksim_outcome_t ref_outcome;
    if ((rc = sweep_reference(&m, &ops, &n, &ref_outcome, a->common.json ? stderr : stdout)) != 0) {
        chunksim_matrix_free(&m);
        return rc;
    }
    sweep_seqs_t q = {0};
    if (sweep_sequences(a, &m, n, &q) < 0 || (q.count > 0 && sweep_add_cuts(&m, &q) < 0))
        rc = CLI_EXIT_USAGE;
    if (rc == 0 && q.count == 0) {
        printf("no cut points\n");
        rc = campaign_outcome_is_damage(ref_outcome) ? CLI_EXIT_FAILED : CLI_EXIT_OK;
    } else if (rc == 0 && a->list)
        sweep_list(&m, &q);
    else if (rc == 0)
        rc = sweep_execute(a, &m, &ops, &q);
    sweep_seqs_free(&q);
    campaign_ops_free(&ops);
    chunksim_matrix_free(&m);
    return rc;
}

int cli_sweep(int argc, char **argv)
{
    sweep_args_t a = {.on = -1, .depth = 1};
    return cli_command_main(&sweep_command, argc, argv, &a.common, &a);
}
