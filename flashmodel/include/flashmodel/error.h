/*
 * flashmodel error codes.
 *
 * Every fallible flashmodel function returns an int: zero (or a non-negative
 * value) on success, a negative FLASHMODEL_E_* code on failure. The list is
 * written once and generates both the enum and the strings, so the two cannot
 * drift apart. Codes are distinct from chunkcore's only by prefix; the sim maps
 * them onto what the firmware's port returns.
 */
#ifndef FLASHMODEL_ERROR_H
#define FLASHMODEL_ERROR_H

#define FLASHMODEL_ERRNO_MAP(X)                                                                    \
    X(INVAL, -1, "invalid argument")                                                               \
    X(NOMEM, -2, "out of memory")                                                                  \
    X(RANGE, -3, "access beyond the end of the flash")                                             \
    X(PAGE, -4, "program crosses a page boundary (page policy: refuse)")                           \
    X(BUSY, -5, "device busy (busy policy: reject)")                                               \
    X(POWER, -6, "no power: lost during or before this operation, until power_restore")            \
    X(READ, -7, "read failed")                                                                     \
    X(TIMEOUT, -8, "read completion never arrived")                                                \
    X(PROGRAM, -9, "program failed")                                                               \
    X(ERASE, -10, "erase failed")                                                                  \
    X(DOUBLE_PROGRAM, -11, "program of a byte that is not erased (policy: refuse)")                \
    X(ORDER, -12, "finished before an operation the device completed earlier")                     \
    X(STATE, -13, "operation not in flight (never begun, refused, or already finished)")

enum flashmodel_errno {
    FLASHMODEL_OK = 0,
#define FLASHMODEL_ERRNO_ENUM_(name, value, text) FLASHMODEL_E_##name = (value),
    FLASHMODEL_ERRNO_MAP(FLASHMODEL_ERRNO_ENUM_)
#undef FLASHMODEL_ERRNO_ENUM_
};

/* Text for a FLASHMODEL_E_* code (or "ok" for zero); never NULL. */
const char *flashmodel_strerror(int err);

/* The enumerator's name without prefix ("BUSY"), for logs and databases. */
const char *flashmodel_errname(int err);

#endif
