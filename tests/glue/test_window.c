#include "test_window.h"

#include <string.h>

static test_window_t *served; /* each glue library has its own copy of this file */

int test_window_init(test_window_t *w, const chunksim_board_api_t *board)
{
    if (board->version != CHUNKSIM_BOARD_API_VERSION) {
        return -1;
    }
    memset(w, 0, sizeof(*w));
    w->board = board;
    served = w;
    w->info.size = board->storage_bytes;
    w->info.sector_size = board->sector_bytes;
    w->capacity =
        board->window_bytes < TEST_WINDOW_MAX_BYTES ? board->window_bytes : TEST_WINDOW_MAX_BYTES;
    return w->capacity >= TEST_WINDOW_HEADER_BYTES ? 0 : -1;
}

uint32_t test_window_needed(const test_window_t *w, uint32_t offset, size_t next_chunk_size,
                            bool clip_to_storage)
{
    size_t need = next_chunk_size;
    if (offset == 0 && need < TEST_WINDOW_HEADER_BYTES) {
        need = TEST_WINDOW_HEADER_BYTES;
    }
    size_t left = w->info.size - offset;
    if (clip_to_storage && need > left) {
        need = left;
    }
    return (uint32_t)(need < w->capacity ? need : w->capacity);
}

bool test_window_holds(const test_window_t *w, uint32_t offset, uint32_t len)
{
    return w->loaded && offset >= w->start && offset - w->start <= w->valid &&
           len <= w->valid - (offset - w->start);
}

bool test_window_aim(test_window_t *w, size_t next_chunk_size, bool clip_to_storage)
{
    uint32_t offset = w->next_read;
    if (w->consumed || offset >= w->info.size ||
        test_window_holds(w, offset,
                          test_window_needed(w, offset, next_chunk_size, clip_to_storage))) {
        return false;
    }
    uint32_t left = (uint32_t)w->info.size - offset;
    w->start = offset;
    w->valid = w->capacity < left ? w->capacity : left;
    return true;
}

bool test_window_read(test_window_t *w, uint32_t offset, void *data, size_t len)
{
    if (len == 0) {
        return true; /* the read that starts at the very end */
    }
    if (w->consumed) {
        memset(data, 0xFF, len); /* the header of a cleared storage reads as erased */
        return true;
    }
    if (!test_window_holds(w, offset, (uint32_t)len)) {
        return false;
    }
    memcpy(data, &w->bytes[offset - w->start], len);
    if (!(offset == 0 && len == TEST_WINDOW_HEADER_BYTES)) {
        w->next_read = offset + (uint32_t)len;
    }
    return true;
}

void test_window_clear(test_window_t *w)
{
    w->loaded = false;
    w->next_read = 0;
    w->consumed = true;
}

bool memfault_coredump_read(uint32_t offset, void *data, size_t read_len)
{
    return test_window_read(served, offset, data, read_len);
}
