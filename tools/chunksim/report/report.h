/*
 * Reports over a recording: one run's trace read back from the database into
 * plain arrays, the figures derived from it, and the writers that show them
 * (a text summary, a self-contained HTML page; cmd_export.c turns the same
 * data into a Perfetto trace).
 *
 *     report_run_t run;
 *     if (report_run_load(db, run_id, &run, err, sizeof err) < 0) die(err);
 *     report_text_write(stdout, &run);
 *     report_run_free(&run);
 *
 * Derived figures, and what they rest on (docs/schema.md has the columns):
 * - Flash read latency: end_us - start_us of completed reads (queueing behind
 *   a busy device included), as the flash_read_latency view measures it.
 * - A wait: from a prepare that returned WAIT (result 1) with no wait already
 *   open, to the next prepare that returned READY (result 0). Further WAITs
 *   in between belong to the same wait. A wait never followed by READY is
 *   unfinished.
 * - Chunk latency: t_us (produced) to sent_us (the link's ack).
 * - Link send: the chunk's last attempt on the link, ending at sent_us. The
 *   recording stores no on-air start, so its length is recomputed from the
 *   run's stored scenario with the link model's own formulas (BLE: one packet
 *   exchange for the chunk; network: wire time plus the ack latency). When the
 *   stored scenario no longer loads (a coredump file that is gone), link sends
 *   are unknown and left out.
 * - Window fill: bytes of the coredump held in RAM ahead of the packetizer.
 *   The window holds [lo, hi): a completed read [a, e) that starts inside it
 *   extends it to e (keeping at most the reader's window_bytes), any other
 *   read replaces it. The packetizer's position is read from each chunk's own
 *   bytes (header, offset varint, CRC) and the message header length. Fill is
 *   hi - max(position, lo), 0 when the position is past hi. An estimate of the
 *   reader's state, exact for the single and double window readers as they
 *   read today.
 * - Percentiles: nearest rank, as in docs/schema.md: the p-th of n sorted
 *   values is the one at position ceil(p*n/100). Always a measured value.
 *
 * Functions return 0 or a negative errno (-ENOMEM, -EINVAL for a run that does
 * not exist or a database that is not a chunksim recording, -EIO for SQLite
 * failures), with a sentence in err.
 */
#ifndef CHUNKSIM_REPORT_H
#define CHUNKSIM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sqlite3;

/* An end that never came (a read whose completion was lost, a chunk not delivered). */
#define REPORT_TIME_NONE UINT64_MAX
/* Spans of one track that overlap go to separate lanes; beyond this they share the last. */
#define REPORT_LANES_MAX 8

/* One interval on the timeline. */
typedef struct report_span {
    uint64_t start_us;
    uint64_t end_us; /* REPORT_TIME_NONE: never ended */
    uint32_t lane;   /* 0..REPORT_LANES_MAX-1: no two spans of a lane partially overlap */
} report_span_t;

typedef struct report_flash_op {
    report_span_t span; /* start_us .. end_us */
    uint64_t seq;
    const char *kind; /* read, program, erase_sector, ... */
    uint32_t addr, len;
    int status;
    const char *status_name; /* NULL: none */
    const char *fault;       /* NULL: none injected */
} report_flash_op_t;

typedef struct report_wait {
    report_span_t span; /* first WAIT .. next READY */
    uint64_t call_seq;  /* the first WAIT's calls.seq */
    uint32_t prepares;  /* WAIT answers it spanned */
} report_wait_t;

typedef struct report_chunk {
    report_span_t span; /* t_us .. sent_us */
    report_span_t link; /* its last attempt on the link; start_us NONE: unknown */
    uint64_t seq;
    uint32_t len;
    uint8_t header;
    const char *flags; /* NULL: none */
    bool delivered;
    uint32_t retransmissions;
    int64_t storage_end; /* coredump bytes consumed once it was produced; -1: unknown */
} report_chunk_t;

typedef struct report_violation {
    const char *invariant;
    uint64_t call_seq; /* REPORT_TIME_NONE: not tied to a call */
    uint64_t t_us;
    const char *detail; /* NULL: none */
} report_violation_t;

typedef struct report_fault_count {
    const char *kind;
    uint64_t count;
} report_fault_count_t;

/* One step of a counter: value holds from t_us until the next point. */
typedef struct report_point {
    uint64_t t_us;
    uint64_t value;
} report_point_t;

typedef struct report_stats {
    size_t n;          /* values measured */
    size_t unfinished; /* spans that never ended, left out of the figures */
    uint64_t min_us, p50_us, p90_us, p99_us, max_us;
    double mean_us;
} report_stats_t;

struct report_str_;

typedef struct report_run {
    int64_t run_id;
    const char *scenario, *mode, *status, *config_text;
    const char *outcome; /* NULL while running */
    const char *reason;  /* NULL: none */
    uint64_t seed;
    bool finished; /* metrics below are set (a run that did not finish has none) */
    uint64_t drain_us, message_bytes, chunk_count, flash_busy_us, link_busy_us, bound_us;
    uint64_t waits_recorded, refills, retries, faults_injected;
    double efficiency;

    report_flash_op_t *ops;
    size_t n_ops;
    report_wait_t *waits;
    size_t n_waits;
    report_chunk_t *chunks;
    size_t n_chunks;
    report_violation_t *violations;
    size_t n_violations;
    report_fault_count_t *faults; /* flash_ops.fault by kind, most frequent first */
    size_t n_faults;
    report_point_t *flash_busy; /* 1 while an operation is in flight, else 0 */
    size_t n_flash_busy;
    report_point_t *window_fill; /* bytes, see the header comment */
    size_t n_window_fill;

    bool link_known;    /* link spans were recomputed from the stored scenario */
    uint64_t end_us;    /* the last instant in the trace */
    uint32_t lanes_ops; /* lanes used by ops, by chunks */
    uint32_t lanes_chunks;

    struct report_str_ *strs_; /* private: owned strings */
} report_run_t;

/* Per scenario name, over every run of the database. */
typedef struct report_scenario_row {
    const char *scenario;
    const char *outcomes; /* e.g. "ok 3, lost 1" */
    uint64_t runs, violations;
    bool have_metrics; /* at least one finished run: the figures below are set */
    double drain_us_mean, bytes_per_s_mean, efficiency_mean, efficiency_min;
} report_scenario_row_t;

typedef struct report_overview {
    report_scenario_row_t *rows;
    size_t n_rows;
    const char *outcomes; /* over all runs, e.g. "ok 10, lost 1" */
    uint64_t runs;
    struct report_str_ *strs_;
} report_overview_t;

/* HTML options: the timeline shows [start_us, end_us); end_us NONE: to the run's end. */
typedef struct report_html_options {
    uint64_t window_start_us;
    uint64_t window_end_us;
    const char *db_path; /* named in the page; NULL: not named */
} report_html_options_t;

/* Loads run_id and derives the figures above. On failure run owns nothing. */
int report_run_load(struct sqlite3 *db, int64_t run_id, report_run_t *run, char *err,
                    size_t errlen);
void report_run_free(report_run_t *run);

/*
 * Run selection. report_run_latest: the newest run of the scenario named name
 * (the one just recorded when a database collects many). report_run_exists:
 * 1 or 0. Both return a negative errno on SQLite failure.
 */
int report_run_latest(struct sqlite3 *db, const char *name, int64_t *run_id, char *err,
                      size_t errlen);
int report_run_exists(struct sqlite3 *db, int64_t run_id, char *err, size_t errlen);
/* Every run id, ascending; *ids is malloc'ed (NULL when there are none). */
int report_run_ids(struct sqlite3 *db, int64_t **ids, size_t *n, char *err, size_t errlen);

int report_overview_load(struct sqlite3 *db, report_overview_t *ov, char *err, size_t errlen);
void report_overview_free(report_overview_t *ov);

/* Figures of one kind of span; values[] is sorted in place. */
void report_stats_of(uint64_t *values, size_t n, size_t unfinished, report_stats_t *st);
/* Nearest-rank p-th percentile (1..100) of n >= 1 ascending values. */
uint64_t report_percentile(const uint64_t *sorted, size_t n, unsigned p);
/* The three latency figures of a run. */
int report_run_stats(const report_run_t *run, report_stats_t *reads, report_stats_t *waits,
                     report_stats_t *chunks);
/* Message bytes per second of drain time; 0 when unknown. */
double report_bytes_per_s(uint64_t message_bytes, uint64_t drain_us);

/* The text summary of one run; then, once, the outcome count (report_overview_t). */
int report_text_write(FILE *out, const report_run_t *run);
void report_text_outcomes(FILE *out, const report_overview_t *ov);

/*
 * Campaigns by matrix cell. Every run a batch recorded carries its case
 * (runs.case_file, case_cell, case_id); its cell is the file and the axis
 * values. A run missed its expect when its outcome is not what its stored
 * scenario's [run] expect says (ok when it says nothing), the rule `chunksim
 * matrix` fails a case by without a baseline.
 */
#define REPORT_OUTCOMES 7 /* the chunksim outcomes, then "running" */

typedef struct report_cell {
    char *file, *cell;
    uint64_t runs, failed; /* failed: runs that missed their expect */
    uint64_t outcomes[REPORT_OUTCOMES];
    /* The first run that missed (lowest seed), 0 when none did. */
    int64_t failed_run;
    uint64_t failed_seed;
    char failed_case[16];
    char failed_outcome[16];
    char *repro; /* the line that reruns that case alone; NULL when none failed */
} report_cell_t;

typedef struct report_cells {
    report_cell_t *cells; /* failing cells first (most failed runs first), then by file, cell */
    size_t n, failed_cells;
    uint64_t runs, failed;
    bool unknown_expect; /* a scenario did not load again: its expect was taken as ok */
} report_cells_t;

/* The cells of every run with a case (none: cs->n == 0). */
int report_cells_load(struct sqlite3 *db, report_cells_t *cs, char *err, size_t errlen);
void report_cells_free(report_cells_t *cs);
/* "ok 3, lost 2": the cell's outcomes. */
void report_cell_outcomes(FILE *out, const report_cell_t *c);
/* Totals, then one line per cell (at most max_cells; 0: all) and each failing one's repro. */
void report_cells_text(FILE *out, const report_cells_t *cs, size_t max_cells);
/* The outcome a stored scenario expects ("ok" without expect); NULL when it does not load. */
const char *report_expected_outcome(const char *config_text, const char *name);
/* The repro line of a run of a case: its file, seed and stored "; --set" lines. Like snprintf. */
size_t report_repro_of(const char *file, uint64_t seed, const char *config_text, char *buf,
                       size_t len);

/*
 * The campaign page: outcomes per pair of axes of each file, failing cells
 * first with their repro lines, and the full report of the first failing run
 * of each of the first max_runs failing cells (anchored run-ID).
 */
int report_cells_html(FILE *out, struct sqlite3 *db, const report_cells_t *cs,
                      const report_html_options_t *opt, size_t max_runs);

/* A self-contained HTML page: no script, no network; inline CSS and SVG. */
int report_html_write(FILE *out, const report_run_t *run, const report_overview_t *ov,
                      const report_html_options_t *opt);
/* Pieces of the page for other pages (the campaign's): the document head with the
 * style, a run's "run N · seed · outcome" line, its sections (cards, latencies, faults,
 * timeline, histograms, violations), the closing note. */
void report_html_doc_head(FILE *out, const char *title);
void report_html_run_line(FILE *out, const report_run_t *r);
int report_html_run_body(FILE *out, const report_run_t *r, const report_html_options_t *opt);
void report_html_foot(FILE *out, const report_html_options_t *opt);
/* text with & < > " ' replaced by entities and control characters (but tab, CR, LF), which
 * XML forbids, by '?': fit for HTML and for XML (JUnit). */
void report_html_escape(FILE *out, const char *text);

/* "START_US:END_US" (either side may be empty) into opt. -EINVAL on bad text. */
int report_window_parse(const char *text, report_html_options_t *opt);

#endif
