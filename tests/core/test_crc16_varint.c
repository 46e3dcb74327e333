/*
 * CRC-16/XMODEM (docs/chunk-format.md §3) and LEB128 varints (docs/chunk-format.md §2).
 *
 * Built twice: CRC16_UNDER_TEST is chunkcore_crc16_update (the variant
 * chunkcore was configured with) or chunkcore_crc16_update_tablefree (core's
 * crc16.c compiled with CHUNKCORE_CRC16_TABLE=0, see CMakeLists.txt).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include "chunksim_test_main.h"

#include "chunk_decoder.h"
#include "test_prng.h"

#include "chunkcore/crc16.h"
#include "chunkcore/error.h"
#include "chunkcore/varint.h"

/* The renamed table-free build of core/src/crc16.c. */
uint16_t chunkcore_crc16_update_tablefree(uint16_t crc, const void *data, size_t len);

#ifndef CRC16_UNDER_TEST
#define CRC16_UNDER_TEST chunkcore_crc16_update
#endif

static void test_crc16_check_value_123456789(void **state)
{
    (void)state;
    assert_int_equal(CRC16_UNDER_TEST(CHUNKCORE_CRC16_INIT, "123456789", 9), 0x31C3);
}

static void test_crc16_check_value_A(void **state)
{
    (void)state;
    assert_int_equal(CRC16_UNDER_TEST(CHUNKCORE_CRC16_INIT, "A", 1), 0x58E5);
}

static void test_crc16_empty_input_keeps_crc(void **state)
{
    (void)state;
    assert_int_equal(CRC16_UNDER_TEST(CHUNKCORE_CRC16_INIT, "", 0), 0x0000);
    assert_int_equal(CRC16_UNDER_TEST(0x1234, "", 0), 0x1234);
}

static void test_crc16_incremental_equals_one_shot(void **state)
{
    (void)state;
    const char *s = "123456789";
    for (size_t split = 0; split <= 9; split++) {
        uint16_t crc = CRC16_UNDER_TEST(CHUNKCORE_CRC16_INIT, s, split);
        crc = CRC16_UNDER_TEST(crc, s + split, 9 - split);
        assert_int_equal(crc, 0x31C3);
    }
    /* Byte by byte over random data, against one call over all of it. */
    test_prng_t r;
    test_prng_seed(&r, 0xC0FFEE);
    uint8_t buf[1000];
    test_prng_fill(&r, buf, sizeof(buf));
    uint16_t bytewise = CHUNKCORE_CRC16_INIT;
    for (size_t i = 0; i < sizeof(buf); i++) {
        bytewise = CRC16_UNDER_TEST(bytewise, buf + i, 1);
    }
    assert_int_equal(bytewise, CRC16_UNDER_TEST(CHUNKCORE_CRC16_INIT, buf, sizeof(buf)));
}

/* The reference in chunk_decoder.c is the plain eight-steps-per-byte form. */
static void test_crc16_matches_bitwise_reference(void **state)
{
    (void)state;
    test_prng_t r;
    test_prng_seed(&r, 77);
    uint8_t buf[512];
    for (int round = 0; round < 200; round++) {
        size_t len = test_prng_range(&r, 0, sizeof(buf));
        test_prng_fill(&r, buf, len);
        uint16_t seed = (uint16_t)test_prng_u32(&r);
        assert_int_equal(CRC16_UNDER_TEST(seed, buf, len), test_crc16_bitwise(seed, buf, len));
    }
    /* Every single byte value from every high byte: covers all 256 table rows. */
    for (unsigned b = 0; b < 256; b++) {
        uint8_t byte = (uint8_t)b;
        uint16_t seed = (uint16_t)(b * 0x0101u ^ 0x5A00u);
        assert_int_equal(CRC16_UNDER_TEST(seed, &byte, 1), test_crc16_bitwise(seed, &byte, 1));
    }
}

static void test_crc16_table_and_tablefree_agree_on_random_data(void **state)
{
    (void)state;
    test_prng_t r;
    test_prng_seed(&r, 0x5EED);
    static uint8_t buf[4096];
    for (int round = 0; round < 300; round++) {
        size_t len = test_prng_range(&r, 0, sizeof(buf));
        test_prng_fill(&r, buf, len);
        size_t split = len ? test_prng_range(&r, 0, (uint32_t)len) : 0;
        uint16_t a = chunkcore_crc16_update(CHUNKCORE_CRC16_INIT, buf, split);
        uint16_t b = chunkcore_crc16_update_tablefree(CHUNKCORE_CRC16_INIT, buf, split);
        assert_int_equal(a, b);
        a = chunkcore_crc16_update(a, buf + split, len - split);
        b = chunkcore_crc16_update_tablefree(b, buf + split, len - split);
        assert_int_equal(a, b);
    }
}

struct varint_case {
    uint32_t value;
    uint8_t bytes[5];
    size_t size;
};

static const struct varint_case varint_cases[] = {
    {0u, {0x00}, 1},
    {1u, {0x01}, 1},
    {127u, {0x7F}, 1},
    {128u, {0x80, 0x01}, 2},
    {300u, {0xAC, 0x02}, 2},
    {4072u, {0xE8, 0x1F}, 2},
    {16383u, {0xFF, 0x7F}, 2},
    {16384u, {0x80, 0x80, 0x01}, 3},
    {2097151u, {0xFF, 0xFF, 0x7F}, 3},
    {2097152u, {0x80, 0x80, 0x80, 0x01}, 4},
    {268435455u, {0xFF, 0xFF, 0xFF, 0x7F}, 4},
    {268435456u, {0x80, 0x80, 0x80, 0x80, 0x01}, 5},
    {UINT32_MAX, {0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 5},
};

static void test_varint_edge_values_encode_to_spec_bytes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(varint_cases) / sizeof(varint_cases[0]); i++) {
        const struct varint_case *c = &varint_cases[i];
        uint8_t out[8];
        memset(out, 0xBA, sizeof(out));
        assert_int_equal(chunkcore_varint_size(c->value), c->size);
        assert_int_equal(chunkcore_varint_encode(c->value, out), c->size);
        assert_memory_equal(out, c->bytes, c->size);
        assert_int_equal(out[c->size], 0xBA); /* nothing written past the end */
    }
}

static void test_varint_edge_values_decode_back(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(varint_cases) / sizeof(varint_cases[0]); i++) {
        const struct varint_case *c = &varint_cases[i];
        uint8_t in[8];
        memset(in, 0x55, sizeof(in)); /* trailing bytes must not be consumed */
        memcpy(in, c->bytes, c->size);
        uint32_t v = 0xDEADBEEF;
        assert_int_equal(chunkcore_varint_decode(in, sizeof(in), &v), (int)c->size);
        assert_int_equal(v, c->value);
        /* Exactly the encoded bytes are enough. */
        assert_int_equal(chunkcore_varint_decode(c->bytes, c->size, &v), (int)c->size);
        assert_int_equal(v, c->value);
    }
}

static void test_varint_random_round_trip(void **state)
{
    (void)state;
    test_prng_t r;
    test_prng_seed(&r, 99);
    for (int i = 0; i < 10000; i++) {
        uint32_t value = test_prng_u32(&r) >> test_prng_range(&r, 0, 31);
        uint8_t out[CHUNKCORE_VARINT_MAX_BYTES];
        size_t n = chunkcore_varint_encode(value, out);
        assert_int_equal(n, chunkcore_varint_size(value));
        uint32_t back = 0;
        assert_int_equal(chunkcore_varint_decode(out, n, &back), (int)n);
        assert_int_equal(back, value);
    }
}

static void test_varint_decode_rejects_truncated_input(void **state)
{
    (void)state;
    uint32_t v = 7;
    const uint8_t two[] = {0x80, 0x01};
    assert_int_equal(chunkcore_varint_decode(two, 1, &v), CHUNKCORE_E_INVAL);
    assert_int_equal(chunkcore_varint_decode(two, 0, &v), CHUNKCORE_E_INVAL);
    const uint8_t five[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
    for (size_t len = 0; len < 5; len++) {
        assert_int_equal(chunkcore_varint_decode(five, len, &v), CHUNKCORE_E_INVAL);
    }
    assert_int_equal(v, 7); /* untouched on failure */
}

static void test_varint_decode_rejects_fifth_byte_overflow(void **state)
{
    (void)state;
    uint32_t v = 7;
    /* Fifth byte 0x10: bit 32. */
    const uint8_t bit32[] = {0x80, 0x80, 0x80, 0x80, 0x10};
    assert_int_equal(chunkcore_varint_decode(bit32, sizeof(bit32), &v), CHUNKCORE_E_INVAL);
    /* Fifth byte 0x7F: bits 32..34 set. */
    const uint8_t high[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
    assert_int_equal(chunkcore_varint_decode(high, sizeof(high), &v), CHUNKCORE_E_INVAL);
    /* Fifth byte with the continuation bit: a sixth byte would follow. */
    const uint8_t six[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x8F, 0x00};
    assert_int_equal(chunkcore_varint_decode(six, sizeof(six), &v), CHUNKCORE_E_INVAL);
    assert_int_equal(v, 7);
    /* 0x0F is the largest legal fifth byte. */
    const uint8_t max[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
    assert_int_equal(chunkcore_varint_decode(max, sizeof(max), &v), 5);
    assert_int_equal(v, UINT32_MAX);
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_crc16_check_value_123456789),
    cmocka_unit_test(test_crc16_check_value_A),
    cmocka_unit_test(test_crc16_empty_input_keeps_crc),
    cmocka_unit_test(test_crc16_incremental_equals_one_shot),
    cmocka_unit_test(test_crc16_matches_bitwise_reference),
    cmocka_unit_test(test_crc16_table_and_tablefree_agree_on_random_data),
    cmocka_unit_test(test_varint_edge_values_encode_to_spec_bytes),
    cmocka_unit_test(test_varint_edge_values_decode_back),
    cmocka_unit_test(test_varint_random_round_trip),
    cmocka_unit_test(test_varint_decode_rejects_truncated_input),
    cmocka_unit_test(test_varint_decode_rejects_fifth_byte_overflow),
})
