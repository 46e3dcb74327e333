/* Reports: the text summary of a run. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>

/* Violations listed in full; the rest are counted. */
#define TEXT_VIOLATIONS_SHOWN 5

static void text_latency_row(FILE *out, const char *what, const report_stats_t *st,
                             const char *unfinished_word)
{
    if (st->n == 0) {
        fprintf(out, "  %-12s %8s %8s %8s %8s %8s", what, "0", "-", "-", "-", "-");
    } else {
        fprintf(out, "  %-12s %8zu %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64, what, st->n,
                st->p50_us, st->p90_us, st->p99_us, st->max_us);
    }
    if (st->unfinished > 0) {
        fprintf(out, "   (%zu %s)", st->unfinished, unfinished_word);
    }
    fputc('\n', out);
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0;
}

static void text_metrics(FILE *out, const report_run_t *r)
{
    if (!r->finished) {
        fprintf(out, "  no metrics: the run did not finish\n");
        return;
    }
    fprintf(out,
            "  drain %.3f s   message %" PRIu64 " B   %.0f B/s   bound %.3f s   "
            "efficiency %.3f\n",
            (double)r->drain_us / 1e6, r->message_bytes,
            report_bytes_per_s(r->message_bytes, r->drain_us), (double)r->bound_us / 1e6,
            r->efficiency);
    fprintf(out,
            "  flash busy %.3f s (%.1f%%)   link busy %.3f s (%.1f%%)   chunks %" PRIu64
            "   refills %" PRIu64 "   retries %" PRIu64 "\n",
            (double)r->flash_busy_us / 1e6, pct(r->flash_busy_us, r->drain_us),
            (double)r->link_busy_us / 1e6, pct(r->link_busy_us, r->drain_us), r->chunk_count,
            r->refills, r->retries);
}

static void text_faults(FILE *out, const report_run_t *r)
{
    uint64_t per_op = 0;
    for (size_t i = 0; i < r->n_faults; i++) {
        per_op += r->faults[i].count;
    }
    uint64_t total = r->faults_injected > per_op ? r->faults_injected : per_op;
    fprintf(out, "  faults injected: %" PRIu64, total);
    const char *sep = " (";
    for (size_t i = 0; i < r->n_faults; i++) {
        fprintf(out, "%s%s %" PRIu64, sep, r->faults[i].kind, r->faults[i].count);
        sep = ", ";
    }
    /* Link faults, and flash faults whose operation was not recorded, have no flash_ops row. */
    if (total > per_op) {
        fprintf(out, "%snot on a recorded flash operation %" PRIu64, sep, total - per_op);
        sep = ", ";
    }
    fputs(total > 0 ? ")\n" : "\n", out);
}

static void text_violations(FILE *out, const report_run_t *r)
{
    fprintf(out, "  violations: %zu\n", r->n_violations);
    for (size_t i = 0; i < r->n_violations && i < TEXT_VIOLATIONS_SHOWN; i++) {
        const report_violation_t *v = &r->violations[i];
        fprintf(out, "    at %" PRIu64 " us", v->t_us);
        if (v->call_seq != REPORT_TIME_NONE) {
            fprintf(out, " (call %" PRIu64 ")", v->call_seq);
        }
        fprintf(out, ": %s%s%s\n", v->invariant, v->detail ? ": " : "", v->detail ? v->detail : "");
    }
    if (r->n_violations > TEXT_VIOLATIONS_SHOWN) {
        fprintf(out, "    ... and %zu more\n", r->n_violations - TEXT_VIOLATIONS_SHOWN);
    }
}

int report_text_write(FILE *out, const report_run_t *r)
{
    report_stats_t reads, waits, chunks;
    int rc = report_run_stats(r, &reads, &waits, &chunks);
    if (rc < 0) {
        return rc;
    }
    fprintf(out, "run %" PRId64 ": %s   seed %" PRIu64 "   %s   %s   outcome %s\n", r->run_id,
            r->scenario ? r->scenario : "?", r->seed, r->mode ? r->mode : "?",
            r->status ? r->status : "?", r->outcome ? r->outcome : "(running)");
    if (r->reason != NULL) {
        fprintf(out, "  reason: %s\n", r->reason);
    }
    text_metrics(out, r);
    fprintf(out, "  %-12s %8s %8s %8s %8s %8s\n", "latency (us)", "count", "p50", "p90", "p99",
            "max");
    text_latency_row(out, "flash reads", &reads, "never completed");
    text_latency_row(out, "waits", &waits, "never ready");
    text_latency_row(out, "chunks", &chunks, "not delivered");
    text_faults(out, r);
    text_violations(out, r);
    return ferror(out) ? -EIO : 0;
}

void report_text_outcomes(FILE *out, const report_overview_t *ov)
{
    fprintf(out, "outcomes over %" PRIu64 " run(s): %s\n", ov->runs,
            ov->runs ? ov->outcomes : "none");
}
