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
 *
 * Built with TRUSTING_INLINE_COMPLETION it is wrong on purpose: its prepare
 * runs the load's completion callback itself, inside the call that started
 * the load, and says ready; the packetizer then reads bytes still on their
 * way (inline_completion).
 */
#include "test_window.h"

static test_window_t w;

int chunksim_glue_init(const chunksim_board_api_t *board)
{
    return test_window_init(&w, board);
}

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info)
{
    *info = w.info;
}

static void prv_load_done(int status, void *ctx)
{
    (void)ctx;
    if (status != CHUNKSIM_BOARD_OK) {
        w.loaded = false;
    }
}

static void prv_erase_done(int status, void *ctx)
{
    (void)status;
    (void)ctx;
}

bool memfault_platform_coredump_prepare_async(size_t next_chunk_size)
{
    if (!test_window_aim(&w, next_chunk_size, true)) {
        return false;
    }
    /* The application reads nothing before the completion: the range is as good as loaded. */
    w.loaded = w.board->flash_read_async(w.start, w.bytes, w.valid, prv_load_done, NULL) == 0;
#ifdef TRUSTING_INLINE_COMPLETION
    if (w.loaded) {
        prv_load_done(CHUNKSIM_BOARD_OK, NULL); /* as if the DMA were done already */
        return false;
    }
#endif
    return w.loaded;
}

void memfault_platform_coredump_storage_clear(void)
{
    test_window_clear(&w);
    (void)w.board->flash_erase_async(0, w.info.sector_size, prv_erase_done, NULL);
}

void chunksim_glue_abort(void)
{
    w.next_read = 0;
}
