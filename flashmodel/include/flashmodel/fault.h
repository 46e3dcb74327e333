/*
 * Fault plan: rules that make operations fail, lie or lose power.
 *
 * A plan is an array of rules. For each accepted operation the model walks
 * the rules in order and the first one that fires decides the operation's
 * fault (one fault per op; put specific rules before broad ones). A rule is
 * considered only for the operation kinds its fault applies to
 * (flashmodel_fault_applies) and, when ops is non-zero, only for the kinds
 * in ops; only for ops touching [addr, addr + len) when len is non-zero; and
 * only while it has fired fewer than limit times (limit 0: no limit). Then
 * its trigger decides:
 *
 *   RATE      with probability rate (one generator draw, only when 0 < rate < 1
 *             and every other condition holds).
 *   OP_INDEX  op_index counts begin calls, 0-based, refused ones included:
 *             every one, or with ops non-zero only those of the kinds in ops
 *             (op_index 0 with ops FLASHMODEL_OPS_ERASE is the first erase).
 *             One-shot: the first applicable op whose count is >= op_index;
 *             with exact, only the op counted op_index (none if that op is
 *             refused, not applicable or taken by an earlier rule); with
 *             every, all applicable ops from op_index on.
 *   ADDR      every applicable op touching [addr, addr + len); len 0 means
 *             every applicable op anywhere.
 *   TIME      one-shot: the first applicable op that starts (on the device)
 *             at or after at_us; with every, all of them. POWER_LOSS with TIME
 *             is an instant instead: power goes at exactly at_us, whatever is
 *             in flight (see flashmodel.h, "Power loss").
 *
 * What each kind does (status is what the completion reports):
 *
 *   READ_ERROR         status FLASHMODEL_E_READ; no data delivered.
 *   READ_TIMEOUT       delay_us 0: the completion never arrives (end_us is
 *                      FLASHMODEL_NEVER, status FLASHMODEL_E_TIMEOUT); else it
 *                      arrives delay_us late with good data. The device itself
 *                      is free on time either way: the completion was lost,
 *                      not the read.
 *   BITFLIP_TRANSIENT  bits (1..FLASHMODEL_MAX_FLIPS, 0 means 1) distinct bit
 *                      positions of the read (of its part inside [addr,
 *                      addr + len) when len is non-zero), drawn at begin,
 *                      flipped in the returned data only.
 *   BITFLIP_STUCK      the same, but the stored bits flip (they stay flipped).
 *   PROGRAM_FAIL       status FLASHMODEL_E_PROGRAM; nothing programmed.
 *   ERASE_FAIL         status FLASHMODEL_E_ERASE; nothing erased.
 *   SILENT_PROGRAM     status 0; nothing programmed.
 *   SILENT_ERASE       status 0; nothing erased (and no erase cycle counted).
 *   BAD_SECTOR         every op the rule covers fails (READ, PROGRAM or ERASE
 *                      error by kind) and changes nothing. Use trigger ADDR.
 *   WEAR_OUT           erases of a range holding a sector already erased
 *                      cycles times or more (the cycles+1-th erase onward):
 *                      status FLASHMODEL_E_ERASE, nothing erased; or, with
 *                      leave_bits, status 0 and each such sector erased except
 *                      bits (0 means 1) random bits left programmed.
 *   TORN_PROGRAM       status 0; of the bytes the program would write (in
 *                      programming order, after page wrap), the first
 *                      fault_count land, the next gets only the bits of
 *                      fault_mask, the rest nothing.
 *   MISDIRECTED_WRITE  status 0; the data lands at fault_addr instead: a page
 *                      drawn uniformly among the other pages, same offset in
 *                      the page.
 *   POWER_LOSS         power goes at an instant drawn strictly inside the op
 *                      (or, for trigger TIME, at at_us); see flashmodel.h.
 *
 * Rules are copied at flashmodel_init(); the plan need not outlive it.
 */
#ifndef FLASHMODEL_FAULT_H
#define FLASHMODEL_FAULT_H

#include "flashmodel/part.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLASHMODEL_MAX_FLIPS 8u /* bit flips per read */

/* Operation kinds as bits, for flashmodel_fault_rule_t.ops. */
#define FLASHMODEL_OP_BIT(kind) (1u << (kind))
#define FLASHMODEL_OPS_ERASE                                                                       \
    (FLASHMODEL_OP_BIT(FLASHMODEL_OP_ERASE_SECTOR) |                                               \
     FLASHMODEL_OP_BIT(FLASHMODEL_OP_ERASE_BLOCK) | FLASHMODEL_OP_BIT(FLASHMODEL_OP_ERASE_CHIP))

#define FLASHMODEL_FAULT_MAP(X)                                                                    \
    X(NONE, "none")                                                                                \
    X(READ_ERROR, "read_error")                                                                    \
    X(READ_TIMEOUT, "read_timeout")                                                                \
    X(BITFLIP_TRANSIENT, "bitflip_transient")                                                      \
    X(BITFLIP_STUCK, "bitflip_stuck")                                                              \
    X(PROGRAM_FAIL, "program_fail")                                                                \
    X(ERASE_FAIL, "erase_fail")                                                                    \
    X(SILENT_PROGRAM, "silent_program")                                                            \
    X(SILENT_ERASE, "silent_erase")                                                                \
    X(BAD_SECTOR, "bad_sector")                                                                    \
    X(WEAR_OUT, "wear_out")                                                                        \
    X(TORN_PROGRAM, "torn_program")                                                                \
    X(MISDIRECTED_WRITE, "misdirected_write")                                                      \
    X(POWER_LOSS, "power_loss")

typedef enum flashmodel_fault {
#define FLASHMODEL_FAULT_ENUM_(name, text) FLASHMODEL_FAULT_##name,
    FLASHMODEL_FAULT_MAP(FLASHMODEL_FAULT_ENUM_)
#undef FLASHMODEL_FAULT_ENUM_
        FLASHMODEL_FAULT_COUNT
} flashmodel_fault_t;

#define FLASHMODEL_TRIGGER_MAP(X)                                                                  \
    X(RATE, "rate")                                                                                \
    X(OP_INDEX, "op_index")                                                                        \
    X(ADDR, "addr")                                                                                \
    X(TIME, "time")

typedef enum flashmodel_trigger {
#define FLASHMODEL_TRIGGER_ENUM_(name, text) FLASHMODEL_TRIG_##name,
    FLASHMODEL_TRIGGER_MAP(FLASHMODEL_TRIGGER_ENUM_)
#undef FLASHMODEL_TRIGGER_ENUM_
        FLASHMODEL_TRIGGER_COUNT
} flashmodel_trigger_t;

typedef struct flashmodel_fault_rule {
    flashmodel_fault_t kind;
    flashmodel_trigger_t trigger;
    /* Trigger parameters. */
    double rate;       /* RATE: probability per applicable op, in [0, 1] */
    uint64_t op_index; /* OP_INDEX */
    uint64_t at_us;    /* TIME */
    bool every;        /* OP_INDEX, TIME: every op from there on, not only the first */
    bool exact;        /* OP_INDEX one-shot: the op counted op_index or none */
    uint32_t ops;      /* FLASHMODEL_OP_BIT()s the rule counts and applies to; 0: all */
    uint32_t addr;     /* range filter for every trigger; the whole condition for ADDR */
    uint32_t len;      /* 0: no range filter */
    uint32_t limit;    /* fire at most this many times; 0: no limit */
    /* Kind parameters. */
    uint64_t delay_us; /* READ_TIMEOUT: 0 = completion never arrives */
    uint32_t bits;     /* BITFLIP_*: flips per read; WEAR_OUT leave_bits: bits left */
    uint32_t cycles;   /* WEAR_OUT: erase cycles a sector survives */
    bool leave_bits;   /* WEAR_OUT: erase "succeeds" leaving bits programmed */
} flashmodel_fault_rule_t;

typedef struct flashmodel_fault_plan {
    const flashmodel_fault_rule_t *rules;
    size_t count;
} flashmodel_fault_plan_t;

/* 0, or FLASHMODEL_E_INVAL (unknown kind/trigger/op bit, rate outside [0,1], too many flips). */
int flashmodel_fault_rule_check(const flashmodel_fault_rule_t *rule);

/* Whether a fault of this kind can hit an op of that kind. */
bool flashmodel_fault_applies(flashmodel_fault_t fault, flashmodel_op_kind_t op);

const char *flashmodel_fault_name(flashmodel_fault_t fault); /* "misdirected_write"; "?" if bad */
int flashmodel_fault_from_name(const char *name);            /* fault, or FLASHMODEL_E_INVAL */
const char *flashmodel_trigger_name(flashmodel_trigger_t trigger);
int flashmodel_trigger_from_name(const char *name);

#endif
