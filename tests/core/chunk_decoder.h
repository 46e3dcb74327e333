/*
 * A chunk reassembler for the core tests, written from docs/chunk-format.md
 * (§2-§10) and sharing no code with core/: its own varint reader and a bitwise
 * CRC-16/XMODEM, so that a bug in core's encoder cannot hide behind the same
 * bug in the checker.
 *
 * Feed it chunks in order. Multi-call output is fed as one chunk: the calls
 * concatenated (`08`, message, CRC).
 */
#ifndef CHUNKSIM_TEST_CHUNK_DECODER_H
#define CHUNKSIM_TEST_CHUNK_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum test_dec_result {
    TEST_DEC_MORE = 0, /* chunk accepted, the message goes on */
    TEST_DEC_DONE = 1, /* message complete and its CRC matches */
    TEST_DEC_E_EMPTY = -1,
    TEST_DEC_E_CHANNEL = -2,   /* channel bits not 0 */
    TEST_DEC_E_VERSION1 = -3,  /* INIT chunk of the older, CRC-less-at-end version */
    TEST_DEC_E_VERSION = -4,   /* any other unknown version bits */
    TEST_DEC_E_SEQUENCE = -5,  /* continuation without INIT, or INIT inside a message */
    TEST_DEC_E_VARINT = -6,    /* truncated or over 32 bits */
    TEST_DEC_E_OFFSET = -7,    /* continuation offset is not the bytes received so far */
    TEST_DEC_E_LENGTH = -8,    /* more bytes than the message length, or a short last chunk */
    TEST_DEC_E_CRC = -9,       /* CRC mismatch */
    TEST_DEC_E_CAPACITY = -10, /* message larger than the decoder's buffer */
};

typedef struct test_decoder {
    uint8_t *msg;
    size_t capacity_bytes;
    uint32_t total_bytes;    /* message length of the message in progress */
    uint32_t received_bytes; /* message bytes received so far */
    bool active;             /* between an INIT with "more" and the last chunk */
    /* What the last accepted chunk carried: message bytes [data_offset, +data_bytes). */
    uint32_t data_offset;
    uint32_t data_bytes;
    bool had_crc;
    uint32_t messages_done;
} test_decoder_t;

/* msg: capacity_bytes of RAM the caller owns; completed messages land there. */
void test_decoder_init(test_decoder_t *d, uint8_t *msg, size_t capacity_bytes);

/* One chunk. TEST_DEC_DONE leaves the message in d->msg[0..d->total_bytes). */
int test_decoder_feed(test_decoder_t *d, const uint8_t *chunk, size_t len);

const char *test_decoder_strerror(int rc);

/*
 * Expands a run-length encoded payload into out (cap bytes). Returns the
 * bytes it expands to, or -1 when it is malformed or does not fit.
 */
long test_rle_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/* Bitwise CRC-16/XMODEM, independent of core's. */
uint16_t test_crc16_bitwise(uint16_t crc, const void *data, size_t len);

#endif
