/*
 * Capture parser: chunks captured from a device, as a file, into the chunk
 * bytes the decoder takes, each with where it was found so that damage can be
 * named by line (text) or by byte offset (binary).
 *
 * Formats (the names of the Memfault CLI's `post-chunk --encoding` where it has one):
 *   mc      console text, the SDK's export (`memfault_data_export_chunk()`; the CLI's
 *           `sdk_data_export`, accepted as a name too). Every `MC:<base64 of one chunk>:`
 *           anywhere in a line is one chunk (several per line are allowed); all other text
 *           and lines are ignored, and so is an `MC:` followed by anything the SDK never
 *           prints after it (log text such as "MC: ok"). Base64 is the standard alphabet
 *           with `=` padding. A record that is not valid (a character outside the
 *           alphabet, wrong padding, no closing `:` before the end of the line, nothing
 *           between the colons) is reported: on a console that drops characters that is
 *           exactly what a damaged chunk looks like.
 *   hex     one chunk per line as hex digits (either case); spaces and tabs anywhere are
 *           ignored. Blank lines and lines whose first non-blank character is `#` are
 *           skipped. Any other character, or an odd number of digits, is reported.
 *   base64  one chunk per line as standard base64 with `=` padding, blanks around it
 *           ignored; blank and `#` lines skipped as for hex. A bad character, length or
 *           padding is reported.
 *   bin     the whole input is one chunk, raw (the CLI's `--encoding bin`).
 *   records chunksim's own binary capture: records of a 2-byte little-endian length
 *           followed by that many chunk bytes, back to back, nothing else (so one chunk is
 *           at most 65535 bytes). Input ending inside a length or a chunk is reported as
 *           truncated.
 *   auto    the one format the input fits, by chunksim_capture_candidates():
 *           - binary input (control bytes other than whitespace and ESC, or a first byte of
 *             0x80 or 0xC0, which no text starts with): records when its lengths walk it
 *             as two or more whole records (the last may be cut short; a damaged chunk
 *             header does not matter); else bin when its first byte is a chunk header
 *             (docs/chunk-format.md §6), records when it walks as one whole record that
 *             starts with one (the next may be cut short); both, or neither, fit: ambiguous;
 *           - text holding `MC:`: mc;
 *           - other text: hex or base64, whichever every content line fits (hex digits are
 *             base64 characters too: then the one whose lines each start with a chunk
 *             header); when no format fits every line, the one that fits more lines. A tie
 *             is ambiguous. Text without content lines (empty input): hex, no chunks.
 *           An ambiguous input is not guessed at: chunksim_capture_parse() returns
 *           CHUNKSIM_CAPTURE_AMBIGUOUS and the caller names the candidates.
 *
 * Text lines end at LF; a CR before it is ignored. Line and column numbers
 * count from 1.
 */
#ifndef CHUNKSIM_CAPTURE_H
#define CHUNKSIM_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "chunksim/error.h"

typedef enum chunksim_capture_format {
    CHUNKSIM_CAPTURE_AUTO,
    CHUNKSIM_CAPTURE_MC,
    CHUNKSIM_CAPTURE_HEX,
    CHUNKSIM_CAPTURE_BASE64,
    CHUNKSIM_CAPTURE_BIN,
    CHUNKSIM_CAPTURE_RECORDS,
    CHUNKSIM_CAPTURE_FORMATS /* count, not a format */
} chunksim_capture_format_t;

/* chunksim_capture_parse() with AUTO on an input that fits several formats. */
#define CHUNKSIM_CAPTURE_AMBIGUOUS CHUNKSIM_E_AMBIGUOUS

/* Where a chunk (or a problem) is in the input. */
typedef struct chunksim_capture_loc {
    uint64_t index;       /* chunk number in the capture, from 0 (for errors: the next one) */
    uint64_t line;        /* text: line number; bin, records: record number, from 1 */
    uint64_t column;      /* text: column; bin, records: 0 */
    uint64_t file_offset; /* byte offset in the input of the record (or of the problem) */
} chunksim_capture_loc_t;

typedef enum chunksim_capture_error_kind {
    CHUNKSIM_CAPTURE_E_BASE64,       /* mc, base64: character outside base64 (got), or padding */
    CHUNKSIM_CAPTURE_E_UNTERMINATED, /* mc: no closing ':' before the end of the line */
    CHUNKSIM_CAPTURE_E_EMPTY,        /* mc: nothing between the colons */
    CHUNKSIM_CAPTURE_E_HEX,          /* hex: character that is not a hex digit (got) */
    CHUNKSIM_CAPTURE_E_ODD_HEX,      /* hex: odd number of digits (got) */
    CHUNKSIM_CAPTURE_E_TRUNCATED,    /* records: expected bytes announced, got bytes left */
    CHUNKSIM_CAPTURE_E_TOO_LONG      /* a chunk above max_chunk_bytes (expected), got its size */
} chunksim_capture_error_kind_t;

typedef struct chunksim_capture_error {
    chunksim_capture_error_kind_t kind;
    chunksim_capture_format_t format; /* the format being parsed */
    chunksim_capture_loc_t loc; /* column/file_offset: of the offending character when known */
    uint64_t expected;
    uint64_t got; /* a character, a count or a size, per kind */
} chunksim_capture_error_t;

/* One chunk; bytes valid during the call. A nonzero return stops the parse and is returned. */
typedef int (*chunksim_capture_chunk_cb)(void *data, const chunksim_capture_loc_t *loc,
                                         const uint8_t *chunk, size_t len);
typedef void (*chunksim_capture_error_cb)(void *data, const chunksim_capture_error_t *err);

typedef struct chunksim_capture_config {
    chunksim_capture_format_t format; /* AUTO: chunksim_capture_detect() */
    chunksim_capture_chunk_cb on_chunk;
    chunksim_capture_error_cb on_error; /* may be NULL */
    void *data;
    uint32_t max_chunk_bytes; /* text formats; 0: 16 MiB (a multi-call chunk can be large) */
} chunksim_capture_config_t;

typedef struct chunksim_capture_stats {
    chunksim_capture_format_t format; /* the format parsed (AUTO resolved) */
    uint64_t lines;                   /* text: lines read; bin, records: records */
    uint64_t chunks;
    uint64_t errors;
} chunksim_capture_stats_t;

/* Every format AUTO considers for this input (see above): bit (1u << format) for each. */
unsigned chunksim_capture_candidates(const uint8_t *in, size_t len);

/* The format AUTO resolves to for this input, or AUTO when it is ambiguous. */
chunksim_capture_format_t chunksim_capture_detect(const uint8_t *in, size_t len);

/*
 * Parses the whole input, calling on_chunk per chunk and on_error per problem,
 * and carries on after each problem. Returns 0, -EINVAL for a bad format,
 * CHUNKSIM_CAPTURE_AMBIGUOUS (AUTO only; nothing parsed), -ENOMEM, or
 * on_chunk's nonzero value. stats may be NULL.
 */
int chunksim_capture_parse(const chunksim_capture_config_t *cfg, const uint8_t *in, size_t len,
                           chunksim_capture_stats_t *stats);

/* "auto", "mc", "hex", "base64", "bin", "records". */
const char *chunksim_capture_format_name(chunksim_capture_format_t format);

/* The format named name (as above, or the CLI's "sdk_data_export" for mc); -EINVAL if none. */
int chunksim_capture_format_from_name(const char *name, chunksim_capture_format_t *format);

const char *chunksim_capture_error_name(chunksim_capture_error_kind_t kind);

/* One line describing the problem, without its location. Returns snprintf's value. */
int chunksim_capture_error_describe(const chunksim_capture_error_t *err, char *buf, size_t len);

#endif
