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
 * end in error, naming the function.
 */
#include "chunksim/board.h"

#include "memfault/panics/platform/coredump.h"

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
    return s_board->flash_read(offset, data, read_len) == CHUNKSIM_BOARD_OK;
}

void memfault_platform_coredump_storage_clear(void)
{
#if defined(PORT_CLEAR_REBOOTS)
    memfault_platform_reboot();
#endif
    (void)s_board->flash_erase(0, s_board->sector_bytes);
}

void port_fault_handler(void)
{
    memfault_platform_reboot();
}
