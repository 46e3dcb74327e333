/*
 * A storage port over a RAM array, for host programs that drive core/
 * synchronously (bench_core): the simplest board there is.
 */
#ifndef CHUNKSIM_TOOLS_RAM_STORAGE_H
#define CHUNKSIM_TOOLS_RAM_STORAGE_H

#include "chunkcore/storage.h"

#include <stdint.h>
#include <string.h>

typedef struct ram_storage {
    uint8_t *bytes;
    uint32_t size_bytes;
    int clears;
} ram_storage_t;

static inline int ram_storage_get_info(void *ctx, chunkcore_storage_info_t *info)
{
    ram_storage_t *s = ctx;
    info->size_bytes = s->size_bytes;
    info->sector_bytes = 4096;
    return 0;
}

static inline int ram_storage_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    ram_storage_t *s = ctx;
    memcpy(buf, s->bytes + offset, len);
    return 0;
}

static inline int ram_storage_clear(void *ctx)
{
    ram_storage_t *s = ctx;
    s->clears++;
    return 0;
}

static inline chunkcore_storage_port_t ram_storage_port(ram_storage_t *s)
{
    const chunkcore_storage_port_t port = {
        .get_info = ram_storage_get_info,
        .read = ram_storage_read,
        .clear = ram_storage_clear,
        .ctx = s,
    };
    return port;
}

#endif
