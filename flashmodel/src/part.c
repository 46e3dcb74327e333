#include "flashmodel/part.h"
#include "flashmodel/error.h"

#include "names.h"

#include <stdbool.h>
#include <string.h>

/* Bus shape of each read command (protocol facts, not part facts). */
static const struct {
    uint8_t addr_lines;
    uint8_t data_lines;
    bool fast_clock;
} read_bus[FLASHMODEL_READ_MODE_COUNT] = {
    [FLASHMODEL_READ_SINGLE] = {1, 1, false},  [FLASHMODEL_READ_FAST] = {1, 1, true},
    [FLASHMODEL_READ_DUAL_OUT] = {1, 2, true}, [FLASHMODEL_READ_QUAD_OUT] = {1, 4, true},
    [FLASHMODEL_READ_DUAL_IO] = {2, 2, true},  [FLASHMODEL_READ_QUAD_IO] = {4, 4, true},
};

static const char *const op_kind_names[] = {FLASHMODEL_OP_KIND_MAP(FM_NAME_STRING_)};
static const char *const read_mode_names[] = {FLASHMODEL_READ_MODE_MAP(FM_NAME_STRING_)};

#define INSTRUCTION_CLOCKS 8u
#define ADDRESS_BITS       24u

/*
 * The part table: one row per part, every figure from the datasheet the row
 * cites (typical and maximum at 25 C / worst case as the table gives them).
 * A figure that could not be checked against the document when the row was
 * written says so in the row's comment: verify it before relying on it.
 *
 * Read clocks: read_clock_hz is fR (03h), fast_clock_hz the fast-read clock
 * (0Bh and the dual/quad commands). Dummy cycles count mode bits, as
 * dummy_cycles in part.h says.
 */
#define MIB(n) ((uint32_t)(n)*1024u * 1024u)
#define MS(n)  ((uint64_t)(n)*1000u)
#define S(n)   ((uint64_t)(n)*1000000u)

/* 0Bh 8, 3Bh 8, 6Bh 8, BBh 4 (M7-0 on 2 lines), EBh 6 (M7-0 + 4): JEDEC SFDP defaults. */
#define SPI_NOR_DUMMY                                                                              \
    {                                                                                              \
        [FLASHMODEL_READ_SINGLE] = 0, [FLASHMODEL_READ_FAST] = 8, [FLASHMODEL_READ_DUAL_OUT] = 8,  \
        [FLASHMODEL_READ_QUAD_OUT] = 8, [FLASHMODEL_READ_DUAL_IO] = 4,                             \
        [FLASHMODEL_READ_QUAD_IO] = 6                                                              \
    }

/* The common SPI NOR geometry: 256-byte pages, 4 KiB sectors, 64 KiB blocks, erased 0xFF. */
#define SPI_NOR_GEOMETRY(size)                                                                     \
    .size_bytes = (size), .page_bytes = 256, .sector_bytes = 4096, .block_bytes = 65536,           \
    .erased_value = 0xFF, .dummy_cycles = SPI_NOR_DUMMY

static const flashmodel_part_info_t part_table[] = {
    /*
     * Winbond W25Q128JV, "W25Q128JV 3V 128M-bit Serial Flash Memory with
     * Dual/Quad SPI", section 9.6 "AC Electrical Characteristics" (fR, FR,
     * tPP, tSE, tBE1, tBE2, tCE, tSUS, tSUS-to-next-suspend) and 9.x
     * "Endurance" (100,000 cycles); Revision F (March 27, 2018) is the
     * current one. These are the figures chunksim has used since its start;
     * the table was not re-read in this change.
     */
    {"w25q128jv",
     "Winbond W25Q128JV",
     "Winbond W25Q128JV datasheet, 9.6 AC Electrical "
     "Characteristics",
     {SPI_NOR_GEOMETRY(MIB(16)), .read_clock_hz = 50000000, .fast_clock_hz = 133000000,
      .tpp_typ_us = 400, .tpp_max_us = MS(3), .tse_typ_us = MS(45), .tse_max_us = MS(400),
      .tbe32_typ_us = MS(120), .tbe32_max_us = MS(1600), .tbe_typ_us = MS(150), .tbe_max_us = S(2),
      .tce_typ_us = S(40), .tce_max_us = S(200), .tsus_us = 20, .trs_us = 20, .suspend = true,
      .endurance_cycles = 100000}},
    /*
     * Macronix MX25R6435F (the nRF52840 DK's QSPI part), high-performance
     * mode (CR2 L/H switch bit 1), "MX25R6435F Ultra Low Power 64Mbit"
     * datasheet: "AC Characteristics" (fR, fC in HP mode) and "Erase and
     * Programming Performance" (HP column). Not checked against the
     * document in this change (no copy at hand): verify before relying on
     * the timings.
     */
    {"mx25r6435f_hp",
     "Macronix MX25R6435F, high-performance mode",
     "Macronix MX25R6435F datasheet, AC Characteristics and Erase and Programming Performance "
     "(HP column); figures not re-checked",
     {SPI_NOR_GEOMETRY(MIB(8)), .read_clock_hz = 33000000, .fast_clock_hz = 80000000,
      .tpp_typ_us = 850, .tpp_max_us = MS(4), .tse_typ_us = MS(40), .tse_max_us = MS(240),
      .tbe32_typ_us = MS(240), .tbe32_max_us = MS(1500), .tbe_typ_us = MS(480),
      .tbe_max_us = MS(3000), .tce_typ_us = S(50), .tce_max_us = S(240), .tsus_us = 60,
      .trs_us = 100, .suspend = true, .endurance_cycles = 100000}},
    /*
     * The same part in ultra-low-power mode (the power-on default): slower
     * clocks and slower program/erase. Same datasheet, LP column. Not
     * checked against the document in this change.
     */
    {"mx25r6435f_lp",
     "Macronix MX25R6435F, ultra-low-power mode",
     "Macronix MX25R6435F datasheet, AC Characteristics and Erase and Programming Performance "
     "(LP column); figures not re-checked",
     {SPI_NOR_GEOMETRY(MIB(8)), .read_clock_hz = 8000000, .fast_clock_hz = 8000000,
      .tpp_typ_us = 3200, .tpp_max_us = MS(10), .tse_typ_us = MS(58), .tse_max_us = MS(300),
      .tbe32_typ_us = MS(350), .tbe32_max_us = MS(1800), .tbe_typ_us = MS(700),
      .tbe_max_us = MS(3500), .tce_typ_us = S(75), .tce_max_us = S(300), .tsus_us = 60,
      .trs_us = 100, .suspend = true, .endurance_cycles = 100000}},
    /*
     * GigaDevice GD25Q16E, "GD25Q16E 3.3V Uniform Sector Dual and Quad Serial
     * Flash" datasheet, "AC Characteristics" table (fR, fC, tPP, tSE, tBE,
     * tCE, tSUS). Not checked against the document in this change.
     */
    {"gd25q16e",
     "GigaDevice GD25Q16E",
     "GigaDevice GD25Q16E datasheet, AC Characteristics; figures not re-checked",
     {SPI_NOR_GEOMETRY(MIB(2)), .read_clock_hz = 80000000, .fast_clock_hz = 133000000,
      .tpp_typ_us = 600, .tpp_max_us = 2400, .tse_typ_us = MS(45), .tse_max_us = MS(300),
      .tbe32_typ_us = MS(130), .tbe32_max_us = MS(800), .tbe_typ_us = MS(180),
      .tbe_max_us = MS(1200), .tce_typ_us = S(8), .tce_max_us = S(20), .tsus_us = 40, .trs_us = 100,
      .suspend = true, .endurance_cycles = 100000}},
    /*
     * ISSI IS25LP128F, "IS25LP128F 128Mb Serial Flash Memory with 166MHz
     * Multi I/O SPI" datasheet, "AC Characteristics" (fCT, fC) and "Program
     * and Erase Time" tables. Not checked against the document in this
     * change.
     */
    {"is25lp128f",
     "ISSI IS25LP128F",
     "ISSI IS25LP128F datasheet, AC Characteristics and Program/Erase timing; figures not "
     "re-checked",
     {SPI_NOR_GEOMETRY(MIB(16)), .read_clock_hz = 50000000, .fast_clock_hz = 166000000,
      .tpp_typ_us = 200, .tpp_max_us = 800, .tse_typ_us = MS(45), .tse_max_us = MS(300),
      .tbe32_typ_us = MS(130), .tbe32_max_us = MS(500), .tbe_typ_us = MS(250),
      .tbe_max_us = MS(1000), .tce_typ_us = S(45), .tce_max_us = S(180), .tsus_us = 100,
      .trs_us = 100, .suspend = true, .endurance_cycles = 100000}},
    /*
     * Adesto (now Renesas) AT25SF128A, "AT25SF128A 128-Mbit, 2.7V-3.6V SPI
     * Serial Flash Memory with Dual-I/O and Quad-I/O Support" datasheet,
     * "AC Characteristics" and "Program and Erase Characteristics" tables.
     * Not checked against the document in this change.
     */
    {"at25sf128a",
     "Adesto/Renesas AT25SF128A",
     "Adesto/Renesas AT25SF128A datasheet, AC and Program/Erase Characteristics; figures not "
     "re-checked",
     {SPI_NOR_GEOMETRY(MIB(16)), .read_clock_hz = 50000000, .fast_clock_hz = 133000000,
      .tpp_typ_us = 400, .tpp_max_us = 2500, .tse_typ_us = MS(60), .tse_max_us = MS(300),
      .tbe32_typ_us = MS(160), .tbe32_max_us = MS(1300), .tbe_typ_us = MS(300),
      .tbe_max_us = MS(3000), .tce_typ_us = S(60), .tce_max_us = S(200), .tsus_us = 20,
      .trs_us = 20, .suspend = true, .endurance_cycles = 100000}},
    /*
     * Micron MT25QL128ABA, "MT25Q Serial NOR Flash Memory 3V, 128Mb"
     * datasheet, "AC Characteristics and Operating Conditions" (fC 133 MHz;
     * 03h at 66 MHz) and "Program/Erase Specifications" (tPP, 4 KiB
     * subsector tSSE, 32 KiB tSSE, 64 KiB tSE, bulk tBE). Micron's fast
     * reads default to 8 dummy clocks, quad I/O to 10. Its feature list was
     * checked in this change (133 MHz in STR, program/erase suspend, 100,000
     * erase cycles per sector); the timing table was not.
     */
    {"mt25ql128",
     "Micron MT25QL128",
     "Micron MT25QL128 datasheet, AC Characteristics and Program/Erase Specifications; figures "
     "not re-checked",
     {.size_bytes = MIB(16),
      .page_bytes = 256,
      .sector_bytes = 4096,
      .block_bytes = 65536,
      .erased_value = 0xFF,
      .read_clock_hz = 66000000,
      .fast_clock_hz = 133000000,
      .dummy_cycles = {[FLASHMODEL_READ_SINGLE] = 0,
                       [FLASHMODEL_READ_FAST] = 8,
                       [FLASHMODEL_READ_DUAL_OUT] = 8,
                       [FLASHMODEL_READ_QUAD_OUT] = 8,
                       [FLASHMODEL_READ_DUAL_IO] = 8,
                       [FLASHMODEL_READ_QUAD_IO] = 10},
      .tpp_typ_us = 120,
      .tpp_max_us = 1800,
      .tse_typ_us = MS(50),
      .tse_max_us = MS(400),
      .tbe32_typ_us = MS(100),
      .tbe32_max_us = MS(1000),
      .tbe_typ_us = MS(150),
      .tbe_max_us = MS(1000),
      .tce_typ_us = S(38),
      .tce_max_us = S(114),
      .tsus_us = 30,
      .trs_us = 30,
      .suspend = true,
      .endurance_cycles = 100000}},
    /*
     * nRF52840 internal flash through the NVMC: "nRF52840 Product
     * Specification" v1.x, NVMC "Electrical specification" table:
     * tWRITE 41 us (one 32-bit word), tERASEPAGE 85 ms (one 4 KiB page),
     * tERASEALL 169 ms, nENDURANCE 10,000 erase cycles per page. The table
     * gives each time as one figure (used as typ and max here). The same
     * table of the nRF5340 PS (43 us, 87.5 ms, 173 ms) was seen while
     * writing this row; the nRF52840 figures were not re-read. The "page"
     * of a program is the word the NVMC writes at once; the only erases
     * are a page and everything (no blocks: block = page). Reads are
     * memory-mapped: one AHB word per 64 MHz clock, wait states not
     * modelled. The NVMC cannot suspend a write or erase (the CPU stalls on
     * a flash access meanwhile).
     */
    {"nrf52840",
     "nRF52840 internal flash (NVMC)",
     "Nordic nRF52840 Product Specification v1.x, NVMC Electrical specification (tWRITE, "
     "tERASEPAGE, tERASEALL, nENDURANCE)",
     {.size_bytes = MIB(1),
      .page_bytes = 4,
      .sector_bytes = 4096,
      .block_bytes = 4096,
      .erased_value = 0xFF,
      .read_clock_hz = 64000000,
      .fast_clock_hz = 64000000,
      .tpp_typ_us = 41,
      .tpp_max_us = 41,
      .tse_typ_us = MS(85),
      .tse_max_us = MS(85),
      .tbe32_typ_us = MS(85),
      .tbe32_max_us = MS(85),
      .tbe_typ_us = MS(85),
      .tbe_max_us = MS(85),
      .tce_typ_us = MS(169),
      .tce_max_us = MS(169),
      .suspend = false,
      .endurance_cycles = 10000,
      .memory_mapped = true}},
};

#define PART_COUNT (sizeof(part_table) / sizeof(part_table[0]))

size_t flashmodel_part_count(void)
{
    return PART_COUNT;
}

const flashmodel_part_info_t *flashmodel_part_at(size_t i)
{
    return i < PART_COUNT ? &part_table[i] : NULL;
}

const flashmodel_part_info_t *flashmodel_part_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < PART_COUNT; i++) {
        if (strcmp(part_table[i].name, name) == 0) {
            return &part_table[i];
        }
    }
    return NULL;
}

void flashmodel_part_default(flashmodel_part_t *part, uint32_t size_bytes)
{
    *part = part_table[0].part;
    part->size_bytes = size_bytes;
}

static bool divides(uint32_t small, uint32_t big)
{
    return small != 0 && big != 0 && big % small == 0;
}

int flashmodel_part_check(const flashmodel_part_t *part)
{
    if (part == NULL || !divides(part->page_bytes, part->sector_bytes) ||
        !divides(part->sector_bytes, part->block_bytes) ||
        !divides(part->block_bytes, part->size_bytes)) {
        return FLASHMODEL_E_INVAL;
    }
    if (part->read_clock_hz == 0 || part->fast_clock_hz == 0 || part->endurance_cycles == 0) {
        return FLASHMODEL_E_INVAL;
    }
    if (part->tpp_typ_us > part->tpp_max_us || part->tse_typ_us > part->tse_max_us ||
        part->tbe_typ_us > part->tbe_max_us || part->tce_typ_us > part->tce_max_us ||
        part->tbe32_typ_us > part->tbe32_max_us) {
        return FLASHMODEL_E_INVAL;
    }
    return 0;
}

/* A memory-mapped read: one bus access per 32-bit word, no command. */
static uint64_t mapped_read_us(const flashmodel_part_t *part, uint32_t len_bytes)
{
    uint64_t words = ((uint64_t)len_bytes + 3u) / 4u;
    uint64_t hz = part->read_clock_hz;
    return (words * 1000000u + hz - 1) / hz;
}

uint64_t flashmodel_part_read_us(const flashmodel_part_t *part, flashmodel_read_mode_t mode,
                                 uint32_t len_bytes)
{
    if ((unsigned)mode >= FLASHMODEL_READ_MODE_COUNT) {
        return 0;
    }
    if (part->memory_mapped) {
        return mapped_read_us(part, len_bytes);
    }
    uint64_t data_lines = read_bus[mode].data_lines;
    uint64_t clocks = INSTRUCTION_CLOCKS + ADDRESS_BITS / read_bus[mode].addr_lines +
                      part->dummy_cycles[mode] +
                      (8u * (uint64_t)len_bytes + data_lines - 1) / data_lines;
    uint64_t hz = read_bus[mode].fast_clock ? part->fast_clock_hz : part->read_clock_hz;
    return (clocks * 1000000u + hz - 1) / hz;
}

static uint64_t grown_us(uint64_t typ_us, uint64_t max_us, uint32_t wear, uint32_t endurance)
{
    uint64_t w = wear < endurance ? wear : endurance;
    return typ_us + (max_us - typ_us) * w / endurance;
}

uint64_t flashmodel_part_op_us(const flashmodel_part_t *part, flashmodel_op_kind_t kind,
                               uint32_t wear_cycles)
{
    uint32_t e = part->endurance_cycles;
    switch (kind) {
    case FLASHMODEL_OP_PROGRAM:
        return grown_us(part->tpp_typ_us, part->tpp_max_us, wear_cycles, e);
    case FLASHMODEL_OP_ERASE_SECTOR:
        return grown_us(part->tse_typ_us, part->tse_max_us, wear_cycles, e);
    case FLASHMODEL_OP_ERASE_BLOCK:
        return grown_us(part->tbe_typ_us, part->tbe_max_us, wear_cycles, e);
    case FLASHMODEL_OP_ERASE_CHIP:
        return grown_us(part->tce_typ_us, part->tce_max_us, wear_cycles, e);
    default:
        return 0;
    }
}

uint32_t flashmodel_part_erase_bytes(const flashmodel_part_t *part, flashmodel_op_kind_t kind)
{
    switch (kind) {
    case FLASHMODEL_OP_ERASE_SECTOR:
        return part->sector_bytes;
    case FLASHMODEL_OP_ERASE_BLOCK:
        return part->block_bytes;
    case FLASHMODEL_OP_ERASE_CHIP:
        return part->size_bytes;
    default:
        return 0;
    }
}

FLASHMODEL__NAME_LOOKUPS(flashmodel_op_kind_t, flashmodel_op_kind_name,
                         flashmodel_op_kind_from_name, op_kind_names, FLASHMODEL_OP_KIND_COUNT)

FLASHMODEL__NAME_LOOKUPS(flashmodel_read_mode_t, flashmodel_read_mode_name,
                         flashmodel_read_mode_from_name, read_mode_names,
                         FLASHMODEL_READ_MODE_COUNT)
