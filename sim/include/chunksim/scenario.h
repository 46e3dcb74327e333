/*
 * Scenario: the configuration of one run, read from an INI file and validated
 * before anything is built from it. scenarios/README.md documents every key
 * (section, type, unit, default, range, meaning); this header documents the
 * struct the keys land in and the calls that fill it.
 *
 *     chunksim_scenario_t sc;
 *     char err[CHUNKSIM_SCENARIO_ERR_BYTES];
 *     if (chunksim_scenario_load(&sc, "scenarios/ble_default.ini", err, sizeof err) < 0)
 *         die(err);  // "scenarios/x.ini:12: [link] conn_interval_us = 7000: must be ..."
 *     if (chunksim_scenario_set(&sc, "link.att_mtu", "247", err, sizeof err) < 0 ||
 *         chunksim_scenario_validate(&sc, err, sizeof err) < 0)
 *         die(err);
 *     record(chunksim_scenario_text(&sc));  // the file verbatim + "; --set link.att_mtu=247"
 *     ...
 *     chunksim_scenario_free(&sc);
 *
 * The struct is plain data with no dependency on the flash or link models:
 * the engine maps it onto them. It may own heap memory (fault rules, trace
 * latencies, coredump file content, the recorded text), so it is released
 * with chunksim_scenario_free() and duplicated with chunksim_scenario_copy(),
 * never by assignment.
 *
 * Errors are negative errno values (-EINVAL for bad input, -ENOENT and other
 * -errno for files that cannot be read, -ENOMEM); the text in err names the
 * file, line, section.key and value, and says what was expected.
 */
#ifndef CHUNKSIM_SCENARIO_H
#define CHUNKSIM_SCENARIO_H

#include "chunksim/image.h"
#include "chunksim/link.h"
#include "chunksim/outcome.h"
#include "chunksim/sched.h"
#include "flashmodel/flashmodel.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Enough for any message this module writes (paths included, within reason). */
#define CHUNKSIM_SCENARIO_ERR_BYTES 1024

/* "never": no timed disconnect, no chunk-triggered disconnect, no reconnect. */
#define CHUNKSIM_SCENARIO_NEVER UINT64_MAX
/* disconnect_after_chunk: the chunk that ends the coredump message, whatever its index. */
#define CHUNKSIM_SCENARIO_LAST_CHUNK (UINT64_MAX - 1)

#define CHUNKSIM_SCENARIO_NAME_MAX        127 /* bytes of [run] name (UTF-8) */
#define CHUNKSIM_SCENARIO_DESCRIPTION_MAX 255 /* bytes of [run] description (UTF-8) */
#define CHUNKSIM_SCENARIO_PROJECT_KEY_MAX 32  /* 33 bytes with its NUL: docs/chunk-format.md §4 */
#define CHUNKSIM_SCENARIO_PATTERN_MAX     64  /* bytes of [coredump] pattern_hex */
#define CHUNKSIM_SCENARIO_PART_MAX        31  /* bytes of [flash] part */
#define CHUNKSIM_SCENARIO_POWER_CUTS_MAX  16  /* values of [run] power_cuts: reboots per run */

/*
 * The largest [coredump] size_bytes, 512 MiB. A recorded run stores its
 * image as one SQLite value, and SQLite refuses a value (a row, in fact)
 * above SQLITE_MAX_LENGTH, one billion bytes by default (Debian's build
 * too): 512 MiB stays clear of it, so no image needs storing in pieces. The
 * recorder writes the value a piece at a time into a zeroblob, so SQLite
 * holds no copy. A run holds the image twice (the image, which the flash
 * model reads in place until it changes a page, and the decoded message),
 * so about 1 GiB of RAM at this size.
 */
#define CHUNKSIM_SCENARIO_COREDUMP_MAX_BYTES (512u * 1024u * 1024u)

/* The outcome a regression test expects, one above the outcome's value; NONE: the scenario
 * states none (chunksim_expect_outcome() reads that as ok). */
typedef enum chunksim_expect {
    CHUNKSIM_EXPECT_NONE = 0,
    CHUNKSIM_EXPECT_OK = CHUNKSIM_OUTCOME_OK + 1,
    CHUNKSIM_EXPECT_LOST = CHUNKSIM_OUTCOME_LOST + 1,
    CHUNKSIM_EXPECT_CORRUPT = CHUNKSIM_OUTCOME_CORRUPT + 1,
    CHUNKSIM_EXPECT_INCOMPLETE = CHUNKSIM_OUTCOME_INCOMPLETE + 1,
    CHUNKSIM_EXPECT_VIOLATION = CHUNKSIM_OUTCOME_VIOLATION + 1
} chunksim_expect_t;

typedef enum chunksim_read_command {
    CHUNKSIM_READ_CMD_READ = 0, /* 03h: one data line, no dummy cycles */
    CHUNKSIM_READ_CMD_FAST      /* 0Bh / dual / quad output: dummy cycles, 1, 2 or 4 lines */
} chunksim_read_command_t;

typedef enum chunksim_latency_kind {
    CHUNKSIM_LATENCY_MODEL = 0, /* the timing model: bus clock, or typ..max with wear */
    CHUNKSIM_LATENCY_FIXED,
    CHUNKSIM_LATENCY_UNIFORM,
    CHUNKSIM_LATENCY_NORMAL,
    CHUNKSIM_LATENCY_LOGNORMAL,
    CHUNKSIM_LATENCY_SPIKES,
    CHUNKSIM_LATENCY_TRACE
} chunksim_latency_kind_t;

/* Duration of each operation of one kind (read, program or erase). */
typedef struct chunksim_latency {
    chunksim_latency_kind_t kind;
    union {
        struct {
            double us;
        } fixed;
        struct {
            double min_us, max_us;
        } uniform;
        struct {
            double mean_us, sd_us;
        } normal;
        struct {
            double median_us, sigma; /* sigma of the underlying normal, dimensionless */
        } lognormal;
        struct {
            /* base_us, or spike_us instead with the given probability */
            double base_us, probability, spike_us;
        } spikes;
        struct {
            char *path;         /* as resolved (relative to the scenario's directory) */
            double *latency_us; /* count >= 1 values, in file order; replayed cyclically */
            size_t count;
        } trace;
    };
} chunksim_latency_t;

typedef enum chunksim_fault_kind {
    CHUNKSIM_FAULT_READ_ERROR = 0,
    CHUNKSIM_FAULT_READ_TIMEOUT, /* the completion never arrives */
    CHUNKSIM_FAULT_READ_LATE,    /* the completion arrives delay_us late */
    CHUNKSIM_FAULT_BITFLIP,      /* transient: flips bits of one read's data */
    CHUNKSIM_FAULT_STUCK_BIT,    /* persistent: bits in the address range always read flipped */
    CHUNKSIM_FAULT_PROGRAM_FAIL,
    CHUNKSIM_FAULT_ERASE_FAIL,
    CHUNKSIM_FAULT_SILENT_PROGRAM, /* reports success, changes nothing */
    CHUNKSIM_FAULT_SILENT_ERASE,
    CHUNKSIM_FAULT_BAD_SECTOR,        /* sectors in the range fail every program and erase */
    CHUNKSIM_FAULT_WEAR_OUT,          /* a sector fails once it has seen `cycles` erase cycles */
    CHUNKSIM_FAULT_TORN_PROGRAM,      /* a prefix lands, the last byte partly */
    CHUNKSIM_FAULT_MISDIRECTED_WRITE, /* the program lands at another address */
    CHUNKSIM_FAULT_POWER_LOSS,        /* the device stops; in-flight bytes become undefined */
    CHUNKSIM_FAULT_KIND_COUNT
} chunksim_fault_kind_t;

/* When a fault rule fires. Exactly one per rule; ALWAYS when none is given. */
typedef enum chunksim_fault_trigger {
    CHUNKSIM_TRIGGER_ALWAYS = 0, /* every operation the rule applies to */
    CHUNKSIM_TRIGGER_RATE,       /* each such operation with probability rate */
    CHUNKSIM_TRIGGER_OP,         /* only operation number op_index (one shot) */
    CHUNKSIM_TRIGGER_FROM_OP,    /* operation op_index and every later one */
    CHUNKSIM_TRIGGER_ADDR,       /* operations touching [addr_first, addr_last] */
    CHUNKSIM_TRIGGER_AT_US,   /* power_loss: the instant time_us; others: the first op from then */
    CHUNKSIM_TRIGGER_AFTER_US /* every operation starting at or after time_us */
} chunksim_fault_trigger_t;

/* Which flash operations a rule counts and applies to (bit set). */
typedef enum chunksim_op_filter {
    CHUNKSIM_ON_ANY = 0, /* no on= given: every operation the fault kind applies to */
    CHUNKSIM_ON_READ = 1,
    CHUNKSIM_ON_PROGRAM = 2,
    CHUNKSIM_ON_ERASE = 4
} chunksim_op_filter_t;

/*
 * One `fault = KIND [trigger] [on=...] [params]` line. op_index counts flash
 * operations from 0 in issue order: all of them without on=, only those of
 * the on= kind with it (so "power_loss on=erase op=0" is the first erase).
 */
typedef struct chunksim_fault_rule {
    chunksim_fault_kind_t kind;
    chunksim_fault_trigger_t trigger;
    chunksim_op_filter_t on;
    double rate;                    /* RATE: 0..1 */
    uint64_t op_index;              /* OP, FROM_OP */
    uint32_t addr_first, addr_last; /* ADDR: inclusive flash byte addresses */
    uint64_t time_us;               /* AT_US, AFTER_US: simulated time from run start */
    uint64_t delay_us;              /* read_late */
    uint32_t flips;                 /* bitflip, stuck_bit: bits (default 1) */
    uint32_t cycles;                /* wear_out: erase cycles, initial wear included */
    uint32_t line;                  /* scenario line it came from; 0 for --set */
} chunksim_fault_rule_t;

typedef enum chunksim_reader_kind {
    CHUNKSIM_READER_SYNC = 0, /* storage reads go straight to flash and wait */
    CHUNKSIM_READER_SINGLE,   /* async core, one RAM window */
    CHUNKSIM_READER_DOUBLE    /* async core, two windows (prefetch) */
} chunksim_reader_kind_t;

typedef enum chunksim_clear_policy {
    CHUNKSIM_CLEAR_ON_LAST_READ = 0, /* delete when the last chunk is produced (reference design) */
    CHUNKSIM_CLEAR_ON_CONFIRM        /* delete when the link confirms delivery */
} chunksim_clear_policy_t;

typedef enum chunksim_phy { CHUNKSIM_PHY_1M = 0, CHUNKSIM_PHY_2M } chunksim_phy_t;

/* Which flash operations run.power_cuts counts. */
typedef enum chunksim_cut_on {
    CHUNKSIM_CUT_ON_ANY = 0,
    CHUNKSIM_CUT_ON_READ,
    CHUNKSIM_CUT_ON_PROGRAM,
    CHUNKSIM_CUT_ON_ERASE
} chunksim_cut_on_t;

struct chunksim_scenario_record; /* text, source, key origins: private */

typedef struct chunksim_scenario {
    struct {
        char name[CHUNKSIM_SCENARIO_NAME_MAX + 1]; /* default: the file's stem */
        char description[CHUNKSIM_SCENARIO_DESCRIPTION_MAX + 1];
        uint64_t seed;
        chunksim_sched_mode_t mode;
        double realtime_scale; /* realtime: modeled delays are multiplied by this */
        uint64_t max_sim_us;   /* watchdog: the run ends incomplete at this time */
        chunksim_expect_t expect;
        /* A power_loss fault also stops the device: the run ends at the cut
         * (false: only the flash loses power; the firmware and link go on). */
        bool power_loss_stops;
        /* Power cuts with reboot: boot i loses power during its flash
         * operation power_cuts[i] (counted from 0 on that boot, of the kind
         * power_cuts_on), then the device boots again; the boot after the
         * last cut runs to the end. */
        uint64_t power_cuts[CHUNKSIM_SCENARIO_POWER_CUTS_MAX];
        size_t power_cut_count;
        chunksim_cut_on_t power_cuts_on;
    } run;
    struct {
        uint32_t size_bytes; /* whole image: 12-byte header + payload + 16-byte footer */
        chunksim_image_content_t content; /* PATTERN: pattern[]; FILE: file_data */
        uint8_t pattern[CHUNKSIM_SCENARIO_PATTERN_MAX];
        size_t pattern_bytes;
        char *file_path;    /* as resolved; NULL when no file key */
        uint8_t *file_data; /* its content, file_bytes long */
        size_t file_bytes;
        uint32_t storage_bytes;        /* coredump partition, sector multiple, >= size_bytes */
        uint32_t storage_offset_bytes; /* partition start in flash, sector aligned */
        char project_key[CHUNKSIM_SCENARIO_PROJECT_KEY_MAX + 1]; /* "" when none */
        bool rle;
        uint32_t zero_percent; /* content = ram: share of the region that is zero-filled */
    } coredump;
    struct {
        /* The part ([flash] part): a name in the flash model's part table,
         * where the keys below not given take their values from. */
        char part[CHUNKSIM_SCENARIO_PART_MAX + 1];
        uint32_t size_bytes, page_bytes, sector_bytes, block_bytes;
        chunksim_read_command_t read_command;
        uint32_t bus_clock_hz;
        uint32_t data_lines; /* 1, 2 or 4 */
        uint32_t dummy_cycles;
        uint64_t page_program_typ_us, page_program_max_us;
        uint64_t sector_erase_typ_us, sector_erase_max_us;
        uint64_t block_erase_typ_us, block_erase_max_us;
        uint64_t chip_erase_typ_us, chip_erase_max_us;
        uint32_t endurance_cycles;            /* erase cycles per sector */
        uint32_t initial_wear_cycles;         /* every sector starts with this many */
        flashmodel_busy_policy_t busy_policy; /* what the flash does with an op while busy */
        bool page_wrap;                       /* false: a program across a page edge is refused */
        bool refuse_double_program;           /* true: programming a non-erased byte is refused */
        chunksim_latency_t read_latency, program_latency, erase_latency;
    } flash;
    struct {
        chunksim_fault_rule_t *rules; /* in declaration order */
        size_t count;
    } faults;
    struct {
        chunksim_reader_kind_t kind;
        uint32_t window_bytes; /* double: both windows together */
        chunksim_clear_policy_t clear_policy;
        uint64_t read_timeout_us; /* 0: wait forever */
        uint32_t max_retries;     /* per failed or timed-out operation */
    } reader;
    struct {
        chunksim_link_kind_t kind;
        uint32_t att_mtu;                /* ble */
        uint64_t conn_interval_us;       /* ble */
        uint32_t packets_per_event;      /* ble */
        chunksim_phy_t phy;              /* ble */
        double loss_rate;                /* per packet (ble) or per chunk (network) */
        uint64_t disconnect_at_us;       /* or CHUNKSIM_SCENARIO_NEVER */
        uint64_t disconnect_after_chunk; /* 0-based, CHUNKSIM_SCENARIO_LAST_CHUNK or _NEVER */
        uint64_t reconnect_after_us;     /* delay after a disconnect, or _NEVER */
        uint64_t reboot_reconnect_us;    /* from a run.power_cuts cut to the rebooted link */
        uint32_t chunk_bytes;            /* get-chunk buffer (ble: MTU - 3, <= 512, unless set) */
        uint64_t bandwidth_bytes_per_s;  /* network */
        uint64_t latency_us;             /* network: per chunk */
    } link;
    struct chunksim_scenario_record *record;
} chunksim_scenario_t;

/* Every field to its documented default; owns no memory afterwards. */
void chunksim_scenario_defaults(chunksim_scenario_t *sc);

/*
 * Defaults, then the file at path, then any "; --set section.key=value"
 * lines it carries (so a recorded text reloads to the same config), then
 * chunksim_scenario_validate(). Relative paths inside it resolve against the
 * file's directory. On error sc is left at its defaults, owning nothing.
 */
int chunksim_scenario_load(chunksim_scenario_t *sc, const char *path, char *err, size_t errlen);

/*
 * chunksim_scenario_load() with overrides ("section.key=value", as
 * chunksim_scenario_set_arg() takes them) applied after the file, in order,
 * and before the rules between keys are checked: an override may repair what
 * the file alone breaks (a command line's --set). On error sc is left at its
 * defaults, owning nothing, and err names the override when one is at fault.
 */
int chunksim_scenario_load_with(chunksim_scenario_t *sc, const char *path, const char *const *sets,
                                size_t nsets, char *err, size_t errlen);

/*
 * The same from text in memory (a scenario stored in a database). source
 * names it in messages and gives the default run name; base_dir is where
 * relative paths resolve (NULL: the current directory).
 */
int chunksim_scenario_load_string(chunksim_scenario_t *sc, const char *text, const char *source,
                                  const char *base_dir, char *err, size_t errlen);

/*
 * One override, "section.key" = value, through the same per-key checks as
 * the file. Relative paths resolve against the current directory, as on a
 * command line. "faults.fault" appends a rule ("none" removes all rules).
 * On success the text gains "; --set section.key=value". On error nothing
 * changes. Cross-field rules and derived defaults (chunk size from MTU, bus
 * clock from read command, storage size) wait for chunksim_scenario_validate(),
 * which the caller runs after the last override.
 */
int chunksim_scenario_set(chunksim_scenario_t *sc, const char *key, const char *value, char *err,
                          size_t errlen);

/* chunksim_scenario_set() from one "section.key=value" argument. */
int chunksim_scenario_set_arg(chunksim_scenario_t *sc, const char *assignment, char *err,
                              size_t errlen);

/* Fills derived defaults, then checks the rules between keys. */
int chunksim_scenario_validate(chunksim_scenario_t *sc, char *err, size_t errlen);

/*
 * The config as read: the file verbatim, then one line per override but
 * run.seed (the seed is recorded with each run, so the runs of one
 * configuration share one text whatever their seeds). Never NULL.
 */
const char *chunksim_scenario_text(const chunksim_scenario_t *sc);

/* Deep copy into dst (uninitialised or freed), e.g. one matrix cell from a base. */
int chunksim_scenario_copy(chunksim_scenario_t *dst, const chunksim_scenario_t *src);

/* Releases what sc owns and leaves it at its defaults. */
void chunksim_scenario_free(chunksim_scenario_t *sc);

/* Keyword for an enum value as written in scenario files ("ok", "bitflip", ...). */
const char *chunksim_expect_name(chunksim_expect_t expect);

/* The outcome that passes a run expecting expect (ok for NONE). */
chunksim_outcome_t chunksim_expect_outcome(chunksim_expect_t expect);

/* "sync", "single", "double"; "?" for a value off the list. */
const char *chunksim_reader_kind_name(chunksim_reader_kind_t kind);
const char *chunksim_fault_kind_name(chunksim_fault_kind_t kind);
const char *chunksim_fault_trigger_name(chunksim_fault_trigger_t trigger);

#endif
