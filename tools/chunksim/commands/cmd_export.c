/*
 * chunksim export: one recorded run as a Chrome trace-event JSON file, which
 * the Perfetto UI (ui.perfetto.dev) and chrome://tracing open. Slices ("X")
 * per track, counters ("C"), instants ("i") for what never ended and for
 * violations, and "M" events naming the process and the tracks. What each
 * track means is in report.h (the same loader feeds `chunksim report`).
 */
#include "cli.h"
#include "options.h"
#include "report.h"

#include "chunksim/recorder.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* One process per trace; tracks are threads, overlapping spans get one thread per lane. */
#define EXPORT_PID        1
#define EXPORT_TID_FLASH  10 /* + lane */
#define EXPORT_TID_WAITS  20
#define EXPORT_TID_CHUNKS 30 /* + lane */
#define EXPORT_TID_LINK   40
#define EXPORT_TID_VIOL   50

typedef struct {
    cli_common_t common;
    const char *scenario;
    const char *format;
    const char *out_path;
    int64_t run_id;
} export_args_t;

#define OWN(field) offsetof(export_args_t, field)

static const cli_option_t export_options[] = {
    {"run", 0, "ID", "the run to export", OWN(run_id), cli_options_parse_run_id},
    {"scenario", 0, "NAME", "the newest run of this scenario", OWN(scenario), NULL},
    {"format", 0, "FORMAT", "perfetto (the only one, and the default)", OWN(format), NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static cli_command_fn export_check, export_main;

static const cli_command_t export_command = {
    .name = "export",
    .usage = "[--db FILE] (--run ID | --scenario NAME)\n"
             "                       [--format perfetto] OUT.json",
    .about = "Writes one recorded run as Chrome trace-event JSON ({\"traceEvents\": [...]}),\n"
             "which opens in the Perfetto UI (ui.perfetto.dev) and chrome://tracing. Times\n"
             "are the run's microseconds. Tracks (threads of one process):\n"
             "  flash      each flash operation, issue to completion (queueing included);\n"
             "             an operation that never completed is an instant event\n"
             "  waits      a prepare answered WAIT until one answered READY\n"
             "  chunks     each chunk, produced to the link's ack\n"
             "  link       each chunk's last attempt on the link, ending at its ack; the\n"
             "             recording has no on-air start, so its length is recomputed\n"
             "             from the stored scenario with the link model's formulas\n"
             "  violations the invariants the monitor found broken, as instant events\n"
             "Counters: 'flash busy' (1 while an operation is in flight) and 'window fill'\n"
             "(coredump bytes held in the RAM window ahead of the packetizer: an estimate\n"
             "from completed reads and each chunk's offset; see tools/chunksim/report/report.h).\n"
             "Overlapping operations or chunks go to extra threads (\"flash (2)\").\n",
    .shared = CLI_OPT_DB,
    .options = export_options,
    .notes = "OUT.json '-' writes to stdout.\n"
             "\n"
             "Exit status: 0 written, 2 usage error, unreadable database, no such run.\n",
    .operands = {1, 1, "no output file given"},
    .check = export_check,
    .run = export_main,
};

static int export_check(const cli_call_t *call)
{
    export_args_t *a = call->own;
    a->out_path = call->ops[0];
    if (strcmp(a->format, "perfetto") != 0) {
        fprintf(stderr, "chunksim export: --format '%s': the only format is perfetto\n", a->format);
        return CLI_EXIT_USAGE;
    }
    if ((a->run_id == 0) == (a->scenario == NULL)) {
        fprintf(stderr, "chunksim export: name the run with --run ID or --scenario NAME\n");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* ---- events ---- */

static int ev_add(json_t *events, json_t *ev)
{
    return ev != NULL && json_array_append_new(events, ev) == 0 ? 0 : -ENOMEM;
}

static int ev_thread(json_t *events, int tid, const char *name)
{
    int rc =
        ev_add(events, json_pack("{s:s, s:s, s:i, s:i, s:{s:s}}", "ph", "M", "name", "thread_name",
                                 "pid", EXPORT_PID, "tid", tid, "args", "name", name));
    return rc < 0 ? rc
                  : ev_add(events, json_pack("{s:s, s:s, s:i, s:i, s:{s:i}}", "ph", "M", "name",
                                             "thread_sort_index", "pid", EXPORT_PID, "tid", tid,
                                             "args", "sort_index", tid));
}

/* A span as a complete event, or an instant one ("... never ended") when it has no end. */
static json_t *ev_span(const char *name, const char *never, const char *cat, int tid,
                       const report_span_t *s, json_t *args)
{
    if (args == NULL) /* out of memory: ev_add says so */
        return NULL;
    if (s->end_us == REPORT_TIME_NONE) {
        return json_pack("{s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:o}", "name", never, "cat", cat,
                         "ph", "i", "s", "t", "ts", (json_int_t)s->start_us, "pid", EXPORT_PID,
                         "tid", tid, "args", args);
    }
    uint64_t dur = s->end_us >= s->start_us ? s->end_us - s->start_us : 0;
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:i, s:o}", "name", name, "cat", cat, "ph",
                     "X", "ts", (json_int_t)s->start_us, "dur", (json_int_t)dur, "pid", EXPORT_PID,
                     "tid", tid, "args", args);
}

/* One thread per lane from tid0 on: "what", then "what (2)", "what (3)"... */
static int ev_lanes(json_t *events, int tid0, uint32_t lanes, const char *what)
{
    int rc = 0;
    for (uint32_t l = 0; rc == 0 && l < lanes; l++) {
        char name[32];
        if (l == 0)
            snprintf(name, sizeof(name), "%s", what);
        else
            snprintf(name, sizeof(name), "%s (%" PRIu32 ")", what, l + 1);
        rc = ev_thread(events, tid0 + (int)l, name);
    }
    return rc;
}

static int export_flash(json_t *events, const report_run_t *r)
{
    int rc = ev_lanes(events, EXPORT_TID_FLASH, r->lanes_ops, "flash");
    for (size_t i = 0; rc == 0 && i < r->n_ops; i++) {
        const report_flash_op_t *op = &r->ops[i];
        char never[64];
        snprintf(never, sizeof(never), "%s (never completed)", op->kind);
        json_t *args = json_pack("{s:I, s:I, s:I, s:i, s:s?, s:s?}", "seq", (json_int_t)op->seq,
                                 "addr", (json_int_t)op->addr, "len", (json_int_t)op->len, "status",
                                 op->status, "status_name", op->status_name, "fault", op->fault);
        rc = ev_add(events, ev_span(op->kind, never, "flash", EXPORT_TID_FLASH + (int)op->span.lane,
                                    &op->span, args));
    }
    return rc;
}

static int export_waits(json_t *events, const report_run_t *r)
{
    int rc = ev_thread(events, EXPORT_TID_WAITS, "waits");
    for (size_t i = 0; rc == 0 && i < r->n_waits; i++) {
        const report_wait_t *w = &r->waits[i];
        json_t *args = json_pack("{s:I, s:i}", "call_seq", (json_int_t)w->call_seq, "prepares",
                                 (int)w->prepares);
        rc = ev_add(events, ev_span("wait", "wait (never ready)", "core", EXPORT_TID_WAITS,
                                    &w->span, args));
    }
    return rc;
}

static json_t *chunk_args(const report_chunk_t *c)
{
    return json_pack("{s:I, s:i, s:i, s:s?, s:b, s:i}", "seq", (json_int_t)c->seq, "len",
                     (int)c->len, "header", (int)c->header, "flags", c->flags, "delivered",
                     c->delivered, "retransmissions", (int)c->retransmissions);
}

static int export_chunks(json_t *events, const report_run_t *r)
{
    int rc = ev_lanes(events, EXPORT_TID_CHUNKS, r->lanes_chunks, "chunks");
    rc = rc < 0 ? rc : ev_thread(events, EXPORT_TID_LINK, "link");
    for (size_t i = 0; rc == 0 && i < r->n_chunks; i++) {
        const report_chunk_t *c = &r->chunks[i];
        json_t *args = chunk_args(c);
        rc = ev_add(events, ev_span("chunk", "chunk (not delivered)", "chunk",
                                    EXPORT_TID_CHUNKS + (int)c->span.lane, &c->span, args));
        if (rc == 0 && c->link.start_us != REPORT_TIME_NONE) {
            args = chunk_args(c);
            rc = ev_add(events, ev_span("send", "send", "link", EXPORT_TID_LINK, &c->link, args));
        }
    }
    return rc;
}

static int export_violations(json_t *events, const report_run_t *r)
{
    int rc = ev_thread(events, EXPORT_TID_VIOL, "violations");
    for (size_t i = 0; rc == 0 && i < r->n_violations; i++) {
        const report_violation_t *v = &r->violations[i];
        json_t *call =
            v->call_seq == REPORT_TIME_NONE ? json_null() : json_integer((json_int_t)v->call_seq);
        rc =
            ev_add(events, json_pack("{s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:{s:o, s:s?}}", "name",
                                     v->invariant, "cat", "violation", "ph", "i", "s", "p", "ts",
                                     (json_int_t)v->t_us, "pid", EXPORT_PID, "tid", EXPORT_TID_VIOL,
                                     "args", "call_seq", call, "detail", v->detail));
    }
    return rc;
}

static int export_counter(json_t *events, const char *name, const char *key,
                          const report_point_t *p, size_t n)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = ev_add(events, json_pack("{s:s, s:s, s:I, s:i, s:{s:I}}", "name", name, "ph", "C",
                                      "ts", (json_int_t)p[i].t_us, "pid", EXPORT_PID, "args", key,
                                      (json_int_t)p[i].value));
    }
    return rc;
}

static json_t *export_trace(const report_run_t *r)
{
    json_t *events = json_array();
    char pname[256];
    snprintf(pname, sizeof(pname), "run %" PRId64 ": %s (seed %" PRIu64 ")", r->run_id,
             r->scenario ? r->scenario : "?", r->seed);
    int rc = ev_add(events, json_pack("{s:s, s:s, s:i, s:{s:s}}", "ph", "M", "name", "process_name",
                                      "pid", EXPORT_PID, "args", "name", pname));
    rc = rc < 0 ? rc : export_flash(events, r);
    rc = rc < 0 ? rc : export_waits(events, r);
    rc = rc < 0 ? rc : export_chunks(events, r);
    rc = rc < 0 ? rc : export_violations(events, r);
    rc = rc < 0 ? rc : export_counter(events, "flash busy", "busy", r->flash_busy, r->n_flash_busy);
    rc = rc < 0 ? rc
                : export_counter(events, "window fill", "bytes", r->window_fill, r->n_window_fill);
    json_t *root =
        rc < 0 ? NULL
               : json_pack("{s:o, s:s, s:{s:I, s:s?, s:I, s:s?, s:s?, s:b}}", "traceEvents", events,
                           "displayTimeUnit", "ms", "otherData", "run_id", (json_int_t)r->run_id,
                           "scenario", r->scenario, "seed", (json_int_t)r->seed, "outcome",
                           r->outcome, "mode", r->mode, "link_sends_known", r->link_known);
    if (root == NULL && rc < 0) {
        json_decref(events);
    }
    return root;
}

static int export_write(const export_args_t *a, const report_run_t *run)
{
    json_t *root = export_trace(run);
    if (root == NULL) {
        fprintf(stderr, "chunksim export: out of memory building the trace\n");
        return CLI_EXIT_USAGE;
    }
    int rc;
    if (strcmp(a->out_path, "-") == 0) {
        rc = json_dumpf(root, stdout, JSON_COMPACT);
        fputc('\n', stdout);
    } else {
        rc = json_dump_file(root, a->out_path, JSON_COMPACT);
    }
    json_decref(root);
    if (rc != 0) {
        fprintf(stderr, "chunksim export: %s: cannot write: %s\n", a->out_path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    fprintf(stderr, "chunksim export: wrote %s (run %" PRId64 ": %s)\n", a->out_path, run->run_id,
            run->scenario ? run->scenario : "?");
    return CLI_EXIT_OK;
}

static int export_main(const cli_call_t *call)
{
    const export_args_t *a = call->own;
    char err[CHUNKSIM_REC_ERRMSG_MAX];
    int64_t run_id = a->run_id;
    report_run_t run;
    int rc = a->scenario ? report_run_latest(call->db, a->scenario, &run_id, err, sizeof(err)) : 0;
    rc = rc < 0 ? rc : report_run_load(call->db, run_id, &run, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "chunksim export: %s: %s\n", a->common.db_path, err);
        return CLI_EXIT_USAGE;
    }
    rc = export_write(a, &run);
    report_run_free(&run);
    return rc;
}

int cli_export(int argc, char **argv)
{
    export_args_t a = {.format = "perfetto"};
    return cli_command_main(&export_command, argc, argv, &a.common, &a);
}
