/*
 * flashmodel: a SPI NOR flash that stays busy.
 *
 * Pure logic on a clock the caller gives: no I/O, no threads, no allocation
 * after flashmodel_init(). The simulator calls it from its event loop:
 *
 *     flashmodel_op_t op;                      // caller-owned, lives until finish
 *     int r = flashmodel_read_begin(&fm, now_us, addr, len, &op);
 *     if (r < 0)             -> refused at dispatch (invalid, busy/reject, no power);
 *                               op.status == r, nothing to finish
 *     else if (op.end_us == FLASHMODEL_NEVER)
 *                            -> the completion is lost; do not schedule it
 *     else                   -> schedule a completion at op.end_us; when it fires:
 *         if (!flashmodel_op_due(&op, now_us)) re-arm at op.end_us;   // pushed out
 *         else status = flashmodel_op_finish(&fm, &op, dst);
 *
 * begin decides everything that is drawn (latency, faults, where a misdirected
 * write lands, when power goes) and reports it in the op; finish applies the
 * effects at completion time: copies read data (with any bit flips) into dst,
 * programs or erases the array. In virtual time the completion is an event at
 * op.end_us; in real time a worker sleeps until then and the loop thread calls
 * finish. The model is not thread-safe: call it from one thread.
 *
 * Status. begin returns 0 when the op was accepted. op.status then already
 * holds the outcome as far as it is known (a read error, a lost completion, a
 * power cut), and finish returns the final one: a double program is refused
 * only when finish finds the byte programmed. An accepted op whose end_us is
 * not FLASHMODEL_NEVER must be finished exactly once.
 *
 * Time. Each op has issue_us (the now_us of begin), start_us (when the device
 * starts it), device_end_us (when the device is done) and end_us (when the
 * completion is delivered; later than device_end_us only for a late read).
 * flashmodel_busy_until() is the end of everything scheduled. A refused op has
 * all four equal to issue_us.
 *
 * Busy policy, for an op issued while the device is busy:
 *   QUEUE    it starts when the device is free (FIFO).
 *   REJECT   begin returns FLASHMODEL_E_BUSY.
 *   SUSPEND  a read suspends the program or erase in progress: it starts
 *            part.tsus_us after issue (after any read already being served in
 *            the suspension), and the suspended op resumes part.trs_us after
 *            the read ends; the suspended op and every op queued behind it
 *            move later by op.pushed_us (op.pushed_index names the first one
 *            moved). A read also goes before a program/erase that is queued but
 *            not started, pushing it back. A chip erase cannot be suspended
 *            (W25Q): the read waits for it. Programs and erases queue. A read
 *            served during a suspension returns the array as it was before the
 *            suspended op (a real part returns undefined data for the range
 *            under program/erase; not modelled).
 *
 * Finish order. Effects are applied at finish, so finish must follow the
 * device order: an op that returns or changes data cannot be finished while a
 * program/erase that the device completed before it (earlier device_end_us,
 * or the same and a lower index) and that changes data is unfinished:
 * FLASHMODEL_E_ORDER, nothing done. A completion event queue ordered by
 * (end_us, sequence) satisfies this. A late read copies the array as it is
 * when it is finished.
 *
 * NOR semantics. Program moves bits from the erased value only (new = old &
 * data for 0xFF). A program that crosses its page wraps to the page start as
 * the part does (more than a page: only the last page_bytes bytes count), or,
 * with page policy REFUSE, is refused with FLASHMODEL_E_PAGE. A program whose
 * data byte is not the erased value, aimed at a byte that is not erased, is a
 * double program (rewriting the same value included: the cells are stressed
 * all the same): counted (ops and bytes), and with refuse_double_program the
 * whole program fails at finish with FLASHMODEL_E_DOUBLE_PROGRAM and changes
 * nothing. Erase begin takes any address inside the sector or block and
 * clears the whole unit (the part ignores the low address bits); op.addr/len
 * report the unit. Erase cycles per sector are counted when the erase is
 * accepted (silent erases excepted), so the wear later ops and WEAR_OUT see
 * follows the device order.
 *
 * Faults: see fault.h. At most one per op, decided at begin.
 *
 * Power loss. A POWER_LOSS rule cuts power at an instant: at_us for trigger
 * TIME, else an instant drawn strictly inside the op it fires on (at its
 * start if it lasts under 2 us). Every op in flight at that instant completes
 * at it (end_us = device_end_us = the instant; if that moves an end earlier,
 * a completion scheduled for the old time is simply due when it fires) with
 * FLASHMODEL_E_POWER and fault POWER_LOSS. One that had started leaves its
 * bytes undefined, drawn from op.seed: an interrupted program programs a
 * random subset of the bits it would have programmed, an interrupted erase
 * leaves random bytes in its whole unit. Any begin at or after the instant
 * returns FLASHMODEL_E_POWER, until flashmodel_power_restore(). Counters
 * count a cut once (power_losses and faults[POWER_LOSS]).
 *
 * Randomness. One generator per instance, seeded from config.seed. Every
 * begin draws op.seed first (the source of undefined bytes and wear-out bits,
 * so finish draws nothing from the instance and finish order cannot change
 * later draws), then the latency, then fault rules in plan order. Same seed,
 * same config and same sequence of calls: identical ops, counters and array.
 */
#ifndef FLASHMODEL_FLASHMODEL_H
#define FLASHMODEL_FLASHMODEL_H

#include "flashmodel/dist.h"
#include "flashmodel/error.h"
#include "flashmodel/fault.h"
#include "flashmodel/part.h"
#include "flashmodel/rng.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLASHMODEL_NEVER   UINT64_MAX /* end_us of a completion that never arrives */
#define FLASHMODEL_NO_OP   UINT64_MAX /* op index meaning "none" */
#define FLASHMODEL_NO_RULE (-1)

typedef enum flashmodel_busy_policy {
    FLASHMODEL_BUSY_QUEUE = 0,
    FLASHMODEL_BUSY_REJECT = 1,
    FLASHMODEL_BUSY_SUSPEND = 2,
    FLASHMODEL_BUSY_POLICY_COUNT
} flashmodel_busy_policy_t;

typedef enum flashmodel_page_policy {
    FLASHMODEL_PAGE_WRAP = 0,   /* as the part: wrap to the start of the page */
    FLASHMODEL_PAGE_REFUSE = 1, /* FLASHMODEL_E_PAGE at begin */
    FLASHMODEL_PAGE_POLICY_COUNT
} flashmodel_page_policy_t;

typedef struct flashmodel_config {
    flashmodel_part_t part;
    flashmodel_read_mode_t read_mode; /* the command the driver reads with */
    flashmodel_busy_policy_t busy_policy;
    flashmodel_page_policy_t page_policy;
    bool refuse_double_program;
    flashmodel_dist_t latency[FLASHMODEL_OP_KIND_COUNT]; /* indexed by flashmodel_op_kind_t */
    flashmodel_fault_plan_t faults;                      /* copied at init */
    uint64_t seed;
} flashmodel_config_t;

typedef struct flashmodel_counters {
    uint64_t ops;      /* begin calls, refused ones included */
    uint64_t reads;    /* accepted reads */
    uint64_t programs; /* accepted programs */
    uint64_t erases;   /* accepted erases of any kind */
    uint64_t read_bytes;
    uint64_t program_bytes;
    uint64_t erase_bytes;
    /* Device time scheduled for accepted ops (a cut op in full), plus suspend/resume costs. */
    uint64_t busy_us;
    uint64_t queued;               /* accepted ops that waited for the device */
    uint64_t rejected;             /* FLASHMODEL_E_BUSY */
    uint64_t refused;              /* refused at begin for any reason, rejected included */
    uint64_t suspends;             /* programs/erases suspended by a read */
    uint64_t double_programs;      /* programs that found a target byte not erased */
    uint64_t double_program_bytes; /* bytes they would have changed */
    uint64_t power_losses;
    uint64_t faults[FLASHMODEL_FAULT_COUNT]; /* fired, per kind */
} flashmodel_counters_t;

enum flashmodel_op_state_ {
    FLASHMODEL_OP_IDLE_ = 0,
    FLASHMODEL_OP_REFUSED_,
    FLASHMODEL_OP_INFLIGHT_,
    FLASHMODEL_OP_LOST_,
    FLASHMODEL_OP_DONE_
};

/* One operation (a request): caller-owned, filled by begin, valid until finish. */
typedef struct flashmodel_op {
    void *data; /* the caller's; kept by begin */

    uint64_t index; /* 0-based count of begin calls */
    flashmodel_op_kind_t kind;
    uint32_t addr; /* erase: the start of the unit */
    uint32_t len;  /* erase: the unit's size */
    uint64_t issue_us;
    uint64_t start_us;
    uint64_t device_end_us;
    uint64_t end_us;      /* FLASHMODEL_NEVER: the completion is lost */
    uint64_t latency_us;  /* the drawn duration, before any suspension */
    uint32_t wear_cycles; /* erase count the time grew with (program/erase) */
    int status;           /* 0 or FLASHMODEL_E_*; final after finish */

    flashmodel_fault_t fault; /* what fired, FLASHMODEL_FAULT_NONE */
    int fault_rule;           /* its index in the plan, FLASHMODEL_NO_RULE */
    uint32_t fault_addr;      /* flip: byte of the first flip; torn: the partial byte;
                                 misdirected: where the data went; wear-out: first worn sector */
    uint32_t fault_count;     /* flips; torn: bytes landed in full; wear-out: bits left */
    uint8_t fault_mask;       /* torn: the bits of the partial byte that landed */
    uint32_t flip_bits[FLASHMODEL_MAX_FLIPS]; /* bit offsets within the read */
    uint64_t cut_us;                          /* power went at this instant, FLASHMODEL_NEVER */
    uint64_t seed;                            /* source of undefined bytes for this op */

    uint64_t pushed_index; /* read under SUSPEND: first program/erase moved later */
    uint64_t pushed_us;    /* by how much (it and those queued behind it) */

    /* Private. */
    const uint8_t *src_;
    struct flashmodel_op *next_;
    uint8_t state_;
} flashmodel_op_t;

/* The cells, sparse: only pages that differ from the erased value are allocated (private). */
#define FM_ARRAY_PAGE_SHIFT 12
typedef struct fm_array {
    uint8_t **pages; /* one per 4 KiB; NULL: every byte erased */
    uint8_t *image;  /* flashmodel_image()'s copy; NULL until asked for */
    /* flashmodel_load_shared()'s bytes: pages pointing in here are the
     * caller's, read until first written or erased, never freed */
    const uint8_t *shared;
    uint32_t shared_bytes;
    uint32_t size_bytes;
    uint8_t erased;
} fm_array_t;

/* The device (a handle): caller-allocated; fields are private, use the functions. */
typedef struct flashmodel {
    flashmodel_config_t cfg;
    fm_array_t cells;
    uint32_t *erase_counts; /* per sector */
    flashmodel_fault_rule_t *rules;
    uint32_t *rule_fires;
    flashmodel_rng_t rng;
    size_t trace_pos[FLASHMODEL_OP_KIND_COUNT];
    uint64_t begun[FLASHMODEL_OP_KIND_COUNT]; /* begin calls per kind, refused included */
    flashmodel_counters_t counters;
    uint64_t next_index;
    uint64_t busy_until_us;
    uint64_t read_busy_until_us;
    uint64_t write_busy_until_us;
    uint64_t resume_at_us;    /* when the suspended op resumes */
    uint64_t suspended_index; /* which op is suspended, FLASHMODEL_NO_OP */
    flashmodel_op_t *writes;  /* unfinished programs/erases in device order */
    uint32_t inflight;        /* accepted ops awaiting finish */
    uint64_t cut_us;          /* next/last power cut instant, FLASHMODEL_NEVER */
    bool power_on;
    bool cut_counted;
    bool cut_next; /* flashmodel_power_cut_next() armed, not yet taken */
} flashmodel_t;

/* QUEUE, WRAP, double programs allowed, PART latencies, no faults, seed 0. */
void flashmodel_config_default(flashmodel_config_t *cfg, uint32_t size_bytes);

/* Checks cfg and allocates the array (erased), the wear table and the rules. */
int flashmodel_init(flashmodel_t *fm, const flashmodel_config_t *cfg);

/* Frees what init allocated. Ops still in flight are abandoned. */
void flashmodel_close(flashmodel_t *fm);

/* Read len bytes at addr (len 0 allowed: command and address only). */
int flashmodel_read_begin(flashmodel_t *fm, uint64_t now_us, uint32_t addr, uint32_t len,
                          flashmodel_op_t *op);

/* Program len bytes of data at addr; data must stay valid until finish. */
int flashmodel_program_begin(flashmodel_t *fm, uint64_t now_us, uint32_t addr, const uint8_t *data,
                             uint32_t len, flashmodel_op_t *op);

/* Erase the sector, block (kind ERASE_SECTOR/BLOCK) holding addr, or the chip. */
int flashmodel_erase_begin(flashmodel_t *fm, uint64_t now_us, flashmodel_op_kind_t kind,
                           uint32_t addr, flashmodel_op_t *op);

/*
 * Completes op: applies its effects, copies read data into dst (op->len
 * bytes; may be NULL for program/erase or a read that failed). Returns the
 * final status (also in op->status), or FLASHMODEL_E_ORDER / _E_STATE /
 * _E_INVAL without doing anything. A lost read (end_us NEVER) may be finished
 * to release it: FLASHMODEL_E_TIMEOUT, nothing copied.
 */
int flashmodel_op_finish(flashmodel_t *fm, flashmodel_op_t *op, uint8_t *dst);

/* Whether op's completion is due at now_us (false for a lost one). */
static inline bool flashmodel_op_due(const flashmodel_op_t *op, uint64_t now_us)
{
    return op->end_us != FLASHMODEL_NEVER && now_us >= op->end_us;
}

/* When the device is free of everything scheduled so far. */
uint64_t flashmodel_busy_until(const flashmodel_t *fm);

/* Accepted ops not yet finished (lost completions excluded). 0 at a clean end. */
uint32_t flashmodel_inflight(const flashmodel_t *fm);

const flashmodel_counters_t *flashmodel_counters(const flashmodel_t *fm);

/* Whether power is on at now_us (false from a cut's instant until restore). */
bool flashmodel_powered(const flashmodel_t *fm, uint64_t now_us);

/*
 * Power goes during the next op that is accepted, at an instant drawn
 * strictly inside it, exactly as a POWER_LOSS rule cuts (fault POWER_LOSS,
 * fault_rule FLASHMODEL_NO_RULE, no rule counted as fired). For a harness
 * that counts operations itself, e.g. per boot after power_restore. It
 * takes precedence over the plan's rules for that op; a refused op (busy,
 * no power, invalid) does not take it, the next accepted one does.
 */
void flashmodel_power_cut_next(flashmodel_t *fm);

/*
 * Power back at now_us: the device is idle and accepts ops again. Cuts of
 * trigger TIME that fell while power was off are consumed. Ops in flight at
 * the cut still have to be finished (they report FLASHMODEL_E_POWER). A
 * no-op while power is on.
 */
void flashmodel_power_restore(flashmodel_t *fm, uint64_t now_us);

/* Direct array access, bypassing timing, faults and NOR rules (loading the
 * coredump before the run; verifying after). 0 or FLASHMODEL_E_RANGE. The
 * array is sparse: memory grows with the bytes that differ from the erased
 * value, not with size_bytes. */
int flashmodel_load(flashmodel_t *fm, uint32_t addr, const void *data, uint32_t len);
/* As flashmodel_load(), but the whole 4 KiB pages of data are not copied:
 * the model reads them in place until one is programmed or erased, and only
 * then copies it. A large coredump is then held once, by the caller, not
 * twice. data must stay alive and unchanged until flashmodel_close(); one
 * shared load per model (a second: FLASHMODEL_E_INVAL). */
int flashmodel_load_shared(flashmodel_t *fm, uint32_t addr, const void *data, uint32_t len);
int flashmodel_peek(const flashmodel_t *fm, uint32_t addr, void *dst, uint32_t len);
/* A copy of the whole array (size_bytes bytes, allocated on the first call):
 * a snapshot, valid until the next call or flashmodel_close(), not a live
 * view. For tests and small parts; flashmodel_peek() reads a range. NULL
 * when out of memory. */
const uint8_t *flashmodel_image(const flashmodel_t *fm);

/* Erase cycles of the sector holding addr (0 beyond the end). */
uint32_t flashmodel_erase_count(const flashmodel_t *fm, uint32_t addr);

/* Pre-age: set the erase count of every sector touching [addr, addr + len). */
int flashmodel_wear_set(flashmodel_t *fm, uint32_t addr, uint32_t len, uint32_t cycles);

const char *flashmodel_busy_policy_name(flashmodel_busy_policy_t policy); /* "queue" ... */
int flashmodel_busy_policy_from_name(const char *name);

#endif
