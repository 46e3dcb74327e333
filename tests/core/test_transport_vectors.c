/*
 * The byte vectors of docs/chunk-format.md §13.8, through the chunk transport (with a
 * RAM message reader) and, for the message-level ones, through the
 * packetizer with data sources. Also the test decoder against the same
 * vectors, and each of its rejections.
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

#include "chunkcore/error.h"
#include "chunkcore/packetizer.h"
#include "chunkcore/transport.h"

/* ---- a message in RAM, read through chunkcore_msg_reader_t ---- */

typedef struct ram_msg {
    const uint8_t *data;
    uint32_t bytes;
    unsigned reads;
    uint32_t last_offset;
    size_t last_len;
    chunkcore_msg_reader_t reader; /* the same for every chunk of the message */
} ram_msg_t;

static int ram_msg_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    ram_msg_t *m = ctx;
    test_ram_copy(buf, m->data, m->bytes, offset, len);
    m->reads++;
    m->last_offset = offset;
    m->last_len = len;
    return 0;
}

static void ram_msg_start(chunkcore_transport_t *t, ram_msg_t *m, const uint8_t *data,
                          uint32_t bytes, bool multi_call)
{
    memset(m, 0, sizeof(*m));
    m->data = data;
    m->bytes = bytes;
    m->reader.read = ram_msg_read;
    m->reader.ctx = m;
    m->reader.readable_end = CHUNKCORE_READABLE_ALL;
    chunkcore_transport_start(t, bytes, multi_call);
}

/* The next chunk, with room bytes of buf offered, returns rc and is exactly want; returns its
 * length. */
static size_t expect_chunk(chunkcore_transport_t *t, ram_msg_t *m, uint8_t *buf, size_t room,
                           int rc, const uint8_t *want, size_t want_len)
{
    size_t len = room;
    assert_int_equal(chunkcore_transport_next(t, &m->reader, buf, &len), rc);
    assert_int_equal(len, want_len);
    assert_memory_equal(buf, want, want_len);
    return len;
}

/* ---- the vectors ---- */

struct vector {
    const char *name;
    const uint8_t *msg;
    uint32_t msg_bytes;
    bool multi_call;
    size_t sizes[4];
    size_t n_chunks;
    const uint8_t *chunks[4];
    size_t chunk_bytes[4];
};

static const uint8_t msg9[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0A};
static const uint8_t msg14[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                0x08, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};
static const uint8_t msg17[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11};

static const uint8_t v1_c0[] = {0x48, 0x09, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
static const uint8_t v1_c1[] = {0x80, 0x07, 0x08, 0x0A, 0x1B, 0x13};
static const uint8_t v2_c0[] = {0x08, 0x01, 0x02, 0x03, 0x04, 0x05,
                                0x06, 0x07, 0x08, 0x0A, 0x1B, 0x13};
static const uint8_t v3_c0[] = {0x48, 0x0E, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
static const uint8_t v3_c1[] = {0xC0, 0x07, 0x08, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};
static const uint8_t v3_c2[] = {0x80, 0x0E, 0x4C, 0xDC};
static const uint8_t v4_c0[] = {0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
static const uint8_t v4_c1[] = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11};
static const uint8_t v4_c2[] = {0x13, 0xDB};

static const struct vector vectors[] = {
    {"9 bytes in 9+9",
     msg9,
     sizeof(msg9),
     false,
     {9, 9},
     2,
     {v1_c0, v1_c1},
     {sizeof(v1_c0), sizeof(v1_c1)}},
    {"9 bytes in 12", msg9, sizeof(msg9), false, {12}, 1, {v2_c0}, {sizeof(v2_c0)}},
    {"14 bytes in 9+10+9",
     msg14,
     sizeof(msg14),
     false,
     {9, 10, 9},
     3,
     {v3_c0, v3_c1, v3_c2},
     {sizeof(v3_c0), sizeof(v3_c1), sizeof(v3_c2)}},
    {"17 bytes multi-call 9+9+9",
     msg17,
     sizeof(msg17),
     true,
     {9, 9, 9},
     3,
     {v4_c0, v4_c1, v4_c2},
     {sizeof(v4_c0), sizeof(v4_c1), sizeof(v4_c2)}},
};

/* Runs one vector; checks bytes, one read per data-carrying chunk, and the status. */
static void run_transport_vector(const struct vector *v)
{
    chunkcore_transport_t t;
    ram_msg_t m;
    ram_msg_start(&t, &m, v->msg, v->msg_bytes, v->multi_call);
    for (size_t i = 0; i < v->n_chunks; i++) {
        uint8_t buf[64];
        memset(buf, 0xBA, sizeof(buf));
        size_t len = v->sizes[i];
        unsigned reads_before = m.reads;
        int rc = chunkcore_transport_next(&t, &m.reader, buf, &len);
        bool last = (i + 1 == v->n_chunks);
        assert_int_equal(rc, last ? CHUNKCORE_TRANSPORT_LAST : CHUNKCORE_TRANSPORT_MORE);
        assert_int_equal(len, v->chunk_bytes[i]);
        assert_memory_equal(buf, v->chunks[i], len);
        assert_le(m.reads - reads_before, 1);
        assert_int_equal(chunkcore_transport_done(&t), last);
    }
    size_t len = 64;
    uint8_t buf[64];
    assert_int_equal(chunkcore_transport_next(&t, &m.reader, buf, &len), CHUNKCORE_E_NODATA);
    assert_int_equal(len, 0);
}

static void test_spec_vectors_through_transport(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        print_message("vector: %s\n", vectors[i].name);
        run_transport_vector(&vectors[i]);
    }
}

/* Header-only / CRC-only chunks read nothing; every other chunk reads once, sequentially. */
static void test_crc_only_chunk_makes_no_read(void **state)
{
    (void)state;
    chunkcore_transport_t t;
    ram_msg_t m;
    ram_msg_start(&t, &m, msg14, sizeof(msg14), false);
    uint8_t buf[16];
    size_t sizes[] = {9, 10, 9};
    uint32_t expect_offset[] = {0, 7};
    for (size_t i = 0; i < 3; i++) {
        size_t len = sizes[i];
        unsigned before = m.reads;
        assert_ge(chunkcore_transport_next(&t, &m.reader, buf, &len), 0);
        if (i < 2) {
            assert_int_equal(m.reads, before + 1);
            assert_int_equal(m.last_offset, expect_offset[i]);
            assert_int_equal(m.last_len, 7);
        } else {
            assert_int_equal(m.reads, before); /* `80 0E 4C DC`: offset and CRC only */
        }
    }
}

static void test_4072_byte_message_vector(void **state)
{
    (void)state;
    static uint8_t msg[4072];
    memset(msg, 0, sizeof(msg));
    msg[0] = 0x01;
    msg[1] = 0x02;
    msg[2] = 0x03;
    chunkcore_transport_t t;
    ram_msg_t m;
    ram_msg_start(&t, &m, msg, sizeof(msg), false);

    uint8_t buf[128];
    static const uint8_t first[] = {0x48, 0xE8, 0x1F, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00};
    expect_chunk(&t, &m, buf, 9, CHUNKCORE_TRANSPORT_MORE, first, sizeof(first));

    /* Continuations (9 bytes, then one sized to land exactly) up to offset 4071. */
    for (unsigned n = 0; t.offset < 4071; n++) {
        assert_lt(n, sizeof(msg));
        uint32_t left = 4071 - t.offset;
        size_t varint_bytes = t.offset < 128 ? 1 : 2;
        size_t want = left > 64 ? 9 : 1 + varint_bytes + left;
        size_t len = want;
        assert_int_equal(chunkcore_transport_next(&t, &m.reader, buf, &len),
                         CHUNKCORE_TRANSPORT_MORE);
        assert_int_equal(len, want);
        assert_true(buf[0] == 0xC0);
    }
    assert_int_equal(t.offset, 4071);
    static const uint8_t last[] = {0x80, 0xE7, 0x1F, 0x00, 0xF4, 0x79};
    expect_chunk(&t, &m, buf, 9, CHUNKCORE_TRANSPORT_LAST, last, sizeof(last));
}

static void test_buffer_under_9_gives_nothing_and_keeps_state(void **state)
{
    (void)state;
    chunkcore_transport_t t;
    ram_msg_t m;
    ram_msg_start(&t, &m, msg14, sizeof(msg14), false);
    uint8_t buf[16];
    for (size_t room = 0; room < CHUNKCORE_CHUNK_MIN_BYTES; room++) {
        chunkcore_transport_t before = t;
        memset(buf, 0xBA, sizeof(buf));
        size_t len = room;
        assert_int_equal(chunkcore_transport_next(&t, &m.reader, buf, &len), CHUNKCORE_E_BUFSIZE);
        assert_int_equal(len, 0);
        assert_memory_equal(&before, &t, sizeof(t));
        assert_int_equal(m.reads, 0);
        assert_int_equal(buf[0], 0xBA);
    }
    /* Mid-message too: after the first chunk a too-small buffer changes nothing. */
    size_t len = 9;
    assert_int_equal(chunkcore_transport_next(&t, &m.reader, buf, &len), CHUNKCORE_TRANSPORT_MORE);
    chunkcore_transport_t before = t;
    len = 8;
    assert_int_equal(chunkcore_transport_next(&t, &m.reader, buf, &len), CHUNKCORE_E_BUFSIZE);
    assert_int_equal(len, 0);
    assert_memory_equal(&before, &t, sizeof(t));
    /* And the message goes on as in the vector. */
    len = 10;
    assert_int_equal(chunkcore_transport_next(&t, &m.reader, buf, &len), CHUNKCORE_TRANSPORT_MORE);
    assert_memory_equal(buf, v3_c1, sizeof(v3_c1));
}

static void test_init_chunk_carries_version_2_bits(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const struct vector *v = &vectors[i];
        assert_int_equal(v->chunks[0][0] & CHUNKCORE_CHUNK_HDR_VER_MASK, 0x08);
        chunkcore_transport_t t;
        ram_msg_t m;
        ram_msg_start(&t, &m, v->msg, v->msg_bytes, v->multi_call);
        uint8_t buf[64];
        size_t len = v->sizes[0];
        assert_ge(chunkcore_transport_next(&t, &m.reader, buf, &len), 0);
        assert_int_equal(buf[0] & CHUNKCORE_CHUNK_HDR_VER_MASK, CHUNKCORE_CHUNK_HDR_V2);
        assert_int_equal(buf[0] & CHUNKCORE_CHUNK_HDR_CHANNEL, 0);
        if (v->multi_call) {
            continue;
        }
        /* Continuations carry 0 in the version bits. */
        for (size_t c = 1; c < v->n_chunks; c++) {
            len = v->sizes[c];
            assert_ge(chunkcore_transport_next(&t, &m.reader, buf, &len), 0);
            assert_int_equal(buf[0] & CHUNKCORE_CHUNK_HDR_VER_MASK, 0);
            assert_int_equal(buf[0] & CHUNKCORE_CHUNK_HDR_CONT, CHUNKCORE_CHUNK_HDR_CONT);
        }
    }
}

static void test_chunk_size_may_change_every_call(void **state)
{
    (void)state;
    /* 200 bytes over sizes 9, 200, 9, 12, ...: decodes to the same message. */
    uint8_t msg[200];
    for (size_t i = 0; i < sizeof(msg); i++) {
        msg[i] = (uint8_t)(i * 7 + 3);
    }
    static const size_t sizes[] = {9, 13, 9, 30, 10, 11, 9, 64, 9, 9, 100, 9, 9, 9};
    chunkcore_transport_t t;
    ram_msg_t m;
    ram_msg_start(&t, &m, msg, sizeof(msg), false);
    uint8_t out[256];
    test_decoder_t d;
    test_decoder_init(&d, out, sizeof(out));
    int rc = TEST_DEC_MORE;
    for (size_t i = 0; rc == TEST_DEC_MORE; i++) {
        uint8_t buf[128];
        size_t len = sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
        assert_ge(chunkcore_transport_next(&t, &m.reader, buf, &len), 0);
        rc = test_decoder_feed(&d, buf, len);
    }
    assert_int_equal(rc, TEST_DEC_DONE);
    assert_int_equal(d.total_bytes, sizeof(msg));
    assert_memory_equal(out, msg, sizeof(msg));
    assert_true(chunkcore_transport_done(&t));
}

/*
 * A reader that can serve only part of the message now (an async window)
 * gets the chunk cut short at its readable end, never a read across it; an
 * end not past the chunk's offset means "don't know" and sets no limit.
 */
static void test_readable_end_cuts_the_chunk_short(void **state)
{
    (void)state;
    chunkcore_transport_t t;
    ram_msg_t m;
    ram_msg_start(&t, &m, msg14, sizeof(msg14), false);
    uint8_t buf[32];
    test_decoder_t d;
    uint8_t out[32];
    test_decoder_init(&d, out, sizeof(out));

    /* 14 bytes would fit one 20-byte chunk, but only 5 can be read: framed, 5 bytes. */
    m.reader.readable_end = 5;
    static const uint8_t first[] = {0x48, 0x0E, 0x01, 0x02, 0x03, 0x04, 0x05};
    size_t len = expect_chunk(&t, &m, buf, 20, CHUNKCORE_TRANSPORT_MORE, first, sizeof(first));
    assert_int_equal(m.last_offset, 0);
    assert_int_equal(m.last_len, 5);
    assert_int_equal(test_decoder_feed(&d, buf, len), TEST_DEC_MORE);

    /* The window moved on to [5, 9). */
    m.reader.readable_end = 9;
    static const uint8_t second[] = {0xC0, 0x05, 0x06, 0x07, 0x08, 0x0A};
    len = expect_chunk(&t, &m, buf, 20, CHUNKCORE_TRANSPORT_MORE, second, sizeof(second));
    assert_int_equal(test_decoder_feed(&d, buf, len), TEST_DEC_MORE);

    /* An end not past the offset (9) is "don't know": the rest and the CRC. */
    m.reader.readable_end = 9;
    len = 20;
    assert_int_equal(chunkcore_transport_next(&t, &m.reader, buf, &len), CHUNKCORE_TRANSPORT_LAST);
    assert_int_equal(m.last_offset, 9);
    assert_int_equal(m.last_len, 5);
    assert_int_equal(len, 1 + 1 + 5 + 2);
    assert_int_equal(buf[0], 0x80);
    assert_int_equal(test_decoder_feed(&d, buf, len), TEST_DEC_DONE);
    assert_memory_equal(out, msg14, sizeof(msg14));
}

/* ---- packetizer-level vectors: the packetizer writes the type byte itself ---- */

/* A packetizer with src as its one source, of message type type. */
typedef struct packetizer_bench {
    chunkcore_packetizer_config_t cfg; /* the packetizer keeps a pointer to it */
    chunkcore_packetizer_t p;
} packetizer_bench_t;

static void packetizer_over(packetizer_bench_t *b, unsigned type, test_ram_source_t *src)
{
    memset(&b->cfg, 0, sizeof(b->cfg));
    b->cfg.sources[type] = &src->src;
    assert_int_equal(chunkcore_packetizer_init(&b->p, &b->cfg), CHUNKCORE_OK);
}

/* The next get-chunk, with room bytes offered in a buffer of 0xBA, sends exactly want. */
static void expect_message_chunk(chunkcore_packetizer_t *p, size_t room, const uint8_t *want,
                                 size_t want_len)
{
    uint8_t buf[64];
    assert_le(room, sizeof(buf));
    memset(buf, 0xBA, sizeof(buf));
    size_t len = room;
    assert_int_equal(chunkcore_packetizer_get_chunk(p, buf, &len), CHUNKCORE_OK);
    assert_int_equal(len, want_len);
    assert_memory_equal(buf, want, want_len);
}

static void test_coredump_message_vector_through_packetizer(void **state)
{
    (void)state;
    test_ram_source_t cd;
    test_ram_source_init(&cd, msg9, sizeof(msg9));
    packetizer_bench_t b;
    packetizer_over(&b, CHUNKCORE_MSG_COREDUMP, &cd);

    static const uint8_t c0[] = {0x48, 0x0A, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
    static const uint8_t c1[] = {0x80, 0x07, 0x07, 0x08, 0x0A, 0x5E, 0x7C};
    expect_message_chunk(&b.p, 9, c0, sizeof(c0));
    assert_int_equal(cd.reads, 1);
    assert_int_equal(cd.deletes, 0);
    expect_message_chunk(&b.p, 9, c1, sizeof(c1));
    assert_int_equal(cd.reads, 2);
    assert_int_equal(cd.deletes, 1);
    uint8_t buf[32];
    size_t len = 9;
    assert_int_equal(chunkcore_packetizer_get_chunk(&b.p, buf, &len), CHUNKCORE_E_NODATA);
    assert_int_equal(len, 9); /* nothing to send: untouched, as the SDK leaves it */
}

static void test_event_message_vector_through_packetizer(void **state)
{
    (void)state;
    static const uint8_t payload[] = {0x0A, 0x0B, 0x0C, 0x0D};
    test_ram_source_t ev;
    test_ram_source_init(&ev, payload, sizeof(payload));
    packetizer_bench_t b;
    packetizer_over(&b, CHUNKCORE_MSG_EVENT, &ev);

    static const uint8_t c0[] = {0x08, 0x02, 0x0A, 0x0B, 0x0C, 0x0D, 0x19, 0x48};
    expect_message_chunk(&b.p, 20, c0, sizeof(c0));
    assert_int_equal(ev.reads, 1);
    assert_int_equal(ev.deletes, 1);
    assert_true(chunkcore_packetizer_last_chunk_final(&b.p));
}

/* ---- the test decoder: accepts every vector, rejects each kind of damage ---- */

static void test_decoder_accepts_spec_vectors(void **state)
{
    (void)state;
    uint8_t out[64];
    test_decoder_t d;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const struct vector *v = &vectors[i];
        test_decoder_init(&d, out, sizeof(out));
        int rc;
        if (v->multi_call) {
            uint8_t cat[64];
            size_t n = 0;
            for (size_t c = 0; c < v->n_chunks; c++) {
                memcpy(cat + n, v->chunks[c], v->chunk_bytes[c]);
                n += v->chunk_bytes[c];
            }
            rc = test_decoder_feed(&d, cat, n);
        } else {
            for (size_t c = 0; c + 1 < v->n_chunks; c++) {
                assert_int_equal(test_decoder_feed(&d, v->chunks[c], v->chunk_bytes[c]),
                                 TEST_DEC_MORE);
            }
            rc = test_decoder_feed(&d, v->chunks[v->n_chunks - 1], v->chunk_bytes[v->n_chunks - 1]);
        }
        assert_int_equal(rc, TEST_DEC_DONE);
        assert_int_equal(d.total_bytes, v->msg_bytes);
        assert_memory_equal(out, v->msg, v->msg_bytes);
    }
}

static int decode_pair(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    uint8_t out[64];
    test_decoder_t d;
    test_decoder_init(&d, out, sizeof(out));
    int rc = test_decoder_feed(&d, a, an);
    if (rc < 0 || b == NULL) {
        return rc;
    }
    return test_decoder_feed(&d, b, bn);
}

static void test_decoder_rejects_damaged_chunks(void **state)
{
    (void)state;
    uint8_t c[16];

    memcpy(c, v2_c0, sizeof(v2_c0));
    c[11] ^= 0x01; /* CRC */
    assert_int_equal(decode_pair(c, sizeof(v2_c0), NULL, 0), TEST_DEC_E_CRC);

    memcpy(c, v2_c0, sizeof(v2_c0));
    c[0] = 0x00; /* version 1 INIT */
    assert_int_equal(decode_pair(c, sizeof(v2_c0), NULL, 0), TEST_DEC_E_VERSION1);
    c[0] = 0x10; /* version bits 010 */
    assert_int_equal(decode_pair(c, sizeof(v2_c0), NULL, 0), TEST_DEC_E_VERSION);
    c[0] = 0x09; /* channel 1 */
    assert_int_equal(decode_pair(c, sizeof(v2_c0), NULL, 0), TEST_DEC_E_CHANNEL);

    assert_int_equal(decode_pair(v1_c1, sizeof(v1_c1), NULL, 0), TEST_DEC_E_SEQUENCE);
    assert_int_equal(decode_pair(v1_c0, sizeof(v1_c0), v2_c0, sizeof(v2_c0)), TEST_DEC_E_SEQUENCE);

    memcpy(c, v1_c1, sizeof(v1_c1));
    c[1] = 0x06; /* offset one short */
    assert_int_equal(decode_pair(v1_c0, sizeof(v1_c0), c, sizeof(v1_c1)), TEST_DEC_E_OFFSET);
    c[1] = 0x88; /* varint that never ends */
    assert_int_equal(decode_pair(v1_c0, sizeof(v1_c0), c, 2), TEST_DEC_E_VARINT);

    /* Last chunk one data byte short of the announced length. */
    static const uint8_t short_last[] = {0x80, 0x07, 0x08, 0x1B, 0x13};
    assert_int_equal(decode_pair(v1_c0, sizeof(v1_c0), short_last, sizeof(short_last)),
                     TEST_DEC_E_LENGTH);
    /* Announced length 2, chunk carries 7. */
    memcpy(c, v1_c0, sizeof(v1_c0));
    c[1] = 0x02;
    assert_int_equal(decode_pair(c, sizeof(v1_c0), NULL, 0), TEST_DEC_E_LENGTH);
    assert_int_equal(decode_pair(c, 0, NULL, 0), TEST_DEC_E_EMPTY);

    uint8_t tiny[4];
    test_decoder_t d;
    test_decoder_init(&d, tiny, sizeof(tiny));
    assert_int_equal(test_decoder_feed(&d, v1_c0, sizeof(v1_c0)), TEST_DEC_E_CAPACITY);
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_spec_vectors_through_transport),
    cmocka_unit_test(test_crc_only_chunk_makes_no_read),
    cmocka_unit_test(test_4072_byte_message_vector),
    cmocka_unit_test(test_buffer_under_9_gives_nothing_and_keeps_state),
    cmocka_unit_test(test_init_chunk_carries_version_2_bits),
    cmocka_unit_test(test_chunk_size_may_change_every_call),
    cmocka_unit_test(test_readable_end_cuts_the_chunk_short),
    cmocka_unit_test(test_coredump_message_vector_through_packetizer),
    cmocka_unit_test(test_event_message_vector_through_packetizer),
    cmocka_unit_test(test_decoder_accepts_spec_vectors),
    cmocka_unit_test(test_decoder_rejects_damaged_chunks),
})
