/*
 * The input shape the scenario and matrix targets share: a text, then
 * optionally a NUL byte and a second part (overrides, a seed list).
 */
#ifndef CHUNKSIM_FUZZ_SPLIT_H
#define CHUNKSIM_FUZZ_SPLIT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * A heap copy of data with both parts NUL-terminated: the text at the start,
 * the second part at *rest ("" when the input has none). NULL when size is
 * over max or memory is short. Free it with free().
 */
static inline char *fuzz_split(const uint8_t *data, size_t size, size_t max, char **rest)
{
    char *buf = size <= max ? malloc(size + 2) : NULL;
    if (buf == NULL)
        return NULL;
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = '\0';
    size_t text_len = strlen(buf);
    *rest = text_len < size ? buf + text_len + 1 : buf + size + 1;
    return buf;
}

#endif
