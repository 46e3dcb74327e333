/* chunksim run: scenario files in, a summary table (or JSON) out, every run recorded. */
#include "cli.h"
#include "options.h"

#include "chunksim/glue.h"
#include "chunksim/recorder.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* SIGINT/SIGTERM end the current run (recorded as incomplete) and skip the rest. */
static volatile sig_atomic_t run_stop;

static void run_on_signal(int sig)
{
    (void)sig;
    run_stop = 1;
}

/* --glue: probed once, then loaded by each run's child process, never here. */
static chunksim_glue_t run_glue;

typedef struct {
    cli_common_t common;
    const char *glue;      /* --glue: user glue (a shared object) instead of the built-in reader */
    double glue_timeout_s; /* --glue-timeout */
    const char *mode;
    const char *latencies_from; /* --latencies-from: DB:RUN or FILE.csv */
} run_args_t;

static int run_parse_glue_timeout(const cli_value_t *v, void *field)
{
    const char *text = v->text;
    char *end;
    errno = 0;
    double *seconds = field;
    *seconds = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(*seconds >= 0 && *seconds < 1e9)) {
        fprintf(v->err, "%s: --%s: '%s' is not a number of seconds\n", v->tool, v->option, text);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

#define OWN(field) offsetof(run_args_t, field)

static const cli_option_t run_options[] = {
    {"mode", 0, "MODE", "override [run] mode: virtual (default) or realtime", OWN(mode), NULL},
    {"latencies-from", 0, "SRC",
     "take the latency and fault of every flash operation\n"
     "from a recorded run (DB:RUN) or a board's CSV (FILE.csv;\n"
     "scenarios/README.md), not from the scenario",
     OWN(latencies_from), NULL},
    {"glue", 0, "LIB.so",
     "run your own async glue (see sim/include/chunksim/board.h)\n"
     "in place of the scenario's reader, a child process per run.\n"
     "An object that exports memfault_packetizer_get_chunk (or\n"
     "memfault_packetizer_begin and _get_next) is a firmware\n"
     "object: its own packetizer runs in place of chunksim's,\n"
     "watched through the shim chunksim_add_firmware() or\n"
     "tools/build-firmware.sh links in (without it, it is\n"
     "refused); runs.packetizer names it with its SDK version",
     OWN(glue), NULL},
    {"glue-timeout", 0, "S",
     "wall-clock seconds a glue run may take before it is killed\n"
     "and recorded as failed (default 30; 0: no limit)",
     OWN(glue_timeout_s), run_parse_glue_timeout},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static cli_command_fn run_check, run_main;

static const cli_command_t run_command = {
    .name = "run",
    .usage = "SCENARIO... [options]",
    .about = "Runs each scenario file (INI, keys in scenarios/README.md) once, prints one\n"
             "summary row per run on stdout, and records the scenario, the run and every\n"
             "call, flash operation, chunk and violation into a SQLite database.\n",
    .shared = CLI_OPT_DB_RECORD | CLI_OPT_SEED | CLI_OPT_SET | CLI_OPT_NO_TRACE | CLI_OPT_JSON |
              CLI_OPT_QUIET,
    .options = run_options,
    .notes = "The table has one row per run; when the run has a reason (why it failed, or\n"
             "what was odd about it), an indented line under the row gives it. drain_s runs\n"
             "from the first call to the ack that completed the coredump (or to the run's\n"
             "end); msg_B/s, eff (bound / drain, 0 to 1), flash% and link% (busy time as a\n"
             "share of the drain, 0 to 100) are all taken over that interval\n"
             "(docs/schema.md, runs). Each run is printed once: its row (or its JSON\n"
             "object); with --json a progress line per run goes to stderr unless -q.\n"
             "\n"
             "A run passes when its outcome equals the scenario's [run] expect (or is 'ok'\n"
             "when it states none). Outcomes: ok, lost, corrupt, incomplete, violation,\n"
             "error (the run could not be set up, or could not be recorded in full: then\n"
             "its reason says what the simulation concluded, and the summary names the\n"
             "recording error). The database row tells the same outcome and reason.\n"
             "Exit status: 0 all passed, 1 some failed, 2 usage or input error.\n",
    .operands = CLI_OPERANDS_SCENARIOS,
    .check = run_check,
    .run = run_main,
};

/* --glue names a library that must load before any scenario runs. */
static int run_check(const cli_call_t *call)
{
    const run_args_t *a = call->own;
    char err[CHUNKSIM_GLUE_LABEL_BYTES];
    if (a->glue != NULL && chunksim_glue_open(&run_glue, a->glue, err, sizeof(err)) < 0) {
        fprintf(stderr, "chunksim run: --glue %s\n", err);
        return CLI_EXIT_USAGE;
    }
    if (a->glue != NULL && run_glue.firmware) {
        fprintf(stderr, "chunksim run: --glue %s: packetizer: %s\n", run_glue.path,
                run_glue.packetizer);
    }
    return 0;
}

int cli_load_scenario(chunksim_scenario_t *sc, const char *path, const char *const *sets,
                      size_t nsets, char *err, size_t errlen)
{
    return chunksim_scenario_load_with(sc, path, sets, nsets, err, errlen);
}

static json_t *run_json(const char *path, const chunksim_scenario_t *sc,
                        const chunksim_run_result_t *r)
{
    const chunksim_metrics_t *m = &r->m;
    json_t *metrics = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I}", "drain_us",
        (json_int_t)m->drain_us, "message_bytes", (json_int_t)m->message_bytes, "chunks",
        (json_int_t)m->chunks, "wire_bytes", (json_int_t)m->wire_bytes, "flash_busy_us",
        (json_int_t)m->flash_busy_us, "link_busy_us", (json_int_t)m->link_busy_us, "bound_us",
        (json_int_t)m->bound_us, "efficiency", m->efficiency, "bytes_per_s", m->bytes_per_s,
        "waits", (json_int_t)m->waits, "refills", (json_int_t)m->refills, "retries",
        (json_int_t)m->retries, "faults_injected", (json_int_t)m->faults_injected, "violations",
        (json_int_t)m->violations, "flash_ops", (json_int_t)m->flash_ops);
    return json_pack(
        "{s:s, s:s, s:I, s:s, s:s, s:s, s:b, s:b, s:b, s:s, s:s, s:I, s:s?, s:f, s:o}", "scenario",
        sc->run.name, "file", path, "seed", (json_int_t)r->seed, "mode",
        sc->run.mode == CHUNKSIM_SCHED_REALTIME ? "realtime" : "virtual", "outcome",
        chunksim_outcome_name(r->outcome), "expect",
        sc->run.expect == CHUNKSIM_EXPECT_NONE ? "ok" : chunksim_expect_name(sc->run.expect),
        "passed", r->passed, "safety_ok", r->safety_ok, "liveness_ok", r->liveness_ok, "reason",
        r->reason, "first_violation", r->first_violation, "run_id", (json_int_t)r->run_id,
        "record_error", r->record_error[0] ? r->record_error : NULL, "wall_ms", r->wall_ms,
        "metrics", metrics);
}

void cli_summary_header(FILE *out)
{
    fprintf(out, "%-32s %6s %-10s %-10s %10s %10s %5s %6s %6s %4s\n", "scenario", "seed", "outcome",
            "expect", "drain_s", "msg_B/s", "eff", "flash%", "link%", "viol");
}

void cli_summary_row(FILE *out, const chunksim_scenario_t *sc, const chunksim_run_result_t *r)
{
    const chunksim_metrics_t *m = &r->m;
    /* Busy times are measured inside the drain, so these are 0 to 100. */
    double drain = (double)m->drain_us / 1e6;
    double flash_pct = m->drain_us ? 100.0 * (double)m->flash_busy_us / (double)m->drain_us : 0;
    double link_pct = m->drain_us ? 100.0 * (double)m->link_busy_us / (double)m->drain_us : 0;
    const char *expect =
        sc->run.expect == CHUNKSIM_EXPECT_NONE ? "ok" : chunksim_expect_name(sc->run.expect);
    fprintf(out,
            "%-32.32s %6" PRIu64 " %-10s %-10s %10.3f %10.0f %5.2f %6.1f %6.1f %4" PRIu64 "%s\n",
            sc->run.name, r->seed, chunksim_outcome_name(r->outcome), expect, drain, m->bytes_per_s,
            m->efficiency, flash_pct, link_pct, m->violations, r->passed ? "" : "  FAIL");
    /* A run's reason (why it failed, or what was odd about an ok) belongs to its
     * row: right under it, on the same stream, so the table never interleaves
     * with stderr on a terminal. */
    if (r->reason[0] != '\0') {
        fprintf(out, "    %s\n", r->reason);
    }
}

/* Every file with the command line's overrides, validated before anything runs. */
static int run_load_all(const run_args_t *a, int nscs, char **paths, chunksim_scenario_t *scs)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    const char *sets[CLI_SETS_MAX + 2];
    char seed_set[64], mode_set[64];
    size_t n = 0;
    if (a->common.seed != NULL) {
        snprintf(seed_set, sizeof(seed_set), "run.seed=%s", a->common.seed);
        sets[n++] = seed_set;
    }
    if (a->mode != NULL) {
        snprintf(mode_set, sizeof(mode_set), "run.mode=%s", a->mode);
        sets[n++] = mode_set;
    }
    memcpy(sets + n, a->common.sets, a->common.set_count * sizeof(sets[0]));
    n += a->common.set_count;
    for (int i = 0; i < nscs; i++) {
        if (cli_load_scenario(&scs[i], paths[i], sets, n, err, sizeof(err)) < 0 ||
            cli_apply_latencies(&scs[i], a->latencies_from, err, sizeof(err)) < 0) {
            fprintf(stderr, "chunksim run: %s\n", err);
            for (int j = 0; j < i; j++) {
                chunksim_scenario_free(&scs[j]);
            }
            return CLI_EXIT_USAGE;
        }
    }
    return 0;
}

/* The first recording failure of the command, for its summary line. */
static char run_record_error[256];

/* One scenario: run, report. Returns 1 when the run did not pass. */
static int run_one(const run_args_t *a, const char *path, const chunksim_scenario_t *sc,
                   chunksim_rec_t *rec, json_t *all)
{
    bool rows = !a->common.no_trace;
    chunksim_run_options_t opts = {
        .rec = rec, .record_rows = rows, .no_image = !rows, .log = stderr, .stop = &run_stop};
    const chunksim_glue_run_options_t gopts = {.rec = rec,
                                               .db_path = a->common.db_path,
                                               .record_rows = rows,
                                               .log = stderr,
                                               .timeout_s = a->glue_timeout_s,
                                               .stop = &run_stop};
    chunksim_run_result_t res;
    int rc = a->glue != NULL ? chunksim_glue_run(&run_glue, sc, &gopts, &res)
                             : chunksim_run(sc, &opts, &res);
    bool failed = rc < 0 || !res.passed;
    if (res.record_error[0] != '\0' && run_record_error[0] == '\0') {
        snprintf(run_record_error, sizeof(run_record_error), "%s", res.record_error);
    }
    if (a->common.json) {
        json_array_append_new(all, run_json(path, sc, &res));
    } else {
        cli_summary_row(stdout, sc, &res);
    }
    fflush(stdout);
    if (a->common.json && !a->common.quiet) {
        fprintf(stderr, "chunksim: %s seed %" PRIu64 ": %s%s%s (%.0f ms wall)\n", sc->run.name,
                res.seed, chunksim_outcome_name(res.outcome), res.reason[0] ? ": " : "", res.reason,
                res.wall_ms);
    }
    return failed ? 1 : 0;
}

/* The last line: counts, and where the runs went (or why they did not get there). */
static void run_summary(const run_args_t *a, bool recorded, int runs, int failed)
{
    const char *db = a->common.db_path;
    if (a->common.json) {
        if (run_record_error[0] != '\0')
            fprintf(stderr, "chunksim run: recording into %s failed: %s\n", db, run_record_error);
    } else if (recorded && run_record_error[0] != '\0') {
        /* Such a run is an error, so the exit status is not 0. */
        printf("%d run(s): %d passed, %d failed; recording into %s failed: %s\n", runs,
               runs - failed, failed, db, run_record_error);
    } else {
        printf("%d run(s): %d passed, %d failed%s%s\n", runs, runs - failed, failed,
               recorded ? "; recorded in " : "", recorded ? db : "");
    }
}

static void run_free_all(chunksim_scenario_t *scs, int nscs)
{
    for (int i = 0; i < nscs; i++)
        chunksim_scenario_free(&scs[i]);
    free(scs);
}

/* Runs every scenario in turn (until a signal); returns how many failed, *runs how many ran. */
static int run_all(const run_args_t *a, char **paths, chunksim_scenario_t *scs, int nscs,
                   chunksim_rec_t *rec, json_t *all, int *runs)
{
    struct sigaction sa = {.sa_handler = run_on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int failed = 0;
    for (int i = 0; i < nscs && !run_stop; i++) {
        failed += run_one(a, paths[i], &scs[i], rec, all);
        (*runs)++;
    }
    return failed;
}

static int run_main(const cli_call_t *call)
{
    const run_args_t *a = call->own;
    int nscs = call->nops;
    chunksim_scenario_t *scs = calloc((size_t)nscs, sizeof(*scs));
    if (scs == NULL || run_load_all(a, nscs, call->ops, scs) != 0) {
        free(scs);
        return CLI_EXIT_USAGE;
    }
    chunksim_rec_t rec;
    bool recorded = a->common.db_path[0] != '\0';
    char err[512];
    if (recorded && chunksim_rec_open(&rec, a->common.db_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "chunksim run: %s: %s\n", a->common.db_path, err);
        run_free_all(scs, nscs);
        return CLI_EXIT_USAGE;
    }
    json_t *all = json_array();
    if (!a->common.json) {
        cli_summary_header(stdout);
    }
    int runs = 0;
    int failed = run_all(a, call->ops, scs, nscs, recorded ? &rec : NULL, all, &runs);
    run_free_all(scs, nscs);
    if (a->common.json) {
        json_dumpf(all, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    }
    run_summary(a, recorded, runs, failed);
    json_decref(all);
    if (recorded) {
        chunksim_rec_close(&rec);
    }
    return (failed > 0 || run_stop) ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

int cli_run(int argc, char **argv)
{
    run_args_t a = {.glue_timeout_s = CHUNKSIM_GLUE_TIMEOUT_S_DEFAULT};
    return cli_command_main(&run_command, argc, argv, &a.common, &a);
}
