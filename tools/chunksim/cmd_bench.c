/*
 * chunksim bench: simulation and recording speed, measured in one process
 * run so the ratios compare like with like on a shared machine. A 1 MiB
 * coredump over BLE at 20-byte and 244-byte chunks, each with recording off
 * and on (every call, flash op and chunk), median wall time of a few runs.
 */
#include "cli.h"
#include "options.h"

#include "chunksim/recorder.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char bench_ini[] = "[run]\n"
                                "max_sim_us = 3600s\n"
                                "[coredump]\n"
                                "size_bytes = 1MiB\n"
                                "[reader]\n"
                                "kind = double\n"
                                "window_bytes = 8KiB\n";

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double wall_s;
    uint64_t rows;
    uint64_t message_bytes;
    uint64_t chunks;
} bench_sample_t;

static int bench_once(const char *mtu, const char *db, bench_sample_t *out)
{
    chunksim_scenario_t sc;
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    char mtu_set[40];
    snprintf(mtu_set, sizeof(mtu_set), "link.att_mtu=%s", mtu);
    int rc = chunksim_scenario_load_string(&sc, bench_ini, "bench", NULL, err, sizeof(err));
    rc = rc < 0 ? rc : chunksim_scenario_set_arg(&sc, mtu_set, err, sizeof(err));
    rc = rc < 0 ? rc : chunksim_scenario_validate(&sc, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "chunksim bench: %s\n", err);
        chunksim_scenario_free(&sc); /* a refused override leaves the loaded scenario */
        return rc;
    }
    chunksim_rec_t rec;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0); /* from open to close: the recording's whole cost */
    if (db != NULL && chunksim_rec_open(&rec, db, err, sizeof(err)) < 0) {
        fprintf(stderr, "chunksim bench: %s: %s\n", db, err);
        chunksim_scenario_free(&sc);
        return -1;
    }
    chunksim_run_options_t opts = {.rec = db ? &rec : NULL, .record_rows = db != NULL};
    chunksim_run_result_t res;
    rc = chunksim_run(&sc, &opts, &res);
    if (db != NULL) {
        chunksim_rec_close(&rec);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    chunksim_scenario_free(&sc);
    if (rc < 0 || res.outcome != CHUNKSIM_OUTCOME_OK) {
        fprintf(stderr, "chunksim bench: the benchmark run failed: %s\n", res.reason);
        return -1;
    }
    double wall_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    *out = (bench_sample_t){wall_s, res.m.rows, res.m.message_bytes, res.m.chunks};
    return 0;
}

static int bench_median(const char *mtu, const char *db, int repeats, bench_sample_t *out)
{
    double walls[16];
    for (int i = 0; i < repeats; i++) {
        if (db != NULL) {
            unlink(db); /* each sample writes a fresh file: same work every time */
        }
        if (bench_once(mtu, db, out) < 0) {
            return -1;
        }
        walls[i] = out->wall_s;
    }
    qsort(walls, (size_t)repeats, sizeof(walls[0]), bench_cmp);
    out->wall_s = walls[repeats / 2];
    return 0;
}

static int bench_parse_repeats(const cli_value_t *v, void *field)
{
    unsigned *repeats = field;
    if (cli_options_parse_unsigned(v, field) != 0 || *repeats < 1 || *repeats > 15) {
        fprintf(v->err, "%s: --%s takes 1 to 15\n", v->tool, v->option);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static const cli_option_t bench_options[] = {
    {"repeats", 0, "N", "runs per figure, 1 to 15 (default 3); the median is printed", 0,
     bench_parse_repeats},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const cli_command_t bench_command = {
    .name = "bench",
    .usage = "[--repeats N]",
    .about = "Drains a 1 MiB coredump over BLE (20-byte and 244-byte chunks, double-\n"
             "buffered reader) in virtual time, with recording off and on, and prints\n"
             "simulated message bytes per wall second, recorded rows per second and\n"
             "the cost of recording as a ratio. Median of N runs (default 3).\n",
    .options = bench_options,
    .min_args = 0,
    .max_args = 0,
};

int cli_bench(int argc, char **argv)
{
    unsigned repeats = 3;
    cli_common_t common;
    int first;
    int prc = cli_options_parse(&bench_command, argc, argv, &common, &repeats, &first);
    if (prc != 0)
        return prc < 0 ? CLI_EXIT_OK : prc;
    char db[] = "/tmp/chunksim-bench-XXXXXX";
    int fd = mkstemp(db);
    if (fd < 0) {
        perror("chunksim bench: mkstemp");
        return CLI_EXIT_FAILED;
    }
    close(fd);
    static const struct {
        const char *mtu;
        const char *label;
    } cases[] = {{"23", "20-byte chunks"}, {"247", "244-byte chunks"}};
    printf("chunksim bench: 1 MiB coredump, BLE, virtual time, median of %u\n", repeats);
    printf("%-16s %8s %10s %12s %10s %12s %8s\n", "case", "chunks", "off_s", "off_MB/s", "on_s",
           "rows/s", "on/off");
    int rc = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && rc == 0; i++) {
        bench_sample_t off, on;
        rc = bench_median(cases[i].mtu, NULL, (int)repeats, &off);
        rc = rc < 0 ? rc : bench_median(cases[i].mtu, db, (int)repeats, &on);
        if (rc == 0) {
            printf("%-16s %8" PRIu64 " %10.3f %12.2f %10.3f %12.0f %8.2f\n", cases[i].label,
                   off.chunks, off.wall_s, (double)off.message_bytes / off.wall_s / 1e6, on.wall_s,
                   (double)on.rows / on.wall_s, on.wall_s / off.wall_s);
        }
    }
    unlink(db);
    char side[sizeof(db) + 8];
    snprintf(side, sizeof(side), "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", db);
    unlink(side);
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}
