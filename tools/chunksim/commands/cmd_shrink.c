/*
 * chunksim shrink: given a failing case, search for a smaller case that
 * fails with the same outcome, as property-based testing tools shrink their
 * counterexamples. A case is the scenario file, its overrides and a seed;
 * the search works on its fault rules (the file's and the overrides'), its
 * other overrides, the cut points and rates of its rules, the coredump size,
 * the window and the seed, greedily: it keeps every step that still fails
 * the same way and stops when a whole round changes nothing.
 *
 * Each candidate runs in this process (or, with --glue, in a child process
 * per run as `chunksim run --glue` does), recorded nowhere.
 */
#include "campaign.h"
#include "cli.h"
#include "options.h"

#include "chunksim/glue.h"
#include "chunksim/matrix.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define SHRINK_TEXT_BYTES 256
#define SHRINK_MAX_ITEMS  (CHUNKSIM_MATRIX_SETS_MAX / 2)
/* Default bound on candidate runs. */
#define SHRINK_MAX_RUNS 400
/* Sizes and windows the search does not go past. */
#define SHRINK_MIN_COREDUMP_BYTES 64u
#define SHRINK_MAX_WINDOW_BYTES   (1u << 20)

/* A candidate: overrides other than fault rules, the fault rules in effect, the seed. */
typedef struct shrink_cand {
    char sets[SHRINK_MAX_ITEMS][SHRINK_TEXT_BYTES];
    size_t nsets;
    char rules[SHRINK_MAX_ITEMS][SHRINK_TEXT_BYTES]; /* rule text, without "faults.fault=" */
    size_t nrules;
    uint64_t seed;
} shrink_cand_t;

typedef struct {
    const char *file;
    cli_common_t common;
    const char *id;
    const char *glue;
    unsigned max_runs;
} shrink_args_t;

typedef struct shrink {
    const shrink_args_t *a;
    chunksim_matrix_t m;
    chunksim_matrix_case_t orig;
    char file_rules[SHRINK_MAX_ITEMS][SHRINK_TEXT_BYTES];
    size_t nfile_rules;
    chunksim_outcome_t target;
    chunksim_glue_t glue;
    bool have_glue;
    unsigned runs;
    /* Scratch for the case of the last candidate (its strings point here). */
    char case_text[CHUNKSIM_MATRIX_SETS_MAX][SHRINK_TEXT_BYTES + 16];
} shrink_t;

static void shrink_about(FILE *out)
{
    fprintf(out,
            "Takes one failing case (the file with --seed and --set, or the case ID of the\n"
            "file's matrix, as 'chunksim matrix' printed it) and searches for a smaller one\n"
            "that still fails with the same outcome. Steps, each kept only when the run\n"
            "still fails the same way, repeated until a whole round changes nothing:\n"
            "  - drop a fault rule (the file's own rules count too)\n"
            "  - drop an override\n"
            "  - cut earlier: op=N / from_op=N of a rule to 0, N/2 or N-1\n"
            "  - a rule with rate=P on every operation instead (no draws to depend on)\n"
            "  - a rule on every operation on one only (op=0, then earlier cuts apply)\n"
            "  - halve a rule's rate\n"
            "  - halve the coredump (coredump.size_bytes), down to %u bytes\n"
            "  - double the window (reader.window_bytes), up to 1 MiB\n"
            "  - seed 1\n"
            "Prints the smallest case found, its id and the command that reproduces it.\n"
            "--set gives the case's overrides, in order; --seeds the matrix's seeds, to\n"
            "find --case ID.\n",
            SHRINK_MIN_COREDUMP_BYTES);
}

static int shrink_parse_max_runs(const cli_value_t *v, void *field)
{
    const char *value = v->text;
    char *end;
    errno = 0;
    unsigned long n = strtoul(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || value[0] == '-' || n < 1 || n > 1000000) {
        return cli_options_refuse(v, "expected 1 to 1000000");
    }
    *(unsigned *)field = (unsigned)n;
    return 0;
}

#define SHRINK_STR_(x) #x
#define SHRINK_STR(x)  SHRINK_STR_(x)

static const cli_option_t shrink_options[] = {
    {"case", 0, "ID",
     "a case of the file's [matrix], by id or name (with the\n"
     "same --seeds and --set as when it was listed)",
     offsetof(shrink_args_t, id), NULL},
    {"glue", 0, "LIB.so",
     "run your glue in place of the built-in reader (as\n"
     "'chunksim run --glue'; one child process per run)",
     offsetof(shrink_args_t, glue), NULL},
    {"max-runs", 0, "N", "give up after N candidate runs (default " SHRINK_STR(SHRINK_MAX_RUNS) ")",
     offsetof(shrink_args_t, max_runs), shrink_parse_max_runs},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static cli_command_fn shrink_check, shrink_main;

static const cli_command_t shrink_command = {
    .name = "shrink",
    .usage = "SCENARIO [--seed N] [--set KEY=VALUE]... [options]\n"
             "       chunksim shrink SCENARIO --case ID [--seeds LIST] [--set ...] [options]",
    .about_fn = shrink_about,
    .shared = CLI_OPT_SEED | CLI_OPT_SEEDS | CLI_OPT_SET | CLI_OPT_QUIET,
    .options = shrink_options,
    .notes = "With -q, no line per step on stderr.\n"
             "Exit status: 1 the case fails (the smallest failing case is printed), 0 it\n"
             "passes (nothing to shrink), 2 usage or input error.\n",
    .operands = CLI_OPERAND_SCENARIO,
    .check = shrink_check,
    .run = shrink_main,
};

static int shrink_check(const cli_call_t *call)
{
    shrink_args_t *a = call->own;
    const char *why = a->common.seed && a->common.seeds ? "--seed and --seeds: give one"
                      : a->common.seeds && !a->id       ? "--seeds only goes with --case ID"
                                                        : NULL;
    if (why != NULL) {
        cli_options_usage_error(&shrink_command, stderr, "%s", why);
        return CLI_EXIT_USAGE;
    }
    a->file = call->ops[0];
    return 0;
}

/* ---- the case as candidate, and back ---------------------------------- */

static void shrink_trim(char *s)
{
    char *p = s;
    while (*p == ' ' || *p == '\t')
        p++;
    memmove(s, p, strlen(p) + 1);
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static void shrink_rule_add(char (*rules)[SHRINK_TEXT_BYTES], size_t *n, const char *text)
{
    if (strcmp(text, "none") == 0) {
        *n = 0;
    } else if (*n < SHRINK_MAX_ITEMS) {
        snprintf(rules[(*n)++], SHRINK_TEXT_BYTES, "%s", text);
    }
}

/* The [faults] rules of the file as written (its text is kept verbatim). */
static void shrink_file_rules(shrink_t *s)
{
    const char *text = chunksim_scenario_text(&s->m.files[s->orig.file].base);
    bool in_faults = false;
    while (text != NULL && *text != '\0') {
        const char *eol = strchr(text, '\n');
        size_t len = eol ? (size_t)(eol - text) : strlen(text);
        char line[SHRINK_TEXT_BYTES];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), text);
        shrink_trim(line);
        if (line[0] == '[') {
            in_faults = strncmp(line, "[faults]", 8) == 0;
        } else if (in_faults && strncmp(line, "fault", 5) == 0) {
            char *eq = strchr(line, '=');
            char *cut = eq ? strstr(eq, " ;") : NULL;
            if (cut == NULL && eq != NULL)
                cut = strstr(eq, "\t;");
            if (cut != NULL)
                *cut = '\0';
            if (eq != NULL) {
                shrink_trim(++eq);
                shrink_rule_add(s->file_rules, &s->nfile_rules, eq);
            }
        }
        text = eol ? eol + 1 : NULL;
    }
}

/* The original case as a candidate: the rules in effect after its overrides. */
static int shrink_from_case(shrink_t *s, shrink_cand_t *cand)
{
    memset(cand, 0, sizeof *cand);
    memcpy(cand->rules, s->file_rules, sizeof s->file_rules);
    cand->nrules = s->nfile_rules;
    for (size_t i = 0; i < s->orig.set_count; i++) {
        const char *set = s->orig.sets[i];
        if (strncmp(set, "faults.fault=", 13) == 0) {
            shrink_rule_add(cand->rules, &cand->nrules, set + 13);
        } else if (cand->nsets < SHRINK_MAX_ITEMS) {
            snprintf(cand->sets[cand->nsets++], SHRINK_TEXT_BYTES, "%s", set);
        }
    }
    chunksim_scenario_t sc;
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    if (chunksim_matrix_case_load(&s->m, &s->orig, &sc, err, sizeof err) < 0) {
        fprintf(stderr, "chunksim shrink: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    cand->seed = sc.run.seed;
    chunksim_scenario_free(&sc);
    return 0;
}

static bool shrink_same_rules(const shrink_t *s, const shrink_cand_t *cand)
{
    if (cand->nrules != s->nfile_rules)
        return false;
    for (size_t i = 0; i < cand->nrules; i++) {
        if (strcmp(cand->rules[i], s->file_rules[i]) != 0)
            return false;
    }
    return true;
}

/* The candidate as a case: its overrides, then (when they differ from the file's) the rules. */
static void shrink_to_case(shrink_t *s, const shrink_cand_t *cand, chunksim_matrix_case_t *c)
{
    *c = s->orig;
    c->set_count = 0;
    c->has_seed = true;
    c->seed = cand->seed;
    for (size_t i = 0; i < cand->nsets; i++)
        c->sets[c->set_count++] = cand->sets[i];
    if (!shrink_same_rules(s, cand)) {
        if (s->nfile_rules > 0)
            c->sets[c->set_count++] = "faults.fault=none";
        for (size_t i = 0; i < cand->nrules; i++) {
            snprintf(s->case_text[i], sizeof s->case_text[i], "faults.fault=%s", cand->rules[i]);
            c->sets[c->set_count++] = s->case_text[i];
        }
    }
    chunksim_matrix_case_set_id(c);
}

/* ---- running candidates ------------------------------------------------ */

/* Runs c; false when it does not load or run (such a candidate is simply not taken). */
static bool shrink_run(shrink_t *s, const chunksim_matrix_case_t *c, chunksim_run_result_t *res)
{
    chunksim_scenario_t sc;
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    if (chunksim_matrix_case_load(&s->m, c, &sc, err, sizeof err) < 0)
        return false;
    s->runs++;
    int rc;
    if (s->have_glue) {
        const chunksim_glue_run_options_t gopts = {.timeout_s = CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT};
        rc = chunksim_glue_run(&s->glue, &sc, &gopts, res);
    } else {
        const chunksim_run_options_t opts = {0};
        rc = chunksim_run(&sc, &opts, res);
    }
    chunksim_scenario_free(&sc);
    return rc == 0;
}

/* Whether the candidate still fails with the target outcome. */
static bool shrink_try(shrink_t *s, const shrink_cand_t *cand, const char *step)
{
    if (s->runs >= s->a->max_runs)
        return false;
    chunksim_matrix_case_t c;
    chunksim_run_result_t res;
    shrink_to_case(s, cand, &c);
    bool keep = shrink_run(s, &c, &res) && !res.passed && res.outcome == s->target;
    if (keep && !s->a->common.quiet)
        fprintf(stderr, "chunksim shrink: run %u: %s: still %s\n", s->runs, step,
                chunksim_outcome_name(res.outcome));
    return keep;
}

/* ---- the steps --------------------------------------------------------- */

static void shrink_remove(char (*items)[SHRINK_TEXT_BYTES], size_t *n, size_t i)
{
    memmove(items[i], items[i + 1], (*n - i - 1) * sizeof items[0]);
    (*n)--;
}

/*
 * Whether next is no bigger than cur in what the size steps shrink: dropping
 * the override they set must not undo them (the search would go round).
 */
static bool shrink_no_bigger(shrink_t *s, const shrink_cand_t *cur, const shrink_cand_t *next);

/* The list a drop step walks in c: its --set overrides, or its fault rules. */
static char (*shrink_items(shrink_cand_t *c, bool sets, size_t **n))[SHRINK_TEXT_BYTES]
{
    *n = sets ? &c->nsets : &c->nrules;
    return sets ? c->sets : c->rules;
}

/* Drops each item of one list, last first, keeping every drop that still fails. */
static bool step_drop_each(shrink_t *s, shrink_cand_t *cand, bool sets)
{
    bool changed = false;
    size_t *n;
    char(*items)[SHRINK_TEXT_BYTES] = shrink_items(cand, sets, &n);
    for (size_t i = *n; i-- > 0;) {
        shrink_cand_t next = *cand;
        size_t *next_n;
        char step[SHRINK_TEXT_BYTES + 32];
        snprintf(step, sizeof step, "%s %s", sets ? "without --set" : "without fault", items[i]);
        char(*next_items)[SHRINK_TEXT_BYTES] = shrink_items(&next, sets, &next_n);
        shrink_remove(next_items, next_n, i);
        if ((!sets || shrink_no_bigger(s, cand, &next)) && shrink_try(s, &next, step)) {
            *cand = next;
            changed = true;
        }
    }
    return changed;
}

static bool step_drop_rules(shrink_t *s, shrink_cand_t *cand)
{
    return step_drop_each(s, cand, false);
}

static bool step_drop_sets(shrink_t *s, shrink_cand_t *cand)
{
    return step_drop_each(s, cand, true);
}

/* Replaces the number after " key=" in rule with text; false if there is none. */
static bool shrink_rule_number(const char *rule, const char *key, char *out, size_t len,
                               const char *value, double *old)
{
    char pat[32];
    snprintf(pat, sizeof pat, " %s=", key);
    const char *at = strstr(rule, pat);
    if (at == NULL)
        return false;
    const char *num = at + strlen(pat);
    char *end;
    *old = strtod(num, &end);
    if (end == num)
        return false;
    if (value != NULL)
        snprintf(out, len, "%.*s%s%s", (int)(num - rule), rule, value, end);
    return true;
}

static bool step_earlier_cuts(shrink_t *s, shrink_cand_t *cand)
{
    static const char *const keys[] = {"op", "from_op"};
    bool changed = false;
    for (size_t i = 0; i < cand->nrules; i++) {
        for (size_t k = 0; k < 2; k++) {
            double n;
            char scratch[SHRINK_TEXT_BYTES];
            if (!shrink_rule_number(cand->rules[i], keys[k], scratch, sizeof scratch, NULL, &n) ||
                n < 1)
                continue;
            uint64_t tries[3] = {0, (uint64_t)n / 2, (uint64_t)n - 1};
            for (size_t t = 0; t < 3; t++) {
                char value[32];
                shrink_cand_t next = *cand;
                snprintf(value, sizeof value, "%" PRIu64, tries[t]);
                shrink_rule_number(cand->rules[i], keys[k], next.rules[i], SHRINK_TEXT_BYTES, value,
                                   &n);
                char step[SHRINK_TEXT_BYTES + 32];
                snprintf(step, sizeof step, "earlier: %s", next.rules[i]);
                if (shrink_try(s, &next, step)) {
                    *cand = next;
                    changed = true;
                    break;
                }
            }
        }
    }
    return changed;
}

/* A rule with rate=P fires on every op it applies to: no draws of its own to depend on. */
static bool step_always(shrink_t *s, shrink_cand_t *cand)
{
    bool changed = false;
    for (size_t i = 0; i < cand->nrules; i++) {
        const char *at = strstr(cand->rules[i], " rate=");
        if (at == NULL)
            continue;
        const char *end = at + 1;
        while (*end != '\0' && *end != ' ')
            end++;
        shrink_cand_t next = *cand;
        snprintf(next.rules[i], SHRINK_TEXT_BYTES, "%.*s%s", (int)(at - cand->rules[i]),
                 cand->rules[i], end);
        char step[SHRINK_TEXT_BYTES + 32];
        snprintf(step, sizeof step, "on every op: %s", next.rules[i]);
        if (shrink_try(s, &next, step)) {
            *cand = next;
            changed = true;
        }
    }
    return changed;
}

static bool shrink_has_trigger(const char *rule)
{
    static const char *const triggers[] = {
        " rate=", " op=", " from_op=", " addr=", " at_us=", " after_us="};
    for (size_t i = 0; i < sizeof triggers / sizeof triggers[0]; i++) {
        if (strstr(rule, triggers[i]) != NULL)
            return true;
    }
    return false;
}

/* A rule on every op it applies to, once instead: on the first op it can fire on. */
static bool step_one_shot(shrink_t *s, shrink_cand_t *cand)
{
    bool changed = false;
    for (size_t i = 0; i < cand->nrules; i++) {
        if (shrink_has_trigger(cand->rules[i]))
            continue;
        shrink_cand_t next = *cand;
        snprintf(next.rules[i], SHRINK_TEXT_BYTES, "%.*s op=0", SHRINK_TEXT_BYTES - 8,
                 cand->rules[i]);
        char step[SHRINK_TEXT_BYTES + 32];
        snprintf(step, sizeof step, "once: %s", next.rules[i]);
        if (shrink_try(s, &next, step)) {
            *cand = next;
            changed = true;
        }
    }
    return changed;
}

static bool step_lower_rates(shrink_t *s, shrink_cand_t *cand)
{
    bool changed = false;
    for (size_t i = 0; i < cand->nrules; i++) {
        double rate;
        char scratch[SHRINK_TEXT_BYTES];
        if (!shrink_rule_number(cand->rules[i], "rate", scratch, sizeof scratch, NULL, &rate) ||
            rate <= 0.001)
            continue;
        char value[32];
        shrink_cand_t next = *cand;
        snprintf(value, sizeof value, "%.3g", rate / 2);
        shrink_rule_number(cand->rules[i], "rate", next.rules[i], SHRINK_TEXT_BYTES, value, &rate);
        char step[SHRINK_TEXT_BYTES + 32];
        snprintf(step, sizeof step, "lower rate: %s", next.rules[i]);
        if (shrink_try(s, &next, step)) {
            *cand = next;
            changed = true;
        }
    }
    return changed;
}

/* Sets key=value in the candidate's overrides, replacing an earlier one. */
static void shrink_set_key(shrink_cand_t *cand, const char *key, const char *value)
{
    size_t klen = strlen(key);
    for (size_t i = cand->nsets; i-- > 0;) {
        if (strncmp(cand->sets[i], key, klen) == 0 && cand->sets[i][klen] == '=')
            shrink_remove(cand->sets, &cand->nsets, i);
    }
    if (cand->nsets < SHRINK_MAX_ITEMS)
        snprintf(cand->sets[cand->nsets++], SHRINK_TEXT_BYTES, "%s=%s", key, value);
}

/* The candidate's scenario, for the values the size steps start from. */
static bool shrink_values(shrink_t *s, const shrink_cand_t *cand, uint32_t *size, uint32_t *window,
                          bool *sync)
{
    chunksim_matrix_case_t c;
    chunksim_scenario_t sc;
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    shrink_to_case(s, cand, &c);
    if (chunksim_matrix_case_load(&s->m, &c, &sc, err, sizeof err) < 0)
        return false;
    *size = sc.coredump.size_bytes;
    *window = sc.reader.window_bytes;
    *sync = sc.reader.kind == CHUNKSIM_READER_SYNC;
    chunksim_scenario_free(&sc);
    return true;
}

static bool shrink_no_bigger(shrink_t *s, const shrink_cand_t *cur, const shrink_cand_t *next)
{
    uint32_t size_cur, window_cur, size_next, window_next;
    bool sync_cur, sync_next;
    if (!shrink_values(s, cur, &size_cur, &window_cur, &sync_cur) ||
        !shrink_values(s, next, &size_next, &window_next, &sync_next))
        return false;
    return size_next <= size_cur && (sync_next || window_next >= window_cur);
}

/* Tries cand with key set to value; on success cand takes it. Whether it did. */
static bool shrink_try_number(shrink_t *s, shrink_cand_t *cand, const char *key, uint32_t value)
{
    char text[32], step[96];
    shrink_cand_t next = *cand;
    snprintf(text, sizeof text, "%" PRIu32, value);
    shrink_set_key(&next, key, text);
    snprintf(step, sizeof step, "%s=%s", key, text);
    if (!shrink_try(s, &next, step))
        return false;
    *cand = next;
    return true;
}

static bool step_smaller_coredump(shrink_t *s, shrink_cand_t *cand)
{
    uint32_t size, window;
    bool sync, changed = false;
    while (shrink_values(s, cand, &size, &window, &sync) && size / 2 >= SHRINK_MIN_COREDUMP_BYTES &&
           shrink_try_number(s, cand, "coredump.size_bytes", size / 2))
        changed = true;
    return changed;
}

static bool step_larger_window(shrink_t *s, shrink_cand_t *cand)
{
    uint32_t size, window;
    bool sync, changed = false;
    while (shrink_values(s, cand, &size, &window, &sync) && !sync &&
           window < SHRINK_MAX_WINDOW_BYTES && window < size &&
           shrink_try_number(s, cand, "reader.window_bytes", window * 2))
        changed = true;
    return changed;
}

static bool step_seed_one(shrink_t *s, shrink_cand_t *cand)
{
    if (cand->seed == 1)
        return false;
    shrink_cand_t next = *cand;
    next.seed = 1;
    if (!shrink_try(s, &next, "seed 1"))
        return false;
    *cand = next;
    return true;
}

static void shrink_search(shrink_t *s, shrink_cand_t *cand)
{
    bool (*const steps[])(shrink_t *, shrink_cand_t *) = {
        step_drop_rules,  step_drop_sets,        step_earlier_cuts,  step_always,   step_one_shot,
        step_lower_rates, step_smaller_coredump, step_larger_window, step_seed_one,
    };
    bool changed = true;
    while (changed && s->runs < s->a->max_runs) {
        changed = false;
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
            changed |= steps[i](s, cand);
    }
}

/* ---- setup and output -------------------------------------------------- */

static int shrink_setup(const shrink_args_t *a, shrink_t *s)
{
    const chunksim_matrix_config_t cfg = {.seeds =
                                              a->common.seed ? a->common.seed : a->common.seeds,
                                          .sets = a->common.sets,
                                          .set_count = a->common.set_count};
    /* With --case the file may stand for many cases: the id picks one. */
    if (campaign_matrix_of_file(&s->m, &cfg, "shrink", a->file,
                                a->id != NULL ? NULL : "name one with --case ID") != 0)
        return CLI_EXIT_USAGE;
    if (a->id != NULL && chunksim_matrix_find(&s->m, a->id, &s->orig) < 0) {
        fprintf(stderr,
                "chunksim shrink: --case %s: no such case in %s (give the same --seeds and --set "
                "as when it was listed)\n",
                a->id, a->file);
        return CLI_EXIT_USAGE;
    }
    if (a->id == NULL)
        (void)chunksim_matrix_case(&s->m, 0, &s->orig);
    if (a->glue != NULL) {
        char err[CHUNKSIM_SCENARIO_ERR_BYTES];
        if (chunksim_glue_open(&s->glue, a->glue, err, sizeof err) < 0) {
            fprintf(stderr, "chunksim shrink: --glue %s\n", err);
            return CLI_EXIT_USAGE;
        }
        s->have_glue = true;
    }
    shrink_file_rules(s);
    return 0;
}

/* The candidate; orig: it is the original case, named by its own id and overrides. */
static void shrink_print(shrink_t *s, const char *what, const shrink_cand_t *cand, bool orig)
{
    chunksim_matrix_case_t c;
    char repro[4096];
    uint32_t size = 0, window = 0;
    bool sync = false;
    shrink_to_case(s, cand, &c);
    if (orig)
        c = s->orig;
    (void)shrink_values(s, cand, &size, &window, &sync);
    chunksim_matrix_case_repro(&c, repro, sizeof repro);
    printf("%s: %zu fault rule(s), %zu other override(s), coredump %" PRIu32 " bytes, ", what,
           cand->nrules, cand->nsets, size);
    if (sync)
        printf("sync reader, ");
    else
        printf("window %" PRIu32 " bytes, ", window);
    printf("seed %" PRIu64 "\n", cand->seed);
    for (size_t i = 0; i < cand->nrules; i++)
        printf("  fault = %s\n", cand->rules[i]);
    printf("  case %s\n  %s%s%s\n", c.id, repro, s->have_glue ? " --glue " : "",
           s->have_glue ? s->glue.path : "");
}

static int shrink_main(const cli_call_t *call)
{
    shrink_args_t *a = call->own;
    shrink_t *s = calloc(1, sizeof *s);
    static shrink_cand_t cand, orig;
    if (s == NULL)
        return CLI_EXIT_USAGE;
    s->a = a;
    int rc = shrink_setup(a, s);
    if (rc == 0)
        rc = shrink_from_case(s, &cand);
    chunksim_run_result_t res;
    chunksim_matrix_case_t c;
    if (rc == 0) {
        c = s->orig;
        if (!shrink_run(s, &c, &res)) {
            fprintf(stderr, "chunksim shrink: the case does not run: %s\n", res.reason);
            rc = CLI_EXIT_USAGE;
        }
    }
    if (rc == 0 && res.passed) {
        printf("case %s passes (%s): nothing to shrink\n", c.id,
               chunksim_outcome_name(res.outcome));
    } else if (rc == 0) {
        s->target = res.outcome;
        orig = cand;
        printf("case %s fails: %s: %s\n", c.id, chunksim_outcome_name(res.outcome), res.reason);
        shrink_print(s, "from", &orig, true);
        shrink_search(s, &cand);
        shrink_print(s, "shrunk", &cand, false);
        printf("%u run(s)%s; the shrunk case still fails: %s\n", s->runs,
               s->runs >= a->max_runs ? " (--max-runs reached)" : "",
               chunksim_outcome_name(s->target));
        rc = CLI_EXIT_FAILED;
    }
    if (s->have_glue)
        chunksim_glue_close(&s->glue);
    chunksim_matrix_free(&s->m);
    free(s);
    return rc;
}

int cli_shrink(int argc, char **argv)
{
    shrink_args_t a = {.max_runs = SHRINK_MAX_RUNS};
    return cli_command_main(&shrink_command, argc, argv, &a.common, &a);
}
