/*
 * Run-length encoded data source: wraps a source (the coredump's) and offers
 * its payload run-length encoded, as the SDK's RLE data source does. The
 * packetizer marks such a message with header bit 0x80 (docs/chunk-format.md §4).
 *
 * Encoding (wire-compatible with the SDK): the payload becomes a series of
 * sequences, each a header then its data bytes. The header is a zig-zag
 * varint: the sequence length n, positive for a run, negative for a
 * literal, zig-zagged (2n for a run, 2n - 1 for a literal) and written as an
 * unsigned LEB128 varint of at most 5 bytes.
 *
 *     run of n equal bytes   varint(2n)      the byte, once
 *     literal of n bytes     varint(2n - 1)  the n bytes as they are
 *
 * How the payload is cut into sequences, as the SDK cuts it, so that the
 * encoded bytes (not only their meaning) are the SDK's:
 *   - a sequence whose first two bytes are equal is a run; it goes on while
 *     the byte repeats;
 *   - any other sequence is a literal; it ends just before the first three
 *     equal bytes in a row (they start a run), or at the end of the payload;
 *   - so the shortest run is 2 bytes where a sequence starts, and 3 inside a
 *     literal: `01 02 02 03` stays one literal (`07 01 02 02 03`, 5 bytes)
 *     where literal, run, literal would take 6;
 *   - an empty payload is one empty literal: `00`;
 *   - no sequence is longer than CHUNKCORE_RLE_MAX_SEQ_BYTES.
 *
 * Reads (the SDK's, read for read): RLE cannot stream. The message length
 * must be known before its first chunk, so has_message makes a sizing pass
 * over the whole payload, in reads of CHUNKCORE_RLE_SCAN_BYTES from offset 0.
 * The encoded stream is then produced by a second pass: to find the next
 * sequence the encoder reads CHUNKCORE_RLE_SCAN_BYTES at the first byte it
 * has not classified yet, and stops classifying at the byte that ends a
 * sequence (the rest of that read is read again next time); a sequence's
 * data is then read where it lies: a literal's bytes straight into the
 * chunk, as many as fit, a run's one byte at the run's start. So reads go
 * back over bytes already read, several per chunk, and of their own size:
 * the one-read, strictly-sequential contract (docs/design.md, "The firmware contract") does not
 * hold, and an async reader (a RAM window that moves forward) cannot serve
 * them. chunkcore_rle_init() refuses such a source unless told otherwise.
 *
 * A failed read of the wrapped source is passed up with nothing consumed (the
 * same read may be retried); an abort restarts the message with a new sizing
 * pass, as in the SDK.
 *
 * RAM: sizeof(chunkcore_rle_t), about CHUNKCORE_RLE_SCAN_BYTES + 100 bytes.
 */
#ifndef CHUNKCORE_RLE_H
#define CHUNKCORE_RLE_H

#include "chunkcore/packetizer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes per read of the wrapped source while looking for sequences. 128 is
 * the SDK's, and gives the SDK's reads; a board may trade RAM for reads. */
#ifndef CHUNKCORE_RLE_SCAN_BYTES
#define CHUNKCORE_RLE_SCAN_BYTES 128u
#endif

/* A sequence header: a zig-zag varint of a 31-bit length. */
#define CHUNKCORE_RLE_HEADER_MAX_BYTES 5u

/*
 * Longest sequence: its length is a signed 32-bit value. A longer run or
 * literal (only a damaged coredump header announces such sizes; the SDK's
 * encoder overflows there) is cut into sequences of at most this many.
 */
#ifndef CHUNKCORE_RLE_MAX_SEQ_BYTES
#define CHUNKCORE_RLE_MAX_SEQ_BYTES 0x7FFFFFFFu
#endif

/* ---- the sequence encoding ---- */

typedef struct chunkcore_rle_seq {
    uint32_t start; /* payload offset of its first byte */
    uint32_t bytes; /* payload bytes it stands for */
    bool run;       /* true: `bytes` copies of the byte at start */
} chunkcore_rle_seq_t;

/* Cuts a payload into sequences as it is fed, byte by byte, in any pieces. */
typedef struct chunkcore_rle_scan {
    uint32_t fed_bytes; /* payload bytes fed so far */
    uint32_t seq_start; /* the sequence in progress */
    uint32_t seq_bytes;
    uint8_t run;
    uint8_t last; /* the last byte fed */
    uint8_t same; /* how often `last` repeats at the end (counted up to 3) */
} chunkcore_rle_scan_t;

void chunkcore_rle_scan_init(chunkcore_rle_scan_t *s);

/*
 * Feeds up to len bytes. Stops right after a byte that ends a sequence: then
 * *seq is that sequence and *ended is true. Returns the bytes consumed (all
 * of them when no sequence ended).
 */
size_t chunkcore_rle_scan_feed(chunkcore_rle_scan_t *s, const uint8_t *in, size_t len,
                               chunkcore_rle_seq_t *seq, bool *ended);

/* End of the payload: the sequence in progress (an empty literal when nothing was fed). */
void chunkcore_rle_scan_finish(const chunkcore_rle_scan_t *s, chunkcore_rle_seq_t *seq);

/* Writes the sequence's header (at most CHUNKCORE_RLE_HEADER_MAX_BYTES); returns its length. */
size_t chunkcore_rle_seq_header(const chunkcore_rle_seq_t *seq, uint8_t *hdr);

/* Header plus data bytes: what the sequence takes in the encoded stream. */
uint32_t chunkcore_rle_seq_encoded_bytes(const chunkcore_rle_seq_t *seq);

/* ---- the data source ---- */

typedef struct chunkcore_rle_config {
    const chunkcore_source_t *source; /* the source to encode; must outlive the RLE source */
    /*
     * A source whose reads come from a forward-only stream (sequential_only:
     * an async reader's RAM window) cannot serve RLE's passes, so init
     * refuses it with CHUNKCORE_E_RLE_ASYNC. Leave this false on a board. A
     * simulator sets it to run RLE over such a source anyway and show what
     * breaks.
     */
    bool allow_sequential_only;
} chunkcore_rle_config_t;

/* The encoder's position in the second pass; copied whole so a failed read undoes itself. */
typedef struct chunkcore_rle_pass {
    chunkcore_rle_scan_t scan;  /* scan.fed_bytes: the next payload byte to classify */
    chunkcore_rle_seq_t seq;    /* the sequence being written out */
    uint32_t encoded_offset;    /* encoded bytes handed out */
    uint32_t seq_written_bytes; /* of seq: header and data bytes handed out */
    uint8_t hdr[CHUNKCORE_RLE_HEADER_MAX_BYTES];
    uint8_t hdr_bytes;
    uint8_t writing;  /* seq is found and not all handed out */
    uint8_t finished; /* the last sequence has been found */
} chunkcore_rle_pass_t;

typedef struct chunkcore_rle {
    const chunkcore_source_t *inner;
    chunkcore_source_t source; /* what the packetizer reads */
    uint32_t payload_bytes;    /* the wrapped message's length */
    uint32_t encoded_bytes;    /* its encoded length; 0 until a sizing pass found it */
    chunkcore_rle_pass_t pass;
    uint8_t scratch[CHUNKCORE_RLE_SCAN_BYTES];
} chunkcore_rle_t;

/*
 * Wraps cfg->source. Returns CHUNKCORE_OK, CHUNKCORE_E_INVAL (no source, or
 * one without its three callbacks) or CHUNKCORE_E_RLE_ASYNC (a sequential-only
 * source and allow_sequential_only is false). cfg need not outlive r.
 */
int chunkcore_rle_init(chunkcore_rle_t *r, const chunkcore_rle_config_t *cfg);

/* The encoding source, to list in the packetizer config in place of the wrapped one. */
const chunkcore_source_t *chunkcore_rle_source(chunkcore_rle_t *r);

#ifdef __cplusplus
}
#endif

#endif
