/*
 * Power cuts with reboot (run.power_cuts; docs/design.md, "Power loss and
 * reboot"), as littlefs's test runner makes them: each boot counts the
 * flash operations it begins, and during the one its cut names the power
 * goes. At the cut the device stops: what the flash finished by then stays,
 * the operation in flight ends as the flash model cuts it, the chunk on the
 * air is not delivered, and the firmware's RAM is gone. After
 * link.reboot_reconnect_us the device boots: power is back, the reader, the
 * coredump source and the packetizer are initialized through their init
 * functions as at power-on, and the upload starts from what the flash holds.
 */
#include "run_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Whether run.power_cuts_on counts an operation of this kind. */
static bool reboot_counts(const run_t *run, flashmodel_op_kind_t kind)
{
    switch (run->sc->run.power_cuts_on) {
    case CHUNKSIM_CUT_ON_READ:
        return kind == FLASHMODEL_OP_READ;
    case CHUNKSIM_CUT_ON_PROGRAM:
        return kind == FLASHMODEL_OP_PROGRAM;
    case CHUNKSIM_CUT_ON_ERASE:
        return kind != FLASHMODEL_OP_READ && kind != FLASHMODEL_OP_PROGRAM;
    case CHUNKSIM_CUT_ON_ANY:
        break;
    }
    return true;
}

void chunksim__run_reboot_count_op(run_t *run, flashmodel_op_kind_t kind)
{
    const chunksim_scenario_t *sc = run->sc;
    if (!reboot_counts(run, kind)) {
        return;
    }
    uint64_t index = run->boot_ops++;
    if (run->boot < sc->run.power_cut_count && index == sc->run.power_cuts[run->boot]) {
        run->cut_armed = true;
        run->cut_index = index;
        flashmodel_power_cut_next(&run->flash);
    }
}

static void reboot_boot_cb(chunksim_event_t *ev);

static void reboot_record(run_t *run, const char *kind, const char *detail)
{
    run->stall_us = 0;
    chunksim__run_record_call(run, ++run->call_seq, kind, run->boot + 1, 0, detail);
}

/* The instant of the cut: the device stops, its link drops. */
static void reboot_cut_cb(chunksim_event_t *ev)
{
    run_t *run = ev->data;
    if (run->finished) {
        return;
    }
    uint64_t now = chunksim__run_now(run);
    uint64_t delay = run->sc->link.reboot_reconnect_us;
    bool never = delay == CHUNKSIM_SCENARIO_NEVER;
    run->cuts_done++;
    run->last_cut_seq = run->cut_op_seq;
    chunksim__run_board_power_off(run);
    chunksim__run_app_power_off(run);
    chunksim_link_power_cut(&run->link, now, never ? CHUNKSIM_LINK_NEVER : now + delay);
    run->reader.destroy(run->reader.self); /* its RAM is gone */
    run->reader.destroy = NULL;
    if (run->packetizer.destroy != NULL) { /* the firmware's own: so is its state */
        run->packetizer.destroy(run->packetizer.self);
        run->packetizer.destroy = NULL;
    }
    char detail[200];
    snprintf(detail, sizeof(detail),
             "power cut during flash op %" PRIu64 " (%s), operation %" PRIu64 " of boot %" PRIu32
             "; RAM lost",
             run->cut_op_seq, run->cut_op_text, run->cut_index, run->boot + 1);
    reboot_record(run, "power_cut", detail);
    if (never) {
        chunksim__run_app_finish(run, "the device lost power and its link never came back "
                                      "(link.reboot_reconnect_us = never)");
        return;
    }
    run->boot_ev.data = run;
    (void)chunksim_sched_at(&run->sched, &run->boot_ev, delay, reboot_boot_cb, run);
}

/* The cut list so far, for the reason, the boot rows and the params. */
static void reboot_note_cut(run_t *run, const flashmodel_op_t *op)
{
    snprintf(run->cut_op_text, sizeof(run->cut_op_text), "%s at 0x%" PRIx32 ", %" PRIu32 " bytes",
             flashmodel_op_kind_name(op->kind), op->addr, op->len);
    size_t used = strlen(run->cuts_text);
    if (used + 1 < sizeof(run->cuts_text)) {
        snprintf(run->cuts_text + used, sizeof(run->cuts_text) - used,
                 "%sop %" PRIu64 " of boot %" PRIu32 " (%s)", used ? ", " : "", run->cut_index,
                 run->boot + 1, flashmodel_op_kind_name(op->kind));
    }
}

bool chunksim__run_reboot_op_begun(run_t *run, const flashmodel_op_t *op, uint64_t seq)
{
    if (!run->cut_armed || run->flash.cut_next || op->cut_us == FLASHMODEL_NEVER) {
        return false; /* not armed, or refused: the next accepted op takes the cut */
    }
    run->cut_armed = false;
    run->cut_op_seq = seq; /* the cut to come; last_cut_seq the cut that came */
    reboot_note_cut(run, op);
    uint64_t now = chunksim__run_now(run);
    run->cut_ev.data = run;
    (void)chunksim_sched_at(&run->sched, &run->cut_ev, op->cut_us > now ? op->cut_us - now : 0,
                            reboot_cut_cb, run);
    return true;
}

/* Power is back: the firmware starts as at power-on, on the flash the cut left. */
static void reboot_boot_cb(chunksim_event_t *ev)
{
    run_t *run = ev->data;
    if (run->finished) {
        return;
    }
    flashmodel_power_restore(&run->flash, chunksim__run_now(run));
    run->boot++;
    run->boot_ops = 0;
    bool stored = chunksim__run_coredump_still_stored(run);
    if (!stored && !run->delivered_ok && run->lost_at_boot == 0) {
        run->lost_at_boot = run->boot; /* the cut that ended boot `boot` destroyed it */
    }
    chunksim_monitor_reboot(&run->mon, stored);
    reboot_record(run, "boot",
                  stored ? "RAM state lost; reader, coredump source and packetizer initialized; "
                           "the flash holds a valid coredump header"
                         : "RAM state lost; reader, coredump source and packetizer initialized; "
                           "the flash holds no valid coredump header");
    if (chunksim__run_boot_firmware(run) < 0) {
        chunksim__run_app_finish(run, NULL);
        return;
    }
    chunksim__run_app_boot(run);
}

/*
 * For the reason: the boots and cuts, which cut lost the coredump when one
 * did, and a cut the scenario asks for that no boot reached.
 */
size_t chunksim__run_reboot_text(const run_t *run, char *buf, size_t len)
{
    const chunksim_scenario_t *sc = run->sc;
    buf[0] = '\0';
    if (sc->run.power_cut_count == 0) {
        return 0;
    }
    int n = snprintf(buf, len, "%" PRIu32 " boot%s, %s%s", run->boot + 1, run->boot ? "s" : "",
                     run->cuts_text[0] ? "power cut in " : "no power cut", run->cuts_text);
    if (n >= 0 && (size_t)n < len && run->lost_at_boot > 0) {
        n += snprintf(buf + n, len - (size_t)n, "; lost at cut %" PRIu32, run->lost_at_boot);
    }
    if (n >= 0 && (size_t)n < len && run->cuts_done < sc->run.power_cut_count) {
        n += snprintf(buf + n, len - (size_t)n,
                      "; cut %" PRIu32 " (op %" PRIu64 " of boot %" PRIu32 ") did not happen: %s",
                      run->cuts_done + 1, sc->run.power_cuts[run->cuts_done], run->cuts_done + 1,
                      run->cut_op_seq > run->last_cut_seq ? "the run ended before its instant"
                                                          : "that boot began fewer operations");
    }
    return n < 0 ? 0 : (size_t)n;
}

void chunksim__run_reboot_record_params(run_t *run)
{
    if (run->sc->run.power_cut_count == 0 || run->opts->rec == NULL || run->res->run_id == 0) {
        return;
    }
    char boots[16];
    snprintf(boots, sizeof(boots), "%" PRIu32, run->boot + 1);
    (void)chunksim__run_recorded(run, chunksim_rec_param(run->opts->rec, "run.boots", boots));
    (void)chunksim__run_recorded(run,
                                 chunksim_rec_param(run->opts->rec, "run.power_cuts_done",
                                                    run->cuts_text[0] ? run->cuts_text : "none"));
}
