/*
 * The cell array, sparse: a table of pointers to 4 KiB pages, each page
 * allocated when a byte in it first takes a value other than the erased
 * one. A small coredump on a large part costs what the coredump costs, not
 * what the part holds; erasing a whole page gives its memory back. A page
 * may also be the caller's (flashmodel__array_share): read in place, copied on its
 * first change.
 */
#include "internal.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FM_ARRAY_PAGE_BYTES (1u << FM_ARRAY_PAGE_SHIFT)

static uint32_t fm_array_page_count(const fm_array_t *a)
{
    return (uint32_t)(((uint64_t)a->size_bytes + FM_ARRAY_PAGE_BYTES - 1) >> FM_ARRAY_PAGE_SHIFT);
}

int flashmodel__array_init(fm_array_t *a, uint32_t size_bytes, uint8_t erased)
{
    a->size_bytes = size_bytes;
    a->erased = erased;
    a->image = NULL;
    a->shared = NULL;
    a->shared_bytes = 0;
    a->pages = calloc(fm_array_page_count(a) ? fm_array_page_count(a) : 1, sizeof(*a->pages));
    return a->pages != NULL ? 0 : FLASHMODEL_E_NOMEM;
}

/* Whether page is the caller's, not ours to change or free. */
static bool fm_array_is_shared(const fm_array_t *a, const uint8_t *page)
{
    uintptr_t p = (uintptr_t)page, s = (uintptr_t)a->shared;
    return page != NULL && a->shared != NULL && p >= s && p - s < a->shared_bytes;
}

/* Drops the page at slot: ours are freed, the caller's only forgotten. */
static void fm_array_drop(fm_array_t *a, uint8_t **slot)
{
    if (!fm_array_is_shared(a, *slot)) {
        free(*slot);
    }
    *slot = NULL;
}

void flashmodel__array_free(fm_array_t *a)
{
    for (uint32_t p = 0; a->pages != NULL && p < fm_array_page_count(a); p++) {
        fm_array_drop(a, &a->pages[p]);
    }
    free(a->pages);
    free(a->image);
    memset(a, 0, sizeof(*a));
}

/*
 * The page holding addr, ours to change: allocated (erased) if it was not,
 * copied if it was the caller's. Running out of memory for 4 KiB on the
 * host leaves no honest way on: the simulation would silently lose
 * programmed bytes, so the process stops instead.
 */
static uint8_t *fm_array_page(fm_array_t *a, uint32_t addr)
{
    uint8_t **slot = &a->pages[addr >> FM_ARRAY_PAGE_SHIFT];
    if (*slot == NULL || fm_array_is_shared(a, *slot)) {
        uint8_t *page = malloc(FM_ARRAY_PAGE_BYTES);
        if (page == NULL) {
            abort();
        }
        if (*slot != NULL) {
            memcpy(page, *slot, FM_ARRAY_PAGE_BYTES);
        } else {
            memset(page, a->erased, FM_ARRAY_PAGE_BYTES);
        }
        *slot = page;
    }
    return *slot;
}

uint8_t flashmodel__array_get(const fm_array_t *a, uint32_t addr)
{
    const uint8_t *page = a->pages[addr >> FM_ARRAY_PAGE_SHIFT];
    return page != NULL ? page[addr & (FM_ARRAY_PAGE_BYTES - 1)] : a->erased;
}

void flashmodel__array_set(fm_array_t *a, uint32_t addr, uint8_t value)
{
    if (value == a->erased && a->pages[addr >> FM_ARRAY_PAGE_SHIFT] == NULL) {
        return;
    }
    fm_array_page(a, addr)[addr & (FM_ARRAY_PAGE_BYTES - 1)] = value;
}

/* Bytes from addr to the end of its page, at most len. */
static uint32_t fm_array_span(uint32_t addr, uint32_t len)
{
    uint32_t room = FM_ARRAY_PAGE_BYTES - (addr & (FM_ARRAY_PAGE_BYTES - 1));
    return len < room ? len : room;
}

void flashmodel__array_read(const fm_array_t *a, uint32_t addr, uint8_t *dst, uint32_t len)
{
    while (len > 0) {
        uint32_t n = fm_array_span(addr, len);
        const uint8_t *page = a->pages[addr >> FM_ARRAY_PAGE_SHIFT];
        if (page != NULL) {
            memcpy(dst, page + (addr & (FM_ARRAY_PAGE_BYTES - 1)), n);
        } else {
            memset(dst, a->erased, n);
        }
        addr += n;
        dst += n;
        len -= n;
    }
}

void flashmodel__array_write(fm_array_t *a, uint32_t addr, const uint8_t *src, uint32_t len)
{
    while (len > 0) {
        uint32_t n = fm_array_span(addr, len);
        memcpy(fm_array_page(a, addr) + (addr & (FM_ARRAY_PAGE_BYTES - 1)), src, n);
        addr += n;
        src += n;
        len -= n;
    }
}

void flashmodel__array_share(fm_array_t *a, uint32_t addr, const uint8_t *src, uint32_t len)
{
    a->shared = src;
    a->shared_bytes = len;
    while (len > 0) {
        uint32_t n = fm_array_span(addr, len);
        if (n == FM_ARRAY_PAGE_BYTES) {
            uint8_t **slot = &a->pages[addr >> FM_ARRAY_PAGE_SHIFT];
            fm_array_drop(a, slot);
            *slot = (uint8_t *)(uintptr_t)src; /* never written through: fm_array_page copies */
        } else {
            flashmodel__array_write(a, addr, src, n);
        }
        addr += n;
        src += n;
        len -= n;
    }
}

void flashmodel__array_erase(fm_array_t *a, uint32_t addr, uint32_t len)
{
    while (len > 0) {
        uint32_t n = fm_array_span(addr, len);
        uint8_t **slot = &a->pages[addr >> FM_ARRAY_PAGE_SHIFT];
        if (n == FM_ARRAY_PAGE_BYTES) {
            fm_array_drop(a, slot);
        } else if (*slot != NULL) {
            memset(fm_array_page(a, addr) + (addr & (FM_ARRAY_PAGE_BYTES - 1)), a->erased, n);
        }
        addr += n;
        len -= n;
    }
}

const uint8_t *flashmodel__array_image(fm_array_t *a)
{
    if (a->image == NULL) {
        a->image = malloc(a->size_bytes ? a->size_bytes : 1);
        if (a->image == NULL) {
            return NULL;
        }
    }
    flashmodel__array_read(a, 0, a->image, a->size_bytes);
    return a->image;
}
