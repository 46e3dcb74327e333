/*
 * One run: a scenario, a seed and a reader, driven to the end on one libuv
 * loop (docs/design.md, "One run, as data flows"), checked by the invariant
 * monitor, verified by decoding what the link delivered, and recorded.
 */
#ifndef CHUNKSIM_RUN_H
#define CHUNKSIM_RUN_H

#include "chunksim/outcome.h"
#include "chunksim/reader.h"
#include "chunksim/recorder.h"
#include "chunksim/scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>

/*
 * The timing figures share one interval, the drain: from the first call
 * (time 0) to the ack of the chunk that completed the first intact copy of
 * the coredump, or to the instant the run stopped when none did. Work after
 * it (the clearing erase that outlasts the last ack, a copy sent again, a
 * chunk or a read still going when power was cut) is not counted, so
 * 0 <= flash_busy_us, link_busy_us, bound_us <= drain_us and
 * 0 <= efficiency <= 1 (docs/schema.md, runs).
 */
typedef struct chunksim_metrics {
    uint64_t drain_us;      /* the drain's length */
    uint64_t message_bytes; /* coredump message bytes delivered intact */
    uint64_t chunks;        /* chunks produced */
    uint64_t wire_bytes;    /* chunk bytes produced */
    uint64_t flash_busy_us; /* in the drain, the flash executing at least one operation */
    uint64_t link_busy_us;  /* in the drain, the link on air (BLE) or on the wire (network) */
    /* The larger of the flash's busy time and the time the link, without loss,
     * takes to carry the chunks it delivered in the drain back to back from
     * time 0: no reader can drain faster. */
    uint64_t bound_us;
    double efficiency;  /* bound / drain when delivered intact, else 0 */
    double bytes_per_s; /* message_bytes / drain when delivered intact, else 0 */
    uint64_t waits;     /* prepares that answered "wait" */
    uint64_t refills;   /* window loads */
    uint64_t retries;   /* prepares repeated after an error or a timeout */
    uint64_t faults_injected;
    uint64_t violations;
    uint64_t flash_ops;
    uint64_t rows; /* rows recorded */
} chunksim_metrics_t;

typedef struct chunksim_run_result {
    chunksim_outcome_t outcome;
    bool safety_ok;   /* nothing wrong accepted, nothing silently lost */
    bool liveness_ok; /* the delivery finished */
    bool passed;      /* outcome == the scenario's expect (or ok when it gives none) */
    char reason[256];
    char first_violation[256];
    int64_t run_id; /* 0 when not recorded */
    /* The first recorder failure ("" when recorded in full, or not recording).
     * Such a run ends as an error whatever the simulation concluded: its
     * record is not the run (reason says what the simulation concluded). */
    char record_error[256];
    uint64_t seed;
    double wall_ms;
    chunksim_metrics_t m;
    /* The device's boots (1 without run.power_cuts), and the flash
     * operations the last one began, of the kind run.power_cuts_on counts:
     * the cut points a further cut can choose from. */
    uint32_t boots;
    uint64_t last_boot_ops;
} chunksim_run_result_t;

/*
 * A packetizer that is not chunksim's: the firmware's own, loaded with its
 * glue (chunksim/firmware.h). The engine drives it as the application would
 * and builds no coredump source of its own; the packetizer reports what its
 * coredump source does through the observer it is created with, so the
 * monitor judges it exactly as it judges chunksim's packetizer.
 */
typedef struct chunksim_source_observer {
    void *ctx;
    /* The header peek: 1 found (payload_bytes announced), 0 none, < 0 its read failed. */
    void (*peek)(void *ctx, int result, uint32_t payload_bytes);
    /* A payload read: result 0 with the bytes served, or a negative code. */
    void (*read)(void *ctx, uint32_t offset, size_t len, const uint8_t *bytes, int result);
    /* The packetizer deletes the coredump (before the platform's clear runs). */
    void (*clear)(void *ctx);
    /* Run-length encoding: the encoded message has been handed out up to end of total. */
    void (*encoded)(void *ctx, uint32_t end, uint32_t total);
} chunksim_source_observer_t;

typedef struct chunksim_packetizer {
    void *self;
    bool rle; /* it sends the coredump run-length encoded (the monitor judges it so) */
    /* CHUNKCORE_OK with *len bytes, CHUNKCORE_E_NODATA, or another negative code. */
    int (*get_chunk)(void *self, void *buf, size_t *len);
    /* Whether the chunk the last get_chunk made completed its message. */
    bool (*last_chunk_final)(void *self);
    /* NULL, or (after a get_chunk) why the observer could not see what the
     * packetizer read: the run then ends as an error, never judged blind. */
    const char *(*unseen)(void *self);
    void (*abort)(void *self);
    void (*destroy)(void *self);
} chunksim_packetizer_t;

/* Negative with the reason in why when the scenario asks what this packetizer cannot do. */
typedef int (*chunksim_packetizer_create_fn)(chunksim_packetizer_t *out,
                                             const chunksim_source_observer_t *obs,
                                             const chunksim_scenario_t *sc, char *why,
                                             size_t whylen);

typedef struct chunksim_run_options {
    chunksim_rec_t *rec; /* NULL: not recorded */
    bool record_rows;    /* calls, flash ops, chunks (false: runs row only) */
    bool no_image;       /* the runs row without its coredump image (images, image_id) */
    /* A reader not among the built-ins (tests' broken readers, user glue). */
    chunksim_reader_create_fn reader_create;
    const char *reader_name;
    /* The firmware's own packetizer; NULL: chunksim's (core/). */
    chunksim_packetizer_create_fn packetizer_create;
    FILE *log; /* progress and diagnostics; NULL: quiet */
    /* Set from a signal handler to end the run early: it ends incomplete,
     * with everything recorded so far committed. NULL: never. */
    volatile sig_atomic_t *stop;
    /* The matrix case this run is, recorded with it (runs.case_*); NULL: none. */
    const char *case_id;
    const char *case_file;
    const char *case_cell;
} chunksim_run_options_t;

/*
 * Runs sc with its own seed and mode. Returns 0 (see res->outcome) or a negative setup error,
 * a code of chunksim/error.h (chunksim_strerror() names it; res->reason says more).
 */
int chunksim_run(const chunksim_scenario_t *sc, const chunksim_run_options_t *opts,
                 chunksim_run_result_t *res);

#endif
