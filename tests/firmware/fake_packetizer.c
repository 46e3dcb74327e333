/*
 * The test firmware's packetizer: chunksim's SDK-style layer (core/src/sdk)
 * as the packetizer of a firmware object, standing where the SDK's
 * memfault_data_packetizer.c stands in a user's SDK copy (fake_sdk.cmake
 * lays the copy out). With one of these defined it is broken or marked on
 * purpose, the way a defect in a user's SDK copy would be compiled in:
 *
 *   FAKE_SDK_READS_TWICE      every payload read after the first is made as
 *                             two reads in order, its first half, then the rest
 *   FAKE_SDK_READS_BACKWARDS  every payload read after the first is made as
 *                             two reads, its second half first
 *   FAKE_SDK_IGNORES_READ_ERRORS  a read that fails is taken as done, as the
 *                             SDK's chunk reader takes it
 *   FAKE_SDK_HIDDEN_READS     every read goes to the port's storage read past
 *                             the --wrap, as the nRF5 port's own
 *                             memfault_coredump_read() does from inside its file
 *   FAKE_SDK_DATA_SOURCE      every read goes through the coredump data
 *                             source, as the SDK's packetizer reads
 *   FAKE_SDK_CHUNK_LIMIT=N    no chunk is longer than N bytes, whatever room
 *                             the application offers: chunksim's packetizer
 *                             fills the room, so the chunks show whose ran
 *
 * The header peek (offset 0) and the first payload read are left alone, so
 * that the defect shows in the chunk after the first.
 */
#include "memfault/core/data_packetizer.h"
#include "memfault/panics/coredump.h"

#include <stdint.h>

#if defined(FAKE_SDK_READS_TWICE) || defined(FAKE_SDK_READS_BACKWARDS)
static bool fake_sdk_read(uint32_t offset, void *data, size_t len)
{
    uint8_t *bytes = data;
    size_t half = len / 2;
    if (offset == 0) {
        return memfault_coredump_read(offset, data, len);
    }
#if defined(FAKE_SDK_READS_TWICE)
    return memfault_coredump_read(offset, bytes, half) &&
           memfault_coredump_read(offset + (uint32_t)half, bytes + half, len - half);
#else
    return memfault_coredump_read(offset + (uint32_t)half, bytes + half, len - half) &&
           (half == 0 || memfault_coredump_read(offset, bytes, half));
#endif
}
#define memfault_coredump_read fake_sdk_read
#endif

#if defined(FAKE_SDK_IGNORES_READ_ERRORS)
static bool fake_sdk_read_ignoring(uint32_t offset, void *data, size_t len)
{
    (void)memfault_coredump_read(offset, data, len);
    return true;
}
#define memfault_coredump_read fake_sdk_read_ignoring
#endif

#if defined(FAKE_SDK_HIDDEN_READS)
bool __real_memfault_platform_coredump_storage_read(uint32_t offset, void *data, size_t len);
#define memfault_coredump_read __real_memfault_platform_coredump_storage_read
#endif

#if defined(FAKE_SDK_DATA_SOURCE)
/* As the SDK's packetizer: every read through the coredump data source (fake_coredump_source.c). */
extern bool (*const fake_sdk_coredump_source_read)(uint32_t offset, void *data, size_t len);
static bool fake_sdk_source_read(uint32_t offset, void *data, size_t len)
{
    return fake_sdk_coredump_source_read(offset, data, len);
}
#define memfault_coredump_read fake_sdk_source_read
#endif

#if defined(FAKE_SDK_CHUNK_LIMIT)
#define memfault_packetizer_get_chunk fake_sdk_get_chunk
bool fake_sdk_get_chunk(void *buf, size_t *buf_len);
#endif

#include "../../core/src/sdk/sdk_packetizer.c"

#if defined(FAKE_SDK_CHUNK_LIMIT)
#undef memfault_packetizer_get_chunk
bool memfault_packetizer_get_chunk(void *buf, size_t *buf_len);

bool memfault_packetizer_get_chunk(void *buf, size_t *buf_len)
{
    if (buf_len != NULL && *buf_len > FAKE_SDK_CHUNK_LIMIT) {
        *buf_len = FAKE_SDK_CHUNK_LIMIT;
    }
    return fake_sdk_get_chunk(buf, buf_len);
}
#endif
