/*
 * Recorder: the trace tables' columns, each listed once, and the values a
 * column reads from its C struct.
 *
 * Everything that names a trace column is derived from these lists: the
 * row buffer and its virtual tables, the bulk inserts, the JSON a block of
 * calls or chunks is stored as, the views that read the blocks, merge's copy
 * and what replay compares. A new column is added to its C struct, here and
 * to docs/schema.md (and for flash_ops to schema.sql), with a new
 * CHUNKSIM_REC_SCHEMA_VERSION and its upgrade step: the stored blocks and the
 * views each file was created with change with it.
 */
#include "recorder_internal.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COL(s, name, type)                                                                         \
    {                                                                                              \
#name, REC_COL_##type, offsetof(s, name), 0                                                \
    }
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* seq first in each list: a block row holds the first one, the others follow from it. */
static const rec_column_t call_columns[] = {
    COL(chunksim_rec_call_t, seq, U64),     COL(chunksim_rec_call_t, t_us, U64),
    COL(chunksim_rec_call_t, kind, TEXT),   COL(chunksim_rec_call_t, arg, ARG),
    COL(chunksim_rec_call_t, result, INT),  COL(chunksim_rec_call_t, result_name, TEXT),
    COL(chunksim_rec_call_t, detail, TEXT), COL(chunksim_rec_call_t, duration_us, TIME),
};

static const rec_column_t flash_op_columns[] = {
    COL(chunksim_rec_flash_op_t, seq, U64),      COL(chunksim_rec_flash_op_t, kind, TEXT),
    COL(chunksim_rec_flash_op_t, addr, U32),     COL(chunksim_rec_flash_op_t, len, U32),
    COL(chunksim_rec_flash_op_t, start_us, U64), COL(chunksim_rec_flash_op_t, end_us, TIME),
    COL(chunksim_rec_flash_op_t, status, INT),   COL(chunksim_rec_flash_op_t, status_name, TEXT),
    COL(chunksim_rec_flash_op_t, fault, TEXT),   COL(chunksim_rec_flash_op_t, latency_us, TIME),
};

static const rec_column_t chunk_columns[] = {
    COL(chunksim_rec_chunk_t, seq, U64),
    COL(chunksim_rec_chunk_t, t_us, U64),
    COL(chunksim_rec_chunk_t, sent_us, TIME),
    COL(chunksim_rec_chunk_t, len, SIZE),
    COL(chunksim_rec_chunk_t, header, U8),
    COL(chunksim_rec_chunk_t, flags, TEXT),
    COL(chunksim_rec_chunk_t, delivered, BOOL),
    COL(chunksim_rec_chunk_t, retransmissions, U32),
    {"data", REC_COL_BLOB, offsetof(chunksim_rec_chunk_t, data),
     offsetof(chunksim_rec_chunk_t, len)},
};

static const rec_column_t call_block_columns[] = {
    COL(rec_block_row_t, seq, U64),
    {"calls", REC_COL_TEXT, offsetof(rec_block_row_t, items), 0},
};

static const rec_column_t chunk_block_columns[] = {
    COL(rec_block_row_t, seq, U64),
    {"chunks", REC_COL_TEXT, offsetof(rec_block_row_t, items), 0},
    {"data", REC_COL_BLOB, offsetof(rec_block_row_t, data), offsetof(rec_block_row_t, data_len)},
};

_Static_assert(COUNT(call_columns) <= REC_COLS_MAX && COUNT(flash_op_columns) <= REC_COLS_MAX &&
                   COUNT(chunk_columns) <= REC_COLS_MAX,
               "a row's columns fit the JSON writer's list");

const rec_trace_table_t chunksim__rec_tables[KIND_COUNT] = {
    [KIND_CALLS] = {"calls", "calls", call_columns, COUNT(call_columns)},
    [KIND_FLASH_OPS] = {"flash_ops", "flash ops", flash_op_columns, COUNT(flash_op_columns)},
    [KIND_CHUNKS] = {"chunks", "chunks", chunk_columns, COUNT(chunk_columns)},
};

static const rec_trace_table_t call_blocks = {"call_blocks", "calls", call_block_columns,
                                              COUNT(call_block_columns)};
static const rec_trace_table_t chunk_blocks = {"chunk_blocks", "chunks", chunk_block_columns,
                                               COUNT(chunk_block_columns)};

const rec_trace_table_t *const chunksim__rec_stored[KIND_COUNT] = {
    [KIND_CALLS] = &call_blocks,
    [KIND_FLASH_OPS] = &chunksim__rec_tables[KIND_FLASH_OPS],
    [KIND_CHUNKS] = &chunk_blocks,
};

char *chunksim__rec_column_list(const rec_trace_table_t *t, const char *prefix)
{
    sqlite3_str *s = sqlite3_str_new(NULL);
    for (int i = 0; i < t->ncols; i++)
        sqlite3_str_appendf(s, "%s%s%s", i ? ", " : "", prefix, t->cols[i].name);
    return sqlite3_str_finish(s);
}

/* The index of t's column of that type whose value is at (SIZE_MAX: anywhere), or -1. */
static int rec_column_at(const rec_trace_table_t *t, rec_col_type_t type, size_t at)
{
    for (int i = 0; i < t->ncols; i++) {
        if (t->cols[i].type == type && (at == SIZE_MAX || t->cols[i].at == at))
            return i;
    }
    return -1;
}

/*
 * Item j of block b is the row seq b.seq + j.key, column i (after seq) element
 * i - 1 of its array; a BLOB is element i - 1 as an offset into the block's
 * BLOB, with the length its length column holds. json_extract() and CASE, not
 * ->> and iif(): SQLite parses every view when it opens a file, and a team's
 * own sqlite3 shell may predate 3.38.
 */
char *chunksim__rec_view_sql(int kind)
{
    const rec_trace_table_t *t = &chunksim__rec_tables[kind], *st = chunksim__rec_stored[kind];
    if (st == t)
        return NULL;
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendf(s, "CREATE VIEW %s AS SELECT b.run_id, b.seq + j.key AS seq", t->name);
    for (int i = 1; i < t->ncols; i++) {
        const rec_column_t *c = &t->cols[i];
        if (c->type != REC_COL_BLOB) {
            sqlite3_str_appendf(s, ", json_extract(j.value, '$[%d]') AS %s", i - 1, c->name);
            continue;
        }
        int len = rec_column_at(t, REC_COL_SIZE, c->len_at) - 1;
        const char *blob = st->cols[rec_column_at(st, REC_COL_BLOB, SIZE_MAX)].name;
        /* substr() of an empty blob is NULL, but an empty item is an empty blob. */
        sqlite3_str_appendf(s,
                            ", CASE WHEN json_extract(j.value, '$[%d]') = 0 THEN x'' ELSE "
                            "substr(b.%s, json_extract(j.value, '$[%d]') + 1, "
                            "json_extract(j.value, '$[%d]')) END AS %s",
                            len, blob, i - 1, len, c->name);
    }
    sqlite3_str_appendf(s, " FROM %s b, json_each(b.%s) j", st->name, st->cols[1].name);
    return sqlite3_str_finish(s);
}

int chunksim_rec_trace_columns(const char *table, char *buf, size_t len)
{
    for (int k = 0; table && k < KIND_COUNT; k++) {
        const rec_trace_table_t *t = &chunksim__rec_tables[k];
        if (strcmp(table, t->name) != 0)
            continue;
        char *cols = chunksim__rec_column_list(t, "");
        int n = cols ? snprintf(buf, len, "%s", cols) : -1;
        sqlite3_free(cols);
        return n >= 0 && (size_t)n < len ? t->ncols : CHUNKSIM_REC_E_INVAL;
    }
    return CHUNKSIM_REC_E_INVAL;
}

/* ---- values ---------------------------------------------------------------------------- */

static const void *rec_field(const void *row, size_t at)
{
    return (const char *)row + at;
}

size_t chunksim__rec_size_at(const void *row, size_t at)
{
    size_t v;
    memcpy(&v, rec_field(row, at), sizeof v);
    return v;
}

const void *chunksim__rec_ptr_at(const void *row, size_t at)
{
    const void *p;
    memcpy(&p, rec_field(row, at), sizeof p);
    return p;
}

/* Static, so that the JSON writer below, which calls them per value, has them inlined. */
static inline sqlite3_int64 rec_int_at(const rec_column_t *c, const void *row)
{
    const void *f = rec_field(row, c->at);
    switch (c->type) {
    case REC_COL_U64:
    case REC_COL_TIME:
    case REC_COL_ARG: {
        sqlite3_int64 v; /* a uint64_t keeps its bits (chunksim__rec_i64) */
        memcpy(&v, f, sizeof v);
        return v;
    }
    case REC_COL_INT:
        return *(const int *)f;
    case REC_COL_U32:
        return *(const uint32_t *)f;
    case REC_COL_SIZE:
        return (sqlite3_int64)chunksim__rec_size_at(row, c->at);
    case REC_COL_U8:
        return *(const uint8_t *)f;
    case REC_COL_BOOL:
        return *(const bool *)f;
    default:
        return 0;
    }
}

static inline bool rec_int_null(rec_col_type_t type, sqlite3_int64 v)
{
    return (type == REC_COL_TIME && v == -1) || (type == REC_COL_ARG && v == CHUNKSIM_REC_ARG_NONE);
}

_Static_assert(CHUNKSIM_REC_TIME_NONE == UINT64_MAX, "TIME_NONE's bits read as -1");

sqlite3_int64 chunksim__rec_int_at(const rec_column_t *c, const void *row)
{
    return rec_int_at(c, row);
}

bool chunksim__rec_int_null(rec_col_type_t type, sqlite3_int64 v)
{
    return rec_int_null(type, v);
}

/* ---- a row as JSON, for its block ----------------------------------------------------- */

/*
 * Written by hand, into room reserved once per row, rather than with
 * sqlite3_str_appendf(): a recorded run makes three calls per chunk, and the
 * printf machinery cost more than the INSERTs the blocks save.
 */

/* Room for n more bytes and a NUL; false (and t->failed) when memory ran out. */
static bool rec_text_room(rec_text_t *t, size_t n)
{
    if (t->failed)
        return false;
    if (t->len + n + 1 <= t->cap)
        return true;
    size_t cap = t->cap ? t->cap : 256;
    while (cap < t->len + n + 1)
        cap *= 2;
    char *p = realloc(t->text, cap);
    if (!p) {
        t->failed = true;
        return false;
    }
    t->text = p;
    t->cap = cap;
    return true;
}

void chunksim__rec_text_put(rec_text_t *t, const char *s, size_t n)
{
    if (!rec_text_room(t, n))
        return;
    if (n > 0) /* s may be NULL then (an empty blob) */
        memcpy(t->text + t->len, s, n);
    t->len += n;
    t->text[t->len] = '\0';
}

static const uint64_t rec_pow10[20] = {1u,
                                       10u,
                                       100u,
                                       1000u,
                                       10000u,
                                       100000u,
                                       1000000u,
                                       10000000u,
                                       100000000u,
                                       1000000000u,
                                       10000000000u,
                                       100000000000u,
                                       1000000000000u,
                                       10000000000000u,
                                       100000000000000u,
                                       1000000000000000u,
                                       10000000000000000u,
                                       100000000000000000u,
                                       1000000000000000000u,
                                       10000000000000000000u};

/*
 * Decimal digits of u: log10 from the bit length (1233 / 4096 is just above
 * log10(2)), corrected by one comparison. Counting by comparing with each
 * power of ten in turn cost a tenth of the writer.
 */
static int rec_json_digits(uint64_t u)
{
    int bits = 64 - __builtin_clzll(u | 1);
    int t = (bits * 1233) >> 12;
    return t + ((u | 1) >= rec_pow10[t]);
}

/* Two digits at a time, written in place from the number's last digit. */
static char *rec_json_int(char *p, sqlite3_int64 v)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233"
        "34353637383940414243444546474849505152535455565758596061626364656667"
        "6869707172737475767778798081828384858687888990919293949596979899";
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        *p++ = '-';
    char *end = p + rec_json_digits(u), *d = end;
    while (u > UINT32_MAX) {
        unsigned k = (unsigned)(u % 100) * 2;
        u /= 100;
        *--d = pairs[k + 1];
        *--d = pairs[k];
    }
    uint32_t w = (uint32_t)u; /* most values: 32-bit division is the cheaper */
    while (w >= 100) {
        unsigned k = (w % 100) * 2;
        w /= 100;
        *--d = pairs[k + 1];
        *--d = pairs[k];
    }
    u = w;
    if (u >= 10) {
        *--d = pairs[u * 2 + 1];
        *--d = pairs[u * 2];
    } else {
        *--d = (char)('0' + u);
    }
    return end;
}

/*
 * The bytes a JSON string holds as they are: not NUL (which ends the C
 * string, and so the copy loop), not a control byte, quote or backslash.
 * One table look-up per byte instead of four comparisons.
 */
static const bool rec_json_plain[256] = {
    [' '] = true, ['!'] = true, ['#' ... '['] = true, [']' ... 0x7f] = true, [0x80 ... 0xff] = true,
};

/* Quotes and backslashes escaped, control bytes as \u00XX; other UTF-8 as it is. */
static char *rec_json_escape(char *p, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (;;) {
        while (rec_json_plain[(unsigned char)*s])
            *p++ = *s++;
        unsigned char ch = (unsigned char)*s++;
        if (ch == '\0')
            return p;
        if (ch >= 0x20) {
            *p++ = '\\';
            *p++ = (char)ch;
        } else {
            memcpy(p, "\\u00", 4);
            p[4] = hex[ch >> 4];
            p[5] = hex[ch & 15];
            p += 6;
        }
    }
}

/* Whether no byte of w needs escaping (none below 0x20, none a quote or a backslash). */
static bool rec_json_plain_word(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    uint64_t low = (w - ones * 0x20) & ~w, quote = (q - ones) & ~q, slash = (b - ones) & ~b;
    return ((low | quote | slash) & (ones << 7)) == 0;
}

static uint64_t rec_json_load(const char *s, size_t n)
{
    uint64_t w = 0;
    memcpy(&w, s, n);
    return w;
}

/*
 * Whether the n bytes at s (n >= 4) need no escaping, tested a word at a
 * time; the last word overlaps the one before, and 4 to 7 bytes are tested as
 * two overlapping halves of one word. Byte by byte, the calls' texts were a
 * fifth of the writer.
 */
static bool rec_json_plain_run(const char *s, size_t n)
{
    if (n < 8)
        return rec_json_plain_word(rec_json_load(s, 4) | rec_json_load(s + n - 4, 4) << 32);
    bool plain = rec_json_plain_word(rec_json_load(s + n - 8, 8));
    for (size_t at = 0; plain && at + 8 < n; at += 8)
        plain = rec_json_plain_word(rec_json_load(s + at, 8));
    return plain;
}

/* s (n bytes long) as a JSON string. */
static char *rec_json_string(char *p, const char *s, size_t n)
{
    *p++ = '"';
    if (n >= 4 && rec_json_plain_run(s, n)) {
        memcpy(p, s, n);
        p += n;
    } else {
        p = rec_json_escape(p, s);
    }
    *p++ = '"';
    return p;
}

/* A BLOB is written as its offset into data, where its bytes go. */
static sqlite3_int64 rec_json_blob(rec_text_t *data, const rec_column_t *c, const void *row)
{
    sqlite3_int64 at = (sqlite3_int64)data->len;
    chunksim__rec_text_put(data, chunksim__rec_ptr_at(row, c->at),
                           chunksim__rec_size_at(row, c->len_at));
    return at;
}

void chunksim__rec_json_row(rec_text_t *json, rec_text_t *data, const rec_trace_table_t *t,
                            const void *row, char before)
{
    /* Room for the most the row takes: a 64-bit integer, or each byte of text escaped to 6. */
    const char *text[REC_COLS_MAX];
    size_t text_len[REC_COLS_MAX];
    size_t bound = 3; /* before, '[' and ']' */
    for (int i = 1; i < t->ncols; i++) {
        const rec_column_t *c = &t->cols[i];
        text[i] = c->type == REC_COL_TEXT ? chunksim__rec_ptr_at(row, c->at) : NULL;
        text_len[i] = text[i] ? strlen(text[i]) : 0;
        bound += 1 + (text[i] ? 2 + 6 * text_len[i] : 21);
    }
    if (!rec_text_room(json, bound))
        return;
    char *p = json->text + json->len;
    *p++ = before;
    *p++ = '[';
    for (int i = 1; i < t->ncols; i++) {
        const rec_column_t *c = &t->cols[i];
        if (i > 1)
            *p++ = ',';
        sqlite3_int64 v;
        if (c->type == REC_COL_TEXT) {
            if (text[i]) {
                p = rec_json_string(p, text[i], text_len[i]);
                continue;
            }
        } else if (c->type == REC_COL_BLOB) {
            p = rec_json_int(p, rec_json_blob(data, c, row));
            continue;
        } else if (!rec_int_null(c->type, v = rec_int_at(c, row))) {
            p = rec_json_int(p, v);
            continue;
        }
        memcpy(p, "null", 4);
        p += 4;
    }
    *p++ = ']';
    *p = '\0';
    json->len = (size_t)(p - json->text);
}
