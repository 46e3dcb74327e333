/*
 * chunksim diff: the runs of two recordings side by side. Runs are matched by
 * their matrix case when both recordings have case ids (a matrix holds many
 * cases per scenario name and seed), else, and for single runs, by (scenario
 * name, seed, mode, reader); the latest of each key on each side. Outcomes
 * and metrics are compared and changes past a threshold are regressions.
 * This is how CI catches a slower or less safe change.
 */
#include "cli.h"
#include "options.h"
#include "dbread.h"
#include "report.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A threshold that is off makes a change informational ("worse"), never a regression. */
#define DIFF_OFF (-1.0)

typedef enum { DIFF_LOWER_BETTER, DIFF_HIGHER_BETTER } diff_dir_t;
typedef enum { DIFF_PERCENT, DIFF_ABSOLUTE } diff_limit_t;

typedef struct {
    const char *name;
    const char *flag; /* the option that sets its threshold */
    diff_dir_t dir;
    diff_limit_t limit;
    double default_max;  /* DIFF_OFF: informational */
    bool needs_delivery; /* meaningless unless both runs delivered the message */
    bool integer;
} diff_metric_t;

enum {
    DIFF_DRAIN = 0,
    DIFF_BYTES_PER_S,
    DIFF_EFFICIENCY,
    DIFF_FLASH_BUSY,
    DIFF_LINK_BUSY,
    DIFF_WAITS,
    DIFF_RETRIES,
    DIFF_VIOLATIONS,
    DIFF_METRICS
};

static const diff_metric_t diff_metrics[DIFF_METRICS] = {
    [DIFF_DRAIN] = {"drain_us", "max-drain-increase", DIFF_LOWER_BETTER, DIFF_PERCENT, 5, true,
                    true},
    [DIFF_BYTES_PER_S] = {"msg_bytes_per_s", "max-throughput-drop", DIFF_HIGHER_BETTER,
                          DIFF_PERCENT, 5, true, false},
    [DIFF_EFFICIENCY] = {"efficiency", "max-efficiency-drop", DIFF_HIGHER_BETTER, DIFF_ABSOLUTE,
                         0.02, true, false},
    [DIFF_FLASH_BUSY] = {"flash_busy_us", "max-flash-busy-increase", DIFF_LOWER_BETTER,
                         DIFF_PERCENT, DIFF_OFF, false, true},
    [DIFF_LINK_BUSY] = {"link_busy_us", "max-link-busy-increase", DIFF_LOWER_BETTER, DIFF_PERCENT,
                        DIFF_OFF, false, true},
    [DIFF_WAITS] = {"waits", "max-waits-increase", DIFF_LOWER_BETTER, DIFF_PERCENT, DIFF_OFF, false,
                    true},
    [DIFF_RETRIES] = {"retries", "max-retries-increase", DIFF_LOWER_BETTER, DIFF_ABSOLUTE, DIFF_OFF,
                      false, true},
    [DIFF_VIOLATIONS] = {"violations", "max-violations-increase", DIFF_LOWER_BETTER, DIFF_ABSOLUTE,
                         0, false, true},
};

typedef struct {
    double max[DIFF_METRICS];
    bool all; /* list unchanged runs too */
} diff_args_t;

typedef struct {
    size_t matched, only_base, only_new;
    size_t regressions, worse, better, changed_runs;
} diff_tally_t;

typedef enum { DIFF_SAME, DIFF_BETTER, DIFF_WORSE, DIFF_CHANGED, DIFF_REGRESSION } diff_verdict_t;

static double diff_value(const dbread_run_t *r, int m)
{
    switch (m) {
    case DIFF_DRAIN:
        return (double)r->drain_us;
    case DIFF_BYTES_PER_S:
        return dbread_run_bytes_per_s(r);
    case DIFF_EFFICIENCY:
        return r->efficiency;
    case DIFF_FLASH_BUSY:
        return (double)r->flash_busy_us;
    case DIFF_LINK_BUSY:
        return (double)r->link_busy_us;
    case DIFF_WAITS:
        return (double)r->waits;
    case DIFF_RETRIES:
        return (double)r->retries;
    default:
        return (double)r->violations;
    }
}

static void diff_about(FILE *out)
{
    fprintf(out, "Matches the runs of two recordings by their matrix case (the case id that\n"
                 "matrix, sweep and swarm record) when both recordings have case ids, else,\n"
                 "and for single runs, by (scenario name, seed, mode, reader); takes the\n"
                 "latest run of each key on each side, and compares outcome and metrics.\n"
                 "Prints a table of what got better and worse, and the runs found in only\n"
                 "one of the two; a row of a matrix case ends with its id and cell.\n"
                 "\n"
                 "Regressions:\n"
                 "  - the outcome was the scenario's expect (or ok when it states none) and\n"
                 "    is no longer;\n"
                 "  - safety_ok went from 1 to 0 in a run that no longer passes;\n"
                 "  - a metric got worse by more than its threshold (only when both runs\n"
                 "    delivered the message, for drain, throughput and efficiency).\n"
                 "\n"
                 "thresholds (PCT: a percentage of the base value, '5' or '5%%'; N: an absolute\n"
                 "change; 'off': report the change, never call it a regression):\n");
    for (int m = 0; m < DIFF_METRICS; m++) {
        const diff_metric_t *d = &diff_metrics[m];
        char def[32];
        if (d->default_max == DIFF_OFF) {
            snprintf(def, sizeof(def), "off");
        } else {
            snprintf(def, sizeof(def), "%g%s", d->default_max, d->limit == DIFF_PERCENT ? "%" : "");
        }
        fprintf(out, "  --%-26s %-4s %s (default %s)\n", d->flag,
                d->limit == DIFF_PERCENT ? "PCT" : "N", d->name, def);
    }
}

static int diff_parse_threshold(const char *flag, const char *s, diff_limit_t limit, double *out)
{
    if (strcmp(s, "off") == 0) {
        *out = DIFF_OFF;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (limit == DIFF_PERCENT && *end == '%') {
        end++;
    }
    if (s[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(v) || v < 0) {
        fprintf(stderr, "chunksim diff: --%s %s: expected %s >= 0 or 'off'\n", flag, s,
                limit == DIFF_PERCENT ? "a percentage ('5' or '5%')" : "a number");
        return -1;
    }
    *out = v;
    return 0;
}

/* A threshold option; field is its double in diff_args_t.max. */
static int diff_option_threshold(const cli_value_t *v, void *field)
{
    for (int m = 0; m < DIFF_METRICS; m++) {
        if (strcmp(diff_metrics[m].flag, v->option) == 0)
            return diff_parse_threshold(v->option, v->text, diff_metrics[m].limit, field) < 0
                       ? CLI_EXIT_USAGE
                       : 0;
    }
    return CLI_EXIT_USAGE;
}

/* One threshold option per metric (described by diff_about), then --all. */
static cli_option_t diff_options[DIFF_METRICS + 2];

static cli_command_fn diff_main;

static const cli_command_t diff_command = {
    .name = "diff",
    .usage = "BASE.db NEW.db [options]",
    .about_fn = diff_about,
    .options = diff_options,
    .notes = "Exit status: 0 no regression, 1 some regression, 2 usage error or a database\n"
             "that cannot be read.\n",
    .operands = {2, 2, "expected two databases, BASE.db and NEW.db"},
    .run = diff_main,
};

/* The threshold options, built from diff_metrics, and their defaults in a. */
static void diff_setup(diff_args_t *a)
{
    for (int m = 0; m < DIFF_METRICS; m++) {
        const diff_metric_t *d = &diff_metrics[m];
        diff_options[m] = (cli_option_t){d->flag,
                                         0,
                                         d->limit == DIFF_PERCENT ? "PCT" : "N",
                                         NULL,
                                         offsetof(diff_args_t, max) + (size_t)m * sizeof(double),
                                         diff_option_threshold};
        a->max[m] = d->default_max;
    }
    diff_options[DIFF_METRICS] = (cli_option_t){
        "all", 0, NULL, "also list matched runs that did not change", offsetof(diff_args_t, all),
        NULL};
    a->all = false;
}

/* ---- one matched pair ---- */

/* Whether the run's outcome is what its scenario expects (ok when it states none). */
static bool diff_passed(const dbread_run_t *r)
{
    if (r->outcome == NULL) {
        return false;
    }
    const char *want = report_expected_outcome(r->config_text, r->scenario);
    if (want == NULL) {
        fprintf(stderr,
                "chunksim diff: run %" PRId64 " (%s): cannot reload its scenario to learn its "
                "expect, taking 'ok'\n",
                r->run_id, r->scenario);
        want = "ok";
    }
    return strcmp(r->outcome, want) == 0;
}

static const char *diff_verdict_name(diff_verdict_t v)
{
    static const char *const names[] = {"same", "better", "worse", "changed", "REGRESSION"};
    return names[v];
}

static void diff_row_head(const dbread_run_t *r)
{
    printf("%-30.30s %6" PRIu64 " %-8s %-7s ", r->scenario, r->seed, r->mode, r->reader);
}

static void diff_print(const dbread_run_t *r, const char *what, const char *base, const char *now,
                       const char *change, diff_verdict_t v, const char *note)
{
    diff_row_head(r);
    printf("%-16s %14s %14s %9s  %s%s", what, base, now, change, diff_verdict_name(v), note);
    if (r->case_id != NULL)
        printf("  case %s [%s]", r->case_id, r->case_cell != NULL ? r->case_cell : "");
    printf("\n");
}

static void diff_count(diff_tally_t *t, diff_verdict_t v)
{
    t->regressions += v == DIFF_REGRESSION;
    t->worse += v == DIFF_WORSE;
    t->better += v == DIFF_BETTER;
}

static diff_verdict_t diff_outcome(const dbread_run_t *b, const dbread_run_t *n, diff_tally_t *t)
{
    bool bp = diff_passed(b), np = diff_passed(n);
    diff_verdict_t worst = DIFF_SAME;
    const char *bo = b->outcome ? b->outcome : "-", *no = n->outcome ? n->outcome : "-";
    if (strcmp(bo, no) != 0 || bp != np) {
        diff_verdict_t v = bp && !np ? DIFF_REGRESSION : !bp && np ? DIFF_BETTER : DIFF_CHANGED;
        diff_print(n, "outcome", bo, no, "", v,
                   v == DIFF_REGRESSION ? " (no longer the expected outcome)" : "");
        diff_count(t, v);
        worst = v;
    }
    if (b->has_metrics && n->has_metrics && b->safety_ok != n->safety_ok) {
        diff_verdict_t v = n->safety_ok ? DIFF_BETTER : np ? DIFF_WORSE : DIFF_REGRESSION;
        diff_print(n, "safety_ok", b->safety_ok ? "1" : "0", n->safety_ok ? "1" : "0", "", v,
                   v == DIFF_REGRESSION ? " (less safe)" : "");
        diff_count(t, v);
        worst = v > worst ? v : worst;
    }
    return worst;
}

static void diff_number(char *buf, size_t len, double v, bool integer)
{
    if (integer) {
        snprintf(buf, len, "%.0f", v);
    } else if (fabs(v) >= 100) {
        snprintf(buf, len, "%.0f", v);
    } else {
        snprintf(buf, len, "%.4f", v);
    }
}

static diff_verdict_t diff_metric(const diff_args_t *a, int m, const dbread_run_t *b,
                                  const dbread_run_t *n, diff_tally_t *t)
{
    const diff_metric_t *d = &diff_metrics[m];
    if (!b->has_metrics || !n->has_metrics ||
        (d->needs_delivery && !(b->liveness_ok && n->liveness_ok))) {
        return DIFF_SAME;
    }
    double bv = diff_value(b, m), nv = diff_value(n, m);
    if (bv == nv) {
        return DIFF_SAME;
    }
    /* How much worse (positive) or better (negative), in the threshold's unit. */
    double worse_by = d->dir == DIFF_LOWER_BETTER ? nv - bv : bv - nv;
    char change[32];
    if (d->limit == DIFF_PERCENT) {
        worse_by = bv != 0 ? 100.0 * worse_by / fabs(bv) : (worse_by > 0 ? INFINITY : -INFINITY);
        double shown = bv != 0 ? 100.0 * (nv - bv) / fabs(bv) : (nv > bv ? INFINITY : -INFINITY);
        snprintf(change, sizeof(change), "%+.1f%%", shown);
    } else {
        snprintf(change, sizeof(change), d->integer ? "%+.0f" : "%+.4f", nv - bv);
    }
    diff_verdict_t v = worse_by < 0 ? DIFF_BETTER : DIFF_WORSE;
    char note[64] = "";
    if (v == DIFF_WORSE && a->max[m] != DIFF_OFF && worse_by > a->max[m]) {
        v = DIFF_REGRESSION;
        snprintf(note, sizeof(note), " (limit %g%s, --%s)", a->max[m],
                 d->limit == DIFF_PERCENT ? "%" : "", d->flag);
    }
    char bs[32], ns[32];
    diff_number(bs, sizeof(bs), bv, d->integer);
    diff_number(ns, sizeof(ns), nv, d->integer);
    diff_print(n, d->name, bs, ns, change, v, note);
    diff_count(t, v);
    return v;
}

static void diff_pair(const diff_args_t *a, const dbread_run_t *b, const dbread_run_t *n,
                      diff_tally_t *t)
{
    diff_verdict_t worst = diff_outcome(b, n, t);
    for (int m = 0; m < DIFF_METRICS; m++) {
        diff_verdict_t v = diff_metric(a, m, b, n, t);
        worst = v > worst ? v : worst;
    }
    t->matched++;
    t->changed_runs += worst != DIFF_SAME;
    if (worst == DIFF_SAME && a->all) {
        diff_print(n, "(unchanged)", b->outcome ? b->outcome : "-", n->outcome ? n->outcome : "-",
                   "", DIFF_SAME, "");
    }
}

static void diff_only(const dbread_run_t *r, const char *side, diff_tally_t *t, bool base)
{
    char where[32];
    snprintf(where, sizeof(where), "only in %s", side);
    diff_print(r, where, base ? (r->outcome ? r->outcome : "-") : "",
               base ? "" : (r->outcome ? r->outcome : "-"), "", DIFF_CHANGED, "");
    if (base) {
        t->only_base++;
    } else {
        t->only_new++;
    }
}

/*
 * The order dbread_runs_latest() sorts by: runs with a case id first, by it;
 * then name, seed as stored (signed), mode, reader.
 */
static int diff_key_cmp(const dbread_run_t *x, const dbread_run_t *y)
{
    if (x->case_id != NULL || y->case_id != NULL) {
        if (x->case_id == NULL || y->case_id == NULL)
            return x->case_id != NULL ? -1 : 1;
        return strcmp(x->case_id, y->case_id);
    }
    int c = strcmp(x->scenario, y->scenario);
    if (c != 0) {
        return c;
    }
    int64_t sx = (int64_t)x->seed, sy = (int64_t)y->seed;
    if (sx != sy) {
        return sx < sy ? -1 : 1;
    }
    c = strcmp(x->mode, y->mode);
    return c != 0 ? c : strcmp(x->reader, y->reader);
}

typedef struct diff_side {
    const char *path;
    chunksim_rec_t rec;
    bool open;
    dbread_run_t *runs;
    size_t count;
} diff_side_t;

static int diff_open(diff_side_t *d, int *has_cases)
{
    char err[512];
    if (dbread_open(&d->rec, d->path, err, sizeof(err)) < 0) {
        fprintf(stderr, "chunksim diff: %s\n", err);
        return -1;
    }
    d->open = true;
    *has_cases = dbread_has_cases(chunksim_rec_db(&d->rec));
    if (*has_cases < 0) {
        fprintf(stderr, "chunksim diff: %s: reading runs: %s\n", d->path,
                sqlite3_errmsg(chunksim_rec_db(&d->rec)));
        return -1;
    }
    return 0;
}

static int diff_load(diff_side_t *d, bool by_case)
{
    char err[512];
    int rc = dbread_runs_latest(chunksim_rec_db(&d->rec), by_case, &d->runs, &d->count, err,
                                sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "chunksim diff: %s: %s\n", d->path, err);
    }
    return rc;
}

static void diff_side_free(diff_side_t *d)
{
    dbread_runs_free(d->runs, d->count);
    if (d->open) {
        chunksim_rec_close(&d->rec);
    }
}

/* Both recordings' latest runs, matched by case when both have cases. */
static int diff_load_both(diff_side_t *base, diff_side_t *now)
{
    int base_cases = 0, now_cases = 0;
    if (diff_open(base, &base_cases) < 0 || diff_open(now, &now_cases) < 0) {
        return -1;
    }
    bool by_case = base_cases == 1 && now_cases == 1;
    if (diff_load(base, by_case) < 0 || diff_load(now, by_case) < 0) {
        return -1;
    }
    if (base_cases != now_cases) {
        printf("note: only %s has case ids: runs matched by (scenario, seed, mode, reader)\n",
               base_cases ? "BASE" : "NEW");
    }
    return 0;
}

static int diff_main(const cli_call_t *call)
{
    diff_args_t *a = call->own;
    diff_side_t sb = {.path = call->ops[0]}, sn = {.path = call->ops[1]};
    if (diff_load_both(&sb, &sn) < 0) {
        diff_side_free(&sb);
        diff_side_free(&sn);
        return CLI_EXIT_USAGE;
    }
    const dbread_run_t *base = sb.runs, *now = sn.runs;
    size_t nb = sb.count, nn = sn.count;
    printf("%-30s %6s %-8s %-7s %-16s %14s %14s %9s  %s\n", "scenario", "seed", "mode", "reader",
           "what", "base", "new", "change", "verdict");
    diff_tally_t t = {0};
    size_t i = 0, j = 0;
    while (i < nb || j < nn) {
        int c = i == nb ? 1 : j == nn ? -1 : diff_key_cmp(&base[i], &now[j]);
        if (c == 0) {
            diff_pair(a, &base[i++], &now[j++], &t);
        } else if (c < 0) {
            diff_only(&base[i++], "BASE", &t, true);
        } else {
            diff_only(&now[j++], "NEW", &t, false);
        }
    }
    printf("%zu run(s) matched (%zu changed), %zu only in BASE, %zu only in NEW: %zu "
           "regression(s), %zu worse, %zu better\n",
           t.matched, t.changed_runs, t.only_base, t.only_new, t.regressions, t.worse, t.better);
    diff_side_free(&sb);
    diff_side_free(&sn);
    return t.regressions > 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

int cli_diff(int argc, char **argv)
{
    diff_args_t a;
    diff_setup(&a);
    return cli_command_main(&diff_command, argc, argv, NULL, &a);
}
