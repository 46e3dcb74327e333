/*
 * chunksim bench: simulation and recording speed, as ratios measured in one
 * invocation so they compare like with like on a shared machine. Every
 * measurement runs in a forked child (or, for --workers, a `chunksim
 * matrix` child), so each has its own peak memory (the child's ru_maxrss)
 * and none inherits another's heap. Repeats are interleaved (every cell
 * once, then every cell again), so a burst of load on the machine hits all
 * cells alike; each figure is the median of the repeats with their min-max.
 */
#include "batch.h"
#include "cli.h"
#include "options.h"

#include "chunksim/recorder.h"
#include "scratch.h"

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_REPEATS_MAX 15
#define BENCH_MIB         (1024u * 1024u)

/* A BLE drain of a coredump through the double-buffered reader, in virtual time. */
static const char bench_ini[] = "[run]\n"
                                "max_sim_us = 10000000s\n"
                                "[reader]\n"
                                "kind = double\n"
                                "window_bytes = 8KiB\n";

/* One measurement's setup: coredump size, ATT MTU (chunk = MTU - 3), recorded or not. */
typedef struct bench_cell {
    uint64_t coredump_bytes;
    unsigned mtu;
    bool record;
} bench_cell_t;

typedef struct bench_sample {
    double wall_s; /* from opening the database to closing it: recording's whole cost */
    double sim_s;  /* the drain, in simulated time */
    uint64_t rows, chunks;
    double peak_mib; /* the child's ru_maxrss */
    uint64_t db_bytes;
} bench_sample_t;

/* median (min-max) of one figure over the repeats. */
typedef struct bench_stat {
    double med, min, max;
} bench_stat_t;

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static bench_stat_t bench_stat(const double *v, int n)
{
    double s[BENCH_REPEATS_MAX];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, bench_cmp);
    double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    return (bench_stat_t){med, s[0], s[n - 1]};
}

/* ---- one drain, in a child ---------------------------------------------------- */

/* The smallest flash of at least 16 MiB that holds the coredump twice over. */
static uint64_t bench_flash_bytes(uint64_t coredump_bytes)
{
    uint64_t f = 16u * BENCH_MIB;
    while (f < 2 * coredump_bytes)
        f *= 2;
    return f;
}

static int bench_scenario(const bench_cell_t *c, chunksim_scenario_t *sc)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES], set[3][64];
    snprintf(set[0], sizeof set[0], "link.att_mtu=%u", c->mtu);
    snprintf(set[1], sizeof set[1], "coredump.size_bytes=%" PRIu64, c->coredump_bytes);
    snprintf(set[2], sizeof set[2], "flash.size_bytes=%" PRIu64,
             bench_flash_bytes(c->coredump_bytes));
    int rc = chunksim_scenario_load_string(sc, bench_ini, "bench", NULL, err, sizeof err);
    for (int i = 0; rc == 0 && i < 3; i++)
        rc = chunksim_scenario_set_arg(sc, set[i], err, sizeof err);
    rc = rc < 0 ? rc : chunksim_scenario_validate(sc, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "chunksim bench: %s\n", err);
        chunksim_scenario_free(sc);
    }
    return rc;
}

/* The child's side: one drain, its figures written to fd. */
static int bench_drain(const bench_cell_t *c, const char *db, int fd)
{
    chunksim_scenario_t sc;
    if (bench_scenario(c, &sc) < 0)
        return 1;
    chunksim_rec_t rec;
    char err[512];
    double t0 = cli_batch_now_s();
    if (c->record && chunksim_rec_open(&rec, db, err, sizeof err) < 0) {
        fprintf(stderr, "chunksim bench: %s: %s\n", db, err);
        return 1;
    }
    chunksim_run_options_t opts = {.rec = c->record ? &rec : NULL, .record_rows = c->record};
    chunksim_run_result_t res;
    int rc = chunksim_run(&sc, &opts, &res);
    if (c->record)
        chunksim_rec_close(&rec);
    bench_sample_t s = {.wall_s = cli_batch_now_s() - t0,
                        .sim_s = (double)res.m.drain_us * 1e-6,
                        .rows = res.m.rows,
                        .chunks = res.m.chunks};
    chunksim_scenario_free(&sc);
    if (rc < 0 || res.outcome != CHUNKSIM_OUTCOME_OK) {
        fprintf(stderr, "chunksim bench: the benchmark run failed: %s\n", res.reason);
        return 1;
    }
    return write(fd, &s, sizeof s) == (ssize_t)sizeof s ? 0 : 1;
}

static uint64_t bench_file_bytes(const char *db)
{
    static const char *const suffixes[] = {"", "-wal"};
    uint64_t n = 0;
    char path[600];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s%s", db, suffixes[i]);
        if (stat(path, &st) == 0)
            n += (uint64_t)st.st_size;
    }
    return n;
}

/* Waits for pid; its exit status (-1: killed), peak memory and CPU seconds (NULL: not wanted). */
static int bench_wait(pid_t pid, double *peak_mib, double *cpu_s)
{
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR)
            return -1;
    }
    *peak_mib = (double)ru.ru_maxrss / 1024.0;
    if (cpu_s != NULL)
        *cpu_s = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int bench_measure(const bench_cell_t *c, const char *db, bench_sample_t *out)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    cli_scratch_remove_db(db); /* each sample writes a fresh file: the same work every time */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        _exit(bench_drain(c, db, fds[1]));
    }
    close(fds[1]);
    ssize_t got = pid > 0 ? read(fds[0], out, sizeof *out) : -1;
    close(fds[0]);
    double peak = 0;
    int status = pid > 0 ? bench_wait(pid, &peak, NULL) : -1;
    out->peak_mib = peak;
    out->db_bytes = c->record ? bench_file_bytes(db) : 0;
    cli_scratch_remove_db(db);
    return got == (ssize_t)sizeof *out && status == 0 ? 0 : -1;
}

/* ---- output ------------------------------------------------------------------- */

static json_t *bench_stat_json(bench_stat_t s)
{
    return json_pack("{s:f, s:f, s:f}", "median", s.med, "min", s.min, "max", s.max);
}

static void bench_stat_print(const char *fmt, bench_stat_t s)
{
    char a[32], b[32], m[32];
    snprintf(m, sizeof m, fmt, s.med);
    snprintf(a, sizeof a, fmt, s.min);
    snprintf(b, sizeof b, fmt, s.max);
    char all[100];
    snprintf(all, sizeof all, "%s (%s-%s)", m, a, b);
    printf(" %24s", all);
}

/* Figures of each repeat of one table row, then their stats. */
typedef struct bench_row {
    const char *label;
    double v[8][BENCH_REPEATS_MAX];
} bench_row_t;

/* ---- the recording ratio ------------------------------------------------------ */

typedef struct bench_args {
    int repeats;
    bool json, workers, scaling;
    const char *sizes;
} bench_args_t;

/* The figures of one table row: the stats of each into row and, unless --json, on stdout. */
static void bench_row_figures(const bench_args_t *a, json_t *row, const char *const *names,
                              const char *const *fmts, int nfig, double (*v)[BENCH_REPEATS_MAX])
{
    for (int f = 0; f < nfig; f++) {
        bench_stat_t s = bench_stat(v[f], a->repeats);
        json_object_set_new(row, names[f], bench_stat_json(s));
        if (!a->json)
            bench_stat_print(fmts[f], s);
    }
    if (!a->json)
        printf("\n");
}

enum { REC_OFF_S, REC_ON_S, REC_RATIO, REC_ROWS_S, REC_SIM_WALL, REC_FIGURES };

static const char *const rec_names[REC_FIGURES] = {"off_s", "on_s", "on_over_off", "rows_per_s",
                                                   "sim_over_wall_off"};

static int bench_recording(const bench_args_t *a, const char *db, json_t *out)
{
    static const struct {
        unsigned mtu;
        const char *label;
    } cases[] = {{23, "20-byte chunks"}, {247, "244-byte chunks"}};
    bench_row_t rows[2] = {{.label = cases[0].label}, {.label = cases[1].label}};
    for (int r = 0; r < a->repeats; r++) {
        for (size_t i = 0; i < 2; i++) {
            bench_sample_t off, on;
            bench_cell_t c = {BENCH_MIB, cases[i].mtu, false};
            if (bench_measure(&c, db, &off) < 0)
                return -1;
            c.record = true;
            if (bench_measure(&c, db, &on) < 0)
                return -1;
            double *v[REC_FIGURES];
            for (int f = 0; f < REC_FIGURES; f++)
                v[f] = &rows[i].v[f][r];
            *v[REC_OFF_S] = off.wall_s;
            *v[REC_ON_S] = on.wall_s;
            *v[REC_RATIO] = on.wall_s / off.wall_s;
            *v[REC_ROWS_S] = (double)on.rows / on.wall_s;
            *v[REC_SIM_WALL] = off.sim_s / off.wall_s;
        }
    }
    static const char *const fmts[REC_FIGURES] = {"%.3f", "%.3f", "%.2f", "%.0f", "%.0f"};
    if (!a->json) {
        printf("recording: 1 MiB coredump over BLE, virtual time, full trace vs none; median "
               "(min-max) of %d\n%-16s",
               a->repeats, "case");
        for (int f = 0; f < REC_FIGURES; f++)
            printf(" %24s", rec_names[f]);
        printf("\n");
    }
    json_t *list = json_array();
    for (size_t i = 0; i < 2; i++) {
        json_t *row = json_pack("{s:s}", "case", rows[i].label);
        if (!a->json)
            printf("%-16s", rows[i].label);
        bench_row_figures(a, row, rec_names, fmts, REC_FIGURES, rows[i].v);
        json_array_append_new(list, row);
    }
    json_object_set_new(out, "recording", list);
    return 0;
}

/* ---- worker scaling ------------------------------------------------------------ */

/* Without the CI suite: a matrix of 400 quick cases of its own. */
static const char bench_matrix_ini[] = "[coredump]\nsize_bytes = 16KiB\n"
                                       "[flash]\nsize_bytes = 64KiB\n"
                                       "[link]\natt_mtu = 23\n"
                                       "[matrix]\nseeds = 1..100\n"
                                       "reader.kind = single | double\n"
                                       "link.att_mtu = 23 | 247\n";

/* `chunksim matrix FILES -j N` in a child; its wall time and CPU time (with its workers'). */
static int bench_matrix(char **files, size_t nfiles, unsigned jobs, const char *db, double *wall,
                        double *cpu)
{
    char j[16];
    snprintf(j, sizeof j, "%u", jobs);
    const char *argv[64] = {"chunksim", "matrix", "-q", "-j", j, "--db", db, "--trace", "all"};
    size_t n = 9;
    for (size_t i = 0; i < nfiles && n < 62; i++)
        argv[n++] = files[i];
    argv[n] = NULL;
    cli_scratch_remove_db(db);
    fflush(NULL);
    double t0 = cli_batch_now_s();
    pid_t pid = fork();
    if (pid == 0) {
        if (freopen("/dev/null", "w", stdout) == NULL)
            _exit(127);
        execv("/proc/self/exe", (char **)argv);
        _exit(127);
    }
    double peak;
    int status = pid > 0 ? bench_wait(pid, &peak, cpu) : -1;
    *wall = cli_batch_now_s() - t0;
    cli_scratch_remove_db(db);
    /* 1: some case failed its expectation, which the CI suite's cases may. */
    return status == 0 || status == 1 ? 0 : -1;
}

/*
 * The CPU seconds say whether -j 2 does the work of -j 1 and no more: on a
 * machine that other jobs load, the wall-time ratio can fall short of what
 * two free cores give; the CPU times do not.
 */
enum {
    WK_FULL_J1,
    WK_FULL_J2,
    WK_NONE_J1,
    WK_NONE_J2,
    WK_FULL_RATIO,
    WK_NONE_RATIO,
    WK_FULL_J1_CPU,
    WK_FULL_J2_CPU,
    WK_FIGURES
};

static const char *const wk_names[WK_FIGURES] = {
    "full_j1_s",       "full_j2_s",       "nodb_j1_s",     "nodb_j2_s",
    "full_j1_over_j2", "nodb_j1_over_j2", "full_j1_cpu_s", "full_j2_cpu_s"};

static int bench_workers_run(const bench_args_t *a, char **files, size_t nfiles, const char *source,
                             const char *db, json_t *out)
{
    static double v[WK_FIGURES][BENCH_REPEATS_MAX];
    for (int r = 0; r < a->repeats; r++) {
        for (int k = WK_FULL_J1; k <= WK_NONE_J2; k++) {
            bool full = k == WK_FULL_J1 || k == WK_FULL_J2;
            unsigned jobs = k == WK_FULL_J1 || k == WK_NONE_J1 ? 1 : 2;
            double cpu;
            int rc = bench_matrix(files, nfiles, jobs, full ? db : "", &v[k][r], &cpu);
            if (full)
                v[jobs == 1 ? WK_FULL_J1_CPU : WK_FULL_J2_CPU][r] = cpu;
            if (rc < 0) {
                fprintf(stderr, "chunksim bench: the matrix child failed\n");
                return -1;
            }
        }
        v[WK_FULL_RATIO][r] = v[WK_FULL_J1][r] / v[WK_FULL_J2][r];
        v[WK_NONE_RATIO][r] = v[WK_NONE_J1][r] / v[WK_NONE_J2][r];
    }
    json_t *obj = json_pack("{s:s}", "matrix", source);
    if (!a->json)
        printf("workers: chunksim matrix on %s, -j 1 vs -j 2, full trace (--trace all) and no "
               "database; wall and CPU seconds; median (min-max) of %d\n",
               source, a->repeats);
    for (int k = 0; k < WK_FIGURES; k++) {
        bench_stat_t s = bench_stat(v[k], a->repeats);
        json_object_set_new(obj, wk_names[k], bench_stat_json(s));
        if (!a->json) {
            printf("%-16s", wk_names[k]);
            bench_stat_print("%.2f", s);
            printf("\n");
        }
    }
    json_object_set_new(out, "workers", obj);
    return 0;
}

static int bench_workers(const bench_args_t *a, const char *db, const char *tmpdir, json_t *out)
{
    glob_t g = {0};
    char builtin[600];
    const char *source = "scenarios/ci/*.ini";
    if (glob(source, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
        globfree(&g);
        snprintf(builtin, sizeof builtin, "%s/bench_matrix.ini", tmpdir);
        FILE *f = fopen(builtin, "w");
        if (f == NULL || fputs(bench_matrix_ini, f) < 0 || fclose(f) != 0)
            return -1;
        source = "a built-in matrix of 400 cases";
        char *one[] = {builtin};
        return bench_workers_run(a, one, 1, source, db, out);
    }
    int rc = bench_workers_run(a, g.gl_pathv, g.gl_pathc, source, db, out);
    globfree(&g);
    return rc;
}

/* ---- cost against size ---------------------------------------------------------- */

enum { SC_WALL_S, SC_SIM_WALL, SC_ROWS_S, SC_PEAK_MIB, SC_DB_PER_BYTE, SC_FIGURES };

static const char *const sc_names[SC_FIGURES] = {"wall_s", "sim_over_wall", "rows_per_s",
                                                 "peak_mib", "db_bytes_per_coredump_byte"};

#define BENCH_SIZES_MAX 8

/* "64KiB,1MiB" into sizes: the count, or -1 with a message. */
static int bench_parse_sizes(const char *text, uint64_t *sizes)
{
    char copy[256], *save = NULL;
    snprintf(copy, sizeof copy, "%s", text);
    int n = 0;
    for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        char *end;
        unsigned long long v = strtoull(t, &end, 10);
        uint64_t unit = strcmp(end, "KiB") == 0   ? 1024u
                        : strcmp(end, "MiB") == 0 ? BENCH_MIB
                        : *end == '\0'            ? 1u
                                                  : 0u;
        if (end == t || unit == 0 || v == 0 || n == BENCH_SIZES_MAX) {
            fprintf(stderr,
                    "chunksim bench: --sizes %s: expected up to %d sizes such as 64KiB,1MiB\n",
                    text, BENCH_SIZES_MAX);
            return -1;
        }
        sizes[n++] = v * unit;
    }
    return n;
}

static int bench_scaling(const bench_args_t *a, const char *db, json_t *out)
{
    uint64_t sizes[BENCH_SIZES_MAX];
    int nsizes = bench_parse_sizes(a->sizes, sizes);
    if (nsizes < 0)
        return -2;
    static const unsigned mtus[2] = {23, 247};
    static double v[BENCH_SIZES_MAX][2][SC_FIGURES][BENCH_REPEATS_MAX];
    for (int r = 0; r < a->repeats; r++) {
        for (int i = 0; i < nsizes; i++) {
            for (int m = 0; m < 2; m++) {
                bench_cell_t c = {sizes[i], mtus[m], true};
                bench_sample_t s;
                if (bench_measure(&c, db, &s) < 0)
                    return -1;
                v[i][m][SC_WALL_S][r] = s.wall_s;
                v[i][m][SC_SIM_WALL][r] = s.sim_s / s.wall_s;
                v[i][m][SC_ROWS_S][r] = (double)s.rows / s.wall_s;
                v[i][m][SC_PEAK_MIB][r] = s.peak_mib;
                v[i][m][SC_DB_PER_BYTE][r] = (double)s.db_bytes / (double)sizes[i];
            }
        }
    }
    static const char *const fmts[SC_FIGURES] = {"%.3f", "%.0f", "%.0f", "%.1f", "%.2f"};
    if (!a->json) {
        printf("scaling: coredump over BLE, full trace, flash max(16 MiB, 2x coredump); median "
               "(min-max) of %d\n%-10s %-6s",
               a->repeats, "coredump", "chunk");
        for (int f = 0; f < SC_FIGURES; f++)
            printf(" %24s", sc_names[f]);
        printf("\n");
    }
    json_t *list = json_array();
    for (int i = 0; i < nsizes; i++) {
        for (int m = 0; m < 2; m++) {
            json_t *row = json_pack("{s:I, s:I}", "coredump_bytes", (json_int_t)sizes[i],
                                    "chunk_bytes", (json_int_t)(mtus[m] - 3));
            if (!a->json)
                printf("%-10" PRIu64 " %-6u", sizes[i], mtus[m] - 3);
            bench_row_figures(a, row, sc_names, fmts, SC_FIGURES, v[i][m]);
            json_array_append_new(list, row);
        }
    }
    json_object_set_new(out, "scaling", list);
    return 0;
}

/* ---- the command ------------------------------------------------------------------ */

static int bench_parse_repeats(const cli_value_t *v, void *field)
{
    unsigned n;
    if (cli_options_parse_unsigned(v, &n) != 0 || n < 1 || n > BENCH_REPEATS_MAX) {
        fprintf(v->err, "%s: --%s takes 1 to %d\n", v->tool, v->option, BENCH_REPEATS_MAX);
        return CLI_EXIT_USAGE;
    }
    *(int *)field = (int)n;
    return 0;
}

#define OWN(field) offsetof(bench_args_t, field)

static const cli_option_t bench_options[] = {
    {"workers", 0, NULL,
     "instead: chunksim matrix on scenarios/ci/*.ini (from the\n"
     "current directory; else a built-in matrix of 400 cases)\n"
     "with -j 1 and -j 2, full trace and no database: wall\n"
     "seconds and the -j 1 / -j 2 ratios",
     OWN(workers), NULL},
    {"scaling", 0, NULL,
     "instead: full-trace drains of each size (default\n"
     "64KiB,1MiB,16MiB,256MiB) at 20 and 244-byte chunks, on a\n"
     "flash of max(16 MiB, twice the coredump): wall seconds,\n"
     "simulated/wall, rows/s, peak MiB, database bytes per\n"
     "coredump byte (a 256 MiB drain at 20 bytes takes minutes)",
     OWN(scaling), NULL},
    {"sizes", 0, "LIST", "the sizes for --scaling, e.g. 64KiB,1MiB", OWN(sizes), NULL},
    {"repeats", 0, "N", "repeats of every measurement, 1 to 15 (default 3)", OWN(repeats),
     bench_parse_repeats},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static cli_command_fn bench_main;

static const cli_command_t bench_command = {
    .name = "bench",
    .usage = "[--workers] [--scaling [--sizes LIST]] [--repeats N] [--json]",
    .about = "Reports ratios, which vary less from machine to machine than absolute times\n"
             "(on a machine other jobs keep busy, -j 2 still cannot get two cores: --workers\n"
             "also gives CPU seconds, which show whether -j 2 does more work than -j 1).\n"
             "Every drain runs in a forked child (its own peak memory, from getrusage);\n"
             "repeats are interleaved and each figure is the median with its min-max.\n"
             "\n"
             "By default: a 1 MiB coredump drained over BLE (20-byte and 244-byte chunks,\n"
             "double-buffered reader) in virtual time, with no recording and with the full\n"
             "trace: wall seconds of each, their ratio (the cost of recording), recorded\n"
             "rows per wall second, and simulated seconds per wall second unrecorded.\n",
    .shared = CLI_OPT_JSON,
    .options = bench_options,
    .run = bench_main,
};

static int bench_main(const cli_call_t *call)
{
    bench_args_t *a = call->own;
    a->json = call->common->json; /* a shared option, kept with bench's own for the tables */
    char dir[] = "/tmp/chunksim-bench-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("chunksim bench: mkdtemp");
        return CLI_EXIT_FAILED;
    }
    char db[sizeof dir + 16];
    snprintf(db, sizeof db, "%s/bench.db", dir);
    json_t *out = json_object();
    int rc;
    if (a->workers)
        rc = bench_workers(a, db, dir, out);
    else if (a->scaling)
        rc = bench_scaling(a, db, out);
    else
        rc = bench_recording(a, db, out);
    if (rc == 0 && a->json) {
        json_dumpf(out, stdout, JSON_INDENT(2));
        printf("\n");
    }
    json_decref(out);
    char builtin[sizeof dir + 32];
    snprintf(builtin, sizeof builtin, "%s/bench_matrix.ini", dir);
    (void)unlink(builtin);
    (void)rmdir(dir);
    return rc == 0 ? CLI_EXIT_OK : rc == -2 ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
}

int cli_bench(int argc, char **argv)
{
    bench_args_t a = {.repeats = 3, .sizes = "64KiB,1MiB,16MiB,256MiB"};
    return cli_command_main(&bench_command, argc, argv, NULL, &a);
}
