/*
 * The reassembler and the coredump walk (sim/include/chunksim/decoder.h):
 * the byte vectors of docs/chunk-format.md §13.8 decode; every kind of damage is reported with the
 * chunk and message offset it happened at, and decoding carries on; every
 * coredump check fires on an image broken in its way.
 */
#include "chunksim/decoder.h"
#include "chunksim/image.h"

#include "chunkcore/crc16.h"
#include "chunkcore/packetizer.h"
#include "chunkcore/varint.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"

#define MAX_EVENTS 32

typedef struct got {
    size_t nmsgs;
    chunksim_message_t msg[MAX_EVENTS];
    uint8_t bytes[MAX_EVENTS][256];
    uint64_t chunk_at_1[MAX_EVENTS]; /* the chunk holding message byte 1 */
    size_t ndamage;
    chunksim_damage_t damage[MAX_EVENTS];
} got_t;

static void on_message(void *data, const chunksim_message_t *m)
{
    got_t *g = data;
    assert_lt(g->nmsgs, MAX_EVENTS);
    g->msg[g->nmsgs] = *m;
    memcpy(g->bytes[g->nmsgs], m->bytes, m->length < 256 ? m->length : 256);
    g->chunk_at_1[g->nmsgs] = UINT64_MAX;
    (void)chunksim_message_chunk_at(m, 1, &g->chunk_at_1[g->nmsgs]);
    g->nmsgs++;
}

static void on_damage(void *data, const chunksim_damage_t *d)
{
    got_t *g = data;
    assert_lt(g->ndamage, MAX_EVENTS);
    g->damage[g->ndamage++] = *d;
}

typedef struct chunk {
    size_t len;
    uint8_t b[32];
} chunk_t;

/* Feeds chunks in the order given by idx (each fed with its own index as chunk_index). */
static void feed(got_t *g, const chunk_t *c, const int *order, size_t n, uint32_t max)
{
    memset(g, 0, sizeof(*g));
    chunksim_decoder_t dec;
    const chunksim_decoder_config_t cfg = {on_message, on_damage, g, max};
    chunksim_decoder_init(&dec, &cfg);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(
            chunksim_decoder_feed(&dec, (uint64_t)order[i], c[order[i]].b, c[order[i]].len), 0);
    }
    chunksim_decoder_finish(&dec, 99);
    assert_int_equal(dec.damaged, g->ndamage);
    chunksim_decoder_free(&dec);
}

static void expect_damage(const got_t *g, size_t i, chunksim_damage_kind_t kind, uint64_t chunk,
                          uint32_t offset)
{
    assert_lt(i, g->ndamage);
    assert_string_equal(chunksim_damage_name(g->damage[i].kind), chunksim_damage_name(kind));
    assert_int_equal(g->damage[i].chunk_index, chunk);
    assert_int_equal(g->damage[i].message_offset, offset);
    char text[160];
    assert_gt(chunksim_damage_describe(&g->damage[i], text, sizeof(text)), 0);
}

/* The feed gave nmsgs messages and exactly one damage, this one. */
static void expect_one_damage(const got_t *g, size_t nmsgs, chunksim_damage_kind_t kind,
                              uint64_t chunk, uint32_t offset)
{
    assert_int_equal(g->nmsgs, nmsgs);
    assert_int_equal(g->ndamage, 1);
    expect_damage(g, 0, kind, chunk, offset);
}

/* The 14-byte message of docs/chunk-format.md §13.8 cut 9, 10, 9:
 * 48 0E .. | C0 07 .. | 80 0E 4C DC. */
static const chunk_t three[] = {
    {9, {0x48, 0x0E, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07}},
    {9, {0xC0, 0x07, 0x08, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F}},
    {4, {0x80, 0x0E, 0x4C, 0xDC}},
};

static const chunk_t event = {8, {0x08, 0x02, 0x0A, 0x0B, 0x0C, 0x0D, 0x19, 0x48}};

static void test_spec_vectors_decode(void **state)
{
    (void)state;
    got_t g;
    const int order[] = {0, 1, 2};
    feed(&g, three, order, 3, 0);
    assert_int_equal(g.ndamage, 0);
    assert_int_equal(g.nmsgs, 1);
    assert_int_equal(g.msg[0].length, 14);
    assert_true(g.msg[0].crc_ok);
    assert_int_equal(g.msg[0].crc_computed, 0xDC4C);
    assert_int_equal(g.msg[0].chunks, 3);
    assert_int_equal(g.msg[0].first_chunk, 0);
    assert_int_equal(g.msg[0].last_chunk, 2);
    assert_int_equal(g.chunk_at_1[0], 0);

    const chunk_t ev[] = {event};
    const int one[] = {0};
    feed(&g, ev, one, 1, 0);
    assert_int_equal(g.nmsgs, 1);
    assert_int_equal(g.msg[0].type, 2);
    assert_string_equal(chunksim_message_type_name(g.msg[0].type), "event");
    assert_int_equal(g.msg[0].header_bytes, 1);
    assert_true(g.msg[0].crc_ok);
}

static void test_message_maps_offsets_to_chunks(void **state)
{
    (void)state;
    got_t g;
    const int order[] = {0, 1, 2};
    feed(&g, three, order, 3, 0);
    const chunksim_segment_t segs[] = {{10, 0, 7}, {11, 7, 7}};
    chunksim_message_t m = {.segments = segs, .nsegments = 2};
    uint64_t c = 0;
    assert_true(chunksim_message_chunk_at(&m, 6, &c));
    assert_int_equal(c, 10);
    assert_true(chunksim_message_chunk_at(&m, 7, &c));
    assert_int_equal(c, 11);
    assert_false(chunksim_message_chunk_at(&m, 14, &c));
}

/* The three-chunk message fed in order (its chunks' digits): one damage, and nmsgs messages,
 * each whole. */
typedef struct one_damage_case {
    const char *name;
    const char *order;
    struct {
        size_t nmsgs;
        chunksim_damage_kind_t kind;
        uint64_t chunk;
        uint32_t offset, got;
    } want;
} one_damage_case_t;

static const one_damage_case_t one_damage_cases[] = {
    {"test_missing_chunk_is_a_gap_named_by_the_next_chunk",
     "02",
     {0, CHUNKSIM_DAMAGE_GAP, 2, 7, 14}},
    {"test_duplicate_continuation_is_dropped_and_message_completes",
     "0112",
     {1, CHUNKSIM_DAMAGE_DUPLICATE, 1, 7, 14}},
    {"test_duplicate_first_chunk_is_a_duplicate_not_a_new_message",
     "0012",
     {1, CHUNKSIM_DAMAGE_DUPLICATE, 0, 0, 7}},
};

static void test_one_damage_case(void **state)
{
    const one_damage_case_t *c = *state;
    int order[8];
    size_t n = strlen(c->order);
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++)
        order[i] = c->order[i] - '0';
    got_t g;
    feed(&g, three, order, n, 0);
    expect_one_damage(&g, c->want.nmsgs, c->want.kind, c->want.chunk, c->want.offset);
    assert_int_equal(g.damage[0].got, c->want.got);
    for (size_t i = 0; i < c->want.nmsgs; i++) {
        assert_true(g.msg[i].crc_ok);
        assert_int_equal(g.msg[i].chunks, 3);
    }
}

static void test_repeat_of_the_last_chunk_after_completion_is_a_duplicate(void **state)
{
    (void)state;
    got_t g;
    const int order[] = {0, 1, 2, 2, 1};
    feed(&g, three, order, 5, 0);
    assert_int_equal(g.nmsgs, 1);
    assert_int_equal(g.ndamage, 2);
    expect_damage(&g, 0, CHUNKSIM_DAMAGE_DUPLICATE, 2, 14);
    expect_damage(&g, 1, CHUNKSIM_DAMAGE_DUPLICATE, 1, 7);
}

static void test_swapped_chunks_are_out_of_order_and_message_completes(void **state)
{
    (void)state;
    got_t g;
    const int order[] = {1, 0, 2}; /* the continuation before its first chunk: an orphan */
    feed(&g, three, order, 3, 0);
    assert_int_equal(g.nmsgs, 0);
    expect_damage(&g, 0, CHUNKSIM_DAMAGE_ORPHAN, 1, 7);

    /* 4 chunks of a 21-byte message: 48 15 +7 | C0 07 +7 | C0 0E +5 | 80 13 +2 CRC */
    uint8_t msg[21];
    for (size_t i = 0; i < sizeof(msg); i++) {
        msg[i] = (uint8_t)(i + 1);
    }
    chunk_t c[4] = {{9, {0x48, 0x15}}, {9, {0xC0, 0x07}}, {7, {0xC0, 0x0E}}, {6, {0x80, 0x13}}};
    memcpy(c[0].b + 2, msg, 7);
    memcpy(c[1].b + 2, msg + 7, 7);
    memcpy(c[2].b + 2, msg + 14, 5);
    memcpy(c[3].b + 2, msg + 19, 2);
    uint16_t crc = chunkcore_crc16_update(0, msg, sizeof(msg));
    c[3].b[4] = (uint8_t)crc;
    c[3].b[5] = (uint8_t)(crc >> 8);
    const int swapped[] = {0, 2, 1, 3};
    feed(&g, c, swapped, 4, 0);
    expect_one_damage(&g, 1, CHUNKSIM_DAMAGE_OUT_OF_ORDER, 1, 7);
    assert_true(g.msg[0].crc_ok);
    assert_int_equal(g.damage[0].expected, 19);

    const int last_early[] = {0, 1, 3, 2}; /* the CRC chunk before the one it follows */
    feed(&g, c, last_early, 4, 0);
    assert_int_equal(g.nmsgs, 1);
    assert_true(g.msg[0].crc_ok);
    assert_int_equal(g.msg[0].last_chunk, 3);
    expect_damage(&g, 0, CHUNKSIM_DAMAGE_OUT_OF_ORDER, 2, 14);

    const int tail_missing[] = {0, 1, 2}; /* the input ends: truncated after chunk 2 */
    feed(&g, c, tail_missing, 3, 0);
    assert_int_equal(g.ndamage, 1);
    expect_damage(&g, 0, CHUNKSIM_DAMAGE_TRUNCATED, 2, 19);
    assert_int_equal(g.damage[0].expected, 21);

    const int crc_only_left[] = {0, 1, 3}; /* a hole before the CRC chunk */
    c[3].len = 4;
    c[3].b[1] = 0x15;
    c[3].b[2] = (uint8_t)crc;
    c[3].b[3] = (uint8_t)(crc >> 8);
    feed(&g, c, crc_only_left, 3, 0);
    assert_int_equal(g.ndamage, 1);
    expect_damage(&g, 0, CHUNKSIM_DAMAGE_GAP, 3, 14);
}

static void test_bad_crc_reported_at_the_last_chunk_and_message_still_delivered(void **state)
{
    (void)state;
    chunk_t c[3];
    memcpy(c, three, sizeof(c));
    c[1].b[4] ^= 0x01;
    got_t g;
    const int order[] = {0, 1, 2};
    feed(&g, c, order, 3, 0);
    expect_one_damage(&g, 1, CHUNKSIM_DAMAGE_BAD_CRC, 2, 14);
    assert_false(g.msg[0].crc_ok);
    assert_int_equal(g.damage[0].expected, 0xDC4C);
}

static void test_new_first_chunk_truncates_the_message_and_decoding_carries_on(void **state)
{
    (void)state;
    const chunk_t c[] = {three[0], three[1], event, three[0], three[1], three[2]};
    const int order[] = {0, 1, 2, 3, 4, 5};
    got_t g;
    feed(&g, c, order, 6, 0);
    expect_one_damage(&g, 2, CHUNKSIM_DAMAGE_TRUNCATED, 1, 14);
    assert_int_equal(g.msg[0].type, 2);
    assert_int_equal(g.msg[1].length, 14);
    assert_int_equal(g.msg[1].first_chunk, 3);
    assert_true(g.msg[1].crc_ok);
}

static void test_orphan_oversize_short_and_conflict_are_located(void **state)
{
    (void)state;
    chunk_t c[6];
    memcpy(c, three, sizeof(three));
    c[3] = (chunk_t){5, {0xC0, 0x0C, 1, 2, 3}};       /* runs past 14 bytes */
    c[4] = (chunk_t){5, {0x80, 0x05, 9, 0x4C, 0xDC}}; /* CRC after byte 6 of 14 */
    c[5] = (chunk_t){4, {0xC0, 0x06, 0x77, 0x08}};    /* bytes 6-7 again, different */
    const int order[] = {2, 0, 3, 4, 5, 1, 2};
    got_t g;
    feed(&g, c, order, 7, 0);
    assert_int_equal(g.ndamage, 4);
    expect_damage(&g, 0, CHUNKSIM_DAMAGE_ORPHAN, 2, 14);
    expect_damage(&g, 1, CHUNKSIM_DAMAGE_OVERSIZE, 3, 12);
    assert_int_equal(g.damage[1].got, 15);
    expect_damage(&g, 2, CHUNKSIM_DAMAGE_SHORT, 4, 5);
    assert_int_equal(g.damage[2].got, 6);
    expect_damage(&g, 3, CHUNKSIM_DAMAGE_CONFLICT, 5, 6);
    assert_int_equal(g.nmsgs, 1); /* chunk 1 then 2 complete it */
    assert_true(g.msg[0].crc_ok);

    const chunk_t big[] = {{3, {0x48, 0x02, 0x01}}, {9, {0x48, 0x02, 1, 2, 3, 4, 5, 6, 7}}};
    const int two[] = {1};
    feed(&g, big, two, 1, 0);
    expect_damage(&g, 0, CHUNKSIM_DAMAGE_OVERSIZE, 1, 0);
}

static void test_conflicting_last_chunk_is_refused_with_its_crc(void **state)
{
    (void)state;
    chunk_t c[4];
    memcpy(c, three, sizeof(three));
    c[3] = (chunk_t){13, {0x80, 0x05, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0xAA, 0xBB}};
    const int order[] = {0, 3, 1, 2};
    got_t g;
    feed(&g, c, order, 4, 0);
    assert_int_equal(g.ndamage, 1);
    expect_damage(&g, 0, CHUNKSIM_DAMAGE_CONFLICT, 3, 5);
    assert_int_equal(g.nmsgs, 1);
    assert_true(g.msg[0].crc_ok);
    assert_int_equal(g.msg[0].chunks, 3);
    assert_int_equal(g.msg[0].last_chunk, 2);
}

static void test_bad_headers_are_reported_and_skipped(void **state)
{
    (void)state;
    const chunk_t c[] = {
        {0, {0}},                                  /* empty */
        {2, {0x09, 0x00}},                         /* channel 1 */
        {5, {0x40, 0x01, 0x02, 0x03, 0x04}},       /* version 1 */
        {3, {0x58, 0x01, 0x02}},                   /* unknown version */
        {2, {0x08, 0x01}},                         /* single chunk without room for a CRC */
        {3, {0x48, 0x80, 0x80}},                   /* varint never ends */
        {3, {0x80, 0x00, 0x01}},                   /* last chunk too short for its CRC */
        {2, {0xC0, 0xFF}},                         /* continuation varint never ends */
        {7, {0x48, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}}, /* 4 GiB announced */
        {9, {0x48, 0x80, 0x01, 0, 0, 0, 0, 0, 0}}, /* 128 bytes: over this decoder's limit */
    };
    const int order[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    got_t g;
    feed(&g, c, order, 10, 100);
    assert_int_equal(g.nmsgs, 0);
    assert_int_equal(g.ndamage, 10);
    for (size_t i = 0; i < 10; i++) {
        expect_damage(&g, i, CHUNKSIM_DAMAGE_BAD_HEADER, i, 0);
        assert_non_null(g.damage[i].detail);
    }
}

/* A coredump larger than the default limit is no damage to a decoder told its size. */
static void test_coredump_limit_follows_the_image(void **state)
{
    (void)state;
    const uint32_t mib = 1024u * 1024u, hdr = CHUNKCORE_MSG_HDR_MAX_BYTES;
    assert_int_equal(chunksim_decoder_coredump_limit(0), CHUNKSIM_DECODER_DEFAULT_MAX_BYTES);
    assert_int_equal(chunksim_decoder_coredump_limit(64 * mib - hdr),
                     CHUNKSIM_DECODER_DEFAULT_MAX_BYTES);
    assert_int_equal(chunksim_decoder_coredump_limit(64 * mib), 64 * mib + hdr);
    assert_int_equal(chunksim_decoder_coredump_limit(512 * mib), 512 * mib + hdr);
    assert_int_equal(chunksim_decoder_coredump_limit(UINT64_MAX / 2), UINT32_MAX);

    /* The first chunk of a 72 MiB coredump message: type byte, then image. */
    chunk_t c[1] = {{0}};
    c[0].b[0] = 0x48;
    size_t n = chunkcore_varint_encode(72 * mib + 1, c[0].b + 1);
    c[0].b[1 + n] = 0x01;
    c[0].len = 1 + n + 1 + 4;
    const int order[] = {0};
    got_t g;
    feed(&g, c, order, 1, 0);
    assert_int_equal(g.ndamage, 1);
    expect_damage(&g, 0, CHUNKSIM_DAMAGE_BAD_HEADER, 0, 0);
    feed(&g, c, order, 1, chunksim_decoder_coredump_limit(72 * mib));
    assert_int_equal(g.ndamage, 1); /* only the end of input cut it short */
    expect_damage(&g, 0, CHUNKSIM_DAMAGE_TRUNCATED, 0, 5);
}

static void test_project_key_counts_in_the_message_header(void **state)
{
    (void)state;
    /* 41 'k' 'e' 'y' 00 0A: a coredump message with a project key */
    const uint8_t msg[] = {0x41, 'k', 'e', 'y', 0x00, 0x0A};
    const uint8_t unterminated[] = {0x41, 'k', 'e', 'y'};
    chunk_t c[2];
    memset(c, 0, sizeof(c));
    c[0].len = 9;
    c[1].len = 7;
    c[0].b[0] = 0x08;
    memcpy(c[0].b + 1, msg, sizeof(msg));
    uint16_t crc = chunkcore_crc16_update(0, msg, sizeof(msg));
    c[0].b[7] = (uint8_t)crc;
    c[0].b[8] = (uint8_t)(crc >> 8);
    c[1].b[0] = 0x08;
    memcpy(c[1].b + 1, unterminated, sizeof(unterminated));
    crc = chunkcore_crc16_update(0, unterminated, sizeof(unterminated));
    c[1].b[5] = (uint8_t)crc;
    c[1].b[6] = (uint8_t)(crc >> 8);
    const int order[] = {0, 1};
    got_t g;
    feed(&g, c, order, 2, 0);
    assert_int_equal(g.nmsgs, 2);
    assert_true(g.msg[0].has_key);
    assert_true(g.msg[0].key_terminated);
    assert_int_equal(g.msg[0].header_bytes, 5);
    assert_int_equal(g.msg[0].type, 1);
    assert_false(g.msg[1].key_terminated);
    assert_int_equal(g.msg[1].header_bytes, 4);
}

/* ---- coredump walk ---- */

typedef struct walk_seen {
    size_t nblocks;
    chunksim_coredump_block_t block[8];
    size_t nproblems;
    chunksim_coredump_problem_t problem[8];
} walk_seen_t;

static void on_block(void *data, const chunksim_coredump_block_t *b)
{
    walk_seen_t *w = data;
    assert_lt(w->nblocks, 8);
    w->block[w->nblocks++] = *b;
}

static void on_problem(void *data, const chunksim_coredump_problem_t *p)
{
    walk_seen_t *w = data;
    assert_lt(w->nproblems, 8);
    w->problem[w->nproblems++] = *p;
}

static uint8_t *build_image(uint32_t bytes)
{
    static const uint8_t pattern[] = {0xA5, 0x5A};
    const chunksim_image_config_t cfg = {.total_bytes = bytes,
                                         .content = CHUNKSIM_IMAGE_PATTERN,
                                         .pattern = pattern,
                                         .pattern_bytes = sizeof(pattern)};
    uint8_t *img = NULL;
    uint32_t n = 0;
    assert_int_equal(chunksim_image_build(&cfg, &img, &n), 0);
    assert_int_equal(n, bytes);
    return img;
}

static uint32_t walk(const uint8_t *img, size_t len, walk_seen_t *w, chunksim_coredump_info_t *info)
{
    memset(w, 0, sizeof(*w));
    const chunksim_coredump_walk_config_t cfg = {on_block, on_problem, w};
    return chunksim_coredump_walk(img, len, &cfg, info);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void test_coredump_walk_lists_blocks_and_footer_of_a_built_image(void **state)
{
    (void)state;
    uint8_t *img = build_image(4096);
    walk_seen_t w;
    chunksim_coredump_info_t info;
    assert_int_equal(walk(img, 4096, &w, &info), 0);
    assert_true(info.header_ok);
    assert_true(info.footer_ok);
    assert_int_equal(info.total_bytes, 4096);
    assert_int_equal(info.footer_offset, 4096 - 16);
    assert_int_equal(info.blocks, 2);
    assert_int_equal(w.nblocks, 2);
    assert_string_equal(chunksim_coredump_block_name(w.block[0].type), "registers");
    assert_int_equal(w.block[0].offset, 12);
    assert_string_equal(chunksim_coredump_block_name(w.block[1].type), "memory region");
    assert_int_equal(w.block[1].address, CHUNKSIM_IMAGE_REGION_ADDR);
    assert_int_equal(w.block[1].offset + 12 + w.block[1].length, 4096 - 16);
    assert_string_equal(chunksim_coredump_block_name(12), "build id");
    assert_null(chunksim_coredump_block_name(3));

    put32(img + 4096 - 12, CHUNKSIM_COREDUMP_FLAG_TRUNCATED); /* the device's flag: not damage */
    assert_int_equal(walk(img, 4096, &w, &info), 0);
    assert_int_equal(info.footer_flags, CHUNKSIM_COREDUMP_FLAG_TRUNCATED);
    free(img);
}

static void expect_problem(const walk_seen_t *w, size_t i, chunksim_coredump_problem_kind_t kind,
                           uint32_t offset)
{
    assert_lt(i, w->nproblems);
    assert_string_equal(chunksim_coredump_problem_name(w->problem[i].kind),
                        chunksim_coredump_problem_name(kind));
    assert_int_equal(w->problem[i].offset, offset);
}

static void test_coredump_walk_reports_each_broken_part(void **state)
{
    (void)state;
    walk_seen_t w;
    chunksim_coredump_info_t info;
    uint8_t *img = build_image(4096);

    img[0] = 'X'; /* magic */
    img[4] = 3;   /* version */
    assert_int_equal(walk(img, 4096, &w, &info), 2);
    expect_problem(&w, 0, CHUNKSIM_COREDUMP_BAD_MAGIC, 0);
    expect_problem(&w, 1, CHUNKSIM_COREDUMP_BAD_VERSION, 4);
    assert_false(info.header_ok);
    free(img);

    img = build_image(4096);
    assert_int_equal(walk(img, 4000, &w, &info), 3); /* cut: size, the last block, footer */
    expect_problem(&w, 0, CHUNKSIM_COREDUMP_SIZE_MISMATCH, 8);
    assert_int_equal(w.problem[0].expected, 4096);
    assert_int_equal(w.problem[0].got, 4000);
    expect_problem(&w, 1, CHUNKSIM_COREDUMP_BLOCK_OVERRUN, 92);
    assert_int_equal(w.nproblems, 3);
    expect_problem(&w, 2, CHUNKSIM_COREDUMP_BAD_FOOTER, 4000 - 16);

    put32(img + 92 + 8, 100000); /* memory region longer than the image */
    img[13] = 1;                 /* reserved byte of the registers block */
    put32(img + 4096 - 8, 5);    /* footer reserved word */
    assert_int_equal(walk(img, 4096, &w, &info), 3);
    expect_problem(&w, 0, CHUNKSIM_COREDUMP_BLOCK_RESERVED, 13);
    expect_problem(&w, 1, CHUNKSIM_COREDUMP_BLOCK_OVERRUN, 92);
    assert_int_equal(w.problem[1].got, 92 + 12 + 100000);
    expect_problem(&w, 2, CHUNKSIM_COREDUMP_FOOTER_RESERVED, 4096 - 8);
    assert_eq(info.footer_ok, false);
    free(img);

    uint8_t tiny[20] = {0x43, 0x4F, 0x52, 0x45, 2, 0, 0, 0, 20, 0, 0, 0};
    assert_int_equal(walk(tiny, 20, &w, &info), 1);
    expect_problem(&w, 0, CHUNKSIM_COREDUMP_SHORT, 0);
    assert_int_equal(walk(tiny, 5, &w, &info), 1);
    expect_problem(&w, 0, CHUNKSIM_COREDUMP_SHORT, 0);

    /* a block header that does not fit before the footer */
    uint8_t odd[12 + 4 + 16] = {0x43, 0x4F, 0x52, 0x45, 2, 0, 0, 0, 32, 0, 0, 0};
    put32(odd + 16, 0x504D5544u);
    assert_int_equal(walk(odd, sizeof(odd), &w, &info), 1);
    expect_problem(&w, 0, CHUNKSIM_COREDUMP_BLOCK_OVERRUN, 12);
    assert_true(info.footer_ok);
}

/* ---- run-length encoded payloads ---- */

static chunksim_rle_problem_t expand(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                                     chunksim_rle_info_t *info)
{
    return chunksim_rle_expand(in, len, out, cap, info);
}

static void test_rle_expand_vectors_and_problems(void **state)
{
    (void)state;
    uint8_t out[64];
    chunksim_rle_info_t info;
    /* Run of 2 (4), literal of 2 (3), run of 4 (8). */
    static const uint8_t a[] = {0x04, 0x07, 0x03, 0x01, 0x02, 0x08, 0x03};
    assert_int_equal(expand(a, sizeof(a), out, sizeof(out), &info), CHUNKSIM_RLE_OK);
    assert_int_equal(info.decoded_bytes, 8);
    assert_int_equal(info.sequences, 3);
    assert_int_equal(info.runs, 2);
    assert_memory_equal(out, ((const uint8_t[]){7, 7, 1, 2, 3, 3, 3, 3}), 8);
    /* Size only, then the empty payload's one empty sequence, then nothing at all. */
    assert_int_equal(expand(a, sizeof(a), NULL, 8, &info), CHUNKSIM_RLE_OK);
    assert_int_equal(info.decoded_bytes, 8);
    assert_int_equal(expand((const uint8_t[]){0x00}, 1, out, sizeof(out), &info), CHUNKSIM_RLE_OK);
    assert_int_equal(info.decoded_bytes, 0);
    assert_int_equal(info.sequences, 1);
    assert_int_equal(expand(a, 0, out, sizeof(out), &info), CHUNKSIM_RLE_OK);
    assert_int_equal(info.sequences, 0);

    /* A header cut short, or over 32 bits. */
    static const uint8_t cut[] = {0x04, 0x07, 0x80};
    assert_int_equal(expand(cut, sizeof(cut), out, sizeof(out), &info), CHUNKSIM_RLE_BAD_VARINT);
    assert_int_equal(info.at, 2);
    assert_int_equal(info.decoded_bytes, 2);
    static const uint8_t wide[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00};
    assert_int_equal(expand(wide, sizeof(wide), out, sizeof(out), &info), CHUNKSIM_RLE_BAD_VARINT);
    /* A literal of 3 with 2 bytes left; a run without its value byte. */
    static const uint8_t lit[] = {0x01, 0x09, 0x05, 0x0A, 0x0B};
    assert_int_equal(expand(lit, sizeof(lit), out, sizeof(out), &info), CHUNKSIM_RLE_TRUNCATED);
    assert_int_equal(info.at, 2);
    assert_int_equal(expand((const uint8_t[]){0x04}, 1, out, sizeof(out), &info),
                     CHUNKSIM_RLE_TRUNCATED);
    /* 4096 x 0xEF does not fit 100 bytes. */
    static const uint8_t big[] = {0x80, 0x40, 0xEF};
    assert_int_equal(expand(big, sizeof(big), NULL, 100, &info), CHUNKSIM_RLE_TOO_LONG);
    assert_int_equal(expand(big, sizeof(big), NULL, 4096, &info), CHUNKSIM_RLE_OK);
    assert_string_equal(chunksim_rle_problem_name(CHUNKSIM_RLE_TRUNCATED), "truncated");
}

/* Each expanded byte comes from one encoded byte: its own in a literal, the value in a run. */
static void test_rle_encoded_offset_names_the_byte_it_expands_from(void **state)
{
    (void)state;
    static const uint8_t in[] = {0x03, 0x01, 0x02, 0x08, 0x03, 0x05, 0x05, 0x06, 0x07};
    static const uint32_t want[] = {1, 2, 4, 4, 4, 4, 6, 7, 8};
    for (uint64_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        uint32_t off = 0;
        assert_true(chunksim_rle_encoded_offset(in, sizeof(in), i, &off));
        assert_int_equal(off, want[i]);
    }
    uint32_t off = 0;
    assert_false(chunksim_rle_encoded_offset(in, sizeof(in), 9, &off));
}

/* One whole-message chunk: 08, the message, its CRC. */
static chunk_t whole_chunk(const uint8_t *msg, size_t n)
{
    chunk_t c = {.len = n + 3};
    assert_le(c.len, sizeof(c.b));
    c.b[0] = 0x08;
    memcpy(c.b + 1, msg, n);
    uint16_t crc = chunkcore_crc16_update(CHUNKCORE_CRC16_INIT, msg, n);
    c.b[1 + n] = (uint8_t)crc;
    c.b[2 + n] = (uint8_t)(crc >> 8);
    return c;
}

static const uint8_t *g_payload_seen;
static uint8_t g_payload[64];
static void on_message_payload(void *data, const chunksim_message_t *m)
{
    on_message(data, m);
    g_payload_seen = m->payload;
    if (m->payload != NULL) {
        memcpy(g_payload, m->payload, m->payload_bytes < 64 ? m->payload_bytes : 64);
    }
}

static void test_rle_message_is_expanded_as_it_completes(void **state)
{
    (void)state;
    got_t g;
    memset(&g, 0, sizeof(g));
    const chunksim_decoder_config_t cfg = {on_message_payload, on_damage, &g, 0};
    chunksim_decoder_t dec;
    chunksim_decoder_init(&dec, &cfg);
    /* Coredump, RLE and a key "k": C1 'k' 00, then a run of 5 x 0 and a literal 0xAB. */
    static const uint8_t msg[] = {0xC1, 'k', 0x00, 0x0A, 0x00, 0x01, 0xAB};
    chunk_t c = whole_chunk(msg, sizeof(msg));
    assert_int_equal(chunksim_decoder_feed(&dec, 0, c.b, c.len), 0);
    assert_int_equal(g.nmsgs, 1);
    assert_true(g.msg[0].rle && g.msg[0].has_key && g.msg[0].crc_ok);
    assert_int_equal(g.msg[0].header_bytes, 3);
    assert_int_equal(g.msg[0].payload_bytes, 6);
    assert_non_null(g_payload_seen);
    assert_memory_equal(g_payload, ((const uint8_t[]){0, 0, 0, 0, 0, 0xAB}), 6);
    assert_int_equal(g.msg[0].rle_info.problem, CHUNKSIM_RLE_OK);

    /* A plain message's payload is its bytes after the header. */
    static const uint8_t plain[] = {0x01, 0x0A, 0x00};
    c = whole_chunk(plain, sizeof(plain));
    assert_int_equal(chunksim_decoder_feed(&dec, 1, c.b, c.len), 0);
    assert_int_equal(g.msg[1].payload_bytes, 2);
    assert_memory_equal(g_payload, ((const uint8_t[]){0x0A, 0x00}), 2);

    /* An encoding that does not expand: no payload, and why. */
    static const uint8_t bad[] = {0x81, 0x05, 0x01};
    c = whole_chunk(bad, sizeof(bad));
    assert_int_equal(chunksim_decoder_feed(&dec, 2, c.b, c.len), 0);
    assert_null(g_payload_seen);
    assert_int_equal(g.msg[2].payload_bytes, 0);
    assert_int_equal(g.msg[2].rle_info.problem, CHUNKSIM_RLE_TRUNCATED);
    assert_int_equal(g.ndamage, 0); /* the chunks were fine: judging the payload is the caller's */
    chunksim_decoder_free(&dec);
}

/* content = ram: zero-filled stretches make up about zero_percent of the region. */
static void test_ram_image_has_zero_filled_stretches(void **state)
{
    (void)state;
    const uint32_t total = 64 * 1024;
    const uint32_t percents[] = {0, 60, 100};
    for (size_t k = 0; k < 3; k++) {
        chunksim_rng_t rng;
        chunksim_rng_seed(&rng, 7);
        const chunksim_image_config_t cfg = {.total_bytes = total,
                                             .content = CHUNKSIM_IMAGE_RAM,
                                             .rng = &rng,
                                             .zero_percent = percents[k]};
        uint8_t *img = NULL;
        uint32_t n = 0;
        assert_int_equal(chunksim_image_build(&cfg, &img, &n), 0);
        assert_int_equal(n, total);
        walk_seen_t w;
        chunksim_coredump_info_t info;
        assert_int_equal(walk(img, n, &w, &info), 0);
        const chunksim_coredump_block_t *region = &w.block[w.nblocks - 1];
        const uint8_t *p = img + region->offset + 12;
        /* Bytes inside zero runs of 16 or more: stretches, not a small integer's zeros. */
        uint32_t in_stretches = 0, run = 0;
        for (uint32_t i = 0; i <= region->length; i++) {
            if (i < region->length && p[i] == 0) {
                run++;
                continue;
            }
            in_stretches += run >= 16 ? run : 0;
            run = 0;
        }
        double share = (double)in_stretches / region->length;
        if (percents[k] == 0) {
            assert_lt(share, 0.01);
        } else if (percents[k] == 100) {
            assert_int_equal(in_stretches, region->length);
        } else {
            assert_gt(share, 0.45);
            assert_lt(share, 0.75);
        }
        free(img);
    }
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_spec_vectors_decode),
    cmocka_unit_test(test_message_maps_offsets_to_chunks),
#define ONE_DAMAGE_CASE(i)                                                                         \
    {one_damage_cases[i].name, test_one_damage_case, NULL, NULL, (void *)&one_damage_cases[i]}
    ONE_DAMAGE_CASE(0),
    ONE_DAMAGE_CASE(1),
    ONE_DAMAGE_CASE(2),
    cmocka_unit_test(test_repeat_of_the_last_chunk_after_completion_is_a_duplicate),
    cmocka_unit_test(test_swapped_chunks_are_out_of_order_and_message_completes),
    cmocka_unit_test(test_bad_crc_reported_at_the_last_chunk_and_message_still_delivered),
    cmocka_unit_test(test_new_first_chunk_truncates_the_message_and_decoding_carries_on),
    cmocka_unit_test(test_orphan_oversize_short_and_conflict_are_located),
    cmocka_unit_test(test_conflicting_last_chunk_is_refused_with_its_crc),
    cmocka_unit_test(test_bad_headers_are_reported_and_skipped),
    cmocka_unit_test(test_coredump_limit_follows_the_image),
    cmocka_unit_test(test_project_key_counts_in_the_message_header),
    cmocka_unit_test(test_coredump_walk_lists_blocks_and_footer_of_a_built_image),
    cmocka_unit_test(test_coredump_walk_reports_each_broken_part),
    cmocka_unit_test(test_rle_expand_vectors_and_problems),
    cmocka_unit_test(test_rle_encoded_offset_names_the_byte_it_expands_from),
    cmocka_unit_test(test_rle_message_is_expanded_as_it_completes),
    cmocka_unit_test(test_ram_image_has_zero_filled_stretches),
})
