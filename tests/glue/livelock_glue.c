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
#include "chunksim/board.h"

#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"

#include <string.h>

#define WINDOW_MAX_BYTES      (64u * 1024u)
#define COREDUMP_HEADER_BYTES 12u

static const chunksim_board_api_t *s_board;
static sMfltCoredumpStorageInfo s_info;
static uint8_t s_window[WINDOW_MAX_BYTES];

static struct {
    uint32_t capacity;
    uint32_t start;
    uint32_t valid;
    uint32_t load_bytes;
    bool loaded;
    bool busy;
    uint32_t next_read;
    bool consumed;
} s;

int chunksim_glue_init(const chunksim_board_api_t *board)
{
    s_board = board;
    memset(&s, 0, sizeof(s));
    s_info.size = board->storage_bytes;
    s_info.sector_size = board->sector_bytes;
    s.capacity = board->window_bytes < WINDOW_MAX_BYTES ? board->window_bytes : WINDOW_MAX_BYTES;
    return board->version == CHUNKSIM_BOARD_API_VERSION ? 0 : -1;
}

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info)
{
    *info = s_info;
}

static void prv_done(int status, void *ctx)
{
    (void)ctx;
    s.busy = false;
    s.loaded = status == CHUNKSIM_BOARD_OK && !s.consumed;
}

static uint32_t prv_bytes_needed(uint32_t offset, size_t next_chunk_size)
{
    size_t need = next_chunk_size;
    if (offset == 0 && need < COREDUMP_HEADER_BYTES) {
        need = COREDUMP_HEADER_BYTES;
    }
#ifndef LIVELOCK_TAIL
    size_t left = s_info.size - offset;
    need = need < left ? need : left;
#endif
    return (uint32_t)(need < s.capacity ? need : s.capacity);
}

static bool prv_window_holds(uint32_t offset, uint32_t len)
{
    return s.loaded && offset >= s.start && offset - s.start <= s.valid &&
           len <= s.valid - (offset - s.start);
}

bool memfault_platform_coredump_prepare_async(size_t next_chunk_size)
{
#ifdef LIVELOCK_POLL
    uint8_t first;
    do {
        (void)s_board->flash_read(0, &first, 1);
    } while (first != 0xFFu);
#endif
    if (s.busy) {
        return true;
    }
    uint32_t offset = s.next_read;
    if (s.consumed || offset >= s_info.size ||
        prv_window_holds(offset, prv_bytes_needed(offset, next_chunk_size))) {
        return false;
    }
    uint32_t left = (uint32_t)s_info.size - offset;
    s.start = offset;
#ifdef LIVELOCK_EMPTY
    (void)left;
    s.valid = s.load_bytes; /* never set */
#else
    s.valid = s.capacity < left ? s.capacity : left;
#endif
    s.loaded = false;
    s.busy = s_board->flash_read_async(offset, s_window, s.valid, prv_done, NULL) == 0;
    return s.busy;
}

bool memfault_coredump_read(uint32_t offset, void *data, size_t read_len)
{
    if (read_len == 0) {
        return true;
    }
    if (s.consumed) {
        memset(data, 0xFF, read_len);
        return true;
    }
    if (!prv_window_holds(offset, (uint32_t)read_len)) {
        return false;
    }
    memcpy(data, &s_window[offset - s.start], read_len);
    if (!(offset == 0 && read_len == COREDUMP_HEADER_BYTES)) {
        s.next_read = offset + (uint32_t)read_len;
    }
    return true;
}

void memfault_platform_coredump_storage_clear(void)
{
    s.loaded = false;
    s.next_read = 0;
    s.consumed = true;
    if (!s.busy) {
        s.busy = s_board->flash_erase_async(0, s_info.sector_size, prv_done, NULL) == 0;
    }
}

void chunksim_glue_abort(void)
{
    s.next_read = 0;
}
