/*
 * bench_core: drains a 1 MiB coredump held in RAM through the packetizer at
 * several chunk sizes and prints MB/s and chunks/s (median of several runs).
 * The storage port is a memcpy, so the figures are the core's own cost:
 * framing, varints and the CRC. Built twice: with the CRC-16 table and without.
 *
 * --sdk drains through the SDK-style memfault_packetizer_get_chunk() over
 * its default instance instead of chunkcore_packetizer_get_chunk().
 *
 * Wall time on a shared machine is noise; instructions are not.
 * tools/bench_ipb.sh runs one drain per chunk size under callgrind, counting
 * only inside bench_drain(), and prints instructions per message byte.
 */
#include "chunkcore/coredump.h"
#include "chunkcore/error.h"
#include "chunkcore/packetizer.h"
#include "memfault/core/data_packetizer.h"
#include "memfault/panics/platform/coredump.h"
#include "ram_storage.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_IMAGE_BYTES (1024u * 1024u)
#define BENCH_REPEATS     9

static ram_storage_t s_storage;

/* ---- the SDK-style layer's platform functions, over the same RAM image ---- */

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info)
{
    info->size = s_storage.size_bytes;
    info->sector_size = 4096;
}

bool memfault_platform_coredump_storage_read(uint32_t offset, void *data, size_t read_len)
{
    return ram_storage_read(&s_storage, offset, data, read_len) == 0;
}

void memfault_platform_coredump_storage_clear(void)
{
    (void)ram_storage_clear(&s_storage);
}

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

static void bench_fail(const char *what)
{
    fprintf(stderr, "bench_core: %s failed\n", what);
    exit(1);
}

/*
 * One full drain, from the first chunk to the one that clears the coredump;
 * returns the chunk count. Not inlined: callgrind counts inside it by name.
 */
__attribute__((noinline)) static uint64_t bench_drain(size_t chunk_bytes, bool sdk)
{
    const chunkcore_storage_port_t port = ram_storage_port(&s_storage);
    chunkcore_coredump_t cd;
    chunkcore_packetizer_config_t cfg = {0};
    chunkcore_packetizer_t p;
    static uint8_t buf[4096];

    if (!sdk) {
        cfg.sources[CHUNKCORE_MSG_COREDUMP] = chunkcore_coredump_init(&cd, &port);
        if (chunkcore_packetizer_init(&p, &cfg) != CHUNKCORE_OK) {
            bench_fail("chunkcore_packetizer_init");
        }
    }
    uint64_t chunks = 0;
    int cleared = s_storage.clears;
    while (s_storage.clears == cleared) {
        size_t len = chunk_bytes;
        if (sdk) {
            if (!memfault_packetizer_get_chunk(buf, &len)) {
                bench_fail("memfault_packetizer_get_chunk");
            }
        } else if (chunkcore_packetizer_get_chunk(&p, buf, &len) != CHUNKCORE_OK) {
            bench_fail("chunkcore_packetizer_get_chunk");
        }
        chunks++;
    }
    return chunks;
}

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int bench_usage(void)
{
    fprintf(stderr, "usage: bench_core [--sdk] [CHUNK_BYTES 9..4096 [REPEATS 1..%d]]\n",
            BENCH_REPEATS);
    return 2;
}

/* bench_core [--sdk] [CHUNK_BYTES [REPEATS]]: one size only, e.g. under callgrind. */
int main(int argc, char **argv)
{
    size_t sizes[] = {20, 64, 244, 1024};
    size_t nsizes = sizeof(sizes) / sizeof(sizes[0]);
    int repeats = BENCH_REPEATS;
    bool sdk = argc > 1 && strcmp(argv[1], "--sdk") == 0;
    argc -= sdk;
    argv += sdk;
    if (argc > 1) {
        sizes[0] = strtoul(argv[1], NULL, 10);
        nsizes = 1;
        repeats = argc > 2 ? atoi(argv[2]) : 1;
        if (sizes[0] < 9 || sizes[0] > 4096 || repeats < 1 || repeats > BENCH_REPEATS) {
            return bench_usage();
        }
    }
    s_storage.bytes = malloc(BENCH_IMAGE_BYTES);
    s_storage.size_bytes = BENCH_IMAGE_BYTES;
    if (s_storage.bytes == NULL) {
        return 1;
    }
    bench_make_image(&s_storage);
    printf("bench_core: 1 MiB coredump from RAM, %s API, CRC-16 %s, median of %d runs\n",
           sdk ? "SDK-style" : "native", CHUNKCORE_CRC16_TABLE ? "with table" : "table-free",
           repeats);
    printf("%8s %10s %14s\n", "chunk_B", "MB/s", "chunks/s");
    for (size_t i = 0; i < nsizes; i++) {
        double t[BENCH_REPEATS];
        uint64_t chunks = 0;
        for (int r = 0; r < repeats; r++) {
            double t0 = bench_now_s();
            chunks = bench_drain(sizes[i], sdk);
            t[r] = bench_now_s() - t0;
        }
        qsort(t, (size_t)repeats, sizeof(t[0]), bench_cmp);
        double med = t[repeats / 2];
        printf("%8zu %10.1f %14.0f\n", sizes[i], BENCH_IMAGE_BYTES / med / 1e6,
               (double)chunks / med);
    }
    free(s_storage.bytes);
    return 0;
}
