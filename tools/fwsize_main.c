/*
 * fwsize_main: the smallest firmware that sends a stored coredump, linked the
 * way a board links it (Cortex-M4, newlib nano + nosys, --gc-sections), for
 * the size figures of tools/fwsize.sh.
 *
 * Built twice by the cortex-m4 presets:
 *   fwsize_app    drains the coredump through memfault_packetizer_get_chunk;
 *   fwsize_board  (FWSIZE_BOARD_ONLY) calls the same board functions without
 *                 the packetizer.
 * The packetizer path costs the difference of the two images: the core, the
 * SDK-style layer and whatever C library code only they pull in.
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

int main(void)
{
    uint8_t buf[FWSIZE_CHUNK_BYTES];
#ifdef FWSIZE_BOARD_ONLY
    sMfltCoredumpStorageInfo info;
    memfault_platform_coredump_storage_get_info(&info);
    if (memfault_platform_coredump_storage_read(0, buf, sizeof(buf))) {
        board_send(buf, info.size < sizeof(buf) ? info.size : sizeof(buf));
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
