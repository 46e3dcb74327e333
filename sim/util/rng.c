#include "chunksim/rng.h"

#define SPLITMIX64_GOLDEN UINT64_C(0x9e3779b97f4a7c15)
#define FNV1A64_OFFSET    UINT64_C(0xcbf29ce484222325)
#define FNV1A64_PRIME     UINT64_C(0x100000001b3)

/* The splitmix64 output function alone: flashmodel_rng_mix() adds the increment first. */
static uint64_t splitmix64_mix(uint64_t z)
{
    return flashmodel_rng_mix(z - SPLITMIX64_GOLDEN);
}

static uint64_t fnv1a64(const char *text)
{
    uint64_t h = FNV1A64_OFFSET;

    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        h ^= *p;
        h *= FNV1A64_PRIME;
    }
    return h;
}

void chunksim_rng_seed(chunksim_rng_t *rng, uint64_t seed)
{
    flashmodel_rng_seed(rng, seed);
}

uint64_t chunksim_rng_next_u64(chunksim_rng_t *rng)
{
    return flashmodel_rng_next(rng);
}

double chunksim_rng_uniform(chunksim_rng_t *rng)
{
    return flashmodel_rng_unit(rng);
}

uint64_t chunksim_rng_range(chunksim_rng_t *rng, uint64_t lo, uint64_t hi)
{
    if (hi <= lo) {
        return lo;
    }
    const uint64_t span = hi - lo; /* values - 1: the full range does not overflow */
    if (span == UINT64_MAX) {
        return chunksim_rng_next_u64(rng);
    }
    const uint64_t n = span + 1;
    /* Reject the last, partial copy of [0, n) in [0, 2^64) so every value
     * keeps exactly the same number of preimages. */
    const uint64_t limit = UINT64_MAX - (UINT64_MAX % n + 1) % n;
    uint64_t x;
    do {
        x = chunksim_rng_next_u64(rng);
    } while (x > limit);
    return lo + x % n;
}

uint64_t chunksim_rng_derive(chunksim_rng_t *out, uint64_t run_seed, const char *stream_name)
{
    const uint64_t name_hash = splitmix64_mix(fnv1a64(stream_name) + SPLITMIX64_GOLDEN);
    const uint64_t derived = splitmix64_mix(run_seed ^ name_hash);

    chunksim_rng_seed(out, derived);
    return derived;
}
