/*
 * A correct synchronous glue whose clear is asynchronous, as the SDK's nRF5
 * port has it: coredump bytes are read directly (internal flash is memory
 * mapped there), the clear starts an erase and returns at once, and while
 * that erase is in flight memfault_coredump_read() returns false to keep
 * everyone off the storage. The SDK documents that convention (its
 * prv_get_info_and_header): a header read that fails means "no coredump".
 */
#include "chunksim/board.h"

#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"

static const chunksim_board_api_t *s_board;
static bool s_erasing;

int chunksim_glue_init(const chunksim_board_api_t *board)
{
    s_board = board;
    s_erasing = false;
    return board->version == CHUNKSIM_BOARD_API_VERSION ? 0 : -1;
}

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info)
{
    info->size = s_board->storage_bytes;
    info->sector_size = s_board->sector_bytes;
}

bool memfault_coredump_read(uint32_t offset, void *data, size_t read_len)
{
    if (s_erasing) {
        return false;
    }
    return s_board->flash_read(offset, data, read_len) == CHUNKSIM_BOARD_OK;
}

static void prv_erase_done(int status, void *ctx)
{
    (void)status;
    (void)ctx;
    s_erasing = false;
}

void memfault_platform_coredump_storage_clear(void)
{
    s_erasing = s_board->flash_erase_async(0, s_board->sector_bytes, prv_erase_done, NULL) == 0;
}
