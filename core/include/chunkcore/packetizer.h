/*
 * Packetizer (docs/chunk-format.md §4 and §5): picks the next message from the data
 * sources in priority order (coredump, event, log, custom data), prefixes the
 * message header (type byte, optional project key) and hands it to the chunk
 * transport.
 *
 * Contract kept for asynchronous readers: one source read per chunk that
 * carries payload bytes, strictly sequential, never more than the chunk has
 * room for; header-only and CRC-only chunks read nothing.
 *
 * All state lives in chunkcore_packetizer_t, which the caller owns.
 */
#ifndef CHUNKCORE_PACKETIZER_H
#define CHUNKCORE_PACKETIZER_H

#include "chunkcore/transport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum chunkcore_msg_type {
    CHUNKCORE_MSG_NONE = 0,
    CHUNKCORE_MSG_COREDUMP = 1,
    CHUNKCORE_MSG_EVENT = 2,
    CHUNKCORE_MSG_LOG = 3,
    CHUNKCORE_MSG_CDR = 4, /* custom data recording */
    CHUNKCORE_MSG_TYPE_COUNT = 5
};

#define CHUNKCORE_MSG_HDR_KEY           0x40u /* a NUL-terminated project key follows */
#define CHUNKCORE_MSG_HDR_RLE           0x80u
#define CHUNKCORE_PROJECT_KEY_MAX_CHARS 32u
#define CHUNKCORE_MSG_HDR_MAX_BYTES     (1u + CHUNKCORE_PROJECT_KEY_MAX_CHARS + 1u)
#define CHUNKCORE_SOURCES_ALL           0xFFFFFFFFu

/* A data source: the SDK's three callbacks, plus an optional availability hint. */
typedef struct chunkcore_source {
    /* 1 and *payload_bytes when a message waits, 0 when none, <0 on error. */
    int (*has_message)(void *ctx, uint32_t *payload_bytes);
    /* Copy len payload bytes at offset into buf: 0 or a negative code. */
    int (*read)(void *ctx, uint32_t offset, void *buf, size_t len);
    /* The message has been consumed: delete it. 0 or a negative code. */
    int (*mark_read)(void *ctx);
    /*
     * Optional: how many of the want payload bytes at offset can be read now,
     * 0 when the source does not know (an async RAM window's edge): a chunk
     * is cut short there (chunkcore_msg_reader_t.readable_end).
     */
    uint32_t (*avail)(void *ctx, uint32_t offset, uint32_t want);
    void *ctx;
    /* Reads come from a forward-only stream (an async window): no RLE. */
    bool sequential_only;
    /* The payload is run-length encoded (chunkcore/rle.h): header bit 0x80. */
    bool run_length_encoded;
} chunkcore_source_t;

typedef enum chunkcore_delete_policy {
    /* Delete as soon as the last chunk is written into the caller's buffer,
     * before it is sent: the reference behaviour, with its data-loss window. */
    CHUNKCORE_DELETE_ON_LAST_READ = 0,
    /* Delete when chunkcore_packetizer_confirm() says the last chunk arrived. */
    CHUNKCORE_DELETE_ON_CONFIRM = 1
} chunkcore_delete_policy_t;

typedef struct chunkcore_packetizer_config {
    const chunkcore_source_t *sources[CHUNKCORE_MSG_TYPE_COUNT]; /* by type; NULL: none */
    /* NULL, or up to 32 characters. Run-length encoding is a source's
     * property: list chunkcore_rle_source() as the coredump source. */
    const char *project_key;
    chunkcore_delete_policy_t delete_policy;
} chunkcore_packetizer_config_t;

enum chunkcore_packetizer_state {
    CHUNKCORE_PKT_IDLE = 0,
    CHUNKCORE_PKT_SENDING = 1,
    CHUNKCORE_PKT_AWAIT_CONFIRM = 2
};

typedef struct chunkcore_packetizer {
    const chunkcore_packetizer_config_t *cfg;
    chunkcore_transport_t tx;
    uint32_t active_mask;
    int last_delete_status; /* what the last mark_read returned */
    uint8_t hdr_bytes;      /* the message header's length: 1, or 2 + the project key's */
    uint8_t type;           /* message in progress, CHUNKCORE_MSG_NONE when idle */
    uint8_t state;          /* enum chunkcore_packetizer_state */
    uint8_t final_out;      /* the last chunk written ended its message */
} chunkcore_packetizer_t;

typedef struct chunkcore_msg_info {
    uint8_t type;
    uint32_t message_bytes;      /* header + payload */
    uint32_t single_chunk_bytes; /* message_bytes + 3: the whole message in one chunk */
    uint32_t sent_bytes;
} chunkcore_msg_info_t;

/* Status values of chunkcore_packetizer_next(), numbered as the SDK's. */
#define CHUNKCORE_STATUS_END_OF_CHUNK        1
#define CHUNKCORE_STATUS_MORE_DATA_FOR_CHUNK 2

/*
 * The state chunkcore_packetizer_init() leaves, as a static initializer, for
 * a packetizer in static storage that no code has to set up (the SDK-style
 * layer's default instance):
 *     static chunkcore_packetizer_t p = CHUNKCORE_PACKETIZER_INITIALIZER(&cfg);
 * Nothing checks cfg here: it must be one init() accepts, without a project
 * key (the 1 is the message header's length; init() counts the key's).
 */
#define CHUNKCORE_PACKETIZER_INITIALIZER(cfg)                                                      \
    {                                                                                              \
        (cfg), {0, 0, 0, 0, 0, 0}, CHUNKCORE_SOURCES_ALL, 0, 1, 0, 0, 0                            \
    }

/* cfg must outlive p. Fails with CHUNKCORE_E_INVAL on a key over 32 chars. */
int chunkcore_packetizer_init(chunkcore_packetizer_t *p, const chunkcore_packetizer_config_t *cfg);

/*
 * Selects the next message if none is in progress (this asks the sources,
 * which for a coredump means a header peek). Returns 1 and fills info (may
 * be NULL) when a message is in progress, 0 when nothing waits, or a negative
 * code: a source error, or CHUNKCORE_E_PENDING while a sent message awaits
 * confirmation.
 */
int chunkcore_packetizer_begin(chunkcore_packetizer_t *p, bool multi_call,
                               chunkcore_msg_info_t *info);

/*
 * Writes the next chunk of the message begun with begin(). Returns
 * CHUNKCORE_STATUS_END_OF_CHUNK or _MORE_DATA_FOR_CHUNK (multi-call mode,
 * the logical chunk goes on); CHUNKCORE_E_NODATA when no message is in
 * progress or CHUNKCORE_E_PENDING while one awaits confirmation, both with
 * *len untouched (nothing to send, as the SDK has it); or another negative
 * code (CHUNKCORE_E_BUFSIZE under 9 bytes, a read error) with *len = 0 and
 * nothing consumed: the same call may be retried.
 */
int chunkcore_packetizer_next(chunkcore_packetizer_t *p, uint8_t *buf, size_t *len);

/*
 * begin (normal mode) + next: one whole chunk. 0 with *len > 0, or a
 * negative code as next() gives it; begin's own errors with *len = 0.
 * The message is selected first, so a buffer under 9 bytes starts it.
 */
int chunkcore_packetizer_get_chunk(chunkcore_packetizer_t *p, uint8_t *buf, size_t *len);

/* True when the chunk the last successful next() wrote ended its message. */
bool chunkcore_packetizer_last_chunk_final(const chunkcore_packetizer_t *p);

/* DELETE_ON_CONFIRM: the last chunk was delivered; delete the message now. */
int chunkcore_packetizer_confirm(chunkcore_packetizer_t *p);

/* Drop the message in progress without deleting it; it restarts at offset 0. */
void chunkcore_packetizer_abort(chunkcore_packetizer_t *p);

/* 1 when a message is in progress or waits in an active source, 0 if not, <0 on error. */
int chunkcore_packetizer_data_available(chunkcore_packetizer_t *p);

/* Bit (1 << type) per source to consider; aborts the message in progress first. */
void chunkcore_packetizer_set_active_sources(chunkcore_packetizer_t *p, uint32_t mask);

#ifdef __cplusplus
}
#endif

#endif
