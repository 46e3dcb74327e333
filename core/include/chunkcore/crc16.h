/*
 * CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection, no final
 * xor. Check values: "123456789" -> 0x31C3, "A" -> 0x58E5.
 *
 * Build-time choices:
 *   CHUNKCORE_CRC16_BUILTIN (default 1). 0: core/ defines no CRC function
 *     and the board supplies chunkcore_crc16_update() itself, e.g. over a
 *     hardware CRC unit, as the Memfault SDK's MEMFAULT_CRC16_BUILTIN = 0
 *     has the platform supply memfault_crc16_compute(). The board's function
 *     must compute CRC-16/XMODEM incrementally: the transport calls it once
 *     per chunk that carries message bytes, with the running value (the
 *     first call with CHUNKCORE_CRC16_INIT) and those bytes in message order,
 *     from the packetizer's context (no ISR). A board using the SDK-style
 *     layer supplies the SDK's memfault_crc16_compute() instead
 *     (memfault/util/crc16.h): the layer defines chunkcore_crc16_update()
 *     over it, so a port of the SDK keeps the function it has.
 *   CHUNKCORE_CRC16_TABLE (default 1), for the built-in one: a 256-entry
 *     table (512 B of flash, fastest) or a table-free byte-wise formula (a
 *     few more instructions per byte, no table).
 */
#ifndef CHUNKCORE_CRC16_H
#define CHUNKCORE_CRC16_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef CHUNKCORE_CRC16_BUILTIN
#define CHUNKCORE_CRC16_BUILTIN 1
#endif
#ifndef CHUNKCORE_CRC16_TABLE
#define CHUNKCORE_CRC16_TABLE 1
#endif

#define CHUNKCORE_CRC16_INIT 0x0000u

/* Continue a CRC over len more bytes; start with CHUNKCORE_CRC16_INIT. The board's when
 * CHUNKCORE_CRC16_BUILTIN is 0. */
uint16_t chunkcore_crc16_update(uint16_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif
