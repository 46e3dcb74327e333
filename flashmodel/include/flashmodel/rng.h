/*
 * The model's pseudo-random generator: xoshiro256** seeded through
 * splitmix64. Small, fast, and the same sequence on every machine, which is
 * what makes a (scenario, seed) pair replay exactly. Each model instance owns
 * one; the sim derives its seed from the run seed per subsystem.
 *
 * Not for cryptography. The floating-point helpers use only IEEE-754
 * arithmetic plus log/sqrt/cos/exp from libm.
 */
#ifndef FLASHMODEL_RNG_H
#define FLASHMODEL_RNG_H

#include <stdint.h>

typedef struct flashmodel_rng {
    uint64_t s[4];
} flashmodel_rng_t;

/* Any seed, including 0, gives a usable (non-zero) state. */
void flashmodel_rng_seed(flashmodel_rng_t *rng, uint64_t seed);

/* Next 64 uniformly distributed bits. */
uint64_t flashmodel_rng_next(flashmodel_rng_t *rng);

/* Uniform in [0, n) without modulo bias; 0 when n is 0. */
uint64_t flashmodel_rng_below(flashmodel_rng_t *rng, uint64_t n);

/* Uniform in [0, 1) with 53 bits of resolution. */
double flashmodel_rng_unit(flashmodel_rng_t *rng);

/* Standard normal (Box-Muller; always consumes exactly two draws). */
double flashmodel_rng_normal(flashmodel_rng_t *rng);

/* splitmix64 step: also a decent 64-bit mixer for deriving sub-seeds. */
uint64_t flashmodel_rng_mix(uint64_t x);

#endif
