/*
 * Async coredump glue with one RAM window, written as for a board whose
 * coredump sits in slow SPI NOR: before each chunk the application calls
 * memfault_platform_coredump_prepare_async(); if the window does not hold
 * the bytes the next chunk reads, a DMA read refills it and the application
 * waits for the completion; the packetizer's reads are then copies out of
 * RAM. When the coredump has been read the SDK calls the clear: the window
 * is dropped and the first sector is erased, which invalidates the header.
 *
 * The places where the published version of this pattern goes wrong are
 * done right here: the storage info is filled in, window offsets are
 * relative to the window, "enough buffered" compares the exact bytes the next
 * read can take (cut at the end of storage), the final window is shorter,
 * and a failed or abandoned read is loaded again. One flash operation is in
 * flight at a time: a NOR part does one thing at once. The window
 * ([reader] window_bytes) must hold a whole chunk.
 *
 * Build and run it (see chunksim/board.h for the board it runs on):
 *
 *     cc -shared -fPIC -I<chunksim>/sim/include -I<chunksim>/core/include \
 *        single_window.c -o libsingle_window.so
 *     chunksim run --glue ./libsingle_window.so scenarios/ble_default.ini
 */
#include "chunksim/board.h"

#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"

#include <string.h>

#define WINDOW_MAX_BYTES      (64u * 1024u) /* RAM set aside for the window */
#define COREDUMP_HEADER_BYTES 12u           /* peeked at before a message starts */
#define ERASE_ATTEMPTS        3u            /* then it is sent again after the next boot */

static const chunksim_board_api_t *s_board;
static sMfltCoredumpStorageInfo s_info;
static uint8_t s_window[WINDOW_MAX_BYTES];

static struct {
    uint32_t capacity;  /* window bytes in use */
    uint32_t start;     /* storage offset of s_window[0] */
    uint32_t valid;     /* bytes the last load brought in (the final window is short) */
    bool loaded;        /* s_window holds [start, start + valid) */
    bool busy;          /* a flash operation is in flight */
    uint32_t next_read; /* where the packetizer's next payload read starts */
    bool erase_pending; /* the clear's erase still has to go out */
    unsigned erase_attempts;
    bool consumed; /* cleared: nothing to send until the next boot */
} s;

int chunksim_glue_init(const chunksim_board_api_t *board)
{
    if (board->version < CHUNKSIM_BOARD_API_VERSION) { /* later versions only add fields */
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

/* ---- flash operations ---- */

static void prv_load_done(int status, void *ctx)
{
    (void)ctx;
    s.busy = false;
    /* A failed or abandoned load leaves the window empty: prepare loads it again.
     * A clear while it was in flight made its bytes worthless. */
    s.loaded = status == CHUNKSIM_BOARD_OK && !s.consumed;
}

static bool prv_start_load(uint32_t offset)
{
    uint32_t left = (uint32_t)s_info.size - offset;
    s.start = offset;
    s.valid = s.capacity < left ? s.capacity : left;
    s.loaded = false;
    if (s_board->flash_read_async(offset, s_window, s.valid, prv_load_done, NULL) != 0) {
        return false; /* refused: the read fails and the application retries */
    }
    s.busy = true;
    return true;
}

static void prv_erase_done(int status, void *ctx)
{
    (void)ctx;
    s.busy = false;
    if (status != CHUNKSIM_BOARD_OK && s.erase_attempts < ERASE_ATTEMPTS) {
        s.erase_pending = true;
    }
}

static bool prv_start_erase(void)
{
    s.erase_pending = false;
    s.erase_attempts++;
    if (s_board->flash_erase_async(0, s_info.sector_size, prv_erase_done, NULL) != 0) {
        s.erase_pending = s.erase_attempts < ERASE_ATTEMPTS;
        return false;
    }
    s.busy = true;
    return true;
}

/* ---- the async pattern ---- */

/* Bytes the next get-chunk may read from offset: its whole buffer, cut at the end of storage. */
static uint32_t prv_bytes_needed(uint32_t offset, size_t next_chunk_size)
{
    size_t need = next_chunk_size;
    if (offset == 0 && need < COREDUMP_HEADER_BYTES) {
        need = COREDUMP_HEADER_BYTES; /* the header peek comes first */
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
    if (s.busy) {
        return true; /* wait for the operation in flight */
    }
    if (s.erase_pending) {
        return prv_start_erase();
    }
    uint32_t offset = s.next_read;
    if (s.consumed || offset >= s_info.size) {
        return false;
    }
    if (prv_window_holds(offset, prv_bytes_needed(offset, next_chunk_size))) {
        return false;
    }
    return prv_start_load(offset);
}

bool memfault_coredump_read(uint32_t offset, void *data, size_t read_len)
{
    if (read_len == 0) {
        return true; /* the read that starts at the very end */
    }
    if (s.consumed) {
        memset(data, 0xFF, read_len); /* the header of a cleared storage reads as erased */
        return true;
    }
    if (!prv_window_holds(offset, (uint32_t)read_len)) {
        return false;
    }
    memcpy(data, &s_window[offset - s.start], read_len);
    /* The header peek at 0 is not part of the payload stream, which starts at 0 too. */
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
    s.erase_attempts = 0;
    if (s.busy) {
        s.erase_pending = true; /* one operation at a time: prepare sends it */
        return;
    }
    (void)prv_start_erase();
}

/* The link dropped and the message starts again from offset 0. */
void chunksim_glue_abort(void)
{
    s.next_read = 0;
}
