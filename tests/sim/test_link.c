/* chunksim_link: BLE air time and connection events, loss, disconnects,
 * the network kind, config validation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"
#include <uv.h>

#include "chunksim/link.h"
#include "chunksim/rng.h"

/* 20-byte notification: 27-byte packet, 41 bytes on air = 328 us on 1M,
 * + 150 us IFS + 80 us empty ack. */
#define EXCH_20_1M_US 558u

static chunksim_rng_t rng;

static void ble_link(chunksim_link_t *link, void (*tweak)(chunksim_link_config_t *))
{
    chunksim_link_config_t cfg;
    const char *why = "unset";

    chunksim_link_config_default(&cfg, CHUNKSIM_LINK_BLE);
    if (tweak != NULL) {
        tweak(&cfg);
    }
    chunksim_rng_seed(&rng, 1);
    assert_int_equal(chunksim_link_init(link, &cfg, &rng, &why), 0);
    assert_null(why);
}

static chunksim_link_result_t send_ok(chunksim_link_t *link, uint64_t now_us, size_t bytes)
{
    chunksim_link_result_t r;

    assert_int_equal(chunksim_link_send(link, now_us, bytes, &r), 0);
    return r;
}

/* ---- air time ---- */

static void test_ble_packet_air_time_follows_the_frame_format(void **state)
{
    (void)state;
    /* 251-byte payload, 1M: 265 bytes * 8 bits = 2120 us, the "about 2.1 ms". */
    assert_int_equal(chunksim_link_ble_packet_us(CHUNKSIM_LINK_PHY_1M, 251), 2120);
    assert_int_equal(chunksim_link_ble_packet_us(CHUNKSIM_LINK_PHY_1M, 27), 328);
    /* 2M: half the bit time, but a 2-byte preamble. */
    assert_int_equal(chunksim_link_ble_packet_us(CHUNKSIM_LINK_PHY_2M, 251), 1064);
    assert_int_equal(chunksim_link_ble_packet_us(CHUNKSIM_LINK_PHY_2M, 27), 168);
    /* + IFS + empty ack: 10 bytes (80 us) on 1M, 11 bytes (44 us) on 2M. */
    assert_int_equal(chunksim_link_ble_exchange_us(CHUNKSIM_LINK_PHY_1M, 27), EXCH_20_1M_US);
    assert_int_equal(chunksim_link_ble_exchange_us(CHUNKSIM_LINK_PHY_1M, 251), 2120 + 150 + 80);
    assert_int_equal(chunksim_link_ble_exchange_us(CHUNKSIM_LINK_PHY_2M, 27), 168 + 150 + 44);
    assert_int_equal(chunksim_link_ble_exchange_us(CHUNKSIM_LINK_PHY_2M, 251), 1064 + 150 + 44);
}

static void mtu_247_2m(chunksim_link_config_t *cfg)
{
    cfg->att_mtu = 247;
    cfg->phy = CHUNKSIM_LINK_PHY_2M;
}

static void test_ble_chunk_is_one_notification_of_mtu_minus_3(void **state)
{
    (void)state;
    chunksim_link_t link;
    chunksim_link_result_t r;

    ble_link(&link, NULL);
    assert_int_equal(chunksim_link_chunk_bytes(&link), 20);
    assert_int_equal(chunksim_link_send(&link, 0, 21, &r), CHUNKSIM_E_MSGSIZE);
    assert_int_equal(chunksim_link_send(&link, 0, 0, &r), CHUNKSIM_E_INVAL);
    r = send_ok(&link, 0, 20);
    assert_int_equal(r.status, CHUNKSIM_LINK_SENT);
    assert_int_equal(r.start_us, 0);
    assert_int_equal(r.sent_us, EXCH_20_1M_US);
    assert_int_equal(r.air_us, EXCH_20_1M_US);

    ble_link(&link, mtu_247_2m);
    assert_int_equal(chunksim_link_chunk_bytes(&link), 244);
    r = send_ok(&link, 0, 244);
    assert_int_equal(r.sent_us, 1064 + 150 + 44);
    /* A short last chunk takes a short packet. */
    r = send_ok(&link, r.sent_us, 10);
    assert_int_equal(r.air_us, chunksim_link_ble_exchange_us(CHUNKSIM_LINK_PHY_2M, 17));
}

static void mtu_247_chunk_100(chunksim_link_config_t *cfg)
{
    cfg->att_mtu = 247;
    cfg->chunk_bytes = 100;
}

/* A firmware may offer less than the MTU allows: chunk_bytes is then the chunk size. */
static void test_ble_chunk_bytes_caps_the_chunk_below_the_notification(void **state)
{
    (void)state;
    chunksim_link_t link;
    chunksim_link_result_t r;

    ble_link(&link, mtu_247_chunk_100);
    assert_int_equal(chunksim_link_chunk_bytes(&link), 100);
    assert_int_equal(chunksim_link_send(&link, 0, 101, &r), CHUNKSIM_E_MSGSIZE);
    r = send_ok(&link, 0, 100);
    assert_int_equal(r.air_us, chunksim_link_ble_exchange_us(CHUNKSIM_LINK_PHY_1M, 107));
    /* The bound counts chunks of that size: 4 per 30 ms event. */
    assert_lt(fabs(chunksim_link_bound_bytes_per_s(&link) - 400 / 0.030), 1e-6);
}

static void mtu_517(chunksim_link_config_t *cfg)
{
    cfg->att_mtu = 517;
}

/* 251-byte link-layer payload on 1M: 2120 us on air + 150 us IFS + 80 us ack. */
#define EXCH_251_1M_US 2350u

static void test_ble_notification_longer_than_a_packet_is_fragmented(void **state)
{
    (void)state;
    chunksim_link_t link;
    chunksim_link_result_t r;

    /* ATT_MTU 517 is legal BLE; an attribute value is at most 512 bytes. */
    ble_link(&link, mtu_517);
    assert_int_equal(chunksim_link_chunk_bytes(&link), 512);
    assert_int_equal(chunksim_link_send(&link, 0, 513, &r), CHUNKSIM_E_MSGSIZE);
    /* 512 + 7 = 519 bytes of L2CAP PDU: packets of 251, 251 and 17 bytes, back to back. */
    r = send_ok(&link, 0, 512);
    uint64_t exch_17 = chunksim_link_ble_exchange_us(CHUNKSIM_LINK_PHY_1M, 17);
    assert_int_equal(r.start_us, 0);
    assert_int_equal(r.sent_us, 2 * EXCH_251_1M_US + exch_17);
    assert_int_equal(r.air_us, 2 * EXCH_251_1M_US + exch_17);
    /* Packets count against packets_per_event (4): the next notification gets one
     * packet in this event and the rest in the next one. */
    uint64_t first_end_us = r.sent_us;
    r = send_ok(&link, first_end_us, 512);
    assert_int_equal(r.start_us, first_end_us);
    assert_int_equal(r.sent_us, 30000 + EXCH_251_1M_US + exch_17);
    assert_int_equal(link.stats.chunks, 2);
    assert_int_equal(link.stats.bytes, 1024);
}

static void test_ble_bound_holds_for_fragmented_notifications(void **state)
{
    (void)state;
    chunksim_link_t link;
    uint64_t now_us = 0;

    ble_link(&link, mtu_517);
    for (int i = 0; i < 300; i++) {
        now_us = send_ok(&link, now_us, 512).sent_us;
    }
    /* Over whole events: the last one's unused rest counts, as in a longer stream. */
    uint64_t events = (now_us + 30000 - 1) / 30000;
    double rate = (double)link.stats.bytes * 1e6 / (double)(events * 30000);
    double bound = chunksim_link_bound_bytes_per_s(&link);
    /* 4 packets per 30 ms event carry 4/3 notifications of 3 packets. */
    assert_lt(fabs(bound - 512.0 * 4 / 3 / 0.030), 1e-6);
    assert_le(rate, bound + 1e-6);
    assert_gt(rate, 0.99 * bound);
}

/* ---- connection events ---- */

static void test_ble_stream_fills_each_event_with_packets_per_event(void **state)
{
    (void)state;
    chunksim_link_t link;
    uint64_t now_us = 0;
    const int chunks = 400;

    ble_link(&link, NULL);
    for (int i = 0; i < chunks; i++) {
        /* The application answers "sent" at once. */
        chunksim_link_result_t r = send_ok(&link, now_us, 20);
        uint64_t event_us = (uint64_t)(i / 4) * 30000;
        assert_int_equal(r.status, CHUNKSIM_LINK_SENT);
        assert_int_equal(r.start_us, event_us + (uint64_t)(i % 4) * EXCH_20_1M_US);
        assert_int_equal(r.sent_us, event_us + (uint64_t)(i % 4 + 1) * EXCH_20_1M_US);
        now_us = r.sent_us;
    }
    /* 4 * 20 bytes per 30 ms: 100 events for 400 chunks. */
    assert_int_equal(link.stats.chunks, 400);
    assert_int_equal(link.stats.bytes, 8000);
    assert_int_equal(now_us, 99 * 30000 + 4 * EXCH_20_1M_US);
    assert_int_equal(link.stats.busy_us, 400 * EXCH_20_1M_US);
    double bytes_per_s = (double)link.stats.bytes / ((double)(100 * 30000) / 1e6);
    assert_lt(fabs(bytes_per_s - 80.0 / 0.030), 1e-6);
    assert_lt(fabs(chunksim_link_bound_bytes_per_s(&link) - 80.0 / 0.030), 1e-6);
}

static void test_ble_late_chunk_waits_for_the_next_event(void **state)
{
    (void)state;
    chunksim_link_t link;

    ble_link(&link, NULL);
    chunksim_link_result_t r = send_ok(&link, 0, 20);
    /* Offered exactly at the ack: the more-data bit kept the event open. */
    r = send_ok(&link, r.sent_us, 20);
    assert_int_equal(r.start_us, EXCH_20_1M_US);
    /* Offered 1 us after the ack (a flash read in between): the event has
     * closed, the chunk goes at the next anchor. */
    r = send_ok(&link, r.sent_us + 1, 20);
    assert_int_equal(r.start_us, 30000);
    /* Offered between anchors: the next anchor, on the same grid. */
    r = send_ok(&link, 45000, 20);
    assert_int_equal(r.start_us, 60000);
    /* Offered exactly at an anchor: that anchor. */
    r = send_ok(&link, 90000, 20);
    assert_int_equal(r.start_us, 90000);
}

static void test_ble_chunk_offered_while_busy_queues_behind(void **state)
{
    (void)state;
    chunksim_link_t link;

    ble_link(&link, NULL);
    send_ok(&link, 0, 20);
    chunksim_link_result_t r = send_ok(&link, 0, 20);
    assert_int_equal(r.start_us, EXCH_20_1M_US);
    assert_int_equal(r.sent_us, 2 * EXCH_20_1M_US);
}

static void short_interval_big_mtu(chunksim_link_config_t *cfg)
{
    cfg->conn_interval_us = 7500;
    cfg->att_mtu = 247;
    cfg->packets_per_event = 10;
}

static void test_ble_event_never_runs_into_the_next_one(void **state)
{
    (void)state;
    chunksim_link_t link;
    uint64_t now_us = 0;
    const uint64_t exch = 2120 + 150 + 80;

    /* 10 packets allowed, but only 3 of 2350 us fit in 7.5 ms. */
    ble_link(&link, short_interval_big_mtu);
    for (int i = 0; i < 9; i++) {
        chunksim_link_result_t r = send_ok(&link, now_us, 244);
        assert_int_equal(r.start_us, (uint64_t)(i / 3) * 7500 + (uint64_t)(i % 3) * exch);
        now_us = r.sent_us;
    }
    assert_lt(fabs(chunksim_link_bound_bytes_per_s(&link) - 3 * 244 / 0.0075), 1e-6);
}

/* ---- loss ---- */

static void lossy(chunksim_link_config_t *cfg)
{
    cfg->loss_rate = 0.3;
}

typedef struct stream_outcome {
    uint64_t end_us;
    uint64_t retransmissions;
    chunksim_link_stats_t stats;
} stream_outcome_t;

static stream_outcome_t lossy_stream(uint64_t seed)
{
    chunksim_link_t link;
    stream_outcome_t out = {0};
    uint64_t now_us = 0;

    ble_link(&link, lossy);
    chunksim_rng_seed(&rng, seed);
    for (int i = 0; i < 200; i++) {
        chunksim_link_result_t r = send_ok(&link, now_us, 20);
        assert_int_equal(r.status, CHUNKSIM_LINK_SENT);
        assert_int_equal(r.air_us, (1 + (uint64_t)r.retransmissions) * EXCH_20_1M_US);
        if (r.retransmissions > 0) {
            /* The successful retry opened a later connection event. */
            assert_int_equal((r.sent_us - EXCH_20_1M_US) % 30000, 0);
            assert_gt(r.sent_us - EXCH_20_1M_US, r.start_us);
        }
        out.retransmissions += r.retransmissions;
        now_us = r.sent_us;
    }
    out.end_us = now_us;
    out.stats = link.stats;
    return out;
}

static void test_ble_loss_retransmits_in_the_next_event(void **state)
{
    (void)state;
    stream_outcome_t a = lossy_stream(77);
    stream_outcome_t b = lossy_stream(77);

    assert_gt(a.retransmissions, 0);
    assert_int_equal(a.stats.losses, a.retransmissions);
    assert_int_equal(a.stats.retransmissions, a.retransmissions);
    assert_int_equal(a.stats.busy_us, (200 + a.retransmissions) * EXCH_20_1M_US);
    /* Lossless, 200 chunks end at 49 * 30 ms + 4 exchanges. */
    assert_gt(a.end_us, 49 * 30000 + 4 * EXCH_20_1M_US);
    /* Same seed, same run. */
    assert_int_equal(a.end_us, b.end_us);
    assert_int_equal(a.retransmissions, b.retransmissions);
}

/* The last send's retries sit in later events: busy time up to an instant
 * leaves out exactly the air time from it on. */
static void test_ble_busy_by_leaves_out_air_after_the_instant(void **state)
{
    (void)state;
    chunksim_link_t link;
    chunksim_link_result_t r = {0};
    uint64_t now_us = 0;

    ble_link(&link, lossy);
    chunksim_rng_seed(&rng, 77);
    for (int i = 0; i < 1000 && r.retransmissions < 2; i++) {
        r = send_ok(&link, now_us, 20);
        now_us = r.sent_us;
    }
    assert_ge(r.retransmissions, 2);
    uint64_t total = link.stats.busy_us, n = 1 + (uint64_t)r.retransmissions;
    assert_int_equal(chunksim_link_busy_us_by(&link, r.sent_us), total);
    assert_int_equal(chunksim_link_busy_us_by(&link, r.sent_us - 100), total - 100);
    /* Just before the last attempt, and inside the first one. */
    assert_int_equal(chunksim_link_busy_us_by(&link, r.sent_us - EXCH_20_1M_US - 1),
                     total - EXCH_20_1M_US);
    assert_int_equal(chunksim_link_busy_us_by(&link, r.start_us + 100),
                     total - n * EXCH_20_1M_US + 100);
    assert_int_equal(chunksim_link_busy_us_by(&link, r.start_us), total - n * EXCH_20_1M_US);
    /* The second attempt opens the event after the first one's. */
    uint64_t second_us = (r.start_us / 30000 + 1) * 30000;
    assert_int_equal(chunksim_link_busy_us_by(&link, second_us + 1),
                     total - (n - 1) * EXCH_20_1M_US + 1);
}

/*
 * A fragmented notification's packets are separate attempts: the last send
 * is replayed packet by packet, each where it went (the next packet right
 * after the previous one's ack when the event has room, else in the next
 * event), not as resends of one packet.
 */
static void test_ble_busy_by_follows_the_packets_of_a_fragmented_notification(void **state)
{
    (void)state;
    chunksim_link_t link;
    uint64_t exch_17 = chunksim_link_ble_exchange_us(CHUNKSIM_LINK_PHY_1M, 17);
    uint64_t note_us = 2 * EXCH_251_1M_US + exch_17;

    ble_link(&link, mtu_517);
    chunksim_link_result_t first = send_ok(&link, 0, 512);
    /* The second notification: its first packet is the event's fourth, the
     * other two open the next event (30 ms) back to back. */
    uint64_t offer_us = first.sent_us;
    chunksim_link_result_t r = send_ok(&link, offer_us, 512);
    assert_int_equal(r.sent_us, 30000 + EXCH_251_1M_US + exch_17);
    uint64_t total = link.stats.busy_us;
    assert_int_equal(total, 2 * note_us);
    assert_int_equal(chunksim_link_busy_us_by(&link, r.sent_us), total);
    assert_int_equal(chunksim_link_busy_us_by(&link, offer_us), note_us);
    assert_int_equal(chunksim_link_busy_us_by(&link, offer_us + 100), note_us + 100);
    assert_int_equal(chunksim_link_busy_us_by(&link, 30000), note_us + EXCH_251_1M_US);
    assert_int_equal(chunksim_link_busy_us_by(&link, 30000 + 100), note_us + EXCH_251_1M_US + 100);
    assert_int_equal(chunksim_link_busy_us_by(&link, 30000 + EXCH_251_1M_US + 1),
                     note_us + 2 * EXCH_251_1M_US + 1);
    assert_int_equal(chunksim_link_attempts_by(&link, offer_us), 0);
    assert_int_equal(chunksim_link_attempts_by(&link, offer_us + 1), 1);
    assert_int_equal(chunksim_link_attempts_by(&link, 30000), 1);
    assert_int_equal(chunksim_link_attempts_by(&link, 30000 + 1), 2);
    assert_int_equal(chunksim_link_attempts_by(&link, 30000 + EXCH_251_1M_US + 1), 3);
    assert_int_equal(chunksim_link_attempts_by(&link, r.sent_us), 3);
    /* Three packets, none of them a resend. */
    assert_int_equal(chunksim_link_retransmissions_by(&link, r.sent_us), 0);
}

static void mtu_517_lossy(chunksim_link_config_t *cfg)
{
    cfg->att_mtu = 517;
    cfg->loss_rate = 0.3;
}

/* With loss, over every instant of the last send: the busy time grows by
 * one per microsecond on air and by the send's air time in all, and the
 * attempts end at one per packet plus the resends. */
static void test_ble_busy_by_follows_lost_fragments(void **state)
{
    (void)state;
    chunksim_link_t link;
    chunksim_link_result_t r = {0};
    uint64_t now_us = 0;

    ble_link(&link, mtu_517_lossy);
    chunksim_rng_seed(&rng, 77);
    for (int i = 0; i < 1000 && r.retransmissions < 3; i++) {
        r = send_ok(&link, now_us, 512);
        now_us = r.sent_us;
    }
    assert_ge(r.retransmissions, 3);
    uint64_t total = link.stats.busy_us;
    assert_int_equal(chunksim_link_busy_us_by(&link, r.start_us), total - r.air_us);
    assert_int_equal(chunksim_link_busy_us_by(&link, r.sent_us), total);
    uint64_t on_air_us = 0, attempts_seen = 0;
    for (uint64_t t = r.start_us; t < r.sent_us; t++) {
        uint64_t step = chunksim_link_busy_us_by(&link, t + 1) - chunksim_link_busy_us_by(&link, t);
        assert_le(step, 1);
        on_air_us += step;
        uint32_t a = chunksim_link_attempts_by(&link, t + 1);
        assert_true(a == attempts_seen || a == attempts_seen + 1);
        /* An attempt starts only where air time begins. */
        if (a > attempts_seen) {
            assert_int_equal(step, 1);
        }
        attempts_seen = a;
    }
    assert_int_equal(on_air_us, r.air_us);
    assert_int_equal(chunksim_link_attempts_by(&link, r.sent_us), 3 + r.retransmissions);
    assert_int_equal(chunksim_link_retransmissions_by(&link, r.sent_us), r.retransmissions);
    assert_int_equal(chunksim_link_retransmissions_by(&link, r.start_us + 1), 0);
}

static void cut_in_the_second_packet(chunksim_link_config_t *cfg)
{
    cfg->att_mtu = 517;
    cfg->disconnect_at_us = EXCH_251_1M_US + 100;
}

/* A disconnect cuts the second packet of a notification 100 us in. */
static void test_ble_disconnect_cuts_a_fragment_on_air(void **state)
{
    (void)state;
    chunksim_link_t link;
    chunksim_link_result_t r;

    ble_link(&link, cut_in_the_second_packet);
    assert_int_equal(chunksim_link_send(&link, 0, 512, &r), 0);
    assert_int_equal(r.status, CHUNKSIM_LINK_DISCONNECTED);
    assert_int_equal(r.sent_us, EXCH_251_1M_US + 100);
    assert_int_equal(link.stats.busy_us, EXCH_251_1M_US + 100);
    assert_int_equal(chunksim_link_busy_us_by(&link, EXCH_251_1M_US + 50), EXCH_251_1M_US + 50);
    assert_int_equal(chunksim_link_busy_us_by(&link, EXCH_251_1M_US), EXCH_251_1M_US);
    assert_int_equal(chunksim_link_busy_us_by(&link, 100), 100);
    assert_int_equal(chunksim_link_attempts_by(&link, EXCH_251_1M_US), 1);
    assert_int_equal(chunksim_link_attempts_by(&link, EXCH_251_1M_US + 1), 2);
}

static void test_lossless_link_draws_nothing(void **state)
{
    (void)state;
    chunksim_link_t link;
    chunksim_rng_t before;

    ble_link(&link, NULL);
    before = rng;
    for (int i = 0; i < 10; i++) {
        send_ok(&link, 0, 20);
    }
    assert_memory_equal(&before, &rng, sizeof(rng));
}

/* ---- disconnects ---- */

static void cut_at_100ms(chunksim_link_config_t *cfg)
{
    cfg->disconnect_at_us = 100000;
}

static uint64_t stream_until_failure(chunksim_link_t *link, chunksim_link_result_t *failed)
{
    uint64_t now_us = 0;

    for (int i = 0; i < 1000; i++) {
        chunksim_link_result_t r = send_ok(link, now_us, 20);
        if (r.status != CHUNKSIM_LINK_SENT) {
            *failed = r;
            return now_us;
        }
        now_us = r.sent_us;
    }
    fail_msg("the link never went down");
    return 0;
}

static void test_disconnect_at_time_fails_the_next_chunk(void **state)
{
    (void)state;
    chunksim_link_t link;
    chunksim_link_result_t r;

    ble_link(&link, cut_at_100ms);
    uint64_t offered_us = stream_until_failure(&link, &r);
    /* Events at 0, 30, 60, 90 ms delivered 16 chunks; the 17th waited for
     * the event at 120 ms, after the cut. */
    assert_int_equal(link.stats.chunks, 16);
    assert_int_equal(offered_us, 90000 + 4 * EXCH_20_1M_US);
    assert_int_equal(r.status, CHUNKSIM_LINK_DISCONNECTED);
    assert_int_equal(r.sent_us, 100000);
    assert_int_equal(r.air_us, 0);
    assert_int_equal(r.reconnect_us, CHUNKSIM_LINK_NEVER);
    assert_int_equal(link.stats.disconnects, 1);

    /* Down for good: every later chunk fails at once. */
    r = send_ok(&link, 500000, 20);
    assert_int_equal(r.status, CHUNKSIM_LINK_DISCONNECTED);
    assert_int_equal(r.sent_us, 500000);
    assert_int_equal(chunksim_link_up_at_us(&link, 600000), CHUNKSIM_LINK_NEVER);
    assert_int_equal(link.stats.chunks, 16);
    assert_int_equal(link.stats.disconnects, 1);
}

static void cut_during_a_packet(chunksim_link_config_t *cfg)
{
    cfg->disconnect_at_us = 90100;
}

static void test_disconnect_cuts_a_chunk_on_air(void **state)
{
    (void)state;
    chunksim_link_t link;
    chunksim_link_result_t r;

    ble_link(&link, cut_during_a_packet);
    stream_until_failure(&link, &r);
    assert_int_equal(link.stats.chunks, 12);
    assert_int_equal(r.start_us, 90000);
    assert_int_equal(r.sent_us, 90100);
    assert_int_equal(r.air_us, 100);
    assert_int_equal(link.stats.busy_us, 12 * EXCH_20_1M_US + 100);
    assert_int_equal(chunksim_link_busy_us_by(&link, 90050), 12 * EXCH_20_1M_US + 50);
}

static void cut_then_back_after_50ms(chunksim_link_config_t *cfg)
{
    cfg->disconnect_at_us = 100000;
    cfg->reconnect_delay_us = 50000;
}

static void test_reconnect_after_delay_starts_a_new_event_grid(void **state)
{
    (void)state;
    chunksim_link_t link;
    chunksim_link_result_t r;

    ble_link(&link, cut_then_back_after_50ms);
    stream_until_failure(&link, &r);
    assert_int_equal(r.reconnect_us, 150000);
    assert_int_equal(chunksim_link_up_at_us(&link, 120000), 150000);
    r = send_ok(&link, 149999, 20);
    assert_int_equal(r.status, CHUNKSIM_LINK_DISCONNECTED);
    assert_int_equal(r.reconnect_us, 150000);

    /* Resent on reconnect: the new connection's first event is then. */
    r = send_ok(&link, 150000, 20);
    assert_int_equal(r.status, CHUNKSIM_LINK_SENT);
    assert_int_equal(r.start_us, 150000);
    r = send_ok(&link, r.sent_us + 1, 20);
    assert_int_equal(r.start_us, 180000);
    assert_int_equal(chunksim_link_up_at_us(&link, 200000), 200000);
    assert_int_equal(link.stats.disconnects, 1);
}

static void cut_after_5_chunks(chunksim_link_config_t *cfg)
{
    cfg->disconnect_after_chunks = 5;
    cfg->reconnect_delay_us = 1000000;
    /* Falls while the link is down already: nothing left to cut. */
    cfg->disconnect_at_us = 500000;
}

static void test_disconnect_after_chunk_n(void **state)
{
    (void)state;
    chunksim_link_t link;
    chunksim_link_result_t r;

    ble_link(&link, cut_after_5_chunks);
    uint64_t offered_us = stream_until_failure(&link, &r);
    /* Chunk 5 (second event, first packet) was delivered; the link went
     * down with its ack. */
    assert_int_equal(link.stats.chunks, 5);
    assert_int_equal(offered_us, 30000 + EXCH_20_1M_US);
    assert_int_equal(r.status, CHUNKSIM_LINK_DISCONNECTED);
    assert_int_equal(r.sent_us, offered_us);
    assert_int_equal(r.reconnect_us, offered_us + 1000000);

    uint64_t now_us = r.reconnect_us;
    for (int i = 0; i < 20; i++) {
        r = send_ok(&link, now_us, 20);
        assert_int_equal(r.status, CHUNKSIM_LINK_SENT);
        now_us = r.sent_us;
    }
    assert_int_equal(link.stats.chunks, 25);
    assert_int_equal(link.stats.disconnects, 1);
}

/* ---- network ---- */

static void network_link(chunksim_link_t *link, double loss)
{
    chunksim_link_config_t cfg;

    chunksim_link_config_default(&cfg, CHUNKSIM_LINK_NETWORK);
    cfg.chunk_bytes = 1000;
    cfg.bandwidth_bytes_per_s = 100000;
    cfg.latency_us = 20000;
    cfg.loss_rate = loss;
    chunksim_rng_seed(&rng, 5);
    assert_int_equal(chunksim_link_init(link, &cfg, &rng, NULL), 0);
}

static void test_network_chunk_takes_wire_time_plus_latency(void **state)
{
    (void)state;
    chunksim_link_t link;

    network_link(&link, 0.0);
    assert_int_equal(chunksim_link_chunk_bytes(&link), 1000);
    chunksim_link_result_t r = send_ok(&link, 0, 1000);
    assert_int_equal(r.start_us, 0);
    assert_int_equal(r.air_us, 10000);
    assert_int_equal(r.sent_us, 30000);
    /* Stop-and-wait: one offered early waits for the ack. */
    r = send_ok(&link, 5000, 500);
    assert_int_equal(r.start_us, 30000);
    assert_int_equal(r.sent_us, 30000 + 5000 + 20000);
    /* No connection events: a late one starts when offered. */
    r = send_ok(&link, 100001, 1000);
    assert_int_equal(r.start_us, 100001);
    assert_int_equal(r.sent_us, 130001);
    assert_lt(fabs(chunksim_link_bound_bytes_per_s(&link) - 1000 / 0.030), 1e-6);
    chunksim_link_result_t big;
    assert_int_equal(chunksim_link_send(&link, 0, 1001, &big), CHUNKSIM_E_MSGSIZE);
}

static void test_network_wire_time_rounds_up(void **state)
{
    (void)state;
    chunksim_link_t link;
    chunksim_link_config_t cfg;

    chunksim_link_config_default(&cfg, CHUNKSIM_LINK_NETWORK);
    cfg.bandwidth_bytes_per_s = 3;
    cfg.latency_us = 0;
    assert_int_equal(chunksim_link_init(&link, &cfg, &rng, NULL), 0);
    chunksim_link_result_t r = send_ok(&link, 0, 1);
    assert_int_equal(r.air_us, 333334);
}

static void test_network_loss_resends_the_whole_chunk(void **state)
{
    (void)state;
    chunksim_link_t link;
    uint64_t now_us = 0, retrans = 0;

    network_link(&link, 0.5);
    for (int i = 0; i < 50; i++) {
        chunksim_link_result_t r = send_ok(&link, now_us, 1000);
        assert_int_equal(r.sent_us - r.start_us, (1 + (uint64_t)r.retransmissions) * 30000);
        assert_int_equal(r.air_us, (1 + (uint64_t)r.retransmissions) * 10000);
        retrans += r.retransmissions;
        now_us = r.sent_us;
    }
    assert_gt(retrans, 0);
    assert_int_equal(link.stats.losses, retrans);
}

/* A resend starts when the lost attempt's ack would have come. */
static void test_network_busy_by_follows_the_resends(void **state)
{
    (void)state;
    chunksim_link_t link;
    chunksim_link_result_t r = {0};
    uint64_t now_us = 0;

    network_link(&link, 0.5);
    for (int i = 0; i < 200 && r.retransmissions < 2; i++) {
        r = send_ok(&link, now_us, 1000);
        now_us = r.sent_us;
    }
    assert_ge(r.retransmissions, 2);
    uint64_t total = link.stats.busy_us, n = 1 + (uint64_t)r.retransmissions;
    /* Half-way through the second attempt's wire time. */
    assert_int_equal(chunksim_link_busy_us_by(&link, r.start_us + 30000 + 5000),
                     total - (n - 2) * 10000 - 5000);
    /* Waiting for the second attempt's ack: nothing on the wire. */
    assert_int_equal(chunksim_link_busy_us_by(&link, r.start_us + 30000 + 15000),
                     total - (n - 2) * 10000);
    assert_int_equal(chunksim_link_busy_us_by(&link, r.sent_us), total);
    assert_int_equal(chunksim_link_attempts_by(&link, r.start_us), 0);
    assert_int_equal(chunksim_link_attempts_by(&link, r.start_us + 1), 1);
    assert_int_equal(chunksim_link_attempts_by(&link, r.start_us + 30000 + 15000), 2);
    assert_int_equal(chunksim_link_attempts_by(&link, r.sent_us), n);
}

static void test_network_disconnect_and_reconnect(void **state)
{
    (void)state;
    chunksim_link_t link;
    chunksim_link_config_t cfg;

    chunksim_link_config_default(&cfg, CHUNKSIM_LINK_NETWORK);
    cfg.chunk_bytes = 1000;
    cfg.bandwidth_bytes_per_s = 100000;
    cfg.latency_us = 20000;
    cfg.disconnect_at_us = 45000;
    cfg.reconnect_delay_us = 10000;
    assert_int_equal(chunksim_link_init(&link, &cfg, &rng, NULL), 0);
    chunksim_link_result_t r = send_ok(&link, 0, 1000);
    assert_int_equal(r.status, CHUNKSIM_LINK_SENT);
    /* 30..60 ms on the wire and waiting: cut at 45 ms, wire time 10 ms all
     * spent already. */
    r = send_ok(&link, r.sent_us, 1000);
    assert_int_equal(r.status, CHUNKSIM_LINK_DISCONNECTED);
    assert_int_equal(r.sent_us, 45000);
    assert_int_equal(r.air_us, 10000);
    assert_int_equal(r.reconnect_us, 55000);
    r = send_ok(&link, 55000, 1000);
    assert_int_equal(r.status, CHUNKSIM_LINK_SENT);
    assert_int_equal(r.sent_us, 85000);
}

/*
 * A power cut while a chunk waits for its ack: the chunk is not delivered,
 * only its air time before the cut counts, and the rebooted device's link is
 * up at the instant given, with events from there; never means never.
 */
static void test_power_cut_takes_back_the_chunk_on_air(void **state)
{
    (void)state;
    chunksim_link_t link;
    network_link(&link, 0);
    chunksim_link_result_t r = send_ok(&link, 0, 1000);
    assert_int_equal(r.sent_us, 30000);
    r = send_ok(&link, 30000, 500); /* 5 ms on the wire, acked at 55 ms */
    assert_int_equal(r.status, CHUNKSIM_LINK_SENT);
    chunksim_link_power_cut(&link, 32000, 1032000);
    assert_int_equal(link.stats.chunks, 1);
    assert_int_equal(link.stats.bytes, 1000);
    assert_int_equal(link.stats.busy_us, 10000 + 2000);
    assert_int_equal(link.stats.disconnects, 1);
    assert_int_equal(chunksim_link_busy_us_by(&link, 40000), 12000); /* not taken twice */
    assert_int_equal(chunksim_link_up_at_us(&link, 500000), 1032000);
    r = send_ok(&link, 500000, 1000);
    assert_int_equal(r.status, CHUNKSIM_LINK_DISCONNECTED);
    assert_int_equal(r.reconnect_us, 1032000);
    r = send_ok(&link, 1032000, 1000);
    assert_int_equal(r.status, CHUNKSIM_LINK_SENT);
    assert_int_equal(r.sent_us, 1062000);

    /* Cut after the ack: the chunk stays delivered. */
    chunksim_link_power_cut(&link, 1070000, CHUNKSIM_LINK_NEVER);
    assert_int_equal(link.stats.chunks, 2);
    assert_int_equal(link.stats.busy_us, 20000 + 2000);
    assert_int_equal(chunksim_link_up_at_us(&link, 99000000), CHUNKSIM_LINK_NEVER);
}

/* ---- config ---- */

/* One function per bad value, each changing one field of a good config. */
typedef struct bad_case {
    const char *field;
    void (*apply)(chunksim_link_config_t *cfg);
} bad_case_t;

#define BAD(name, stmt)                                                                            \
    static void bad_##name(chunksim_link_config_t *cfg)                                            \
    {                                                                                              \
        stmt;                                                                                      \
    }
BAD(mtu_low, cfg->att_mtu = 22)
BAD(mtu_high, cfg->att_mtu = 518)
BAD(interval_low, cfg->conn_interval_us = 6250)
BAD(interval_high, cfg->conn_interval_us = 4001250)
BAD(interval_step, cfg->conn_interval_us = 31000)
BAD(ppe_zero, cfg->packets_per_event = 0)
BAD(ppe_high, cfg->packets_per_event = 65)
BAD(phy, cfg->phy = (chunksim_link_phy_t)3)
BAD(loss_negative, cfg->loss_rate = -0.1)
BAD(loss_one, cfg->loss_rate = 1.0)
BAD(loss_nan, cfg->loss_rate = NAN)
BAD(kind, cfg->kind = (chunksim_link_kind_t)5)
BAD(net_chunk_zero, (cfg->kind = CHUNKSIM_LINK_NETWORK, cfg->chunk_bytes = 0))
BAD(net_chunk_high,
    (cfg->kind = CHUNKSIM_LINK_NETWORK, cfg->chunk_bytes = CHUNKSIM_LINK_NETWORK_CHUNK_MAX + 1))
BAD(net_bandwidth,
    (cfg->kind = CHUNKSIM_LINK_NETWORK, cfg->chunk_bytes = 1024, cfg->bandwidth_bytes_per_s = 0))
BAD(net_loss, (cfg->kind = CHUNKSIM_LINK_NETWORK, cfg->chunk_bytes = 1024, cfg->loss_rate = 2.0))
BAD(ble_chunk_high, cfg->chunk_bytes = 21)

static void test_config_validation_rejects_each_bad_value(void **state)
{
    (void)state;
    const bad_case_t cases[] = {
        {"att_mtu", bad_mtu_low},
        {"att_mtu", bad_mtu_high},
        {"conn_interval_us", bad_interval_low},
        {"conn_interval_us", bad_interval_high},
        {"multiple of 1250", bad_interval_step},
        {"packets_per_event", bad_ppe_zero},
        {"packets_per_event", bad_ppe_high},
        {"phy", bad_phy},
        {"loss_rate", bad_loss_negative},
        {"loss_rate", bad_loss_one},
        {"loss_rate", bad_loss_nan},
        {"kind", bad_kind},
        {"chunk_bytes", bad_net_chunk_zero},
        {"chunk_bytes", bad_net_chunk_high},
        {"bandwidth_bytes_per_s", bad_net_bandwidth},
        {"loss_rate", bad_net_loss},
        {"chunk_bytes", bad_ble_chunk_high},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        chunksim_link_config_t cfg;
        chunksim_link_t link;
        const char *why = NULL;

        chunksim_link_config_default(&cfg, CHUNKSIM_LINK_BLE);
        cases[i].apply(&cfg);
        assert_int_equal(chunksim_link_config_validate(&cfg, &why), CHUNKSIM_E_INVAL);
        assert_non_null(why);
        assert_non_null(strstr(why, cases[i].field));
        why = NULL;
        assert_int_equal(chunksim_link_init(&link, &cfg, &rng, &why), CHUNKSIM_E_INVAL);
        assert_non_null(strstr(why, cases[i].field));
        assert_int_equal(chunksim_link_config_validate(&cfg, NULL), CHUNKSIM_E_INVAL);
    }
}

static void test_config_accepts_defaults_and_range_ends(void **state)
{
    (void)state;
    chunksim_link_config_t cfg;
    const char *why = "unset";

    chunksim_link_config_default(&cfg, CHUNKSIM_LINK_BLE);
    assert_int_equal(cfg.att_mtu, 23);
    assert_int_equal(cfg.conn_interval_us, 30000);
    assert_int_equal(cfg.packets_per_event, 4);
    assert_int_equal(cfg.phy, CHUNKSIM_LINK_PHY_1M);
    assert_int_equal(chunksim_link_config_validate(&cfg, &why), 0);
    assert_null(why);

    const uint32_t intervals[] = {7500, 8750, 4000000};
    for (size_t i = 0; i < 3; i++) {
        cfg.conn_interval_us = intervals[i];
        assert_int_equal(chunksim_link_config_validate(&cfg, NULL), 0);
    }
    cfg.att_mtu = 517;
    cfg.packets_per_event = 64;
    cfg.loss_rate = 0.999;
    /* Network fields are not the BLE kind's business. */
    cfg.bandwidth_bytes_per_s = 0;
    assert_int_equal(chunksim_link_config_validate(&cfg, NULL), 0);

    chunksim_link_config_default(&cfg, CHUNKSIM_LINK_NETWORK);
    assert_int_equal(chunksim_link_config_validate(&cfg, NULL), 0);
    cfg.chunk_bytes = CHUNKSIM_LINK_NETWORK_CHUNK_MAX;
    cfg.att_mtu = 0;
    assert_int_equal(chunksim_link_config_validate(&cfg, NULL), 0);
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_ble_packet_air_time_follows_the_frame_format),
    cmocka_unit_test(test_ble_chunk_is_one_notification_of_mtu_minus_3),
    cmocka_unit_test(test_ble_chunk_bytes_caps_the_chunk_below_the_notification),
    cmocka_unit_test(test_ble_notification_longer_than_a_packet_is_fragmented),
    cmocka_unit_test(test_ble_bound_holds_for_fragmented_notifications),
    cmocka_unit_test(test_ble_stream_fills_each_event_with_packets_per_event),
    cmocka_unit_test(test_ble_late_chunk_waits_for_the_next_event),
    cmocka_unit_test(test_ble_chunk_offered_while_busy_queues_behind),
    cmocka_unit_test(test_ble_event_never_runs_into_the_next_one),
    cmocka_unit_test(test_ble_loss_retransmits_in_the_next_event),
    cmocka_unit_test(test_ble_busy_by_leaves_out_air_after_the_instant),
    cmocka_unit_test(test_ble_busy_by_follows_the_packets_of_a_fragmented_notification),
    cmocka_unit_test(test_ble_busy_by_follows_lost_fragments),
    cmocka_unit_test(test_ble_disconnect_cuts_a_fragment_on_air),
    cmocka_unit_test(test_lossless_link_draws_nothing),
    cmocka_unit_test(test_disconnect_at_time_fails_the_next_chunk),
    cmocka_unit_test(test_disconnect_cuts_a_chunk_on_air),
    cmocka_unit_test(test_reconnect_after_delay_starts_a_new_event_grid),
    cmocka_unit_test(test_disconnect_after_chunk_n),
    cmocka_unit_test(test_network_chunk_takes_wire_time_plus_latency),
    cmocka_unit_test(test_network_wire_time_rounds_up),
    cmocka_unit_test(test_network_loss_resends_the_whole_chunk),
    cmocka_unit_test(test_network_busy_by_follows_the_resends),
    cmocka_unit_test(test_network_disconnect_and_reconnect),
    cmocka_unit_test(test_power_cut_takes_back_the_chunk_on_air),
    cmocka_unit_test(test_config_validation_rejects_each_bad_value),
    cmocka_unit_test(test_config_accepts_defaults_and_range_ends),
})
