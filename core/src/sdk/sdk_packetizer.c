/*
 * The default instance behind the SDK-style names: the one place in core/
 * with state outside a caller-owned struct, because the SDK API has no handle.
 */
#include "memfault/core/data_packetizer.h"
#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"

#include "chunkcore/coredump.h"
#include "chunkcore/error.h"
#include "chunkcore/packetizer.h"

#include <string.h>

static int sdk_storage_get_info(void *ctx, chunkcore_storage_info_t *info)
{
    sMfltCoredumpStorageInfo sdk = {0, 0};
    (void)ctx;
    memfault_platform_coredump_storage_get_info(&sdk);
    info->size_bytes = (uint32_t)sdk.size;
    info->sector_bytes = (uint32_t)sdk.sector_size;
    return 0;
}

/* A false is the platform's read routine refusing, not a flash error: it may
 * not have touched the flash at all (an async port whose window lacks the bytes). */
static int sdk_storage_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    (void)ctx;
    return memfault_coredump_read(offset, buf, len) ? 0 : CHUNKCORE_E_READ_REFUSED;
}

static int sdk_storage_clear(void *ctx)
{
    (void)ctx;
    memfault_platform_coredump_storage_clear();
    return 0;
}

static struct {
    chunkcore_coredump_t coredump;
    chunkcore_packetizer_config_t cfg;
    chunkcore_packetizer_t pkt;
    int last_error;
    bool ready;
} s_sdk;

static chunkcore_packetizer_t *sdk_instance(void)
{
    static const chunkcore_storage_port_t port = {
        .get_info = sdk_storage_get_info,
        .read = sdk_storage_read,
        .clear = sdk_storage_clear,
    };
    if (!s_sdk.ready) {
        s_sdk.cfg.sources[CHUNKCORE_MSG_COREDUMP] = chunkcore_coredump_init(&s_sdk.coredump, &port);
        (void)chunkcore_packetizer_init(&s_sdk.pkt, &s_sdk.cfg);
        s_sdk.ready = true;
    }
    return &s_sdk.pkt;
}

static int sdk_note(int rc)
{
    s_sdk.last_error = (rc < 0 && rc != CHUNKCORE_E_NODATA) ? rc : 0;
    return rc;
}

/* The SDK's masks are bit (1 << message type), as chunkcore's source mask is; a
 * negative array size stops the build otherwise (C99 has no _Static_assert). */
#define SDK_MASK_IS_TYPE_BIT(mask, type) ((mask) == (1 << (type)))
typedef char sdk_masks_are_type_bits
    [SDK_MASK_IS_TYPE_BIT(kMfltDataSourceMask_Coredump, CHUNKCORE_MSG_COREDUMP) &&
             SDK_MASK_IS_TYPE_BIT(kMfltDataSourceMask_Event, CHUNKCORE_MSG_EVENT) &&
             SDK_MASK_IS_TYPE_BIT(kMfltDataSourceMask_Log, CHUNKCORE_MSG_LOG) &&
             SDK_MASK_IS_TYPE_BIT(kMfltDataSourceMask_Cdr, CHUNKCORE_MSG_CDR)
         ? 1
         : -1];

/* A NULL argument is refused before anything happens (the SDK logs it and does the same). */
bool memfault_packetizer_get_chunk(void *buf, size_t *buf_len)
{
    int rc = (buf == NULL || buf_len == NULL)
                 ? CHUNKCORE_E_INVAL
                 : chunkcore_packetizer_get_chunk(sdk_instance(), buf, buf_len);
    return sdk_note(rc) == CHUNKCORE_OK;
}

bool memfault_packetizer_begin(const sMemfaultPacketizerConfig *cfg,
                               sMemfaultPacketizerMetadata *metadata_out)
{
    int rc = CHUNKCORE_E_INVAL;
    if (cfg != NULL && metadata_out != NULL) {
        chunkcore_msg_info_t info = {0, 0, 0, 0};
        rc = chunkcore_packetizer_begin(sdk_instance(), cfg->enable_multi_packet_chunk, &info);
        metadata_out->send_in_progress = rc > 0 && info.sent_bytes > 0;
        metadata_out->single_chunk_message_length = rc > 0 ? info.single_chunk_bytes : 0;
    }
    return sdk_note(rc) > 0;
}

eMemfaultPacketizerStatus memfault_packetizer_get_next(void *buf, size_t *buf_len)
{
    int rc = (buf == NULL || buf_len == NULL)
                 ? CHUNKCORE_E_INVAL
                 : chunkcore_packetizer_next(sdk_instance(), buf, buf_len);
    return sdk_note(rc) > 0 ? (eMemfaultPacketizerStatus)rc : kMemfaultPacketizerStatus_NoMoreData;
}

void memfault_packetizer_abort(void)
{
    chunkcore_packetizer_abort(sdk_instance());
}

bool memfault_packetizer_data_available(void)
{
    return sdk_note(chunkcore_packetizer_data_available(sdk_instance())) > 0;
}

void memfault_packetizer_set_active_sources(uint32_t mask)
{
    chunkcore_packetizer_set_active_sources(sdk_instance(), mask);
}

int chunkcore_sdk_last_error(void)
{
    return s_sdk.last_error;
}
