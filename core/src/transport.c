#include "chunkcore/transport.h"
#include "chunkcore/crc16.h"
#include "chunkcore/error.h"
#include "chunkcore/varint.h"

#include <string.h>

void chunkcore_transport_start(chunkcore_transport_t *t, const chunkcore_msg_reader_t *reader,
                               uint32_t total_bytes, bool multi_call)
{
    memset(t, 0, sizeof(*t));
    t->reader = *reader;
    t->total_bytes = total_bytes;
    t->crc = CHUNKCORE_CRC16_INIT;
    t->multi_call = multi_call;
}

/* How many of want bytes at the current offset the reader can serve now. */
static uint32_t transport_clamp(const chunkcore_transport_t *t, uint32_t want)
{
    if (want == 0 || t->reader.avail == NULL) {
        return want;
    }
    uint32_t n = t->reader.avail(t->reader.ctx, t->offset, want);
    /* 0 means "unknown": attempt the whole read and let the reader refuse it. */
    return (n == 0 || n > want) ? want : n;
}

/* The one reader call of this chunk, then the running CRC over what it gave. */
static int transport_read(chunkcore_transport_t *t, uint8_t *dst, uint32_t n)
{
    if (n == 0) {
        return 0;
    }
    int rc = t->reader.read(t->reader.ctx, t->offset, dst, n);
    if (rc < 0) {
        return rc;
    }
    t->crc = chunkcore_crc16_update(t->crc, dst, n);
    t->offset += n;
    return 0;
}

static size_t transport_put_crc(chunkcore_transport_t *t, uint8_t *dst)
{
    dst[0] = (uint8_t)(t->crc & 0xFFu);
    dst[1] = (uint8_t)(t->crc >> 8);
    t->done = 1;
    return 2;
}

/* docs/chunk-format.md §9, multi-call: `08`, the message, the CRC, over any number of calls. */
static int transport_next_multi(chunkcore_transport_t *t, uint8_t *buf, size_t *len, size_t room)
{
    size_t pos = 0;
    if (!t->started) {
        buf[pos++] = CHUNKCORE_CHUNK_HDR_V2;
    }
    uint32_t left = t->total_bytes - t->offset;
    uint32_t k = transport_clamp(t, (room - pos) < left ? (uint32_t)(room - pos) : left);
    int rc = transport_read(t, buf + pos, k);
    if (rc < 0) {
        return rc;
    }
    pos += k;
    t->started = 1;
    if (t->offset == t->total_bytes && room - pos >= 2) {
        pos += transport_put_crc(t, buf + pos);
    }
    *len = pos;
    return t->done ? CHUNKCORE_TRANSPORT_LAST : CHUNKCORE_TRANSPORT_MORE;
}

/* docs/chunk-format.md §7 and §8, normal mode: every call is one self-describing chunk. */
static int transport_next_normal(chunkcore_transport_t *t, uint8_t *buf, size_t *len, size_t room)
{
    uint32_t left = t->total_bytes - t->offset;
    size_t pos = 1;
    uint32_t k;
    uint8_t hdr;

    if (!t->started && (size_t)left + 3 <= room && transport_clamp(t, left) == left) {
        hdr = CHUNKCORE_CHUNK_HDR_V2; /* the whole message, then the CRC */
        k = left;
    } else {
        /* First chunk: the message length; continuation: this chunk's offset. */
        uint32_t v = t->started ? t->offset : t->total_bytes;
        pos += chunkcore_varint_encode(v, buf + pos);
        size_t space = room - pos;
        k = transport_clamp(t, space < left ? (uint32_t)space : left);
        hdr = t->started ? CHUNKCORE_CHUNK_HDR_CONT : CHUNKCORE_CHUNK_HDR_V2;
        /* The CRC is never split: it goes in only when both its bytes fit. */
        if (!(t->started && k == left && space - k >= 2)) {
            hdr |= CHUNKCORE_CHUNK_HDR_MORE;
        }
    }
    int rc = transport_read(t, buf + pos, k);
    if (rc < 0) {
        return rc;
    }
    pos += k;
    t->started = 1;
    buf[0] = hdr;
    if (!(hdr & CHUNKCORE_CHUNK_HDR_MORE)) {
        pos += transport_put_crc(t, buf + pos);
    }
    *len = pos;
    return t->done ? CHUNKCORE_TRANSPORT_LAST : CHUNKCORE_TRANSPORT_MORE;
}

int chunkcore_transport_next(chunkcore_transport_t *t, uint8_t *buf, size_t *len)
{
    size_t room = *len;
    *len = 0;
    if (room < CHUNKCORE_CHUNK_MIN_BYTES) {
        return CHUNKCORE_E_BUFSIZE;
    }
    if (t->done) {
        return CHUNKCORE_E_NODATA;
    }
    if (t->multi_call) {
        return transport_next_multi(t, buf, len, room);
    }
    return transport_next_normal(t, buf, len, room);
}
