#include "chunksim/link.h"

#include <uv.h>

#define US_PER_S 1000000u

/* BLE link-layer framing, in bytes (Core spec Vol 6 Part B 2.1). */
#define BLE_PREAMBLE_1M_BYTES 1
#define BLE_PREAMBLE_2M_BYTES 2
#define BLE_ACCESS_ADDR_BYTES 4
#define BLE_PDU_HEADER_BYTES  2
#define BLE_MIC_BYTES         4
#define BLE_CRC_BYTES         3
#define BLE_ATT_HEADER_BYTES  3 /* notification payload = ATT_MTU - 3 */
#define BLE_BITS_PER_BYTE     8

/* Numbers into the static sentences of chunksim_link_config_validate(). */
#define LINK_STR_(x) #x
#define LINK_STR(x)  LINK_STR_(x)

#define BLE_DEFAULT_MTU         23
#define BLE_DEFAULT_INTERVAL_US 30000
#define BLE_DEFAULT_PPE         4
#define NET_DEFAULT_CHUNK_BYTES 1024
#define NET_DEFAULT_BANDWIDTH   125000 /* bytes/s: 1 Mbit/s */
#define NET_DEFAULT_LATENCY_US  20000

static uint64_t u64_max(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static uint64_t saturating_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* ---- air time ---- */

static uint64_t ble_bytes_us(chunksim_link_phy_t phy, uint64_t bytes)
{
    return bytes * BLE_BITS_PER_BYTE / (uint64_t)phy;
}

static uint64_t ble_preamble_bytes(chunksim_link_phy_t phy)
{
    return phy == CHUNKSIM_LINK_PHY_2M ? BLE_PREAMBLE_2M_BYTES : BLE_PREAMBLE_1M_BYTES;
}

uint64_t chunksim_link_ble_packet_us(chunksim_link_phy_t phy, size_t ll_payload_bytes)
{
    uint64_t bytes = ble_preamble_bytes(phy) + BLE_ACCESS_ADDR_BYTES + BLE_PDU_HEADER_BYTES +
                     ll_payload_bytes + BLE_MIC_BYTES + BLE_CRC_BYTES;
    return ble_bytes_us(phy, bytes);
}

uint64_t chunksim_link_ble_exchange_us(chunksim_link_phy_t phy, size_t ll_payload_bytes)
{
    /* An empty PDU carries no MIC even on an encrypted link. */
    uint64_t ack_bytes =
        ble_preamble_bytes(phy) + BLE_ACCESS_ADDR_BYTES + BLE_PDU_HEADER_BYTES + BLE_CRC_BYTES;
    return chunksim_link_ble_packet_us(phy, ll_payload_bytes) + CHUNKSIM_LINK_BLE_IFS_US +
           ble_bytes_us(phy, ack_bytes);
}

/* The L2CAP PDU of a notification (ATT and L2CAP headers added), cut into packets. */
static size_t ble_pdu_bytes(size_t chunk_bytes)
{
    return chunk_bytes + CHUNKSIM_LINK_BLE_NOTIFY_OVERHEAD_BYTES;
}

_Static_assert((CHUNKSIM_LINK_BLE_VALUE_MAX_BYTES + CHUNKSIM_LINK_BLE_NOTIFY_OVERHEAD_BYTES +
                CHUNKSIM_LINK_BLE_LL_PAYLOAD_MAX_BYTES - 1) /
                       CHUNKSIM_LINK_BLE_LL_PAYLOAD_MAX_BYTES ==
                   CHUNKSIM_LINK_BLE_PACKETS_MAX,
               "last_units[] holds every packet of the longest notification");

static size_t ble_packets(size_t chunk_bytes)
{
    size_t max = CHUNKSIM_LINK_BLE_LL_PAYLOAD_MAX_BYTES;
    return (ble_pdu_bytes(chunk_bytes) + max - 1) / max;
}

/* Every packet of one notification, back to back. */
static uint64_t ble_chunk_exchange_us(const chunksim_link_t *link, size_t chunk_bytes)
{
    size_t max = CHUNKSIM_LINK_BLE_LL_PAYLOAD_MAX_BYTES;
    size_t full = ble_packets(chunk_bytes) - 1;
    size_t last = ble_pdu_bytes(chunk_bytes) - full * max;
    return full * chunksim_link_ble_exchange_us(link->config.phy, max) +
           chunksim_link_ble_exchange_us(link->config.phy, last);
}

static uint64_t net_wire_us(const chunksim_link_t *link, size_t chunk_bytes)
{
    uint64_t bw = link->config.bandwidth_bytes_per_s;
    /* Rounded up: a chunk is not through before its last byte is. */
    return ((uint64_t)chunk_bytes * US_PER_S + bw - 1) / bw;
}

/* ---- config ---- */

void chunksim_link_config_default(chunksim_link_config_t *cfg, chunksim_link_kind_t kind)
{
    *cfg = (chunksim_link_config_t){
        .kind = kind,
        .att_mtu = BLE_DEFAULT_MTU,
        .conn_interval_us = BLE_DEFAULT_INTERVAL_US,
        .packets_per_event = BLE_DEFAULT_PPE,
        .phy = CHUNKSIM_LINK_PHY_1M,
        .chunk_bytes = kind == CHUNKSIM_LINK_NETWORK ? NET_DEFAULT_CHUNK_BYTES : 0,
        .bandwidth_bytes_per_s = NET_DEFAULT_BANDWIDTH,
        .latency_us = NET_DEFAULT_LATENCY_US,
        .loss_rate = 0.0,
        .disconnect_at_us = CHUNKSIM_LINK_NEVER,
        .disconnect_after_chunks = 0,
        .reconnect_delay_us = CHUNKSIM_LINK_NEVER,
    };
}

static const char *ble_config_error(const chunksim_link_config_t *cfg)
{
    if (cfg->att_mtu < CHUNKSIM_LINK_BLE_MTU_MIN || cfg->att_mtu > CHUNKSIM_LINK_BLE_MTU_MAX) {
        return "att_mtu must be " LINK_STR(CHUNKSIM_LINK_BLE_MTU_MIN) " to " LINK_STR(
            CHUNKSIM_LINK_BLE_MTU_MAX) " bytes";
    }
    if (cfg->conn_interval_us < CHUNKSIM_LINK_BLE_INTERVAL_MIN_US ||
        cfg->conn_interval_us > CHUNKSIM_LINK_BLE_INTERVAL_MAX_US) {
        return "conn_interval_us must be 7500 to 4000000 us";
    }
    if (cfg->conn_interval_us % CHUNKSIM_LINK_BLE_INTERVAL_STEP_US != 0) {
        return "conn_interval_us must be a multiple of 1250 us";
    }
    if (cfg->packets_per_event < 1 || cfg->packets_per_event > CHUNKSIM_LINK_BLE_PPE_MAX) {
        return "packets_per_event must be 1 to " LINK_STR(CHUNKSIM_LINK_BLE_PPE_MAX);
    }
    if (cfg->phy != CHUNKSIM_LINK_PHY_1M && cfg->phy != CHUNKSIM_LINK_PHY_2M) {
        return "phy must be 1M or 2M";
    }
    if (cfg->chunk_bytes > chunksim_link_ble_notify_max_bytes(cfg->att_mtu)) {
        return "chunk_bytes must be 0 (a whole notification) or at most att_mtu - 3 and 512";
    }
    return NULL;
}

static const char *network_config_error(const chunksim_link_config_t *cfg)
{
    if (cfg->chunk_bytes < 1 || cfg->chunk_bytes > CHUNKSIM_LINK_NETWORK_CHUNK_MAX) {
        return "chunk_bytes must be 1 to 1048576 bytes";
    }
    if (cfg->bandwidth_bytes_per_s == 0) {
        return "bandwidth_bytes_per_s must be positive";
    }
    return NULL;
}

int chunksim_link_config_validate(const chunksim_link_config_t *cfg, const char **why)
{
    const char *error = NULL;

    if (cfg->kind == CHUNKSIM_LINK_BLE) {
        error = ble_config_error(cfg);
    } else if (cfg->kind == CHUNKSIM_LINK_NETWORK) {
        error = network_config_error(cfg);
    } else {
        error = "kind must be BLE or NETWORK";
    }
    /* Written so that NaN fails too. */
    if (error == NULL && !(cfg->loss_rate >= 0.0 && cfg->loss_rate < 1.0)) {
        error = "loss_rate must be at least 0 and below 1";
    }
    if (why != NULL) {
        *why = error;
    }
    return error == NULL ? 0 : CHUNKSIM_E_INVAL;
}

/* ---- state ---- */

int chunksim_link_init(chunksim_link_t *link, const chunksim_link_config_t *config,
                       chunksim_rng_t *rng, const char **why)
{
    int rc = chunksim_link_config_validate(config, why);
    if (rc != 0) {
        return rc;
    }
    *link = (chunksim_link_t){
        .config = *config,
        .rng = rng,
        .up = true,
    };
    return 0;
}

uint32_t chunksim_link_ble_notify_max_bytes(uint32_t att_mtu)
{
    uint32_t value = att_mtu - BLE_ATT_HEADER_BYTES;
    return value < CHUNKSIM_LINK_BLE_VALUE_MAX_BYTES ? value : CHUNKSIM_LINK_BLE_VALUE_MAX_BYTES;
}

size_t chunksim_link_chunk_bytes(const chunksim_link_t *link)
{
    if (link->config.kind == CHUNKSIM_LINK_BLE && link->config.chunk_bytes == 0) {
        return chunksim_link_ble_notify_max_bytes(link->config.att_mtu);
    }
    return link->config.chunk_bytes;
}

static void link_go_down(chunksim_link_t *link, uint64_t at_us)
{
    link->up = false;
    link->stats.disconnects++;
    link->up_at_us = link->config.reconnect_delay_us == CHUNKSIM_LINK_NEVER
                         ? CHUNKSIM_LINK_NEVER
                         : saturating_add(at_us, link->config.reconnect_delay_us);
    link->event_open = false;
    link->free_us = at_us;
}

static void link_go_up(chunksim_link_t *link)
{
    link->up = true;
    link->anchor0_us = link->up_at_us;
    link->event_open = false;
    link->event_packets = 0;
    link->free_us = link->up_at_us;
    /* A timed disconnect that fell while the link was already down has
     * nothing left to cut. */
    if (link->config.disconnect_at_us <= link->up_at_us) {
        link->disconnect_at_fired = true;
    }
}

/* Applies, in time order, the disconnects and reconnects due by now_us. */
static void link_advance(chunksim_link_t *link, uint64_t now_us)
{
    for (;;) {
        if (link->up && !link->disconnect_at_fired && link->config.disconnect_at_us <= now_us) {
            link->disconnect_at_fired = true;
            link_go_down(link, link->config.disconnect_at_us);
        } else if (!link->up && link->up_at_us <= now_us) {
            link_go_up(link);
        } else {
            return;
        }
    }
}

uint64_t chunksim_link_up_at_us(chunksim_link_t *link, uint64_t now_us)
{
    link_advance(link, now_us);
    return link->up ? now_us : link->up_at_us;
}

/* ---- one attempt ---- */

typedef struct attempt {
    uint64_t start_us;
    uint64_t end_us; /* acknowledged (or known lost) */
    uint64_t air_us; /* busy time */
} attempt_t;

static uint64_t ble_next_anchor(const chunksim_link_t *link, uint64_t t_us)
{
    uint64_t interval = link->config.conn_interval_us;

    if (t_us <= link->anchor0_us) {
        return link->anchor0_us;
    }
    uint64_t events = (t_us - link->anchor0_us + interval - 1) / interval;
    return link->anchor0_us + events * interval;
}

/* One link-layer packet of ll_payload_bytes. */
static attempt_t ble_plan(chunksim_link_t *link, uint64_t now_us, bool first,
                          size_t ll_payload_bytes)
{
    uint64_t exchange_us = chunksim_link_ble_exchange_us(link->config.phy, ll_payload_bytes);
    uint64_t event_end_us = link->event_anchor_us + link->config.conn_interval_us;
    /* Offered by the previous ack: the stack had set more-data, so the
     * event goes on if it has packets and time left. */
    bool continues = first && link->event_open && now_us <= link->free_us &&
                     link->event_packets < link->config.packets_per_event &&
                     link->free_us + exchange_us <= event_end_us;
    attempt_t a;

    if (continues) {
        a.start_us = link->free_us;
    } else {
        a.start_us = ble_next_anchor(link, u64_max(now_us, link->free_us));
        link->event_anchor_us = a.start_us;
        link->event_packets = 0;
    }
    link->event_packets++;
    a.air_us = exchange_us;
    a.end_us = a.start_us + exchange_us;
    return a;
}

/*
 * Where the attempt after one that ended (acknowledged or known lost) at
 * end_us starts: what ble_plan and network_plan give for a retry, whose
 * offer (now_us) is never later than the previous attempt's end.
 */
static uint64_t retry_start_us(const chunksim_link_t *link, uint64_t end_us)
{
    return link->config.kind == CHUNKSIM_LINK_BLE ? ble_next_anchor(link, end_us) : end_us;
}

/* The end of an attempt of air_us on air from start_us: its ack (BLE), or
 * its ack after the network's latency. */
static uint64_t attempt_end_us(const chunksim_link_t *link, uint64_t start_us, uint64_t air_us)
{
    return start_us + air_us +
           (link->config.kind == CHUNKSIM_LINK_NETWORK ? link->config.latency_us : 0);
}

static attempt_t network_plan(const chunksim_link_t *link, uint64_t now_us, size_t chunk_bytes)
{
    attempt_t a;

    a.start_us = u64_max(now_us, link->free_us);
    a.air_us = net_wire_us(link, chunk_bytes);
    a.end_us = a.start_us + a.air_us + link->config.latency_us;
    return a;
}

static bool attempt_lost(chunksim_link_t *link)
{
    /* No draw at loss 0, so a lossless scenario leaves the stream as is. */
    return link->config.loss_rate > 0.0 && chunksim_rng_uniform(link->rng) < link->config.loss_rate;
}

/* ---- send ---- */

static void result_disconnected(chunksim_link_t *link, uint64_t at_us, chunksim_link_result_t *out)
{
    out->status = CHUNKSIM_LINK_DISCONNECTED;
    out->sent_us = at_us;
    if (out->air_us == 0) {
        out->start_us = at_us;
    }
    out->reconnect_us = link->up_at_us;
}

/* The timed disconnect cuts the attempt a short; true if it did. */
static bool attempt_cut(chunksim_link_t *link, const attempt_t *a, chunksim_link_result_t *out)
{
    uint64_t cut_us = link->config.disconnect_at_us;

    if (link->disconnect_at_fired || cut_us >= a->end_us) {
        return false;
    }
    uint64_t partial_us = 0;
    if (cut_us > a->start_us) {
        partial_us = cut_us - a->start_us;
        partial_us = partial_us < a->air_us ? partial_us : a->air_us;
        out->air_us += partial_us;
        link->stats.busy_us += partial_us;
    }
    link->last_units[link->last_unit_count - 1].attempts++;
    link->last_cut_air_us = partial_us;
    link->last_cut = true;
    link->disconnect_at_fired = true;
    link_go_down(link, cut_us);
    result_disconnected(link, cut_us, out);
    return true;
}

/*
 * One unit (a BLE packet, a network chunk) offered at offer_us, sent again
 * until it gets through. false: a disconnect cut it (out says so).
 */
static bool send_unit(chunksim_link_t *link, uint64_t offer_us, size_t bytes, bool first_unit,
                      chunksim_link_result_t *out)
{
    uint32_t n = 0;
    for (uint32_t attempt = 0;; attempt++) {
        attempt_t a = link->config.kind == CHUNKSIM_LINK_BLE
                          ? ble_plan(link, offer_us, attempt == 0, bytes)
                          : network_plan(link, offer_us, bytes);
        if (attempt == 0) {
            if (first_unit) {
                out->start_us = a.start_us;
            }
            /* Bounded: one unit for NETWORK, at most CHUNKSIM_LINK_BLE_PACKETS_MAX for BLE. */
            n = link->last_unit_count++;
            link->last_units[n].start_us = a.start_us;
            link->last_units[n].air_us = a.air_us;
            link->last_units[n].attempts = 0;
        }
        if (attempt_cut(link, &a, out)) {
            return false;
        }
        if (attempt > 0) {
            out->retransmissions++;
            link->stats.retransmissions++;
        }
        out->air_us += a.air_us;
        link->stats.busy_us += a.air_us;
        link->last_units[n].attempts++;
        link->free_us = a.end_us;
        out->sent_us = a.end_us;
        if (!attempt_lost(link)) {
            link->event_open = true;
            return true;
        }
        link->stats.losses++;
        link->event_open = false;
    }
}

/* The notification's packets: the rest of the PDU waits in the controller, so each
 * fragment is offered at the previous one's ack. */
static bool ble_send_fragments(chunksim_link_t *link, uint64_t now_us, size_t chunk_bytes,
                               chunksim_link_result_t *out)
{
    size_t left = ble_pdu_bytes(chunk_bytes);
    uint64_t offer_us = now_us;
    for (bool first = true; left > 0; first = false) {
        size_t packet = left < CHUNKSIM_LINK_BLE_LL_PAYLOAD_MAX_BYTES
                            ? left
                            : CHUNKSIM_LINK_BLE_LL_PAYLOAD_MAX_BYTES;
        if (!send_unit(link, offer_us, packet, first, out)) {
            return false;
        }
        left -= packet;
        offer_us = link->free_us;
    }
    return true;
}

int chunksim_link_send(chunksim_link_t *link, uint64_t now_us, size_t chunk_bytes,
                       chunksim_link_result_t *out)
{
    if (chunk_bytes == 0) {
        return CHUNKSIM_E_INVAL;
    }
    if (chunk_bytes > chunksim_link_chunk_bytes(link)) {
        return CHUNKSIM_E_MSGSIZE;
    }
    *out = (chunksim_link_result_t){.reconnect_us = CHUNKSIM_LINK_NEVER};
    link->last_unit_count = 0;
    link->last_cut = false;
    link->last_sent_bytes = 0;
    link_advance(link, now_us);
    if (!link->up) {
        result_disconnected(link, now_us, out);
        return 0;
    }
    bool sent = link->config.kind == CHUNKSIM_LINK_BLE
                    ? ble_send_fragments(link, now_us, chunk_bytes, out)
                    : send_unit(link, now_us, chunk_bytes, true, out);
    if (!sent) {
        return 0;
    }

    out->status = CHUNKSIM_LINK_SENT;
    link->stats.chunks++;
    link->stats.bytes += chunk_bytes;
    link->last_sent_bytes = chunk_bytes;
    link->last_sent_us = out->sent_us;
    if (!link->disconnect_after_fired &&
        link->stats.chunks == link->config.disconnect_after_chunks) {
        link->disconnect_after_fired = true;
        link_go_down(link, out->sent_us);
    }
    return 0;
}

/* ---- bound ---- */

double chunksim_link_bound_bytes_per_s(const chunksim_link_t *link)
{
    size_t chunk_bytes = chunksim_link_chunk_bytes(link);

    if (link->config.kind == CHUNKSIM_LINK_NETWORK) {
        uint64_t per_chunk_us = net_wire_us(link, chunk_bytes) + link->config.latency_us;
        return (double)chunk_bytes * US_PER_S / (double)per_chunk_us;
    }
    uint64_t exchange_us = ble_chunk_exchange_us(link, chunk_bytes);
    uint64_t interval_us = link->config.conn_interval_us;
    size_t packets = ble_packets(chunk_bytes);
    if (packets == 1) {
        /* Whole packets: an event never runs into the next one. */
        uint64_t fit = interval_us / exchange_us;
        uint64_t per_event =
            fit < link->config.packets_per_event ? fit : link->config.packets_per_event;
        return (double)(per_event * chunk_bytes) * US_PER_S / (double)interval_us;
    }
    /* A chunk may span events: its share of each event's packet and air budgets. */
    double by_packets = (double)link->config.packets_per_event / (double)packets;
    double by_air = (double)interval_us / (double)exchange_us;
    double per_event = by_packets < by_air ? by_packets : by_air;
    return per_event * (double)chunk_bytes * US_PER_S / (double)interval_us;
}

/* ---- busy time up to an instant ---- */

/* Air time of one attempt [start_us, start_us + air_us) at or after t_us. */
static uint64_t air_from(uint64_t start_us, uint64_t air_us, uint64_t t_us)
{
    if (t_us <= start_us) {
        return air_us;
    }
    return t_us - start_us < air_us ? air_us - (t_us - start_us) : 0;
}

/*
 * The last send's attempts laid out again as the send laid them out: each
 * unit (a BLE packet, a network chunk) from its first attempt's start, each
 * retry of it where retry_start_us() puts it. Every attempt before the last
 * went on air in full; the last is cut short when a disconnect cut it. Gives
 * the air time at or after t_us, and how many attempts (*started) and
 * retransmissions (*retried) had started before t_us. Only the last send can
 * reach past t_us: sends are serialized and callers ask no earlier than it
 * was offered.
 */
static uint64_t last_send_after(const chunksim_link_t *link, uint64_t t_us, uint32_t *started,
                                uint32_t *retried)
{
    uint64_t after_us = 0;
    *started = 0;
    *retried = 0;
    for (uint32_t u = 0; u < link->last_unit_count; u++) {
        uint64_t start_us = link->last_units[u].start_us;
        uint64_t unit_air_us = link->last_units[u].air_us;
        uint32_t attempts = link->last_units[u].attempts;
        for (uint32_t k = 0; k < attempts; k++) {
            bool cut = link->last_cut && u + 1 == link->last_unit_count && k + 1 == attempts;
            after_us += air_from(start_us, cut ? link->last_cut_air_us : unit_air_us, t_us);
            *started += start_us < t_us;
            *retried += k > 0 && start_us < t_us;
            start_us = retry_start_us(link, attempt_end_us(link, start_us, unit_air_us));
        }
    }
    return after_us;
}

uint64_t chunksim_link_busy_us_by(const chunksim_link_t *link, uint64_t t_us)
{
    uint32_t started, retried;
    return link->stats.busy_us - last_send_after(link, t_us, &started, &retried);
}

uint32_t chunksim_link_attempts_by(const chunksim_link_t *link, uint64_t t_us)
{
    uint32_t started, retried;
    (void)last_send_after(link, t_us, &started, &retried);
    return started;
}

uint32_t chunksim_link_retransmissions_by(const chunksim_link_t *link, uint64_t t_us)
{
    uint32_t started, retried;
    (void)last_send_after(link, t_us, &started, &retried);
    return retried;
}

void chunksim_link_power_cut(chunksim_link_t *link, uint64_t at_us, uint64_t up_at_us)
{
    link->stats.busy_us = chunksim_link_busy_us_by(link, at_us);
    if (link->last_sent_bytes > 0 && link->last_sent_us > at_us) {
        link->stats.chunks--;
        link->stats.bytes -= link->last_sent_bytes;
    }
    /* Taken out once: what busy_us_by() would subtract again is gone. */
    link->last_unit_count = 0;
    link->last_sent_bytes = 0;
    link->up = false;
    link->stats.disconnects++;
    link->up_at_us = up_at_us;
    link->event_open = false;
    link->free_us = at_us;
}
