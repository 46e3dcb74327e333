/*
 * core_demo: drains a generated coredump through the firmware core,
 * synchronously, and prints every chunk in hex. The smallest end-to-end
 * use of core/: a storage port over RAM, the coredump source, the packetizer.
 * Usage: core_demo [COREDUMP_BYTES [CHUNK_BYTES]]
 */
#include "chunkcore/coredump.h"
#include "chunkcore/error.h"
#include "chunkcore/packetizer.h"
#include "ram_storage.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void demo_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* Header, one memory-region block of counting bytes, footer. */
static void demo_build_image(uint8_t *img, uint32_t total)
{
    uint32_t region =
        total - CHUNKCORE_COREDUMP_HEADER_BYTES - 12 - CHUNKCORE_COREDUMP_FOOTER_BYTES;
    memset(img, 0, total);
    demo_put_le32(img, CHUNKCORE_COREDUMP_MAGIC);
    demo_put_le32(img + 4, CHUNKCORE_COREDUMP_VERSION);
    demo_put_le32(img + 8, total);
    img[12] = 1; /* block type: memory region */
    demo_put_le32(img + 16, 0x20000000u);
    demo_put_le32(img + 20, region);
    for (uint32_t i = 0; i < region; i++) {
        img[24 + i] = (uint8_t)i;
    }
    demo_put_le32(img + total - CHUNKCORE_COREDUMP_FOOTER_BYTES, CHUNKCORE_COREDUMP_FOOTER_MAGIC);
}

int main(int argc, char **argv)
{
    unsigned long total = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
    unsigned long chunk = argc > 2 ? strtoul(argv[2], NULL, 0) : 20;
    if (total < 64 || total > (1ul << 24) || chunk < 9 || chunk > 4096) {
        fprintf(stderr, "usage: core_demo [COREDUMP_BYTES 64..16M [CHUNK_BYTES 9..4096]]\n");
        return 2;
    }
    ram_storage_t s = {
        .bytes = malloc(total), .size_bytes = (uint32_t)total, .invalidate_on_clear = 1};
    if (s.bytes == NULL) {
        return 1;
    }
    demo_build_image(s.bytes, (uint32_t)total);

    const chunkcore_storage_port_t port = ram_storage_port(&s);
    chunkcore_coredump_t cd;
    chunkcore_packetizer_config_t cfg = {0};
    chunkcore_packetizer_t p;
    cfg.sources[CHUNKCORE_MSG_COREDUMP] = chunkcore_coredump_init(&cd, &port);
    chunkcore_packetizer_init(&p, &cfg);

    uint8_t buf[4096];
    unsigned n = 0, bytes = 0;
    for (;;) {
        size_t len = chunk;
        int rc = chunkcore_packetizer_get_chunk(&p, buf, &len);
        if (rc == CHUNKCORE_E_NODATA) {
            break;
        }
        if (rc < 0) {
            fprintf(stderr, "core_demo: get_chunk: %s\n", chunkcore_strerror(rc));
            return 1;
        }
        printf("chunk %4u (%3zu B):", n++, len);
        for (size_t i = 0; i < len; i++) {
            printf(" %02X", buf[i]);
        }
        printf("\n");
        bytes += (unsigned)len;
    }
    printf("%u chunks, %u bytes on the wire for a %lu-byte coredump; storage cleared %d time(s)\n",
           n, bytes, total, s.clears);
    free(s.bytes);
    return s.clears == 1 ? 0 : 1;
}
