#include "chunkcore/async.h"
#include "chunkcore/coredump.h"
#include "chunkcore/error.h"
#include "chunkcore/transport.h"

#include <string.h>

static uint32_t async_min(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static uint32_t window_end(const chunkcore_window_t *w)
{
    return w->start_offset + w->bytes;
}

static bool window_holds(const chunkcore_window_t *w, uint32_t offset, uint32_t len)
{
    return w->state == CHUNKCORE_WIN_READY && offset >= w->start_offset &&
           offset - w->start_offset <= w->bytes && len <= window_end(w) - offset;
}

static chunkcore_window_t *async_window_at(chunkcore_async_t *a, uint32_t offset, uint32_t len)
{
    for (unsigned i = 0; i < 2; i++) {
        if (window_holds(&a->win[i], offset, len) && (len > 0 || offset < window_end(&a->win[i]))) {
            return &a->win[i];
        }
    }
    return NULL;
}

/* ---- the storage port the coredump source reads through ---- */

static int async_get_info(void *ctx, chunkcore_storage_info_t *info)
{
    chunkcore_async_t *a = ctx;
    *info = a->info;
    return 0;
}

static int async_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    chunkcore_async_t *a = ctx;
    if (offset > a->info.size_bytes || len > a->info.size_bytes - offset) {
        a->stats.refused++;
        return CHUNKCORE_E_RANGE;
    }
    if (len == 0) {
        return 0; /* the zero-length read at the very end is valid */
    }
    const chunkcore_window_t *w = async_window_at(a, offset, (uint32_t)len);
    if (w == NULL) {
        a->stats.refused++;
        return CHUNKCORE_E_WINDOW;
    }
    memcpy(buf, w->data + (offset - w->start_offset), len);
    a->stats.served++;
    /* The header peek at 0 comes before the payload stream starts there too. */
    if (!(offset == 0 && len == CHUNKCORE_COREDUMP_HEADER_BYTES)) {
        a->read_pos = offset + (uint32_t)len;
    }
    return 0;
}

static uint32_t async_avail(void *ctx, uint32_t offset, uint32_t want)
{
    chunkcore_async_t *a = ctx;
    const chunkcore_window_t *w = async_window_at(a, offset, 0);
    return w == NULL ? 0 : async_min(want, window_end(w) - offset);
}

/*
 * erase_wanted stays set until the port takes the erase: a refused dispatch
 * is tried again by the next prepare, and until then no read goes out, so
 * the header that is still valid in flash cannot restart the message.
 */
static int async_dispatch_erase(chunkcore_async_t *a)
{
    uint32_t id = ++a->last_op_id;
    if (id == 0) {
        id = ++a->last_op_id; /* 0 means "nothing in flight" */
    }
    int rc = a->cfg.port->erase_start(a->cfg.port->ctx, id, 0, a->info.sector_bytes);
    if (rc < 0) {
        return rc;
    }
    a->erase_wanted = 0;
    a->op_id = id;
    a->op_kind = CHUNKCORE_OP_ERASE;
    a->stats.erases++;
    return 0;
}

/* Clear after the last read: forget the windows, invalidate the header in flash. */
static int async_clear(void *ctx)
{
    chunkcore_async_t *a = ctx;
    a->win[0].state = CHUNKCORE_WIN_EMPTY;
    a->win[1].state = CHUNKCORE_WIN_EMPTY;
    a->read_pos = 0;
    a->erase_wanted = 1;
    if (a->op_kind == CHUNKCORE_OP_NONE) {
        int rc = async_dispatch_erase(a);
        if (rc < 0) {
            a->pending_error = CHUNKCORE_E_ERASE; /* reported by the next prepare */
        }
        return rc;
    }
    /* A prefetch past the end is still in flight: its data is stale now, and
     * the erase goes out when it completes (one operation at a time). */
    return 0;
}

int chunkcore_async_init(chunkcore_async_t *a, const chunkcore_async_config_t *cfg)
{
    memset(a, 0, sizeof(*a));
    if (cfg == NULL || cfg->port == NULL || cfg->buffer == NULL || cfg->port->read_start == NULL ||
        cfg->port->erase_start == NULL || cfg->port->get_info == NULL) {
        return CHUNKCORE_E_INVAL;
    }
    a->cfg = *cfg;
    a->window_bytes = (uint32_t)(cfg->double_buffer ? cfg->buffer_bytes / 2 : cfg->buffer_bytes);
    if (a->window_bytes < CHUNKCORE_ASYNC_MIN_WINDOW_BYTES) {
        return CHUNKCORE_E_INVAL;
    }
    int rc = cfg->port->get_info(cfg->port->ctx, &a->info);
    if (rc < 0) {
        return rc;
    }
    if (a->info.size_bytes == 0 || a->info.sector_bytes == 0) {
        return CHUNKCORE_E_INVAL;
    }
    a->win[0].data = cfg->buffer;
    a->win[1].data = cfg->buffer + a->window_bytes;
    a->storage.get_info = async_get_info;
    a->storage.read = async_read;
    a->storage.clear = async_clear;
    a->storage.avail = async_avail;
    a->storage.ctx = a;
    a->storage.sequential_only = true;
    return CHUNKCORE_OK;
}

const chunkcore_storage_port_t *chunkcore_async_storage(chunkcore_async_t *a)
{
    return &a->storage;
}

static int async_dispatch_read(chunkcore_async_t *a, unsigned wi, uint32_t offset, bool ahead)
{
    chunkcore_window_t *w = &a->win[wi];
    uint32_t id = ++a->last_op_id;
    if (id == 0) {
        id = ++a->last_op_id;
    }
    w->start_offset = offset;
    w->bytes = async_min(a->window_bytes, a->info.size_bytes - offset); /* final window is short */
    w->state = CHUNKCORE_WIN_LOADING;
    int rc = a->cfg.port->read_start(a->cfg.port->ctx, id, offset, w->data, w->bytes);
    if (rc < 0) {
        w->state = CHUNKCORE_WIN_EMPTY;
        return rc;
    }
    a->op_id = id;
    a->op_kind = CHUNKCORE_OP_READ;
    a->op_win = (uint8_t)wi;
    a->stats.reads++;
    a->stats.prefetches += ahead;
    a->stats.read_bytes += w->bytes;
    return 0;
}

/* Double buffering: while w is consumed, load the window that follows it. */
static void async_prefetch(chunkcore_async_t *a, const chunkcore_window_t *w)
{
    unsigned other = (w == &a->win[0]) ? 1u : 0u;
    const chunkcore_window_t *o = &a->win[other];
    uint32_t next = window_end(w);
    if (!a->cfg.double_buffer || a->op_kind != CHUNKCORE_OP_NONE || next >= a->info.size_bytes) {
        return;
    }
    if (o->state != CHUNKCORE_WIN_EMPTY && o->start_offset == next) {
        return; /* already there or on its way */
    }
    /* A refused prefetch is not an error yet: prepare retries when it is needed. */
    (void)async_dispatch_read(a, other, next, true);
}

/*
 * Is the next get-chunk's read servable? It starts at read_pos (at 0 it is
 * preceded by the header peek) and takes at most next_chunk_bytes, cut to
 * one window and to the end of storage. With two windows it is enough that
 * the read starts in one and the next is loaded or loading right behind it:
 * the chunk is then cut at the edge instead of waiting.
 */
static const chunkcore_window_t *async_ready_window(chunkcore_async_t *a, uint32_t lo, uint32_t hi)
{
    const chunkcore_window_t *w = async_window_at(a, lo, hi - lo);
    if (w != NULL || !a->cfg.double_buffer) {
        return w;
    }
    w = async_window_at(a, lo, 0);
    if (w == NULL || lo < CHUNKCORE_COREDUMP_HEADER_BYTES) {
        return NULL;
    }
    const chunkcore_window_t *o = (w == &a->win[0]) ? &a->win[1] : &a->win[0];
    return (o->state != CHUNKCORE_WIN_EMPTY && o->start_offset == window_end(w)) ? w : NULL;
}

int chunkcore_async_prepare(chunkcore_async_t *a, size_t next_chunk_bytes)
{
    if (a->pending_error != 0) {
        int err = a->pending_error;
        a->pending_error = 0;
        return err;
    }
    uint32_t lo = a->read_pos;
    uint32_t want = (uint32_t)(next_chunk_bytes < UINT32_MAX ? next_chunk_bytes : UINT32_MAX);
    /* A normal chunk spends at least a header byte and a 1-byte varint on
     * framing, so its one payload read is at most 2 bytes short of the chunk;
     * asking for more would reload windows that already hold enough. */
    if (!a->cfg.multi_call && want >= CHUNKCORE_CHUNK_MIN_BYTES) {
        want -= 2;
    }
    if (lo == 0 && want < CHUNKCORE_COREDUMP_HEADER_BYTES) {
        want = CHUNKCORE_COREDUMP_HEADER_BYTES;
    }
    if (lo >= a->info.size_bytes) {
        return a->op_kind == CHUNKCORE_OP_ERASE ? CHUNKCORE_ASYNC_WAIT : CHUNKCORE_ASYNC_READY;
    }
    uint32_t hi = lo + async_min(async_min(want, a->window_bytes), a->info.size_bytes - lo);
    /* After a clear, the header must be read back from flash, not before the erase is done. */
    const chunkcore_window_t *w = a->erase_wanted ? NULL : async_ready_window(a, lo, hi);
    if (w != NULL) {
        async_prefetch(a, w);
        return CHUNKCORE_ASYNC_READY;
    }
    if (a->op_kind != CHUNKCORE_OP_NONE) {
        return CHUNKCORE_ASYNC_WAIT; /* the flash does one thing at a time */
    }
    if (a->erase_wanted) {
        int rc = async_dispatch_erase(a);
        return rc < 0 ? CHUNKCORE_E_ERASE : CHUNKCORE_ASYNC_WAIT;
    }
    /* Load into the window the reader is not in the middle of. */
    unsigned wi = 0;
    if (a->cfg.double_buffer && async_window_at(a, lo, 0) == &a->win[0]) {
        wi = 1;
    }
    int rc = async_dispatch_read(a, wi, lo, false);
    return rc < 0 ? rc : CHUNKCORE_ASYNC_WAIT;
}

int chunkcore_async_complete(chunkcore_async_t *a, uint32_t op_id, int status)
{
    if (op_id == 0 || op_id != a->op_id || a->op_kind == CHUNKCORE_OP_NONE) {
        a->stats.stale++;
        return CHUNKCORE_E_STALE;
    }
    if (a->op_kind == CHUNKCORE_OP_READ) {
        chunkcore_window_t *w = &a->win[a->op_win];
        /* A clear while this load was in flight already emptied the window. */
        if (w->state == CHUNKCORE_WIN_LOADING) {
            w->state = status < 0 ? CHUNKCORE_WIN_EMPTY : CHUNKCORE_WIN_READY;
        }
        if (status < 0) {
            a->pending_error = CHUNKCORE_E_IO;
        }
    } else if (status < 0) {
        a->erase_wanted = 1; /* the coredump is still there; try again */
        a->pending_error = CHUNKCORE_E_ERASE;
    }
    if (status < 0) {
        a->stats.failed++;
    }
    a->op_id = 0;
    a->op_kind = CHUNKCORE_OP_NONE;
    if (a->erase_wanted && status >= 0 && async_dispatch_erase(a) < 0) {
        a->pending_error = CHUNKCORE_E_ERASE;
    }
    return CHUNKCORE_OK;
}

void chunkcore_async_cancel(chunkcore_async_t *a)
{
    if (a->op_kind == CHUNKCORE_OP_NONE) {
        return;
    }
    if (a->cfg.port->cancel != NULL) {
        a->cfg.port->cancel(a->cfg.port->ctx, a->op_id);
    }
    if (a->op_kind == CHUNKCORE_OP_READ) {
        a->win[a->op_win].state = CHUNKCORE_WIN_EMPTY;
    } else {
        a->erase_wanted = 1;
    }
    a->op_id = 0;
    a->op_kind = CHUNKCORE_OP_NONE;
    a->stats.cancelled++;
}

void chunkcore_async_rewind(chunkcore_async_t *a)
{
    a->read_pos = 0;
}
