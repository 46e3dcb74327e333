/*
 * Shared by glue.c (loader and adapter reader) and glue_run.c (the isolated
 * runner): the trace of what the glue is doing, which the adapter keeps up to
 * date on every call into glue code. When a run is isolated the trace lives
 * in memory shared with the parent, so that after the child died the parent
 * can still say which glue function it died in.
 */
#ifndef CHUNKSIM_GLUE_INTERNAL_H
#define CHUNKSIM_GLUE_INTERNAL_H

#include "chunksim/glue.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The glue's entry points the adapter calls. */
enum glue_fn {
    GLUE_FN_NONE,
    GLUE_FN_INIT,
    GLUE_FN_PREPARE,
    GLUE_FN_COREDUMP_READ,
    GLUE_FN_STORAGE_READ,
    GLUE_FN_GET_INFO,
    GLUE_FN_CLEAR,
    GLUE_FN_ABORT,
    GLUE_FN_READ_DONE,    /* the callback given to flash_read_async */
    GLUE_FN_ERASE_DONE,   /* the callback given to flash_erase_async */
    GLUE_FN_PROGRAM_DONE, /* the callback given to flash_program_async */
    GLUE_FN_COUNT
};

/* What the application was doing when it got into the glue. */
enum glue_during {
    GLUE_DURING_SETUP,
    GLUE_DURING_PREPARE,
    GLUE_DURING_PACKETIZER,
    GLUE_DURING_COMPLETION,
    GLUE_DURING_TIMEOUT,
    GLUE_DURING_ABORT
};

#define GLUE_TRACE_TEXT_BYTES 320

typedef struct glue_trace {
    /* Written on every entry into glue code; plain stores, read by the
     * parent only after the child is gone. */
    uint8_t in_glue; /* a glue function is running now */
    uint8_t fn;      /* enum glue_fn: the one running, or the last one */
    uint8_t during;  /* enum glue_during */
    uint32_t arg_offset, arg_bytes;
    uint64_t calls; /* calls into the glue so far, this one included */
    /* The first thing the adapter found wrong without it being fatal. */
    char note[GLUE_TRACE_TEXT_BYTES];
    /* Why the adapter stopped the process (it then raises SIGABRT). */
    char fatal[GLUE_TRACE_TEXT_BYTES];
} glue_trace_t;

/* The trace the adapter writes to; NULL: the process-local one. */
void glue_trace_use(glue_trace_t *t);
glue_trace_t *glue_trace(void);

/* "memfault_coredump_read(offset 963, 241 bytes), called by the packetizer in get-chunk (glue
 * call 57)". */
void glue_trace_describe(const glue_trace_t *t, char *buf, size_t len);

/* Looks the contract's functions up in a dlopen()ed object; err names what is missing. */
int glue_resolve(void *dl, chunksim_glue_fns_t *fns, char *err, size_t errlen);

#endif
