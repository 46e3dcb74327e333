/*
 * The simulated board, as your own async glue sees it ("bring your own glue").
 *
 * chunksim can run the glue you wrote for your board, unchanged, in place of
 * its own async read core: the prepare step, the coredump read served from a
 * RAM window (or read through the flash's memory-mapped address), the clear
 * that dispatches an erase or programs a zero word over the header, and the
 * calls into your flash driver. The packetizer is chunksim's (core/, the same
 * code as the SDK-style names in core/include/memfault/), unless the object
 * carries its own: a firmware object built with your SDK copy
 * (chunksim/firmware.h). The invariant monitor watches every call as it does
 * for the built-in readers.
 *
 * This header needs nothing of memfault/...: the functions below are the
 * SDK's, declared by the SDK's headers (memfault/panics/platform/coredump.h,
 * memfault/panics/coredump.h), chunksim's SDK-style ones in core/include
 * when you have no SDK. A port with its own SDK copy and packetizer builds
 * against that SDK's headers instead (chunksim/firmware.h).
 *
 * Build the glue as a shared object, with nothing but this header and core's:
 *
 *     cc -shared -fPIC -I<chunksim>/sim/include -I<chunksim>/core/include \
 *        myglue.c -o libmyglue.so
 *
 * (or chunksim_add_glue(myglue SOURCES myglue.c) after
 * include(<chunksim>/cmake/ChunksimGlue.cmake)), then run it:
 *
 *     chunksim run --glue ./libmyglue.so scenarios/ble_default.ini
 *
 * WHAT THE GLUE EXPORTS (looked up by name when chunksim loads it)
 *
 *   int  chunksim_glue_init(const chunksim_board_api_t *board);      required
 *       The board's reset: called once at the start of every run, before any
 *       other glue function. Keep the pointer (it stays valid for the run)
 *       and reset all your state here. Return 0, or a negative value to
 *       refuse (the run then ends as an error); refuse a board->version you
 *       were not built for.
 *   bool memfault_platform_coredump_prepare_async(size_t next_chunk_size);
 *       The async pattern's preload step (docs/design.md, "The firmware
 *       contract"). true: you started a flash operation and the
 *       application must wait for its completion before calling
 *       get-chunk; false: get-chunk may run now.
 *       chunksim's application keeps that promise also for the extra
 *       prepare it makes while the link sends a chunk: after a true it
 *       calls neither prepare nor get-chunk again until a completion came
 *       (or the read timeout gave the operation up), so a glue needs no
 *       "read in flight" flag of its own for that.
 *       Without this function the glue is synchronous: get-chunk runs at
 *       once and its reads may block on the flash.
 *   bool memfault_coredump_read(uint32_t offset, void *data, size_t read_len);
 *       What the packetizer reads coredump bytes through: the 12-byte header
 *       peek at offset 0 and every payload read. An async glue serves it
 *       from its RAM window. Optional if memfault_platform_coredump_storage_read
 *       is given (the SDK's default forwards to it). A false is your routine
 *       refusing the read (CHUNKCORE_E_READ_REFUSED), not a flash error. As
 *       in the SDK, false for the header peek means "no coredump" (a glue may
 *       refuse reads while its clear's erase runs); false for a payload read
 *       after prepare said ready is a read_failed violation.
 *   void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info);
 *                                                                     required
 *   void memfault_platform_coredump_storage_clear(void);              required
 *       Invalidate the stored coredump (the whole coredump has been read).
 *   bool memfault_platform_coredump_storage_read(uint32_t offset, void *data,
 *                                                size_t read_len);     optional
 *   void chunksim_glue_abort(void);                                    optional
 *       The application aborted the message in progress (the link went
 *       down): the packetizer starts it again, with the header peek and the
 *       payload from offset 0. On a board your application would call it
 *       next to memfault_packetizer_abort(); a glue without it must notice
 *       the restart on its own.
 *
 * WHAT THE BOARD OFFERS (chunksim_board_api_t, passed to chunksim_glue_init)
 *
 * The coredump storage partition as offsets from 0, its geometry, and the
 * flash driver: asynchronous read, erase and page program whose completion
 * callback runs later, from the application's event loop, never inside the
 * call that started the operation (as a DMA-complete event on a board),
 * blocking read, erase and program that stall the simulated CPU for the
 * flash's time, and a memory-mapped view of the partition.
 *
 * Erase takes whole sectors, aligned: one sector, or a range of them, which
 * the board erases as a driver would, a block ([flash] block_bytes) where a
 * whole aligned block fits and a sector elsewhere, one after the other; an
 * asynchronous range erase completes once, after its last unit (or its
 * first failure).
 *
 * Program is the part's page program, with the part's program time ([flash]
 * part, page_program_typ_us: 41 us for an nRF52840 word, 400 us for a
 * W25Q128JV page) and NOR semantics: it only moves bits away from the erased
 * value (0xFF: it clears bits, 1 -> 0); only an erase brings them back. A
 * program that crosses a page edge (page_bytes) wraps to the start of the
 * same page, as a SPI NOR part does (more than a page: only the last
 * page_bytes bytes count); [flash] page_wrap = false refuses it instead
 * (E_IO). A data byte other than 0xFF that needs a stored bit back at 1 is
 * a program_sets_bits violation naming the offset (the part programs what it
 * can, so the byte ends up stored & data); a 0xFF data byte means "leave
 * it", as on the part. The data is copied when the call is made: the buffer
 * may be reused at once (a board's DMA would need it until the completion;
 * chunksim does not check that).
 *
 * The memory-mapped view (flash_mapped) is what a port's FLASH_BASE-style
 * macro points at on a part read through QSPI/XIP memory-mapped mode or on
 * internal flash: storage_bytes bytes, read-only, at an address below 4 GiB
 * where the host allows it (Linux x86-64: MAP_32BIT), so a port that keeps
 * flash addresses in uint32_t, as a 32-bit MCU's code does
 * (memcpy(data, (void *)address, len)), reaches it; equal to the flash after
 * every program and erase has taken effect; reads through it cannot fail
 * and take no simulated time (no flash operation is counted). On a SPI NOR
 * part a read while a program or erase is in flight does not return the
 * array; chunksim makes the view unreadable from the moment an asynchronous
 * program or erase is accepted until it completes, catches the first load
 * from it (each run's own process installs a SIGSEGV handler for the view
 * only) and reports a mapped_read_busy violation with the offset when the
 * glue function returns; the load itself then reads the bytes from before
 * the operation. A blocking program or erase stalls the CPU, so no load can
 * overlap it. On an internal flash ([flash] part = nrf52840) the part stalls
 * the CPU on such a load until the write ends instead: chunksim does not
 * model that stall; the load reads the bytes from before the operation and
 * nothing is reported. Read faults (bit flips, stuck bits, read errors,
 * lost or late completions) fire on flash read operations, which loads
 * through the view are not: a glue that reads only through the view meets
 * none of them (a scenario that expects them then ends otherwise).
 *
 * The flash is the scenario's model: every operation takes its modeled time,
 * the device is busy meanwhile ([flash] busy_policy decides what happens to
 * an operation issued then; an operation issued while the device is busy is
 * also a contract violation, flash_busy), and faults are injected as the
 * scenario asks. A read that fails completes with CHUNKSIM_BOARD_E_IO. A
 * completion that never comes is given up by the application after [reader]
 * read_timeout_us: the board abandons the operation (no byte of it lands in
 * your buffer afterwards) and calls its callback with
 * CHUNKSIM_BOARD_E_TIMEOUT. With read_timeout_us = 0 nobody gives up.
 *
 * Each run loads the glue into a fresh child process, so a crash, a hang or
 * a write past the buffer memfault_coredump_read() was given ends that run
 * as a recorded failure (outcome error, with the glue function it happened
 * in) instead of ending chunksim. So does a loop inside one glue function
 * that keeps calling the board (thousands of flash operations in one call),
 * as soon as it is seen. A glue whose functions return but never get the
 * application to a chunk or a failure (a prepare that loads the same bytes
 * again and again) is a no_progress violation (chunksim/monitor.h).
 */
#ifndef CHUNKSIM_BOARD_H
#define CHUNKSIM_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Bumped whenever chunksim_board_api_t changes. From version 2 on a version
 * only appends fields, so a glue accepts board->version >= the version it
 * uses. Version 2 added page_bytes, flash_program_async, flash_program,
 * flash_mapped and range erase. A version 1 glue that checks for equality
 * refuses a version 2 board: chunksim then says to rebuild it.
 */
#define CHUNKSIM_BOARD_API_VERSION 2u

/* Status values of board calls and completions (0 or negative). */
#define CHUNKSIM_BOARD_OK      0
#define CHUNKSIM_BOARD_E_INVAL (-1)  /* bad argument: an erase not of whole sectors, ... */
#define CHUNKSIM_BOARD_E_IO    (-4)  /* the flash failed the operation (or refused it) */
#define CHUNKSIM_BOARD_E_RANGE (-7)  /* outside the coredump storage [0, storage_bytes) */
#define CHUNKSIM_BOARD_E_NOMEM (-12) /* too many operations in flight */
/* The completion never came and the application gave up: the operation is abandoned. */
#define CHUNKSIM_BOARD_E_TIMEOUT (-110)

/* At most this many asynchronous operations of the glue may be in flight at once. */
#define CHUNKSIM_BOARD_MAX_OPS 8u

/* Completion of an asynchronous operation: status CHUNKSIM_BOARD_OK or an error above. */
typedef void (*chunksim_board_done_cb)(int status, void *ctx);

typedef struct chunksim_board_api {
    uint32_t version; /* CHUNKSIM_BOARD_API_VERSION */

    /* The coredump storage partition: offsets below are from its start. */
    uint32_t storage_bytes;
    uint32_t sector_bytes; /* erase granularity */
    /* RAM the scenario gives the reader's window(s), both together for a
     * double buffer ([reader] window_bytes). A glue with a fixed buffer may
     * use less; it is how scenarios vary the window size. */
    uint32_t window_bytes;

    /*
     * Start reading len bytes at offset into buf (which must stay valid until
     * the completion). 0: started, done(status, ctx) comes later from the
     * loop; negative: refused at once, done is never called.
     */
    int (*flash_read_async)(uint32_t offset, void *buf, size_t len, chunksim_board_done_cb done,
                            void *ctx);
    /* Start erasing [offset, offset + len): whole sectors, aligned (one or a range). */
    int (*flash_erase_async)(uint32_t offset, size_t len, chunksim_board_done_cb done, void *ctx);

    /* Blocking variants: return when the flash is done (the simulated CPU waits). */
    int (*flash_read)(uint32_t offset, void *buf, size_t len);
    int (*flash_erase)(uint32_t offset, size_t len);

    /* Version 2. */
    uint32_t page_bytes; /* program unit: a program wraps at its edge (nRF52840: the 4-byte word) */
    /* Start programming len bytes of data at offset (NOR: clears bits only; see above). */
    int (*flash_program_async)(uint32_t offset, const void *data, size_t len,
                               chunksim_board_done_cb done, void *ctx);
    int (*flash_program)(uint32_t offset, const void *data, size_t len);
    /* The partition memory-mapped, storage_bytes bytes, read-only (see above); NULL: none. */
    const uint8_t *flash_mapped;
} chunksim_board_api_t;

/* The board's reset, exported by the glue (see above). */
int chunksim_glue_init(const chunksim_board_api_t *board);

/* Optional, exported by the glue: the message restarts from offset 0. */
void chunksim_glue_abort(void);

#endif
