#include "flashmodel/part.h"
#include "flashmodel/error.h"

#include "names.h"

#include <stdbool.h>

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

void flashmodel_part_default(flashmodel_part_t *part, uint32_t size_bytes)
{
    *part = (flashmodel_part_t){
        .size_bytes = size_bytes,
        .page_bytes = 256,
        .sector_bytes = 4096,
        .block_bytes = 65536,
        .erased_value = 0xFF,
        .read_clock_hz = 50000000,
        .fast_clock_hz = 133000000,
        .dummy_cycles = {[FLASHMODEL_READ_SINGLE] = 0,
                         [FLASHMODEL_READ_FAST] = 8,
                         [FLASHMODEL_READ_DUAL_OUT] = 8,
                         [FLASHMODEL_READ_QUAD_OUT] = 8,
                         [FLASHMODEL_READ_DUAL_IO] = 4,
                         [FLASHMODEL_READ_QUAD_IO] = 6},
        .tpp_typ_us = 400,
        .tpp_max_us = 3000,
        .tse_typ_us = 45000,
        .tse_max_us = 400000,
        .tbe_typ_us = 150000,
        .tbe_max_us = 2000000,
        .tce_typ_us = 40000000,
        .tce_max_us = 200000000,
        .tsus_us = 20,
        .trs_us = 20,
        .endurance_cycles = 100000,
    };
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
        part->tbe_typ_us > part->tbe_max_us || part->tce_typ_us > part->tce_max_us) {
        return FLASHMODEL_E_INVAL;
    }
    return 0;
}

uint64_t flashmodel_part_read_us(const flashmodel_part_t *part, flashmodel_read_mode_t mode,
                                 uint32_t len_bytes)
{
    if ((unsigned)mode >= FLASHMODEL_READ_MODE_COUNT) {
        return 0;
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

const char *flashmodel_op_kind_name(flashmodel_op_kind_t kind)
{
    return fm_name_of(op_kind_names, FLASHMODEL_OP_KIND_COUNT, (int)kind);
}

int flashmodel_op_kind_from_name(const char *name)
{
    return fm_name_find(op_kind_names, FLASHMODEL_OP_KIND_COUNT, name);
}

const char *flashmodel_read_mode_name(flashmodel_read_mode_t mode)
{
    return fm_name_of(read_mode_names, FLASHMODEL_READ_MODE_COUNT, (int)mode);
}

int flashmodel_read_mode_from_name(const char *name)
{
    return fm_name_find(read_mode_names, FLASHMODEL_READ_MODE_COUNT, name);
}
