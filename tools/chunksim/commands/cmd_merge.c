/* chunksim merge: recording databases (shards, machines) into one, nothing lost or doubled. */
#include "cli.h"
#include "options.h"

#include "chunksim/merge.h"
#include "chunksim/recorder.h"

#include <inttypes.h>
#include <string.h>

static cli_command_fn merge_main;

static const cli_command_t merge_command = {
    .name = "merge",
    .usage = "OUT.db IN.db... [options]",
    .about = "Copies every run of each input database, with its calls, flash operations,\n"
             "chunks, violations, params and metrics, into OUT.db (created if missing).\n"
             "Scenarios and coredump images are stored once by their SHA-256; runs get new\n"
             "ids in OUT.db, in input order. A run OUT.db already holds (same scenario,\n"
             "seed, mode, reader, glue, start time, writer host and pid) is not copied\n"
             "again, so merging an input twice changes nothing. A run an input still shows\n"
             "as 'running' is copied as 'interrupted'. Each input is merged in one\n"
             "transaction: all of its runs or none.\n"
             "\n"
             "Typical use: N CI jobs each run 'chunksim matrix ... --shard K/N --db\n"
             "shard-K.db'; a last job runs 'chunksim merge all.db shard-*.db'.\n",
    .shared = CLI_OPT_QUIET,
    .notes = "With -q, no line per input on stderr.\n"
             "\n"
             "Exit status: 0 merged, 2 usage error or an input that cannot be merged (not a\n"
             "chunksim recording, another schema version, missing); inputs before it stay\n"
             "merged.\n",
    .operands = {2, -1, "need OUT.db and at least one IN.db"},
    .run = merge_main,
};

static int merge_main(const cli_call_t *call)
{
    bool quiet = call->common->quiet;
    const char *out_path = call->ops[0];
    chunksim_rec_t rec;
    char err[1024];
    if (chunksim_rec_open(&rec, out_path, err, sizeof err) < 0) {
        fprintf(stderr, "chunksim merge: %s: %s\n", out_path, err);
        return CLI_EXIT_USAGE;
    }
    int exit_code = CLI_EXIT_OK;
    chunksim_merge_stats_t total = {0};
    for (int i = 1; i < call->nops && exit_code == CLI_EXIT_OK; i++) {
        chunksim_merge_stats_t st;
        if (chunksim_merge(&rec, call->ops[i], NULL, &st, err, sizeof err) < 0) {
            fprintf(stderr, "chunksim merge: %s\n", err);
            exit_code = CLI_EXIT_USAGE;
            break;
        }
        if (!quiet)
            fprintf(stderr,
                    "chunksim merge: %s: %" PRIu64 " run(s) copied (%" PRIu64
                    " were running: now interrupted), %" PRIu64 " already present; %" PRIu64
                    " new scenario(s), %" PRIu64 " new image(s), %" PRIu64 " trace rows\n",
                    call->ops[i], st.runs_copied, st.runs_interrupted, st.runs_present,
                    st.scenarios_added, st.images_added, st.rows_copied);
        total.runs_copied += st.runs_copied;
        total.runs_present += st.runs_present;
    }
    printf("%" PRIu64 " run(s) merged into %s, %" PRIu64 " already present\n", total.runs_copied,
           out_path, total.runs_present);
    if (chunksim_rec_close(&rec) < 0 && exit_code == CLI_EXIT_OK) {
        fprintf(stderr, "chunksim merge: %s: %s\n", out_path, chunksim_rec_errmsg(&rec));
        exit_code = CLI_EXIT_USAGE;
    }
    return exit_code;
}

int cli_merge(int argc, char **argv)
{
    return cli_command_main(&merge_command, argc, argv, NULL, NULL);
}
