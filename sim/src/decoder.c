#include "chunksim/decoder.h"

#include "chunkcore/crc16.h"
#include "chunkcore/transport.h"
#include "chunkcore/varint.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DECODER_DEFAULT_MAX_BYTES (64u * 1024u * 1024u)

const char *chunksim_damage_name(chunksim_damage_kind_t kind)
{
    static const char *const names[] = {
        "bad_header", "gap",   "duplicate", "out_of_order", "orphan",
        "oversize",   "short", "bad_crc",   "truncated",
    };
    return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

void chunksim_decoder_init(chunksim_decoder_t *dec, const chunksim_decoder_config_t *cfg)
{
    memset(dec, 0, sizeof(*dec));
    dec->cfg = *cfg;
    if (dec->cfg.max_message_bytes == 0) {
        dec->cfg.max_message_bytes = DECODER_DEFAULT_MAX_BYTES;
    }
}

void chunksim_decoder_free(chunksim_decoder_t *dec)
{
    free(dec->buf);
    dec->buf = NULL;
    dec->cap = 0;
}

static void decoder_damage(chunksim_decoder_t *dec, chunksim_damage_kind_t kind, uint64_t chunk,
                           uint32_t offset, uint32_t expected, uint32_t got)
{
    const chunksim_damage_t d = {kind, chunk, offset, expected, got};
    dec->damaged++;
    if (dec->cfg.on_damage != NULL) {
        dec->cfg.on_damage(dec->cfg.data, &d);
    }
}

static int decoder_begin(chunksim_decoder_t *dec, uint64_t chunk, uint32_t total)
{
    if (total > dec->cap) {
        uint8_t *nb = realloc(dec->buf, total ? total : 1);
        if (nb == NULL) {
            return -ENOMEM;
        }
        dec->buf = nb;
        dec->cap = total;
    }
    dec->total = total;
    dec->received = 0;
    dec->first_chunk = chunk;
    dec->chunks = 0;
    dec->in_message = true;
    return 0;
}

static void decoder_emit(chunksim_decoder_t *dec, uint64_t chunk, const uint8_t *crc_le)
{
    chunksim_message_t m = {0};
    m.bytes = dec->buf;
    m.length = dec->total;
    m.crc_expected = (uint16_t)(crc_le[0] | (crc_le[1] << 8));
    m.crc_computed = chunkcore_crc16_update(CHUNKCORE_CRC16_INIT, dec->buf, dec->total);
    m.crc_ok = m.crc_expected == m.crc_computed;
    if (dec->total > 0) {
        m.type = dec->buf[0] & 0x3Fu;
        m.has_key = (dec->buf[0] & 0x40u) != 0;
        m.rle = (dec->buf[0] & 0x80u) != 0;
    }
    m.first_chunk = dec->first_chunk;
    m.chunks = dec->chunks;
    dec->in_message = false;
    dec->messages++;
    if (!m.crc_ok) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_BAD_CRC, chunk, dec->total, m.crc_expected,
                       m.crc_computed);
    }
    if (dec->cfg.on_message != NULL) {
        dec->cfg.on_message(dec->cfg.data, &m);
    }
}

/* Append data at offset; false (with damage reported) when it does not continue the message. */
static bool decoder_append(chunksim_decoder_t *dec, uint64_t chunk, uint32_t offset,
                           const uint8_t *data, size_t n)
{
    if (offset > dec->received) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_GAP, chunk, dec->received, dec->received, offset);
        dec->in_message = false;
        return false;
    }
    if (offset < dec->received) {
        bool same = offset + n <= dec->received && memcmp(dec->buf + offset, data, n) == 0;
        decoder_damage(dec, same ? CHUNKSIM_DAMAGE_DUPLICATE : CHUNKSIM_DAMAGE_OUT_OF_ORDER, chunk,
                       offset, dec->received, offset);
        return false; /* ignored; the message may still complete */
    }
    if (n > dec->total - dec->received) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_OVERSIZE, chunk, offset, dec->total,
                       (uint32_t)(offset + n));
        dec->in_message = false;
        return false;
    }
    memcpy(dec->buf + offset, data, n);
    dec->received += (uint32_t)n;
    dec->chunks++;
    return true;
}

/* The last chunk of a message: its final two bytes are the CRC. */
static void decoder_end(chunksim_decoder_t *dec, uint64_t chunk, const uint8_t *crc_le)
{
    if (dec->received != dec->total) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_SHORT, chunk, dec->received, dec->total, dec->received);
        dec->in_message = false;
        return;
    }
    decoder_emit(dec, chunk, crc_le);
}

static int decoder_first(chunksim_decoder_t *dec, uint64_t chunk, const uint8_t *c, size_t len)
{
    bool more = (c[0] & CHUNKCORE_CHUNK_HDR_MORE) != 0;
    if (dec->in_message) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_TRUNCATED, chunk, dec->received, dec->total,
                       dec->received);
    }
    if (!more) {
        if (len < 3) {
            decoder_damage(dec, CHUNKSIM_DAMAGE_BAD_HEADER, chunk, 0, 3, (uint32_t)len);
            dec->in_message = false;
            return 0;
        }
        int rc = decoder_begin(dec, chunk, (uint32_t)(len - 3));
        if (rc == 0 && decoder_append(dec, chunk, 0, c + 1, len - 3)) {
            decoder_end(dec, chunk, c + len - 2);
        }
        return rc;
    }
    uint32_t total = 0;
    int vn = chunkcore_varint_decode(c + 1, len - 1, &total);
    if (vn < 0 || total > dec->cfg.max_message_bytes) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_BAD_HEADER, chunk, 0, dec->cfg.max_message_bytes,
                       total);
        dec->in_message = false;
        return 0;
    }
    int rc = decoder_begin(dec, chunk, total);
    if (rc == 0) {
        (void)decoder_append(dec, chunk, 0, c + 1 + vn, len - 1 - (size_t)vn);
    }
    return rc;
}

static void decoder_continuation(chunksim_decoder_t *dec, uint64_t chunk, const uint8_t *c,
                                 size_t len)
{
    bool more = (c[0] & CHUNKCORE_CHUNK_HDR_MORE) != 0;
    uint32_t offset = 0;
    int vn = chunkcore_varint_decode(c + 1, len - 1, &offset);
    size_t tail = more ? 0 : 2;
    if (vn < 0 || len < 1 + (size_t)vn + tail) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_BAD_HEADER, chunk, 0, 0, (uint32_t)len);
        return;
    }
    if (!dec->in_message) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_ORPHAN, chunk, offset, 0, offset);
        return;
    }
    const uint8_t *data = c + 1 + vn;
    size_t n = len - 1 - (size_t)vn - tail;
    if (decoder_append(dec, chunk, offset, data, n) && !more) {
        decoder_end(dec, chunk, c + len - 2);
    }
}

int chunksim_decoder_feed(chunksim_decoder_t *dec, uint64_t chunk_index, const uint8_t *chunk,
                          size_t len)
{
    if (len == 0 || (chunk[0] & CHUNKCORE_CHUNK_HDR_CHANNEL) != 0) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_BAD_HEADER, chunk_index, 0, 0, len ? chunk[0] : 0u);
        return 0;
    }
    if (chunk[0] & CHUNKCORE_CHUNK_HDR_CONT) {
        decoder_continuation(dec, chunk_index, chunk, len);
        return 0;
    }
    /* Only version 2 (CRC at the end) is produced; version 1 is refused. */
    if ((chunk[0] & CHUNKCORE_CHUNK_HDR_VER_MASK) != CHUNKCORE_CHUNK_HDR_V2) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_BAD_HEADER, chunk_index, 0, CHUNKCORE_CHUNK_HDR_V2,
                       chunk[0] & CHUNKCORE_CHUNK_HDR_VER_MASK);
        dec->in_message = false;
        return 0;
    }
    return decoder_first(dec, chunk_index, chunk, len);
}

void chunksim_decoder_finish(chunksim_decoder_t *dec, uint64_t chunk_index)
{
    if (dec->in_message) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_TRUNCATED, chunk_index, dec->received, dec->total,
                       dec->received);
        dec->in_message = false;
    }
}
