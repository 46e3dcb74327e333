/*
 * What the platform provides for coredump storage (docs/design.md, "The
 * firmware contract"). The packetizer reads coredump bytes through
 * memfault_coredump_read() (see memfault/panics/coredump.h); an async port
 * overrides that routine to serve reads from its RAM window and implements
 * the prepare step below.
 */
#ifndef MEMFAULT_PANICS_PLATFORM_COREDUMP_H
#define MEMFAULT_PANICS_PLATFORM_COREDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct MfltCoredumpStorageInfo {
    size_t size;
    size_t sector_size;
} sMfltCoredumpStorageInfo;

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info);
bool memfault_platform_coredump_storage_read(uint32_t offset, void *data, size_t read_len);
bool memfault_platform_coredump_storage_erase(uint32_t offset, size_t erase_size);
void memfault_platform_coredump_storage_clear(void);

/* The async pattern's preload step: true when a read was dispatched and the caller must wait. */
bool memfault_platform_coredump_prepare_async(size_t next_chunk_size);

#ifdef __cplusplus
}
#endif

#endif
