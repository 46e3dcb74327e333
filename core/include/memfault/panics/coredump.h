/*
 * The routine the packetizer reads coredump bytes through: the header peek at
 * offset 0 and every payload read. chunkcore's default forwards to
 * memfault_platform_coredump_storage_read(); a platform that defines its own
 * memfault_coredump_read() (an async port serving a RAM window) replaces it
 * at link time, because the default sits alone in its own object file.
 *
 * As in the SDK, false for the header peek means "no coredump": a port may
 * refuse every read while its asynchronous clear is in progress. false for
 * a payload read is an error: the chunk is not produced, and the same call
 * may be made again (chunkcore_sdk_last_error() says CHUNKCORE_E_READ_REFUSED).
 */
#ifndef MEMFAULT_PANICS_COREDUMP_H
#define MEMFAULT_PANICS_COREDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

bool memfault_coredump_read(uint32_t offset, void *data, size_t read_len);

#ifdef __cplusplus
}
#endif

#endif
