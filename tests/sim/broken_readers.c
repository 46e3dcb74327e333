#include "broken_readers.h"

#include "chunkcore/coredump.h"
#include "chunkcore/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum glue_op { GLUE_OP_NONE, GLUE_OP_READ, GLUE_OP_ERASE };

typedef struct glue {
    broken_defect_t defect;
    chunksim_board_t board;
    chunkcore_storage_info_t info; /* the end-of-storage bound and the erase size */
    chunkcore_storage_port_t port;
    uint8_t *buf;
    uint32_t buf_bytes;
    uint32_t win_start; /* storage offset of buf[0] */
    uint32_t win_bytes; /* bytes the last load brought in */
    bool win_loaded;
    uint32_t read_pos; /* where the next payload read starts */
    uint32_t op_id;    /* the load or erase in flight, 0 when none */
    uint32_t last_op_id;
    enum glue_op op;
    bool erase_wanted; /* cleared while a load was in flight, or the erase failed */
    int pending_error; /* a failed operation, reported by the next prepare */
} glue_t;

static uint32_t glue_min(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static uint32_t glue_next_id(glue_t *g)
{
    if (++g->last_op_id == 0) {
        ++g->last_op_id; /* 0 means "nothing in flight" */
    }
    return g->last_op_id;
}

/* ---- flash operations ---- */

static int glue_dispatch_erase(glue_t *g)
{
    uint32_t id = glue_next_id(g);
    int rc = g->board.async.erase_start(g->board.async.ctx, id, 0, g->info.sector_bytes);
    if (rc < 0) {
        g->erase_wanted = true; /* the next prepare tries again */
        return rc;
    }
    g->erase_wanted = false;
    g->op = GLUE_OP_ERASE;
    g->op_id = id;
    return 0;
}

/* Loads the window at lo: as much as fits, cut at the end of storage. */
static int glue_load(glue_t *g, uint32_t lo)
{
    uint32_t len = glue_min(g->buf_bytes, g->info.size_bytes - lo);
    if (g->defect == BROKEN_DEFECT_FULL_FINAL_WINDOW) {
        len = g->buf_bytes; /* the final, shorter window is never asked for */
    }
    uint32_t id = glue_next_id(g);
    g->win_loaded = false;
    g->win_start = lo;
    g->win_bytes = len;
    int rc = g->board.async.read_start(g->board.async.ctx, id, lo, g->buf, len);
    if (rc < 0) {
        return rc;
    }
    g->op = GLUE_OP_READ;
    g->op_id = id;
    return CHUNKCORE_ASYNC_WAIT;
}

/* ---- the storage port the coredump source reads through ---- */

static int glue_get_info(void *ctx, chunkcore_storage_info_t *info)
{
    glue_t *g = ctx;
    *info = g->info;
    return 0;
}

/* The write-up's read: a copy out of the window, trusting prepare. */
static int glue_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    glue_t *g = ctx;
    if (offset > g->info.size_bytes || len > g->info.size_bytes - offset) {
        return CHUNKCORE_E_RANGE;
    }
    if (len == 0) {
        return 0; /* the read that would start at the very end */
    }
    int rc = 0;
    if (g->defect == BROKEN_DEFECT_SYNC_READ) {
        rc = g->board.read_sync(g->board.ctx, offset, buf, len);
    } else {
        uint64_t index =
            g->defect == BROKEN_DEFECT_ABSOLUTE_OFFSET ? offset : (uint64_t)offset - g->win_start;
        /* Only memory safety: where the write-up's memcpy would leave its buffer. */
        if (!g->win_loaded || offset < g->win_start || index + len > g->buf_bytes) {
            return CHUNKCORE_E_WINDOW;
        }
        memcpy(buf, g->buf + index, len);
    }
    /* The header peek at 0 precedes the payload stream, which starts at 0 too. */
    if (rc == 0 && !(offset == 0 && len == CHUNKCORE_COREDUMP_HEADER_BYTES)) {
        g->read_pos = offset + (uint32_t)len;
    }
    return rc;
}

/* The whole coredump has been read: forget the window, invalidate the header in flash. */
static int glue_clear(void *ctx)
{
    glue_t *g = ctx;
    g->win_loaded = false;
    g->read_pos = 0;
    if (g->op != GLUE_OP_NONE) {
        g->erase_wanted = true; /* one flash operation at a time: prepare sends it */
        return 0;
    }
    return glue_dispatch_erase(g);
}

/* ---- the reader the engine drives ---- */

/* Bytes of the window from lo on, or -1 when lo is not in it. */
static int64_t glue_held(const glue_t *g, uint32_t lo)
{
    if (!g->win_loaded || lo < g->win_start || lo > g->win_start + g->win_bytes) {
        return -1;
    }
    return (int64_t)g->win_start + g->win_bytes - lo;
}

/* Does the window hold what the next get-chunk may read from lo? */
static bool glue_enough(const glue_t *g, uint32_t lo, size_t next_chunk_bytes)
{
    /* The first chunk is preceded by the 12-byte header peek. */
    uint64_t need = next_chunk_bytes;
    if (lo == 0 && need < CHUNKCORE_COREDUMP_HEADER_BYTES) {
        need = CHUNKCORE_COREDUMP_HEADER_BYTES;
    }
    need = need < g->info.size_bytes - lo ? need : g->info.size_bytes - lo;
    need = need < g->buf_bytes ? need : g->buf_bytes;
    int64_t held = glue_held(g, lo);
    if (held < 0) {
        return false;
    }
    if (g->defect == BROKEN_DEFECT_OFF_BY_ONE) {
        return (uint64_t)held + 1 >= need;
    }
    return (uint64_t)held >= need;
}

static int glue_prepare(void *self, size_t next_chunk_bytes)
{
    glue_t *g = self;
    if (g->pending_error != 0) {
        int err = g->pending_error;
        g->pending_error = 0;
        return err;
    }
    if (g->op != GLUE_OP_NONE) {
        return CHUNKCORE_ASYNC_WAIT; /* the flash does one thing at a time */
    }
    if (g->erase_wanted) {
        int rc = glue_dispatch_erase(g);
        return rc < 0 ? CHUNKCORE_E_ERASE : CHUNKCORE_ASYNC_WAIT;
    }
    uint32_t lo = g->read_pos;
    if (lo >= g->info.size_bytes || glue_enough(g, lo, next_chunk_bytes)) {
        return CHUNKCORE_ASYNC_READY; /* at the end nothing more is read */
    }
    return glue_load(g, lo);
}

static int glue_complete(void *self, uint32_t op_id, int status)
{
    glue_t *g = self;
    if (op_id == 0 || op_id != g->op_id || g->op == GLUE_OP_NONE) {
        return CHUNKCORE_E_STALE;
    }
    bool ignore_status = g->defect == BROKEN_DEFECT_STATUS_IGNORED;
    if (g->op == GLUE_OP_READ) {
        /* A clear while this load was in flight made its bytes worthless. */
        g->win_loaded = !g->erase_wanted && (status >= 0 || ignore_status);
        if (status < 0 && !ignore_status) {
            g->pending_error = CHUNKCORE_E_IO;
        }
    } else if (status < 0) {
        g->erase_wanted = true; /* the coredump is still there */
        g->pending_error = CHUNKCORE_E_ERASE;
    }
    g->op = GLUE_OP_NONE;
    g->op_id = 0;
    return CHUNKCORE_OK;
}

/* The completion is overdue: abandon the operation so prepare can send it again. */
static void glue_cancel(void *self)
{
    glue_t *g = self;
    if (g->defect == BROKEN_DEFECT_STATUS_IGNORED || g->op == GLUE_OP_NONE) {
        return;
    }
    if (g->board.async.cancel != NULL) {
        g->board.async.cancel(g->board.async.ctx, g->op_id);
    }
    if (g->op == GLUE_OP_READ) {
        g->win_loaded = false;
    } else {
        g->erase_wanted = true;
    }
    g->op = GLUE_OP_NONE;
    g->op_id = 0;
}

static void glue_rewind(void *self)
{
    ((glue_t *)self)->read_pos = 0;
}

static void glue_destroy(void *self)
{
    glue_t *g = self;
    free(g->buf);
    free(g);
}

const char *broken_defect_name(broken_defect_t defect)
{
    static const char *const names[BROKEN_DEFECT_COUNT] = {
        [BROKEN_DEFECT_NONE] = "glue",
        [BROKEN_DEFECT_INFO_UNFILLED] = "broken-info-unfilled",
        [BROKEN_DEFECT_ABSOLUTE_OFFSET] = "broken-absolute-offset",
        [BROKEN_DEFECT_OFF_BY_ONE] = "broken-off-by-one",
        [BROKEN_DEFECT_FULL_FINAL_WINDOW] = "broken-full-final-window",
        [BROKEN_DEFECT_STATUS_IGNORED] = "broken-status-ignored",
        [BROKEN_DEFECT_SYNC_READ] = "broken-sync-read",
    };
    return (unsigned)defect < BROKEN_DEFECT_COUNT ? names[defect] : "unknown";
}

int broken_reader_create(chunksim_reader_t *out, const chunksim_board_t *board,
                         const chunksim_reader_config_t *cfg, broken_defect_t defect)
{
    if ((unsigned)defect >= BROKEN_DEFECT_COUNT || cfg->window_bytes == 0) {
        return CHUNKCORE_E_INVAL;
    }
    glue_t *g = calloc(1, sizeof(*g));
    if (g == NULL || (g->buf = calloc(1, cfg->window_bytes)) == NULL) {
        free(g);
        return -ENOMEM;
    }
    g->defect = defect;
    g->board = *board;
    g->buf_bytes = cfg->window_bytes;
    /* The write-up declares the info and never asks the driver to fill it. */
    if (defect != BROKEN_DEFECT_INFO_UNFILLED) {
        int rc = board->async.get_info(board->async.ctx, &g->info);
        if (rc < 0) {
            glue_destroy(g);
            return rc;
        }
    }
    g->port = (chunkcore_storage_port_t){
        .get_info = glue_get_info,
        .read = glue_read,
        .clear = glue_clear,
        .ctx = g,
        .sequential_only = true, /* a forward-only window: no second pass for RLE */
    };
    *out = (chunksim_reader_t){
        .name = broken_defect_name(defect),
        .async = true,
        .self = g,
        .storage = &g->port,
        .prepare = glue_prepare,
        .complete = glue_complete,
        .cancel = glue_cancel,
        .rewind = glue_rewind,
        .destroy = glue_destroy,
    };
    return 0;
}

#define BROKEN_READER_FACTORY(fn, defect)                                                          \
    static int fn(chunksim_reader_t *out, const chunksim_board_t *board,                           \
                  const chunksim_reader_config_t *cfg)                                             \
    {                                                                                              \
        return broken_reader_create(out, board, cfg, defect);                                      \
    }

BROKEN_READER_FACTORY(glue_create, BROKEN_DEFECT_NONE)
BROKEN_READER_FACTORY(info_unfilled_create, BROKEN_DEFECT_INFO_UNFILLED)
BROKEN_READER_FACTORY(absolute_offset_create, BROKEN_DEFECT_ABSOLUTE_OFFSET)
BROKEN_READER_FACTORY(off_by_one_create, BROKEN_DEFECT_OFF_BY_ONE)
BROKEN_READER_FACTORY(full_final_window_create, BROKEN_DEFECT_FULL_FINAL_WINDOW)
BROKEN_READER_FACTORY(status_ignored_create, BROKEN_DEFECT_STATUS_IGNORED)
BROKEN_READER_FACTORY(sync_read_create, BROKEN_DEFECT_SYNC_READ)

/* In broken_defect_t order: each test of a defect fails if its factory is another's. */
const chunksim_reader_create_fn broken_reader_factories[BROKEN_DEFECT_COUNT] = {
    glue_create,       info_unfilled_create,     absolute_offset_create,
    off_by_one_create, full_final_window_create, status_ignored_create,
    sync_read_create,
};
