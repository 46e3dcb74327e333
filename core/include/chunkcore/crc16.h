/*
 * CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection, no final
 * xor. Check values: "123456789" -> 0x31C3, "A" -> 0x58E5.
 *
 * Build-time choice (CHUNKCORE_CRC16_TABLE, default 1): a 256-entry table
 * (512 B of flash, fastest) or a table-free byte-wise formula (a few more
 * instructions per byte, no table).
 */
#ifndef CHUNKCORE_CRC16_H
#define CHUNKCORE_CRC16_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef CHUNKCORE_CRC16_TABLE
#define CHUNKCORE_CRC16_TABLE 1
#endif

#define CHUNKCORE_CRC16_INIT 0x0000u

/* Continue a CRC over len more bytes; start with CHUNKCORE_CRC16_INIT. */
uint16_t chunkcore_crc16_update(uint16_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif
