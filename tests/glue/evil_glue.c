/*
 * Glue that misbehaves on purpose, for the isolation tests: a plain
 * synchronous glue (every read goes to the flash) whose coredump read, from
 * its EVIL_AFTER_READS-th call on, does what one macro says:
 *
 *   EVIL_SEGFAULT  writes through a wild pointer (SIGSEGV)
 *   EVIL_SPIN      never returns
 *   EVIL_SCRIBBLE  writes past the end of the buffer it was given
 *   EVIL_NO_CLEAR  (no misbehaviour) lacks memfault_platform_coredump_storage_clear
 *   EVIL_REFUSE    chunksim_glue_init refuses to start
 *   EVIL_WAIT      an async glue whose prepare says "wait" and starts nothing
 *   EVIL_RELOAD    an async glue whose prepare starts a read every time and
 *                  never says "ready": it keeps the flash busy forever
 *   EVIL_WILD_DMA  an async glue whose prepare starts a read into a wild
 *                  pointer: the board's completion crashes outside the glue
 *
 * With none of them it is a correct synchronous glue.
 */
#include "chunksim/board.h"

#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"

#include <string.h>

#ifndef EVIL_AFTER_READS
#define EVIL_AFTER_READS 5u
#endif

static const chunksim_board_api_t *s_board;
static unsigned s_reads;

int chunksim_glue_init(const chunksim_board_api_t *board)
{
    s_board = board;
    s_reads = 0;
#ifdef EVIL_REFUSE
    return -1;
#else
    return board->version == CHUNKSIM_BOARD_API_VERSION ? 0 : -1;
#endif
}

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info)
{
    info->size = s_board->storage_bytes;
    info->sector_size = s_board->sector_bytes;
}

static void evil(void *data, size_t read_len)
{
    (void)data;
    (void)read_len;
#if defined(EVIL_SEGFAULT)
    /* Through a volatile address so the compiler cannot see (and refuse) the bad store. */
    volatile uintptr_t bad = 64u;
    *(volatile uint32_t *)bad = 1u;
#elif defined(EVIL_SPIN)
    for (volatile unsigned long i = 0;; i++) {
    }
#elif defined(EVIL_SCRIBBLE)
    memset((uint8_t *)data + read_len, 0x5A, 4);
#endif
}

bool memfault_coredump_read(uint32_t offset, void *data, size_t read_len)
{
    bool ok = s_board->flash_read(offset, data, read_len) == CHUNKSIM_BOARD_OK;
    if (++s_reads >= EVIL_AFTER_READS) {
        evil(data, read_len);
    }
    return ok;
}

#if defined(EVIL_WAIT)
bool memfault_platform_coredump_prepare_async(size_t next_chunk_size)
{
    (void)next_chunk_size;
    return true;
}
#elif defined(EVIL_RELOAD)
static uint8_t s_buf[4096];

static void evil_done(int status, void *ctx)
{
    (void)status;
    (void)ctx;
}

bool memfault_platform_coredump_prepare_async(size_t next_chunk_size)
{
    (void)next_chunk_size;
    (void)s_board->flash_read_async(0, s_buf, sizeof(s_buf), evil_done, NULL);
    return true;
}
#elif defined(EVIL_WILD_DMA)
static void evil_done(int status, void *ctx)
{
    (void)status;
    (void)ctx;
}

bool memfault_platform_coredump_prepare_async(size_t next_chunk_size)
{
    (void)s_board->flash_read_async(0, (void *)(uintptr_t)64u, next_chunk_size, evil_done, NULL);
    return true;
}
#endif

#ifndef EVIL_NO_CLEAR
void memfault_platform_coredump_storage_clear(void)
{
    (void)s_board->flash_erase(0, s_board->sector_bytes);
}
#endif
