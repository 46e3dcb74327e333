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
#include "chunksim_test_main.h"

#include "chunksim_test_cmp.h"

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
        assert_le(r->stream_bytes + len, sizeof(r->stream));
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
    assert_gt(n, IMAGE_BYTES / 64);
    assert_int_equal(r->chunks, n);
    assert_int_equal(r->done_at_chunk, n);
    assert_received_image(r);
    assert_cleared_once_in_final_call(n);
    /* Nothing more: false, the length left as it was (as the SDK leaves it). */
    uint8_t buf[64];
    size_t len = sizeof(buf);
    assert_false(memfault_packetizer_get_chunk(buf, &len));
    assert_int_equal(len, sizeof(buf));
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
    assert_ge(pieces, (IMAGE_BYTES + 4) / 100);
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
    assert_int_equal(len, sizeof(buf));
    assert_int_equal(sdk_glue_stats()->clear_calls, 0);
}

/* The SDK's convention: a header read refused during an asynchronous clear is "no coredump". */
static void test_glue_header_read_refused_during_async_clear_is_nothing_to_send(void **state)
{
    receiver_t *r = *state;
    sdk_glue_use_async_clear(true);
    unsigned n = sdk_glue_send_all(64, receiver_send, r);
    assert_received_image(r);
    assert_int_equal(sdk_glue_stats()->clear_calls, 1);
    assert_int_equal(sdk_glue_stats()->clear_in_call, n);
    /* The erase is in flight: the storage refuses reads. Nothing to send, no error. */
    uint8_t buf[64];
    size_t len = sizeof(buf);
    assert_false(memfault_packetizer_get_chunk(buf, &len));
    assert_int_equal(chunkcore_sdk_last_error(), 0);
    assert_false(memfault_packetizer_data_available());
    assert_int_equal(chunkcore_sdk_last_error(), 0);
    sdk_glue_finish_clear();
    assert_false(memfault_packetizer_data_available());
    assert_int_equal(sdk_glue_send_all(64, receiver_send, r), 0);
}

/* As the SDK (whose own tests reuse the value): nothing to send leaves *buf_len as it was. */
static void test_glue_nothing_to_send_leaves_buf_len_untouched(void **state)
{
    receiver_t *r = *state;
    sdk_glue_send_all(64, receiver_send, r);
    assert_received_image(r);
    uint8_t buf[64];
    size_t len = sizeof(buf);
    assert_false(memfault_packetizer_get_chunk(buf, &len));
    assert_int_equal(len, sizeof(buf));
    len = MEMFAULT_PACKETIZER_MIN_BUF_LEN - 1;
    assert_false(memfault_packetizer_get_chunk(buf, &len));
    assert_int_equal(len, MEMFAULT_PACKETIZER_MIN_BUF_LEN - 1);
    len = sizeof(buf);
    assert_int_equal(memfault_packetizer_get_next(buf, &len), kMemfaultPacketizerStatus_NoMoreData);
    assert_int_equal(len, sizeof(buf));
    const sMemfaultPacketizerConfig cfg = {.enable_multi_packet_chunk = true};
    sMemfaultPacketizerMetadata md = {.send_in_progress = true, .single_chunk_message_length = 7};
    assert_false(memfault_packetizer_begin(&cfg, &md));
    assert_false(md.send_in_progress);
    assert_int_equal(md.single_chunk_message_length, 0);
}

/* NULL where a pointer is expected: false or NoMoreData, nothing consumed, no crash. */
static void test_glue_null_arguments_give_no_data(void **state)
{
    receiver_t *r = *state;
    uint8_t buf[64];
    size_t len = sizeof(buf);
    const sMemfaultPacketizerConfig cfg = {.enable_multi_packet_chunk = false};
    sMemfaultPacketizerMetadata md;
    assert_false(memfault_packetizer_begin(NULL, &md));
    assert_false(memfault_packetizer_begin(&cfg, NULL));
    assert_false(memfault_packetizer_begin(NULL, NULL));
    assert_int_equal(memfault_packetizer_get_next(buf, NULL), kMemfaultPacketizerStatus_NoMoreData);
    assert_int_equal(memfault_packetizer_get_next(NULL, &len),
                     kMemfaultPacketizerStatus_NoMoreData);
    assert_int_equal(len, sizeof(buf));
    assert_false(memfault_packetizer_get_chunk(NULL, &len));
    assert_false(memfault_packetizer_get_chunk(buf, NULL));
    assert_false(memfault_packetizer_get_chunk(NULL, NULL));
    /* With a message in progress too. */
    assert_true(memfault_packetizer_begin(&cfg, &md));
    assert_int_equal(memfault_packetizer_get_next(buf, NULL), kMemfaultPacketizerStatus_NoMoreData);
    assert_int_equal(memfault_packetizer_get_next(NULL, &len),
                     kMemfaultPacketizerStatus_NoMoreData);
    assert_int_equal(sdk_glue_stats()->clear_calls, 0);
    /* Nothing was consumed: the whole coredump still goes out. */
    unsigned n = sdk_glue_send_all(64, receiver_send, r);
    assert_received_image(r);
    assert_cleared_once_in_final_call(n);
}

/*
 * As the SDK: get-chunk selects the message (in normal mode) before it looks
 * at the buffer. Under 9 bytes nothing is written and nothing read of the
 * message, but the message is in progress: a begin in multi-call mode after
 * it continues in normal mode, as in the SDK.
 */
static void test_glue_buffer_under_minimum_starts_the_message_as_the_sdk(void **state)
{
    receiver_t *r = *state;
    uint8_t buf[100];
    size_t len = MEMFAULT_PACKETIZER_MIN_BUF_LEN - 1;
    assert_false(memfault_packetizer_get_chunk(buf, &len));
    assert_int_equal(len, 0);
    const sMemfaultPacketizerConfig cfg = {.enable_multi_packet_chunk = true};
    sMemfaultPacketizerMetadata md;
    assert_true(memfault_packetizer_begin(&cfg, &md));
    assert_false(md.send_in_progress);
    len = sizeof(buf);
    assert_int_equal(memfault_packetizer_get_next(buf, &len), kMemfaultPacketizerStatus_EndOfChunk);
    assert_int_equal(len, sizeof(buf));
    assert_int_equal(buf[0], 0x48); /* a normal first chunk: more follows */
    receiver_send(r, buf, len);
    unsigned n = sdk_glue_send_all(100, receiver_send, r);
    assert_received_image(r);
    assert_int_equal(sdk_glue_stats()->clear_calls, 1);
    assert_int_equal(r->chunks, n + 1);
}

/* Multi-call mode: a piece under 9 bytes gives NoMoreData with length 0 and consumes nothing. */
static void test_glue_multi_call_piece_under_minimum_gives_nothing(void **state)
{
    receiver_t *r = *state;
    r->concatenate = true;
    const sMemfaultPacketizerConfig cfg = {.enable_multi_packet_chunk = true};
    sMemfaultPacketizerMetadata md;
    assert_true(memfault_packetizer_begin(&cfg, &md));
    uint8_t buf[100];
    size_t len = MEMFAULT_PACKETIZER_MIN_BUF_LEN - 1;
    assert_int_equal(memfault_packetizer_get_next(buf, &len), kMemfaultPacketizerStatus_NoMoreData);
    assert_int_equal(len, 0);
    len = sizeof(buf);
    assert_int_equal(memfault_packetizer_get_next(buf, &len),
                     kMemfaultPacketizerStatus_MoreDataForChunk);
    assert_int_equal(buf[0], 0x08);
    receiver_send(r, buf, len);
    /* Later pieces under 9 bytes are refused too, though they would carry raw bytes only. */
    len = MEMFAULT_PACKETIZER_MIN_BUF_LEN - 1;
    assert_int_equal(memfault_packetizer_get_next(buf, &len), kMemfaultPacketizerStatus_NoMoreData);
    assert_int_equal(len, 0);
    uint32_t single = 0;
    bool in_progress = false;
    sdk_glue_send_one_multi(100, receiver_send, r, &single, &in_progress);
    assert_true(in_progress);
    assert_int_equal(r->stream_bytes, IMAGE_BYTES + 4);
    assert_int_equal(test_decoder_feed(&r->dec, r->stream, r->stream_bytes), TEST_DEC_DONE);
    assert_received_image(r);
}

/* The SDK's source masks, with its numeric values: bit (1 << message type), bit 0 for None. */
static void test_glue_data_source_masks_are_the_sdks(void **state)
{
    receiver_t *r = *state;
    assert_int_equal(kMfltDataSourceMask_None, 0x01);
    assert_int_equal(kMfltDataSourceMask_Coredump, 0x02);
    assert_int_equal(kMfltDataSourceMask_Event, 0x04);
    assert_int_equal(kMfltDataSourceMask_Log, 0x08);
    assert_int_equal(kMfltDataSourceMask_Cdr, 0x10);
    assert_int_equal(kMfltDataSourceMask_All, 0x1E);
    const eMfltDataSourceMask none = kMfltDataSourceMask_None;
    memfault_packetizer_set_active_sources(none);
    assert_false(sdk_glue_has_data());
    memfault_packetizer_set_active_sources(kMfltDataSourceMask_Event | kMfltDataSourceMask_Log);
    assert_false(sdk_glue_has_data());
    memfault_packetizer_set_active_sources(kMfltDataSourceMask_Coredump);
    assert_true(sdk_glue_has_data());
    unsigned n = sdk_glue_send_all(64, receiver_send, r);
    assert_received_image(r);
    assert_cleared_once_in_final_call(n);
}

/* The platform's read routine said false: the error says so, not that a storage read failed. */
static void test_glue_read_refused_by_the_platform_is_named_as_such(void **state)
{
    receiver_t *r = *state;
    sdk_glue_refuse_reads_from(1000);
    unsigned n = sdk_glue_send_all(64, receiver_send, r);
    assert_gt(n, 0);
    assert_lt(n, IMAGE_BYTES / 64); /* it stopped at offset 1000 */
    assert_int_equal(chunkcore_sdk_last_error(), CHUNKCORE_E_READ_REFUSED);
    assert_int_equal(sdk_glue_stats()->clear_calls, 0);
}

#define T(f) cmocka_unit_test_setup(f, setup)

CHUNKSIM_TEST_MAIN({
    T(test_glue_drains_coredump_in_whole_chunks),
    T(test_glue_drains_coredump_in_one_large_chunk),
    T(test_glue_drains_coredump_in_multi_call_mode),
    T(test_glue_begin_reports_send_in_progress),
    T(test_glue_abort_restarts_message_without_clearing),
    T(test_glue_inactive_source_hides_coredump),
    T(test_glue_buffer_under_minimum_gives_nothing),
    T(test_glue_storage_without_coredump_has_nothing),
    T(test_glue_header_read_refused_during_async_clear_is_nothing_to_send),
    T(test_glue_nothing_to_send_leaves_buf_len_untouched),
    T(test_glue_null_arguments_give_no_data),
    T(test_glue_buffer_under_minimum_starts_the_message_as_the_sdk),
    T(test_glue_multi_call_piece_under_minimum_gives_nothing),
    T(test_glue_data_source_masks_are_the_sdks),
    T(test_glue_read_refused_by_the_platform_is_named_as_such),
})
