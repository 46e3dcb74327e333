/*
 * The NOR array. Programming moves bits away from the erased value and never
 * back, whatever the erased value is: a bit differs from erased after a
 * program if it did before or if the data asks for it,
 *
 *     new = e ^ ((e ^ old) | (e ^ data))      (= old & data for e = 0xFF)
 *
 * and erase is the only way back.
 */
#include "internal.h"

static inline uint8_t programmed(uint8_t e, uint8_t old, uint8_t data, uint8_t mask)
{
    return (uint8_t)(e ^ ((e ^ old) | ((e ^ data) & mask)));
}

fm_prog_map_t flashmodel__prog_map(const flashmodel_part_t *part, uint32_t addr, uint32_t len)
{
    uint32_t page = part->page_bytes;
    fm_prog_map_t m = {.base = addr - addr % page, .off = addr % page, .page_bytes = page};
    if (len > page) {
        m.skip = len - page;
        m.off = (uint32_t)(((uint64_t)m.off + m.skip) % page);
        m.count = page;
    } else {
        m.count = len;
    }
    return m;
}

uint32_t flashmodel__nor_double_bytes(const flashmodel_t *fm, const fm_prog_map_t *m,
                                      const uint8_t *data)
{
    uint8_t e = fm->cfg.part.erased_value;
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->count; i++) {
        if (data[m->skip + i] != e && flashmodel__array_get(&fm->cells, fm_prog_addr(m, i)) != e) {
            n++;
        }
    }
    return n;
}

/* One cell moved by a program of data through mask. */
static void fm_nor_program_cell(flashmodel_t *fm, uint32_t addr, uint8_t data, uint8_t mask)
{
    uint8_t e = fm->cfg.part.erased_value;
    flashmodel__array_set(&fm->cells, addr,
                          programmed(e, flashmodel__array_get(&fm->cells, addr), data, mask));
}

void flashmodel__nor_program(flashmodel_t *fm, const fm_prog_map_t *m, const uint8_t *data,
                             uint32_t full, bool partial, uint8_t mask)
{
    for (uint32_t i = 0; i < m->count && i < full; i++) {
        fm_nor_program_cell(fm, fm_prog_addr(m, i), data[m->skip + i], 0xFF);
    }
    if (partial && full < m->count) {
        fm_nor_program_cell(fm, fm_prog_addr(m, full), data[m->skip + full], mask);
    }
}

void flashmodel__nor_program_undefined(flashmodel_t *fm, const fm_prog_map_t *m,
                                       const uint8_t *data, flashmodel_rng_t *rng)
{
    for (uint32_t i = 0; i < m->count; i++) {
        fm_nor_program_cell(fm, fm_prog_addr(m, i), data[m->skip + i],
                            (uint8_t)flashmodel_rng_next(rng));
    }
}

void flashmodel__nor_erase(flashmodel_t *fm, uint32_t addr, uint32_t len)
{
    flashmodel__array_erase(&fm->cells, addr, len);
}

void flashmodel__nor_erase_undefined(flashmodel_t *fm, uint32_t addr, uint32_t len,
                                     flashmodel_rng_t *rng)
{
    for (uint32_t i = 0; i < len; i++) {
        flashmodel__array_set(&fm->cells, addr + i, (uint8_t)flashmodel_rng_next(rng));
    }
}

void flashmodel__nor_leave_bits(flashmodel_t *fm, uint32_t addr, uint32_t len, uint32_t bits,
                                flashmodel_rng_t *rng)
{
    uint8_t e = fm->cfg.part.erased_value;
    uint64_t total = (uint64_t)len * 8u;
    if (bits > total) {
        bits = (uint32_t)total;
    }
    /* The range was just erased, so a bit still at the erased value is one
     * not yet chosen: redraw on a hit to keep the count exact. */
    for (uint32_t k = 0; k < bits;) {
        uint64_t b = flashmodel_rng_below(rng, total);
        uint32_t at = addr + (uint32_t)(b / 8);
        uint8_t cell = flashmodel__array_get(&fm->cells, at);
        uint8_t bit = (uint8_t)(1u << (b % 8));
        if ((cell ^ e) & bit) {
            continue;
        }
        flashmodel__array_set(&fm->cells, at, (uint8_t)(cell ^ bit));
        k++;
    }
}
