/*
 * Only memfault/... and standard headers here: this file compiling and
 * working against chunkcore_sdk is the proof of source compatibility.
 */
#include "sdk_glue_app.h"

#include "memfault/core/data_packetizer.h"
#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GLUE_MAX_CHUNK_BYTES 2048u

static uint8_t s_storage[SDK_GLUE_STORAGE_BYTES];
static sdk_glue_stats_t s_stats;
static unsigned s_chunks_sent;
static bool s_async_clear;
static bool s_clearing; /* an asynchronous clear's erase is in flight */
static uint32_t s_refuse_from = UINT32_MAX;

/* ---- the platform's coredump storage ---- */

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info)
{
    info->size = sizeof(s_storage);
    info->sector_size = SDK_GLUE_SECTOR_BYTES;
}

bool memfault_platform_coredump_storage_read(uint32_t offset, void *data, size_t read_len)
{
    if (s_clearing || offset > sizeof(s_storage) || read_len > sizeof(s_storage) - offset ||
        offset + read_len > s_refuse_from) {
        return false;
    }
    memcpy(data, s_storage + offset, read_len);
    s_stats.reads++;
    return true;
}

void memfault_platform_coredump_storage_clear(void)
{
    /* A zero byte at offset 0 breaks the header magic: enough to invalidate. */
    s_storage[0] = 0;
    s_stats.clear_calls++;
    s_stats.chunks_before_clear = s_chunks_sent;
    s_stats.clear_in_call = s_stats.get_chunk_calls + 1; /* the call in progress */
    s_clearing = s_async_clear;
}

void sdk_glue_use_async_clear(bool on)
{
    s_async_clear = on;
}

void sdk_glue_finish_clear(void)
{
    s_clearing = false;
}

/* ---- the sender ---- */

void sdk_glue_storage_load(const uint8_t *image, size_t image_bytes)
{
    memset(s_storage, 0xFF, sizeof(s_storage));
    memcpy(s_storage, image, image_bytes);
    memset(&s_stats, 0, sizeof(s_stats));
    s_chunks_sent = 0;
    s_async_clear = false;
    s_clearing = false;
    s_refuse_from = UINT32_MAX;
    memfault_packetizer_set_active_sources(kMfltDataSourceMask_All); /* drops any old message */
}

void sdk_glue_refuse_reads_from(uint32_t offset)
{
    s_refuse_from = offset;
}

const sdk_glue_stats_t *sdk_glue_stats(void)
{
    return &s_stats;
}

static void glue_send(sdk_glue_send_cb send, void *ctx, const uint8_t *buf, size_t len)
{
    s_stats.get_chunk_calls++;
    send(ctx, buf, len);
    s_chunks_sent++;
}

unsigned sdk_glue_send_some(size_t chunk_bytes, unsigned max_chunks, sdk_glue_send_cb send,
                            void *ctx)
{
    uint8_t buf[GLUE_MAX_CHUNK_BYTES];
    unsigned sent = 0;
    while (sent < max_chunks) {
        size_t len = chunk_bytes;
        if (!memfault_packetizer_get_chunk(buf, &len)) {
            break;
        }
        glue_send(send, ctx, buf, len);
        sent++;
    }
    return sent;
}

unsigned sdk_glue_send_all(size_t chunk_bytes, sdk_glue_send_cb send, void *ctx)
{
    return sdk_glue_send_some(chunk_bytes, SDK_GLUE_MAX_CHUNKS_PER_DRAIN, send, ctx);
}

unsigned sdk_glue_send_one_multi(size_t piece_bytes, sdk_glue_send_cb send, void *ctx,
                                 uint32_t *single_chunk_bytes, bool *in_progress)
{
    const sMemfaultPacketizerConfig cfg = {.enable_multi_packet_chunk = true};
    sMemfaultPacketizerMetadata md;
    if (!memfault_packetizer_begin(&cfg, &md)) {
        return 0;
    }
    *single_chunk_bytes = md.single_chunk_message_length;
    *in_progress = md.send_in_progress;
    uint8_t buf[GLUE_MAX_CHUNK_BYTES];
    unsigned pieces = 0;
    while (pieces < SDK_GLUE_MAX_CHUNKS_PER_DRAIN) {
        size_t len = piece_bytes;
        eMemfaultPacketizerStatus st = memfault_packetizer_get_next(buf, &len);
        if (st == kMemfaultPacketizerStatus_NoMoreData) {
            return pieces;
        }
        glue_send(send, ctx, buf, len);
        pieces++;
        if (st == kMemfaultPacketizerStatus_EndOfChunk) {
            return pieces;
        }
    }
    return pieces;
}

bool sdk_glue_send_first_multi_piece(size_t piece_bytes, sdk_glue_send_cb send, void *ctx)
{
    const sPacketizerConfig cfg = {.enable_multi_packet_chunk = true}; /* older spelling */
    sPacketizerMetadata md;
    if (!memfault_packetizer_begin(&cfg, &md)) {
        return false;
    }
    uint8_t buf[GLUE_MAX_CHUNK_BYTES];
    size_t len = piece_bytes;
    if (memfault_packetizer_get_next(buf, &len) != kMemfaultPacketizerStatus_MoreDataForChunk) {
        return false;
    }
    glue_send(send, ctx, buf, len);
    return true;
}

bool sdk_glue_has_data(void)
{
    return memfault_packetizer_data_available();
}

void sdk_glue_link_lost(void)
{
    memfault_packetizer_abort();
}

void sdk_glue_pause_coredumps(void)
{
    memfault_packetizer_set_active_sources(kMfltDataSourceMask_All & ~kMfltDataSourceMask_Coredump);
}

void sdk_glue_resume_coredumps(void)
{
    memfault_packetizer_set_active_sources(kMfltDataSourceMask_All);
}
