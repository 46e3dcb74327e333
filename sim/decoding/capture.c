#define _GNU_SOURCE /* memmem */
#include "chunksim/capture.h"

#include <errno.h>
#include <nettle/base64.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPTURE_DEFAULT_MAX_BYTES (16u * 1024u * 1024u)
#define CAPTURE_BIN_PREFIX_BYTES  2u
#define CAPTURE_CHANNEL_MASK      0x07u
#define CAPTURE_VERSION_MASK      0x38u
#define CAPTURE_VERSION_1         0x08u
#define CAPTURE_CONTINUATION      0x80u
#define CAPTURE_FITS(format)      (1u << (unsigned)(format))

typedef struct capture {
    const chunksim_capture_config_t *cfg;
    chunksim_capture_stats_t st;
    const uint8_t *in;
    uint8_t *buf;
    size_t cap;
    uint32_t max_bytes;
} capture_t;

const char *chunksim_capture_format_name(chunksim_capture_format_t format)
{
    static const char *const names[] = {"auto", "mc", "hex", "base64", "bin", "records"};
    return (unsigned)format < sizeof(names) / sizeof(names[0]) ? names[format] : "unknown";
}

int chunksim_capture_format_from_name(const char *name, chunksim_capture_format_t *format)
{
    for (int f = CHUNKSIM_CAPTURE_AUTO; f < CHUNKSIM_CAPTURE_FORMATS; f++) {
        if (strcmp(name, chunksim_capture_format_name((chunksim_capture_format_t)f)) == 0) {
            *format = (chunksim_capture_format_t)f;
            return 0;
        }
    }
    /* The Memfault CLI's name for the console export (post-chunk --encoding). */
    if (strcmp(name, "sdk_data_export") == 0) {
        *format = CHUNKSIM_CAPTURE_MC;
        return 0;
    }
    return -EINVAL;
}

const char *chunksim_capture_error_name(chunksim_capture_error_kind_t kind)
{
    static const char *const names[] = {
        "bad_base64", "unterminated", "empty_record", "bad_hex", "odd_hex", "truncated", "too_long",
    };
    return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

int chunksim_capture_error_describe(const chunksim_capture_error_t *e, char *buf, size_t len)
{
    unsigned ch = (unsigned)(e->got & 0xFFu);
    const char *where = e->format == CHUNKSIM_CAPTURE_MC ? " in MC record" : "";
    switch (e->kind) {
    case CHUNKSIM_CAPTURE_E_BASE64:
        if (e->got == 0) {
            return snprintf(buf, len, "bad base64%s: wrong length or padding", where);
        }
        return snprintf(buf, len, "bad base64%s: character %s%c%s0x%02X", where,
                        ch >= 0x20 && ch < 0x7F ? "'" : "", ch >= 0x20 && ch < 0x7F ? (int)ch : ' ',
                        ch >= 0x20 && ch < 0x7F ? "' " : "", ch);
    case CHUNKSIM_CAPTURE_E_UNTERMINATED:
        return snprintf(buf, len, "MC record has no closing ':' (line cut short?)");
    case CHUNKSIM_CAPTURE_E_EMPTY:
        return snprintf(buf, len, "empty MC record");
    case CHUNKSIM_CAPTURE_E_HEX:
        return snprintf(buf, len, "bad hex: character %s%c%s0x%02X",
                        ch >= 0x20 && ch < 0x7F ? "'" : "", ch >= 0x20 && ch < 0x7F ? (int)ch : ' ',
                        ch >= 0x20 && ch < 0x7F ? "' " : "", ch);
    case CHUNKSIM_CAPTURE_E_ODD_HEX:
        return snprintf(buf, len, "bad hex: odd number of digits (%llu)",
                        (unsigned long long)e->got);
    case CHUNKSIM_CAPTURE_E_TRUNCATED:
        return snprintf(buf, len, "truncated: %llu bytes announced, %llu left in the file",
                        (unsigned long long)e->expected, (unsigned long long)e->got);
    case CHUNKSIM_CAPTURE_E_TOO_LONG:
        return snprintf(buf, len, "chunk of %llu bytes, above the limit of %llu",
                        (unsigned long long)e->got, (unsigned long long)e->expected);
    }
    return snprintf(buf, len, "unknown capture problem");
}

/* docs/chunk-format.md §6: channel 0; version 1 on a first chunk, 0 on a continuation. */
static bool capture_chunk_header(uint8_t b)
{
    return (b & CAPTURE_CHANNEL_MASK) == 0 &&
           (b & CAPTURE_VERSION_MASK) == ((b & CAPTURE_CONTINUATION) ? 0u : CAPTURE_VERSION_1);
}

typedef enum capture_walk { WALK_NO, WALK_EXACT, WALK_CUT } capture_walk_t;

/* Whether the input walks as length-prefixed records; CUT: at least one whole record, then one
 * that the end of the input cuts short (a damaged records file). Headers are not asked for: a
 * damaged one is the decoder's to report. */
static capture_walk_t capture_records_walk(const uint8_t *in, size_t len, size_t *records)
{
    size_t off = 0;
    *records = 0;
    while (off < len) {
        if (len - off < CAPTURE_BIN_PREFIX_BYTES) {
            return *records > 0 ? WALK_CUT : WALK_NO;
        }
        size_t n = (size_t)in[off] | (size_t)in[off + 1] << 8;
        size_t left = len - off - CAPTURE_BIN_PREFIX_BYTES;
        if (n == 0) {
            return WALK_NO;
        }
        if (n > left) {
            return *records > 0 ? WALK_CUT : WALK_NO;
        }
        off += CAPTURE_BIN_PREFIX_BYTES + n;
        ++*records;
    }
    return *records > 0 ? WALK_EXACT : WALK_NO;
}

static bool capture_is_control(uint8_t c)
{
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f' &&
            c != 0x1B) ||
           c == 0x7F;
}

/* Text never starts with 0x80 or 0xC0 (not even UTF-8); a continuation chunk does. */
static bool capture_is_binary(const uint8_t *in, size_t len)
{
    if (len > 0 && in[0] >= 0x80 && capture_chunk_header(in[0])) {
        return true;
    }
    for (size_t i = 0; i < len; i++) {
        if (capture_is_control(in[i])) {
            return true;
        }
    }
    return false;
}

static unsigned capture_binary_candidates(const uint8_t *in, size_t len)
{
    size_t records;
    capture_walk_t walk = capture_records_walk(in, len, &records);
    /* Two or more records whose lengths walk the file do not happen by chance. */
    if (walk != WALK_NO && records >= 2) {
        return CAPTURE_FITS(CHUNKSIM_CAPTURE_RECORDS);
    }
    unsigned fits = walk != WALK_NO && capture_chunk_header(in[CAPTURE_BIN_PREFIX_BYTES])
                        ? CAPTURE_FITS(CHUNKSIM_CAPTURE_RECORDS)
                        : 0u;
    if (capture_chunk_header(in[0])) {
        fits |= CAPTURE_FITS(CHUNKSIM_CAPTURE_BIN);
    }
    return fits != 0 ? fits
                     : CAPTURE_FITS(CHUNKSIM_CAPTURE_BIN) | CAPTURE_FITS(CHUNKSIM_CAPTURE_RECORDS);
}

static bool capture_base64_char(uint8_t ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '+' || ch == '/' || ch == '=';
}

static int capture_base64_value(uint8_t ch)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = ch != 0 ? strchr(alphabet, ch) : NULL;
    return p != NULL ? (int)(p - alphabet) : -1;
}

static int capture_hex_nibble(uint8_t ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

/* [*b, *e) less leading and trailing blanks; false for a blank or '#' line. */
static bool capture_content(const uint8_t **b, const uint8_t **e)
{
    while (*b < *e && (**b == ' ' || **b == '\t')) {
        ++*b;
    }
    while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t')) {
        --*e;
    }
    return *b < *e && **b != '#';
}

/* Whether [b, e) is one hex chunk; *header: its first byte is a chunk header. */
static bool capture_hex_fits(const uint8_t *b, const uint8_t *e, bool *header)
{
    size_t digits = 0;
    int first = 0;
    for (const uint8_t *p = b; p < e; p++) {
        if (*p == ' ' || *p == '\t') {
            continue;
        }
        int v = capture_hex_nibble(*p);
        if (v < 0) {
            return false;
        }
        first = digits < 2 ? first << 4 | v : first;
        digits++;
    }
    *header = digits >= 2 && capture_chunk_header((uint8_t)first);
    return digits % 2 == 0;
}

/* Whether [b, e) is one base64 chunk (padding only at its end); *header: as above. */
static bool capture_base64_fits(const uint8_t *b, const uint8_t *e, bool *header)
{
    const size_t n = (size_t)(e - b);
    size_t pad = 0;
    for (const uint8_t *p = b; p < e; p++) {
        if (!capture_base64_char(*p) || (pad > 0 && *p != '=')) {
            return false;
        }
        pad += *p == '=';
    }
    *header = n >= 2 && capture_base64_value(b[0]) >= 0 && capture_base64_value(b[1]) >= 0 &&
              capture_chunk_header(
                  (uint8_t)(capture_base64_value(b[0]) << 2 | capture_base64_value(b[1]) >> 4));
    return n % 4 == 0 && pad <= 2 && n > pad;
}

/* One way of reading every content line as a chunk: how many lines fit, how many of those start
 * with a chunk header. */
typedef struct capture_fit {
    uint64_t lines;
    uint64_t headers;
} capture_fit_t;

static unsigned capture_pick(uint64_t lines, capture_fit_t hex, capture_fit_t b64)
{
    const unsigned h = CAPTURE_FITS(CHUNKSIM_CAPTURE_HEX),
                   b = CAPTURE_FITS(CHUNKSIM_CAPTURE_BASE64);
    if (hex.lines == lines && b64.lines == lines) {
        /* Hex digits are base64 characters too: let the chunk headers decide. */
        if ((hex.headers == lines) != (b64.headers == lines)) {
            return hex.headers == lines ? h : b;
        }
        return h | b;
    }
    if (hex.lines != b64.lines) {
        return hex.lines > b64.lines ? h : b;
    }
    return h | b;
}

static unsigned capture_text_candidates(const uint8_t *in, size_t len)
{
    if (len >= 3 && memmem(in, len, "MC:", 3) != NULL) {
        return CAPTURE_FITS(CHUNKSIM_CAPTURE_MC);
    }
    uint64_t lines = 0;
    capture_fit_t hex = {0, 0}, b64 = {0, 0};
    const uint8_t *p = in, *end = in + len;
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *b = p, *e = nl != NULL ? nl : end;
        e = e > b && e[-1] == '\r' ? e - 1 : e;
        p = nl != NULL ? nl + 1 : end;
        bool header;
        if (!capture_content(&b, &e)) {
            continue;
        }
        lines++;
        if (capture_hex_fits(b, e, &header)) {
            hex.lines++;
            hex.headers += header;
        }
        if (capture_base64_fits(b, e, &header)) {
            b64.lines++;
            b64.headers += header;
        }
    }
    return lines == 0 ? CAPTURE_FITS(CHUNKSIM_CAPTURE_HEX) : capture_pick(lines, hex, b64);
}

unsigned chunksim_capture_candidates(const uint8_t *in, size_t len)
{
    return capture_is_binary(in, len) ? capture_binary_candidates(in, len)
                                      : capture_text_candidates(in, len);
}

chunksim_capture_format_t chunksim_capture_detect(const uint8_t *in, size_t len)
{
    const unsigned fits = chunksim_capture_candidates(in, len);
    for (int f = CHUNKSIM_CAPTURE_MC; f < CHUNKSIM_CAPTURE_FORMATS; f++) {
        if (fits == CAPTURE_FITS(f)) {
            return (chunksim_capture_format_t)f;
        }
    }
    return CHUNKSIM_CAPTURE_AUTO;
}

static void capture_error(capture_t *c, chunksim_capture_error_kind_t kind, uint64_t line,
                          uint64_t column, const uint8_t *at, uint64_t expected, uint64_t got)
{
    const chunksim_capture_error_t e = {
        .kind = kind,
        .format = c->st.format,
        .loc = {c->st.chunks, line, column, (uint64_t)(at - c->in)},
        .expected = expected,
        .got = got,
    };
    c->st.errors++;
    if (c->cfg->on_error != NULL) {
        c->cfg->on_error(c->cfg->data, &e);
    }
}

static int capture_emit(capture_t *c, uint64_t line, uint64_t column, const uint8_t *at,
                        const uint8_t *chunk, size_t len)
{
    const chunksim_capture_loc_t loc = {c->st.chunks, line, column, (uint64_t)(at - c->in)};
    c->st.chunks++;
    return c->cfg->on_chunk != NULL ? c->cfg->on_chunk(c->cfg->data, &loc, chunk, len) : 0;
}

static int capture_reserve(capture_t *c, size_t n)
{
    if (n <= c->cap) {
        return 0;
    }
    uint8_t *nb = realloc(c->buf, n);
    if (nb == NULL) {
        return -ENOMEM;
    }
    c->buf = nb;
    c->cap = n;
    return 0;
}

/* One chunk as base64 text [b, e), located at (line, col, at); ls: the line's start. Returns
 * on_chunk's value or -ENOMEM. */
static int capture_base64_chunk(capture_t *c, uint64_t line, const uint8_t *ls, const uint8_t *at,
                                const uint8_t *b, const uint8_t *e)
{
    const uint64_t col = (uint64_t)(at - ls) + 1;
    for (const uint8_t *p = b; p < e; p++) {
        if (!capture_base64_char(*p)) {
            capture_error(c, CHUNKSIM_CAPTURE_E_BASE64, line, (uint64_t)(p - ls) + 1, p, 0, *p);
            return 0;
        }
    }
    const size_t n = (size_t)(e - b);
    if (n / 4 * 3 > c->max_bytes) {
        capture_error(c, CHUNKSIM_CAPTURE_E_TOO_LONG, line, col, at, c->max_bytes, n / 4 * 3);
        return 0;
    }
    int rc = capture_reserve(c, BASE64_DECODE_LENGTH(n) + 1);
    if (rc < 0) {
        return rc;
    }
    struct base64_decode_ctx ctx;
    size_t out = c->cap;
    base64_decode_init(&ctx);
    /* Strict: a dropped character shows up as wrong length or padding. */
    if (!base64_decode_update(&ctx, &out, c->buf, n, (const char *)b) ||
        !base64_decode_final(&ctx) || out == 0) {
        capture_error(c, CHUNKSIM_CAPTURE_E_BASE64, line, col, at, 0, 0);
        return 0;
    }
    return capture_emit(c, line, col, at, c->buf, out);
}

/* The SDK prints "MC:" then base64 (memfault_data_export_chunk): log text such as "MC: ok" is
 * not a record. A cut line ends right after the prefix, so that is one. */
static bool capture_mc_shaped(const uint8_t *m, const uint8_t *le)
{
    return m + 3 == le || m[3] == ':' || capture_base64_char(m[3]);
}

static int capture_mc_line(capture_t *c, uint64_t line, const uint8_t *ls, const uint8_t *le)
{
    const uint8_t *p = ls;
    while (le - p >= 3) {
        const uint8_t *m = memmem(p, (size_t)(le - p), "MC:", 3);
        if (m == NULL) {
            break;
        }
        const uint8_t *b = m + 3;
        if (!capture_mc_shaped(m, le)) {
            p = b;
            continue;
        }
        const uint8_t *e = memchr(b, ':', (size_t)(le - b));
        if (e == NULL) {
            capture_error(c, CHUNKSIM_CAPTURE_E_UNTERMINATED, line, (uint64_t)(m - ls) + 1, m, 0,
                          0);
            break;
        }
        int rc = 0;
        if (b == e) {
            capture_error(c, CHUNKSIM_CAPTURE_E_EMPTY, line, (uint64_t)(m - ls) + 1, m, 0, 0);
        } else {
            rc = capture_base64_chunk(c, line, ls, m, b, e);
        }
        if (rc != 0) {
            return rc;
        }
        p = e + 1;
    }
    return 0;
}

static int capture_base64_line(capture_t *c, uint64_t line, const uint8_t *ls, const uint8_t *le)
{
    const uint8_t *b = ls, *e = le;
    return capture_content(&b, &e) ? capture_base64_chunk(c, line, ls, b, b, e) : 0;
}

static int capture_hex_line(capture_t *c, uint64_t line, const uint8_t *ls, const uint8_t *le)
{
    const uint8_t *p = ls;
    while (p < le && (*p == ' ' || *p == '\t')) {
        p++;
    }
    if (p == le || *p == '#') {
        return 0;
    }
    const uint8_t *first = p;
    int rc = capture_reserve(c, (size_t)(le - p) / 2 + 1);
    if (rc < 0) {
        return rc;
    }
    size_t digits = 0;
    for (; p < le; p++) {
        if (*p == ' ' || *p == '\t') {
            continue;
        }
        int v = capture_hex_nibble(*p);
        if (v < 0) {
            capture_error(c, CHUNKSIM_CAPTURE_E_HEX, line, (uint64_t)(p - ls) + 1, p, 0, *p);
            return 0;
        }
        if (digits % 2 == 0) {
            c->buf[digits / 2] = (uint8_t)(v << 4);
        } else {
            c->buf[digits / 2] |= (uint8_t)v;
        }
        digits++;
    }
    const uint64_t col = (uint64_t)(first - ls) + 1;
    if (digits % 2 != 0) {
        capture_error(c, CHUNKSIM_CAPTURE_E_ODD_HEX, line, col, first, 0, digits);
        return 0;
    }
    if (digits / 2 > c->max_bytes) {
        capture_error(c, CHUNKSIM_CAPTURE_E_TOO_LONG, line, col, first, c->max_bytes, digits / 2);
        return 0;
    }
    return capture_emit(c, line, col, first, c->buf, digits / 2);
}

static int capture_text(capture_t *c, const uint8_t *in, size_t len)
{
    const uint8_t *p = in, *end = in + len;
    uint64_t line = 0;
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *le = nl != NULL ? nl : end;
        const uint8_t *content_end = le > p && le[-1] == '\r' ? le - 1 : le;
        line++;
        int rc = c->st.format == CHUNKSIM_CAPTURE_MC ? capture_mc_line(c, line, p, content_end)
                 : c->st.format == CHUNKSIM_CAPTURE_HEX
                     ? capture_hex_line(c, line, p, content_end)
                     : capture_base64_line(c, line, p, content_end);
        if (rc != 0) {
            return rc;
        }
        p = nl != NULL ? nl + 1 : end;
    }
    c->st.lines = line;
    return 0;
}

static int capture_records(capture_t *c, const uint8_t *in, size_t len)
{
    size_t off = 0;
    uint64_t record = 0;
    while (off < len) {
        record++;
        if (len - off < CAPTURE_BIN_PREFIX_BYTES) {
            capture_error(c, CHUNKSIM_CAPTURE_E_TRUNCATED, record, 0, in + off,
                          CAPTURE_BIN_PREFIX_BYTES, len - off);
            break;
        }
        size_t n = (size_t)in[off] | (size_t)in[off + 1] << 8;
        size_t left = len - off - CAPTURE_BIN_PREFIX_BYTES;
        if (n > left) {
            capture_error(c, CHUNKSIM_CAPTURE_E_TRUNCATED, record, 0, in + off, n, left);
            break;
        }
        int rc = capture_emit(c, record, 0, in + off, in + off + CAPTURE_BIN_PREFIX_BYTES, n);
        if (rc != 0) {
            return rc;
        }
        off += CAPTURE_BIN_PREFIX_BYTES + n;
    }
    c->st.lines = record;
    return 0;
}

int chunksim_capture_parse(const chunksim_capture_config_t *cfg, const uint8_t *in, size_t len,
                           chunksim_capture_stats_t *stats)
{
    capture_t c = {.cfg = cfg, .in = in};
    c.max_bytes = cfg->max_chunk_bytes ? cfg->max_chunk_bytes : CAPTURE_DEFAULT_MAX_BYTES;
    c.st.format =
        cfg->format == CHUNKSIM_CAPTURE_AUTO ? chunksim_capture_detect(in, len) : cfg->format;
    int rc;
    switch (c.st.format) {
    case CHUNKSIM_CAPTURE_MC:
    case CHUNKSIM_CAPTURE_HEX:
    case CHUNKSIM_CAPTURE_BASE64:
        rc = capture_text(&c, in, len);
        break;
    case CHUNKSIM_CAPTURE_BIN:
        /* The whole file is one chunk, as the Memfault CLI's --encoding bin reads it. */
        c.st.lines = len > 0;
        rc = len > 0 ? capture_emit(&c, 1, 0, in, in, len) : 0;
        break;
    case CHUNKSIM_CAPTURE_RECORDS:
        rc = capture_records(&c, in, len);
        break;
    case CHUNKSIM_CAPTURE_AUTO:
        rc = CHUNKSIM_CAPTURE_AMBIGUOUS;
        break;
    default:
        rc = -EINVAL;
        break;
    }
    free(c.buf);
    if (stats != NULL) {
        *stats = c.st;
    }
    return rc;
}
