/*
 * Reports: the HTML page. One file that opens anywhere without a network:
 * inline CSS, inline SVG drawn here, no script, no font or image to fetch.
 * Every text that comes from the database goes through report_html_escape().
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Timeline geometry. */
#define TL_WIDTH_PX     1200
#define TL_LABEL_PX     130
#define TL_RIGHT_PX     20
#define TL_PLOT_PX      (TL_WIDTH_PX - TL_LABEL_PX - TL_RIGHT_PX)
#define TL_AXIS_PX      28
#define TL_ROW_PX       18
#define TL_ROW_GAP_PX   3
#define TL_TRACK_GAP_PX 14
#define TL_FILL_PX      48
#define TL_TICKS_WANTED 8
#define TL_MIN_RECT_PX  0.8
/* The default window ends this fraction (1/N) of the run after its last event. */
#define TL_END_MARGIN_DIV 100
/* More spans than this in view are drawn as coverage per bin, not one by one. */
#define TL_ITEMS_MAX 1500
#define TL_BIN_PX    2
/* More counter steps than this in view are drawn as the maximum per pixel. */
#define TL_STEPS_MAX 4000

/* Histogram geometry: three panels side by side. */
#define HG_PANEL_PX     390
#define HG_PANEL_GAP_PX 12
#define HG_PANEL_H_PX   250
#define HG_PLOT_H_PX    150
#define HG_LEFT_PX      40
#define HG_RIGHT_PX     28 /* room for the last decade's label */
#define HG_PLOT_W_PX    (HG_PANEL_PX - HG_LEFT_PX - HG_RIGHT_PX)
#define HG_TOP_PX       58
#define HG_P99_LABEL_Y  30 /* p50 and p99 labels on two lines: they meet when equal */
#define HG_P50_LABEL_Y  42
#define HG_BINS_PER_DEC 4
#define HG_LABEL_MIN_PX 14 /* bars narrower than this carry their count in the tooltip only */

#define HTML_VIOLATIONS_MAX 100

static const char html_css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;"
    "color:#222;background:#fff;max-width:1240px}p{font-size:14px}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;"
    "border-bottom:1px solid #ddd;padding-bottom:4px}"
    ".sub{color:#555;margin:0 0 12px}"
    ".cards{display:flex;flex-wrap:wrap;gap:8px}"
    ".card{border:1px solid #ddd;border-radius:6px;padding:6px 10px;min-width:110px}"
    ".card b{display:block;font-size:17px}.card span{color:#666;font-size:12px}"
    "table{border-collapse:collapse;font-size:13px}"
    "th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}"
    "th{background:#f4f4f4}td.l,th.l{text-align:left}"
    "tr.sel td{background:#fff7d6}"
    ".ok{color:#1a7f37;font-weight:600}.bad{color:#c62828;font-weight:600}"
    ".note{color:#666;font-size:12px}"
    "svg{max-width:100%;height:auto;font-size:11px;display:block}"
    "svg text{fill:#333}"
    ".legend span{display:inline-block;margin-right:14px;font-size:12px}"
    ".legend i{display:inline-block;width:12px;height:10px;margin-right:4px;"
    "vertical-align:middle}"
    "td.cell{min-width:44px;text-align:center}code{font-size:12px;word-break:break-all}"
    "section.run{border-top:3px solid #ddd;margin-top:32px}";

/* Track colours (Tableau 10, readable on white). */
#define C_READ    "#4e79a7"
#define C_PROGRAM "#59a14f"
#define C_ERASE   "#f28e2b"
#define C_FAULT   "#e15759"
#define C_WAIT    "#b07aa1"
#define C_CHUNK   "#76b7b2"
#define C_LINK    "#edc948"
#define C_FILL    "#9c755f"

/* The characters markup gives a meaning to, and the entity each stands for. */
static const struct {
    char c;
    const char *entity;
} html_entities[] = {
    {'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&quot;"}, {'\'', "&apos;"},
};

static void html_escape_char(FILE *out, unsigned char c)
{
    for (size_t i = 0; i < sizeof html_entities / sizeof html_entities[0]; i++) {
        if (c == (unsigned char)html_entities[i].c) {
            fputs(html_entities[i].entity, out);
            return;
        }
    }
    /* JUnit files use this too: XML 1.0 allows no control characters. */
    fputc(c < 0x20 && c != '\t' && c != '\n' && c != '\r' ? '?' : c, out);
}

void report_html_escape(FILE *out, const char *text)
{
    for (const char *p = text ? text : ""; *p != '\0'; p++)
        html_escape_char(out, (unsigned char)*p);
}

/* "656 µs", "30.558 ms", "30.362 s": a duration or instant for people. */
static const char *fmt_time(char *buf, size_t len, uint64_t us)
{
    if (us >= 1000000u) {
        snprintf(buf, len, "%.3f s", (double)us / 1e6);
    } else if (us >= 1000u) {
        snprintf(buf, len, "%.3f ms", (double)us / 1e3);
    } else {
        snprintf(buf, len, "%" PRIu64 " \xc2\xb5s", us);
    }
    return buf;
}

int report_window_parse(const char *text, report_html_options_t *opt)
{
    const char *colon = strchr(text, ':');
    if (colon == NULL) {
        return -EINVAL;
    }
    uint64_t v[2] = {0, REPORT_TIME_NONE};
    const char *part[2] = {text, colon + 1};
    size_t plen[2] = {(size_t)(colon - text), strlen(colon + 1)};
    for (int i = 0; i < 2; i++) {
        if (plen[i] == 0) {
            continue;
        }
        char *end;
        errno = 0;
        unsigned long long x = strtoull(part[i], &end, 10);
        if (errno != 0 || end != part[i] + plen[i] || part[i][0] == '-' || part[i][0] == '+') {
            return -EINVAL;
        }
        v[i] = x;
    }
    if (v[1] != REPORT_TIME_NONE && v[1] <= v[0]) {
        return -EINVAL;
    }
    opt->window_start_us = v[0];
    opt->window_end_us = v[1];
    return 0;
}

/* ---- page head and summary ---- */

static bool outcome_good(const char *outcome)
{
    return outcome != NULL && strcmp(outcome, "ok") == 0;
}

static void html_card(FILE *out, const char *value, const char *label)
{
    fputs("<div class=\"card\"><b>", out);
    report_html_escape(out, value);
    fputs("</b><span>", out);
    report_html_escape(out, label);
    fputs("</span></div>\n", out);
}

void report_html_run_line(FILE *out, const report_run_t *r)
{
    fputs("<p class=\"sub\">", out);
    fprintf(out, "run %" PRId64 " &middot; seed %" PRIu64 " &middot; ", r->run_id, r->seed);
    report_html_escape(out, r->mode);
    fputs(" &middot; ", out);
    report_html_escape(out, r->status);
    fprintf(out, " &middot; outcome <span class=\"%s\">", outcome_good(r->outcome) ? "ok" : "bad");
    report_html_escape(out, r->outcome ? r->outcome : "(running)");
    fputs("</span>", out);
    if (r->reason != NULL) {
        fputs(" &middot; ", out);
        report_html_escape(out, r->reason);
    }
    fputs("</p>\n", out);
}

static void html_head(FILE *out, const report_run_t *r)
{
    char title[256];
    snprintf(title, sizeof(title), "chunksim report: run %" PRId64 " %s", r->run_id,
             r->scenario ? r->scenario : "?");
    report_html_doc_head(out, title);
    fputs("<h1>chunksim report: ", out);
    report_html_escape(out, r->scenario);
    fputs("</h1>\n", out);
    report_html_run_line(out, r);
}

static void html_cards(FILE *out, const report_run_t *r)
{
    char v[64], t[32];
    fputs("<div class=\"cards\">\n", out);
    if (r->finished) {
        html_card(out, fmt_time(t, sizeof(t), r->drain_us), "drain");
        snprintf(v, sizeof(v), "%" PRIu64 " B", r->message_bytes);
        html_card(out, v, "message");
        snprintf(v, sizeof(v), "%.0f B/s", report_bytes_per_s(r->message_bytes, r->drain_us));
        html_card(out, v, "throughput");
        html_card(out, fmt_time(t, sizeof(t), r->bound_us), "bound");
        snprintf(v, sizeof(v), "%.3f", r->efficiency);
        html_card(out, v, "efficiency (bound / drain)");
        html_card(out, fmt_time(t, sizeof(t), r->flash_busy_us), "flash busy");
        html_card(out, fmt_time(t, sizeof(t), r->link_busy_us), "link busy");
        snprintf(v, sizeof(v), "%" PRIu64, r->chunk_count);
        html_card(out, v, "chunks");
        snprintf(v, sizeof(v), "%" PRIu64, r->faults_injected);
        html_card(out, v, "faults injected");
    } else {
        html_card(out, "-", "no metrics: the run did not finish");
    }
    snprintf(v, sizeof(v), "%zu", r->n_waits);
    html_card(out, v, "waits");
    snprintf(v, sizeof(v), "%zu", r->n_violations);
    html_card(out, v, "violations");
    fputs("</div>\n", out);
}

static void html_stats_row(FILE *out, const char *what, const report_stats_t *st,
                           const char *unfinished)
{
    char b[5][32];
    fprintf(out, "<tr><td class=\"l\">%s</td><td>%zu</td>", what, st->n);
    if (st->n == 0) {
        fputs("<td>-</td><td>-</td><td>-</td><td>-</td><td>-</td>", out);
    } else {
        fprintf(out, "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>",
                fmt_time(b[0], sizeof(b[0]), st->min_us), fmt_time(b[1], sizeof(b[1]), st->p50_us),
                fmt_time(b[2], sizeof(b[2]), st->p90_us), fmt_time(b[3], sizeof(b[3]), st->p99_us),
                fmt_time(b[4], sizeof(b[4]), st->max_us));
    }
    fprintf(out, "<td>%zu %s</td></tr>\n", st->unfinished, unfinished);
}

static void html_latency_table(FILE *out, const report_stats_t st[3])
{
    fputs("<h2>Latency</h2>\n<table>\n<tr><th class=\"l\">what</th><th>count</th><th>min</th>"
          "<th>p50</th><th>p90</th><th>p99</th><th>max</th><th>left out</th></tr>\n",
          out);
    html_stats_row(out, "flash reads (device time)", &st[0], "never completed");
    html_stats_row(out, "waits (WAIT to READY)", &st[1], "never ready");
    html_stats_row(out, "chunks (produced to sent)", &st[2], "not delivered");
    fputs("</table>\n<p class=\"note\">Percentiles by nearest rank: always a measured "
          "value.</p>\n",
          out);
}

/* ---- timeline ---- */

typedef struct {
    FILE *out;
    uint64_t ws, we; /* window shown */
    double y;        /* top of the next track */
} tl_t;

static double tl_x(const tl_t *tl, uint64_t t)
{
    uint64_t c = t < tl->ws ? tl->ws : t > tl->we ? tl->we : t;
    return TL_LABEL_PX + (double)(c - tl->ws) * TL_PLOT_PX / (double)(tl->we - tl->ws);
}

static uint64_t tl_nice_step(uint64_t span)
{
    uint64_t raw = span / TL_TICKS_WANTED;
    uint64_t mag = 1;
    while (mag * 10 <= raw) {
        mag *= 10;
    }
    return raw >= 5 * mag ? 5 * mag : raw >= 2 * mag ? 2 * mag : mag;
}

/* A tick in the unit of the window's end, with the decimals the step needs. */
static void tl_tick_label(char *buf, size_t len, uint64_t t, uint64_t step, uint64_t we)
{
    static const struct {
        uint64_t us;
        const char *unit;
    } units[] = {{1000000u, "s"}, {1000u, "ms"}, {1u, "\xc2\xb5s"}};
    size_t u = 0;
    while (u < 2 && we < units[u].us) {
        u++;
    }
    int decimals = 0;
    for (uint64_t d = units[u].us; d > step && d > 1; d /= 10) {
        decimals++;
    }
    snprintf(buf, len, "%.*f %s", decimals, (double)t / (double)units[u].us, units[u].unit);
}

static void tl_axis(tl_t *tl, double height)
{
    uint64_t step = tl_nice_step(tl->we - tl->ws);
    uint64_t first = (tl->ws + step - 1) / step * step;
    for (uint64_t t = first; t <= tl->we; t += step) {
        char label[32];
        double x = tl_x(tl, t);
        tl_tick_label(label, sizeof(label), t, step, tl->we);
        fprintf(tl->out,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                x, TL_AXIS_PX - 6, x, height, x, TL_AXIS_PX - 10, label);
        if (t > UINT64_MAX - step) {
            break;
        }
    }
}

static void tl_label(tl_t *tl, const char *name, const char *note, double height)
{
    fprintf(tl->out, "<text x=\"4\" y=\"%.1f\" font-weight=\"600\">%s</text>", tl->y + 12, name);
    if (note != NULL) {
        fprintf(tl->out, "<text x=\"4\" y=\"%.1f\" fill=\"#777\">", tl->y + 25);
        report_html_escape(tl->out, note);
        fputs("</text>", tl->out);
    }
    fprintf(tl->out,
            "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"none\" "
            "stroke=\"#eee\"/>\n",
            TL_LABEL_PX, tl->y - 2, TL_PLOT_PX, height + 4);
}

static bool tl_visible(const tl_t *tl, const report_span_t *s)
{
    uint64_t end = s->end_us == REPORT_TIME_NONE ? s->start_us : s->end_us;
    return end >= tl->ws && s->start_us < tl->we;
}

/* One span as a rect; an unfinished one as a marker at its start. */
static void tl_rect(tl_t *tl, const report_span_t *s, double y, const char *fill,
                    const char *stroke, const char *title, const char *title_extra)
{
    char a[32], b[32], d[32];
    const char *close;
    if (s->end_us == REPORT_TIME_NONE) {
        double x = tl_x(tl, s->start_us);
        fprintf(tl->out, "<path d=\"M%.1f %.1fl4 %dh-8z\" fill=\"" C_FAULT "\"><title>", x, y,
                TL_ROW_PX);
        report_html_escape(tl->out, title);
        fprintf(tl->out, " at %s, never ended", fmt_time(a, sizeof(a), s->start_us));
        close = "</title></path>\n";
    } else {
        double x1 = tl_x(tl, s->start_us), x2 = tl_x(tl, s->end_us);
        double w = x2 - x1 < TL_MIN_RECT_PX ? TL_MIN_RECT_PX : x2 - x1;
        fprintf(tl->out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"%s\"", x1,
                y, w, TL_ROW_PX, fill);
        if (stroke != NULL) {
            fprintf(tl->out, " stroke=\"%s\" stroke-width=\"0.5\"", stroke);
        }
        fputs("><title>", tl->out);
        report_html_escape(tl->out, title);
        fprintf(tl->out, ": %s to %s (%s)", fmt_time(a, sizeof(a), s->start_us),
                fmt_time(b, sizeof(b), s->end_us), fmt_time(d, sizeof(d), s->end_us - s->start_us));
        close = "</title></rect>\n";
    }
    if (title_extra != NULL) {
        fputc(' ', tl->out);
        report_html_escape(tl->out, title_extra);
    }
    fputs(close, tl->out);
}

/* Many spans: per bin of TL_BIN_PX, the share of time some span covered, as bar height. */
typedef struct {
    double *covered_us;
    uint32_t *started;
    size_t n;
    double bin_us;
} tl_bins_t;

static int tl_bins_init(tl_t *tl, tl_bins_t *b)
{
    b->n = TL_PLOT_PX / TL_BIN_PX;
    b->bin_us = (double)(tl->we - tl->ws) / (double)b->n;
    b->covered_us = calloc(b->n, sizeof(*b->covered_us));
    b->started = calloc(b->n, sizeof(*b->started));
    return b->covered_us && b->started ? 0 : -ENOMEM;
}

static void tl_bins_add(const tl_t *tl, tl_bins_t *b, const report_span_t *s)
{
    uint64_t end = s->end_us == REPORT_TIME_NONE ? s->start_us : s->end_us;
    double a = (double)((s->start_us < tl->ws ? tl->ws : s->start_us) - tl->ws);
    double e = (double)((end > tl->we ? tl->we : end) - tl->ws);
    size_t i0 = (size_t)(a / b->bin_us);
    if (i0 >= b->n) {
        i0 = b->n - 1;
    }
    if (s->start_us >= tl->ws) {
        b->started[i0]++;
    }
    for (size_t i = i0; i < b->n && (double)i * b->bin_us < e; i++) {
        double lo = (double)i * b->bin_us, hi = lo + b->bin_us;
        double part = (e < hi ? e : hi) - (a > lo ? a : lo);
        b->covered_us[i] += part > 0 ? part : 0;
    }
}

/* Share of a bin's time some span covered, at most 1 (overlapping spans count once at most). */
static double tl_bin_frac(const tl_bins_t *b, size_t i)
{
    double frac = b->covered_us[i] / b->bin_us;
    return frac > 1 ? 1 : frac;
}

static double tl_bins_peak(const tl_bins_t *b)
{
    double peak = 0;
    for (size_t i = 0; i < b->n; i++) {
        peak = tl_bin_frac(b, i) > peak ? tl_bin_frac(b, i) : peak;
    }
    return peak;
}

/* Bar heights scaled to the busiest bin: a link busy 7% of the time still shows its shape. */
static void tl_bins_draw(tl_t *tl, const tl_bins_t *b, const char *fill, const char *what)
{
    double peak = tl_bins_peak(b);
    for (size_t i = 0; i < b->n; i++) {
        double frac = tl_bin_frac(b, i);
        if (frac <= 0 && b->started[i] == 0) {
            continue;
        }
        double h = peak > 0 ? frac / peak * TL_ROW_PX : 0;
        h = h < 1 ? 1 : h;
        char a[32];
        fprintf(tl->out,
                "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\">"
                "<title>from %s: %u %s started, %.0f%% of the time covered</title></rect>\n",
                TL_LABEL_PX + (int)i * TL_BIN_PX, tl->y + TL_ROW_PX - h, TL_BIN_PX, h, fill,
                fmt_time(a, sizeof(a), tl->ws + (uint64_t)((double)i * b->bin_us)), b->started[i],
                what, 100 * frac);
    }
}

static void tl_bins_free(tl_bins_t *b)
{
    free(b->covered_us);
    free(b->started);
}

/* Counts the spans of a track in view. */
static size_t tl_count(const tl_t *tl, const void *items, size_t n, size_t stride,
                       size_t span_offset)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const report_span_t *s =
            (const report_span_t *)((const char *)items + i * stride + span_offset);
        k += tl_visible(tl, s) && s->start_us != REPORT_TIME_NONE;
    }
    return k;
}

/*
 * A track of spans: each item holds one at span_offset. Drawn span by span,
 * it is rows_px high and draw draws one item in view; binned, fill and what.
 */
typedef struct tl_track {
    const char *name;
    const void *items;
    size_t n, stride, span_offset;
    const char *fill, *what;
    double rows_px;
    void (*draw)(tl_t *tl, const void *item);
} tl_track_t;

/* A track drawn as coverage bins. */
static int tl_track_binned(tl_t *tl, const tl_track_t *t, size_t in_view)
{
    tl_bins_t b;
    int rc = tl_bins_init(tl, &b);
    if (rc == 0) {
        for (size_t i = 0; i < t->n; i++) {
            const report_span_t *s =
                (const report_span_t *)((const char *)t->items + i * t->stride + t->span_offset);
            if (s->start_us != REPORT_TIME_NONE && tl_visible(tl, s)) {
                tl_bins_add(tl, &b, s);
            }
        }
        char note[64];
        snprintf(note, sizeof(note), "%zu, peak %.0f%%", in_view, 100 * tl_bins_peak(&b));
        tl_label(tl, t->name, note, TL_ROW_PX);
        tl_bins_draw(tl, &b, t->fill, t->what);
        tl->y += TL_ROW_PX + TL_TRACK_GAP_PX;
    }
    tl_bins_free(&b);
    return rc;
}

static double tl_row_y(const tl_t *tl, uint32_t lane)
{
    return tl->y + lane * (TL_ROW_PX + TL_ROW_GAP_PX);
}

static double tl_rows_px(uint32_t lanes)
{
    lanes = lanes ? lanes : 1;
    return lanes * TL_ROW_PX + (lanes - 1) * TL_ROW_GAP_PX;
}

static const char *op_fill(const report_flash_op_t *op)
{
    if (op->fault != NULL || op->status != 0) {
        return C_FAULT;
    }
    if (strcmp(op->kind, "read") == 0) {
        return C_READ;
    }
    return strstr(op->kind, "erase") ? C_ERASE : C_PROGRAM;
}

/* A track with more than TL_ITEMS_MAX spans in view binned, else span by span. */
static int tl_track(tl_t *tl, const tl_track_t *t)
{
    size_t k = tl_count(tl, t->items, t->n, t->stride, t->span_offset);
    if (k > TL_ITEMS_MAX)
        return tl_track_binned(tl, t, k);
    char note[32];
    snprintf(note, sizeof(note), "%zu in view", k);
    tl_label(tl, t->name, note, t->rows_px);
    for (size_t i = 0; i < t->n; i++) {
        const char *item = (const char *)t->items + i * t->stride;
        const report_span_t *s = (const report_span_t *)(item + t->span_offset);
        if (s->start_us != REPORT_TIME_NONE && tl_visible(tl, s))
            t->draw(tl, item);
    }
    tl->y += t->rows_px + TL_TRACK_GAP_PX;
    return 0;
}

static void tl_draw_op(tl_t *tl, const void *item)
{
    const report_flash_op_t *op = item;
    char title[96], extra[160];
    snprintf(title, sizeof(title), "#%" PRIu64 " %s %" PRIu32 " B at 0x%" PRIx32, op->seq, op->kind,
             op->len, op->addr);
    snprintf(extra, sizeof(extra), "status %s%s%s",
             op->status_name ? op->status_name : (op->status ? "error" : "ok"),
             op->fault ? ", fault " : "", op->fault ? op->fault : "");
    tl_rect(tl, &op->span, tl_row_y(tl, op->span.lane), op_fill(op), NULL, title, extra);
}

static int tl_flash(tl_t *tl, const report_run_t *r)
{
    const tl_track_t t = {"flash ops", r->ops, r->n_ops,     sizeof(r->ops[0]),
                          0,           C_READ, "operations", tl_rows_px(r->lanes_ops),
                          tl_draw_op};
    return tl_track(tl, &t);
}

static void tl_draw_wait(tl_t *tl, const void *item)
{
    const report_wait_t *w = item;
    char title[64], extra[48];
    snprintf(title, sizeof(title), "wait from call %" PRIu64, w->call_seq);
    snprintf(extra, sizeof(extra), "(%" PRIu32 " WAIT answers)", w->prepares);
    tl_rect(tl, &w->span, tl->y, C_WAIT, NULL, title, extra);
}

static int tl_waits(tl_t *tl, const report_run_t *r)
{
    const tl_track_t t = {"waits", r->waits, r->n_waits, sizeof(r->waits[0]), 0,
                          C_WAIT,  "waits",  TL_ROW_PX,  tl_draw_wait};
    return tl_track(tl, &t);
}

static void tl_draw_chunk(tl_t *tl, const void *item)
{
    const report_chunk_t *c = item;
    char title[64], extra[128];
    snprintf(title, sizeof(title), "chunk %" PRIu64 " (%" PRIu32 " B)", c->seq, c->len);
    snprintf(extra, sizeof(extra), "%s%s, %" PRIu32 " retransmissions", c->flags ? c->flags : "",
             c->delivered ? "" : " NOT DELIVERED", c->retransmissions);
    tl_rect(tl, &c->span, tl_row_y(tl, c->span.lane), C_CHUNK, "#fff", title, extra);
}

static int tl_chunks(tl_t *tl, const report_run_t *r)
{
    const tl_track_t t = {"chunks",
                          r->chunks,
                          r->n_chunks,
                          sizeof(r->chunks[0]),
                          0,
                          C_CHUNK,
                          "chunks",
                          tl_rows_px(r->lanes_chunks),
                          tl_draw_chunk};
    return tl_track(tl, &t);
}

static void tl_draw_send(tl_t *tl, const void *item)
{
    const report_chunk_t *c = item;
    char title[64];
    snprintf(title, sizeof(title), "send of chunk %" PRIu64, c->seq);
    tl_rect(tl, &c->link, tl->y, C_LINK, NULL, title, NULL);
}

static int tl_link(tl_t *tl, const report_run_t *r)
{
    if (!r->link_known) {
        tl_label(tl, "link sends", "unknown", TL_ROW_PX);
        fprintf(tl->out,
                "<text x=\"%d\" y=\"%.1f\" fill=\"#777\">the stored scenario no longer loads: "
                "air time unknown</text>\n",
                TL_LABEL_PX + 6, tl->y + 12);
        tl->y += TL_ROW_PX + TL_TRACK_GAP_PX;
        return 0;
    }
    const tl_track_t t = {
        "link sends", r->chunks, r->n_chunks, sizeof(r->chunks[0]), offsetof(report_chunk_t, link),
        C_LINK,       "sends",   TL_ROW_PX,   tl_draw_send};
    return tl_track(tl, &t);
}

/* The value of a step series at t. */
static uint64_t series_at(const report_point_t *p, size_t n, uint64_t t, size_t *idx)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && p[i].t_us <= t) {
        v = p[i++].value;
    }
    *idx = i;
    return v;
}

static void tl_fill(tl_t *tl, const report_run_t *r)
{
    const report_point_t *p = r->window_fill;
    size_t n = r->n_window_fill, i;
    uint64_t vmax = 1;
    for (size_t k = 0; k < n; k++) {
        vmax = p[k].value > vmax ? p[k].value : vmax;
    }
    char note[48];
    snprintf(note, sizeof(note), "max %" PRIu64 " B", vmax);
    tl_label(tl, "window fill", note, TL_FILL_PX);
    double base = tl->y + TL_FILL_PX;
    double scale = TL_FILL_PX / (double)vmax;
    uint64_t v = series_at(p, n, tl->ws, &i);
    size_t steps = 0;
    for (size_t k = i; k < n && p[k].t_us < tl->we; k++) {
        steps++;
    }
    fprintf(tl->out,
            "<path fill=\"" C_FILL "\" fill-opacity=\"0.55\" stroke=\"" C_FILL
            "\" stroke-width=\"0.8\" d=\"M%d %.1f",
            TL_LABEL_PX, base);
    if (steps <= TL_STEPS_MAX) {
        fprintf(tl->out, "V%.1f", base - (double)v * scale);
        for (; i < n && p[i].t_us < tl->we; i++) {
            fprintf(tl->out, "H%.1fV%.1f", tl_x(tl, p[i].t_us), base - (double)p[i].value * scale);
        }
    } else {
        /* Too many steps for the pixels: the highest fill within each pixel column. */
        for (int px = 0; px < TL_PLOT_PX; px++) {
            uint64_t t_end =
                tl->ws + (uint64_t)((double)(px + 1) * (double)(tl->we - tl->ws) / TL_PLOT_PX);
            uint64_t m = v;
            for (; i < n && p[i].t_us < t_end; i++) {
                v = p[i].value;
                m = v > m ? v : m;
            }
            fprintf(tl->out, "V%.1fH%d", base - (double)m * scale, TL_LABEL_PX + px + 1);
        }
    }
    fprintf(tl->out,
            "H%d V%.1fz\"><title>bytes held in the RAM window ahead of the "
            "packetizer (estimate)</title></path>\n",
            TL_LABEL_PX + TL_PLOT_PX, base);
    tl->y += TL_FILL_PX + TL_TRACK_GAP_PX;
}

static void tl_violations(tl_t *tl, const report_run_t *r, double height)
{
    for (size_t i = 0; i < r->n_violations; i++) {
        const report_violation_t *v = &r->violations[i];
        if (v->t_us < tl->ws || v->t_us > tl->we) {
            continue;
        }
        double x = tl_x(tl, v->t_us);
        char a[32];
        fprintf(tl->out,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_FAULT
                "\" stroke-width=\"2\"><title>violation at %s: ",
                x, TL_AXIS_PX, x, height, fmt_time(a, sizeof(a), v->t_us));
        report_html_escape(tl->out, v->invariant);
        if (v->detail != NULL) {
            fputs(": ", tl->out);
            report_html_escape(tl->out, v->detail);
        }
        fputs("</title></line>\n", tl->out);
    }
}

static double tl_height(const report_run_t *r)
{
    return TL_AXIS_PX + tl_rows_px(r->lanes_ops) + tl_rows_px(r->lanes_chunks) + 2 * TL_ROW_PX +
           TL_FILL_PX + 5 * TL_TRACK_GAP_PX;
}

static int html_timeline(FILE *out, const report_run_t *r, const report_html_options_t *opt)
{
    tl_t tl = {.out = out, .ws = opt->window_start_us, .we = opt->window_end_us, .y = TL_AXIS_PX};
    if (tl.we == REPORT_TIME_NONE) {
        /* A margin past the last event, so that what happens at the very end shows. */
        tl.we = r->end_us + r->end_us / TL_END_MARGIN_DIV + 1;
    }
    if (tl.we <= tl.ws) {
        tl.we = tl.ws + 1;
    }
    char a[32], b[32];
    fprintf(out,
            "<h2>Timeline</h2>\n<p class=\"note\">%s to %s. Flash operations, waits (a "
            "prepare answered WAIT until one answered READY), chunks from production to "
            "the link's ack, the link's air time, and the estimated RAM window fill, on "
            "one time axis. Hover for details. Zoom with <code>chunksim report --window "
            "START_US:END_US</code>.</p>\n",
            fmt_time(a, sizeof(a), tl.ws), fmt_time(b, sizeof(b), tl.we));
    double h = tl_height(r);
    fprintf(out,
            "<svg width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" role=\"img\" "
            "aria-label=\"timeline\">\n",
            TL_WIDTH_PX, h, TL_WIDTH_PX, h);
    tl_axis(&tl, h);
    int rc = tl_flash(&tl, r);
    rc = rc < 0 ? rc : tl_waits(&tl, r);
    rc = rc < 0 ? rc : tl_chunks(&tl, r);
    rc = rc < 0 ? rc : tl_link(&tl, r);
    if (rc == 0) {
        tl_fill(&tl, r);
        tl_violations(&tl, r, h);
    }
    fputs("</svg>\n<p class=\"legend\">"
          "<span><i style=\"background:" C_READ "\"></i>read</span>"
          "<span><i style=\"background:" C_PROGRAM "\"></i>program</span>"
          "<span><i style=\"background:" C_ERASE "\"></i>erase</span>"
          "<span><i style=\"background:" C_FAULT "\"></i>fault, error, never ended, "
          "violation</span>"
          "<span><i style=\"background:" C_WAIT "\"></i>wait</span>"
          "<span><i style=\"background:" C_CHUNK "\"></i>chunk</span>"
          "<span><i style=\"background:" C_LINK "\"></i>link send</span>"
          "<span><i style=\"background:" C_FILL "\"></i>window fill</span></p>\n",
          out);
    fprintf(out,
            "<p class=\"note\">A track with more than %d spans in view is drawn as bars per "
            "%d px: height is the share of that time some span covered, scaled to the "
            "track's peak (its label gives the peak; hover a bar for its share).</p>\n",
            TL_ITEMS_MAX, TL_BIN_PX);
    return rc;
}

/* ---- histograms ---- */

typedef struct {
    const char *title;
    uint64_t *v; /* sorted */
    size_t n;
    report_stats_t st;
    const char *fill;
} hg_series_t;

/* Bin of v with HG_BINS_PER_DEC bins per decade from 10^dec0 µs (0 µs counts as 1). */
static int hg_bin(uint64_t v, int dec0)
{
    double l = log10(v ? (double)v : 1.0);
    return (int)floor((l - dec0) * HG_BINS_PER_DEC + 1e-9);
}

static double hg_x(double panel_x, int nbins, double pos)
{
    return panel_x + HG_LEFT_PX + pos * HG_PLOT_W_PX / nbins;
}

static void hg_decade_label(char *buf, size_t len, int dec)
{
    static const char *const units[] = {"\xc2\xb5s", "ms", "s"};
    int u = dec / 3 > 2 ? 2 : dec / 3;
    double value = pow(10, dec - 3 * u);
    snprintf(buf, len, "%g %s", value, units[u]);
}

static void hg_marker(FILE *out, double px, int dec0, int nbins, uint64_t v, const char *label,
                      const char *dash, int label_y)
{
    double pos = (log10(v ? (double)v : 1.0) - dec0) * HG_BINS_PER_DEC;
    double x = hg_x(px, nbins, pos);
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\" "
            "stroke-dasharray=\"%s\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
            x, label_y + 3, x, HG_TOP_PX + HG_PLOT_H_PX, dash, x, label_y, label);
}

/* The count axis (0 to cmax) and the latency axis, one tick per decade. */
static void hg_axes(FILE *out, double px, int dec0, int dec1, int nbins, uint64_t cmax)
{
    double y0 = HG_TOP_PX + HG_PLOT_H_PX;
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>"
            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\">%" PRIu64 "</text>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">0</text>\n",
            hg_x(px, nbins, 0), y0, hg_x(px, nbins, nbins), y0, px + HG_LEFT_PX - 4, HG_TOP_PX + 4,
            cmax, px + HG_LEFT_PX - 4, y0);
    for (int d = dec0; d <= dec1; d++) {
        char label[32];
        double x = hg_x(px, nbins, (d - dec0) * HG_BINS_PER_DEC);
        hg_decade_label(label, sizeof(label), d);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                x, y0, x, y0 + 4, x, y0 + 16, label);
    }
}

static int hg_panel(FILE *out, int index, const hg_series_t *s)
{
    double px = index * (HG_PANEL_PX + HG_PANEL_GAP_PX);
    fprintf(out, "<text x=\"%.0f\" y=\"16\" font-weight=\"600\">%s (n=%zu)</text>\n", px + 4,
            s->title, s->n);
    if (s->n == 0) {
        fprintf(out, "<text x=\"%.0f\" y=\"%d\" fill=\"#777\">no data</text>\n", px + 60,
                HG_TOP_PX + HG_PLOT_H_PX / 2);
        return 0;
    }
    int dec0 = (int)floor(log10(s->v[0] ? (double)s->v[0] : 1.0));
    int dec1 = (int)floor(log10(s->v[s->n - 1] ? (double)s->v[s->n - 1] : 1.0)) + 1;
    int nbins = (dec1 - dec0) * HG_BINS_PER_DEC;
    uint64_t *count = calloc((size_t)nbins, sizeof(*count));
    if (count == NULL) {
        return -ENOMEM;
    }
    uint64_t cmax = 1;
    for (size_t i = 0; i < s->n; i++) {
        int b = hg_bin(s->v[i], dec0);
        b = b < 0 ? 0 : b >= nbins ? nbins - 1 : b;
        cmax = ++count[b] > cmax ? count[b] : cmax;
    }
    double bw = HG_PLOT_W_PX / (double)nbins;
    for (int b = 0; b < nbins; b++) {
        if (count[b] == 0) {
            continue;
        }
        double h = (double)count[b] * HG_PLOT_H_PX / (double)cmax;
        h = h < 1 ? 1 : h;
        double x = hg_x(px, nbins, b), y = HG_TOP_PX + HG_PLOT_H_PX - h;
        char lo[32], hi[32];
        fmt_time(lo, sizeof(lo), (uint64_t)ceil(pow(10, dec0 + (double)b / HG_BINS_PER_DEC)));
        fmt_time(hi, sizeof(hi), (uint64_t)ceil(pow(10, dec0 + (b + 1.0) / HG_BINS_PER_DEC)));
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                "<title>%" PRIu64 " from %s to %s</title></rect>\n",
                x + 0.5, y, bw - 1, h, s->fill, count[b], lo, hi);
        if (bw >= HG_LABEL_MIN_PX) {
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%" PRIu64 "</text>\n",
                    x + bw / 2, y - 3, count[b]);
        }
    }
    free(count);
    hg_axes(out, px, dec0, dec1, nbins, cmax);
    double y0 = HG_TOP_PX + HG_PLOT_H_PX;
    hg_marker(out, px, dec0, nbins, s->st.p50_us, "p50", "none", HG_P50_LABEL_Y);
    hg_marker(out, px, dec0, nbins, s->st.p99_us, "p99", "4 3", HG_P99_LABEL_Y);
    fprintf(out,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#666\">latency, "
            "log scale; bars: count</text>\n",
            hg_x(px, nbins, nbins / 2.0), y0 + 32);
    return 0;
}

/* Durations of ended spans, sorted. */
static int hg_collect(const void *items, size_t n, size_t stride, bool reads_only, hg_series_t *s)
{
    s->v = malloc((n ? n : 1) * sizeof(*s->v));
    if (s->v == NULL) {
        return -ENOMEM;
    }
    s->n = 0;
    size_t unfinished = 0;
    for (size_t i = 0; i < n; i++) {
        const void *item = (const char *)items + i * stride;
        const report_span_t *sp = item;
        if (reads_only && strcmp(((const report_flash_op_t *)item)->kind, "read") != 0) {
            continue;
        }
        if (sp->end_us == REPORT_TIME_NONE) {
            unfinished++;
        } else {
            s->v[s->n++] = sp->end_us >= sp->start_us ? sp->end_us - sp->start_us : 0;
        }
    }
    report_stats_of(s->v, s->n, unfinished, &s->st);
    return 0;
}

static int html_histograms(FILE *out, const report_run_t *r)
{
    hg_series_t s[3] = {
        {.title = "flash read durations", .fill = C_READ},
        {.title = "waits", .fill = C_WAIT},
        {.title = "chunk latencies (produced to sent)", .fill = C_CHUNK},
    };
    int rc = hg_collect(r->ops, r->n_ops, sizeof(r->ops[0]), true, &s[0]);
    rc = rc < 0 ? rc : hg_collect(r->waits, r->n_waits, sizeof(r->waits[0]), false, &s[1]);
    rc = rc < 0 ? rc : hg_collect(r->chunks, r->n_chunks, sizeof(r->chunks[0]), false, &s[2]);
    int w = 3 * HG_PANEL_PX + 2 * HG_PANEL_GAP_PX;
    fprintf(out,
            "<h2>Latency histograms</h2>\n<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "role=\"img\" aria-label=\"latency histograms\">\n",
            w, HG_PANEL_H_PX, w, HG_PANEL_H_PX);
    for (int i = 0; rc == 0 && i < 3; i++) {
        rc = hg_panel(out, i, &s[i]);
    }
    fputs("</svg>\n", out);
    for (int i = 0; i < 3; i++) {
        free(s[i].v);
    }
    return rc;
}

/* ---- tables ---- */

static void html_violations(FILE *out, const report_run_t *r)
{
    if (r->n_violations == 0) {
        return;
    }
    fputs("<h2>Violations</h2>\n<table>\n<tr><th>time</th><th>call</th><th class=\"l\">"
          "invariant</th><th class=\"l\">detail</th></tr>\n",
          out);
    for (size_t i = 0; i < r->n_violations && i < HTML_VIOLATIONS_MAX; i++) {
        const report_violation_t *v = &r->violations[i];
        char a[32];
        fprintf(out, "<tr><td>%s</td><td>", fmt_time(a, sizeof(a), v->t_us));
        if (v->call_seq != REPORT_TIME_NONE) {
            fprintf(out, "%" PRIu64, v->call_seq);
        }
        fputs("</td><td class=\"l\">", out);
        report_html_escape(out, v->invariant);
        fputs("</td><td class=\"l\">", out);
        report_html_escape(out, v->detail);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
    if (r->n_violations > HTML_VIOLATIONS_MAX) {
        fprintf(out, "<p class=\"note\">%zu more not shown.</p>\n",
                r->n_violations - HTML_VIOLATIONS_MAX);
    }
}

static void html_faults(FILE *out, const report_run_t *r)
{
    if (r->n_faults == 0 && r->faults_injected == 0) {
        return;
    }
    fprintf(out, "<p>Faults injected: %" PRIu64, r->faults_injected);
    uint64_t per_op = 0;
    for (size_t i = 0; i < r->n_faults; i++) {
        fputs(i == 0 ? " (flash operations: " : ", ", out);
        report_html_escape(out, r->faults[i].kind);
        fprintf(out, " %" PRIu64, r->faults[i].count);
        per_op += r->faults[i].count;
    }
    fputs(r->n_faults ? ")" : "", out);
    if (r->faults_injected > per_op) {
        fprintf(out, "; %" PRIu64 " not on a recorded flash operation",
                r->faults_injected - per_op);
    }
    fputs(".</p>\n", out);
}

static void html_scenarios(FILE *out, const report_run_t *r, const report_overview_t *ov)
{
    fputs("<h2>Scenarios</h2>\n<p class=\"note\">Every run in the database, per scenario name; "
          "figures are means over the runs that finished. The scenario of this report is "
          "highlighted.</p>\n<table>\n<tr><th class=\"l\">scenario</th><th>runs</th>"
          "<th class=\"l\">outcomes</th><th>drain</th><th>message B/s</th>"
          "<th>efficiency</th><th>min efficiency</th><th>violations</th></tr>\n",
          out);
    for (size_t i = 0; i < ov->n_rows; i++) {
        const report_scenario_row_t *row = &ov->rows[i];
        bool sel = r->scenario != NULL && strcmp(row->scenario, r->scenario) == 0;
        bool all_ok = row->outcomes != NULL && strncmp(row->outcomes, "ok ", 3) == 0 &&
                      strchr(row->outcomes, ',') == NULL;
        fprintf(out, "<tr%s><td class=\"l\">", sel ? " class=\"sel\"" : "");
        report_html_escape(out, row->scenario);
        fprintf(out, "</td><td>%" PRIu64 "</td><td class=\"l %s\">", row->runs,
                all_ok ? "ok" : "bad");
        report_html_escape(out, row->outcomes);
        if (row->have_metrics) {
            char a[32];
            fprintf(out,
                    "</td><td>%s</td><td>%.0f</td><td>%.3f</td><td>%.3f</td><td>%" PRIu64
                    "</td></tr>\n",
                    fmt_time(a, sizeof(a), (uint64_t)row->drain_us_mean), row->bytes_per_s_mean,
                    row->efficiency_mean, row->efficiency_min, row->violations);
        } else {
            fprintf(out, "</td><td>-</td><td>-</td><td>-</td><td>-</td><td>%" PRIu64 "</td></tr>\n",
                    row->violations);
        }
    }
    fputs("</table>\n", out);
    fputs("<p>Outcomes over all runs: ", out);
    report_html_escape(out, ov->runs ? ov->outcomes : "none");
    fputs(".</p>\n", out);
}

int report_html_run_body(FILE *out, const report_run_t *r, const report_html_options_t *opt)
{
    report_stats_t st[3];
    int rc = report_run_stats(r, &st[0], &st[1], &st[2]);
    if (rc < 0) {
        return rc;
    }
    html_cards(out, r);
    html_latency_table(out, st);
    html_faults(out, r);
    rc = html_timeline(out, r, opt);
    rc = rc < 0 ? rc : html_histograms(out, r);
    if (rc == 0) {
        html_violations(out, r);
    }
    return rc;
}

void report_html_foot(FILE *out, const report_html_options_t *opt)
{
    fputs("<p class=\"note\">Written by chunksim report", out);
    if (opt->db_path != NULL) {
        fputs(" from ", out);
        report_html_escape(out, opt->db_path);
    }
    fputs(". Self-contained: no script, nothing fetched.</p>\n</body>\n</html>\n", out);
}

void report_html_doc_head(FILE *out, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          out);
    report_html_escape(out, title);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n", html_css);
}

int report_html_write(FILE *out, const report_run_t *r, const report_overview_t *ov,
                      const report_html_options_t *opt)
{
    html_head(out, r);
    int rc = report_html_run_body(out, r, opt);
    if (rc == 0) {
        html_scenarios(out, r, ov);
        report_html_foot(out, opt);
    }
    return rc < 0 ? rc : ferror(out) ? -EIO : 0;
}
