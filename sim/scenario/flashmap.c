/*
 * Scenario onto flash model config. Every scenario form maps to exactly one
 * model form with the same meaning; where the model's vocabulary differs
 * (spikes, on= counting, stuck bits) the conversion is spelled out here.
 */
#include "chunksim/error.h"
#include "chunksim/flashmap.h"
#include "scenario_internal.h"
#include "util_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every refusal of a flash map is an invalid input. */
#define map_fail(...) chunksim_err_format(-EINVAL, __VA_ARGS__)

/* Scenario latencies are fractional us; the model's are whole us, rounded to nearest. */
static uint64_t round_us(double us)
{
    if (!(us > 0)) { /* also NaN */
        return 0;
    }
    return us >= 0x1.0p63 ? UINT64_MAX : (uint64_t)llround(us);
}

/* ---- [flash] ------------------------------------------------------------------ */

/*
 * The scenario names the command by its data lines; the part's formula
 * (part.h) counts the same clocks: 8 instruction + 24 address on one line,
 * dummy cycles, data on 1, 2 or 4 lines. Only the output variants (address on
 * one line) are reachable from a scenario.
 */
static int map_read_mode(flashmodel_config_t *cfg, const chunksim_scenario_t *sc, char *err,
                         size_t errlen)
{
    flashmodel_part_t *p = &cfg->part;
    flashmodel_read_mode_t mode;
    if (sc->flash.read_command == CHUNKSIM_READ_CMD_READ) {
        if (sc->flash.data_lines != 1 || sc->flash.dummy_cycles != 0) {
            return map_fail(err, errlen,
                            "[flash] read_command = read: cannot use %u data lines and %u dummy "
                            "cycles (03h has 1 and 0)",
                            sc->flash.data_lines, sc->flash.dummy_cycles);
        }
        mode = FLASHMODEL_READ_SINGLE;
        p->read_clock_hz = sc->flash.bus_clock_hz;
    } else {
        switch (sc->flash.data_lines) {
        case 1:
            mode = FLASHMODEL_READ_FAST;
            break;
        case 2:
            mode = FLASHMODEL_READ_DUAL_OUT;
            break;
        case 4:
            mode = FLASHMODEL_READ_QUAD_OUT;
            break;
        default:
            return map_fail(err, errlen,
                            "[flash] data_lines = %u: cannot read fast on other than 1, 2 or 4 "
                            "lines",
                            sc->flash.data_lines);
        }
        if (sc->flash.dummy_cycles > UINT8_MAX) {
            return map_fail(err, errlen, "[flash] dummy_cycles = %u: cannot exceed %u",
                            sc->flash.dummy_cycles, UINT8_MAX);
        }
        p->fast_clock_hz = sc->flash.bus_clock_hz;
    }
    p->dummy_cycles[mode] = (uint8_t)sc->flash.dummy_cycles;
    cfg->read_mode = mode;
    return 0;
}

static int map_policies(flashmodel_config_t *cfg, const chunksim_scenario_t *sc, char *err,
                        size_t errlen)
{
    if ((unsigned)sc->flash.busy_policy >= FLASHMODEL_BUSY_POLICY_COUNT) {
        return map_fail(err, errlen, "[flash] busy_policy: unknown policy %d",
                        (int)sc->flash.busy_policy);
    }
    cfg->busy_policy = sc->flash.busy_policy;
    cfg->page_policy = sc->flash.page_wrap ? FLASHMODEL_PAGE_WRAP : FLASHMODEL_PAGE_REFUSE;
    cfg->refuse_double_program = sc->flash.refuse_double_program;
    return 0;
}

/* ---- latencies ------------------------------------------------------------------ */

static int map_trace(const chunksim_latency_t *lat, uint64_t **owned, flashmodel_dist_t *d)
{
    uint64_t *v = malloc((lat->trace.count ? lat->trace.count : 1) * sizeof(*v));
    if (v == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < lat->trace.count; i++) {
        v[i] = round_us(lat->trace.latency_us[i]);
    }
    *owned = v;
    d->trace_us = v;
    d->trace_count = lat->trace.count;
    return 0;
}

/*
 * Scenario spikes: BASE, or SPIKE instead with probability P. Model spikes:
 * value, plus spike_us with probability spike_p. A spike below the base is
 * the same distribution read the other way round: SPIKE, plus BASE - SPIKE
 * with probability 1 - P.
 */
static void map_spikes(const chunksim_latency_t *lat, flashmodel_dist_t *d)
{
    uint64_t base = round_us(lat->spikes.base_us);
    uint64_t spike = round_us(lat->spikes.spike_us);
    if (spike >= base) {
        d->value_us = base;
        d->spike_us = spike - base;
        d->spike_p = lat->spikes.probability;
    } else {
        d->value_us = spike;
        d->spike_us = base - spike;
        d->spike_p = 1.0 - lat->spikes.probability;
    }
}

static int map_latency(const chunksim_latency_t *lat, const char *key, uint64_t **owned,
                       flashmodel_dist_t *d, char *err, size_t errlen)
{
    /* A stated latency is the operation's time as is: it does not grow with wear. */
    *d = (flashmodel_dist_t){.unscaled = true};
    switch (lat->kind) {
    case CHUNKSIM_LATENCY_MODEL:
        d->kind = FLASHMODEL_DIST_PART;
        return 0;
    case CHUNKSIM_LATENCY_FIXED:
        d->kind = FLASHMODEL_DIST_FIXED;
        d->value_us = round_us(lat->fixed.us);
        return 0;
    case CHUNKSIM_LATENCY_UNIFORM:
        d->kind = FLASHMODEL_DIST_UNIFORM;
        d->min_us = round_us(lat->uniform.min_us);
        d->max_us = round_us(lat->uniform.max_us);
        return 0;
    case CHUNKSIM_LATENCY_NORMAL:
        d->kind = FLASHMODEL_DIST_NORMAL;
        d->mean_us = lat->normal.mean_us;
        d->stddev_us = lat->normal.sd_us;
        return 0;
    case CHUNKSIM_LATENCY_LOGNORMAL:
        d->kind = FLASHMODEL_DIST_LOGNORMAL;
        d->median_us = lat->lognormal.median_us;
        d->sigma = lat->lognormal.sigma;
        return 0;
    case CHUNKSIM_LATENCY_SPIKES:
        d->kind = FLASHMODEL_DIST_SPIKES;
        map_spikes(lat, d);
        return 0;
    case CHUNKSIM_LATENCY_TRACE:
        d->kind = FLASHMODEL_DIST_TRACE;
        if (lat->trace.count == 0 || lat->trace.latency_us == NULL) {
            return map_fail(err, errlen, "[flash] %s: cannot replay an empty trace", key);
        }
        if (map_trace(lat, owned, d) < 0) {
            snprintf(err, errlen, "[flash] %s: out of memory for the trace", key);
            return -ENOMEM;
        }
        return 0;
    default:
        return map_fail(err, errlen, "[flash] %s: unknown latency form %d", key, (int)lat->kind);
    }
}

static int map_latencies(chunksim_flashmap_t *map, const chunksim_scenario_t *sc, char *err,
                         size_t errlen)
{
    flashmodel_dist_t *lat = map->cfg.latency;
    int rc =
        map_latency(&sc->flash.read_latency, "read_latency", &map->trace_us[CHUNKSIM_FLASHMAP_READ],
                    &lat[FLASHMODEL_OP_READ], err, errlen);
    if (rc == 0) {
        rc = map_latency(&sc->flash.program_latency, "program_latency",
                         &map->trace_us[CHUNKSIM_FLASHMAP_PROGRAM], &lat[FLASHMODEL_OP_PROGRAM],
                         err, errlen);
    }
    if (rc == 0) {
        rc = map_latency(&sc->flash.erase_latency, "erase_latency",
                         &map->trace_us[CHUNKSIM_FLASHMAP_ERASE], &lat[FLASHMODEL_OP_ERASE_SECTOR],
                         err, errlen);
    }
    if (rc < 0) {
        return rc;
    }
    /* One [flash] erase_latency for every erase size: same dist, same trace, one position. */
    lat[FLASHMODEL_OP_ERASE_BLOCK] = lat[FLASHMODEL_OP_ERASE_SECTOR];
    lat[FLASHMODEL_OP_ERASE_CHIP] = lat[FLASHMODEL_OP_ERASE_SECTOR];
    return 0;
}

/* ---- [faults] --------------------------------------------------------------------- */

static const flashmodel_fault_t fault_kinds[CHUNKSIM_FAULT_KIND_COUNT] = {
    [CHUNKSIM_FAULT_READ_ERROR] = FLASHMODEL_FAULT_READ_ERROR,
    [CHUNKSIM_FAULT_READ_TIMEOUT] = FLASHMODEL_FAULT_READ_TIMEOUT,
    [CHUNKSIM_FAULT_READ_LATE] = FLASHMODEL_FAULT_READ_TIMEOUT, /* with a delay */
    [CHUNKSIM_FAULT_BITFLIP] = FLASHMODEL_FAULT_BITFLIP_TRANSIENT,
    [CHUNKSIM_FAULT_STUCK_BIT] = FLASHMODEL_FAULT_BITFLIP_STUCK,
    [CHUNKSIM_FAULT_PROGRAM_FAIL] = FLASHMODEL_FAULT_PROGRAM_FAIL,
    [CHUNKSIM_FAULT_ERASE_FAIL] = FLASHMODEL_FAULT_ERASE_FAIL,
    [CHUNKSIM_FAULT_SILENT_PROGRAM] = FLASHMODEL_FAULT_SILENT_PROGRAM,
    [CHUNKSIM_FAULT_SILENT_ERASE] = FLASHMODEL_FAULT_SILENT_ERASE,
    [CHUNKSIM_FAULT_BAD_SECTOR] = FLASHMODEL_FAULT_BAD_SECTOR,
    [CHUNKSIM_FAULT_WEAR_OUT] = FLASHMODEL_FAULT_WEAR_OUT,
    [CHUNKSIM_FAULT_TORN_PROGRAM] = FLASHMODEL_FAULT_TORN_PROGRAM,
    [CHUNKSIM_FAULT_MISDIRECTED_WRITE] = FLASHMODEL_FAULT_MISDIRECTED_WRITE,
    [CHUNKSIM_FAULT_POWER_LOSS] = FLASHMODEL_FAULT_POWER_LOSS,
};

const char *chunksim_flashmap_fault_name(flashmodel_fault_t fault)
{
    for (int k = 0; k < CHUNKSIM_FAULT_KIND_COUNT; k++) {
        if (fault_kinds[k] == fault && fault != FLASHMODEL_FAULT_NONE) {
            return chunksim_fault_kind_name((chunksim_fault_kind_t)k);
        }
    }
    return flashmodel_fault_name(fault);
}

/* Where a rule came from, for messages: its line, or the override that added it. */
static const char *rule_where(const chunksim_fault_rule_t *r, char *buf, size_t len)
{
    if (r->line == 0) {
        return "scenario override (--set faults.fault)";
    }
    snprintf(buf, len, "scenario line %u", r->line);
    return buf;
}

__attribute__((format(printf, 4, 5))) static int
rule_fail(const chunksim_fault_rule_t *r, char *err, size_t errlen, const char *fmt, ...)
{
    char where[48], why[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return map_fail(err, errlen, "%s: fault %s: cannot %s", rule_where(r, where, sizeof(where)),
                    chunksim_fault_kind_name(r->kind), why);
}

/*
 * on= both selects and counts. Without it a rule counts every operation and
 * applies to whatever its kind applies to: the model's default, except that
 * the model's bad sector also fails reads, which the scenario's does not.
 */
static uint32_t rule_ops(const chunksim_fault_rule_t *r)
{
    unsigned on = r->on;
    if (on == CHUNKSIM_ON_ANY && r->kind == CHUNKSIM_FAULT_BAD_SECTOR) {
        on = CHUNKSIM_ON_PROGRAM | CHUNKSIM_ON_ERASE;
    }
    uint32_t ops = 0;
    if (on & CHUNKSIM_ON_READ) {
        ops |= FLASHMODEL_OP_BIT(FLASHMODEL_OP_READ);
    }
    if (on & CHUNKSIM_ON_PROGRAM) {
        ops |= FLASHMODEL_OP_BIT(FLASHMODEL_OP_PROGRAM);
    }
    if (on & CHUNKSIM_ON_ERASE) {
        ops |= FLASHMODEL_OPS_ERASE;
    }
    return ops;
}

static int map_range(const chunksim_fault_rule_t *r, const flashmodel_part_t *part,
                     flashmodel_fault_rule_t *m, char *err, size_t errlen)
{
    uint64_t first = r->addr_first;
    uint64_t end = (uint64_t)r->addr_last + 1;
    if (r->addr_last < r->addr_first || end > part->size_bytes) {
        return rule_fail(r, err, errlen, "use addr=0x%x-0x%x: not a range inside the %u-byte flash",
                         (unsigned)r->addr_first, (unsigned)r->addr_last,
                         (unsigned)part->size_bytes);
    }
    if (r->kind == CHUNKSIM_FAULT_BAD_SECTOR) {
        /* A bad sector is bad as a whole, whichever of its bytes the range names. */
        first -= first % part->sector_bytes;
        end += (part->sector_bytes - end % part->sector_bytes) % part->sector_bytes;
    }
    m->addr = (uint32_t)first;
    m->len = (uint32_t)(end - first);
    return 0;
}

static int map_trigger(const chunksim_fault_rule_t *r, const flashmodel_part_t *part,
                       flashmodel_fault_rule_t *m, char *err, size_t errlen)
{
    switch (r->trigger) {
    case CHUNKSIM_TRIGGER_ALWAYS:
    case CHUNKSIM_TRIGGER_RATE:
        m->trigger = FLASHMODEL_TRIG_RATE;
        m->rate = r->trigger == CHUNKSIM_TRIGGER_ALWAYS ? 1.0 : r->rate;
        return 0;
    case CHUNKSIM_TRIGGER_OP:
    case CHUNKSIM_TRIGGER_FROM_OP:
        /* OP is "only operation number N": not the first applicable one from N on. */
        m->trigger = FLASHMODEL_TRIG_OP_INDEX;
        m->op_index = r->op_index;
        m->exact = r->trigger == CHUNKSIM_TRIGGER_OP;
        m->every = r->trigger == CHUNKSIM_TRIGGER_FROM_OP;
        return 0;
    case CHUNKSIM_TRIGGER_ADDR:
        m->trigger = FLASHMODEL_TRIG_ADDR;
        return map_range(r, part, m, err, errlen);
    case CHUNKSIM_TRIGGER_AT_US: /* power_loss: the model's TIME cut is the instant */
    case CHUNKSIM_TRIGGER_AFTER_US:
        m->trigger = FLASHMODEL_TRIG_TIME;
        m->at_us = r->time_us;
        m->every = r->trigger == CHUNKSIM_TRIGGER_AFTER_US;
        return 0;
    default:
        return rule_fail(r, err, errlen, "use trigger %d: unknown", (int)r->trigger);
    }
}

static int map_params(const chunksim_fault_rule_t *r, flashmodel_fault_rule_t *m, char *err,
                      size_t errlen)
{
    switch (r->kind) {
    case CHUNKSIM_FAULT_READ_LATE:
        if (r->delay_us == 0) {
            /* The model reads delay 0 as "never arrives": that is read_timeout. */
            return rule_fail(r, err, errlen, "arrive 0 us late (delay_us must be >= 1)");
        }
        m->delay_us = r->delay_us;
        return 0;
    case CHUNKSIM_FAULT_STUCK_BIT:
        /* Flip the stored bits once; every later read of the range sees them. */
        m->limit = 1;
        /* fall through */
    case CHUNKSIM_FAULT_BITFLIP:
        if (r->flips > FLASHMODEL_MAX_FLIPS) {
            return rule_fail(r, err, errlen, "flip more than %u bits per read (flips=%u)",
                             FLASHMODEL_MAX_FLIPS, r->flips);
        }
        m->bits = r->flips;
        return 0;
    case CHUNKSIM_FAULT_WEAR_OUT:
        m->cycles = r->cycles;
        return 0;
    default:
        return 0;
    }
}

static int map_rule(const chunksim_fault_rule_t *r, const flashmodel_part_t *part,
                    flashmodel_fault_rule_t *m, char *err, size_t errlen)
{
    *m = (flashmodel_fault_rule_t){0};
    if ((unsigned)r->kind >= CHUNKSIM_FAULT_KIND_COUNT) {
        return rule_fail(r, err, errlen, "map kind %d: unknown", (int)r->kind);
    }
    m->kind = fault_kinds[r->kind];
    m->ops = rule_ops(r);
    int rc = map_trigger(r, part, m, err, errlen);
    if (rc == 0) {
        rc = map_params(r, m, err, errlen);
    }
    if (rc == 0 && flashmodel_fault_rule_check(m) < 0) {
        return rule_fail(r, err, errlen, "be expressed: the flash model refuses the rule");
    }
    return rc;
}

static int map_faults(chunksim_flashmap_t *map, const chunksim_scenario_t *sc, char *err,
                      size_t errlen)
{
    size_t n = sc->faults.count;
    if (n == 0) {
        return 0;
    }
    map->rules = calloc(n, sizeof(*map->rules));
    if (map->rules == NULL) {
        snprintf(err, errlen, "[faults]: out of memory for %zu rules", n);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = map_rule(&sc->faults.rules[i], &map->cfg.part, &map->rules[i], err, errlen);
        if (rc < 0) {
            return rc;
        }
    }
    map->cfg.faults = (flashmodel_fault_plan_t){map->rules, n};
    return 0;
}

/* ---- public ------------------------------------------------------------------------ */

static int map_all(chunksim_flashmap_t *map, const chunksim_scenario_t *sc, char *err,
                   size_t errlen)
{
    chunksim__scenario_part_resolve(sc, &map->cfg.part);
    int rc = map_read_mode(&map->cfg, sc, err, errlen);
    if (rc == 0) {
        rc = map_policies(&map->cfg, sc, err, errlen);
    }
    if (rc == 0 && flashmodel_part_check(&map->cfg.part) < 0) {
        /* Validation rules out what the part check refuses; this catches an unvalidated struct. */
        rc = map_fail(err, errlen,
                      "[flash]: cannot build the part: size %u, page %u, sector %u, block %u "
                      "bytes, bus %u Hz, endurance %u (sizes must divide, times typ <= max)",
                      sc->flash.size_bytes, sc->flash.page_bytes, sc->flash.sector_bytes,
                      sc->flash.block_bytes, sc->flash.bus_clock_hz, sc->flash.endurance_cycles);
    }
    if (rc == 0) {
        rc = map_latencies(map, sc, err, errlen);
    }
    if (rc == 0) {
        rc = map_faults(map, sc, err, errlen);
    }
    return rc;
}

int chunksim_flashmap_build(chunksim_flashmap_t *map, const chunksim_scenario_t *sc, uint64_t seed,
                            char *err, size_t errlen)
{
    if (map == NULL || sc == NULL) {
        return map_fail(err, errlen, "flashmap: no map or no scenario");
    }
    memset(map, 0, sizeof(*map));
    flashmodel_config_default(&map->cfg, sc->flash.size_bytes);
    map->cfg.seed = seed;
    int rc = map_all(map, sc, err, errlen);
    if (rc < 0) {
        chunksim_flashmap_free(map);
    }
    return rc;
}

void chunksim_flashmap_free(chunksim_flashmap_t *map)
{
    if (map == NULL) {
        return;
    }
    free(map->rules);
    for (size_t i = 0; i < sizeof(map->trace_us) / sizeof(map->trace_us[0]); i++) {
        free(map->trace_us[i]);
    }
    memset(map, 0, sizeof(*map));
}

int chunksim_flashmap_apply_wear(flashmodel_t *fm, const chunksim_scenario_t *sc)
{
    if (fm == NULL || sc == NULL) {
        return FLASHMODEL_E_INVAL;
    }
    return flashmodel_wear_set(fm, 0, fm->cfg.part.size_bytes, sc->flash.initial_wear_cycles);
}
