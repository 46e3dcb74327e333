/*
 * xorshift64* for the core tests: a fixed seed gives the same sequence on
 * every machine and libc, which rand() does not promise.
 */
#ifndef CHUNKSIM_TEST_PRNG_H
#define CHUNKSIM_TEST_PRNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct test_prng {
    uint64_t state; /* never 0 */
} test_prng_t;

static inline void test_prng_seed(test_prng_t *r, uint64_t seed)
{
    r->state = seed ? seed : 0x9E3779B97F4A7C15ull;
}

static inline uint32_t test_prng_u32(test_prng_t *r)
{
    uint64_t x = r->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->state = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

/* Uniform in [lo, hi] (hi - lo far below 2^32, so the modulo bias is negligible here). */
static inline uint32_t test_prng_range(test_prng_t *r, uint32_t lo, uint32_t hi)
{
    return lo + test_prng_u32(r) % (hi - lo + 1u);
}

static inline void test_prng_fill(test_prng_t *r, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)test_prng_u32(r);
    }
}

#endif
