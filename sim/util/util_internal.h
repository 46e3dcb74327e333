/*
 * Small helpers shared by the sim/ sources (not public API: chunksim__ names,
 * as libuv's uv__). Every folder of sim/ has this one on its include path.
 */
#ifndef CHUNKSIM_UTIL_INTERNAL_H
#define CHUNKSIM_UTIL_INTERNAL_H

#include <stddef.h>

/*
 * Formats the message into err (when err is not NULL and errlen > 0) and
 * returns code: a parser's "say why, then fail" in one call.
 */
__attribute__((format(printf, 4, 5))) int chunksim__fail(int code, char *err, size_t errlen,
                                                         const char *fmt, ...);

/* s without its leading and trailing blanks (spaces, tabs); cuts s in place. */
char *chunksim__trim(char *s);

#endif
