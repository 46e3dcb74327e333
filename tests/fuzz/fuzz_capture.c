/*
 * libFuzzer target: the capture parser (every format, and auto-detection)
 * feeding the reassembler, whose complete coredump messages go through the
 * coredump walk. Besides the sanitizers, it checks what the decoder promises:
 * a message's segments are sorted and cover it exactly, the CRC verdict
 * matches the two CRCs, every chunk and damage report is counted.
 *
 * The same entry point is replayed over tests/fuzz/regressions and the seed
 * corpus by replay_main.c in the normal build.
 */
#include "chunksim/capture.h"
#include "chunksim/decoder.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Small enough that a fuzzed length does not make every run allocate 64 MiB. */
#define FUZZ_MAX_BYTES (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fuzz {
    chunksim_decoder_t dec;
    uint64_t chunks;
    uint64_t damage;
    uint64_t errors;
} fuzz_t;

static void fuzz_check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_capture: broken promise: %s\n", what);
        abort();
    }
}

static void fuzz_on_block(void *data, const chunksim_coredump_block_t *b)
{
    const chunksim_message_t *m = data;
    uint64_t chunk;
    fuzz_check(b->offset < m->length, "block inside the message");
    (void)chunksim_message_chunk_at(m, m->header_bytes + b->offset, &chunk);
    (void)chunksim_coredump_block_name(b->type);
}

static void fuzz_on_problem(void *data, const chunksim_coredump_problem_t *p)
{
    const chunksim_message_t *m = data;
    uint64_t chunk;
    (void)chunksim_message_chunk_at(m, m->header_bytes + p->offset, &chunk);
    (void)chunksim_coredump_problem_name(p->kind);
}

static void fuzz_on_message(void *data, const chunksim_message_t *m)
{
    (void)data;
    uint32_t cur = 0;
    for (size_t i = 0; i < m->nsegments; i++) {
        fuzz_check(m->segments[i].offset == cur, "segments contiguous and sorted");
        fuzz_check(m->segments[i].length > 0, "no empty segment");
        cur += m->segments[i].length;
    }
    fuzz_check(cur == m->length, "segments cover the message");
    fuzz_check(m->crc_ok == (m->crc_expected == m->crc_computed), "CRC verdict");
    fuzz_check(m->header_bytes <= m->length, "header inside the message");
    fuzz_check(m->chunks >= m->nsegments, "every segment from a chunk");
    for (uint32_t off = 0; off < m->length; off += 1 + m->length / 8) {
        uint64_t chunk;
        fuzz_check(chunksim_message_chunk_at(m, off, &chunk), "every byte from a chunk");
    }
    if (m->type == 1 && !m->rle) {
        const chunksim_coredump_walk_config_t cfg = {fuzz_on_block, fuzz_on_problem, (void *)m};
        chunksim_coredump_info_t info;
        uint32_t n = chunksim_coredump_walk(m->bytes + m->header_bytes, m->length - m->header_bytes,
                                            &cfg, &info);
        fuzz_check(n == info.problems, "problems counted");
    }
}

static void fuzz_on_damage(void *data, const chunksim_damage_t *d)
{
    fuzz_t *f = data;
    char text[256];
    f->damage++;
    fuzz_check(chunksim_damage_describe(d, text, sizeof(text)) > 0, "damage described");
    fuzz_check(chunksim_damage_name(d->kind)[0] != 'u', "damage kind known");
}

static int fuzz_on_chunk(void *data, const chunksim_capture_loc_t *loc, const uint8_t *c,
                         size_t len)
{
    fuzz_t *f = data;
    fuzz_check(loc->index == f->chunks, "chunks numbered in order");
    f->chunks++;
    return chunksim_decoder_feed(&f->dec, loc->index, c, len);
}

static void fuzz_on_error(void *data, const chunksim_capture_error_t *e)
{
    fuzz_t *f = data;
    char text[256];
    f->errors++;
    fuzz_check(chunksim_capture_error_describe(e, text, sizeof(text)) > 0, "error described");
}

static void fuzz_one(const uint8_t *data, size_t size, chunksim_capture_format_t format)
{
    fuzz_t f = {0};
    const chunksim_decoder_config_t dcfg = {fuzz_on_message, fuzz_on_damage, &f, FUZZ_MAX_BYTES};
    chunksim_decoder_init(&f.dec, &dcfg);
    const chunksim_capture_config_t ccfg = {
        .format = format,
        .on_chunk = fuzz_on_chunk,
        .on_error = fuzz_on_error,
        .data = &f,
        .max_chunk_bytes = FUZZ_MAX_BYTES,
    };
    chunksim_capture_stats_t st;
    int rc = chunksim_capture_parse(&ccfg, data, size, &st);
    if (rc == CHUNKSIM_CAPTURE_AMBIGUOUS) {
        const unsigned fits = chunksim_capture_candidates(data, size);
        fuzz_check(format == CHUNKSIM_CAPTURE_AUTO && (fits & (fits - 1)) != 0,
                   "ambiguous only for auto, and then with two candidates or more");
        fuzz_check(st.chunks == 0 && st.errors == 0, "nothing parsed when ambiguous");
        chunksim_decoder_free(&f.dec);
        return;
    }
    fuzz_check(rc == 0, "parse succeeds (no allocation fails at these sizes)");
    chunksim_decoder_finish(&f.dec, st.chunks);
    fuzz_check(st.chunks == f.chunks, "chunks counted");
    fuzz_check(st.errors == f.errors, "errors counted");
    fuzz_check(f.dec.damaged == f.damage, "damage counted");
    fuzz_check(format == CHUNKSIM_CAPTURE_AUTO || st.format == format, "format kept");
    chunksim_decoder_free(&f.dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int f = CHUNKSIM_CAPTURE_AUTO; f < CHUNKSIM_CAPTURE_FORMATS; f++) {
        fuzz_one(data, size, (chunksim_capture_format_t)f);
    }
    return 0;
}
