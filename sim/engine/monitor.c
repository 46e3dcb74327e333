#include "chunksim/monitor.h"

#include "chunkcore/coredump.h"
#include "chunkcore/error.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const invariant_names[] = {
#define CHUNKSIM_INVARIANT_NAME_(name, text, doc) text,
    CHUNKSIM_INVARIANT_MAP(CHUNKSIM_INVARIANT_NAME_)
#undef CHUNKSIM_INVARIANT_NAME_
};

static const char *const invariant_docs[] = {
#define CHUNKSIM_INVARIANT_DOC_(name, text, doc) doc,
    CHUNKSIM_INVARIANT_MAP(CHUNKSIM_INVARIANT_DOC_)
#undef CHUNKSIM_INVARIANT_DOC_
};

const char *chunksim_invariant_name(chunksim_invariant_t inv)
{
    return (unsigned)inv < CHUNKSIM_INV_COUNT ? invariant_names[inv] : "unknown";
}

const char *chunksim_invariant_doc(chunksim_invariant_t inv)
{
    return (unsigned)inv < CHUNKSIM_INV_COUNT ? invariant_docs[inv] : "unknown";
}

static const char *monitor_call_name(chunksim_call_kind_t kind)
{
    static const char *const names[] = {
        "prepare",  "get_chunk", "confirm",        "abort",
        "complete", "cancel",    "data_available", "get_next",
    };
    return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

static void monitor_report(chunksim_monitor_t *mon, chunksim_invariant_t inv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void monitor_report(chunksim_monitor_t *mon, chunksim_invariant_t inv, const char *fmt, ...)
{
    chunksim_violation_t v;
    memset(&v, 0, sizeof(v));
    v.invariant = inv;
    v.call_seq = mon->call_seq;
    v.t_us = mon->now_us;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v.detail, sizeof(v.detail), fmt, ap);
    va_end(ap);

    mon->counts[inv]++;
    mon->total++;
    if (mon->cfg.on_violation != NULL) {
        mon->cfg.on_violation(mon->cfg.data, &v);
    }
}

/* Reads made by these calls are the chunk's one read and must fit its room. */
static bool monitor_in_chunk_call(const chunksim_monitor_t *mon)
{
    return mon->call_seq != 0 &&
           (mon->call_kind == CHUNKSIM_CALL_GET_CHUNK || mon->call_kind == CHUNKSIM_CALL_GET_NEXT);
}

void chunksim_monitor_init(chunksim_monitor_t *mon, const chunksim_monitor_config_t *cfg)
{
    memset(mon, 0, sizeof(*mon));
    mon->cfg = *cfg;
    if (mon->cfg.image == NULL) {
        mon->cfg.image_bytes = 0;
    }
    mon->stored = mon->cfg.image_bytes > 0;
}

void chunksim_monitor_free(chunksim_monitor_t *mon)
{
    free(mon->delivered);
    mon->delivered = NULL;
}

/* The part of [offset, offset + len) inside the image; 0 when none. */
static size_t monitor_clip(const chunksim_monitor_t *mon, uint32_t offset, size_t len)
{
    if (offset >= mon->cfg.image_bytes) {
        return 0;
    }
    size_t left = mon->cfg.image_bytes - offset;
    return len < left ? len : left;
}

/* Where a and b first differ in their first n bytes; n when they do not. */
static size_t monitor_first_difference(const uint8_t *a, const uint8_t *b, size_t n)
{
    if (memcmp(a, b, n) == 0) {
        return n; /* the usual case, without a loop per byte */
    }
    size_t i = 0;
    while (i < n && a[i] == b[i]) {
        i++;
    }
    return i;
}

void chunksim_monitor_flash_delivered(chunksim_monitor_t *mon, uint32_t offset,
                                      const uint8_t *bytes, size_t len, const char *fault)
{
    size_t n = monitor_clip(mon, offset, len);
    if (n == 0 || bytes == NULL || mon->shadow_failed) {
        return;
    }
    size_t first = monitor_first_difference(mon->cfg.image + offset, bytes, n);
    if (mon->delivered == NULL && mon->cfg.data_faults) {
        if (first == n) {
            return; /* as stored at the start: nothing to remember */
        }
        mon->delivered = malloc(mon->cfg.image_bytes);
        if (mon->delivered == NULL) {
            /* Without the shadow, faults excuse any altered bytes, as they did
             * before it existed: a false violation is worse than a missed one. */
            mon->shadow_failed = true;
            return;
        }
        memcpy(mon->delivered, mon->cfg.image, mon->cfg.image_bytes);
    }
    /* After the packetizer's delete, bytes that differ are its erase's, not a fault's. */
    if (!mon->altered && first < n && mon->clears == 0) {
        mon->altered = true;
        mon->altered_by = fault;
        mon->altered_at = offset + (uint32_t)first;
    }
    /* Only data faults consult the shadow: without them it would be a
     * coredump-sized copy made for nothing (the reads after the delete). */
    if (mon->delivered != NULL) {
        memcpy(mon->delivered + offset, bytes, n);
    }
}

/* Whether bytes at offset are what the flash last delivered there, though not the image. */
static bool monitor_flash_gave(const chunksim_monitor_t *mon, uint32_t offset, const uint8_t *bytes,
                               size_t len)
{
    size_t n = monitor_clip(mon, offset, len);
    if (mon->cfg.data_faults && mon->shadow_failed) {
        return true;
    }
    return mon->cfg.data_faults && mon->delivered != NULL && n > 0 &&
           memcmp(mon->delivered + offset, bytes, n) == 0;
}

/* Whether the header the flash last delivered differs from the image's (a fault hit it). */
static bool monitor_header_altered(const chunksim_monitor_t *mon)
{
    size_t n = monitor_clip(mon, 0, CHUNKCORE_COREDUMP_HEADER_BYTES);
    if (mon->cfg.data_faults && mon->shadow_failed) {
        return true;
    }
    return mon->cfg.data_faults && mon->delivered != NULL &&
           memcmp(mon->delivered, mon->cfg.image, n) != 0;
}

void chunksim_monitor_set_time(chunksim_monitor_t *mon, uint64_t t_us)
{
    mon->now_us = t_us;
}

/* "last read [65529, 65536) repeated" */
static void monitor_idle_read_text(const chunksim_monitor_idle_t *idle, char *buf, size_t len)
{
    if (idle->reads == 0) {
        snprintf(buf, len, "no flash read");
        return;
    }
    const char *same = !idle->reads_differ && idle->reads > 1 ? " repeated" : "";
    snprintf(buf, len, "last read [%" PRIu64 ", %" PRIu64 ")%s", idle->read_offset,
             idle->read_offset + idle->read_bytes, same);
}

/* One more call without progress; the bound is reported once per stretch. */
static void monitor_idle_count(chunksim_monitor_t *mon)
{
    chunksim_monitor_idle_t *idle = &mon->idle;
    if (++idle->calls < CHUNKSIM_MONITOR_NO_PROGRESS_CALLS || idle->reported) {
        return;
    }
    idle->reported = true;
    char read[80];
    monitor_idle_read_text(idle, read, sizeof(read));
    monitor_report(mon, CHUNKSIM_INV_NO_PROGRESS,
                   "%" PRIu64
                   " calls and flash operations since t=%.3f s without a chunk or a failed "
                   "attempt, %s",
                   idle->calls, (double)idle->since_us / 1e6, read);
}

/* A storage read or a flash operation; with RLE, those inside a call are the encoder's passes. */
static void monitor_idle_count_op(chunksim_monitor_t *mon)
{
    if (!(mon->cfg.rle && mon->call_seq != 0)) {
        monitor_idle_count(mon);
    }
}

static void monitor_idle_read(chunksim_monitor_t *mon, uint32_t addr, uint32_t len)
{
    chunksim_monitor_idle_t *idle = &mon->idle;
    uint64_t offset = addr >= mon->cfg.storage_base ? addr - mon->cfg.storage_base : addr;
    if (idle->reads > 0 && (offset != idle->read_offset || len != idle->read_bytes)) {
        idle->reads_differ = true;
    }
    idle->read_offset = offset;
    idle->read_bytes = len;
    idle->reads++;
}

/* Each of these uses up something the application bounds: its chunks or its retries. */
static bool monitor_call_progresses(chunksim_call_kind_t kind, int result)
{
    switch (kind) {
    case CHUNKSIM_CALL_GET_CHUNK:
    case CHUNKSIM_CALL_GET_NEXT:
    case CHUNKSIM_CALL_CANCEL:
        return true;
    case CHUNKSIM_CALL_PREPARE:
        return result < 0;
    default:
        return false;
    }
}

void chunksim_monitor_call_begin(chunksim_monitor_t *mon, uint64_t seq, chunksim_call_kind_t kind,
                                 uint32_t arg)
{
    mon->call_seq = seq;
    mon->call_kind = kind;
    mon->call_arg = arg;
    mon->reads_in_call = 0;
    monitor_idle_count(mon);
}

void chunksim_monitor_call_end(chunksim_monitor_t *mon, int result)
{
    /* The call's own result is the engine's to record; the monitor judges
     * what happened inside the call, not how it ended, except whether it
     * was progress. */
    if (mon->call_seq != 0 && monitor_call_progresses(mon->call_kind, result)) {
        memset(&mon->idle, 0, sizeof(mon->idle));
        mon->idle.since_us = mon->now_us;
    }
    mon->call_seq = 0;
    mon->call_arg = 0;
    mon->reads_in_call = 0;
}

/* "memfault_coredump_read returned false for [0, 12); the last flash read was [7711, 8192)" */
static void monitor_refused_text(const chunksim_monitor_t *mon, uint32_t offset, uint64_t end,
                                 char *buf, size_t len)
{
    int n =
        snprintf(buf, len, "memfault_coredump_read returned false for [%" PRIu32 ", %" PRIu64 ")",
                 offset, end);
    if (n < 0 || (size_t)n >= len) {
        return;
    }
    if (mon->flash_reads == 0) {
        snprintf(buf + n, len - (size_t)n, "; no flash read was made");
        return;
    }
    snprintf(buf + n, len - (size_t)n, "; the last flash read was [%" PRIu64 ", %" PRIu64 ")",
             mon->flash_read_offset, mon->flash_read_offset + mon->flash_read_bytes);
}

static void monitor_peek_failed(chunksim_monitor_t *mon, int result)
{
    /* A synchronous read that fails is the flash's fault (the packetizer then
     * finds no coredump, as the SDK does); only an async reader promised (by
     * saying ready) that it would not. */
    if (!monitor_in_chunk_call(mon) || !mon->cfg.async_reader) {
        return;
    }
    if (result == CHUNKCORE_E_READ_REFUSED) {
        char refused[128];
        monitor_refused_text(mon, 0, CHUNKCORE_COREDUMP_HEADER_BYTES, refused, sizeof(refused));
        monitor_report(mon, CHUNKSIM_INV_READ_FAILED, "header peek in %s%s: %s",
                       monitor_call_name(mon->call_kind),
                       mon->restarted ? " after the message restarted at 0" : "", refused);
        return;
    }
    monitor_report(mon, CHUNKSIM_INV_READ_FAILED, "header peek in %s failed with %d (%s)",
                   monitor_call_name(mon->call_kind), result, chunkcore_errname(result));
}

static void monitor_peek_absent(chunksim_monitor_t *mon)
{
    if (!mon->stored) {
        return;
    }
    if (monitor_header_altered(mon)) {
        mon->suppressed++;
        return;
    }
    monitor_report(mon, CHUNKSIM_INV_WRONGLY_ABSENT,
                   "header peek found no coredump; %" PRIu32 " bytes are stored and not cleared",
                   mon->cfg.image_bytes);
}

static void monitor_peek_found(chunksim_monitor_t *mon, uint32_t payload_bytes)
{
    bool other_size = payload_bytes != mon->cfg.image_bytes;
    if (other_size) {
        if (monitor_header_altered(mon)) {
            mon->suppressed++;
        } else {
            monitor_report(mon, CHUNKSIM_INV_WRONG_BYTES,
                           "header peek announced %" PRIu32
                           " payload bytes, stored image has %" PRIu32,
                           payload_bytes, mon->cfg.image_bytes);
        }
    }
    /* A peek in the middle of a message is not a restart: only the
     * packetizer's abort is (chunksim_monitor_restart). */
    if (mon->in_message && mon->next_offset != 0) {
        return;
    }
    mon->in_message = true;
    mon->next_offset = 0;
    mon->message_bytes = payload_bytes;
    /* Of the message being sent: a later message at the stored size clears it. */
    mon->size_altered = other_size;
    mon->read_to_end = false;
    mon->restarted = false;
}

void chunksim_monitor_peek(chunksim_monitor_t *mon, int result, uint32_t payload_bytes)
{
    monitor_idle_count(mon);
    if (result < 0) {
        monitor_peek_failed(mon, result);
    } else if (result == 0) {
        monitor_peek_absent(mon);
    } else {
        monitor_peek_found(mon, payload_bytes);
    }
}

/* At most one SEQUENTIAL per read: the first reason that applies. */
static void monitor_check_position(chunksim_monitor_t *mon, uint32_t offset, size_t len)
{
    const uint64_t end = (uint64_t)offset + len;
    if (!mon->in_message) {
        monitor_report(mon, CHUNKSIM_INV_SEQUENTIAL,
                       "read [%" PRIu32 ", %" PRIu64 ") with no message in progress", offset, end);
    } else if (offset != mon->next_offset) {
        monitor_report(mon, CHUNKSIM_INV_SEQUENTIAL,
                       "read [%" PRIu32 ", %" PRIu64 ") but the next offset is %" PRIu32, offset,
                       end, mon->next_offset);
    } else if (end > mon->message_bytes) {
        monitor_report(mon, CHUNKSIM_INV_SEQUENTIAL,
                       "read [%" PRIu32 ", %" PRIu64 ") past the message end %" PRIu32, offset, end,
                       mon->message_bytes);
    }
}

static void monitor_check_chunk(chunksim_monitor_t *mon, uint32_t offset, size_t len)
{
    if (!monitor_in_chunk_call(mon)) {
        return;
    }
    mon->reads_in_call++;
    if (mon->reads_in_call == 2) {
        /* Reported once per call: the second read is the breach. */
        monitor_report(mon, CHUNKSIM_INV_ONE_READ_PER_CHUNK,
                       "second payload read in %s: [%" PRIu32 ", %" PRIu64 ")",
                       monitor_call_name(mon->call_kind), offset, (uint64_t)offset + len);
    }
    /* A get-chunk's chunk starts with its one-byte header; a get-next after
     * the first call carries raw message bytes only. */
    uint32_t room = mon->call_arg;
    if (mon->call_kind == CHUNKSIM_CALL_GET_CHUNK) {
        room = room > 0 ? room - 1 : 0;
    }
    if (len > room) {
        monitor_report(mon, CHUNKSIM_INV_READ_FITS_CHUNK,
                       "read of %zu bytes at %" PRIu32 " in %s of %" PRIu32
                       " bytes; at most %" PRIu32 " fit",
                       len, offset, monitor_call_name(mon->call_kind), mon->call_arg, room);
    }
}

static void monitor_check_bytes(chunksim_monitor_t *mon, uint32_t offset, size_t len,
                                const uint8_t *bytes)
{
    size_t n = monitor_clip(mon, offset, len);
    if (bytes == NULL || n == 0) {
        return;
    }
    const uint8_t *want = mon->cfg.image + offset;
    size_t i = monitor_first_difference(want, bytes, n);
    if (i == n) {
        return;
    }
    if (monitor_flash_gave(mon, offset, bytes, len)) {
        mon->suppressed++;
        return;
    }
    size_t differ = 0;
    for (size_t j = i; j < n; j++) {
        differ += want[j] != bytes[j];
    }
    monitor_report(mon, CHUNKSIM_INV_WRONG_BYTES,
                   "read [%" PRIu32 ", %" PRIu64 "): first difference at offset %" PRIu64
                   " (expected 0x%02x, got 0x%02x), %zu of %zu bytes differ",
                   offset, (uint64_t)offset + len, (uint64_t)offset + i, want[i], bytes[i], differ,
                   n);
}

void chunksim_monitor_read(chunksim_monitor_t *mon, uint32_t offset, size_t len,
                           const uint8_t *bytes, int result)
{
    monitor_idle_count_op(mon);
    /* RLE: the order of reads is judged for async readers only, the chunk never (monitor.h). */
    if (!mon->cfg.rle || mon->cfg.async_reader) {
        monitor_check_position(mon, offset, len);
    }
    if (!mon->cfg.rle) {
        monitor_check_chunk(mon, offset, len);
    }
    if (result == CHUNKCORE_E_WINDOW) {
        monitor_report(mon, CHUNKSIM_INV_READ_OUTSIDE_WINDOW,
                       "read [%" PRIu32 ", %" PRIu64 ") refused: not in the RAM window", offset,
                       (uint64_t)offset + len);
        return;
    }
    if (result < 0 && !mon->cfg.async_reader) {
        return; /* the flash failed a blocking read: a fault, not a broken promise */
    }
    if (result == CHUNKCORE_E_READ_REFUSED) {
        char refused[128];
        monitor_refused_text(mon, offset, (uint64_t)offset + len, refused, sizeof(refused));
        monitor_report(mon, CHUNKSIM_INV_READ_FAILED, "%s", refused);
        return;
    }
    if (result < 0) {
        monitor_report(mon, CHUNKSIM_INV_READ_FAILED,
                       "read [%" PRIu32 ", %" PRIu64 ") failed with %d (%s)", offset,
                       (uint64_t)offset + len, result, chunkcore_errname(result));
        return;
    }
    monitor_check_bytes(mon, offset, len, bytes);
    /* Follow what was actually read, so one bad read is one report and the
     * reads after it are judged from where it left off. */
    const uint64_t end = (uint64_t)offset + len;
    mon->next_offset = end > UINT32_MAX ? UINT32_MAX : (uint32_t)end;
    if (!mon->cfg.rle && mon->in_message && end == mon->message_bytes) {
        mon->read_to_end = true;
    }
}

void chunksim_monitor_restart(chunksim_monitor_t *mon)
{
    mon->next_offset = 0;
    mon->read_to_end = false;
    mon->restarted = true;
}

void chunksim_monitor_clear(chunksim_monitor_t *mon)
{
    if (!mon->read_to_end) {
        monitor_report(mon, CHUNKSIM_INV_CLEAR_EARLY,
                       "delete with %" PRIu32 " of %" PRIu32 " payload bytes read",
                       mon->in_message ? mon->next_offset : 0, mon->message_bytes);
    }
    if (mon->cleared) {
        monitor_report(mon, CHUNKSIM_INV_CLEAR_TWICE, "delete number %" PRIu32 " of one coredump",
                       mon->clears + 1);
    }
    mon->cleared = true;
    mon->stored = false;
    mon->clears++;
    mon->in_message = false;
}

void chunksim_monitor_clear_failed(chunksim_monitor_t *mon)
{
    mon->cleared = false;
    mon->clear_faults++;
}

void chunksim_monitor_mapped_read_busy(chunksim_monitor_t *mon, uint32_t offset)
{
    monitor_report(mon, CHUNKSIM_INV_MAPPED_READ_BUSY,
                   "load from the memory-mapped flash at storage offset %" PRIu32
                   " while a program or erase was in flight (the part returns its status, not "
                   "the array)",
                   offset);
}

void chunksim_monitor_program_sets_bits(chunksim_monitor_t *mon, uint32_t offset, uint8_t stored,
                                        uint8_t data)
{
    monitor_report(mon, CHUNKSIM_INV_PROGRAM_SETS_BITS,
                   "program at storage offset %" PRIu32 ": stored 0x%02x, data 0x%02x needs bits "
                   "back at the erased value, which the part leaves as they are",
                   offset, stored, data);
}

void chunksim_monitor_header_not_stored(chunksim_monitor_t *mon, uint32_t magic, uint32_t version)
{
    monitor_report(mon, CHUNKSIM_INV_WRONG_BYTES,
                   "header peek found a coredump, but the header stored in flash is none (magic "
                   "0x%08" PRIx32 ", version %" PRIu32 "): a corrupt header accepted as valid",
                   magic, version);
}

void chunksim_monitor_reboot(chunksim_monitor_t *mon, bool stored)
{
    mon->call_seq = 0;
    mon->reads_in_call = 0;
    mon->in_message = false;
    mon->next_offset = 0;
    mon->message_bytes = 0;
    mon->read_to_end = false;
    mon->restarted = false;
    mon->size_altered = false;
    mon->stored = stored;
    if (stored) {
        mon->cleared = false;
        mon->clears = 0;
        mon->clear_faults = 0;
    }
    memset(&mon->idle, 0, sizeof(mon->idle));
    mon->idle.since_us = mon->now_us; /* a boot is progress */
}

void chunksim_monitor_flash_op(chunksim_monitor_t *mon, const char *kind, uint32_t addr,
                               uint32_t len, bool device_busy, bool sync)
{
    if (kind == NULL) {
        kind = "op";
    }
    if (strcmp(kind, "read") == 0) {
        monitor_idle_read(mon, addr, len);
        mon->flash_read_offset =
            addr >= mon->cfg.storage_base ? addr - mon->cfg.storage_base : addr;
        mon->flash_read_bytes = len;
        mon->flash_reads++;
    }
    monitor_idle_count_op(mon);
    if (device_busy && !mon->cfg.allow_suspend) {
        monitor_report(mon, CHUNKSIM_INV_FLASH_BUSY,
                       "%s of %" PRIu32 " bytes at 0x%08" PRIx32 " while the device was busy", kind,
                       len, addr);
    }
    if (sync && mon->cfg.async_reader && monitor_in_chunk_call(mon)) {
        monitor_report(mon, CHUNKSIM_INV_SEPARATE_READ_ROUTINE,
                       "synchronous %s of %" PRIu32 " bytes at 0x%08" PRIx32 " inside %s", kind,
                       len, addr, monitor_call_name(mon->call_kind));
    }
}

void chunksim_monitor_inline_completion(chunksim_monitor_t *mon, const char *what)
{
    monitor_report(mon, CHUNKSIM_INV_INLINE_COMPLETION, "%s; seen inside %s",
                   what != NULL ? what : "an operation completed inside its dispatch",
                   mon->call_seq != 0 ? monitor_call_name(mon->call_kind) : "no call");
}

void chunksim_monitor_encoded(chunksim_monitor_t *mon, uint32_t end, uint32_t total)
{
    if (mon->in_message && end == total) {
        mon->read_to_end = true;
    }
}

void chunksim_monitor_finish(chunksim_monitor_t *mon, bool coredump_still_valid)
{
    if (mon->read_to_end && mon->clears == 0) {
        monitor_report(mon, CHUNKSIM_INV_NEVER_CLEARED,
                       "all %" PRIu32 " payload bytes read, never deleted%s", mon->message_bytes,
                       coredump_still_valid ? "; storage still holds it" : "");
    } else if (mon->clears > 0 && coredump_still_valid && mon->clear_faults == 0) {
        /* The packetizer's delete did not reach the flash (a clear that does
         * nothing, an erase never dispatched or never retried). An erase the
         * flash itself failed is a fault, not the firmware's doing. */
        monitor_report(mon, CHUNKSIM_INV_NEVER_CLEARED,
                       "deleted %" PRIu32 " time(s) but storage still holds a valid coredump",
                       mon->clears);
    }
}

uint64_t chunksim_monitor_total(const chunksim_monitor_t *mon)
{
    return mon->total;
}

uint64_t chunksim_monitor_count(const chunksim_monitor_t *mon, chunksim_invariant_t inv)
{
    return (unsigned)inv < CHUNKSIM_INV_COUNT ? mon->counts[inv] : 0;
}
