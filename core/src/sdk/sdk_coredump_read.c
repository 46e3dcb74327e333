/* Alone in this file so that a platform's own memfault_coredump_read() wins at link time. */
#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"

bool memfault_coredump_read(uint32_t offset, void *data, size_t read_len)
{
    return memfault_platform_coredump_storage_read(offset, data, read_len);
}
