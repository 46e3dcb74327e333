/*
 * chunksim swarm: swarm testing (Groce et al., 2012). A fixed matrix turns
 * each fault on in its own cases, or all at once; a swarm draws, per seed,
 * which fault kinds are on and their rates, so that runs reach combinations
 * no one wrote down (a read error and a lost link and a late read in one
 * run) and kinds that mask each other are also seen apart. The draws are
 * overrides of the case (--set lines), so they are in its id, its repro line
 * and the scenario text recorded with the run.
 */
#include "batch.h"
#include "campaign.h"
#include "cli.h"
#include "options.h"

#include "chunksim/matrix.h"
#include "chunksim/rng.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Seeds one swarm runs; a bigger one is split into several --seeds ranges. */
#define SWARM_MAX_CASES (1u << 20)
/* Overrides one kind may draw (power_loss: the rule and whether it stops the device). */
#define SWARM_SETS_PER_KIND 2

typedef struct swarm_draw {
    char text[SWARM_SETS_PER_KIND][128];
    size_t count;
} swarm_draw_t;

/*
 * One fault kind of the swarm: its name and how its settings are drawn:
 * by draw, or (draw NULL) as a fault rule of that name at a rate drawn
 * log-uniformly between lo and hi.
 */
typedef struct swarm_kind {
    const char *name;
    void (*draw)(chunksim_rng_t *rng, swarm_draw_t *d);
    double lo, hi;
} swarm_kind_t;

/* Uniform in log space between lo and hi: rare and frequent rates alike. */
static double swarm_log_uniform(chunksim_rng_t *rng, double lo, double hi)
{
    return exp(log(lo) + chunksim_rng_uniform(rng) * (log(hi) - log(lo)));
}

/* A fault rule of this kind at a drawn rate. */
static void swarm_rule_rate(swarm_draw_t *d, const char *kind, double rate)
{
    snprintf(d->text[d->count++], sizeof d->text[0], "faults.fault=%s rate=%.3g", kind, rate);
}

static void draw_read_late(chunksim_rng_t *rng, swarm_draw_t *d)
{
    double rate = swarm_log_uniform(rng, 0.01, 0.5);
    snprintf(d->text[d->count++], sizeof d->text[0],
             "faults.fault=read_late rate=%.3g delay_us=%" PRIu64 "ms", rate,
             chunksim_rng_range(rng, 1, 300));
}

static void draw_bitflip(chunksim_rng_t *rng, swarm_draw_t *d)
{
    double rate = swarm_log_uniform(rng, 0.001, 0.05);
    snprintf(d->text[d->count++], sizeof d->text[0],
             "faults.fault=bitflip rate=%.3g flips=%" PRIu64, rate, chunksim_rng_range(rng, 1, 3));
}

/* One cut among the first operations (most runs issue dozens), device stopped or not. */
static void draw_power_loss(chunksim_rng_t *rng, swarm_draw_t *d)
{
    uint64_t op = chunksim_rng_range(rng, 0, 63);
    snprintf(d->text[d->count++], sizeof d->text[0], "faults.fault=power_loss op=%" PRIu64, op);
    snprintf(d->text[d->count++], sizeof d->text[0], "run.power_loss_stops=%s",
             chunksim_rng_uniform(rng) < 0.5 ? "true" : "false");
}

static void draw_link_loss(chunksim_rng_t *rng, swarm_draw_t *d)
{
    snprintf(d->text[d->count++], sizeof d->text[0], "link.loss_rate=%.3g",
             swarm_log_uniform(rng, 0.01, 0.3));
}

static void draw_disconnect(chunksim_rng_t *rng, swarm_draw_t *d)
{
    uint64_t chunk = chunksim_rng_range(rng, 0, 64);
    if (chunk == 64)
        snprintf(d->text[d->count++], sizeof d->text[0], "link.disconnect_after_chunk=last");
    else
        snprintf(d->text[d->count++], sizeof d->text[0], "link.disconnect_after_chunk=%" PRIu64,
                 chunk);
    snprintf(d->text[d->count++], sizeof d->text[0], "link.reconnect_after_us=%s",
             chunksim_rng_uniform(rng) < 0.75 ? "500ms" : "never");
}

static const swarm_kind_t swarm_kinds[] = {
    {"read_error", NULL, 0.005, 0.3},      {"read_timeout", NULL, 0.005, 0.1},
    {"read_late", draw_read_late, 0, 0},   {"bitflip", draw_bitflip, 0, 0},
    {"erase_fail", NULL, 0.1, 1.0},        {"silent_erase", NULL, 0.1, 1.0},
    {"power_loss", draw_power_loss, 0, 0}, {"link_loss", draw_link_loss, 0, 0},
    {"disconnect", draw_disconnect, 0, 0},
};
#define SWARM_KINDS (sizeof swarm_kinds / sizeof swarm_kinds[0])

typedef struct {
    const char *file;
    cli_common_t common;
    double p_on;
    bool list;
} swarm_args_t;

/* What was drawn for one case: its overrides (owned) and which kinds are on. */
typedef struct swarm_case {
    char *sets[SWARM_KINDS * SWARM_SETS_PER_KIND];
    size_t set_count;
    bool on[SWARM_KINDS];
} swarm_case_t;

static void swarm_about(FILE *out)
{
    fprintf(out,
            "Swarm testing. For each seed, draws from the seed which fault kinds are on (each\n"
            "with probability --p) and their settings, and runs the scenario with them:\n");
    for (size_t k = 0; k < SWARM_KINDS; k++)
        fprintf(out, "%s%s", k == 0 ? "  " : ", ", swarm_kinds[k].name);
    fprintf(out, ".\n"
                 "The draws are --set overrides of the case (rates log-uniform; power_loss also\n"
                 "draws run.power_loss_stops, disconnect the reconnect), so each case's id, repro\n"
                 "line and recorded scenario text hold them. The same seeds draw the same cases.\n"
                 "Runs go to parallel workers and one database, as with 'chunksim matrix'.\n"
                 "Reported: the cases that lost or corrupted the coredump or broke the contract,\n"
                 "and per kind how often it was on in those. --set applies to every case, before\n"
                 "the draws; --seeds is required.\n");
}

static int swarm_parse_p(const cli_value_t *v, void *field)
{
    const char *text = v->text;
    char *end;
    errno = 0;
    double p = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(p > 0 && p <= 1)) {
        return cli_options_refuse(v, "expected a probability, 0 < P <= 1");
    }
    *(double *)field = p;
    return 0;
}

static const cli_option_t swarm_options[] = {
    {"p", 0, "P", "probability that a kind is on (default 0.5; 0 < P <= 1)",
     offsetof(swarm_args_t, p_on), swarm_parse_p},
    {"list", 0, NULL, "print the cases (seed, id, repro line), run nothing",
     offsetof(swarm_args_t, list), NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static cli_command_fn swarm_main;

static const cli_command_t swarm_command = {
    .name = "swarm",
    .usage = "SCENARIO --seeds A..B [options]",
    .about_fn = swarm_about,
    .shared = CLI_OPT_BATCH | CLI_OPT_SEEDS,
    .required = "seeds",
    .options = swarm_options,
    .notes = "On stdout: each damaging case with its repro line, the table per kind, then\n"
             "the counts. With --json, stdout is one JSON document (the cases, the counts,\n"
             "and the verdict: the damaging cases' positions) and the rest goes to stderr.\n"
             "\n"
             "The file must stand for one case (no [matrix] lists).\n"
             "Exit status: 0 no case lost or corrupted data, 1 some did (or a run failed,\n"
             "or the swarm was interrupted), 2 usage or input error.\n",
    .operands = CLI_OPERAND_SCENARIO,
    .run = swarm_main,
};

/* Which kinds are on for this seed, and their settings: all from the seed's own stream. */
static int swarm_draw(const swarm_args_t *a, uint64_t seed, swarm_case_t *sc)
{
    chunksim_rng_t rng;
    (void)chunksim_rng_derive(&rng, seed, "swarm");
    memset(sc, 0, sizeof *sc);
    for (size_t k = 0; k < SWARM_KINDS; k++) {
        /* Both draws happen whatever --p is, so a kind's settings do not depend on it. */
        bool on = chunksim_rng_uniform(&rng) < a->p_on;
        swarm_draw_t d = {0};
        const swarm_kind_t *kind = &swarm_kinds[k];
        if (kind->draw != NULL)
            kind->draw(&rng, &d);
        else
            swarm_rule_rate(&d, kind->name, swarm_log_uniform(&rng, kind->lo, kind->hi));
        sc->on[k] = on;
        for (size_t i = 0; on && i < d.count; i++) {
            if ((sc->sets[sc->set_count] = strdup(d.text[i])) == NULL)
                return -ENOMEM;
            sc->set_count++;
        }
    }
    return 0;
}

typedef struct swarm {
    chunksim_matrix_t m;
    chunksim_matrix_case_t *cases;
    swarm_case_t *draws;
    size_t count;
} swarm_t;

static void swarm_free(swarm_t *s)
{
    for (size_t i = 0; s->draws != NULL && i < s->count; i++) {
        for (size_t k = 0; k < s->draws[i].set_count; k++)
            free(s->draws[i].sets[k]);
    }
    free(s->draws);
    free(s->cases);
    chunksim_matrix_free(&s->m);
}

/* The file (one case) and the seeds, before any draw. */
static int swarm_matrix(const swarm_args_t *a, swarm_t *s, chunksim_seed_range_t **ranges,
                        size_t *nranges, uint64_t *nseeds)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    if (chunksim_matrix_seeds_parse(a->common.seeds, ranges, nranges, nseeds, err, sizeof err) <
        0) {
        fprintf(stderr, "chunksim swarm: --seeds %s: %s\n", a->common.seeds, err);
        return CLI_EXIT_USAGE;
    }
    const chunksim_matrix_config_t cfg = {.sets = a->common.sets, .set_count = a->common.set_count};
    if (campaign_matrix_of_file(&s->m, &cfg, "swarm", a->file,
                                "a swarm takes a file of one case and draws the rest") != 0)
        return CLI_EXIT_USAGE;
    if (*nseeds > SWARM_MAX_CASES) {
        fprintf(stderr, "chunksim swarm: %" PRIu64 " seeds; at most %u in one swarm\n", *nseeds,
                SWARM_MAX_CASES);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* One hand-made case per seed: the file's case, the seed, the draws. */
static int swarm_build(const swarm_args_t *a, swarm_t *s)
{
    chunksim_seed_range_t *ranges = NULL;
    size_t nranges = 0;
    uint64_t nseeds = 0;
    int rc = swarm_matrix(a, s, &ranges, &nranges, &nseeds);
    if (rc == 0) {
        s->cases = calloc(nseeds ? nseeds : 1, sizeof *s->cases);
        s->draws = calloc(nseeds ? nseeds : 1, sizeof *s->draws);
        rc = s->cases == NULL || s->draws == NULL ? CLI_EXIT_USAGE : 0;
    }
    chunksim_matrix_case_t base;
    if (rc == 0)
        (void)chunksim_matrix_case(&s->m, 0, &base);
    for (size_t r = 0; rc == 0 && r < nranges; r++) {
        for (uint64_t seed = ranges[r].first;; seed++) {
            swarm_case_t *d = &s->draws[s->count];
            chunksim_matrix_case_t *c = &s->cases[s->count];
            if (swarm_draw(a, seed, d) < 0 ||
                base.set_count + d->set_count > CHUNKSIM_MATRIX_SETS_MAX) {
                fprintf(stderr, "chunksim swarm: seed %" PRIu64 ": too many overrides\n", seed);
                rc = CLI_EXIT_USAGE;
                break;
            }
            *c = base;
            c->index = s->count++;
            c->has_seed = true;
            c->seed = seed;
            for (size_t k = 0; k < d->set_count; k++)
                c->sets[c->set_count++] = d->sets[k];
            chunksim_matrix_case_set_id(c);
            if (seed == ranges[r].last)
                break;
        }
    }
    free(ranges);
    return rc;
}

static void swarm_list(const swarm_t *s)
{
    char repro[4096];
    for (size_t i = 0; i < s->count; i++) {
        chunksim_matrix_case_repro(&s->cases[i], repro, sizeof repro);
        printf("%" PRIu64 " %s %s\n", s->cases[i].seed, s->cases[i].id, repro);
    }
}

/* Per kind: in how many cases it was on, and in how many of the damaging ones. */
static void swarm_kind_table(const swarm_t *s, const cli_batch_t *b, FILE *out)
{
    fprintf(out, "%-14s %8s %8s\n", "kind", "on", "damage");
    for (size_t k = 0; k < SWARM_KINDS; k++) {
        size_t on = 0, bad = 0;
        for (size_t i = 0; i < s->count; i++) {
            if (!s->draws[i].on[k] || !b->results[i].ran)
                continue;
            on++;
            bad += campaign_outcome_is_damage(b->results[i].outcome);
        }
        fprintf(out, "%-14s %8zu %8zu\n", swarm_kinds[k].name, on, bad);
    }
}

/* The two things a swarm's report needs besides the batch. */
typedef struct swarm_hunt {
    const swarm_args_t *a;
    const swarm_t *s;
} swarm_hunt_t;

static int swarm_report(const cli_batch_t *b, const void *ctx, FILE *out)
{
    const swarm_args_t *a = ((const swarm_hunt_t *)ctx)->a;
    const swarm_t *s = ((const swarm_hunt_t *)ctx)->s;
    size_t damage = 0, max = a->common.max_failures;
    char repro[4096];
    for (size_t i = 0; i < s->count; i++) {
        const cli_batch_result_t *r = &b->results[i];
        if (!campaign_case_is_damage(r))
            continue;
        if (damage++ >= max && max != 0)
            continue;
        chunksim_matrix_case_repro(&s->cases[i], repro, sizeof repro);
        fprintf(out, "%s case %s seed %" PRIu64 ": %s\n  %s\n",
                r->rc < 0 ? "ERROR" : chunksim_outcome_name(r->outcome), r->id, r->seed,
                r->reason ? r->reason : "", repro);
    }
    if (max != 0 && damage > max)
        fprintf(out, "... and %zu more (--max-failures 0 lists all)\n", damage - max);
    swarm_kind_table(s, b, out);
    fprintf(out, "cases that lose or corrupt data or break the contract: %zu of %zu\n", damage,
            b->done);
    return damage > 0 || b->interrupted || b->not_run > 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

/* --json: the damaging cases, as the text report counts them. */
static json_t *swarm_verdict(const cli_batch_t *b, const void *ctx)
{
    const swarm_t *s = ((const swarm_hunt_t *)ctx)->s;
    json_t *bad = json_array();
    for (size_t i = 0; i < s->count; i++) {
        const cli_batch_result_t *r = &b->results[i];
        if (r->ran && (campaign_outcome_is_damage(r->outcome) || r->rc < 0))
            json_array_append_new(bad, json_integer((json_int_t)i));
    }
    return json_pack("{s:o}", "damaging_cases", bad);
}

static int swarm_execute(const swarm_args_t *a, const swarm_t *s)
{
    cli_batch_config_t cfg = cli_batch_config_of(&a->common, "chunksim swarm");
    cfg.matrix = &s->m;
    cfg.hand_cases = s->cases;
    cfg.case_count = s->count;
    cfg.hide_failures = true; /* the hunt reports the damaging cases itself */
    const swarm_hunt_t ctx = {.a = a, .s = s};
    const campaign_hunt_t hunt = {.report = swarm_report, .verdict = swarm_verdict, .ctx = &ctx};
    return campaign_hunt_run(&cfg, &a->common, &hunt);
}

static int swarm_main(const cli_call_t *call)
{
    swarm_args_t *a = call->own;
    a->file = call->ops[0];
    swarm_t s = {0};
    int rc = swarm_build(a, &s);
    if (rc == 0 && a->list)
        swarm_list(&s);
    else if (rc == 0)
        rc = swarm_execute(a, &s);
    swarm_free(&s);
    return rc;
}

int cli_swarm(int argc, char **argv)
{
    swarm_args_t a = {.p_on = 0.5};
    return cli_command_main(&swarm_command, argc, argv, &a.common, &a);
}
