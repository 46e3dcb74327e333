/*
 * Latency distributions: how long one operation of a kind takes.
 *
 * The config holds one flashmodel_dist_t per operation kind. The default kind,
 * PART, is the datasheet: the read formula or the wear-grown program/erase
 * time of part.h, with no randomness. Every other kind draws from the model's
 * generator, and the drawn latency is reported in the op result
 * (flashmodel_op_t.latency_us).
 *
 * By default a draw replaces the datasheet time; with add_to_part it is added
 * to it (driver, DMA or interrupt overhead on top of the bus transfer: the
 * datasheet part grows with wear, the overhead does not). A draw that
 * replaces the datasheet time describes a fresh part: for program and erase
 * it is scaled by the wear growth factor t(w) / t(0) of part.h, except TRACE
 * values, which were measured on a real part and are used as recorded, and
 * draws of a dist marked unscaled (a latency the user states as is).
 *
 * Drawn values are rounded to the nearest microsecond and clamped at zero;
 * NORMAL and LOGNORMAL are further clamped to [min_us, max_us] (max_us 0: no
 * upper clamp).
 *
 * Number of generator draws per op: PART, FIXED and TRACE none; UNIFORM,
 * SPIKES one; NORMAL, LOGNORMAL two.
 */
#ifndef FLASHMODEL_DIST_H
#define FLASHMODEL_DIST_H

#include "flashmodel/rng.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLASHMODEL_DIST_MAP(X)                                                                     \
    X(PART, "part")           /* datasheet time, no draw */                                        \
    X(FIXED, "fixed")         /* value_us */                                                       \
    X(UNIFORM, "uniform")     /* integer uniform in [min_us, max_us] */                            \
    X(NORMAL, "normal")       /* mean_us + stddev_us * N(0,1), clamped */                          \
    X(LOGNORMAL, "lognormal") /* median_us * exp(sigma * N(0,1)), clamped */                       \
    X(SPIKES, "spikes")       /* value_us, plus spike_us with probability spike_p */               \
    X(TRACE, "trace")         /* trace_us[0], [1], ... in order; wraps to [0] after the last */

typedef enum flashmodel_dist_kind {
#define FLASHMODEL_DIST_ENUM_(name, text) FLASHMODEL_DIST_##name,
    FLASHMODEL_DIST_MAP(FLASHMODEL_DIST_ENUM_)
#undef FLASHMODEL_DIST_ENUM_
        FLASHMODEL_DIST_KIND_COUNT
} flashmodel_dist_kind_t;

typedef struct flashmodel_dist {
    flashmodel_dist_kind_t kind;
    bool add_to_part;  /* draw + datasheet time instead of draw alone */
    bool unscaled;     /* a draw that replaces the datasheet time does not grow with wear */
    uint64_t value_us; /* FIXED: the latency; SPIKES: the base */
    uint64_t min_us;   /* UNIFORM: lower bound; NORMAL/LOGNORMAL: lower clamp */
    uint64_t max_us;   /* UNIFORM: upper bound; NORMAL/LOGNORMAL: upper clamp, 0 = none */
    double mean_us;    /* NORMAL */
    double stddev_us;  /* NORMAL */
    double median_us;  /* LOGNORMAL: exp(mu); the mean is median_us * exp(sigma^2 / 2) */
    double sigma;      /* LOGNORMAL: standard deviation of the underlying normal */
    double spike_p;    /* SPIKES: probability per op, in [0, 1] */
    uint64_t spike_us; /* SPIKES: added on a spike */
    /*
     * TRACE: latencies in us, caller-owned, must outlive the model. The model
     * keeps its own position per operation kind, shared by kinds whose dists
     * name the same array and count (one recorded sequence, e.g. of erases of
     * any size); after the last value it wraps to the first (a trace shorter
     * than the run repeats, which keeps its statistics and never stalls the
     * run).
     */
    const uint64_t *trace_us;
    size_t trace_count;
} flashmodel_dist_t;

/* 0, or FLASHMODEL_E_INVAL (min > max, negative deviation, p outside [0,1], empty trace ...). */
int flashmodel_dist_check(const flashmodel_dist_t *dist);

/*
 * One draw in us. PART returns 0 (the caller supplies the datasheet time).
 * *trace_pos is the TRACE position to use and advance; other kinds ignore it.
 */
uint64_t flashmodel_dist_draw(const flashmodel_dist_t *dist, flashmodel_rng_t *rng,
                              size_t *trace_pos);

const char *flashmodel_dist_name(flashmodel_dist_kind_t kind); /* "lognormal"; "?" if bad */
int flashmodel_dist_from_name(const char *name);               /* kind, or FLASHMODEL_E_INVAL */

#endif
