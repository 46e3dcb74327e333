/*
 * Invariant monitor: watches one run from the outside and reports every
 * breach of the packetizer's contract (docs/design.md, "The firmware contract")
 * and of the async pattern, with the call that caused it.
 *
 * The engine reports what happens; the monitor never changes it:
 *   - calls into the firmware (prepare, get-chunk, clear, ...) begin and end;
 *   - the packetizer's view of the coredump source, through a spy source:
 *     header peeks (has_message), payload reads with the bytes served, and
 *     the delete (mark_read);
 *   - flash operations as they are issued, with the device's busy state.
 *
 * Offsets are payload offsets of the coredump message, which is the whole
 * stored image [0, total size) (docs/chunk-format.md §11). The header peek at
 * offset 0 before a message starts is not a payload read (docs/design.md,
 * "The firmware contract"): it is reported with chunksim_monitor_peek() and
 * never counts against the one-read-per-chunk or sequential rules.
 *
 * Run-length encoding (cfg.rle): the packetizer reads the coredump through
 * the RLE source, which reads the whole payload once to learn the encoded
 * length and then again, going back to bytes it has read, to produce it
 * (chunkcore/rle.h). The spy sits under the RLE source, so payload reads are
 * those reads of the stored image. With a synchronous reader that is
 * allowed (each read goes to the flash) and guarantees 1 and 2 are not
 * judged. With an async reader the first read that goes back is the breach,
 * reported as SEQUENTIAL with its call; guarantee 2 is not judged for RLE
 * reads (the chunk carries encoded bytes, so its reads are the encoder's,
 * not the chunk's), so that the breach is named for what it is. The message
 * is read to the end when its last encoded byte was handed out
 * (chunksim_monitor_encoded), not when the sizing pass read the last byte.
 */
#ifndef CHUNKSIM_MONITOR_H
#define CHUNKSIM_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHUNKSIM_INVARIANT_MAP(X)                                                                  \
    X(SEQUENTIAL, "sequential", "payload reads must continue where the previous one ended")        \
    X(ONE_READ_PER_CHUNK, "one_read_per_chunk", "a get-chunk makes at most one payload read")      \
    X(READ_FITS_CHUNK, "read_fits_chunk", "a payload read is never larger than the chunk's room")  \
    X(SEPARATE_READ_ROUTINE, "separate_read_routine",                                              \
      "in async mode get-chunk is served from RAM, never by a synchronous flash read")             \
    X(READ_OUTSIDE_WINDOW, "read_outside_window", "a payload read asked for bytes not in RAM")     \
    X(WRONG_BYTES, "wrong_bytes", "a payload read returned bytes that differ from the flash")      \
    X(READ_FAILED, "read_failed",                                                                  \
      "an async reader failed a payload read after prepare said ready")                            \
    X(FLASH_BUSY, "flash_busy", "a flash operation was issued while the device was busy")          \
    X(CLEAR_EARLY, "clear_early", "storage cleared before the last payload byte was read")         \
    X(CLEAR_TWICE, "clear_twice", "storage cleared more than once for one coredump")               \
    X(NEVER_CLEARED, "never_cleared", "the coredump was read to the end but never cleared")        \
    X(WRONGLY_ABSENT, "wrongly_absent",                                                            \
      "the header peek said no coredump while a valid one was stored")                             \
    X(INLINE_COMPLETION, "inline_completion",                                                      \
      "a read was treated as complete inside the call that dispatched it")                         \
    X(NO_PROGRESS, "no_progress",                                                                  \
      "calls go on and on without a chunk or a failed attempt: a livelock")                        \
    X(MAPPED_READ_BUSY, "mapped_read_busy",                                                        \
      "the memory-mapped flash was read while the device was busy with a program or erase")        \
    X(PROGRAM_SETS_BITS, "program_sets_bits",                                                      \
      "a program asked for a bit to go back to the erased value: only an erase does that")

/*
 * NO_PROGRESS: calls across the firmware's edges (the application's calls
 * into it, its completions, the packetizer's storage reads, the flash
 * operations it issues) in a row without progress. Progress is a get-chunk
 * or get-next call (it makes a chunk, uses up one of the application's
 * retries or ends the run), a prepare that fails or a wait cancelled by the
 * read timeout (each uses up a retry): everything else the application
 * bounds itself. A correct reader needs a handful of such calls per chunk,
 * so the bound is far beyond any of them, and still reached in milliseconds.
 * With RLE the storage reads made inside a call, and their flash operations,
 * are not counted: the encoder reads the whole coredump in one get-chunk by
 * design, and its reads end with the coredump.
 */
#define CHUNKSIM_MONITOR_NO_PROGRESS_CALLS 10000u

typedef enum chunksim_invariant {
#define CHUNKSIM_INVARIANT_ENUM_(name, text, doc) CHUNKSIM_INV_##name,
    CHUNKSIM_INVARIANT_MAP(CHUNKSIM_INVARIANT_ENUM_)
#undef CHUNKSIM_INVARIANT_ENUM_
        CHUNKSIM_INV_COUNT
} chunksim_invariant_t;

/* Calls into the firmware that the engine reports. */
typedef enum chunksim_call_kind {
    CHUNKSIM_CALL_PREPARE,
    CHUNKSIM_CALL_GET_CHUNK, /* arg: the room offered; the read fits in room - 1 (chunk header) */
    CHUNKSIM_CALL_CONFIRM,
    CHUNKSIM_CALL_ABORT,
    CHUNKSIM_CALL_COMPLETE,
    CHUNKSIM_CALL_CANCEL,
    CHUNKSIM_CALL_DATA_AVAILABLE,
    /* Multi-call mode's get-next (docs/chunk-format.md §9): arg is the room; after the
     * first call a call carries raw message bytes only, so the read may fill
     * the whole room. Otherwise checked like a get-chunk. */
    CHUNKSIM_CALL_GET_NEXT
} chunksim_call_kind_t;

typedef struct chunksim_violation {
    chunksim_invariant_t invariant;
    uint64_t call_seq; /* the call during which it happened (0: outside any call) */
    uint64_t t_us;
    char detail[192]; /* offsets, lengths, expected vs got; NUL-terminated */
} chunksim_violation_t;

/* v is valid during the callback only. */
typedef void (*chunksim_violation_cb)(void *data, const chunksim_violation_t *v);

typedef struct chunksim_monitor_config {
    chunksim_violation_cb on_violation; /* may be NULL: violations are only counted */
    void *data;
    /* The coredump as stored at the start of the run; NULL or 0 bytes: none is
     * stored, so a peek that finds nothing is correct. */
    const uint8_t *image;
    uint32_t image_bytes;
    bool async_reader;  /* false for the synchronous baseline */
    bool allow_suspend; /* the flash may be interrupted (suspend/resume) */
    /* Faults that alter stored/read bytes are on. Wrong bytes are expected
     * then, but only where the flash delivered them: a payload read (or a
     * header peek) whose bytes differ from the image is a breach unless they
     * are the bytes the flash last delivered for that range
     * (chunksim_monitor_flash_delivered); those are counted in `suppressed`
     * and left to the end-of-run verification. A reader that serves bytes
     * the flash never delivered (a stale window) is still caught. An altered size field is sent as
     * the header says (the SDK does so): the announced length then differs. */
    bool data_faults;
    /* Flash address of storage offset 0: flash reads are named by storage offsets. */
    uint32_t storage_base;
    /* The coredump is sent run-length encoded (see the top of this file). */
    bool rle;
} chunksim_monitor_config_t;

/* Calls since the last progress (see CHUNKSIM_MONITOR_NO_PROGRESS_CALLS). */
typedef struct chunksim_monitor_idle {
    uint64_t calls;
    uint64_t since_us;    /* when the last progress was made (0: the start) */
    uint64_t read_offset; /* the last flash read in this stretch, in storage offsets */
    uint32_t read_bytes;
    uint32_t reads;    /* flash reads in this stretch */
    bool reads_differ; /* they were not all the same range */
    bool reported;
} chunksim_monitor_idle_t;

typedef struct chunksim_monitor {
    chunksim_monitor_config_t cfg;
    uint64_t now_us;
    uint64_t call_seq; /* call in progress, 0 when none */
    chunksim_call_kind_t call_kind;
    uint32_t call_arg;      /* get-chunk / get-next: the room offered */
    uint32_t reads_in_call; /* payload reads (attempts) during this call */
    uint32_t next_offset;   /* where the next payload read must start */
    uint32_t message_bytes; /* payload length the peek announced (0: no message) */
    bool in_message;
    bool read_to_end; /* the last payload byte has been read */
    bool cleared;     /* the packetizer deleted this coredump */
    bool restarted;   /* the message restarted at 0; no peek has found it since */
    bool stored;      /* a valid coredump is in storage: a peek must find it */
    /* A peek announced a size other than the stored image's (an altered size
     * field): the packetizer sends the coredump at that size, as the SDK does. */
    bool size_altered;
    uint32_t clears;
    uint32_t clear_faults; /* erases the flash failed (chunksim_monitor_clear_failed) */
    uint64_t counts[CHUNKSIM_INV_COUNT];
    uint64_t total;
    uint64_t suppressed; /* breaches data_faults made expected (see the config) */
    /* With data_faults only, the flash's deliveries once one differed from the image (NULL before):
     * image_bytes bytes, the image overwritten by what each successful read
     * delivered. */
    uint8_t *delivered;
    /* The first delivery that differed from the image: which fault (a flash
     * fault name, or NULL: bytes altered in storage by an earlier op) and the
     * storage offset of the first altered byte. */
    bool altered;
    bool shadow_failed; /* no memory for it: data faults excuse any altered bytes */
    const char *altered_by;
    uint32_t altered_at;
    /* The last flash read issued in the run, in storage offsets, and how many
     * were issued: where a reader that refuses a read last loaded from. */
    uint64_t flash_read_offset;
    uint32_t flash_read_bytes;
    uint64_t flash_reads;
    chunksim_monitor_idle_t idle;
} chunksim_monitor_t;

void chunksim_monitor_init(chunksim_monitor_t *mon, const chunksim_monitor_config_t *cfg);

/* Advance the monitor's notion of time (simulated microseconds). */
void chunksim_monitor_set_time(chunksim_monitor_t *mon, uint64_t t_us);

/* Every firmware call is bracketed; seq numbers the calls from 1. Each call,
 * storage read (peek or payload) and flash operation counts toward
 * NO_PROGRESS, reported once per stretch without progress. */
void chunksim_monitor_call_begin(chunksim_monitor_t *mon, uint64_t seq, chunksim_call_kind_t kind,
                                 uint32_t arg);
void chunksim_monitor_call_end(chunksim_monitor_t *mon, int result);

/*
 * The spy source: peek result (1 found, 0 none, <0 failed) and the announced
 * length. A peek that finds the coredump with no message in progress, or
 * after a restart, (re)starts the message at offset 0. A failed peek (the
 * storage's get_info, or its header read, which the coredump source itself
 * answers with "no coredump" as the SDK does: report the read's code here)
 * is not a breach, except inside a get-chunk with an async reader: the
 * application only calls get-chunk once prepare said ready, so the header
 * must have been readable then (READ_FAILED). A peek that finds nothing
 * while a coredump is stored is WRONGLY_ABSENT. A peek or read that failed
 * with CHUNKCORE_E_READ_REFUSED is worded as what it is, the platform's
 * memfault_coredump_read() returning false (no flash operation failed),
 * with the last flash read and whether the message had just restarted.
 */
void chunksim_monitor_peek(chunksim_monitor_t *mon, int result, uint32_t payload_bytes);
/*
 * A payload read: result 0 with the len bytes served, or a negative code
 * (bytes may then be NULL). The position advances only on success; a
 * zero-length read at the end of the message is allowed.
 */
void chunksim_monitor_read(chunksim_monitor_t *mon, uint32_t offset, size_t len,
                           const uint8_t *bytes, int result);
/* The message restarts at 0 (abort, reconnect). */
void chunksim_monitor_restart(chunksim_monitor_t *mon);
/* The packetizer deleted the message (the source's mark_read). */
void chunksim_monitor_clear(chunksim_monitor_t *mon);
/*
 * The delete did not take (its erase failed and will not be retried, or was
 * cut by power loss): the coredump may still be stored and may be sent and
 * deleted again without that being a second clear.
 */
void chunksim_monitor_clear_failed(chunksim_monitor_t *mon);

/*
 * A peek found a coredump while the header stored in flash is none (magic
 * or version wrong, e.g. left undefined by an erase a power cut
 * interrupted), and no write was in flight that could explain a read of
 * older bytes: the firmware accepted a corrupt header as valid. Reported as
 * WRONG_BYTES whatever data faults the run injects: a fault makes a stored
 * header invalid, never an invalid one valid.
 */
void chunksim_monitor_header_not_stored(chunksim_monitor_t *mon, uint32_t magic, uint32_t version);
/*
 * The device rebooted after a power cut: the firmware's RAM is gone, so no
 * call and no message is in progress and nothing read before counts. stored:
 * a valid coredump header is in flash, so the new boot must find it; a
 * delete that did not reach the flash is then forgotten (sending it again
 * and deleting it again is no second clear). Not stored: a delete took, or
 * an interrupted erase destroyed it, and a peek may find nothing.
 */
void chunksim_monitor_reboot(chunksim_monitor_t *mon, bool stored);
/*
 * A flash read completed with good status: bytes are what the flash
 * delivered for storage [offset, offset + len), fault the flash fault that
 * fired on that read (its name) or NULL. Judges later payload reads and
 * peeks (see data_faults).
 */
void chunksim_monitor_flash_delivered(chunksim_monitor_t *mon, uint32_t offset,
                                      const uint8_t *bytes, size_t len, const char *fault);
/* Releases what the monitor allocated (the delivery shadow). */
void chunksim_monitor_free(chunksim_monitor_t *mon);

/* A flash operation issued; sync: a blocking read made inside the call. */
void chunksim_monitor_flash_op(chunksim_monitor_t *mon, const char *kind, uint32_t addr,
                               uint32_t len, bool device_busy, bool sync);
/*
 * A load through the board's memory-mapped view, at storage offset, while a
 * program or erase was in flight (chunksim/board.h: a SPI NOR part answers
 * with its status, not the array, so the bytes read are not the coredump's).
 */
void chunksim_monitor_mapped_read_busy(chunksim_monitor_t *mon, uint32_t offset);
/*
 * A program whose data would move a programmed bit back to the erased value
 * (NOR programs only move bits away from it): at storage offset, the first
 * such byte, held stored and asked for data.
 */
void chunksim_monitor_program_sets_bits(chunksim_monitor_t *mon, uint32_t offset, uint8_t stored,
                                        uint8_t data);
/*
 * A read was treated as complete inside the call that dispatched it (what:
 * which read and how it showed; the board's inline_completion hook calls
 * this, chunksim/reader.h). Reported with the call in progress.
 */
void chunksim_monitor_inline_completion(chunksim_monitor_t *mon, const char *what);
/*
 * RLE: the packetizer has handed out the encoded message's bytes up to end
 * of total (a successful read of the RLE source). end == total: the message
 * has been read to the end.
 */
void chunksim_monitor_encoded(chunksim_monitor_t *mon, uint32_t end, uint32_t total);

/*
 * End of run: checks that need the whole run. A coredump read to the end
 * must have been deleted, and a deleted one must be gone from storage
 * (coredump_still_valid: the stored header is valid at the end). A coredump
 * never read to the end is no breach: the run outcome says incomplete.
 */
void chunksim_monitor_finish(chunksim_monitor_t *mon, bool coredump_still_valid);

/* Violations so far, in total and per invariant. */
uint64_t chunksim_monitor_total(const chunksim_monitor_t *mon);
uint64_t chunksim_monitor_count(const chunksim_monitor_t *mon, chunksim_invariant_t inv);

/* "sequential", ... and the one-line rule; "unknown" for an out-of-range value. */
const char *chunksim_invariant_name(chunksim_invariant_t inv);
const char *chunksim_invariant_doc(chunksim_invariant_t inv);

#endif
