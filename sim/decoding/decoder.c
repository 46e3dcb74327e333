#include "chunksim/decoder.h"

#include "chunkcore/coredump.h"
#include "chunkcore/crc16.h"
#include "chunkcore/packetizer.h"
#include "chunkcore/transport.h"
#include "chunkcore/varint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DECODER_CRC_BYTES 2u

const char *chunksim_damage_name(chunksim_damage_kind_t kind)
{
    static const char *const names[] = {
        "bad_header", "gap",   "duplicate", "out_of_order", "orphan",
        "oversize",   "short", "bad_crc",   "truncated",    "conflict",
    };
    return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

const char *chunksim_message_type_name(uint8_t type)
{
    static const char *const names[] = {"none", "coredump", "event", "log", "cdr"};
    return type < sizeof(names) / sizeof(names[0]) ? names[type] : NULL;
}

int chunksim_damage_describe(const chunksim_damage_t *d, char *buf, size_t len)
{
    switch (d->kind) {
    case CHUNKSIM_DAMAGE_BAD_HEADER:
        return snprintf(buf, len, "bad chunk header: %s", d->detail ? d->detail : "unreadable");
    case CHUNKSIM_DAMAGE_GAP:
        return snprintf(buf, len,
                        "gap: message bytes %u..%u never arrived (chunks missing before this one)",
                        d->message_offset, d->got - 1);
    case CHUNKSIM_DAMAGE_DUPLICATE:
        if (d->got == d->message_offset) {
            return snprintf(buf, len, "duplicate: a chunk with no new bytes (offset %u) again",
                            d->message_offset);
        }
        return snprintf(buf, len, "duplicate: bytes %u..%u already received", d->message_offset,
                        d->got - 1);
    case CHUNKSIM_DAMAGE_OUT_OF_ORDER:
        return snprintf(buf, len, "out of order: offset %u arrived after later bytes (up to %u)",
                        d->message_offset, d->expected);
    case CHUNKSIM_DAMAGE_ORPHAN:
        return snprintf(buf, len, "orphan continuation at offset %u: no message in progress",
                        d->message_offset);
    case CHUNKSIM_DAMAGE_OVERSIZE:
        return snprintf(buf, len, "oversize: chunk ends at byte %u, the message has only %u",
                        d->got, d->expected);
    case CHUNKSIM_DAMAGE_SHORT:
        return snprintf(buf, len, "short: the CRC comes after byte %u, the message has %u", d->got,
                        d->expected);
    case CHUNKSIM_DAMAGE_BAD_CRC:
        return snprintf(buf, len, "bad CRC over %u bytes: carried 0x%04X, computed 0x%04X",
                        d->message_offset, d->expected, d->got);
    case CHUNKSIM_DAMAGE_TRUNCATED:
        return snprintf(buf, len, "truncated: the message stops at offset %u of %u bytes",
                        d->message_offset, d->expected);
    case CHUNKSIM_DAMAGE_CONFLICT:
        return snprintf(buf, len, "conflict: bytes %u..%u arrived again with different content",
                        d->message_offset,
                        d->got > d->message_offset ? d->got - 1 : d->message_offset);
    }
    return snprintf(buf, len, "unknown damage");
}

void chunksim_decoder_init(chunksim_decoder_t *dec, const chunksim_decoder_config_t *cfg)
{
    memset(dec, 0, sizeof(*dec));
    dec->cfg = *cfg;
    if (dec->cfg.max_message_bytes == 0) {
        dec->cfg.max_message_bytes = CHUNKSIM_DECODER_DEFAULT_MAX_BYTES;
    }
}

uint32_t chunksim_decoder_coredump_limit(uint64_t image_bytes)
{
    uint64_t need = image_bytes + CHUNKCORE_MSG_HDR_MAX_BYTES;
    if (need > UINT32_MAX) {
        return UINT32_MAX;
    }
    return need > CHUNKSIM_DECODER_DEFAULT_MAX_BYTES ? (uint32_t)need
                                                     : CHUNKSIM_DECODER_DEFAULT_MAX_BYTES;
}

void chunksim_decoder_free(chunksim_decoder_t *dec)
{
    free(dec->expanded_);
    free(dec->buf_);
    free(dec->segs_);
    /* As after init, with the counters a caller may still read. */
    const chunksim_decoder_config_t cfg = dec->cfg;
    uint64_t messages = dec->messages, damaged = dec->damaged;
    chunksim_decoder_init(dec, &cfg);
    dec->messages = messages;
    dec->damaged = damaged;
}

static void decoder_damage(chunksim_decoder_t *dec, chunksim_damage_kind_t kind, uint64_t chunk,
                           uint32_t offset, uint32_t expected, uint32_t got)
{
    const chunksim_damage_t d = {kind, chunk, offset, expected, got, NULL};
    dec->damaged++;
    if (dec->cfg.on_damage != NULL) {
        dec->cfg.on_damage(dec->cfg.data, &d);
    }
}

static void decoder_bad_header(chunksim_decoder_t *dec, uint64_t chunk, const char *why,
                               uint32_t expected, uint32_t got)
{
    const chunksim_damage_t d = {CHUNKSIM_DAMAGE_BAD_HEADER, chunk, 0, expected, got, why};
    dec->damaged++;
    if (dec->cfg.on_damage != NULL) {
        dec->cfg.on_damage(dec->cfg.data, &d);
    }
}

static uint32_t seg_end(const chunksim_segment_t *s)
{
    return s->offset + s->length;
}

/* Index of the first of n segments ending after off (segments are sorted and disjoint). */
static size_t segs_first_ending_after(const chunksim_segment_t *segs, size_t n, uint32_t off)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (seg_end(&segs[mid]) <= off) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static size_t decoder_seg_after(const chunksim_decoder_t *dec, uint32_t off)
{
    size_t n = dec->nsegs_;
    if (n == 0 || seg_end(&dec->segs_[n - 1]) <= off) {
        return n; /* in order, the usual case: no search */
    }
    return segs_first_ending_after(dec->segs_, n, off);
}

bool chunksim_message_chunk_at(const chunksim_message_t *msg, uint32_t offset,
                               uint64_t *chunk_index)
{
    size_t lo = segs_first_ending_after(msg->segments, msg->nsegments, offset);
    if (lo == msg->nsegments || msg->segments[lo].offset > offset) {
        return false;
    }
    *chunk_index = msg->segments[lo].chunk_index;
    return true;
}

static int decoder_begin(chunksim_decoder_t *dec, uint64_t chunk, uint32_t total)
{
    if (total > dec->cap_ || dec->buf_ == NULL) {
        uint8_t *nb = realloc(dec->buf_, total ? total : 1);
        if (nb == NULL) {
            return -ENOMEM;
        }
        dec->buf_ = nb;
        dec->cap_ = total;
    }
    dec->total_ = total;
    dec->received_ = 0;
    dec->high_ = 0;
    dec->nsegs_ = 0;
    dec->first_chunk_ = chunk;
    dec->last_chunk_ = chunk;
    dec->chunks_ = 0;
    dec->end_seen_ = false;
    dec->in_message_ = true;
    dec->has_last_ = false;
    return 0;
}

static int decoder_seg_insert(chunksim_decoder_t *dec, size_t at, const chunksim_segment_t *s)
{
    if (dec->nsegs_ == dec->segcap_) {
        size_t ncap = dec->segcap_ ? 2 * dec->segcap_ : 64;
        chunksim_segment_t *ns = realloc(dec->segs_, ncap * sizeof(*ns));
        if (ns == NULL) {
            return -ENOMEM;
        }
        dec->segs_ = ns;
        dec->segcap_ = ncap;
    }
    memmove(dec->segs_ + at + 1, dec->segs_ + at, (dec->nsegs_ - at) * sizeof(*s));
    dec->segs_[at] = *s;
    dec->nsegs_++;
    return 0;
}

static uint32_t decoder_header_bytes(const uint8_t *b, uint32_t len, bool *terminated)
{
    *terminated = true;
    if (len == 0 || (b[0] & 0x40u) == 0) {
        return len ? 1 : 0;
    }
    const uint8_t *nul = memchr(b + 1, 0, len - 1);
    if (nul == NULL) {
        *terminated = false;
        return len;
    }
    return (uint32_t)(nul - b) + 1;
}

/* ---- Run-length encoded payloads ---- */

const char *chunksim_rle_problem_name(chunksim_rle_problem_t p)
{
    static const char *const names[] = {"ok", "bad_varint", "truncated", "too_long"};
    return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "unknown";
}

/* One sequence header at in[at]: its length in bytes (the sequence in count and run), or <0. */
static int rle_sequence(const uint8_t *in, size_t len, size_t at, uint32_t *count, bool *run)
{
    uint32_t zigzag = 0;
    int n = chunkcore_varint_decode(in + at, len - at, &zigzag);
    if (n < 0) {
        return n;
    }
    /* Zig-zag: even 2n is a run of n, odd 2n - 1 a literal of n. */
    *run = (zigzag & 1u) == 0;
    *count = *run ? zigzag >> 1 : (zigzag >> 1) + 1u;
    return n;
}

chunksim_rle_problem_t chunksim_rle_expand(const uint8_t *in, size_t len, uint8_t *out,
                                           uint64_t out_bytes, chunksim_rle_info_t *info)
{
    memset(info, 0, sizeof(*info));
    size_t at = 0;
    while (at < len) {
        uint32_t count;
        bool run;
        int n = rle_sequence(in, len, at, &count, &run);
        info->at = (uint32_t)at;
        if (n < 0) {
            return info->problem = CHUNKSIM_RLE_BAD_VARINT;
        }
        /* A run's value byte; an empty sequence (count 0) has none. */
        size_t data = count == 0 ? 0 : run ? 1u : count;
        if (data > len - at - (size_t)n) {
            return info->problem = CHUNKSIM_RLE_TRUNCATED;
        }
        if (count > out_bytes - info->decoded_bytes) {
            return info->problem = CHUNKSIM_RLE_TOO_LONG;
        }
        const uint8_t *src = in + at + n;
        if (out != NULL && run) {
            memset(out + info->decoded_bytes, count ? src[0] : 0, count);
        } else if (out != NULL) {
            memcpy(out + info->decoded_bytes, src, count);
        }
        info->decoded_bytes += count;
        info->sequences++;
        info->runs += run && count > 0;
        at += (size_t)n + data;
    }
    return CHUNKSIM_RLE_OK;
}

bool chunksim_rle_encoded_offset(const uint8_t *in, size_t len, uint64_t at, uint32_t *offset)
{
    uint64_t decoded = 0;
    size_t pos = 0;
    while (pos < len) {
        uint32_t count;
        bool run;
        int n = rle_sequence(in, len, pos, &count, &run);
        if (n < 0) {
            return false;
        }
        if (at < decoded + count) {
            /* A run's bytes all come from its one value byte; a literal's each from its own. */
            *offset = (uint32_t)(pos + (size_t)n + (run ? 0 : at - decoded));
            return true;
        }
        decoded += count;
        pos += (size_t)n + (count == 0 ? 0 : run ? 1u : count);
    }
    return false;
}

/* An RLE message's payload expanded into expanded_, within the message limit. */
static void decoder_expand(chunksim_decoder_t *dec, chunksim_message_t *m)
{
    const uint8_t *in = m->bytes + m->header_bytes;
    const size_t len = m->length - m->header_bytes;
    const uint64_t limit = dec->cfg.max_message_bytes;
    if (chunksim_rle_expand(in, len, NULL, limit, &m->rle_info) != CHUNKSIM_RLE_OK) {
        return;
    }
    uint64_t need = m->rle_info.decoded_bytes;
    if (need > dec->expanded_cap_ || dec->expanded_ == NULL) {
        uint8_t *nb = realloc(dec->expanded_, need ? need : 1);
        if (nb == NULL) {
            m->rle_info.problem = CHUNKSIM_RLE_TOO_LONG; /* no memory for it: too long here */
            return;
        }
        dec->expanded_ = nb;
        dec->expanded_cap_ = need;
    }
    (void)chunksim_rle_expand(in, len, dec->expanded_, need, &m->rle_info);
    m->payload = dec->expanded_;
    m->payload_bytes = (uint32_t)need;
}

static void decoder_emit(chunksim_decoder_t *dec)
{
    chunksim_message_t m = {0};
    m.bytes = dec->buf_;
    m.length = dec->total_;
    m.crc_expected = (uint16_t)(dec->crc_le_[0] | (dec->crc_le_[1] << 8));
    m.crc_computed = chunkcore_crc16_update(CHUNKCORE_CRC16_INIT, dec->buf_, dec->total_);
    m.crc_ok = m.crc_expected == m.crc_computed;
    if (dec->total_ > 0) {
        m.type = dec->buf_[0] & 0x3Fu;
        m.has_key = (dec->buf_[0] & 0x40u) != 0;
        m.rle = (dec->buf_[0] & 0x80u) != 0;
    }
    m.header_bytes = decoder_header_bytes(dec->buf_, dec->total_, &m.key_terminated);
    if (m.rle) {
        decoder_expand(dec, &m);
    } else {
        m.payload = dec->buf_ + m.header_bytes;
        m.payload_bytes = dec->total_ - m.header_bytes;
    }
    m.first_chunk = dec->first_chunk_;
    m.last_chunk = dec->end_chunk_;
    m.chunks = dec->chunks_;
    m.segments = dec->segs_;
    m.nsegments = dec->nsegs_;
    dec->in_message_ = false;
    dec->has_last_ = true;
    dec->messages++;
    if (!m.crc_ok) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_BAD_CRC, dec->end_chunk_, dec->total_, m.crc_expected,
                       m.crc_computed);
    }
    if (dec->cfg.on_message != NULL) {
        dec->cfg.on_message(dec->cfg.data, &m);
    }
}

static void decoder_try_complete(chunksim_decoder_t *dec)
{
    if (dec->in_message_ && dec->end_seen_ && dec->received_ == dec->total_) {
        decoder_emit(dec);
    }
}

/* The message in progress will get no more chunks: report what it lacks. */
static void decoder_abandon(chunksim_decoder_t *dec)
{
    if (!dec->in_message_) {
        return;
    }
    uint32_t cur = 0;
    for (size_t i = 0; i < dec->nsegs_; i++) {
        const chunksim_segment_t *s = &dec->segs_[i];
        if (s->offset > cur) {
            decoder_damage(dec, CHUNKSIM_DAMAGE_GAP, s->chunk_index, cur, cur, s->offset);
        }
        cur = seg_end(s);
    }
    if (cur < dec->total_ && dec->end_seen_) {
        /* Only the CRC chunk is beyond the hole. */
        decoder_damage(dec, CHUNKSIM_DAMAGE_GAP, dec->end_chunk_, cur, cur, dec->total_);
    } else if (!dec->end_seen_) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_TRUNCATED, dec->last_chunk_, cur, dec->total_,
                       dec->received_);
    }
    dec->in_message_ = false;
    dec->has_last_ = false;
}

enum { DECODER_PLACED = 0, DECODER_PLACED_REPEAT = 1, DECODER_PLACED_CONFLICT = 2 };

/*
 * Place n bytes at off into the message in progress (n == 0: nothing to place). Repeats are
 * reported and dropped; a chunk landing before the furthest end held filled a hole late.
 */
static int decoder_place(chunksim_decoder_t *dec, uint64_t chunk, uint32_t off, const uint8_t *data,
                         uint32_t n)
{
    if (n == 0) {
        return DECODER_PLACED;
    }
    const uint32_t end = off + n;
    size_t i = decoder_seg_after(dec, off);
    if (i < dec->nsegs_ && dec->segs_[i].offset < end) {
        uint32_t cur = off;
        for (size_t j = i;
             j < dec->nsegs_ && dec->segs_[j].offset < end && cur >= dec->segs_[j].offset; j++) {
            cur = seg_end(&dec->segs_[j]);
        }
        bool same = cur >= end && memcmp(dec->buf_ + off, data, n) == 0;
        decoder_damage(dec, same ? CHUNKSIM_DAMAGE_DUPLICATE : CHUNKSIM_DAMAGE_CONFLICT, chunk, off,
                       dec->high_, end);
        return same ? DECODER_PLACED_REPEAT : DECODER_PLACED_CONFLICT;
    }
    const chunksim_segment_t s = {chunk, off, n};
    int rc = decoder_seg_insert(dec, i, &s);
    if (rc < 0) {
        return rc;
    }
    memcpy(dec->buf_ + off, data, n);
    dec->received_ += n;
    if (off < dec->high_) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_OUT_OF_ORDER, chunk, off, dec->high_, off);
    }
    if (end > dec->high_) {
        dec->high_ = end;
    }
    return 0;
}

/* An exact repeat of the first chunk when nothing else has arrived. */
static bool decoder_first_repeat(const chunksim_decoder_t *dec, uint32_t total, const uint8_t *data,
                                 uint32_t n)
{
    if (!dec->in_message_ || dec->end_seen_ || dec->chunks_ != 1 || total != dec->total_ ||
        dec->received_ != n) {
        return false;
    }
    return n == 0 ||
           (dec->nsegs_ == 1 && dec->segs_[0].offset == 0 && memcmp(dec->buf_, data, n) == 0);
}

static int decoder_first(chunksim_decoder_t *dec, uint64_t chunk, const uint8_t *c, size_t len)
{
    const bool more = (c[0] & CHUNKCORE_CHUNK_HDR_MORE) != 0;
    uint32_t total = 0;
    size_t hdr = 1;
    if (!more) {
        if (len < 1 + DECODER_CRC_BYTES) {
            decoder_bad_header(dec, chunk, "single chunk shorter than header and CRC", 3,
                               (uint32_t)len);
            return 0;
        }
        if (len - 1 - DECODER_CRC_BYTES > dec->cfg.max_message_bytes) {
            decoder_bad_header(dec, chunk, "message longer than the limit",
                               dec->cfg.max_message_bytes, UINT32_MAX);
            return 0;
        }
        total = (uint32_t)(len - 1 - DECODER_CRC_BYTES);
    } else {
        int vn = chunkcore_varint_decode(c + 1, len - 1, &total);
        if (vn < 0) {
            decoder_bad_header(dec, chunk, "unreadable message length varint", 0, 0);
            return 0;
        }
        if (total > dec->cfg.max_message_bytes) {
            decoder_bad_header(dec, chunk, "announced message length above the limit",
                               dec->cfg.max_message_bytes, total);
            return 0;
        }
        hdr += (size_t)vn;
    }
    const size_t n = len - hdr - (more ? 0 : DECODER_CRC_BYTES);
    if (n > total) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_OVERSIZE, chunk, 0, total,
                       n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
        return 0;
    }
    if (more && decoder_first_repeat(dec, total, c + hdr, (uint32_t)n)) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_DUPLICATE, chunk, 0, dec->high_, (uint32_t)n);
        return 0;
    }
    decoder_abandon(dec);
    int rc = decoder_begin(dec, chunk, total);
    if (rc < 0) {
        return rc;
    }
    dec->chunks_ = 1;
    rc = decoder_place(dec, chunk, 0, c + hdr, (uint32_t)n);
    if (rc < 0) {
        return rc;
    }
    if (!more) {
        memcpy(dec->crc_le_, c + len - DECODER_CRC_BYTES, DECODER_CRC_BYTES);
        dec->end_seen_ = true;
        dec->end_chunk_ = chunk;
        decoder_try_complete(dec);
    }
    return 0;
}

/* A continuation with no message in progress: a repeat of the last message, or an orphan. */
static void decoder_stray(chunksim_decoder_t *dec, uint64_t chunk, uint32_t off,
                          const uint8_t *data, size_t n, const uint8_t *crc)
{
    bool repeat = dec->has_last_ && off <= dec->total_ && n <= dec->total_ - off &&
                  memcmp(dec->buf_ + off, data, n) == 0 &&
                  (crc == NULL || (off + n == dec->total_ && memcmp(crc, dec->crc_le_, 2) == 0));
    if (repeat) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_DUPLICATE, chunk, off, dec->total_, off + (uint32_t)n);
    } else {
        decoder_damage(dec, CHUNKSIM_DAMAGE_ORPHAN, chunk, off, 0, off);
    }
}

static int decoder_continuation(chunksim_decoder_t *dec, uint64_t chunk, const uint8_t *c,
                                size_t len)
{
    const bool more = (c[0] & CHUNKCORE_CHUNK_HDR_MORE) != 0;
    uint32_t off = 0;
    int vn = chunkcore_varint_decode(c + 1, len - 1, &off);
    const size_t tail = more ? 0 : DECODER_CRC_BYTES;
    if (vn < 0) {
        decoder_bad_header(dec, chunk, "unreadable offset varint", 0, 0);
        return 0;
    }
    if (len < 1 + (size_t)vn + tail) {
        decoder_bad_header(dec, chunk, "last chunk too short for its CRC", 1 + (uint32_t)vn + 2,
                           (uint32_t)len);
        return 0;
    }
    const uint8_t *data = c + 1 + vn;
    const size_t n = len - 1 - (size_t)vn - tail;
    const uint8_t *crc = more ? NULL : c + len - DECODER_CRC_BYTES;
    if (!dec->in_message_) {
        decoder_stray(dec, chunk, off, data, n, crc);
        return 0;
    }
    if (off > dec->total_ || n > dec->total_ - off) {
        uint64_t end = (uint64_t)off + n;
        decoder_damage(dec, CHUNKSIM_DAMAGE_OVERSIZE, chunk, off, dec->total_,
                       end > UINT32_MAX ? UINT32_MAX : (uint32_t)end);
        return 0;
    }
    if (!more && off + n != dec->total_) {
        decoder_damage(dec, CHUNKSIM_DAMAGE_SHORT, chunk, off, dec->total_, off + (uint32_t)n);
        return 0;
    }
    int rc = decoder_place(dec, chunk, off, data, (uint32_t)n);
    if (rc < 0) {
        return rc;
    }
    if (rc == DECODER_PLACED_CONFLICT) {
        return 0; /* refused whole: its CRC is no more trustworthy than its bytes */
    }
    bool counted = rc == DECODER_PLACED;
    if (crc != NULL && !dec->end_seen_) {
        memcpy(dec->crc_le_, crc, DECODER_CRC_BYTES);
        dec->end_seen_ = true;
        dec->end_chunk_ = chunk;
        counted = true;
    } else if (crc != NULL) {
        /* A second CRC: a repeat of the CRC-only chunk, or (reported once) a different one. */
        bool same = memcmp(crc, dec->crc_le_, DECODER_CRC_BYTES) == 0;
        if (!same || (rc == DECODER_PLACED && n == 0)) {
            decoder_damage(dec, same ? CHUNKSIM_DAMAGE_DUPLICATE : CHUNKSIM_DAMAGE_CONFLICT, chunk,
                           off, dec->total_, off + (uint32_t)n);
        }
        counted = counted && n > 0;
    }
    if (counted) {
        dec->chunks_++;
        dec->last_chunk_ = chunk;
    }
    decoder_try_complete(dec);
    return 0;
}

int chunksim_decoder_feed(chunksim_decoder_t *dec, uint64_t chunk_index, const uint8_t *chunk,
                          size_t len)
{
    if (len == 0) {
        decoder_bad_header(dec, chunk_index, "empty chunk", 1, 0);
        return 0;
    }
    if ((chunk[0] & CHUNKCORE_CHUNK_HDR_CHANNEL) != 0) {
        decoder_bad_header(dec, chunk_index, "channel bits set (only channel 0 exists)", 0,
                           chunk[0]);
        return 0;
    }
    if (chunk[0] & CHUNKCORE_CHUNK_HDR_CONT) {
        return decoder_continuation(dec, chunk_index, chunk, len);
    }
    /* Only version 2 (CRC at the end) is produced; version 1 is refused. */
    if ((chunk[0] & CHUNKCORE_CHUNK_HDR_VER_MASK) != CHUNKCORE_CHUNK_HDR_V2) {
        decoder_bad_header(dec, chunk_index,
                           (chunk[0] & CHUNKCORE_CHUNK_HDR_VER_MASK) == 0
                               ? "version 1 first chunk (CRC first) is not supported"
                               : "unknown version in a first chunk",
                           CHUNKCORE_CHUNK_HDR_V2, chunk[0] & CHUNKCORE_CHUNK_HDR_VER_MASK);
        return 0;
    }
    return decoder_first(dec, chunk_index, chunk, len);
}

void chunksim_decoder_finish(chunksim_decoder_t *dec, uint64_t chunk_index)
{
    (void)chunk_index;
    decoder_abandon(dec);
}

/* ---- Coredump walk ---- */

enum { COREDUMP_BLOCK_HDR_BYTES = 12 };

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

const char *chunksim_coredump_block_name(uint8_t type)
{
    switch (type) {
    case 0:
        return "registers";
    case 1:
        return "memory region";
    case 2:
        return "device serial";
    case 4:
        return "hardware version";
    case 5:
        return "trace reason";
    case 6:
        return "padding";
    case 7:
        return "machine type";
    case 10:
        return "software version";
    case 11:
        return "software type";
    case 12:
        return "build id";
    default:
        return NULL;
    }
}

const char *chunksim_coredump_problem_name(chunksim_coredump_problem_kind_t kind)
{
    static const char *const names[] = {
        "short",         "bad_magic",      "bad_version", "size_mismatch",
        "block_overrun", "block_reserved", "bad_footer",  "footer_reserved",
    };
    return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

static void walk_problem(const chunksim_coredump_walk_config_t *cfg, chunksim_coredump_info_t *info,
                         chunksim_coredump_problem_kind_t kind, uint32_t offset, uint32_t expected,
                         uint32_t got)
{
    const chunksim_coredump_problem_t p = {kind, offset, expected, got};
    info->problems++;
    if (cfg != NULL && cfg->on_problem != NULL) {
        cfg->on_problem(cfg->data, &p);
    }
}

static bool walk_header(const uint8_t *img, uint32_t len,
                        const chunksim_coredump_walk_config_t *cfg, chunksim_coredump_info_t *info)
{
    if (len < CHUNKCORE_COREDUMP_HEADER_BYTES) {
        walk_problem(cfg, info, CHUNKSIM_COREDUMP_SHORT, 0,
                     CHUNKCORE_COREDUMP_HEADER_BYTES + CHUNKCORE_COREDUMP_FOOTER_BYTES, len);
        return false;
    }
    uint32_t magic = le32(img);
    info->version = le32(img + 4);
    info->total_bytes = le32(img + 8);
    info->header_ok = true;
    if (magic != CHUNKCORE_COREDUMP_MAGIC) {
        walk_problem(cfg, info, CHUNKSIM_COREDUMP_BAD_MAGIC, 0, CHUNKCORE_COREDUMP_MAGIC, magic);
        info->header_ok = false;
    }
    if (info->version != CHUNKCORE_COREDUMP_VERSION) {
        walk_problem(cfg, info, CHUNKSIM_COREDUMP_BAD_VERSION, 4, CHUNKCORE_COREDUMP_VERSION,
                     info->version);
        info->header_ok = false;
    }
    if (info->total_bytes != len) {
        walk_problem(cfg, info, CHUNKSIM_COREDUMP_SIZE_MISMATCH, 8, info->total_bytes, len);
        info->header_ok = false;
    }
    return true;
}

static void walk_blocks(const uint8_t *img, uint32_t footer_at,
                        const chunksim_coredump_walk_config_t *cfg, chunksim_coredump_info_t *info)
{
    uint32_t off = CHUNKCORE_COREDUMP_HEADER_BYTES;
    while (off < footer_at) {
        if (footer_at - off < COREDUMP_BLOCK_HDR_BYTES) {
            walk_problem(cfg, info, CHUNKSIM_COREDUMP_BLOCK_OVERRUN, off, footer_at,
                         off + COREDUMP_BLOCK_HDR_BYTES);
            return;
        }
        const chunksim_coredump_block_t b = {info->blocks, off, img[off], le32(img + off + 4),
                                             le32(img + off + 8)};
        info->blocks++;
        if (cfg != NULL && cfg->on_block != NULL) {
            cfg->on_block(cfg->data, &b);
        }
        uint32_t reserved =
            (uint32_t)img[off + 1] | (uint32_t)img[off + 2] << 8 | (uint32_t)img[off + 3] << 16;
        if (reserved != 0) {
            walk_problem(cfg, info, CHUNKSIM_COREDUMP_BLOCK_RESERVED, off + 1, 0, reserved);
        }
        uint32_t room = footer_at - off - COREDUMP_BLOCK_HDR_BYTES;
        if (b.length > room) {
            uint64_t end = (uint64_t)off + COREDUMP_BLOCK_HDR_BYTES + b.length;
            walk_problem(cfg, info, CHUNKSIM_COREDUMP_BLOCK_OVERRUN, off, footer_at,
                         end > UINT32_MAX ? UINT32_MAX : (uint32_t)end);
            return;
        }
        off += COREDUMP_BLOCK_HDR_BYTES + b.length;
    }
}

static void walk_footer(const uint8_t *img, uint32_t at, const chunksim_coredump_walk_config_t *cfg,
                        chunksim_coredump_info_t *info)
{
    uint32_t magic = le32(img + at);
    info->footer_offset = at;
    info->footer_flags = le32(img + at + 4);
    info->footer_ok = true;
    if (magic != CHUNKCORE_COREDUMP_FOOTER_MAGIC) {
        /* No footer here at all: its other fields mean nothing. */
        walk_problem(cfg, info, CHUNKSIM_COREDUMP_BAD_FOOTER, at, CHUNKCORE_COREDUMP_FOOTER_MAGIC,
                     magic);
        info->footer_ok = false;
        return;
    }
    uint32_t r1 = le32(img + at + 8), r2 = le32(img + at + 12);
    if (r1 != 0 || r2 != 0) {
        walk_problem(cfg, info, CHUNKSIM_COREDUMP_FOOTER_RESERVED, at + (r1 != 0 ? 8 : 12), 0,
                     r1 != 0 ? r1 : r2);
        info->footer_ok = false;
    }
}

uint32_t chunksim_coredump_walk(const uint8_t *image, size_t len,
                                const chunksim_coredump_walk_config_t *cfg,
                                chunksim_coredump_info_t *info)
{
    memset(info, 0, sizeof(*info));
    const uint32_t min = CHUNKCORE_COREDUMP_HEADER_BYTES + CHUNKCORE_COREDUMP_FOOTER_BYTES;
    uint32_t n = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    if (!walk_header(image, n, cfg, info)) {
        return info->problems;
    }
    /* Bytes past the header's total size are not the coredump's (already reported). */
    uint32_t end = info->total_bytes >= min && info->total_bytes < n ? info->total_bytes : n;
    if (end < min) {
        walk_problem(cfg, info, CHUNKSIM_COREDUMP_SHORT, 0, min, end);
        return info->problems;
    }
    uint32_t footer_at = end - CHUNKCORE_COREDUMP_FOOTER_BYTES;
    walk_blocks(image, footer_at, cfg, info);
    walk_footer(image, footer_at, cfg, info);
    return info->problems;
}
