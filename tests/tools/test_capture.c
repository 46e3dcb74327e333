/*
 * The capture parser (sim/include/chunksim/capture.h): each format yields the
 * chunks it holds with their line (or record) and column, every kind of bad
 * record is reported where it is, and parsing carries on after it.
 */
#include "chunksim/capture.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"

#define MAX_SEEN 16

typedef struct seen {
    size_t nchunks;
    uint8_t chunk[MAX_SEEN][64];
    size_t len[MAX_SEEN];
    chunksim_capture_loc_t loc[MAX_SEEN];
    size_t nerrors;
    chunksim_capture_error_t err[MAX_SEEN];
    int stop_after; /* on_chunk returns 7 after this many chunks; 0: never */
} seen_t;

static int on_chunk(void *data, const chunksim_capture_loc_t *loc, const uint8_t *c, size_t len)
{
    seen_t *s = data;
    assert_lt(s->nchunks, MAX_SEEN);
    assert_le(len, sizeof(s->chunk[0]));
    memcpy(s->chunk[s->nchunks], c, len);
    s->len[s->nchunks] = len;
    s->loc[s->nchunks] = *loc;
    s->nchunks++;
    return s->stop_after != 0 && (int)s->nchunks == s->stop_after ? 7 : 0;
}

static void on_error(void *data, const chunksim_capture_error_t *e)
{
    seen_t *s = data;
    assert_lt(s->nerrors, MAX_SEEN);
    s->err[s->nerrors++] = *e;
}

static int parse(seen_t *s, chunksim_capture_format_t fmt, const void *in, size_t len,
                 chunksim_capture_stats_t *st)
{
    const chunksim_capture_config_t cfg = {
        .format = fmt, .on_chunk = on_chunk, .on_error = on_error, .data = s};
    return chunksim_capture_parse(&cfg, in, len, st);
}

/* Error i of the parse is of kind, at line (or record) line. */
static void expect_error(const seen_t *s, size_t i, chunksim_capture_error_kind_t kind,
                         uint64_t line)
{
    assert_lt(i, s->nerrors);
    assert_int_equal(s->err[i].kind, kind);
    assert_int_equal(s->err[i].loc.line, line);
}

/* 08 02 0A 0B 0C 0D 19 48: the event message of docs/chunk-format.md §13.8; base64 CAIKCwwNGUg= */
static const uint8_t event_chunk[] = {0x08, 0x02, 0x0A, 0x0B, 0x0C, 0x0D, 0x19, 0x48};

/* Two length-prefixed records of event_chunk: 08 00, then the chunk, twice. */
static const uint8_t two_records[] = {0x08, 0x00, 0x08, 0x02, 0x0A, 0x0B, 0x0C, 0x0D, 0x19, 0x48,
                                      0x08, 0x00, 0x08, 0x02, 0x0A, 0x0B, 0x0C, 0x0D, 0x19, 0x48};

#define ANY UINT64_MAX /* in a wanted location or error: not checked */

/* Where a chunk must be found (ANY: that coordinate not checked); its index is its number. */
typedef struct want_chunk {
    uint64_t line, column, file_offset;
} want_chunk_t;

/* An error that must be reported: its kind, line, column and got (ANY: not checked). */
typedef struct want_error {
    chunksim_capture_error_kind_t kind;
    uint64_t line, column, got;
} want_error_t;

#define MAX_WANTED 4

/*
 * One input parsed, and what the parse must find: the format it took it for (AUTO: not
 * checked), its line (record) count (0: not checked), every chunk and where it is (the
 * list ends at line 0), which of them are event_chunk (bit i: chunk i), every error in
 * order (likewise). more(), where set, checks what is particular to the case.
 */
typedef struct parse_case {
    const char *name;
    chunksim_capture_format_t fmt;
    const void *in;
    size_t len; /* 0: in is a string */
    chunksim_capture_format_t format;
    uint64_t lines;
    unsigned events;
    want_chunk_t chunk[MAX_WANTED];
    want_error_t err[MAX_WANTED];
    void (*more)(const seen_t *s);
} parse_case_t;

static void expect_at(uint64_t got, uint64_t want)
{
    if (want != ANY)
        assert_int_equal(got, want);
}

/* Every chunk listed is found, where listed, and no other. */
static void expect_chunks(const seen_t *s, const parse_case_t *c)
{
    size_t i = 0;
    for (; i < MAX_WANTED && c->chunk[i].line != 0; i++) {
        assert_lt(i, s->nchunks);
        if (c->events & 1u << i) {
            assert_int_equal(s->len[i], sizeof(event_chunk));
            assert_memory_equal(s->chunk[i], event_chunk, sizeof(event_chunk));
        }
        assert_int_equal(s->loc[i].index, i);
        expect_at(s->loc[i].line, c->chunk[i].line);
        expect_at(s->loc[i].column, c->chunk[i].column);
        expect_at(s->loc[i].file_offset, c->chunk[i].file_offset);
    }
    assert_int_equal(s->nchunks, i);
}

/* Every error listed is reported, in order, and no other. */
static void expect_errors(const seen_t *s, const parse_case_t *c)
{
    size_t i = 0;
    for (; i < MAX_WANTED && c->err[i].line != 0; i++) {
        expect_error(s, i, c->err[i].kind, c->err[i].line);
        expect_at(s->err[i].loc.column, c->err[i].column);
        expect_at(s->err[i].got, c->err[i].got);
    }
    assert_int_equal(s->nerrors, i);
}

static void test_parse_case(void **state)
{
    const parse_case_t *c = *state;
    seen_t s;
    chunksim_capture_stats_t st;
    memset(&s, 0, sizeof(s));
    size_t len = c->len != 0 ? c->len : strlen(c->in);
    assert_int_equal(parse(&s, c->fmt, c->in, len, &st), 0);
    if (c->format != CHUNKSIM_CAPTURE_AUTO)
        assert_int_equal(st.format, c->format);
    if (c->lines != 0)
        assert_int_equal(st.lines, c->lines);
    assert_int_equal(st.chunks, s.nchunks);
    expect_chunks(&s, c);
    expect_errors(&s, c);
    if (c->more != NULL)
        c->more(&s);
}

static void mc_bad_character_more(const seen_t *s)
{
    assert_int_equal(s->err[0].loc.index, 1); /* the chunk that would have come */
    char text[128];
    chunksim_capture_error_describe(&s->err[0], text, sizeof(text));
    assert_non_null(strstr(text, "bad base64"));
}

static void base64_damage_more(const seen_t *s)
{
    char msg[128];
    chunksim_capture_error_describe(&s->err[1], msg, sizeof(msg));
    assert_string_equal(msg, "bad base64: character '*' 0x2A");
}

/* The CLI's name for the console export names mc. */
static void mc_log_text_more(const seen_t *s)
{
    (void)s;
    chunksim_capture_format_t got = CHUNKSIM_CAPTURE_AUTO;
    assert_int_equal(chunksim_capture_format_from_name("sdk_data_export", &got), 0);
    assert_int_equal(got, CHUNKSIM_CAPTURE_MC);
}

/* A chunk that must be found, wherever it is. */
#define ANYWHERE                                                                                   \
    {                                                                                              \
        ANY, ANY, ANY                                                                              \
    }

/* Each a test of its own, under its name (PARSE_TEST). */
static const parse_case_t parse_cases[] = {
    {.name = "test_mc_records_anywhere_in_a_line_other_text_ignored",
     .in = "boot ok\r\n"
           "[00:01] <inf> mflt: MC:CAIKCwwNGUg=:\r\n"
           "MC:CAIKCwwNGUg=: tail text\n"
           "no chunk here\n"
           "a MC:CAIKCwwNGUg=:MC:CAIKCwwNGUg=:", /* two records, no final newline */
     .format = CHUNKSIM_CAPTURE_MC,
     .lines = 5,
     .events = 0xF,
     .chunk = {{2, 21, 9 + 20}, {3, 1, ANY}, {5, 3, ANY}, {5, 19, ANY}}},
    {.name = "test_mc_bad_character_named_by_line_and_column",
     .fmt = CHUNKSIM_CAPTURE_MC,
     .in = "MC:CAIKCwwNGUg=:\nxx MC:CAI KCwwNGUg=:\nMC:CAIKCwwNGUg=:\n",
     .chunk = {ANYWHERE, {3, ANY, ANY}},
     .err = {{CHUNKSIM_CAPTURE_E_BASE64, 2, 10, ' '}},
     .more = mc_bad_character_more},
    /* one character dropped; padding in the middle; a lone "=" */
    {.name = "test_mc_wrong_length_or_padding_is_bad_base64",
     .fmt = CHUNKSIM_CAPTURE_MC,
     .in = "MC:CAIKCwNGUg=:\nMC:CA==CwwNGUg=:\nMC:=:\n",
     .err = {{CHUNKSIM_CAPTURE_E_BASE64, 1, ANY, 0},
             {CHUNKSIM_CAPTURE_E_BASE64, 2, ANY, 0},
             {CHUNKSIM_CAPTURE_E_BASE64, 3, ANY, 0}}},
    {.name = "test_mc_cut_line_and_empty_record_reported",
     .fmt = CHUNKSIM_CAPTURE_MC,
     .in = "MC:CAIKCwwNGUg=:\nMC:CAIKCww\nMC::\nMC:CAIKCwwNGUg=:\nMC:CAIKC",
     .chunk = {ANYWHERE, {4, ANY, ANY}},
     .err = {{CHUNKSIM_CAPTURE_E_UNTERMINATED, 2, 1, ANY},
             {CHUNKSIM_CAPTURE_E_EMPTY, 3, ANY, ANY},
             {CHUNKSIM_CAPTURE_E_UNTERMINATED, 5, ANY, ANY}}},
    {.name = "test_hex_lines_with_spaces_comments_and_crlf",
     .in = "# a capture\r\n"
           "08 02 0a 0b 0c 0d 19 48\r\n"
           "\r\n"
           "   \t\n"
           "  080\t20A0B0C0D1948  \n",
     .format = CHUNKSIM_CAPTURE_HEX,
     .events = 0x3,
     .chunk = {{2, ANY, ANY}, {5, 3, ANY}}},
    {.name = "test_hex_bad_character_and_odd_digits_reported_by_line",
     .fmt = CHUNKSIM_CAPTURE_HEX,
     .in = "0802\n08 0g 02\n080\n0x08\n08 02 0A 0B 0C 0D 19 48\n",
     .chunk = {ANYWHERE, {5, ANY, ANY}},
     .err = {{CHUNKSIM_CAPTURE_E_HEX, 2, 5, 'g'},
             {CHUNKSIM_CAPTURE_E_ODD_HEX, 3, ANY, 3},
             {CHUNKSIM_CAPTURE_E_HEX, 4, ANY, 'x'}}},
    {.name = "test_records_length_prefixed",
     .in = two_records,
     .len = sizeof(two_records),
     .format = CHUNKSIM_CAPTURE_RECORDS,
     .lines = 2,
     .events = 0x3,
     .chunk = {ANYWHERE, {2, ANY, 10}}},
    {.name = "test_base64_lines_and_their_damage",
     .fmt = CHUNKSIM_CAPTURE_BASE64,
     .in = "# base64, one chunk per line\r\n"
           "  CAIKCwwNGUg=  \r\n"
           "\n"
           "CAIKCwNGUg=\n"   /* a character dropped */
           "CAIK*wwNGUg=\n", /* a character garbled */
     .format = CHUNKSIM_CAPTURE_BASE64,
     .events = 0x1,
     .chunk = {{2, 3, ANY}},
     .err = {{CHUNKSIM_CAPTURE_E_BASE64, 4, ANY, 0}, {CHUNKSIM_CAPTURE_E_BASE64, 5, 5, '*'}},
     .more = base64_damage_more},
    {.name = "test_mc_log_text_is_not_a_record",
     .fmt = CHUNKSIM_CAPTURE_MC,
     .in = "<inf> MC: ok\nstatus MC: -3, retry\nMC:CAIKCwwNGUg=:\n",
     .chunk = {{3, ANY, ANY}},
     .more = mc_log_text_more},
};

static void test_records_cut_in_a_record_or_its_length_is_truncated(void **state)
{
    (void)state;
    seen_t s;
    memset(&s, 0, sizeof(s));
    /* The second record cut 3 bytes into its chunk. */
    assert_int_equal(parse(&s, CHUNKSIM_CAPTURE_RECORDS, two_records, 15, NULL), 0);
    assert_int_equal(s.nchunks, 1);
    assert_int_equal(s.nerrors, 1);
    expect_error(&s, 0, CHUNKSIM_CAPTURE_E_TRUNCATED, 2);
    assert_int_equal(s.err[0].loc.file_offset, 10);
    assert_int_equal(s.err[0].expected, 8);
    assert_int_equal(s.err[0].got, 3);

    memset(&s, 0, sizeof(s));
    assert_int_equal(parse(&s, CHUNKSIM_CAPTURE_RECORDS, two_records, 11, NULL), 0);
    assert_int_equal(s.nchunks, 1);
    assert_int_equal(s.nerrors, 1);
    assert_int_equal(s.err[0].expected, 2); /* inside the length prefix */
    assert_int_equal(s.err[0].got, 1);
}

static void test_text_record_above_the_limit_is_too_long(void **state)
{
    (void)state;
    seen_t s;
    memset(&s, 0, sizeof(s));
    const char *text = "08 02 0A 0B 0C 0D 19 48\nMC:CAIKCwwNGUg=:\n";
    const chunksim_capture_config_t hex = {.format = CHUNKSIM_CAPTURE_HEX,
                                           .on_chunk = on_chunk,
                                           .on_error = on_error,
                                           .data = &s,
                                           .max_chunk_bytes = 7};
    assert_int_equal(chunksim_capture_parse(&hex, (const uint8_t *)text, 24, NULL), 0);
    chunksim_capture_config_t mc = hex;
    mc.format = CHUNKSIM_CAPTURE_MC;
    assert_int_equal(chunksim_capture_parse(&mc, (const uint8_t *)text, strlen(text), NULL), 0);
    assert_int_equal(s.nchunks, 0);
    assert_int_equal(s.nerrors, 2);
    assert_int_equal(s.err[0].kind, CHUNKSIM_CAPTURE_E_TOO_LONG);
    assert_int_equal(s.err[0].got, 8);
    expect_error(&s, 1, CHUNKSIM_CAPTURE_E_TOO_LONG, 2);
}

static void test_detect_picks_each_format(void **state)
{
    (void)state;
    /* Two whole records, then one the end cuts short. */
    const uint8_t cut[] = {0x08, 0x00, 0x08, 0x02, 0x0A, 0x0B, 0x0C, 0x0D, 0x19, 0x48, 0x08,
                           0x00, 0x08, 0x02, 0x0A, 0x0B, 0x0C, 0x0D, 0x19, 0x48, 0x08, 0x00};
    const char *mc = "x\nMC:CAIKCwwNGUg=:\n";
    const char *hex = "08 02 0A 0B 0C 0D 19 48\n";
    /* Hex digits only, and a multiple of 4: base64 too; the chunk header decides. */
    const char *hex_b64 = "08020a0b0c0d1948\n";
    const char *b64 = "# a chunk\nCAIKCwwNGUg=\n";
    assert_int_equal(chunksim_capture_detect(two_records, sizeof(two_records)),
                     CHUNKSIM_CAPTURE_RECORDS);
    assert_int_equal(chunksim_capture_detect(cut, sizeof(cut)), CHUNKSIM_CAPTURE_RECORDS);
    /* A damaged chunk header (channel bits set) leaves it records: the decoder reports it. */
    uint8_t flipped[sizeof(two_records)];
    memcpy(flipped, two_records, sizeof(two_records));
    flipped[12] = 0x0F;
    assert_int_equal(chunksim_capture_detect(flipped, sizeof(flipped)), CHUNKSIM_CAPTURE_RECORDS);
    assert_int_equal(chunksim_capture_detect(event_chunk, sizeof(event_chunk)),
                     CHUNKSIM_CAPTURE_BIN);
    assert_int_equal(chunksim_capture_detect((const uint8_t *)mc, strlen(mc)), CHUNKSIM_CAPTURE_MC);
    assert_int_equal(chunksim_capture_detect((const uint8_t *)hex, strlen(hex)),
                     CHUNKSIM_CAPTURE_HEX);
    assert_int_equal(chunksim_capture_detect((const uint8_t *)hex_b64, strlen(hex_b64)),
                     CHUNKSIM_CAPTURE_HEX);
    assert_int_equal(chunksim_capture_detect((const uint8_t *)b64, strlen(b64)),
                     CHUNKSIM_CAPTURE_BASE64);
    assert_int_equal(chunksim_capture_detect(NULL, 0), CHUNKSIM_CAPTURE_HEX);
}

static void test_ambiguous_input_is_not_guessed(void **state)
{
    (void)state;
    /* One 8-byte record is also an 8-byte raw chunk starting 0x08, 0x00: both fit. */
    const uint8_t *one_record = two_records;
    /* Binary that is neither: no chunk header, no record walk. */
    const uint8_t neither[] = {0x01, 0x02, 0x03};
    /* Text that is hex and base64 alike, with no chunk header either way. */
    const char *text = "0000\n";
    const unsigned bin_or_records = 1u << CHUNKSIM_CAPTURE_BIN | 1u << CHUNKSIM_CAPTURE_RECORDS;
    const unsigned hex_or_b64 = 1u << CHUNKSIM_CAPTURE_HEX | 1u << CHUNKSIM_CAPTURE_BASE64;
    assert_int_equal(chunksim_capture_candidates(one_record, sizeof(two_records) / 2),
                     bin_or_records);
    assert_int_equal(chunksim_capture_candidates(neither, sizeof(neither)), bin_or_records);
    assert_int_equal(chunksim_capture_candidates((const uint8_t *)text, strlen(text)), hex_or_b64);
    seen_t s;
    chunksim_capture_stats_t st;
    memset(&s, 0, sizeof(s));
    assert_int_equal(chunksim_capture_detect(one_record, sizeof(two_records) / 2),
                     CHUNKSIM_CAPTURE_AUTO);
    assert_int_equal(parse(&s, CHUNKSIM_CAPTURE_AUTO, one_record, sizeof(two_records) / 2, &st),
                     CHUNKSIM_CAPTURE_AMBIGUOUS);
    assert_int_equal(s.nchunks, 0);
    assert_int_equal(st.chunks, 0);
    /* Named, it parses. */
    assert_int_equal(parse(&s, CHUNKSIM_CAPTURE_RECORDS, one_record, sizeof(two_records) / 2, &st),
                     0);
    assert_int_equal(s.nchunks, 1);
    assert_int_equal(s.len[0], sizeof(event_chunk));
}

static void test_bin_is_one_raw_chunk(void **state)
{
    (void)state;
    seen_t s;
    chunksim_capture_stats_t st;
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse(&s, CHUNKSIM_CAPTURE_AUTO, event_chunk, sizeof(event_chunk), &st), 0);
    assert_int_equal(st.format, CHUNKSIM_CAPTURE_BIN);
    assert_int_equal(st.chunks, 1);
    assert_int_equal(s.len[0], sizeof(event_chunk));
    assert_memory_equal(s.chunk[0], event_chunk, sizeof(event_chunk));
    assert_int_equal(s.loc[0].line, 1);
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse(&s, CHUNKSIM_CAPTURE_BIN, "", 0, &st), 0);
    assert_int_equal(st.chunks, 0);
}

static void test_format_names_round_trip_and_unknown_refused(void **state)
{
    (void)state;
    for (int f = CHUNKSIM_CAPTURE_AUTO; f < CHUNKSIM_CAPTURE_FORMATS; f++) {
        chunksim_capture_format_t got;
        assert_int_equal(chunksim_capture_format_from_name(
                             chunksim_capture_format_name((chunksim_capture_format_t)f), &got),
                         0);
        assert_int_equal(got, f);
    }
    chunksim_capture_format_t got;
    assert_int_equal(chunksim_capture_format_from_name("base32", &got), -EINVAL);
    seen_t s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse(&s, (chunksim_capture_format_t)9, "x", 1, NULL), -EINVAL);
}

static void test_chunk_callback_value_stops_the_parse(void **state)
{
    (void)state;
    seen_t s;
    memset(&s, 0, sizeof(s));
    s.stop_after = 1;
    const char *text = "MC:CAIKCwwNGUg=:\nMC:CAIKCwwNGUg=:\n";
    assert_int_equal(parse(&s, CHUNKSIM_CAPTURE_MC, text, strlen(text), NULL), 7);
    assert_int_equal(s.nchunks, 1);
}

/* Case i of parse_cases, run as a test of its own under its name. */
#define PARSE_TEST(i)                                                                              \
    {                                                                                              \
        parse_cases[i].name, test_parse_case, NULL, NULL, (void *)&parse_cases[i]                  \
    }

CHUNKSIM_TEST_MAIN({
    PARSE_TEST(0),
    PARSE_TEST(1),
    PARSE_TEST(2),
    PARSE_TEST(3),
    PARSE_TEST(4),
    PARSE_TEST(5),
    PARSE_TEST(6),
    cmocka_unit_test(test_records_cut_in_a_record_or_its_length_is_truncated),
    cmocka_unit_test(test_text_record_above_the_limit_is_too_long),
    cmocka_unit_test(test_detect_picks_each_format),
    cmocka_unit_test(test_ambiguous_input_is_not_guessed),
    cmocka_unit_test(test_bin_is_one_raw_chunk),
    PARSE_TEST(7),
    PARSE_TEST(8),
    cmocka_unit_test(test_format_names_round_trip_and_unknown_refused),
    cmocka_unit_test(test_chunk_callback_value_stops_the_parse),
})
