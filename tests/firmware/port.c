/*
 * The test firmware's port: the coredump storage functions of a board whose
 * coredump sits at the start of an external NOR part read with blocking
 * driver calls, written against the SDK's headers (here the test SDK copy's,
 * fake_sdk.cmake), plus its board mapping (chunksim_glue_init).
 *
 * port_fault_handler() is a crash-time path: it calls
 * memfault_platform_reboot(), which this object never defines and the
 * simulation never calls, so the object must load all the same. With
 * PORT_CLEAR_REBOOTS the clear calls it too: the run that clears must then
 * end in error, naming the function. With PORT_OWN_COREDUMP_READ it is
 * shaped as the nRF5 SDK's port: the storage read copies from the
 * memory-mapped flash at a uint32_t address, and the port defines its own
 * memfault_coredump_read() over it, in this file (PORT_READ_SKEW=-1: which
 * serves the bytes one before the offset asked for, after the header).
 * PORT_LINKER_SYMBOL: the crash-time path reads a variable no file of the
 * object defines, so the build helpers must refuse the object.
 */
#include "chunksim/board.h"

#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"

#include <string.h>

static const chunksim_board_api_t *s_board;

void memfault_platform_reboot(void); /* the board's, at crash time: not in this object */
void port_fault_handler(void);

int chunksim_glue_init(const chunksim_board_api_t *board)
{
    if (board->version != CHUNKSIM_BOARD_API_VERSION) {
        return -1;
    }
    s_board = board;
    return 0;
}

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info)
{
    info->size = s_board->storage_bytes;
    info->sector_size = s_board->sector_bytes;
}

bool memfault_platform_coredump_storage_read(uint32_t offset, void *data, size_t read_len)
{
#if defined(PORT_OWN_COREDUMP_READ)
    /* Internal flash, memory-mapped, its address a 32-bit MCU's: a uint32_t. */
    uint32_t address = (uint32_t)(uintptr_t)s_board->flash_mapped + offset;
    memcpy(data, (const void *)(uintptr_t)address, read_len);
    return true;
#else
    return s_board->flash_read(offset, data, read_len) == CHUNKSIM_BOARD_OK;
#endif
}

#if defined(PORT_OWN_COREDUMP_READ)
#if !defined(PORT_READ_SKEW)
#define PORT_READ_SKEW 0
#endif
/* The port's own, over the storage read in this file (as the nRF5 SDK port's). */
bool memfault_coredump_read(uint32_t offset, void *data, size_t read_len)
{
    uint32_t at = offset == 0 ? 0 : (uint32_t)((int64_t)offset + PORT_READ_SKEW);
    return memfault_platform_coredump_storage_read(at, data, read_len);
}
#endif

void memfault_platform_coredump_storage_clear(void)
{
#if defined(PORT_CLEAR_REBOOTS)
    memfault_platform_reboot();
#endif
    (void)s_board->flash_erase(0, s_board->sector_bytes);
}

#if defined(PORT_LINKER_SYMBOL)
extern uint32_t port_region_start; /* the linker script's, on the board: not in this object */
#endif

void port_fault_handler(void)
{
#if defined(PORT_LINKER_SYMBOL)
    if (port_region_start == 0) {
        return;
    }
#endif
    memfault_platform_reboot();
}
