/*
 * Readers: the firmware piece between the packetizer's coredump source and
 * the flash driver, which the engine drives as a board's application would
 * (prepare, wait for the completion, get-chunk). The built-in readers are the
 * synchronous baseline and chunkcore's async read core with one or two
 * windows; tests/ adds deliberately broken ones to prove the monitor catches
 * their defects.
 *
 * A reader only sees the board: chunkcore_async_port_t (asynchronous read
 * and erase whose completions the engine delivers later, from the loop, via
 * reader->complete) plus blocking variants for synchronous code.
 */
#ifndef CHUNKSIM_READER_H
#define CHUNKSIM_READER_H

#include "chunkcore/async.h"
#include "chunkcore/storage.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct chunksim_board {
    chunkcore_async_port_t async;
    /* Blocking read/erase: the simulated CPU stalls for the flash's time. */
    int (*read_sync)(void *ctx, uint32_t offset, void *buf, size_t len);
    int (*erase_sync)(void *ctx, uint32_t offset, size_t len);
    /* Page program (async with async.erase_start's rules; blocking): NOR,
     * only clears bits, wraps at the page edge (flashmodel/flashmodel.h). */
    int (*program_start)(void *ctx, uint32_t op_id, uint32_t offset, const void *data, size_t len);
    int (*program_sync)(void *ctx, uint32_t offset, const void *data, size_t len);
    uint32_t page_bytes; /* the program unit */
    /* The partition as a read-only memory-mapped view (NULL: none). guard:
     * from now on the view is unreadable while a program or erase is in
     * flight, so that a load then faults; whoever catches the fault reports
     * it with mapped_fault (chunksim/board.h). */
    const uint8_t *(*mapped)(void *ctx, bool guard);
    void (*mapped_fault)(void *ctx, uint32_t offset);
    /* NULL, or why the call in progress counts as looping: it alone has made
     * more board operations than any correct reader makes between two
     * chunks (CHUNKSIM_MONITOR_NO_PROGRESS_CALLS). Nothing outside that call
     * can end it; a reader that can end its process (glue.c's, in its own
     * child) does so with the reason. */
    const char *(*stuck)(void *ctx);
    /* A reader saw a read treated as complete before its completion came (what: which, and how
     * it showed); the monitor reports it as inline_completion. NULL: nobody listens. */
    void (*inline_completion)(void *ctx, const char *what);
    void *ctx;
} chunksim_board_t;

typedef struct chunksim_reader_config {
    uint32_t window_bytes; /* RAM for windows (both windows together when double) */
} chunksim_reader_config_t;

typedef struct chunksim_reader {
    const char *name;
    bool async; /* false: reads block inside get-chunk (the synchronous baseline) */
    void *self;
    /* What the coredump source reads through. */
    const chunkcore_storage_port_t *storage;
    /* CHUNKCORE_ASYNC_READY, CHUNKCORE_ASYNC_WAIT or a negative code. */
    int (*prepare)(void *self, size_t next_chunk_bytes);
    int (*complete)(void *self, uint32_t op_id, int status);
    void (*cancel)(void *self);
    void (*rewind)(void *self);
    void (*destroy)(void *self);
} chunksim_reader_t;

typedef int (*chunksim_reader_create_fn)(chunksim_reader_t *out, const chunksim_board_t *board,
                                         const chunksim_reader_config_t *cfg);

/* Built-in readers by name: "sync", "single", "double". NULL when unknown. */
chunksim_reader_create_fn chunksim_reader_lookup(const char *name);

int chunksim_reader_sync_create(chunksim_reader_t *out, const chunksim_board_t *board,
                                const chunksim_reader_config_t *cfg);
int chunksim_reader_single_create(chunksim_reader_t *out, const chunksim_board_t *board,
                                  const chunksim_reader_config_t *cfg);
int chunksim_reader_double_create(chunksim_reader_t *out, const chunksim_board_t *board,
                                  const chunksim_reader_config_t *cfg);

#endif
