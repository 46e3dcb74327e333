/*
 * Deliberately broken readers, for tests only: the async glue of the public
 * write-up (docs/design.md, "The firmware contract"), each copy
 * carrying exactly one of its defects, so a test can show that the invariant
 * monitor or the run's outcome catches that defect.
 *
 * The glue is written the way the write-up writes it: one RAM window filled
 * by an asynchronous flash read from prepare ("prepare_async"), a storage
 * read that copies out of the window ("memfault_coredump_read"), and a clear
 * that forgets the window and dispatches an erase. With BROKEN_DEFECT_NONE it
 * is correct (every defect fixed) and must pass wherever chunkcore's own
 * async core passes; that is what makes a failure of a broken copy the
 * defect's doing and not the glue's.
 *
 * The storage read trusts prepare, as the write-up's does: it checks nothing
 * but that the copy stays inside its own buffer (the tests run under
 * AddressSanitizer), and refuses with CHUNKCORE_E_WINDOW a copy that would
 * not. Where the write-up's memcpy would run past its buffer, the run sees
 * that refusal (read_outside_window) instead of the neighbouring memory.
 */
#ifndef CHUNKSIM_TESTS_BROKEN_READERS_H
#define CHUNKSIM_TESTS_BROKEN_READERS_H

#include "chunksim/reader.h"

typedef enum broken_defect {
    BROKEN_DEFECT_NONE = 0,
    /* The storage info is never filled in: get_info reports 0 bytes. */
    BROKEN_DEFECT_INFO_UNFILLED,
    /* A window's bytes are looked up at the absolute storage offset, not
     * relative to where the window starts. */
    BROKEN_DEFECT_ABSOLUTE_OFFSET,
    /* "Enough buffered" accepts a window one byte short of what the next
     * read may need. */
    BROKEN_DEFECT_OFF_BY_ONE,
    /* Every window load asks for a full window, also at the end of storage
     * where only a shorter one exists. */
    BROKEN_DEFECT_FULL_FINAL_WINDOW,
    /* A completion's status is ignored (a failed load counts as loaded) and
     * cancel does nothing (a lost completion is waited for forever). */
    BROKEN_DEFECT_STATUS_IGNORED,
    /* The storage read goes to flash synchronously, inside get-chunk. */
    BROKEN_DEFECT_SYNC_READ,
    BROKEN_DEFECT_COUNT
} broken_defect_t;

/* The glue with one defect (or none); window RAM is cfg->window_bytes. */
int broken_reader_create(chunksim_reader_t *out, const chunksim_board_t *board,
                         const chunksim_reader_config_t *cfg, broken_defect_t defect);

/* "broken-info-unfilled", ...; "glue" for BROKEN_DEFECT_NONE. */
const char *broken_defect_name(broken_defect_t defect);

/* One chunksim_reader_create_fn per defect, for chunksim_run_options_t: the options carry no
 * context, so each defect has its own factory. */
extern const chunksim_reader_create_fn broken_reader_factories[BROKEN_DEFECT_COUNT];

#endif
