#include "chunkcore/coredump.h"
#include "chunkcore/error.h"

#include <string.h>

static uint32_t coredump_le32(const uint8_t *b)
{
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

/*
 * The header peek: a read at offset 0 outside the payload stream. A port
 * error is passed up rather than taken for "no coredump": an async port that
 * has not loaded the header yet must not make a stored coredump look absent.
 */
static int coredump_has_message(void *ctx, uint32_t *payload_bytes)
{
    chunkcore_coredump_t *cd = ctx;
    chunkcore_storage_info_t info = {0, 0};
    uint8_t hdr[CHUNKCORE_COREDUMP_HEADER_BYTES];

    int rc = cd->port.get_info(cd->port.ctx, &info);
    if (rc < 0) {
        return rc;
    }
    if (info.size_bytes < sizeof(hdr)) {
        return 0;
    }
    rc = cd->port.read(cd->port.ctx, 0, hdr, sizeof(hdr));
    if (rc < 0) {
        return rc;
    }
    uint32_t total = coredump_le32(hdr + 8);
    if (coredump_le32(hdr) != CHUNKCORE_COREDUMP_MAGIC ||
        coredump_le32(hdr + 4) != CHUNKCORE_COREDUMP_VERSION) {
        return 0;
    }
    /* A committed header whose size does not fit the storage cannot be streamed. */
    if (total < sizeof(hdr) || total > info.size_bytes) {
        return CHUNKCORE_E_CORRUPT;
    }
    *payload_bytes = total;
    return 1;
}

static int coredump_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    chunkcore_coredump_t *cd = ctx;
    return cd->port.read(cd->port.ctx, offset, buf, len);
}

static int coredump_mark_read(void *ctx)
{
    chunkcore_coredump_t *cd = ctx;
    return cd->port.clear(cd->port.ctx);
}

static uint32_t coredump_avail(void *ctx, uint32_t offset, uint32_t want)
{
    chunkcore_coredump_t *cd = ctx;
    return cd->port.avail(cd->port.ctx, offset, want);
}

const chunkcore_source_t *chunkcore_coredump_init(chunkcore_coredump_t *cd,
                                                  const chunkcore_storage_port_t *port)
{
    cd->port = *port;
    cd->source.has_message = coredump_has_message;
    cd->source.read = coredump_read;
    cd->source.mark_read = coredump_mark_read;
    cd->source.avail = port->avail ? coredump_avail : NULL;
    cd->source.ctx = cd;
    cd->source.sequential_only = port->sequential_only;
    return &cd->source;
}
