#include "chunk_decoder.h"

#include <string.h>

#define DEC_HDR_CONT     0x80u
#define DEC_HDR_MORE     0x40u
#define DEC_HDR_VER_MASK 0x38u
#define DEC_HDR_VER2     0x08u
#define DEC_HDR_CHANNEL  0x07u
#define DEC_CRC_BYTES    2u

uint16_t test_crc16_bitwise(uint16_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
        }
    }
    return crc;
}

void test_decoder_init(test_decoder_t *d, uint8_t *msg, size_t capacity_bytes)
{
    memset(d, 0, sizeof(*d));
    d->msg = msg;
    d->capacity_bytes = capacity_bytes;
}

/* LEB128, at most 5 bytes, the fifth holding only bits 28..31. */
static int dec_varint(const uint8_t *in, size_t len, uint32_t *value)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len && i < 5; i++) {
        v |= (uint64_t)(in[i] & 0x7Fu) << (7 * i);
        if (!(in[i] & 0x80u)) {
            if (v > UINT32_MAX) {
                return TEST_DEC_E_VARINT;
            }
            *value = (uint32_t)v;
            return (int)(i + 1);
        }
    }
    return TEST_DEC_E_VARINT;
}

static int dec_check_crc(test_decoder_t *d, const uint8_t *crc_bytes)
{
    uint16_t rx = (uint16_t)(crc_bytes[0] | (crc_bytes[1] << 8));
    d->had_crc = true;
    d->active = false;
    if (rx != test_crc16_bitwise(0, d->msg, d->total_bytes)) {
        return TEST_DEC_E_CRC;
    }
    d->messages_done++;
    return TEST_DEC_DONE;
}

/* Copies message bytes at the current end; the caller has checked the header. */
static int dec_take(test_decoder_t *d, const uint8_t *data, size_t n)
{
    if ((uint64_t)d->received_bytes + n > d->total_bytes) {
        return TEST_DEC_E_LENGTH;
    }
    d->data_offset = d->received_bytes;
    d->data_bytes = (uint32_t)n;
    memcpy(d->msg + d->received_bytes, data, n);
    d->received_bytes += (uint32_t)n;
    return 0;
}

static int dec_single(test_decoder_t *d, const uint8_t *chunk, size_t len)
{
    if (len < 1 + DEC_CRC_BYTES) {
        return TEST_DEC_E_LENGTH;
    }
    size_t n = len - 1 - DEC_CRC_BYTES;
    if (n > d->capacity_bytes) {
        return TEST_DEC_E_CAPACITY;
    }
    d->total_bytes = (uint32_t)n;
    d->received_bytes = 0;
    (void)dec_take(d, chunk + 1, n);
    return dec_check_crc(d, chunk + len - DEC_CRC_BYTES);
}

static int dec_first(test_decoder_t *d, const uint8_t *chunk, size_t len)
{
    uint32_t total = 0;
    int v = dec_varint(chunk + 1, len - 1, &total);
    if (v < 0) {
        return v;
    }
    if (total > d->capacity_bytes) {
        return TEST_DEC_E_CAPACITY;
    }
    d->total_bytes = total;
    d->received_bytes = 0;
    d->active = true;
    return dec_take(d, chunk + 1 + v, len - 1 - (size_t)v);
}

static int dec_continuation(test_decoder_t *d, const uint8_t *chunk, size_t len, bool more)
{
    uint32_t offset = 0;
    int v = dec_varint(chunk + 1, len - 1, &offset);
    if (v < 0) {
        return v;
    }
    if (offset != d->received_bytes) {
        return TEST_DEC_E_OFFSET;
    }
    size_t rest = len - 1 - (size_t)v;
    if (!more && rest < DEC_CRC_BYTES) {
        return TEST_DEC_E_LENGTH;
    }
    size_t n = more ? rest : rest - DEC_CRC_BYTES;
    int rc = dec_take(d, chunk + 1 + v, n);
    if (rc < 0 || more) {
        return rc;
    }
    if (d->received_bytes != d->total_bytes) {
        return TEST_DEC_E_LENGTH;
    }
    return dec_check_crc(d, chunk + len - DEC_CRC_BYTES);
}

int test_decoder_feed(test_decoder_t *d, const uint8_t *chunk, size_t len)
{
    d->data_offset = d->received_bytes;
    d->data_bytes = 0;
    d->had_crc = false;
    if (len == 0) {
        return TEST_DEC_E_EMPTY;
    }
    uint8_t hdr = chunk[0];
    bool cont = (hdr & DEC_HDR_CONT) != 0;
    bool more = (hdr & DEC_HDR_MORE) != 0;
    if (hdr & DEC_HDR_CHANNEL) {
        return TEST_DEC_E_CHANNEL;
    }
    if (cont) {
        if ((hdr & DEC_HDR_VER_MASK) != 0) {
            return TEST_DEC_E_VERSION;
        }
        if (!d->active) {
            return TEST_DEC_E_SEQUENCE;
        }
        return dec_continuation(d, chunk, len, more);
    }
    if ((hdr & DEC_HDR_VER_MASK) == 0) {
        return TEST_DEC_E_VERSION1;
    }
    if ((hdr & DEC_HDR_VER_MASK) != DEC_HDR_VER2) {
        return TEST_DEC_E_VERSION;
    }
    if (d->active) {
        return TEST_DEC_E_SEQUENCE;
    }
    return more ? dec_first(d, chunk, len) : dec_single(d, chunk, len);
}

const char *test_decoder_strerror(int rc)
{
    switch (rc) {
    case TEST_DEC_MORE:
        return "more";
    case TEST_DEC_DONE:
        return "done";
    case TEST_DEC_E_EMPTY:
        return "empty chunk";
    case TEST_DEC_E_CHANNEL:
        return "channel bits set";
    case TEST_DEC_E_VERSION1:
        return "version 1 chunk (CRC not at the end): not supported";
    case TEST_DEC_E_VERSION:
        return "unknown version bits";
    case TEST_DEC_E_SEQUENCE:
        return "chunk out of sequence";
    case TEST_DEC_E_VARINT:
        return "bad varint";
    case TEST_DEC_E_OFFSET:
        return "continuation offset mismatch";
    case TEST_DEC_E_LENGTH:
        return "length mismatch";
    case TEST_DEC_E_CRC:
        return "CRC mismatch";
    case TEST_DEC_E_CAPACITY:
        return "message larger than the decoder buffer";
    default:
        return "unknown";
    }
}

/*
 * Run-length encoded payload (header bit 0x80), written from the format
 * alone: each sequence is a zig-zag varint, 2n for a run of n (one value
 * byte follows), 2n - 1 for a literal of n (n bytes follow).
 */
long test_rle_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    size_t pos = 0, got = 0;
    while (pos < len) {
        uint32_t zz = 0;
        int n = dec_varint(in + pos, len - pos, &zz);
        if (n < 0) {
            return -1;
        }
        pos += (size_t)n;
        const bool run = zz % 2 == 0;
        const size_t count = run ? zz / 2 : (zz + 1) / 2;
        const size_t data = count == 0 ? 0 : run ? 1 : count;
        if (data > len - pos || count > cap - got) {
            return -1;
        }
        for (size_t i = 0; i < count; i++) {
            out[got + i] = run ? in[pos] : in[pos + i];
        }
        got += count;
        pos += data;
    }
    return (long)got;
}
