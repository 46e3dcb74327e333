/*
 * Chunk transport (docs/chunk-format.md §6-§9): cuts one message into chunks no larger
 * than the buffer the caller offers, and protects it with one CRC-16 written
 * little-endian at the end of the last chunk.
 *
 * The transport never holds message bytes. It asks a reader for them, exactly
 * once per chunk that carries message bytes, at the next sequential offset,
 * for no more than the chunk has room for. A reader may also say how many
 * bytes it can serve right now (an async RAM window): the chunk is then cut
 * short, which keeps the wire format valid and never makes a read cross the
 * window's edge.
 */
#ifndef CHUNKCORE_TRANSPORT_H
#define CHUNKCORE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 header byte + 5-byte varint + 2-byte CRC + 1 data byte. */
#define CHUNKCORE_CHUNK_MIN_BYTES 9u

#define CHUNKCORE_CHUNK_HDR_V2       0x08u /* INIT chunk: CRC at the end */
#define CHUNKCORE_CHUNK_HDR_MORE     0x40u
#define CHUNKCORE_CHUNK_HDR_CONT     0x80u
#define CHUNKCORE_CHUNK_HDR_VER_MASK 0x38u
#define CHUNKCORE_CHUNK_HDR_CHANNEL  0x07u

typedef struct chunkcore_msg_reader {
    /* Copy len message bytes at offset into buf. 0 or a negative CHUNKCORE_E_* code. */
    int (*read)(void *ctx, uint32_t offset, void *buf, size_t len);
    /*
     * Optional. How many of the want bytes at offset can be read now; 0 means
     * "don't know", and the full read is attempted (and refused by the reader
     * if it cannot serve it). NULL: always all of them.
     */
    uint32_t (*avail)(void *ctx, uint32_t offset, uint32_t want);
    void *ctx;
} chunkcore_msg_reader_t;

typedef struct chunkcore_transport {
    chunkcore_msg_reader_t reader;
    uint32_t total_bytes; /* message length T */
    uint32_t offset;      /* message bytes already sent */
    uint16_t crc;
    uint8_t multi_call; /* one logical chunk streamed over several calls */
    uint8_t started;    /* the first chunk (or first call) is out */
    uint8_t done;       /* the CRC is out */
} chunkcore_transport_t;

/* Return values of chunkcore_transport_next() on success. */
#define CHUNKCORE_TRANSPORT_LAST 0 /* this chunk ended the message */
#define CHUNKCORE_TRANSPORT_MORE 1 /* more chunks (or calls) follow */

void chunkcore_transport_start(chunkcore_transport_t *t, const chunkcore_msg_reader_t *reader,
                               uint32_t total_bytes, bool multi_call);

/*
 * Writes the next chunk into buf. On entry *len is the room offered (any size
 * from 9 up, free to change between calls); on return the chunk length.
 * Returns CHUNKCORE_TRANSPORT_MORE or _LAST; or a negative code with *len = 0
 * and the state unchanged, so the same chunk can be asked for again: that is
 * CHUNKCORE_E_BUFSIZE under 9 bytes, CHUNKCORE_E_NODATA once done, or the
 * reader's error.
 */
int chunkcore_transport_next(chunkcore_transport_t *t, uint8_t *buf, size_t *len);

static inline bool chunkcore_transport_done(const chunkcore_transport_t *t)
{
    return t->done != 0;
}

#ifdef __cplusplus
}
#endif

#endif
