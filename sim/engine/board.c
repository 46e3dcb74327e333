/*
 * The simulated board: what a reader may ask of the flash. Asynchronous
 * operations run on the scheduler for their modeled duration and complete
 * from the loop, never inside the call that started them; synchronous ones
 * stall the simulated CPU for the same time. The memory-mapped view is a
 * copy of the partition refreshed whenever a program or erase takes effect.
 */
#include "run_internal.h"

#include "chunkcore/error.h"
#include "flashmodel/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void chunksim__run_board_record_op(run_t *run, const flashmodel_op_t *op, uint64_t seq,
                                   const char *note)
{
    if (run->opts->rec == NULL || !run->opts->record_rows) {
        return;
    }
    const chunksim_rec_flash_op_t row = {
        .seq = seq,
        .kind = flashmodel_op_kind_name(op->kind),
        .addr = op->addr,
        .len = op->len,
        .start_us = op->issue_us,
        .end_us = op->end_us == FLASHMODEL_NEVER ? CHUNKSIM_REC_TIME_NONE : op->end_us,
        .status = op->status,
        .status_name = note != NULL ? note : flashmodel_errname(op->status),
        .fault = op->fault != FLASHMODEL_FAULT_NONE ? flashmodel_fault_name(op->fault) : NULL,
        .latency_us = op->latency_us,
    };
    run->res->m.rows += chunksim__run_recorded(run, chunksim_rec_flash_op(run->opts->rec, &row));
}

static uint64_t board_now(const run_t *run)
{
    return chunksim__run_now(run) + run->stall_us;
}

static void board_report_issue(run_t *run, flashmodel_op_kind_t kind, uint32_t addr, uint32_t len,
                               bool sync)
{
    bool busy = flashmodel_busy_until(&run->flash) > board_now(run);
    chunksim_monitor_set_time(&run->mon, board_now(run));
    chunksim_monitor_flash_op(&run->mon, flashmodel_op_kind_name(kind), addr, len, busy, sync);
}

/* Every operation a reader asks for, refused or not, counts toward board.stuck. */
static void board_count(run_t *run, const char *kind, uint32_t offset, size_t len)
{
    if (++run->board_ops_in_call == CHUNKSIM_MONITOR_NO_PROGRESS_CALLS) {
        snprintf(run->stuck, sizeof(run->stuck),
                 "no progress: %" PRIu64 " flash operations inside one call, the last a %s of "
                 "[%" PRIu32 ", %" PRIu64 ")",
                 run->board_ops_in_call, kind, offset, (uint64_t)offset + len);
    }
}

static const char *board_stuck(void *ctx)
{
    const run_t *run = ctx;
    return run->board_ops_in_call >= CHUNKSIM_MONITOR_NO_PROGRESS_CALLS ? run->stuck : NULL;
}

static void board_noop_work(chunksim_work_t *w)
{
    (void)w;
}

static int board_op_schedule(run_t *run, run_flash_op_t *o);

/* A program or erase that failed, or "succeeded" without effect: the flash lost the clear. */
static bool board_clear_lost(const flashmodel_op_t *op)
{
    return op->status != 0 || op->fault == FLASHMODEL_FAULT_SILENT_ERASE ||
           op->fault == FLASHMODEL_FAULT_SILENT_PROGRAM;
}

/* ---- the memory-mapped view ---- */

/* The view shows the array as it is now; guarded, it is unreadable while a write is in flight. */
static void board_view_refresh(run_t *run)
{
    if (run->view == NULL) {
        return;
    }
    (void)mprotect(run->view, run->view_bytes, PROT_READ | PROT_WRITE);
    (void)flashmodel_peek(&run->flash, run->storage_base, run->view,
                          run->sc->coredump.storage_bytes);
    bool hide = run->view_guarded && run->view_writes > 0;
    (void)mprotect(run->view, run->view_bytes, hide ? PROT_NONE : PROT_READ);
}

static void board_view_create(run_t *run)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t bytes = ((size_t)run->sc->coredump.storage_bytes + page - 1) / page * page;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    void *p = MAP_FAILED;
#ifdef MAP_32BIT
    /* Below 4 GiB: firmware keeps flash addresses in uint32_t (a 32-bit MCU's pointers). */
    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags | MAP_32BIT, -1, 0);
#endif
    if (p == MAP_FAILED) {
        p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
    }
    if (p == MAP_FAILED) {
        return; /* board.mapped then says there is no view */
    }
    run->view = p;
    run->view_bytes = bytes;
}

/* Made on first use: a reader that never asks for the view costs nothing. */
static const uint8_t *board_mapped(void *ctx, bool guard)
{
    run_t *run = ctx;
    run->view_guarded = guard;
    if (run->view == NULL) {
        board_view_create(run);
    }
    board_view_refresh(run);
    return run->view;
}

static void board_mapped_fault(void *ctx, uint32_t offset)
{
    run_t *run = ctx;
    chunksim_monitor_set_time(&run->mon, board_now(run));
    chunksim_monitor_mapped_read_busy(&run->mon, offset);
}

/* An async program or erase was accepted: until it is applied the view shows the old bytes. */
static void board_write_accepted(run_t *run)
{
    run->view_writes++;
    board_view_refresh(run);
}

/* Applies an op taken off the device; a program or erase then shows in the view. */
static int board_op_apply(run_t *run, run_flash_op_t *o);
static int board_op_take(run_t *run, run_flash_op_t *o)
{
    if (o->applied) {
        return o->op.status;
    }
    o->applied = true;
    int status = board_op_apply(run, o);
    if (o->op.kind != FLASHMODEL_OP_READ) {
        run->view_writes -= run->view_writes > 0;
        board_view_refresh(run);
    }
    return status;
}

/* Applies the op's effects; a cancelled read still occupies the device, its bytes go nowhere. */
static int board_op_apply(run_t *run, run_flash_op_t *o)
{
    uint8_t scratch[1];
    if (o->op.kind != FLASHMODEL_OP_READ) {
        return flashmodel_op_finish(&run->flash, &o->op, scratch);
    }
    if (!o->cancelled) {
        return flashmodel_op_finish(&run->flash, &o->op, o->dst);
    }
    uint8_t *sink = malloc(o->op.len ? o->op.len : 1);
    int status = flashmodel_op_finish(&run->flash, &o->op, sink != NULL ? sink : o->dst);
    free(sink);
    return status;
}

/* A read that delivered data: the monitor learns what the flash gave for that range. */
static void board_delivered(run_t *run, const flashmodel_op_t *op, int status, const uint8_t *dst)
{
    if (op->kind != FLASHMODEL_OP_READ || status != 0 || dst == NULL ||
        op->addr < run->storage_base) {
        return;
    }
    const char *fault =
        op->fault != FLASHMODEL_FAULT_NONE ? chunksim_flashmap_fault_name(op->fault) : NULL;
    chunksim_monitor_flash_delivered(&run->mon, op->addr - run->storage_base, dst, op->len, fault);
}

static int board_erase_unit(run_t *run, uint32_t op_id, uint32_t offset, uint32_t end);

/* The reader learns that its operation op_id ended with status (a flash status). */
static void board_complete(run_t *run, uint32_t op_id, int status);

static void board_op_done(chunksim_work_t *w)
{
    run_flash_op_t *o = w->data;
    run_t *run = o->run;
    if (o->recorded) {
        return; /* ended by a reboot's cut: the firmware that asked is gone */
    }
    /* Under suspend/resume a later read may have pushed this op's end out. */
    if (!flashmodel_op_due(&o->op, chunksim__run_now(run))) {
        (void)board_op_schedule(run, o);
        return;
    }
    int status = board_op_take(run, o);
    o->recorded = true;
    if (o->op.kind != FLASHMODEL_OP_READ && board_clear_lost(&o->op)) {
        /* A flash fault, not the firmware's: the delete did not take. */
        chunksim_monitor_clear_failed(&run->mon);
    }
    chunksim__run_board_record_op(run, &o->op, o->seq, o->cancelled ? "CANCELLED" : NULL);
    if (o->cancelled || run->finished) {
        return;
    }
    board_delivered(run, &o->op, status, o->dst);
    if (status == 0 && o->erase_next < o->erase_end) {
        /* A range erase: the next unit goes out now, the reader hears at the end. */
        if (board_erase_unit(run, o->op_id, o->erase_next, o->erase_end) == 0) {
            return;
        }
        status = FLASHMODEL_E_INVAL;
    }
    board_complete(run, o->op_id, status);
}

static void board_complete(run_t *run, uint32_t op_id, int status)
{
    int core_status = status == 0 ? 0 : CHUNKCORE_E_IO;
    uint64_t seq = ++run->call_seq;
    run->board_ops_in_call = 0;
    chunksim_monitor_set_time(&run->mon, chunksim__run_now(run));
    chunksim_monitor_call_begin(&run->mon, seq, CHUNKSIM_CALL_COMPLETE, op_id);
    int rc = run->reader.complete(run->reader.self, op_id, core_status);
    chunksim_monitor_call_end(&run->mon, rc);
    chunksim__run_record_call(run, seq, "complete", op_id, rc,
                              status == 0 ? NULL : flashmodel_errname(status));
    chunksim__run_app_flash_completed(run);
}

static run_flash_op_t *board_op_new(run_t *run, uint32_t op_id, uint8_t *dst)
{
    run_flash_op_t *o = calloc(1, sizeof(*o));
    if (o == NULL) {
        return NULL;
    }
    o->run = run;
    o->op_id = op_id;
    o->dst = dst;
    o->seq = ++run->flash_seq;
    o->next = run->ops;
    run->ops = o;
    return o;
}

/* The op is accepted: its completion comes after its modeled time, or never. */
static int board_op_schedule(run_t *run, run_flash_op_t *o)
{
    if (o->op.end_us == FLASHMODEL_NEVER) {
        return 0; /* a lost completion: the reader must time out and cancel */
    }
    uint64_t now = chunksim__run_now(run);
    uint64_t delay = o->op.end_us > now ? o->op.end_us - now : 0;
    o->work.data = o;
    int rc = chunksim_sched_work(&run->sched, &o->work, delay, board_noop_work, board_op_done);
    return rc < 0 ? CHUNKCORE_E_IO : 0;
}

/*
 * run.power_loss_stops: power going stops the whole device, not just the
 * flash. At the cut the ops in flight end (their bytes undefined, as the
 * model decided) and the run ends: no later chunk is made or delivered.
 */
/* Completes, in issue order as the device does, every unrecorded op that pick() selects. */
static void board_complete_where(run_t *run, bool (*pick)(const run_t *, const run_flash_op_t *),
                                 const char *note)
{
    run_flash_op_t *chosen[64];
    size_t n = 0;
    for (run_flash_op_t *o = run->ops; o != NULL && n < 64; o = o->next) {
        if (!o->recorded && pick(run, o)) {
            chosen[n++] = o; /* run->ops is newest first */
        }
    }
    while (n > 0) {
        run_flash_op_t *o = chosen[--n];
        (void)board_op_take(run, o);
        o->recorded = true;
        if (o->op.kind != FLASHMODEL_OP_READ && board_clear_lost(&o->op)) {
            chunksim_monitor_clear_failed(&run->mon);
        }
        chunksim__run_board_record_op(run, &o->op, o->seq, o->cancelled ? "CANCELLED" : note);
    }
}

static bool board_due_now(const run_t *run, const run_flash_op_t *o)
{
    return flashmodel_op_due(&o->op, chunksim__run_now(run));
}

static void board_power_cut_cb(chunksim_event_t *ev)
{
    run_t *run = ev->data;
    if (run->finished) {
        return;
    }
    board_complete_where(run, board_due_now, NULL);
    chunksim__run_app_finish(run,
                             "power lost: the device stopped at the cut (run.power_loss_stops)");
}

static void board_power_cut_at(run_t *run, uint64_t cut_us)
{
    if (!run->sc->run.power_loss_stops || cut_us == FLASHMODEL_NEVER || run->power_cut_armed) {
        return;
    }
    uint64_t now = chunksim__run_now(run);
    run->power_cut_armed = true;
    run->power_cut_ev.data = run;
    (void)chunksim_sched_at(&run->sched, &run->power_cut_ev, cut_us > now ? cut_us - now : 0,
                            board_power_cut_cb, run);
}

static int board_refused(run_t *run, run_flash_op_t *o)
{
    o->recorded = true;
    chunksim__run_board_record_op(run, &o->op, o->seq, NULL);
    return CHUNKCORE_E_IO;
}

static int board_read_start(void *ctx, uint32_t op_id, uint32_t offset, void *buf, size_t len)
{
    run_t *run = ctx;
    board_count(run, "read", offset, len);
    if ((uint64_t)offset + len > run->sc->coredump.storage_bytes) {
        return CHUNKCORE_E_RANGE;
    }
    run_flash_op_t *o = board_op_new(run, op_id, buf);
    if (o == NULL) {
        return CHUNKCORE_E_IO;
    }
    board_report_issue(run, FLASHMODEL_OP_READ, run->storage_base + offset, (uint32_t)len, false);
    chunksim__run_reboot_count_op(run, FLASHMODEL_OP_READ);
    if (flashmodel_read_begin(&run->flash, board_now(run), run->storage_base + offset,
                              (uint32_t)len, &o->op) < 0) {
        return board_refused(run, o);
    }
    if (!chunksim__run_reboot_op_begun(run, &o->op, o->seq)) {
        board_power_cut_at(run, o->op.cut_us);
    }
    return board_op_schedule(run, o);
}

/* An erase is of whole sectors inside the storage: [offset, offset + len), aligned. */
static bool board_erase_range_ok(const run_t *run, uint32_t offset, size_t len)
{
    uint32_t sector = run->sc->flash.sector_bytes;
    return len > 0 && offset % sector == 0 && len % sector == 0 &&
           (uint64_t)offset + len <= run->sc->coredump.storage_bytes;
}

/* The largest erase that starts at offset and stays inside [offset, end), as a driver picks. */
static flashmodel_op_kind_t board_erase_kind_at(const run_t *run, uint32_t offset, uint32_t end)
{
    uint32_t block = run->sc->flash.block_bytes;
    return offset % block == 0 && end - offset >= block ? FLASHMODEL_OP_ERASE_BLOCK
                                                        : FLASHMODEL_OP_ERASE_SECTOR;
}

static uint32_t board_erase_bytes(const run_t *run, flashmodel_op_kind_t kind)
{
    return kind == FLASHMODEL_OP_ERASE_BLOCK ? run->sc->flash.block_bytes
                                             : run->sc->flash.sector_bytes;
}

/* One unit of an async range erase; the rest of the range follows its completion. */
static int board_erase_unit(run_t *run, uint32_t op_id, uint32_t offset, uint32_t end)
{
    flashmodel_op_kind_t kind = board_erase_kind_at(run, offset, end);
    uint32_t unit = board_erase_bytes(run, kind);
    run_flash_op_t *o = board_op_new(run, op_id, NULL);
    if (o == NULL) {
        return CHUNKCORE_E_IO;
    }
    o->erase_next = offset + unit;
    o->erase_end = end;
    board_report_issue(run, kind, run->storage_base + offset, unit, false);
    chunksim__run_reboot_count_op(run, kind);
    if (flashmodel_erase_begin(&run->flash, board_now(run), kind, run->storage_base + offset,
                               &o->op) < 0) {
        return board_refused(run, o);
    }
    board_write_accepted(run);
    if (!chunksim__run_reboot_op_begun(run, &o->op, o->seq)) {
        board_power_cut_at(run, o->op.cut_us);
    }
    return board_op_schedule(run, o);
}

static int board_erase_start(void *ctx, uint32_t op_id, uint32_t offset, size_t len)
{
    run_t *run = ctx;
    board_count(run, "erase", offset, len);
    if (!board_erase_range_ok(run, offset, len)) {
        return CHUNKCORE_E_INVAL;
    }
    return board_erase_unit(run, op_id, offset, (uint32_t)(offset + len));
}

/*
 * NOR programs only move bits away from the erased value. A data byte other
 * than the erased value that needs a stored bit back is the glue's mistake
 * (it wrote a value the part cannot hold without an erase): named, and
 * programmed as the part does it. A byte of erased value means "leave it".
 */
static void board_check_program(run_t *run, uint32_t offset, const uint8_t *data, uint32_t len)
{
    uint8_t e = run->fmap.cfg.part.erased_value;
    uint32_t page = run->sc->flash.page_bytes;
    uint32_t base = offset - offset % page, skip = len > page ? len - page : 0;
    for (uint32_t j = skip; j < len; j++) {
        uint32_t at = base + (offset % page + j) % page; /* the page wrap, as the part does */
        uint8_t stored = e;
        (void)flashmodel_peek(&run->flash, run->storage_base + at, &stored, 1);
        uint8_t back = (uint8_t)((stored ^ e) & ~(data[j] ^ e));
        if (data[j] != e && back != 0) {
            chunksim_monitor_set_time(&run->mon, board_now(run));
            chunksim_monitor_program_sets_bits(&run->mon, at, stored, data[j]);
            return;
        }
    }
}

static int board_program_check_args(const run_t *run, uint32_t offset, const void *data, size_t len)
{
    if (data == NULL || len == 0 || len > UINT32_MAX) {
        return CHUNKCORE_E_INVAL;
    }
    return (uint64_t)offset + len > run->sc->coredump.storage_bytes ? CHUNKCORE_E_RANGE : 0;
}

static int board_program_start(void *ctx, uint32_t op_id, uint32_t offset, const void *data,
                               size_t len)
{
    run_t *run = ctx;
    board_count(run, "program", offset, len);
    int rc = board_program_check_args(run, offset, data, len);
    run_flash_op_t *o = rc == 0 ? board_op_new(run, op_id, NULL) : NULL;
    if (rc < 0 || o == NULL) {
        return rc < 0 ? rc : CHUNKCORE_E_IO;
    }
    /* The board keeps its own copy: the caller's buffer may go at once. */
    o->src = malloc(len);
    if (o->src == NULL) {
        o->recorded = true;
        return CHUNKCORE_E_IO;
    }
    memcpy(o->src, data, len);
    board_check_program(run, offset, o->src, (uint32_t)len);
    board_report_issue(run, FLASHMODEL_OP_PROGRAM, run->storage_base + offset, (uint32_t)len,
                       false);
    chunksim__run_reboot_count_op(run, FLASHMODEL_OP_PROGRAM);
    if (flashmodel_program_begin(&run->flash, board_now(run), run->storage_base + offset, o->src,
                                 (uint32_t)len, &o->op) < 0) {
        return board_refused(run, o);
    }
    board_write_accepted(run);
    if (!chunksim__run_reboot_op_begun(run, &o->op, o->seq)) {
        board_power_cut_at(run, o->op.cut_us);
    }
    return board_op_schedule(run, o);
}

static void board_cancel(void *ctx, uint32_t op_id)
{
    run_t *run = ctx;
    for (run_flash_op_t *o = run->ops; o != NULL; o = o->next) {
        if (o->op_id == op_id && !o->recorded) {
            o->cancelled = true;
        }
    }
}

static int board_get_info(void *ctx, chunkcore_storage_info_t *info)
{
    run_t *run = ctx;
    info->size_bytes = run->sc->coredump.storage_bytes;
    info->sector_bytes = run->sc->flash.sector_bytes;
    return 0;
}

/*
 * A blocking op queued behind async programs or erases ends after them: the
 * device did them first, so their effects go into the array now (the model
 * finishes in device order); their completions still come at their time.
 */
static void board_apply_writes_before(run_t *run, const flashmodel_op_t *op)
{
    run_flash_op_t *chosen[64];
    size_t n = 0;
    if (run->view_writes == 0) {
        return; /* none unapplied: no walk over every op of the run */
    }
    for (run_flash_op_t *o = run->ops; o != NULL && n < 64; o = o->next) {
        if (!o->applied && !o->recorded && o->op.kind != FLASHMODEL_OP_READ &&
            o->op.end_us != FLASHMODEL_NEVER && o->op.device_end_us <= op->device_end_us) {
            chosen[n++] = o; /* run->ops is newest first */
        }
    }
    while (n > 0) {
        (void)board_op_take(run, chosen[--n]);
    }
}

/* A blocking access: the CPU waits out the device, so the call's clock moves on. */
static int board_sync_op(run_t *run, flashmodel_op_t *op, uint8_t *dst, int begin_rc)
{
    run_flash_op_t *o = board_op_new(run, 0, NULL);
    uint64_t seq = o != NULL ? o->seq : ++run->flash_seq;
    if (begin_rc < 0) {
        chunksim__run_board_record_op(run, op, seq, NULL);
        if (o != NULL) {
            o->recorded = true;
        }
        return CHUNKCORE_E_IO;
    }
    if (!chunksim__run_reboot_op_begun(run, op, seq)) {
        board_power_cut_at(run, op->cut_us);
    }
    board_apply_writes_before(run, op);
    uint64_t now = board_now(run);
    if (op->end_us == FLASHMODEL_NEVER) {
        /* The driver's own timeout is the only way out of a lost completion. */
        run->stall_us += run->sc->reader.read_timeout_us;
        (void)flashmodel_op_finish(&run->flash, op, dst);
        op->status = FLASHMODEL_E_TIMEOUT;
    } else {
        run->stall_us += op->end_us > now ? op->end_us - now : 0;
        (void)flashmodel_op_finish(&run->flash, op, dst);
    }
    chunksim__run_board_record_op(run, op, seq, NULL);
    if (op->kind != FLASHMODEL_OP_READ) {
        board_view_refresh(run);
        if (board_clear_lost(op)) {
            chunksim_monitor_clear_failed(&run->mon);
        }
    }
    board_delivered(run, op, op->status, dst);
    if (o != NULL) {
        o->op = *op;
        o->applied = true;
        o->recorded = true;
    }
    return op->status == 0 ? 0 : CHUNKCORE_E_IO;
}

static int board_read_sync(void *ctx, uint32_t offset, void *buf, size_t len)
{
    run_t *run = ctx;
    flashmodel_op_t op;
    board_count(run, "read", offset, len);
    if ((uint64_t)offset + len > run->sc->coredump.storage_bytes) {
        return CHUNKCORE_E_RANGE;
    }
    board_report_issue(run, FLASHMODEL_OP_READ, run->storage_base + offset, (uint32_t)len, true);
    chunksim__run_reboot_count_op(run, FLASHMODEL_OP_READ);
    int rc = flashmodel_read_begin(&run->flash, board_now(run), run->storage_base + offset,
                                   (uint32_t)len, &op);
    return board_sync_op(run, &op, buf, rc);
}

/* A blocking range erase: unit after unit, as a driver's loop; the first failure ends it. */
static int board_erase_sync(void *ctx, uint32_t offset, size_t len)
{
    run_t *run = ctx;
    uint8_t scratch[1];
    board_count(run, "erase", offset, len);
    if (!board_erase_range_ok(run, offset, len)) {
        return CHUNKCORE_E_INVAL;
    }
    uint32_t end = (uint32_t)(offset + len);
    for (uint32_t at = offset; at < end;) {
        flashmodel_op_kind_t kind = board_erase_kind_at(run, at, end);
        flashmodel_op_t op;
        board_report_issue(run, kind, run->storage_base + at, board_erase_bytes(run, kind), true);
        chunksim__run_reboot_count_op(run, kind);
        int rc =
            flashmodel_erase_begin(&run->flash, board_now(run), kind, run->storage_base + at, &op);
        rc = board_sync_op(run, &op, scratch, rc);
        if (rc < 0) {
            return rc;
        }
        at += board_erase_bytes(run, kind);
    }
    return 0;
}

static int board_program_sync(void *ctx, uint32_t offset, const void *data, size_t len)
{
    run_t *run = ctx;
    flashmodel_op_t op;
    uint8_t scratch[1];
    board_count(run, "program", offset, len);
    int rc = board_program_check_args(run, offset, data, len);
    if (rc < 0) {
        return rc;
    }
    board_check_program(run, offset, data, (uint32_t)len);
    board_report_issue(run, FLASHMODEL_OP_PROGRAM, run->storage_base + offset, (uint32_t)len, true);
    chunksim__run_reboot_count_op(run, FLASHMODEL_OP_PROGRAM);
    rc = flashmodel_program_begin(&run->flash, board_now(run), run->storage_base + offset, data,
                                  (uint32_t)len, &op);
    return board_sync_op(run, &op, scratch, rc);
}

/* Timed cuts (power_loss at_us=T) happen whatever the flash is doing. */
void chunksim__run_board_arm_timed_cuts(run_t *run)
{
    const chunksim_scenario_t *sc = run->sc;
    uint64_t first = FLASHMODEL_NEVER;
    for (size_t i = 0; i < sc->faults.count; i++) {
        const chunksim_fault_rule_t *r = &sc->faults.rules[i];
        if (r->kind == CHUNKSIM_FAULT_POWER_LOSS && r->trigger == CHUNKSIM_TRIGGER_AT_US &&
            r->time_us < first) {
            first = r->time_us;
        }
    }
    board_power_cut_at(run, first);
}

static void board_inline_completion(void *ctx, const char *what)
{
    run_t *run = ctx;
    chunksim_monitor_inline_completion(&run->mon, what);
}

void chunksim__run_board_init(run_t *run)
{
    run->board = (chunksim_board_t){
        .async =
            {
                .read_start = board_read_start,
                .erase_start = board_erase_start,
                .cancel = board_cancel,
                .get_info = board_get_info,
                .ctx = run,
            },
        .read_sync = board_read_sync,
        .erase_sync = board_erase_sync,
        .program_start = board_program_start,
        .program_sync = board_program_sync,
        .page_bytes = run->sc->flash.page_bytes,
        .mapped = board_mapped,
        .mapped_fault = board_mapped_fault,
        .stuck = board_stuck,
        .inline_completion = board_inline_completion,
        .ctx = run,
    };
}

/*
 * The run is over but the device is not: operations it accepted (an erase
 * dispatched by the last clear, a prefetch) still complete, so the verdict
 * sees the flash as it will be. Lost completions and cancelled reads stay
 * pending.
 */
static bool board_accepted(const run_t *run, const run_flash_op_t *o)
{
    (void)run;
    return !o->cancelled && o->op.end_us != FLASHMODEL_NEVER;
}

void chunksim__run_board_power_off(run_t *run)
{
    board_complete_where(run, board_due_now, NULL);
    board_complete_where(run, board_accepted, "POWER_CUT");
}

void chunksim__run_board_settle(run_t *run)
{
    board_complete_where(run, board_accepted, "AFTER_END");
}

/* Ops still in flight at the end: recorded as never completed, in issue order. */
void chunksim__run_board_record_pending(run_t *run)
{
    /* run->ops is newest first; a few ops at most are pending. */
    run_flash_op_t *pending[64];
    size_t n = 0;
    for (run_flash_op_t *o = run->ops; o != NULL && n < 64; o = o->next) {
        if (!o->recorded) {
            pending[n++] = o;
        }
    }
    while (n > 0) {
        run_flash_op_t *o = pending[--n];
        o->op.end_us = FLASHMODEL_NEVER;
        o->recorded = true;
        chunksim__run_board_record_op(run, &o->op, o->seq, o->cancelled ? "CANCELLED" : "PENDING");
    }
}

/* ---- busy time ---- */

typedef struct {
    uint64_t start_us, end_us;
} board_span_t;

static int board_span_cmp(const void *a, const void *b)
{
    const board_span_t *x = a, *y = b;
    return x->start_us < y->start_us ? -1 : x->start_us > y->start_us;
}

/*
 * The device is busy from an op's start to its device end: a queued op
 * waits outside its span, a cut one ends at the cut, a lost completion or a
 * cancelled read still ran, a refused one has no span. Spans overlap only
 * under suspend (a read inside the write it suspended, whose span grew by
 * it), so the busy time is the length of their union.
 */
uint64_t chunksim__run_board_busy_us(const run_t *run, uint64_t end_us)
{
    size_t n = 0;
    for (const run_flash_op_t *o = run->ops; o != NULL; o = o->next) {
        n++;
    }
    board_span_t *spans = malloc((n ? n : 1) * sizeof(*spans));
    if (spans == NULL) {
        return 0;
    }
    n = 0;
    for (const run_flash_op_t *o = run->ops; o != NULL; o = o->next) {
        uint64_t s = o->op.start_us,
                 e = o->op.device_end_us < end_us ? o->op.device_end_us : end_us;
        if (s < e) {
            spans[n++] = (board_span_t){s, e};
        }
    }
    qsort(spans, n, sizeof(*spans), board_span_cmp);
    uint64_t busy_us = 0, covered_us = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = spans[i].start_us > covered_us ? spans[i].start_us : covered_us;
        if (spans[i].end_us > s) {
            busy_us += spans[i].end_us - s;
            covered_us = spans[i].end_us;
        }
    }
    free(spans);
    return busy_us;
}

void chunksim__run_board_teardown(run_t *run)
{
    while (run->ops != NULL) {
        run_flash_op_t *o = run->ops;
        run->ops = o->next;
        free(o->src);
        free(o);
    }
    if (run->view != NULL) {
        munmap(run->view, run->view_bytes);
        run->view = NULL;
    }
}
