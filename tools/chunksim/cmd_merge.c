/* chunksim merge: recording databases (shards, machines) into one, nothing lost or doubled. */
#include "cli.h"

#include "chunksim/merge.h"
#include "chunksim/recorder.h"

#include <getopt.h>
#include <inttypes.h>
#include <string.h>

static void merge_usage(FILE *out)
{
    fprintf(out, "usage: chunksim merge OUT.db IN.db... [options]\n"
                 "\n"
                 "Copies every run of each input database, with its calls, flash operations,\n"
                 "chunks, violations, params and metrics, into OUT.db (created if missing).\n"
                 "Scenarios and coredump images are stored once by their SHA-256; runs get new\n"
                 "ids in OUT.db, in input order. A run OUT.db already holds (same scenario,\n"
                 "seed, mode, reader, glue, start time, writer host and pid) is not copied\n"
                 "again, so merging an input twice changes nothing. A run an input still shows\n"
                 "as 'running' is copied as 'interrupted'. Each input is merged in one\n"
                 "transaction: all of its runs or none.\n"
                 "\n"
                 "Typical use: N CI jobs each run 'chunksim matrix ... --shard K/N --db\n"
                 "shard-K.db'; a last job runs 'chunksim merge all.db shard-*.db'.\n"
                 "\n"
                 "options:\n"
                 "  -q, --quiet   no line per input on stderr\n"
                 "  -h, --help    this text\n"
                 "\n"
                 "Exit status: 0 merged, 2 usage error or an input that cannot be merged (not a\n"
                 "chunksim recording, another schema version, missing); inputs before it stay\n"
                 "merged.\n");
}

int cli_merge(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        if (c == 'q') {
            quiet = true;
        } else if (c == 'h') {
            merge_usage(stdout);
            return CLI_EXIT_OK;
        } else {
            merge_usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind < 2) {
        fprintf(stderr, "chunksim merge: need OUT.db and at least one IN.db\n");
        merge_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *out_path = argv[optind];
    chunksim_rec_t rec;
    char err[1024];
    if (chunksim_rec_open(&rec, out_path, err, sizeof err) < 0) {
        fprintf(stderr, "chunksim merge: %s: %s\n", out_path, err);
        return CLI_EXIT_USAGE;
    }
    int exit_code = CLI_EXIT_OK;
    chunksim_merge_stats_t total = {0};
    for (int i = optind + 1; i < argc && exit_code == CLI_EXIT_OK; i++) {
        chunksim_merge_stats_t st;
        if (chunksim_merge(&rec, argv[i], NULL, &st, err, sizeof err) < 0) {
            fprintf(stderr, "chunksim merge: %s\n", err);
            exit_code = CLI_EXIT_USAGE;
            break;
        }
        if (!quiet)
            fprintf(stderr,
                    "chunksim merge: %s: %" PRIu64 " run(s) copied (%" PRIu64
                    " were running: now interrupted), %" PRIu64 " already present; %" PRIu64
                    " new scenario(s), %" PRIu64 " new image(s), %" PRIu64 " trace rows\n",
                    argv[i], st.runs_copied, st.runs_interrupted, st.runs_present,
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
