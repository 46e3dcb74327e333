/*
 * Shared by glue.c (loader and adapter reader) and glue_run.c (the isolated
 * runner): the trace of what the glue is doing, which the adapter keeps up to
 * date on every call into glue code. When a run is isolated the trace lives
 * in memory shared with the parent, so that after the child died the parent
 * can still say which glue function it died in.
 */
#ifndef CHUNKSIM_GLUE_INTERNAL_H
#define CHUNKSIM_GLUE_INTERNAL_H

#include "chunksim/board.h"
#include "chunksim/firmware.h"
#include "chunksim/glue.h"

#include "memfault/panics/platform/coredump.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the glue exports, looked up by name (chunksim/board.h, chunksim/firmware.h). */
struct chunksim_glue_fns {
    int (*init)(const chunksim_board_api_t *board);
    bool (*prepare)(size_t next_chunk_size);
    bool (*coredump_read)(uint32_t offset, void *data, size_t read_len);
    bool (*storage_read)(uint32_t offset, void *data, size_t read_len);
    void (*get_info)(sMfltCoredumpStorageInfo *info);
    void (*clear)(void);
    void (*abort)(void);
    /* A firmware object's own packetizer, and the shim that lets the monitor see its reads. */
    bool (*get_chunk)(void *buf, size_t *buf_len);
    bool (*begin)(const void *cfg, void *metadata_out);
    int (*get_next)(void *buf, size_t *buf_len);
    void (*packetizer_abort)(void);
    int (*attach)(const chunksim_firmware_hooks_t *hooks);
    const char *(*sdk_version)(void);
    /* Exported only when the firmware's config enables the SDK's RLE data source. */
    bool (*rle_has_more)(size_t *total_size_out);
};

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
    GLUE_FN_GET_CHUNK,    /* the firmware's memfault_packetizer_get_chunk */
    GLUE_FN_PACKETIZER_ABORT,
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

typedef struct chunksim__glue_trace {
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

/* A glue function starts running (the trace says which), and it returned. */
void chunksim__glue_enter(enum glue_fn fn, enum glue_during during, uint32_t offset,
                          uint32_t bytes);
void chunksim__glue_leave(void);
/* An optional void(void) glue function (an abort): called between enter and leave if set. */
void chunksim__glue_call_optional(enum glue_fn fn, enum glue_during during, void (*call)(void));
/* The first thing found wrong without it being fatal (kept in the trace's note). */
void chunksim__glue_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The functions of the glue chunksim_glue_use() selected; NULL: none. */
const chunksim_glue_fns_t *chunksim__glue_selected_fns(void);

/* The trace the adapter writes to; NULL: the process-local one. */
void chunksim__glue_trace_use(glue_trace_t *t);
glue_trace_t *chunksim__glue_trace(void);

/* "memfault_coredump_read(offset 963, 241 bytes), called by the packetizer in get-chunk (glue
 * call 57)". */
void chunksim__glue_trace_describe(const glue_trace_t *t, char *buf, size_t len);

/* Looks the contract's functions up in a dlopen()ed object; err names what is missing. */
int chunksim__glue_resolve(void *dl, chunksim_glue_fns_t *fns, char *err, size_t errlen);

#endif
