/*
 * fwsize_main: the smallest firmware that sends a stored coredump, linked the
 * way a board links it (Cortex-M4, newlib nano + nosys, --gc-sections), for
 * the size figures of tools/fwsize.sh.
 *
 * Built several times by the cortex-m4 presets:
 *   fwsize_app       drains the coredump through memfault_packetizer_get_chunk;
 *   fwsize_board     (FWSIZE_BOARD_ONLY) calls the same board functions
 *                    without the packetizer;
 *   fwsize_app_hwcrc (FWSIZE_BOARD_CRC) fwsize_app over a core built without
 *                    its CRC-16 (CHUNKCORE_CRC16_BUILTIN=0): the board's CRC
 *                    unit computes it, through memfault_crc16_compute().
 * The packetizer path costs the difference between an app and the board: the
 * core, the SDK-style layer and whatever C library code only they pull in.
 *
 * Only memfault/... and standard headers: the same file links unchanged
 * against the Memfault SDK's packetizer path, which is how its reference
 * figures are measured.
 */
#include "memfault/core/data_packetizer.h"
#include "memfault/panics/platform/coredump.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FWSIZE_STORAGE_BYTES 1024u
#define FWSIZE_CHUNK_BYTES   20u /* a BLE ATT payload with the default MTU */

static uint8_t s_storage[FWSIZE_STORAGE_BYTES];
static volatile uint8_t s_link_tx; /* the link's transmit register */

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info)
{
    info->size = sizeof(s_storage);
    info->sector_size = sizeof(s_storage);
}

bool memfault_platform_coredump_storage_read(uint32_t offset, void *data, size_t read_len)
{
    if (offset > sizeof(s_storage) || read_len > sizeof(s_storage) - offset) {
        return false;
    }
    memcpy(data, s_storage + offset, read_len);
    return true;
}

void memfault_platform_coredump_storage_clear(void)
{
    s_storage[0] = 0; /* breaks the header magic */
}

static void board_send(const uint8_t *chunk, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        s_link_tx = chunk[i];
    }
}

#ifdef FWSIZE_BOARD_CRC
#include "memfault/util/crc16.h"

/* A CRC unit set up for CRC-16/XMODEM: seed, feed bytes, read the result. */
static volatile struct {
    uint32_t seed;
    uint32_t data;
    uint32_t result;
} s_crc_unit;

uint16_t memfault_crc16_compute(uint16_t crc_initial_value, const void *data, size_t data_len_bytes)
{
    const uint8_t *p = data;
    s_crc_unit.seed = crc_initial_value;
    for (size_t i = 0; i < data_len_bytes; i++) {
        s_crc_unit.data = p[i];
    }
    return (uint16_t)s_crc_unit.result;
}
#endif

int main(void)
{
    uint8_t buf[FWSIZE_CHUNK_BYTES];
#ifdef FWSIZE_BOARD_ONLY
    /* The board's own use of its functions; the length is not a constant,
     * so that the read keeps its memcpy() call as it has in any firmware. */
    sMfltCoredumpStorageInfo info;
    memfault_platform_coredump_storage_get_info(&info);
    size_t len = s_link_tx % sizeof(buf);
    if (memfault_platform_coredump_storage_read(0, buf, len)) {
        board_send(buf, len);
    }
    memfault_platform_coredump_storage_clear();
#else
    for (;;) {
        size_t len = sizeof(buf);
        if (!memfault_packetizer_get_chunk(buf, &len)) {
            break;
        }
        board_send(buf, len);
    }
#endif
    return 0;
}
