/* chunksim report: latency, throughput, faults and outcomes of recorded runs, as text or HTML. */
#include "cli.h"
#include "options.h"
#include "report.h"

#include "chunksim/recorder.h"
#include "chunksim/error.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* The HTML page's run when none is named: the main job's scenario. */
#define REPORT_DEFAULT_SCENARIO "ble_default"

typedef struct {
    cli_common_t common;
    const char *scenario;
    const char *html_path;
    const char *window;
    int64_t run_id;
    report_html_options_t html;
} report_args_t;

#define OWN(field) offsetof(report_args_t, field)

static const cli_option_t report_options[] = {
    {"run", 0, "ID", "only this run (default: every run)", OWN(run_id), cli_options_parse_run_id},
    {"scenario", 0, "NAME", "only the newest run of this scenario", OWN(scenario), NULL},
    {"html", 0, "OUT.html",
     "also write a self-contained HTML page (no script, nothing\n"
     "fetched): a campaign's (above), or one run's: --run,\n"
     "--scenario, else the newest\n"
     "run of " REPORT_DEFAULT_SCENARIO ", else the newest run: a timeline of flash\n"
     "operations, waits, chunks, link sends and window fill;\n"
     "latency histograms; every scenario of the database compared",
     OWN(html_path), NULL},
    {"window", 0, "S:E",
     "the timeline shows simulated time [S, E) in microseconds;\n"
     "either side may be empty (e.g. --window :200000)",
     OWN(window), NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static cli_command_fn report_check, report_main;

static const cli_command_t report_command = {
    .name = "report",
    .usage = "[--db FILE] [--run ID | --scenario NAME]\n"
             "                       [--html OUT.html [--window START_US:END_US]]",
    .about = "Prints, per run: scenario, seed, outcome; drain time, message bytes per second\n"
             "and efficiency against the bound; latency percentiles (p50, p90, p99, max, in\n"
             "microseconds) of flash reads (device time), of waits (from a prepare answered\n"
             "WAIT to the next one answered READY) and of chunks (produced to sent); faults\n"
             "injected by kind; violations. Then the outcome count over all runs.\n"
             "Percentiles are nearest-rank, as in docs/schema.md.\n"
             "\n"
             "Campaigns: when the runs carry their matrix case (matrix, sweep and swarm\n"
             "record it) and neither --run nor --scenario is given, the report is per cell\n"
             "(file and axis values): one line per cell, failing cells first (a run fails\n"
             "when its outcome is not its scenario's expect), each with its first failing\n"
             "run and the line that reruns it. With --html the text lists the first 10\n"
             "cells and the page holds them all: a table per pair of axes of each file\n"
             "(failed/runs, red by share), the failing cells with their repro lines, and\n"
             "the full report of the first failing run of the first 20 failing cells.\n",
    .shared = CLI_OPT_DB,
    .options = report_options,
    .notes = "Exit status: 0 report written, 2 usage error, unreadable database, or no such\n"
             "run or scenario.\n",
    .check = report_check,
    .run = report_main,
};

static int report_check(const cli_call_t *call)
{
    report_args_t *a = call->own;
    if (a->run_id != 0 && a->scenario != NULL) {
        fprintf(stderr, "chunksim report: --run and --scenario both select the run; give one\n");
        return CLI_EXIT_USAGE;
    }
    if (a->window != NULL && a->html_path == NULL) {
        fprintf(stderr, "chunksim report: --window applies to the HTML page: add --html\n");
        return CLI_EXIT_USAGE;
    }
    if (a->window != NULL && report_window_parse(a->window, &a->html) < 0) {
        fprintf(stderr,
                "chunksim report: --window '%s': expected START_US:END_US with START < END "
                "(microseconds)\n",
                a->window);
        return CLI_EXIT_USAGE;
    }
    a->html.db_path = a->common.db_path;
    return 0;
}

/* The run ids the text covers, and the one the page shows (0: none). */
static int report_select(sqlite3 *db, const report_args_t *a, int64_t **ids, size_t *n,
                         int64_t *page_run)
{
    char err[256];
    int rc;
    *page_run = 0;
    if (a->run_id != 0) {
        rc = report_run_exists(db, a->run_id, err, sizeof(err));
        if (rc == 0) {
            snprintf(err, sizeof(err), "no run %" PRId64 " in the database", a->run_id);
            rc = -EINVAL;
        }
        *page_run = a->run_id;
    } else if (a->scenario != NULL) {
        rc = report_run_latest(db, a->scenario, page_run, err, sizeof(err));
    } else {
        rc = report_run_ids(db, ids, n, err, sizeof(err));
        if (rc == 0 &&
            report_run_latest(db, REPORT_DEFAULT_SCENARIO, page_run, err, sizeof(err)) < 0) {
            *page_run = *n ? (*ids)[*n - 1] : 0;
        }
        if (rc == 0) {
            return 0;
        }
    }
    if (rc < 0) {
        fprintf(stderr, "chunksim report: %s: %s\n", a->common.db_path, err);
        return rc;
    }
    *ids = malloc(sizeof(**ids));
    if (*ids == NULL) {
        return -ENOMEM;
    }
    (*ids)[0] = *page_run;
    *n = 1;
    return 0;
}

static int report_text_all(sqlite3 *db, const report_args_t *a, const int64_t *ids, size_t n)
{
    char err[256];
    for (size_t i = 0; i < n; i++) {
        report_run_t run;
        if (report_run_load(db, ids[i], &run, err, sizeof(err)) < 0) {
            fprintf(stderr, "chunksim report: %s: %s\n", a->common.db_path, err);
            return CLI_EXIT_USAGE;
        }
        if (i > 0) {
            fputc('\n', stdout);
        }
        int rc = report_text_write(stdout, &run);
        report_run_free(&run);
        if (rc < 0) {
            fprintf(stderr, "chunksim report: writing the summary failed\n");
            return CLI_EXIT_USAGE;
        }
    }
    return 0;
}

static int report_page(sqlite3 *db, const report_args_t *a, int64_t run_id,
                       const report_overview_t *ov)
{
    char err[256];
    if (run_id == 0) {
        fprintf(stderr, "chunksim report: %s: no run to show in %s\n", a->common.db_path,
                a->html_path);
        return CLI_EXIT_USAGE;
    }
    report_run_t run;
    if (report_run_load(db, run_id, &run, err, sizeof(err)) < 0) {
        fprintf(stderr, "chunksim report: %s: %s\n", a->common.db_path, err);
        return CLI_EXIT_USAGE;
    }
    FILE *out = fopen(a->html_path, "w");
    int rc = out ? report_html_write(out, &run, ov, &a->html) : -errno;
    if (out != NULL && fclose(out) != 0 && rc == 0) {
        rc = -errno;
    }
    if (rc < 0) {
        fprintf(stderr, "chunksim report: %s: %s\n", a->html_path, chunksim_strerror(rc));
    } else {
        fprintf(stderr, "chunksim report: wrote %s (run %" PRId64 ": %s)\n", a->html_path, run_id,
                run.scenario ? run.scenario : "?");
    }
    report_run_free(&run);
    return rc < 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}

/* Failing cells whose first missed run gets a full section in the campaign page. */
#define REPORT_CAMPAIGN_RUNS 20
/* Cells the text lists when an HTML page holds them all. */
#define REPORT_CAMPAIGN_LINES 10

static int report_campaign_page(sqlite3 *db, const report_args_t *a, const report_cells_t *cs)
{
    FILE *out = fopen(a->html_path, "w");
    int rc = out ? report_cells_html(out, db, cs, &a->html, REPORT_CAMPAIGN_RUNS) : -errno;
    if (out != NULL && fclose(out) != 0 && rc == 0) {
        rc = -errno;
    }
    if (rc < 0) {
        fprintf(stderr, "chunksim report: %s: %s\n", a->html_path, chunksim_strerror(rc));
        return CLI_EXIT_USAGE;
    }
    printf("wrote %s: outcomes by axis, %zu failing cell(s)\n", a->html_path, cs->failed_cells);
    return CLI_EXIT_OK;
}

/*
 * A database of campaign runs (every run of matrix, sweep, swarm has a case)
 * is summed up per cell: one line each, or with --html the first ones and
 * the page; the runs without a case are counted, not listed.
 */
static int report_campaign(sqlite3 *db, const report_args_t *a, const report_cells_t *cs,
                           const report_overview_t *ov)
{
    report_cells_text(stdout, cs, a->html_path != NULL ? REPORT_CAMPAIGN_LINES : 0);
    if (ov->runs > cs->runs) {
        printf("%" PRIu64 " run(s) without a case: chunksim report --run ID shows one\n",
               ov->runs - cs->runs);
    }
    report_text_outcomes(stdout, ov);
    fflush(stdout);
    return a->html_path != NULL ? report_campaign_page(db, a, cs) : CLI_EXIT_OK;
}

/* Cells when the whole database is reported (no --run, no --scenario) and its runs have cases. */
static int report_cells_of(sqlite3 *db, const report_args_t *a, report_cells_t *cs)
{
    char err[256];
    if (a->run_id != 0 || a->scenario != NULL) {
        *cs = (report_cells_t){0};
        return 0;
    }
    if (report_cells_load(db, cs, err, sizeof(err)) < 0) {
        fprintf(stderr, "chunksim report: %s: %s\n", a->common.db_path, err);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int report_main(const cli_call_t *call)
{
    report_args_t *a = call->own;
    sqlite3 *db = call->db;
    char err[CHUNKSIM_REC_ERRMSG_MAX];
    int64_t *ids = NULL, page_run = 0;
    size_t n = 0;
    report_overview_t ov = {0};
    report_cells_t cs = {0};
    int rc = report_cells_of(db, a, &cs);
    if (rc == 0 && report_overview_load(db, &ov, err, sizeof(err)) < 0) {
        fprintf(stderr, "chunksim report: %s: %s\n", a->common.db_path, err);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0 && cs.n > 0) {
        rc = report_campaign(db, a, &cs, &ov);
        report_cells_free(&cs);
        report_overview_free(&ov);
        return rc;
    }
    rc = rc ? rc : report_select(db, a, &ids, &n, &page_run) < 0 ? CLI_EXIT_USAGE : 0;
    rc = rc ? rc : report_text_all(db, a, ids, n);
    if (rc == 0) {
        fputc('\n', stdout);
        report_text_outcomes(stdout, &ov);
        fflush(stdout);
    }
    if (rc == 0 && a->html_path != NULL) {
        rc = report_page(db, a, page_run, &ov);
    }
    report_overview_free(&ov);
    free(ids);
    return rc;
}

int cli_report(int argc, char **argv)
{
    report_args_t a = {.html = {.window_end_us = REPORT_TIME_NONE}};
    return cli_command_main(&report_command, argc, argv, &a.common, &a);
}
