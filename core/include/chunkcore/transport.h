/*
 * Chunk transport (docs/chunk-format.md §6-§9): cuts one message into chunks no larger
 * than the buffer the caller offers, and protects it with one CRC-16 written
 * little-endian at the end of the last chunk.
 *
 * The transport never holds message bytes. It asks a reader for them, exactly
 * once per chunk that carries message bytes, at the next sequential offset,
 * for no more than the chunk has room for. A reader may also say where the
 * bytes it can serve right now end (an async RAM window): the chunk is then
 * cut short, which keeps the wire format valid and never makes a read cross
 * the window's edge.
 */
#ifndef CHUNKCORE_TRANSPORT_H
#define CHUNKCORE_TRANSPORT_H

#include "chunkcore/crc16.h"

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
    void *ctx;
    /*
     * The message bytes before this offset can be read now (the end of an
     * async RAM window): the chunk is cut short there. CHUNKCORE_READABLE_ALL,
     * or any value not past the offset the chunk starts at, means "don't
     * know": the full read is attempted (and refused by the reader if it
     * cannot serve it).
     */
    uint32_t readable_end;
} chunkcore_msg_reader_t;

#define CHUNKCORE_READABLE_ALL UINT32_MAX

typedef struct chunkcore_transport {
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

static inline void chunkcore_transport_start(chunkcore_transport_t *t, uint32_t total_bytes,
                                             bool multi_call)
{
    t->total_bytes = total_bytes;
    t->offset = 0;
    t->crc = CHUNKCORE_CRC16_INIT;
    t->multi_call = multi_call;
    t->started = 0;
    t->done = 0;
}

/*
 * Writes the next chunk into buf, with the bytes reader gives (the same
 * reader for every chunk of one message: the transport keeps none, so its
 * state stays a few counters). On entry *len is the room offered (any size
 * from 9 up, free to change between calls); on return the chunk length.
 * Returns CHUNKCORE_TRANSPORT_MORE or _LAST; or a negative code with *len = 0
 * and the state unchanged, so the same chunk can be asked for again: that is
 * CHUNKCORE_E_BUFSIZE under 9 bytes, CHUNKCORE_E_NODATA once done, or the
 * reader's error.
 */
int chunkcore_transport_next(chunkcore_transport_t *t, const chunkcore_msg_reader_t *reader,
                             uint8_t *buf, size_t *len);

static inline bool chunkcore_transport_done(const chunkcore_transport_t *t)
{
    return t->done != 0;
}

#ifdef __cplusplus
}
#endif

#endif
