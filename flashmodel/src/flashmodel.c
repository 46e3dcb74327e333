/*
 * The device: scheduling on the given clock, busy policies, fault decisions,
 * power, and applying effects at finish. See flashmodel.h for the model.
 */
#include "internal.h"

#include "names.h"

#include <stdlib.h>
#include <string.h>

static const char *const busy_names[] = {"queue", "reject", "suspend"};

static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static inline bool is_erase(flashmodel_op_kind_t kind)
{
    return kind == FLASHMODEL_OP_ERASE_SECTOR || kind == FLASHMODEL_OP_ERASE_BLOCK ||
           kind == FLASHMODEL_OP_ERASE_CHIP;
}

static inline bool is_timed_cut(const flashmodel_fault_rule_t *r)
{
    return r->kind == FLASHMODEL_FAULT_POWER_LOSS && r->trigger == FLASHMODEL_TRIG_TIME;
}

/* ---- config, lifetime ---------------------------------------------------- */

void flashmodel_config_default(flashmodel_config_t *cfg, uint32_t size_bytes)
{
    memset(cfg, 0, sizeof(*cfg));
    flashmodel_part_default(&cfg->part, size_bytes);
    cfg->read_mode = FLASHMODEL_READ_SINGLE;
    cfg->busy_policy = FLASHMODEL_BUSY_QUEUE;
    cfg->page_policy = FLASHMODEL_PAGE_WRAP;
    for (int k = 0; k < FLASHMODEL_OP_KIND_COUNT; k++) {
        cfg->latency[k].kind = FLASHMODEL_DIST_PART;
    }
}

static int config_check(const flashmodel_config_t *cfg)
{
    if (flashmodel_part_check(&cfg->part) < 0 ||
        (unsigned)cfg->read_mode >= FLASHMODEL_READ_MODE_COUNT ||
        (unsigned)cfg->busy_policy >= FLASHMODEL_BUSY_POLICY_COUNT ||
        (unsigned)cfg->page_policy >= FLASHMODEL_PAGE_POLICY_COUNT) {
        return FLASHMODEL_E_INVAL;
    }
    for (int k = 0; k < FLASHMODEL_OP_KIND_COUNT; k++) {
        if (flashmodel_dist_check(&cfg->latency[k]) < 0) {
            return FLASHMODEL_E_INVAL;
        }
    }
    if (cfg->faults.count > 0 && cfg->faults.rules == NULL) {
        return FLASHMODEL_E_INVAL;
    }
    for (size_t i = 0; i < cfg->faults.count; i++) {
        if (flashmodel_fault_rule_check(&cfg->faults.rules[i]) < 0) {
            return FLASHMODEL_E_INVAL;
        }
    }
    return 0;
}

/* Earliest power cut of trigger TIME that has not happened yet. */
static uint64_t next_timed_cut(const flashmodel_t *fm)
{
    uint64_t at = FLASHMODEL_NEVER;
    for (size_t i = 0; i < fm->cfg.faults.count; i++) {
        if (is_timed_cut(&fm->rules[i]) && fm->rule_fires[i] == 0 && fm->rules[i].at_us < at) {
            at = fm->rules[i].at_us;
        }
    }
    return at;
}

int flashmodel_init(flashmodel_t *fm, const flashmodel_config_t *cfg)
{
    if (fm == NULL || cfg == NULL || config_check(cfg) < 0) {
        return FLASHMODEL_E_INVAL;
    }
    memset(fm, 0, sizeof(*fm));
    fm->cfg = *cfg;
    size_t sectors = cfg->part.size_bytes / cfg->part.sector_bytes;
    size_t rules = cfg->faults.count;
    int cells = flashmodel__array_init(&fm->cells, cfg->part.size_bytes, cfg->part.erased_value);
    fm->erase_counts = calloc(sectors, sizeof(*fm->erase_counts));
    fm->rules = malloc((rules ? rules : 1) * sizeof(*fm->rules));
    fm->rule_fires = calloc(rules ? rules : 1, sizeof(*fm->rule_fires));
    if (cells < 0 || fm->erase_counts == NULL || fm->rules == NULL || fm->rule_fires == NULL) {
        flashmodel_close(fm);
        return FLASHMODEL_E_NOMEM;
    }
    if (rules) {
        memcpy(fm->rules, cfg->faults.rules, rules * sizeof(*fm->rules));
    }
    fm->cfg.faults.rules = fm->rules; /* the copy: the caller's plan may go */
    flashmodel_rng_seed(&fm->rng, cfg->seed);
    fm->suspended_index = FLASHMODEL_NO_OP;
    fm->power_on = true;
    fm->cut_us = next_timed_cut(fm);
    return 0;
}

void flashmodel_close(flashmodel_t *fm)
{
    if (fm == NULL) {
        return;
    }
    flashmodel__array_free(&fm->cells);
    free(fm->erase_counts);
    free(fm->rules);
    free(fm->rule_fires);
    memset(fm, 0, sizeof(*fm));
}

/* ---- power ---------------------------------------------------------------- */

static void count_cut(flashmodel_t *fm)
{
    if (!fm->cut_counted) {
        fm->cut_counted = true;
        fm->counters.power_losses++;
        fm->counters.faults[FLASHMODEL_FAULT_POWER_LOSS]++;
    }
}

/* Whether power is off at now; notices a cut that has passed. */
static bool power_gone(flashmodel_t *fm, uint64_t now)
{
    if (fm->power_on && now >= fm->cut_us) {
        fm->power_on = false;
        count_cut(fm);
        for (size_t i = 0; i < fm->cfg.faults.count; i++) {
            if (is_timed_cut(&fm->rules[i]) && fm->rule_fires[i] == 0 &&
                fm->rules[i].at_us <= fm->cut_us) {
                fm->rule_fires[i] = 1;
            }
        }
    }
    return !fm->power_on;
}

bool flashmodel_powered(const flashmodel_t *fm, uint64_t now_us)
{
    return fm->power_on && now_us < fm->cut_us;
}

void flashmodel_power_cut_next(flashmodel_t *fm)
{
    fm->cut_next = true;
}

void flashmodel_power_restore(flashmodel_t *fm, uint64_t now_us)
{
    if (!power_gone(fm, now_us)) {
        return;
    }
    /* Timed cuts that fell while power was off have nothing left to cut. */
    for (size_t i = 0; i < fm->cfg.faults.count; i++) {
        if (is_timed_cut(&fm->rules[i]) && fm->rule_fires[i] == 0 && fm->rules[i].at_us <= now_us) {
            fm->rule_fires[i] = 1;
        }
    }
    fm->power_on = true;
    fm->cut_counted = false;
    fm->cut_us = next_timed_cut(fm);
    fm->busy_until_us = fm->read_busy_until_us = fm->write_busy_until_us = now_us;
    fm->resume_at_us = 0;
    fm->suspended_index = FLASHMODEL_NO_OP;
}

/* op is in flight at the instant c: it completes then, with E_POWER. */
static void cut_op(flashmodel_t *fm, flashmodel_op_t *op, uint64_t c, int rule)
{
    op->cut_us = c;
    if (op->start_us > c) {
        op->start_us = c; /* never started: it did nothing */
    }
    op->device_end_us = c;
    op->end_us = c;
    op->status = FLASHMODEL_E_POWER;
    op->fault = FLASHMODEL_FAULT_POWER_LOSS;
    op->fault_rule = rule;
    count_cut(fm);
}

static void cut_linked(flashmodel_t *fm, uint64_t c)
{
    for (flashmodel_op_t *w = fm->writes; w != NULL; w = w->next_) {
        if (w->cut_us == FLASHMODEL_NEVER && w->device_end_us > c) {
            cut_op(fm, w, c, FLASHMODEL_NO_RULE);
        }
    }
}

/* ---- begin: common steps ---------------------------------------------------- */

static void op_init(flashmodel_t *fm, flashmodel_op_t *op, flashmodel_op_kind_t kind, uint64_t now,
                    uint32_t addr, uint32_t len)
{
    void *data = op->data;
    *op = (flashmodel_op_t){
        .data = data,
        .index = fm->next_index++,
        .kind = kind,
        .addr = addr,
        .len = len,
        .issue_us = now,
        .start_us = now,
        .device_end_us = now,
        .end_us = now,
        .fault = FLASHMODEL_FAULT_NONE,
        .fault_rule = FLASHMODEL_NO_RULE,
        .cut_us = FLASHMODEL_NEVER,
        .pushed_index = FLASHMODEL_NO_OP,
    };
    op->seed = flashmodel_rng_next(&fm->rng);
    fm->counters.ops++;
    if ((unsigned)kind < FLASHMODEL_OP_KIND_COUNT) {
        fm->begun[kind]++;
    }
}

static int refuse(flashmodel_t *fm, flashmodel_op_t *op, int err)
{
    op->status = err;
    op->state_ = FLASHMODEL_OP_REFUSED_;
    fm->counters.refused++;
    if (err == FLASHMODEL_E_BUSY) {
        fm->counters.rejected++;
    }
    return err;
}

/* Power first: a dead device is not "busy". */
static int gate(flashmodel_t *fm, uint64_t now)
{
    if (power_gone(fm, now)) {
        return FLASHMODEL_E_POWER;
    }
    if (fm->cfg.busy_policy == FLASHMODEL_BUSY_REJECT && now < fm->busy_until_us) {
        return FLASHMODEL_E_BUSY;
    }
    return 0;
}

/* Whose trace position kind uses: the first kind replaying the same trace. */
static int trace_slot(const flashmodel_t *fm, flashmodel_op_kind_t kind)
{
    const flashmodel_dist_t *d = &fm->cfg.latency[kind];
    for (int k = 0; k < (int)kind; k++) {
        const flashmodel_dist_t *e = &fm->cfg.latency[k];
        if (d->kind == FLASHMODEL_DIST_TRACE && e->kind == FLASHMODEL_DIST_TRACE &&
            e->trace_us == d->trace_us && e->trace_count == d->trace_count) {
            return k;
        }
    }
    return (int)kind;
}

static uint64_t latency_us(flashmodel_t *fm, flashmodel_op_kind_t kind, uint32_t len, uint32_t wear)
{
    const flashmodel_part_t *part = &fm->cfg.part;
    const flashmodel_dist_t *d = &fm->cfg.latency[kind];
    uint64_t part_us = kind == FLASHMODEL_OP_READ
                           ? flashmodel_part_read_us(part, fm->cfg.read_mode, len)
                           : flashmodel_part_op_us(part, kind, wear);
    if (d->kind == FLASHMODEL_DIST_PART) {
        return part_us;
    }
    uint64_t draw = flashmodel_dist_draw(d, &fm->rng, &fm->trace_pos[trace_slot(fm, kind)]);
    if (d->add_to_part) {
        return part_us + draw;
    }
    uint64_t fresh_us = flashmodel_part_op_us(part, kind, 0);
    if (kind == FLASHMODEL_OP_READ || d->kind == FLASHMODEL_DIST_TRACE || d->unscaled ||
        fresh_us == 0) {
        return draw;
    }
    /* draw * part_us / fresh_us without overflowing the product. */
    return draw / fresh_us * part_us + draw % fresh_us * part_us / fresh_us;
}

static uint32_t wear_of(const flashmodel_t *fm, uint32_t addr, uint32_t len)
{
    uint32_t sector = fm->cfg.part.sector_bytes;
    uint32_t w = 0;
    for (uint32_t s = addr / sector; s < (addr + (uint64_t)len + sector - 1) / sector; s++) {
        if (fm->erase_counts[s] > w) {
            w = fm->erase_counts[s];
        }
    }
    return w;
}

static void schedule_serial(flashmodel_t *fm, flashmodel_op_t *op, uint64_t now)
{
    op->start_us = max_u64(now, fm->busy_until_us);
    if (op->start_us > now) {
        fm->counters.queued++;
    }
    op->device_end_us = op->end_us = op->start_us + op->latency_us;
}

/* ---- suspend ---------------------------------------------------------------- */

/* First unfinished, uncut program/erase the device is not done with at t. */
static flashmodel_op_t *write_after(const flashmodel_t *fm, uint64_t t)
{
    for (flashmodel_op_t *w = fm->writes; w != NULL; w = w->next_) {
        if (w->cut_us == FLASHMODEL_NEVER && w->device_end_us > t) {
            return w;
        }
    }
    return NULL;
}

/* Moves w (its end only, if it has started) and every write after it later by delta. */
static void push_writes(flashmodel_t *fm, flashmodel_op_t *w, uint64_t delta, bool started)
{
    for (flashmodel_op_t *op = w; op != NULL; op = op->next_) {
        if (op->cut_us != FLASHMODEL_NEVER) {
            continue; /* the device died under it: nothing moves a dead op */
        }
        if (op != w || !started) {
            op->start_us += delta;
        }
        op->device_end_us += delta;
        op->end_us += delta;
        fm->write_busy_until_us = max_u64(fm->write_busy_until_us, op->device_end_us);
        if (fm->cut_us < op->device_end_us) {
            cut_op(fm, op, fm->cut_us, FLASHMODEL_NO_RULE);
        }
    }
}

static void schedule_read_suspend(flashmodel_t *fm, flashmodel_op_t *op, uint64_t now)
{
    const flashmodel_part_t *part = &fm->cfg.part;
    uint64_t s = max_u64(now, fm->read_busy_until_us);
    flashmodel_op_t *w = write_after(fm, s);
    /* A chip erase cannot be suspended: wait for it, then go before the rest. */
    while (w != NULL && w->start_us < s && w->kind == FLASHMODEL_OP_ERASE_CHIP) {
        s = w->device_end_us;
        w = write_after(fm, s);
    }
    if (s > now) {
        fm->counters.queued++;
    }
    uint64_t delta = 0;
    if (w == NULL) {
        op->start_us = s;
    } else if (w->start_us < s) {
        /* w runs (or is already suspended) at s. Continuing a suspension
         * costs no new tsus and moves the resume point. */
        bool continuing = fm->suspended_index == w->index && s < fm->resume_at_us;
        uint64_t pause = continuing ? fm->resume_at_us : s;
        op->start_us = continuing ? s : s + part->tsus_us;
        uint64_t resume = op->start_us + op->latency_us + part->trs_us;
        delta = resume - pause;
        if (!continuing) {
            fm->counters.suspends++;
        }
        fm->counters.busy_us += delta - op->latency_us;
        fm->resume_at_us = resume;
        fm->suspended_index = w->index;
        push_writes(fm, w, delta, true);
    } else {
        /* w is queued: the read goes first and w waits for it. */
        op->start_us = s;
        uint64_t end = s + op->latency_us;
        delta = end > w->start_us ? end - w->start_us : 0;
        if (delta) {
            push_writes(fm, w, delta, false);
        }
    }
    if (delta) {
        op->pushed_index = w->index;
        op->pushed_us = delta;
    }
    op->device_end_us = op->end_us = op->start_us + op->latency_us;
}

/* ---- faults ----------------------------------------------------------------- */

/* The bytes an op touches: a wrapping program touches its whole page. */
static void op_span(const flashmodel_t *fm, const flashmodel_op_t *op, uint64_t *lo, uint64_t *hi)
{
    if (op->kind == FLASHMODEL_OP_PROGRAM) {
        fm_prog_map_t m = flashmodel__prog_map(&fm->cfg.part, op->addr, op->len);
        bool wraps = (uint64_t)m.off + m.count > m.page_bytes;
        *lo = wraps ? m.base : (uint64_t)m.base + m.off;
        *hi = wraps ? (uint64_t)m.base + m.page_bytes : *lo + m.count;
        return;
    }
    *lo = op->addr;
    *hi = (uint64_t)op->addr + (op->len ? op->len : 1);
}

static bool op_overlaps(const flashmodel_t *fm, const flashmodel_op_t *op, uint32_t addr,
                        uint32_t len)
{
    uint64_t lo, hi;
    op_span(fm, op, &lo, &hi);
    return lo < (uint64_t)addr + len && addr < hi;
}

/* First sector of op's range erased at least cycles times, or NO_OP. */
static uint64_t worn_sector(const flashmodel_t *fm, const flashmodel_op_t *op, uint32_t cycles)
{
    uint32_t sector = fm->cfg.part.sector_bytes;
    for (uint32_t a = op->addr; a < (uint64_t)op->addr + op->len; a += sector) {
        if (fm->erase_counts[a / sector] >= cycles) {
            return a;
        }
    }
    return FLASHMODEL_NO_OP;
}

static bool fault_possible(const flashmodel_t *fm, const flashmodel_fault_rule_t *r,
                           const flashmodel_op_t *op)
{
    switch (r->kind) {
    case FLASHMODEL_FAULT_BITFLIP_TRANSIENT:
    case FLASHMODEL_FAULT_BITFLIP_STUCK:
        return op->len > 0;
    case FLASHMODEL_FAULT_WEAR_OUT:
        return worn_sector(fm, op, r->cycles) != FLASHMODEL_NO_OP;
    case FLASHMODEL_FAULT_MISDIRECTED_WRITE:
        return fm->cfg.part.size_bytes > fm->cfg.part.page_bytes;
    default:
        return true;
    }
}

/* The op's number as the rule counts: among the kinds in r->ops, or among all. */
static uint64_t rule_op_index(const flashmodel_t *fm, const flashmodel_fault_rule_t *r,
                              const flashmodel_op_t *op)
{
    if (r->ops == 0) {
        return op->index;
    }
    uint64_t n = 0; /* op itself is counted: begin counts before faults are decided */
    for (int k = 0; k < FLASHMODEL_OP_KIND_COUNT; k++) {
        n += (r->ops & FLASHMODEL_OP_BIT(k)) ? fm->begun[k] : 0;
    }
    return n - 1;
}

static bool rule_fires(flashmodel_t *fm, size_t i, const flashmodel_op_t *op)
{
    const flashmodel_fault_rule_t *r = &fm->rules[i];
    uint32_t fired = fm->rule_fires[i];
    if (!flashmodel_fault_applies(r->kind, op->kind) ||
        (r->ops != 0 && !(r->ops & FLASHMODEL_OP_BIT(op->kind))) || is_timed_cut(r) ||
        (r->limit != 0 && fired >= r->limit) ||
        (r->len != 0 && !op_overlaps(fm, op, r->addr, r->len)) || !fault_possible(fm, r, op)) {
        return false;
    }
    switch (r->trigger) {
    case FLASHMODEL_TRIG_RATE:
        if (r->rate >= 1) {
            return true;
        }
        return r->rate > 0 && flashmodel_rng_unit(&fm->rng) < r->rate;
    case FLASHMODEL_TRIG_OP_INDEX: {
        uint64_t n = rule_op_index(fm, r, op);
        if (r->every) {
            return n >= r->op_index;
        }
        return fired == 0 && (r->exact ? n == r->op_index : n >= r->op_index);
    }
    case FLASHMODEL_TRIG_TIME:
        return op->start_us >= r->at_us && (r->every || fired == 0);
    case FLASHMODEL_TRIG_ADDR:
        return true;
    default:
        return false;
    }
}

/*
 * n distinct bits of the read, or of its part inside the rule's range (the
 * range filter guarantees a byte of overlap). n <= FLASHMODEL_MAX_FLIPS (rule
 * check) <= 8 * overlap: distinct bits exist.
 */
static void draw_flips(flashmodel_t *fm, const flashmodel_fault_rule_t *r, flashmodel_op_t *op)
{
    uint64_t first = op->addr;
    uint64_t end = (uint64_t)op->addr + op->len;
    if (r->len != 0) {
        first = max_u64(first, r->addr);
        end = end < (uint64_t)r->addr + r->len ? end : (uint64_t)r->addr + r->len;
    }
    uint64_t lo = (first - op->addr) * 8u;
    uint64_t nbits = (end - first) * 8u;
    uint32_t n = r->bits ? r->bits : 1;
    for (uint32_t k = 0; k < n;) {
        uint32_t b = (uint32_t)(lo + flashmodel_rng_below(&fm->rng, nbits));
        bool seen = false;
        for (uint32_t j = 0; j < k; j++) {
            seen = seen || op->flip_bits[j] == b;
        }
        if (!seen) {
            op->flip_bits[k++] = b;
        }
    }
    op->fault_count = n;
    op->fault_addr = op->addr + op->flip_bits[0] / 8u;
}

static int failure_status(flashmodel_op_kind_t kind)
{
    if (kind == FLASHMODEL_OP_READ) {
        return FLASHMODEL_E_READ;
    }
    return kind == FLASHMODEL_OP_PROGRAM ? FLASHMODEL_E_PROGRAM : FLASHMODEL_E_ERASE;
}

static void apply_fault(flashmodel_t *fm, const flashmodel_fault_rule_t *r, int rule,
                        flashmodel_op_t *op)
{
    const flashmodel_part_t *part = &fm->cfg.part;
    switch (r->kind) {
    case FLASHMODEL_FAULT_READ_TIMEOUT:
        if (r->delay_us == 0) {
            op->end_us = FLASHMODEL_NEVER;
            op->status = FLASHMODEL_E_TIMEOUT;
        } else {
            op->end_us = op->device_end_us + r->delay_us;
        }
        break;
    case FLASHMODEL_FAULT_BITFLIP_TRANSIENT:
    case FLASHMODEL_FAULT_BITFLIP_STUCK:
        draw_flips(fm, r, op);
        break;
    case FLASHMODEL_FAULT_READ_ERROR:
    case FLASHMODEL_FAULT_PROGRAM_FAIL:
    case FLASHMODEL_FAULT_ERASE_FAIL:
    case FLASHMODEL_FAULT_BAD_SECTOR:
        op->status = failure_status(op->kind);
        break;
    case FLASHMODEL_FAULT_WEAR_OUT:
        op->fault_addr = (uint32_t)worn_sector(fm, op, r->cycles);
        if (r->leave_bits) {
            op->fault_count = r->bits ? r->bits : 1;
        } else {
            op->status = FLASHMODEL_E_ERASE;
        }
        break;
    case FLASHMODEL_FAULT_TORN_PROGRAM: {
        fm_prog_map_t m = flashmodel__prog_map(part, op->addr, op->len);
        op->fault_count = (uint32_t)flashmodel_rng_below(&fm->rng, m.count);
        op->fault_mask = (uint8_t)flashmodel_rng_next(&fm->rng);
        op->fault_addr = fm_prog_addr(&m, op->fault_count);
        break;
    }
    case FLASHMODEL_FAULT_MISDIRECTED_WRITE: {
        uint32_t pages = part->size_bytes / part->page_bytes;
        uint32_t own = op->addr / part->page_bytes;
        uint32_t p = (uint32_t)flashmodel_rng_below(&fm->rng, pages - 1u);
        p += p >= own;
        op->fault_addr = p * part->page_bytes + op->addr % part->page_bytes;
        break;
    }
    case FLASHMODEL_FAULT_POWER_LOSS: {
        uint64_t dur = op->device_end_us - op->start_us;
        uint64_t c = op->start_us + (dur >= 2 ? 1 + flashmodel_rng_below(&fm->rng, dur - 1) : 0);
        if (c < fm->cut_us) {
            fm->cut_us = c;
        }
        cut_op(fm, op, c, rule);
        cut_linked(fm, c);
        break;
    }
    default:
        break; /* SILENT_*: status stays 0, finish does nothing */
    }
}

static void decide_fault(flashmodel_t *fm, flashmodel_op_t *op)
{
    if (fm->cut_next) {
        /* The caller's cut comes first: it aims at this very op, whatever the plan says. */
        static const flashmodel_fault_rule_t cut = {.kind = FLASHMODEL_FAULT_POWER_LOSS};
        fm->cut_next = false;
        op->fault = FLASHMODEL_FAULT_POWER_LOSS;
        apply_fault(fm, &cut, FLASHMODEL_NO_RULE, op);
        return;
    }
    for (size_t i = 0; i < fm->cfg.faults.count; i++) {
        if (!rule_fires(fm, i, op)) {
            continue;
        }
        const flashmodel_fault_rule_t *r = &fm->rules[i];
        fm->rule_fires[i]++;
        op->fault = r->kind;
        op->fault_rule = (int)i;
        if (r->kind != FLASHMODEL_FAULT_POWER_LOSS) {
            fm->counters.faults[r->kind]++; /* a cut counts once, in cut_op */
        }
        apply_fault(fm, r, (int)i, op);
        return;
    }
}

/* ---- begin: acceptance -------------------------------------------------------- */

static void link_write(flashmodel_t *fm, flashmodel_op_t *op)
{
    flashmodel_op_t **p = &fm->writes;
    while (*p != NULL) {
        p = &(*p)->next_;
    }
    op->next_ = NULL;
    *p = op;
}

static void unlink_write(flashmodel_t *fm, flashmodel_op_t *op)
{
    for (flashmodel_op_t **p = &fm->writes; *p != NULL; p = &(*p)->next_) {
        if (*p == op) {
            *p = op->next_;
            op->next_ = NULL;
            return;
        }
    }
}

static int accept(flashmodel_t *fm, flashmodel_op_t *op)
{
    if (fm->cut_us < op->device_end_us) {
        cut_op(fm, op, fm->cut_us, FLASHMODEL_NO_RULE); /* a cut already known covers it */
        fm->cut_next = false;                           /* and it is the cut asked for */
    } else {
        decide_fault(fm, op);
    }
    flashmodel_counters_t *c = &fm->counters;
    c->busy_us += op->latency_us;
    if (op->kind == FLASHMODEL_OP_READ) {
        c->reads++;
        c->read_bytes += op->len;
        fm->read_busy_until_us = max_u64(fm->read_busy_until_us, op->device_end_us);
    } else {
        if (op->kind == FLASHMODEL_OP_PROGRAM) {
            c->programs++;
            c->program_bytes += op->len;
        } else {
            c->erases++;
            c->erase_bytes += op->len;
        }
        fm->write_busy_until_us = max_u64(fm->write_busy_until_us, op->device_end_us);
        link_write(fm, op);
    }
    if (is_erase(op->kind) && op->fault != FLASHMODEL_FAULT_SILENT_ERASE) {
        uint32_t sector = fm->cfg.part.sector_bytes;
        for (uint32_t s = op->addr / sector; s < ((uint64_t)op->addr + op->len) / sector; s++) {
            fm->erase_counts[s] += fm->erase_counts[s] < UINT32_MAX;
        }
    }
    fm->busy_until_us = max_u64(fm->read_busy_until_us, fm->write_busy_until_us);
    if (op->end_us == FLASHMODEL_NEVER) {
        op->state_ = FLASHMODEL_OP_LOST_;
    } else {
        op->state_ = FLASHMODEL_OP_INFLIGHT_;
        fm->inflight++;
    }
    return 0;
}

/* ---- begin: public -------------------------------------------------------------- */

int flashmodel_read_begin(flashmodel_t *fm, uint64_t now_us, uint32_t addr, uint32_t len,
                          flashmodel_op_t *op)
{
    if (fm == NULL || op == NULL) {
        return FLASHMODEL_E_INVAL;
    }
    op_init(fm, op, FLASHMODEL_OP_READ, now_us, addr, len);
    if ((uint64_t)addr + len > fm->cfg.part.size_bytes) {
        return refuse(fm, op, FLASHMODEL_E_RANGE);
    }
    int err = gate(fm, now_us);
    if (err < 0) {
        return refuse(fm, op, err);
    }
    op->latency_us = latency_us(fm, FLASHMODEL_OP_READ, len, 0);
    if (fm->cfg.busy_policy == FLASHMODEL_BUSY_SUSPEND) {
        schedule_read_suspend(fm, op, now_us);
    } else {
        schedule_serial(fm, op, now_us);
    }
    return accept(fm, op);
}

int flashmodel_program_begin(flashmodel_t *fm, uint64_t now_us, uint32_t addr, const uint8_t *data,
                             uint32_t len, flashmodel_op_t *op)
{
    if (fm == NULL || op == NULL) {
        return FLASHMODEL_E_INVAL;
    }
    const flashmodel_part_t *part = &fm->cfg.part;
    op_init(fm, op, FLASHMODEL_OP_PROGRAM, now_us, addr, len);
    if (data == NULL || len == 0) {
        return refuse(fm, op, FLASHMODEL_E_INVAL);
    }
    if (addr >= part->size_bytes) {
        return refuse(fm, op, FLASHMODEL_E_RANGE);
    }
    if (fm->cfg.page_policy == FLASHMODEL_PAGE_REFUSE &&
        (uint64_t)addr % part->page_bytes + len > part->page_bytes) {
        return refuse(fm, op, FLASHMODEL_E_PAGE);
    }
    int err = gate(fm, now_us);
    if (err < 0) {
        return refuse(fm, op, err);
    }
    op->src_ = data;
    op->wear_cycles = fm->erase_counts[addr / part->sector_bytes];
    op->latency_us = latency_us(fm, FLASHMODEL_OP_PROGRAM, len, op->wear_cycles);
    schedule_serial(fm, op, now_us);
    return accept(fm, op);
}

int flashmodel_erase_begin(flashmodel_t *fm, uint64_t now_us, flashmodel_op_kind_t kind,
                           uint32_t addr, flashmodel_op_t *op)
{
    if (fm == NULL || op == NULL) {
        return FLASHMODEL_E_INVAL;
    }
    uint32_t unit = flashmodel_part_erase_bytes(&fm->cfg.part, kind);
    uint32_t start = unit && kind != FLASHMODEL_OP_ERASE_CHIP ? addr - addr % unit : 0;
    op_init(fm, op, kind, now_us, unit ? start : addr, unit);
    if (unit == 0) {
        return refuse(fm, op, FLASHMODEL_E_INVAL);
    }
    if (kind != FLASHMODEL_OP_ERASE_CHIP && addr >= fm->cfg.part.size_bytes) {
        return refuse(fm, op, FLASHMODEL_E_RANGE);
    }
    int err = gate(fm, now_us);
    if (err < 0) {
        return refuse(fm, op, err);
    }
    op->wear_cycles = wear_of(fm, start, unit);
    op->latency_us = latency_us(fm, kind, unit, op->wear_cycles);
    schedule_serial(fm, op, now_us);
    return accept(fm, op);
}

/* ---- finish ------------------------------------------------------------------ */

/* Whether finishing op returns or changes array data (what ordering protects). */
static bool has_effects(const flashmodel_op_t *op)
{
    if (op->cut_us != FLASHMODEL_NEVER) {
        return op->kind != FLASHMODEL_OP_READ && op->cut_us > op->start_us;
    }
    if (op->status != 0) {
        return false;
    }
    if (op->kind == FLASHMODEL_OP_READ) {
        return op->len > 0;
    }
    return op->fault != FLASHMODEL_FAULT_SILENT_PROGRAM &&
           op->fault != FLASHMODEL_FAULT_SILENT_ERASE;
}

static bool earlier_write_pending(const flashmodel_t *fm, const flashmodel_op_t *op)
{
    for (const flashmodel_op_t *w = fm->writes; w != NULL; w = w->next_) {
        if (w == op || !has_effects(w)) {
            continue;
        }
        if (w->device_end_us < op->device_end_us ||
            (w->device_end_us == op->device_end_us && w->index < op->index)) {
            return true;
        }
    }
    return false;
}

static void finish_read(flashmodel_t *fm, flashmodel_op_t *op, uint8_t *dst)
{
    if (op->status != 0 || op->len == 0) {
        return;
    }
    if (op->fault == FLASHMODEL_FAULT_BITFLIP_STUCK) {
        for (uint32_t k = 0; k < op->fault_count; k++) {
            uint32_t at = op->addr + op->flip_bits[k] / 8u;
            flashmodel__array_set(
                &fm->cells, at,
                (uint8_t)(flashmodel__array_get(&fm->cells, at) ^ (1u << (op->flip_bits[k] % 8u))));
        }
    }
    flashmodel__array_read(&fm->cells, op->addr, dst, op->len);
    if (op->fault == FLASHMODEL_FAULT_BITFLIP_TRANSIENT) {
        for (uint32_t k = 0; k < op->fault_count; k++) {
            dst[op->flip_bits[k] / 8u] ^= (uint8_t)(1u << (op->flip_bits[k] % 8u));
        }
    }
}

static void finish_program(flashmodel_t *fm, flashmodel_op_t *op)
{
    const flashmodel_part_t *part = &fm->cfg.part;
    if (op->cut_us != FLASHMODEL_NEVER) {
        if (op->cut_us > op->start_us) {
            flashmodel_rng_t rng;
            flashmodel_rng_seed(&rng, op->seed);
            fm_prog_map_t m = flashmodel__prog_map(part, op->addr, op->len);
            flashmodel__nor_program_undefined(fm, &m, op->src_, &rng);
        }
        return;
    }
    if (op->status != 0 || op->fault == FLASHMODEL_FAULT_SILENT_PROGRAM) {
        return;
    }
    uint32_t target = op->fault == FLASHMODEL_FAULT_MISDIRECTED_WRITE ? op->fault_addr : op->addr;
    fm_prog_map_t m = flashmodel__prog_map(part, target, op->len);
    uint32_t doubles = flashmodel__nor_double_bytes(fm, &m, op->src_);
    if (doubles) {
        fm->counters.double_programs++;
        fm->counters.double_program_bytes += doubles;
        if (fm->cfg.refuse_double_program) {
            op->status = FLASHMODEL_E_DOUBLE_PROGRAM;
            return;
        }
    }
    if (op->fault == FLASHMODEL_FAULT_TORN_PROGRAM) {
        flashmodel__nor_program(fm, &m, op->src_, op->fault_count, true, op->fault_mask);
    } else {
        flashmodel__nor_program(fm, &m, op->src_, m.count, false, 0);
    }
}

static void finish_erase(flashmodel_t *fm, flashmodel_op_t *op)
{
    flashmodel_rng_t rng;
    flashmodel_rng_seed(&rng, op->seed);
    if (op->cut_us != FLASHMODEL_NEVER) {
        if (op->cut_us > op->start_us) {
            flashmodel__nor_erase_undefined(fm, op->addr, op->len, &rng);
        }
        return;
    }
    if (op->status != 0 || op->fault == FLASHMODEL_FAULT_SILENT_ERASE) {
        return;
    }
    flashmodel__nor_erase(fm, op->addr, op->len);
    if (op->fault == FLASHMODEL_FAULT_WEAR_OUT) {
        /* Counts were raised at begin: a worn sector now has more than cycles. */
        uint32_t cycles = fm->rules[op->fault_rule].cycles;
        uint32_t sector = fm->cfg.part.sector_bytes;
        for (uint32_t a = op->addr; a < (uint64_t)op->addr + op->len; a += sector) {
            if (fm->erase_counts[a / sector] > cycles) {
                flashmodel__nor_leave_bits(fm, a, sector, op->fault_count, &rng);
            }
        }
    }
}

int flashmodel_op_finish(flashmodel_t *fm, flashmodel_op_t *op, uint8_t *dst)
{
    if (fm == NULL || op == NULL) {
        return FLASHMODEL_E_INVAL;
    }
    if (op->state_ == FLASHMODEL_OP_LOST_) {
        op->state_ = FLASHMODEL_OP_DONE_;
        return op->status;
    }
    if (op->state_ != FLASHMODEL_OP_INFLIGHT_) {
        return FLASHMODEL_E_STATE;
    }
    bool effects = has_effects(op);
    if (op->kind == FLASHMODEL_OP_READ && effects && dst == NULL) {
        return FLASHMODEL_E_INVAL;
    }
    if (effects && earlier_write_pending(fm, op)) {
        return FLASHMODEL_E_ORDER;
    }
    if (op->kind == FLASHMODEL_OP_READ) {
        finish_read(fm, op, dst);
    } else {
        if (op->kind == FLASHMODEL_OP_PROGRAM) {
            finish_program(fm, op);
        } else {
            finish_erase(fm, op);
        }
        unlink_write(fm, op);
    }
    fm->inflight--;
    op->state_ = FLASHMODEL_OP_DONE_;
    return op->status;
}

/* ---- inspection ---------------------------------------------------------------- */

uint64_t flashmodel_busy_until(const flashmodel_t *fm)
{
    return fm->busy_until_us;
}

uint32_t flashmodel_inflight(const flashmodel_t *fm)
{
    return fm->inflight;
}

const flashmodel_counters_t *flashmodel_counters(const flashmodel_t *fm)
{
    return &fm->counters;
}

/* The image accessors' shared argument check: in the part, and a buffer when there are bytes. */
static int image_args_check(const flashmodel_t *fm, uint32_t addr, const void *buf, uint32_t len)
{
    if ((uint64_t)addr + len > fm->cfg.part.size_bytes) {
        return FLASHMODEL_E_RANGE;
    }
    return len > 0 && buf == NULL ? FLASHMODEL_E_INVAL : 0;
}

int flashmodel_load(flashmodel_t *fm, uint32_t addr, const void *data, uint32_t len)
{
    int rc = image_args_check(fm, addr, data, len);
    if (rc == 0 && len > 0) {
        flashmodel__array_write(&fm->cells, addr, data, len);
    }
    return rc;
}

int flashmodel_load_shared(flashmodel_t *fm, uint32_t addr, const void *data, uint32_t len)
{
    int rc = image_args_check(fm, addr, data, len);
    if (rc == 0 && fm->cells.shared != NULL) {
        rc = FLASHMODEL_E_INVAL;
    }
    if (rc == 0 && len > 0) {
        flashmodel__array_share(&fm->cells, addr, data, len);
    }
    return rc;
}

int flashmodel_peek(const flashmodel_t *fm, uint32_t addr, void *dst, uint32_t len)
{
    int rc = image_args_check(fm, addr, dst, len);
    if (rc == 0 && len > 0) {
        flashmodel__array_read(&fm->cells, addr, dst, len);
    }
    return rc;
}

const uint8_t *flashmodel_image(const flashmodel_t *fm)
{
    /* The copy is a cache of the array, not part of the device's state. */
    return flashmodel__array_image((fm_array_t *)&fm->cells);
}

uint32_t flashmodel_erase_count(const flashmodel_t *fm, uint32_t addr)
{
    if (addr >= fm->cfg.part.size_bytes) {
        return 0;
    }
    return fm->erase_counts[addr / fm->cfg.part.sector_bytes];
}

int flashmodel_wear_set(flashmodel_t *fm, uint32_t addr, uint32_t len, uint32_t cycles)
{
    uint32_t sector = fm->cfg.part.sector_bytes;
    uint64_t end = (uint64_t)addr + len;
    if (len == 0 || end > fm->cfg.part.size_bytes) {
        return len == 0 ? 0 : FLASHMODEL_E_RANGE;
    }
    for (uint64_t s = addr / sector; s < (end + sector - 1) / sector; s++) {
        fm->erase_counts[s] = cycles;
    }
    return 0;
}

FLASHMODEL__NAME_LOOKUPS(flashmodel_busy_policy_t, flashmodel_busy_policy_name,
                         flashmodel_busy_policy_from_name, busy_names, FLASHMODEL_BUSY_POLICY_COUNT)
