#include "chunksim/image.h"

#include "chunkcore/coredump.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { IMAGE_BLOCK_REGISTERS = 0, IMAGE_BLOCK_MEMORY = 1 };
#define IMAGE_BLOCK_HDR_BYTES 12u
#define IMAGE_REGISTERS_BYTES 68u /* r0-r12, sp, lr, pc, xpsr: 17 words */

static void image_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint8_t *image_block(uint8_t *p, uint8_t type, uint32_t addr, uint32_t len)
{
    memset(p, 0, IMAGE_BLOCK_HDR_BYTES);
    p[0] = type;
    image_le32(p + 4, addr);
    image_le32(p + 8, len);
    return p + IMAGE_BLOCK_HDR_BYTES;
}

/* One word of live RAM: random, a small integer or a pointer into RAM. */
static uint32_t image_ram_word(chunksim_rng_t *rng)
{
    uint64_t r = chunksim_rng_next_u64(rng);
    switch (r & 3u) {
    case 0:
        return (uint32_t)(r >> 40) & 0xFFu;
    case 1:
        return CHUNKSIM_IMAGE_REGION_ADDR | ((uint32_t)(r >> 40) & 0xFFFCu);
    default:
        return (uint32_t)(r >> 32);
    }
}

static void image_fill_ram(const chunksim_image_config_t *cfg, uint8_t *dst, uint32_t len)
{
    const uint64_t words_min = CHUNKSIM_IMAGE_RAM_STRETCH_MIN_BYTES / 4;
    const uint64_t words_max = CHUNKSIM_IMAGE_RAM_STRETCH_MAX_BYTES / 4;
    uint32_t at = 0;
    while (at < len) {
        uint32_t n = 4u * (uint32_t)chunksim_rng_range(cfg->rng, words_min, words_max);
        n = n < len - at ? n : len - at;
        bool zeros = chunksim_rng_range(cfg->rng, 0, 99) < cfg->zero_percent;
        for (uint32_t i = 0; i < n; i += 4) {
            uint8_t w[4] = {0, 0, 0, 0};
            if (!zeros) {
                image_le32(w, image_ram_word(cfg->rng));
            }
            memcpy(dst + at + i, w, n - i < 4 ? n - i : 4);
        }
        at += n;
    }
}

static void image_fill(const chunksim_image_config_t *cfg, uint8_t *dst, uint32_t len)
{
    switch (cfg->content) {
    case CHUNKSIM_IMAGE_PATTERN:
        for (uint32_t i = 0; i < len; i++) {
            dst[i] = cfg->pattern[i % cfg->pattern_bytes];
        }
        break;
    case CHUNKSIM_IMAGE_RANDOM:
        for (uint32_t i = 0; i < len; i += 8) {
            uint64_t r = chunksim_rng_next_u64(cfg->rng);
            memcpy(dst + i, &r, len - i < 8 ? len - i : 8);
        }
        break;
    case CHUNKSIM_IMAGE_RAM:
        image_fill_ram(cfg, dst, len);
        break;
    case CHUNKSIM_IMAGE_FILE:
        break; /* image_build_file() */
    }
}

/* Header last, as a board commits a saved coredump; the footer closes the body. */
static void image_frame(uint8_t *img, uint32_t total)
{
    uint8_t *footer = img + total - CHUNKCORE_COREDUMP_FOOTER_BYTES;
    memset(footer, 0, CHUNKCORE_COREDUMP_FOOTER_BYTES);
    image_le32(footer, CHUNKCORE_COREDUMP_FOOTER_MAGIC);
    image_le32(img, CHUNKCORE_COREDUMP_MAGIC);
    image_le32(img + 4, CHUNKCORE_COREDUMP_VERSION);
    image_le32(img + 8, total);
}

/*
 * A user's file is the body between header and footer, verbatim (its own
 * blocks). An empty file is an image with no blocks: docs/chunk-format.md §11
 * asks for none, and the core streams the 28 bytes like any other image.
 */
static int image_build_file(const chunksim_image_config_t *cfg, uint8_t **out, uint32_t *out_bytes)
{
    const uint32_t frame = CHUNKCORE_COREDUMP_HEADER_BYTES + CHUNKCORE_COREDUMP_FOOTER_BYTES;
    if (cfg->pattern_bytes > UINT32_MAX - frame ||
        (cfg->pattern_bytes > 0 && cfg->pattern == NULL)) {
        return -EINVAL;
    }
    uint32_t total = frame + (uint32_t)cfg->pattern_bytes;
    if (cfg->total_bytes != 0 && cfg->total_bytes != total) {
        return -EINVAL;
    }
    uint8_t *img = malloc(total);
    if (img == NULL) {
        return -ENOMEM;
    }
    if (cfg->pattern_bytes > 0) {
        memcpy(img + CHUNKCORE_COREDUMP_HEADER_BYTES, cfg->pattern, cfg->pattern_bytes);
    }
    image_frame(img, total);
    *out = img;
    *out_bytes = total;
    return 0;
}

int chunksim_image_build(const chunksim_image_config_t *cfg, uint8_t **out, uint32_t *out_bytes)
{
    if (cfg->content == CHUNKSIM_IMAGE_FILE) {
        return image_build_file(cfg, out, out_bytes);
    }
    const uint32_t fixed =
        CHUNKCORE_COREDUMP_HEADER_BYTES + IMAGE_BLOCK_HDR_BYTES + CHUNKCORE_COREDUMP_FOOTER_BYTES;
    uint32_t total = cfg->total_bytes;
    if (total < CHUNKSIM_IMAGE_MIN_BYTES ||
        (cfg->content == CHUNKSIM_IMAGE_PATTERN && cfg->pattern_bytes == 0)) {
        return -EINVAL;
    }
    /* Registers only where they leave room for a real memory region. */
    bool regs = total >= 4 * (fixed + IMAGE_REGISTERS_BYTES);
    uint32_t region = total - fixed - (regs ? IMAGE_BLOCK_HDR_BYTES + IMAGE_REGISTERS_BYTES : 0);
    uint8_t *img = malloc(total);
    if (img == NULL) {
        return -ENOMEM;
    }
    uint8_t *p = img + CHUNKCORE_COREDUMP_HEADER_BYTES;
    if (regs) {
        p = image_block(p, IMAGE_BLOCK_REGISTERS, 0, IMAGE_REGISTERS_BYTES);
        for (uint32_t r = 0; r < IMAGE_REGISTERS_BYTES / 4; r++) {
            image_le32(p + 4 * r, 0xC0DE0000u + r);
        }
        p += IMAGE_REGISTERS_BYTES;
    }
    p = image_block(p, IMAGE_BLOCK_MEMORY, CHUNKSIM_IMAGE_REGION_ADDR, region);
    image_fill(cfg, p, region);
    image_frame(img, total);
    *out = img;
    *out_bytes = total;
    return 0;
}
