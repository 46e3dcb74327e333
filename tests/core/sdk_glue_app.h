/*
 * Application glue of the kind boards carry, written only against the
 * SDK-style names (memfault/...): platform coredump storage over a RAM array,
 * and a sender that drains the packetizer into a transport callback.
 */
#ifndef CHUNKSIM_TEST_SDK_GLUE_APP_H
#define CHUNKSIM_TEST_SDK_GLUE_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDK_GLUE_STORAGE_BYTES 8192u
#define SDK_GLUE_SECTOR_BYTES  4096u
/* A drain sends at most this many chunks (a stuck packetizer must not hang the app). */
#define SDK_GLUE_MAX_CHUNKS_PER_DRAIN 10000u

/* The transport: one chunk (or one multi-call piece) to send. */
typedef void (*sdk_glue_send_cb)(void *ctx, const uint8_t *chunk, size_t len);

typedef struct sdk_glue_stats {
    unsigned clear_calls;
    unsigned chunks_before_clear; /* chunks handed to the transport when clear ran */
    unsigned get_chunk_calls;     /* packetizer calls that produced bytes */
    unsigned clear_in_call;       /* which of them (1-based) clear ran inside; 0: none */
    unsigned reads;
} sdk_glue_stats_t;

/* Puts image at offset 0 of the RAM storage (the rest erased) and resets the stats. */
void sdk_glue_storage_load(const uint8_t *image, size_t image_bytes);
/* The platform's read returns false for reads reaching offset or beyond (until the next load). */
void sdk_glue_refuse_reads_from(uint32_t offset);
const sdk_glue_stats_t *sdk_glue_stats(void);

/* Whole chunks of chunk_bytes until nothing is left (or the cap); returns the chunks sent. */
unsigned sdk_glue_send_all(size_t chunk_bytes, sdk_glue_send_cb send, void *ctx);

/* Up to max_chunks chunks; returns the chunks sent. */
unsigned sdk_glue_send_some(size_t chunk_bytes, unsigned max_chunks, sdk_glue_send_cb send,
                            void *ctx);

/*
 * One message as a single logical chunk streamed in pieces of piece_bytes
 * (multi-call mode). Returns the pieces sent, 0 when nothing waited;
 * *single_chunk_bytes gets the metadata's message length + 3, *in_progress
 * whether the message had been started before.
 */
unsigned sdk_glue_send_one_multi(size_t piece_bytes, sdk_glue_send_cb send, void *ctx,
                                 uint32_t *single_chunk_bytes, bool *in_progress);

/* Starts a multi-call message and sends only its first piece (a link drop follows). */
bool sdk_glue_send_first_multi_piece(size_t piece_bytes, sdk_glue_send_cb send, void *ctx);

/*
 * The clear behaves as an asynchronous one does on some ports (the SDK's
 * nRF5 port): it starts an erase, and until sdk_glue_finish_clear() the
 * storage refuses every read (memfault_platform_coredump_storage_read()
 * returns false), which the SDK documents as "no coredump".
 */
void sdk_glue_use_async_clear(bool on);
void sdk_glue_finish_clear(void);

bool sdk_glue_has_data(void);
void sdk_glue_link_lost(void); /* abort: the message restarts from its beginning */
void sdk_glue_pause_coredumps(void);
void sdk_glue_resume_coredumps(void);

#endif
