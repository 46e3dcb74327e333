/* Scratch directories of a batch, found and recovered by the next one (see scratch.h). */
/* asprintf */
#define _GNU_SOURCE
#include "scratch.h"

#include "chunksim/merge.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCRATCH_LOCK "owner.lock"

/* The directory db_path is in ("." for a bare name) and its last component. */
static int scratch_split(const char *db_path, char **dir, const char **base)
{
    const char *slash = strrchr(db_path, '/');
    *base = slash ? slash + 1 : db_path;
    if (slash == NULL)
        *dir = strdup(".");
    else
        *dir = strndup(db_path, slash == db_path ? 1 : (size_t)(slash - db_path));
    return *dir ? 0 : -ENOMEM;
}

/* ".<base>.scratch-": every scratch directory of this output starts so. */
static char *scratch_prefix(const char *base)
{
    char *p;
    return asprintf(&p, ".%s.scratch-", base) < 0 ? NULL : p;
}

int cli_scratch_create(cli_scratch_t *s, const char *db_path, char *err, size_t errlen)
{
    char *dir, *prefix = NULL, *tmp = NULL, *lock = NULL;
    const char *base;
    s->dir = NULL;
    s->lock_fd = -1;
    int rc = scratch_split(db_path, &dir, &base);
    if (rc == 0 && ((prefix = scratch_prefix(base)) == NULL ||
                    asprintf(&s->dir, "%s/%sXXXXXX", dir, prefix) < 0))
        rc = -ENOMEM;
    free(dir);
    free(prefix);
    if (rc < 0) {
        s->dir = NULL;
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    if (mkdtemp(s->dir) == NULL) {
        rc = -errno;
        snprintf(err, errlen, "cannot create a scratch directory next to %s: %s", db_path,
                 strerror(errno));
        free(s->dir);
        s->dir = NULL;
        return rc;
    }
    if (asprintf(&tmp, "%s/.new-lock", s->dir) < 0) {
        tmp = NULL;
    }
    if (tmp == NULL || asprintf(&lock, "%s/" SCRATCH_LOCK, s->dir) < 0) {
        free(tmp);
        snprintf(err, errlen, "out of memory");
        cli_scratch_close(s, 0);
        return -ENOMEM;
    }
    /* Locked before it has its name: a recovering batch never sees it free. */
    s->lock_fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0 || rename(tmp, lock) != 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", lock, strerror(errno));
        (void)unlink(tmp);
        cli_scratch_close(s, 0);
    }
    free(tmp);
    free(lock);
    return rc;
}

void cli_scratch_close(cli_scratch_t *s, int keep)
{
    if (s->dir != NULL && !keep) {
        char *lock;
        if (asprintf(&lock, "%s/" SCRATCH_LOCK, s->dir) >= 0) {
            (void)unlink(lock);
            free(lock);
        }
        (void)rmdir(s->dir); /* fails, and keeps it, while files are left in it */
    }
    if (s->lock_fd >= 0)
        (void)close(s->lock_fd);
    free(s->dir);
    s->dir = NULL;
    s->lock_fd = -1;
}

void cli_scratch_remove_db(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char *p;
        if (asprintf(&p, "%s%s", path, suffixes[i]) >= 0) {
            (void)unlink(p);
            free(p);
        }
    }
}

static int scratch_by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The worker databases of dir ("*.db"), sorted so segments merge in order. */
static int scratch_list_dbs(const char *dir, char ***names, size_t *count)
{
    *names = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return -errno;
    size_t n = 0, cap = 0;
    char **v = NULL;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".db") != 0)
            continue;
        if (n == cap) {
            char **nv = realloc(v, (cap = cap ? 2 * cap : 8) * sizeof *v);
            if (nv == NULL) {
                rc = -ENOMEM;
                break;
            }
            v = nv;
        }
        if (asprintf(&v[n], "%s/%s", dir, e->d_name) < 0)
            rc = -ENOMEM;
        else
            n++;
    }
    closedir(d);
    if (n > 1)
        qsort(v, n, sizeof *v, scratch_by_name);
    *names = v;
    *count = n;
    return rc;
}

/* One orphan: merge each of its databases, then delete them and it. */
static int scratch_recover_dir(chunksim_rec_t *rec, const char *db_path, const char *dir,
                               const char *tool, FILE *log, cli_scratch_recovery_t *out)
{
    char **dbs;
    size_t n;
    int rc = scratch_list_dbs(dir, &dbs, &n);
    /* Each database on its own: one that fails is kept and named, the others go. */
    for (size_t i = 0; i < n; i++) {
        chunksim_merge_stats_t st;
        char err[1024];
        const chunksim_merge_options_t opts = {.label = "a killed matrix's worker database"};
        int mrc = chunksim_merge(rec, dbs[i], &opts, &st, err, sizeof err);
        if (mrc < 0) {
            fprintf(log, "%s: recovering %s: %s; it is kept, add it with: chunksim merge %s %s\n",
                    tool, dbs[i], err, db_path, dbs[i]);
            rc = mrc;
        } else {
            out->runs_copied += st.runs_copied;
            out->runs_interrupted += st.runs_interrupted;
            cli_scratch_remove_db(dbs[i]);
        }
        free(dbs[i]);
    }
    free(dbs);
    return rc;
}

/* dir/name is an orphan when its owner's lock can be taken; fd then holds it. */
static int scratch_take_orphan(const char *path, int *fd)
{
    char *lock;
    if (asprintf(&lock, "%s/" SCRATCH_LOCK, path) < 0)
        return -ENOMEM;
    *fd = open(lock, O_RDWR | O_CLOEXEC);
    free(lock);
    if (*fd < 0)
        return -errno; /* no lock file: not ours, or being made right now */
    struct stat st;
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        close(*fd);
        *fd = -1;
        return -EBUSY; /* a live batch owns it */
    }
    if (fstat(*fd, &st) != 0 || st.st_nlink == 0) {
        close(*fd);
        *fd = -1;
        return -ENOENT; /* another batch recovered and removed it meanwhile */
    }
    return 0;
}

int cli_scratch_recover(chunksim_rec_t *rec, const char *db_path, const char *tool, FILE *log,
                        cli_scratch_recovery_t *out)
{
    char *dir, *prefix;
    const char *base;
    memset(out, 0, sizeof *out);
    if (scratch_split(db_path, &dir, &base) < 0)
        return -ENOMEM;
    prefix = scratch_prefix(base);
    DIR *d = prefix ? opendir(dir) : NULL;
    int result = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        cli_scratch_t orphan = {.lock_fd = -1};
        if (asprintf(&orphan.dir, "%s/%s", dir, e->d_name) < 0) {
            orphan.dir = NULL;
            result = -ENOMEM;
            break;
        }
        if (scratch_take_orphan(orphan.dir, &orphan.lock_fd) < 0) {
            free(orphan.dir);
            continue;
        }
        out->dirs_found++;
        int rc = scratch_recover_dir(rec, db_path, orphan.dir, tool, log, out);
        out->dirs_recovered += rc == 0;
        if (rc < 0)
            result = rc;
        cli_scratch_close(&orphan, rc < 0);
    }
    if (d != NULL)
        closedir(d);
    if (out->dirs_found > 0)
        fprintf(log,
                "%s: recovered %llu run(s) (%llu interrupted) from %u of %u scratch "
                "director%s a killed earlier batch on %s left\n",
                tool, out->runs_copied, out->runs_interrupted, out->dirs_recovered, out->dirs_found,
                out->dirs_found == 1 ? "y" : "ies", db_path);
    free(prefix);
    free(dir);
    return result;
}
