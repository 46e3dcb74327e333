/*
 * bench_core: drains a 1 MiB coredump held in RAM through the packetizer at
 * several chunk sizes and prints MB/s and chunks/s (median of several runs).
 * The storage port is a memcpy, so the figures are the core's own cost:
 * framing, varints and the CRC. Built twice: with the CRC-16 table and without.
 */
#include "chunkcore/coredump.h"
#include "chunkcore/error.h"
#include "chunkcore/packetizer.h"
#include "ram_storage.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_IMAGE_BYTES (1024u * 1024u)
#define BENCH_REPEATS     9

static void bench_make_image(ram_storage_t *s)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (uint32_t i = 0; i < s->size_bytes; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s->bytes[i] = (uint8_t)x;
    }
    const uint32_t hdr[3] = {CHUNKCORE_COREDUMP_MAGIC, CHUNKCORE_COREDUMP_VERSION, s->size_bytes};
    memcpy(s->bytes, hdr, sizeof(hdr)); /* the host is little-endian, as the format */
}

static double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One full drain; returns seconds and the chunk count. */
static double bench_drain(ram_storage_t *s, size_t chunk_bytes, uint64_t *chunks)
{
    const chunkcore_storage_port_t port = ram_storage_port(s);
    chunkcore_coredump_t cd;
    chunkcore_packetizer_config_t cfg = {0};
    chunkcore_packetizer_t p;
    uint8_t buf[4096];

    cfg.sources[CHUNKCORE_MSG_COREDUMP] = chunkcore_coredump_init(&cd, &port);
    chunkcore_packetizer_init(&p, &cfg);
    *chunks = 0;
    int cleared = s->clears;
    double t0 = bench_now_s();
    for (;;) {
        size_t len = chunk_bytes;
        if (chunkcore_packetizer_get_chunk(&p, buf, &len) != CHUNKCORE_OK) {
            fprintf(stderr, "bench_core: get_chunk failed\n");
            exit(1);
        }
        ++*chunks;
        if (s->clears != cleared) {
            break;
        }
    }
    return bench_now_s() - t0;
}

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* bench_core [CHUNK_BYTES [REPEATS]]: one size only, e.g. under callgrind. */
int main(int argc, char **argv)
{
    size_t sizes[] = {20, 64, 244, 1024};
    size_t nsizes = sizeof(sizes) / sizeof(sizes[0]);
    int repeats = BENCH_REPEATS;
    if (argc > 1) {
        sizes[0] = strtoul(argv[1], NULL, 10);
        nsizes = 1;
        repeats = argc > 2 ? atoi(argv[2]) : 1;
        if (sizes[0] < 9 || sizes[0] > 4096 || repeats < 1 || repeats > BENCH_REPEATS) {
            fprintf(stderr, "usage: bench_core [CHUNK_BYTES 9..4096 [REPEATS 1..%d]]\n",
                    BENCH_REPEATS);
            return 2;
        }
    }
    ram_storage_t s = {.bytes = malloc(BENCH_IMAGE_BYTES), .size_bytes = BENCH_IMAGE_BYTES};
    if (s.bytes == NULL) {
        return 1;
    }
    bench_make_image(&s);
    printf("bench_core: 1 MiB coredump from RAM, CRC-16 %s, median of %d runs\n",
           CHUNKCORE_CRC16_TABLE ? "with table" : "table-free", repeats);
    printf("%8s %10s %14s\n", "chunk_B", "MB/s", "chunks/s");
    for (size_t i = 0; i < nsizes; i++) {
        double t[BENCH_REPEATS];
        uint64_t chunks = 0;
        for (int r = 0; r < repeats; r++) {
            t[r] = bench_drain(&s, sizes[i], &chunks);
        }
        qsort(t, (size_t)repeats, sizeof(t[0]), bench_cmp);
        double med = t[repeats / 2];
        printf("%8zu %10.1f %14.0f\n", sizes[i], BENCH_IMAGE_BYTES / med / 1e6,
               (double)chunks / med);
    }
    free(s.bytes);
    return 0;
}
