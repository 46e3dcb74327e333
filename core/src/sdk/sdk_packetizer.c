/*
 * The default instance behind the SDK-style names: the one place in core/
 * with state outside a caller-owned struct, because the SDK API has no handle.
 *
 * What never changes is const, in flash, as the SDK's own data sources are:
 * the coredump source calls the platform's functions directly (no storage
 * port in between) and the config lists that one source. RAM is the
 * packetizer, the storage size the last peek found and the last error.
 */
#include "memfault/core/data_packetizer.h"
#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"
#include "memfault/util/crc16.h"

#include "chunkcore/coredump.h"
#include "chunkcore/crc16.h"
#include "chunkcore/error.h"
#include "chunkcore/packetizer.h"

#include <string.h>

static struct {
    uint32_t storage_bytes; /* as the last peek found it; no read comes before a peek */
    int last_rc;
} s_sdk;

/*
 * The coredump source of chunkcore/coredump.h, over memfault_coredump_read():
 * the same peek (judged by chunkcore_coredump_judge_header), the same reads,
 * with the bytes a damaged header claims past the storage sent as the marker
 * without asking the platform.
 */
static int sdk_coredump_has_message(void *ctx, uint32_t *payload_bytes)
{
    sMfltCoredumpStorageInfo info = {0, 0};
    uint8_t hdr[CHUNKCORE_COREDUMP_HEADER_BYTES];
    (void)ctx;
    memfault_platform_coredump_storage_get_info(&info);
    if (info.size < sizeof(hdr) || !memfault_coredump_read(0, hdr, sizeof(hdr))) {
        return 0;
    }
    s_sdk.storage_bytes = info.size < UINT32_MAX ? (uint32_t)info.size : UINT32_MAX;
    return chunkcore_coredump_judge_header(hdr, payload_bytes);
}

/* A false is the platform's read routine refusing, not a flash error: it may
 * not have touched the flash at all (an async port whose window lacks the bytes). */
static int sdk_coredump_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    uint32_t end = s_sdk.storage_bytes;
    size_t stored = offset < end ? end - offset : 0;
    (void)ctx;
    if (stored >= len) {
        return memfault_coredump_read(offset, buf, len) ? 0 : CHUNKCORE_E_READ_REFUSED;
    }
    memset((uint8_t *)buf + stored, CHUNKCORE_COREDUMP_PAST_END_BYTE, len - stored);
    return stored == 0 || memfault_coredump_read(offset, buf, stored) ? 0
                                                                      : CHUNKCORE_E_READ_REFUSED;
}

static int sdk_coredump_mark_read(void *ctx)
{
    (void)ctx;
    memfault_platform_coredump_storage_clear();
    return 0;
}

static const chunkcore_source_t s_sdk_coredump = {
    .has_message = sdk_coredump_has_message,
    .read = sdk_coredump_read,
    .mark_read = sdk_coredump_mark_read,
};

static const chunkcore_packetizer_config_t s_sdk_cfg = {
    .sources = {[CHUNKCORE_MSG_COREDUMP] = &s_sdk_coredump},
};

/* Ready from reset: no init call, no check for one. */
static chunkcore_packetizer_t s_sdk_pkt = CHUNKCORE_PACKETIZER_INITIALIZER(&s_sdk_cfg);

#if !CHUNKCORE_CRC16_BUILTIN
/* The board's CRC by the SDK's name, as the SDK with MEMFAULT_CRC16_BUILTIN = 0 has it. */
uint16_t chunkcore_crc16_update(uint16_t crc, const void *data, size_t len)
{
    return memfault_crc16_compute(crc, data, len);
}
#endif

/* What the last call's core function returned: chunkcore_sdk_last_error() reads it. */
static int sdk_note(int rc)
{
    s_sdk.last_rc = rc;
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
                 : chunkcore_packetizer_get_chunk(&s_sdk_pkt, buf, buf_len);
    return sdk_note(rc) == CHUNKCORE_OK;
}

bool memfault_packetizer_begin(const sMemfaultPacketizerConfig *cfg,
                               sMemfaultPacketizerMetadata *metadata_out)
{
    int rc = CHUNKCORE_E_INVAL;
    if (cfg != NULL && metadata_out != NULL) {
        chunkcore_msg_info_t info = {0, 0, 0, 0};
        rc = chunkcore_packetizer_begin(&s_sdk_pkt, cfg->enable_multi_packet_chunk, &info);
        metadata_out->send_in_progress = rc > 0 && info.sent_bytes > 0;
        metadata_out->single_chunk_message_length = rc > 0 ? info.single_chunk_bytes : 0;
    }
    return sdk_note(rc) > 0;
}

eMemfaultPacketizerStatus memfault_packetizer_get_next(void *buf, size_t *buf_len)
{
    int rc = (buf == NULL || buf_len == NULL) ? CHUNKCORE_E_INVAL
                                              : chunkcore_packetizer_next(&s_sdk_pkt, buf, buf_len);
    return sdk_note(rc) > 0 ? (eMemfaultPacketizerStatus)rc : kMemfaultPacketizerStatus_NoMoreData;
}

void memfault_packetizer_abort(void)
{
    chunkcore_packetizer_abort(&s_sdk_pkt);
}

bool memfault_packetizer_data_available(void)
{
    return sdk_note(chunkcore_packetizer_data_available(&s_sdk_pkt)) > 0;
}

void memfault_packetizer_set_active_sources(uint32_t mask)
{
    chunkcore_packetizer_set_active_sources(&s_sdk_pkt, mask);
}

int chunkcore_sdk_last_error(void)
{
    int rc = s_sdk.last_rc;
    return (rc < 0 && rc != CHUNKCORE_E_NODATA) ? rc : 0;
}
