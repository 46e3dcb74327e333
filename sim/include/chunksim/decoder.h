/*
 * Chunk decoder: reassembles chunks (docs/chunk-format.md §6-§10) into
 * messages, checks each message's CRC, and locates damage (a gap, a
 * duplicate, an out-of-order or orphan continuation, a bad CRC, a truncated
 * message) by chunk index and message offset instead of only detecting it.
 * After damage it carries on, so one bad message does not hide the next.
 *
 * Reassembly is by offset, not by arrival: a continuation that arrives before
 * the one it follows is placed where its offset says and reported once as out
 * of order when the late chunk fills the hole; the message still completes. A
 * hole still open when the message ends (the next first chunk, or the end of
 * input) is reported as a gap naming the chunk just after it. A first chunk
 * starts a new message (a device that aborts resends from offset 0), except
 * an exact repeat of a first chunk that is all the message holds so far,
 * which is a duplicate.
 *
 * A multi-call chunk arrives at the receiver as one large `08` chunk, so it
 * is fed as one chunk too.
 *
 * A message whose header has the RLE bit (0x80) is expanded as it completes
 * (the format: core/include/chunkcore/rle.h), so that its payload is what
 * the device stored.
 *
 * Also here: the coredump walk (docs/chunk-format.md §11), which checks a
 * decoded coredump payload's header, blocks and footer.
 */
#ifndef CHUNKSIM_DECODER_H
#define CHUNKSIM_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum chunksim_damage_kind {
    CHUNKSIM_DAMAGE_BAD_HEADER,   /* reserved channel, version 1, unreadable varint, too short */
    CHUNKSIM_DAMAGE_GAP,          /* bytes [offset, got) never arrived: chunks missing */
    CHUNKSIM_DAMAGE_DUPLICATE,    /* a chunk repeats bytes already received, identically */
    CHUNKSIM_DAMAGE_OUT_OF_ORDER, /* a chunk filled a hole after a later chunk had arrived */
    CHUNKSIM_DAMAGE_ORPHAN,       /* continuation with no message in progress */
    CHUNKSIM_DAMAGE_OVERSIZE,     /* bytes past the length the first chunk announced */
    CHUNKSIM_DAMAGE_SHORT,        /* the CRC chunk does not end at the announced length */
    CHUNKSIM_DAMAGE_BAD_CRC,      /* the message is complete but its CRC does not match */
    CHUNKSIM_DAMAGE_TRUNCATED,    /* the input ended, or a new message began, mid-message */
    CHUNKSIM_DAMAGE_CONFLICT      /* a chunk repeats offsets already received, other bytes */
} chunksim_damage_kind_t;

/*
 * What each kind puts in the fields:
 *   BAD_HEADER    offset 0; expected/got per detail
 *   GAP           [message_offset, got) missing; chunk_index: the chunk just after the hole
 *   DUPLICATE     message_offset: the chunk's offset; got: its end (== offset: no bytes)
 *   OUT_OF_ORDER  message_offset: the chunk's offset; expected: the furthest end already held
 *   ORPHAN        message_offset: the chunk's offset
 *   OVERSIZE      expected: the announced length; got: the chunk's end
 *   SHORT         expected: the announced length; got: where the CRC chunk ends
 *   BAD_CRC       message_offset: the length; expected: CRC carried; got: CRC computed
 *   TRUNCATED     message_offset: where the bytes held end; expected: the length;
 *                 got: bytes held; chunk_index: the last chunk that arrived for it
 *   CONFLICT      message_offset: the chunk's offset; got: its end
 */
typedef struct chunksim_damage {
    chunksim_damage_kind_t kind;
    uint64_t chunk_index;    /* the caller's numbering of the chunk it is tied to */
    uint32_t message_offset; /* byte offset within the message */
    uint32_t expected;
    uint32_t got;
    const char *detail; /* static text for BAD_HEADER (why), NULL otherwise */
} chunksim_damage_t;

/* Where one chunk's bytes landed in a message. */
typedef struct chunksim_segment {
    uint64_t chunk_index;
    uint32_t offset;
    uint32_t length;
} chunksim_segment_t;

/* ---- Run-length encoded payloads (docs/chunk-format.md §4, header bit 0x80) ---- */

typedef enum chunksim_rle_problem {
    CHUNKSIM_RLE_OK = 0,
    CHUNKSIM_RLE_BAD_VARINT, /* a sequence header is not a varint of at most 32 bits */
    CHUNKSIM_RLE_TRUNCATED,  /* the payload ends inside a sequence (its value or literal bytes) */
    CHUNKSIM_RLE_TOO_LONG    /* it expands beyond the limit given */
} chunksim_rle_problem_t;

typedef struct chunksim_rle_info {
    chunksim_rle_problem_t problem;
    uint32_t at;            /* encoded offset of the sequence at fault */
    uint64_t decoded_bytes; /* what the sequences before the fault expand to */
    uint32_t sequences;     /* sequences expanded */
    uint32_t runs;          /* of which runs */
} chunksim_rle_info_t;

/*
 * Expands the encoded payload in[0, len) into out (out_bytes of room; out
 * may be NULL to learn the size only). A sequence header of 0 is an empty
 * sequence (what an empty payload encodes to). Stops at the first problem,
 * or when the expansion would pass max_bytes (out == NULL) or out_bytes.
 * Returns info->problem.
 */
chunksim_rle_problem_t chunksim_rle_expand(const uint8_t *in, size_t len, uint8_t *out,
                                           uint64_t out_bytes, chunksim_rle_info_t *info);

/* The encoded offset of the sequence that expands to decoded byte `at`; false past the end. */
bool chunksim_rle_encoded_offset(const uint8_t *in, size_t len, uint64_t at, uint32_t *offset);

/* "ok", "bad_varint", "truncated", "too_long". */
const char *chunksim_rle_problem_name(chunksim_rle_problem_t p);

typedef struct chunksim_message {
    const uint8_t *bytes; /* header + payload; valid during the callback */
    uint32_t length;
    uint8_t type; /* bits 0-5 of the first byte */
    bool has_key;
    bool rle;
    /* Message header bytes: the type byte, plus the project key and its NUL
     * when has_key. The payload (a coredump image) starts here. */
    uint32_t header_bytes;
    bool key_terminated; /* false: has_key but no NUL (header_bytes == length) */
    /* The payload as the device stored it, valid during the callback: the
     * bytes after header_bytes, expanded when rle. NULL (0 bytes) when an RLE
     * payload does not expand within the decoder's limit: rle_info says why. */
    const uint8_t *payload;
    uint32_t payload_bytes;
    chunksim_rle_info_t rle_info; /* rle only */
    bool crc_ok;
    uint16_t crc_expected; /* carried in the last chunk */
    uint16_t crc_computed;
    uint64_t first_chunk;
    uint64_t last_chunk; /* the chunk that completed it */
    uint64_t chunks;     /* chunks that went into it */
    /* Sorted by offset, non-overlapping, covering [0, length). */
    const chunksim_segment_t *segments;
    size_t nsegments;
} chunksim_message_t;

typedef void (*chunksim_message_cb)(void *data, const chunksim_message_t *msg);
typedef void (*chunksim_damage_cb)(void *data, const chunksim_damage_t *damage);

typedef struct chunksim_decoder_config {
    chunksim_message_cb on_message; /* also called for a message with a bad CRC */
    chunksim_damage_cb on_damage;   /* may be NULL */
    void *data;
    /* Larger announced lengths are damage (0: CHUNKSIM_DECODER_DEFAULT_MAX_BYTES). */
    uint32_t max_message_bytes;
} chunksim_decoder_config_t;

/* The message limit when nothing says how large a message may be: a garbage
 * length must not make the decoder hold gigabytes. */
#define CHUNKSIM_DECODER_DEFAULT_MAX_BYTES (64u * 1024u * 1024u)

/*
 * The limit that lets a coredump of image_bytes through whole: the default,
 * or the image plus the largest message header (type byte, a 32-character
 * project key and its NUL) when that is more. A run and `chunksim decode`
 * set it from the image they check against, so a coredump of any size a
 * scenario allows is judged by its bytes, not refused by its length.
 */
uint32_t chunksim_decoder_coredump_limit(uint64_t image_bytes);

typedef struct chunksim_decoder {
    chunksim_decoder_config_t cfg;
    uint64_t messages; /* complete messages (bad CRC included) */
    uint64_t damaged;  /* damage reports */

    /* Private. */
    uint8_t *buf_;
    uint32_t cap_;
    uint8_t *expanded_; /* an RLE message's payload, expanded */
    uint64_t expanded_cap_;
    uint32_t total_;    /* announced message length */
    uint32_t received_; /* bytes held */
    uint32_t high_;     /* furthest end held */
    chunksim_segment_t *segs_;
    size_t nsegs_;
    size_t segcap_;
    uint64_t first_chunk_;
    uint64_t last_chunk_;
    uint64_t chunks_;
    uint64_t end_chunk_;
    uint8_t crc_le_[2];
    bool end_seen_; /* the CRC chunk arrived */
    bool in_message_;
    bool has_last_; /* buf_ still holds the last complete message (duplicates of it) */
} chunksim_decoder_t;

void chunksim_decoder_init(chunksim_decoder_t *dec, const chunksim_decoder_config_t *cfg);

/* One chunk as it arrived. Returns 0, or -ENOMEM when a message cannot be buffered. */
int chunksim_decoder_feed(chunksim_decoder_t *dec, uint64_t chunk_index, const uint8_t *chunk,
                          size_t len);

/* End of input: a message still in progress is reported (gaps, truncated). chunk_index
 * is the caller's index after the last chunk; damage names the message's own chunks. */
void chunksim_decoder_finish(chunksim_decoder_t *dec, uint64_t chunk_index);

void chunksim_decoder_free(chunksim_decoder_t *dec);

const char *chunksim_damage_name(chunksim_damage_kind_t kind);

/* One line describing the damage, without its location. Returns snprintf's value. */
int chunksim_damage_describe(const chunksim_damage_t *d, char *buf, size_t len);

/* The chunk whose bytes hold message offset (binary search); false past the end. */
bool chunksim_message_chunk_at(const chunksim_message_t *msg, uint32_t offset,
                               uint64_t *chunk_index);

/* "none", "coredump", "event", "log", "cdr"; NULL for other types. */
const char *chunksim_message_type_name(uint8_t type);

/* ---- Coredump walk (docs/chunk-format.md §11) ---- */

typedef enum chunksim_coredump_problem_kind {
    CHUNKSIM_COREDUMP_SHORT,          /* fewer bytes than a header and a footer need */
    CHUNKSIM_COREDUMP_BAD_MAGIC,      /* expected: "CORE"; got: what is there */
    CHUNKSIM_COREDUMP_BAD_VERSION,    /* expected: 2 */
    CHUNKSIM_COREDUMP_SIZE_MISMATCH,  /* expected: the header's total size; got: the payload */
    CHUNKSIM_COREDUMP_BLOCK_OVERRUN,  /* a block runs past the footer; got: its end */
    CHUNKSIM_COREDUMP_BLOCK_RESERVED, /* the three bytes after a block's type are not zero */
    CHUNKSIM_COREDUMP_BAD_FOOTER,     /* expected: "DUMP"; got: what is there */
    CHUNKSIM_COREDUMP_FOOTER_RESERVED /* the two u32 after the footer flags are not zero */
} chunksim_coredump_problem_kind_t;

typedef struct chunksim_coredump_problem {
    chunksim_coredump_problem_kind_t kind;
    uint32_t offset; /* within the coredump image */
    uint32_t expected;
    uint32_t got;
} chunksim_coredump_problem_t;

typedef struct chunksim_coredump_block {
    uint32_t index;  /* from 0 */
    uint32_t offset; /* of its 12-byte header within the image */
    uint8_t type;
    uint32_t address;
    uint32_t length; /* payload bytes after the block header */
} chunksim_coredump_block_t;

typedef struct chunksim_coredump_info {
    bool header_ok; /* magic, version and total size all right */
    uint32_t version;
    uint32_t total_bytes; /* from the header */
    uint32_t blocks;
    bool footer_ok;
    uint32_t footer_offset;
    uint32_t footer_flags; /* bit 0: the device truncated the coredump */
    uint32_t problems;
} chunksim_coredump_info_t;

#define CHUNKSIM_COREDUMP_FLAG_TRUNCATED 0x1u

typedef struct chunksim_coredump_walk_config {
    void (*on_block)(void *data, const chunksim_coredump_block_t *block); /* may be NULL */
    void (*on_problem)(void *data, const chunksim_coredump_problem_t *p); /* may be NULL */
    void *data;
} chunksim_coredump_walk_config_t;

/*
 * Checks a coredump image (the message payload after its header bytes): the
 * header, every block in order, the footer in the last 16 bytes. The walk
 * stops at the first block that would run into the footer. Returns the number
 * of problems (info->problems).
 */
uint32_t chunksim_coredump_walk(const uint8_t *image, size_t len,
                                const chunksim_coredump_walk_config_t *cfg,
                                chunksim_coredump_info_t *info);

/* Block type names (docs/chunk-format.md §11: "registers", "memory region", ...); NULL if
 * unassigned. */
const char *chunksim_coredump_block_name(uint8_t type);

const char *chunksim_coredump_problem_name(chunksim_coredump_problem_kind_t kind);

#endif
