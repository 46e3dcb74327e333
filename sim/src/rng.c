#include "chunksim/rng.h"

#define SPLITMIX64_GOLDEN UINT64_C(0x9e3779b97f4a7c15)
#define FNV1A64_OFFSET    UINT64_C(0xcbf29ce484222325)
#define FNV1A64_PRIME     UINT64_C(0x100000001b3)

/* The splitmix64 output function: a bijection that spreads every input bit. */
static uint64_t splitmix64_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t splitmix64_next(uint64_t *state)
{
    *state += SPLITMIX64_GOLDEN;
    return splitmix64_mix(*state);
}

static uint64_t rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
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
    uint64_t sm = seed;

    /* splitmix64 is a bijection over a counter, so four consecutive outputs
     * are never all zero: the one state xoshiro cannot leave is unreachable. */
    for (int i = 0; i < 4; i++) {
        rng->s[i] = splitmix64_next(&sm);
    }
}

uint64_t chunksim_rng_next_u64(chunksim_rng_t *rng)
{
    uint64_t *s = rng->s;
    const uint64_t result = rotl64(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

double chunksim_rng_uniform(chunksim_rng_t *rng)
{
    /* The top 53 bits fill a double's mantissa exactly: every value is a
     * multiple of 2^-53 and 1.0 itself cannot come out. */
    return (double)(chunksim_rng_next_u64(rng) >> 11) * 0x1.0p-53;
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
