/*
 * chunksim_link: the transport between the device and its peer.
 *
 * Pure logic on times and a random stream it is given: no libuv, no clock of
 * its own. The application offers one chunk at a time with
 * chunksim_link_send(now_us, ...); the link answers when that chunk will have
 * been delivered (or that it was not), and the caller schedules its "sent"
 * callback for then. Sends are serialized: a chunk never starts before the
 * previous one has finished.
 *
 * BLE (defaults from common practice): one chunk is one GATT notification of
 * at most ATT_MTU - 3 bytes, and at most 512 (the longest attribute value,
 * Core spec Vol 3 Part F 3.2.9). The ATT opcode and handle (3 bytes) and the
 * L2CAP header (4 bytes) make it an L2CAP PDU of chunk + 7 bytes, carried in
 * link-layer packets of at most 251 payload bytes (data length extension is
 * assumed whenever the MTU needs it): ATT_MTU 23 gives the classic 27-byte
 * packet, 247 the 251-byte maximum, and a larger MTU (up to 517) fragments
 * the PDU, 512 bytes into packets of 251, 251 and 17. Each packet counts
 * against packets_per_event and may be lost on its own. A packet takes
 *     (preamble + access address 4 + header 2 + payload + MIC 4 + CRC 3) * 8
 *     / PHY rate
 * on air, plus 150 us inter-frame space and the peer's empty ack (preamble +
 * 4 + 2 + 3 bytes, no MIC: 80 us on 1M). The preamble is 1 byte on the 1M PHY
 * and 2 bytes on the 2M PHY (Core spec, Vol 6, Part B, 2.1), so 2M slightly
 * more than halves the time. Packets go out in connection events, one every
 * conn_interval_us from the connection's start, each carrying at most
 * packets_per_event packets and never running into the next event.
 *
 * A chunk starts at the next connection event at or after max(now, the end of
 * the previous chunk), except that it continues the current event when it is
 * offered no later than the previous chunk's ack (the stack still had data
 * queued: the more-data bit) and the event has room. An application that
 * answers "sent" at once therefore fills every event; one that first waits
 * for a flash read lets the event close and loses the rest of the interval,
 * as on a real link.
 *
 * Loss: each packet is lost with probability loss_rate, drawn from the rng;
 * a lost packet ends its connection event and is retransmitted in the next.
 * The fragments of one notification are all in the controller once it is
 * offered, so they follow each other like packets with the more-data bit set.
 *
 * NETWORK (Wi-Fi, cellular, UART): one chunk of up to chunk_bytes per
 * exchange, taking chunk / bandwidth on the wire plus latency_us until it is
 * acknowledged; stop-and-wait, so the next chunk starts after that. A lost
 * chunk is sent again after the same time (the ack never came).
 *
 * Disconnect (both kinds): at disconnect_at_us, or when chunk number
 * disconnect_after_chunks has been delivered; each trigger fires once. A
 * chunk on air at that moment is not delivered. The link comes back
 * reconnect_delay_us later (or never), and a new connection's events start
 * at that instant. While it is down, chunksim_link_send() reports
 * DISCONNECTED at once with the reconnect time; the application decides
 * whether to wait and resend.
 *
 * Errors are chunksim codes (chunksim/error.h): CHUNKSIM_E_INVAL and
 * CHUNKSIM_E_MSGSIZE.
 */
#ifndef CHUNKSIM_LINK_H
#define CHUNKSIM_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunksim/error.h"
#include "chunksim/rng.h"

/* "no such time": no disconnect, or no reconnect. */
#define CHUNKSIM_LINK_NEVER UINT64_MAX

#define CHUNKSIM_LINK_BLE_MTU_MIN          23
#define CHUNKSIM_LINK_BLE_MTU_MAX          517 /* Core spec Vol 3 Part F 3.2.8 */
#define CHUNKSIM_LINK_BLE_INTERVAL_MIN_US  7500
#define CHUNKSIM_LINK_BLE_INTERVAL_MAX_US  4000000
#define CHUNKSIM_LINK_BLE_INTERVAL_STEP_US 1250
/* The longest attribute value, so the most one notification carries. */
#define CHUNKSIM_LINK_BLE_VALUE_MAX_BYTES 512
/* Link-layer payload with data length extension: a longer L2CAP PDU is fragmented. */
#define CHUNKSIM_LINK_BLE_LL_PAYLOAD_MAX_BYTES 251
/* Link-layer packets of the longest notification: 512 + 7 bytes in packets of 251. */
#define CHUNKSIM_LINK_BLE_PACKETS_MAX 3
/* Phones grant 1 to about 10; beyond this the interval is the limit anyway. */
#define CHUNKSIM_LINK_BLE_PPE_MAX 64
/* ATT notification header (opcode, handle) + L2CAP header, per packet. */
#define CHUNKSIM_LINK_BLE_NOTIFY_OVERHEAD_BYTES 7
#define CHUNKSIM_LINK_BLE_IFS_US                150
/* Far above any transport's frame; catches a unit slip (bits, KiB). */
#define CHUNKSIM_LINK_NETWORK_CHUNK_MAX (1024u * 1024u)

typedef enum chunksim_link_kind {
    CHUNKSIM_LINK_BLE = 0,
    CHUNKSIM_LINK_NETWORK = 1,
} chunksim_link_kind_t;

typedef enum chunksim_link_phy {
    CHUNKSIM_LINK_PHY_1M = 1,
    CHUNKSIM_LINK_PHY_2M = 2,
} chunksim_link_phy_t;

typedef struct chunksim_link_config {
    chunksim_link_kind_t kind;
    /* BLE */
    uint32_t att_mtu;           /* 23..517; default 23 */
    uint32_t conn_interval_us;  /* 7500..4000000, multiple of 1250; default 30000 */
    uint32_t packets_per_event; /* link-layer packets, 1..64; default 4 */
    chunksim_link_phy_t phy;    /* default 1M */
    /* NETWORK: 1..1 MiB, default 1024. BLE: 0 (default) for a whole notification,
     * or a smaller buffer a firmware gives get-chunk (at most the notification). */
    uint32_t chunk_bytes;
    /* NETWORK */
    uint64_t bandwidth_bytes_per_s; /* > 0; default 125000 (1 Mbit/s) */
    uint64_t latency_us;            /* per chunk, until acknowledged; default 20000 */
    /* both */
    double loss_rate;                 /* per packet (BLE) or chunk, [0, 1); default 0 */
    uint64_t disconnect_at_us;        /* CHUNKSIM_LINK_NEVER (default) for none */
    uint64_t disconnect_after_chunks; /* 0 (default) for none */
    uint64_t reconnect_delay_us;      /* CHUNKSIM_LINK_NEVER (default): stays down */
} chunksim_link_config_t;

typedef enum chunksim_link_status {
    CHUNKSIM_LINK_SENT = 0,         /* delivered and acknowledged */
    CHUNKSIM_LINK_DISCONNECTED = 1, /* not delivered: the link is or went down */
} chunksim_link_status_t;

typedef struct chunksim_link_result {
    chunksim_link_status_t status;
    uint64_t start_us;        /* the first attempt went on air (or = sent_us if none did) */
    uint64_t sent_us;         /* SENT: last packet acked; DISCONNECTED: failure known */
    uint64_t air_us;          /* link busy time spent on this chunk, retries included */
    uint32_t retransmissions; /* attempts after the first */
    uint64_t reconnect_us;    /* DISCONNECTED: when the link is back, or NEVER */
} chunksim_link_result_t;

/* Read-only counters, for metrics and tests. */
typedef struct chunksim_link_stats {
    uint64_t chunks;          /* delivered */
    uint64_t bytes;           /* delivered chunk bytes */
    uint64_t busy_us;         /* air (BLE) or wire (NETWORK) time, lost attempts included */
    uint64_t losses;          /* packets or chunks lost */
    uint64_t retransmissions; /* attempts after a loss */
    uint64_t disconnects;
} chunksim_link_stats_t;

/* Caller-owned; fields are private except data and stats. */
typedef struct chunksim_link {
    void *data; /* the caller's */
    chunksim_link_stats_t stats;
    /* private */
    chunksim_link_config_t config;
    chunksim_rng_t *rng;
    bool up;
    bool disconnect_at_fired;
    bool disconnect_after_fired;
    uint64_t up_at_us;        /* while down: when it comes back */
    uint64_t anchor0_us;      /* the connection's first event */
    uint64_t event_anchor_us; /* the event last used */
    uint32_t event_packets;   /* packets sent in it */
    bool event_open;          /* it may take another packet */
    uint64_t free_us;         /* the previous chunk's end */
    /* The last send's attempts, for chunksim_link_busy_us_by(), unit by unit
     * (a BLE link-layer packet, a network chunk): the first attempt's start,
     * each attempt's air time, how many went on air. */
    struct {
        uint64_t start_us;
        uint64_t air_us;
        uint32_t attempts;
    } last_units[CHUNKSIM_LINK_BLE_PACKETS_MAX];
    uint32_t last_unit_count; /* 0: the link was down, nothing went on air */
    uint64_t last_cut_air_us; /* the last attempt's, when a disconnect cut it */
    bool last_cut;
    /* The last send, when it was delivered: its size and its ack, so that a
     * power cut before the ack can take it back (chunksim_link_power_cut). */
    size_t last_sent_bytes;
    uint64_t last_sent_us;
} chunksim_link_t;

/* Fills cfg with the defaults of kind (see the field comments). */
void chunksim_link_config_default(chunksim_link_config_t *cfg, chunksim_link_kind_t kind);

/*
 * Returns 0 if cfg is usable, else CHUNKSIM_E_INVAL with *why (if why is not NULL)
 * set to a static sentence naming the field and its allowed range. Fields of
 * the other kind are not checked.
 */
int chunksim_link_config_validate(const chunksim_link_config_t *cfg, const char **why);

/*
 * Validates and copies config; the link is up at time 0 with its first
 * connection event then. rng is borrowed and must outlive the link; it is
 * drawn from only when loss_rate > 0, once per attempt. Returns 0 or the
 * validation error (*why as above).
 */
int chunksim_link_init(chunksim_link_t *link, const chunksim_link_config_t *config,
                       chunksim_rng_t *rng, const char **why);

/* The chunk size the application should offer: chunk_bytes, or for BLE with
 * chunk_bytes 0 the most a notification carries (chunksim_link_ble_notify_max_bytes). */
size_t chunksim_link_chunk_bytes(const chunksim_link_t *link);

/* The most one notification carries at this ATT_MTU: ATT_MTU - 3, at most 512. */
uint32_t chunksim_link_ble_notify_max_bytes(uint32_t att_mtu);

/*
 * Sends one chunk of chunk_bytes offered at now_us; fills *out. Returns 0
 * (whether SENT or DISCONNECTED), CHUNKSIM_E_INVAL for an empty chunk, or
 * CHUNKSIM_E_MSGSIZE for one larger than chunksim_link_chunk_bytes().
 */
int chunksim_link_send(chunksim_link_t *link, uint64_t now_us, size_t chunk_bytes,
                       chunksim_link_result_t *out);

/*
 * The device lost power at at_us (a reboot, docs/design.md "Power loss and
 * reboot"): the connection drops then, whatever the scenario's disconnects
 * say. A chunk on the air is not delivered: the air time of the last send
 * after at_us leaves busy_us, and if its ack was due after at_us it leaves
 * chunks and bytes too. The peer sees the rebooted device again at
 * up_at_us (or never: CHUNKSIM_LINK_NEVER), with a new connection's events
 * from then. Counts a disconnect. at_us must not be earlier than the last
 * send's now_us.
 */
void chunksim_link_power_cut(chunksim_link_t *link, uint64_t at_us, uint64_t up_at_us);

/* now_us if the link is up then, else when it comes back (or NEVER).
 * Applies the disconnects and reconnects due by now_us. */
uint64_t chunksim_link_up_at_us(chunksim_link_t *link, uint64_t now_us);

/*
 * stats.busy_us as it stood at t_us: the air time of the last send that
 * falls at or after t_us is left out (a chunk still on the air when a run
 * stops counts up to that instant). t_us must not be earlier than the last
 * send's now_us; every earlier send counts in full.
 */
uint64_t chunksim_link_busy_us_by(const chunksim_link_t *link, uint64_t t_us);

/* Attempts of the last send that had gone on the air before t_us (same
 * condition on t_us): what a chunk cut short by the end of a run used. With
 * BLE every link-layer packet's attempt counts, so a notification above MTU
 * 247 takes several without a loss. */
uint32_t chunksim_link_attempts_by(const chunksim_link_t *link, uint64_t t_us);

/* Of those, the retransmissions: the attempts after each unit's (packet's,
 * chunk's) first, as chunksim_link_result_t counts them. */
uint32_t chunksim_link_retransmissions_by(const chunksim_link_t *link, uint64_t t_us);

/*
 * The best sustained throughput of full-size chunks without loss, for
 * "efficiency against the bound": BLE, the chunks whose packets fit in one
 * event (by packets_per_event and by air time) per interval, counted in
 * fractions of a chunk when a chunk takes several packets (it may span
 * events); NETWORK, chunk_bytes per exchange.
 */
double chunksim_link_bound_bytes_per_s(const chunksim_link_t *link);

/* On-air time of one BLE data packet with ll_payload_bytes of payload. */
uint64_t chunksim_link_ble_packet_us(chunksim_link_phy_t phy, size_t ll_payload_bytes);

/* One packet's share of a connection event: the packet, one inter-frame
 * space and the peer's empty ack. */
uint64_t chunksim_link_ble_exchange_us(chunksim_link_phy_t phy, size_t ll_payload_bytes);

#endif
