/*
 * Shared by the core suites' RAM-backed sources and ports. Include after
 * <cmocka.h>.
 */
#ifndef TEST_RAM_H
#define TEST_RAM_H

#include "chunksim_test_cmp.h"

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

#endif
