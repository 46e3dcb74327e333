/*
 * An async glue that follows chunksim/board.h to the letter and keeps no
 * "read in flight" flag of its own: when prepare starts a load it marks the
 * window as holding the new range at once, because board.h promises that
 * after prepare said true the application calls neither prepare nor
 * get-chunk before the completion. A failed or abandoned load (the
 * completion's status) empties the window, so the next prepare loads it
 * again.
 *
 * It is correct: an application that keeps the contract sees it deliver
 * every coredump intact. An application that calls get-chunk while a load
 * is still in flight gets the window's old bytes, which the monitor reports
 * as wrong_bytes: the blame then lies with the application, not with this
 * glue.
 *
 * The clear dispatches the erase and does not wait for it: the coredump is
 * consumed, so the peek that follows reads an erased header from RAM and
 * nothing more goes to the flash.
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
    uint32_t capacity;  /* window bytes in use */
    uint32_t start;     /* storage offset of s_window[0] */
    uint32_t valid;     /* bytes of the window's range (the final window is short) */
    bool loaded;        /* s_window holds [start, start + valid), or will once the load completes */
    uint32_t next_read; /* where the packetizer's next payload read starts */
    bool consumed;      /* cleared: nothing to send until the next boot */
} s;

int chunksim_glue_init(const chunksim_board_api_t *board)
{
    if (board->version != CHUNKSIM_BOARD_API_VERSION) {
        return -1;
    }
    s_board = board;
    memset(&s, 0, sizeof(s));
    s_info.size = board->storage_bytes;
    s_info.sector_size = board->sector_bytes;
    s.capacity = board->window_bytes < WINDOW_MAX_BYTES ? board->window_bytes : WINDOW_MAX_BYTES;
    return s.capacity >= COREDUMP_HEADER_BYTES ? 0 : -1;
}

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info)
{
    *info = s_info;
}

static void prv_load_done(int status, void *ctx)
{
    (void)ctx;
    if (status != CHUNKSIM_BOARD_OK) {
        s.loaded = false;
    }
}

static void prv_erase_done(int status, void *ctx)
{
    (void)status;
    (void)ctx;
}

static uint32_t prv_bytes_needed(uint32_t offset, size_t next_chunk_size)
{
    size_t need = next_chunk_size;
    if (offset == 0 && need < COREDUMP_HEADER_BYTES) {
        need = COREDUMP_HEADER_BYTES;
    }
    size_t left = s_info.size - offset;
    need = need < left ? need : left;
    return (uint32_t)(need < s.capacity ? need : s.capacity);
}

static bool prv_window_holds(uint32_t offset, uint32_t len)
{
    return s.loaded && offset >= s.start && offset - s.start <= s.valid &&
           len <= s.valid - (offset - s.start);
}

bool memfault_platform_coredump_prepare_async(size_t next_chunk_size)
{
    uint32_t offset = s.next_read;
    if (s.consumed || offset >= s_info.size ||
        prv_window_holds(offset, prv_bytes_needed(offset, next_chunk_size))) {
        return false;
    }
    uint32_t left = (uint32_t)s_info.size - offset;
    s.start = offset;
    s.valid = s.capacity < left ? s.capacity : left;
    /* The application reads nothing before the completion: the range is as good as loaded. */
    s.loaded = s_board->flash_read_async(offset, s_window, s.valid, prv_load_done, NULL) == 0;
    return s.loaded;
}

bool memfault_coredump_read(uint32_t offset, void *data, size_t read_len)
{
    if (read_len == 0) {
        return true;
    }
    if (s.consumed) {
        memset(data, 0xFF, read_len); /* the header of a cleared storage reads as erased */
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
    (void)s_board->flash_erase_async(0, s_info.sector_size, prv_erase_done, NULL);
}

void chunksim_glue_abort(void)
{
    s.next_read = 0;
}
