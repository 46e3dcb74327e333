/*
 * Async coredump glue: the pattern of the SDK documentation page "Async Data
 * Source Mode" (the public write-up; docs/design.md, "The firmware
 * contract"). Its three platform functions,
 * memfault_platform_coredump_prepare_async(), memfault_coredump_read() and
 * memfault_platform_coredump_storage_clear(), are the published text, with
 * the two lines the captured copy in chunksim's seed lost: the
 * memfault_platform_coredump_storage_get_info(&info) call and the erase. Nothing
 * else in them is changed but the defect switches below; what the page leaves
 * to the user follows them: MEMFAULT_MIN, the buffer's size
 * (WRITEUP_BUF_BYTES; the page has 128), the storage info, and
 * user_coredump_storage_read_async() and user_coredump_storage_erase_async()
 * on the board's flash_read_async() and flash_erase_async(), with the read's
 * completion callback, which the page does not show.
 *
 * Its "enough buffered" test (bytes_remaining > next_chunk_size) loads the
 * next window one byte earlier than needed, which is safe: a read is always
 * shorter than the chunk. Its defects are these, each shown by a run with a
 * verdict that names it:
 *
 *   WRITEUP_DEFECT_ABSOLUTE_OFFSET  after a load, last_read_offset is set to
 *       the window's storage address instead of 0. From the second window
 *       on, bytes_loaded - last_read_offset is small, so the buffer is loaded
 *       again at start_addr + last_read_offset: the loads skip ahead (0,
 *       3855, 7710 with 241-byte reads and a 4 KiB buffer). Once the
 *       subtraction wraps, the buffer seems to hold plenty, and
 *       memfault_coredump_read() refuses the read it does not hold:
 *       read_failed, "memfault_coredump_read returned false for
 *       [3855, 4096); the last flash read was [7710, 8192)". Fixed: 0.
 *   WRITEUP_DEFECT_FINAL_WINDOW     where the coredump reaches the end of
 *       its storage, the final window holds fewer bytes than a chunk, so it
 *       is never "enough": loaded again and again, a livelock. no_progress,
 *       "last read [7952, 8192) repeated". Fixed: a window that reaches the
 *       end of storage holds all there is.
 *   WRITEUP_DEFECT_CHUNK_SIZED_BUF  the buffer must be strictly larger than
 *       the chunk, though the comment says "size just needs to be >= the
 *       chunk size": a buffer exactly the chunk's size is never "enough"
 *       either, and the first window is loaded forever (with 4 KiB chunks,
 *       scenarios/network_large_chunk.ini). no_progress, "last read
 *       [0, 4096) repeated". Fixed: ">=", which is what the comment promises
 *       and still safe.
 *   WRITEUP_DEFECT_STATUS_IGNORED   the page shows no completion: the buffer
 *       counts as loaded once the read is started, so a read that fails, is
 *       refused or is given up (the read timeout) leaves the old window's
 *       bytes to be served as the new one. wrong_bytes, with "glue:
 *       flash_read_async(...) completed with E_IO" (or E_TIMEOUT) in the
 *       reason. Fixed: the completion empties the buffer on an error, and
 *       prepare loads the same window again.
 *   WRITEUP_DEFECT_NO_RESTART       nothing resets the buffer when the
 *       packetizer starts the message again (an abort after the link went
 *       down: the header peek at 0, then the payload from 0), so the peek is
 *       refused once the window has moved on. read_failed, "header peek in
 *       get_chunk after the message restarted at 0: memfault_coredump_read
 *       returned false for [0, 12)". Fixed: chunksim_glue_abort() empties the
 *       buffer (on a board, next to memfault_packetizer_abort()).
 *
 * Each defect is in unless built with -DWRITEUP_DEFECT_<NAME>=0. Built as
 * is, the glue is the page's; with all but one switched off it shows that
 * one alone (the first to fire otherwise hides the rest); with all off it
 * ends every starter scenario as the built-in reader does. The fixes are
 * the smallest that do it, written next to the line they replace.
 *
 * The buffer is a fixed array (the page's sizeof is what bounds each load),
 * so it does not follow [reader] window_bytes: the board must offer at least
 * WRITEUP_BUF_BYTES of window RAM, or chunksim_glue_init() refuses to start.
 *
 *     cc -shared -fPIC -I<chunksim>/sim/include -I<chunksim>/core/include \
 *        writeup.c -o libwriteup.so
 *     chunksim run --glue ./libwriteup.so scenarios/ble_default.ini
 */
#include "chunksim/board.h"

#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"

#include <string.h>

#ifndef WRITEUP_DEFECT_ABSOLUTE_OFFSET
#define WRITEUP_DEFECT_ABSOLUTE_OFFSET 1
#endif
#ifndef WRITEUP_DEFECT_FINAL_WINDOW
#define WRITEUP_DEFECT_FINAL_WINDOW 1
#endif
#ifndef WRITEUP_DEFECT_CHUNK_SIZED_BUF
#define WRITEUP_DEFECT_CHUNK_SIZED_BUF 1
#endif
#ifndef WRITEUP_DEFECT_STATUS_IGNORED
#define WRITEUP_DEFECT_STATUS_IGNORED 1
#endif
#ifndef WRITEUP_DEFECT_NO_RESTART
#define WRITEUP_DEFECT_NO_RESTART 1
#endif

/* The user's choice of buffer: the default [reader] window, larger than most chunks. */
#ifndef WRITEUP_BUF_BYTES
#define WRITEUP_BUF_BYTES 4096u
#endif

#define MEMFAULT_MIN(a, b) ((a) < (b) ? (a) : (b))

static void user_coredump_storage_read_async(size_t offset, void *buf, size_t len);
static void user_coredump_storage_erase_async(void);

/* ---- the published text ---- */

//! Structure used to track data which has been preloaded prior to making
//! calls to `memfault_packetizer_get_chunk()`
typedef struct {
    // buffer to hold pre-loaded data
    // Size just needs to be >= the chunk size that will be read
    uint8_t buf[WRITEUP_BUF_BYTES];
    // the amount of data which has been loaded
    uint32_t bytes_loaded;
    // the address the buffer starts at. So, for example, if the buffer holds bytes from offset
    // 200-240 of coredump storage, this value would be 200
    uint32_t start_addr;
    // the offset within 'buf' that last call to memfault_coredump_read() ended at
    uint32_t last_read_offset;
} sMfltCoredumpAsyncReadBuf;

static sMfltCoredumpAsyncReadBuf s_read_buf;

#if !WRITEUP_DEFECT_FINAL_WINDOW
static bool prv_window_reaches_end_of_storage(void);
#endif

//! Checks to see if more coredump data needs to be loaded from slow storage prior to invoking the
//! next `memfault_packetizer_get_chunk()` call
//! @return true if an asynchronous read operation was dispatched, else true if
//! `memfault_packetizer_get_chunk()` can be called immediately
bool memfault_platform_coredump_prepare_async(size_t next_chunk_size)
{
    const size_t bytes_remaining = s_read_buf.bytes_loaded - s_read_buf.last_read_offset;
#if WRITEUP_DEFECT_CHUNK_SIZED_BUF
    if (bytes_remaining > next_chunk_size) {
#else
    if (bytes_remaining >= next_chunk_size) {
#endif
        // we have enough data pre-loaded for the next memfault_packetizer_get_chunk()
        // call to succeed
        return false;
    }
#if !WRITEUP_DEFECT_FINAL_WINDOW
    if (prv_window_reaches_end_of_storage()) {
        return false;
    }
#endif

    sMfltCoredumpStorageInfo info;
    memfault_platform_coredump_storage_get_info(&info);
    const size_t start_addr = s_read_buf.start_addr + s_read_buf.last_read_offset;
    const size_t bytes_to_read = MEMFAULT_MIN(sizeof(s_read_buf.buf), info.size - start_addr);

    s_read_buf.start_addr = start_addr;
#if WRITEUP_DEFECT_ABSOLUTE_OFFSET
    s_read_buf.last_read_offset = start_addr;
#else
    s_read_buf.last_read_offset = 0;
#endif
    s_read_buf.bytes_loaded = bytes_to_read;

    // Call async read routine for flash storage and let caller know we will have to wait for a
    // result
    user_coredump_storage_read_async(start_addr, &s_read_buf.buf, bytes_to_read);
    return true;
}

bool memfault_coredump_read(uint32_t offset, void *data, size_t read_len)
{
    if (offset < s_read_buf.start_addr ||
        ((offset + read_len) > (s_read_buf.start_addr + s_read_buf.bytes_loaded))) {
        // This means memfault_platform_coredump_prepare_async() was not
        // run prior to calling `memfault_packetizer_get_chunk()` and should never happen
        return false;
    }

    const size_t read_offset = offset - s_read_buf.start_addr;
    const uint8_t *read_ptr = &s_read_buf.buf[read_offset];
    memcpy(data, read_ptr, read_len);
    s_read_buf.last_read_offset = read_offset + read_len;
    return true;
}

void memfault_platform_coredump_storage_clear(void)
{
    // reset pre-loaded storage to offset zero and "erase" the data by
    // populating the buffer with all zeros
    s_read_buf = (sMfltCoredumpAsyncReadBuf){
        .bytes_loaded = sizeof(s_read_buf.buf),
        .start_addr = 0,
        .last_read_offset = 0,
    };

    // erase backing flash storage as well
    user_coredump_storage_erase_async();
}

/* ---- what the write-up leaves to the user: the board ---- */

static const chunksim_board_api_t *s_board;

int chunksim_glue_init(const chunksim_board_api_t *board)
{
    if (board->version != CHUNKSIM_BOARD_API_VERSION || board->window_bytes < WRITEUP_BUF_BYTES) {
        return -1;
    }
    s_board = board;
    memset(&s_read_buf, 0, sizeof(s_read_buf));
    return 0;
}

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info)
{
    info->size = s_board->storage_bytes;
    info->sector_size = s_board->sector_bytes;
}

#if !WRITEUP_DEFECT_FINAL_WINDOW
/* The window was loaded up to the end of storage: there is nothing more to load. */
static bool prv_window_reaches_end_of_storage(void)
{
    sMfltCoredumpStorageInfo info;
    memfault_platform_coredump_storage_get_info(&info);
    return s_read_buf.bytes_loaded > 0 &&
           (size_t)s_read_buf.start_addr + s_read_buf.bytes_loaded >= info.size;
}
#endif

#if !WRITEUP_DEFECT_STATUS_IGNORED
/* Nothing of the window can be served: prepare loads it again from start_addr. */
static void prv_read_failed(void)
{
    s_read_buf.bytes_loaded = 0;
    s_read_buf.last_read_offset = 0;
}
#endif

/* The DMA-complete event the page leaves out. */
static void prv_read_done(int status, void *ctx)
{
    (void)ctx;
#if WRITEUP_DEFECT_STATUS_IGNORED
    (void)status;
#else
    if (status != CHUNKSIM_BOARD_OK) {
        prv_read_failed();
    }
#endif
}

static void user_coredump_storage_read_async(size_t offset, void *buf, size_t len)
{
    const int rc = s_board->flash_read_async((uint32_t)offset, buf, len, prv_read_done, NULL);
#if WRITEUP_DEFECT_STATUS_IGNORED
    (void)rc;
#else
    /* Refused at once: no completion will come, the read timeout gives the wait up. */
    if (rc != CHUNKSIM_BOARD_OK) {
        prv_read_failed();
    }
#endif
}

static void prv_erase_done(int status, void *ctx)
{
    /* The page waits for nothing after the clear: the header is gone once it is done. */
    (void)status;
    (void)ctx;
}

/* The first sector holds the header: erasing it is what makes the coredump invalid. */
static void user_coredump_storage_erase_async(void)
{
    (void)s_board->flash_erase_async(0, s_board->sector_bytes, prv_erase_done, NULL);
}

#if !WRITEUP_DEFECT_NO_RESTART
/* The message starts again at 0: nothing buffered belongs to it any more. */
void chunksim_glue_abort(void)
{
    s_read_buf = (sMfltCoredumpAsyncReadBuf){0};
}
#endif
