#include "chunksim/reader.h"

#include "chunkcore/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- the synchronous baseline: every read blocks on the flash ---- */

typedef struct {
    chunksim_board_t board;
    chunkcore_storage_info_t info;
    chunkcore_storage_port_t port;
} reader_sync_t;

static int sync_get_info(void *ctx, chunkcore_storage_info_t *info)
{
    reader_sync_t *r = ctx;
    *info = r->info;
    return 0;
}

static int sync_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    reader_sync_t *r = ctx;
    return r->board.read_sync(r->board.ctx, offset, buf, len);
}

static int sync_clear(void *ctx)
{
    reader_sync_t *r = ctx;
    return r->board.erase_sync(r->board.ctx, 0, r->info.sector_bytes);
}

static int sync_prepare(void *self, size_t next_chunk_bytes)
{
    (void)self;
    (void)next_chunk_bytes;
    return CHUNKCORE_ASYNC_READY;
}

static int sync_complete(void *self, uint32_t op_id, int status)
{
    (void)self;
    (void)op_id;
    (void)status;
    return CHUNKCORE_E_STALE; /* it never dispatches anything */
}

static void reader_noop(void *self)
{
    (void)self;
}

int chunksim_reader_sync_create(chunksim_reader_t *out, const chunksim_board_t *board,
                                const chunksim_reader_config_t *cfg)
{
    (void)cfg;
    reader_sync_t *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return -ENOMEM;
    }
    r->board = *board;
    int rc = board->async.get_info(board->async.ctx, &r->info);
    if (rc < 0) {
        free(r);
        return rc;
    }
    r->port = (chunkcore_storage_port_t){
        .get_info = sync_get_info, .read = sync_read, .clear = sync_clear, .ctx = r};
    *out = (chunksim_reader_t){
        .name = "sync",
        .async = false,
        .self = r,
        .storage = &r->port,
        .prepare = sync_prepare,
        .complete = sync_complete,
        .cancel = reader_noop,
        .rewind = reader_noop,
        .destroy = free,
    };
    return 0;
}

/* ---- chunkcore's async read core, one or two windows ---- */

typedef struct {
    chunkcore_async_t core;
    chunkcore_async_port_t port;
    uint8_t *windows;
} reader_async_t;

static int async_prepare(void *self, size_t next_chunk_bytes)
{
    return chunkcore_async_prepare(&((reader_async_t *)self)->core, next_chunk_bytes);
}

static int async_complete(void *self, uint32_t op_id, int status)
{
    return chunkcore_async_complete(&((reader_async_t *)self)->core, op_id, status);
}

static void async_cancel(void *self)
{
    chunkcore_async_cancel(&((reader_async_t *)self)->core);
}

static void async_rewind(void *self)
{
    chunkcore_async_rewind(&((reader_async_t *)self)->core);
}

static void async_destroy(void *self)
{
    reader_async_t *r = self;
    free(r->windows);
    free(r);
}

static int reader_async_create(chunksim_reader_t *out, const chunksim_board_t *board,
                               const chunksim_reader_config_t *cfg, bool double_buffer)
{
    reader_async_t *r = calloc(1, sizeof(*r));
    if (r == NULL || (r->windows = malloc(cfg->window_bytes)) == NULL) {
        free(r);
        return -ENOMEM;
    }
    r->port = board->async;
    const chunkcore_async_config_t acfg = {
        .port = &r->port,
        .buffer = r->windows,
        .buffer_bytes = cfg->window_bytes,
        .double_buffer = double_buffer,
    };
    int rc = chunkcore_async_init(&r->core, &acfg);
    if (rc < 0) {
        async_destroy(r);
        return rc;
    }
    *out = (chunksim_reader_t){
        .name = double_buffer ? "double" : "single",
        .async = true,
        .self = r,
        .storage = chunkcore_async_storage(&r->core),
        .prepare = async_prepare,
        .complete = async_complete,
        .cancel = async_cancel,
        .rewind = async_rewind,
        .destroy = async_destroy,
    };
    return 0;
}

int chunksim_reader_single_create(chunksim_reader_t *out, const chunksim_board_t *board,
                                  const chunksim_reader_config_t *cfg)
{
    return reader_async_create(out, board, cfg, false);
}

int chunksim_reader_double_create(chunksim_reader_t *out, const chunksim_board_t *board,
                                  const chunksim_reader_config_t *cfg)
{
    return reader_async_create(out, board, cfg, true);
}

chunksim_reader_create_fn chunksim_reader_lookup(const char *name)
{
    if (strcmp(name, "sync") == 0) {
        return chunksim_reader_sync_create;
    }
    if (strcmp(name, "single") == 0) {
        return chunksim_reader_single_create;
    }
    if (strcmp(name, "double") == 0) {
        return chunksim_reader_double_create;
    }
    return NULL;
}
