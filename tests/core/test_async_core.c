/*
 * The async read core (chunkcore/async.h) driven as on a board: a fake flash
 * port records each dispatched operation and the test's application loop
 * completes it later (never inside the dispatch call), with the coredump
 * source and the packetizer reading through chunkcore_async_storage().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "chunksim_test_main.h"

#include "chunksim_test_cmp.h"

#include "chunk_decoder.h"
#include "test_prng.h"

#include "chunkcore/async.h"
#include "chunkcore/coredump.h"
#include "chunkcore/error.h"
#include "chunkcore/packetizer.h"
#include "chunkcore/rle.h"

#define LOG_MAX         8192u
#define MAX_CHUNK_BYTES 1024u
#define ERASED_BYTE     0xFFu

/* ---- fake flash: one operation at a time, completed by the test ---- */

typedef struct fake_read_log {
    uint32_t offset;
    uint32_t len;
    uint32_t position; /* payload bytes the application had delivered at dispatch */
} fake_read_log_t;

typedef struct fake_flash {
    uint8_t *mem;
    uint32_t size_bytes;
    uint32_t sector_bytes;
    /* The operation in flight. */
    bool busy;
    uint8_t kind; /* enum chunkcore_async_op */
    uint32_t op_id;
    uint32_t offset;
    uint8_t *buf;
    size_t len;
    /* Counters and checks. */
    unsigned read_starts;
    unsigned erase_starts;
    unsigned cancels;
    unsigned overlaps;   /* an operation started while another was in flight */
    unsigned bad_erases; /* an erase not of (0, one sector) */
    unsigned bad_reads;  /* a read outside the storage */
    uint32_t last_cancelled_op;
    unsigned refuse_reads; /* the next refuse_reads read_start calls fail */
    unsigned refuse_erases;
    uint32_t position; /* set by the application loop, copied into the log */
    fake_read_log_t log[LOG_MAX];
    unsigned n_log;
} fake_flash_t;

/* The operation is in flight from here until the test finishes or cancels it. */
static void fake_take(fake_flash_t *f, uint8_t kind, uint32_t op_id, uint32_t offset, void *buf,
                      size_t len)
{
    f->busy = true;
    f->kind = kind;
    f->op_id = op_id;
    f->offset = offset;
    f->buf = buf;
    f->len = len;
}

static int fake_read_start(void *ctx, uint32_t op_id, uint32_t offset, void *buf, size_t len)
{
    fake_flash_t *f = ctx;
    if (f->busy) {
        f->overlaps++;
    }
    if (offset > f->size_bytes || len > f->size_bytes - offset) {
        f->bad_reads++;
    }
    if (f->refuse_reads > 0) {
        f->refuse_reads--;
        return CHUNKCORE_E_IO;
    }
    f->read_starts++;
    if (f->n_log < LOG_MAX) {
        f->log[f->n_log++] = (fake_read_log_t){offset, (uint32_t)len, f->position};
    }
    fake_take(f, CHUNKCORE_OP_READ, op_id, offset, buf, len);
    return 0;
}

static int fake_erase_start(void *ctx, uint32_t op_id, uint32_t offset, size_t len)
{
    fake_flash_t *f = ctx;
    if (f->busy) {
        f->overlaps++;
    }
    if (offset != 0 || len != f->sector_bytes) {
        f->bad_erases++;
    }
    if (f->refuse_erases > 0) {
        f->refuse_erases--;
        return CHUNKCORE_E_IO;
    }
    f->erase_starts++;
    fake_take(f, CHUNKCORE_OP_ERASE, op_id, offset, NULL, len);
    return 0;
}

static void fake_cancel(void *ctx, uint32_t op_id)
{
    fake_flash_t *f = ctx;
    assert_true(f->busy);
    assert_int_equal(op_id, f->op_id);
    f->busy = false; /* nothing of it lands in RAM any more */
    f->cancels++;
    f->last_cancelled_op = op_id;
}

static int fake_get_info(void *ctx, chunkcore_storage_info_t *info)
{
    fake_flash_t *f = ctx;
    info->size_bytes = f->size_bytes;
    info->sector_bytes = f->sector_bytes;
    return 0;
}

/* The flash finishes the operation in flight: bytes land (or not), then the core hears of it. */
static void fake_finish(fake_flash_t *f, chunkcore_async_t *a, int status)
{
    assert_true(f->busy);
    if (status == 0 && f->kind == CHUNKCORE_OP_READ) {
        memcpy(f->buf, f->mem + f->offset, f->len);
    }
    if (status == 0 && f->kind == CHUNKCORE_OP_ERASE) {
        memset(f->mem + f->offset, ERASED_BYTE, f->len);
    }
    f->busy = false;
    /* The core may dispatch the next operation (the erase) from here. */
    assert_int_equal(chunkcore_async_complete(a, f->op_id, status), CHUNKCORE_OK);
}

/* ---- the application: prepare -> (wait) -> get_chunk -> send ---- */

typedef struct app {
    fake_flash_t flash;
    chunkcore_async_port_t port;
    chunkcore_async_t a;
    chunkcore_coredump_t cd;
    chunkcore_packetizer_config_t cfg;
    chunkcore_packetizer_t p;
    uint8_t *window_ram;
    uint8_t *storage;
    uint32_t image_bytes;
    uint8_t *expect; /* 0x01 + the image */
    uint8_t *decoded;
    uint8_t *stream; /* multi-call concatenation */
    test_decoder_t dec;
    test_prng_t rng;
    /* How the run is driven. */
    size_t chunk_bytes; /* 0: random 9..chunk_max_bytes per call */
    size_t chunk_max_bytes;
    bool multi_call;
    bool complete_after_send; /* the flash finishes while the chunk is on the link */
    unsigned fail_read_no;    /* this read completion (1-based) reports an error */
    unsigned drop_read_no;    /* this read never completes: cancelled on timeout */
    /* What happened. */
    unsigned read_completions;
    unsigned waits;
    unsigned chunks;
    unsigned io_errors;
    unsigned erase_errors;
    unsigned other_errors;
    uint32_t late_op_id; /* a cancelled op whose completion arrives late */
    unsigned stale_seen;
    bool message_done;
    unsigned erase_starts_at_final;
    unsigned reads_at_final;
    unsigned multi_calls_in_message;
} app_t;

typedef struct app_geometry {
    uint32_t storage_bytes;
    uint32_t sector_bytes;
    uint32_t image_bytes;
    size_t buffer_bytes;
    bool double_buffer;
} app_geometry_t;

/* Header "CORE", version 2, total size; blocks; footer "DUMP" at the end. */
static void build_coredump_image(uint8_t *img, uint32_t bytes, test_prng_t *r)
{
    assert_ge(bytes, CHUNKCORE_COREDUMP_HEADER_BYTES + CHUNKCORE_COREDUMP_FOOTER_BYTES);
    test_prng_fill(r, img, bytes);
    const uint32_t hdr[3] = {CHUNKCORE_COREDUMP_MAGIC, CHUNKCORE_COREDUMP_VERSION, bytes};
    for (unsigned i = 0; i < 12; i++) {
        img[i] = (uint8_t)(hdr[i / 4] >> (8 * (i % 4)));
    }
    uint8_t *footer = img + bytes - CHUNKCORE_COREDUMP_FOOTER_BYTES;
    memset(footer, 0, CHUNKCORE_COREDUMP_FOOTER_BYTES);
    memcpy(footer, "DUMP", 4);
}

static app_t *app_new(const app_geometry_t *g, chunkcore_delete_policy_t policy)
{
    app_t *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    test_prng_seed(&t->rng, 0xA5A5 + g->storage_bytes * 31u + g->buffer_bytes);
    t->storage = malloc(g->storage_bytes);
    t->window_ram = malloc(g->buffer_bytes);
    t->expect = malloc(g->image_bytes + 1);
    t->decoded = malloc(g->image_bytes + 1);
    t->stream = malloc(g->image_bytes + 4);
    assert_true(t->storage && t->window_ram && t->expect && t->decoded && t->stream);

    /* Bytes after the image are not 0xFF and not the image: reading them by mistake shows. */
    test_prng_fill(&t->rng, t->storage, g->storage_bytes);
    build_coredump_image(t->storage, g->image_bytes, &t->rng);
    t->image_bytes = g->image_bytes;
    t->expect[0] = CHUNKCORE_MSG_COREDUMP;
    memcpy(t->expect + 1, t->storage, g->image_bytes);

    t->flash.mem = t->storage;
    t->flash.size_bytes = g->storage_bytes;
    t->flash.sector_bytes = g->sector_bytes;
    t->port = (chunkcore_async_port_t){
        .read_start = fake_read_start,
        .erase_start = fake_erase_start,
        .cancel = fake_cancel,
        .get_info = fake_get_info,
        .ctx = &t->flash,
    };
    const chunkcore_async_config_t acfg = {
        .port = &t->port,
        .buffer = t->window_ram,
        .buffer_bytes = g->buffer_bytes,
        .double_buffer = g->double_buffer,
    };
    assert_int_equal(chunkcore_async_init(&t->a, &acfg), CHUNKCORE_OK);
    t->cfg.sources[CHUNKCORE_MSG_COREDUMP] =
        chunkcore_coredump_init(&t->cd, chunkcore_async_storage(&t->a));
    t->cfg.delete_policy = policy;
    assert_int_equal(chunkcore_packetizer_init(&t->p, &t->cfg), CHUNKCORE_OK);
    test_decoder_init(&t->dec, t->decoded, g->image_bytes + 1);
    t->chunk_max_bytes = MAX_CHUNK_BYTES;
    return t;
}

static void app_free(app_t *t)
{
    free(t->storage);
    free(t->window_ram);
    free(t->expect);
    free(t->decoded);
    free(t->stream);
    free(t);
}

/* The application's completion handler: what the flash (or its timeout) reports. */
static void app_service_flash(app_t *t)
{
    fake_flash_t *f = &t->flash;
    assert_true(f->busy); /* WAIT means something is in flight */
    if (t->late_op_id != 0) {
        /* The cancelled op's completion turns up after all, while another is in flight. */
        assert_int_equal(chunkcore_async_complete(&t->a, t->late_op_id, 0), CHUNKCORE_E_STALE);
        t->late_op_id = 0;
        t->stale_seen++;
    }
    if (f->kind == CHUNKCORE_OP_READ) {
        t->read_completions++;
        if (t->read_completions == t->drop_read_no) {
            t->late_op_id = f->op_id;
            chunkcore_async_cancel(&t->a); /* the timeout fired */
            assert_false(f->busy);
            return;
        }
        fake_finish(f, &t->a, t->read_completions == t->fail_read_no ? CHUNKCORE_E_IO : 0);
        return;
    }
    fake_finish(f, &t->a, 0);
}

static size_t app_next_chunk_bytes(app_t *t)
{
    if (t->chunk_bytes != 0) {
        return t->chunk_bytes;
    }
    return test_prng_range(&t->rng, CHUNKCORE_CHUNK_MIN_BYTES, (uint32_t)t->chunk_max_bytes);
}

static void app_note_final(app_t *t)
{
    t->message_done = true;
    t->flash.position = 0; /* the next message (or header peek) starts at 0 */
    t->erase_starts_at_final = t->flash.erase_starts;
    t->reads_at_final = t->flash.read_starts;
}

/* get-chunk in normal mode; returns false when there was nothing to send. */
static bool app_get_chunk_normal(app_t *t, size_t n)
{
    uint8_t buf[MAX_CHUNK_BYTES];
    size_t len = n;
    int rc = chunkcore_packetizer_get_chunk(&t->p, buf, &len);
    if (rc == CHUNKCORE_E_NODATA || rc == CHUNKCORE_E_PENDING) {
        assert_int_equal(len, n); /* nothing to send: the length is left as it was */
        return false;
    }
    if (rc < 0) {
        fail_msg("get_chunk: %s", chunkcore_strerror(rc));
    }
    t->chunks++;
    int d = test_decoder_feed(&t->dec, buf, len);
    if (d < 0) {
        fail_msg("decoder: %s at chunk %u", test_decoder_strerror(d), t->chunks);
    }
    t->flash.position = t->dec.received_bytes ? t->dec.received_bytes - 1 : 0;
    if (d == TEST_DEC_DONE) {
        app_note_final(t);
    }
    return true;
}

/* One call of a multi-call chunk; the calls are decoded together at the end. */
static bool app_get_chunk_multi(app_t *t, size_t n)
{
    static size_t pos;
    if (t->multi_calls_in_message == 0) {
        chunkcore_msg_info_t info;
        int rc = chunkcore_packetizer_begin(&t->p, true, &info);
        if (rc == 0 || rc == CHUNKCORE_E_PENDING) {
            return false;
        }
        if (rc < 0) {
            fail_msg("begin: %s", chunkcore_strerror(rc));
        }
        assert_int_equal(info.message_bytes, t->image_bytes + 1);
        pos = 0;
    }
    size_t len = n;
    int rc = chunkcore_packetizer_next(&t->p, t->stream + pos, &len);
    if (rc < 0) {
        fail_msg("next: %s", chunkcore_strerror(rc));
    }
    t->chunks++;
    t->multi_calls_in_message++;
    pos += len;
    assert_le(pos, t->image_bytes + 4);
    t->flash.position = pos > 1 ? (uint32_t)(pos - 2) : 0;
    if (rc == CHUNKCORE_STATUS_END_OF_CHUNK) {
        assert_int_equal(test_decoder_feed(&t->dec, t->stream, pos), TEST_DEC_DONE);
        t->multi_calls_in_message = 0;
        app_note_final(t);
    }
    return true;
}

/*
 * The loop of async.h: prepare, wait if told to, get a chunk, send it. Runs
 * until, after the message, get-chunk finds nothing (the erased header).
 */
static void app_run(app_t *t)
{
    for (unsigned step = 0; step < 200000; step++) {
        size_t n = app_next_chunk_bytes(t);
        int r = chunkcore_async_prepare(&t->a, n);
        if (r == CHUNKCORE_ASYNC_WAIT) {
            t->waits++;
            app_service_flash(t);
            continue;
        }
        if (r == CHUNKCORE_E_IO) {
            t->io_errors++;
            continue;
        }
        if (r == CHUNKCORE_E_ERASE) {
            t->erase_errors++;
            continue;
        }
        if (r < 0) {
            t->other_errors++;
            continue;
        }
        assert_int_equal(r, CHUNKCORE_ASYNC_READY);
        bool sent = t->multi_call ? app_get_chunk_multi(t, n) : app_get_chunk_normal(t, n);
        if (!sent) {
            if (!t->message_done) {
                fail_msg("nothing to send before the message was complete");
            }
            return;
        }
        if (t->complete_after_send && t->flash.busy) {
            app_service_flash(t);
        }
    }
    fail_msg("the run did not finish");
}

/*
 * The loop of app_run, by hand: until n chunks have gone out or the final
 * one has, with a bound so that a core that never gets ready fails instead
 * of hanging. Checks on the way that nothing was erased before the end.
 */
static void app_send_chunks(app_t *t, unsigned n)
{
    unsigned sent = 0;
    for (unsigned step = 0; step < 100000; step++) {
        if (sent == n || t->message_done) {
            return;
        }
        int r = chunkcore_async_prepare(&t->a, t->chunk_bytes);
        if (r == CHUNKCORE_ASYNC_WAIT) {
            app_service_flash(t);
            continue;
        }
        assert_int_equal(r, CHUNKCORE_ASYNC_READY);
        assert_true(app_get_chunk_normal(t, t->chunk_bytes));
        sent++;
        if (!t->message_done) {
            assert_int_equal(t->flash.erase_starts, 0);
        }
    }
    fail_msg("no progress after 100000 steps");
}

/* The whole message by hand in chunks of chunk_bytes: the final one starts the clear. */
static void app_send_message(app_t *t, size_t chunk_bytes)
{
    t->chunk_bytes = chunk_bytes;
    app_send_chunks(t, ~0u);
}

/* Bytes exact, one erase of (0, sector) after the final chunk, no overlaps, header gone. */
static void app_check_clean_run(app_t *t)
{
    assert_true(t->message_done);
    assert_int_equal(t->dec.messages_done, 1);
    assert_int_equal(t->dec.total_bytes, t->image_bytes + 1);
    assert_memory_equal(t->decoded, t->expect, t->image_bytes + 1);
    assert_int_equal(t->flash.overlaps, 0);
    assert_int_equal(t->flash.bad_erases, 0);
    assert_int_equal(t->flash.bad_reads, 0);
    assert_int_equal(t->flash.erase_starts, 1);
    assert_int_equal(t->a.stats.erases, 1);
    /* With two windows the header load after the erase is followed by a
     * prefetch of the next window, harmless; nothing else may be in flight. */
    if (t->flash.busy) {
        assert_true(t->a.cfg.double_buffer);
        assert_int_equal(t->flash.kind, CHUNKCORE_OP_READ);
        assert_int_equal(t->flash.offset, t->a.window_bytes);
        fake_finish(&t->flash, &t->a, 0);
    }
    /* Each load is one whole window, or what is left of the storage: the final short one. */
    for (unsigned i = 0; i < t->flash.n_log; i++) {
        const fake_read_log_t *l = &t->flash.log[i];
        uint32_t left = t->flash.size_bytes - l->offset;
        assert_int_equal(l->len, left < t->a.window_bytes ? left : t->a.window_bytes);
    }
    for (uint32_t i = 0; i < t->flash.sector_bytes; i++) {
        assert_int_equal(t->storage[i], ERASED_BYTE);
    }
    assert_int_equal(chunkcore_packetizer_data_available(&t->p), 0);
}

/* The loop to its end, and the run was clean. */
static void app_run_clean(app_t *t)
{
    app_run(t);
    app_check_clean_run(t);
}

/* Single window: every load starts where the delivered payload ends (a refill at the boundary). */
static void assert_loads_at_boundaries(const app_t *t)
{
    const fake_flash_t *f = &t->flash;
    for (unsigned i = 0; i < f->n_log; i++) {
        if (f->log[i].offset != f->log[i].position) {
            fail_msg("load %u at %u, but %u payload bytes were delivered", i,
                     (unsigned)f->log[i].offset, (unsigned)f->log[i].position);
        }
    }
}

/* No load leaves a gap behind the ones before it. */
static void assert_loads_cover_image(const app_t *t)
{
    const fake_flash_t *f = &t->flash;
    uint32_t covered = 0;
    for (unsigned i = 0; i < f->n_log; i++) {
        const fake_read_log_t *l = &f->log[i];
        if (l->offset == 0 && covered >= t->image_bytes) {
            break; /* the header read after the erase */
        }
        assert_le(l->offset, covered);
        if (l->offset + l->len > covered) {
            covered = l->offset + l->len;
        }
    }
    assert_ge(covered, t->image_bytes);
}

static const app_geometry_t base_geometry = {
    .storage_bytes = 8192,
    .sector_bytes = 4096,
    .image_bytes = 5000,
    .buffer_bytes = 64,
    .double_buffer = false,
};

/*
 * The other geometries of APP_TEST_ON (storage, sector, image, window bytes, double buffer):
 * base_geometry's storage behind two windows of 128 bytes, and an image that fills the storage.
 */
static const app_geometry_t double_buffer_geometry = {8192, 4096, 5000, 256, true};
static const app_geometry_t full_storage_geometry = {1000, 256, 1000, 64, false};

/* Most tests drive one app, deleting on the last read, over base_geometry (APP_TEST) or the
 * geometry given (APP_TEST_ON): made before and freed after each of them. */
static int app_setup(void **state)
{
    const app_geometry_t *g = *state != NULL ? *state : &base_geometry;
    *state = app_new(g, CHUNKCORE_DELETE_ON_LAST_READ);
    return 0;
}

static int app_teardown(void **state)
{
    app_free(*state);
    return 0;
}

#define APP_TEST(fn) cmocka_unit_test_setup_teardown(fn, app_setup, app_teardown)
#define APP_TEST_ON(fn, geometry)                                                                  \
    cmocka_unit_test_prestate_setup_teardown(fn, app_setup, app_teardown, (void *)(geometry))

/* The first prepare dispatches the load of the first window and waits; once the flash has
 * completed it, the same prepare finds the window ready. */
static void app_load_first_window(app_t *t, size_t chunk_bytes)
{
    assert_int_equal(chunkcore_async_prepare(&t->a, chunk_bytes), CHUNKCORE_ASYNC_WAIT);
    app_service_flash(t);
    assert_int_equal(chunkcore_async_prepare(&t->a, chunk_bytes), CHUNKCORE_ASYNC_READY);
}

/* ---- the fake itself ---- */

static void test_fake_port_flags_overlapping_operations(void **state)
{
    (void)state;
    fake_flash_t f;
    memset(&f, 0, sizeof(f));
    uint8_t mem[64], buf[16];
    f.mem = mem;
    f.size_bytes = sizeof(mem);
    f.sector_bytes = 32;
    assert_int_equal(fake_read_start(&f, 1, 0, buf, 16), 0);
    assert_int_equal(f.overlaps, 0);
    assert_int_equal(fake_read_start(&f, 2, 16, buf, 16), 0);
    assert_int_equal(f.overlaps, 1);
    assert_int_equal(fake_erase_start(&f, 3, 0, 32), 0);
    assert_int_equal(f.overlaps, 2);
    f.busy = false;
    assert_int_equal(fake_erase_start(&f, 4, 32, 32), 0);
    assert_int_equal(f.bad_erases, 1);
    f.busy = false;
    assert_int_equal(fake_read_start(&f, 5, 60, buf, 16), 0);
    assert_int_equal(f.bad_reads, 1);
}

/* ---- window versus chunk size ---- */

/* A clean run through a window of window_bytes in chunks of chunk_bytes, loaded at the window's
 * boundaries and covering the image; returns the app for the caller's own checks and app_free. */
static app_t *run_window_vs_chunk(size_t window_bytes, size_t chunk_bytes)
{
    app_geometry_t g = base_geometry;
    g.buffer_bytes = window_bytes;
    app_t *t = app_new(&g, CHUNKCORE_DELETE_ON_LAST_READ);
    t->chunk_bytes = chunk_bytes;
    app_run_clean(t);
    assert_loads_at_boundaries(t);
    assert_loads_cover_image(t);
    /* The image goes through the window piece by piece, never in one read. */
    assert_ge(t->flash.read_starts, g.image_bytes / window_bytes);
    return t;
}

static void test_window_smaller_than_chunk_refills_every_chunk(void **state)
{
    (void)state;
    app_t *t = run_window_vs_chunk(24, 100);
    /* Each chunk carries one window's worth: one load per chunk with payload,
     * plus the header read after the erase. */
    unsigned payload_loads = t->reads_at_final;
    assert_in_range(payload_loads, (t->image_bytes + 23) / 24, (t->image_bytes + 23) / 24 + 1);
    assert_int_equal(t->flash.read_starts, payload_loads + 1);
    for (unsigned i = 0; i + 1 < payload_loads; i++) {
        assert_int_equal(t->flash.log[i].offset, 24 * i);
    }
    app_free(t);
}

static void test_window_equal_to_chunk_refills_at_boundaries(void **state)
{
    (void)state;
    app_free(run_window_vs_chunk(64, 64));
}

static void test_window_larger_than_chunk_serves_several_chunks(void **state)
{
    (void)state;
    app_t *t = run_window_vs_chunk(512, 40);
    /* Several chunks per load. */
    assert_gt(t->chunks, 4 * t->reads_at_final);
    assert_ge(t->reads_at_final, (t->image_bytes + 511) / 512);
    app_free(t);
}

static void test_window_sizes_across_chunk_sizes(void **state)
{
    (void)state;
    static const size_t windows[] = {16, 17, 63, 64, 65, 200};
    static const size_t chunks[] = {9, 10, 63, 64, 65, 300};
    for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
        for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
            app_free(run_window_vs_chunk(windows[w], chunks[c]));
        }
    }
}

/* The whole message fits the chunk but not the window: it is cut into several chunks. */
static void test_image_smaller_than_chunk_but_larger_than_window(void **state)
{
    (void)state;
    app_geometry_t g = {.storage_bytes = 4096,
                        .sector_bytes = 4096,
                        .image_bytes = 100,
                        .buffer_bytes = 32,
                        .double_buffer = false};
    app_t *t = app_new(&g, CHUNKCORE_DELETE_ON_LAST_READ);
    t->chunk_bytes = 512;
    app_run_clean(t);
    assert_loads_at_boundaries(t);
    assert_int_equal(t->chunks, 4); /* 32 + 32 + 32 + 4 payload bytes */
    app_free(t);

    /* And with a window that holds it all, one chunk: `08`, message, CRC. */
    g.buffer_bytes = 128;
    t = app_new(&g, CHUNKCORE_DELETE_ON_LAST_READ);
    t->chunk_bytes = 512;
    app_run_clean(t);
    assert_int_equal(t->chunks, 1);
    app_free(t);
}

/* ---- end of storage ---- */

static void test_final_short_window_when_storage_not_multiple_of_window(void **state)
{
    (void)state;
    /* Image ends 5 bytes before storage: the last window holds 40 bytes, not 64. */
    static const uint32_t images[] = {995, 1000, 961};
    for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++) {
        app_geometry_t g = full_storage_geometry;
        g.image_bytes = images[i];
        /* Chunks larger than the window: loads at 0, 64, ..., 960, the last one 40 bytes. */
        app_t *t = app_new(&g, CHUNKCORE_DELETE_ON_LAST_READ);
        t->chunk_bytes = 100;
        app_run_clean(t);
        assert_loads_at_boundaries(t);
        const fake_read_log_t *last = &t->flash.log[t->reads_at_final - 1];
        assert_int_equal(last->offset, 960);
        assert_int_equal(last->len, 40);
        app_free(t);
        /* Chunks smaller than the window, sizes changing every call. */
        t = app_new(&g, CHUNKCORE_DELETE_ON_LAST_READ);
        t->chunk_bytes = 0;
        t->chunk_max_bytes = 80;
        app_run(t);
        app_check_clean_run(t); /* includes: every load is min(window, storage left) */
        assert_loads_at_boundaries(t);
        app_free(t);
    }
}

static void test_read_past_end_of_storage_is_range_error(void **state)
{
    app_t *t = *state;
    const chunkcore_storage_port_t *s = chunkcore_async_storage(&t->a);
    uint8_t buf[16];
    assert_int_equal(s->read(s->ctx, 998, buf, 4), CHUNKCORE_E_RANGE);
    assert_int_equal(s->read(s->ctx, 1001, buf, 0), CHUNKCORE_E_RANGE);
    assert_int_equal(s->read(s->ctx, UINT32_MAX, buf, 2), CHUNKCORE_E_RANGE);
    assert_int_equal(t->a.stats.refused, 3);
    /* A zero-length read at the very end is fine, window or not. */
    assert_int_equal(s->read(s->ctx, 1000, buf, 0), 0);
    assert_int_equal(t->a.stats.refused, 3);
}

static void test_read_outside_window_is_refused(void **state)
{
    app_t *t = *state;
    const chunkcore_storage_port_t *s = chunkcore_async_storage(&t->a);
    uint8_t buf[16];
    /* Nothing loaded yet: even the header peek is refused, not served as garbage; the
     * coredump source takes that for "no coredump" (the SDK's convention). */
    assert_int_equal(s->read(s->ctx, 0, buf, 12), CHUNKCORE_E_WINDOW);
    size_t len = 64;
    uint8_t chunk[64];
    assert_int_equal(chunkcore_packetizer_get_chunk(&t->p, chunk, &len), CHUNKCORE_E_NODATA);
    assert_int_equal(len, 64);

    app_load_first_window(t, 40);
    unsigned refused = t->a.stats.refused;
    assert_int_equal(s->read(s->ctx, 64 + 10, buf, 4), CHUNKCORE_E_WINDOW);
    assert_int_equal(s->read(s->ctx, 60, buf, 8), CHUNKCORE_E_WINDOW); /* crosses the edge */
    assert_int_equal(s->read(s->ctx, 60, buf, 5), CHUNKCORE_E_WINDOW); /* by one byte */
    assert_int_equal(s->read(s->ctx, 64, buf, 1), CHUNKCORE_E_WINDOW); /* just after it */
    assert_int_equal(t->a.stats.refused, refused + 4);
    assert_int_equal(s->read(s->ctx, 60, buf, 4), 0);
    assert_memory_equal(buf, t->storage + 60, 4);
}

static void test_end_of_storage_erases_once_and_reads_nothing_meanwhile(void **state)
{
    app_t *t = *state;
    /* Drive by hand up to the final chunk. */
    app_send_message(t, 100);
    /* The final get-chunk cleared the storage: one erase of sector 0, in flight. */
    assert_int_equal(t->flash.erase_starts, 1);
    assert_true(t->flash.busy);
    assert_int_equal(t->flash.kind, CHUNKCORE_OP_ERASE);
    assert_int_equal(t->flash.offset, 0);
    assert_int_equal(t->flash.len, base_geometry.sector_bytes);
    assert_true(chunkcore_async_busy(&t->a));
    unsigned reads = t->flash.read_starts;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(chunkcore_async_prepare(&t->a, t->chunk_bytes), CHUNKCORE_ASYNC_WAIT);
    }
    assert_int_equal(t->flash.read_starts, reads);
    app_service_flash(t); /* the erase completes */
    /* The header is read back from flash and found erased. */
    assert_int_equal(chunkcore_async_prepare(&t->a, t->chunk_bytes), CHUNKCORE_ASYNC_WAIT);
    assert_int_equal(t->flash.read_starts, reads + 1);
    assert_int_equal(t->flash.log[t->flash.n_log - 1].offset, 0);
    app_service_flash(t);
    assert_int_equal(chunkcore_async_prepare(&t->a, t->chunk_bytes), CHUNKCORE_ASYNC_READY);
    uint8_t buf[128];
    size_t len = t->chunk_bytes;
    assert_int_equal(chunkcore_packetizer_get_chunk(&t->p, buf, &len), CHUNKCORE_E_NODATA);
    app_check_clean_run(t);
}

static void test_delete_on_confirm_defers_erase_until_confirm(void **state)
{
    (void)state;
    app_t *t = app_new(&base_geometry, CHUNKCORE_DELETE_ON_CONFIRM);
    t->chunk_bytes = 100;
    app_run(t); /* stops at PENDING: nothing more to send until confirmed */
    assert_true(t->message_done);
    assert_int_equal(t->dec.messages_done, 1);
    assert_memory_equal(t->decoded, t->expect, t->image_bytes + 1);
    assert_int_equal(t->flash.erase_starts, 0);
    assert_int_equal(t->a.stats.erases, 0);
    assert_int_equal(memcmp(t->storage, "CORE", 4), 0);
    uint8_t buf[128];
    size_t len = sizeof(buf);
    assert_int_equal(chunkcore_packetizer_get_chunk(&t->p, buf, &len), CHUNKCORE_E_PENDING);
    assert_int_equal(t->flash.erase_starts, 0);

    /* Delivery confirmed: now the erase goes out, and the rest of the loop finishes. */
    if (t->flash.busy) {
        app_service_flash(t);
    }
    assert_int_equal(chunkcore_packetizer_confirm(&t->p), 0);
    assert_int_equal(t->flash.erase_starts, 1);
    app_run_clean(t);
    app_free(t);
}

/* ---- faults ---- */

/* A run in 50-byte chunks through the one fault the caller set up: reported once as an I/O
 * error, then retried, and the run is clean. */
static void app_run_through_io_error(app_t *t)
{
    t->chunk_bytes = 50;
    app_run(t);
    assert_int_equal(t->io_errors, 1);
    app_check_clean_run(t);
}

static void test_read_error_reported_once_then_retried(void **state)
{
    app_t *t = *state;
    t->fail_read_no = 3;
    app_run_through_io_error(t);
    assert_int_equal(t->other_errors, 0);
    assert_int_equal(t->a.stats.failed, 1);
    /* The failed load was dispatched again at the same offset. */
    assert_int_equal(t->flash.log[3].offset, t->flash.log[2].offset);
}

static void test_error_on_header_load_is_retried(void **state)
{
    app_t *t = *state;
    t->fail_read_no = 1; /* the very first load, which holds the header */
    app_run_through_io_error(t);
}

static void test_lost_completion_cancelled_then_retried_and_late_one_is_stale(void **state)
{
    app_t *t = *state;
    t->chunk_bytes = 50;
    t->drop_read_no = 4;
    app_run(t);
    assert_int_equal(t->flash.cancels, 1);
    assert_int_equal(t->a.stats.cancelled, 1);
    assert_int_equal(t->stale_seen, 1);
    assert_int_equal(t->a.stats.stale, 1);
    assert_int_equal(t->io_errors + t->other_errors, 0);
    assert_int_equal(t->flash.log[4].offset, t->flash.log[3].offset);
    app_check_clean_run(t);
    /* Completions for ops never issued are stale too. */
    assert_int_equal(chunkcore_async_complete(&t->a, 0, 0), CHUNKCORE_E_STALE);
    assert_int_equal(chunkcore_async_complete(&t->a, 12345, 0), CHUNKCORE_E_STALE);
}

static void test_cancel_when_idle_does_nothing(void **state)
{
    app_t *t = *state;
    chunkcore_async_cancel(&t->a);
    assert_int_equal(t->a.stats.cancelled, 0);
    assert_int_equal(t->flash.cancels, 0);
}

static void test_refused_read_dispatch_reported_then_retried(void **state)
{
    app_t *t = *state;
    t->flash.refuse_reads = 1;
    app_run_through_io_error(t);
}

static void test_failed_erase_reported_then_retried(void **state)
{
    app_t *t = *state;
    app_send_message(t, 200);
    assert_int_equal(t->flash.kind, CHUNKCORE_OP_ERASE);
    fake_finish(&t->flash, &t->a, CHUNKCORE_E_IO); /* the erase failed: not cleared */
    assert_int_equal(chunkcore_async_prepare(&t->a, t->chunk_bytes), CHUNKCORE_E_ERASE);
    /* Tried again; no read in between. */
    unsigned reads = t->flash.read_starts;
    assert_int_equal(chunkcore_async_prepare(&t->a, t->chunk_bytes), CHUNKCORE_ASYNC_WAIT);
    assert_int_equal(t->flash.erase_starts, 2);
    assert_int_equal(t->flash.read_starts, reads);
    app_service_flash(t);
    app_run(t);
    assert_int_equal(t->flash.erase_starts, 2);
    assert_int_equal(t->flash.overlaps, 0);
    assert_int_equal(chunkcore_packetizer_data_available(&t->p), 0);
}

static void test_refused_erase_dispatch_reported_once_then_retried(void **state)
{
    app_t *t = *state;
    t->chunk_bytes = 200;
    t->flash.refuse_erases = 1;
    app_run(t);
    assert_int_equal(t->erase_errors, 1);
    assert_int_equal(t->flash.erase_starts, 1);
    assert_int_equal(t->a.stats.erases, 1);
    /* Only one message went out: the coredump was not sent a second time. */
    assert_int_equal(t->dec.messages_done, 1);
    assert_memory_equal(t->decoded, t->expect, t->image_bytes + 1);
    assert_int_equal(t->flash.overlaps, 0);
    assert_int_equal(chunkcore_packetizer_data_available(&t->p), 0);
}

static void test_cancelled_erase_is_dispatched_again(void **state)
{
    app_t *t = *state;
    app_send_message(t, 200);
    uint32_t lost = t->flash.op_id;
    chunkcore_async_cancel(&t->a);
    assert_int_equal(t->flash.cancels, 1);
    assert_int_equal(chunkcore_async_complete(&t->a, lost, 0), CHUNKCORE_E_STALE);
    assert_int_equal(chunkcore_async_prepare(&t->a, t->chunk_bytes), CHUNKCORE_ASYNC_WAIT);
    assert_int_equal(t->flash.kind, CHUNKCORE_OP_ERASE);
    assert_int_equal(t->flash.erase_starts, 2);
    app_run(t);
    assert_int_equal(chunkcore_packetizer_data_available(&t->p), 0);
    assert_int_equal(t->flash.overlaps, 0);
}

static void test_erase_refused_after_late_prefetch_reported_once_then_retried(void **state)
{
    app_t *t = *state;
    app_send_message(t, 60);
    /* The final chunk went out while a prefetch past the image was in flight:
     * the erase waits for it, and is dispatched from its completion. */
    assert_true(t->flash.busy);
    assert_int_equal(t->flash.kind, CHUNKCORE_OP_READ);
    assert_int_equal(t->flash.erase_starts, 0);
    t->flash.refuse_erases = 1;
    app_service_flash(t);
    assert_false(t->flash.busy);
    app_run(t);
    assert_int_equal(t->erase_errors, 1);
    assert_int_equal(t->flash.erase_starts, 1);
    app_check_clean_run(t);
}

/* ---- double buffering ---- */

static void test_double_buffer_prefetches_and_waits_less(void **state)
{
    (void)state;
    app_geometry_t single = base_geometry;
    single.buffer_bytes = 128;
    app_geometry_t dual = base_geometry;
    dual.buffer_bytes = 256; /* two windows of 128 */
    dual.double_buffer = true;

    app_t *s = app_new(&single, CHUNKCORE_DELETE_ON_LAST_READ);
    s->chunk_bytes = 60;
    s->complete_after_send = true;
    app_run_clean(s);

    app_t *d = app_new(&dual, CHUNKCORE_DELETE_ON_LAST_READ);
    d->chunk_bytes = 60;
    d->complete_after_send = true;
    app_run_clean(d);
    assert_loads_cover_image(d);

    assert_gt(d->a.stats.prefetches, 0);
    assert_int_equal(s->a.stats.prefetches, 0);
    print_message("waits: single window %u, double buffer %u\n", s->waits, d->waits);
    assert_lt(d->waits, s->waits);
    assert_lt(d->waits * 4, s->waits);
    app_free(s);
    app_free(d);
}

static void test_double_buffer_prefetch_dispatched_while_window_consumed(void **state)
{
    app_t *t = *state;
    app_load_first_window(t, 40);
    /* Ready, and the next window is already on its way. */
    assert_true(t->flash.busy);
    assert_int_equal(t->flash.offset, 128);
    assert_int_equal(t->a.stats.prefetches, 1);
    /* The chunk is served from the first window while the prefetch is in flight. */
    assert_true(app_get_chunk_normal(t, 40));
    assert_true(t->flash.busy);
}

static void test_cancelled_prefetch_is_dispatched_again(void **state)
{
    app_t *t = *state;
    app_load_first_window(t, 40);
    assert_int_equal(t->flash.offset, 128);
    /* The prefetch never completes. */
    uint32_t lost = t->flash.op_id;
    chunkcore_async_cancel(&t->a);
    assert_false(t->flash.busy);
    /* Its window is free again: the next prepare prefetches it anew. */
    assert_int_equal(chunkcore_async_prepare(&t->a, 40), CHUNKCORE_ASYNC_READY);
    assert_true(t->flash.busy);
    assert_int_equal(t->flash.offset, 128);
    assert_int_equal(t->a.stats.prefetches, 2);
    assert_int_equal(chunkcore_async_complete(&t->a, lost, 0), CHUNKCORE_E_STALE);
    app_run_clean(t);
}

/* Glue often asks "anything to send?" before preparing: that peek must not move the stream. */
static void test_data_available_peek_does_not_move_the_stream(void **state)
{
    (void)state;
    app_geometry_t g = base_geometry;
    g.buffer_bytes = 16;
    app_t *t = app_new(&g, CHUNKCORE_DELETE_ON_LAST_READ);
    t->chunk_bytes = 40;
    assert_int_equal(chunkcore_async_prepare(&t->a, t->chunk_bytes), CHUNKCORE_ASYNC_WAIT);
    app_service_flash(t);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(chunkcore_packetizer_data_available(&t->p), 1);
        assert_int_equal(chunkcore_async_prepare(&t->a, t->chunk_bytes), CHUNKCORE_ASYNC_READY);
    }
    assert_int_equal(t->flash.read_starts, 1);
    app_run_clean(t);
    assert_loads_at_boundaries(t);
    app_free(t);
}

/* ---- random configurations, both modes, chunk size changing every call ---- */

static void test_random_geometries_and_chunk_sizes(void **state)
{
    (void)state;
    test_prng_t r;
    test_prng_seed(&r, 0xA51C);
    for (unsigned i = 0; i < 60; i++) {
        app_geometry_t g;
        g.sector_bytes = 1u << test_prng_range(&r, 6, 12);
        g.storage_bytes = test_prng_range(&r, 64, 12000);
        if (g.storage_bytes < g.sector_bytes) {
            g.storage_bytes = g.sector_bytes;
        }
        g.image_bytes = test_prng_range(&r, 28, g.storage_bytes);
        g.double_buffer = test_prng_u32(&r) & 1u;
        g.buffer_bytes = test_prng_range(&r, 16, 700) * (g.double_buffer ? 2u : 1u);
        app_t *t = app_new(&g, CHUNKCORE_DELETE_ON_LAST_READ);
        t->chunk_bytes = 0; /* random every call */
        t->chunk_max_bytes = test_prng_range(&r, 9, MAX_CHUNK_BYTES);
        t->multi_call = (i % 3) == 0;
        t->complete_after_send = test_prng_u32(&r) & 1u;
        app_run_clean(t);
        assert_loads_cover_image(t);
        if (!g.double_buffer) {
            assert_loads_at_boundaries(t);
        }
        app_free(t);
    }
}

static void test_multi_call_mode_through_async_core(void **state)
{
    app_t *t = *state;
    t->chunk_bytes = 100;
    t->multi_call = true;
    app_run_clean(t);
    assert_loads_at_boundaries(t);
}

/* ---- the header peek while the clear's erase is in flight ---- */

/*
 * After the final chunk the erase is in flight and no window holds the
 * header: a get-chunk or data-available asked then (without a prepare) finds
 * no coredump, as the SDK's convention has it for a read refused during an
 * asynchronous clear; it is not an error to retry. Payload reads are not
 * covered by that: one the window cannot serve is still refused.
 */
static void test_header_peek_during_the_clear_finds_no_coredump(void **state)
{
    app_t *t = *state;
    app_send_message(t, 100);
    assert_int_equal(t->flash.kind, CHUNKCORE_OP_ERASE);
    assert_int_equal(chunkcore_packetizer_data_available(&t->p), 0);
    uint8_t buf[128];
    size_t len = t->chunk_bytes;
    assert_int_equal(chunkcore_packetizer_get_chunk(&t->p, buf, &len), CHUNKCORE_E_NODATA);
    assert_int_equal(t->a.stats.erases, 1);
    app_service_flash(t); /* the erase completes */
    app_run_clean(t);
}

static void test_payload_read_outside_the_window_is_still_refused(void **state)
{
    app_t *t = *state;
    app_load_first_window(t, 40);
    /* The 64-byte window serves the first chunks; without a prepare the next read misses. */
    uint8_t buf[40];
    int rc = CHUNKCORE_OK;
    for (unsigned n = 0; rc == CHUNKCORE_OK && n < 10; n++) {
        size_t len = sizeof(buf);
        rc = chunkcore_packetizer_get_chunk(&t->p, buf, &len);
    }
    assert_int_equal(rc, CHUNKCORE_E_WINDOW);
    assert_int_equal(t->flash.erase_starts, 0);
}

/*
 * A damaged header claiming 100 bytes past the end of the storage, through
 * the async core: the message has the length the header gives, the bytes
 * past the storage carry the marker without any load being asked for them,
 * and the coredump is cleared once, as the SDK would send and clear it.
 */
static void test_total_beyond_storage_is_sent_and_cleared_through_async_core(void **state)
{
    app_t *t = *state;
    const uint32_t storage_bytes = full_storage_geometry.storage_bytes;
    const uint32_t total = storage_bytes + 100;
    for (unsigned i = 0; i < 4; i++) {
        t->storage[8 + i] = (uint8_t)(total >> (8 * i));
    }
    uint8_t expect[1 + 1100];
    expect[0] = CHUNKCORE_MSG_COREDUMP;
    memcpy(expect + 1, t->storage, storage_bytes);
    memset(expect + 1 + storage_bytes, CHUNKCORE_COREDUMP_PAST_END_BYTE, 100);
    uint8_t got[sizeof(expect)];
    test_decoder_t dec;
    test_decoder_init(&dec, got, sizeof(got));
    int d = TEST_DEC_MORE;
    for (unsigned step = 0; d == TEST_DEC_MORE && step < 1000; step++) {
        int r = chunkcore_async_prepare(&t->a, 50);
        if (r == CHUNKCORE_ASYNC_WAIT) {
            app_service_flash(t);
            continue;
        }
        assert_int_equal(r, CHUNKCORE_ASYNC_READY);
        uint8_t buf[50];
        size_t len = sizeof(buf);
        assert_int_equal(chunkcore_packetizer_get_chunk(&t->p, buf, &len), CHUNKCORE_OK);
        d = test_decoder_feed(&dec, buf, len);
        assert_ge(d, 0);
    }
    assert_int_equal(d, TEST_DEC_DONE);
    assert_int_equal(dec.total_bytes, sizeof(expect));
    assert_memory_equal(got, expect, sizeof(expect));
    assert_int_equal(t->flash.bad_reads, 0);
    assert_int_equal(t->flash.erase_starts, 1);
    assert_int_equal(t->a.stats.refused, 0);
}

/* ---- restart, RLE, config ---- */

static void test_abort_and_rewind_restart_from_offset_0(void **state)
{
    app_t *t = *state;
    t->chunk_bytes = 100;
    app_send_chunks(t, 10);
    assert_false(t->message_done);
    /* The link dropped: start over. */
    chunkcore_packetizer_abort(&t->p);
    chunkcore_async_rewind(&t->a);
    test_decoder_init(&t->dec, t->decoded, t->image_bytes + 1);
    t->flash.position = 0;
    app_run_clean(t);
}

/*
 * RLE needs several passes; the async core serves one forward-moving window.
 * A board that asks for both is refused at configuration time. Switched off
 * (a simulator's choice), RLE runs, and its sizing pass reads past the
 * window: the async core refuses that read rather than serve wrong bytes.
 */
static void test_rle_over_async_reader_is_refused_at_init(void **state)
{
    app_t *t = *state;
    const chunkcore_source_t *cd = t->cfg.sources[CHUNKCORE_MSG_COREDUMP];
    assert_true(chunkcore_async_storage(&t->a)->sequential_only);
    assert_true(cd->sequential_only);
    chunkcore_rle_t rle;
    chunkcore_rle_config_t rcfg = {.source = cd};
    assert_int_equal(chunkcore_rle_init(&rle, &rcfg), CHUNKCORE_E_RLE_ASYNC);

    rcfg.allow_sequential_only = true;
    assert_int_equal(chunkcore_rle_init(&rle, &rcfg), CHUNKCORE_OK);
    t->cfg.sources[CHUNKCORE_MSG_COREDUMP] = chunkcore_rle_source(&rle);
    assert_int_equal(chunkcore_packetizer_init(&t->p, &t->cfg), CHUNKCORE_OK);
    app_load_first_window(t, 64);
    uint8_t buf[64];
    size_t len = sizeof(buf);
    /* The sizing pass reads 128 bytes at 0 through a 64-byte window. */
    assert_int_equal(chunkcore_packetizer_get_chunk(&t->p, buf, &len), CHUNKCORE_E_WINDOW);
    assert_int_equal(len, 0);
    assert_gt(t->a.stats.refused, 0);
}

static void test_init_rejects_bad_config(void **state)
{
    (void)state;
    fake_flash_t f;
    memset(&f, 0, sizeof(f));
    f.size_bytes = 1024;
    f.sector_bytes = 256;
    chunkcore_async_port_t port = {
        .read_start = fake_read_start,
        .erase_start = fake_erase_start,
        .cancel = NULL,
        .get_info = fake_get_info,
        .ctx = &f,
    };
    uint8_t ram[64];
    chunkcore_async_t a;
    chunkcore_async_config_t cfg = {.port = &port, .buffer = ram, .buffer_bytes = 64};
    assert_int_equal(chunkcore_async_init(&a, &cfg), CHUNKCORE_OK);
    assert_int_equal(chunkcore_async_init(&a, NULL), CHUNKCORE_E_INVAL);
    cfg.buffer_bytes = CHUNKCORE_ASYNC_MIN_WINDOW_BYTES - 1;
    assert_int_equal(chunkcore_async_init(&a, &cfg), CHUNKCORE_E_INVAL);
    cfg.buffer_bytes = 2 * CHUNKCORE_ASYNC_MIN_WINDOW_BYTES - 1;
    cfg.double_buffer = true;
    assert_int_equal(chunkcore_async_init(&a, &cfg), CHUNKCORE_E_INVAL);
    cfg.buffer_bytes = 64;
    cfg.buffer = NULL;
    assert_int_equal(chunkcore_async_init(&a, &cfg), CHUNKCORE_E_INVAL);
    cfg.buffer = ram;
    port.erase_start = NULL;
    assert_int_equal(chunkcore_async_init(&a, &cfg), CHUNKCORE_E_INVAL);
    port.erase_start = fake_erase_start;
    f.sector_bytes = 0;
    assert_int_equal(chunkcore_async_init(&a, &cfg), CHUNKCORE_E_INVAL);
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_fake_port_flags_overlapping_operations),
    cmocka_unit_test(test_window_smaller_than_chunk_refills_every_chunk),
    cmocka_unit_test(test_window_equal_to_chunk_refills_at_boundaries),
    cmocka_unit_test(test_window_larger_than_chunk_serves_several_chunks),
    cmocka_unit_test(test_window_sizes_across_chunk_sizes),
    cmocka_unit_test(test_image_smaller_than_chunk_but_larger_than_window),
    cmocka_unit_test(test_final_short_window_when_storage_not_multiple_of_window),
    APP_TEST_ON(test_read_past_end_of_storage_is_range_error, &full_storage_geometry),
    APP_TEST(test_read_outside_window_is_refused),
    APP_TEST(test_end_of_storage_erases_once_and_reads_nothing_meanwhile),
    cmocka_unit_test(test_delete_on_confirm_defers_erase_until_confirm),
    APP_TEST(test_read_error_reported_once_then_retried),
    APP_TEST(test_error_on_header_load_is_retried),
    APP_TEST(test_lost_completion_cancelled_then_retried_and_late_one_is_stale),
    APP_TEST(test_cancel_when_idle_does_nothing),
    APP_TEST(test_refused_read_dispatch_reported_then_retried),
    APP_TEST(test_failed_erase_reported_then_retried),
    APP_TEST(test_refused_erase_dispatch_reported_once_then_retried),
    APP_TEST(test_cancelled_erase_is_dispatched_again),
    APP_TEST_ON(test_erase_refused_after_late_prefetch_reported_once_then_retried,
                &double_buffer_geometry),
    cmocka_unit_test(test_double_buffer_prefetches_and_waits_less),
    APP_TEST_ON(test_double_buffer_prefetch_dispatched_while_window_consumed,
                &double_buffer_geometry),
    APP_TEST_ON(test_cancelled_prefetch_is_dispatched_again, &double_buffer_geometry),
    cmocka_unit_test(test_data_available_peek_does_not_move_the_stream),
    cmocka_unit_test(test_random_geometries_and_chunk_sizes),
    APP_TEST(test_multi_call_mode_through_async_core),
    APP_TEST(test_header_peek_during_the_clear_finds_no_coredump),
    APP_TEST(test_payload_read_outside_the_window_is_still_refused),
    APP_TEST_ON(test_total_beyond_storage_is_sent_and_cleared_through_async_core,
                &full_storage_geometry),
    APP_TEST(test_abort_and_rewind_restart_from_offset_0),
    APP_TEST(test_rle_over_async_reader_is_refused_at_init),
    cmocka_unit_test(test_init_rejects_bad_config),
})
