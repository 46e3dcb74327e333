/*
 * A synchronous glue as the nRF5, nRF Connect SDK, Dialog, ESP-IDF and
 * mynewt ports are written: the coredump is read through the flash's
 * memory-mapped address (FLASH_BASE + offset, a plain memcpy), and the clear
 * programs a zero word over the header instead of erasing (the header's
 * magic then reads as "no coredump"). Variants:
 *
 *   WORD_CLEAR_ASYNC  the clear starts the program and returns (a SoftDevice's
 *                     sd_flash_write); reads go on through FLASH_BASE meanwhile,
 *                     which a SPI NOR part does not allow (mapped_read_busy).
 *   WORD_CLEAR_VALUE  the word written (default 0); 0x5A5A5A5A asks for bits
 *                     back at 1 over the header (program_sets_bits).
 */
#include "chunksim/board.h"

#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"

#include <string.h>

#ifndef WORD_CLEAR_VALUE
#define WORD_CLEAR_VALUE 0u
#endif

static const chunksim_board_api_t *s_board;

#define FLASH_BASE (s_board->flash_mapped)

int chunksim_glue_init(const chunksim_board_api_t *board)
{
    s_board = board;
    return board->version >= 2u && board->flash_mapped != NULL ? 0 : -1;
}

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info)
{
    info->size = s_board->storage_bytes;
    info->sector_size = s_board->sector_bytes;
}

bool memfault_platform_coredump_storage_read(uint32_t offset, void *data, size_t read_len)
{
    if ((size_t)offset + read_len > s_board->storage_bytes) {
        return false;
    }
    memcpy(data, FLASH_BASE + offset, read_len);
    return true;
}

#ifdef WORD_CLEAR_ASYNC
static void prv_program_done(int status, void *ctx)
{
    (void)status;
    (void)ctx;
}
#endif

void memfault_platform_coredump_storage_clear(void)
{
    const uint32_t word = WORD_CLEAR_VALUE;
#ifdef WORD_CLEAR_ASYNC
    (void)s_board->flash_program_async(0, &word, sizeof(word), prv_program_done, NULL);
#else
    (void)s_board->flash_program(0, &word, sizeof(word));
#endif
}
