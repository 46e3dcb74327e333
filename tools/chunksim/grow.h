/*
 * Growing arrays: the one way chunksim's tool code makes room in a heap array
 * it appends to, so each caller says only what it appends and where.
 */
#ifndef CHUNKSIM_CLI_GROW_H
#define CHUNKSIM_CLI_GROW_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

/*
 * Makes room for element n of *arr (elem bytes each, *cap of them allocated):
 * once n reaches *cap the capacity doubles, or becomes first when it was 0.
 * Returns 0, or -ENOMEM with *arr and *cap as they were.
 */
static inline int cli_grow(void **arr, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? 2 * *cap : first;
    void *p = realloc(*arr, ncap * elem);
    if (p == NULL)
        return -ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

#endif
