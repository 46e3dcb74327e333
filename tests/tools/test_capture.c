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

static int parse_text(seen_t *s, chunksim_capture_format_t fmt, const char *text)
{
    memset(s, 0, sizeof(*s));
    return parse(s, fmt, text, strlen(text), NULL);
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

static void test_mc_records_anywhere_in_a_line_other_text_ignored(void **state)
{
    (void)state;
    seen_t s;
    const char *text = "boot ok\r\n"
                       "[00:01] <inf> mflt: MC:CAIKCwwNGUg=:\r\n"
                       "MC:CAIKCwwNGUg=: tail text\n"
                       "no chunk here\n"
                       "a MC:CAIKCwwNGUg=:MC:CAIKCwwNGUg=:"; /* two records, no final newline */
    chunksim_capture_stats_t st;
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse(&s, CHUNKSIM_CAPTURE_AUTO, text, strlen(text), &st), 0);
    assert_int_equal(st.format, CHUNKSIM_CAPTURE_MC);
    assert_int_equal(st.lines, 5);
    assert_int_equal(st.chunks, 4);
    assert_int_equal(s.nerrors, 0);
    assert_int_equal(s.nchunks, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(s.len[i], sizeof(event_chunk));
        assert_memory_equal(s.chunk[i], event_chunk, sizeof(event_chunk));
        assert_int_equal(s.loc[i].index, i);
    }
    assert_int_equal(s.loc[0].line, 2);
    assert_int_equal(s.loc[0].column, 21);
    assert_int_equal(s.loc[0].file_offset, 9 + 20);
    assert_int_equal(s.loc[1].line, 3);
    assert_int_equal(s.loc[1].column, 1);
    assert_int_equal(s.loc[2].line, 5);
    assert_int_equal(s.loc[2].column, 3);
    assert_int_equal(s.loc[3].line, 5);
    assert_int_equal(s.loc[3].column, 19);
}

static void test_mc_bad_character_named_by_line_and_column(void **state)
{
    (void)state;
    seen_t s;
    assert_int_equal(parse_text(&s, CHUNKSIM_CAPTURE_MC,
                                "MC:CAIKCwwNGUg=:\nxx MC:CAI KCwwNGUg=:\nMC:CAIKCwwNGUg=:\n"),
                     0);
    assert_int_equal(s.nchunks, 2);
    assert_int_equal(s.loc[1].line, 3);
    assert_int_equal(s.loc[1].index, 1);
    assert_int_equal(s.nerrors, 1);
    expect_error(&s, 0, CHUNKSIM_CAPTURE_E_BASE64, 2);
    assert_int_equal(s.err[0].loc.column, 10);
    assert_int_equal(s.err[0].loc.index, 1); /* the chunk that would have come */
    assert_int_equal(s.err[0].got, ' ');
    char text[128];
    chunksim_capture_error_describe(&s.err[0], text, sizeof(text));
    assert_non_null(strstr(text, "bad base64"));
}

static void test_mc_wrong_length_or_padding_is_bad_base64(void **state)
{
    (void)state;
    seen_t s;
    /* one character dropped; padding in the middle; a lone "=" */
    assert_int_equal(
        parse_text(&s, CHUNKSIM_CAPTURE_MC, "MC:CAIKCwNGUg=:\nMC:CA==CwwNGUg=:\nMC:=:\n"), 0);
    assert_int_equal(s.nchunks, 0);
    assert_int_equal(s.nerrors, 3);
    for (size_t i = 0; i < 3; i++) {
        expect_error(&s, i, CHUNKSIM_CAPTURE_E_BASE64, i + 1);
        assert_int_equal(s.err[i].got, 0);
    }
}

static void test_mc_cut_line_and_empty_record_reported(void **state)
{
    (void)state;
    seen_t s;
    assert_int_equal(parse_text(&s, CHUNKSIM_CAPTURE_MC,
                                "MC:CAIKCwwNGUg=:\nMC:CAIKCww\nMC::\nMC:CAIKCwwNGUg=:\nMC:CAIKC"),
                     0);
    assert_int_equal(s.nchunks, 2);
    assert_int_equal(s.loc[1].line, 4);
    assert_int_equal(s.nerrors, 3);
    expect_error(&s, 0, CHUNKSIM_CAPTURE_E_UNTERMINATED, 2);
    assert_int_equal(s.err[0].loc.column, 1);
    expect_error(&s, 1, CHUNKSIM_CAPTURE_E_EMPTY, 3);
    expect_error(&s, 2, CHUNKSIM_CAPTURE_E_UNTERMINATED, 5);
}

static void test_hex_lines_with_spaces_comments_and_crlf(void **state)
{
    (void)state;
    seen_t s;
    chunksim_capture_stats_t st;
    const char *text = "# a capture\r\n"
                       "08 02 0a 0b 0c 0d 19 48\r\n"
                       "\r\n"
                       "   \t\n"
                       "  080\t20A0B0C0D1948  \n";
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse(&s, CHUNKSIM_CAPTURE_AUTO, text, strlen(text), &st), 0);
    assert_int_equal(st.format, CHUNKSIM_CAPTURE_HEX);
    assert_int_equal(s.nerrors, 0);
    assert_int_equal(s.nchunks, 2);
    assert_memory_equal(s.chunk[0], event_chunk, sizeof(event_chunk));
    assert_memory_equal(s.chunk[1], event_chunk, sizeof(event_chunk));
    assert_int_equal(s.loc[0].line, 2);
    assert_int_equal(s.loc[1].line, 5);
    assert_int_equal(s.loc[1].column, 3);
}

static void test_hex_bad_character_and_odd_digits_reported_by_line(void **state)
{
    (void)state;
    seen_t s;
    assert_int_equal(parse_text(&s, CHUNKSIM_CAPTURE_HEX,
                                "0802\n08 0g 02\n080\n0x08\n08 02 0A 0B 0C 0D 19 48\n"),
                     0);
    assert_int_equal(s.nchunks, 2);
    assert_int_equal(s.loc[1].line, 5);
    assert_int_equal(s.nerrors, 3);
    expect_error(&s, 0, CHUNKSIM_CAPTURE_E_HEX, 2);
    assert_int_equal(s.err[0].loc.column, 5);
    assert_int_equal(s.err[0].got, 'g');
    expect_error(&s, 1, CHUNKSIM_CAPTURE_E_ODD_HEX, 3);
    assert_int_equal(s.err[1].got, 3);
    expect_error(&s, 2, CHUNKSIM_CAPTURE_E_HEX, 4);
    assert_int_equal(s.err[2].got, 'x');
}

static void test_records_length_prefixed(void **state)
{
    (void)state;
    seen_t s;
    uint8_t in[2 * (2 + sizeof(event_chunk))];
    for (size_t r = 0; r < 2; r++) {
        uint8_t *p = in + r * (2 + sizeof(event_chunk));
        p[0] = sizeof(event_chunk);
        p[1] = 0;
        memcpy(p + 2, event_chunk, sizeof(event_chunk));
    }
    chunksim_capture_stats_t st;
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse(&s, CHUNKSIM_CAPTURE_AUTO, in, sizeof(in), &st), 0);
    assert_int_equal(st.format, CHUNKSIM_CAPTURE_RECORDS);
    assert_int_equal(st.lines, 2);
    assert_int_equal(s.nchunks, 2);
    assert_int_equal(s.nerrors, 0);
    assert_memory_equal(s.chunk[1], event_chunk, sizeof(event_chunk));
    assert_int_equal(s.loc[1].line, 2);
    assert_int_equal(s.loc[1].file_offset, 10);
}

static void test_records_cut_in_a_record_or_its_length_is_truncated(void **state)
{
    (void)state;
    seen_t s;
    const uint8_t cut_body[] = {0x08, 0x00, 0x08, 0x02, 0x0A, 0x0B, 0x0C, 0x0D,
                                0x19, 0x48, 0x08, 0x00, 0x08, 0x02, 0x0A};
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse(&s, CHUNKSIM_CAPTURE_RECORDS, cut_body, sizeof(cut_body), NULL), 0);
    assert_int_equal(s.nchunks, 1);
    assert_int_equal(s.nerrors, 1);
    expect_error(&s, 0, CHUNKSIM_CAPTURE_E_TRUNCATED, 2);
    assert_int_equal(s.err[0].loc.file_offset, 10);
    assert_int_equal(s.err[0].expected, 8);
    assert_int_equal(s.err[0].got, 3);

    memset(&s, 0, sizeof(s));
    assert_int_equal(parse(&s, CHUNKSIM_CAPTURE_RECORDS, cut_body, 11, NULL), 0);
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
    const uint8_t records[] = {0x08, 0x00, 0x08, 0x02, 0x0A, 0x0B, 0x0C, 0x0D, 0x19, 0x48,
                               0x08, 0x00, 0x08, 0x02, 0x0A, 0x0B, 0x0C, 0x0D, 0x19, 0x48};
    /* Two whole records, then one the end cuts short. */
    const uint8_t cut[] = {0x08, 0x00, 0x08, 0x02, 0x0A, 0x0B, 0x0C, 0x0D, 0x19, 0x48, 0x08,
                           0x00, 0x08, 0x02, 0x0A, 0x0B, 0x0C, 0x0D, 0x19, 0x48, 0x08, 0x00};
    const char *mc = "x\nMC:CAIKCwwNGUg=:\n";
    const char *hex = "08 02 0A 0B 0C 0D 19 48\n";
    /* Hex digits only, and a multiple of 4: base64 too; the chunk header decides. */
    const char *hex_b64 = "08020a0b0c0d1948\n";
    const char *b64 = "# a chunk\nCAIKCwwNGUg=\n";
    assert_int_equal(chunksim_capture_detect(records, sizeof(records)), CHUNKSIM_CAPTURE_RECORDS);
    assert_int_equal(chunksim_capture_detect(cut, sizeof(cut)), CHUNKSIM_CAPTURE_RECORDS);
    /* A damaged chunk header (channel bits set) leaves it records: the decoder reports it. */
    uint8_t flipped[sizeof(records)];
    memcpy(flipped, records, sizeof(records));
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
    const uint8_t one_record[] = {0x08, 0x00, 0x08, 0x02, 0x0A, 0x0B, 0x0C, 0x0D, 0x19, 0x48};
    /* Binary that is neither: no chunk header, no record walk. */
    const uint8_t neither[] = {0x01, 0x02, 0x03};
    /* Text that is hex and base64 alike, with no chunk header either way. */
    const char *text = "0000\n";
    const unsigned bin_or_records = 1u << CHUNKSIM_CAPTURE_BIN | 1u << CHUNKSIM_CAPTURE_RECORDS;
    const unsigned hex_or_b64 = 1u << CHUNKSIM_CAPTURE_HEX | 1u << CHUNKSIM_CAPTURE_BASE64;
    assert_int_equal(chunksim_capture_candidates(one_record, sizeof(one_record)), bin_or_records);
    assert_int_equal(chunksim_capture_candidates(neither, sizeof(neither)), bin_or_records);
    assert_int_equal(chunksim_capture_candidates((const uint8_t *)text, strlen(text)), hex_or_b64);
    seen_t s;
    chunksim_capture_stats_t st;
    memset(&s, 0, sizeof(s));
    assert_int_equal(chunksim_capture_detect(one_record, sizeof(one_record)),
                     CHUNKSIM_CAPTURE_AUTO);
    assert_int_equal(parse(&s, CHUNKSIM_CAPTURE_AUTO, one_record, sizeof(one_record), &st),
                     CHUNKSIM_CAPTURE_AMBIGUOUS);
    assert_int_equal(s.nchunks, 0);
    assert_int_equal(st.chunks, 0);
    /* Named, it parses. */
    assert_int_equal(parse(&s, CHUNKSIM_CAPTURE_RECORDS, one_record, sizeof(one_record), &st), 0);
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

static void test_base64_lines_and_their_damage(void **state)
{
    (void)state;
    seen_t s;
    chunksim_capture_stats_t st;
    const char *text = "# base64, one chunk per line\r\n"
                       "  CAIKCwwNGUg=  \r\n"
                       "\n"
                       "CAIKCwNGUg=\n"   /* a character dropped */
                       "CAIK*wwNGUg=\n"; /* a character garbled */
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse(&s, CHUNKSIM_CAPTURE_BASE64, text, strlen(text), &st), 0);
    assert_int_equal(st.format, CHUNKSIM_CAPTURE_BASE64);
    assert_int_equal(s.nchunks, 1);
    assert_memory_equal(s.chunk[0], event_chunk, sizeof(event_chunk));
    assert_int_equal(s.loc[0].line, 2);
    assert_int_equal(s.loc[0].column, 3);
    assert_int_equal(s.nerrors, 2);
    expect_error(&s, 0, CHUNKSIM_CAPTURE_E_BASE64, 4);
    assert_int_equal(s.err[0].got, 0);
    assert_int_equal(s.err[1].loc.line, 5);
    assert_int_equal(s.err[1].loc.column, 5);
    assert_int_equal(s.err[1].got, '*');
    char msg[128];
    chunksim_capture_error_describe(&s.err[1], msg, sizeof(msg));
    assert_string_equal(msg, "bad base64: character '*' 0x2A");
}

static void test_mc_log_text_is_not_a_record(void **state)
{
    (void)state;
    seen_t s;
    assert_int_equal(parse_text(&s, CHUNKSIM_CAPTURE_MC,
                                "<inf> MC: ok\nstatus MC: -3, retry\nMC:CAIKCwwNGUg=:\n"),
                     0);
    assert_int_equal(s.nchunks, 1);
    assert_int_equal(s.loc[0].line, 3);
    assert_int_equal(s.nerrors, 0);
    /* The CLI's name for the console export names mc. */
    chunksim_capture_format_t got = CHUNKSIM_CAPTURE_AUTO;
    assert_int_equal(chunksim_capture_format_from_name("sdk_data_export", &got), 0);
    assert_int_equal(got, CHUNKSIM_CAPTURE_MC);
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

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_mc_records_anywhere_in_a_line_other_text_ignored),
    cmocka_unit_test(test_mc_bad_character_named_by_line_and_column),
    cmocka_unit_test(test_mc_wrong_length_or_padding_is_bad_base64),
    cmocka_unit_test(test_mc_cut_line_and_empty_record_reported),
    cmocka_unit_test(test_hex_lines_with_spaces_comments_and_crlf),
    cmocka_unit_test(test_hex_bad_character_and_odd_digits_reported_by_line),
    cmocka_unit_test(test_records_length_prefixed),
    cmocka_unit_test(test_records_cut_in_a_record_or_its_length_is_truncated),
    cmocka_unit_test(test_text_record_above_the_limit_is_too_long),
    cmocka_unit_test(test_detect_picks_each_format),
    cmocka_unit_test(test_ambiguous_input_is_not_guessed),
    cmocka_unit_test(test_bin_is_one_raw_chunk),
    cmocka_unit_test(test_base64_lines_and_their_damage),
    cmocka_unit_test(test_mc_log_text_is_not_a_record),
    cmocka_unit_test(test_format_names_round_trip_and_unknown_refused),
    cmocka_unit_test(test_chunk_callback_value_stops_the_parse),
})
