/*
 * The RAM window a test glue serves memfault_coredump_read() from, as
 * examples/glue/single_window.c does: the glue decides when to load it, this
 * says what it holds and serves reads from it. Compiled into each test glue
 * that uses it (tests/glue/CMakeLists.txt).
 */
#ifndef TEST_WINDOW_H
#define TEST_WINDOW_H

#include "chunksim/board.h"

#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TEST_WINDOW_MAX_BYTES    (64u * 1024u)
#define TEST_WINDOW_HEADER_BYTES 12u /* the packetizer's header peek at offset 0 */

typedef struct test_window {
    const chunksim_board_api_t *board;
    sMfltCoredumpStorageInfo info;
    uint32_t capacity;  /* window bytes in use */
    uint32_t start;     /* storage offset of bytes[0] */
    uint32_t valid;     /* bytes of the window's range (the final window is short) */
    bool loaded;        /* bytes holds [start, start + valid) (the glue says when) */
    uint32_t next_read; /* where the packetizer's next payload read starts */
    bool consumed;      /* cleared: nothing to send until the next boot */
    uint8_t bytes[TEST_WINDOW_MAX_BYTES];
} test_window_t;

/* Resets w for a run on board: 0, or -1 for another board API version or a window smaller
 * than the header. memfault_coredump_read() (test_window.c) serves from w from then on. */
int test_window_init(test_window_t *w, const chunksim_board_api_t *board);

/* What the next chunk needs loaded from offset: at least the header at 0, at most the window;
 * clipped to the end of storage when clip_to_storage. */
uint32_t test_window_needed(const test_window_t *w, uint32_t offset, size_t next_chunk_size,
                            bool clip_to_storage);

bool test_window_holds(const test_window_t *w, uint32_t offset, uint32_t len);

/* Whether the next chunk, from next_read, needs a load (needed as above); if so the window is
 * aimed at it: start at next_read, valid as much as fits, for the glue to load. */
bool test_window_aim(test_window_t *w, size_t next_chunk_size, bool clip_to_storage);

/* The glue has cleared the storage: nothing to send until the next boot, reads are erased. */
void test_window_clear(test_window_t *w);

/* memfault_coredump_read() from the window: erased bytes once consumed, false for bytes it
 * does not hold; a payload read moves next_read past it (the header peek does not). */
bool test_window_read(test_window_t *w, uint32_t offset, void *data, size_t len);

#endif
