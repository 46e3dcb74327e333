/*
 * SDK-compatible packetizer names (docs/design.md, "The firmware contract";
 * multi-call mode: docs/chunk-format.md §9), so application glue written
 * against the widely deployed SDK compiles against chunkcore as is.
 * A thin layer over chunkcore/packetizer.h with one default instance whose
 * only source is the stored coredump (see memfault/panics/platform/coredump.h).
 */
#ifndef MEMFAULT_CORE_DATA_PACKETIZER_H
#define MEMFAULT_CORE_DATA_PACKETIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MEMFAULT_PACKETIZER_MIN_BUF_LEN 9

typedef struct {
    bool enable_multi_packet_chunk;
} sMemfaultPacketizerConfig;

typedef struct {
    bool send_in_progress;
    uint32_t single_chunk_message_length; /* message length + 3 */
} sMemfaultPacketizerMetadata;

/* Older SDK releases spell them so. */
typedef sMemfaultPacketizerConfig sPacketizerConfig;
typedef sMemfaultPacketizerMetadata sPacketizerMetadata;

typedef enum {
    kMemfaultPacketizerStatus_NoMoreData = 0,
    kMemfaultPacketizerStatus_EndOfChunk = 1,
    kMemfaultPacketizerStatus_MoreDataForChunk = 2
} eMemfaultPacketizerStatus;

/* Sources for memfault_packetizer_set_active_sources(): bit (1 << message type), numbered as
 * the SDK numbers them. Only the coredump source exists here; the others select nothing. */
typedef enum {
    kMfltDataSourceMask_None = (1 << 0),
    kMfltDataSourceMask_Coredump = (1 << 1),
    kMfltDataSourceMask_Event = (1 << 2),
    kMfltDataSourceMask_Log = (1 << 3),
    kMfltDataSourceMask_Cdr = (1 << 4),
    kMfltDataSourceMask_All = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4)
} eMfltDataSourceMask;

/*
 * At the edges these behave as the SDK's:
 *   - nothing to send (get_chunk, begin) or no message begun (get_next):
 *     false / NoMoreData with *buf_len untouched; begin zeroes the metadata;
 *   - a buffer under MEMFAULT_PACKETIZER_MIN_BUF_LEN: false / NoMoreData
 *     with *buf_len = 0 and nothing of the message consumed. get_chunk has
 *     selected the message by then (in normal mode, as begin would), so a
 *     later begin continues that message as it was started;
 *   - a NULL argument: false / NoMoreData, and nothing else happens.
 */
bool memfault_packetizer_get_chunk(void *buf, size_t *buf_len);
bool memfault_packetizer_begin(const sMemfaultPacketizerConfig *cfg,
                               sMemfaultPacketizerMetadata *metadata_out);
eMemfaultPacketizerStatus memfault_packetizer_get_next(void *buf, size_t *buf_len);
void memfault_packetizer_abort(void);
bool memfault_packetizer_data_available(void);
void memfault_packetizer_set_active_sources(uint32_t mask);

/*
 * chunkcore extension: the negative CHUNKCORE_E_* code behind the last false
 * or NoMoreData (0 when there was simply nothing to send, CHUNKCORE_E_INVAL
 * for a NULL argument). The SDK API cannot tell "nothing to send" from "the
 * read failed"; this can. A header read that fails is "nothing to send", as
 * the SDK has it (memfault/panics/coredump.h).
 */
int chunkcore_sdk_last_error(void);

#ifdef __cplusplus
}
#endif

#endif
