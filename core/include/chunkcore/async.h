/*
 * Async read core: serves the coredump source's reads from RAM windows that
 * were filled from slow external flash before the chunk was asked for.
 *
 * The application drives it as on a board:
 *
 *     for (;;) {
 *         int r = chunkcore_async_prepare(&a, chunk_bytes);
 *         if (r == CHUNKCORE_ASYNC_WAIT) { wait for the completion; continue; }
 *         if (r < 0) { count the error; the next prepare retries; continue; }
 *         chunkcore_packetizer_get_chunk(&p, buf, &len);   // reads hit the window
 *         send(buf, len);
 *     }
 *
 * and the platform reports each dispatched operation with
 * chunkcore_async_complete() from its event loop or ISR, never from inside
 * the dispatch call.
 *
 * What makes it correct where the published pattern is not: storage size
 * comes from the port's info; window offsets are relative to the window;
 * "enough buffered" compares the exact byte range the next chunk can read; the
 * final short window and zero-length reads at the end of storage are served;
 * a read outside every window is refused with CHUNKCORE_E_WINDOW rather than
 * served with wrong bytes; failed or lost completions are reported and retried.
 *
 * The coredump source's header peek at offset 0 is served from a window too.
 * Refused (no window holds the header: before the first prepare, or while
 * the clear's erase runs), it makes the source find no coredump, as the SDK
 * has it for a read refused during an asynchronous clear; so a get-chunk or
 * data-available asked before prepare said ready answers "nothing to send",
 * not an error. A payload read that no window serves is still refused.
 *
 * A window never serves a read that crosses its edge: the core tells the
 * packetizer how much is available and the chunk is cut short instead. So a
 * window may be smaller than a chunk (each chunk then carries one window's
 * worth), and with two windows the next one is prefetched while the current
 * one is consumed.
 *
 * RAM: the caller's window buffer plus sizeof(chunkcore_async_t).
 */
#ifndef CHUNKCORE_ASYNC_H
#define CHUNKCORE_ASYNC_H

#include "chunkcore/storage.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return values of chunkcore_async_prepare() on success. */
#define CHUNKCORE_ASYNC_READY 0 /* the next chunk's bytes are in RAM */
#define CHUNKCORE_ASYNC_WAIT  1 /* an operation is in flight: wait for its completion */

/* Smallest window: it must hold the coredump header peek and then some. */
#define CHUNKCORE_ASYNC_MIN_WINDOW_BYTES 16u

typedef struct chunkcore_async_port {
    /* Start reading len bytes at offset into buf; report with op_id later. 0 or <0. */
    int (*read_start)(void *ctx, uint32_t op_id, uint32_t offset, void *buf, size_t len);
    /* Start erasing [offset, offset + len) (sector aligned); report with op_id later. */
    int (*erase_start)(void *ctx, uint32_t op_id, uint32_t offset, size_t len);
    /* Optional: abandon op_id; afterwards no byte of it may land in RAM. */
    void (*cancel)(void *ctx, uint32_t op_id);
    int (*get_info)(void *ctx, chunkcore_storage_info_t *info);
    void *ctx;
} chunkcore_async_port_t;

typedef struct chunkcore_async_config {
    const chunkcore_async_port_t *port;
    uint8_t *buffer;     /* window RAM, owned by the caller */
    size_t buffer_bytes; /* one window of this size, or two of half with double_buffer */
    bool double_buffer;
    /* The packetizer runs in multi-call mode, where a call's read may fill the
     * whole buffer; in normal mode framing takes at least 2 bytes of each chunk. */
    bool multi_call;
} chunkcore_async_config_t;

enum chunkcore_window_state {
    CHUNKCORE_WIN_EMPTY = 0,
    CHUNKCORE_WIN_LOADING = 1,
    CHUNKCORE_WIN_READY = 2
};

typedef struct chunkcore_window {
    uint8_t *data;
    uint32_t start_offset; /* storage offset of data[0] */
    uint32_t bytes;        /* valid bytes (the final window may be short) */
    uint8_t state;         /* enum chunkcore_window_state */
} chunkcore_window_t;

enum chunkcore_async_op { CHUNKCORE_OP_NONE = 0, CHUNKCORE_OP_READ = 1, CHUNKCORE_OP_ERASE = 2 };

typedef struct chunkcore_async_stats {
    uint32_t reads;          /* window loads dispatched */
    uint32_t prefetches;     /* of which dispatched ahead of need (double buffering) */
    uint32_t read_bytes;     /* bytes those loads asked for */
    uint32_t erases;         /* erases dispatched */
    uint32_t served;         /* packetizer reads served from a window */
    uint32_t refused;        /* packetizer reads refused (CHUNKCORE_E_WINDOW / _RANGE) */
    uint32_t failed;         /* completions reporting an error */
    uint32_t cancelled;      /* operations abandoned with chunkcore_async_cancel() */
    uint32_t stale;          /* completions ignored because their op was abandoned */
} chunkcore_async_stats_t;

typedef struct chunkcore_async {
    chunkcore_async_config_t cfg;
    chunkcore_storage_port_t storage; /* what the coredump source reads through */
    chunkcore_storage_info_t info;
    chunkcore_window_t win[2];
    chunkcore_async_stats_t stats;
    uint32_t window_bytes; /* capacity of one window */
    uint32_t read_pos;     /* where the next payload read is expected */
    uint32_t op_id;        /* operation in flight, 0 when idle */
    uint32_t last_op_id;
    int pending_error; /* reported by the next prepare */
    uint8_t op_kind;   /* enum chunkcore_async_op */
    uint8_t op_win;    /* window being loaded */
    uint8_t erase_wanted;
} chunkcore_async_t;

/* Asks the port for the storage geometry. CHUNKCORE_E_INVAL on a bad config. */
int chunkcore_async_init(chunkcore_async_t *a, const chunkcore_async_config_t *cfg);

/* The storage port to give chunkcore_coredump_init(). */
const chunkcore_storage_port_t *chunkcore_async_storage(chunkcore_async_t *a);

/*
 * Makes sure the bytes a get-chunk into a buffer of next_chunk_bytes will
 * read are in RAM. CHUNKCORE_ASYNC_READY: call get-chunk now.
 * CHUNKCORE_ASYNC_WAIT: an operation is in flight (perhaps just dispatched);
 * call prepare again after its completion. A negative code reports a failed
 * operation or a refused dispatch once; the next prepare tries again.
 */
int chunkcore_async_prepare(chunkcore_async_t *a, size_t next_chunk_bytes);

/*
 * Completion of the operation op_id with status 0 (done) or negative
 * (failed). CHUNKCORE_E_STALE for an op that is not in flight (cancelled, or
 * never issued): it is ignored.
 */
int chunkcore_async_complete(chunkcore_async_t *a, uint32_t op_id, int status);

/* Abandon the operation in flight (a completion that never came); the next prepare re-dispatches. */
void chunkcore_async_cancel(chunkcore_async_t *a);

/* The message restarts from offset 0 (after chunkcore_packetizer_abort()). */
void chunkcore_async_rewind(chunkcore_async_t *a);

static inline bool chunkcore_async_busy(const chunkcore_async_t *a)
{
    return a->op_kind != CHUNKCORE_OP_NONE;
}

#ifdef __cplusplus
}
#endif

#endif
