/*
 * The SDK-style layer (memfault/...) through application glue written only
 * against those names (sdk_glue_app.c): a stored coredump drains, decodes to
 * the image, is cleared once, in the call that produced the final chunk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chunk_decoder.h"
#include "sdk_glue_app.h"
#include "test_prng.h"

#include "chunkcore/error.h"
#include "memfault/core/data_packetizer.h"

#define IMAGE_BYTES 3000u

typedef struct receiver {
    test_decoder_t dec;
    uint8_t msg[IMAGE_BYTES + 1];
    uint8_t stream[IMAGE_BYTES + 8]; /* multi-call pieces, concatenated */
    size_t stream_bytes;
    bool concatenate;
    unsigned chunks;
    unsigned done_at_chunk; /* the chunk that completed the message, 1-based */
    int error;
} receiver_t;

static void receiver_send(void *ctx, const uint8_t *chunk, size_t len)
{
    receiver_t *r = ctx;
    r->chunks++;
    if (r->concatenate) {
        assert_true(r->stream_bytes + len <= sizeof(r->stream));
        memcpy(r->stream + r->stream_bytes, chunk, len);
        r->stream_bytes += len;
        return;
    }
    int d = test_decoder_feed(&r->dec, chunk, len);
    if (d < 0 && r->error == 0) {
        r->error = d;
    }
    if (d == TEST_DEC_DONE) {
        r->done_at_chunk = r->chunks;
    }
}

static uint8_t s_image[IMAGE_BYTES];

/* A valid coredump: "CORE", version 2, total size, random blocks, "DUMP" footer. */
static void make_image(void)
{
    test_prng_t r;
    test_prng_seed(&r, 0x5D6);
    test_prng_fill(&r, s_image, sizeof(s_image));
    const uint32_t hdr[3] = {0x45524F43u, 2u, IMAGE_BYTES};
    for (unsigned i = 0; i < 12; i++) {
        s_image[i] = (uint8_t)(hdr[i / 4] >> (8 * (i % 4)));
    }
    memset(s_image + IMAGE_BYTES - 16, 0, 16);
    memcpy(s_image + IMAGE_BYTES - 16, "DUMP", 4);
}

static int setup(void **state)
{
    static receiver_t r;
    memset(&r, 0, sizeof(r));
    test_decoder_init(&r.dec, r.msg, sizeof(r.msg));
    make_image();
    sdk_glue_storage_load(s_image, sizeof(s_image));
    *state = &r;
    return 0;
}

static void assert_received_image(const receiver_t *r)
{
    assert_int_equal(r->error, 0);
    assert_int_equal(r->dec.messages_done, 1);
    assert_int_equal(r->dec.total_bytes, IMAGE_BYTES + 1);
    assert_int_equal(r->msg[0], 0x01); /* coredump message type */
    assert_memory_equal(r->msg + 1, s_image, IMAGE_BYTES);
}

static void assert_cleared_once_in_final_call(unsigned calls)
{
    const sdk_glue_stats_t *st = sdk_glue_stats();
    assert_int_equal(st->clear_calls, 1);
    assert_int_equal(st->clear_in_call, calls);
    assert_int_equal(st->chunks_before_clear, calls - 1);
    assert_false(sdk_glue_has_data());
    assert_false(memfault_packetizer_data_available());
}

static void test_glue_drains_coredump_in_whole_chunks(void **state)
{
    receiver_t *r = *state;
    assert_true(sdk_glue_has_data());
    unsigned n = sdk_glue_send_all(64, receiver_send, r);
    assert_true(n > IMAGE_BYTES / 64);
    assert_int_equal(r->chunks, n);
    assert_int_equal(r->done_at_chunk, n);
    assert_received_image(r);
    assert_cleared_once_in_final_call(n);
    /* Nothing more: false with length 0. */
    uint8_t buf[64];
    size_t len = sizeof(buf);
    assert_false(memfault_packetizer_get_chunk(buf, &len));
    assert_int_equal(len, 0);
    assert_int_equal(chunkcore_sdk_last_error(), 0);
}

static void test_glue_drains_coredump_in_one_large_chunk(void **state)
{
    receiver_t *r = *state;
    unsigned n = sdk_glue_send_all(2048, receiver_send, r);
    assert_int_equal(n, 2); /* 3001-byte message: two chunks of up to 2048 */
    assert_received_image(r);
    assert_cleared_once_in_final_call(n);
}

static void test_glue_drains_coredump_in_multi_call_mode(void **state)
{
    receiver_t *r = *state;
    r->concatenate = true;
    uint32_t single = 0;
    bool in_progress = true;
    unsigned pieces = sdk_glue_send_one_multi(100, receiver_send, r, &single, &in_progress);
    assert_int_equal(single, IMAGE_BYTES + 1 + 3);
    assert_false(in_progress);
    assert_true(pieces >= (IMAGE_BYTES + 4) / 100);
    assert_int_equal(r->stream_bytes, IMAGE_BYTES + 1 + 3);
    assert_int_equal(test_decoder_feed(&r->dec, r->stream, r->stream_bytes), TEST_DEC_DONE);
    assert_received_image(r);
    assert_cleared_once_in_final_call(pieces);
    assert_int_equal(sdk_glue_send_one_multi(100, receiver_send, r, &single, &in_progress), 0);
}

static void test_glue_begin_reports_send_in_progress(void **state)
{
    receiver_t *r = *state;
    r->concatenate = true;
    assert_true(sdk_glue_send_first_multi_piece(50, receiver_send, r));
    uint32_t single = 0;
    bool in_progress = false;
    unsigned pieces = sdk_glue_send_one_multi(50, receiver_send, r, &single, &in_progress);
    assert_true(in_progress);
    assert_int_equal(single, IMAGE_BYTES + 4);
    assert_int_equal(r->stream_bytes, IMAGE_BYTES + 4);
    assert_int_equal(test_decoder_feed(&r->dec, r->stream, r->stream_bytes), TEST_DEC_DONE);
    assert_received_image(r);
    assert_cleared_once_in_final_call(pieces + 1);
}

static void test_glue_abort_restarts_message_without_clearing(void **state)
{
    receiver_t *r = *state;
    assert_int_equal(sdk_glue_send_some(40, 5, receiver_send, r), 5);
    sdk_glue_link_lost();
    assert_int_equal(sdk_glue_stats()->clear_calls, 0);
    assert_true(sdk_glue_has_data());
    /* The receiver starts over too. */
    test_decoder_init(&r->dec, r->msg, sizeof(r->msg));
    unsigned before = r->chunks;
    unsigned n = sdk_glue_send_all(40, receiver_send, r);
    assert_int_equal(r->done_at_chunk, before + n);
    assert_received_image(r);
    assert_cleared_once_in_final_call(before + n);
}

static void test_glue_inactive_source_hides_coredump(void **state)
{
    receiver_t *r = *state;
    sdk_glue_pause_coredumps();
    assert_false(sdk_glue_has_data());
    assert_int_equal(sdk_glue_send_all(64, receiver_send, r), 0);
    assert_int_equal(sdk_glue_stats()->clear_calls, 0);
    sdk_glue_resume_coredumps();
    assert_true(sdk_glue_has_data());
    unsigned n = sdk_glue_send_all(64, receiver_send, r);
    assert_received_image(r);
    assert_cleared_once_in_final_call(n);
}

static void test_glue_buffer_under_minimum_gives_nothing(void **state)
{
    (void)state;
    uint8_t buf[MEMFAULT_PACKETIZER_MIN_BUF_LEN];
    size_t len = MEMFAULT_PACKETIZER_MIN_BUF_LEN - 1;
    assert_false(memfault_packetizer_get_chunk(buf, &len));
    assert_int_equal(len, 0);
    assert_true(sdk_glue_has_data());
    len = MEMFAULT_PACKETIZER_MIN_BUF_LEN;
    assert_true(memfault_packetizer_get_chunk(buf, &len));
    assert_int_equal(len, MEMFAULT_PACKETIZER_MIN_BUF_LEN);
    assert_int_equal(buf[0], 0x48); /* first chunk, more follows */
}

static void test_glue_storage_without_coredump_has_nothing(void **state)
{
    (void)state;
    static const uint8_t blank[16] = {0};
    sdk_glue_storage_load(blank, sizeof(blank));
    assert_false(sdk_glue_has_data());
    uint8_t buf[64];
    size_t len = sizeof(buf);
    assert_false(memfault_packetizer_get_chunk(buf, &len));
    assert_int_equal(len, 0);
    assert_int_equal(sdk_glue_stats()->clear_calls, 0);
}

/* The platform's read routine said false: the error says so, not that a storage read failed. */
static void test_glue_read_refused_by_the_platform_is_named_as_such(void **state)
{
    receiver_t *r = *state;
    sdk_glue_refuse_reads_from(1000);
    unsigned n = sdk_glue_send_all(64, receiver_send, r);
    assert_true(n > 0 && n < IMAGE_BYTES / 64); /* it stopped at offset 1000 */
    assert_int_equal(chunkcore_sdk_last_error(), CHUNKCORE_E_READ_REFUSED);
    assert_int_equal(sdk_glue_stats()->clear_calls, 0);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_glue_drains_coredump_in_whole_chunks),
        T(test_glue_drains_coredump_in_one_large_chunk),
        T(test_glue_drains_coredump_in_multi_call_mode),
        T(test_glue_begin_reports_send_in_progress),
        T(test_glue_abort_restarts_message_without_clearing),
        T(test_glue_inactive_source_hides_coredump),
        T(test_glue_buffer_under_minimum_gives_nothing),
        T(test_glue_storage_without_coredump_has_nothing),
        T(test_glue_read_refused_by_the_platform_is_named_as_such),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
