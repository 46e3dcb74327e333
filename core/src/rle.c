#include "chunkcore/rle.h"
#include "chunkcore/error.h"
#include "chunkcore/varint.h"

#include <string.h>

/* ---- the sequence encoding ---- */

void chunkcore_rle_scan_init(chunkcore_rle_scan_t *s)
{
    memset(s, 0, sizeof(*s));
}

static void rle_seq_set(chunkcore_rle_seq_t *seq, uint32_t start, uint32_t bytes, bool run)
{
    seq->start = start;
    seq->bytes = bytes;
    seq->run = run;
}

/*
 * One byte, at payload offset s->fed_bytes. True when it ended the sequence
 * in progress, which is then in *seq. A run ends at the first byte that
 * differs, which starts the next sequence; a literal ends when the third of
 * three equal bytes arrives, the three becoming the start of a run.
 */
static bool rle_scan_byte(chunkcore_rle_scan_t *s, uint8_t b, chunkcore_rle_seq_t *seq)
{
    const uint32_t at = s->fed_bytes++;
    const bool repeat = at > 0 && b == s->last;
    bool ended = false;
    s->same = repeat ? (uint8_t)(s->same < 3 ? s->same + 1 : 3) : 1;
    s->last = b;
    if (at == 0) {
        s->seq_start = 0;
        s->seq_bytes = 1;
        s->run = 0;
    } else if (s->run) {
        if (repeat && s->seq_bytes < CHUNKCORE_RLE_MAX_SEQ_BYTES) {
            s->seq_bytes++;
        } else {
            rle_seq_set(seq, s->seq_start, s->seq_bytes, true);
            s->seq_start = at;
            s->seq_bytes = 1;
            s->run = 0;
            ended = true;
        }
    } else if (repeat && s->seq_bytes == 1) {
        s->seq_bytes = 2; /* a sequence that starts with a pair is a run */
        s->run = 1;
    } else if (s->same == 3) {
        /* A literal never starts with a pair, so at least one byte stays in it. */
        rle_seq_set(seq, s->seq_start, s->seq_bytes - 2, false);
        s->seq_start = at - 2;
        s->seq_bytes = 3;
        s->run = 1;
        ended = true;
    } else if (s->seq_bytes == CHUNKCORE_RLE_MAX_SEQ_BYTES) {
        rle_seq_set(seq, s->seq_start, s->seq_bytes, false);
        s->seq_start = at;
        s->seq_bytes = 1;
        ended = true;
    } else {
        s->seq_bytes++;
    }
    return ended;
}

size_t chunkcore_rle_scan_feed(chunkcore_rle_scan_t *s, const uint8_t *in, size_t len,
                               chunkcore_rle_seq_t *seq, bool *ended)
{
    *ended = false;
    for (size_t i = 0; i < len; i++) {
        if (rle_scan_byte(s, in[i], seq)) {
            *ended = true;
            return i + 1;
        }
    }
    return len;
}

void chunkcore_rle_scan_finish(const chunkcore_rle_scan_t *s, chunkcore_rle_seq_t *seq)
{
    rle_seq_set(seq, s->seq_start, s->seq_bytes, s->run != 0);
}

size_t chunkcore_rle_seq_header(const chunkcore_rle_seq_t *seq, uint8_t *hdr)
{
    /* Zig-zag: n >= 0 becomes 2n, -n becomes 2n - 1 (n <= CHUNKCORE_RLE_MAX_SEQ_BYTES). */
    uint32_t zigzag = seq->run ? seq->bytes << 1 : (seq->bytes << 1) - (seq->bytes > 0);
    return chunkcore_varint_encode(zigzag, hdr);
}

uint32_t chunkcore_rle_seq_encoded_bytes(const chunkcore_rle_seq_t *seq)
{
    uint8_t hdr[CHUNKCORE_RLE_HEADER_MAX_BYTES];
    return (uint32_t)chunkcore_rle_seq_header(seq, hdr) + (seq->run ? 1u : seq->bytes);
}

/* ---- the data source ---- */

static uint32_t rle_min(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* The next piece of the payload to classify, read into scratch: its length, or <0. */
static int rle_read_scan(chunkcore_rle_t *r, uint32_t offset)
{
    uint32_t n = rle_min(CHUNKCORE_RLE_SCAN_BYTES, r->payload_bytes - offset);
    int rc = r->inner->read(r->inner->ctx, offset, r->scratch, n);
    return rc < 0 ? rc : (int)n;
}

/* The first pass: the encoded length of the whole payload. 0 or <0. */
static int rle_size_pass(chunkcore_rle_t *r)
{
    chunkcore_rle_scan_t scan;
    chunkcore_rle_seq_t seq;
    uint64_t total = 0;
    chunkcore_rle_scan_init(&scan);
    while (scan.fed_bytes < r->payload_bytes) {
        int n = rle_read_scan(r, scan.fed_bytes);
        if (n < 0) {
            return n;
        }
        for (size_t used = 0; used < (size_t)n;) {
            bool ended;
            used +=
                chunkcore_rle_scan_feed(&scan, r->scratch + used, (size_t)n - used, &seq, &ended);
            total += ended ? chunkcore_rle_seq_encoded_bytes(&seq) : 0;
        }
    }
    chunkcore_rle_scan_finish(&scan, &seq);
    total += chunkcore_rle_seq_encoded_bytes(&seq);
    /* Leaves room for the message header and CRC in the packetizer's 32-bit length. */
    if (total > UINT32_MAX - CHUNKCORE_MSG_HDR_MAX_BYTES - 3u) {
        return CHUNKCORE_E_INVAL;
    }
    r->encoded_bytes = (uint32_t)total;
    return 0;
}

static void rle_pass_start(chunkcore_rle_t *r)
{
    memset(&r->pass, 0, sizeof(r->pass));
    chunkcore_rle_scan_init(&r->pass.scan);
}

/* The second pass has handed something out: a new message start is a restart. */
static bool rle_pass_started(const chunkcore_rle_t *r)
{
    return r->pass.encoded_offset > 0 || r->pass.scan.fed_bytes > 0 || r->pass.writing;
}

/*
 * Asked only while no message is in progress: a first ask sizes the
 * payload; a repeated one (data-available, then begin) reuses the size; an
 * ask after the message had started is a restart after an abort, which the
 * SDK sizes again.
 */
static int rle_has_message(void *ctx, uint32_t *payload_bytes)
{
    chunkcore_rle_t *r = ctx;
    uint32_t raw = 0;
    int rc = r->inner->has_message(r->inner->ctx, &raw);
    if (rc <= 0) {
        r->encoded_bytes = 0;
        rle_pass_start(r);
        return rc;
    }
    if (r->encoded_bytes == 0 || raw != r->payload_bytes || rle_pass_started(r)) {
        r->payload_bytes = raw;
        r->encoded_bytes = 0;
        rle_pass_start(r);
        rc = rle_size_pass(r);
        if (rc < 0) {
            return rc;
        }
    }
    rle_pass_start(r);
    *payload_bytes = r->encoded_bytes;
    return 1;
}

static void rle_pass_take(chunkcore_rle_pass_t *p, const chunkcore_rle_seq_t *seq)
{
    p->seq = *seq;
    p->hdr_bytes = (uint8_t)chunkcore_rle_seq_header(seq, p->hdr);
    p->seq_written_bytes = 0;
    p->writing = 1;
}

/* Finds the next sequence: reads at the first unclassified byte until one ends. */
static int rle_pass_find(chunkcore_rle_t *r)
{
    chunkcore_rle_pass_t *p = &r->pass;
    chunkcore_rle_seq_t seq;
    while (p->scan.fed_bytes < r->payload_bytes) {
        int n = rle_read_scan(r, p->scan.fed_bytes);
        if (n < 0) {
            return n;
        }
        bool ended;
        (void)chunkcore_rle_scan_feed(&p->scan, r->scratch, (size_t)n, &seq, &ended);
        if (ended) {
            rle_pass_take(p, &seq);
            return 0;
        }
    }
    if (p->finished) {
        return CHUNKCORE_E_RANGE; /* asked for more than the encoded length */
    }
    chunkcore_rle_scan_finish(&p->scan, &seq);
    p->finished = 1;
    rle_pass_take(p, &seq);
    return 0;
}

/* Hands out what fits of the sequence being written: header, then data read where it lies. */
static int rle_pass_write(chunkcore_rle_t *r, uint8_t **dst, uint32_t *room)
{
    chunkcore_rle_pass_t *p = &r->pass;
    if (p->seq_written_bytes < p->hdr_bytes) {
        uint32_t n = rle_min(*room, p->hdr_bytes - p->seq_written_bytes);
        memcpy(*dst, p->hdr + p->seq_written_bytes, n);
        p->seq_written_bytes += n;
        *dst += n;
        *room -= n;
    }
    const uint32_t data_bytes = p->seq.run ? 1u : p->seq.bytes;
    const uint32_t data_done = p->seq_written_bytes - p->hdr_bytes;
    uint32_t n = rle_min(*room, data_bytes - data_done);
    if (n > 0) {
        int rc = r->inner->read(r->inner->ctx, p->seq.start + data_done, *dst, n);
        if (rc < 0) {
            return rc;
        }
        p->seq_written_bytes += n;
        *dst += n;
        *room -= n;
    }
    p->writing = p->seq_written_bytes < p->hdr_bytes + data_bytes;
    return 0;
}

static int rle_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    chunkcore_rle_t *r = ctx;
    if (r->encoded_bytes == 0 || offset != r->pass.encoded_offset) {
        return CHUNKCORE_E_INVAL; /* the encoded stream is produced in order only */
    }
    if (len > r->encoded_bytes - offset) {
        return CHUNKCORE_E_RANGE;
    }
    const chunkcore_rle_pass_t before = r->pass;
    uint8_t *dst = buf;
    uint32_t room = (uint32_t)len;
    while (room > 0) {
        int rc = r->pass.writing ? 0 : rle_pass_find(r);
        if (rc == 0) {
            rc = rle_pass_write(r, &dst, &room);
        }
        if (rc < 0) {
            r->pass = before; /* nothing consumed: the same read may be retried */
            return rc;
        }
    }
    r->pass.encoded_offset += (uint32_t)len;
    return 0;
}

static int rle_mark_read(void *ctx)
{
    chunkcore_rle_t *r = ctx;
    r->encoded_bytes = 0;
    rle_pass_start(r);
    return r->inner->mark_read(r->inner->ctx);
}

int chunkcore_rle_init(chunkcore_rle_t *r, const chunkcore_rle_config_t *cfg)
{
    memset(r, 0, sizeof(*r));
    const chunkcore_source_t *in = cfg != NULL ? cfg->source : NULL;
    if (in == NULL || in->has_message == NULL || in->read == NULL || in->mark_read == NULL) {
        return CHUNKCORE_E_INVAL;
    }
    if (in->sequential_only && !cfg->allow_sequential_only) {
        return CHUNKCORE_E_RLE_ASYNC;
    }
    r->inner = in;
    r->source.has_message = rle_has_message;
    r->source.read = rle_read;
    r->source.mark_read = rle_mark_read;
    r->source.ctx = r;
    r->source.run_length_encoded = true;
    return CHUNKCORE_OK;
}

const chunkcore_source_t *chunkcore_rle_source(chunkcore_rle_t *r)
{
    return &r->source;
}
