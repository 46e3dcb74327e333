/*
 * The SDK's CRC-16 override (docs/chunk-format.md, section 3): with chunkcore built with
 * CHUNKCORE_CRC16_BUILTIN = 0 (CMake option CHUNKCORE_CRC16_BUILTIN=OFF, the
 * counterpart of the SDK's MEMFAULT_CRC16_BUILTIN = 0), a board that uses the
 * SDK-style layer defines memfault_crc16_compute(), e.g. over its hardware
 * CRC unit, and the layer computes every chunk's CRC with it. A board using
 * only chunkcore's own API defines chunkcore_crc16_update() instead
 * (chunkcore/crc16.h).
 *
 * CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection, no final
 * xor; "123456789" -> 0x31C3), computed incrementally: called once per chunk
 * that carries message bytes, with the running value and those bytes.
 */
#ifndef MEMFAULT_UTIL_CRC16_H
#define MEMFAULT_UTIL_CRC16_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MEMFAULT_CRC16_INITIAL_VALUE 0x0

uint16_t memfault_crc16_compute(uint16_t crc_initial_value, const void *data,
                                size_t data_len_bytes);

#ifdef __cplusplus
}
#endif

#endif
