/*
 * Storage port: how the coredump source reaches the stored coredump. A board
 * fills it with its flash driver (synchronous reads), or with the async read
 * core, which serves reads from a RAM window it filled beforehand.
 */
#ifndef CHUNKCORE_STORAGE_H
#define CHUNKCORE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct chunkcore_storage_info {
    uint32_t size_bytes;   /* bytes of storage set aside for the coredump */
    uint32_t sector_bytes; /* erase granularity */
} chunkcore_storage_info_t;

typedef struct chunkcore_storage_port {
    int (*get_info)(void *ctx, chunkcore_storage_info_t *info);
    /* 0 with len bytes at offset in buf, or a negative code. */
    int (*read)(void *ctx, uint32_t offset, void *buf, size_t len);
    /* Invalidate the stored coredump. 0 or a negative code. */
    int (*clear)(void *ctx);
    /* Optional, see chunkcore_msg_reader_t.avail. */
    uint32_t (*avail)(void *ctx, uint32_t offset, uint32_t want);
    void *ctx;
    /* Reads are served from a forward-only stream (RLE impossible). */
    bool sequential_only;
} chunkcore_storage_port_t;

#ifdef __cplusplus
}
#endif

#endif
