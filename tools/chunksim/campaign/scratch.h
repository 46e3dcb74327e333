/*
 * Scratch directories of a batch: where a matrix's workers record before the
 * parent merges their runs into the output database (batch.h).
 *
 * A scratch directory lives next to the output, named after it
 * (".runs.db.scratch-XXXXXX" for runs.db), so that whoever runs the next
 * batch on the same output finds it. Its owner holds an exclusive flock on
 * its "owner.lock" for as long as the batch runs; forked workers inherit the
 * lock, so it is free only when the parent and every worker are gone.
 *
 * A parent that was killed (SIGKILL, a crash, a power cut) leaves its
 * directory behind with the runs its workers finished. The next batch on the
 * same output recovers it before it starts: every orphan (lock free) is
 * merged into the output (chunksim_merge: a run merged before the kill is
 * recognised and not copied twice; a run left 'running' is copied as
 * 'interrupted') and then deleted. A directory whose merge fails is kept
 * and named, with the command that adds it by hand.
 */
#ifndef CHUNKSIM_CLI_SCRATCH_H
#define CHUNKSIM_CLI_SCRATCH_H

#include "chunksim/recorder.h"

#include <stddef.h>
#include <stdio.h>

typedef struct cli_scratch {
    char *dir;   /* the directory; NULL when none was made */
    int lock_fd; /* holds the owner's flock; -1 when none */
} cli_scratch_t;

/* Makes and locks a scratch directory for the output db_path. 0 or -errno. */
int cli_scratch_create(cli_scratch_t *s, const char *db_path, char *err, size_t errlen);

/* Unlocks and frees; removes the directory when it is empty (keep: leave it). */
void cli_scratch_close(cli_scratch_t *s, int keep);

/* Deletes a scratch database with its -wal, -shm and -journal files. */
void cli_scratch_remove_db(const char *path);

typedef struct cli_scratch_recovery {
    unsigned dirs_found;     /* orphaned directories of this output */
    unsigned dirs_recovered; /* merged and deleted */
    unsigned long long runs_copied, runs_interrupted;
} cli_scratch_recovery_t;

/*
 * Merges every orphaned scratch directory of db_path into rec (open on
 * db_path) and deletes it. Directories still locked by a live batch are left
 * alone. Says what it did on log ("tool: ..."). 0, or a negative code when
 * some directory could not be recovered (it is kept).
 */
int cli_scratch_recover(chunksim_rec_t *rec, const char *db_path, const char *tool, FILE *log,
                        cli_scratch_recovery_t *out);

#endif
