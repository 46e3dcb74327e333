/*
 * Coredump data source (docs/chunk-format.md §11): a stored coredump, behind a storage
 * port, offered to the packetizer as one message whose payload is the whole
 * image [0, total size).
 *
 * Before a message starts the source peeks at the 12-byte header at offset 0
 * (magic "CORE", version 2, total size); payload reads then stream forward;
 * consuming the message clears the storage through the port.
 *
 * The peek judges the header as the SDK does, so that a device behaves the
 * same with either:
 *   - the magic alone makes a coredump, whatever the version says;
 *   - a header read the port fails means "no coredump" (a port may refuse
 *     reads while its asynchronous clear runs); a failed payload read is an
 *     error the caller sees, and the same chunk can be asked for again;
 *   - the total size is announced as stored, even when it is below the
 *     header's 12 bytes or beyond the storage: the damaged coredump is sent
 *     and cleared, and the receiver decides what it is worth. Refusing it
 *     would keep it, and every source behind it, from ever being sent.
 *     Bytes past the end of the storage are not asked of the port; they are
 *     sent as CHUNKCORE_COREDUMP_PAST_END_BYTE.
 * Only a get_info error is passed up.
 */
#ifndef CHUNKCORE_COREDUMP_H
#define CHUNKCORE_COREDUMP_H

#include "chunkcore/packetizer.h"
#include "chunkcore/storage.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CHUNKCORE_COREDUMP_MAGIC        0x45524F43u /* "CORE" little-endian */
#define CHUNKCORE_COREDUMP_FOOTER_MAGIC 0x504D5544u /* "DUMP" */
#define CHUNKCORE_COREDUMP_VERSION      2u
#define CHUNKCORE_COREDUMP_HEADER_BYTES 12u
#define CHUNKCORE_COREDUMP_FOOTER_BYTES 16u
/* What a message carries for bytes a damaged header claims past the storage:
 * the marker the SDK writes where a coredump read failed. */
#define CHUNKCORE_COREDUMP_PAST_END_BYTE 0xEFu

typedef struct chunkcore_coredump {
    chunkcore_storage_port_t port;
    chunkcore_source_t source;
    uint32_t storage_bytes; /* as the last peek found it; reads past it are not the port's */
} chunkcore_coredump_t;

/* The largest payload a message can announce: the message length (header +
 * payload) and the single-chunk length (+ 3) must fit 32 bits. */
#define CHUNKCORE_COREDUMP_MAX_PAYLOAD_BYTES (UINT32_MAX - CHUNKCORE_MSG_HDR_MAX_BYTES - 3u)

static inline uint32_t chunkcore_coredump_le32(const uint8_t *b)
{
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

/*
 * The peek's verdict on the CHUNKCORE_COREDUMP_HEADER_BYTES read at offset 0,
 * as above: 1 and the payload size the message announces, or 0 when the
 * magic says there is no coredump. Shared with the coredump source built
 * over other storage calls (the SDK-style layer's), so that both judge alike;
 * inline, because each has one call and the call would cost more.
 */
static inline int chunkcore_coredump_judge_header(const uint8_t *hdr, uint32_t *payload_bytes)
{
    if (chunkcore_coredump_le32(hdr) != CHUNKCORE_COREDUMP_MAGIC) {
        return 0;
    }
    uint32_t total = chunkcore_coredump_le32(hdr + 8);
    *payload_bytes =
        total < CHUNKCORE_COREDUMP_MAX_PAYLOAD_BYTES ? total : CHUNKCORE_COREDUMP_MAX_PAYLOAD_BYTES;
    return 1;
}

/* Copies the port; returns the source to list in the packetizer config. */
const chunkcore_source_t *chunkcore_coredump_init(chunkcore_coredump_t *cd,
                                                  const chunkcore_storage_port_t *port);

#ifdef __cplusplus
}
#endif

#endif
