#include "flashmodel/rng.h"

#include <math.h>

uint64_t flashmodel_rng_mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15u;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

void flashmodel_rng_seed(flashmodel_rng_t *rng, uint64_t seed)
{
    /* splitmix64 never yields four zero words in a row, which is the one
     * state xoshiro cannot leave. */
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        rng->s[i] = flashmodel_rng_mix(x);
        x += 0x9E3779B97F4A7C15u;
    }
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t flashmodel_rng_next(flashmodel_rng_t *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t flashmodel_rng_below(flashmodel_rng_t *rng, uint64_t n)
{
    if (n == 0) {
        return 0;
    }
    /* Reject the top partial bucket so every residue is equally likely. */
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t r = flashmodel_rng_next(rng);
        if (r >= threshold) {
            return r % n;
        }
    }
}

double flashmodel_rng_unit(flashmodel_rng_t *rng)
{
    return (double)(flashmodel_rng_next(rng) >> 11) * 0x1.0p-53;
}

double flashmodel_rng_normal(flashmodel_rng_t *rng)
{
    /* 1 - unit is in (0, 1]: log never sees zero. */
    double u1 = 1.0 - flashmodel_rng_unit(rng);
    double u2 = flashmodel_rng_unit(rng);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
