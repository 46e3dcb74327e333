/*
 * Reports: the campaign page (see report.h). Outcomes by matrix axis, one
 * table per pair of axes of each file, each table cell the runs that missed
 * their expect out of the runs with those two values; the failing cells with
 * their repro lines; the full report of the first failing run of each.
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Axes of one file, values of one axis: enough for any matrix people read as a table. */
#define AXES_MAX   16
#define VALUES_MAX 64
/* Failing cells listed in the table before the rest are only counted. */
#define FAILING_LISTED_MAX 500

typedef struct axis_value {
    char *text;
    uint64_t failed;
} axis_value_t;

typedef struct axis {
    char *key;
    axis_value_t values[VALUES_MAX];
    size_t n;
    bool more; /* values past VALUES_MAX were left out */
} axis_t;

/* The value of key in cell "k=v,k2=v2" (a value may hold '=' but not ",word="), or NULL. */
static char *cell_value(const char *cell, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = cell; p != NULL && *p != '\0';) {
        const char *next = p;
        /* The next item starts after a ',' followed by a key and '='. */
        for (next = strchr(next, ','); next != NULL; next = strchr(next + 1, ',')) {
            size_t w = strspn(next + 1, "abcdefghijklmnopqrstuvwxyz0123456789_");
            if (w > 0 && next[1 + w] == '=')
                break;
        }
        size_t len = next != NULL ? (size_t)(next - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=')
            return strndup(p + klen + 1, len - klen - 1);
        p = next != NULL ? next + 1 : NULL;
    }
    return NULL;
}

static int axis_add_keys(axis_t *axes, size_t *n, const char *cell)
{
    for (const char *p = cell; *p != '\0';) {
        size_t w = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
        if (w > 0 && p[w] == '=') {
            bool known = false;
            for (size_t i = 0; i < *n && !known; i++)
                known = strlen(axes[i].key) == w && strncmp(axes[i].key, p, w) == 0;
            if (!known && *n < AXES_MAX && (axes[(*n)++].key = strndup(p, w)) == NULL)
                return -ENOMEM;
        }
        const char *comma = strchr(p, ',');
        p = comma != NULL ? comma + 1 : p + strlen(p);
    }
    return 0;
}

/* Index of the cell's value on axis a ("-" when the cell has none), added when new; -1: full. */
static int axis_index(axis_t *a, const char *cell, uint64_t failed)
{
    char *v = cell_value(cell, a->key);
    const char *text = v != NULL ? v : "-";
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->values[i].text, text) == 0) {
            a->values[i].failed += failed;
            free(v);
            return (int)i;
        }
    }
    if (a->n == VALUES_MAX) {
        a->more = true;
        free(v);
        return -1;
    }
    a->values[a->n] = (axis_value_t){.text = v != NULL ? v : strdup("-"), .failed = failed};
    return a->values[a->n].text != NULL ? (int)a->n++ : -1;
}

static void axes_free(axis_t *axes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(axes[i].key);
        for (size_t j = 0; j < axes[i].n; j++)
            free(axes[i].values[j].text);
    }
}

/* Value order in a table: most failed runs first, then as met. */
static void axis_order(const axis_t *a, size_t *order)
{
    for (size_t i = 0; i < a->n; i++)
        order[i] = i;
    for (size_t i = 1; i < a->n; i++) {
        size_t k = order[i], j = i;
        for (; j > 0 && a->values[order[j - 1]].failed < a->values[k].failed; j--)
            order[j] = order[j - 1];
        order[j] = k;
    }
}

typedef struct grid {
    uint64_t runs[VALUES_MAX][VALUES_MAX], failed[VALUES_MAX][VALUES_MAX];
    /* 1 + the index of the worst failing cell counted there (cells come worst first); 0: none. */
    size_t worst[VALUES_MAX][VALUES_MAX];
} grid_t;

/* A share of runs missed, red by share; a failing one links to its worst cell's row. */
static void grid_cell(FILE *out, uint64_t runs, uint64_t failed, size_t worst)
{
    if (runs == 0) {
        fputs("<td class=\"cell\">&ndash;</td>", out);
        return;
    }
    double share = (double)failed / (double)runs;
    if (failed > 0)
        fprintf(out, "<td class=\"cell\" style=\"background:rgba(198,40,40,%.2f)\">",
                0.15 + 0.7 * share);
    else
        fputs("<td class=\"cell\" style=\"background:#e6f4ea\">", out);
    if (worst > 0 && worst <= FAILING_LISTED_MAX)
        fprintf(out, "<a href=\"#cell-%zu\">%" PRIu64 "/%" PRIu64 "</a></td>", worst - 1, failed,
                runs);
    else
        fprintf(out, "%" PRIu64 "/%" PRIu64 "</td>", failed, runs);
}

static void grid_write(FILE *out, const axis_t *ra, const axis_t *ca, const grid_t *g)
{
    size_t ro[VALUES_MAX], co[VALUES_MAX];
    axis_order(ra, ro);
    axis_order(ca, co);
    fputs("<table>\n<tr><th class=\"l\">", out);
    report_html_escape(out, ra->key);
    if (ca->key[0] != '\0') {
        fputs(" \\ ", out);
        report_html_escape(out, ca->key);
    }
    fputs("</th>", out);
    for (size_t j = 0; j < ca->n; j++) {
        fputs("<th>", out);
        report_html_escape(out, ca->values[co[j]].text);
        fputs("</th>", out);
    }
    fputs("</tr>\n", out);
    for (size_t i = 0; i < ra->n; i++) {
        fputs("<tr><th class=\"l\">", out);
        report_html_escape(out, ra->values[ro[i]].text);
        fputs("</th>", out);
        for (size_t j = 0; j < ca->n; j++)
            grid_cell(out, g->runs[ro[i]][co[j]], g->failed[ro[i]][co[j]], g->worst[ro[i]][co[j]]);
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
    if (ra->more || ca->more)
        fprintf(out, "<p class=\"note\">Only the first %d values of an axis are shown.</p>\n",
                VALUES_MAX);
}

/* One table per pair of axes (one table for a single axis) over the cells of file. */
static int file_tables(FILE *out, const report_cells_t *cs, const char *file)
{
    axis_t axes[AXES_MAX] = {0};
    size_t na = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < cs->n; i++) {
        if (strcmp(cs->cells[i].file, file) == 0)
            rc = axis_add_keys(axes, &na, cs->cells[i].cell);
    }
    grid_t *g = rc == 0 ? malloc(sizeof *g) : NULL;
    if (g == NULL)
        rc = -ENOMEM;
    for (size_t a = 0; rc == 0 && a < na; a++) {
        for (size_t b = na == 1 ? a : a + 1; b < na; b++) {
            memset(g, 0, sizeof *g);
            for (size_t i = 0; i < cs->n; i++) {
                const report_cell_t *c = &cs->cells[i];
                if (strcmp(c->file, file) != 0)
                    continue;
                int x = axis_index(&axes[a], c->cell, c->failed);
                int y = a == b ? 0 : axis_index(&axes[b], c->cell, c->failed);
                if (x >= 0 && y >= 0) {
                    g->runs[x][y] += c->runs;
                    g->failed[x][y] += c->failed;
                    if (c->failed > 0 && g->worst[x][y] == 0)
                        g->worst[x][y] = i + 1;
                }
            }
            axis_t all = {.key = "", .n = 1, .values = {{.text = "missed/runs"}}};
            grid_write(out, &axes[a], a == b ? &all : &axes[b], g);
            for (size_t k = 0; k < na; k++) /* the next table counts afresh */
                for (size_t v = 0; v < axes[k].n; v++)
                    axes[k].values[v].failed = 0;
        }
    }
    free(g);
    axes_free(axes, na);
    return rc;
}

/* Whether run id is among the runs given a section of their own (the first max_runs failing). */
static bool run_has_section(const report_cells_t *cs, int64_t run_id, size_t max_runs)
{
    for (size_t i = 0; i < cs->n && i < max_runs && cs->cells[i].failed > 0; i++) {
        if (cs->cells[i].failed_run == run_id)
            return true;
    }
    return false;
}

static void failing_table(FILE *out, const report_cells_t *cs, size_t max_runs)
{
    fprintf(out, "<h2>Failing cells</h2>\n");
    if (cs->failed_cells == 0) {
        fputs("<p class=\"ok\">Every run ended as its scenario expects.</p>\n", out);
        return;
    }
    fputs("<p class=\"note\">Most missed runs first. The first missed run of a cell links to "
          "its report below (the first cells') and its line reruns it alone.</p>\n<table>\n"
          "<tr><th class=\"l\">file</th><th class=\"l\">cell</th><th>missed/runs</th>"
          "<th class=\"l\">outcomes</th><th class=\"l\">first missed run</th>"
          "<th class=\"l\">repro</th></tr>\n",
          out);
    for (size_t i = 0; i < cs->n && i < FAILING_LISTED_MAX && cs->cells[i].failed > 0; i++) {
        const report_cell_t *c = &cs->cells[i];
        fprintf(out, "<tr id=\"cell-%zu\"><td class=\"l\">", i);
        report_html_escape(out, c->file);
        fputs("</td><td class=\"l\">", out);
        report_html_escape(out, c->cell);
        fprintf(out, "</td><td class=\"bad\">%" PRIu64 "/%" PRIu64 "</td><td class=\"l\">",
                c->failed, c->runs);
        report_cell_outcomes(out, c);
        if (run_has_section(cs, c->failed_run, max_runs))
            fprintf(out, "</td><td class=\"l\"><a href=\"#run-%" PRId64 "\">run %" PRId64 "</a>",
                    c->failed_run, c->failed_run);
        else
            fprintf(out, "</td><td class=\"l\">run %" PRId64, c->failed_run);
        fprintf(out, " seed %" PRIu64 " ", c->failed_seed);
        report_html_escape(out, c->failed_outcome);
        fputs("</td><td class=\"l\"><code>", out);
        report_html_escape(out, c->repro);
        fputs("</code></td></tr>\n", out);
    }
    fputs("</table>\n", out);
    if (cs->failed_cells > FAILING_LISTED_MAX)
        fprintf(out, "<p class=\"note\">... and %zu more failing cell(s).</p>\n",
                cs->failed_cells - FAILING_LISTED_MAX);
}

/* Each file once, in the order its first cell comes (failing files first). */
static int axis_tables(FILE *out, const report_cells_t *cs)
{
    fputs("<h2>Outcomes by axis</h2>\n<p class=\"note\">Per file, one table per pair of axes: "
          "runs that missed their expect / runs with both values; red deepens with the share "
          "missed, and a red entry links to the worst failing cell it counts. Values with the "
          "most missed runs first.</p>\n",
          out);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < cs->n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(cs->cells[j].file, cs->cells[i].file) == 0;
        if (seen)
            continue;
        fputs("<h3>", out);
        report_html_escape(out, cs->cells[i].file);
        fputs("</h3>\n", out);
        rc = file_tables(out, cs, cs->cells[i].file);
    }
    return rc;
}

static int run_sections(FILE *out, struct sqlite3 *db, const report_cells_t *cs,
                        const report_html_options_t *opt, size_t max_runs)
{
    char err[256];
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < cs->n && i < max_runs && cs->cells[i].failed > 0; i++) {
        const report_cell_t *c = &cs->cells[i];
        report_run_t run;
        rc = report_run_load(db, c->failed_run, &run, err, sizeof err);
        if (rc < 0)
            break;
        fprintf(out, "<section class=\"run\" id=\"run-%" PRId64 "\">\n<h2>", c->failed_run);
        report_html_escape(out, c->file);
        fputs(" [", out);
        report_html_escape(out, c->cell);
        fputs("]</h2>\n", out);
        report_html_run_line(out, &run);
        fputs("<p><code>", out);
        report_html_escape(out, c->repro);
        fputs("</code></p>\n", out);
        rc = report_html_run_body(out, &run, opt);
        fputs("</section>\n", out);
        report_run_free(&run);
    }
    return rc;
}

int report_cells_html(FILE *out, struct sqlite3 *db, const report_cells_t *cs,
                      const report_html_options_t *opt, size_t max_runs)
{
    report_html_doc_head(out, "chunksim campaign report");
    fprintf(out,
            "<h1>chunksim campaign report</h1>\n<p class=\"sub\">%zu cell(s), %" PRIu64
            " run(s) with a case: <span class=\"%s\">%zu cell(s) with runs that missed their "
            "expect (%" PRIu64 " run(s))</span></p>\n",
            cs->n, cs->runs, cs->failed_cells ? "bad" : "ok", cs->failed_cells, cs->failed);
    if (cs->unknown_expect)
        fputs("<p class=\"note\">Some runs' scenarios no longer load: their expect was taken "
              "as ok.</p>\n",
              out);
    failing_table(out, cs, max_runs);
    int rc = axis_tables(out, cs);
    rc = rc < 0 ? rc : run_sections(out, db, cs, opt, max_runs);
    if (rc == 0)
        report_html_foot(out, opt);
    return rc < 0 ? rc : ferror(out) ? -EIO : 0;
}
