/*
 * chunksim error codes: one list for sim/ and tools/.
 *
 * Every fallible chunksim function returns an int: zero (or a non-negative
 * value) on success, a negative code on failure. Negative codes come from
 * one of four numeric ranges, so that each carries its origin and
 * chunksim_strerror() names it right whatever produced it:
 *
 *   CHUNKSIM_E_*             -20001 and down   chunksim's own, listed below
 *   chunksim_err_core(c)     -21000 + c        a chunkcore code c (-1 .. -999)
 *   chunksim_err_flash(c)    -22000 + c        a flashmodel code c (-1 .. -999)
 *   errno and libuv          -1 .. -4095       -errno as libuv returns it on Unix,
 *                                              and libuv's own UV_E* (UV_EOF, ...)
 *
 * core/ and flashmodel/ keep their own small lists (they build without this
 * one); their codes overlap errno's, so they are converted with the functions
 * below where they cross into sim/ code. The list is written once and
 * generates both the enum and the strings, so the two cannot drift apart.
 */
#ifndef CHUNKSIM_ERROR_H
#define CHUNKSIM_ERROR_H

#include <stddef.h>

#define CHUNKSIM_ERRNO_MAP(X)                                                                      \
    X(INVAL, -20001, "invalid argument")                                                           \
    X(BUSY, -20002, "already in use (pending or in flight)")                                       \
    X(NOENT, -20003, "not pending or not in flight")                                               \
    X(MSGSIZE, -20004, "chunk larger than the link carries")                                       \
    X(SQLITE, -20005, "SQLite error (chunksim_rec_errmsg() has the details)")                      \
    X(VERSION, -20006, "database schema is newer than this chunksim understands")                  \
    X(NOTREC, -20007, "file is not a chunksim recording")                                          \
    X(STATE, -20008, "not valid now (no run in progress, or one already is)")                      \
    X(READONLY, -20009, "recorder was opened read-only")                                           \
    X(AMBIGUOUS, -20010, "input fits several formats; name one")

enum chunksim_errno {
    CHUNKSIM_OK = 0,
#define CHUNKSIM_ERRNO_ENUM_(name, value, text) CHUNKSIM_E_##name = (value),
    CHUNKSIM_ERRNO_MAP(CHUNKSIM_ERRNO_ENUM_)
#undef CHUNKSIM_ERRNO_ENUM_
};

/* Bases of the ranges that carry a chunkcore or a flashmodel code. */
#define CHUNKSIM_E_CORE_BASE  (-21000)
#define CHUNKSIM_E_FLASH_BASE (-22000)

/* A chunkcore return value as a chunksim code (non-negative values unchanged). */
int chunksim_err_core(int core_rc);

/* A flashmodel return value as a chunksim code (non-negative values unchanged). */
int chunksim_err_flash(int flash_rc);

/* Text for any code of the four ranges ("ok" for zero); never NULL. */
const char *chunksim_strerror(int err);

/*
 * A short name for any code, for logs and databases: "AMBIGUOUS",
 * "core WINDOW", "flash BUSY", "errno EINVAL", "libuv EOF"; never NULL.
 */
const char *chunksim_errname(int err);

/*
 * Formats the message into err (when err is not NULL and errlen > 0) and
 * returns code, so that a function that says why it failed does both in one
 * statement: return chunksim_err_format(-EINVAL, err, errlen, "no run %d", id);
 */
__attribute__((format(printf, 4, 5))) int chunksim_err_format(int code, char *err, size_t errlen,
                                                              const char *fmt, ...);

#endif
