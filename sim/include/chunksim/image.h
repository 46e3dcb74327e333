/*
 * Coredump image builder (docs/chunk-format.md §11): what the flash holds at the start
 * of a run. Header (magic, version 2, total size), a registers block, one
 * memory-region block carrying the content, and the footer. The header is
 * written last when a board saves a coredump; here the whole image is built
 * at once and loaded into the flash model before the run.
 */
#ifndef CHUNKSIM_IMAGE_H
#define CHUNKSIM_IMAGE_H

#include "chunksim/rng.h"

#include <stddef.h>
#include <stdint.h>

/* Header + memory-region block header + footer: the smallest image. */
#define CHUNKSIM_IMAGE_MIN_BYTES   40u
#define CHUNKSIM_IMAGE_REGION_ADDR 0x20000000u

typedef enum chunksim_image_content {
    CHUNKSIM_IMAGE_PATTERN, /* the pattern bytes repeated */
    CHUNKSIM_IMAGE_RANDOM,  /* drawn from the given stream */
    CHUNKSIM_IMAGE_FILE,    /* a user's binary: the body between header and footer, verbatim */
    CHUNKSIM_IMAGE_RAM      /* a RAM snapshot: zero-filled stretches between live data */
} chunksim_image_content_t;

/*
 * CHUNKSIM_IMAGE_RAM: the memory region as a board's RAM holds it at a
 * crash. Stretches of zeros (.bss never written, heap never allocated, stack
 * below its high-water mark) alternate with stretches of live data (globals,
 * heap blocks, stack frames). Each stretch is 16 to 2048 bytes, a whole
 * number of words, and zeros with probability zero_percent, so about that
 * share of the region is zero-filled. Live data is words as RAM holds them:
 * half random, a quarter small integers (three zero bytes), a quarter
 * pointers into RAM (0x2000xxxx).
 */
#define CHUNKSIM_IMAGE_RAM_STRETCH_MIN_BYTES 16u
#define CHUNKSIM_IMAGE_RAM_STRETCH_MAX_BYTES 2048u

typedef struct chunksim_image_config {
    uint32_t total_bytes; /* whole image; FILE: 0, or exactly file + 28 */
    chunksim_image_content_t content;
    const uint8_t *pattern; /* PATTERN: at least one byte; FILE: the file's bytes (may be none) */
    size_t pattern_bytes;
    chunksim_rng_t *rng;   /* RANDOM, RAM */
    uint32_t zero_percent; /* RAM: 0 to 100 */
} chunksim_image_config_t;

/*
 * Builds the image into a new heap buffer (*out, *out_bytes; free() it).
 * Returns 0, or -EINVAL (too small, or a file that does not fit total_bytes),
 * or -ENOMEM.
 */
int chunksim_image_build(const chunksim_image_config_t *cfg, uint8_t **out, uint32_t *out_bytes);

#endif
