/*
 * Packetizer behaviour (docs/chunk-format.md §5, §8 and §9): a seeded property test over
 * random messages and random chunk-size sequences, in normal and multi-call
 * mode, decoded by the independent test decoder, with the read contract
 * checked on every call; then the packetizer's rules one by one.
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

#include "test_ram.h"

#include "chunksim_test_cmp.h"

#include "chunk_decoder.h"
#include "test_prng.h"

#include "chunkcore/error.h"
#include "chunkcore/packetizer.h"

#define MAX_PAYLOAD_BYTES (64u * 1024u)
#define MAX_CHUNK_BYTES   2048u
#define MAX_MSG_BYTES     (MAX_PAYLOAD_BYTES + CHUNKCORE_MSG_HDR_MAX_BYTES)
#define FILL_BYTE         0xBAu

/* ---- a data source in RAM that checks the read contract ---- */

typedef struct prop_source {
    test_ram_source_t ram; /* the message, and its reads and deletes */
    /* The contract: one read per call, sequential, within the call's room. */
    uint32_t next_offset;
    unsigned reads_in_call;
    size_t call_room;
    unsigned violations;
    char violation[160];
    uint32_t last_read_offset;
    size_t last_read_len;
    /* Fault injection. */
    unsigned fail_reads; /* the next fail_reads reads fail with fail_rc */
    int fail_rc;
    int has_rc;  /* nonzero: has_message returns it */
    int mark_rc; /* mark_read returns it */
} prop_source_t;

static void prop_violation(prop_source_t *s, const char *what, uint32_t offset, size_t len)
{
    s->violations++;
    snprintf(s->violation, sizeof(s->violation), "%s (offset %u, len %zu, expected offset %u)",
             what, (unsigned)offset, len, (unsigned)s->next_offset);
}

static int prop_has(void *ctx, uint32_t *payload_bytes)
{
    prop_source_t *s = ctx;
    if (s->has_rc != 0) {
        return s->has_rc;
    }
    /* Asked only while no message is in progress: whatever starts now starts at 0. */
    s->next_offset = 0;
    return test_ram_source_has(&s->ram, payload_bytes);
}

static int prop_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    prop_source_t *s = ctx;
    if (s->reads_in_call > 0) {
        prop_violation(s, "second read in one call", offset, len);
    }
    if (offset != s->next_offset) {
        prop_violation(s, "read not sequential", offset, len);
    }
    if (len > s->call_room) {
        prop_violation(s, "read longer than the chunk's room", offset, len);
    }
    if (len == 0) {
        prop_violation(s, "empty read", offset, len);
    }
    if (offset > s->ram.payload_bytes || len > s->ram.payload_bytes - offset) {
        prop_violation(s, "read beyond the payload", offset, len);
        return CHUNKCORE_E_RANGE;
    }
    s->reads_in_call++;
    s->last_read_offset = offset;
    s->last_read_len = len;
    if (s->fail_reads > 0) {
        s->fail_reads--;
        return s->fail_rc;
    }
    s->next_offset = offset + (uint32_t)len;
    return test_ram_source_read(&s->ram, offset, buf, len);
}

static int prop_mark_read(void *ctx)
{
    prop_source_t *s = ctx;
    if (s->mark_rc != 0) {
        return s->mark_rc;
    }
    return test_ram_source_mark_read(&s->ram);
}

static void prop_source_init(prop_source_t *s, const uint8_t *payload, uint32_t bytes)
{
    memset(s, 0, sizeof(*s));
    test_ram_source_init(&s->ram, payload, bytes);
    s->ram.src.has_message = prop_has;
    s->ram.src.read = prop_read;
    s->ram.src.mark_read = prop_mark_read;
    s->ram.src.ctx = s;
}

/* ---- harness: four sources, one packetizer ---- */

typedef struct harness {
    prop_source_t srcs[CHUNKCORE_MSG_TYPE_COUNT];
    chunkcore_packetizer_config_t cfg;
    chunkcore_packetizer_t p;
    uint8_t *payload; /* MAX_PAYLOAD_BYTES */
    uint8_t *expect;  /* MAX_MSG_BYTES: header + payload */
    uint8_t *decoded; /* MAX_MSG_BYTES */
    uint8_t *stream;  /* MAX_MSG_BYTES + 3: multi-call concatenation */
    test_decoder_t dec;
} harness_t;

static int harness_setup(void **state)
{
    harness_t *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    h->payload = malloc(MAX_PAYLOAD_BYTES);
    h->expect = malloc(MAX_MSG_BYTES);
    h->decoded = malloc(MAX_MSG_BYTES);
    h->stream = malloc(MAX_MSG_BYTES + 3);
    assert_true(h->payload && h->expect && h->decoded && h->stream);
    for (unsigned t = 1; t < CHUNKCORE_MSG_TYPE_COUNT; t++) {
        prop_source_init(&h->srcs[t], NULL, 0);
        h->cfg.sources[t] = &h->srcs[t].ram.src;
    }
    *state = h;
    return 0;
}

static int harness_teardown(void **state)
{
    harness_t *h = *state;
    free(h->payload);
    free(h->expect);
    free(h->decoded);
    free(h->stream);
    free(h);
    return 0;
}

static void harness_offer(harness_t *h, unsigned type, const uint8_t *payload, uint32_t bytes)
{
    test_ram_source_offer(&h->srcs[type].ram, payload, bytes);
}

static void harness_new_call(harness_t *h, size_t room)
{
    for (unsigned t = 1; t < CHUNKCORE_MSG_TYPE_COUNT; t++) {
        h->srcs[t].reads_in_call = 0;
        h->srcs[t].call_room = room;
    }
}

static void assert_no_violations(const harness_t *h)
{
    for (unsigned t = 1; t < CHUNKCORE_MSG_TYPE_COUNT; t++) {
        if (h->srcs[t].violations != 0) {
            fail_msg("source %u: %s", t, h->srcs[t].violation);
        }
    }
}

/* The expected message: type byte (+0x40 and the NUL-terminated key), then the payload. */
static size_t build_expected(uint8_t *out, unsigned type, const char *key, const uint8_t *payload,
                             uint32_t bytes)
{
    size_t n = 0;
    out[n++] = (uint8_t)(type | (key ? CHUNKCORE_MSG_HDR_KEY : 0));
    if (key) {
        size_t k = strlen(key) + 1;
        memcpy(out + n, key, k);
        n += k;
    }
    memcpy(out + n, payload, bytes);
    return n + bytes;
}

/*
 * The payload part of message bytes [msg_off, msg_off + n) was exactly one
 * read of that length at the next payload offset, or, with no payload part,
 * no read at all.
 */
static void check_call_reads(const prop_source_t *s, size_t hdr_bytes, uint32_t msg_off, uint32_t n)
{
    uint32_t start = msg_off > hdr_bytes ? msg_off : (uint32_t)hdr_bytes;
    uint32_t end = msg_off + n;
    if (end <= start) {
        assert_int_equal(s->reads_in_call, 0);
        return;
    }
    assert_int_equal(s->reads_in_call, 1);
    assert_int_equal(s->last_read_offset, start - hdr_bytes);
    assert_int_equal(s->last_read_len, end - start);
}

static uint32_t varint_bytes(uint32_t v)
{
    uint32_t n = 1;
    while (v >= 0x80u) {
        v >>= 7;
        n++;
    }
    return n;
}

/*
 * docs/chunk-format.md §8, written out: how many message bytes a chunk of room bytes
 * carries at message offset off, and whether the CRC goes in with them.
 */
static void spec_normal_chunk(size_t room, uint32_t total, uint32_t off, uint32_t *data, bool *crc)
{
    if (off == 0 && (size_t)total + 3 <= room) {
        *data = total;
        *crc = true;
        return;
    }
    uint32_t v = varint_bytes(off == 0 ? total : off);
    uint32_t space = (uint32_t)room - 1 - v;
    uint32_t left = total - off;
    *data = space < left ? space : left;
    *crc = off != 0 && *data == left && space - *data >= 2;
}

/* Multi-call: `08` first, then raw bytes; the CRC once 2 bytes of room remain. */
static void spec_multi_call(size_t room, uint32_t total, uint32_t off, bool first, uint32_t *data,
                            bool *crc)
{
    uint32_t space = (uint32_t)room - (first ? 1u : 0u);
    uint32_t left = total - off;
    *data = space < left ? space : left;
    *crc = *data == left && space - *data >= 2;
}

static void assert_tail_untouched(const uint8_t *buf, size_t len, size_t room)
{
    for (size_t i = len; i < room; i++) {
        if (buf[i] != FILL_BYTE) {
            fail_msg("byte %zu past the chunk's end (len %zu) was written", i, len);
        }
    }
}

/* One chunk in normal mode: decoded and checked. Returns the decoder's result. */
static int normal_step(harness_t *h, unsigned type, size_t hdr_bytes, size_t room)
{
    uint8_t buf[MAX_CHUNK_BYTES];
    memset(buf, FILL_BYTE, room);
    harness_new_call(h, room);
    size_t len = room;
    int rc = chunkcore_packetizer_get_chunk(&h->p, buf, &len);
    if (rc != CHUNKCORE_OK) {
        fail_msg("get_chunk: %s (room %zu)", chunkcore_strerror(rc), room);
    }
    assert_in_range(len, 1, room);
    assert_tail_untouched(buf, len, room);
    int d = test_decoder_feed(&h->dec, buf, len);
    if (d < 0) {
        fail_msg("decoder: %s (room %zu, len %zu)", test_decoder_strerror(d), room, len);
    }
    check_call_reads(&h->srcs[type], hdr_bytes, h->dec.data_offset, h->dec.data_bytes);
    assert_int_equal(chunkcore_packetizer_last_chunk_final(&h->p), d == TEST_DEC_DONE);
    uint32_t spec_data;
    bool spec_crc;
    spec_normal_chunk(room, h->p.tx.total_bytes, h->dec.data_offset, &spec_data, &spec_crc);
    assert_int_equal(h->dec.data_bytes, spec_data);
    assert_int_equal(h->dec.had_crc, spec_crc);
    return d;
}

/* One multi-call call appended to h->stream at *pos. Returns the packetizer status. */
static int multi_step(harness_t *h, unsigned type, size_t hdr_bytes, size_t room, size_t *pos)
{
    uint8_t buf[MAX_CHUNK_BYTES];
    memset(buf, FILL_BYTE, room);
    harness_new_call(h, room);
    size_t len = room;
    int rc = chunkcore_packetizer_next(&h->p, buf, &len);
    if (rc < 0) {
        fail_msg("next: %s (room %zu)", chunkcore_strerror(rc), room);
    }
    assert_in_range(len, 1, room);
    assert_tail_untouched(buf, len, room);
    bool first = (*pos == 0);
    bool final = (rc == CHUNKCORE_STATUS_END_OF_CHUNK);
    assert_int_equal(chunkcore_packetizer_last_chunk_final(&h->p), final);
    if (first) {
        assert_int_equal(buf[0], CHUNKCORE_CHUNK_HDR_V2);
    }
    size_t data = len - (first ? 1u : 0u) - (final ? 2u : 0u);
    uint32_t msg_off = (uint32_t)(first ? 0 : *pos - 1);
    uint32_t spec_data;
    bool spec_crc;
    spec_multi_call(room, h->p.tx.total_bytes, msg_off, first, &spec_data, &spec_crc);
    assert_int_equal(data, spec_data);
    assert_int_equal(final, spec_crc);
    check_call_reads(&h->srcs[type], hdr_bytes, msg_off, (uint32_t)data);
    memcpy(h->stream + *pos, buf, len);
    *pos += len;
    return rc;
}

/* Sizes: half uniform over 9..2048, half log-spread so that tiny chunks are common. */
static size_t random_chunk_bytes(test_prng_t *r)
{
    if (test_prng_u32(r) & 1u) {
        return test_prng_range(r, CHUNKCORE_CHUNK_MIN_BYTES, MAX_CHUNK_BYTES);
    }
    uint32_t span = 1u << test_prng_range(r, 0, 11);
    uint32_t n = CHUNKCORE_CHUNK_MIN_BYTES + test_prng_u32(r) % span;
    return n > MAX_CHUNK_BYTES ? MAX_CHUNK_BYTES : n;
}

static uint32_t random_payload_bytes(test_prng_t *r, unsigned i)
{
    /* Lengths that put the message length or the last offset on varint edges. */
    static const uint32_t edges[] = {1,
                                     2,
                                     5,
                                     6,
                                     7,
                                     125,
                                     126,
                                     127,
                                     128,
                                     16381,
                                     16382,
                                     16383,
                                     16384,
                                     MAX_PAYLOAD_BYTES - 1,
                                     MAX_PAYLOAD_BYTES};
    if (i < sizeof(edges) / sizeof(edges[0])) {
        return edges[i];
    }
    uint32_t span = 1u << test_prng_range(r, 0, 16);
    return 1u + test_prng_u32(r) % span;
}

static void random_key(test_prng_t *r, char *key)
{
    size_t n = test_prng_range(r, 1, CHUNKCORE_PROJECT_KEY_MAX_CHARS);
    for (size_t i = 0; i < n; i++) {
        key[i] = (char)test_prng_range(r, 'a', 'z');
    }
    key[n] = '\0';
}

/* One random message through the packetizer, decoded and checked end to end. */
static void property_one_message(harness_t *h, test_prng_t *r, unsigned i, bool multi_call)
{
    unsigned type = test_prng_range(r, CHUNKCORE_MSG_COREDUMP, CHUNKCORE_MSG_CDR);
    uint32_t bytes = random_payload_bytes(r, i);
    test_prng_fill(r, h->payload, bytes);
    char key[CHUNKCORE_PROJECT_KEY_MAX_CHARS + 1];
    bool with_key = test_prng_u32(r) & 1u;
    if (with_key) {
        random_key(r, key);
    }
    h->cfg.project_key = with_key ? key : NULL;
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    harness_offer(h, type, h->payload, bytes);
    size_t msg_bytes = build_expected(h->expect, type, h->cfg.project_key, h->payload, bytes);
    size_t hdr_bytes = msg_bytes - bytes;
    test_decoder_init(&h->dec, h->decoded, MAX_MSG_BYTES);

    if (multi_call) {
        chunkcore_msg_info_t info;
        assert_int_equal(chunkcore_packetizer_begin(&h->p, true, &info), 1);
        assert_int_equal(info.type, type);
        assert_int_equal(info.message_bytes, msg_bytes);
        assert_int_equal(info.single_chunk_bytes, msg_bytes + 3);
        size_t pos = 0;
        while (multi_step(h, type, hdr_bytes, random_chunk_bytes(r), &pos) !=
               CHUNKCORE_STATUS_END_OF_CHUNK) {
        }
        assert_int_equal(pos, msg_bytes + 3);
        assert_int_equal(test_decoder_feed(&h->dec, h->stream, pos), TEST_DEC_DONE);
    } else {
        while (normal_step(h, type, hdr_bytes, random_chunk_bytes(r)) != TEST_DEC_DONE) {
        }
    }
    assert_int_equal(h->dec.total_bytes, msg_bytes);
    assert_memory_equal(h->decoded, h->expect, msg_bytes);
    assert_int_equal(h->srcs[type].ram.deletes, 1);
    h->srcs[type].ram.deletes = 0;
    assert_no_violations(h);
    uint8_t buf[16];
    size_t len = sizeof(buf);
    assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_E_NODATA);
    assert_int_equal(len, sizeof(buf)); /* nothing to send: untouched */
}

#define PROPERTY_SEED     0x1DEA5EEDull
#define PROPERTY_MESSAGES 2000u

static void test_random_messages_round_trip_normal_mode(void **state)
{
    harness_t *h = *state;
    test_prng_t r;
    test_prng_seed(&r, PROPERTY_SEED);
    for (unsigned i = 0; i < PROPERTY_MESSAGES; i++) {
        property_one_message(h, &r, i, false);
    }
}

static void test_random_messages_round_trip_multi_call_mode(void **state)
{
    harness_t *h = *state;
    test_prng_t r;
    test_prng_seed(&r, PROPERTY_SEED + 1);
    for (unsigned i = 0; i < PROPERTY_MESSAGES; i++) {
        property_one_message(h, &r, i, true);
    }
}

/* The checker itself: each rule fires when broken. */
static void test_read_contract_checker_flags_each_violation(void **state)
{
    (void)state;
    static const uint8_t payload[32] = {0};
    uint8_t buf[32];
    prop_source_t s;
    prop_source_init(&s, payload, sizeof(payload));
    uint32_t bytes = 0;
    assert_int_equal(prop_has(&s, &bytes), 1);
    s.call_room = 9;

    assert_int_equal(prop_read(&s, 4, buf, 2), 0);
    assert_int_equal(s.violations, 1); /* not sequential: expected 0 */
    assert_int_equal(prop_read(&s, 6, buf, 2), 0);
    assert_int_equal(s.violations, 2); /* second read in one call */
    s.reads_in_call = 0;
    assert_int_equal(prop_read(&s, 8, buf, 10), 0);
    assert_int_equal(s.violations, 3); /* longer than the room */
    s.reads_in_call = 0;
    assert_int_equal(prop_read(&s, 18, buf, 0), 0);
    assert_int_equal(s.violations, 4); /* empty */
    s.reads_in_call = 0;
    assert_int_equal(prop_read(&s, 18, buf, 20), CHUNKCORE_E_RANGE);
    assert_ge(s.violations, 5); /* beyond the payload */
}

/* ---- the packetizer's rules ---- */

/* One whole message in room-byte chunks: its type, and its size in out_bytes if wanted. */
static uint8_t drain_one(harness_t *h, size_t room, size_t *out_bytes)
{
    test_decoder_init(&h->dec, h->decoded, MAX_MSG_BYTES);
    int d = TEST_DEC_MORE;
    for (unsigned n = 0; d == TEST_DEC_MORE; n++) {
        assert_lt(n, MAX_MSG_BYTES); /* every chunk carries at least a byte or the CRC */
        uint8_t buf[MAX_CHUNK_BYTES];
        size_t len = room;
        harness_new_call(h, room);
        assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_OK);
        d = test_decoder_feed(&h->dec, buf, len);
        assert_ge(d, 0);
    }
    if (out_bytes != NULL) {
        *out_bytes = h->dec.total_bytes;
    }
    return h->decoded[0];
}

static void test_sources_scanned_in_priority_order(void **state)
{
    harness_t *h = *state;
    static const uint8_t a[] = {0xA1}, b[] = {0xB1, 0xB2}, c[] = {0xC1}, d[] = {0xD1};
    /* Offered in reverse priority order: the order of arrival must not matter. */
    harness_offer(h, CHUNKCORE_MSG_CDR, d, sizeof(d));
    harness_offer(h, CHUNKCORE_MSG_LOG, c, sizeof(c));
    harness_offer(h, CHUNKCORE_MSG_EVENT, b, sizeof(b));
    harness_offer(h, CHUNKCORE_MSG_COREDUMP, a, sizeof(a));
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    for (uint8_t want = CHUNKCORE_MSG_COREDUMP; want <= CHUNKCORE_MSG_CDR; want++) {
        assert_int_equal(chunkcore_packetizer_data_available(&h->p), 1);
        assert_int_equal(drain_one(h, 64, NULL), want);
        assert_int_equal(h->srcs[want].ram.deletes, 1);
    }
    assert_int_equal(chunkcore_packetizer_data_available(&h->p), 0);
    assert_no_violations(h);
}

static void test_message_in_progress_finishes_before_rescan(void **state)
{
    harness_t *h = *state;
    static uint8_t event[100], core[10];
    memset(event, 0xEE, sizeof(event));
    memset(core, 0xCC, sizeof(core));
    harness_offer(h, CHUNKCORE_MSG_EVENT, event, sizeof(event));
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    uint8_t buf[16];
    size_t len = 16;
    harness_new_call(h, len);
    assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_OK);
    /* A coredump arrives mid-event: the event still finishes first. */
    harness_offer(h, CHUNKCORE_MSG_COREDUMP, core, sizeof(core));
    test_decoder_init(&h->dec, h->decoded, MAX_MSG_BYTES);
    assert_int_equal(test_decoder_feed(&h->dec, buf, len), TEST_DEC_MORE);
    int d = TEST_DEC_MORE;
    for (unsigned n = 0; d == TEST_DEC_MORE; n++) {
        assert_lt(n, sizeof(event));
        len = 16;
        harness_new_call(h, len);
        assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_OK);
        d = test_decoder_feed(&h->dec, buf, len);
    }
    assert_int_equal(d, TEST_DEC_DONE);
    assert_int_equal(h->decoded[0], CHUNKCORE_MSG_EVENT);
    assert_int_equal(h->srcs[CHUNKCORE_MSG_COREDUMP].ram.reads, 0);
    assert_int_equal(drain_one(h, 64, NULL), CHUNKCORE_MSG_COREDUMP);
    assert_no_violations(h);
}

static void test_active_source_mask_excludes_sources(void **state)
{
    harness_t *h = *state;
    static const uint8_t a[] = {1, 2, 3}, c[] = {4, 5};
    harness_offer(h, CHUNKCORE_MSG_COREDUMP, a, sizeof(a));
    harness_offer(h, CHUNKCORE_MSG_LOG, c, sizeof(c));
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);

    chunkcore_packetizer_set_active_sources(&h->p, 0);
    assert_int_equal(chunkcore_packetizer_data_available(&h->p), 0);
    uint8_t buf[64];
    size_t len = sizeof(buf);
    assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_E_NODATA);
    assert_int_equal(len, sizeof(buf));

    chunkcore_packetizer_set_active_sources(&h->p, 1u << CHUNKCORE_MSG_LOG);
    assert_int_equal(chunkcore_packetizer_data_available(&h->p), 1);
    assert_int_equal(drain_one(h, 64, NULL), CHUNKCORE_MSG_LOG);
    assert_int_equal(chunkcore_packetizer_data_available(&h->p), 0);
    assert_int_equal(h->srcs[CHUNKCORE_MSG_COREDUMP].ram.reads, 0);
    assert_true(h->srcs[CHUNKCORE_MSG_COREDUMP].ram.present);

    chunkcore_packetizer_set_active_sources(&h->p, CHUNKCORE_SOURCES_ALL);
    assert_int_equal(drain_one(h, 64, NULL), CHUNKCORE_MSG_COREDUMP);
    assert_no_violations(h);
}

/* Fills core with byte i = i * mul ^ mask, so that a read at a wrong offset shows, offers it as
 * the coredump and starts the packetizer. */
static void offer_patterned_coredump(harness_t *h, uint8_t *core, uint32_t bytes, unsigned mul,
                                     unsigned mask)
{
    for (uint32_t i = 0; i < bytes; i++) {
        core[i] = (uint8_t)((i * mul) ^ mask);
    }
    harness_offer(h, CHUNKCORE_MSG_COREDUMP, core, bytes);
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
}

static void test_set_active_sources_aborts_message_in_progress(void **state)
{
    harness_t *h = *state;
    static uint8_t core[40];
    offer_patterned_coredump(h, core, sizeof(core), 1, 0x00);
    uint8_t buf[16];
    size_t len = 12;
    harness_new_call(h, len);
    assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_OK);
    chunkcore_packetizer_set_active_sources(&h->p, CHUNKCORE_SOURCES_ALL);
    /* Restarted from offset 0, not deleted. */
    size_t bytes;
    drain_one(h, 12, &bytes);
    assert_int_equal(bytes, 1 + sizeof(core));
    assert_memory_equal(h->decoded + 1, core, sizeof(core));
    assert_int_equal(h->srcs[CHUNKCORE_MSG_COREDUMP].ram.deletes, 1);
    assert_no_violations(h);
}

static void test_abort_restarts_at_offset_0_without_deleting(void **state)
{
    harness_t *h = *state;
    static uint8_t core[300];
    offer_patterned_coredump(h, core, sizeof(core), 13, 0x00);
    uint8_t first[32], buf[32];
    size_t first_len = 20;
    harness_new_call(h, first_len);
    assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, first, &first_len), CHUNKCORE_OK);
    for (int i = 0; i < 3; i++) {
        size_t len = 20;
        harness_new_call(h, len);
        assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_OK);
    }
    chunkcore_packetizer_abort(&h->p);
    assert_int_equal(h->srcs[CHUNKCORE_MSG_COREDUMP].ram.deletes, 0);
    assert_true(h->srcs[CHUNKCORE_MSG_COREDUMP].ram.present);
    assert_int_equal(chunkcore_packetizer_data_available(&h->p), 1);

    /* The same first chunk again, its read at payload offset 0. */
    size_t len = 20;
    harness_new_call(h, len);
    assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_OK);
    assert_int_equal(len, first_len);
    assert_memory_equal(buf, first, len);
    assert_int_equal(h->srcs[CHUNKCORE_MSG_COREDUMP].last_read_offset, 0);
    assert_no_violations(h);

    chunkcore_packetizer_abort(&h->p);
    size_t bytes;
    drain_one(h, 20, &bytes);
    assert_int_equal(bytes, 1 + sizeof(core));
    assert_memory_equal(h->decoded + 1, core, sizeof(core));
    assert_no_violations(h);
}

static void test_project_key_header(void **state)
{
    harness_t *h = *state;
    static const uint8_t payload[] = {0x11, 0x22, 0x33};
    h->cfg.project_key = "abc";
    harness_offer(h, CHUNKCORE_MSG_EVENT, payload, sizeof(payload));
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    size_t bytes;
    drain_one(h, 64, &bytes);
    static const uint8_t expect[] = {0x42, 'a', 'b', 'c', 0x00, 0x11, 0x22, 0x33};
    assert_int_equal(bytes, sizeof(expect));
    assert_memory_equal(h->decoded, expect, sizeof(expect));

    /* A 32-character key takes 33 bytes; in 9-byte chunks the first ones are
     * header only and must not read the source. */
    static const char key32[] = "0123456789abcdef0123456789ABCDEF";
    h->cfg.project_key = key32;
    harness_offer(h, CHUNKCORE_MSG_EVENT, payload, sizeof(payload));
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    chunkcore_msg_info_t info;
    assert_int_equal(chunkcore_packetizer_begin(&h->p, false, &info), 1);
    assert_int_equal(info.message_bytes, 1 + 33 + sizeof(payload));
    test_decoder_init(&h->dec, h->decoded, MAX_MSG_BYTES);
    int d = TEST_DEC_MORE;
    unsigned header_only_chunks = 0;
    for (unsigned n = 0; d == TEST_DEC_MORE; n++) {
        assert_lt(n, info.message_bytes);
        uint8_t buf[16];
        size_t len = 9;
        harness_new_call(h, len);
        assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_OK);
        d = test_decoder_feed(&h->dec, buf, len);
        assert_ge(d, 0);
        check_call_reads(&h->srcs[CHUNKCORE_MSG_EVENT], 34, h->dec.data_offset, h->dec.data_bytes);
        header_only_chunks += h->dec.data_offset + h->dec.data_bytes <= 34;
    }
    assert_ge(header_only_chunks, 4);
    assert_int_equal(h->decoded[0], CHUNKCORE_MSG_EVENT | CHUNKCORE_MSG_HDR_KEY);
    assert_memory_equal(h->decoded + 1, key32, 33);
    assert_memory_equal(h->decoded + 34, payload, sizeof(payload));
    assert_no_violations(h);
}

static void test_project_key_over_32_chars_or_empty_is_rejected(void **state)
{
    harness_t *h = *state;
    h->cfg.project_key = "0123456789abcdef0123456789ABCDEFx";
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_E_INVAL);
    h->cfg.project_key = "";
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_E_INVAL);
    assert_int_equal(chunkcore_packetizer_init(&h->p, NULL), CHUNKCORE_E_INVAL);
}

/* Drives the coredump source to its final chunk at room bytes; returns the last chunk. */
static size_t send_until_final(harness_t *h, size_t room, uint8_t *stream, size_t *stream_len)
{
    size_t len = 0;
    *stream_len = 0;
    unsigned n = 0;
    do {
        assert_lt(n++, MAX_MSG_BYTES);
        len = room;
        harness_new_call(h, room);
        assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, stream + *stream_len, &len),
                         CHUNKCORE_OK);
        *stream_len += len;
    } while (!chunkcore_packetizer_last_chunk_final(&h->p));
    return len;
}

static void test_delete_on_confirm_waits_for_confirmation(void **state)
{
    harness_t *h = *state;
    static uint8_t core[50];
    memset(core, 0x5C, sizeof(core));
    h->cfg.delete_policy = CHUNKCORE_DELETE_ON_CONFIRM;
    harness_offer(h, CHUNKCORE_MSG_COREDUMP, core, sizeof(core));
    static const uint8_t ev[] = {9};
    harness_offer(h, CHUNKCORE_MSG_EVENT, ev, sizeof(ev));
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    assert_int_equal(chunkcore_packetizer_confirm(&h->p), CHUNKCORE_E_INVAL);

    uint8_t stream[256];
    size_t n;
    send_until_final(h, 16, stream, &n);
    prop_source_t *cd = &h->srcs[CHUNKCORE_MSG_COREDUMP];
    assert_int_equal(cd->ram.deletes, 0);
    assert_true(cd->ram.present);

    /* Meanwhile: nothing else is sent, every entry point says PENDING. */
    uint8_t buf[16];
    size_t len = sizeof(buf);
    assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_E_PENDING);
    assert_int_equal(len, sizeof(buf)); /* nothing to send: untouched */
    assert_int_equal(chunkcore_packetizer_begin(&h->p, false, NULL), CHUNKCORE_E_PENDING);
    assert_int_equal(chunkcore_packetizer_next(&h->p, buf, &len), CHUNKCORE_E_PENDING);
    assert_int_equal(len, sizeof(buf));
    assert_int_equal(chunkcore_packetizer_data_available(&h->p), 0);
    assert_int_equal(h->srcs[CHUNKCORE_MSG_EVENT].ram.reads, 0);

    assert_int_equal(chunkcore_packetizer_confirm(&h->p), 0);
    assert_int_equal(cd->ram.deletes, 1);
    assert_false(cd->ram.present);
    assert_int_equal(chunkcore_packetizer_confirm(&h->p), CHUNKCORE_E_INVAL);
    /* Now the event goes. */
    assert_int_equal(drain_one(h, 16, NULL), CHUNKCORE_MSG_EVENT);
    assert_no_violations(h);
}

static void test_abort_after_final_chunk_resends_message(void **state)
{
    harness_t *h = *state;
    static uint8_t core[70];
    h->cfg.delete_policy = CHUNKCORE_DELETE_ON_CONFIRM;
    offer_patterned_coredump(h, core, sizeof(core), 1, 0xF0);

    uint8_t first[512], again[512];
    size_t n1, n2;
    send_until_final(h, 20, first, &n1);
    /* The last chunk was lost: abort, and everything is sent again, byte for byte. */
    chunkcore_packetizer_abort(&h->p);
    assert_int_equal(h->srcs[CHUNKCORE_MSG_COREDUMP].ram.deletes, 0);
    assert_int_equal(chunkcore_packetizer_data_available(&h->p), 1);
    send_until_final(h, 20, again, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(first, again, n1);
    assert_int_equal(chunkcore_packetizer_confirm(&h->p), 0);
    assert_int_equal(h->srcs[CHUNKCORE_MSG_COREDUMP].ram.deletes, 1);
    assert_no_violations(h);
}

static void test_delete_on_last_read_deletes_inside_final_get_chunk(void **state)
{
    harness_t *h = *state;
    static const uint8_t core[20] = {1};
    harness_offer(h, CHUNKCORE_MSG_COREDUMP, core, sizeof(core));
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    uint8_t stream[128];
    size_t n;
    size_t last = send_until_final(h, 12, stream, &n);
    assert_gt(last, 0);
    /* Deleted before the caller could send the chunk: the reference data-loss window. */
    assert_int_equal(h->srcs[CHUNKCORE_MSG_COREDUMP].ram.deletes, 1);
    assert_int_equal(chunkcore_packetizer_confirm(&h->p), CHUNKCORE_E_INVAL);
}

static void test_delete_failure_is_recorded(void **state)
{
    harness_t *h = *state;
    static const uint8_t ev[] = {1, 2};
    harness_offer(h, CHUNKCORE_MSG_EVENT, ev, sizeof(ev));
    h->srcs[CHUNKCORE_MSG_EVENT].mark_rc = CHUNKCORE_E_IO;
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    uint8_t buf[32];
    size_t len = sizeof(buf);
    assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_OK);
    assert_int_equal(h->p.last_delete_status, CHUNKCORE_E_IO);
}

/*
 * A source that says its payload is run-length encoded (chunkcore/rle.h's)
 * gets header bit 0x80, next to the key bit; the packetizer changes nothing
 * else: the payload is the source's, read by the one-read contract.
 */
static void test_run_length_encoded_source_sets_header_bit(void **state)
{
    harness_t *h = *state;
    static const uint8_t payload[] = {0x04, 0x00, 0x01, 0x07};
    h->srcs[CHUNKCORE_MSG_COREDUMP].ram.src.run_length_encoded = true;
    harness_offer(h, CHUNKCORE_MSG_COREDUMP, payload, sizeof(payload));
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    size_t bytes;
    drain_one(h, 9, &bytes);
    static const uint8_t expect[] = {0x81, 0x04, 0x00, 0x01, 0x07};
    assert_int_equal(bytes, sizeof(expect));
    assert_memory_equal(h->decoded, expect, sizeof(expect));

    h->cfg.project_key = "k";
    harness_offer(h, CHUNKCORE_MSG_COREDUMP, payload, sizeof(payload));
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    drain_one(h, 64, &bytes);
    static const uint8_t keyed[] = {0xC1, 'k', 0x00, 0x04, 0x00, 0x01, 0x07};
    assert_int_equal(bytes, sizeof(keyed));
    assert_memory_equal(h->decoded, keyed, sizeof(keyed));

    /* Other sources keep plain headers. */
    static const uint8_t ev[] = {0x0A};
    harness_offer(h, CHUNKCORE_MSG_EVENT, ev, sizeof(ev));
    drain_one(h, 64, &bytes);
    assert_int_equal(h->decoded[0], CHUNKCORE_MSG_EVENT | CHUNKCORE_MSG_HDR_KEY);
    assert_no_violations(h);
}

/* Reference stream of the coredump at the given room per call (normal or multi-call). */
static size_t reference_stream(harness_t *h, const uint8_t *core, uint32_t bytes, size_t room,
                               bool multi, uint8_t *out)
{
    harness_offer(h, CHUNKCORE_MSG_COREDUMP, core, bytes);
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    size_t n = 0;
    assert_int_equal(chunkcore_packetizer_begin(&h->p, multi, NULL), 1);
    for (unsigned calls = 0;; calls++) {
        assert_lt(calls, MAX_MSG_BYTES);
        size_t len = room;
        harness_new_call(h, room);
        int rc = chunkcore_packetizer_next(&h->p, out + n, &len);
        assert_gt(rc, 0);
        n += len;
        if (chunkcore_packetizer_last_chunk_final(&h->p)) {
            return n;
        }
    }
}

static void failing_read_retry(harness_t *h, bool multi)
{
    static uint8_t core[200];
    for (size_t i = 0; i < sizeof(core); i++) {
        core[i] = (uint8_t)(i * 31 + 7);
    }
    static uint8_t ref[1024], got[1024];
    size_t ref_n = reference_stream(h, core, sizeof(core), 24, multi, ref);

    harness_offer(h, CHUNKCORE_MSG_COREDUMP, core, sizeof(core));
    prop_source_t *s = &h->srcs[CHUNKCORE_MSG_COREDUMP];
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    assert_int_equal(chunkcore_packetizer_begin(&h->p, multi, NULL), 1);
    size_t n = 0;
    unsigned calls = 0, failures = 0;
    for (;;) {
        assert_lt(calls, sizeof(core));
        size_t len = 24;
        harness_new_call(h, len);
        if (++calls == 3) {
            s->fail_reads = 2; /* the third call fails, and its first retry too */
            s->fail_rc = CHUNKCORE_E_IO;
        }
        int rc = chunkcore_packetizer_next(&h->p, got + n, &len);
        if (rc < 0) {
            assert_int_equal(rc, CHUNKCORE_E_IO);
            assert_int_equal(len, 0);
            failures++;
            continue; /* the same chunk again */
        }
        n += len;
        if (chunkcore_packetizer_last_chunk_final(&h->p)) {
            break;
        }
    }
    assert_int_equal(failures, 2);
    assert_int_equal(n, ref_n);
    assert_memory_equal(got, ref, n);
    assert_int_equal(s->ram.deletes, 2); /* the reference run's and this one's */
    assert_no_violations(h);
}

static void test_failing_read_reports_error_and_retry_gives_identical_bytes(void **state)
{
    failing_read_retry(*state, false);
}

static void test_failing_read_in_multi_call_mode_retries_identically(void **state)
{
    failing_read_retry(*state, true);
}

static void test_failing_read_through_get_chunk(void **state)
{
    harness_t *h = *state;
    static const uint8_t core[] = {1, 2, 3, 4, 5};
    harness_offer(h, CHUNKCORE_MSG_COREDUMP, core, sizeof(core));
    h->srcs[CHUNKCORE_MSG_COREDUMP].fail_reads = 1;
    h->srcs[CHUNKCORE_MSG_COREDUMP].fail_rc = CHUNKCORE_E_WINDOW;
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    uint8_t buf[32];
    size_t len = sizeof(buf);
    harness_new_call(h, len);
    assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_E_WINDOW);
    assert_int_equal(len, 0);
    assert_int_equal(h->srcs[CHUNKCORE_MSG_COREDUMP].ram.deletes, 0);
    len = sizeof(buf);
    harness_new_call(h, len);
    assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_OK);
    static const uint8_t expect_msg[] = {1, 1, 2, 3, 4, 5};
    assert_int_equal(len, sizeof(expect_msg) + 3);
    assert_int_equal(buf[0], 0x08);
    assert_memory_equal(buf + 1, expect_msg, sizeof(expect_msg));
}

/* One call of get_chunk or next with a buffer of room bytes that must return want_rc; returns
 * the length the call left. */
static size_t call_with_room(harness_t *h,
                             int (*call)(chunkcore_packetizer_t *, uint8_t *, size_t *),
                             size_t room, int want_rc)
{
    uint8_t buf[64];
    assert_le(room, sizeof(buf));
    size_t len = room;
    assert_int_equal(call(&h->p, buf, &len), want_rc);
    return len;
}

static void test_source_error_on_has_message_is_returned(void **state)
{
    harness_t *h = *state;
    h->srcs[CHUNKCORE_MSG_EVENT].has_rc = CHUNKCORE_E_IO;
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    assert_int_equal(chunkcore_packetizer_begin(&h->p, false, NULL), CHUNKCORE_E_IO);
    assert_int_equal(chunkcore_packetizer_data_available(&h->p), CHUNKCORE_E_IO);
    assert_int_equal(call_with_room(h, chunkcore_packetizer_get_chunk, 16, CHUNKCORE_E_IO), 0);
}

static void test_get_chunk_under_9_bytes_gives_nothing(void **state)
{
    harness_t *h = *state;
    static const uint8_t core[] = {1, 2, 3};
    harness_offer(h, CHUNKCORE_MSG_COREDUMP, core, sizeof(core));
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    uint8_t buf[16];
    size_t len = 8;
    assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_E_BUFSIZE);
    assert_int_equal(len, 0);
    assert_int_equal(h->srcs[CHUNKCORE_MSG_COREDUMP].ram.reads, 0);
    len = 9;
    assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_OK);
    assert_int_equal(len, 1 + 4 + 2); /* `08`, type byte + 3 payload bytes, CRC */
}

static void test_next_without_begin_has_no_data(void **state)
{
    harness_t *h = *state;
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    /* Nothing to send: the length is untouched. */
    assert_int_equal(call_with_room(h, chunkcore_packetizer_next, 16, CHUNKCORE_E_NODATA), 16);
    assert_int_equal(chunkcore_packetizer_begin(&h->p, false, NULL), 0);
}

/* As the SDK: with nothing to send, the caller's length is left as it was. */
static void test_nothing_to_send_leaves_the_length_untouched(void **state)
{
    harness_t *h = *state;
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    assert_int_equal(call_with_room(h, chunkcore_packetizer_get_chunk, 16, CHUNKCORE_E_NODATA), 16);
    /* Under the minimum too: nothing to send comes first. */
    assert_int_equal(call_with_room(h, chunkcore_packetizer_get_chunk, 5, CHUNKCORE_E_NODATA), 5);
    assert_int_equal(call_with_room(h, chunkcore_packetizer_next, 16, CHUNKCORE_E_NODATA), 16);
}

/*
 * As the SDK: get-chunk selects the message before it looks at the buffer,
 * so a buffer under 9 bytes starts the message in normal mode (and reads
 * nothing of it); a later begin in multi-call mode continues that message
 * as it was started.
 */
static void test_get_chunk_under_9_bytes_starts_the_message_in_normal_mode(void **state)
{
    harness_t *h = *state;
    harness_offer(h, CHUNKCORE_MSG_COREDUMP, h->payload, 100);
    assert_int_equal(chunkcore_packetizer_init(&h->p, &h->cfg), CHUNKCORE_OK);
    uint8_t buf[40];
    size_t len = CHUNKCORE_CHUNK_MIN_BYTES - 1;
    assert_int_equal(chunkcore_packetizer_get_chunk(&h->p, buf, &len), CHUNKCORE_E_BUFSIZE);
    assert_int_equal(len, 0);
    assert_int_equal(h->srcs[CHUNKCORE_MSG_COREDUMP].ram.reads, 0);
    chunkcore_msg_info_t info;
    assert_int_equal(chunkcore_packetizer_begin(&h->p, true, &info), 1);
    assert_int_equal(info.sent_bytes, 0);
    len = sizeof(buf);
    harness_new_call(h, len);
    assert_int_equal(chunkcore_packetizer_next(&h->p, buf, &len), CHUNKCORE_STATUS_END_OF_CHUNK);
    assert_int_equal(len, sizeof(buf));
    assert_int_equal(buf[0], CHUNKCORE_CHUNK_HDR_V2 | CHUNKCORE_CHUNK_HDR_MORE);
}

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

CHUNKSIM_TEST_MAIN({
    T(test_random_messages_round_trip_normal_mode),
    T(test_random_messages_round_trip_multi_call_mode),
    T(test_read_contract_checker_flags_each_violation),
    T(test_sources_scanned_in_priority_order),
    T(test_message_in_progress_finishes_before_rescan),
    T(test_active_source_mask_excludes_sources),
    T(test_set_active_sources_aborts_message_in_progress),
    T(test_abort_restarts_at_offset_0_without_deleting),
    T(test_project_key_header),
    T(test_project_key_over_32_chars_or_empty_is_rejected),
    T(test_delete_on_confirm_waits_for_confirmation),
    T(test_abort_after_final_chunk_resends_message),
    T(test_delete_on_last_read_deletes_inside_final_get_chunk),
    T(test_delete_failure_is_recorded),
    T(test_run_length_encoded_source_sets_header_bit),
    T(test_failing_read_reports_error_and_retry_gives_identical_bytes),
    T(test_failing_read_in_multi_call_mode_retries_identically),
    T(test_failing_read_through_get_chunk),
    T(test_source_error_on_has_message_is_returned),
    T(test_get_chunk_under_9_bytes_gives_nothing),
    T(test_next_without_begin_has_no_data),
    T(test_nothing_to_send_leaves_the_length_untouched),
    T(test_get_chunk_under_9_bytes_starts_the_message_in_normal_mode),
})
