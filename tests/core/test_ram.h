/*
 * Shared by the core suites' RAM-backed sources and ports. Include after
 * <cmocka.h>.
 */
#ifndef TEST_RAM_H
#define TEST_RAM_H

#include "chunksim_test_cmp.h"

#include "chunkcore/packetizer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A read of len bytes at offset from size bytes at mem; the core never asks for bytes past size. */
static inline void test_ram_copy(void *buf, const uint8_t *mem, uint32_t size, uint32_t offset,
                                 size_t len)
{
    assert_le(offset, size);
    assert_le(len, size - offset);
    memcpy(buf, mem + offset, len);
}

/*
 * A data source holding one message in RAM that counts its reads and its
 * deletes. A suite that checks more embeds it, puts its own callbacks in src
 * and has them call these for the plain part.
 */
typedef struct test_ram_source {
    chunkcore_source_t src;
    const uint8_t *payload;
    uint32_t payload_bytes;
    bool present;
    unsigned reads;
    unsigned deletes;
} test_ram_source_t;

static inline int test_ram_source_has(void *ctx, uint32_t *payload_bytes)
{
    test_ram_source_t *s = ctx;
    if (!s->present) {
        return 0;
    }
    *payload_bytes = s->payload_bytes;
    return 1;
}

static inline int test_ram_source_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    test_ram_source_t *s = ctx;
    test_ram_copy(buf, s->payload, s->payload_bytes, offset, len);
    s->reads++;
    return 0;
}

/* The packetizer deletes a message it has sent through mark_read. */
static inline int test_ram_source_mark_read(void *ctx)
{
    test_ram_source_t *s = ctx;
    s->present = false;
    s->deletes++;
    return 0;
}

/* A new message of bytes bytes is there to send; payload stays the caller's. */
static inline void test_ram_source_offer(test_ram_source_t *s, const uint8_t *payload,
                                         uint32_t bytes)
{
    s->payload = payload;
    s->payload_bytes = bytes;
    s->present = true;
}

/* Without a payload the source has nothing to send until it is offered one. */
static inline void test_ram_source_init(test_ram_source_t *s, const uint8_t *payload,
                                        uint32_t bytes)
{
    memset(s, 0, sizeof(*s));
    if (payload != NULL) {
        test_ram_source_offer(s, payload, bytes);
    }
    s->src.has_message = test_ram_source_has;
    s->src.read = test_ram_source_read;
    s->src.mark_read = test_ram_source_mark_read;
    s->src.ctx = s;
}

#endif
