/*
 * Fault rules: "KIND [trigger] [on=read|program|erase] [params]", one per
 * `fault =` line. Which triggers, filters and parameters make sense depends
 * on the kind; the table below says so once and the parser enforces it.
 */
#include "scenario_internal.h"

#include "flashmodel/fault.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TRIG(t)      (1u << CHUNKSIM_TRIGGER_##t)
#define ALL_TRIGGERS 0x7Fu
#define OPS_ALL      (CHUNKSIM_ON_READ | CHUNKSIM_ON_PROGRAM | CHUNKSIM_ON_ERASE)

enum fault_param { PARAM_DELAY = 1, PARAM_FLIPS = 2, PARAM_CYCLES = 4 };

/* The flash model's own limit, so that a rule that loads also runs (beyond it a
 * read is not bit-flipped but garbage). */
#define FLIPS_MAX    FLASHMODEL_MAX_FLIPS
#define CYCLES_MAX   1000000000u
#define DELAY_MAX_US 86400000000ull /* one day */

struct fault_kind_info {
    const char *name;
    unsigned ops;      /* chunksim_op_filter_t bits the kind applies to */
    unsigned triggers; /* TRIG() bits allowed */
    unsigned params;   /* enum fault_param bits allowed */
    unsigned required; /* ... and required */
};

static const struct fault_kind_info fault_kinds[CHUNKSIM_FAULT_KIND_COUNT] = {
    [CHUNKSIM_FAULT_READ_ERROR] = {"read_error", CHUNKSIM_ON_READ, ALL_TRIGGERS, 0, 0},
    [CHUNKSIM_FAULT_READ_TIMEOUT] = {"read_timeout", CHUNKSIM_ON_READ, ALL_TRIGGERS, 0, 0},
    [CHUNKSIM_FAULT_READ_LATE] = {"read_late", CHUNKSIM_ON_READ, ALL_TRIGGERS, PARAM_DELAY,
                                  PARAM_DELAY},
    [CHUNKSIM_FAULT_BITFLIP] = {"bitflip", CHUNKSIM_ON_READ, ALL_TRIGGERS, PARAM_FLIPS, 0},
    /* Stuck bits live somewhere: the range says where. */
    [CHUNKSIM_FAULT_STUCK_BIT] = {"stuck_bit", CHUNKSIM_ON_READ, TRIG(ADDR), PARAM_FLIPS, 0},
    [CHUNKSIM_FAULT_PROGRAM_FAIL] = {"program_fail", CHUNKSIM_ON_PROGRAM, ALL_TRIGGERS, 0, 0},
    [CHUNKSIM_FAULT_ERASE_FAIL] = {"erase_fail", CHUNKSIM_ON_ERASE, ALL_TRIGGERS, 0, 0},
    [CHUNKSIM_FAULT_SILENT_PROGRAM] = {"silent_program", CHUNKSIM_ON_PROGRAM, ALL_TRIGGERS, 0, 0},
    [CHUNKSIM_FAULT_SILENT_ERASE] = {"silent_erase", CHUNKSIM_ON_ERASE, ALL_TRIGGERS, 0, 0},
    [CHUNKSIM_FAULT_BAD_SECTOR] = {"bad_sector", CHUNKSIM_ON_PROGRAM | CHUNKSIM_ON_ERASE,
                                   TRIG(ADDR), 0, 0},
    /* Wear is per sector and cumulative: only "everywhere" or "in this range" mean anything. */
    [CHUNKSIM_FAULT_WEAR_OUT] = {"wear_out", CHUNKSIM_ON_ERASE, TRIG(ALWAYS) | TRIG(ADDR),
                                 PARAM_CYCLES, PARAM_CYCLES},
    [CHUNKSIM_FAULT_TORN_PROGRAM] = {"torn_program", CHUNKSIM_ON_PROGRAM, ALL_TRIGGERS, 0, 0},
    [CHUNKSIM_FAULT_MISDIRECTED_WRITE] = {"misdirected_write", CHUNKSIM_ON_PROGRAM, ALL_TRIGGERS, 0,
                                          0},
    /* Power is lost once: a rate or a range would cut it over and over. */
    [CHUNKSIM_FAULT_POWER_LOSS] = {"power_loss", OPS_ALL, TRIG(OP) | TRIG(AT_US), 0, 0},
};

static const char *const trigger_names[] = {"always", "rate",  "op",       "from_op",
                                            "addr",   "at_us", "after_us", NULL};
static const char *const op_names[] = {"read", "program", "erase", NULL};

const char *chunksim_fault_kind_name(chunksim_fault_kind_t kind)
{
    return (unsigned)kind < CHUNKSIM_FAULT_KIND_COUNT ? fault_kinds[kind].name : "?";
}

const char *chunksim_fault_trigger_name(chunksim_fault_trigger_t trigger)
{
    return (unsigned)trigger <= CHUNKSIM_TRIGGER_AFTER_US ? trigger_names[trigger] : "?";
}

unsigned chunksim__scenario_fault_ops(chunksim_fault_kind_t kind)
{
    return (unsigned)kind < CHUNKSIM_FAULT_KIND_COUNT ? fault_kinds[kind].ops : 0;
}

static void kinds_list(char *buf, size_t len)
{
    const char *names[CHUNKSIM_FAULT_KIND_COUNT + 1];
    for (int k = 0; k < CHUNKSIM_FAULT_KIND_COUNT; k++)
        names[k] = fault_kinds[k].name;
    names[CHUNKSIM_FAULT_KIND_COUNT] = NULL;
    chunksim__scenario_words_join(names, buf, len);
}

/* "op=N or at_us=T" for the kind's allowed triggers. */
static void triggers_list(unsigned allowed, char *buf, size_t len)
{
    static const char *const forms[] = {"",           "rate=P",  "op=N",      "from_op=N",
                                        "addr=LO-HI", "at_us=T", "after_us=T"};
    const char *names[8];
    int n = 0;
    for (int t = 1; t <= CHUNKSIM_TRIGGER_AFTER_US; t++) {
        if (allowed & (1u << t))
            names[n++] = forms[t];
    }
    names[n] = NULL;
    chunksim__scenario_words_join(names, buf, len);
}

/* "program and erase operations": the kind's operations by their on= names. */
static void ops_text(unsigned ops, char *buf, size_t len)
{
    int used = ops == OPS_ALL ? snprintf(buf, len, "all") : 0;
    for (unsigned op = 0; ops != OPS_ALL && op_names[op] != NULL; op++) {
        if (ops & (1u << op))
            used +=
                snprintf(buf + used, len - (size_t)used, "%s%s", used ? " and " : "", op_names[op]);
    }
    snprintf(buf + used, len - (size_t)used, " operations");
}

/* "LO-HI" or "ADDR", each hex (0x...) or decimal, inclusive. */
static int parse_addr_range(const char *s, uint32_t *first, uint32_t *last)
{
    char lo[32], hi[32];
    const char *dash = strchr(s, '-');
    size_t lo_len = dash != NULL ? (size_t)(dash - s) : strlen(s);
    const char *hi_s = dash != NULL ? dash + 1 : s;
    if (lo_len == 0 || lo_len >= sizeof lo || strlen(hi_s) >= sizeof hi)
        return -1;
    memcpy(lo, s, lo_len);
    lo[lo_len] = '\0';
    strcpy(hi, hi_s);
    uint64_t a, b;
    if (chunksim__scenario_parse_scaled(lo, SCENARIO_UNIT_NONE, &a) != 0 ||
        chunksim__scenario_parse_scaled(hi, SCENARIO_UNIT_NONE, &b) != 0 || a > b || b > UINT32_MAX)
        return -1;
    *first = (uint32_t)a;
    *last = (uint32_t)b;
    return 0;
}

struct fault_parse {
    chunksim_fault_rule_t *rule;
    const struct fault_kind_info *info;
    unsigned params_seen;
    bool on_seen;
    const char *trigger_token; /* as written, for messages */
    char *why;
    size_t whylen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct fault_parse *fp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fp->why, fp->whylen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int parse_trigger(struct fault_parse *fp, int trigger, const char *key, const char *value)
{
    chunksim_fault_rule_t *r = fp->rule;
    if (fp->trigger_token != NULL)
        return fail(fp, "one trigger per rule: %s= and %s= both given", fp->trigger_token, key);
    fp->trigger_token = key;
    r->trigger = (chunksim_fault_trigger_t)trigger;
    uint64_t v;
    switch (r->trigger) {
    case CHUNKSIM_TRIGGER_RATE:
        if (chunksim__scenario_parse_double(value, &r->rate) < 0 || r->rate < 0 || r->rate > 1)
            return fail(fp, "rate=%s: must be a probability from 0 to 1", value);
        return 0;
    case CHUNKSIM_TRIGGER_OP:
    case CHUNKSIM_TRIGGER_FROM_OP:
        if (chunksim__scenario_parse_scaled(value, SCENARIO_UNIT_NONE, &v) != 0 || v > INT64_MAX)
            return fail(fp, "%s=%s: must be an operation index (0 is the first)", key, value);
        r->op_index = v;
        return 0;
    case CHUNKSIM_TRIGGER_ADDR:
        if (parse_addr_range(value, &r->addr_first, &r->addr_last) < 0)
            return fail(fp,
                        "addr=%s: must be FIRST-LAST or ADDR, hex (0x...) or decimal, FIRST <= "
                        "LAST < 2^32",
                        value);
        return 0;
    default: /* AT_US, AFTER_US */
        if (chunksim__scenario_parse_scaled(value, SCENARIO_UNIT_US, &v) != 0 || v > DELAY_MAX_US)
            return fail(fp, "%s=%s: must be a time in microseconds (suffixes us, ms, s)", key,
                        value);
        r->time_us = v;
        return 0;
    }
}

static int parse_param(struct fault_parse *fp, unsigned param, const char *key, const char *value)
{
    chunksim_fault_rule_t *r = fp->rule;
    if (fp->params_seen & param)
        return fail(fp, "%s= given twice", key);
    fp->params_seen |= param;
    if (!(fp->info->params & param))
        return fail(fp, "%s does not take %s=", fp->info->name, key);
    uint64_t v;
    if (param == PARAM_DELAY) {
        if (chunksim__scenario_parse_scaled(value, SCENARIO_UNIT_US, &v) != 0 || v == 0 ||
            v > DELAY_MAX_US)
            return fail(
                fp, "delay_us=%s: must be a delay of at least 1 microsecond (suffixes us, ms, s)",
                value);
        r->delay_us = v;
    } else if (param == PARAM_FLIPS) {
        if (chunksim__scenario_parse_scaled(value, SCENARIO_UNIT_NONE, &v) != 0 || v == 0 ||
            v > FLIPS_MAX)
            return fail(fp, "flips=%s: must be a bit count from 1 to %u", value, FLIPS_MAX);
        r->flips = (uint32_t)v;
    } else {
        if (chunksim__scenario_parse_scaled(value, SCENARIO_UNIT_NONE, &v) != 0 || v == 0 ||
            v > CYCLES_MAX)
            return fail(fp, "cycles=%s: must be an erase cycle count from 1 to 1000000000", value);
        r->cycles = (uint32_t)v;
    }
    return 0;
}

static int parse_on(struct fault_parse *fp, const char *value)
{
    if (fp->on_seen)
        return fail(fp, "on= given twice");
    fp->on_seen = true;
    int op = chunksim__scenario_parse_word(value, op_names);
    if (op < 0)
        return fail(fp, "on=%s: must be read, program or erase", value);
    unsigned bit = 1u << op;
    if (!(fp->info->ops & bit)) {
        char ops[64];
        ops_text(fp->info->ops, ops, sizeof ops);
        return fail(fp, "on=%s: %s applies to %s only", value, fp->info->name, ops);
    }
    fp->rule->on = (chunksim_op_filter_t)bit;
    return 0;
}

static int parse_token(struct fault_parse *fp, char *token)
{
    char *eq = strchr(token, '=');
    if (eq == NULL || eq == token)
        return fail(fp, "\"%s\": expected name=value after the fault kind", token);
    *eq = '\0';
    const char *key = token, *value = eq + 1;
    int trigger = chunksim__scenario_parse_word(key, trigger_names);
    if (trigger > 0)
        return parse_trigger(fp, trigger, key, value);
    if (strcmp(key, "on") == 0)
        return parse_on(fp, value);
    if (strcmp(key, "delay_us") == 0)
        return parse_param(fp, PARAM_DELAY, key, value);
    if (strcmp(key, "flips") == 0)
        return parse_param(fp, PARAM_FLIPS, key, value);
    if (strcmp(key, "cycles") == 0)
        return parse_param(fp, PARAM_CYCLES, key, value);
    return fail(fp,
                "unknown fault setting %s= (triggers: rate, op, from_op, addr, at_us, after_us; "
                "filter: on; parameters: delay_us, flips, cycles)",
                key);
}

/* The combination rules that single tokens cannot check. */
static int check_rule(struct fault_parse *fp)
{
    const struct fault_kind_info *info = fp->info;
    char list[160];
    unsigned trig = 1u << fp->rule->trigger;
    if (!(info->triggers & trig)) {
        triggers_list(info->triggers, list, sizeof list);
        if (fp->trigger_token == NULL)
            return fail(fp, "%s needs a trigger: %s", info->name, list);
        return fail(fp, "%s does not take %s=; it takes %s%s", info->name, fp->trigger_token, list,
                    (info->triggers & TRIG(ALWAYS)) ? " or no trigger" : "");
    }
    unsigned missing = info->required & ~fp->params_seen;
    if (missing & PARAM_DELAY)
        return fail(fp, "%s needs delay_us=D (how late the completion arrives)", info->name);
    if (missing & PARAM_CYCLES)
        return fail(fp, "%s needs cycles=N (erase cycles a sector survives)", info->name);
    return 0;
}

static int parse_fault_tokens(char *buf, chunksim_fault_rule_t *out, char *why, size_t whylen)
{
    char *save = NULL;
    char *kind = strtok_r(buf, " \t", &save);
    char kinds[300];
    int k = -1;
    for (int i = 0; kind != NULL && i < CHUNKSIM_FAULT_KIND_COUNT; i++) {
        if (strcasecmp(kind, fault_kinds[i].name) == 0)
            k = i;
    }
    if (k < 0) {
        kinds_list(kinds, sizeof kinds);
        chunksim__scenario_format(why, whylen, "%s%s%smust start with a fault kind: %s",
                                  kind != NULL ? "\"" : "", kind != NULL ? kind : "",
                                  kind != NULL ? "\" is not a fault kind; " : "", kinds);
        return -EINVAL;
    }
    chunksim_fault_rule_t rule = {.kind = (chunksim_fault_kind_t)k, .flips = 1};
    struct fault_parse fp = {.rule = &rule, .info = &fault_kinds[k], .why = why, .whylen = whylen};
    for (char *tok = strtok_r(NULL, " \t", &save); tok != NULL;
         tok = strtok_r(NULL, " \t", &save)) {
        int rc = parse_token(&fp, tok);
        if (rc < 0)
            return rc;
    }
    int rc = check_rule(&fp);
    if (rc < 0)
        return rc;
    *out = rule;
    return 0;
}

int chunksim__scenario_parse_fault(const char *s, chunksim_fault_rule_t *out, char *why,
                                   size_t whylen)
{
    char *buf = strdup(s); /* strtok_r cuts it up */
    if (buf == NULL)
        return -ENOMEM;
    int rc = parse_fault_tokens(buf, out, why, whylen);
    free(buf);
    return rc;
}
