/*
 * libFuzzer target: matrix expansion. The input is a scenario file with a
 * [matrix] section (lists and seeds), then optionally a NUL byte and a seed
 * list as --seeds takes it. Besides the sanitizers, it checks what shards,
 * baselines and repro lines depend on: case i has index i and lies in its
 * file's range; every case id is 10 base32 characters; finding a case by its
 * id gives a case with the same overrides and seed (so the same repro line);
 * a case's scenario loads or is refused with a message; the shards of a
 * split cover every case once.
 *
 * replay_main.c runs the same entry point over the CI matrices and
 * tests/fuzz/regressions-matrix in the normal build.
 */
#include "chunksim/matrix.h"
#include "fuzz_split.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (16u * 1024u)
/* Cases looked at per input: the first, the last and some between. */
#define FUZZ_SAMPLES 12
/* find() expands the matrix again: only for matrices this small. */
#define FUZZ_FIND_MAX 4096

static void fuzz_check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_matrix: broken promise: %s\n", what);
        abort();
    }
}

/* The file the matrix reads: one per process, rewritten for every input. */
static const char *fuzz_write_file(const char *text, size_t len)
{
    static char path[64];
    if (path[0] == '\0')
        snprintf(path, sizeof path, "/tmp/fuzz_matrix.%ld.ini", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return NULL;
    size_t n = fwrite(text, 1, len, f);
    if (fclose(f) != 0 || n != len)
        return NULL;
    return path;
}

static void fuzz_check_id(const char *id)
{
    static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
    fuzz_check(strlen(id) == CHUNKSIM_MATRIX_ID_CHARS, "an id has 10 characters");
    for (const char *p = id; *p; p++)
        fuzz_check(strchr(alphabet, *p) != NULL, "an id is Crockford base32");
}

static void fuzz_check_case(const chunksim_matrix_t *m, uint64_t i)
{
    chunksim_matrix_case_t c, found;
    char repro[4096], again[4096];
    fuzz_check(chunksim_matrix_case(m, i, &c) == 0, "every index below the count is a case");
    fuzz_check(c.index == i && c.file < m->file_count, "the case knows its place");
    const chunksim_matrix_file_t *f = &m->files[c.file];
    fuzz_check(i >= f->first_case && i - f->first_case < f->case_count, "inside its file");
    fuzz_check_id(c.id);
    size_t n = chunksim_matrix_case_repro(&c, repro, sizeof repro);
    fuzz_check(n > 0, "a repro line");
    if (m->case_count <= FUZZ_FIND_MAX) {
        fuzz_check(chunksim_matrix_find(m, c.id, &found) == 0, "its id finds it");
        fuzz_check(strcmp(found.id, c.id) == 0, "the found case has the id");
        (void)chunksim_matrix_case_repro(&found, again, sizeof again);
        fuzz_check(strcmp(repro, again) == 0, "and the same repro line");
    }
    char err[CHUNKSIM_SCENARIO_ERR_BYTES] = "";
    chunksim_scenario_t sc;
    if (chunksim_matrix_case_load(m, &c, &sc, err, sizeof err) == 0)
        chunksim_scenario_free(&sc);
    else
        fuzz_check(err[0] != '\0', "a case that cannot load says why");
}

static void fuzz_check_shards(const chunksim_matrix_t *m)
{
    uint64_t count = m->case_count < 64 ? m->case_count : 64;
    for (uint64_t i = 0; i < count; i++) {
        unsigned hits = 0;
        for (uint32_t k = 1; k <= 3; k++)
            hits += chunksim_matrix_in_shard(i, k, 3);
        fuzz_check(hits == 1, "three shards cover a case exactly once");
    }
}

static void fuzz_matrix(const char *path, const char *seeds)
{
    char err[1024] = "";
    chunksim_matrix_t m;
    const chunksim_matrix_config_t cfg = {.seeds = seeds};
    if (chunksim_matrix_init(&m, &cfg, err, sizeof err) < 0) {
        fuzz_check(err[0] != '\0', "a refused seed list says why");
        return;
    }
    if (chunksim_matrix_add_file(&m, path, err, sizeof err) < 0) {
        fuzz_check(err[0] != '\0', "a refused matrix says why");
        chunksim_matrix_free(&m);
        return;
    }
    uint64_t count = chunksim_matrix_count(&m);
    fuzz_check(count == m.case_count && count <= CHUNKSIM_MATRIX_CASES_MAX, "case count");
    for (uint64_t s = 0; count > 0 && s < FUZZ_SAMPLES; s++)
        fuzz_check_case(&m, s == FUZZ_SAMPLES - 1 ? count - 1 : s * 7919 % count);
    chunksim_matrix_case_t c;
    fuzz_check(chunksim_matrix_case(&m, count, &c) < 0, "no case past the end");
    fuzz_check_shards(&m);
    chunksim_matrix_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *seeds;
    char *buf = fuzz_split(data, size, FUZZ_MAX_INPUT, &seeds);
    if (buf == NULL)
        return 0;
    const char *path = fuzz_write_file(buf, strlen(buf));
    if (path != NULL)
        fuzz_matrix(path, seeds[0] != '\0' ? seeds : NULL);
    free(buf);
    return 0;
}
