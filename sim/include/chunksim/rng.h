/*
 * chunksim_rng: the simulator's seeded pseudo-random generator.
 *
 * xoshiro256** (Blackman and Vigna), its 256-bit state filled from the seed by
 * splitmix64 as the authors recommend, so that any 64-bit seed (zero included)
 * gives a well-mixed state. Not cryptographic; chosen for speed and because
 * its output sequence is fixed by the algorithm, not by a libc or a platform,
 * so the same seed gives the same run on every machine.
 *
 * One run has one seed. Each subsystem (flash latency, faults, link loss, the
 * image pattern ...) draws from its own stream derived from that seed and a
 * stream name, so adding draws to one subsystem never shifts the numbers
 * another one sees, and a recorded derived seed replays one stream alone.
 */
#ifndef CHUNKSIM_RNG_H
#define CHUNKSIM_RNG_H

#include "flashmodel/rng.h"

#include <stdint.h>

/* The flash model's generator (same algorithm, same seeding): one implementation. */
typedef flashmodel_rng_t chunksim_rng_t;

/* Seeds rng from any 64-bit value. */
void chunksim_rng_seed(chunksim_rng_t *rng, uint64_t seed);

/* The next 64 random bits. */
uint64_t chunksim_rng_next_u64(chunksim_rng_t *rng);

/* A double uniformly drawn from [0, 1), with 53 bits of precision. */
double chunksim_rng_uniform(chunksim_rng_t *rng);

/*
 * An integer uniformly drawn from [lo, hi], both inclusive, without modulo
 * bias (rejection sampling), so chunksim_rng_range(rng, 0, UINT64_MAX) is a
 * valid full-range draw. If hi < lo, returns lo and draws nothing.
 */
uint64_t chunksim_rng_range(chunksim_rng_t *rng, uint64_t lo, uint64_t hi);

/*
 * Seeds out with the stream named stream_name (e.g. "flash.latency") of the
 * run whose seed is run_seed, and returns that stream's seed so it can be
 * recorded: chunksim_rng_seed(r, returned value) reproduces the same stream.
 *
 * derived = mix(run_seed ^ mix(fnv1a64(stream_name) + golden)) where mix is
 * the splitmix64 finalizer and golden its increment 0x9e3779b97f4a7c15. The
 * formula is part of the recorded-run format: changing it changes every
 * replayed run, which a golden-value test guards against.
 */
uint64_t chunksim_rng_derive(chunksim_rng_t *out, uint64_t run_seed, const char *stream_name);

#endif
