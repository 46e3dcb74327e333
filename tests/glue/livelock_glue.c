/*
 * Async glue that livelocks on purpose, for the no_progress tests: it never
 * gets the application to a chunk, and keeps calling or being called
 * without ever blocking. One macro picks how:
 *
 *   LIVELOCK_TAIL   "enough buffered" wants a whole chunk also at the end of
 *                   storage, where fewer bytes are left: the final, short
 *                   window is loaded again and again, the same few bytes.
 *   LIVELOCK_EMPTY  the load's length is a field never set: every load reads
 *                   zero bytes at offset 0, and the window never holds the
 *                   header.
 *   LIVELOCK_POLL   prepare waits for the flash by polling the first byte of
 *                   storage until it reads erased, which it never does while
 *                   a coredump is stored: one call that never returns, but
 *                   keeps calling the board.
 *
 * Otherwise it is single_window.c: one operation in flight at a time.
 */
#include "test_window.h"

#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"

#include <string.h>

static test_window_t w;

static struct {
    uint32_t load_bytes;
    bool busy;
} s;

int chunksim_glue_init(const chunksim_board_api_t *board)
{
    memset(&s, 0, sizeof(s));
    return test_window_init(&w, board);
}

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info)
{
    *info = w.info;
}

static void prv_done(int status, void *ctx)
{
    (void)ctx;
    s.busy = false;
    w.loaded = status == CHUNKSIM_BOARD_OK && !w.consumed;
}

/* LIVELOCK_TAIL: a whole chunk wanted also where fewer bytes are left. */
#ifdef LIVELOCK_TAIL
#define PRV_CLIP_TO_STORAGE false
#else
#define PRV_CLIP_TO_STORAGE true
#endif

bool memfault_platform_coredump_prepare_async(size_t next_chunk_size)
{
#ifdef LIVELOCK_POLL
    uint8_t first;
    do {
        (void)w.board->flash_read(0, &first, 1);
    } while (first != 0xFFu);
#endif
    if (s.busy) {
        return true;
    }
    if (!test_window_aim(&w, next_chunk_size, PRV_CLIP_TO_STORAGE)) {
        return false;
    }
#ifdef LIVELOCK_EMPTY
    w.valid = s.load_bytes; /* never set */
#endif
    w.loaded = false;
    s.busy = w.board->flash_read_async(w.start, w.bytes, w.valid, prv_done, NULL) == 0;
    return s.busy;
}

void memfault_platform_coredump_storage_clear(void)
{
    test_window_clear(&w);
    if (!s.busy) {
        s.busy = w.board->flash_erase_async(0, w.info.sector_size, prv_done, NULL) == 0;
    }
}

void chunksim_glue_abort(void)
{
    w.next_read = 0;
}
