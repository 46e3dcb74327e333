/*
 * One run, start to verdict: build the image and the models from the
 * scenario, wire the firmware (reader, coredump source, packetizer) to the
 * simulated board, run the loop, then decide the outcome from what the link
 * delivered and what the flash still holds.
 */
#include "run_internal.h"

#include "chunksim/image.h"
#include "chunksim/error.h"

#include "chunkcore/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *chunksim_outcome_name(chunksim_outcome_t outcome)
{
    switch (outcome) {
#define RUN_OUTCOME_NAME_(name, text, expectable)                                                  \
    case CHUNKSIM_OUTCOME_##name:                                                                  \
        return text;
        CHUNKSIM_OUTCOME_MAP(RUN_OUTCOME_NAME_)
#undef RUN_OUTCOME_NAME_
    }
    return "unknown";
}

int chunksim_outcome_from_name(const char *name, chunksim_outcome_t *outcome)
{
    static const chunksim_outcome_t all[] = {
#define RUN_OUTCOME_VALUE_(name, text, expectable) CHUNKSIM_OUTCOME_##name,
        CHUNKSIM_OUTCOME_MAP(RUN_OUTCOME_VALUE_)
#undef RUN_OUTCOME_VALUE_
    };
    for (size_t i = 0; name != NULL && i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcmp(name, chunksim_outcome_name(all[i])) == 0) {
            *outcome = all[i];
            return 0;
        }
    }
    return CHUNKSIM_E_INVAL;
}

uint64_t chunksim__run_now(const run_t *run)
{
    return chunksim_sched_now_us(&run->sched);
}

int chunksim__run_recorded(run_t *run, int rec_rc)
{
    chunksim_run_result_t *res = run->res;
    if (rec_rc == 0) {
        return 1;
    }
    if (res->record_error[0] == '\0') {
        snprintf(res->record_error, sizeof(res->record_error), "%s",
                 chunksim_rec_errmsg(run->opts->rec));
    }
    return 0;
}

void chunksim__run_record_call(run_t *run, uint64_t seq, const char *kind, int64_t arg, int result,
                               const char *detail)
{
    if (run->opts->rec == NULL || !run->opts->record_rows) {
        return;
    }
    const char *name = result < 0 ? chunkcore_errname(result) : NULL;
    if (result >= 0 && strcmp(kind, "prepare") == 0) {
        name = result == CHUNKCORE_ASYNC_WAIT ? "WAIT" : "READY";
    }
    const chunksim_rec_call_t row = {
        .seq = seq,
        .t_us = chunksim__run_now(run),
        .kind = kind,
        .arg = arg,
        .result = result,
        .result_name = name,
        .detail = detail,
        .duration_us = run->stall_us,
    };
    run->res->m.rows += chunksim__run_recorded(run, chunksim_rec_call(run->opts->rec, &row));
}

/* A derived seed as a run param, so one stream can be replayed alone. */
static void run_record_seed(run_t *run, const char *name, uint64_t seed)
{
    char text[24];
    if (run->opts->rec != NULL && run->res->run_id != 0) {
        snprintf(text, sizeof(text), "%" PRIu64, seed);
        (void)chunksim__run_recorded(run, chunksim_rec_param(run->opts->rec, name, text));
    }
}

/* The header in flash as the array holds it now: false when it cannot be read. */
static bool run_stored_header(const run_t *run, uint32_t *magic, uint32_t *version, uint32_t *total)
{
    uint8_t hdr[CHUNKCORE_COREDUMP_HEADER_BYTES];
    if (flashmodel_peek(&run->flash, run->storage_base, hdr, sizeof(hdr)) < 0) {
        return false;
    }
    memcpy(magic, hdr, 4);
    memcpy(version, hdr + 4, 4);
    memcpy(total, hdr + 8, 4);
    return true;
}

bool chunksim__run_coredump_still_stored(const run_t *run)
{
    uint32_t magic, version, total;
    return run_stored_header(run, &magic, &version, &total) && magic == CHUNKCORE_COREDUMP_MAGIC &&
           version == CHUNKCORE_COREDUMP_VERSION && total == run->image_bytes;
}

/*
 * A peek that found a coredump the flash does not hold (after a power cut
 * left the header undefined). Judged only with no program or erase
 * unfinished: a read may legally return bytes such an op is changing.
 */
static void run_check_found_header(run_t *run)
{
    uint32_t magic, version, total;
    if (run->flash.writes != NULL || !run_stored_header(run, &magic, &version, &total)) {
        return;
    }
    if (magic != CHUNKCORE_COREDUMP_MAGIC || version != CHUNKCORE_COREDUMP_VERSION) {
        chunksim_monitor_header_not_stored(&run->mon, magic, version);
    }
}

/* ---- the spy between the packetizer and the coredump source ---- */

/*
 * The coredump source answers a header read that failed with "no coredump"
 * (the SDK's convention); the monitor is told what the read said, so that it
 * judges the failure (a fault, or a broken promise of an async reader) rather
 * than a storage that looked empty.
 */
/* What the monitor is told, by the spy below or by the firmware's own packetizer. */
static void run_observe_peek(void *ctx, int result, uint32_t payload_bytes)
{
    run_t *run = ctx;
    /* Why get-chunk may find nothing to send (app.c): the header read failed. */
    run->peek_read_rc = result < 0 ? result : 0;
    chunksim_monitor_set_time(&run->mon, chunksim__run_now(run) + run->stall_us);
    chunksim_monitor_peek(&run->mon, result, payload_bytes);
}

static void run_observe_read(void *ctx, uint32_t offset, size_t len, const uint8_t *bytes,
                             int result)
{
    run_t *run = ctx;
    chunksim_monitor_set_time(&run->mon, chunksim__run_now(run) + run->stall_us);
    chunksim_monitor_read(&run->mon, offset, len, bytes, result);
}

static void run_observe_clear(void *ctx)
{
    chunksim_monitor_clear(&((run_t *)ctx)->mon);
}

static void run_observe_encoded(void *ctx, uint32_t end, uint32_t total)
{
    chunksim_monitor_encoded(&((run_t *)ctx)->mon, end, total);
}

static int spy_has_message(void *ctx, uint32_t *payload_bytes)
{
    run_t *run = ctx;
    run->in_peek = true;
    run->peek_read_rc = 0;
    int rc = run->source->has_message(run->source->ctx, payload_bytes);
    run->in_peek = false;
    int seen = rc == 0 && run->peek_read_rc < 0 ? run->peek_read_rc : rc;
    run_observe_peek(run, seen, rc > 0 ? *payload_bytes : 0);
    if (rc > 0) {
        run_check_found_header(run);
    }
    return rc;
}

static int spy_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    run_t *run = ctx;
    int rc = run->source->read(run->source->ctx, offset, buf, len);
    run_observe_read(run, offset, len, buf, rc);
    return rc;
}

static int spy_mark_read(void *ctx)
{
    run_t *run = ctx;
    run_observe_clear(run);
    return run->source->mark_read(run->source->ctx);
}

static uint32_t spy_avail(void *ctx, uint32_t offset, uint32_t want)
{
    run_t *run = ctx;
    return run->source->avail(run->source->ctx, offset, want);
}

/* ---- the spy between the coredump source and the reader's storage ---- */

static int spy_storage_get_info(void *ctx, chunkcore_storage_info_t *info)
{
    const chunkcore_storage_port_t *s = ((run_t *)ctx)->reader.storage;
    return s->get_info(s->ctx, info);
}

static int spy_storage_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    run_t *run = ctx;
    const chunkcore_storage_port_t *s = run->reader.storage;
    int rc = s->read(s->ctx, offset, buf, len);
    if (run->in_peek) {
        run->peek_read_rc = rc;
    }
    return rc;
}

static int spy_storage_clear(void *ctx)
{
    const chunkcore_storage_port_t *s = ((run_t *)ctx)->reader.storage;
    return s->clear(s->ctx);
}

static uint32_t spy_storage_avail(void *ctx, uint32_t offset, uint32_t want)
{
    const chunkcore_storage_port_t *s = ((run_t *)ctx)->reader.storage;
    return s->avail(s->ctx, offset, want);
}

/* ---- with RLE, the spy between the packetizer and the RLE source ---- */

static int rle_spy_has_message(void *ctx, uint32_t *payload_bytes)
{
    run_t *run = ctx;
    const chunkcore_source_t *rle = chunkcore_rle_source(&run->rle);
    int rc = rle->has_message(rle->ctx, payload_bytes);
    run->rle_encoded_bytes = rc > 0 ? *payload_bytes : 0;
    return rc;
}

static int rle_spy_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    run_t *run = ctx;
    const chunkcore_source_t *rle = chunkcore_rle_source(&run->rle);
    int rc = rle->read(rle->ctx, offset, buf, len);
    if (rc == 0) {
        run_observe_encoded(run, offset + (uint32_t)len, run->rle_encoded_bytes);
    }
    return rc;
}

static int rle_spy_mark_read(void *ctx)
{
    run_t *run = ctx;
    const chunkcore_source_t *rle = chunkcore_rle_source(&run->rle);
    return rle->mark_read(rle->ctx);
}

/* ---- what the link delivered ---- */

static void run_on_message(void *data, const chunksim_message_t *msg)
{
    run_t *run = data;
    if (msg->type != CHUNKCORE_MSG_COREDUMP) {
        return;
    }
    /* An RLE message is judged by what it expands to (a payload that does not expand is wrong). */
    bool same = msg->payload != NULL && msg->payload_bytes == run->image_bytes &&
                memcmp(msg->payload, run->image, run->image_bytes) == 0;
    if (!msg->crc_ok) {
        run->delivered_bad_crc = true;
    } else if (same) {
        if (!run->delivered_ok) {
            run->delivered.at_us = run->last_delivery_us;
            run->delivered.link_busy_us = run->link.stats.busy_us;
            run->delivered.ideal_link_us = run->ideal_link_us;
        }
        run->delivered_ok = true;
        run->res->m.message_bytes = msg->length;
    } else {
        run->delivered_silent_corrupt = true; /* the CRC was computed over wrong bytes */
    }
}

static void run_on_violation(void *data, const chunksim_violation_t *v)
{
    run_t *run = data;
    run->res->m.violations++;
    run->livelocked |= v->invariant == CHUNKSIM_INV_NO_PROGRESS;
    if (run->res->first_violation[0] == '\0') {
        snprintf(run->res->first_violation, sizeof(run->res->first_violation),
                 "%s at call %" PRIu64 ": %s", chunksim_invariant_name(v->invariant), v->call_seq,
                 v->detail);
    }
    if (run->opts->rec != NULL) {
        const chunksim_rec_violation_t row = {
            .invariant = chunksim_invariant_name(v->invariant),
            .call_seq = v->call_seq ? v->call_seq : CHUNKSIM_REC_SEQ_NONE,
            .t_us = v->t_us,
            .detail = v->detail,
        };
        run->res->m.rows +=
            chunksim__run_recorded(run, chunksim_rec_violation(run->opts->rec, &row));
    }
}

/* ---- setup ---- */

static int run_fail(run_t *run, int rc, const char *fmt, const char *detail)
{
    snprintf(run->res->reason, sizeof(run->res->reason), fmt, detail);
    run->res->outcome = CHUNKSIM_OUTCOME_ERROR;
    run->setup_failed = true;
    return rc;
}

static int run_build_image(run_t *run)
{
    const chunksim_scenario_t *sc = run->sc;
    chunksim_rng_t rng;
    run->image_seed = chunksim_rng_derive(&rng, sc->run.seed, "coredump.image");
    const bool file = sc->coredump.content == CHUNKSIM_IMAGE_FILE;
    chunksim_image_config_t icfg = {
        .total_bytes = sc->coredump.size_bytes,
        .content = sc->coredump.content,
        .pattern = file ? sc->coredump.file_data : sc->coredump.pattern,
        .pattern_bytes = file ? sc->coredump.file_bytes : sc->coredump.pattern_bytes,
        .rng = &rng,
        .zero_percent = sc->coredump.zero_percent,
    };
    int rc = chunksim_image_build(&icfg, &run->image, &run->image_bytes);
    return rc < 0 ? run_fail(run, rc, "cannot build the coredump image: %s", chunksim_strerror(rc))
                  : 0;
}

static int run_setup_flash(run_t *run)
{
    const chunksim_scenario_t *sc = run->sc;
    char err[256];
    chunksim_rng_t unused;
    uint64_t seed = chunksim_rng_derive(&unused, sc->run.seed, "flash");
    int rc = chunksim_flashmap_build(&run->fmap, sc, seed, err, sizeof(err));
    if (rc < 0) {
        return run_fail(run, rc, "%s", err);
    }
    rc = chunksim_err_flash(flashmodel_init(&run->flash, &run->fmap.cfg));
    if (rc < 0) {
        return run_fail(run, rc, "flash model refused the config: %s", chunksim_strerror(rc));
    }
    run->storage_base = sc->coredump.storage_offset_bytes;
    /* Shared: the image outlives the model, so a large coredump is held once. */
    rc = flashmodel_load_shared(&run->flash, run->storage_base, run->image, run->image_bytes);
    if (rc == 0) {
        rc = chunksim_flashmap_apply_wear(&run->flash, sc);
    }
    rc = chunksim_err_flash(rc);
    if (rc < 0) {
        return run_fail(run, rc, "cannot load the flash: %s", chunksim_strerror(rc));
    }
    run_record_seed(run, "seed.flash", seed);
    return 0;
}

static void run_link_config(const chunksim_scenario_t *sc, chunksim_link_config_t *cfg)
{
    chunksim_link_config_default(cfg, sc->link.kind);
    cfg->att_mtu = sc->link.att_mtu;
    cfg->conn_interval_us = (uint32_t)sc->link.conn_interval_us;
    cfg->packets_per_event = sc->link.packets_per_event;
    cfg->phy = sc->link.phy == CHUNKSIM_PHY_2M ? CHUNKSIM_LINK_PHY_2M : CHUNKSIM_LINK_PHY_1M;
    cfg->chunk_bytes = sc->link.chunk_bytes;
    cfg->bandwidth_bytes_per_s = sc->link.bandwidth_bytes_per_s;
    cfg->latency_us = sc->link.latency_us;
    cfg->loss_rate = sc->link.loss_rate;
    cfg->disconnect_at_us = sc->link.disconnect_at_us == CHUNKSIM_SCENARIO_NEVER
                                ? CHUNKSIM_LINK_NEVER
                                : sc->link.disconnect_at_us;
    cfg->reconnect_delay_us = sc->link.reconnect_after_us == CHUNKSIM_SCENARIO_NEVER
                                  ? CHUNKSIM_LINK_NEVER
                                  : sc->link.reconnect_after_us;
}

static int run_setup_link(run_t *run)
{
    chunksim_link_config_t cfg;
    const char *why = NULL;
    run_link_config(run->sc, &cfg);
    uint64_t seed = chunksim_rng_derive(&run->link_rng, run->sc->run.seed, "link");
    int rc = chunksim_link_init(&run->link, &cfg, &run->link_rng, &why);
    if (rc < 0) {
        return run_fail(run, rc, "link model refused the config: %s", why ? why : "?");
    }
    run_record_seed(run, "seed.link", seed);
    /* No loss: the ideal link never draws from the stream it shares. */
    cfg.loss_rate = 0;
    cfg.disconnect_at_us = CHUNKSIM_LINK_NEVER;
    cfg.disconnect_after_chunks = 0;
    (void)chunksim_link_init(&run->ideal_link, &cfg, &run->link_rng, NULL);
    run->chunk_room = chunksim_link_chunk_bytes(&run->link);
    run->chunk_buf = malloc(run->chunk_room);
    return run->chunk_buf == NULL ? run_fail(run, -ENOMEM, "%s", "out of memory") : 0;
}

static bool run_has_data_faults(const chunksim_scenario_t *sc)
{
    if (sc->run.power_cut_count > 0) {
        return true; /* an interrupted erase leaves bytes undefined */
    }
    for (size_t i = 0; i < sc->faults.count; i++) {
        switch (sc->faults.rules[i].kind) {
        case CHUNKSIM_FAULT_BITFLIP:
        case CHUNKSIM_FAULT_STUCK_BIT:
        case CHUNKSIM_FAULT_POWER_LOSS:
        case CHUNKSIM_FAULT_TORN_PROGRAM:
        case CHUNKSIM_FAULT_MISDIRECTED_WRITE:
        case CHUNKSIM_FAULT_SILENT_ERASE:
            return true;
        default:
            break;
        }
    }
    return false;
}

/*
 * RLE over the spy. A board's chunkcore_rle_init() refuses a sequential-only
 * (async) reader; the simulator asks that once, to tell it, then switches the
 * refusal off and runs RLE anyway, so that the monitor shows what breaks.
 */
static int run_setup_rle(run_t *run)
{
    chunkcore_rle_config_t cfg = {.source = &run->spy, .allow_sequential_only = false};
    run->rle_board_init = chunkcore_rle_init(&run->rle, &cfg);
    if (run->rle_board_init < 0 && run->boot == 0 && run->opts->rec != NULL &&
        run->res->run_id != 0) {
        (void)chunksim__run_recorded(run,
                                     chunksim_rec_param(run->opts->rec, "rle.board_init",
                                                        chunkcore_errname(run->rle_board_init)));
    }
    cfg.allow_sequential_only = true;
    int rc = chunkcore_rle_init(&run->rle, &cfg);
    if (rc < 0) {
        return rc;
    }
    run->rle_spy = (chunkcore_source_t){
        .has_message = rle_spy_has_message,
        .read = rle_spy_read,
        .mark_read = rle_spy_mark_read,
        .ctx = run,
        .run_length_encoded = chunkcore_rle_source(&run->rle)->run_length_encoded,
    };
    run->pcfg.sources[CHUNKCORE_MSG_COREDUMP] = &run->rle_spy;
    return 0;
}

/* ---- chunksim's packetizer as the application calls it ---- */

static int own_get_chunk(void *self, void *buf, size_t *len)
{
    return chunkcore_packetizer_get_chunk(self, buf, len);
}

static bool own_last_chunk_final(void *self)
{
    return chunkcore_packetizer_last_chunk_final(self);
}

static void own_abort(void *self)
{
    chunkcore_packetizer_abort(self);
}

/* The firmware's own packetizer: it reads the storage through the reader's glue itself. */
static int run_setup_firmware_packetizer(run_t *run)
{
    const chunksim_source_observer_t obs = {
        .ctx = run,
        .peek = run_observe_peek,
        .read = run_observe_read,
        .clear = run_observe_clear,
        .encoded = run_observe_encoded,
    };
    char why[200] = "";
    int rc = run->opts->packetizer_create(&run->packetizer, &obs, run->sc, why, sizeof(why));
    run->firmware_packetizer = rc == 0;
    return rc < 0 ? run_fail(run, rc, "the firmware's packetizer: %s", why) : 0;
}

static int run_setup_own_packetizer(run_t *run)
{
    const chunksim_scenario_t *sc = run->sc;
    int rc = 0;
    const chunkcore_storage_port_t *storage = run->reader.storage;
    run->storage_spy = (chunkcore_storage_port_t){
        .get_info = spy_storage_get_info,
        .read = spy_storage_read,
        .clear = spy_storage_clear,
        .avail = storage->avail ? spy_storage_avail : NULL,
        .ctx = run,
        .sequential_only = storage->sequential_only,
    };
    run->source = chunkcore_coredump_init(&run->coredump, &run->storage_spy);
    run->spy = (chunkcore_source_t){
        .has_message = spy_has_message,
        .read = spy_read,
        .mark_read = spy_mark_read,
        .avail = run->source->avail ? spy_avail : NULL,
        .ctx = run,
        .sequential_only = run->source->sequential_only,
    };
    run->pcfg.sources[CHUNKCORE_MSG_COREDUMP] = &run->spy;
    if (sc->coredump.rle) {
        rc = chunksim_err_core(run_setup_rle(run));
        if (rc < 0) {
            return run_fail(run, rc, "RLE source: %s", chunksim_strerror(rc));
        }
    }
    run->pcfg.project_key = sc->coredump.project_key[0] ? sc->coredump.project_key : NULL;
    run->pcfg.delete_policy = sc->reader.clear_policy == CHUNKSIM_CLEAR_ON_CONFIRM
                                  ? CHUNKCORE_DELETE_ON_CONFIRM
                                  : CHUNKCORE_DELETE_ON_LAST_READ;
    rc = chunksim_err_core(chunkcore_packetizer_init(&run->pkt, &run->pcfg));
    run->packetizer = (chunksim_packetizer_t){
        .self = &run->pkt,
        .get_chunk = own_get_chunk,
        .last_chunk_final = own_last_chunk_final,
        .abort = own_abort,
    };
    return rc < 0 ? run_fail(run, rc, "packetizer: %s", chunksim_strerror(rc)) : 0;
}

int chunksim__run_boot_firmware(run_t *run)
{
    const chunksim_scenario_t *sc = run->sc;
    chunksim_reader_create_fn create = run->opts->reader_create;
    if (create == NULL) {
        create = chunksim_reader_lookup(chunksim_reader_kind_name(sc->reader.kind));
    }
    const chunksim_reader_config_t rcfg = {.window_bytes = sc->reader.window_bytes};
    chunksim__run_board_init(run);
    int rc = chunksim_err_core(create(&run->reader, &run->board, &rcfg));
    if (rc < 0) {
        return run_fail(run, rc, "reader refused to start: %s", chunksim_strerror(rc));
    }
    return run->opts->packetizer_create != NULL ? run_setup_firmware_packetizer(run)
                                                : run_setup_own_packetizer(run);
}

static void run_watchdog_cb(chunksim_sched_t *sched)
{
    run_t *run = sched->data;
    chunksim__run_app_finish(run,
                             "watchdog: the simulated time limit (run.max_sim_us) was reached");
}

static int run_setup_loop(run_t *run)
{
    const chunksim_sched_config_t cfg = {
        .mode = run->sc->run.mode,
        .realtime_scale = run->sc->run.realtime_scale,
    };
    int rc = uv_loop_init(&run->loop);
    if (rc < 0) {
        return run_fail(run, rc, "libuv: %s", chunksim_strerror(rc));
    }
    rc = chunksim_sched_init(&run->sched, &run->loop, &cfg);
    if (rc < 0) {
        return run_fail(run, rc, "scheduler: %s", chunksim_strerror(rc));
    }
    run->sched.data = run;
    chunksim_sched_set_limit(&run->sched, run->sc->run.max_sim_us, run_watchdog_cb);
    return 0;
}

static void run_setup_monitor(run_t *run)
{
    const chunksim_monitor_config_t cfg = {
        .on_violation = run_on_violation,
        .data = run,
        .image = run->image,
        .image_bytes = run->image_bytes,
        .async_reader = run->reader.async,
        .allow_suspend = run->sc->flash.busy_policy == FLASHMODEL_BUSY_SUSPEND,
        .data_faults = run_has_data_faults(run->sc),
        .storage_base = run->storage_base,
        .rle = run->sc->coredump.rle || run->packetizer.rle,
    };
    chunksim_monitor_init(&run->mon, &cfg);
    const chunksim_decoder_config_t dcfg = {
        .on_message = run_on_message,
        .data = run,
        .max_message_bytes = chunksim_decoder_coredump_limit(run->image_bytes),
    };
    chunksim_decoder_init(&run->dec, &dcfg);
}

/* The run's row (and its image, when it was built): committed at once, status 'running'. */
static int run_record_begin(run_t *run)
{
    chunksim_rec_t *rec = run->opts->rec;
    int64_t scenario_id = 0;
    int rc = chunksim_rec_scenario(rec, run->sc->run.name, chunksim_scenario_text(run->sc),
                                   &scenario_id);
    const chunksim_rec_run_info_t info = {
        .scenario_id = scenario_id,
        .seed = run->sc->run.seed,
        .mode = run->sc->run.mode == CHUNKSIM_SCHED_REALTIME ? "realtime" : "virtual",
        .tool_version = CHUNKSIM_VERSION,
        .reader = run->opts->reader_name ? run->opts->reader_name
                                         : chunksim_reader_kind_name(run->sc->reader.kind),
        .image = run->opts->no_image ? NULL : run->image,
        .image_bytes = run->opts->no_image ? 0 : run->image_bytes,
        .flash_bytes = run->sc->flash.size_bytes,
        .case_id = run->opts->case_id,
        .case_file = run->opts->case_file,
        .case_cell = run->opts->case_cell,
    };
    if (rc == 0) {
        rc = chunksim_rec_run_begin(rec, &info, &run->res->run_id);
    }
    if (rc < 0) {
        (void)chunksim__run_recorded(run, rc);
        return rc;
    }
    if (run->image != NULL) {
        run_record_seed(run, "seed.coredump.image", run->image_seed);
    }
    return 0;
}

static int run_setup_record(run_t *run)
{
    if (run->opts->rec == NULL) {
        return 0;
    }
    int rc = run_record_begin(run);
    return rc < 0 ? run_fail(run, rc, "recorder: %s", run->res->record_error) : 0;
}

/* ---- verdict ---- */

/*
 * The flash fault behind altered bytes: the one that altered the bytes the
 * flash delivered, else every fault that fired in the run and can change
 * what is stored; "" when none did.
 */
static const char *run_fault_names(const run_t *run, char *buf, size_t len)
{
    if (run->mon.altered && run->mon.altered_by != NULL) {
        snprintf(buf, len, "%s", run->mon.altered_by);
        return buf;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < FLASHMODEL_FAULT_COUNT; k++) {
        bool alters = k == FLASHMODEL_FAULT_BITFLIP_STUCK || k == FLASHMODEL_FAULT_TORN_PROGRAM ||
                      k == FLASHMODEL_FAULT_MISDIRECTED_WRITE || k == FLASHMODEL_FAULT_POWER_LOSS ||
                      k == FLASHMODEL_FAULT_WEAR_OUT;
        if (alters && flashmodel_counters(&run->flash)->faults[k] > 0 && used < len) {
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                                     chunksim_flashmap_fault_name((flashmodel_fault_t)k));
        }
    }
    return buf;
}

/*
 * Why a coredump that was not delivered is gone. An erased header is a
 * clear, and so is one the firmware's clear programmed over (no fault
 * altered it); anything else is the stored bytes altered by a flash fault,
 * which is named.
 */
static const char *run_lost_why(const run_t *run, char *buf, size_t len)
{
    uint8_t hdr[CHUNKCORE_COREDUMP_HEADER_BYTES];
    bool erased = flashmodel_peek(&run->flash, run->storage_base, hdr, sizeof(hdr)) == 0;
    for (size_t i = 0; erased && i < sizeof(hdr); i++) {
        erased = hdr[i] == 0xFF;
    }
    if (erased) {
        return "the coredump was cleared from flash but never delivered intact";
    }
    char faults[120];
    run_fault_names(run, faults, sizeof(faults));
    if (faults[0] == '\0' && run->mon.clears > 0) {
        /* A port that clears by programming zeros over the header (board.h). */
        return "the coredump was cleared from flash (its header programmed over) but never "
               "delivered intact";
    }
    snprintf(buf, len,
             "the stored coredump's header was altered in flash (%s) and it was never delivered "
             "intact",
             faults[0] ? faults : "no fault named; not by the firmware's clear");
    return buf;
}

/* Silent corruption, and the flash fault behind it when the monitor saw one. */
static const char *run_silent_why(const run_t *run, char *buf, size_t len)
{
    const char *what = "SILENT CORRUPTION: a message with a good CRC carried bytes that differ "
                       "from flash";
    if (!run->mon.altered) {
        return what;
    }
    snprintf(buf, len, "%s (the flash delivered altered bytes from offset %" PRIu32 ": %s)", what,
             run->mon.altered_at,
             run->mon.altered_by != NULL ? run->mon.altered_by : "stored bytes altered earlier");
    return buf;
}

/*
 * Why a coredump was not delivered intact when the monitor saw its header
 * announce another size (only data faults get here without a violation):
 * the packetizer sent it, or is sending it, at that size, as the SDK does.
 */
static const char *run_size_altered_reason(const run_t *run, char *buf, size_t len)
{
    char faults[120];
    run_fault_names(run, faults, sizeof(faults));
    snprintf(buf, len,
             "the coredump's header read back announcing %" PRIu32 " bytes, not the stored "
             "image's %" PRIu32 " (a data fault%s%s): sent at that size, as the SDK sends it%s",
             run->mon.message_bytes, run->image_bytes, faults[0] ? ": " : "", faults,
             run->mon.clears > 0 ? ", then cleared" : ", not to the end");
    return buf;
}

static void run_verdict(run_t *run)
{
    chunksim_run_result_t *res = run->res;
    res->boots = run->boot + 1;
    res->last_boot_ops = run->boot_ops;
    if (run->setup_failed) {
        return; /* a reboot's firmware would not start: an error, its reason says why */
    }
    bool stored = chunksim__run_coredump_still_stored(run);
    chunksim_monitor_finish(&run->mon, stored);
    char altered[200];

    res->liveness_ok = run->delivered_ok;
    res->safety_ok =
        !run->delivered_silent_corrupt && (run->delivered_ok || stored) && res->m.violations == 0;
    const char *why = NULL;
    char lost[200];
    if (run->unseen != NULL) {
        res->outcome = CHUNKSIM_OUTCOME_ERROR;
        why = run->unseen;
    } else if (res->m.violations > 0) {
        res->outcome = CHUNKSIM_OUTCOME_VIOLATION;
        why = res->first_violation;
    } else if (run->delivered_silent_corrupt) {
        res->outcome = CHUNKSIM_OUTCOME_CORRUPT;
        why = run->mon.size_altered ? run_size_altered_reason(run, altered, sizeof(altered))
                                    : run_silent_why(run, lost, sizeof(lost));
    } else if (run->delivered_ok) {
        res->outcome = CHUNKSIM_OUTCOME_OK;
        if (stored && run->mon.clears > 0) {
            why = "delivered, but the clear did not reach the flash: it will be sent again";
        }
    } else if (run->delivered_bad_crc && !stored) {
        res->outcome = CHUNKSIM_OUTCOME_CORRUPT;
        why = "the only delivered copy failed its CRC and the coredump is gone from flash";
    } else if (!stored) {
        res->outcome = CHUNKSIM_OUTCOME_LOST;
        why = run->mon.size_altered ? run_size_altered_reason(run, altered, sizeof(altered))
                                    : run_lost_why(run, lost, sizeof(lost));
    } else {
        res->outcome = CHUNKSIM_OUTCOME_INCOMPLETE;
        why = "not delivered; the coredump is still stored";
    }
    char boots[sizeof(res->reason)];
    if (chunksim__run_reboot_text(run, boots, sizeof(boots)) > 0 || why != NULL) {
        /* The outcome's cause first, the boots, then what the loop said when it ended. */
        char text[3 * sizeof(res->reason) + 8];
        snprintf(text, sizeof(text), "%s%s%s%s%s", why ? why : "", why && boots[0] ? "; " : "",
                 boots, res->reason[0] ? "; " : "", res->reason);
        memcpy(res->reason, text, sizeof(res->reason) - 1);
        res->reason[sizeof(res->reason) - 1] = '\0';
    }
    if (run->rle_board_init < 0) {
        /* Last, so that a long reason loses this note rather than its cause. */
        size_t used = strlen(res->reason);
        snprintf(
            res->reason + used, sizeof(res->reason) - used,
            "%sRLE over this reader: a board's chunkcore_rle_init() says %s, switched off here",
            used ? "; " : "", chunkcore_errname(run->rle_board_init));
    }
    chunksim_expect_t expect = run->sc->run.expect;
    res->passed = res->outcome == chunksim_expect_outcome(expect);
}

void chunksim__run_chunk_delivered(run_t *run)
{
    chunksim_link_result_t ideal;
    if (chunksim_link_send(&run->ideal_link, 0, run->chunk_len, &ideal) == 0) {
        run->ideal_link_us = ideal.sent_us;
    }
}

/*
 * Every figure is taken over one interval, the drain: from the first call
 * (time 0) to the ack of the chunk that completed the first intact copy of
 * the coredump, or, when none did, to the instant the run stopped. Work
 * outside it (the clearing erase that runs on after the last ack, a resent
 * copy, a chunk or a prefetch still going when power was cut) does not
 * count, so a busy time never exceeds the drain.
 *
 * The bound: neither the flash nor the link can go faster than its own
 * capacity. The flash needs its busy time in the drain; the link needs the
 * time it takes to carry the chunks it delivered in the drain back to back
 * from time 0 without loss (for BLE the connection events, not the air
 * time, are what limits it). Both are at most the drain, so efficiency is at
 * most 1.
 */
static void run_metrics(run_t *run)
{
    chunksim_metrics_t *m = &run->res->m;
    const flashmodel_counters_t *fc = flashmodel_counters(&run->flash);
    bool delivered = run->delivered_ok;
    m->drain_us = delivered ? run->delivered.at_us : chunksim__run_now(run);
    m->flash_busy_us = chunksim__run_board_busy_us(run, m->drain_us);
    m->link_busy_us =
        delivered ? run->delivered.link_busy_us : chunksim_link_busy_us_by(&run->link, m->drain_us);
    uint64_t link_need_us = delivered ? run->delivered.ideal_link_us : run->ideal_link_us;
    m->bound_us = m->flash_busy_us > link_need_us ? m->flash_busy_us : link_need_us;
    if (delivered && m->drain_us > 0) {
        m->efficiency = (double)m->bound_us / (double)m->drain_us;
        m->bytes_per_s = (double)m->message_bytes * 1e6 / (double)m->drain_us;
    }
    m->refills = fc->reads;
    m->flash_ops = fc->ops;
    m->faults_injected = 0;
    for (int k = 1; k < FLASHMODEL_FAULT_COUNT; k++) {
        m->faults_injected += fc->faults[k];
    }
}

/* The flash model's counters that no runs column holds, as metrics (docs/schema.md). */
static void run_record_metrics(run_t *run)
{
    chunksim_rec_t *rec = run->opts->rec;
    if (rec == NULL || run->res->run_id == 0) {
        return;
    }
    const flashmodel_counters_t *fc = flashmodel_counters(&run->flash);
    const struct {
        const char *name;
        uint64_t value;
    } metrics[] = {
        {"flash.ops", fc->ops},
        {"flash.read_bytes", fc->read_bytes},
        {"flash.erases", fc->erases},
        {"flash.queued_ops", fc->queued},
        {"flash.refused_ops", fc->refused},
        {"flash.suspends", fc->suspends},
        {"flash.power_losses", fc->power_losses},
        {"chunks.wire_bytes", run->res->m.wire_bytes},
    };
    for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
        (void)chunksim__run_recorded(
            run, chunksim_rec_metric(rec, metrics[i].name, (double)metrics[i].value));
    }
}

/*
 * A run whose record is not the run (a trace row, or its end, could not be
 * written) is no verdict to trust: it ends as an error, and the reason keeps
 * what the simulation itself concluded. Once: the reason is rewritten once.
 */
static void run_fail_recording(run_t *run)
{
    chunksim_run_result_t *res = run->res;
    if (res->record_error[0] == '\0' || run->record_failure_told) {
        return;
    }
    run->record_failure_told = true;
    if (run->setup_failed) {
        return; /* already an error, and the setup's failure is its reason */
    }
    char text[sizeof(res->reason) + sizeof(res->record_error) + 64];
    snprintf(text, sizeof(text), "not recorded in full: %s; the run ended %s%s%s",
             res->record_error, chunksim_outcome_name(res->outcome), res->reason[0] ? ": " : "",
             res->reason);
    snprintf(res->reason, sizeof(res->reason), "%s", text);
    res->outcome = CHUNKSIM_OUTCOME_ERROR;
    res->passed = false;
}

static chunksim_rec_run_result_t run_rec_result(const chunksim_run_result_t *res)
{
    return (chunksim_rec_run_result_t){
        .outcome = chunksim_outcome_name(res->outcome),
        .safety_ok = res->safety_ok,
        .liveness_ok = res->liveness_ok,
        .reason = res->reason[0] ? res->reason : NULL,
        .drain_us = res->m.drain_us,
        .message_bytes = res->m.message_bytes,
        .chunks = res->m.chunks,
        .flash_busy_us = res->m.flash_busy_us,
        .link_busy_us = res->m.link_busy_us,
        .bound_us = res->m.bound_us,
        .efficiency = res->m.efficiency,
        .waits = res->m.waits,
        .refills = res->m.refills,
        .retries = res->m.retries,
        .faults_injected = res->m.faults_injected,
        .wall_ms = (uint64_t)res->wall_ms,
    };
}

/*
 * The run's end, stored as stdout will tell it: the outcome and reason (an
 * error for a setup that failed, or for a record that lost rows). An end
 * that fails on the rows still buffered drops them; when SQLite rolled the
 * batch back, the next try reports those rows lost and forgets them; the
 * third stores the end alone (as an error: rows are gone), which a full
 * disk may still take. When even that fails, the run is aborted in the
 * database if anything can still be written there.
 */
static void run_record_end(run_t *run)
{
    chunksim_rec_t *rec = run->opts->rec;
    chunksim_run_result_t *res = run->res;
    if (rec == NULL || res->run_id == 0) {
        return;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        run_fail_recording(run);
        const chunksim_rec_run_result_t row = run_rec_result(res);
        if (chunksim_rec_run_end(rec, &row) == 0) {
            return;
        }
        (void)chunksim__run_recorded(run, -1);
    }
    (void)chunksim_rec_run_abort(rec, res->reason);
    if (run->opts->log != NULL) {
        fprintf(run->opts->log, "chunksim: recording run %" PRId64 ": %s\n", res->run_id,
                res->record_error);
    }
}

static double run_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void run_loop(run_t *run)
{
    chunksim__run_app_start(run);
    (void)uv_run(&run->loop, UV_RUN_DEFAULT);
    if (!run->finished) {
        /* Nothing left to happen: the application waits for a completion that
         * will never come and has no timeout to get it out. */
        chunksim__run_app_finish(run, "stalled: waiting for a flash completion that never came "
                                      "(reader.read_timeout_us is 0)");
        (void)uv_run(&run->loop, UV_RUN_DEFAULT);
    }
    chunksim_decoder_finish(&run->dec, run->chunk_seq);
}

static void run_teardown(run_t *run, bool loop_ready)
{
    if (run->packetizer.destroy != NULL) {
        run->packetizer.destroy(run->packetizer.self);
    }
    if (run->reader.destroy != NULL) {
        run->reader.destroy(run->reader.self);
    }
    chunksim__run_board_teardown(run);
    if (loop_ready) {
        (void)uv_loop_close(&run->loop);
    }
    chunksim_decoder_free(&run->dec);
    chunksim_monitor_free(&run->mon);
    flashmodel_close(&run->flash);
    chunksim_flashmap_free(&run->fmap);
    free(run->chunk_buf);
    free(run->image);
}

int chunksim_run(const chunksim_scenario_t *sc, const chunksim_run_options_t *opts,
                 chunksim_run_result_t *res)
{
    run_t *run = calloc(1, sizeof(*run));
    if (run == NULL) {
        return -ENOMEM;
    }
    memset(res, 0, sizeof(*res));
    res->seed = sc->run.seed;
    run->sc = sc;
    run->opts = opts;
    run->res = res;
    double t0 = run_wall_ms();

    bool loop_ready = false;
    int rc = run_build_image(run);
    rc = rc < 0 ? rc : run_setup_record(run);
    rc = rc < 0 ? rc : run_setup_flash(run);
    rc = rc < 0 ? rc : run_setup_link(run);
    if (rc == 0) {
        rc = run_setup_loop(run);
        loop_ready = rc == 0;
    }
    rc = rc < 0 ? rc : chunksim__run_boot_firmware(run);
    if (rc == 0) {
        run_setup_monitor(run);
        run_loop(run);
        chunksim__run_board_settle(run);
        run_metrics(run);
        run_record_metrics(run);
        run_verdict(run);
        chunksim__run_reboot_record_params(run);
        chunksim__run_board_record_pending(run);
        chunksim__run_app_record_on_air(run);
    } else if (loop_ready) {
        chunksim_sched_close(&run->sched, NULL);
        (void)uv_run(&run->loop, UV_RUN_DEFAULT);
    }
    res->wall_ms = run_wall_ms() - t0;
    /* A setup that failed before the run's row existed (the image could not be
     * built) still leaves one: the database tells the error stdout tells. */
    if (run->setup_failed && opts->rec != NULL && res->run_id == 0 &&
        res->record_error[0] == '\0') {
        (void)run_record_begin(run);
    }
    run_record_end(run);
    run_teardown(run, loop_ready);
    free(run);
    return rc;
}
