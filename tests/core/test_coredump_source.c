/*
 * The coredump source (chunkcore/coredump.h) over a plain synchronous storage
 * port in RAM: how the header peek judges the storage, and how the stored
 * coredump streams and is cleared through the packetizer, alone and beside
 * another source.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include "chunksim_test_main.h"

#include "test_ram.h"

#include "chunksim_test_cmp.h"

#include "chunk_decoder.h"
#include "test_prng.h"

#include "chunkcore/coredump.h"
#include "chunkcore/error.h"
#include "chunkcore/packetizer.h"

#define STORAGE_BYTES 256u
/* What the SDK writes where a coredump read failed; bytes past the storage carry it. */
#define PAST_END_MARKER 0xEFu

/* ---- storage in RAM ---- */

typedef struct ram_storage {
    uint8_t mem[STORAGE_BYTES];
    uint32_t size_bytes;
    int read_rc;           /* nonzero: every read fails with it */
    int info_rc;           /* nonzero: get_info fails with it */
    unsigned fail_read_no; /* nonzero: this read (1-based) fails with CHUNKCORE_E_IO */
    unsigned reads;
    unsigned clears;
} ram_storage_t;

static int ram_get_info(void *ctx, chunkcore_storage_info_t *info)
{
    ram_storage_t *r = ctx;
    info->size_bytes = r->size_bytes;
    info->sector_bytes = 64;
    return r->info_rc;
}

static int ram_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    ram_storage_t *r = ctx;
    r->reads++;
    if (r->read_rc != 0) {
        return r->read_rc;
    }
    if (r->reads == r->fail_read_no) {
        return CHUNKCORE_E_IO;
    }
    test_ram_copy(buf, r->mem, r->size_bytes, offset, len);
    return 0;
}

static int ram_clear(void *ctx)
{
    ram_storage_t *r = ctx;
    r->mem[0] = 0;
    r->clears++;
    return 0;
}

static void put_le32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
}

/* Header "CORE", version 2, total size; blocks; footer "DUMP" at the end. */
static void build_coredump_image(uint8_t *img, uint32_t bytes, test_prng_t *r)
{
    assert_ge(bytes, CHUNKCORE_COREDUMP_HEADER_BYTES + CHUNKCORE_COREDUMP_FOOTER_BYTES);
    test_prng_fill(r, img, bytes);
    put_le32(img, CHUNKCORE_COREDUMP_MAGIC);
    put_le32(img + 4, CHUNKCORE_COREDUMP_VERSION);
    put_le32(img + 8, bytes);
    uint8_t *footer = img + bytes - CHUNKCORE_COREDUMP_FOOTER_BYTES;
    memset(footer, 0, CHUNKCORE_COREDUMP_FOOTER_BYTES);
    memcpy(footer, "DUMP", 4);
}

static int peek_with_header(ram_storage_t *r, uint32_t magic, uint32_t version, uint32_t total,
                            uint32_t *payload_bytes)
{
    put_le32(r->mem, magic);
    put_le32(r->mem + 4, version);
    put_le32(r->mem + 8, total);
    const chunkcore_storage_port_t port = {
        .get_info = ram_get_info, .read = ram_read, .clear = ram_clear, .ctx = r};
    chunkcore_coredump_t cd;
    const chunkcore_source_t *src = chunkcore_coredump_init(&cd, &port);
    assert_null(src->avail); /* the port has none */
    assert_false(src->sequential_only);
    return src->has_message(src->ctx, payload_bytes);
}

/* ---- the header peek ---- */

static void test_coredump_header_peek_judges_storage(void **state)
{
    (void)state;
    static ram_storage_t r;
    memset(&r, 0, sizeof(r));
    r.size_bytes = sizeof(r.mem);
    uint32_t bytes = 0;
    const uint32_t magic = CHUNKCORE_COREDUMP_MAGIC, v2 = CHUNKCORE_COREDUMP_VERSION;

    assert_int_equal(peek_with_header(&r, magic, v2, 200, &bytes), 1);
    assert_int_equal(bytes, 200); /* the whole image is the payload, header included */
    assert_int_equal(peek_with_header(&r, magic, v2, 256, &bytes), 1);
    assert_int_equal(peek_with_header(&r, magic, v2, 12, &bytes), 1);
    assert_int_equal(memcmp(r.mem, "CORE", 4), 0);

    /* Not a coredump: no message. The magic alone decides (docs/chunk-format.md §11). */
    assert_int_equal(peek_with_header(&r, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, &bytes), 0);
    assert_int_equal(peek_with_header(&r, magic ^ 1u, v2, 200, &bytes), 0);
    assert_int_equal(peek_with_header(&r, magic, 1, 200, &bytes), 1);
    assert_int_equal(peek_with_header(&r, magic, 3, 200, &bytes), 1);

    /* A size that cannot be right is announced as stored: the receiver judges it. */
    assert_int_equal(peek_with_header(&r, magic, v2, 257, &bytes), 1);
    assert_int_equal(bytes, 257);
    assert_int_equal(peek_with_header(&r, magic, v2, 11, &bytes), 1);
    assert_int_equal(bytes, 11);

    /* A header read the port fails is "no coredump" (the SDK's convention); get_info's error
     * is passed up. */
    r.read_rc = CHUNKCORE_E_WINDOW;
    assert_int_equal(peek_with_header(&r, magic, v2, 200, &bytes), 0);
    r.read_rc = 0;
    r.info_rc = CHUNKCORE_E_IO;
    assert_int_equal(peek_with_header(&r, magic, v2, 200, &bytes), CHUNKCORE_E_IO);
    r.info_rc = 0;

    /* Storage too small for a header: nothing, and nothing read. */
    r.size_bytes = 11;
    unsigned reads = r.reads;
    assert_int_equal(peek_with_header(&r, magic, v2, 11, &bytes), 0);
    assert_int_equal(r.reads, reads);
}

/* ---- streaming through the packetizer ---- */

static void test_coredump_source_streams_and_clears_through_port(void **state)
{
    (void)state;
    static ram_storage_t r;
    memset(&r, 0, sizeof(r));
    r.size_bytes = sizeof(r.mem);
    test_prng_t rng;
    test_prng_seed(&rng, 3);
    build_coredump_image(r.mem, 100, &rng);
    uint8_t image[100];
    memcpy(image, r.mem, sizeof(image));
    const chunkcore_storage_port_t port = {
        .get_info = ram_get_info, .read = ram_read, .clear = ram_clear, .ctx = &r};
    chunkcore_coredump_t cd;
    chunkcore_packetizer_config_t cfg = {0};
    cfg.sources[CHUNKCORE_MSG_COREDUMP] = chunkcore_coredump_init(&cd, &port);
    chunkcore_packetizer_t p;
    assert_int_equal(chunkcore_packetizer_init(&p, &cfg), CHUNKCORE_OK);
    uint8_t out[101], buf[32];
    test_decoder_t d;
    test_decoder_init(&d, out, sizeof(out));
    int rc = TEST_DEC_MORE;
    for (unsigned n = 0; rc == TEST_DEC_MORE && n < 100; n++) {
        size_t len = sizeof(buf);
        assert_int_equal(chunkcore_packetizer_get_chunk(&p, buf, &len), CHUNKCORE_OK);
        rc = test_decoder_feed(&d, buf, len);
    }
    assert_int_equal(rc, TEST_DEC_DONE);
    assert_int_equal(out[0], CHUNKCORE_MSG_COREDUMP);
    assert_memory_equal(out + 1, image, sizeof(image));
    assert_int_equal(r.clears, 1);
    assert_int_equal(chunkcore_packetizer_data_available(&p), 0);
}

/* ---- a bench: the coredump source and an event source behind one packetizer ---- */

#define MAX_MESSAGES  4u
#define MAX_MSG_BYTES 512u

typedef struct bench {
    ram_storage_t storage;
    chunkcore_storage_port_t port;
    chunkcore_coredump_t cd;
    test_ram_source_t event;
    uint8_t stored[STORAGE_BYTES]; /* the storage as it was before the clear */
    chunkcore_packetizer_config_t cfg;
    chunkcore_packetizer_t p;
    /* What the receiver got: each completed message, in order. */
    test_decoder_t dec;
    uint8_t msg[MAX_MSG_BYTES];
    uint8_t got[MAX_MESSAGES][MAX_MSG_BYTES];
    uint32_t got_bytes[MAX_MESSAGES];
    unsigned messages;
} bench_t;

static bench_t *bench_new(void)
{
    static bench_t b;
    memset(&b, 0, sizeof(b));
    b.storage.size_bytes = STORAGE_BYTES;
    b.port = (chunkcore_storage_port_t){
        .get_info = ram_get_info, .read = ram_read, .clear = ram_clear, .ctx = &b.storage};
    b.cfg.sources[CHUNKCORE_MSG_COREDUMP] = chunkcore_coredump_init(&b.cd, &b.port);
    test_ram_source_init(&b.event, NULL, 0); /* bench_queue_event offers one */
    b.cfg.sources[CHUNKCORE_MSG_EVENT] = &b.event.src;
    assert_int_equal(chunkcore_packetizer_init(&b.p, &b.cfg), CHUNKCORE_OK);
    test_decoder_init(&b.dec, b.msg, sizeof(b.msg));
    return &b;
}

/* Storage holds a header with these fields, the rest of it random. */
static void bench_store_header(bench_t *b, uint32_t magic, uint32_t version, uint32_t total)
{
    test_prng_t rng;
    test_prng_seed(&rng, total ^ version);
    test_prng_fill(&rng, b->storage.mem, sizeof(b->storage.mem));
    put_le32(b->storage.mem, magic);
    put_le32(b->storage.mem + 4, version);
    put_le32(b->storage.mem + 8, total);
    memcpy(b->stored, b->storage.mem, sizeof(b->stored));
}

/* Storage holds a valid coredump of `bytes` bytes. */
static void bench_store_coredump(bench_t *b, uint32_t bytes, uint64_t seed)
{
    test_prng_t rng;
    test_prng_seed(&rng, seed);
    build_coredump_image(b->storage.mem, bytes, &rng);
    memcpy(b->stored, b->storage.mem, sizeof(b->stored));
}

static void bench_queue_event(bench_t *b)
{
    static const uint8_t ev[] = {0xA1, 0xA2, 0xA3, 0xA4};
    test_ram_source_offer(&b->event, ev, sizeof(ev));
}

/* get-chunk until nothing is left (each call must succeed); returns the chunks sent. */
static unsigned bench_drain(bench_t *b, size_t chunk_bytes)
{
    uint8_t buf[64];
    assert_le(chunk_bytes, sizeof(buf));
    for (unsigned n = 0; n < 1000; n++) {
        size_t len = chunk_bytes;
        int rc = chunkcore_packetizer_get_chunk(&b->p, buf, &len);
        if (rc == CHUNKCORE_E_NODATA) {
            return n;
        }
        if (rc != CHUNKCORE_OK) {
            fail_msg("get-chunk %u: %s", n + 1, chunkcore_strerror(rc));
        }
        int d = test_decoder_feed(&b->dec, buf, len);
        if (d < 0) {
            fail_msg("decoder: %s", test_decoder_strerror(d));
        }
        if (d == TEST_DEC_DONE) {
            assert_lt(b->messages, MAX_MESSAGES);
            memcpy(b->got[b->messages], b->msg, b->dec.total_bytes);
            b->got_bytes[b->messages++] = b->dec.total_bytes;
        }
    }
    fail_msg("the drain did not end");
    return 0;
}

/* Message i is a coredump message whose payload is the storage's first `bytes` bytes. */
static void assert_coredump_message(const bench_t *b, unsigned i, uint32_t bytes)
{
    assert_lt(i, b->messages);
    assert_int_equal(b->got_bytes[i], 1 + bytes);
    assert_int_equal(b->got[i][0], CHUNKCORE_MSG_COREDUMP);
    uint32_t stored = bytes < STORAGE_BYTES ? bytes : STORAGE_BYTES;
    assert_memory_equal(b->got[i] + 1, b->stored, stored);
}

static void assert_event_message(const bench_t *b, unsigned i)
{
    static const uint8_t expect[] = {CHUNKCORE_MSG_EVENT, 0xA1, 0xA2, 0xA3, 0xA4};
    assert_lt(i, b->messages);
    assert_int_equal(b->got_bytes[i], sizeof(expect));
    assert_memory_equal(b->got[i], expect, sizeof(expect));
}

/* ---- a damaged header is sent as stored: the receiver judges it (SDK behaviour) ---- */

static void test_total_below_the_header_is_sent_as_stored_then_cleared(void **state)
{
    (void)state;
    static const uint32_t totals[] = {0, 1, 5, CHUNKCORE_COREDUMP_HEADER_BYTES - 1};
    for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
        bench_t *b = bench_new();
        bench_store_header(b, CHUNKCORE_COREDUMP_MAGIC, CHUNKCORE_COREDUMP_VERSION, totals[i]);
        assert_int_equal(chunkcore_packetizer_data_available(&b->p), 1);
        assert_int_equal(bench_drain(b, 20), 1);
        assert_int_equal(b->messages, 1);
        assert_coredump_message(b, 0, totals[i]);
        assert_int_equal(b->storage.clears, 1);
        assert_int_equal(chunkcore_packetizer_data_available(&b->p), 0);
    }
}

/*
 * Bytes the header claims beyond the end of the storage do not exist: the
 * port is never asked for them (it would refuse, and a refused payload read
 * is retried forever). The message still has the length the header gives,
 * as the SDK sends it; those bytes carry the marker 0xEF.
 */
static void test_total_beyond_storage_is_sent_with_a_marker_past_the_end(void **state)
{
    (void)state;
    bench_t *b = bench_new();
    const uint32_t total = STORAGE_BYTES + 44;
    bench_store_header(b, CHUNKCORE_COREDUMP_MAGIC, CHUNKCORE_COREDUMP_VERSION, total);
    assert_int_equal(chunkcore_packetizer_data_available(&b->p), 1);
    assert_gt(bench_drain(b, 64), 1);
    assert_int_equal(b->messages, 1);
    assert_coredump_message(b, 0, total);
    for (uint32_t k = STORAGE_BYTES; k < total; k++) {
        assert_int_equal(b->got[0][1 + k], PAST_END_MARKER);
    }
    assert_int_equal(b->storage.clears, 1);
    assert_int_equal(chunkcore_packetizer_data_available(&b->p), 0);
}

/* A total no message length can carry still starts a message rather than failing every call. */
static void test_total_too_large_for_a_message_still_starts_one(void **state)
{
    (void)state;
    bench_t *b = bench_new();
    bench_store_header(b, CHUNKCORE_COREDUMP_MAGIC, CHUNKCORE_COREDUMP_VERSION, UINT32_MAX);
    chunkcore_msg_info_t info;
    assert_int_equal(chunkcore_packetizer_begin(&b->p, false, &info), 1);
    assert_int_equal(info.type, CHUNKCORE_MSG_COREDUMP);
    assert_gt(info.message_bytes, STORAGE_BYTES);
    uint8_t buf[64];
    size_t len = sizeof(buf);
    assert_int_equal(chunkcore_packetizer_next(&b->p, buf, &len), CHUNKCORE_STATUS_END_OF_CHUNK);
    assert_int_equal(len, sizeof(buf));
}

/* Before: get-chunk and data-available failed on every call and the event never went out. */
static void test_damaged_coredump_does_not_block_the_other_sources(void **state)
{
    (void)state;
    static const uint32_t totals[] = {CHUNKCORE_COREDUMP_HEADER_BYTES - 1, STORAGE_BYTES + 1};
    for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
        bench_t *b = bench_new();
        bench_store_header(b, CHUNKCORE_COREDUMP_MAGIC, CHUNKCORE_COREDUMP_VERSION, totals[i]);
        bench_queue_event(b);
        assert_int_equal(chunkcore_packetizer_data_available(&b->p), 1);
        bench_drain(b, 32);
        assert_int_equal(b->messages, 2);
        assert_int_equal(b->got[0][0], CHUNKCORE_MSG_COREDUMP);
        assert_int_equal(b->got_bytes[0], 1 + totals[i]);
        assert_event_message(b, 1);
        assert_int_equal(b->storage.clears, 1);
        assert_int_equal(chunkcore_packetizer_data_available(&b->p), 0);
    }
}

/* ---- validity is the magic's alone (docs/chunk-format.md §11, as the SDK judges it) ---- */

static void test_any_version_with_the_magic_is_a_coredump(void **state)
{
    (void)state;
    static const uint32_t versions[] = {0, 1, 3, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        bench_t *b = bench_new();
        bench_store_header(b, CHUNKCORE_COREDUMP_MAGIC, versions[i], 200);
        uint32_t bytes = 0;
        const chunkcore_source_t *src = b->cfg.sources[CHUNKCORE_MSG_COREDUMP];
        assert_int_equal(src->has_message(src->ctx, &bytes), 1);
        assert_int_equal(bytes, 200);
        bench_drain(b, 64);
        assert_int_equal(b->messages, 1);
        assert_coredump_message(b, 0, 200);
        assert_int_equal(b->storage.clears, 1);
    }
}

/* ---- a header read that fails means "no coredump" (the SDK's convention) ---- */

static void test_failed_header_read_means_no_coredump(void **state)
{
    (void)state;
    bench_t *b = bench_new();
    bench_store_coredump(b, 150, 11);
    /* As a port does while its asynchronous clear runs. */
    b->storage.read_rc = CHUNKCORE_E_IO;
    uint32_t bytes = 0;
    const chunkcore_source_t *src = b->cfg.sources[CHUNKCORE_MSG_COREDUMP];
    assert_int_equal(src->has_message(src->ctx, &bytes), 0);
    assert_int_equal(chunkcore_packetizer_data_available(&b->p), 0);
    uint8_t buf[32];
    size_t len = sizeof(buf);
    assert_int_equal(chunkcore_packetizer_get_chunk(&b->p, buf, &len), CHUNKCORE_E_NODATA);
    assert_int_equal(b->storage.clears, 0);
    /* Once the storage reads again, the coredump is there. */
    b->storage.read_rc = 0;
    bench_drain(b, 32);
    assert_int_equal(b->messages, 1);
    assert_int_equal(b->storage.clears, 1);
}

/* Before: the failed header read failed every get-chunk, and the event waited behind it. */
static void test_unreadable_header_does_not_block_the_other_sources(void **state)
{
    (void)state;
    bench_t *b = bench_new();
    bench_store_coredump(b, 150, 12);
    bench_queue_event(b);
    b->storage.read_rc = CHUNKCORE_E_WINDOW;
    assert_int_equal(chunkcore_packetizer_data_available(&b->p), 1);
    bench_drain(b, 32);
    assert_int_equal(b->messages, 1);
    assert_event_message(b, 0);
    assert_int_equal(b->storage.clears, 0);
}

/* Only the header peek maps to "no coredump": a failed payload read is the caller's to retry. */
static void test_failed_payload_read_is_still_an_error(void **state)
{
    (void)state;
    bench_t *b = bench_new();
    bench_store_coredump(b, 150, 13);
    b->storage.fail_read_no = 2; /* read 1 is the header peek, read 2 the first payload read */
    uint8_t buf[32];
    size_t len = sizeof(buf);
    assert_int_equal(chunkcore_packetizer_get_chunk(&b->p, buf, &len), CHUNKCORE_E_IO);
    assert_int_equal(len, 0);
    assert_int_equal(b->storage.clears, 0);
    bench_drain(b, 32);
    assert_int_equal(b->messages, 1);
    assert_int_equal(b->storage.clears, 1);
    assert_coredump_message(b, 0, 150);
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_coredump_header_peek_judges_storage),
    cmocka_unit_test(test_coredump_source_streams_and_clears_through_port),
    cmocka_unit_test(test_total_below_the_header_is_sent_as_stored_then_cleared),
    cmocka_unit_test(test_total_beyond_storage_is_sent_with_a_marker_past_the_end),
    cmocka_unit_test(test_total_too_large_for_a_message_still_starts_one),
    cmocka_unit_test(test_damaged_coredump_does_not_block_the_other_sources),
    cmocka_unit_test(test_any_version_with_the_magic_is_a_coredump),
    cmocka_unit_test(test_failed_header_read_means_no_coredump),
    cmocka_unit_test(test_unreadable_header_does_not_block_the_other_sources),
    cmocka_unit_test(test_failed_payload_read_is_still_an_error),
})
