/*
 * Async coredump glue with two RAM windows: while the packetizer reads out of
 * one, the next part of the coredump is loaded into the other, so most
 * chunks find their bytes in RAM without waiting. The windows hold
 * consecutive storage ranges, and a read that runs off the end of one
 * continues in the other.
 *
 * The RAM the scenario gives ([reader] window_bytes) is split in two halves;
 * a chunk must fit in one half.
 * Everything else is as in single_window.c: the storage info is filled in,
 * offsets are relative to each window, "enough buffered" compares the exact
 * bytes the next read can take, the final window is shorter, failed or
 * abandoned loads are loaded again, and one flash operation is in flight at
 * a time.
 *
 *     cc -shared -fPIC -I<chunksim>/sim/include -I<chunksim>/core/include \
 *        double_buffer.c -o libdouble_buffer.so
 *     chunksim run --glue ./libdouble_buffer.so scenarios/double_buffer.ini
 */
#include "chunksim/board.h"

#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"

#include <string.h>

#define RAM_MAX_BYTES         (64u * 1024u) /* both windows */
#define COREDUMP_HEADER_BYTES 12u
#define ERASE_ATTEMPTS        3u

enum window_state { WINDOW_EMPTY, WINDOW_LOADING, WINDOW_READY };

typedef struct window {
    uint8_t *data;
    uint32_t start; /* storage offset of data[0] */
    uint32_t valid; /* bytes loaded (the final window is short) */
    enum window_state state;
} window_t;

static const chunksim_board_api_t *s_board;
static sMfltCoredumpStorageInfo s_info;
static uint8_t s_ram[RAM_MAX_BYTES];

static struct {
    window_t win[2];
    uint32_t half;      /* bytes per window */
    bool busy;          /* a flash operation is in flight */
    uint32_t next_read; /* where the packetizer's next payload read starts */
    bool erase_pending;
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
    uint32_t ram = board->window_bytes < RAM_MAX_BYTES ? board->window_bytes : RAM_MAX_BYTES;
    s.half = ram / 2;
    s.win[0].data = s_ram;
    s.win[1].data = s_ram + s.half;
    return s.half >= COREDUMP_HEADER_BYTES ? 0 : -1;
}

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info)
{
    *info = s_info;
}

/* ---- windows ---- */

static uint32_t prv_end(const window_t *w)
{
    return w->start + w->valid;
}

static window_t *prv_other(const window_t *w)
{
    return w == &s.win[0] ? &s.win[1] : &s.win[0];
}

/* The loaded window holding the byte at offset, or NULL. */
static window_t *prv_window_at(uint32_t offset)
{
    for (int i = 0; i < 2; i++) {
        window_t *w = &s.win[i];
        if (w->state == WINDOW_READY && offset >= w->start && offset < prv_end(w)) {
            return w;
        }
    }
    return NULL;
}

/* [offset, offset + len) is in RAM: in one window, or running on into the other. */
static bool prv_holds(uint32_t offset, uint32_t len)
{
    const window_t *w = prv_window_at(offset);
    if (w == NULL) {
        return false;
    }
    const window_t *o = prv_other(w);
    uint32_t end = prv_end(w);
    if (o->state == WINDOW_READY && o->start == end) {
        end = prv_end(o);
    }
    return len <= end - offset;
}

/* ---- flash operations ---- */

static void prv_load_done(int status, void *ctx)
{
    window_t *w = ctx;
    s.busy = false;
    /* A clear while it was in flight already emptied the window. */
    if (w->state == WINDOW_LOADING) {
        w->state = status == CHUNKSIM_BOARD_OK ? WINDOW_READY : WINDOW_EMPTY;
    }
}

static bool prv_start_load(window_t *w, uint32_t offset)
{
    uint32_t left = (uint32_t)s_info.size - offset;
    w->start = offset;
    w->valid = s.half < left ? s.half : left;
    w->state = WINDOW_LOADING;
    if (s_board->flash_read_async(offset, w->data, w->valid, prv_load_done, w) != 0) {
        w->state = WINDOW_EMPTY;
        return false;
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

static uint32_t prv_bytes_needed(uint32_t offset, size_t next_chunk_size)
{
    size_t need = next_chunk_size;
    if (offset == 0 && need < COREDUMP_HEADER_BYTES) {
        need = COREDUMP_HEADER_BYTES;
    }
    size_t left = s_info.size - offset;
    need = need < left ? need : left;
    /* A chunk needs at most one window's worth, wherever in a window it starts. */
    return (uint32_t)(need < s.half ? need : s.half);
}

/* While the reader is in w, load what follows it into the other window. */
static void prv_prefetch(uint32_t offset)
{
    const window_t *w = prv_window_at(offset);
    window_t *o = prv_other(w);
    uint32_t next = prv_end(w);
    if (next >= s_info.size || (o->state != WINDOW_EMPTY && o->start == next)) {
        return; /* nothing left, or already there */
    }
    (void)prv_start_load(o, next); /* refused now: prepare loads it when it is needed */
}

/* Load what the next read lacks: what follows the window it starts in, or from offset on. */
static bool prv_load_missing(uint32_t offset)
{
    window_t *w = prv_window_at(offset);
    if (w != NULL) {
        return prv_start_load(prv_other(w), prv_end(w));
    }
    return prv_start_load(&s.win[0], offset);
}

bool memfault_platform_coredump_prepare_async(size_t next_chunk_size)
{
    if (s.erase_pending) {
        return s.busy ? true : prv_start_erase();
    }
    uint32_t offset = s.next_read;
    if (s.consumed) {
        return s.busy; /* the clear's erase must finish before the application moves on */
    }
    if (offset >= s_info.size) {
        return false;
    }
    if (prv_holds(offset, prv_bytes_needed(offset, next_chunk_size))) {
        if (!s.busy) {
            prv_prefetch(offset);
        }
        return false;
    }
    if (s.busy) {
        return true; /* the load in flight is most likely the one needed */
    }
    return prv_load_missing(offset);
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
    if (!prv_holds(offset, (uint32_t)read_len)) {
        return false;
    }
    uint8_t *dst = data;
    uint32_t at = offset;
    size_t left = read_len;
    while (left > 0) {
        const window_t *w = prv_window_at(at);
        uint32_t n = prv_end(w) - at;
        n = n < left ? n : (uint32_t)left;
        memcpy(dst, w->data + (at - w->start), n);
        dst += n;
        at += n;
        left -= n;
    }
    if (!(offset == 0 && read_len == COREDUMP_HEADER_BYTES)) {
        s.next_read = offset + (uint32_t)read_len;
    }
    return true;
}

void memfault_platform_coredump_storage_clear(void)
{
    s.win[0].state = WINDOW_EMPTY;
    s.win[1].state = WINDOW_EMPTY;
    s.next_read = 0;
    s.consumed = true;
    s.erase_attempts = 0;
    if (s.busy) {
        s.erase_pending = true; /* a prefetch is in flight: the erase follows it */
        return;
    }
    (void)prv_start_erase();
}

void chunksim_glue_abort(void)
{
    s.next_read = 0;
}
