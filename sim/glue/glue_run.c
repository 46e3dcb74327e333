/*
 * User glue, isolated: every run in a child process of its own, watched by
 * the parent (chunksim/glue.h). The child loads the glue, runs the scenario
 * and records it itself, then reports the result over a pipe; the parent
 * turns a child that died or hung into a recorded failed run, with the glue
 * function the shared trace says it was in.
 */
#define _GNU_SOURCE /* memfd_create */
#include "glue_internal.h"
#include "chunksim/error.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GLUE_REPORT_MAGIC 0x676c7565u /* "glue" */

/* After a stop request, the child gets this long to end its run by itself. */
#define GLUE_STOP_GRACE_S 2.0

/* ---- child processes ---- */

typedef struct glue_child {
    pid_t pid;
    int fd; /* read end of the report pipe */
} glue_child_t;

typedef struct glue_wait {
    size_t got;     /* report bytes received */
    bool timed_out; /* the parent killed it at the deadline */
    bool stopped;   /* a stop request was passed on to it */
    int status;     /* from waitpid() */
} glue_wait_t;

static double glue_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void glue_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return; /* the parent is gone: nobody to tell */
        }
        p += n;
        len -= (size_t)n;
    }
}

/*
 * A crash must end the child with its signal, whatever handler the parent
 * had installed (a test framework's, which would longjmp back into the
 * parent's code inside the child) or a sanitizer runtime's.
 */
static void glue_child_signals(void)
{
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
        struct sigaction sa = {.sa_handler = SIG_DFL};
        sigemptyset(&sa.sa_mask);
        sigaction(fatal[i], &sa, NULL);
        sigaddset(&set, fatal[i]);
    }
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* Fork; the child runs fn(arg, fd) with fd the write end of the pipe, then exits. */
static int glue_spawn(glue_child_t *c, void (*fn)(void *arg, int fd), void *arg)
{
    int fds[2];
    if (pipe(fds) < 0) {
        return -errno;
    }
    fflush(NULL); /* output still buffered here must not be written twice */
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return -e;
    }
    if (pid == 0) {
        close(fds[0]);
        glue_child_signals();
        fn(arg, fds[1]);
        /* No atexit handlers, no stdio flush: they belong to the parent. */
        _exit(0);
    }
    close(fds[1]);
    c->pid = pid;
    c->fd = fds[0];
    return 0;
}

/* Whether the deadline (0: none) has passed; *ms is the poll timeout until then. */
static bool glue_deadline_passed(double deadline_s, int *ms)
{
    *ms = -1;
    if (deadline_s <= 0) {
        return false;
    }
    double left_s = deadline_s - glue_now_s();
    if (left_s <= 0) {
        return true;
    }
    *ms = left_s > 3600 ? 3600 * 1000 : (int)(left_s * 1000) + 1;
    return false;
}

/*
 * Reads the child's report (up to len bytes, the rest is drained) until it
 * closes the pipe, killing it at the wall-clock deadline. A stop request
 * (SIGINT/SIGTERM in the parent) is passed on once, so that the child ends
 * its run as interrupted and reports it; a child stuck in the glue cannot,
 * and is killed after a grace period.
 */
static void glue_wait(const glue_child_t *c, void *buf, size_t len, double timeout_s,
                      volatile sig_atomic_t *stop, glue_wait_t *w)
{
    double deadline_s = timeout_s > 0 ? glue_now_s() + timeout_s : 0;
    memset(w, 0, sizeof(*w));
    for (;;) {
        int ms;
        if (stop != NULL && *stop && !w->stopped) {
            kill(c->pid, SIGTERM);
            w->stopped = true;
            double grace_s = glue_now_s() + GLUE_STOP_GRACE_S;
            deadline_s = deadline_s > 0 && deadline_s < grace_s ? deadline_s : grace_s;
        }
        if (glue_deadline_passed(deadline_s, &ms)) {
            kill(c->pid, SIGKILL);
            w->timed_out = true;
            break;
        }
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int r = poll(&p, 1, ms);
        if (r <= 0) {
            if (r < 0 && errno != EINTR) {
                kill(c->pid, SIGKILL);
                break;
            }
            continue;
        }
        char scratch[512];
        char *dst = w->got < len ? (char *)buf + w->got : scratch;
        size_t room = w->got < len ? len - w->got : sizeof(scratch);
        ssize_t n = read(c->fd, dst, room);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break; /* the child closed the pipe: it has exited */
        }
        w->got += dst == scratch ? 0 : (size_t)n;
    }
    close(c->fd);
    while (waitpid(c->pid, &w->status, 0) < 0 && errno == EINTR) {
    }
}

static const char *glue_signame(int sig)
{
    static const struct {
        int sig;
        const char *name;
    } names[] = {
        {SIGSEGV, "SIGSEGV"}, {SIGBUS, "SIGBUS"},   {SIGABRT, "SIGABRT"}, {SIGFPE, "SIGFPE"},
        {SIGILL, "SIGILL"},   {SIGTRAP, "SIGTRAP"}, {SIGSYS, "SIGSYS"},   {SIGKILL, "SIGKILL"},
        {SIGTERM, "SIGTERM"}, {SIGINT, "SIGINT"},   {SIGXCPU, "SIGXCPU"}, {SIGPIPE, "SIGPIPE"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].sig == sig) {
            return names[i].name;
        }
    }
    return "a signal";
}

/* ---- opening: hash and probe ---- */

static int glue_hash_file(const char *path, char hex[CHUNKSIM_SHA256_HEX_BYTES], char *err,
                          size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *data = malloc(cap);
    size_t n;
    while (data != NULL && (n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *bigger = realloc(data, cap *= 2);
            if (bigger == NULL) {
                free(data);
            }
            data = bigger;
        }
    }
    int failed = data == NULL || ferror(f);
    fclose(f);
    if (failed) {
        free(data);
        snprintf(err, errlen, "%s: cannot read it", path);
        return -EIO;
    }
    chunksim_sha256_hex(data, len, hex);
    free(data);
    return 0;
}

typedef struct glue_probe_report {
    uint32_t magic;
    bool ok;
    bool async;
    bool firmware;
    char packetizer[64];
    char err[512];
} glue_probe_report_t;

static void glue_probe_child(void *arg, int fd)
{
    chunksim_glue_t *g = arg;
    glue_probe_report_t rep = {.magic = GLUE_REPORT_MAGIC};
    rep.ok = chunksim_glue_load(g, rep.err, sizeof(rep.err)) == 0;
    rep.async = g->async;
    rep.firmware = g->firmware;
    memcpy(rep.packetizer, g->packetizer, sizeof(rep.packetizer));
    glue_write_all(fd, &rep, sizeof(rep));
}

/* Loading runs the object's constructors: that too happens in a child. */
static int glue_probe(chunksim_glue_t *g, char *err, size_t errlen)
{
    glue_child_t c;
    glue_probe_report_t rep;
    glue_wait_t w;
    int rc = glue_spawn(&c, glue_probe_child, g);
    if (rc < 0) {
        snprintf(err, errlen, "cannot start a probe process: %s", chunksim_strerror(rc));
        return rc;
    }
    glue_wait(&c, &rep, sizeof(rep), CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT, NULL, &w);
    if (w.got != sizeof(rep) || rep.magic != GLUE_REPORT_MAGIC) {
        snprintf(err, errlen, "%s: loading it %s", g->path,
                 w.timed_out             ? "did not finish (a constructor hangs?)"
                 : WIFSIGNALED(w.status) ? "crashed (a constructor?)"
                                         : "failed");
        return -ENOEXEC;
    }
    if (!rep.ok) {
        snprintf(err, errlen, "%s: %s", g->path, rep.err);
        return -ENOEXEC;
    }
    g->async = rep.async;
    g->firmware = rep.firmware;
    memcpy(g->packetizer, rep.packetizer, sizeof(g->packetizer));
    g->packetizer[sizeof(g->packetizer) - 1] = '\0';
    return 0;
}

int chunksim_glue_open(chunksim_glue_t *g, const char *path, char *err, size_t errlen)
{
    memset(g, 0, sizeof(*g));
    if (realpath(path, g->path) == NULL) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    int rc = glue_hash_file(g->path, g->sha256, err, errlen);
    if (rc < 0) {
        return rc;
    }
    snprintf(g->label, sizeof(g->label), "%s sha256:%s", g->path, g->sha256);
    return glue_probe(g, err, errlen);
}

/* ---- one run ---- */

typedef struct glue_run_report {
    uint32_t magic;
    int32_t rc;
    char setup_error[256]; /* the child could not start the run */
    chunksim_run_result_t res;
} glue_run_report_t;

typedef struct glue_job {
    chunksim_glue_t *g;
    const chunksim_scenario_t *sc;
    const chunksim_glue_run_options_t *opts;
    uint32_t batch_rows;
    glue_trace_t *trace;
    int stderr_fd; /* where the child's stderr goes (see glue_stderr_relay); -1: inherited */
} glue_job_t;

static void glue_run_child(void *arg, int fd)
{
    glue_job_t *job = arg;
    glue_run_report_t rep;
    memset(&rep, 0, sizeof(rep));
    rep.magic = GLUE_REPORT_MAGIC;
    chunksim__glue_trace_use(job->trace);
    if (job->stderr_fd >= 0) {
        (void)dup2(job->stderr_fd, STDERR_FILENO);
    }
    chunksim_rec_t rec = {0}, *recp = NULL;
    char err[CHUNKSIM_REC_ERRMSG_MAX];
    if (chunksim_glue_load(job->g, rep.setup_error, sizeof(rep.setup_error)) < 0) {
        glue_write_all(fd, &rep, sizeof(rep));
        return;
    }
    chunksim_glue_use(job->g);
    if (job->opts->rec != NULL) {
        if (chunksim_rec_open(&rec, job->opts->db_path, err, sizeof(err)) < 0) {
            snprintf(rep.setup_error, sizeof(rep.setup_error), "%.200s", err);
            glue_write_all(fd, &rep, sizeof(rep));
            return;
        }
        (void)chunksim_rec_set_batch_rows(&rec, job->batch_rows);
        recp = &rec;
    }
    const chunksim_run_options_t ro = {
        .rec = recp,
        .record_rows = job->opts->record_rows,
        .reader_create = chunksim_glue_reader_create,
        .reader_name = "glue",
        .packetizer_create = job->g->firmware ? chunksim_glue_packetizer_create : NULL,
        .log = job->opts->log,
        .stop = job->opts->stop,
    };
    rep.rc = chunksim_run(job->sc, &ro, &rep.res);
    if (recp != NULL) {
        (void)chunksim_rec_close(recp);
    }
    glue_write_all(fd, &rep, sizeof(rep));
}

/* Why a child that sent no result is gone, from its exit status and the trace. */
static void glue_death_reason(const glue_wait_t *w, const glue_trace_t *t, double timeout_s,
                              char *buf, size_t len)
{
    char where[GLUE_TRACE_TEXT_BYTES];
    chunksim__glue_trace_describe(t, where, sizeof(where));
    if (w->stopped) {
        snprintf(buf, len, "interrupted: stopped by a signal before the end, %s %s",
                 t->in_glue ? "in" : "outside the glue; the last glue call was", where);
    } else if (w->timed_out) {
        snprintf(buf, len, "%s: still running after %.3g s of wall time (the glue timeout), %s %s",
                 t->in_glue ? "glue hung" : "run hung", timeout_s,
                 t->in_glue ? "in" : "outside the glue; the last glue call was", where);
    } else if (t->fatal[0] != '\0') {
        snprintf(buf, len, "%s", t->fatal);
    } else if (WIFSIGNALED(w->status) && t->in_glue) {
        snprintf(buf, len, "glue crashed: %s in %s", glue_signame(WTERMSIG(w->status)), where);
    } else if (t->in_glue) {
        /* A sanitizer runtime reports and exits instead of dying from the signal. */
        snprintf(buf, len, "glue crashed: its process exited with status %d in %s",
                 WIFEXITED(w->status) ? WEXITSTATUS(w->status) : -1, where);
    } else if (WIFSIGNALED(w->status)) {
        snprintf(buf, len,
                 "run crashed: %s outside the glue (it may have corrupted memory); the last glue "
                 "call was %s",
                 glue_signame(WTERMSIG(w->status)), where);
    } else {
        snprintf(buf, len,
                 "the run's process exited with status %d without a result; the last glue call "
                 "was %s",
                 WIFEXITED(w->status) ? WEXITSTATUS(w->status) : -1, where);
    }
}

/*
 * The child's stderr, kept in a memory file: the dynamic linker names there
 * the unresolved function a lazily bound object called (glue.c loads with
 * RTLD_LAZY) before it ends the process with status 127.
 */
static int glue_stderr_open(void)
{
    return memfd_create("chunksim-glue-stderr", MFD_CLOEXEC);
}

/* "undefined symbol: NAME" in text: NAME into name, or false. */
static bool glue_find_unresolved(const char *text, char *name, size_t len)
{
    static const char key[] = "undefined symbol: ";
    const char *at = strstr(text, key);
    if (at == NULL || len == 0) {
        return false;
    }
    at += sizeof(key) - 1;
    size_t n = strcspn(at, " \t\n,");
    snprintf(name, len, "%.*s", (int)(n < len ? n : len - 1), at);
    return n > 0;
}

/*
 * Passes on what the child wrote to stderr, after it ended, and names the
 * unresolved function it called as the reason it died (the trace's fatal).
 */
static void glue_stderr_relay(int fd, const glue_wait_t *w, glue_trace_t *t)
{
    off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
    char *text = size > 0 ? malloc((size_t)size + 1) : NULL;
    ssize_t got = text != NULL ? pread(fd, text, (size_t)size, 0) : -1;
    if (got <= 0) {
        free(text);
        return;
    }
    text[got] = '\0';
    fputs(text, stderr);
    char name[128], where[GLUE_TRACE_TEXT_BYTES];
    bool lazy_death = !w->timed_out && !w->stopped && WIFEXITED(w->status) &&
                      WEXITSTATUS(w->status) == 127 && t->fatal[0] == '\0';
    if (lazy_death && glue_find_unresolved(text, name, sizeof(name))) {
        chunksim__glue_trace_describe(t, where, sizeof(where));
        snprintf(t->fatal, sizeof(t->fatal),
                 "glue called %s, which the object references but does not define (it was "
                 "loaded lazily): define it, or keep the simulation from calling it; in %s",
                 name, where);
    }
    free(text);
}

/* The result of the child: what it reported, or a failed run with the reason it died. */
static int glue_conclude(const glue_run_report_t *rep, const glue_wait_t *w, const glue_trace_t *t,
                         double timeout_s, chunksim_run_result_t *res)
{
    if (w->got == sizeof(*rep) && rep->magic == GLUE_REPORT_MAGIC && rep->setup_error[0] == '\0') {
        *res = rep->res;
        return rep->rc;
    }
    if (w->got == sizeof(*rep) && rep->magic == GLUE_REPORT_MAGIC) {
        snprintf(res->reason, sizeof(res->reason), "glue run could not start: %.200s",
                 rep->setup_error);
    } else {
        glue_death_reason(w, t, timeout_s, res->reason, sizeof(res->reason));
    }
    res->outcome = CHUNKSIM_OUTCOME_ERROR;
    return 0;
}

/* ---- the database, after the child ---- */

static int64_t glue_db_int(sqlite3 *db, const char *sql, int64_t a, int64_t b)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        return 0;
    }
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

/* A child that died before its run row existed: the failure still gets one. */
static int64_t glue_db_new_failed_run(chunksim_rec_t *rec, const chunksim_glue_t *g,
                                      const chunksim_scenario_t *sc, const char *reason,
                                      uint64_t wall_ms)
{
    int64_t scenario_id = 0, run_id = 0;
    if (chunksim_rec_scenario(rec, sc->run.name, chunksim_scenario_text(sc), &scenario_id) < 0) {
        return 0;
    }
    const chunksim_rec_run_info_t info = {
        .scenario_id = scenario_id,
        .seed = sc->run.seed,
        .mode = sc->run.mode == CHUNKSIM_SCHED_REALTIME ? "realtime" : "virtual",
        .tool_version = CHUNKSIM_VERSION,
        .reader = "glue",
        .glue = g->label,
        .flash_bytes = sc->flash.size_bytes,
    };
    if (chunksim_rec_run_begin(rec, &info, &run_id) < 0) {
        return 0;
    }
    const chunksim_rec_run_result_t r = {.outcome = "error", .reason = reason, .wall_ms = wall_ms};
    return chunksim_rec_run_end(rec, &r) < 0 ? 0 : run_id;
}

/*
 * The run row says which glue ran, and why it failed when the child could
 * not say it: the recorder's reopen marked the dead writer's run
 * interrupted/incomplete; it becomes interrupted/error with the reason, so a
 * scenario that expects 'incomplete' cannot pass on a crash.
 */
static void glue_db_finish(chunksim_rec_t *rec, int64_t run_id, const chunksim_glue_t *g, bool died,
                           const char *reason, uint64_t wall_ms)
{
    static const char finished_sql[] =
        "UPDATE runs SET glue = ?1, reason = ?2, packetizer = ?5 WHERE run_id = ?3";
    static const char died_sql[] =
        "UPDATE runs SET glue = ?1, reason = ?2, packetizer = ?5, status = 'interrupted', "
        "outcome = 'error', "
        "safety_ok = 0, liveness_ok = 0, wall_ms = ?4, "
        "ended_at = coalesce(ended_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) "
        "WHERE run_id = ?3";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(chunksim_rec_db(rec), died ? died_sql : finished_sql, -1, &st, NULL) !=
        SQLITE_OK) {
        return;
    }
    sqlite3_bind_text(st, 1, g->label, -1, SQLITE_TRANSIENT);
    if (reason[0] != '\0') {
        sqlite3_bind_text(st, 2, reason, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_int64(st, 3, run_id);
    if (died) {
        sqlite3_bind_int64(st, 4, (sqlite3_int64)wall_ms);
    }
    sqlite3_bind_text(st, 5, g->packetizer, -1, SQLITE_TRANSIENT);
    (void)sqlite3_step(st);
    sqlite3_finalize(st);
}

static void glue_append_note(char *reason, size_t len, const char *note)
{
    size_t used = strlen(reason);
    if (note[0] != '\0' && used < len) {
        snprintf(reason + used, len - used, "%sglue: %s", used > 0 ? "; " : "", note);
    }
}

typedef struct glue_ran {
    pid_t pid;
    int64_t run_id_before; /* the largest run id before the child started */
    bool died;
    uint64_t wall_ms;
} glue_ran_t;

static int glue_reopen_and_record(chunksim_glue_t *g, const chunksim_scenario_t *sc,
                                  const chunksim_glue_run_options_t *opts, uint32_t batch_rows,
                                  const glue_ran_t *ran, const char *reason,
                                  chunksim_run_result_t *res)
{
    char err[CHUNKSIM_REC_ERRMSG_MAX];
    if (chunksim_rec_open(opts->rec, opts->db_path, err, sizeof(err)) < 0) {
        if (opts->log != NULL) {
            fprintf(opts->log, "chunksim: reopening %s after a glue run: %s\n", opts->db_path, err);
        }
        return -EIO;
    }
    (void)chunksim_rec_set_batch_rows(opts->rec, batch_rows);
    sqlite3 *db = chunksim_rec_db(opts->rec);
    int64_t run_id = res->run_id;
    if (run_id == 0) {
        run_id = glue_db_int(db,
                             "SELECT coalesce(max(run_id), 0) FROM runs "
                             "WHERE writer_pid = ?1 AND run_id > ?2",
                             ran->pid, ran->run_id_before);
    }
    bool died = ran->died;
    if (run_id == 0 && died) {
        run_id = glue_db_new_failed_run(opts->rec, g, sc, reason, ran->wall_ms);
        died = false; /* its row is whole: only the packetizer's name to add */
    }
    if (run_id != 0) {
        glue_db_finish(opts->rec, run_id, g, died, reason, ran->wall_ms);
    }
    res->run_id = run_id;
    return 0;
}

static glue_trace_t *glue_trace_map(void)
{
    void *p =
        mmap(NULL, sizeof(glue_trace_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : memset(p, 0, sizeof(glue_trace_t));
}

int chunksim_glue_run(chunksim_glue_t *g, const chunksim_scenario_t *sc,
                      const chunksim_glue_run_options_t *opts, chunksim_run_result_t *res)
{
    memset(res, 0, sizeof(*res));
    res->seed = sc->run.seed;
    if (opts->rec != NULL && (opts->db_path == NULL || chunksim_rec_db(opts->rec) == NULL)) {
        snprintf(res->reason, sizeof(res->reason), "glue run: %s",
                 opts->db_path == NULL ? "no database path to reopen the recorder with"
                                       : "the recorder is closed");
        res->outcome = CHUNKSIM_OUTCOME_ERROR;
        return -EINVAL;
    }
    glue_trace_t *trace = glue_trace_map();
    if (trace == NULL) {
        return -errno;
    }
    glue_ran_t ran = {0};
    uint32_t batch_rows = CHUNKSIM_REC_BATCH_ROWS_DEFAULT;
    if (opts->rec != NULL) {
        ran.run_id_before = glue_db_int(chunksim_rec_db(opts->rec),
                                        "SELECT coalesce(max(run_id), 0) FROM runs", 0, 0);
        batch_rows = opts->rec->batch_rows;
        (void)chunksim_rec_close(opts->rec); /* no SQLite connection may cross fork() */
    }
    double t0_s = glue_now_s();
    glue_job_t job = {g, sc, opts, batch_rows, trace, glue_stderr_open()};
    glue_child_t c = {0};
    glue_run_report_t rep;
    glue_wait_t w;
    int rc = glue_spawn(&c, glue_run_child, &job);
    if (rc == 0) {
        ran.pid = c.pid;
        glue_wait(&c, &rep, sizeof(rep), opts->timeout_s, opts->stop, &w);
        glue_stderr_relay(job.stderr_fd, &w, trace);
        rc = glue_conclude(&rep, &w, trace, opts->timeout_s, res);
    } else {
        snprintf(res->reason, sizeof(res->reason), "cannot start the run's process: %s",
                 chunksim_strerror(rc));
        res->outcome = CHUNKSIM_OUTCOME_ERROR;
    }
    ran.died = res->outcome == CHUNKSIM_OUTCOME_ERROR && res->run_id == 0;
    ran.wall_ms = (uint64_t)((glue_now_s() - t0_s) * 1e3);
    if (ran.died) {
        res->wall_ms = (double)ran.wall_ms;
    }
    /* The database keeps the whole reason; the result what fits. */
    char reason[2 * sizeof(res->reason) + GLUE_TRACE_TEXT_BYTES];
    snprintf(reason, sizeof(reason), "%s", res->reason);
    glue_append_note(reason, sizeof(reason), trace->note);
    glue_append_note(res->reason, sizeof(res->reason), trace->note);
    if (opts->rec != NULL) {
        int rrc = glue_reopen_and_record(g, sc, opts, batch_rows, &ran, reason, res);
        rc = rc < 0 ? rc : rrc;
    }
    munmap(trace, sizeof(*trace));
    if (job.stderr_fd >= 0) {
        close(job.stderr_fd);
    }
    return rc;
}
