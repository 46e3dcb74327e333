#include "chunkcore/coredump.h"

#include <string.h>

/*
 * The header peek: a read at offset 0 outside the payload stream, judged as
 * coredump.h says. A refused read is "no coredump" even for an async port
 * that merely has not loaded the header yet: the SDK cannot tell either.
 * Whoever must tell the two apart watches the port's read, whose result is
 * only not passed up.
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
    if (info.size_bytes < sizeof(hdr) || cd->port.read(cd->port.ctx, 0, hdr, sizeof(hdr)) < 0) {
        return 0;
    }
    cd->storage_bytes = info.size_bytes;
    return chunkcore_coredump_judge_header(hdr, payload_bytes);
}

/* One port read for the stored part; the marker for what lies past the storage. */
static int coredump_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    chunkcore_coredump_t *cd = ctx;
    size_t stored = 0;
    if (offset < cd->storage_bytes) {
        stored = cd->storage_bytes - offset;
        stored = stored < len ? stored : len;
        int rc = cd->port.read(cd->port.ctx, offset, buf, stored);
        if (rc < 0) {
            return rc;
        }
    }
    if (stored < len) {
        memset((uint8_t *)buf + stored, CHUNKCORE_COREDUMP_PAST_END_BYTE, len - stored);
    }
    return 0;
}

static int coredump_mark_read(void *ctx)
{
    chunkcore_coredump_t *cd = ctx;
    return cd->port.clear(cd->port.ctx);
}

/* Past the storage the port knows nothing ("unknown", 0): the read is attempted and served
 * with the marker. */
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
    cd->source.run_length_encoded = false; /* chunkcore_rle_init() wraps it for that */
    /* Until a peek has found the storage's size, every read is the port's. */
    cd->storage_bytes = UINT32_MAX;
    return &cd->source;
}
