/*
 * The run-length encoded source (chunkcore/rle.h): byte vectors derived by
 * hand from the format, the SDK's own unit-test vectors as a cross-check,
 * round trips through an independent decoder and an independent encoder
 * written from the cutting rules, the reads the passes make, retries after a
 * failed read, the configuration-time refusal, and whole messages through
 * the packetizer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "chunksim_test_main.h"

#include "chunksim_test_cmp.h"

#include "chunk_decoder.h"
#include "test_prng.h"
#include "test_ram.h"

#include "chunkcore/error.h"
#include "chunkcore/packetizer.h"
#include "chunkcore/rle.h"

#define MAX_INPUT_BYTES   12000u
#define MAX_ENCODED_BYTES (MAX_INPUT_BYTES + MAX_INPUT_BYTES / 2 + 16u)
#define MAX_READS         4096u

/* ---- a source in RAM that logs its reads ---- */

/* The RAM source, that also logs the reads and fails one on demand. */
typedef struct mem_source {
    test_ram_source_t ram;      /* first: its callbacks and mem_read share one ctx */
    uint32_t log[MAX_READS][2]; /* offset, length of each read */
    size_t reads;               /* the failed one too */
    size_t fail_read;           /* this read (1-based) fails once with fail_rc; 0: none */
    int fail_rc;
    chunkcore_rle_t rle; /* the encoder over this source (rle_over) */
} mem_source_t;

static int mem_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    mem_source_t *m = ctx;
    assert_gt(len, 0);
    /* Here as well as in the copy: the read failed on purpose must stay in the payload too. */
    assert_le(offset, m->ram.payload_bytes);
    assert_le(len, m->ram.payload_bytes - offset);
    if (m->reads < MAX_READS) {
        m->log[m->reads][0] = offset;
        m->log[m->reads][1] = (uint32_t)len;
    }
    if (++m->reads == m->fail_read) {
        return m->fail_rc;
    }
    return test_ram_source_read(&m->ram, offset, buf, len);
}

static mem_source_t *mem_new(const uint8_t *data, uint32_t bytes)
{
    mem_source_t *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    test_ram_source_init(&m->ram, data, bytes);
    m->ram.src.read = mem_read;
    return m;
}

/* ---- encoding through the source ---- */

/* A payload with every kind of sequence (run, literal, run, literal, run at the end) and its
 * encoding. */
static const uint8_t sample_core[] = {1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 6, 9, 9, 9, 9};
static const uint8_t sample_encoded[] = {4, 1, 5, 2, 3, 4, 10, 5, 1, 6, 8, 9};

/* The encoded view of m; freeing m frees the encoder too. */
static const chunkcore_source_t *rle_over(mem_source_t *m)
{
    const chunkcore_rle_config_t cfg = {.source = &m->ram.src};
    assert_int_equal(chunkcore_rle_init(&m->rle, &cfg), CHUNKCORE_OK);
    return chunkcore_rle_source(&m->rle);
}

/*
 * The encoded stream, read in pieces of `piece` bytes (0: random 1..300 from
 * rng). Checks that the length has_message announced is what comes out.
 */
static size_t encode_in_pieces(const uint8_t *in, size_t n, size_t piece, test_prng_t *rng,
                               uint8_t *out)
{
    mem_source_t *m = mem_new(in, (uint32_t)n);
    const chunkcore_source_t *s = rle_over(m);
    uint32_t total = 0;
    assert_int_equal(s->has_message(s->ctx, &total), 1);
    assert_le(total, MAX_ENCODED_BYTES);
    for (uint32_t off = 0; off < total;) {
        uint32_t k = piece ? (uint32_t)piece : test_prng_range(rng, 1, 300);
        k = k < total - off ? k : total - off;
        assert_int_equal(s->read(s->ctx, off, out + off, k), 0);
        off += k;
    }
    free(m);
    return total;
}

static size_t encode(const uint8_t *in, size_t n, uint8_t *out)
{
    return encode_in_pieces(in, n, MAX_ENCODED_BYTES, NULL, out);
}

static void assert_encodes_to(const uint8_t *in, size_t n, const uint8_t *want, size_t want_bytes)
{
    static uint8_t out[MAX_ENCODED_BYTES];
    size_t got = encode(in, n, out);
    assert_int_equal(got, want_bytes);
    assert_memory_equal(out, want, want_bytes);
    /* The same bytes whatever the reads are cut into. */
    for (size_t piece = 1; piece < want_bytes; piece++) {
        memset(out, 0xBA, want_bytes);
        assert_int_equal(encode_in_pieces(in, n, piece, NULL, out), want_bytes);
        assert_memory_equal(out, want, want_bytes);
    }
    static uint8_t back[MAX_INPUT_BYTES];
    assert_int_equal(test_rle_decode(out, got, back, sizeof(back)), (long)n);
    assert_memory_equal(back, in, n);
}

#define ASSERT_ENCODES(in, want) assert_encodes_to(in, sizeof(in), want, sizeof(want))

/* ---- an independent encoder: the cutting rules of rle.h, with the whole input in view ---- */

static size_t ref_varint(uint32_t v, uint8_t *out)
{
    size_t n = 0;
    for (; v >= 0x80u; v >>= 7) {
        out[n++] = (uint8_t)(0x80u | (v & 0x7Fu));
    }
    out[n++] = (uint8_t)v;
    return n;
}

static bool ref_triple_at(const uint8_t *in, size_t n, size_t i)
{
    return i + 2 < n && in[i] == in[i + 1] && in[i] == in[i + 2];
}

static size_t ref_encode(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t o = 0;
    if (n == 0) {
        out[o++] = 0x00; /* one empty literal */
        return o;
    }
    for (size_t s = 0; s < n;) {
        size_t e = s + 1;
        if (e < n && in[e] == in[s]) {
            while (e < n && in[e] == in[s]) {
                e++;
            }
            o += ref_varint((uint32_t)(2 * (e - s)), out + o);
            out[o++] = in[s];
        } else {
            while (e < n && !ref_triple_at(in, n, e)) {
                e++;
            }
            o += ref_varint((uint32_t)(2 * (e - s) - 1), out + o);
            memcpy(out + o, in + s, e - s);
            o += e - s;
        }
        s = e;
    }
    return o;
}

/* ---- hand-checked vectors ---- */

/*
 * Each derived from the format alone: run of n -> varint(2n) then the byte;
 * literal of n -> varint(2n - 1) then the bytes; a sequence starting with a
 * pair is a run; a literal ends before three equal bytes.
 */
static void test_hand_checked_small_vectors(void **state)
{
    (void)state;
    /* Nothing: one empty literal, varint(0). */
    assert_encodes_to((const uint8_t[]){0x5A}, 0, (const uint8_t[]){0x00}, 1);
    /* One byte: literal of 1, 2*1 - 1 = 1. */
    static const uint8_t one[] = {0x01}, one_e[] = {0x01, 0x01};
    ASSERT_ENCODES(one, one_e);
    /* A pair at the start is a run of 2: 2*2 = 4. */
    static const uint8_t pair[] = {0x07, 0x07}, pair_e[] = {0x04, 0x07};
    ASSERT_ENCODES(pair, pair_e);
    /* Two different bytes: literal of 2, 3. */
    static const uint8_t two[] = {0x01, 0x02}, two_e[] = {0x03, 0x01, 0x02};
    ASSERT_ENCODES(two, two_e);
    /* A pair inside a literal stays there: literal of 4, 7 (5 bytes, not 6). */
    static const uint8_t inner[] = {0x01, 0x02, 0x02, 0x03},
                         inner_e[] = {0x07, 0x01, 0x02, 0x02, 0x03};
    ASSERT_ENCODES(inner, inner_e);
    /* Three in a row end the literal: literal of 1 (1), run of 3 (6). */
    static const uint8_t triple[] = {0x01, 0x02, 0x02, 0x02}, triple_e[] = {0x01, 0x01, 0x06, 0x02};
    ASSERT_ENCODES(triple, triple_e);
    /* A run ends at the first other byte, which starts a literal: run 3 (6), literal 1 (1). */
    static const uint8_t run_lit[] = {0x05, 0x05, 0x05, 0x06},
                         run_lit_e[] = {0x06, 0x05, 0x01, 0x06};
    ASSERT_ENCODES(run_lit, run_lit_e);
    /* Run of 4 zeros (8), literal of 4 (7). */
    static const uint8_t word[] = {0x00, 0x00, 0x00, 0x00, 0xDE, 0xAD, 0xBE, 0xEF},
                         word_e[] = {0x08, 0x00, 0x07, 0xDE, 0xAD, 0xBE, 0xEF};
    ASSERT_ENCODES(word, word_e);
    /* Run, run: 2 x 0x11 (4), then 3 x 0x22 (6). */
    static const uint8_t runs[] = {0x11, 0x11, 0x22, 0x22, 0x22},
                         runs_e[] = {0x04, 0x11, 0x06, 0x22};
    ASSERT_ENCODES(runs, runs_e);
}

/* Where the header takes a second varint byte: 2n or 2n - 1 reaching 128. */
static void test_hand_checked_varint_edges(void **state)
{
    (void)state;
    static uint8_t in[65], want[2 + 65];
    /* Run of 63: 126 = 0x7E, one byte. Run of 64: 128 = 0x80 0x01. */
    memset(in, 0xAA, sizeof(in));
    assert_encodes_to(in, 63, (const uint8_t[]){0x7E, 0xAA}, 2);
    assert_encodes_to(in, 64, (const uint8_t[]){0x80, 0x01, 0xAA}, 3);
    /* Literal of 64: 127 = 0x7F. Literal of 65: 129 = 0x81 0x01. */
    for (unsigned i = 0; i < sizeof(in); i++) {
        in[i] = (uint8_t)i;
    }
    want[0] = 0x7F;
    memcpy(want + 1, in, 64);
    assert_encodes_to(in, 64, want, 65);
    want[0] = 0x81;
    want[1] = 0x01;
    memcpy(want + 2, in, 65);
    assert_encodes_to(in, 65, want, 67);
}

/* ---- the SDK's unit-test vectors (tests/unit/src/test_memfault_rle.cpp and
 * test_memfault_data_source_rle.cpp in memfault-firmware-sdk 1.43.0) ---- */

static void test_sdk_unit_test_vectors(void **state)
{
    (void)state;
    static const uint8_t quick[] = {1, 2, 2, 3, 4, 4, 5, 6, 6, 7, 8, 8},
                         quick_e[] = {0x17, 1, 2, 2, 3, 4, 4, 5, 6, 6, 7, 8, 8};
    ASSERT_ENCODES(quick, quick_e);
    static const uint8_t runs23[] = {1, 2, 2, 3, 4, 4, 4, 5, 6, 6, 6, 7, 7, 8, 8},
                         runs23_e[] = {7, 1, 2, 2, 3, 6, 4, 1, 5, 6, 6, 4, 7, 4, 8};
    ASSERT_ENCODES(runs23, runs23_e);
    static const uint8_t end_run[] = {1, 2, 3, 3, 3, 3}, end_run_e[] = {3, 1, 2, 8, 3};
    ASSERT_ENCODES(end_run, end_run_e);
    static const uint8_t end_lit[] = {1, 2, 3, 3, 3, 3, 5, 6, 7},
                         end_lit_e[] = {3, 1, 2, 8, 3, 5, 5, 6, 7};
    ASSERT_ENCODES(end_lit, end_lit_e);
    static const uint8_t core[] = {1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 6, 9, 9, 9, 9},
                         core_e[] = {4, 1, 5, 2, 3, 4, 10, 5, 1, 6, 8, 9};
    ASSERT_ENCODES(core, core_e);

    static uint8_t big[9000];
    memset(big, 0xEF, 4096);
    assert_encodes_to(big, 4096, (const uint8_t[]){0x80, 0x40, 0xEF}, 3);
    memset(big, 0, 400);
    memcpy(big, end_lit, sizeof(end_lit));
    static const uint8_t tail_e[] = {3, 1, 2, 8, 3, 5, 5, 6, 7, 0x8E, 0x06, 0x00};
    assert_encodes_to(big, 400, tail_e, sizeof(tail_e));
    memset(big, 0, sizeof(big));
    memcpy(big, (const uint8_t[]){1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 6, 7}, 12);
    big[sizeof(big) - 1] = 8;
    static const uint8_t long_e[] = {4, 1, 5, 2, 3, 4, 10, 5, 3, 6, 7, 182, 140, 1, 0, 1, 8};
    assert_encodes_to(big, sizeof(big), long_e, sizeof(long_e));
}

/* ---- properties ---- */

enum { GEN_RANDOM, GEN_FEW_SYMBOLS, GEN_LONG_RUNS, GEN_RAM, GEN_PAIRS, GEN_COUNT };

/* Inputs that stress different cuts: no runs, short runs, long runs, RAM, pairs and triples. */
static size_t gen_input(test_prng_t *r, int kind, uint8_t *buf)
{
    size_t n = test_prng_range(r, 0, 100) < 5 ? test_prng_range(r, 0, 4)
                                              : test_prng_range(r, 1, MAX_INPUT_BYTES);
    for (size_t i = 0; i < n;) {
        uint8_t v = (uint8_t)test_prng_u32(r);
        size_t len = 1;
        switch (kind) {
        case GEN_FEW_SYMBOLS:
            v = (uint8_t)test_prng_range(r, 0, 2);
            break;
        case GEN_LONG_RUNS:
            len = test_prng_range(r, 1, 700);
            break;
        case GEN_RAM:
            v = test_prng_range(r, 0, 9) < 6 ? 0 : v;
            len = v == 0 ? test_prng_range(r, 16, 2048) : test_prng_range(r, 1, 3);
            break;
        case GEN_PAIRS:
            len = test_prng_range(r, 1, 4);
            break;
        default:
            break;
        }
        for (size_t k = 0; k < len && i < n; k++) {
            buf[i++] = v;
        }
    }
    return n;
}

static void test_decode_of_encode_is_identity_and_cuts_follow_the_rules(void **state)
{
    (void)state;
    static uint8_t in[MAX_INPUT_BYTES], enc[MAX_ENCODED_BYTES], ref[MAX_ENCODED_BYTES],
        back[MAX_INPUT_BYTES];
    test_prng_t rng;
    test_prng_seed(&rng, 0x5EED0011);
    size_t saved = 0, total = 0;
    for (unsigned iter = 0; iter < 600; iter++) {
        int kind = (int)(iter % GEN_COUNT);
        size_t n = gen_input(&rng, kind, in);
        size_t e = encode_in_pieces(in, n, 0, &rng, enc);
        long d = test_rle_decode(enc, e, back, sizeof(back));
        if (d != (long)n || memcmp(back, in, n) != 0) {
            fail_msg("iteration %u (kind %d, %zu bytes): decode(encode(x)) != x", iter, kind, n);
        }
        /* Byte for byte what the rules give, not only something that decodes. */
        size_t want = ref_encode(in, n, ref);
        assert_int_equal(e, want);
        assert_memory_equal(enc, ref, want);
        if (kind == GEN_LONG_RUNS || kind == GEN_RAM) {
            saved += n - (e < n ? e : n);
            total += n;
        }
        /* Never much larger: a literal costs at most its 5-byte header. */
        assert_le(e, n + 5 + n / 3);
    }
    assert_gt(saved, total / 2); /* run-heavy inputs shrink */
}

/* The pure sequence API agrees with the source: sizes add up to the encoded length. */
static void test_scan_sequences_cover_the_input(void **state)
{
    (void)state;
    static uint8_t in[MAX_INPUT_BYTES], enc[MAX_ENCODED_BYTES];
    test_prng_t rng;
    test_prng_seed(&rng, 77);
    for (unsigned iter = 0; iter < 100; iter++) {
        size_t n = gen_input(&rng, (int)(iter % GEN_COUNT), in);
        chunkcore_rle_scan_t s;
        chunkcore_rle_seq_t seq;
        chunkcore_rle_scan_init(&s);
        uint32_t covered = 0, encoded = 0;
        for (size_t at = 0; at < n;) {
            size_t piece = test_prng_range(&rng, 1, 50);
            piece = piece < n - at ? piece : n - at;
            bool ended;
            at += chunkcore_rle_scan_feed(&s, in + at, piece, &seq, &ended);
            if (ended) {
                assert_int_equal(seq.start, covered);
                covered += seq.bytes;
                encoded += chunkcore_rle_seq_encoded_bytes(&seq);
            }
        }
        chunkcore_rle_scan_finish(&s, &seq);
        assert_int_equal(seq.start, covered);
        assert_int_equal(covered + seq.bytes, n);
        encoded += chunkcore_rle_seq_encoded_bytes(&seq);
        assert_int_equal(encoded, encode(in, n, enc));
    }
}

/* ---- the reads ---- */

static void assert_reads(const mem_source_t *m, const uint32_t (*want)[2], size_t n)
{
    if (m->reads != n) {
        fail_msg("%zu reads, expected %zu", m->reads, n);
    }
    for (size_t i = 0; i < n; i++) {
        if (m->log[i][0] != want[i][0] || m->log[i][1] != want[i][1]) {
            fail_msg("read %zu: [%u, +%u), expected [%u, +%u)", i, m->log[i][0], m->log[i][1],
                     want[i][0], want[i][1]);
        }
    }
}

/*
 * 1 1 2 3 4 5 5 5 5 5 6 9 9 9 9 read whole: the sizing pass, then for each
 * sequence a scan read at the first unclassified byte (cut where the
 * sequence ended: the byte after it is read again) and its data where it
 * lies; a run's one byte at the run's start.
 */
static void test_reads_are_a_sizing_pass_then_scan_and_data_reads(void **state)
{
    (void)state;
    mem_source_t *m = mem_new(sample_core, sizeof(sample_core));
    const chunkcore_source_t *s = rle_over(m);
    uint32_t total = 0;
    assert_int_equal(s->has_message(s->ctx, &total), 1);
    assert_int_equal(total, 12);
    uint8_t out[12];
    assert_int_equal(s->read(s->ctx, 0, out, sizeof(out)), 0);
    static const uint32_t want[][2] = {
        {0, 15},          /* sizing pass */
        {0, 15}, {0, 1},  /* run 1 x2 ends at index 2; its byte */
        {3, 12}, {2, 3},  /* literal 2 3 4 ends at the third 5 (index 7) */
        {8, 7},  {5, 1},  /* run 5 x5 ends at 6 (index 10) */
        {11, 4}, {10, 1}, /* literal 6 ends at the third 9 (index 13) */
        {14, 1}, {11, 1}, /* run 9 x4 ends with the payload */
    };
    assert_reads(m, want, sizeof(want) / sizeof(want[0]));
    assert_memory_equal(out, sample_encoded, sizeof(sample_encoded));
    free(m);
}

/* Payloads over one scan read: the sizing pass reads it all in CHUNKCORE_RLE_SCAN_BYTES pieces. */
static void test_sizing_pass_reads_in_scan_pieces_once(void **state)
{
    (void)state;
    static uint8_t zeros[1000];
    mem_source_t *m = mem_new(zeros, sizeof(zeros));
    const chunkcore_source_t *s = rle_over(m);
    uint32_t total = 0;
    assert_int_equal(s->has_message(s->ctx, &total), 1);
    assert_int_equal(total, 3); /* 2000 = 0xD0 0x0F, then 0x00 */
    assert_int_equal(m->reads, (1000 + CHUNKCORE_RLE_SCAN_BYTES - 1) / CHUNKCORE_RLE_SCAN_BYTES);
    for (size_t i = 0; i < m->reads; i++) {
        assert_int_equal(m->log[i][0], i * CHUNKCORE_RLE_SCAN_BYTES);
    }
    /* Asked again before any read (data-available, then begin): no second pass. */
    size_t reads = m->reads;
    assert_int_equal(s->has_message(s->ctx, &total), 1);
    assert_int_equal(m->reads, reads);
    free(m);
}

/* A restart after the stream began (an abort) sizes again, as the SDK does, and starts over. */
static void test_restart_sizes_again_and_mark_read_deletes(void **state)
{
    (void)state;
    mem_source_t *m = mem_new(sample_core, sizeof(sample_core));
    const chunkcore_source_t *s = rle_over(m);
    uint32_t total = 0;
    uint8_t out[12];
    assert_int_equal(s->has_message(s->ctx, &total), 1);
    assert_int_equal(s->read(s->ctx, 0, out, 5), 0);
    assert_int_equal(s->read(s->ctx, 0, out, 5), CHUNKCORE_E_INVAL); /* in order only */
    size_t reads = m->reads;
    assert_int_equal(s->has_message(s->ctx, &total), 1);
    assert_int_equal(m->reads, reads + 1); /* a new sizing pass */
    assert_int_equal(s->read(s->ctx, 0, out, 12), 0);
    assert_memory_equal(out, sample_encoded, sizeof(sample_encoded));
    assert_int_equal(s->read(s->ctx, 12, out, 1), CHUNKCORE_E_RANGE);
    assert_int_equal(s->mark_read(s->ctx), 0);
    assert_int_equal(m->ram.deletes, 1);
    assert_int_equal(s->has_message(s->ctx, &total), 0);
    free(m);
}

/* Any read of the source may fail: nothing is consumed, and the retry gives the same bytes. */
static void test_failed_read_is_undone_and_retried_identically(void **state)
{
    (void)state;
    static uint8_t in[MAX_INPUT_BYTES], want[MAX_ENCODED_BYTES], got[MAX_ENCODED_BYTES];
    test_prng_t rng;
    test_prng_seed(&rng, 4242);
    size_t n = gen_input(&rng, GEN_RAM, in);
    n = n < 3000 ? n : 3000; /* enough sequences for 80 places to fail */
    size_t e = encode(in, n, want);
    for (size_t fail = 1; fail < 80; fail++) {
        mem_source_t *m = mem_new(in, (uint32_t)n);
        m->fail_read = fail;
        m->fail_rc = CHUNKCORE_E_IO;
        const chunkcore_source_t *s = rle_over(m);
        uint32_t total = 0;
        int rc = s->has_message(s->ctx, &total);
        if (rc == CHUNKCORE_E_IO) {
            rc = s->has_message(s->ctx, &total); /* the sizing pass failed: asked again */
        }
        assert_int_equal(rc, 1);
        assert_int_equal(total, e);
        unsigned failures = 0;
        for (uint32_t off = 0; off < total;) {
            uint32_t k = 1 + off % 23;
            k = k < total - off ? k : total - off;
            rc = s->read(s->ctx, off, got + off, k);
            if (rc == CHUNKCORE_E_IO) {
                failures++;
                continue;
            }
            assert_int_equal(rc, 0);
            off += k;
        }
        assert_le(failures, 1);
        assert_memory_equal(got, want, e);
        free(m);
    }
}

/* ---- configuration ---- */

static void test_init_refuses_a_sequential_only_source_unless_allowed(void **state)
{
    (void)state;
    static const uint8_t data[] = {1, 2, 3};
    mem_source_t *m = mem_new(data, sizeof(data));
    chunkcore_rle_t r;
    chunkcore_rle_config_t cfg = {.source = &m->ram.src};
    assert_int_equal(chunkcore_rle_init(&r, &cfg), CHUNKCORE_OK);
    assert_true(chunkcore_rle_source(&r)->run_length_encoded);
    assert_false(chunkcore_rle_source(&r)->sequential_only);

    m->ram.src.sequential_only = true; /* an async reader's forward-only window */
    assert_int_equal(chunkcore_rle_init(&r, &cfg), CHUNKCORE_E_RLE_ASYNC);
    cfg.allow_sequential_only = true;
    assert_int_equal(chunkcore_rle_init(&r, &cfg), CHUNKCORE_OK);

    assert_int_equal(chunkcore_rle_init(&r, NULL), CHUNKCORE_E_INVAL);
    cfg.source = NULL;
    assert_int_equal(chunkcore_rle_init(&r, &cfg), CHUNKCORE_E_INVAL);
    cfg.source = &m->ram.src;
    m->ram.src.read = NULL;
    assert_int_equal(chunkcore_rle_init(&r, &cfg), CHUNKCORE_E_INVAL);
    free(m);
}

/* ---- through the packetizer ---- */

/* One coredump message, chunk by chunk at random sizes (or multi-call), decoded and expanded. */
static void send_and_check(const uint8_t *in, size_t n, const char *key, bool multi_call,
                           test_prng_t *rng)
{
    static uint8_t msg[MAX_ENCODED_BYTES + 64], stream[MAX_ENCODED_BYTES + 64],
        back[MAX_INPUT_BYTES];
    mem_source_t *m = mem_new(in, (uint32_t)n);
    chunkcore_packetizer_config_t cfg = {.project_key = key};
    cfg.sources[CHUNKCORE_MSG_COREDUMP] = rle_over(m);
    chunkcore_packetizer_t p;
    assert_int_equal(chunkcore_packetizer_init(&p, &cfg), CHUNKCORE_OK);
    chunkcore_msg_info_t info;
    assert_int_equal(chunkcore_packetizer_begin(&p, multi_call, &info), 1);
    test_decoder_t d;
    test_decoder_init(&d, msg, sizeof(msg));
    int rc = TEST_DEC_MORE;
    size_t streamed = 0;
    for (unsigned calls = 0; rc == TEST_DEC_MORE; calls++) {
        assert_lt(calls, 100000);
        uint8_t buf[300];
        size_t len = test_prng_range(rng, 9, sizeof(buf));
        int st = chunkcore_packetizer_next(&p, buf, &len);
        assert_gt(st, 0);
        if (multi_call) {
            memcpy(stream + streamed, buf, len);
            streamed += len;
            rc = st == CHUNKCORE_STATUS_MORE_DATA_FOR_CHUNK
                     ? TEST_DEC_MORE
                     : test_decoder_feed(&d, stream, streamed);
        } else {
            rc = test_decoder_feed(&d, buf, len);
        }
        assert_ge(rc, 0);
    }
    assert_int_equal(rc, TEST_DEC_DONE);
    assert_int_equal(d.total_bytes, info.message_bytes);
    size_t hdr = 1 + (key ? strlen(key) + 1 : 0);
    assert_int_equal(msg[0], CHUNKCORE_MSG_COREDUMP | CHUNKCORE_MSG_HDR_RLE |
                                 (key ? CHUNKCORE_MSG_HDR_KEY : 0));
    long got = test_rle_decode(msg + hdr, d.total_bytes - hdr, back, sizeof(back));
    assert_int_equal(got, (long)n);
    assert_memory_equal(back, in, n);
    assert_int_equal(m->ram.deletes, 1); /* deleted on the last read, as without RLE */
    assert_int_equal(chunkcore_packetizer_data_available(&p), 0);
    free(m);
}

static void test_packetizer_sends_rle_coredumps_that_expand_to_the_payload(void **state)
{
    (void)state;
    static uint8_t in[MAX_INPUT_BYTES];
    test_prng_t rng;
    test_prng_seed(&rng, 0xC0DE);
    for (unsigned iter = 0; iter < 60; iter++) {
        size_t n = gen_input(&rng, (int)(iter % GEN_COUNT), in);
        send_and_check(in, n, iter % 3 == 0 ? "ACME-7" : NULL, iter % 4 == 1, &rng);
    }
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_hand_checked_small_vectors),
    cmocka_unit_test(test_hand_checked_varint_edges),
    cmocka_unit_test(test_sdk_unit_test_vectors),
    cmocka_unit_test(test_decode_of_encode_is_identity_and_cuts_follow_the_rules),
    cmocka_unit_test(test_scan_sequences_cover_the_input),
    cmocka_unit_test(test_reads_are_a_sizing_pass_then_scan_and_data_reads),
    cmocka_unit_test(test_sizing_pass_reads_in_scan_pieces_once),
    cmocka_unit_test(test_restart_sizes_again_and_mark_read_deletes),
    cmocka_unit_test(test_failed_read_is_undone_and_retried_identically),
    cmocka_unit_test(test_init_refuses_a_sequential_only_source_unless_allowed),
    cmocka_unit_test(test_packetizer_sends_rle_coredumps_that_expand_to_the_payload),
})
