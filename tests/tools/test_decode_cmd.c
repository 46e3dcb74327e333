/*
 * chunksim decode, end to end: every starter scenario is run into a temporary
 * database and decoded back to its flash image; captures in each format are
 * made from a real run's chunks, then damaged one way at a time (a chunk
 * dropped, duplicated, swapped, a byte flipped, the file cut, a record
 * garbled), and each damage must be named by its line (or seq, or record) and
 * byte offset, with decoding carrying on to the intact message after it.
 */
#define _GNU_SOURCE
#include "cmd_decode.h"

#include "chunksim/recorder.h"
#include "chunksim/run.h"
#include "chunksim/scenario.h"

#include "chunkcore/crc16.h"
#include "chunkcore/rle.h"
#include "chunkcore/varint.h"

#include <glob.h>
#include <inttypes.h>
#include <nettle/base64.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"

#define MAX_RUNS         64
#define MC_PREFIX_COLUMN 21 /* "[00000] <inf> mflt: " is 20 characters */

typedef struct blob {
    uint8_t *data;
    size_t len;
} blob_t;

typedef struct run_rec {
    int64_t run_id;
    char scenario[128];
    char outcome[16];
} run_rec_t;

typedef struct fixture {
    char dir[64];
    char db[96];
    run_rec_t runs[MAX_RUNS];
    size_t nruns;
    int64_t ble_run; /* ble_default: the source of the captures */
    blob_t image;    /* its image */
    blob_t *chunks;  /* its delivered chunks in seq order */
    size_t nchunks;
    int *order; /* order_all(): the capture most tests write, damaged or not */
    size_t norder;
} fixture_t;

static fixture_t fx;

/* The event message of docs/chunk-format.md §13.8 in one chunk: appended to damaged captures
 * to show decoding goes on. */
static const uint8_t event_chunk[] = {0x08, 0x02, 0x0A, 0x0B, 0x0C, 0x0D, 0x19, 0x48};

/* ---- running the command ---- */

typedef struct result {
    int rc;
    char *out;
    char *err;
} result_t;

static result_t decode_argv(int argc, char **argv)
{
    result_t r = {0};
    size_t outn = 0, errn = 0;
    FILE *out = open_memstream(&r.out, &outn);
    FILE *err = open_memstream(&r.err, &errn);
    r.rc = cli_decode_io(argc, argv, out, err);
    fclose(out);
    fclose(err);
    return r;
}

/* decode("--db", path, NULL): argv[0] is the subcommand, as main() passes it. */
static result_t decode(const char *first, ...)
{
    char *argv[16] = {"decode"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL && argc < 15; a = va_arg(ap, const char *)) {
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    return decode_argv(argc, argv);
}

static void result_free(result_t *r)
{
    free(r->out);
    free(r->err);
}

static void expect_in(const result_t *r, const char *needle)
{
    if (strstr(r->out, needle) == NULL) {
        fail_msg("expected \"%s\" in the output:\n%s%s", needle, r->out, r->err);
    }
}

/* ---- the database ---- */

static blob_t blob_copy(const void *p, int n)
{
    blob_t b = {malloc(n > 0 ? (size_t)n : 1), n > 0 ? (size_t)n : 0};
    assert_non_null(b.data);
    if (n > 0) {
        memcpy(b.data, p, (size_t)n);
    }
    return b;
}

static sqlite3 *db_open(void)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(fx.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return db;
}

/* The row sql (? the run id) gives for one run, stepped to: there must be one. Finalize it. */
static sqlite3_stmt *db_run_row(sqlite3 *db, const char *sql, int64_t run_id)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, run_id);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    return st;
}

static blob_t db_image(int64_t run_id)
{
    sqlite3 *db = db_open();
    sqlite3_stmt *st = db_run_row(
        db, "SELECT i.data FROM runs r JOIN images i USING (image_id) WHERE r.run_id = ?", run_id);
    blob_t b = blob_copy(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return b;
}

static int64_t db_int(const char *sql, int64_t run_id)
{
    sqlite3 *db = db_open();
    sqlite3_stmt *st = db_run_row(db, sql, run_id);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void db_chunks(int64_t run_id)
{
    sqlite3 *db = db_open();
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT data FROM chunks WHERE run_id = ? AND delivered = 1 "
                           "ORDER BY seq",
                           -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_int64(st, 1, run_id);
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (fx.nchunks == cap) {
            cap = cap ? 2 * cap : 1024;
            fx.chunks = realloc(fx.chunks, cap * sizeof(*fx.chunks));
            assert_non_null(fx.chunks);
        }
        fx.chunks[fx.nchunks++] =
            blob_copy(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* The whole delivered stream in order, then the event chunk. */
static int *order_all(size_t *n)
{
    int *o = malloc((fx.nchunks + 4) * sizeof(*o));
    assert_non_null(o);
    for (size_t i = 0; i < fx.nchunks; i++) {
        o[i] = (int)i;
    }
    o[fx.nchunks] = -1;
    *n = fx.nchunks + 1;
    return o;
}

/* Every starter scenario, as the library has it, recorded into one temporary database. */
static int group_setup(void **state)
{
    (void)state;
    snprintf(fx.dir, sizeof(fx.dir), "/tmp/chunksim-decode-XXXXXX");
    if (mkdtemp(fx.dir) == NULL) {
        return -1;
    }
    snprintf(fx.db, sizeof(fx.db), "%s/runs.db", fx.dir);
    chunksim_rec_t rec;
    char err[512];
    if (chunksim_rec_open(&rec, fx.db, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    glob_t g;
    if (glob(SCENARIO_LIBRARY_DIR "/*.ini", 0, NULL, &g) != 0) {
        return -1;
    }
    for (size_t i = 0; i < g.gl_pathc && fx.nruns < MAX_RUNS; i++) {
        chunksim_scenario_t sc;
        if (chunksim_scenario_load(&sc, g.gl_pathv[i], err, sizeof(err)) < 0 ||
            chunksim_scenario_validate(&sc, err, sizeof(err)) < 0) {
            fprintf(stderr, "%s\n", err);
            return -1;
        }
        const chunksim_run_options_t opts = {.rec = &rec, .record_rows = true};
        chunksim_run_result_t res;
        if (chunksim_run(&sc, &opts, &res) < 0) {
            return -1;
        }
        run_rec_t *r = &fx.runs[fx.nruns++];
        r->run_id = res.run_id;
        snprintf(r->scenario, sizeof(r->scenario), "%s", sc.run.name);
        snprintf(r->outcome, sizeof(r->outcome), "%s", chunksim_outcome_name(res.outcome));
        if (strcmp(sc.run.name, "ble_default") == 0) {
            fx.ble_run = res.run_id;
        }
        chunksim_scenario_free(&sc);
    }
    globfree(&g);
    chunksim_rec_close(&rec);
    if (fx.ble_run == 0) {
        return -1;
    }
    fx.image = db_image(fx.ble_run);
    db_chunks(fx.ble_run);
    fx.order = order_all(&fx.norder);
    return fx.nchunks > 100 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < fx.nchunks; i++) {
        free(fx.chunks[i].data);
    }
    free(fx.chunks);
    free(fx.order);
    free(fx.image.data);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- files ---- */

static blob_t read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    blob_t b = {NULL, 0};
    size_t cap = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (b.len == cap) {
            cap = cap ? 2 * cap : 4096;
            b.data = realloc(b.data, cap);
            assert_non_null(b.data);
        }
        b.data[b.len++] = (uint8_t)c;
    }
    fclose(f);
    return b;
}

static void expect_file_is(const char *path, const blob_t *want)
{
    blob_t got = read_file(path);
    assert_int_equal(got.len, want->len);
    assert_memory_equal(got.data, want->data, want->len);
    free(got.data);
}

/* Where message bytes start in a chunk, and the message offset of the first of them. */
static size_t chunk_data_start(const blob_t *c, uint32_t *offset)
{
    uint32_t v = 0;
    int vn;
    if (c->data[0] & 0x80) {
        vn = chunkcore_varint_decode(c->data + 1, c->len - 1, &v);
        *offset = v;
        return 1 + (size_t)vn;
    }
    *offset = 0;
    if (c->data[0] & 0x40) {
        vn = chunkcore_varint_decode(c->data + 1, c->len - 1, &v);
        return 1 + (size_t)vn;
    }
    return 1;
}

static uint32_t chunk_offset(size_t i)
{
    uint32_t off;
    (void)chunk_data_start(&fx.chunks[i], &off);
    return off;
}

typedef enum fmt { FMT_MC, FMT_HEX, FMT_BASE64, FMT_RECORDS } fmt_t;

/*
 * Writes the chunks order[0..n) (indexes into fx.chunks; -1: the event chunk)
 * as a capture. Text formats start with one line of other text, so chunk p is
 * on line p + 2.
 */
static void write_capture(const char *path, fmt_t fmt, const int *order, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (fmt == FMT_MC) {
        fputs("*** Booting Zephyr OS ***\n", f);
    } else if (fmt == FMT_HEX || fmt == FMT_BASE64) {
        fputs("# chunks of ble_default\n", f);
    }
    for (size_t p = 0; p < n; p++) {
        const uint8_t *c = order[p] < 0 ? event_chunk : fx.chunks[order[p]].data;
        size_t len = order[p] < 0 ? sizeof(event_chunk) : fx.chunks[order[p]].len;
        if (fmt == FMT_MC || fmt == FMT_BASE64) {
            char b64[BASE64_ENCODE_RAW_LENGTH(1024) + 1];
            assert_le(len, 1024);
            base64_encode_raw(b64, len, c);
            b64[BASE64_ENCODE_RAW_LENGTH(len)] = '\0';
            if (fmt == FMT_MC) {
                fprintf(f, "[%05zu] <inf> mflt: MC:%s:\n", p, b64);
            } else {
                fprintf(f, "%s\n", b64);
            }
        } else if (fmt == FMT_HEX) {
            for (size_t i = 0; i < len; i++) {
                fprintf(f, "%02x%s", c[i], i + 1 < len ? " " : "\n");
            }
        } else {
            fputc((int)(len & 0xFF), f);
            fputc((int)(len >> 8), f);
            fwrite(c, 1, len, f);
        }
    }
    fclose(f);
}

static void path_in(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", fx.dir, name);
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* ---- decode round trips ---- */

/* M from the summary line "N chunks, M messages (...)". */
static size_t messages_in(const result_t *r)
{
    const char *p = strstr(r->out, " chunks, ");
    size_t m = 0;
    if (p == NULL || sscanf(p, " chunks, %zu message", &m) != 1) {
        fail_msg("no summary line in:\n%s", r->out);
    }
    return m;
}

/* Damage lines that are all of one text (e.g. a resend after a disconnect). */
static bool damage_only(const char *out, const char *what)
{
    for (const char *p = strstr(out, "damage:"); p != NULL; p = strstr(p + 1, "damage:")) {
        const char *eol = strchr(p, '\n');
        const char *hit = strstr(p, what);
        if (hit == NULL || (eol != NULL && hit > eol)) {
            return false;
        }
    }
    return true;
}

static void test_every_starter_run_decodes_back_to_its_image(void **state)
{
    (void)state;
    size_t ok = 0, corrupt = 0, lost = 0;
    for (size_t i = 0; i < fx.nruns; i++) {
        const run_rec_t *run = &fx.runs[i];
        char id[24], out_dir[128], file[192];
        snprintf(id, sizeof(id), "%" PRId64, run->run_id);
        snprintf(out_dir, sizeof(out_dir), "%s/run%s", fx.dir, id);
        result_t r = decode("--db", fx.db, "--run", id, "--out", out_dir, "-q", NULL);
        if (strcmp(run->outcome, "ok") == 0) {
            ok++;
            /* A resend after a disconnect leaves one truncated message before the good one. */
            assert_true(r.rc == 0 || (r.rc == 1 && damage_only(r.out, "truncated")));
            size_t n = messages_in(&r);
            assert_ge(n, 1);
            snprintf(file, sizeof(file), "%s/msg-%zu-coredump.bin", out_dir, n);
            blob_t img = db_image(run->run_id);
            expect_file_is(file, &img);
            free(img.data);
        } else if (strcmp(run->outcome, "corrupt") == 0) {
            corrupt++;
            assert_int_equal(r.rc, 1);
            assert_true(strstr(r.out, "differs from the image") != NULL ||
                        strstr(r.out, "bad CRC") != NULL);
        } else if (strcmp(run->outcome, "lost") == 0) {
            lost++;
            assert_int_equal(r.rc, 1);
        } else {
            assert_true(r.rc == 0 || r.rc == 1);
        }
        result_free(&r);
    }
    assert_ge(ok, 10);
    assert_ge(corrupt, 1);
    assert_ge(lost, 1);
}

static void test_silent_corruption_located_by_seq_against_the_runs_image(void **state)
{
    (void)state;
    for (size_t i = 0; i < fx.nruns; i++) {
        if (strcmp(fx.runs[i].outcome, "corrupt") != 0) {
            continue;
        }
        char id[24];
        snprintf(id, sizeof(id), "%" PRId64, fx.runs[i].run_id);
        result_t r = decode("--db", fx.db, "--run", id, NULL);
        assert_int_equal(r.rc, 1);
        const char *d = strstr(r.out, "differs from the image");
        assert_non_null(d);
        while (d > r.out && d[-1] != '\n') {
            d--;
        }
        unsigned long long seq = 0;
        unsigned off = 0, img_off = 0;
        assert_int_equal(sscanf(d,
                                "damage: seq %llu: message 1 offset %u: differs from the image "
                                "at image offset %u",
                                &seq, &off, &img_off),
                         3);
        assert_int_equal(off, img_off + 1);
        /* The named chunk holds that offset. */
        sqlite3 *db = db_open();
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "SELECT data FROM chunks WHERE run_id = ? AND seq = ?",
                                            -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_int64(st, 1, fx.runs[i].run_id);
        sqlite3_bind_int64(st, 2, (int64_t)seq);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        blob_t c = blob_copy(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0));
        sqlite3_finalize(st);
        sqlite3_close(db);
        uint32_t start;
        size_t hdr = chunk_data_start(&c, &start);
        assert_ge(off, start);
        assert_lt(off, start + (c.len - hdr));
        free(c.data);
        result_free(&r);
    }
}

static void test_undelivered_last_chunk_truncates_and_all_chunks_restores_it(void **state)
{
    (void)state;
    for (size_t i = 0; i < fx.nruns; i++) {
        if (strcmp(fx.runs[i].scenario, "disconnect_after_last") != 0) {
            continue;
        }
        int64_t run = fx.runs[i].run_id;
        char id[24], want[128], out_dir[128];
        snprintf(id, sizeof(id), "%" PRId64, run);
        int64_t last =
            db_int("SELECT max(seq) FROM chunks WHERE run_id = ? AND delivered = 1", run);
        int64_t total = db_int("SELECT count(*) FROM chunks WHERE run_id = ?", run);
        result_t r = decode("--db", fx.db, "--run", id, NULL);
        assert_int_equal(r.rc, 1);
        snprintf(want, sizeof(want), "damage: seq %" PRId64 ": truncated: the message stops at",
                 last);
        expect_in(&r, want);
        expect_in(&r, "no complete message");
        result_free(&r);

        snprintf(out_dir, sizeof(out_dir), "%s/all%s", fx.dir, id);
        r = decode("--db", fx.db, "--run", id, "--all-chunks", "--out", out_dir, NULL);
        assert_int_equal(r.rc, 0);
        snprintf(want, sizeof(want), "%" PRId64 " chunks, 1 message (1 intact)", total);
        expect_in(&r, want);
        expect_in(&r, "matches the image");
        char file[192];
        snprintf(file, sizeof(file), "%s/msg-1-coredump.bin", out_dir);
        blob_t img = db_image(run);
        expect_file_is(file, &img);
        free(img.data);
        result_free(&r);
        return;
    }
    fail_msg("no disconnect_after_last run among the starter scenarios");
}

static void test_each_capture_format_round_trips_to_the_image(void **state)
{
    (void)state;
    static const char *const names[] = {"mc", "hex", "base64", "records"};
    for (int f = FMT_MC; f <= FMT_RECORDS; f++) {
        char path[128], out_dir[128], file[192], want[96];
        snprintf(path, sizeof(path), "%s/good.%s", fx.dir, names[f]);
        snprintf(out_dir, sizeof(out_dir), "%s/out-%s", fx.dir, names[f]);
        write_capture(path, (fmt_t)f, fx.order, fx.norder);
        result_t r = decode(path, "--out", out_dir, NULL);
        assert_int_equal(r.rc, 0);
        snprintf(want, sizeof(want), "encoding %s (detected)", names[f]);
        expect_in(&r, want);
        expect_in(&r, "message 1: coredump, ");
        expect_in(&r, "message 2: event, 5 bytes, CRC ok");
        expect_in(&r, "block 1 at 92: memory region, address 0x20000000");
        expect_in(&r, "footer at ");
        expect_in(&r, "2 messages (2 intact), 0 damage reports: ok");
        snprintf(file, sizeof(file), "%s/msg-1-coredump.bin", out_dir);
        expect_file_is(file, &fx.image);
        result_free(&r);

        r = decode("--format", names[f], path, "-q", NULL);
        assert_int_equal(r.rc, 0);
        assert_null(strstr(r.out, "message 1:"));
        result_free(&r);
    }
}

/* ---- damage, located ---- */

/*
 * Decodes the capture at path, against image unless NULL: exit 1, and each of needles (a list
 * that ends at NULL) and also (unless NULL) in the output.
 */
static void expect_decode_damage(const char *path, const char *image, const char *const *needles,
                                 const char *also)
{
    result_t r = image ? decode(path, "--image", image, NULL) : decode(path, NULL);
    assert_int_equal(r.rc, 1);
    for (const char *const *p = needles; *p != NULL; p++) {
        expect_in(&r, *p);
    }
    if (also != NULL) {
        expect_in(&r, also);
    }
    result_free(&r);
}

/* Decodes order[0..n) written as fmt; expects exit 1 and each needle; the event still decodes. */
static void expect_damage(fmt_t fmt, const int *order, size_t n, const char *image,
                          const char *const *needles)
{
    char path[128];
    path_in(path, sizeof(path),
            fmt == FMT_MC       ? "damaged.mc"
            : fmt == FMT_HEX    ? "damaged.hex"
            : fmt == FMT_BASE64 ? "damaged.b64"
                                : "damaged.bin");
    write_capture(path, fmt, order, n);
    expect_decode_damage(path, image, needles, ": event, 5 bytes, CRC ok");
}

#define STR_(x) #x
#define STR(x)  STR_(x)

/*
 * The whole stream with one chunk, k, dropped, sent twice or swapped with the next, written as
 * fmt: what its decode says. damage is a printf format of the damage's line (k + line), then
 * chunk k's first and last byte; also, what else the output must hold (ends at NULL).
 */
typedef struct edit_case {
    const char *name;
    enum { DROP, DUPLICATE, SWAP } edit;
    size_t k;
    fmt_t fmt;
    size_t line;
    const char *damage;
    const char *also[3];
} edit_case_t;

static const edit_case_t edit_cases[] = {
    {"test_dropped_chunk_is_a_gap_at_the_next_line",
     DROP,
     100,
     FMT_MC,
     2,
     "damage: line %zu, column " STR(MC_PREFIX_COLUMN) ": gap: message bytes %u..%u never",
     {"1 message (1 intact)"}},
    {"test_duplicated_chunk_is_named_at_its_second_line",
     DUPLICATE,
     57,
     FMT_MC,
     3,
     "damage: line %zu, column " STR(MC_PREFIX_COLUMN) ": duplicate: bytes %u..%u already",
     {"message 1: coredump", "CRC ok"}},
    {"test_swapped_chunks_are_out_of_order_at_the_late_line",
     SWAP,
     1000,
     FMT_HEX,
     3,
     "damage: line %zu: out of order: offset %u arrived after",
     {"2 messages (2 intact)"}},
};

static void test_edit_case(void **state)
{
    const edit_case_t *c = *state;
    const size_t k = c->k;
    size_t n;
    int *o = order_all(&n); /* a copy: the edit is this test's alone */
    if (c->edit == DROP) {
        memmove(o + k, o + k + 1, (n - k - 1) * sizeof(*o));
        n--;
    } else if (c->edit == DUPLICATE) {
        memmove(o + k + 1, o + k, (n - k) * sizeof(*o));
        n++;
    } else {
        o[k] = (int)k + 1;
        o[k + 1] = (int)k;
    }
    char want[160];
    snprintf(want, sizeof(want), c->damage, k + c->line, chunk_offset(k), chunk_offset(k + 1) - 1);
    const char *needles[] = {want, c->also[0], c->also[1], c->also[2], NULL};
    expect_damage(c->fmt, o, n, NULL, needles);
    free(o);
}

static void test_flipped_byte_is_a_bad_crc_located_by_the_image(void **state)
{
    (void)state;
    const size_t k = 321;
    uint32_t start;
    size_t at = chunk_data_start(&fx.chunks[k], &start) + 2;
    fx.chunks[k].data[at] ^= 0x10;
    char crc[160], where[160], img[128];
    snprintf(crc, sizeof(crc), "damage: line %zu, column %d: bad CRC over %zu bytes",
             fx.nchunks + 1, MC_PREFIX_COLUMN, fx.image.len + 1);
    snprintf(where, sizeof(where),
             "damage: line %zu, column %d: message 1 offset %u: differs from the image at image "
             "offset %u",
             k + 2, MC_PREFIX_COLUMN, start + 2, start + 1);
    path_in(img, sizeof(img), "image.bin");
    write_bytes(img, fx.image.data, fx.image.len);
    const char *needles[] = {crc, where, "CRC BAD", NULL};
    expect_damage(FMT_MC, fx.order, fx.norder, img, needles);
    const char *crc_only[] = {crc, NULL};
    expect_damage(FMT_MC, fx.order, fx.norder, NULL, crc_only);
    fx.chunks[k].data[at] ^= 0x10;
}

/* ---- run-length encoded messages ---- */

typedef struct rle_mem {
    chunkcore_source_t src;
    const uint8_t *data;
    uint32_t bytes;
} rle_mem_t;

static int rle_mem_has(void *ctx, uint32_t *payload_bytes)
{
    *payload_bytes = ((rle_mem_t *)ctx)->bytes;
    return 1;
}

static int rle_mem_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    memcpy(buf, ((rle_mem_t *)ctx)->data + offset, len);
    return 0;
}

static int rle_mem_mark(void *ctx)
{
    (void)ctx;
    return 0;
}

/* The coredump message a board sends with RLE: 0x81, then the encoded image. */
static size_t rle_message(const blob_t *img, uint8_t *msg, size_t cap)
{
    rle_mem_t m = {.src = {rle_mem_has, rle_mem_read, rle_mem_mark, NULL, NULL, false, false},
                   .data = img->data,
                   .bytes = (uint32_t)img->len};
    m.src.ctx = &m;
    chunkcore_rle_t r;
    const chunkcore_rle_config_t cfg = {.source = &m.src};
    assert_int_equal(chunkcore_rle_init(&r, &cfg), 0);
    const chunkcore_source_t *s = chunkcore_rle_source(&r);
    uint32_t total = 0;
    assert_int_equal(s->has_message(s->ctx, &total), 1);
    assert_le(total + 1, cap);
    msg[0] = 0x81;
    assert_int_equal(s->read(s->ctx, 0, msg + 1, total), 0);
    return total + 1;
}

/* One whole-message chunk per line, hex: 08, the message, its CRC. */
static void write_one_chunk_hex(const char *path, const uint8_t *msg, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint16_t crc = chunkcore_crc16_update(CHUNKCORE_CRC16_INIT, msg, n);
    fputs("08", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%02x", msg[i]);
    }
    fprintf(f, "%02x%02x\n", crc & 0xFFu, crc >> 8);
    fclose(f);
}

/*
 * An RLE coredump decodes to its image; a run's value byte altered before
 * the CRC was computed (silent corruption) is located at that byte; an
 * encoding cut short does not expand and is named as such.
 */
static void test_rle_message_expands_and_its_damage_is_located(void **state)
{
    (void)state;
    static uint8_t msg[256 * 1024];
    size_t n = rle_message(&fx.image, msg, sizeof(msg));
    char cap[128], img[128];
    path_in(cap, sizeof(cap), "rle.hex");
    path_in(img, sizeof(img), "rle-image.bin");
    write_bytes(img, fx.image.data, fx.image.len);

    write_one_chunk_hex(cap, msg, n);
    result_t r = decode(cap, "--image", img, NULL);
    assert_int_equal(r.rc, 0);
    expect_in(&r, "run-length encoded");
    expect_in(&r, "header: magic CORE");
    expect_in(&r, "matches the image");
    result_free(&r);

    /* The first run: the header's zero bytes? Find a run header (even) followed by its value. */
    size_t at = 1;
    uint32_t image_at = 0;
    for (;;) {
        uint32_t zz = 0;
        int vn = chunkcore_varint_decode(msg + at, n - at, &zz);
        assert_gt(vn, 0);
        uint32_t count = zz % 2 == 0 ? zz / 2 : (zz + 1) / 2;
        if (zz % 2 == 0 && count >= 4) {
            at += (size_t)vn; /* the run's value byte */
            break;
        }
        at += (size_t)vn + (zz % 2 == 0 ? 1 : count);
        image_at += count;
        assert_lt(at, n);
    }
    msg[at] ^= 0x01;
    write_one_chunk_hex(cap, msg, n);
    char want[160];
    snprintf(want, sizeof(want), "message 1 offset %zu: differs from the image at image offset %u",
             at, image_at);
    const char *silent[] = {want, "the CRC matched: silent corruption", NULL};
    expect_decode_damage(cap, img, silent, NULL);
    msg[at] ^= 0x01;

    write_one_chunk_hex(cap, msg, n - 1);
    const char *cut[] = {"damage: line 1: message 1 offset",
                         "run-length encoding does not expand at encoded offset", NULL};
    expect_decode_damage(cap, NULL, cut, NULL);
}

static void test_cut_binary_capture_is_truncated_at_its_record(void **state)
{
    (void)state;
    const size_t k = 2000; /* the file ends 3 bytes into record k + 1 */
    char path[128];
    path_in(path, sizeof(path), "cut.bin");
    write_capture(path, FMT_RECORDS, fx.order, fx.norder);
    size_t cut = 0;
    for (size_t i = 0; i < k; i++) {
        cut += 2 + fx.chunks[i].len;
    }
    assert_int_equal(truncate(path, (off_t)(cut + 3)), 0);
    char announced[160], stops[160];
    snprintf(announced, sizeof(announced),
             "damage: record %zu (byte %zu): truncated: %zu bytes announced, 1 left", k + 1, cut,
             fx.chunks[k].len);
    snprintf(stops, sizeof(stops),
             "damage: record %zu (byte %zu): truncated: the message stops at offset %u", k,
             cut - 2 - fx.chunks[k - 1].len, chunk_offset(k));
    const char *records[] = {announced, stops, "encoding records (detected)", NULL};
    expect_decode_damage(path, NULL, records, NULL);

    /* A console capture cut in the middle of a line. */
    path_in(path, sizeof(path), "cut.mc");
    write_capture(path, FMT_MC, fx.order, fx.norder);
    blob_t text = read_file(path);
    char *line = strstr((char *)text.data, "[02000]");
    assert_non_null(line);
    size_t keep = (size_t)(line - (char *)text.data) + 30;
    free(text.data);
    assert_int_equal(truncate(path, (off_t)keep), 0);
    char unclosed[160];
    snprintf(unclosed, sizeof(unclosed),
             "damage: line %zu, column %d: MC record has no closing ':'", k + 2, MC_PREFIX_COLUMN);
    snprintf(stops, sizeof(stops),
             "damage: line %zu, column %d: truncated: the message stops at offset %u", k + 1,
             MC_PREFIX_COLUMN, chunk_offset(k));
    const char *mc[] = {unclosed, stops, NULL};
    expect_decode_damage(path, NULL, mc, NULL);
}

static void test_garbled_records_named_by_line_and_column_then_the_gap(void **state)
{
    (void)state;
    const size_t k = 700;
    char path[128], want[160], gap[160];
    const char *needles[] = {want, gap, NULL};
    path_in(path, sizeof(path), "garbled.mc");
    write_capture(path, FMT_MC, fx.order, fx.norder);
    blob_t text = read_file(path);
    char *line = strstr((char *)text.data, "[00700]");
    assert_non_null(line);
    line[MC_PREFIX_COLUMN - 1 + 3 + 4] = '*'; /* the fifth base64 character */
    write_bytes(path, text.data, text.len);
    free(text.data);
    snprintf(want, sizeof(want),
             "damage: line %zu, column %d: bad base64 in MC record: character '*'", k + 2,
             MC_PREFIX_COLUMN + 3 + 4);
    snprintf(gap, sizeof(gap), "damage: line %zu, column %d: gap: message bytes %u..%u", k + 3,
             MC_PREFIX_COLUMN, chunk_offset(k), chunk_offset(k + 1) - 1);
    expect_decode_damage(path, NULL, needles, NULL);

    path_in(path, sizeof(path), "garbled.hex");
    write_capture(path, FMT_HEX, fx.order, fx.norder);
    text = read_file(path);
    char *p = (char *)text.data;
    for (size_t l = 0; l < k + 1; l++) {
        p = strchr(p, '\n') + 1;
    }
    p[4] = 'q'; /* line k + 2, column 5 */
    write_bytes(path, text.data, text.len);
    free(text.data);
    snprintf(want, sizeof(want), "damage: line %zu, column 5: bad hex: character 'q'", k + 2);
    snprintf(gap, sizeof(gap), "damage: line %zu: gap: message bytes %u..", k + 3, chunk_offset(k));
    expect_decode_damage(path, NULL, needles, NULL);
}

static void test_missing_first_chunk_leaves_orphans_folded_after_three(void **state)
{
    (void)state;
    char want[160];
    snprintf(want, sizeof(want), "damage: line 2, column %d: orphan continuation at offset %u",
             MC_PREFIX_COLUMN, chunk_offset(1));
    char fold[160];
    snprintf(fold, sizeof(fold), "damage: ... and %zu more orphan (the last at line %zu,",
             fx.nchunks - 1 - 3, fx.nchunks);
    const char *needles[] = {want, fold, "message 1: event", NULL};
    expect_damage(FMT_MC, fx.order + 1, fx.norder - 1, NULL, needles);
}

static void test_key_image_length_and_verbose_checks(void **state)
{
    (void)state;
    /* A coredump message (41) whose project key never ends: 41 6B 65 79, CRC 0x???? */
    char path[128], img[128];
    path_in(path, sizeof(path), "keyed.hex");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("08 41 6B 65 79", f);
    const uint8_t msg[] = {0x41, 0x6B, 0x65, 0x79};
    uint16_t crc = 0;
    for (size_t i = 0; i < sizeof(msg); i++) { /* CRC-16/XMODEM, bit by bit */
        crc ^= (uint16_t)(msg[i] << 8);
        for (int b = 0; b < 8; b++) {
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
        }
    }
    fprintf(f, " %02X %02X\n", crc & 0xFF, crc >> 8);
    fclose(f);
    const char *keyed[] = {
        "with project key",
        "damage: line 1: message 1 offset 1: project key without its terminating NUL", NULL};
    expect_decode_damage(path, NULL, keyed, NULL);

    /* The whole stream against an image one byte shorter. */
    path_in(path, sizeof(path), "whole.bin");
    write_capture(path, FMT_RECORDS, fx.order, fx.norder);
    path_in(img, sizeof(img), "short-image.bin");
    write_bytes(img, fx.image.data, fx.image.len - 1);
    char want[128];
    snprintf(want, sizeof(want), "coredump of %zu bytes, the image has %zu", fx.image.len,
             fx.image.len - 1);
    const char *shorter[] = {want, NULL};
    expect_decode_damage(path, img, shorter, NULL);

    /* --verbose: every orphan on its own line, none folded. */
    path_in(path, sizeof(path), "orphans.mc");
    write_capture(path, FMT_MC, fx.order + 1, 10);
    result_t r = decode(path, "-v", NULL);
    assert_int_equal(r.rc, 1);
    assert_null(strstr(r.out, "more orphan"));
    snprintf(want, sizeof(want), "damage: line 11, column %d: orphan continuation at offset %u",
             MC_PREFIX_COLUMN, chunk_offset(10));
    expect_in(&r, want);
    result_free(&r);
}

/* ---- exit codes ---- */

/* The Memfault CLI's post-chunk encodings, one chunk each, as its docs show them. */
static void test_cli_single_chunk_encodings_each_decode(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        const char *text; /* NULL: the raw chunk */
        const char *encoding;
    } cases[] = {
        {"one.bin", NULL, "bin"},
        {"one.hex", "08020a0b0c0d1948\n", "hex"},
        {"one.b64", "CAIKCwwNGUg=", "base64"},
        {"one.log", "<inf> MC: ok\n<inf> mflt: MC:CAIKCwwNGUg=:\n", "mc"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[128], want[64];
        path_in(path, sizeof(path), cases[i].file);
        if (cases[i].text != NULL) {
            write_bytes(path, cases[i].text, strlen(cases[i].text));
        } else {
            write_bytes(path, event_chunk, sizeof(event_chunk));
        }
        result_t r = decode(path, NULL);
        if (r.rc != 0) {
            fail_msg("%s: exit %d:\n%s%s", cases[i].file, r.rc, r.out, r.err);
        }
        snprintf(want, sizeof(want), "encoding %s (detected)", cases[i].encoding);
        expect_in(&r, want);
        expect_in(&r, "1 message (1 intact), 0 damage reports: ok");
        result_free(&r);
    }
}

static void test_ambiguous_capture_names_the_candidates_and_the_flag(void **state)
{
    (void)state;
    char path[128];
    /* One 8-byte record, or one 10-byte raw chunk: both read. */
    const uint8_t one_record[] = {0x08, 0x00, 0x08, 0x02, 0x0A, 0x0B, 0x0C, 0x0D, 0x19, 0x48};
    path_in(path, sizeof(path), "ambiguous.bin");
    write_bytes(path, one_record, sizeof(one_record));
    result_t r = decode(path, NULL);
    assert_int_equal(r.rc, 2);
    if (strstr(r.err, "cannot tell the encoding: it reads as bin or records; name one with "
                      "--encoding") == NULL) {
        fail_msg("stderr: %s", r.err);
    }
    result_free(&r);
    r = decode("--encoding", "records", path, NULL);
    assert_int_equal(r.rc, 0);
    expect_in(&r, "encoding records\n");
    result_free(&r);

    path_in(path, sizeof(path), "ambiguous.txt");
    write_bytes(path, "0000\n", 5);
    r = decode(path, NULL);
    assert_int_equal(r.rc, 2);
    assert_non_null(strstr(r.err, "it reads as hex or base64; name one with --encoding"));
    result_free(&r);
}

static void test_exit_codes_for_usage_and_unreadable_input(void **state)
{
    (void)state;
    char missing[128], notdb[128], empty[128], file_as_dir[160], good[128];
    path_in(missing, sizeof(missing), "no-such-file");
    path_in(notdb, sizeof(notdb), "not-a.db");
    path_in(empty, sizeof(empty), "empty.txt");
    path_in(good, sizeof(good), "good.mc");
    snprintf(file_as_dir, sizeof(file_as_dir), "%s/sub", notdb);
    write_bytes(notdb, "this is not SQLite\n", strlen("this is not SQLite\n"));
    write_bytes(empty, "", 0);
    write_capture(good, FMT_MC, fx.order, fx.norder);

    struct {
        int rc;
        const char *args[6];
        const char *err; /* on stderr */
    } cases[] = {
        {2, {missing}, "no-such-file"},
        {2, {"--db", missing}, "cannot open"},
        {2, {"--db", notdb}, "not-a.db"},
        {2, {"--db", fx.db, "--run", "999999"}, "no run 999999"},
        {2, {"--db", fx.db, "--run", "x1"}, "expected a run id"},
        {2, {"--db", fx.db, good}, "not both"},
        {2, {"--run", "1", good}, "need --db"},
        {2, {"--encoding", "base32", good}, "not auto, mc, sdk_data_export, hex, base64, bin"},
        {2, {good, "--image", missing}, "--image"},
        {2, {good, "--out", file_as_dir}, "--out"},
        {2, {NULL}, "nothing to decode"},
        {1, {empty}, ""},
        {0, {good}, ""},
        {0, {"--help"}, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[8] = {"decode"};
        int argc = 1;
        for (size_t a = 0; a < 6 && cases[i].args[a] != NULL; a++) {
            argv[argc++] = (char *)cases[i].args[a];
        }
        result_t r = decode_argv(argc, argv);
        if (r.rc != cases[i].rc || strstr(r.err, cases[i].err) == NULL) {
            fail_msg("case %zu: exit %d (want %d), stderr: %s", i, r.rc, cases[i].rc, r.err);
        }
        result_free(&r);
    }
    result_t r = decode(empty, NULL);
    expect_in(&r, "no complete message in 0 chunks");
    result_free(&r);
    r = decode("--db", fx.db, NULL); /* the latest run */
    expect_in(&r, "run ");
    assert_true(r.rc == 0 || r.rc == 1);
    result_free(&r);
}

/* Case i of edit_cases, run as a test of its own under its name. */
#define EDIT_TEST(i)                                                                               \
    {                                                                                              \
        edit_cases[i].name, test_edit_case, NULL, NULL, (void *)&edit_cases[i]                     \
    }

CHUNKSIM_TEST_MAIN_GROUP({
    cmocka_unit_test(test_every_starter_run_decodes_back_to_its_image),
    cmocka_unit_test(test_silent_corruption_located_by_seq_against_the_runs_image),
    cmocka_unit_test(test_undelivered_last_chunk_truncates_and_all_chunks_restores_it),
    cmocka_unit_test(test_each_capture_format_round_trips_to_the_image),
    EDIT_TEST(0),
    EDIT_TEST(1),
    EDIT_TEST(2),
    cmocka_unit_test(test_flipped_byte_is_a_bad_crc_located_by_the_image),
    cmocka_unit_test(test_rle_message_expands_and_its_damage_is_located),
    cmocka_unit_test(test_cut_binary_capture_is_truncated_at_its_record),
    cmocka_unit_test(test_garbled_records_named_by_line_and_column_then_the_gap),
    cmocka_unit_test(test_missing_first_chunk_leaves_orphans_folded_after_three),
    cmocka_unit_test(test_key_image_length_and_verbose_checks),
    cmocka_unit_test(test_cli_single_chunk_encodings_each_decode),
    cmocka_unit_test(test_ambiguous_capture_names_the_candidates_and_the_flag),
    cmocka_unit_test(test_exit_codes_for_usage_and_unreadable_input),
})
