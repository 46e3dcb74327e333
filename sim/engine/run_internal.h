/*
 * The state of one run, shared by the engine's files: run.c (setup, verdict,
 * teardown), app.c (the application loop that drives the firmware), board.c
 * (the simulated board: flash operations on the scheduler).
 */
#ifndef CHUNKSIM_RUN_INTERNAL_H
#define CHUNKSIM_RUN_INTERNAL_H

#include "chunksim/decoder.h"
#include "chunksim/flashmap.h"
#include "chunksim/link.h"
#include "chunksim/monitor.h"
#include "chunksim/reader.h"
#include "chunksim/rng.h"
#include "chunksim/run.h"
#include "chunksim/sched.h"

#include "chunkcore/coredump.h"
#include "chunkcore/rle.h"
#include "chunkcore/packetizer.h"
#include "flashmodel/flashmodel.h"

#include <uv.h>

/* One asynchronous flash operation the board started for the reader. */
typedef struct run_flash_op {
    struct run *run;
    flashmodel_op_t op;
    chunksim_work_t work;
    uint32_t op_id; /* the reader's id, reported back with the completion */
    uint8_t *dst;   /* reader RAM for a read */
    uint8_t *src;   /* a program's data: the board's copy, freed at teardown */
    /* A range erase goes one unit after the other: [erase_next, erase_end) is still to go. */
    uint32_t erase_next, erase_end;
    uint64_t seq;   /* flash_ops.seq */
    bool cancelled; /* abandoned by the reader: nothing lands, nothing is reported */
    bool applied;   /* its effects are in the array (a blocking op behind it needed them) */
    bool recorded;
    struct run_flash_op *next;
} run_flash_op_t;

enum run_app_state {
    RUN_APP_IDLE,       /* a step is scheduled */
    RUN_APP_WAIT_FLASH, /* prepare said wait */
    RUN_APP_WAIT_LINK,  /* a chunk is on the air */
    RUN_APP_DONE
};

typedef struct run {
    const chunksim_scenario_t *sc;
    const chunksim_run_options_t *opts;
    chunksim_run_result_t *res;

    uv_loop_t loop;
    chunksim_sched_t sched;
    chunksim_flashmap_t fmap;
    flashmodel_t flash;
    chunksim_link_t link;
    chunksim_rng_t link_rng;
    /* The same link without loss or disconnects, every delivered chunk
     * offered at time 0: how soon the link alone could have carried them. */
    chunksim_link_t ideal_link;
    uint64_t ideal_link_us;
    chunksim_monitor_t mon;
    chunksim_board_t board;
    chunksim_reader_t reader;
    chunkcore_coredump_t coredump;
    chunkcore_source_t spy; /* between the packetizer (or the RLE source) and the coredump source */
    const chunkcore_source_t *source;
    /* Between the coredump source and the reader: the header peek's read
     * result, which the source itself turns into "no coredump" on failure. */
    chunkcore_storage_port_t storage_spy;
    bool in_peek;
    int peek_read_rc;
    /* coredump.rle: the RLE source over the spy, and a second spy between it
     * and the packetizer that tells the monitor how far the encoded message went. */
    chunkcore_rle_t rle;
    chunkcore_source_t rle_spy;
    uint32_t rle_encoded_bytes;
    int rle_board_init; /* what chunkcore_rle_init() answers a board with this reader */
    chunkcore_packetizer_config_t pcfg;
    chunkcore_packetizer_t pkt;
    /* What the application calls: chunksim's packetizer above, or the firmware's own. */
    chunksim_packetizer_t packetizer;
    bool firmware_packetizer;
    chunksim_decoder_t dec;

    uint8_t *image;
    uint32_t image_bytes;
    uint32_t storage_base; /* flash address of storage offset 0 */
    uint64_t image_seed;
    bool disconnect_fired; /* link.disconnect_after_chunk happened */
    bool power_cut_armed;  /* run.power_loss_stops: the stop at the cut is scheduled */
    chunksim_event_t power_cut_ev;

    /* run.power_cuts (reboot.c): the boots of the device. */
    uint32_t boot;         /* 0: the first */
    uint64_t boot_ops;     /* flash operations this boot began, of the kind power_cuts_on counts */
    bool cut_armed;        /* the flash cuts the next op it accepts */
    uint64_t cut_index;    /* the counted operation armed or cut */
    uint64_t cut_op_seq;   /* flash_ops.seq of the op the next cut interrupts */
    uint64_t last_cut_seq; /* and of the last one that came */
    uint32_t cuts_done;
    uint32_t lost_at_boot; /* 1-based cut after which the header was gone, undelivered; 0: none */
    char cut_op_text[80];  /* the interrupted op */
    char cuts_text[160];   /* every cut so far */
    chunksim_event_t cut_ev, boot_ev;

    /* Application loop. */
    enum run_app_state state;
    chunksim_event_t step_ev;
    chunksim_event_t link_ev;
    chunksim_event_t timeout_ev;
    uint8_t *chunk_buf;
    size_t chunk_room;
    size_t chunk_len;
    bool chunk_final;
    bool chunk_on_air; /* handed to the link, its "sent" callback not yet run */
    uint64_t chunk_made_us;
    chunksim_link_result_t link_res;
    uint32_t consecutive_failures;
    /* A prepare said wait and no completion (or cancel) has come since: until
     * one does, the application neither prepares again nor gets a chunk. */
    bool flash_wait;
    bool livelocked;            /* the monitor saw no progress: the next step ends the run */
    uint64_t board_ops_in_call; /* board operations asked for since the last call began */
    char stuck[160];            /* why board.stuck says the call in progress loops */
    bool in_call;
    uint64_t stall_us; /* CPU time a synchronous flash access took inside the current call */

    run_flash_op_t *ops; /* every async op, for teardown */
    /* board.mapped: the partition as memory-mapped, kept equal to the flash
     * after every program and erase; NULL when it could not be mapped. */
    uint8_t *view;
    size_t view_bytes;    /* whole pages */
    bool view_guarded;    /* unreadable while a program or erase is in flight */
    uint32_t view_writes; /* async programs and erases accepted, not yet applied */
    uint64_t call_seq, flash_seq, chunk_seq;
    bool delivered_ok;
    bool delivered_bad_crc;
    bool delivered_silent_corrupt;
    uint64_t last_delivery_us;
    /* The drain's end when delivered_ok: the ack of the chunk that completed
     * the first intact copy, and the link's figures at that instant. */
    struct {
        uint64_t at_us;
        uint64_t link_busy_us;
        uint64_t ideal_link_us;
    } delivered;
    bool setup_failed;
    bool finished;
    const char *unseen;       /* the packetizer's reads were out of the monitor's sight (run.h) */
    bool record_failure_told; /* the result says the record lost rows */
} run_t;

/* board.c */
void chunksim__run_board_init(run_t *run);
void chunksim__run_board_teardown(run_t *run);
void chunksim__run_board_record_pending(run_t *run);
void chunksim__run_board_settle(run_t *run);
/* Time in [0, end_us) during which the flash was executing at least one operation. */
uint64_t chunksim__run_board_busy_us(const run_t *run, uint64_t end_us);
/* run.power_loss_stops: schedules the stop at the earliest power_loss at_us rule. */
void chunksim__run_board_arm_timed_cuts(run_t *run);
/* Record a flash op row now (also for ops that never complete). */
void chunksim__run_board_record_op(run_t *run, const flashmodel_op_t *op, uint64_t seq,
                                   const char *note);

/* The device lost power at a reboot cut: ops due complete, the rest end with the cut and
 * reach nobody. */
void chunksim__run_board_power_off(run_t *run);

/* reboot.c */
/* Before a flash op's begin: counts it for this boot and arms the flash's cut on it. */
void chunksim__run_reboot_count_op(run_t *run, flashmodel_op_kind_t kind);
/* After an accepted begin: schedules the reboot when this op took its cut (true). */
bool chunksim__run_reboot_op_begun(run_t *run, const flashmodel_op_t *op, uint64_t seq);
/* The boots and cuts for the reason ("" without run.power_cuts); its length. */
size_t chunksim__run_reboot_text(const run_t *run, char *buf, size_t len);
/* params run.boots and run.power_cuts_done, for a run with run.power_cuts. */
void chunksim__run_reboot_record_params(run_t *run);

/* app.c */
/* A reboot cut: the application stops, its chunk on the air is not delivered. */
void chunksim__run_app_power_off(run_t *run);
/* A boot: the application starts again. */
void chunksim__run_app_boot(run_t *run);
void chunksim__run_app_start(run_t *run);
void chunksim__run_app_flash_completed(run_t *run);
/* Ends the run: no more steps; the scheduler is closed. */
void chunksim__run_app_finish(run_t *run, const char *reason);
/* After the end: the chunk the link was still carrying gets its row, never delivered. */
void chunksim__run_app_record_on_air(run_t *run);

/* run.c */
/* (Re)initializes reader, coredump source and packetizer, as at power-on. 0 or the error. */
int chunksim__run_boot_firmware(run_t *run);
/* The stored header is the image's (magic, version, size). */
bool chunksim__run_coredump_still_stored(const run_t *run);
uint64_t chunksim__run_now(const run_t *run);
/* A recorder call's result: 1 for a row written, else 0 and the first failure kept. */
int chunksim__run_recorded(run_t *run, int rec_rc);
/* The link acknowledged the current chunk: the bound's link side takes it too. */
void chunksim__run_chunk_delivered(run_t *run);
void chunksim__run_record_call(run_t *run, uint64_t seq, const char *kind, int64_t arg, int result,
                               const char *detail);

#endif
