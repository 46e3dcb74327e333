/*
 * The test SDK copy's coredump data source, shaped as the SDK's
 * memfault_coredump.c is: a weak default memfault_coredump_read(), and the
 * data source that points at it from the same file. A port's own definition
 * (the nRF5 and nRF Connect SDK ports have one) then replaces the default at
 * link time, and no call to it crosses a file edge that -Wl,--wrap could
 * see: sim/firmware/interpose.sh must catch it where it is defined. The
 * packetizer reads through the source with FAKE_SDK_DATA_SOURCE
 * (fake_packetizer.c).
 */
#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"

bool (*const fake_sdk_coredump_source_read)(uint32_t offset, void *data,
                                            size_t read_len) = memfault_coredump_read;

__attribute__((weak)) bool memfault_coredump_read(uint32_t offset, void *data, size_t read_len)
{
    return memfault_platform_coredump_storage_read(offset, data, read_len);
}
