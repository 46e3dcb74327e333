/*
 * chunkcore error codes.
 *
 * Every fallible function in core/ returns an int: zero or a positive count on
 * success, a negative CHUNKCORE_E_* code on failure. The list is written once,
 * below, and generates both the enum and the strings chunkcore_strerror()
 * returns, so the two cannot drift apart.
 */
#ifndef CHUNKCORE_ERROR_H
#define CHUNKCORE_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define CHUNKCORE_ERRNO_MAP(X)                                                                     \
    X(INVAL, -1, "invalid argument")                                                               \
    X(BUFSIZE, -2, "buffer smaller than the 9-byte minimum chunk")                                 \
    X(NODATA, -3, "no message to send")                                                            \
    X(IO, -4, "storage read failed")                                                               \
    X(WINDOW, -5, "read outside the loaded RAM window")                                            \
    X(BUSY, -6, "an asynchronous storage operation is in flight")                                  \
    X(RANGE, -7, "read beyond the end of storage")                                                 \
    X(RLE_ASYNC, -8, "run-length encoding needs several passes; not allowed with an async reader") \
    X(NOTSUP, -9, "not supported by this build")                                                   \
    X(PENDING, -10, "last chunk awaits delivery confirmation")                                     \
    X(STALE, -11, "completion for an operation that was cancelled or never issued")                \
    X(ERASE, -12, "storage erase failed; the coredump was not cleared")                            \
    X(READ_REFUSED, -14, "the platform's coredump read routine returned false")

enum chunkcore_errno {
    CHUNKCORE_OK = 0,
#define CHUNKCORE_ERRNO_ENUM_(name, value, text) CHUNKCORE_E_##name = (value),
    CHUNKCORE_ERRNO_MAP(CHUNKCORE_ERRNO_ENUM_)
#undef CHUNKCORE_ERRNO_ENUM_
};

/* Text for a CHUNKCORE_E_* code (or "ok" for zero); never NULL. */
const char *chunkcore_strerror(int err);

/* The enumerator's name without prefix ("WINDOW"), for logs and databases. */
const char *chunkcore_errname(int err);

#ifdef __cplusplus
}
#endif

#endif
