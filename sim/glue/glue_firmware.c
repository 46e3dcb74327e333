/*
 * A firmware object's own packetizer (chunksim/firmware.h), as the engine
 * drives it: get-chunk through the SDK's API, and what its coredump source
 * does, seen through the shim's hooks, told to the monitor as the spy
 * around chunksim's own packetizer tells it. The object's reader side (the
 * prepare step, the board) stays glue.c's adapter.
 */
#include "glue_internal.h"

#include "chunkcore/coredump.h"
#include "chunkcore/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SDK's begin/get_next types, by layout (sMemfaultPacketizerConfig, ...Metadata). */
typedef struct {
    bool enable_multi_packet_chunk;
} fw_begin_config_t;

typedef struct {
    bool send_in_progress;
    uint32_t single_chunk_message_length;
} fw_begin_metadata_t;

enum { FW_STATUS_END_OF_CHUNK = 1 }; /* kMemfaultPacketizerStatus_EndOfChunk */

typedef struct fw_packetizer {
    const chunksim_glue_fns_t *fns;
    chunksim_source_observer_t obs;
    chunksim_firmware_hooks_t hooks;
    bool peek_pending; /* get_info was called: the next read is the header peek */
    bool cleared;      /* the last get-chunk deleted the message */
    bool read_failed;  /* a payload read of the last get-chunk failed: */
    uint32_t failed_offset;
    size_t failed_bytes;
    bool unseen; /* it made a chunk from a header read the shim never saw */
    /* Inside get-chunk: the calls the shim sees elsewhere (a port's prepare
     * loading its window through its own storage read) are not the packetizer's. */
    bool in_packetizer;
} fw_packetizer_t;

static enum glue_fn fw_glue_fn(chunksim_firmware_fn_t fn)
{
    switch (fn) {
    case CHUNKSIM_FIRMWARE_GET_INFO:
        return GLUE_FN_GET_INFO;
    case CHUNKSIM_FIRMWARE_STORAGE_READ:
        return GLUE_FN_STORAGE_READ;
    case CHUNKSIM_FIRMWARE_COREDUMP_READ:
        return GLUE_FN_COREDUMP_READ;
    default:
        return GLUE_FN_CLEAR;
    }
}

static void fw_hook_enter(void *ctx, chunksim_firmware_fn_t fn, uint32_t offset, size_t len)
{
    fw_packetizer_t *p = ctx;
    if (!p->in_packetizer) {
        return;
    }
    chunksim__glue_enter(fw_glue_fn(fn), GLUE_DURING_PACKETIZER, offset,
                         len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
    if (fn == CHUNKSIM_FIRMWARE_CLEAR) {
        /* As the spy does: the delete is judged before the erase starts. The
         * SDK's RLE source is out of the shim's sight: with it, the clear
         * after the last chunk is the one sign the encoded message ended. */
        p->cleared = true;
        if (p->fns->rle_has_more != NULL) {
            p->obs.encoded(p->obs.ctx, 1, 1);
        }
        p->obs.clear(p->obs.ctx);
    }
}

/* The peek's read: what the packetizer learns from the header, judged as the SDK judges it. */
static void fw_report_peek(fw_packetizer_t *p, const void *data, size_t len, bool ok)
{
    uint32_t payload_bytes = 0;
    int found = 0;
    if (!ok) {
        found = CHUNKCORE_E_READ_REFUSED;
    } else if (len >= CHUNKCORE_COREDUMP_HEADER_BYTES) {
        found = chunkcore_coredump_judge_header(data, &payload_bytes);
    }
    p->obs.peek(p->obs.ctx, found, payload_bytes);
}

static void fw_hook_leave(void *ctx, chunksim_firmware_fn_t fn, uint32_t offset, const void *data,
                          size_t len, bool ok)
{
    fw_packetizer_t *p = ctx;
    if (!p->in_packetizer) {
        return;
    }
    chunksim__glue_trace()->fn =
        (uint8_t)GLUE_FN_GET_CHUNK; /* back in the packetizer, still running */
    if (fn == CHUNKSIM_FIRMWARE_GET_INFO) {
        p->peek_pending = true;
    } else if (fn != CHUNKSIM_FIRMWARE_CLEAR && p->peek_pending) {
        p->peek_pending = false;
        fw_report_peek(p, data, len, ok);
    } else if (fn != CHUNKSIM_FIRMWARE_CLEAR) {
        if (!ok && !p->read_failed) {
            p->read_failed = true;
            p->failed_offset = offset;
            p->failed_bytes = len;
        }
        p->obs.read(p->obs.ctx, offset, len, data, ok ? 0 : CHUNKCORE_E_READ_REFUSED);
    }
}

/* The begin/get_next API in single-chunk mode is what get_chunk does. */
static bool fw_call_packetizer(const chunksim_glue_fns_t *fns, void *buf, size_t *len)
{
    if (fns->get_chunk != NULL) {
        return fns->get_chunk(buf, len);
    }
    const fw_begin_config_t cfg = {.enable_multi_packet_chunk = false};
    fw_begin_metadata_t meta;
    return fns->begin(&cfg, &meta) && fns->get_next(buf, len) == FW_STATUS_END_OF_CHUNK;
}

/*
 * The SDK's API has one answer for "nothing to send" and "the read failed";
 * a false right after a payload read failed is the failure, which the
 * application retries, else there is nothing to send.
 */
static int fw_get_chunk(void *self, void *buf, size_t *len)
{
    fw_packetizer_t *p = self;
    p->cleared = false;
    p->read_failed = false;
    p->peek_pending = false;
    chunksim__glue_enter(GLUE_FN_GET_CHUNK, GLUE_DURING_PACKETIZER, 0,
                         *len > UINT32_MAX ? UINT32_MAX : (uint32_t)*len);
    p->in_packetizer = true;
    bool ok = fw_call_packetizer(p->fns, buf, len);
    p->in_packetizer = false;
    chunksim__glue_leave();
    if (p->peek_pending && ok) {
        /* A chunk from a header it read where the shim cannot see. */
        p->unseen = true;
        return CHUNKCORE_E_NODATA;
    }
    if (p->peek_pending) {
        /* It asked for the size and read no header: the storage holds none. */
        p->peek_pending = false;
        p->obs.peek(p->obs.ctx, 0, 0);
    }
    if (ok && p->read_failed) {
        /* The SDK's chunk reader ignores the read's result: say what was sent. */
        chunksim__glue_note(
            "a read of the coredump, [%" PRIu32 ", %" PRIu32 "), failed and the packetizer "
            "made its chunk all the same (the SDK does not look at a read's result)",
            p->failed_offset, p->failed_offset + (uint32_t)p->failed_bytes);
    }
    if (ok) {
        return CHUNKCORE_OK;
    }
    return p->read_failed ? CHUNKCORE_E_READ_REFUSED : CHUNKCORE_E_NODATA;
}

/*
 * The shim sees memfault_coredump_read() and the storage read where the
 * build helpers interposed them (chunksim/firmware.h); a packetizer that
 * reaches the storage past both, or an object linked without the helpers'
 * interposition, reads out of sight.
 */
static const char *fw_unseen(void *self)
{
    return ((fw_packetizer_t *)self)->unseen
               ? "the firmware's packetizer read the coredump where chunksim's shim cannot see "
                 "it (after get_info, no wrapped read came before a chunk: a packetizer that "
                 "reads the storage past memfault_coredump_read(), or an object not linked by "
                 "chunksim_add_firmware() or tools/build-firmware.sh), so its reads cannot be "
                 "judged"
               : NULL;
}

/* The SDK deletes the message inside the call that made its last chunk, never at another. */
static bool fw_last_chunk_final(void *self)
{
    return ((fw_packetizer_t *)self)->cleared;
}

static void fw_abort(void *self)
{
    fw_packetizer_t *p = self;
    chunksim__glue_call_optional(GLUE_FN_PACKETIZER_ABORT, GLUE_DURING_ABORT,
                                 p->fns->packetizer_abort);
}

static void fw_destroy(void *self)
{
    fw_packetizer_t *p = self;
    (void)p->fns->attach(NULL);
    free(p);
}

/* What a scenario asks that the firmware's packetizer cannot do; NULL: nothing. */
static const char *fw_refusal(const chunksim_scenario_t *sc, const chunksim_glue_fns_t *fns)
{
    if (sc->reader.clear_policy == CHUNKSIM_CLEAR_ON_CONFIRM) {
        return "[reader] clear_policy = on_confirm: the SDK's packetizer clears the coredump "
               "on its last read and has no confirm; run the scenario with chunksim's "
               "packetizer (--glue with a glue built by chunksim_add_glue)";
    }
    if (sc->coredump.rle && fns->rle_has_more == NULL) {
        return "coredump.rle: the firmware's own configuration (MEMFAULT_DATA_SOURCE_RLE_ENABLED) "
               "decides whether it encodes, and it does not";
    }
    if (sc->coredump.project_key[0] != '\0') {
        return "coredump.project_key: the firmware's own configuration "
               "(MEMFAULT_MESSAGE_HEADER_CONTAINS_PROJECT_KEY) decides it";
    }
    return NULL;
}

int chunksim_glue_packetizer_create(chunksim_packetizer_t *out,
                                    const chunksim_source_observer_t *obs,
                                    const chunksim_scenario_t *sc, char *why, size_t whylen)
{
    const chunksim_glue_fns_t *fns = chunksim__glue_selected_fns();
    if (fns == NULL || fns->attach == NULL) {
        snprintf(why, whylen, "no firmware object is loaded");
        return -EINVAL;
    }
    const char *refused = fw_refusal(sc, fns);
    if (refused != NULL) {
        snprintf(why, whylen, "%s", refused);
        return -ENOTSUP;
    }
    fw_packetizer_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        snprintf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    p->fns = fns;
    p->obs = *obs;
    p->hooks = (chunksim_firmware_hooks_t){
        .version = CHUNKSIM_FIRMWARE_HOOKS_VERSION,
        .ctx = p,
        .enter = fw_hook_enter,
        .leave = fw_hook_leave,
    };
    if (fns->attach(&p->hooks) < 0) {
        snprintf(why, whylen, "its shim (chunksim_firmware_attach) is of another chunksim version");
        free(p);
        return -EPROTO;
    }
    /* At power-on no message is in progress; after a reboot in the same
     * process the SDK's static state says otherwise until it is reset. */
    fw_abort(p);
    *out = (chunksim_packetizer_t){
        .self = p,
        .rle = fns->rle_has_more != NULL,
        .get_chunk = fw_get_chunk,
        .last_chunk_final = fw_last_chunk_final,
        .unseen = fw_unseen,
        .abort = fw_abort,
        .destroy = fw_destroy,
    };
    return 0;
}
