/*
 * Bring your own firmware: the seam between chunksim and a firmware object,
 * a loadable object that carries the firmware's own packetizer (the SDK's
 * memfault_packetizer_get_chunk, or memfault_packetizer_begin and
 * memfault_packetizer_get_next) next to its port and a board mapping
 * (chunksim/board.h). chunksim then drives that packetizer, unchanged, in
 * place of its own core/, and its invariant monitor still sees every call
 * the packetizer makes into the coredump storage.
 *
 * How it sees them: chunksim_add_firmware() (cmake/ChunksimGlue.cmake) and
 * tools/build-firmware.sh link the object with
 *
 *     -Wl,--wrap=memfault_platform_coredump_storage_get_info
 *     -Wl,--wrap=memfault_platform_coredump_storage_read
 *     -Wl,--wrap=memfault_platform_coredump_storage_clear
 *     -Wl,--wrap=memfault_coredump_read
 *
 * (and the SDK's memfault_coredump.c interposed, below) and add sim/firmware/shim.c, whose __wrap_ functions tell the hooks below
 * about each call and then call the real one (__real_). The user's sources
 * are not touched. --wrap redirects calls between files only: a call inside
 * the file that defines the function is not seen. The SDK's coredump data
 * source points at memfault_coredump_read() from the file that defines its
 * weak default (memfault_coredump.c), and a port may define its own over a
 * storage read in the port's file (the nRF5 SDK and nRF Connect SDK ports
 * do): no call of that path crosses a file. So the helpers compile
 * memfault_coredump.c on its own and rename its memfault_coredump_read, the
 * definition and the data source's use of it, to chunksim_sdk_coredump_read,
 * weak, which the shim defines (sim/firmware/interpose.sh, with objcopy): the
 * shim reports the read and calls the port's memfault_coredump_read, or the
 * SDK's default under an alias. Every read of the data source is then seen,
 * whoever defines it; the storage reads under a port's own
 * memfault_coredump_read() are that read's doing. A packetizer that reaches
 * the storage past both reads out of sight, and such a run ends in error
 * (run.h, chunksim_packetizer_t.unseen). A read inside another wrapped read
 * is the outer read's doing and is not reported twice.
 *
 * Which call is the header peek: the packetizer asks for the storage's size
 * (get_info) before it peeks at the header, and at no other time; the first
 * read after a get_info is the peek, every other read a payload read.
 *
 * Everything here is plain C types: nothing of memfault/... is needed, so a
 * port builds against its own SDK's headers only.
 */
#ifndef CHUNKSIM_FIRMWARE_H
#define CHUNKSIM_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bumped whenever chunksim_firmware_hooks_t changes; the shim refuses another. */
#define CHUNKSIM_FIRMWARE_HOOKS_VERSION 1u

/* Which wrapped platform function a hook is about. */
typedef enum chunksim_firmware_fn {
    CHUNKSIM_FIRMWARE_GET_INFO,
    CHUNKSIM_FIRMWARE_STORAGE_READ,  /* memfault_platform_coredump_storage_read */
    CHUNKSIM_FIRMWARE_COREDUMP_READ, /* memfault_coredump_read */
    CHUNKSIM_FIRMWARE_CLEAR
} chunksim_firmware_fn_t;

typedef struct chunksim_firmware_hooks {
    uint32_t version; /* CHUNKSIM_FIRMWARE_HOOKS_VERSION */
    void *ctx;
    /* Before the real function runs (offset and len: 0 for get_info and clear). */
    void (*enter)(void *ctx, chunksim_firmware_fn_t fn, uint32_t offset, size_t len);
    /* After it returned; for a read, data holds what it served and ok is its result. */
    void (*leave)(void *ctx, chunksim_firmware_fn_t fn, uint32_t offset, const void *data,
                  size_t len, bool ok);
} chunksim_firmware_hooks_t;

/*
 * Exported by the shim: chunksim sets the hooks once the object is loaded
 * (NULL: calls pass straight through). Returns 0, or -1 for hooks of another
 * version.
 */
int chunksim_firmware_attach(const chunksim_firmware_hooks_t *hooks);

/*
 * Exported by the version file the build helpers add (sim/firmware/sdk_version.c,
 * compiled against the SDK's memfault/version.h): the SDK version the
 * firmware reports, "1.43.0".
 */
const char *chunksim_firmware_sdk_version(void);

#endif
