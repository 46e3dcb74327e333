/*
 * Invariant monitor: every invariant fires on the breach it names, with the
 * call and the numbers that locate it, and stays quiet on a correct run and
 * where the configuration makes the event expected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"

#include "chunkcore/error.h"
#include "chunksim/monitor.h"

#define IMAGE_BYTES 64u
#define MAX_SEEN    16

typedef struct seen {
    chunksim_violation_t v[MAX_SEEN];
    int n;
} seen_t;

typedef struct fixture {
    uint8_t image[IMAGE_BYTES];
    seen_t seen;
    chunksim_monitor_config_t cfg;
    chunksim_monitor_t mon;
} fixture_t;

static fixture_t fx;

static void record(void *data, const chunksim_violation_t *v)
{
    seen_t *s = data;
    assert_lt(s->n, MAX_SEEN);
    s->v[s->n++] = *v;
}

/* A fresh monitor over a 64-byte image; the caller may adjust cfg and re-init. */
static int setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof(fx));
    for (unsigned i = 0; i < IMAGE_BYTES; i++) {
        fx.image[i] = (uint8_t)(i * 7u + 3u);
    }
    fx.cfg.on_violation = record;
    fx.cfg.data = &fx.seen;
    fx.cfg.image = fx.image;
    fx.cfg.image_bytes = IMAGE_BYTES;
    fx.cfg.async_reader = true;
    chunksim_monitor_init(&fx.mon, &fx.cfg);
    return 0;
}

/* Frees the delivered-bytes copy a monitor with data faults keeps; a failed case's too. */
static int teardown(void **state)
{
    (void)state;
    chunksim_monitor_free(&fx.mon);
    return 0;
}

static void reinit(void)
{
    chunksim_monitor_init(&fx.mon, &fx.cfg);
}

/* One get-chunk call of `room` bytes making one correct payload read. */
static void chunk_call(uint64_t seq, uint32_t room, uint32_t offset, uint32_t len)
{
    chunksim_monitor_call_begin(&fx.mon, seq, CHUNKSIM_CALL_GET_CHUNK, room);
    chunksim_monitor_read(&fx.mon, offset, len, fx.image + offset, 0);
    chunksim_monitor_call_end(&fx.mon, 0);
}

/* Peek, then the whole image in 16-byte reads, one get-chunk each (seq 1..4). */
static void read_whole_image(void)
{
    chunksim_monitor_call_begin(&fx.mon, 1, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunksim_monitor_read(&fx.mon, 0, 16, fx.image, 0);
    chunksim_monitor_call_end(&fx.mon, 0);
    chunk_call(2, 20, 16, 16);
    chunk_call(3, 20, 32, 16);
    chunk_call(4, 20, 48, 16);
}

/* Exactly one violation so far: inv, during call seq. Returns its detail. */
static const char *assert_one(chunksim_invariant_t inv, uint64_t seq)
{
    assert_int_equal(fx.seen.n, 1);
    assert_int_equal(chunksim_monitor_total(&fx.mon), 1);
    assert_int_equal(chunksim_monitor_count(&fx.mon, inv), 1);
    assert_string_equal(chunksim_invariant_name(fx.seen.v[0].invariant),
                        chunksim_invariant_name(inv));
    assert_int_equal(fx.seen.v[0].call_seq, seq);
    return fx.seen.v[0].detail;
}

static void assert_none(void)
{
    if (fx.seen.n != 0) {
        fail_msg("unexpected %s: %s", chunksim_invariant_name(fx.seen.v[0].invariant),
                 fx.seen.v[0].detail);
    }
    assert_int_equal(chunksim_monitor_total(&fx.mon), 0);
}

static void test_clean_run_reports_nothing(void **state)
{
    (void)state;
    chunksim_monitor_call_begin(&fx.mon, 1, CHUNKSIM_CALL_PREPARE, 20);
    chunksim_monitor_flash_op(&fx.mon, "read", 0, 32, false, false);
    chunksim_monitor_call_end(&fx.mon, 1);
    read_whole_image();
    /* The last read's call deletes the message, as the reference design does. */
    chunksim_monitor_call_begin(&fx.mon, 5, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_read(&fx.mon, IMAGE_BYTES, 0, NULL, 0); /* zero-length at the end */
    chunksim_monitor_clear(&fx.mon);
    chunksim_monitor_call_end(&fx.mon, 0);
    chunksim_monitor_flash_op(&fx.mon, "erase", 0, 4096, false, false);
    /* The call after the last chunk peeks and finds the cleared header. */
    chunksim_monitor_call_begin(&fx.mon, 6, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_peek(&fx.mon, 0, 0);
    chunksim_monitor_call_end(&fx.mon, CHUNKCORE_E_NODATA);
    chunksim_monitor_finish(&fx.mon, false);
    assert_none();
    assert_int_equal(fx.mon.clears, 1);
    assert_int_equal(fx.mon.suppressed, 0);
}

static void test_sequential_fires_on_skipped_bytes(void **state)
{
    (void)state;
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunk_call(1, 20, 0, 10);
    chunk_call(2, 20, 12, 5);
    const char *d = assert_one(CHUNKSIM_INV_SEQUENTIAL, 2);
    chunksim_test_assert_contains(d, "[12, 17)");
    chunksim_test_assert_contains(d, "next offset is 10");
}

static void test_sequential_fires_on_read_past_message_end(void **state)
{
    (void)state;
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunk_call(1, 80, 0, 60);
    chunk_call(2, 20, 60, 8);
    const char *d = assert_one(CHUNKSIM_INV_SEQUENTIAL, 2);
    chunksim_test_assert_contains(d, "[60, 68)");
    chunksim_test_assert_contains(d, "message end 64");
}

static void test_sequential_fires_on_read_without_message(void **state)
{
    (void)state;
    chunk_call(9, 20, 0, 8);
    const char *d = assert_one(CHUNKSIM_INV_SEQUENTIAL, 9);
    chunksim_test_assert_contains(d, "no message");
}

static void test_sequential_restarts_at_zero_after_restart(void **state)
{
    (void)state;
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunk_call(1, 20, 0, 16);
    chunksim_monitor_restart(&fx.mon);
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES); /* the next begin peeks again */
    chunk_call(2, 20, 0, 16);
    assert_none();
    chunk_call(3, 20, 0, 16); /* a second restart the engine never reported */
    const char *d = assert_one(CHUNKSIM_INV_SEQUENTIAL, 3);
    chunksim_test_assert_contains(d, "next offset is 16");
}

static void test_one_read_per_chunk_fires_on_second_read_in_a_call(void **state)
{
    (void)state;
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunksim_monitor_call_begin(&fx.mon, 7, CHUNKSIM_CALL_GET_CHUNK, 40);
    chunksim_monitor_read(&fx.mon, 0, 10, fx.image, 0);
    chunksim_monitor_read(&fx.mon, 10, 10, fx.image + 10, 0);
    chunksim_monitor_call_end(&fx.mon, 0);
    const char *d = assert_one(CHUNKSIM_INV_ONE_READ_PER_CHUNK, 7);
    chunksim_test_assert_contains(d, "[10, 20)");
    /* The count restarts with the next call. */
    chunk_call(8, 40, 20, 10);
    assert_int_equal(fx.seen.n, 1);
}

static void test_read_fits_chunk_fires_when_read_fills_whole_room(void **state)
{
    (void)state;
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunk_call(3, 20, 0, 20);
    const char *d = assert_one(CHUNKSIM_INV_READ_FITS_CHUNK, 3);
    chunksim_test_assert_contains(d, "20 bytes at 0");
    chunksim_test_assert_contains(d, "at most 19");
}

static void test_read_fits_chunk_lets_get_next_fill_the_room(void **state)
{
    (void)state;
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunksim_monitor_call_begin(&fx.mon, 1, CHUNKSIM_CALL_GET_NEXT, 20);
    chunksim_monitor_read(&fx.mon, 0, 20, fx.image, 0);
    chunksim_monitor_call_end(&fx.mon, 2);
    assert_none();
    chunksim_monitor_call_begin(&fx.mon, 2, CHUNKSIM_CALL_GET_NEXT, 20);
    chunksim_monitor_read(&fx.mon, 20, 21, fx.image + 20, 0);
    chunksim_monitor_call_end(&fx.mon, 2);
    const char *d = assert_one(CHUNKSIM_INV_READ_FITS_CHUNK, 2);
    chunksim_test_assert_contains(d, "21 bytes at 20");
    chunksim_test_assert_contains(d, "at most 20");
}

static void test_separate_read_routine_fires_on_sync_flash_read_in_get_chunk(void **state)
{
    (void)state;
    chunksim_monitor_call_begin(&fx.mon, 4, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_flash_op(&fx.mon, "read", 0x1000, 32, false, true);
    chunksim_monitor_call_end(&fx.mon, 0);
    const char *d = assert_one(CHUNKSIM_INV_SEPARATE_READ_ROUTINE, 4);
    chunksim_test_assert_contains(d, "read of 32 bytes at 0x00001000");
    chunksim_test_assert_contains(d, "get_chunk");
}

static void test_sync_flash_read_outside_get_chunk_or_with_sync_reader_is_fine(void **state)
{
    (void)state;
    chunksim_monitor_call_begin(&fx.mon, 1, CHUNKSIM_CALL_PREPARE, 20);
    chunksim_monitor_flash_op(&fx.mon, "read", 0, 16, false, true);
    chunksim_monitor_call_end(&fx.mon, 0);
    chunksim_monitor_flash_op(&fx.mon, "read", 0, 16, false, true); /* no call */
    assert_none();

    fx.cfg.async_reader = false; /* the synchronous baseline reads inside get-chunk */
    reinit();
    chunksim_monitor_call_begin(&fx.mon, 2, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_flash_op(&fx.mon, "read", 0, 16, false, true);
    chunksim_monitor_call_end(&fx.mon, 0);
    assert_none();
}

static void test_read_outside_window_fires_on_window_refusal(void **state)
{
    (void)state;
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunk_call(1, 20, 0, 16);
    chunksim_monitor_call_begin(&fx.mon, 2, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_read(&fx.mon, 16, 16, NULL, CHUNKCORE_E_WINDOW);
    chunksim_monitor_call_end(&fx.mon, CHUNKCORE_E_WINDOW);
    const char *d = assert_one(CHUNKSIM_INV_READ_OUTSIDE_WINDOW, 2);
    chunksim_test_assert_contains(d, "[16, 32)");
    /* A refused read does not advance: the retry at 16 is in sequence. */
    chunk_call(3, 20, 16, 16);
    assert_int_equal(fx.seen.n, 1);
}

static void test_wrong_bytes_fires_with_first_differing_offset(void **state)
{
    (void)state;
    uint8_t got[8];
    memcpy(got, fx.image + 16, sizeof(got));
    got[3] ^= 0xFF; /* offset 19: expected 0x88 */
    got[5] ^= 0x01;
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunk_call(1, 20, 0, 16);
    chunksim_monitor_call_begin(&fx.mon, 2, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_read(&fx.mon, 16, sizeof(got), got, 0);
    chunksim_monitor_call_end(&fx.mon, 0);
    const char *d = assert_one(CHUNKSIM_INV_WRONG_BYTES, 2);
    chunksim_test_assert_contains(d, "[16, 24)");
    chunksim_test_assert_contains(d, "offset 19");
    chunksim_test_assert_contains(d, "expected 0x88, got 0x77");
    chunksim_test_assert_contains(d, "2 of 8 bytes differ");
}

static void test_wrong_bytes_fires_on_peek_length_mismatch(void **state)
{
    (void)state;
    chunksim_monitor_call_begin(&fx.mon, 5, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_peek(&fx.mon, 1, 4096);
    chunksim_monitor_call_end(&fx.mon, 0);
    const char *d = assert_one(CHUNKSIM_INV_WRONG_BYTES, 5);
    chunksim_test_assert_contains(d, "4096");
    chunksim_test_assert_contains(d, "64");
}

static void test_data_faults_suppress_wrong_bytes(void **state)
{
    (void)state;
    fx.cfg.data_faults = true;
    reinit();
    uint8_t got[16];
    memset(got, 0xA5, sizeof(got));
    /* The flash itself delivered these bytes for [0, 16), header included. */
    chunksim_monitor_flash_delivered(&fx.mon, 0, got, sizeof(got), "bitflip_transient");
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES + 1);
    chunksim_monitor_call_begin(&fx.mon, 1, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_read(&fx.mon, 0, sizeof(got), got, 0);
    chunksim_monitor_call_end(&fx.mon, 0);
    chunksim_monitor_peek(&fx.mon, 0, 0);
    assert_none();
    assert_int_equal(fx.mon.suppressed, 3);
    assert_int_equal(fx.mon.next_offset, 16); /* the altered read still advanced */
    /* The first alteration is named, with where it starts. */
    assert_true(fx.mon.altered);
    assert_string_equal(fx.mon.altered_by, "bitflip_transient");
    assert_int_equal(fx.mon.altered_at, 0);
}

/* Without data faults nothing consults the shadow: no coredump-sized copy, the alteration still
 * named. */
static void test_no_shadow_without_data_faults(void **state)
{
    (void)state;
    uint8_t got[16];
    memset(got, 0xA5, sizeof(got));
    chunksim_monitor_flash_delivered(&fx.mon, 0, got, sizeof(got), "wear_out");
    assert_null(fx.mon.delivered);
    assert_true(fx.mon.altered);
    assert_string_equal(fx.mon.altered_by, "wear_out");
}

/* Erased bytes read after the packetizer's delete are the delete's doing, not a fault's. */
static void test_bytes_after_the_delete_are_not_altered(void **state)
{
    (void)state;
    fx.cfg.data_faults = true;
    reinit();
    uint8_t erased[16];
    memset(erased, 0xFF, sizeof(erased));
    chunksim_monitor_clear(&fx.mon);
    chunksim_monitor_flash_delivered(&fx.mon, 0, erased, sizeof(erased), NULL);
    assert_false(fx.mon.altered);
}

/* Faults in the run excuse only the bytes they altered: a stale window is still the reader's. */
static void test_data_faults_do_not_hide_bytes_the_flash_never_gave(void **state)
{
    (void)state;
    fx.cfg.data_faults = true;
    reinit();
    uint8_t flipped[16], stale[16];
    memcpy(flipped, fx.image + 32, sizeof(flipped));
    flipped[3] ^= 0x10;
    chunksim_monitor_flash_delivered(&fx.mon, 32, flipped, sizeof(flipped), "bitflip_transient");
    chunksim_monitor_flash_delivered(&fx.mon, 16, fx.image + 16, 16, NULL);
    /* The reader serves [16, 32) from a window that still holds [0, 16). */
    memcpy(stale, fx.image, sizeof(stale));
    chunksim_monitor_call_begin(&fx.mon, 1, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunksim_monitor_read(&fx.mon, 0, 16, fx.image, 0);
    chunksim_monitor_call_end(&fx.mon, 0);
    chunksim_monitor_call_begin(&fx.mon, 2, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_read(&fx.mon, 16, 16, stale, 0);
    chunksim_monitor_call_end(&fx.mon, 0);
    const char *d = assert_one(CHUNKSIM_INV_WRONG_BYTES, 2);
    chunksim_test_assert_contains(d, "read [16, 32)");
    /* The flipped range, served as the flash gave it, is the flash's. */
    chunksim_monitor_call_begin(&fx.mon, 3, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_read(&fx.mon, 32, 16, flipped, 0);
    chunksim_monitor_call_end(&fx.mon, 0);
    assert_int_equal(fx.seen.n, 1);
    assert_int_equal(fx.mon.suppressed, 1);
}

/* A header the flash delivered intact: an absent or resized coredump is the reader's doing. */
static void test_data_faults_do_not_hide_a_header_the_flash_gave_intact(void **state)
{
    (void)state;
    fx.cfg.data_faults = true;
    reinit();
    chunksim_monitor_flash_delivered(&fx.mon, 0, fx.image, 16, NULL);
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES + 1);
    assert_one(CHUNKSIM_INV_WRONG_BYTES, 0);
}

static void test_read_failed_fires_on_failed_payload_read(void **state)
{
    (void)state;
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunksim_monitor_call_begin(&fx.mon, 6, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_read(&fx.mon, 0, 16, NULL, CHUNKCORE_E_IO);
    chunksim_monitor_call_end(&fx.mon, CHUNKCORE_E_IO);
    const char *d = assert_one(CHUNKSIM_INV_READ_FAILED, 6);
    chunksim_test_assert_contains(d, "[0, 16)");
    chunksim_test_assert_contains(d, "-4 (IO)");
    assert_int_equal(fx.mon.next_offset, 0);
}

static void test_read_failed_fires_on_failed_peek_inside_get_chunk(void **state)
{
    (void)state;
    chunksim_monitor_call_begin(&fx.mon, 2, CHUNKSIM_CALL_DATA_AVAILABLE, 0);
    chunksim_monitor_peek(&fx.mon, CHUNKCORE_E_WINDOW, 0);
    chunksim_monitor_call_end(&fx.mon, CHUNKCORE_E_WINDOW);
    chunksim_monitor_peek(&fx.mon, CHUNKCORE_E_BUSY, 0); /* outside any call */
    assert_none();
    chunksim_monitor_call_begin(&fx.mon, 3, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_peek(&fx.mon, CHUNKCORE_E_WINDOW, 0);
    chunksim_monitor_call_end(&fx.mon, CHUNKCORE_E_WINDOW);
    const char *d = assert_one(CHUNKSIM_INV_READ_FAILED, 3);
    chunksim_test_assert_contains(d, "peek");
    chunksim_test_assert_contains(d, "-5 (WINDOW)");
}

/* The platform's read routine said false: named as such, with where the reader last loaded. */
static void test_read_failed_names_a_read_the_platform_refused(void **state)
{
    (void)state;
    fx.cfg.storage_base = 0x1000;
    reinit();
    read_whole_image();
    chunksim_monitor_flash_op(&fx.mon, "read", 0x1000 + 40, 24, false, false);
    chunksim_monitor_restart(&fx.mon);
    chunksim_monitor_call_begin(&fx.mon, 7, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_peek(&fx.mon, CHUNKCORE_E_READ_REFUSED, 0);
    chunksim_monitor_call_end(&fx.mon, CHUNKCORE_E_READ_REFUSED);
    const char *d = assert_one(CHUNKSIM_INV_READ_FAILED, 7);
    assert_string_equal(d, "header peek in get_chunk after the message restarted at 0: "
                           "memfault_coredump_read returned false for [0, 12); "
                           "the last flash read was [40, 64)");

    setup(NULL);
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunksim_monitor_call_begin(&fx.mon, 2, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_read(&fx.mon, 0, 16, NULL, CHUNKCORE_E_READ_REFUSED);
    chunksim_monitor_call_end(&fx.mon, CHUNKCORE_E_READ_REFUSED);
    d = assert_one(CHUNKSIM_INV_READ_FAILED, 2);
    assert_string_equal(d, "memfault_coredump_read returned false for [0, 16); "
                           "no flash read was made");
}

static void test_flash_busy_fires_on_op_issued_to_busy_device(void **state)
{
    (void)state;
    chunksim_monitor_set_time(&fx.mon, 1500);
    chunksim_monitor_call_begin(&fx.mon, 11, CHUNKSIM_CALL_PREPARE, 20);
    chunksim_monitor_flash_op(&fx.mon, "read", 0x20, 256, true, false);
    chunksim_monitor_call_end(&fx.mon, 1);
    const char *d = assert_one(CHUNKSIM_INV_FLASH_BUSY, 11);
    chunksim_test_assert_contains(d, "read of 256 bytes at 0x00000020");
    assert_int_equal(fx.seen.v[0].t_us, 1500);
}

static void test_allow_suspend_suppresses_flash_busy(void **state)
{
    (void)state;
    fx.cfg.allow_suspend = true;
    reinit();
    chunksim_monitor_flash_op(&fx.mon, "read", 0x20, 256, true, false);
    assert_none();
}

static void test_clear_early_fires_on_delete_before_the_end(void **state)
{
    (void)state;
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunk_call(1, 20, 0, 16);
    chunksim_monitor_call_begin(&fx.mon, 2, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_read(&fx.mon, 16, 10, fx.image + 16, 0);
    chunksim_monitor_clear(&fx.mon);
    chunksim_monitor_call_end(&fx.mon, 0);
    const char *d = assert_one(CHUNKSIM_INV_CLEAR_EARLY, 2);
    chunksim_test_assert_contains(d, "26 of 64");
}

static void test_clear_early_fires_after_restart_dropped_the_end(void **state)
{
    (void)state;
    read_whole_image();
    chunksim_monitor_restart(&fx.mon); /* reconnect before the delete */
    chunksim_monitor_call_begin(&fx.mon, 5, CHUNKSIM_CALL_CONFIRM, 0);
    chunksim_monitor_clear(&fx.mon);
    chunksim_monitor_call_end(&fx.mon, 0);
    const char *d = assert_one(CHUNKSIM_INV_CLEAR_EARLY, 5);
    chunksim_test_assert_contains(d, "0 of 64");
}

static void test_clear_twice_fires_on_second_delete(void **state)
{
    (void)state;
    read_whole_image();
    chunksim_monitor_call_begin(&fx.mon, 5, CHUNKSIM_CALL_CONFIRM, 0);
    chunksim_monitor_clear(&fx.mon);
    chunksim_monitor_call_end(&fx.mon, 0);
    chunksim_monitor_call_begin(&fx.mon, 6, CHUNKSIM_CALL_CONFIRM, 0);
    chunksim_monitor_clear(&fx.mon);
    chunksim_monitor_call_end(&fx.mon, 0);
    const char *d = assert_one(CHUNKSIM_INV_CLEAR_TWICE, 6);
    chunksim_test_assert_contains(d, "delete number 2");
}

static void test_clear_twice_fires_when_cleared_coredump_is_sent_again(void **state)
{
    (void)state;
    read_whole_image();
    chunksim_monitor_clear(&fx.mon);
    /* A stale header in RAM makes the deleted coredump look present again. */
    read_whole_image();
    chunksim_monitor_call_begin(&fx.mon, 8, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_clear(&fx.mon);
    chunksim_monitor_call_end(&fx.mon, 0);
    assert_one(CHUNKSIM_INV_CLEAR_TWICE, 8);
}

static void test_clear_failed_lets_the_coredump_be_deleted_again(void **state)
{
    (void)state;
    read_whole_image();
    chunksim_monitor_clear(&fx.mon);
    chunksim_monitor_clear_failed(&fx.mon);
    chunksim_monitor_peek(&fx.mon, 0, 0); /* a half-erased header: unknown, not a breach */
    read_whole_image();
    chunksim_monitor_clear(&fx.mon);
    chunksim_monitor_finish(&fx.mon, false);
    assert_none();
    assert_int_equal(fx.mon.clears, 2);
}

/*
 * A delete whose erase never reached the flash (the power went first), then
 * a reboot that finds the coredump stored: the new boot sends it and deletes
 * it again, which is no second clear, and the first delete is forgotten.
 * Without the reboot the same second delete is CLEAR_TWICE
 * (test_clear_twice_fires_when_cleared_coredump_is_sent_again).
 */
static void test_reboot_with_the_coredump_stored_forgets_the_delete(void **state)
{
    (void)state;
    read_whole_image();
    chunksim_monitor_clear(&fx.mon);
    chunksim_monitor_reboot(&fx.mon, true);
    assert_false(fx.mon.in_message);
    assert_int_equal(fx.mon.clears, 0);
    read_whole_image();
    chunksim_monitor_clear(&fx.mon);
    chunksim_monitor_finish(&fx.mon, false);
    assert_none();
    assert_int_equal(fx.mon.clears, 1);
}

/* A reboot after the cut destroyed the header: the new boot's peek may find nothing. */
static void test_reboot_with_the_coredump_gone_expects_no_coredump(void **state)
{
    (void)state;
    chunksim_monitor_call_begin(&fx.mon, 1, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunksim_monitor_read(&fx.mon, 0, 16, fx.image, 0);
    chunksim_monitor_call_end(&fx.mon, 0);
    chunksim_monitor_reboot(&fx.mon, false);
    chunksim_monitor_call_begin(&fx.mon, 2, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_peek(&fx.mon, 0, 0);
    chunksim_monitor_call_end(&fx.mon, CHUNKCORE_E_NODATA);
    chunksim_monitor_finish(&fx.mon, false);
    assert_none();
    /* The same peek without the reboot: the coredump was never deleted. */
    reinit();
    chunksim_monitor_call_begin(&fx.mon, 2, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_peek(&fx.mon, 0, 0);
    chunksim_monitor_call_end(&fx.mon, CHUNKCORE_E_NODATA);
    assert_one(CHUNKSIM_INV_WRONGLY_ABSENT, 2);
}

static void test_header_not_stored_is_wrong_bytes(void **state)
{
    (void)state;
    fx.cfg.data_faults = true; /* no fault excuses it */
    reinit();
    chunksim_monitor_call_begin(&fx.mon, 3, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunksim_monitor_header_not_stored(&fx.mon, 0x12345678u, 7);
    chunksim_monitor_call_end(&fx.mon, 0);
    const char *d = assert_one(CHUNKSIM_INV_WRONG_BYTES, 3);
    chunksim_test_assert_contains(d, "magic 0x12345678, version 7");
    chunksim_test_assert_contains(d, "a corrupt header accepted as valid");
}

static void test_never_cleared_fires_when_read_to_end_without_delete(void **state)
{
    (void)state;
    read_whole_image();
    chunksim_monitor_set_time(&fx.mon, 9000);
    chunksim_monitor_finish(&fx.mon, true);
    const char *d = assert_one(CHUNKSIM_INV_NEVER_CLEARED, 0);
    chunksim_test_assert_contains(d, "64 payload bytes");
    chunksim_test_assert_contains(d, "still holds");
    assert_int_equal(fx.seen.v[0].t_us, 9000);
}

static void test_never_cleared_fires_when_delete_left_storage_valid(void **state)
{
    (void)state;
    read_whole_image();
    chunksim_monitor_clear(&fx.mon);
    chunksim_monitor_finish(&fx.mon, true);
    const char *d = assert_one(CHUNKSIM_INV_NEVER_CLEARED, 0);
    chunksim_test_assert_contains(d, "deleted 1 time");
}

static void test_never_cleared_quiet_when_never_read_to_end(void **state)
{
    (void)state;
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunk_call(1, 20, 0, 16);
    chunksim_monitor_finish(&fx.mon, true);
    assert_none();
}

static void test_wrongly_absent_fires_when_peek_misses_stored_coredump(void **state)
{
    (void)state;
    chunksim_monitor_call_begin(&fx.mon, 1, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_peek(&fx.mon, 0, 0);
    chunksim_monitor_call_end(&fx.mon, CHUNKCORE_E_NODATA);
    const char *d = assert_one(CHUNKSIM_INV_WRONGLY_ABSENT, 1);
    chunksim_test_assert_contains(d, "64 bytes");
    assert_false(fx.mon.in_message);
}

/*
 * A peek announcing another size than the image's (an altered size field):
 * the monitor names it (size_altered, for the verdict), reports WRONG_BYTES
 * without data faults (a reader served a wrong header) and only counts it
 * with them; the message it starts is judged at the announced size.
 */
static void test_altered_size_is_named_and_suppressed_only_with_data_faults(void **state)
{
    (void)state;
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES + 100);
    const char *d = assert_one(CHUNKSIM_INV_WRONG_BYTES, 0);
    chunksim_test_assert_contains(d, "announced 164 payload bytes");
    assert_true(fx.mon.size_altered);

    fx.seen.n = 0;
    fx.cfg.data_faults = true;
    reinit();
    assert_false(fx.mon.size_altered);
    /* The flash delivered a header whose size field reads 5. */
    uint8_t hdr[12];
    memcpy(hdr, fx.image, sizeof(hdr));
    hdr[8] = 5;
    hdr[9] = hdr[10] = hdr[11] = 0;
    chunksim_monitor_flash_delivered(&fx.mon, 0, hdr, sizeof(hdr), "stuck_bit");
    chunksim_monitor_peek(&fx.mon, 1, 5);
    assert_none();
    assert_int_equal(fx.mon.suppressed, 1);
    assert_true(fx.mon.size_altered);
    assert_int_equal(fx.mon.message_bytes, 5);
    chunk_call(1, 20, 0, 5); /* the whole announced message */
    assert_true(fx.mon.read_to_end);
    chunksim_monitor_clear(&fx.mon);
    assert_none();
    /* It names the message being sent: one started at the stored size is not altered. */
    chunksim_monitor_restart(&fx.mon);
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    assert_false(fx.mon.size_altered);
    assert_int_equal(fx.mon.message_bytes, IMAGE_BYTES);
}

static void test_wrongly_absent_quiet_when_nothing_is_stored(void **state)
{
    (void)state;
    fx.cfg.image = NULL;
    fx.cfg.image_bytes = 0;
    reinit();
    chunksim_monitor_peek(&fx.mon, 0, 0);
    chunksim_monitor_finish(&fx.mon, false);
    assert_none();
}

/* RLE's passes in one get-chunk: a sizing pass over the image, then back to 0 for the stream. */
static void rle_passes(uint64_t seq)
{
    chunksim_monitor_call_begin(&fx.mon, seq, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    chunksim_monitor_read(&fx.mon, 0, 32, fx.image, 0);
    chunksim_monitor_read(&fx.mon, 32, 32, fx.image + 32, 0);
    chunksim_monitor_read(&fx.mon, 0, 32, fx.image, 0);
    chunksim_monitor_read(&fx.mon, 1, 5, fx.image + 1, 0);
    chunksim_monitor_call_end(&fx.mon, 0);
}

static void test_rle_passes_with_a_sync_reader_are_no_violation(void **state)
{
    (void)state;
    fx.cfg.rle = true;
    fx.cfg.async_reader = false;
    reinit();
    rle_passes(1);
    assert_none();
    chunksim_monitor_encoded(&fx.mon, 30, 30);
    chunksim_monitor_clear(&fx.mon);
    chunksim_monitor_finish(&fx.mon, false);
    assert_none();
}

static void test_rle_with_an_async_reader_is_sequential_where_it_goes_back(void **state)
{
    (void)state;
    fx.cfg.rle = true;
    reinit();
    rle_passes(5);
    /* The sizing pass's 32-byte reads in a 20-byte chunk are RLE's, not the chunk's: not judged. */
    assert_int_equal(fx.seen.n, 2);
    assert_int_equal(fx.seen.v[0].invariant, CHUNKSIM_INV_SEQUENTIAL);
    assert_int_equal(fx.seen.v[0].call_seq, 5);
    chunksim_test_assert_contains(fx.seen.v[0].detail, "read [0, 32) but the next offset is 64");
    assert_int_equal(fx.seen.v[1].invariant, CHUNKSIM_INV_SEQUENTIAL);
    chunksim_test_assert_contains(fx.seen.v[1].detail, "read [1, 6) but the next offset is 32");
    assert_int_equal(chunksim_monitor_total(&fx.mon), 2);
}

/* The sizing pass reads the last byte first: the end is the encoded stream's. */
static void test_rle_message_ends_with_its_last_encoded_byte(void **state)
{
    (void)state;
    fx.cfg.rle = true;
    fx.cfg.async_reader = false;
    reinit();
    rle_passes(1);
    chunksim_monitor_finish(&fx.mon, true); /* stopped mid-message: not read to the end */
    assert_none();
    chunksim_monitor_encoded(&fx.mon, 12, 30);
    chunksim_monitor_clear(&fx.mon);
    const char *d = assert_one(CHUNKSIM_INV_CLEAR_EARLY, 0);
    chunksim_test_assert_contains(d, "delete with");
}

static void test_rle_reads_inside_a_call_do_not_count_toward_no_progress(void **state)
{
    (void)state;
    fx.cfg.rle = true;
    fx.cfg.async_reader = false;
    reinit();
    chunksim_monitor_call_begin(&fx.mon, 1, CHUNKSIM_CALL_DATA_AVAILABLE, 0);
    chunksim_monitor_peek(&fx.mon, 1, IMAGE_BYTES);
    for (unsigned i = 0; i < 2 * CHUNKSIM_MONITOR_NO_PROGRESS_CALLS; i++) {
        chunksim_monitor_flash_op(&fx.mon, "read", 0, 1, false, true);
        chunksim_monitor_read(&fx.mon, 0, 1, fx.image, 0);
    }
    chunksim_monitor_call_end(&fx.mon, 1);
    assert_none();
}

static void test_inline_completion_fires_with_the_dispatching_call(void **state)
{
    (void)state;
    chunksim_monitor_call_begin(&fx.mon, 13, CHUNKSIM_CALL_PREPARE, 20);
    chunksim_monitor_inline_completion(&fx.mon, "read op 4");
    chunksim_monitor_call_end(&fx.mon, 1);
    const char *d = assert_one(CHUNKSIM_INV_INLINE_COMPLETION, 13);
    chunksim_test_assert_contains(d, "read op 4; seen inside prepare");
}

/* A prepare that dispatches a flash read and says wait, then the read's completion. */
static void wait_round(uint64_t *seq, uint32_t addr, uint32_t len)
{
    chunksim_monitor_call_begin(&fx.mon, ++*seq, CHUNKSIM_CALL_PREPARE, 20);
    chunksim_monitor_flash_op(&fx.mon, "read", addr, len, false, false);
    chunksim_monitor_call_end(&fx.mon, 1);
    chunksim_monitor_call_begin(&fx.mon, ++*seq, CHUNKSIM_CALL_COMPLETE, 1);
    chunksim_monitor_call_end(&fx.mon, 0);
}

static void test_no_progress_fires_once_at_the_bound_with_the_repeated_read(void **state)
{
    (void)state;
    fx.cfg.storage_base = 0x10000;
    reinit();
    uint64_t seq = 0;
    chunksim_monitor_set_time(&fx.mon, 1802000);
    chunksim_monitor_call_begin(&fx.mon, ++seq, CHUNKSIM_CALL_GET_CHUNK, 20);
    chunksim_monitor_call_end(&fx.mon, 0); /* the last progress, at t = 1.802 s */
    /* Each round is three counted events: prepare, its flash read, the completion. */
    while (seq < 1 + 2 * (CHUNKSIM_MONITOR_NO_PROGRESS_CALLS / 3)) {
        wait_round(&seq, 0x10000 + 65529, 7);
        chunksim_monitor_set_time(&fx.mon, 1802000 + seq);
    }
    assert_none();
    wait_round(&seq, 0x10000 + 65529, 7); /* its prepare is call 10000 */
    const char *d = assert_one(CHUNKSIM_INV_NO_PROGRESS, seq - 1);
    chunksim_test_assert_contains(d, "10000 calls and flash operations since t=1.802 s");
    chunksim_test_assert_contains(d, "last read [65529, 65536) repeated");
    for (int i = 0; i < 100; i++) {
        wait_round(&seq, 0x10000 + 65529, 7);
    }
    assert_int_equal(chunksim_monitor_count(&fx.mon, CHUNKSIM_INV_NO_PROGRESS), 1);
}

static void test_no_progress_names_the_last_read_when_reads_differ(void **state)
{
    (void)state;
    uint64_t seq = 0;
    for (uint32_t i = 0; i < CHUNKSIM_MONITOR_NO_PROGRESS_CALLS; i++) {
        wait_round(&seq, i % 2 ? 4096 : 0, 4096);
    }
    assert_int_equal(chunksim_monitor_count(&fx.mon, CHUNKSIM_INV_NO_PROGRESS), 1);
    chunksim_test_assert_contains(fx.seen.v[0].detail, "since t=0.000 s");
    /* Call 10000 is the prepare of round 3333: the last read was round 3332's. */
    chunksim_test_assert_contains(fx.seen.v[0].detail, "last read [0, 4096)");
    assert_null(strstr(fx.seen.v[0].detail, "repeated"));
}

/* Chunks and failed attempts are progress, however many waits come between them. */
static void test_no_progress_quiet_while_chunks_or_failures_come(void **state)
{
    (void)state;
    uint64_t seq = 0;
    for (uint32_t i = 0; i < 4 * CHUNKSIM_MONITOR_NO_PROGRESS_CALLS; i++) {
        wait_round(&seq, 0, 4096);
        switch (i % 3) {
        case 0: /* the chunk, also one that failed (a retry used up) */
            chunksim_monitor_call_begin(&fx.mon, ++seq, CHUNKSIM_CALL_GET_CHUNK, 20);
            chunksim_monitor_call_end(&fx.mon, i % 2 ? 0 : CHUNKCORE_E_IO);
            break;
        case 1:
            chunksim_monitor_call_begin(&fx.mon, ++seq, CHUNKSIM_CALL_PREPARE, 20);
            chunksim_monitor_call_end(&fx.mon, CHUNKCORE_E_IO);
            break;
        default: /* the read timeout gave a wait up */
            chunksim_monitor_call_begin(&fx.mon, ++seq, CHUNKSIM_CALL_CANCEL, 0);
            chunksim_monitor_call_end(&fx.mon, 0);
            break;
        }
    }
    assert_none();
}

static void test_invariant_names_and_docs_are_distinct_and_complete(void **state)
{
    (void)state;
    for (int i = 0; i < CHUNKSIM_INV_COUNT; i++) {
        const char *name = chunksim_invariant_name((chunksim_invariant_t)i);
        assert_gt(strlen(name), 0);
        assert_gt(strlen(chunksim_invariant_doc((chunksim_invariant_t)i)), 0);
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(name, chunksim_invariant_name((chunksim_invariant_t)j));
        }
    }
    assert_string_equal(chunksim_invariant_name(CHUNKSIM_INV_SEQUENTIAL), "sequential");
    assert_string_equal(chunksim_invariant_name(CHUNKSIM_INV_COUNT), "unknown");
    assert_string_equal(chunksim_invariant_doc(CHUNKSIM_INV_COUNT), "unknown");
    assert_int_equal(chunksim_monitor_count(&fx.mon, CHUNKSIM_INV_COUNT), 0);
}

static void test_violations_without_callback_are_counted(void **state)
{
    (void)state;
    fx.cfg.on_violation = NULL;
    reinit();
    chunksim_monitor_peek(&fx.mon, 0, 0);
    chunksim_monitor_inline_completion(&fx.mon, NULL);
    assert_int_equal(chunksim_monitor_total(&fx.mon), 2);
    assert_int_equal(chunksim_monitor_count(&fx.mon, CHUNKSIM_INV_WRONGLY_ABSENT), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
CHUNKSIM_TEST_MAIN({
    T(test_clean_run_reports_nothing),
    T(test_sequential_fires_on_skipped_bytes),
    T(test_sequential_fires_on_read_past_message_end),
    T(test_sequential_fires_on_read_without_message),
    T(test_sequential_restarts_at_zero_after_restart),
    T(test_one_read_per_chunk_fires_on_second_read_in_a_call),
    T(test_read_fits_chunk_fires_when_read_fills_whole_room),
    T(test_read_fits_chunk_lets_get_next_fill_the_room),
    T(test_separate_read_routine_fires_on_sync_flash_read_in_get_chunk),
    T(test_sync_flash_read_outside_get_chunk_or_with_sync_reader_is_fine),
    T(test_read_outside_window_fires_on_window_refusal),
    T(test_wrong_bytes_fires_with_first_differing_offset),
    T(test_wrong_bytes_fires_on_peek_length_mismatch),
    T(test_data_faults_suppress_wrong_bytes),
    T(test_bytes_after_the_delete_are_not_altered),
    T(test_no_shadow_without_data_faults),
    T(test_data_faults_do_not_hide_bytes_the_flash_never_gave),
    T(test_data_faults_do_not_hide_a_header_the_flash_gave_intact),
    T(test_read_failed_fires_on_failed_payload_read),
    T(test_read_failed_fires_on_failed_peek_inside_get_chunk),
    T(test_read_failed_names_a_read_the_platform_refused),
    T(test_flash_busy_fires_on_op_issued_to_busy_device),
    T(test_allow_suspend_suppresses_flash_busy),
    T(test_clear_early_fires_on_delete_before_the_end),
    T(test_clear_early_fires_after_restart_dropped_the_end),
    T(test_clear_twice_fires_on_second_delete),
    T(test_clear_twice_fires_when_cleared_coredump_is_sent_again),
    T(test_clear_failed_lets_the_coredump_be_deleted_again),
    T(test_reboot_with_the_coredump_stored_forgets_the_delete),
    T(test_reboot_with_the_coredump_gone_expects_no_coredump),
    T(test_header_not_stored_is_wrong_bytes),
    T(test_never_cleared_fires_when_read_to_end_without_delete),
    T(test_never_cleared_fires_when_delete_left_storage_valid),
    T(test_never_cleared_quiet_when_never_read_to_end),
    T(test_wrongly_absent_fires_when_peek_misses_stored_coredump),
    T(test_wrongly_absent_quiet_when_nothing_is_stored),
    T(test_altered_size_is_named_and_suppressed_only_with_data_faults),
    T(test_rle_passes_with_a_sync_reader_are_no_violation),
    T(test_rle_with_an_async_reader_is_sequential_where_it_goes_back),
    T(test_rle_message_ends_with_its_last_encoded_byte),
    T(test_rle_reads_inside_a_call_do_not_count_toward_no_progress),
    T(test_inline_completion_fires_with_the_dispatching_call),
    T(test_no_progress_fires_once_at_the_bound_with_the_repeated_read),
    T(test_no_progress_names_the_last_read_when_reads_differ),
    T(test_no_progress_quiet_while_chunks_or_failures_come),
    T(test_invariant_names_and_docs_are_distinct_and_complete),
    T(test_violations_without_callback_are_counted),
})
#undef T
