/*
 * Async coredump glue as the public write-up of the pattern has it, with all
 * of its defects (DESIGN.md, "The firmware contract being simulated"). Run
 * against chunksim, each defect shows up as a named violation or a failed
 * run, with the call where it first happened:
 *
 *   WRITEUP_DEFECT_INFO_UNFILLED   the storage info used for the end-of-storage
 *                                  bound is declared and never filled in: the
 *                                  storage looks 0 bytes long, so the header
 *                                  peek finds no coredump (wrongly_absent)
 *   WRITEUP_DEFECT_ABSOLUTE_OFFSET a new window's bytes are looked up at the
 *                                  absolute storage offset instead of relative
 *                                  to the window (wrong_bytes from the second
 *                                  window on)
 *   WRITEUP_DEFECT_OFF_BY_ONE      "enough buffered" accepts one byte less than
 *                                  the next read takes (read_failed: the read
 *                                  at the end of storage runs off the window)
 *   WRITEUP_DEFECT_FINAL_WINDOW    every load asks for a full window, also at
 *                                  the end of storage where only a shorter one
 *                                  exists, and "enough" is never cut at the end
 *                                  (the board refuses the read; the chunk is
 *                                  then copied from the old window: wrong_bytes)
 *   WRITEUP_DEFECT_STATUS_IGNORED  a failed read, or one that never completes
 *                                  and is given up, counts as loaded (stale
 *                                  bytes: wrong_bytes), and a refused read is
 *                                  waited for forever (the run stalls)
 *
 * Each defect is on unless built with -DWRITEUP_DEFECT_<NAME>=0, so that a
 * copy with one defect shows that defect alone (the first one otherwise
 * hides the others) and a copy with none shows the rest of the code is
 * sound.
 *
 *     cc -shared -fPIC -I<chunksim>/sim/include -I<chunksim>/core/include \
 *        writeup.c -o libwriteup.so
 *     chunksim run --glue ./libwriteup.so scenarios/ble_default.ini
 */
#include "chunksim/board.h"

#include <string.h>

#ifndef WRITEUP_DEFECT_INFO_UNFILLED
#define WRITEUP_DEFECT_INFO_UNFILLED 1
#endif
#ifndef WRITEUP_DEFECT_ABSOLUTE_OFFSET
#define WRITEUP_DEFECT_ABSOLUTE_OFFSET 1
#endif
#ifndef WRITEUP_DEFECT_OFF_BY_ONE
#define WRITEUP_DEFECT_OFF_BY_ONE 1
#endif
#ifndef WRITEUP_DEFECT_FINAL_WINDOW
#define WRITEUP_DEFECT_FINAL_WINDOW 1
#endif
#ifndef WRITEUP_DEFECT_STATUS_IGNORED
#define WRITEUP_DEFECT_STATUS_IGNORED 1
#endif

#define READ_BUF_MAX_BYTES    (64u * 1024u)
#define COREDUMP_HEADER_BYTES 12u

static const chunksim_board_api_t *s_board;
static sMfltCoredumpStorageInfo s_storage_info;
static uint8_t s_read_buf[READ_BUF_MAX_BYTES];
static size_t s_read_buf_size;

static struct {
    uint32_t storage_offset; /* where the buffer's bytes come from */
    size_t bytes_in_buf;
    bool read_in_progress;
    bool read_ok;
    uint32_t next_offset; /* where the packetizer reads next */
    bool erasing;
} s_async;

int chunksim_glue_init(const chunksim_board_api_t *board)
{
    s_board = board;
    memset(&s_async, 0, sizeof(s_async));
    memset(&s_storage_info, 0, sizeof(s_storage_info));
#if !WRITEUP_DEFECT_INFO_UNFILLED
    s_storage_info.size = board->storage_bytes;
    s_storage_info.sector_size = board->sector_bytes;
#endif
    s_read_buf_size =
        board->window_bytes < READ_BUF_MAX_BYTES ? board->window_bytes : READ_BUF_MAX_BYTES;
    return 0;
}

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info)
{
    *info = s_storage_info;
}

static void prv_read_complete(int status, void *ctx)
{
    (void)ctx;
#if WRITEUP_DEFECT_STATUS_IGNORED
    (void)status;
    s_async.read_ok = true;
#else
    s_async.read_ok = status == CHUNKSIM_BOARD_OK;
#endif
    s_async.read_in_progress = false;
}

static void prv_erase_complete(int status, void *ctx)
{
    (void)status;
    (void)ctx;
    s_async.erasing = false;
}

/* Bytes of the buffer from offset on (0 when offset is not in it). */
static size_t prv_buffered(uint32_t offset)
{
    if (!s_async.read_ok || offset < s_async.storage_offset ||
        offset > s_async.storage_offset + s_async.bytes_in_buf) {
        return 0;
    }
    return s_async.storage_offset + s_async.bytes_in_buf - offset;
}

bool memfault_platform_coredump_prepare_async(size_t next_chunk_size)
{
    if (s_async.read_in_progress || s_async.erasing) {
        return true;
    }
    const uint32_t next = s_async.next_offset;
    size_t needed = next_chunk_size;
    if (next == 0 && needed < COREDUMP_HEADER_BYTES) {
        needed = COREDUMP_HEADER_BYTES;
    }
#if !WRITEUP_DEFECT_FINAL_WINDOW
    if (next >= s_storage_info.size) {
        return false;
    }
    if (needed > s_storage_info.size - next) {
        needed = s_storage_info.size - next;
    }
#endif
    const size_t buffered = prv_buffered(next);
#if WRITEUP_DEFECT_OFF_BY_ONE
    if (buffered + 1 >= needed) {
#else
    if (buffered >= needed) {
#endif
        return false;
    }
    size_t len = s_read_buf_size;
#if !WRITEUP_DEFECT_FINAL_WINDOW
    if (len > s_storage_info.size - next) {
        len = s_storage_info.size - next;
    }
#endif
    s_async.storage_offset = next;
    s_async.bytes_in_buf = len;
    s_async.read_ok = false;
    s_async.read_in_progress = true;
    const int rc = s_board->flash_read_async(next, s_read_buf, len, prv_read_complete, NULL);
#if WRITEUP_DEFECT_STATUS_IGNORED
    (void)rc;
#else
    if (rc != CHUNKSIM_BOARD_OK) {
        s_async.read_in_progress = false;
        return false;
    }
#endif
    return true;
}

bool memfault_coredump_read(uint32_t offset, void *data, size_t read_len)
{
#if WRITEUP_DEFECT_ABSOLUTE_OFFSET
    const size_t index = offset;
#else
    const size_t index = offset - s_async.storage_offset;
#endif
    if (index + read_len > s_read_buf_size) {
        return false; /* never copy past the buffer */
    }
    memcpy(data, &s_read_buf[index], read_len);
    if (!(offset == 0 && read_len == COREDUMP_HEADER_BYTES)) {
        s_async.next_offset = offset + (uint32_t)read_len;
    }
    return true;
}

void memfault_platform_coredump_storage_clear(void)
{
    s_async.read_ok = false;
    s_async.next_offset = 0;
    if (s_board->flash_erase_async(0, s_board->sector_bytes, prv_erase_complete, NULL) == 0) {
        s_async.erasing = true;
    }
}

void chunksim_glue_abort(void)
{
    s_async.next_offset = 0;
}
