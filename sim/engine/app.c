/*
 * The application loop, as a board's firmware runs it: prepare the next
 * chunk, wait for the flash if told to, get the chunk, hand it to the link,
 * and go again when the link says it is sent. Every call into the firmware
 * is bracketed for the monitor and recorded.
 */
#include "run_internal.h"

#include "chunkcore/error.h"

#include <stdio.h>
#include <string.h>

static void app_step_cb(chunksim_event_t *ev);

static void app_schedule_step(run_t *run, uint64_t delay_us)
{
    if (run->finished) {
        return;
    }
    run->state = RUN_APP_IDLE;
    (void)chunksim_sched_cancel(&run->sched, &run->step_ev);
    run->step_ev.data = run;
    (void)chunksim_sched_at(&run->sched, &run->step_ev, delay_us, app_step_cb, run);
}

static uint64_t app_call_begin(run_t *run, chunksim_call_kind_t kind, uint32_t arg)
{
    uint64_t seq = ++run->call_seq;
    run->stall_us = 0;
    run->board_ops_in_call = 0;
    run->in_call = true;
    chunksim_monitor_set_time(&run->mon, chunksim__run_now(run));
    chunksim_monitor_call_begin(&run->mon, seq, kind, arg);
    return seq;
}

static void app_call_end(run_t *run, uint64_t seq, const char *kind, int64_t arg, int rc,
                         const char *detail)
{
    run->in_call = false;
    chunksim_monitor_call_end(&run->mon, rc);
    chunksim__run_record_call(run, seq, kind, arg, rc, detail);
}

void chunksim__run_app_finish(run_t *run, const char *reason)
{
    if (run->finished) {
        return;
    }
    run->finished = true;
    run->state = RUN_APP_DONE;
    if (reason != NULL && run->res->reason[0] == '\0') {
        snprintf(run->res->reason, sizeof(run->res->reason), "%s", reason);
    }
    chunksim_sched_close(&run->sched, NULL);
}

/*
 * The application stops on its own (nothing to send, retries used up, the
 * link gone for good) unless a run.power_cuts cut falls first: a
 * synchronous access it interrupted ran the call's clock past the cut, and
 * a device without power decides nothing. The cut's event then reboots it.
 */
static void app_stop(run_t *run, const char *reason)
{
    if (!chunksim_sched_is_pending(&run->sched, &run->cut_ev)) {
        chunksim__run_app_finish(run, reason);
    }
}

/* A prepare or get-chunk failed: retry the same step, up to max_retries in a row. */
static void app_failure(run_t *run, const char *what, int rc)
{
    run->res->m.retries++;
    if (++run->consecutive_failures > run->sc->reader.max_retries) {
        char why[200];
        snprintf(why, sizeof(why), "%s failed %u times in a row, last with %s", what,
                 run->consecutive_failures, chunkcore_errname(rc));
        app_stop(run, why);
        return;
    }
    /* A synchronous access that failed still held the CPU for its time. */
    app_schedule_step(run, run->stall_us);
}

static void app_timeout_cb(chunksim_event_t *ev)
{
    run_t *run = ev->data;
    if (run->finished || run->state != RUN_APP_WAIT_FLASH) {
        return;
    }
    uint64_t seq = app_call_begin(run, CHUNKSIM_CALL_CANCEL, 0);
    run->reader.cancel(run->reader.self);
    run->flash_wait = false; /* abandoned: no completion will come for it */
    app_call_end(run, seq, "cancel", CHUNKSIM_REC_ARG_NONE, 0, "completion overdue");
    app_failure(run, "flash operation (timed out)", CHUNKCORE_E_BUSY);
}

static void app_wait_flash(run_t *run)
{
    run->state = RUN_APP_WAIT_FLASH;
    run->res->m.waits++;
    if (run->sc->reader.read_timeout_us > 0) {
        (void)chunksim_sched_cancel(&run->sched, &run->timeout_ev);
        run->timeout_ev.data = run;
        (void)chunksim_sched_at(&run->sched, &run->timeout_ev, run->sc->reader.read_timeout_us,
                                app_timeout_cb, run);
    }
}

/*
 * The monitor counts calls without progress (no_progress); once it has
 * reported them, nothing the loop does next can change that, so it stops
 * here instead of spinning on until a watchdog. A loop inside one call
 * cannot be stopped from here: only the glue timeout ends it.
 */
static bool app_livelocked(run_t *run)
{
    if (run->livelocked) {
        chunksim__run_app_finish(run, "stopped: no progress");
    }
    return run->livelocked;
}

/*
 * Any completion ends the wait, as the semaphore a board's completion gives
 * would: the reader has seen it, and the next prepare says whether there is
 * more to wait for. One that arrives while the link sends (the early
 * prepare's load) ends it before the next step, which then prepares.
 */
void chunksim__run_app_flash_completed(run_t *run)
{
    run->flash_wait = false;
    if (app_livelocked(run) || run->state != RUN_APP_WAIT_FLASH) {
        return;
    }
    (void)chunksim_sched_cancel(&run->sched, &run->timeout_ev);
    app_schedule_step(run, 0);
}

static void app_abort(run_t *run, const char *why)
{
    uint64_t seq = app_call_begin(run, CHUNKSIM_CALL_ABORT, 0);
    run->packetizer.abort(run->packetizer.self);
    run->reader.rewind(run->reader.self);
    chunksim_monitor_restart(&run->mon);
    app_call_end(run, seq, "abort", CHUNKSIM_REC_ARG_NONE, 0, why);
}

static void app_record_chunk(run_t *run, uint64_t seq, uint64_t made_us,
                             const chunksim_link_result_t *lr)
{
    if (run->opts->rec == NULL || !run->opts->record_rows) {
        return;
    }
    /* Indexed by cont, more, last: one row per chunk, so no formatting per row. */
    static const char *const flag_names[8] = {"init", "init|last", "init|more", "init|more|last",
                                              "cont", "cont|last", "cont|more", "cont|more|last"};
    uint8_t h = run->chunk_buf[0];
    unsigned flag_bits =
        ((h & 0x80u) ? 4u : 0u) | ((h & 0x40u) ? 2u : 0u) | (run->chunk_final ? 1u : 0u);
    bool sent = lr->status == CHUNKSIM_LINK_SENT;
    const chunksim_rec_chunk_t row = {
        .seq = seq,
        .t_us = made_us,
        .sent_us = sent ? lr->sent_us : CHUNKSIM_REC_TIME_NONE,
        .header = h,
        .flags = flag_names[flag_bits],
        .delivered = sent,
        .retransmissions = lr->retransmissions,
        .data = run->chunk_buf,
        .len = run->chunk_len,
    };
    run->res->m.rows += chunksim__run_recorded(run, chunksim_rec_chunk(run->opts->rec, &row));
}

/*
 * The run stopped (power cut, time limit) while the link carried a chunk: it
 * counts among the chunks produced, so it has its row, never delivered, with
 * the resends that had gone on the air by then.
 */
void chunksim__run_app_record_on_air(run_t *run)
{
    if (!run->chunk_on_air) {
        return;
    }
    run->chunk_on_air = false;
    chunksim_link_result_t lr = {.status = CHUNKSIM_LINK_DISCONNECTED};
    if (run->link_res.status == CHUNKSIM_LINK_SENT) {
        /* Per packet: a notification above MTU 247 takes several without a resend. */
        lr.retransmissions = chunksim_link_retransmissions_by(&run->link, chunksim__run_now(run));
    }
    app_record_chunk(run, run->chunk_seq, run->chunk_made_us, &lr);
}

static void app_link_done_cb(chunksim_event_t *ev)
{
    run_t *run = ev->data;
    uint64_t seq = run->chunk_seq;
    run->chunk_on_air = false;
    app_record_chunk(run, seq, run->chunk_made_us, &run->link_res);
    if (run->link_res.status != CHUNKSIM_LINK_SENT) {
        app_abort(run, "link disconnected: the chunk was not delivered");
        if (run->link_res.reconnect_us == CHUNKSIM_LINK_NEVER) {
            app_stop(run, "the link went down and never came back");
            return;
        }
        uint64_t now = chunksim__run_now(run);
        app_schedule_step(run,
                          run->link_res.reconnect_us > now ? run->link_res.reconnect_us - now : 0);
        return;
    }
    run->last_delivery_us = run->link_res.sent_us;
    chunksim__run_chunk_delivered(run);
    (void)chunksim_decoder_feed(&run->dec, seq, run->chunk_buf, run->chunk_len);
    if (run->chunk_final && run->sc->reader.clear_policy == CHUNKSIM_CLEAR_ON_CONFIRM) {
        uint64_t cseq = app_call_begin(run, CHUNKSIM_CALL_CONFIRM, 0);
        int rc = chunkcore_packetizer_confirm(&run->pkt);
        app_call_end(run, cseq, "confirm", CHUNKSIM_REC_ARG_NONE, rc, NULL);
        /* A synchronous clear inside confirm kept the CPU busy for the erase. */
        app_schedule_step(run, run->stall_us);
        return;
    }
    app_schedule_step(run, 0);
}

/* One prepare call for the chunk size the link takes; detail NULL: the error's name. */
static int app_prepare(run_t *run, const char *detail)
{
    uint64_t seq = app_call_begin(run, CHUNKSIM_CALL_PREPARE, (uint32_t)run->chunk_room);
    int rc = run->reader.prepare(run->reader.self, run->chunk_room);
    if (rc == CHUNKCORE_ASYNC_WAIT) {
        run->flash_wait = true;
    }
    if (detail == NULL && rc < 0) {
        detail = chunkcore_errname(rc);
    }
    app_call_end(run, seq, "prepare", (int64_t)run->chunk_room, rc, detail);
    return rc;
}

/* link.disconnect_after_chunk: the link drops right after this chunk was made, before it is sent.
 */
static bool app_disconnect_now(run_t *run)
{
    uint64_t n = run->sc->link.disconnect_after_chunk;
    if (run->disconnect_fired || n == CHUNKSIM_SCENARIO_NEVER) {
        return false;
    }
    bool hit = n == CHUNKSIM_SCENARIO_LAST_CHUNK ? run->chunk_final : run->chunk_seq - 1 == n;
    run->disconnect_fired = hit;
    return hit;
}

static void app_send(run_t *run, uint64_t made_us)
{
    run->chunk_seq++;
    run->res->m.chunks++;
    run->res->m.wire_bytes += run->chunk_len;
    if (app_disconnect_now(run)) {
        uint64_t back = run->sc->link.reconnect_after_us;
        memset(&run->link_res, 0, sizeof(run->link_res));
        run->link_res.status = CHUNKSIM_LINK_DISCONNECTED;
        run->link_res.sent_us = made_us;
        run->link_res.reconnect_us =
            back == CHUNKSIM_SCENARIO_NEVER ? CHUNKSIM_LINK_NEVER : made_us + back;
    } else {
        (void)chunksim_link_send(&run->link, made_us, run->chunk_len, &run->link_res);
    }
    run->chunk_made_us = made_us;
    run->chunk_on_air = true;
    run->state = RUN_APP_WAIT_LINK;
    uint64_t now = chunksim__run_now(run);
    uint64_t done = run->link_res.sent_us;
    run->link_ev.data = run;
    (void)chunksim_sched_at(&run->sched, &run->link_ev, done > now ? done - now : 0,
                            app_link_done_cb, run);
    /* Preload for the next chunk while this one is on the air. A wait it
     * answers holds until the completion, whenever the next step comes. */
    if (run->reader.async) {
        (void)app_prepare(run, "while the link sends");
    }
}

/*
 * Nothing to send. When the header peek's read failed, that is why: the
 * packetizer takes a failed header read for "no coredump", as the SDK does
 * (a port may refuse reads while its clear runs), and the application,
 * which cannot tell, stops as an SDK application would.
 */
static const char *app_nodata_reason(const run_t *run, char *buf, size_t len)
{
    if (run->peek_read_rc >= 0) {
        return NULL;
    }
    snprintf(buf, len,
             "get-chunk found nothing to send: the header read failed with %s, which the "
             "packetizer takes for \"no coredump\" (the SDK's convention)",
             chunkcore_errname(run->peek_read_rc));
    return buf;
}

static void app_get_chunk(run_t *run)
{
    char why[200];
    uint64_t seq = app_call_begin(run, CHUNKSIM_CALL_GET_CHUNK, (uint32_t)run->chunk_room);
    size_t len = run->chunk_room;
    int rc = run->packetizer.get_chunk(run->packetizer.self, run->chunk_buf, &len);
    run->chunk_len = len;
    run->chunk_final = rc == CHUNKCORE_OK && run->packetizer.last_chunk_final(run->packetizer.self);
    app_call_end(run, seq, "get_chunk", (int64_t)run->chunk_room, rc,
                 rc == CHUNKCORE_OK ? NULL : chunkcore_errname(rc));
    uint64_t made_us = chunksim__run_now(run) + run->stall_us;
    if (run->packetizer.unseen != NULL &&
        (run->unseen = run->packetizer.unseen(run->packetizer.self)) != NULL) {
        chunksim__run_app_finish(run, NULL);
        return;
    }

    if (rc == CHUNKCORE_OK) {
        run->consecutive_failures = 0;
        app_send(run, made_us);
    } else if (rc == CHUNKCORE_E_NODATA) {
        app_stop(run, app_nodata_reason(run, why, sizeof(why)));
    } else {
        app_failure(run, "get-chunk", rc);
    }
}

static void app_step_cb(chunksim_event_t *ev)
{
    run_t *run = ev->data;
    if (run->finished) {
        return;
    }
    if (run->opts->stop != NULL && *run->opts->stop) {
        chunksim__run_app_finish(run, "interrupted: stopped by a signal before the end");
        return;
    }
    if (app_livelocked(run)) {
        return;
    }
    if (run->flash_wait) {
        /* The early prepare's load is still in flight: a reader may count on
         * nobody reading (or preparing) before it completes (board.h). */
        app_wait_flash(run);
        return;
    }
    int rc = app_prepare(run, NULL);
    if (rc == CHUNKCORE_ASYNC_WAIT) {
        app_wait_flash(run);
    } else if (rc < 0) {
        app_failure(run, "prepare", rc);
    } else {
        app_get_chunk(run);
    }
}

void chunksim__run_app_power_off(run_t *run)
{
    (void)chunksim_sched_cancel(&run->sched, &run->step_ev);
    (void)chunksim_sched_cancel(&run->sched, &run->link_ev);
    (void)chunksim_sched_cancel(&run->sched, &run->timeout_ev);
    chunksim__run_app_record_on_air(run);
    run->state = RUN_APP_IDLE;
    run->flash_wait = false;
    run->consecutive_failures = 0;
}

void chunksim__run_app_boot(run_t *run)
{
    app_schedule_step(run, 0);
}

void chunksim__run_app_start(run_t *run)
{
    chunksim__run_board_arm_timed_cuts(run);
    app_schedule_step(run, 0);
}
