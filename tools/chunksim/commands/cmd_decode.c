/*
 * chunksim decode: chunks from a recorded run or a capture file, reassembled
 * into messages, each CRC checked, coredumps walked, damage located.
 */
#include "cli.h"
#include "cmd_decode.h"
#include "options.h"
#include "grow.h"

#include "chunksim/capture.h"
#include "chunksim/error.h"
#include "chunksim/decoder.h"
#include "chunksim/recorder.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Consecutive damage reports of one kind beyond this many are folded into one line. */
#define DECODE_SHOW_PER_RUN 3
#define DECODE_LOC_BYTES    64
#define DECODE_TEXT_BYTES   256

typedef struct decode_args {
    const char *db_path;
    int64_t run_id; /* 0: the latest run */
    bool all_chunks;
    const char *input;
    chunksim_capture_format_t format;
    const char *out_dir;
    const char *image_path;
    bool quiet;
    bool verbose;
    FILE *out, *err; /* where cli_decode_io prints */
} decode_args_t;

typedef struct decode {
    FILE *out;
    FILE *err;
    const decode_args_t *a;
    chunksim_decoder_t dec;
    bool from_db;
    chunksim_capture_format_t format;
    chunksim_capture_loc_t *locs; /* capture: per chunk index */
    size_t nlocs;
    size_t caplocs;
    const uint8_t *image; /* --image, or the run's image; NULL: none */
    size_t image_bytes;
    uint64_t chunks;
    uint64_t messages;
    uint64_t messages_ok;
    uint64_t damage;
    bool write_failed;
    /* The run of same-kind damage reports being folded. */
    const char *run_kind;
    uint64_t run_count;
    char run_last[DECODE_LOC_BYTES];
} decode_t;

#define DECODE_STR_(x) #x
#define DECODE_STR(x)  DECODE_STR_(x)

static int decode_parse_format(const cli_value_t *v, void *field)
{
    if (chunksim_capture_format_from_name(v->text, field) < 0) {
        fprintf(v->err,
                "%s: --%s: '%s' is not auto, mc, sdk_data_export, hex, base64, bin or records\n",
                v->tool, v->option, v->text);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

#define OWN(field) offsetof(decode_args_t, field)

static const cli_option_t decode_options[] = {
    {"run", 0, "ID", "with --db: the run (default: the latest)", OWN(run_id),
     cli_options_parse_run_id},
    {"all-chunks", 0, NULL, "with --db: also chunks produced but not delivered", OWN(all_chunks),
     NULL},
    {"encoding", 0, "ENC", "auto, mc (or sdk_data_export), hex, base64, bin or records\n(captures)",
     OWN(format), decode_parse_format},
    {"format", 0, "ENC", "the same as --encoding", OWN(format), decode_parse_format},
    {"image", 0, "FILE",
     "compare each coredump with this image (e.g. read from the\n"
     "device's flash); locates corruption that a CRC only detects",
     OWN(image_path), NULL},
    {"out", 0, "DIR",
     "write each complete message's payload (the bytes after the\n"
     "message header: type byte and project key; for a coredump\n"
     "the image; expanded when run-length encoded) to\n"
     "DIR/msg-<n>-<type>.bin, also when its CRC is bad",
     OWN(out_dir), NULL},
    /* Not the shared -q (no progress on stderr): decode's stdout itself gets shorter. */
    {"quiet", 'q', NULL, "only damage and the summary", OWN(quiet), NULL},
    {"verbose", 'v', NULL,
     "print every damage report (default: runs of one kind are\n"
     "folded after " DECODE_STR(DECODE_SHOW_PER_RUN) ")",
     OWN(verbose), NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static cli_command_fn decode_check, decode_main;

static const cli_command_t decode_command = {
    .name = "decode",
    .usage = "--db FILE [--run ID] [--all-chunks] [options]\n"
             "       chunksim decode CAPTURE|- [--encoding ENC] [options]",
    .about = "Reassembles chunks into messages (chunk format v2), checks each CRC, prints per\n"
             "message its type (coredump, event, log, cdr), length, CRC status, chunk count and\n"
             "first chunk, and for a coredump its header, blocks and footer. A run-length\n"
             "encoded message (header bit 0x80) is expanded first, and what it expands to is\n"
             "walked and compared; an encoding that does not expand is damage (bad_rle).\n"
             "Damage is located:\n"
             "a missing chunk (gap), a duplicate, an out-of-order chunk, an orphan continuation,\n"
             "a bad CRC, a truncated message or capture, a bad base64/hex record each name the\n"
             "chunk (DB seq, capture line, or binary record and byte) and the message offset;\n"
             "decoding carries on with the next message. A message announced longer than\n"
             "64 MiB is damage, unless the image (the run's, or --image) is larger: then\n"
             "the limit is the image with its message header.\n"
             "\n"
             "sources:\n"
             "  --db FILE --run ID  the run's chunks from a chunksim recording, in seq order\n"
             "                      (--run omitted: the latest run). Only chunks the link\n"
             "                      delivered, which is what the receiver saw; coredumps are\n"
             "                      also compared with the run's image\n"
             "  --all-chunks        include chunks that were produced but not delivered\n"
             "  CAPTURE             a capture file ('-': standard input), in one of the\n"
             "                      encodings of the Memfault CLI's post-chunk --encoding:\n"
             "    mc      console text, the SDK's export (the CLI's sdk_data_export): every\n"
             "            'MC:<base64 of one chunk>:' anywhere in a line is one chunk; other\n"
             "            text, and an 'MC:' the SDK would not print (\"MC: ok\"), is ignored.\n"
             "            A record with a bad character, bad padding or no closing ':' on\n"
             "            the line is reported as damage.\n"
             "    hex     one chunk per line as hex digits, spaces and tabs ignored; blank\n"
             "            lines and lines starting with '#' are skipped; anything else is damage.\n"
             "    base64  one chunk per line in standard base64 with '=' padding; blank and\n"
             "            '#' lines skipped; a bad character, length or padding is damage.\n"
             "    bin     the whole file is one raw chunk.\n"
             "    records chunksim's binary capture: back-to-back records, each a\n"
             "            2-byte little-endian length, then that many chunk bytes. A cut\n"
             "            record is damage.\n"
             "    auto    (default) the one encoding the file fits: mc if text holds 'MC:';\n"
             "            hex or base64 by which every line fits (by chunk headers when both\n"
             "            do); for binary, records when two or more records walk it, else\n"
             "            bin or records by the first byte and the walk. When several fit,\n"
             "            decode names them and asks for --encoding.\n",
    .shared = CLI_OPT_DB_SOURCE,
    .options = decode_options,
    .notes = "Exit status: 0 every message intact, 1 damage found (or no complete message),\n"
             "2 usage error or unreadable input (missing file, not a recording, no such run).\n",
    .operands = {0, 1, NULL},
    .check = decode_check,
    .run = decode_main,
};

/* A recording or a capture, and the options that go with the one given. */
static int decode_check(const cli_call_t *call)
{
    decode_args_t *a = call->own;
    a->db_path = call->common->db_given ? call->common->db_path : NULL;
    a->input = call->nops > 0 ? call->ops[0] : NULL;
    const char *problem = NULL;
    if (a->db_path != NULL && a->input != NULL) {
        problem = "give either --db or a capture file, not both";
    } else if (a->db_path == NULL && a->input == NULL) {
        problem = "nothing to decode: give --db FILE [--run ID] or a capture file";
    } else if (a->db_path == NULL && (a->run_id != 0 || a->all_chunks)) {
        problem = "--run and --all-chunks need --db";
    }
    if (problem != NULL) {
        cli_options_usage_error(&decode_command, a->err, "%s", problem);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* ---- locations and damage lines ---- */

/* Binary captures are located by record and byte offset, text ones by line and column. */
static bool decode_binary(const decode_t *d)
{
    return d->format == CHUNKSIM_CAPTURE_BIN || d->format == CHUNKSIM_CAPTURE_RECORDS;
}

static void decode_loc(const decode_t *d, uint64_t index, char *buf, size_t len)
{
    if (d->from_db) {
        snprintf(buf, len, "seq %" PRIu64, index);
        return;
    }
    if (index >= d->nlocs) {
        snprintf(buf, len, "end of input");
        return;
    }
    const chunksim_capture_loc_t *l = &d->locs[index];
    if (decode_binary(d)) {
        snprintf(buf, len, "record %" PRIu64 " (byte %" PRIu64 ")", l->line, l->file_offset);
    } else if (l->column > 1) {
        snprintf(buf, len, "line %" PRIu64 ", column %" PRIu64, l->line, l->column);
    } else {
        snprintf(buf, len, "line %" PRIu64, l->line);
    }
}

static void decode_fold_end(decode_t *d)
{
    if (d->run_count > DECODE_SHOW_PER_RUN && !d->a->verbose) {
        fprintf(d->out, "damage: ... and %" PRIu64 " more %s (the last at %s)\n",
                d->run_count - DECODE_SHOW_PER_RUN, d->run_kind, d->run_last);
    }
    d->run_kind = NULL;
    d->run_count = 0;
}

/* One damage line; runs of the same kind are folded unless --verbose. */
static void decode_damage_line(decode_t *d, const char *kind, const char *loc, const char *text)
{
    d->damage++;
    if (d->run_kind != NULL && strcmp(d->run_kind, kind) != 0) {
        decode_fold_end(d);
    }
    d->run_kind = kind;
    d->run_count++;
    snprintf(d->run_last, sizeof(d->run_last), "%s", loc);
    if (d->a->verbose || d->run_count <= DECODE_SHOW_PER_RUN) {
        fprintf(d->out, "damage: %s: %s\n", loc, text);
    }
}

static void decode_on_damage(void *data, const chunksim_damage_t *dmg)
{
    decode_t *d = data;
    char loc[DECODE_LOC_BYTES], text[DECODE_TEXT_BYTES];
    decode_loc(d, dmg->chunk_index, loc, sizeof(loc));
    chunksim_damage_describe(dmg, text, sizeof(text));
    decode_damage_line(d, chunksim_damage_name(dmg->kind), loc, text);
}

static void decode_on_capture_error(void *data, const chunksim_capture_error_t *e)
{
    decode_t *d = data;
    char loc[DECODE_LOC_BYTES], text[DECODE_TEXT_BYTES];
    if (decode_binary(d)) {
        snprintf(loc, sizeof(loc), "record %" PRIu64 " (byte %" PRIu64 ")", e->loc.line,
                 e->loc.file_offset);
    } else {
        snprintf(loc, sizeof(loc), "line %" PRIu64 ", column %" PRIu64, e->loc.line, e->loc.column);
    }
    chunksim_capture_error_describe(e, text, sizeof(text));
    decode_damage_line(d, chunksim_capture_error_name(e->kind), loc, text);
}

/*
 * The message offset that carries payload byte `at`: the byte itself, or in
 * an RLE message the encoded byte it expands from (a run's value byte).
 */
static uint32_t decode_payload_offset(const chunksim_message_t *m, uint64_t at)
{
    uint32_t encoded = 0;
    if (!m->rle) {
        return m->header_bytes + (uint32_t)at;
    }
    const uint8_t *in = m->bytes + m->header_bytes;
    if (!chunksim_rle_encoded_offset(in, m->length - m->header_bytes, at, &encoded)) {
        encoded = m->length - m->header_bytes;
    }
    return m->header_bytes + encoded;
}

/* Damage inside a complete message, located through the chunk that carried the byte. */
static void decode_message_damage(decode_t *d, const chunksim_message_t *m, uint32_t offset,
                                  const char *kind, const char *text)
{
    char loc[DECODE_LOC_BYTES] = "message";
    uint64_t chunk;
    if (chunksim_message_chunk_at(m, offset, &chunk)) {
        decode_loc(d, chunk, loc, sizeof(loc));
    }
    char full[DECODE_TEXT_BYTES + 48];
    snprintf(full, sizeof(full), "message %" PRIu64 " offset %u: %s", d->messages, offset, text);
    decode_damage_line(d, kind, loc, full);
}

/* ---- per message ---- */

typedef struct decode_walk {
    decode_t *d;
    const chunksim_message_t *m;
} decode_walk_t;

static void decode_on_block(void *data, const chunksim_coredump_block_t *b)
{
    decode_walk_t *w = data;
    if (w->d->a->quiet) {
        return;
    }
    const char *name = chunksim_coredump_block_name(b->type);
    char unknown[24];
    if (name == NULL) {
        snprintf(unknown, sizeof(unknown), "unknown type %u", b->type);
        name = unknown;
    }
    fprintf(w->d->out, "  block %u at %u: %s, address 0x%08" PRIX32 ", %" PRIu32 " bytes\n",
            b->index, b->offset, name, b->address, b->length);
}

static void decode_on_problem(void *data, const chunksim_coredump_problem_t *p)
{
    decode_walk_t *w = data;
    char text[DECODE_TEXT_BYTES];
    switch (p->kind) {
    case CHUNKSIM_COREDUMP_SHORT:
        snprintf(text, sizeof(text), "coredump of %u bytes, shorter than header + footer (%u)",
                 p->got, p->expected);
        break;
    case CHUNKSIM_COREDUMP_BAD_MAGIC:
    case CHUNKSIM_COREDUMP_BAD_FOOTER:
        snprintf(text, sizeof(text), "coredump %s: 0x%08X where \"%s\" (0x%08X) belongs",
                 p->kind == CHUNKSIM_COREDUMP_BAD_MAGIC ? "header" : "footer", p->got,
                 p->kind == CHUNKSIM_COREDUMP_BAD_MAGIC ? "CORE" : "DUMP", p->expected);
        break;
    case CHUNKSIM_COREDUMP_BAD_VERSION:
        snprintf(text, sizeof(text), "coredump version %u, expected %u", p->got, p->expected);
        break;
    case CHUNKSIM_COREDUMP_SIZE_MISMATCH:
        snprintf(text, sizeof(text), "coredump header says %u bytes, the payload has %u",
                 p->expected, p->got);
        break;
    case CHUNKSIM_COREDUMP_BLOCK_OVERRUN:
        snprintf(text, sizeof(text), "coredump block at %u runs to %u, past the footer at %u",
                 p->offset, p->got, p->expected);
        break;
    case CHUNKSIM_COREDUMP_BLOCK_RESERVED:
    case CHUNKSIM_COREDUMP_FOOTER_RESERVED:
        snprintf(text, sizeof(text), "coredump %s reserved bytes are 0x%X, not zero",
                 p->kind == CHUNKSIM_COREDUMP_BLOCK_RESERVED ? "block" : "footer", p->got);
        break;
    }
    decode_message_damage(w->d, w->m, decode_payload_offset(w->m, p->offset),
                          chunksim_coredump_problem_name(p->kind), text);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void decode_coredump(decode_t *d, const chunksim_message_t *m)
{
    const uint8_t *img = m->payload;
    const uint32_t n = m->payload_bytes;
    decode_walk_t w = {d, m};
    const chunksim_coredump_walk_config_t cfg = {decode_on_block, decode_on_problem, &w};
    chunksim_coredump_info_t info;
    if (!d->a->quiet && n >= 12) {
        char magic[12];
        bool text = true;
        for (int i = 0; i < 4; i++) {
            text = text && img[i] >= 0x20 && img[i] < 0x7F;
        }
        if (text) {
            snprintf(magic, sizeof(magic), "%.4s", (const char *)img);
        } else {
            snprintf(magic, sizeof(magic), "0x%08" PRIX32, le32(img));
        }
        fprintf(d->out, "  header: magic %s, version %" PRIu32 ", total %" PRIu32 " bytes\n", magic,
                le32(img + 4), le32(img + 8));
    }
    chunksim_coredump_walk(img, n, &cfg, &info);
    if (!d->a->quiet && info.footer_offset != 0) {
        fprintf(d->out, "  footer at %" PRIu32 ": %s, flags 0x%08" PRIX32 "%s\n",
                info.footer_offset, info.footer_ok ? "DUMP" : "bad", info.footer_flags,
                info.footer_flags & CHUNKSIM_COREDUMP_FLAG_TRUNCATED ? " (truncated by the device)"
                                                                     : "");
    }
}

/* The coredump against the image it should be (--image, or the one the run streamed). */
static void decode_compare_image(decode_t *d, const chunksim_message_t *m)
{
    const uint8_t *img = m->payload;
    const size_t n = m->payload_bytes;
    const size_t common = n < d->image_bytes ? n : d->image_bytes;
    size_t i = 0;
    while (i < common && img[i] == d->image[i]) {
        i++;
    }
    if (i == common && n == d->image_bytes) {
        if (!d->a->quiet) {
            fprintf(d->out, "  matches the image (%zu bytes)\n", n);
        }
        return;
    }
    char text[DECODE_TEXT_BYTES];
    if (i < common) {
        snprintf(text, sizeof(text),
                 "differs from the image at image offset %zu (0x%02X, image 0x%02X)%s", i, img[i],
                 d->image[i], m->crc_ok ? "; the CRC matched: silent corruption" : "");
    } else {
        snprintf(text, sizeof(text), "coredump of %zu bytes, the image has %zu", n, d->image_bytes);
    }
    decode_message_damage(d, m, decode_payload_offset(m, i), "image_mismatch", text);
}

/* An RLE message: what it expanded to, or where its encoding breaks. */
static bool decode_rle(decode_t *d, const chunksim_message_t *m)
{
    const chunksim_rle_info_t *ri = &m->rle_info;
    const uint32_t encoded = m->length - m->header_bytes;
    if (ri->problem == CHUNKSIM_RLE_OK) {
        if (!d->a->quiet) {
            fprintf(d->out,
                    "  run-length encoded: %" PRIu32 " bytes expand to %" PRIu32
                    " (%.1f %%), %" PRIu32 " sequences, %" PRIu32 " runs\n",
                    encoded, m->payload_bytes,
                    m->payload_bytes ? 100.0 * encoded / m->payload_bytes : 0.0, ri->sequences,
                    ri->runs);
        }
        return true;
    }
    static const char *const why[] = {
        [CHUNKSIM_RLE_BAD_VARINT] = "a sequence header is not a varint",
        [CHUNKSIM_RLE_TRUNCATED] = "the payload ends inside a sequence",
        [CHUNKSIM_RLE_TOO_LONG] = "it expands beyond the message limit",
    };
    char text[DECODE_TEXT_BYTES];
    snprintf(text, sizeof(text),
             "run-length encoding does not expand at encoded offset %" PRIu32 ": %s (%" PRIu64
             " bytes expanded before it)",
             ri->at, why[ri->problem], ri->decoded_bytes);
    decode_message_damage(d, m, m->header_bytes + ri->at, "bad_rle", text);
    return false;
}

static void decode_write(decode_t *d, const chunksim_message_t *m, const char *type)
{
    size_t len = strlen(d->a->out_dir) + 64;
    char *path = malloc(len);
    if (path == NULL) {
        d->write_failed = true;
        return;
    }
    snprintf(path, len, "%s/msg-%" PRIu64 "-%s.bin", d->a->out_dir, d->messages, type);
    FILE *f = fopen(path, "wb");
    /* Expanded when run-length encoded; as encoded when it does not expand. */
    const uint8_t *bytes = m->payload != NULL ? m->payload : m->bytes + m->header_bytes;
    const size_t n = m->payload != NULL ? m->payload_bytes : m->length - m->header_bytes;
    bool ok = f != NULL && fwrite(bytes, 1, n, f) == n;
    if (f != NULL && fclose(f) != 0) {
        ok = false;
    }
    if (!ok) {
        fprintf(d->err, "chunksim decode: %s: %s\n", path, strerror(errno));
        d->write_failed = true;
    } else if (!d->a->quiet) {
        fprintf(d->out, "  written to %s (%zu bytes)\n", path, n);
    }
    free(path);
}

static void decode_on_message(void *data, const chunksim_message_t *m)
{
    decode_t *d = data;
    decode_fold_end(d);
    d->messages++;
    uint64_t damage_before = d->damage - (m->crc_ok ? 0 : 1); /* BAD_CRC came just before */
    char type[24], loc[DECODE_LOC_BYTES];
    const char *name = chunksim_message_type_name(m->type);
    if (name != NULL) {
        snprintf(type, sizeof(type), "%s", name);
    } else {
        snprintf(type, sizeof(type), "type%u", m->type);
    }
    decode_loc(d, m->first_chunk, loc, sizeof(loc));
    if (!d->a->quiet) {
        fprintf(d->out, "message %" PRIu64 ": %s, %" PRIu32 " bytes, ", d->messages, type,
                m->length);
        if (m->crc_ok) {
            fprintf(d->out, "CRC ok (0x%04X)", m->crc_computed);
        } else {
            fprintf(d->out, "CRC BAD (carried 0x%04X, computed 0x%04X)", m->crc_expected,
                    m->crc_computed);
        }
        fprintf(d->out, ", %" PRIu64 " chunk%s, first chunk %s%s%s\n", m->chunks,
                m->chunks == 1 ? "" : "s", loc, m->has_key ? ", with project key" : "",
                m->rle ? ", run-length encoded" : "");
    }
    if (!m->key_terminated) {
        decode_message_damage(d, m, 1, "bad_key", "project key without its terminating NUL");
    } else if (m->rle && !decode_rle(d, m)) {
        /* Nothing to walk or compare: the payload is unknown past the damage. */
    } else if (m->type == 1) {
        decode_coredump(d, m);
        if (d->image != NULL) {
            decode_compare_image(d, m);
        }
    }
    if (d->a->out_dir != NULL) {
        decode_write(d, m, type);
    }
    decode_fold_end(d);
    if (d->damage == damage_before) {
        d->messages_ok++;
    }
}

/* ---- sources ---- */

static int decode_feed(decode_t *d, uint64_t index, const uint8_t *chunk, size_t len)
{
    d->chunks++;
    int rc = chunksim_decoder_feed(&d->dec, index, chunk, len);
    if (rc < 0) {
        fprintf(d->err, "chunksim decode: out of memory reassembling a message\n");
    }
    return rc;
}

static int decode_on_chunk(void *data, const chunksim_capture_loc_t *loc, const uint8_t *chunk,
                           size_t len)
{
    decode_t *d = data;
    if (cli_grow((void **)&d->locs, &d->caplocs, d->nlocs, sizeof(d->locs[0]), 1024) < 0)
        return -ENOMEM;
    d->locs[d->nlocs++] = *loc;
    return decode_feed(d, loc->index, chunk, len);
}

static int decode_read_all(FILE *f, uint8_t **out, size_t *out_len)
{
    size_t cap = 0, len = 0;
    uint8_t *buf = NULL;
    do {
        if (cli_grow((void **)&buf, &cap, len, 1, 64 * 1024) < 0) {
            free(buf);
            errno = ENOMEM;
            return -1;
        }
        len += fread(buf + len, 1, cap - len, f);
    } while (len == cap);
    if (ferror(f)) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

/* Auto-detection does not guess: it names what the input could be. */
static void decode_ambiguous(decode_t *d, const char *name, const uint8_t *in, size_t len)
{
    const unsigned fits = chunksim_capture_candidates(in, len);
    fprintf(d->err, "chunksim decode: %s: cannot tell the encoding: it reads as", name);
    const char *sep = " ";
    for (int f = CHUNKSIM_CAPTURE_MC; f < CHUNKSIM_CAPTURE_FORMATS; f++) {
        if (fits & (1u << f)) {
            fprintf(d->err, "%s%s", sep,
                    chunksim_capture_format_name((chunksim_capture_format_t)f));
            sep = " or ";
        }
    }
    fprintf(d->err, "; name one with --encoding\n");
}

static int decode_capture(decode_t *d)
{
    const char *path = d->a->input;
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    uint8_t *in = NULL;
    size_t len = 0;
    if (f == NULL || decode_read_all(f, &in, &len) < 0) {
        fprintf(d->err, "chunksim decode: %s: %s\n", is_stdin ? "standard input" : path,
                strerror(errno));
        if (f != NULL && !is_stdin) {
            fclose(f);
        }
        return CLI_EXIT_USAGE;
    }
    if (!is_stdin) {
        fclose(f);
    }
    d->format =
        d->a->format == CHUNKSIM_CAPTURE_AUTO ? chunksim_capture_detect(in, len) : d->a->format;
    if (d->format == CHUNKSIM_CAPTURE_AUTO) {
        decode_ambiguous(d, is_stdin ? "standard input" : path, in, len);
        free(in);
        return CLI_EXIT_USAGE;
    }
    if (!d->a->quiet) {
        fprintf(d->out, "capture %s: %zu bytes, encoding %s%s\n", is_stdin ? "(stdin)" : path, len,
                chunksim_capture_format_name(d->format),
                d->a->format == CHUNKSIM_CAPTURE_AUTO ? " (detected)" : "");
    }
    const chunksim_capture_config_t cfg = {
        .format = d->format,
        .on_chunk = decode_on_chunk,
        .on_error = decode_on_capture_error,
        .data = d,
    };
    chunksim_capture_stats_t st;
    int rc = chunksim_capture_parse(&cfg, in, len, &st);
    free(in);
    chunksim_decoder_finish(&d->dec, st.chunks);
    if (rc < 0) {
        fprintf(d->err, "chunksim decode: %s: %s\n", path, chunksim_strerror(rc));
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* The run's row: which run, what it was, its image. */
static int decode_db_run(decode_t *d, sqlite3 *db, int64_t *run_id, uint8_t **image,
                         size_t *image_bytes)
{
    sqlite3_stmt *st = NULL;
    int rc = CLI_EXIT_USAGE;
    if (*run_id == 0) {
        if (sqlite3_prepare_v2(db, "SELECT max(run_id) FROM runs", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW) {
            *run_id = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
        if (*run_id == 0) {
            fprintf(d->err, "chunksim decode: %s: no runs recorded\n", d->a->db_path);
            return CLI_EXIT_USAGE;
        }
    }
    const char *sql = "SELECT s.name, r.seed, coalesce(r.outcome, r.status), i.data "
                      "FROM runs r JOIN scenarios s USING (scenario_id) "
                      "LEFT JOIN images i USING (image_id) WHERE r.run_id = ?";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(d->err, "chunksim decode: %s: %s\n", d->a->db_path, sqlite3_errmsg(db));
        return CLI_EXIT_USAGE;
    }
    sqlite3_bind_int64(st, 1, *run_id);
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        fprintf(d->err, "chunksim decode: %s: %s %" PRId64 "\n", d->a->db_path,
                step == SQLITE_DONE ? "no run" : sqlite3_errmsg(db), *run_id);
    } else {
        if (!d->a->quiet) {
            fprintf(d->out,
                    "run %" PRId64 " of %s: scenario %s, seed %" PRIu64 ", outcome %s; %s\n",
                    *run_id, d->a->db_path, (const char *)sqlite3_column_text(st, 0),
                    (uint64_t)sqlite3_column_int64(st, 1), (const char *)sqlite3_column_text(st, 2),
                    d->a->all_chunks ? "all chunks produced" : "delivered chunks");
        }
        int n = sqlite3_column_bytes(st, 3);
        const void *blob = sqlite3_column_blob(st, 3);
        rc = 0;
        if (blob != NULL && n > 0) {
            *image = malloc((size_t)n);
            if (*image == NULL) {
                rc = CLI_EXIT_USAGE;
            } else {
                memcpy(*image, blob, (size_t)n);
                *image_bytes = (size_t)n;
            }
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int decode_db_chunks(decode_t *d, sqlite3 *db, int64_t run_id)
{
    const char *sql = d->a->all_chunks
                          ? "SELECT seq, data FROM chunks WHERE run_id = ? ORDER BY seq"
                          : "SELECT seq, data FROM chunks WHERE run_id = ? AND delivered = 1 "
                            "ORDER BY seq";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(d->err, "chunksim decode: %s: %s\n", d->a->db_path, sqlite3_errmsg(db));
        return CLI_EXIT_USAGE;
    }
    sqlite3_bind_int64(st, 1, run_id);
    int step;
    uint64_t last = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        last = (uint64_t)sqlite3_column_int64(st, 0);
        const uint8_t *blob = sqlite3_column_blob(st, 1);
        if (decode_feed(d, last, blob, (size_t)sqlite3_column_bytes(st, 1)) < 0) {
            sqlite3_finalize(st);
            return CLI_EXIT_USAGE;
        }
    }
    int rc = 0;
    if (step != SQLITE_DONE) {
        fprintf(d->err, "chunksim decode: %s: %s\n", d->a->db_path, sqlite3_errmsg(db));
        rc = CLI_EXIT_USAGE;
    }
    sqlite3_finalize(st);
    chunksim_decoder_finish(&d->dec, last + 1);
    return rc;
}

/* A coredump as large as the image it is compared with is no damage. */
static void decode_follow_image(decode_t *d)
{
    if (d->image != NULL) {
        d->dec.cfg.max_message_bytes = chunksim_decoder_coredump_limit(d->image_bytes);
    }
}

static int decode_db(decode_t *d)
{
    chunksim_rec_t rec;
    if (cli_open_recording(&rec, "decode", d->a->db_path, d->err) != 0) {
        return CLI_EXIT_USAGE;
    }
    sqlite3 *db = chunksim_rec_db(&rec);
    int64_t run_id = d->a->run_id;
    uint8_t *image = NULL;
    size_t image_bytes = 0;
    int rc = decode_db_run(d, db, &run_id, &image, &image_bytes);
    if (d->image == NULL) {
        d->image = image;
        d->image_bytes = image_bytes;
    }
    decode_follow_image(d);
    if (rc == 0) {
        rc = decode_db_chunks(d, db, run_id);
    }
    if (d->image == image) {
        d->image = NULL;
    }
    free(image);
    chunksim_rec_close(&rec);
    return rc;
}

static int decode_load_image(const decode_args_t *a, uint8_t **image, size_t *len, FILE *err)
{
    if (a->image_path == NULL) {
        return 0;
    }
    FILE *f = fopen(a->image_path, "rb");
    if (f == NULL || decode_read_all(f, image, len) < 0) {
        fprintf(err, "chunksim decode: --image %s: %s\n", a->image_path, strerror(errno));
        if (f != NULL) {
            fclose(f);
        }
        return CLI_EXIT_USAGE;
    }
    fclose(f);
    return 0;
}

static int decode_prepare_out(const decode_args_t *a, FILE *err)
{
    if (a->out_dir == NULL || mkdir(a->out_dir, 0777) == 0 || errno == EEXIST) {
        return 0;
    }
    fprintf(err, "chunksim decode: --out %s: %s\n", a->out_dir, strerror(errno));
    return CLI_EXIT_USAGE;
}

static int decode_main(const cli_call_t *call)
{
    decode_args_t *a = call->own;
    FILE *out = a->out, *err = a->err;
    if (decode_prepare_out(a, err) != 0) {
        return CLI_EXIT_USAGE;
    }
    decode_t d = {.out = out, .err = err, .a = a, .from_db = a->db_path != NULL};
    const chunksim_decoder_config_t dcfg = {
        .on_message = decode_on_message, .on_damage = decode_on_damage, .data = &d};
    chunksim_decoder_init(&d.dec, &dcfg);
    uint8_t *image = NULL;
    int rc = decode_load_image(a, &image, &d.image_bytes, err);
    d.image = image;
    decode_follow_image(&d);
    if (rc == 0) {
        rc = d.from_db ? decode_db(&d) : decode_capture(&d);
    }
    free(image);
    decode_fold_end(&d);
    chunksim_decoder_free(&d.dec);
    free(d.locs);
    if (rc != 0) {
        return rc;
    }
    if (d.messages == 0) {
        fprintf(out, "no complete message in %" PRIu64 " chunk%s\n", d.chunks,
                d.chunks == 1 ? "" : "s");
    }
    fprintf(out,
            "%" PRIu64 " chunk%s, %" PRIu64 " message%s (%" PRIu64 " intact), %" PRIu64
            " damage report%s: %s\n",
            d.chunks, d.chunks == 1 ? "" : "s", d.messages, d.messages == 1 ? "" : "s",
            d.messages_ok, d.damage, d.damage == 1 ? "" : "s",
            d.damage == 0 && d.messages > 0 ? "ok" : "DAMAGED");
    if (d.write_failed) {
        return CLI_EXIT_USAGE;
    }
    return d.damage == 0 && d.messages > 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

int cli_decode_io(int argc, char **argv, FILE *out, FILE *err)
{
    decode_args_t a = {.out = out, .err = err};
    return cli_command_main_io(&decode_command, argc, argv, NULL, &a, out, err);
}

int cli_decode(int argc, char **argv)
{
    return cli_decode_io(argc, argv, stdout, stderr);
}
