/*
 * SDK-compatible packetizer names (spec section 11), so application glue
 * written against the widely deployed SDK compiles against chunkcore as is.
 * A thin layer over chunkcore/packetizer.h with one default instance whose
 * only source is the stored coredump (see memfault/panics/platform/coredump.h).
 */
#ifndef MEMFAULT_CORE_DATA_PACKETIZER_H
#define MEMFAULT_CORE_DATA_PACKETIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

bool memfault_packetizer_get_chunk(void *buf, size_t *buf_len);
bool memfault_packetizer_begin(const sMemfaultPacketizerConfig *cfg,
                               sMemfaultPacketizerMetadata *metadata_out);
eMemfaultPacketizerStatus memfault_packetizer_get_next(void *buf, size_t *buf_len);
void memfault_packetizer_abort(void);
bool memfault_packetizer_data_available(void);
void memfault_packetizer_set_active_sources(uint32_t mask);

/*
 * chunkcore extension: the negative CHUNKCORE_E_* code behind the last false
 * or NoMoreData (0 when there was simply nothing to send). The SDK API cannot
 * tell "nothing to send" from "the read failed"; this can.
 */
int chunkcore_sdk_last_error(void);

#endif
