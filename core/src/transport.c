#include "chunkcore/transport.h"
#include "chunkcore/crc16.h"
#include "chunkcore/error.h"
#include "chunkcore/varint.h"

/* How many of want bytes at the current offset the reader can serve now. */
static uint32_t transport_clamp(const chunkcore_transport_t *t, const chunkcore_msg_reader_t *r,
                                uint32_t want)
{
    uint32_t n = r->readable_end - t->offset;
    /* An end not past the offset means "unknown": attempt the whole read. */
    return (r->readable_end > t->offset && n < want) ? n : want;
}

/*
 * docs/chunk-format.md §7 to §9. Normal mode: every call is one self-describing chunk,
 * the whole message (`08`, message, CRC) when it fits, else framed with the
 * message length (first chunk) or this chunk's offset (continuations).
 * Multi-call mode: `08`, the message and the CRC over any number of calls.
 * Either way the CRC is never split: it goes in only when both bytes fit,
 * and never into a first chunk that announced more to come.
 */
int chunkcore_transport_next(chunkcore_transport_t *t, const chunkcore_msg_reader_t *r,
                             uint8_t *buf, size_t *len)
{
    size_t room = *len;
    *len = 0;
    if (room < CHUNKCORE_CHUNK_MIN_BYTES) {
        return CHUNKCORE_E_BUFSIZE;
    }
    if (t->done) {
        return CHUNKCORE_E_NODATA;
    }
    uint32_t offset = t->offset;
    uint32_t left = t->total_bytes - offset;
    unsigned hdr = CHUNKCORE_CHUNK_HDR_V2;
    size_t pos = 1;
    if (t->multi_call) {
        pos = !t->started; /* the `08` byte opens the first call only */
    } else if (t->started || (size_t)left + 3 > room || transport_clamp(t, r, left) != left) {
        hdr = t->started ? CHUNKCORE_CHUNK_HDR_CONT | CHUNKCORE_CHUNK_HDR_MORE
                         : CHUNKCORE_CHUNK_HDR_V2 | CHUNKCORE_CHUNK_HDR_MORE;
        pos += chunkcore_varint_encode(t->started ? offset : t->total_bytes, buf + 1);
    }
    room -= pos;
    uint32_t k = transport_clamp(t, r, room < left ? (uint32_t)room : left);
    if (k == left && room - k >= 2 && hdr != (CHUNKCORE_CHUNK_HDR_V2 | CHUNKCORE_CHUNK_HDR_MORE)) {
        hdr &= ~CHUNKCORE_CHUNK_HDR_MORE;
        t->done = 1; /* undone below if the read fails: an error changes no state */
    }
    /* A multi-call continuation has no header: its data or CRC overwrites this byte. */
    buf[0] = (uint8_t)hdr;
    if (k != 0) {
        /* The one reader call of this chunk, then the running CRC over what it gave. */
        int rc = r->read(r->ctx, offset, buf + pos, k);
        if (rc < 0) {
            t->done = 0;
            return rc;
        }
        t->crc = chunkcore_crc16_update(t->crc, buf + pos, k);
        t->offset = offset + k;
        pos += k;
    }
    t->started = 1;
    if (t->done) {
        buf[pos++] = (uint8_t)(t->crc & 0xFFu);
        buf[pos++] = (uint8_t)(t->crc >> 8);
    }
    *len = pos;
    return t->done ? CHUNKCORE_TRANSPORT_LAST : CHUNKCORE_TRANSPORT_MORE;
}
