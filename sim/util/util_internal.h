/*
 * Small helpers shared by the sim/ sources (not public API: chunksim__ names,
 * as libuv's uv__). Every folder of sim/ has this one on its include path.
 */
#ifndef CHUNKSIM_UTIL_INTERNAL_H
#define CHUNKSIM_UTIL_INTERNAL_H

#include <stddef.h>

/* s without its leading and trailing blanks (spaces, tabs); cuts s in place. */
char *chunksim__trim(char *s);

#endif
