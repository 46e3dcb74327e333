/*
 * Matrix: scenario files with lists of values, expanded into the cases a
 * batch of runs is made of (docs/design.md, "Scale").
 *
 * A case is a scenario file + overrides ("section.key=value", applied in
 * order after the file, exactly as `chunksim run --set` applies them) + a seed
 * (or the file's own [run] seed). A file lists values in its [matrix] section
 * (scenarios/README.md, "Matrices"):
 *
 *     [matrix]
 *     seeds = 1..20
 *     link.att_mtu = 23 | 247
 *     faults.fault = none | read_error rate=0.05
 *
 * and stands for the cross product: 2 x 2 axes x 20 seeds = 80 cases.
 *
 *     chunksim_matrix_t m;
 *     chunksim_matrix_init(&m, &(chunksim_matrix_config_t){.seeds = "1..5"}, err, sizeof err);
 *     chunksim_matrix_add_file(&m, "scenarios/ble_default.ini", err, sizeof err);
 *     for (size_t i = 0; i < chunksim_matrix_count(&m); i++) {
 *         chunksim_matrix_case_t c;
 *         chunksim_matrix_case(&m, i, &c);           // c.id, c.sets, c.seed
 *         chunksim_matrix_case_load(&m, &c, &sc, err, sizeof err);
 *         ...                                        // chunksim_run(&sc, ...)
 *         chunksim_scenario_free(&sc);
 *     }
 *     chunksim_matrix_free(&m);
 *
 * Order: files in the order added; within a file the axes nest like loops in
 * the order they are listed, the last one varying fastest, and seeds vary
 * fastest of all. The order is part of the contract: shards and case indices
 * depend on it.
 *
 * Cases are not stored: case(i) is computed from i (mixed-radix), so a matrix
 * of millions of cases costs the memory of its lists.
 *
 * Case id: 10 characters of Crockford base32 (0-9, a-z without i, l, o, u)
 * from a SHA-256 of the file's base name, the overrides and the seed. It is
 * the same on every machine and in every run of the same matrix, and names a
 * case across shards. An id is resolved by expanding the matrix again
 * (chunksim_matrix_find); the repro line (chunksim_matrix_case_repro) needs
 * no matrix at all.
 *
 * Case name: what the case is, readable, e.g.
 * "read_faults[reader.window_bytes=2048,faults.fault=read_error op=3] seed 1":
 * the file's base name without .ini, its axes' values in order, the seed.
 * A name is decoded (mixed-radix, no expansion), so it finds a case of a
 * matrix of any size at once.
 *
 * Errors are negative errno values (-EINVAL bad input, -ENOENT no such case,
 * -ENOMEM, -E2BIG too many cases or axes); err names the file, line and key.
 */
#ifndef CHUNKSIM_MATRIX_H
#define CHUNKSIM_MATRIX_H

#include "chunksim/scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Characters of a case id, and the bytes that hold one with its NUL. */
#define CHUNKSIM_MATRIX_ID_CHARS 10
#define CHUNKSIM_MATRIX_ID_BYTES (CHUNKSIM_MATRIX_ID_CHARS + 1)

/* Overrides per case: the config's sets plus one per axis. */
#define CHUNKSIM_MATRIX_SETS_MAX 64

/* Cases in one matrix; far beyond what one machine runs, small enough for size_t math. */
#define CHUNKSIM_MATRIX_CASES_MAX (UINT64_C(1) << 48)

/* Cases an id is searched among: an id is a hash, so finding one expands the matrix. */
#define CHUNKSIM_MATRIX_FIND_MAX (UINT64_C(1) << 26)

/* What every file of the matrix shares. */
typedef struct chunksim_matrix_config {
    /* Seeds for every file instead of their [matrix] seeds: "A..B", "N", or a
     * list of those separated by ',' or '|'. NULL: each file's own. */
    const char *seeds;
    /* Overrides for every case ("section.key=value"), applied after the seed
     * and before the axes. They are part of every case's id and repro line. */
    const char *const *sets;
    size_t set_count;
} chunksim_matrix_config_t;

/* One list of values: "section.key" and each value as "section.key=value". */
typedef struct chunksim_matrix_axis {
    char *key;
    char **sets;
    size_t count;
    uint32_t line; /* [matrix] line it came from; 0 when added by code */
} chunksim_matrix_axis_t;

typedef struct chunksim_seed_range {
    uint64_t first, last; /* inclusive */
} chunksim_seed_range_t;

/* One scenario file and the lists it varies. */
typedef struct chunksim_matrix_file {
    char *path;               /* as given */
    chunksim_scenario_t base; /* the file as loaded, before any override */
    chunksim_matrix_axis_t *axes;
    size_t axis_count;
    chunksim_seed_range_t *seeds; /* NULL: the file's [run] seed, one case per combination */
    size_t seed_range_count;
    uint64_t seed_count; /* seeds per combination (1 without seeds) */
    uint64_t first_case; /* index of its first case in the matrix */
    uint64_t case_count;
} chunksim_matrix_file_t;

typedef struct chunksim_matrix {
    chunksim_matrix_file_t *files;
    size_t file_count;
    uint64_t case_count;
    /* Private. */
    char **sets_;
    size_t set_count_;
    chunksim_seed_range_t *seeds_;
    size_t seed_range_count_;
    bool has_seeds_;
} chunksim_matrix_t;

/*
 * One case. Filled by chunksim_matrix_case(), or by hand (fault sweeps and
 * other generators) and then given an id with chunksim_matrix_case_set_id().
 * The strings belong to the matrix (or whoever filled it) and live as long.
 */
typedef struct chunksim_matrix_case {
    uint64_t index; /* position in the matrix */
    size_t file;    /* index into the matrix's files */
    const char *path;
    const char *sets[CHUNKSIM_MATRIX_SETS_MAX]; /* "section.key=value", in the order applied */
    size_t set_count;
    bool has_seed; /* false: the file's own [run] seed */
    uint64_t seed;
    char id[CHUNKSIM_MATRIX_ID_BYTES];
} chunksim_matrix_case_t;

/* An empty matrix with the shared settings (cfg may be NULL). Copies what it keeps. */
int chunksim_matrix_init(chunksim_matrix_t *m, const chunksim_matrix_config_t *cfg, char *err,
                         size_t errlen);

/*
 * Loads the scenario file (it must be valid on its own), reads its [matrix]
 * section, checks every listed value through the same per-key checks as
 * --set, and appends its cases. Refused: a second file with the same base
 * name (case ids hash it), a key listed twice, a value listed twice in one
 * list, run.seed (use seeds), overlapping seed ranges.
 */
int chunksim_matrix_add_file(chunksim_matrix_t *m, const char *path, char *err, size_t errlen);

/*
 * Appends one more list to a file already added (a generator's sweep, e.g.
 * faults.fault = power_loss op=0 | op=1 | ...); the file's cases multiply
 * and those of later files move. Values are checked as in a [matrix] line.
 */
int chunksim_matrix_add_axis(chunksim_matrix_t *m, size_t file, const char *key,
                             const char *const *values, size_t count, char *err, size_t errlen);

/* Number of cases. */
uint64_t chunksim_matrix_count(const chunksim_matrix_t *m);

/* Case number index (0 .. count-1), with its id. -ENOENT past the end. */
int chunksim_matrix_case(const chunksim_matrix_t *m, uint64_t index, chunksim_matrix_case_t *c);

/*
 * The case with this id (case-insensitive; by expanding the matrix, -E2BIG
 * beyond CHUNKSIM_MATRIX_FIND_MAX cases) or this name (decoded, any size).
 * -ENOENT if none.
 */
int chunksim_matrix_find(const chunksim_matrix_t *m, const char *id, chunksim_matrix_case_t *c);

/* Computes c->id from c->path's base name, c->sets and the seed. */
void chunksim_matrix_case_set_id(chunksim_matrix_case_t *c);

/*
 * The case's scenario, ready to run: a copy of its file's base, then
 * run.seed (when the case has one, as `chunksim run --seed` does), then the
 * overrides in order, then validation. sc must be freed by the caller.
 */
int chunksim_matrix_case_load(const chunksim_matrix_t *m, const chunksim_matrix_case_t *c,
                              chunksim_scenario_t *sc, char *err, size_t errlen);

/*
 * The command that runs the case alone: "chunksim run FILE --seed N --set
 * KEY=VALUE ...", shell-quoted where needed. Returns the length it needs
 * (like snprintf); the text is cut, NUL-terminated, when len is too small.
 */
size_t chunksim_matrix_case_repro(const chunksim_matrix_case_t *c, char *buf, size_t len);

/*
 * The case's cell: the values of its axes (the overrides after the config's
 * shared ones, a generator's included), each without its section, joined by
 * ',': "window=2048,fault=read_error op=3"; "" for a file without axes.
 * Returns the length it needs, like chunksim_matrix_case_repro.
 */
size_t chunksim_matrix_case_cell(const chunksim_matrix_t *m, const chunksim_matrix_case_t *c,
                                 char *buf, size_t len);

/*
 * What a person calls the case: the file's base name without ".ini", the
 * cell in brackets when there is one, and the seed (the file's own when the
 * case has none): "read_faults[window=2048,fault=read_error op=3] seed 1".
 * chunksim_matrix_find() decodes it back into the case without expanding
 * the matrix. Readable, not a key: two cells may read alike once sections
 * are dropped (the first match wins); the case id is the key. Returns the
 * length it needs.
 */
size_t chunksim_matrix_case_name(const chunksim_matrix_t *m, const chunksim_matrix_case_t *c,
                                 char *buf, size_t len);

/*
 * Seeds: "A..B" (inclusive), "N", or such items separated by ',' or '|';
 * decimal or 0x hex, 0 to 2^64-1; ranges may not overlap. *ranges is
 * allocated (free() it); *count_seeds is the number of seeds.
 */
int chunksim_matrix_seeds_parse(const char *text, chunksim_seed_range_t **ranges, size_t *count,
                                uint64_t *count_seeds, char *err, size_t errlen);

/* "K/N" with 1 <= K <= N: shard K of N. */
int chunksim_matrix_shard_parse(const char *text, uint32_t *k, uint32_t *n, char *err,
                                size_t errlen);

/* Whether case index belongs to shard k of n: index mod n = k - 1. Shards 1..n partition. */
bool chunksim_matrix_in_shard(uint64_t index, uint32_t k, uint32_t n);

/* Releases everything the matrix owns (its files' base scenarios included). */
void chunksim_matrix_free(chunksim_matrix_t *m);

#endif
