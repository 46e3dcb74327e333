/*
 * chunkcore/rle.c built with CHUNKCORE_RLE_MAX_SEQ_BYTES = 5, so that the
 * cut of a sequence longer than the longest a header can describe (2^31 - 1
 * bytes, reachable only through a damaged coredump header) can be seen on
 * small inputs: long runs and literals come out as several sequences, and
 * the stream still expands to the input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include "chunksim_test_main.h"

#include "chunk_decoder.h"
#include "test_prng.h"

#include "chunkcore/rle.h"

#if CHUNKCORE_RLE_MAX_SEQ_BYTES != 5
#error "build with CHUNKCORE_RLE_MAX_SEQ_BYTES=5"
#endif

/* A sequence as it goes on the wire: its header, then its value or its bytes. */
static size_t put_seq(const chunkcore_rle_seq_t *seq, const uint8_t *in, uint8_t *out)
{
    size_t o = chunkcore_rle_seq_header(seq, out);
    size_t data = seq->run ? 1 : seq->bytes;
    memcpy(out + o, in + seq->start, data);
    return o + data;
}

static size_t encode(const uint8_t *in, size_t n, uint8_t *out)
{
    chunkcore_rle_scan_t s;
    chunkcore_rle_seq_t seq;
    size_t o = 0;
    chunkcore_rle_scan_init(&s);
    for (size_t at = 0; at < n;) {
        bool ended;
        at += chunkcore_rle_scan_feed(&s, in + at, n - at, &seq, &ended);
        if (ended) {
            o += put_seq(&seq, in, out + o);
        }
    }
    chunkcore_rle_scan_finish(&s, &seq);
    return o + put_seq(&seq, in, out + o);
}

static void test_long_run_and_literal_are_cut_at_the_longest_sequence(void **state)
{
    (void)state;
    uint8_t in[12], out[64];
    memset(in, 0xAA, sizeof(in));
    /* Runs of 5, 5 and 2: 0A, 0A, 04. */
    static const uint8_t runs[] = {0x0A, 0xAA, 0x0A, 0xAA, 0x04, 0xAA};
    assert_int_equal(encode(in, sizeof(in), out), sizeof(runs));
    assert_memory_equal(out, runs, sizeof(runs));
    /* Literals of 5, 5 and 2: 09, 09, 03. */
    for (unsigned i = 0; i < sizeof(in); i++) {
        in[i] = (uint8_t)i;
    }
    static const uint8_t lits[] = {0x09, 0, 1, 2, 3, 4, 0x09, 5, 6, 7, 8, 9, 0x03, 10, 11};
    assert_int_equal(encode(in, sizeof(in), out), sizeof(lits));
    assert_memory_equal(out, lits, sizeof(lits));
}

static void test_cut_sequences_still_expand_to_the_input(void **state)
{
    (void)state;
    static uint8_t in[4096], out[3 * 4096], back[4096];
    test_prng_t rng;
    test_prng_seed(&rng, 5);
    for (unsigned iter = 0; iter < 300; iter++) {
        size_t n = test_prng_range(&rng, 1, sizeof(in));
        for (size_t i = 0; i < n;) {
            uint8_t v = (uint8_t)test_prng_range(&rng, 0, iter % 2 ? 255 : 2);
            size_t len = test_prng_range(&rng, 1, iter % 3 ? 3 : 40);
            for (size_t k = 0; k < len && i < n; k++) {
                in[i++] = v;
            }
        }
        size_t e = encode(in, n, out);
        assert_int_equal(test_rle_decode(out, e, back, sizeof(back)), (long)n);
        assert_memory_equal(back, in, n);
    }
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_long_run_and_literal_are_cut_at_the_longest_sequence),
    cmocka_unit_test(test_cut_sequences_still_expand_to_the_input),
})
