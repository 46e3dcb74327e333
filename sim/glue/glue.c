/*
 * User glue, in process: loading the shared object and the adapter reader
 * that lets the engine drive it (chunksim/glue.h; the glue's side is
 * chunksim/board.h). The isolated runner is glue_run.c.
 *
 * The adapter is the board and the application around the glue. The engine
 * keeps using chunkcore's packetizer with a coredump source over the
 * adapter's storage port, so the glue provides exactly what a platform
 * provides under the SDK: the prepare step, the coredump read, the storage
 * info and the clear. Board calls go to the engine's board with operation
 * ids the glue never sees; each completion is handed to the callback the
 * glue gave when it started the operation.
 */
#include "glue_internal.h"

#include "chunksim/board.h"

#include "chunkcore/error.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The board's codes are chunkcore's where both have one, so they pass through. */
_Static_assert(CHUNKSIM_BOARD_E_INVAL == CHUNKCORE_E_INVAL, "board codes follow chunkcore");
_Static_assert(CHUNKSIM_BOARD_E_IO == CHUNKCORE_E_IO, "board codes follow chunkcore");
_Static_assert(CHUNKSIM_BOARD_E_RANGE == CHUNKCORE_E_RANGE, "board codes follow chunkcore");

/* Bytes checked on each side of the buffer memfault_coredump_read() fills. */
#define GLUE_GUARD_BYTES 64u
#define GLUE_GUARD_BYTE  0xA5u

/* ---- the trace ---- */

static glue_trace_t glue_local_trace;
static glue_trace_t *glue_cur_trace = &glue_local_trace;

void chunksim__glue_trace_use(glue_trace_t *t)
{
    glue_cur_trace = t != NULL ? t : &glue_local_trace;
}

glue_trace_t *chunksim__glue_trace(void)
{
    return glue_cur_trace;
}

void chunksim__glue_enter(enum glue_fn fn, enum glue_during during, uint32_t offset, uint32_t bytes)
{
    glue_trace_t *t = glue_cur_trace;
    t->fn = (uint8_t)fn;
    t->during = (uint8_t)during;
    t->arg_offset = offset;
    t->arg_bytes = bytes;
    t->calls++;
    t->in_glue = 1;
}

static void glue_view_report(void);

void chunksim__glue_leave(void)
{
    glue_cur_trace->in_glue = 0;
    glue_view_report();
}

void chunksim__glue_call_optional(enum glue_fn fn, enum glue_during during, void (*call)(void))
{
    if (call != NULL) {
        chunksim__glue_enter(fn, during, 0, 0);
        call();
        chunksim__glue_leave();
    }
}

/* Asynchronous board operations, in the order of their GLUE_FN_*_DONE. */
enum glue_op_kind { GLUE_OP_READ, GLUE_OP_ERASE, GLUE_OP_PROGRAM };
static const char *const glue_op_names[] = {"flash_read_async", "flash_erase_async",
                                            "flash_program_async"};

static void glue_describe_fn(const glue_trace_t *t, char *buf, size_t len)
{
    switch ((enum glue_fn)t->fn) {
    case GLUE_FN_INIT:
        snprintf(buf, len, "chunksim_glue_init");
        break;
    case GLUE_FN_PREPARE:
        snprintf(buf, len, "memfault_platform_coredump_prepare_async(%" PRIu32 ")", t->arg_bytes);
        break;
    case GLUE_FN_COREDUMP_READ:
    case GLUE_FN_STORAGE_READ:
        snprintf(buf, len, "%s(offset %" PRIu32 ", %" PRIu32 " bytes)",
                 t->fn == GLUE_FN_COREDUMP_READ ? "memfault_coredump_read"
                                                : "memfault_platform_coredump_storage_read",
                 t->arg_offset, t->arg_bytes);
        break;
    case GLUE_FN_GET_INFO:
        snprintf(buf, len, "memfault_platform_coredump_storage_get_info");
        break;
    case GLUE_FN_CLEAR:
        snprintf(buf, len, "memfault_platform_coredump_storage_clear");
        break;
    case GLUE_FN_ABORT:
        snprintf(buf, len, "chunksim_glue_abort");
        break;
    case GLUE_FN_GET_CHUNK:
        snprintf(buf, len, "memfault_packetizer_get_chunk(%" PRIu32 " bytes), the firmware's own",
                 t->arg_bytes);
        break;
    case GLUE_FN_PACKETIZER_ABORT:
        snprintf(buf, len, "memfault_packetizer_abort");
        break;
    case GLUE_FN_READ_DONE:
    case GLUE_FN_ERASE_DONE:
    case GLUE_FN_PROGRAM_DONE:
        snprintf(buf, len, "the completion callback of %s(offset %" PRIu32 ", %" PRIu32 " bytes)",
                 glue_op_names[t->fn - GLUE_FN_READ_DONE], t->arg_offset, t->arg_bytes);
        break;
    default:
        snprintf(buf, len, "no glue function");
        break;
    }
}

void chunksim__glue_trace_describe(const glue_trace_t *t, char *buf, size_t len)
{
    static const char *const during[] = {
        [GLUE_DURING_SETUP] = "at the start of the run",
        [GLUE_DURING_PREPARE] = "called by the application's prepare step",
        [GLUE_DURING_PACKETIZER] = "called by the packetizer in get-chunk",
        [GLUE_DURING_COMPLETION] = "called from the event loop (a flash completion)",
        [GLUE_DURING_TIMEOUT] = "called from the event loop (the read timeout gave up)",
        [GLUE_DURING_ABORT] = "called by the application's abort (link down)",
    };
    char fn[160];
    glue_describe_fn(t, fn, sizeof(fn));
    const char *when = t->during < sizeof(during) / sizeof(during[0]) ? during[t->during] : "?";
    snprintf(buf, len, "%s, %s (glue call %" PRIu64 ")", fn, when, t->calls);
}

void chunksim__glue_note(const char *fmt, ...)
{
    glue_trace_t *t = glue_cur_trace;
    if (t->note[0] != '\0') {
        return; /* the first one is the one that explains the rest */
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->note, sizeof(t->note), fmt, ap);
    va_end(ap);
}

const char *chunksim_glue_note(void)
{
    return glue_cur_trace->note;
}

/* ---- loading ---- */

int chunksim__glue_resolve(void *dl, chunksim_glue_fns_t *fns, char *err, size_t errlen)
{
    /* POSIX guarantees that a dlsym() result converts to a function pointer. */
    *(void **)&fns->init = dlsym(dl, "chunksim_glue_init");
    *(void **)&fns->prepare = dlsym(dl, "memfault_platform_coredump_prepare_async");
    *(void **)&fns->coredump_read = dlsym(dl, "memfault_coredump_read");
    *(void **)&fns->storage_read = dlsym(dl, "memfault_platform_coredump_storage_read");
    *(void **)&fns->get_info = dlsym(dl, "memfault_platform_coredump_storage_get_info");
    *(void **)&fns->clear = dlsym(dl, "memfault_platform_coredump_storage_clear");
    *(void **)&fns->abort = dlsym(dl, "chunksim_glue_abort");
    *(void **)&fns->get_chunk = dlsym(dl, "memfault_packetizer_get_chunk");
    *(void **)&fns->begin = dlsym(dl, "memfault_packetizer_begin");
    *(void **)&fns->get_next = dlsym(dl, "memfault_packetizer_get_next");
    *(void **)&fns->packetizer_abort = dlsym(dl, "memfault_packetizer_abort");
    *(void **)&fns->attach = dlsym(dl, "chunksim_firmware_attach");
    *(void **)&fns->sdk_version = dlsym(dl, "chunksim_firmware_sdk_version");
    *(void **)&fns->rle_has_more = dlsym(dl, "memfault_data_source_rle_has_more_msgs");
    bool packetizer = fns->get_chunk != NULL || (fns->begin != NULL && fns->get_next != NULL);
    if (packetizer && fns->attach == NULL) {
        snprintf(err, errlen,
                 "it carries its own packetizer but not chunksim's shim "
                 "(chunksim_firmware_attach), so its reads could not be checked: build it with "
                 "chunksim_add_firmware() or tools/build-firmware.sh (chunksim/firmware.h)");
        return -ENOENT;
    }
    if (!packetizer) {
        fns->attach = NULL; /* a glue over chunksim's packetizer: nothing to attach */
    }
    const char *missing = NULL;
    if (fns->init == NULL) {
        missing = "chunksim_glue_init";
    } else if (fns->get_info == NULL) {
        missing = "memfault_platform_coredump_storage_get_info";
    } else if (fns->clear == NULL) {
        missing = "memfault_platform_coredump_storage_clear";
    } else if (fns->coredump_read == NULL && fns->storage_read == NULL) {
        missing = "memfault_coredump_read (or memfault_platform_coredump_storage_read)";
    }
    if (missing != NULL) {
        snprintf(err, errlen, "the glue does not export %s (see chunksim/board.h)", missing);
        return -ENOENT;
    }
    return 0;
}

int chunksim_glue_load(chunksim_glue_t *g, char *err, size_t errlen)
{
    if (g->dl_ != NULL) {
        return 0;
    }
    g->fns_ = calloc(1, sizeof(*g->fns_));
    if (g->fns_ == NULL) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    /* RTLD_LAZY: a function the object references but never defines (a
     * crash-time path, logging) stops nothing until it is called; the run
     * that calls it ends in error naming it (glue_run.c). */
    g->dl_ = dlopen(g->path, RTLD_LAZY | RTLD_LOCAL);
    int rc = g->dl_ == NULL ? -ENOEXEC : chunksim__glue_resolve(g->dl_, g->fns_, err, errlen);
    if (g->dl_ == NULL) {
        snprintf(err, errlen, "%s", dlerror());
    }
    if (rc < 0) {
        chunksim_glue_close(g);
        return rc;
    }
    g->async = g->fns_->prepare != NULL;
    g->firmware = g->fns_->attach != NULL;
    if (g->firmware) {
        const char *v = g->fns_->sdk_version != NULL ? g->fns_->sdk_version() : NULL;
        snprintf(g->packetizer, sizeof(g->packetizer), "firmware, SDK %.30s%s",
                 v != NULL ? v : "version unknown", g->fns_->rle_has_more != NULL ? ", RLE" : "");
    } else {
        snprintf(g->packetizer, sizeof(g->packetizer), "chunksim");
    }
    return 0;
}

/* ---- the adapter reader ---- */

typedef struct glue_op {
    bool used;
    enum glue_op_kind kind;
    uint32_t id;
    bool told; /* reported as inline_completion */
    uint32_t offset, bytes;
    uint64_t prepare; /* the prepare call that started it (a->prepares), 0: outside one */
    chunksim_board_done_cb done;
    void *ctx;
} glue_op_t;

typedef struct glue_adapter {
    chunksim_board_t board;
    chunksim_board_api_t api;
    chunkcore_storage_port_t port;
    const chunksim_glue_fns_t *fns;
    glue_op_t ops[CHUNKSIM_BOARD_MAX_OPS];
    uint32_t last_id;
    uint64_t prepares;   /* prepare calls so far */
    bool in_prepare;     /* the glue's prepare is running */
    uint64_t said_ready; /* the last prepare that said ready (a->prepares then), 0: none */
    uint8_t *bounce;
    size_t bounce_bytes;
} glue_adapter_t;

static chunksim_glue_t *glue_selected;
/* The board functions take no context, like a board's driver: the one adapter of this run. */
static glue_adapter_t *glue_active;

void chunksim_glue_use(chunksim_glue_t *g)
{
    glue_selected = g;
}

const chunksim_glue_fns_t *chunksim__glue_selected_fns(void)
{
    return glue_selected != NULL ? glue_selected->fns_ : NULL;
}

/* ---- the memory-mapped view's guard ---- */

/*
 * In a run's own process the board makes the view unreadable while a
 * program or erase is in flight. A load from it then faults: the handler
 * notes the first offset, makes that page readable so that the load
 * completes (with the bytes from before the operation), and the monitor
 * hears of it when the glue function returns. Any other fault is a crash,
 * as without the handler.
 */
static const uint8_t *volatile glue_view;
static volatile size_t glue_view_bytes;
static volatile uintptr_t glue_page_bytes;
static volatile sig_atomic_t glue_view_faulted;
static volatile uint32_t glue_view_fault_offset;

static void glue_view_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    const uint8_t *p = si->si_addr;
    const uint8_t *base = glue_view;
    if (base == NULL || p < base || p >= base + glue_view_bytes) {
        signal(sig, SIG_DFL); /* the fault repeats and ends the process */
        return;
    }
    if (!glue_view_faulted) {
        glue_view_fault_offset = (uint32_t)(p - base);
        glue_view_faulted = 1;
    }
    (void)mprotect((void *)((uintptr_t)p & ~(glue_page_bytes - 1)), glue_page_bytes, PROT_READ);
}

static const uint8_t *glue_view_guard(const chunksim_board_t *board, uint32_t storage_bytes)
{
    bool isolated = glue_cur_trace != &glue_local_trace;
    const uint8_t *view = board->mapped != NULL ? board->mapped(board->ctx, isolated) : NULL;
    glue_view = NULL;
    glue_view_faulted = 0;
    if (view != NULL && isolated) {
        struct sigaction sa = {.sa_sigaction = glue_view_segv, .sa_flags = SA_SIGINFO};
        sigemptyset(&sa.sa_mask);
        glue_page_bytes = (uintptr_t)sysconf(_SC_PAGESIZE);
        glue_view_bytes = storage_bytes;
        glue_view = view;
        sigaction(SIGSEGV, &sa, NULL);
    }
    return view;
}

static const char *glue_board_errname(int rc)
{
    switch (rc) {
    case CHUNKSIM_BOARD_E_INVAL:
        return "E_INVAL";
    case CHUNKSIM_BOARD_E_IO:
        return "E_IO";
    case CHUNKSIM_BOARD_E_RANGE:
        return "E_RANGE (outside the coredump storage)";
    case CHUNKSIM_BOARD_E_NOMEM:
        return "E_NOMEM (too many operations in flight)";
    case CHUNKSIM_BOARD_E_TIMEOUT:
        return "E_TIMEOUT (given up by the read timeout)";
    default:
        return "error";
    }
}

static int glue_board_status(int rc)
{
    switch (rc) {
    case CHUNKSIM_BOARD_E_INVAL:
    case CHUNKSIM_BOARD_E_IO:
    case CHUNKSIM_BOARD_E_RANGE:
        return rc;
    default:
        return rc < 0 ? CHUNKSIM_BOARD_E_IO : CHUNKSIM_BOARD_OK;
    }
}

static glue_op_t *glue_op_new(glue_adapter_t *a)
{
    for (size_t i = 0; i < CHUNKSIM_BOARD_MAX_OPS; i++) {
        if (!a->ops[i].used) {
            if (++a->last_id == 0) {
                ++a->last_id; /* the engine's boards treat 0 as "none" */
            }
            a->ops[i] = (glue_op_t){.used = true, .id = a->last_id};
            return &a->ops[i];
        }
    }
    return NULL;
}

static bool glue_ops_in_flight(const glue_adapter_t *a)
{
    for (size_t i = 0; i < CHUNKSIM_BOARD_MAX_OPS; i++) {
        if (a->ops[i].used) {
            return true;
        }
    }
    return false;
}

/*
 * The glue has called the board so often inside one call that it loops
 * there (board.stuck): its calls return, so the glue timeout would only end
 * it after seconds of wall time. In its own child process the run ends now,
 * with the reason, as for memory corruption; in-process nothing can end it.
 */
static void glue_check_stuck(const glue_adapter_t *a)
{
    const char *why = a->board.stuck != NULL ? a->board.stuck(a->board.ctx) : NULL;
    if (why == NULL || glue_cur_trace == &glue_local_trace) {
        return;
    }
    char where[GLUE_TRACE_TEXT_BYTES];
    chunksim__glue_trace_describe(glue_cur_trace, where, sizeof(where));
    snprintf(glue_cur_trace->fatal, sizeof(glue_cur_trace->fatal), "glue livelocked: %.150s, in %s",
             why, where);
    abort();
}

/* Starts op on the engine's board: buf is a read's destination, data a program's source. */
static int glue_op_dispatch(glue_adapter_t *a, enum glue_op_kind kind, uint32_t id, uint32_t offset,
                            void *buf, const void *data, size_t len)
{
    const chunkcore_async_port_t *port = &a->board.async;
    switch (kind) {
    case GLUE_OP_READ:
        return port->read_start(port->ctx, id, offset, buf, len);
    case GLUE_OP_ERASE:
        return port->erase_start(port->ctx, id, offset, len);
    default:
        return a->board.program_start(a->board.ctx, id, offset, data, len);
    }
}

static int glue_op_start(enum glue_op_kind kind, uint32_t offset, void *buf, const void *data,
                         size_t len, chunksim_board_done_cb done, void *ctx)
{
    glue_adapter_t *a = glue_active;
    const char *what = glue_op_names[kind];
    bool no_buf = (kind == GLUE_OP_READ && buf == NULL && len > 0) ||
                  (kind == GLUE_OP_PROGRAM && data == NULL);
    if (a == NULL || done == NULL || no_buf || len > UINT32_MAX) {
        chunksim__glue_note("%s(offset %" PRIu32 ", %zu bytes): invalid arguments", what, offset,
                            len);
        return CHUNKSIM_BOARD_E_INVAL;
    }
    glue_op_t *op = glue_op_new(a);
    if (op == NULL) {
        chunksim__glue_note("%s(offset %" PRIu32
                            ", %zu bytes) refused: %u operations already in flight",
                            what, offset, len, CHUNKSIM_BOARD_MAX_OPS);
        return CHUNKSIM_BOARD_E_NOMEM;
    }
    int rc = glue_op_dispatch(a, kind, op->id, offset, buf, data, len);
    glue_check_stuck(a);
    if (rc < 0) {
        op->used = false;
        rc = glue_board_status(rc);
        chunksim__glue_note("%s(offset %" PRIu32 ", %zu bytes) refused by the board: %s", what,
                            offset, len, glue_board_errname(rc));
        return rc;
    }
    op->kind = kind;
    op->offset = offset;
    op->bytes = (uint32_t)len;
    op->prepare = a->in_prepare ? a->prepares : 0;
    op->done = done;
    op->ctx = ctx;
    return CHUNKSIM_BOARD_OK;
}

static int glue_board_read_async(uint32_t offset, void *buf, size_t len,
                                 chunksim_board_done_cb done, void *ctx)
{
    return glue_op_start(GLUE_OP_READ, offset, buf, NULL, len, done, ctx);
}

static int glue_board_erase_async(uint32_t offset, size_t len, chunksim_board_done_cb done,
                                  void *ctx)
{
    return glue_op_start(GLUE_OP_ERASE, offset, NULL, NULL, len, done, ctx);
}

static int glue_board_program_async(uint32_t offset, const void *data, size_t len,
                                    chunksim_board_done_cb done, void *ctx)
{
    return glue_op_start(GLUE_OP_PROGRAM, offset, NULL, data, len, done, ctx);
}

static int glue_board_program(uint32_t offset, const void *data, size_t len)
{
    glue_adapter_t *a = glue_active;
    if (a == NULL || data == NULL) {
        return CHUNKSIM_BOARD_E_INVAL;
    }
    int rc = glue_board_status(a->board.program_sync(a->board.ctx, offset, data, len));
    glue_check_stuck(a);
    return rc;
}

static int glue_board_read(uint32_t offset, void *buf, size_t len)
{
    glue_adapter_t *a = glue_active;
    if (a == NULL || (buf == NULL && len > 0)) {
        return CHUNKSIM_BOARD_E_INVAL;
    }
    int rc = glue_board_status(a->board.read_sync(a->board.ctx, offset, buf, len));
    glue_check_stuck(a);
    return rc;
}

static int glue_board_erase(uint32_t offset, size_t len)
{
    glue_adapter_t *a = glue_active;
    if (a == NULL) {
        return CHUNKSIM_BOARD_E_INVAL;
    }
    int rc = glue_board_status(a->board.erase_sync(a->board.ctx, offset, len));
    glue_check_stuck(a);
    return rc;
}

/* Runs the glue's completion callback for op (already taken off the list). A
 * read that failed is noted: what the glue then serves is its own doing. */
static void glue_op_report(const glue_op_t *op, enum glue_during during, int status)
{
    if (op->kind == GLUE_OP_READ && status != CHUNKSIM_BOARD_OK) {
        chunksim__glue_note("flash_read_async(offset %" PRIu32 ", %" PRIu32
                            " bytes) completed with %s",
                            op->offset, op->bytes, glue_board_errname(status));
    }
    chunksim__glue_enter((enum glue_fn)(GLUE_FN_READ_DONE + op->kind), during, op->offset,
                         op->bytes);
    op->done(status, op->ctx);
    chunksim__glue_leave();
}

static void glue_view_report(void)
{
    if (!glue_view_faulted) {
        return;
    }
    glue_view_faulted = 0;
    glue_adapter_t *a = glue_active;
    if (a != NULL && a->board.mapped_fault != NULL) {
        a->board.mapped_fault(a->board.ctx, glue_view_fault_offset);
    }
}

/* ---- the storage port the coredump source reads through ---- */

static int glue_port_get_info(void *ctx, chunkcore_storage_info_t *info)
{
    glue_adapter_t *a = ctx;
    sMfltCoredumpStorageInfo sdk = {0, 0};
    chunksim__glue_enter(GLUE_FN_GET_INFO, GLUE_DURING_PACKETIZER, 0, 0);
    a->fns->get_info(&sdk);
    chunksim__glue_leave();
    info->size_bytes = sdk.size > UINT32_MAX ? UINT32_MAX : (uint32_t)sdk.size;
    info->sector_bytes = sdk.sector_size > UINT32_MAX ? UINT32_MAX : (uint32_t)sdk.sector_size;
    return 0;
}

static bool glue_guards_intact(const uint8_t *bounce, size_t len)
{
    for (size_t i = 0; i < GLUE_GUARD_BYTES; i++) {
        if (bounce[i] != GLUE_GUARD_BYTE || bounce[GLUE_GUARD_BYTES + len + i] != GLUE_GUARD_BYTE) {
            return false;
        }
    }
    return true;
}

/*
 * The glue writes into a bounce buffer with guard bytes on both sides: a
 * write past the bytes it was asked for is memory corruption on a board, and
 * here it stops the run at the call that did it. Memory is suspect from then
 * on, so the process ends (SIGABRT) with the reason in the trace.
 */
static int glue_read_guarded(glue_adapter_t *a, uint32_t offset, void *buf, size_t len)
{
    size_t need = len + 2 * GLUE_GUARD_BYTES;
    if (need > a->bounce_bytes) {
        uint8_t *b = realloc(a->bounce, need);
        if (b == NULL) {
            return CHUNKCORE_E_IO;
        }
        a->bounce = b;
        a->bounce_bytes = need;
    }
    memset(a->bounce, GLUE_GUARD_BYTE, need);
    chunksim__glue_enter(GLUE_FN_COREDUMP_READ, GLUE_DURING_PACKETIZER, offset, (uint32_t)len);
    bool ok = a->fns->coredump_read(offset, a->bounce + GLUE_GUARD_BYTES, len);
    chunksim__glue_leave();
    if (!glue_guards_intact(a->bounce, len)) {
        char where[GLUE_TRACE_TEXT_BYTES];
        chunksim__glue_trace_describe(glue_cur_trace, where, sizeof(where));
        snprintf(glue_cur_trace->fatal, sizeof(glue_cur_trace->fatal),
                 "glue corrupted memory: %.200s wrote outside the %zu-byte buffer it was given",
                 where, len);
        abort();
    }
    if (ok) {
        memcpy(buf, a->bounce + GLUE_GUARD_BYTES, len);
    }
    return ok ? 0 : CHUNKCORE_E_READ_REFUSED;
}

/*
 * A prepare that started a read and said ready has treated the read as done
 * inside the call that dispatched it: the packetizer now reads bytes that
 * are still on their way. A read started by that prepare for other bytes (a
 * double buffer's next window) is no such claim.
 */
static void glue_check_inline_completion(glue_adapter_t *a, uint32_t offset, size_t len)
{
    for (size_t i = 0; i < CHUNKSIM_BOARD_MAX_OPS; i++) {
        glue_op_t *op = &a->ops[i];
        if (!op->used || op->kind != GLUE_OP_READ || op->told || op->prepare == 0 ||
            op->prepare != a->said_ready || offset >= op->offset + op->bytes ||
            op->offset >= offset + len || a->board.inline_completion == NULL) {
            continue;
        }
        char what[256];
        snprintf(what, sizeof(what),
                 "read of [%" PRIu32 ", %" PRIu32 ") taken as done by the prepare that started "
                 "it: memfault_coredump_read(%" PRIu32 ", %zu bytes) before its completion",
                 op->offset, op->offset + op->bytes, offset, len);
        op->told = true;
        a->board.inline_completion(a->board.ctx, what);
    }
}

/* A false from the glue is its own routine refusing the read, as under the SDK
 * (core/src/sdk): no flash operation failed, so it is not called one. */
static int glue_port_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    glue_adapter_t *a = ctx;
    glue_check_inline_completion(a, offset, len);
    if (a->fns->coredump_read != NULL) {
        return glue_read_guarded(a, offset, buf, len);
    }
    chunksim__glue_enter(GLUE_FN_STORAGE_READ, GLUE_DURING_PACKETIZER, offset, (uint32_t)len);
    bool ok = a->fns->storage_read(offset, buf, len);
    chunksim__glue_leave();
    return ok ? 0 : CHUNKCORE_E_READ_REFUSED;
}

static int glue_port_clear(void *ctx)
{
    glue_adapter_t *a = ctx;
    chunksim__glue_enter(GLUE_FN_CLEAR, GLUE_DURING_PACKETIZER, 0, 0);
    a->fns->clear();
    chunksim__glue_leave();
    return 0;
}

/* ---- the reader the engine drives ---- */

static int glue_reader_prepare(void *self, size_t next_chunk_bytes)
{
    glue_adapter_t *a = self;
    if (a->fns->prepare == NULL) {
        return CHUNKCORE_ASYNC_READY;
    }
    uint32_t arg = next_chunk_bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)next_chunk_bytes;
    chunksim__glue_enter(GLUE_FN_PREPARE, GLUE_DURING_PREPARE, 0, arg);
    a->prepares++;
    a->in_prepare = true;
    bool wait = a->fns->prepare(next_chunk_bytes);
    a->in_prepare = false;
    chunksim__glue_leave();
    a->said_ready = wait ? 0 : a->prepares;
    if (wait && !glue_ops_in_flight(a)) {
        chunksim__glue_note("memfault_platform_coredump_prepare_async(%zu) said wait with no flash "
                            "operation in flight: nothing will complete",
                            next_chunk_bytes);
    }
    return wait ? CHUNKCORE_ASYNC_WAIT : CHUNKCORE_ASYNC_READY;
}

static glue_op_t *glue_op_find(glue_adapter_t *a, uint32_t op_id)
{
    for (size_t i = 0; i < CHUNKSIM_BOARD_MAX_OPS; i++) {
        if (a->ops[i].used && a->ops[i].id == op_id) {
            return &a->ops[i];
        }
    }
    return NULL;
}

static int glue_reader_complete(void *self, uint32_t op_id, int status)
{
    glue_adapter_t *a = self;
    glue_op_t *slot = op_id != 0 ? glue_op_find(a, op_id) : NULL;
    if (slot == NULL) {
        return CHUNKCORE_E_STALE;
    }
    /* Off the list first: the callback may start the next operation. */
    glue_op_t op = *slot;
    slot->used = false;
    glue_op_report(&op, GLUE_DURING_COMPLETION, glue_board_status(status));
    return CHUNKCORE_OK;
}

/* The application's read timeout gave up: abandon what is in flight and say so. */
static void glue_reader_cancel(void *self)
{
    glue_adapter_t *a = self;
    glue_op_t gone[CHUNKSIM_BOARD_MAX_OPS];
    size_t n = 0;
    for (size_t i = 0; i < CHUNKSIM_BOARD_MAX_OPS; i++) {
        if (a->ops[i].used) {
            if (a->board.async.cancel != NULL) {
                a->board.async.cancel(a->board.async.ctx, a->ops[i].id);
            }
            gone[n++] = a->ops[i];
            a->ops[i].used = false;
        }
    }
    for (size_t i = 0; i < n; i++) {
        glue_op_report(&gone[i], GLUE_DURING_TIMEOUT, CHUNKSIM_BOARD_E_TIMEOUT);
    }
}

static void glue_reader_rewind(void *self)
{
    glue_adapter_t *a = self;
    chunksim__glue_call_optional(GLUE_FN_ABORT, GLUE_DURING_ABORT, a->fns->abort);
}

static void glue_reader_destroy(void *self)
{
    glue_adapter_t *a = self;
    if (glue_active == a) {
        glue_active = NULL;
    }
    free(a->bounce);
    free(a);
}

static void glue_adapter_wire(glue_adapter_t *a, const chunksim_board_t *board,
                              const chunksim_reader_config_t *cfg,
                              const chunkcore_storage_info_t *info)
{
    a->board = *board;
    a->fns = glue_selected->fns_;
    a->api = (chunksim_board_api_t){
        .version = CHUNKSIM_BOARD_API_VERSION,
        .storage_bytes = info->size_bytes,
        .sector_bytes = info->sector_bytes,
        .window_bytes = cfg->window_bytes,
        .flash_read_async = glue_board_read_async,
        .flash_erase_async = glue_board_erase_async,
        .flash_read = glue_board_read,
        .flash_erase = glue_board_erase,
        .page_bytes = board->page_bytes,
        .flash_program_async = glue_board_program_async,
        .flash_program = glue_board_program,
        .flash_mapped = glue_view_guard(board, info->size_bytes),
    };
    a->port = (chunkcore_storage_port_t){
        .get_info = glue_port_get_info,
        .read = glue_port_read,
        .clear = glue_port_clear,
        .ctx = a,
        /* A window that moves forward cannot serve the second pass RLE needs. */
        .sequential_only = glue_selected->async,
    };
}

int chunksim_glue_reader_create(chunksim_reader_t *out, const chunksim_board_t *board,
                                const chunksim_reader_config_t *cfg)
{
    chunkcore_storage_info_t info = {0, 0};
    if (glue_selected == NULL || glue_selected->fns_ == NULL) {
        return CHUNKCORE_E_INVAL;
    }
    int rc = board->async.get_info(board->async.ctx, &info);
    if (rc < 0) {
        return rc;
    }
    glue_adapter_t *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        return -ENOMEM;
    }
    glue_adapter_wire(a, board, cfg, &info);
    glue_cur_trace->note[0] = '\0';
    glue_active = a;
    chunksim__glue_enter(GLUE_FN_INIT, GLUE_DURING_SETUP, 0, 0);
    rc = a->fns->init(&a->api);
    chunksim__glue_leave();
    if (rc < 0) {
        chunksim__glue_note(
            "chunksim_glue_init refused to start with %d (the board is version %u; a glue "
            "built for an older chunksim/board.h that checks for equality refuses it: "
            "rebuild it)",
            rc, CHUNKSIM_BOARD_API_VERSION);
        glue_reader_destroy(a);
        return CHUNKCORE_E_INVAL;
    }
    *out = (chunksim_reader_t){
        .name = "glue",
        .async = glue_selected->async,
        .self = a,
        .storage = &a->port,
        .prepare = glue_reader_prepare,
        .complete = glue_reader_complete,
        .cancel = glue_reader_cancel,
        .rewind = glue_reader_rewind,
        .destroy = glue_reader_destroy,
    };
    return 0;
}

void chunksim_glue_close(chunksim_glue_t *g)
{
    if (glue_selected == g) {
        glue_selected = NULL;
    }
    if (g->dl_ != NULL) {
        dlclose(g->dl_);
        g->dl_ = NULL;
    }
    free(g->fns_);
    g->fns_ = NULL;
}
