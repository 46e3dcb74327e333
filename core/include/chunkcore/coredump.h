/*
 * Coredump data source (spec section 9): a stored coredump, behind a storage
 * port, offered to the packetizer as one message whose payload is the whole
 * image [0, total size).
 *
 * Before a message starts the source peeks at the 12-byte header at offset 0
 * (magic "CORE", version 2, total size); payload reads then stream forward;
 * consuming the message clears the storage through the port.
 */
#ifndef CHUNKCORE_COREDUMP_H
#define CHUNKCORE_COREDUMP_H

#include "chunkcore/packetizer.h"
#include "chunkcore/storage.h"

#include <stdint.h>

#define CHUNKCORE_COREDUMP_MAGIC        0x45524F43u /* "CORE" little-endian */
#define CHUNKCORE_COREDUMP_FOOTER_MAGIC 0x504D5544u /* "DUMP" */
#define CHUNKCORE_COREDUMP_VERSION      2u
#define CHUNKCORE_COREDUMP_HEADER_BYTES 12u
#define CHUNKCORE_COREDUMP_FOOTER_BYTES 16u

typedef struct chunkcore_coredump {
    chunkcore_storage_port_t port;
    chunkcore_source_t source;
} chunkcore_coredump_t;

/* Copies the port; returns the source to list in the packetizer config. */
const chunkcore_source_t *chunkcore_coredump_init(chunkcore_coredump_t *cd,
                                                  const chunkcore_storage_port_t *port);

#endif
