/* Private to flashmodel/src: the cell array, the NOR rules on it and the program address map. */
#ifndef FLASHMODEL_INTERNAL_H
#define FLASHMODEL_INTERNAL_H

#include "flashmodel/flashmodel.h"

#include <stddef.h>

/* ---- the cell array (array.c): pages of 1 << FM_ARRAY_PAGE_SHIFT bytes, NULL: all erased ---- */

int flashmodel__array_init(fm_array_t *a, uint32_t size_bytes, uint8_t erased);
void flashmodel__array_free(fm_array_t *a);
uint8_t flashmodel__array_get(const fm_array_t *a, uint32_t addr);
void flashmodel__array_set(fm_array_t *a, uint32_t addr, uint8_t value);
void flashmodel__array_read(const fm_array_t *a, uint32_t addr, uint8_t *dst, uint32_t len);
void flashmodel__array_write(fm_array_t *a, uint32_t addr, const uint8_t *src, uint32_t len);
/* flashmodel__array_write(), but whole pages point into src instead of copying it (src outlives a).
 */
void flashmodel__array_share(fm_array_t *a, uint32_t addr, const uint8_t *src, uint32_t len);
/* Back to the erased value; whole pages give their memory back. */
void flashmodel__array_erase(fm_array_t *a, uint32_t addr, uint32_t len);
/* A contiguous copy of the whole array (kept in a, refreshed by each call); NULL: no memory. */
const uint8_t *flashmodel__array_image(fm_array_t *a);

/*
 * Where a program's bytes land. The part latches data into a page buffer
 * whose address wraps within the page, so of len > page_bytes bytes only the
 * last page_bytes count; the i-th counting byte (data[skip + i]) goes to
 * base + (off + i) % page_bytes.
 */
typedef struct flashmodel__prog_map {
    uint32_t base;  /* start of the page */
    uint32_t off;   /* offset in the page of the first counting byte */
    uint32_t skip;  /* leading data bytes overwritten in the page buffer */
    uint32_t count; /* counting bytes: min(len, page_bytes) */
    uint32_t page_bytes;
} fm_prog_map_t;

fm_prog_map_t flashmodel__prog_map(const flashmodel_part_t *part, uint32_t addr, uint32_t len);

static inline uint32_t fm_prog_addr(const fm_prog_map_t *m, uint32_t i)
{
    return m->base + (m->off + i) % m->page_bytes;
}

/* Bytes that data would program although they are not erased. */
uint32_t flashmodel__nor_double_bytes(const flashmodel_t *fm, const fm_prog_map_t *m,
                                      const uint8_t *data);

/* Program the first full counting bytes; with partial, byte [full] gets only the bits in mask. */
void flashmodel__nor_program(flashmodel_t *fm, const fm_prog_map_t *m, const uint8_t *data,
                             uint32_t full, bool partial, uint8_t mask);

/* Interrupted program: each byte gets a random subset of the bits it would get. */
void flashmodel__nor_program_undefined(flashmodel_t *fm, const fm_prog_map_t *m,
                                       const uint8_t *data, flashmodel_rng_t *rng);

void flashmodel__nor_erase(flashmodel_t *fm, uint32_t addr, uint32_t len);

/* Interrupted erase: random bytes over the whole unit. */
void flashmodel__nor_erase_undefined(flashmodel_t *fm, uint32_t addr, uint32_t len,
                                     flashmodel_rng_t *rng);

/* Worn erase: bits distinct random bits of [addr, addr + len) left programmed. */
void flashmodel__nor_leave_bits(flashmodel_t *fm, uint32_t addr, uint32_t len, uint32_t bits,
                                flashmodel_rng_t *rng);

#endif
