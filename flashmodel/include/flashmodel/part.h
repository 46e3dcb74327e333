/*
 * Part description: geometry and datasheet timing of a SPI NOR flash, and the
 * formulas that turn them into operation durations.
 *
 * Every datasheet value lives in flashmodel_part_t, with its unit in its name.
 * The parts chunksim knows are rows of one table (part.c), each citing the
 * datasheet and table its figures come from: flashmodel_part_find() by the
 * name a scenario uses ([flash] part = mx25r6435f_hp), flashmodel_part_at()
 * to list them. flashmodel_part_default() is the first row, a Winbond
 * W25Q128JV; a scenario overrides any field.
 *
 * Read time (flashmodel_part_read_us), counted in bus clocks:
 *
 *     clocks = 8                      instruction, always on one line
 *            + 24 / addr_lines        3 address bytes
 *            + dummy_cycles[mode]     mode bits counted as dummy clocks
 *            + ceil(8 * len / data_lines)
 *     us     = ceil(clocks * 1e6 / clock_hz)
 *
 * with clock_hz = read_clock_hz for 03h and fast_clock_hz for the others.
 * Rounded up to whole microseconds (simulated time is in us), so a read is
 * never free. Example: 256 bytes with 03h at 50 MHz is 8 + 24 + 2048 = 2080
 * clocks = 41.6 us -> 42 us. QPI mode and continuous-read (XIP) mode, which
 * skip the instruction, are not modelled.
 *
 * A memory-mapped part (internal flash on the CPU's bus, memory_mapped) has no
 * command phase: a read is one bus access per 32-bit word at read_clock_hz,
 *
 *     us = ceil(ceil(len / 4) * 1e6 / read_clock_hz)
 *
 * whatever the read mode (the wait states of the flash are not modelled).
 *
 * Program and erase time grow with wear, linearly from typical to maximum:
 *
 *     t(w) = t_typ + (t_max - t_typ) * min(w, endurance_cycles) / endurance_cycles
 *
 * where w is the erase count of the sector (for block and chip erase, of the
 * most worn sector in the range: the slowest cell decides when the erase
 * verifies). Datasheets give only the two end points; linear between them is
 * the simplest curve that reaches tXX_max at rated endurance. A page program
 * of any length takes tpp (the part's tBP1/tBP2 per-byte figures are not
 * modelled: drivers program whole pages or close to it).
 */
#ifndef FLASHMODEL_PART_H
#define FLASHMODEL_PART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Operation kinds. Also indexes the per-kind latency table of the config. */
#define FLASHMODEL_OP_KIND_MAP(X)                                                                  \
    X(READ, "read")                                                                                \
    X(PROGRAM, "program")                                                                          \
    X(ERASE_SECTOR, "erase_sector")                                                                \
    X(ERASE_BLOCK, "erase_block")                                                                  \
    X(ERASE_CHIP, "erase_chip")

typedef enum flashmodel_op_kind {
#define FLASHMODEL_OP_KIND_ENUM_(name, text) FLASHMODEL_OP_##name,
    FLASHMODEL_OP_KIND_MAP(FLASHMODEL_OP_KIND_ENUM_)
#undef FLASHMODEL_OP_KIND_ENUM_
        FLASHMODEL_OP_KIND_COUNT
} flashmodel_op_kind_t;

/*
 * Read commands, named by what the driver's bus does (instruction-address-data
 * lines). Addresses go on the data lines only in the I/O variants, as on the
 * part.
 */
#define FLASHMODEL_READ_MODE_MAP(X)                                                                \
    X(SINGLE, "single")     /* 03h Read Data, 1-1-1, read_clock_hz, no dummy */                    \
    X(FAST, "fast")         /* 0Bh Fast Read, 1-1-1 */                                             \
    X(DUAL_OUT, "dual_out") /* 3Bh Fast Read Dual Output, 1-1-2 */                                 \
    X(QUAD_OUT, "quad_out") /* 6Bh Fast Read Quad Output, 1-1-4 */                                 \
    X(DUAL_IO, "dual_io")   /* BBh Fast Read Dual I/O, 1-2-2 */                                    \
    X(QUAD_IO, "quad_io")   /* EBh Fast Read Quad I/O, 1-4-4 */

typedef enum flashmodel_read_mode {
#define FLASHMODEL_READ_MODE_ENUM_(name, text) FLASHMODEL_READ_##name,
    FLASHMODEL_READ_MODE_MAP(FLASHMODEL_READ_MODE_ENUM_)
#undef FLASHMODEL_READ_MODE_ENUM_
        FLASHMODEL_READ_MODE_COUNT
} flashmodel_read_mode_t;

typedef struct flashmodel_part {
    /* Geometry. Each size divides the next: page | sector | block | size. */
    uint32_t size_bytes;
    uint32_t page_bytes;   /* program unit: 256 */
    uint32_t sector_bytes; /* smallest erase: 4096 */
    uint32_t block_bytes;  /* block erase (D8h): 65536 */
    uint8_t erased_value;  /* 0xFF; program moves bits away from it, erase back */

    /* Read bus. */
    uint32_t read_clock_hz; /* fR, 03h Read Data: 50 MHz */
    uint32_t fast_clock_hz; /* FR, fast reads: 133 MHz */
    /* Per read mode, mode bits included: 0, 8, 8, 8, 4 (M7-0 on 2 lines), 6 (M7-0 + 4). */
    uint8_t dummy_cycles[FLASHMODEL_READ_MODE_COUNT];

    /* Program and erase, typical and maximum. */
    uint64_t tpp_typ_us; /* page program: 400 us */
    uint64_t tpp_max_us; /* 3 ms */
    uint64_t tse_typ_us; /* 4 KiB sector erase: 45 ms */
    uint64_t tse_max_us; /* 400 ms */
    /* 32 KiB block erase (52h): 120 ms, 1.6 s. Listed for the part; the model
     * issues only sector, 64 KiB block and chip erases. */
    uint64_t tbe32_typ_us;
    uint64_t tbe32_max_us;
    uint64_t tbe_typ_us; /* 64 KiB block erase: 150 ms */
    uint64_t tbe_max_us; /* 2 s */
    uint64_t tce_typ_us; /* chip erase: 40 s */
    uint64_t tce_max_us; /* 200 s */

    /*
     * Suspend/resume (75h/7Ah). tsus: from the suspend command until a read
     * can start. trs: the datasheet's minimum time from resume to the next
     * suspend; the model charges it to the resumed operation as its restart
     * cost, which is the conservative reading.
     */
    uint64_t tsus_us; /* 20 us */
    uint64_t trs_us;  /* 20 us */
    bool suspend;     /* the part can suspend a program/erase for a read */

    uint32_t endurance_cycles; /* erase cycles per sector at which t reaches t_max: 100000 */
    bool memory_mapped;        /* read on the CPU's bus, not over SPI (formula above) */
} flashmodel_part_t;

/* One row of the part table: a datasheet-true part. */
typedef struct flashmodel_part_info {
    const char *name;   /* as a scenario names it: "w25q128jv" */
    const char *title;  /* "Winbond W25Q128JV" */
    const char *source; /* datasheet, revision and table the figures come from */
    flashmodel_part_t part;
} flashmodel_part_info_t;

/* Rows in the table; flashmodel_part_at(0) is the default part. */
size_t flashmodel_part_count(void);
/* Row i, NULL past the end. */
const flashmodel_part_info_t *flashmodel_part_at(size_t i);
/* The row named name (exact, lower case), or NULL. */
const flashmodel_part_info_t *flashmodel_part_find(const char *name);

/* The default part (row 0, a W25Q128JV) with its size set to size_bytes. */
void flashmodel_part_default(flashmodel_part_t *part, uint32_t size_bytes);

/* 0, or FLASHMODEL_E_INVAL for inconsistent geometry, zero clocks, t_typ > t_max, ... */
int flashmodel_part_check(const flashmodel_part_t *part);

/* Bus time of one read of len_bytes with the given command (formula above). */
uint64_t flashmodel_part_read_us(const flashmodel_part_t *part, flashmodel_read_mode_t mode,
                                 uint32_t len_bytes);

/*
 * Datasheet time of a program or erase at a wear of wear_cycles (formula
 * above); for FLASHMODEL_OP_READ, 0 (reads depend on length: use
 * flashmodel_part_read_us).
 */
uint64_t flashmodel_part_op_us(const flashmodel_part_t *part, flashmodel_op_kind_t kind,
                               uint32_t wear_cycles);

/* Bytes one operation of this erase kind clears; 0 for read and program. */
uint32_t flashmodel_part_erase_bytes(const flashmodel_part_t *part, flashmodel_op_kind_t kind);

const char *flashmodel_op_kind_name(flashmodel_op_kind_t kind); /* "erase_sector", "?" if bad */
int flashmodel_op_kind_from_name(const char *name);             /* kind, or FLASHMODEL_E_INVAL */
const char *flashmodel_read_mode_name(flashmodel_read_mode_t mode);
int flashmodel_read_mode_from_name(const char *name);

#endif
