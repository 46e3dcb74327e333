/*
 * The CRC-16 override hook (chunkcore/crc16.h): core/ built with
 * CHUNKCORE_CRC16_BUILTIN = 0 has no CRC of its own, and this file is the
 * board that supplies one, a stand-in for its CRC unit that records what it
 * is given. Built twice:
 *   test_crc16_hook      the board defines chunkcore_crc16_update() and
 *                        drains through chunkcore's own API;
 *   test_crc16_hook_sdk  (HOOK_SDK_NAME) the board defines the SDK's
 *                        memfault_crc16_compute() and drains through the
 *                        SDK-style layer, as a port of the SDK with
 *                        MEMFAULT_CRC16_BUILTIN = 0 does.
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

#ifdef HOOK_SDK_NAME
#include "memfault/util/crc16.h"
#include "sdk_glue_app.h"
#else
#include "chunkcore/coredump.h"
#include "chunkcore/crc16.h"
#include "chunkcore/error.h"
#include "chunkcore/packetizer.h"
#endif

#define IMAGE_BYTES   3000u
#define MESSAGE_BYTES (IMAGE_BYTES + 1u) /* the 1-byte message header, then the coredump */
#define MAX_CALLS     1000u

/* ---- the board's CRC unit ---- */

typedef struct crc_unit {
    uint16_t skew; /* nonzero: a misconfigured unit, every result xor this */
    unsigned calls;
    size_t bytes;
    uint8_t seen[MESSAGE_BYTES]; /* every byte it was given, in order */
    uint16_t arg[MAX_CALLS];     /* the running value each call started from */
    uint16_t result[MAX_CALLS];
} crc_unit_t;

static crc_unit_t s_unit;

static uint16_t crc_unit_compute(uint16_t crc, const void *data, size_t len)
{
    assert_lt(s_unit.calls, MAX_CALLS);
    assert_le(len, sizeof(s_unit.seen) - s_unit.bytes);
    memcpy(s_unit.seen + s_unit.bytes, data, len);
    s_unit.bytes += len;
    s_unit.arg[s_unit.calls] = crc;
    uint16_t out = (uint16_t)(test_crc16_bitwise(crc, data, len) ^ s_unit.skew);
    s_unit.result[s_unit.calls++] = out;
    return out;
}

#ifdef HOOK_SDK_NAME
uint16_t memfault_crc16_compute(uint16_t crc_initial_value, const void *data, size_t data_len_bytes)
{
    return crc_unit_compute(crc_initial_value, data, data_len_bytes);
}
#else
uint16_t chunkcore_crc16_update(uint16_t crc, const void *data, size_t len)
{
    return crc_unit_compute(crc, data, len);
}
#endif

/* ---- a coredump and a receiver ---- */

static uint8_t s_image[IMAGE_BYTES];

static void put_le32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
}

static int make_image(void **state)
{
    (void)state;
    test_prng_t r;
    test_prng_seed(&r, 0xC0FFEEu);
    test_prng_fill(&r, s_image, sizeof(s_image));
    put_le32(s_image, 0x45524F43u); /* "CORE" */
    put_le32(s_image + 4, 2);
    put_le32(s_image + 8, IMAGE_BYTES);
    return 0;
}

typedef struct receiver {
    test_decoder_t dec;
    uint8_t msg[MESSAGE_BYTES + 16];
    int rc;
    unsigned chunks;
    uint8_t last_chunk[MESSAGE_BYTES + 16];
    size_t last_len;
} receiver_t;

static void receiver_init(receiver_t *rx)
{
    memset(rx, 0, sizeof(*rx));
    test_decoder_init(&rx->dec, rx->msg, sizeof(rx->msg));
}

static void receive(void *ctx, const uint8_t *chunk, size_t len)
{
    receiver_t *rx = ctx;
    assert_le(len, sizeof(rx->last_chunk));
    memcpy(rx->last_chunk, chunk, len);
    rx->last_len = len;
    rx->chunks++;
    if (rx->rc == TEST_DEC_MORE) {
        rx->rc = test_decoder_feed(&rx->dec, chunk, len);
    }
}

/* ---- the drain, through either API ---- */

/* Multi-call pieces: one logical chunk, which the receiver gets whole. */
typedef struct pieces {
    uint8_t whole[MESSAGE_BYTES + 8];
    size_t len;
} pieces_t;

static void collect(void *ctx, const uint8_t *piece, size_t len)
{
    pieces_t *pc = ctx;
    assert_le(len, sizeof(pc->whole) - pc->len);
    memcpy(pc->whole + pc->len, piece, len);
    pc->len += len;
}

#ifdef HOOK_SDK_NAME

static void drain(size_t chunk_bytes, bool multi_call, receiver_t *rx)
{
    sdk_glue_storage_load(s_image, sizeof(s_image));
    if (multi_call) {
        static pieces_t pc;
        uint32_t single = 0;
        bool in_progress = true;
        pc.len = 0;
        assert_gt(sdk_glue_send_one_multi(chunk_bytes, collect, &pc, &single, &in_progress), 0);
        receive(rx, pc.whole, pc.len);
    } else {
        assert_gt(sdk_glue_send_all(chunk_bytes, receive, rx), 0);
    }
    assert_int_equal(sdk_glue_stats()->clear_calls, 1);
}

#else

typedef struct ram_storage {
    const uint8_t *mem;
    unsigned clears;
} ram_storage_t;

static int ram_get_info(void *ctx, chunkcore_storage_info_t *info)
{
    (void)ctx;
    info->size_bytes = IMAGE_BYTES;
    info->sector_bytes = 512;
    return 0;
}

static int ram_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    ram_storage_t *s = ctx;
    test_ram_copy(buf, s->mem, IMAGE_BYTES, offset, len);
    return 0;
}

static int ram_clear(void *ctx)
{
    ram_storage_t *s = ctx;
    s->clears++;
    return 0;
}

static void drain(size_t chunk_bytes, bool multi_call, receiver_t *rx)
{
    ram_storage_t storage = {s_image, 0};
    const chunkcore_storage_port_t port = {
        .get_info = ram_get_info, .read = ram_read, .clear = ram_clear, .ctx = &storage};
    chunkcore_coredump_t cd;
    chunkcore_packetizer_config_t cfg = {0};
    chunkcore_packetizer_t p;
    cfg.sources[CHUNKCORE_MSG_COREDUMP] = chunkcore_coredump_init(&cd, &port);
    assert_int_equal(chunkcore_packetizer_init(&p, &cfg), CHUNKCORE_OK);
    assert_int_equal(chunkcore_packetizer_begin(&p, multi_call, NULL), 1);
    static uint8_t buf[2048];
    static pieces_t pc;
    pc.len = 0;
    for (unsigned i = 0; storage.clears == 0; i++) {
        assert_lt(i, 10000);
        size_t len = chunk_bytes;
        int rc = chunkcore_packetizer_next(&p, buf, &len);
        assert_gt(rc, 0);
        if (!multi_call) {
            receive(rx, buf, len);
        } else if (collect(&pc, buf, len), rc == CHUNKCORE_STATUS_END_OF_CHUNK) {
            receive(rx, pc.whole, pc.len);
        }
    }
}

#endif

/* ---- the tests ---- */

static void reset(void)
{
    memset(&s_unit, 0, sizeof(s_unit));
}

/* The board's function computes every chunk's CRC: it is given the whole
 * message once, in order, incrementally from the initial value, and the
 * receiver finds the CRC right. */
static void test_board_crc_signs_every_message(void **state)
{
    (void)state;
    static const size_t sizes[] = {9, 20, 64, 244, 1024, 2048};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        print_message("chunk size %zu\n", sizes[i]);
        reset();
        receiver_t rx;
        receiver_init(&rx);
        drain(sizes[i], false, &rx);
        assert_int_equal(rx.rc, TEST_DEC_DONE);
        assert_int_equal(rx.dec.total_bytes, MESSAGE_BYTES);
        assert_memory_equal(rx.msg + 1, s_image, IMAGE_BYTES);

        assert_int_equal(s_unit.bytes, MESSAGE_BYTES);
        assert_memory_equal(s_unit.seen, rx.msg, MESSAGE_BYTES);
        assert_ge(s_unit.calls, 1);
        assert_le(s_unit.calls, rx.chunks);
        assert_int_equal(s_unit.arg[0], 0x0000); /* CRC-16/XMODEM starts from 0 */
        for (unsigned c = 1; c < s_unit.calls; c++) {
            assert_int_equal(s_unit.arg[c], s_unit.result[c - 1]);
        }
        assert_int_equal(s_unit.result[s_unit.calls - 1],
                         test_crc16_bitwise(0, rx.msg, MESSAGE_BYTES));
    }
}

/* Multi-call mode streams one logical chunk: the board's function still
 * sees the message once, in order, and the one CRC at its end is right. */
static void test_board_crc_in_multi_call_mode(void **state)
{
    (void)state;
    reset();
    receiver_t rx;
    receiver_init(&rx);
    drain(20, true, &rx);
    assert_int_equal(rx.chunks, 1);
    assert_int_equal(rx.rc, TEST_DEC_DONE);
    assert_memory_equal(rx.msg + 1, s_image, IMAGE_BYTES);
    assert_int_equal(s_unit.bytes, MESSAGE_BYTES);
    assert_memory_equal(s_unit.seen, rx.msg, MESSAGE_BYTES);
    assert_int_equal(s_unit.result[s_unit.calls - 1], test_crc16_bitwise(0, rx.msg, MESSAGE_BYTES));
}

/* What the wire carries is the board's result, not a CRC of core/'s own: a
 * misconfigured unit shows up as a CRC mismatch at the receiver, and the last
 * chunk's two CRC bytes are the unit's last result, little-endian. */
static void test_the_wire_carries_the_board_result(void **state)
{
    (void)state;
    reset();
    s_unit.skew = 0x5A5A;
    receiver_t rx;
    receiver_init(&rx);
    drain(64, false, &rx);
    assert_int_equal(rx.rc, TEST_DEC_E_CRC);
    uint16_t last = s_unit.result[s_unit.calls - 1];
    assert_ge(rx.last_len, 2);
    assert_int_equal(rx.last_chunk[rx.last_len - 2], last & 0xFF);
    assert_int_equal(rx.last_chunk[rx.last_len - 1], last >> 8);
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test_setup(test_board_crc_signs_every_message, make_image),
    cmocka_unit_test_setup(test_board_crc_in_multi_call_mode, make_image),
    cmocka_unit_test_setup(test_the_wire_carries_the_board_result, make_image),
})
