/* Batch worker: runs cases, records them into segments and merges those into the output (see
 * worker.h). */
/* asprintf */
#define _GNU_SOURCE
#include "worker.h"
#include "grow.h"

#include "chunksim/error.h"
#include "chunksim/merge.h"
#include "chunksim/recorder.h"
#include "scratch.h"

#include <sqlite3.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A segment open this long is merged even when not full, so the output fills as the batch goes. */
#define WORKER_SEGMENT_S 1.0
/*
 * While another worker holds the output's write lock, a worker records on
 * into the same segment instead of waiting, and tries again after this many
 * runs; it waits only when its segment has grown this many times over.
 */
#define WORKER_RETRY_RUNS  16
#define WORKER_WAIT_FACTOR 4

typedef struct worker_run {
    int64_t src_run_id;
    uint64_t pos;
} worker_run_t;

/* The segment being recorded, and the output its runs go to. */
typedef struct worker {
    const cli_worker_env_t *env;
    chunksim_rec_t out;
    int out_rc; /* 0: the output is open */
    chunksim_rec_t seg;
    int seg_rc; /* 0: the segment is open */
    char *seg_path;
    uint32_t segment;
    double seg_t0;
    worker_run_t *runs; /* the segment's runs, for the ids the merge reports */
    size_t run_count, run_cap;
    size_t full_at;  /* run_count at which the segment is due however young */
    size_t retry_at; /* after a busy output: no try before this run_count */
    char err[512];
    uint8_t *blank; /* an empty recording's file, copied to start each segment; NULL: none */
    size_t blank_bytes;
} worker_t;

char *cli_worker_segment_path(const char *tmpdir, unsigned slot, unsigned serial, uint32_t segment)
{
    char *path;
    if (asprintf(&path, "%s/worker%u-%u-%" PRIu32 ".db", tmpdir, slot, serial, segment) < 0)
        return NULL;
    return path;
}

/* 0, or -1 when the parent is gone (its end of the pipe closed). */
static int worker_send(const worker_t *w, const cli_worker_msg_t *msg)
{
    ssize_t n;
    while ((n = write(w->env->res_fd, msg, sizeof *msg)) < 0 && errno == EINTR) {
    }
    return n == (ssize_t)sizeof *msg ? 0 : -1;
}

/* ---- running one case ---------------------------------------------------- */

/* ident carries the case's identity (case_id, case_file, case_cell) into its runs row. */
static int worker_run_once(const chunksim_scenario_t *sc, const chunksim_run_options_t *ident,
                           chunksim_rec_t *rec, bool rows, bool image, volatile sig_atomic_t *stop,
                           chunksim_run_result_t *res)
{
    chunksim_run_options_t opts = *ident;
    opts.rec = rec;
    opts.record_rows = rows;
    opts.no_image = !image;
    opts.stop = stop;
    return chunksim_run(sc, &opts, res);
}

/* Drops the summary-only run of a case that is run again with its trace. */
static int worker_drop_run(chunksim_rec_t *rec, int64_t run_id)
{
    sqlite3_stmt *st;
    sqlite3 *db = chunksim_rec_db(rec);
    /* The recorder turns foreign keys back on after a run: the delete cascades to its rows. */
    if (sqlite3_prepare_v2(db, "DELETE FROM runs WHERE run_id = ?1", -1, &st, NULL) != SQLITE_OK)
        return -EIO;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

static void worker_result(cli_worker_msg_t *msg, int rc, const chunksim_run_result_t *res)
{
    msg->rc = rc;
    msg->outcome = (int32_t)res->outcome;
    msg->passed = rc == 0 && res->passed;
    msg->seed = res->seed;
    msg->run_id = res->run_id;
    msg->wall_ms = res->wall_ms;
    snprintf(msg->reason, sizeof msg->reason, "%s", res->reason);
    if (rc < 0 && msg->reason[0] == '\0')
        snprintf(msg->reason, sizeof msg->reason, "run setup failed: %s", chunksim_strerror(rc));
}

bool cli_worker_rerun_check(cli_worker_msg_t *again, const cli_worker_msg_t *first,
                            const char *tool)
{
    if (again->rc == first->rc && again->outcome == first->outcome &&
        again->passed == first->passed && strcmp(again->reason, first->reason) == 0)
        return true;
    char reason[sizeof again->reason];
    snprintf(reason, sizeof reason, "%s", again->reason);
    snprintf(again->reason, sizeof again->reason,
             "NONDETERMINISTIC: without trace it ended %s (%.200s), re-run with trace from the "
             "same seed it ended %s (%.200s)",
             chunksim_outcome_name((chunksim_outcome_t)first->outcome), first->reason,
             chunksim_outcome_name((chunksim_outcome_t)again->outcome), reason);
    again->passed = 0;
    fprintf(stderr, "%s: case %" PRIu64 ": %s\n", tool, again->pos, again->reason);
    return false;
}

static void worker_case(worker_t *w, uint64_t pos, cli_worker_msg_t *msg)
{
    const cli_batch_config_t *cfg = w->env->cfg;
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    chunksim_matrix_case_t c;
    chunksim_scenario_t sc;
    memset(msg, 0, sizeof *msg);
    msg->pos = pos;
    msg->kind = CLI_WORKER_RESULT;
    msg->segment = w->segment;
    msg->outcome = CHUNKSIM_OUTCOME_ERROR;
    int rc = cli_batch_case(cfg, pos, &c);
    if (rc == 0)
        rc = chunksim_matrix_case_load(cfg->matrix, &c, &sc, err, sizeof err);
    else
        snprintf(err, sizeof err, "no such case");
    if (rc < 0) {
        msg->rc = rc;
        snprintf(msg->reason, sizeof msg->reason, "%s", err);
        return;
    }
    chunksim_rec_t *rec = w->seg_rc == 0 ? &w->seg : NULL;
    /* Real time does not repeat itself: such a run keeps its trace the first time. */
    bool rerun = cfg->trace == CLI_TRACE_FAILURES && sc.run.mode != CHUNKSIM_SCHED_REALTIME;
    bool all = cfg->trace == CLI_TRACE_ALL || (cfg->trace == CLI_TRACE_FAILURES && !rerun);
    /* Sized to fit: a cell cut short would no longer name its case. */
    size_t cell_len = chunksim_matrix_case_cell(cfg->matrix, &c, NULL, 0) + 1;
    char *cell = malloc(cell_len);
    if (cell != NULL)
        chunksim_matrix_case_cell(cfg->matrix, &c, cell, cell_len);
    const chunksim_run_options_t ident = {.case_id = c.id, .case_file = c.path, .case_cell = cell};
    chunksim_run_result_t res;
    rc = worker_run_once(&sc, &ident, rec, all, cfg->trace != CLI_TRACE_NONE, w->env->stop, &res);
    worker_result(msg, rc, &res);
    if (rec != NULL && rerun && rc == 0 && !msg->passed && !*w->env->stop &&
        worker_drop_run(rec, res.run_id) == 0) {
        cli_worker_msg_t first = *msg;
        rc = worker_run_once(&sc, &ident, rec, true, true, w->env->stop, &res);
        worker_result(msg, rc, &res);
        if (!*w->env->stop)
            (void)cli_worker_rerun_check(msg, &first, cfg->tool);
    }
    free(cell);
    chunksim_scenario_free(&sc);
}

/* ---- segments ------------------------------------------------------------- */

/*
 * Creating a recording costs SQLite a rollback journal and half a dozen
 * fsyncs before it turns to WAL; on a disk other jobs use, that was most of
 * a worker's wall time at a segment a second. So a worker creates one empty
 * recording, keeps its bytes and starts every segment as a copy of them.
 */
static void worker_blank_make(worker_t *w)
{
    const cli_worker_env_t *env = w->env;
    char *path;
    if (asprintf(&path, "%s/worker%u-%u-blank.db", env->tmpdir, env->slot, env->serial) < 0)
        return;
    chunksim_rec_t rec;
    char err[512];
    if (chunksim_rec_open(&rec, path, err, sizeof err) == 0 && chunksim_rec_close(&rec) == 0) {
        FILE *f = fopen(path, "rb");
        struct stat st;
        if (f != NULL && fstat(fileno(f), &st) == 0 && (w->blank = malloc((size_t)st.st_size)))
            w->blank_bytes = fread(w->blank, 1, (size_t)st.st_size, f);
        if (f != NULL)
            fclose(f);
        if (w->blank != NULL && w->blank_bytes != (size_t)st.st_size) {
            free(w->blank);
            w->blank = NULL;
        }
    }
    cli_scratch_remove_db(path);
    free(path);
}

/* The blank recording's bytes at path, unsynced (a segment needs no durability). 0 or -errno. */
static int worker_blank_copy(const worker_t *w, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, w->blank, w->blank_bytes);
    int rc = n == (ssize_t)w->blank_bytes ? 0 : n < 0 ? -errno : -EIO;
    close(fd);
    return rc;
}

/* A segment is scratch on its way to the output: a power cut needs no durability from it. */
static void worker_segment_open(worker_t *w)
{
    const cli_worker_env_t *env = w->env;
    w->run_count = 0;
    w->full_at = CLI_WORKER_SEGMENT_RUNS;
    w->retry_at = 0;
    w->seg_t0 = cli_batch_now_s();
    w->seg_path = cli_worker_segment_path(env->tmpdir, env->slot, env->serial, w->segment);
    if (w->seg_path == NULL) {
        snprintf(w->err, sizeof w->err, "out of memory");
        w->seg_rc = -ENOMEM;
        return;
    }
    /* Without a copy, the recorder creates the file itself: slower, the same. */
    if (w->blank != NULL)
        (void)worker_blank_copy(w, w->seg_path);
    w->seg_rc = chunksim_rec_open(&w->seg, w->seg_path, w->err, sizeof w->err);
    if (w->seg_rc == 0)
        (void)sqlite3_exec(chunksim_rec_db(&w->seg), "PRAGMA synchronous = OFF", NULL, NULL, NULL);
}

static void worker_on_merged(void *data, int64_t src_run_id, int64_t dst_run_id)
{
    worker_t *w = data;
    for (size_t i = 0; i < w->run_count; i++) {
        if (w->runs[i].src_run_id != src_run_id)
            continue;
        cli_worker_msg_t msg = {.pos = w->runs[i].pos,
                                .kind = CLI_WORKER_MERGED,
                                .run_id = dst_run_id,
                                .segment = w->segment};
        (void)worker_send(w, &msg);
        return;
    }
}

/*
 * The segment into the output. With wait false, a merge that would wait for
 * another worker's returns -EBUSY at once and changes nothing. Other
 * failures are said on stderr; the segment is then left for the parent.
 */
static int worker_segment_merge(worker_t *w, bool wait)
{
    if (w->seg_rc != 0 || w->out_rc != 0)
        return -ENOENT;
    sqlite3 *out = chunksim_rec_db(&w->out);
    sqlite3_busy_timeout(out, wait ? CLI_WORKER_BUSY_MS : 0);
    const chunksim_merge_options_t opts = {
        .label = "a worker database", .on_run = worker_on_merged, .data = w};
    char err[1024];
    chunksim_merge_stats_t st;
    int rc = chunksim_merge(&w->out, w->seg_path, &opts, &st, err, sizeof err);
    if (rc < 0 && !wait && st.busy)
        return -EBUSY;
    if (rc < 0)
        fprintf(stderr, "%s: merging %s: %s (tried again when the worker ends)\n",
                w->env->cfg->tool, w->seg_path, err);
    return rc < 0 ? -EIO : 0;
}

/* Closes the segment; a merged one is deleted, any other left for the parent. */
static void worker_segment_close(worker_t *w, bool merged)
{
    if (w->seg_rc == 0)
        chunksim_rec_close(&w->seg);
    if (merged)
        cli_scratch_remove_db(w->seg_path);
    free(w->seg_path);
    w->seg_path = NULL;
    w->seg_rc = -ENOENT;
}

/* A due segment into the output and a new one begun; a busy output leaves it growing. */
static void worker_segment_next(worker_t *w)
{
    bool wait = w->run_count >= WORKER_WAIT_FACTOR * CLI_WORKER_SEGMENT_RUNS;
    int rc = worker_segment_merge(w, wait);
    if (rc == -EBUSY) {
        w->retry_at = w->run_count + WORKER_RETRY_RUNS;
        if (w->full_at < w->retry_at)
            w->full_at = w->retry_at;
        return;
    }
    worker_segment_close(w, rc == 0);
    w->segment++;
    worker_segment_open(w);
}

static bool worker_segment_due(const worker_t *w)
{
    if (w->run_count == 0 || w->run_count < w->retry_at)
        return false;
    return w->run_count >= w->full_at || cli_batch_now_s() - w->seg_t0 >= WORKER_SEGMENT_S;
}

/* ---- the loop -------------------------------------------------------------- */

static void worker_note_run(worker_t *w, const cli_worker_msg_t *msg)
{
    if (cli_grow((void **)&w->runs, &w->run_cap, w->run_count, sizeof w->runs[0],
                 CLI_WORKER_SEGMENT_RUNS) < 0)
        return; /* its id is not reported; the run is merged all the same */
    w->runs[w->run_count++] = (worker_run_t){msg->run_id, msg->pos};
}

static void worker_loop(worker_t *w)
{
    const cli_worker_env_t *env = w->env;
    while (!*env->stop) {
        if (env->tmpdir != NULL && worker_segment_due(w))
            worker_segment_next(w);
        uint64_t pos = __atomic_fetch_add(&env->shared->next, 1, __ATOMIC_RELAXED);
        if (pos >= env->cfg->case_count)
            break;
        __atomic_store_n(&env->shared->running[env->slot], pos + 1, __ATOMIC_RELEASE);
        cli_worker_msg_t msg;
        if (env->tmpdir != NULL && (w->seg_rc < 0 || w->out_rc < 0)) {
            memset(&msg, 0, sizeof msg);
            msg.pos = pos;
            msg.rc = w->seg_rc < 0 ? w->seg_rc : w->out_rc;
            msg.outcome = CHUNKSIM_OUTCOME_ERROR;
            msg.segment = w->segment;
            snprintf(msg.reason, sizeof msg.reason, "worker database: %s", w->err);
        } else {
            worker_case(w, pos, &msg);
        }
        worker_note_run(w, &msg);
        int sent = worker_send(w, &msg);
        __atomic_store_n(&env->shared->running[env->slot], 0, __ATOMIC_RELEASE);
        if (sent < 0)
            break;
    }
}

/*
 * Each run frees what it allocated, and glibc then gives the top of the heap
 * back to the kernel; the next run takes it again. On the CI suite that
 * round trip (brk, and the TLB flush it costs in a VM) was 11% of a worker's
 * time (perf). A worker keeps its heap: its peak is the same either way.
 */
static void worker_keep_heap(void)
{
    (void)mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
    (void)mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
}

void cli_worker_main(const cli_worker_env_t *env)
{
    worker_keep_heap();
    worker_t *w = calloc(1, sizeof *w);
    if (w == NULL)
        _exit(1);
    w->env = env;
    w->out_rc = w->seg_rc = -ENOENT;
    if (env->tmpdir != NULL) {
        w->out_rc = chunksim_rec_open(&w->out, env->cfg->db_path, w->err, sizeof w->err);
        if (w->out_rc == 0) {
            worker_blank_make(w);
            worker_segment_open(w);
        }
    }
    worker_loop(w);
    if (env->tmpdir != NULL)
        worker_segment_close(w, worker_segment_merge(w, true) == 0);
    if (w->out_rc == 0)
        chunksim_rec_close(&w->out);
    free(w->runs);
    free(w->blank);
    _exit(0);
}
