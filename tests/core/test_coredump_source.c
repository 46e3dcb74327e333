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

#include "chunk_decoder.h"
#include "test_prng.h"

#include "chunkcore/coredump.h"
#include "chunkcore/error.h"
#include "chunkcore/packetizer.h"

#define STORAGE_BYTES 256u

/* ---- storage in RAM ---- */

typedef struct ram_storage {
    uint8_t mem[STORAGE_BYTES];
    uint32_t size_bytes;
    int read_rc; /* nonzero: every read fails with it */
    int info_rc; /* nonzero: get_info fails with it */
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
    /* A port is never asked for bytes it does not have. */
    assert_true(offset <= r->size_bytes && len <= r->size_bytes - offset);
    memcpy(buf, r->mem + offset, len);
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
    assert_true(bytes >= CHUNKCORE_COREDUMP_HEADER_BYTES + CHUNKCORE_COREDUMP_FOOTER_BYTES);
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

    /* Not a coredump: no message. */
    assert_int_equal(peek_with_header(&r, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, &bytes), 0);
    assert_int_equal(peek_with_header(&r, magic ^ 1u, v2, 200, &bytes), 0);
    assert_int_equal(peek_with_header(&r, magic, 1, 200, &bytes), 0);
    assert_int_equal(peek_with_header(&r, magic, 3, 200, &bytes), 0);

    /* A committed header whose size cannot be right. */
    assert_int_equal(peek_with_header(&r, magic, v2, 257, &bytes), CHUNKCORE_E_CORRUPT);
    assert_int_equal(peek_with_header(&r, magic, v2, 11, &bytes), CHUNKCORE_E_CORRUPT);

    /* Port errors are passed up, not taken for "no coredump". */
    r.read_rc = CHUNKCORE_E_WINDOW;
    assert_int_equal(peek_with_header(&r, magic, v2, 200, &bytes), CHUNKCORE_E_WINDOW);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coredump_header_peek_judges_storage),
        cmocka_unit_test(test_coredump_source_streams_and_clears_through_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
