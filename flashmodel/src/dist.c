#include "flashmodel/dist.h"
#include "flashmodel/error.h"

#include "names.h"

#include <math.h>

static const char *const dist_names[] = {FLASHMODEL_DIST_MAP(FM_NAME_STRING_)};

int flashmodel_dist_check(const flashmodel_dist_t *d)
{
    if (d == NULL || (unsigned)d->kind >= FLASHMODEL_DIST_KIND_COUNT) {
        return FLASHMODEL_E_INVAL;
    }
    bool clamps = d->kind == FLASHMODEL_DIST_NORMAL || d->kind == FLASHMODEL_DIST_LOGNORMAL;
    if ((d->kind == FLASHMODEL_DIST_UNIFORM || (clamps && d->max_us != 0)) &&
        d->min_us > d->max_us) {
        return FLASHMODEL_E_INVAL;
    }
    switch (d->kind) {
    case FLASHMODEL_DIST_NORMAL:
        return isfinite(d->mean_us) && d->stddev_us >= 0 && isfinite(d->stddev_us)
                   ? 0
                   : FLASHMODEL_E_INVAL;
    case FLASHMODEL_DIST_LOGNORMAL:
        return d->median_us > 0 && isfinite(d->median_us) && d->sigma >= 0 && isfinite(d->sigma)
                   ? 0
                   : FLASHMODEL_E_INVAL;
    case FLASHMODEL_DIST_SPIKES:
        return d->spike_p >= 0 && d->spike_p <= 1 ? 0 : FLASHMODEL_E_INVAL;
    case FLASHMODEL_DIST_TRACE:
        return d->trace_us != NULL && d->trace_count > 0 ? 0 : FLASHMODEL_E_INVAL;
    default:
        return 0;
    }
}

/* Round to whole us, clamp to [lo, hi] (hi 0: none) and to >= 0. */
static uint64_t clamp_us(double x, uint64_t lo, uint64_t hi)
{
    if (!(x > 0)) { /* also catches NaN */
        x = 0;
    }
    /* 2^63 us is 292 000 years: saturate rather than overflow the cast. */
    uint64_t v = x >= 0x1.0p63 ? UINT64_MAX : (uint64_t)llround(x);
    if (v < lo) {
        v = lo;
    }
    if (hi != 0 && v > hi) {
        v = hi;
    }
    return v;
}

uint64_t flashmodel_dist_draw(const flashmodel_dist_t *d, flashmodel_rng_t *rng, size_t *trace_pos)
{
    switch (d->kind) {
    case FLASHMODEL_DIST_FIXED:
        return d->value_us;
    case FLASHMODEL_DIST_UNIFORM:
        return d->min_us + flashmodel_rng_below(rng, d->max_us - d->min_us + 1);
    case FLASHMODEL_DIST_NORMAL:
        return clamp_us(d->mean_us + d->stddev_us * flashmodel_rng_normal(rng), d->min_us,
                        d->max_us);
    case FLASHMODEL_DIST_LOGNORMAL:
        return clamp_us(d->median_us * exp(d->sigma * flashmodel_rng_normal(rng)), d->min_us,
                        d->max_us);
    case FLASHMODEL_DIST_SPIKES:
        /* Always one draw, spike or not, so the stream does not depend on p. */
        return d->value_us + (flashmodel_rng_unit(rng) < d->spike_p ? d->spike_us : 0);
    case FLASHMODEL_DIST_TRACE: {
        uint64_t v = d->trace_us[*trace_pos % d->trace_count];
        *trace_pos = (*trace_pos + 1) % d->trace_count;
        return v;
    }
    default:
        return 0;
    }
}

FLASHMODEL__NAME_LOOKUPS(flashmodel_dist_kind_t, flashmodel_dist_name, flashmodel_dist_from_name,
                         dist_names, FLASHMODEL_DIST_KIND_COUNT)
