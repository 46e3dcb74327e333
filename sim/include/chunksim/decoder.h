/*
 * Chunk decoder: reassembles chunks (spec sections 3-6) into messages, checks
 * each message's CRC, and locates damage (a gap, a duplicate, an orphan
 * continuation, a bad CRC, a truncated message) by chunk index and message
 * offset instead of only detecting it. After damage it resynchronises on the
 * next first chunk, so one bad message does not hide the next.
 *
 * A multi-call chunk arrives at the receiver as one large `08` chunk, so it
 * is fed as one chunk too.
 */
#ifndef CHUNKSIM_DECODER_H
#define CHUNKSIM_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum chunksim_damage_kind {
    CHUNKSIM_DAMAGE_BAD_HEADER,   /* reserved channel, version 1, unreadable varint, empty chunk */
    CHUNKSIM_DAMAGE_GAP,          /* continuation starts past the bytes received: chunks missing */
    CHUNKSIM_DAMAGE_DUPLICATE,    /* continuation repeats bytes already received (identical) */
    CHUNKSIM_DAMAGE_OUT_OF_ORDER, /* continuation before the bytes received, with other bytes */
    CHUNKSIM_DAMAGE_ORPHAN,       /* continuation with no message in progress */
    CHUNKSIM_DAMAGE_OVERSIZE,     /* more message bytes than the first chunk announced */
    CHUNKSIM_DAMAGE_SHORT,        /* the CRC came before all announced bytes */
    CHUNKSIM_DAMAGE_BAD_CRC,      /* the message is complete but its CRC does not match */
    CHUNKSIM_DAMAGE_TRUNCATED     /* the input ended, or a new message began, mid-message */
} chunksim_damage_kind_t;

typedef struct chunksim_damage {
    chunksim_damage_kind_t kind;
    uint64_t chunk_index;    /* index of the chunk where it was seen (the caller's numbering) */
    uint32_t message_offset; /* byte offset within the message */
    uint32_t expected;       /* what was expected there (offset, length or CRC) */
    uint32_t got;
} chunksim_damage_t;

typedef struct chunksim_message {
    const uint8_t *bytes; /* header + payload; valid during the callback */
    uint32_t length;
    uint8_t type; /* bits 0-5 of the first byte */
    bool has_key;
    bool rle;
    bool crc_ok;
    uint16_t crc_expected; /* carried in the last chunk */
    uint16_t crc_computed;
    uint64_t first_chunk;
    uint64_t chunks;
} chunksim_message_t;

typedef void (*chunksim_message_cb)(void *data, const chunksim_message_t *msg);
typedef void (*chunksim_damage_cb)(void *data, const chunksim_damage_t *damage);

typedef struct chunksim_decoder_config {
    chunksim_message_cb on_message; /* also called for a message with a bad CRC */
    chunksim_damage_cb on_damage;   /* may be NULL */
    void *data;
    uint32_t max_message_bytes; /* larger announced lengths are damage (0: 64 MiB) */
} chunksim_decoder_config_t;

typedef struct chunksim_decoder {
    chunksim_decoder_config_t cfg;
    uint8_t *buf;
    uint32_t cap;
    uint32_t total;    /* announced message length */
    uint32_t received; /* bytes reassembled so far */
    uint64_t first_chunk;
    uint64_t chunks;
    bool in_message;
    uint64_t messages;
    uint64_t damaged;
} chunksim_decoder_t;

void chunksim_decoder_init(chunksim_decoder_t *dec, const chunksim_decoder_config_t *cfg);

/* One chunk as it arrived. Returns 0, or -ENOMEM when a message cannot be buffered. */
int chunksim_decoder_feed(chunksim_decoder_t *dec, uint64_t chunk_index, const uint8_t *chunk,
                          size_t len);

/* End of input: a message still in progress is reported as truncated. */
void chunksim_decoder_finish(chunksim_decoder_t *dec, uint64_t chunk_index);

void chunksim_decoder_free(chunksim_decoder_t *dec);

const char *chunksim_damage_name(chunksim_damage_kind_t kind);

#endif
