/* Batch runner: worker processes, one writer, progress, summary (see batch.h). */
/* asprintf */
#define _GNU_SOURCE
#include "batch.h"
#include "options.h"
#include "grow.h"

#include "chunksim/merge.h"
#include "chunksim/error.h"
#include "chunksim/recorder.h"
#include "scratch.h"
#include "worker.h"

#include <sqlite3.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

/* Redraws of the terminal progress bar, at most. */
#define BATCH_BAR_INTERVAL_S 0.1
/* Without a terminal: a line this often, or at every tenth of the cases. */
#define BATCH_LINE_INTERVAL_S 2.0
#define BATCH_BAR_WIDTH       24
/* poll() timeout: how late a signal or a progress redraw can be noticed. */
#define BATCH_POLL_MS 100
/* Result pipe size asked for: results wait here while the parent is busy (Linux caps it). */
#define BATCH_PIPE_BYTES (1 << 20)

#define BATCH_NOT_ASSIGNED SIZE_MAX

/* Set by SIGINT/SIGTERM, in the parent and (inherited) in every worker. */
static volatile sig_atomic_t batch_stop;
static volatile sig_atomic_t batch_signal;

static void batch_on_signal(int sig)
{
    batch_stop = 1;
    batch_signal = sig;
}

/* A run in a worker's segment -> case position, for what the parent merges itself. */
typedef struct batch_pending {
    uint32_t segment;
    int64_t src_run_id;
    size_t pos;
} batch_pending_t;

typedef struct batch_worker {
    pid_t pid;
    int res_fd;       /* worker -> parent: cli_worker_msg_t */
    uint32_t segment; /* the last segment results came from */
    batch_pending_t *pending;
    size_t pending_count, pending_cap;
    unsigned serial; /* process started in this slot, for unique file names */
    size_t lost;     /* case that died with the worker: its unfinished run, once merged */
} batch_worker_t;

typedef struct batch_state {
    const cli_batch_config_t *cfg;
    cli_batch_t *b;
    batch_worker_t *workers;
    unsigned nworkers;
    chunksim_rec_t rec;
    bool recording;
    cli_scratch_t scratch;
    char *tmpdir; /* scratch.dir while recording */
    cli_worker_shared_t *shared;
    double t0, last_draw;
    uint64_t taken_at_stop; /* cases taken when -F stopped the batch; 0: not stopped */
    unsigned last_decile;
    bool tty;
    int merge_errors;
} batch_state_t;

double cli_batch_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- names: the few distinct scenario names, shared by all results ----- */

static const char *batch_intern(cli_batch_t *b, const char *name)
{
    /* Cases of one file come together: the last name is the likely one. */
    if (b->name_count_ > 0 && strcmp(b->names_[b->name_count_ - 1], name) == 0)
        return b->names_[b->name_count_ - 1];
    for (size_t i = 0; i < b->name_count_; i++) {
        if (strcmp(b->names_[i], name) == 0)
            return b->names_[i];
    }
    char **names = realloc(b->names_, (b->name_count_ + 1) * sizeof *names);
    if (names == NULL)
        return "?";
    b->names_ = names;
    names[b->name_count_] = strdup(name);
    return names[b->name_count_] != NULL ? names[b->name_count_++] : "?";
}

cli_batch_config_t cli_batch_config_of(const cli_common_t *common, const char *tool)
{
    return (cli_batch_config_t){
        .jobs = common->jobs,
        .db_path = common->db_path,
        .trace = common->no_trace ? CLI_TRACE_NONE : common->trace,
        .progress = !common->quiet,
        .tool = tool,
        .max_failures = common->max_failures,
        .one_line = common->quiet,
        .stop_after = common->stop_after,
    };
}

/* ---- checking every case before anything runs ------------------------- */

int cli_batch_case(const cli_batch_config_t *cfg, size_t pos, chunksim_matrix_case_t *c)
{
    if (pos >= cfg->case_count)
        return -ENOENT;
    if (cfg->hand_cases == NULL)
        return chunksim_matrix_case(cfg->matrix, cfg->cases[pos], c);
    *c = cfg->hand_cases[pos];
    return c->file < cfg->matrix->file_count ? 0 : -ENOENT;
}

/* Cases that differ only in their seed load the same scenario but for it. */
static bool batch_same_but_seed(const chunksim_matrix_case_t *a, const chunksim_matrix_case_t *b)
{
    return a->file == b->file && a->has_seed && b->has_seed && a->set_count == b->set_count &&
           memcmp(a->sets, b->sets, a->set_count * sizeof a->sets[0]) == 0;
}

static int batch_check_cases(const cli_batch_config_t *cfg, cli_batch_t *b)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    chunksim_matrix_case_t prev = {.file = SIZE_MAX};
    for (size_t i = 0; i < cfg->case_count; i++) {
        chunksim_matrix_case_t c;
        chunksim_scenario_t sc;
        if (cli_batch_case(cfg, i, &c) < 0) {
            fprintf(stderr, "%s: no case number %zu in the batch\n", cfg->tool, i);
            return -EINVAL;
        }
        cli_batch_result_t *r = &b->results[i];
        /* The parent checks every case before any runs, alone: loading each
         * combination once (seeds vary fastest) keeps that serial part short. */
        if (i > 0 && batch_same_but_seed(&prev, &c)) {
            *r = b->results[i - 1];
            memcpy(r->id, c.id, sizeof r->id);
            r->seed = c.seed;
            prev = c;
            continue;
        }
        prev = c;
        int rc = chunksim_matrix_case_load(cfg->matrix, &c, &sc, err, sizeof err);
        if (rc < 0) {
            fprintf(stderr, "%s: case %s: %s\n", cfg->tool, c.id, err);
            return rc;
        }
        memcpy(r->id, c.id, sizeof r->id);
        r->file = c.file;
        r->name = batch_intern(b, sc.run.name);
        r->expect = sc.run.expect;
        r->seed = sc.run.seed;
        chunksim_scenario_free(&sc);
    }
    return 0;
}

/* ---- starting and feeding workers -------------------------------------- */

static int batch_spawn(batch_state_t *s, unsigned slot)
{
    batch_worker_t *w = &s->workers[slot];
    w->serial++;
    w->segment = 0;
    int res[2];
    if (pipe(res) < 0)
        return -errno;
    (void)fcntl(res[1], F_SETPIPE_SZ, BATCH_PIPE_BYTES);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(res[0]);
        close(res[1]);
        return -e;
    }
    if (pid == 0) {
        /* The other workers' pipes must not stay open here, or their ends never see EOF. */
        for (unsigned i = 0; i < s->nworkers; i++) {
            if (i != slot && s->workers[i].pid > 0)
                close(s->workers[i].res_fd);
        }
        close(res[0]);
        const cli_worker_env_t env = {
            .cfg = s->cfg,
            .shared = s->shared,
            .tmpdir = s->recording ? s->tmpdir : NULL,
            .slot = slot,
            .serial = w->serial,
            .res_fd = res[1],
            .stop = &batch_stop,
        };
        cli_worker_main(&env);
    }
    close(res[1]);
    w->pid = pid;
    w->res_fd = res[0];
    w->lost = BATCH_NOT_ASSIGNED;
    w->pending_count = 0;
    return 0;
}

/* ---- what a worker left behind ------------------------------------------ */

typedef struct batch_leftover {
    batch_state_t *s;
    batch_worker_t *w;
    uint32_t segment;
} batch_leftover_t;

static void batch_on_merged(void *data, int64_t src_run_id, int64_t dst_run_id)
{
    batch_leftover_t *l = data;
    batch_worker_t *w = l->w;
    for (size_t i = 0; i < w->pending_count; i++) {
        const batch_pending_t *p = &w->pending[i];
        if (p->segment == l->segment && p->src_run_id == src_run_id) {
            l->s->b->results[p->pos].run_id = dst_run_id;
            return;
        }
    }
    /* Not reported: the run of the case the worker died in (it ran one run at a time). */
    if (w->lost != BATCH_NOT_ASSIGNED) {
        l->s->b->results[w->lost].run_id = dst_run_id;
        w->lost = BATCH_NOT_ASSIGNED;
    }
}

/*
 * A segment the worker did not merge itself (it died, or its merge failed)
 * into the output, then deleted; one whose merge fails is kept and named for
 * `chunksim merge`. A run the worker merged before dying is recognised and
 * not copied twice.
 */
static void batch_merge_leftover(batch_state_t *s, unsigned slot, uint32_t segment)
{
    batch_worker_t *w = &s->workers[slot];
    char *path = cli_worker_segment_path(s->tmpdir, slot, w->serial, segment);
    struct stat st;
    if (path == NULL || stat(path, &st) != 0) {
        free(path);
        return;
    }
    batch_leftover_t l = {s, w, segment};
    const chunksim_merge_options_t opts = {
        .label = "a worker database", .on_run = batch_on_merged, .data = &l};
    char err[1024];
    if (chunksim_merge(&s->rec, path, &opts, NULL, err, sizeof err) == 0) {
        cli_scratch_remove_db(path);
    } else {
        s->merge_errors++;
        fprintf(stderr, "%s: merging %s into %s: %s\n", s->cfg->tool, path, s->cfg->db_path, err);
        fprintf(stderr,
                "%s: runs of a worker are kept in %s; add them with: chunksim merge %s %s\n",
                s->cfg->tool, path, s->cfg->db_path, path);
    }
    free(path);
}

/* ---- results ----------------------------------------------------------- */

static void batch_note_pending(batch_worker_t *w, const cli_worker_msg_t *msg)
{
    if (cli_grow((void **)&w->pending, &w->pending_cap, w->pending_count, sizeof w->pending[0],
                 64) < 0)
        return;
    w->pending[w->pending_count++] = (batch_pending_t){msg->segment, msg->run_id, msg->pos};
}

/* A run the worker merged itself needs no bookkeeping any more. */
static void batch_forget_merged(batch_state_t *s, batch_worker_t *w)
{
    size_t keep = 0;
    for (size_t i = 0; i < w->pending_count; i++) {
        if (s->b->results[w->pending[i].pos].run_id == 0)
            w->pending[keep++] = w->pending[i];
    }
    w->pending_count = keep;
}

/*
 * -F N: once N cases failed, workers take no more (the counter jumps past
 * the end) and finish the runs they have; what was taken is remembered, so
 * the untaken cases are "not run", not "lost".
 */
static void batch_stop_after(batch_state_t *s)
{
    const cli_batch_config_t *cfg = s->cfg;
    if (cfg->stop_after == 0 || s->b->failed < cfg->stop_after || s->b->stopped)
        return;
    s->taken_at_stop =
        __atomic_exchange_n(&s->shared->next, (uint64_t)cfg->case_count, __ATOMIC_RELAXED);
    s->b->stopped = true;
}

static void batch_record(batch_state_t *s, unsigned slot, const cli_worker_msg_t *msg)
{
    cli_batch_t *b = s->b;
    batch_worker_t *w = &s->workers[slot];
    if (msg->pos >= s->cfg->case_count)
        return;
    cli_batch_result_t *r = &b->results[msg->pos];
    if (msg->kind == CLI_WORKER_MERGED) {
        r->run_id = msg->run_id;
        batch_forget_merged(s, w);
        return;
    }
    if (r->ran)
        return;
    w->segment = msg->segment;
    r->ran = true;
    r->rc = msg->rc;
    r->outcome = (chunksim_outcome_t)msg->outcome;
    r->passed = msg->passed;
    r->seed = msg->seed;
    r->wall_ms = msg->wall_ms;
    if (!r->passed)
        r->reason = strdup(msg->reason);
    b->done++;
    b->failed += !r->passed;
    batch_stop_after(s);
    if (msg->outcome >= 0 && msg->outcome <= CHUNKSIM_OUTCOME_ERROR)
        b->outcomes[msg->outcome]++;
    if (s->recording && msg->run_id > 0)
        batch_note_pending(w, msg);
}

/* pos was taken but never reported: the process running it died. */
static void batch_lost_case(batch_state_t *s, size_t pos, const char *why)
{
    cli_batch_result_t *r = &s->b->results[pos];
    if (r->ran)
        return;
    r->ran = true;
    r->rc = -ECHILD;
    r->outcome = CHUNKSIM_OUTCOME_ERROR;
    r->reason = strdup(why);
    s->b->done++;
    s->b->failed++;
    s->b->outcomes[CHUNKSIM_OUTCOME_ERROR]++;
}

/* The case a dead worker was running (noted in the shared map), if any. */
static void batch_worker_died(batch_state_t *s, unsigned slot, int status)
{
    batch_worker_t *w = &s->workers[slot];
    uint64_t running = __atomic_exchange_n(&s->shared->running[slot], 0, __ATOMIC_ACQUIRE);
    if (running == 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        return;
    char why[128];
    if (WIFSIGNALED(status))
        snprintf(why, sizeof why, "the worker process died of signal %d (%s) during the run",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(why, sizeof why, "the worker process exited with status %d during the run",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    w->lost = (size_t)(running - 1);
    batch_lost_case(s, w->lost, why);
}

/* EOF on a worker's result pipe: reap it, merge all it left, replace it if work remains. */
static void batch_worker_ended(batch_state_t *s, unsigned slot)
{
    batch_worker_t *w = &s->workers[slot];
    int status = 0;
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
    }
    close(w->res_fd);
    w->pid = 0;
    w->res_fd = -1;
    batch_worker_died(s, slot, status);
    /* Its last segment, and one it may have opened without reporting from it yet. */
    for (uint32_t seg = 0; s->recording && seg <= w->segment + 1; seg++)
        batch_merge_leftover(s, slot, seg);
    w->pending_count = 0;
    if (!batch_stop && __atomic_load_n(&s->shared->next, __ATOMIC_RELAXED) < s->cfg->case_count) {
        int rc = batch_spawn(s, slot);
        if (rc < 0)
            fprintf(stderr, "%s: cannot start a worker: %s\n", s->cfg->tool, chunksim_strerror(rc));
    }
}

/* ---- progress ---------------------------------------------------------- */

static void batch_eta(char *buf, size_t len, double seconds)
{
    unsigned long t = (unsigned long)(seconds + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
}

static void batch_progress(batch_state_t *s, double now, bool last)
{
    const cli_batch_t *b = s->b;
    size_t total = s->cfg->case_count;
    double elapsed = now - s->t0;
    double rate = elapsed > 0 ? (double)b->done / elapsed : 0;
    char eta[32] = "-:--";
    if (rate > 0 && b->done < total)
        batch_eta(eta, sizeof eta, (double)(total - b->done) / rate);
    else if (b->done == total)
        batch_eta(eta, sizeof eta, 0);
    unsigned pct = total ? (unsigned)(100 * b->done / total) : 100;
    if (s->tty) {
        if (!last && now - s->last_draw < BATCH_BAR_INTERVAL_S)
            return;
        char bar[BATCH_BAR_WIDTH + 1];
        size_t fill = total ? BATCH_BAR_WIDTH * b->done / total : BATCH_BAR_WIDTH;
        for (size_t i = 0; i < BATCH_BAR_WIDTH; i++)
            bar[i] = i < fill ? '#' : '-';
        bar[BATCH_BAR_WIDTH] = '\0';
        fprintf(stderr, "\r[%s] %zu/%zu %3u%% %7.1f runs/s ETA %s %zu failed\033[K", bar, b->done,
                total, pct, rate, eta, b->failed);
        if (last)
            fputc('\n', stderr);
    } else {
        unsigned decile = pct / 10;
        if (!last && now - s->last_draw < BATCH_LINE_INTERVAL_S && decile == s->last_decile)
            return;
        s->last_decile = decile;
        fprintf(stderr, "%s: %zu/%zu (%u%%), %.1f runs/s, ETA %s, %zu failed\n", s->cfg->tool,
                b->done, total, pct, rate, eta, b->failed);
    }
    fflush(stderr);
    s->last_draw = now;
}

/* One result: 1, or 0 at the end of the pipe (the worker exited), -1 on error. */
static int batch_read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n == 0)
            return 0;
        if (n < 0 && errno == EINTR)
            continue; /* the signal is seen by the loop; the result must still be read */
        if (n < 0)
            return -1;
        got += (size_t)n;
    }
    return 1;
}

/* ---- the parent's loop ------------------------------------------------- */

static void batch_forward_signal(batch_state_t *s)
{
    for (unsigned i = 0; i < s->nworkers; i++) {
        if (s->workers[i].pid > 0)
            (void)kill(s->workers[i].pid, SIGTERM);
    }
}

static unsigned batch_alive(const batch_state_t *s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->nworkers; i++)
        n += s->workers[i].pid > 0;
    return n;
}

static void batch_loop(batch_state_t *s)
{
    struct pollfd fds[CLI_BATCH_JOBS_MAX];
    unsigned slots[CLI_BATCH_JOBS_MAX];
    bool forwarded = false;
    while (batch_alive(s) > 0) {
        if (batch_stop && !forwarded) {
            batch_forward_signal(s);
            forwarded = true;
        }
        nfds_t n = 0;
        for (unsigned i = 0; i < s->nworkers; i++) {
            if (s->workers[i].pid > 0) {
                fds[n] = (struct pollfd){.fd = s->workers[i].res_fd, .events = POLLIN};
                slots[n++] = i;
            }
        }
        int ready = poll(fds, n, BATCH_POLL_MS);
        for (nfds_t k = 0; ready > 0 && k < n; k++) {
            if (fds[k].revents == 0)
                continue;
            batch_worker_t *w = &s->workers[slots[k]];
            cli_worker_msg_t msg;
            if (batch_read_full(w->res_fd, &msg, sizeof msg) == 1) {
                batch_record(s, slots[k], &msg);
            } else {
                batch_worker_ended(s, slots[k]);
            }
        }
        double now = cli_batch_now_s();
        if (s->cfg->progress)
            batch_progress(s, now, false);
    }
}

/* ---- setup and teardown ------------------------------------------------ */

static unsigned batch_jobs(const cli_batch_config_t *cfg)
{
    unsigned jobs = cfg->jobs ? cfg->jobs : uv_available_parallelism();
    if (jobs > CLI_BATCH_JOBS_MAX)
        jobs = CLI_BATCH_JOBS_MAX;
    if (jobs > cfg->case_count)
        jobs = (unsigned)cfg->case_count;
    return jobs ? jobs : 1;
}

static int batch_open(batch_state_t *s)
{
    const cli_batch_config_t *cfg = s->cfg;
    s->recording = cfg->db_path != NULL && cfg->db_path[0] != '\0';
    if (!s->recording)
        return 0;
    char err[1024];
    if (chunksim_rec_open(&s->rec, cfg->db_path, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s: %s\n", cfg->tool, cfg->db_path, err);
        return -EINVAL;
    }
    /* A killed earlier batch on this output left finished runs behind: they come first. */
    cli_scratch_recovery_t rs;
    (void)cli_scratch_recover(&s->rec, cfg->db_path, cfg->tool, stderr, &rs);
    if (cli_scratch_create(&s->scratch, cfg->db_path, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", cfg->tool, err);
        chunksim_rec_close(&s->rec);
        return -EIO;
    }
    s->tmpdir = s->scratch.dir;
    return 0;
}

static void batch_close(batch_state_t *s)
{
    if (s->recording) {
        chunksim_rec_close(&s->rec);
        cli_scratch_close(&s->scratch, s->merge_errors > 0);
    }
    for (unsigned i = 0; i < s->nworkers; i++)
        free(s->workers[i].pending);
    free(s->workers);
    munmap(s->shared, sizeof *s->shared);
}

static void batch_start_workers(batch_state_t *s)
{
    for (unsigned i = 0; i < s->nworkers; i++) {
        s->workers[i] = (batch_worker_t){.res_fd = -1};
        int rc = batch_spawn(s, i);
        if (rc < 0)
            fprintf(stderr, "%s: cannot start worker %u: %s\n", s->cfg->tool, i + 1,
                    chunksim_strerror(rc));
    }
}

int cli_batch_run(const cli_batch_config_t *cfg, cli_batch_t *b)
{
    memset(b, 0, sizeof *b);
    b->cfg = cfg;
    b->results = calloc(cfg->case_count ? cfg->case_count : 1, sizeof *b->results);
    if (b->results == NULL)
        return -ENOMEM;
    int rc = batch_check_cases(cfg, b);
    if (rc < 0)
        return rc;
    batch_state_t s = {.cfg = cfg, .b = b, .nworkers = batch_jobs(cfg)};
    s.tty = isatty(STDERR_FILENO);
    s.workers = calloc(s.nworkers, sizeof *s.workers);
    s.shared =
        mmap(NULL, sizeof *s.shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s.workers == NULL || s.shared == MAP_FAILED) {
        free(s.workers);
        return -ENOMEM;
    }
    if ((rc = batch_open(&s)) < 0) {
        free(s.workers);
        munmap(s.shared, sizeof *s.shared);
        return rc;
    }
    batch_stop = 0;
    batch_signal = 0;
    struct sigaction sa = {.sa_handler = batch_on_signal}, ign = {.sa_handler = SIG_IGN};
    struct sigaction old_int, old_term, old_pipe;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGPIPE, &ign, &old_pipe);

    b->jobs = s.nworkers;
    s.t0 = s.last_draw = cli_batch_now_s();
    batch_start_workers(&s);
    batch_loop(&s);
    double now = cli_batch_now_s();
    b->elapsed_s = now - s.t0;
    if (cfg->progress)
        batch_progress(&s, now, true);

    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    b->interrupted = batch_stop != 0;
    b->signal = batch_signal;
    /* Taken but never reported nor seen running: a worker died between taking and running. */
    uint64_t next = b->stopped ? s.taken_at_stop : s.shared->next;
    uint64_t taken = next < cfg->case_count ? next : cfg->case_count;
    for (size_t i = 0; i < taken; i++)
        batch_lost_case(&s, i, "lost: the worker process that took it died before reporting");
    for (size_t i = 0; i < cfg->case_count; i++)
        b->not_run += !b->results[i].ran;
    b->stopped = b->stopped && b->not_run > 0; /* all taken before -F: nothing was stopped */
    rc = s.merge_errors > 0 ? -EIO : 0;
    batch_close(&s);
    return rc;
}

void cli_batch_free(cli_batch_t *b)
{
    if (b->results != NULL) {
        for (size_t i = 0; i < b->cfg->case_count; i++)
            free(b->results[i].reason);
    }
    free(b->results);
    for (size_t i = 0; i < b->name_count_; i++)
        free(b->names_[i]);
    free(b->names_);
    memset(b, 0, sizeof *b);
}

/* ---- summary ----------------------------------------------------------- */

const char *cli_batch_expect_name(chunksim_expect_t e)
{
    return e == CHUNKSIM_EXPECT_NONE ? "ok" : chunksim_expect_name(e);
}

/* One failed case: two lines (what, then the repro line), or one with cfg->one_line. */
static void batch_failure(const cli_batch_t *b, size_t i, FILE *out)
{
    const cli_batch_result_t *r = &b->results[i];
    chunksim_matrix_case_t c;
    if (cli_batch_case(b->cfg, i, &c) < 0)
        return;
    char repro[4096];
    chunksim_matrix_case_repro(&c, repro, sizeof repro);
    fprintf(out, "FAIL %s %s seed %" PRIu64 ": %s (expected %s)", c.id, r->name, r->seed,
            chunksim_outcome_name(r->outcome), cli_batch_expect_name(r->expect));
    if (r->run_id > 0)
        fprintf(out, ", run %" PRId64, r->run_id);
    fprintf(out, ": %s%s%s\n", r->reason ? r->reason : "", b->cfg->one_line ? "; repro: " : "\n  ",
            repro);
}

static void batch_failures(const cli_batch_t *b, FILE *out)
{
    const cli_batch_config_t *cfg = b->cfg;
    size_t listed = 0, failed = 0;
    for (size_t i = 0; !cfg->hide_failures && i < cfg->case_count; i++) {
        const cli_batch_result_t *r = &b->results[i];
        if (!r->ran || r->passed)
            continue;
        failed++;
        if (cfg->max_failures == 0 || listed < cfg->max_failures) {
            batch_failure(b, i, out);
            listed++;
        }
    }
    if (failed > listed)
        fprintf(out, "... and %zu more failure%s (--max-failures 0 lists all)\n", failed - listed,
                failed - listed == 1 ? "" : "s");
}

void cli_batch_summary(const cli_batch_t *b, FILE *out)
{
    const cli_batch_config_t *cfg = b->cfg;
    batch_failures(b, out);
    if (cfg->db_path != NULL && cfg->db_path[0] != '\0')
        fprintf(out, "recorded in %s\n", cfg->db_path);
    if (b->interrupted)
        fprintf(out, "interrupted by %s: %zu case(s) not run\n",
                b->signal == SIGTERM ? "SIGTERM" : "SIGINT", b->not_run);
    else if (b->stopped)
        fprintf(out, "stopped after %zu failure(s) (-F %zu): %zu case(s) not run\n", b->failed,
                cfg->stop_after, b->not_run);
    double rate = b->elapsed_s > 0 ? (double)b->done / b->elapsed_s : 0;
    fprintf(out,
            "%zu case(s), %zu run in %.2f s (%.1f runs/s, %u worker%s): %zu passed, %zu failed\n",
            cfg->case_count, b->done, b->elapsed_s, rate, b->jobs, b->jobs == 1 ? "" : "s",
            b->done - b->failed, b->failed);
    fprintf(out, "outcomes:");
    for (int o = 0; o <= CHUNKSIM_OUTCOME_ERROR; o++) {
        if (b->outcomes[o] > 0)
            fprintf(out, " %s %zu", chunksim_outcome_name((chunksim_outcome_t)o), b->outcomes[o]);
    }
    fprintf(out, "%s\n", b->done == 0 ? " none" : "");
}
