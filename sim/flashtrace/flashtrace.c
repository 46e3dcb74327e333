/*
 * Flash traces: a recorded run's flash_ops, or a board's CSV, into trace
 * latencies and one-shot fault rules of a scenario. The model numbers its
 * operations from 0 in issue order, refused ones included; a trace keeps that
 * numbering, so a rule "op=N" hits the same operation the trace says failed.
 */
#include "chunksim/error.h"
#include "chunksim/flashtrace.h"

#include "chunksim/recorder.h"
#include "flashmodel/error.h"
#include "scenario_internal.h"
#include "util_internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Every refusal of a trace file is an invalid input. */
#define trace_fail(...) chunksim_err_format(-EINVAL, __VA_ARGS__)

const char *chunksim_flashtrace_kind_name(chunksim_flashtrace_kind_t kind)
{
    static const char *const names[] = {"read", "program", "erase"};
    return (unsigned)kind < CHUNKSIM_FLASHTRACE_KIND_COUNT ? names[kind] : "?";
}

void chunksim_flashtrace_free(chunksim_flashtrace_t *tr)
{
    if (tr == NULL) {
        return;
    }
    free(tr->ops);
    memset(tr, 0, sizeof(*tr));
}

/* Room for one more operation; the caller fills it. */
static chunksim_flashtrace_op_t *trace_push(chunksim_flashtrace_t *tr, size_t *cap)
{
    if (tr->count == *cap) {
        size_t n = *cap ? *cap * 2 : 256;
        chunksim_flashtrace_op_t *ops = realloc(tr->ops, n * sizeof(*ops));
        if (ops == NULL) {
            return NULL;
        }
        tr->ops = ops;
        *cap = n;
    }
    chunksim_flashtrace_op_t *op = &tr->ops[tr->count++];
    *op = (chunksim_flashtrace_op_t){.cut_us = CHUNKSIM_SCENARIO_NEVER};
    return op;
}

/* "read", "program", "erase" and the model's finer erase kinds. */
static int kind_from_name(const char *name, chunksim_flashtrace_kind_t *kind)
{
    if (strcmp(name, "read") == 0) {
        *kind = CHUNKSIM_FLASHTRACE_READ;
    } else if (strcmp(name, "program") == 0) {
        *kind = CHUNKSIM_FLASHTRACE_PROGRAM;
    } else if (strcmp(name, "erase") == 0 || strcmp(name, "erase_sector") == 0 ||
               strcmp(name, "erase_block") == 0 || strcmp(name, "erase_chip") == 0) {
        *kind = CHUNKSIM_FLASHTRACE_ERASE;
    } else {
        return -EINVAL;
    }
    return 0;
}

/* The scenario's fault table says which operations a kind can happen to. */
static bool fault_applies(chunksim_fault_kind_t f, chunksim_flashtrace_kind_t k)
{
    return (chunksim__scenario_fault_ops(f) >> k) & 1u;
}

_Static_assert(CHUNKSIM_ON_READ == 1u << CHUNKSIM_FLASHTRACE_READ &&
                   CHUNKSIM_ON_PROGRAM == 1u << CHUNKSIM_FLASHTRACE_PROGRAM &&
                   CHUNKSIM_ON_ERASE == 1u << CHUNKSIM_FLASHTRACE_ERASE,
               "a trace's operation kind is the bit number of its chunksim_op_filter_t");

/*
 * A fault name as a trace spells it: the scenario's keywords, or the flash
 * model's names that the recorder writes into flash_ops.fault.
 */
static int fault_from_name(const char *name, chunksim_fault_kind_t *fault)
{
    if (strcmp(name, "bitflip_transient") == 0) {
        *fault = CHUNKSIM_FAULT_BITFLIP;
        return 0;
    }
    if (strcmp(name, "bitflip_stuck") == 0) {
        *fault = CHUNKSIM_FAULT_STUCK_BIT;
        return 0;
    }
    for (int k = 0; k < CHUNKSIM_FAULT_KIND_COUNT; k++) {
        if (strcmp(name, chunksim_fault_kind_name((chunksim_fault_kind_t)k)) == 0) {
            *fault = (chunksim_fault_kind_t)k;
            return 0;
        }
    }
    return -EINVAL;
}

/* ---- CSV ------------------------------------------------------------------------ */

enum { COL_OP = 0, COL_KIND, COL_LATENCY, COL_FAULT, COL_COUNT };
static const char *const csv_columns[COL_COUNT] = {"op", "kind", "latency_us", "fault"};

/* Board logs carry a few more columns; beyond this it is not a trace. */
#define CSV_MAX_FIELDS 64

struct csv {
    const char *path;
    uint32_t line;
    int col[COL_COUNT]; /* field index of each column, -1 until the header */
    int fields;         /* fields per row */
    char *err;
    size_t errlen;
};

static char *csv_trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) {
        s[--n] = '\0';
    }
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s[n - 1] = '\0';
        s++;
    }
    return s;
}

/* Splits line at commas in place; returns the field count, or -1 if too many. */
static int csv_split(char *line, char **fields)
{
    int n = 0;
    for (char *p = line;; n++) {
        if (n == CSV_MAX_FIELDS) {
            return -1;
        }
        char *comma = strchr(p, ',');
        if (comma != NULL) {
            *comma = '\0';
        }
        fields[n] = csv_trim(p);
        if (comma == NULL) {
            return n + 1;
        }
        p = comma + 1;
    }
}

static int csv_header(struct csv *c, char **fields, int n)
{
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < COL_COUNT; k++) {
            if (strcasecmp(fields[i], csv_columns[k]) != 0) {
                continue;
            }
            if (c->col[k] >= 0) {
                return trace_fail(c->err, c->errlen, "%s:%u: the header names column '%s' twice",
                                  c->path, c->line, csv_columns[k]);
            }
            c->col[k] = i;
        }
    }
    for (int k = 0; k < COL_COUNT; k++) {
        if (c->col[k] < 0) {
            return trace_fail(c->err, c->errlen,
                              "%s:%u: the header names no '%s' column (expected a header line "
                              "op,kind,latency_us,fault)",
                              c->path, c->line, csv_columns[k]);
        }
    }
    c->fields = n;
    return 0;
}

static int csv_fault(struct csv *c, const char *text, chunksim_flashtrace_op_t *op)
{
    if (text[0] == '\0') {
        return 0;
    }
    chunksim_fault_kind_t f;
    if (fault_from_name(text, &f) < 0) {
        return trace_fail(c->err, c->errlen,
                          "%s:%u: fault '%s': unknown (empty, or one of read_error, read_timeout, "
                          "bitflip, program_fail, erase_fail, silent_program, silent_erase, "
                          "bad_sector, wear_out, torn_program, misdirected_write, power_loss)",
                          c->path, c->line, text);
    }
    if (f == CHUNKSIM_FAULT_READ_LATE) {
        return trace_fail(c->err, c->errlen,
                          "%s:%u: fault read_late: a completion that came late is a latency; put "
                          "the whole time in latency_us and leave fault empty",
                          c->path, c->line);
    }
    if (f == CHUNKSIM_FAULT_STUCK_BIT) {
        return trace_fail(c->err, c->errlen,
                          "%s:%u: fault %s: a CSV holds no address range for stuck bits; use "
                          "bitflip",
                          c->path, c->line, text);
    }
    if (!fault_applies(f, op->kind)) {
        return trace_fail(c->err, c->errlen, "%s:%u: fault %s cannot happen to a %s", c->path,
                          c->line, text, chunksim_flashtrace_kind_name(op->kind));
    }
    op->has_fault = true;
    op->fault = f;
    return 0;
}

static int csv_row(struct csv *c, chunksim_flashtrace_t *tr, size_t *cap, char **f, int n)
{
    if (n != c->fields) {
        return trace_fail(c->err, c->errlen, "%s:%u: %d field%s, the header has %d", c->path,
                          c->line, n, n == 1 ? "" : "s", c->fields);
    }
    const char *optext = f[c->col[COL_OP]];
    char *end;
    errno = 0;
    unsigned long long index = strtoull(optext, &end, 10);
    if (!isdigit((unsigned char)optext[0]) || *end != '\0' || errno != 0 || index != tr->count) {
        return trace_fail(c->err, c->errlen,
                          "%s:%u: op '%s': expected %zu (operations are numbered 0, 1, 2, ... in "
                          "issue order, one row each)",
                          c->path, c->line, optext, tr->count);
    }
    chunksim_flashtrace_kind_t kind;
    if (kind_from_name(f[c->col[COL_KIND]], &kind) < 0) {
        return trace_fail(c->err, c->errlen, "%s:%u: kind '%s': expected read, program or erase",
                          c->path, c->line, f[c->col[COL_KIND]]);
    }
    const char *lat = f[c->col[COL_LATENCY]];
    errno = 0;
    double us = strtod(lat, &end);
    if (lat[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(us) || us < 0) {
        return trace_fail(c->err, c->errlen,
                          "%s:%u: latency_us '%s': not a latency in microseconds (a number >= 0)",
                          c->path, c->line, lat);
    }
    chunksim_flashtrace_op_t *op = trace_push(tr, cap);
    if (op == NULL) {
        snprintf(c->err, c->errlen, "%s: out of memory", c->path);
        return -ENOMEM;
    }
    op->kind = kind;
    op->latency_us = us;
    return csv_fault(c, f[c->col[COL_FAULT]], op);
}

static int csv_read_file(const char *path, char **text, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        int e = errno;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
        return -e;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (size_t got = 1; buf != NULL && got > 0;) {
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        got = fread(buf + len, 1, cap - len - 1, fp);
        len += got;
    }
    bool bad = buf == NULL || ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "cannot read %s", path);
        return buf == NULL ? -ENOMEM : -EIO;
    }
    buf[len] = '\0';
    if (strlen(buf) != len) {
        free(buf);
        return trace_fail(err, errlen, "%s: not a text file (it holds NUL bytes)", path);
    }
    *text = buf;
    return 0;
}

static int csv_parse(struct csv *c, chunksim_flashtrace_t *tr, char *text)
{
    size_t cap = 0;
    char *fields[CSV_MAX_FIELDS];
    char *line = text;
    if ((unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB &&
        (unsigned char)line[2] == 0xBF) {
        line += 3; /* UTF-8 byte-order mark */
    }
    while (line != NULL) {
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        c->line++;
        char *content = csv_trim(line);
        line = nl != NULL ? nl + 1 : NULL;
        if (content[0] == '\0' || content[0] == '#') {
            continue;
        }
        int n = csv_split(content, fields);
        if (n < 0) {
            return trace_fail(c->err, c->errlen, "%s:%u: more than %d fields", c->path, c->line,
                              CSV_MAX_FIELDS);
        }
        int rc = c->fields == 0 ? csv_header(c, fields, n) : csv_row(c, tr, &cap, fields, n);
        if (rc < 0) {
            return rc;
        }
    }
    if (c->fields == 0) {
        return trace_fail(c->err, c->errlen,
                          "%s: empty: expected a header line op,kind,latency_us,fault", c->path);
    }
    if (tr->count == 0) {
        return trace_fail(c->err, c->errlen, "%s: no operations after the header", c->path);
    }
    return 0;
}

int chunksim_flashtrace_load_csv(chunksim_flashtrace_t *tr, const char *path, char *err,
                                 size_t errlen)
{
    memset(tr, 0, sizeof(*tr));
    char *text = NULL;
    int rc = csv_read_file(path, &text, err, errlen);
    if (rc < 0) {
        return rc;
    }
    struct csv c = {.path = path, .col = {-1, -1, -1, -1}, .err = err, .errlen = errlen};
    rc = csv_parse(&c, tr, text);
    free(text);
    if (rc < 0) {
        chunksim_flashtrace_free(tr);
        return rc;
    }
    snprintf(tr->source, sizeof(tr->source), "%s", path);
    return 0;
}

/* ---- a recorded run --------------------------------------------------------------- */

/* What begin refuses: the op never reached the device and drew no latency. */
static bool status_is_refusal(int status)
{
    return status == FLASHMODEL_E_INVAL || status == FLASHMODEL_E_RANGE ||
           status == FLASHMODEL_E_PAGE || status == FLASHMODEL_E_BUSY ||
           status == FLASHMODEL_E_POWER;
}

/*
 * The serial device's queue, rebuilt from the trace, to tell how late a late
 * completion was: its device start is the later of its issue and the end of
 * the work before it (exact for the queue and reject policies; under suspend
 * a read that jumped the queue looks later than it was).
 */
struct queue {
    uint64_t busy_until_us;
};

static uint64_t queue_device_end(struct queue *q, uint64_t issue_us, uint64_t latency_us)
{
    uint64_t start = issue_us > q->busy_until_us ? issue_us : q->busy_until_us;
    q->busy_until_us = start + latency_us;
    return q->busy_until_us;
}

static int run_row_fault(chunksim_flashtrace_op_t *op, const char *name, uint64_t device_end_us,
                         sqlite3_stmt *st, char *err, size_t errlen, const char *where)
{
    chunksim_fault_kind_t f;
    if (fault_from_name(name, &f) < 0 || !fault_applies(f, op->kind)) {
        return trace_fail(err, errlen, "%s: fault '%s' on a %s: not a fault this chunksim knows",
                          where, name, chunksim_flashtrace_kind_name(op->kind));
    }
    bool ended = sqlite3_column_type(st, 5) != SQLITE_NULL;
    uint64_t end_us = (uint64_t)sqlite3_column_int64(st, 5);
    switch (f) {
    case CHUNKSIM_FAULT_READ_TIMEOUT:
        if (ended) { /* the model's read_timeout with a delay: late, not lost */
            f = CHUNKSIM_FAULT_READ_LATE;
            op->delay_us = end_us > device_end_us ? end_us - device_end_us : 1;
        }
        break;
    case CHUNKSIM_FAULT_BAD_SECTOR:
    case CHUNKSIM_FAULT_WEAR_OUT:
        f = op->kind == CHUNKSIM_FLASHTRACE_PROGRAM ? CHUNKSIM_FAULT_PROGRAM_FAIL
                                                    : CHUNKSIM_FAULT_ERASE_FAIL;
        break;
    case CHUNKSIM_FAULT_POWER_LOSS:
        op->cut_us = ended ? end_us : CHUNKSIM_SCENARIO_NEVER; /* the cut ends what it hits */
        break;
    default:
        break;
    }
    op->has_fault = true;
    op->fault = f;
    return 0;
}

static int run_rows(chunksim_flashtrace_t *tr, sqlite3 *db, int64_t run_id, char *err,
                    size_t errlen)
{
    static const char sql[] = "SELECT seq, kind, addr, len, start_us, end_us, status, fault, "
                              "latency_us FROM flash_ops WHERE run_id = ?1 ORDER BY seq";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        return trace_fail(err, errlen, "%s: reading flash_ops: %s", tr->source, sqlite3_errmsg(db));
    }
    sqlite3_bind_int64(st, 1, run_id);
    size_t cap = 0;
    struct queue q = {0};
    int rc = 0, step;
    int64_t base = -1;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0);
        char where[CHUNKSIM_FLASHTRACE_SOURCE_MAX + 48];
        snprintf(where, sizeof(where), "%s: flash_ops seq %" PRId64, tr->source, seq);
        if (base < 0) {
            base = seq == 0 ? 0 : 1; /* the simulator counts from 1; others may from 0 */
        }
        chunksim_flashtrace_op_t *op = trace_push(tr, &cap);
        /* A gap is an operation the recording lost: keep the numbering, know nothing else. */
        while (op != NULL && seq > base + (int64_t)tr->count - 1) {
            op->missing = true;
            op = trace_push(tr, &cap);
        }
        if (op == NULL) {
            rc = trace_fail(err, errlen, "%s: out of memory", tr->source);
            break;
        }
        const char *kind = (const char *)sqlite3_column_text(st, 1);
        if (kind == NULL || kind_from_name(kind, &op->kind) < 0) {
            rc = trace_fail(err, errlen, "%s: kind '%s': not a flash operation kind", where,
                            kind ? kind : "NULL");
            break;
        }
        op->addr = (uint32_t)sqlite3_column_int64(st, 2);
        op->len = (uint32_t)sqlite3_column_int64(st, 3);
        const char *fault = (const char *)sqlite3_column_text(st, 7);
        op->refused = fault == NULL && status_is_refusal(sqlite3_column_int(st, 6));
        if (op->refused) {
            continue;
        }
        op->latency_us = (double)sqlite3_column_int64(st, 8);
        uint64_t device_end = queue_device_end(&q, (uint64_t)sqlite3_column_int64(st, 4),
                                               (uint64_t)sqlite3_column_int64(st, 8));
        if (fault != NULL) {
            rc = run_row_fault(op, fault, device_end, st, err, errlen, where);
        }
    }
    if (rc == 0 && step != SQLITE_DONE) {
        rc = trace_fail(err, errlen, "%s: reading flash_ops: %s", tr->source, sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    if (rc == 0 && tr->count == 0) {
        rc = trace_fail(err, errlen,
                        "%s: the run has no flash operations recorded (no such run, or it was "
                        "recorded with --no-trace)",
                        tr->source);
    }
    return rc;
}

int chunksim_flashtrace_load_run(chunksim_flashtrace_t *tr, const char *db_path, int64_t run_id,
                                 char *err, size_t errlen)
{
    memset(tr, 0, sizeof(*tr));
    snprintf(tr->source, sizeof(tr->source), "%s:%" PRId64, db_path, run_id);
    chunksim_rec_t rec;
    char why[CHUNKSIM_REC_ERRMSG_MAX];
    if (chunksim_rec_open_readonly(&rec, db_path, why, sizeof(why)) < 0) {
        return trace_fail(err, errlen, "%s: %s", db_path, why);
    }
    int rc = run_rows(tr, chunksim_rec_db(&rec), run_id, err, errlen);
    chunksim_rec_close(&rec);
    if (rc < 0) {
        char source[sizeof(tr->source)];
        memcpy(source, tr->source, sizeof(source));
        chunksim_flashtrace_free(tr);
        memcpy(tr->source, source, sizeof(source));
    }
    return rc;
}

/* "DB:RUN": the last colon followed by digits only. */
static bool spec_run(const char *spec, char *db, size_t dblen, int64_t *run_id)
{
    const char *colon = strrchr(spec, ':');
    if (colon == NULL || colon == spec || colon[1] == '\0' || (size_t)(colon - spec) >= dblen) {
        return false;
    }
    for (const char *p = colon + 1; *p; p++) {
        if (!isdigit((unsigned char)*p)) {
            return false;
        }
    }
    errno = 0;
    long long id = strtoll(colon + 1, NULL, 10);
    if (errno != 0 || id <= 0) {
        return false;
    }
    memcpy(db, spec, (size_t)(colon - spec));
    db[colon - spec] = '\0';
    *run_id = id;
    return true;
}

int chunksim_flashtrace_load(chunksim_flashtrace_t *tr, const char *spec, char *err, size_t errlen)
{
    memset(tr, 0, sizeof(*tr));
    size_t n = spec != NULL ? strlen(spec) : 0;
    if (n > 4 && strcasecmp(spec + n - 4, ".csv") == 0) {
        return chunksim_flashtrace_load_csv(tr, spec, err, errlen);
    }
    char db[CHUNKSIM_FLASHTRACE_SOURCE_MAX];
    int64_t run_id;
    if (n == 0 || !spec_run(spec, db, sizeof(db), &run_id)) {
        return trace_fail(err, errlen,
                          "latencies from '%s': expected DB:RUN (a recording and a run id in it) "
                          "or a file ending in .csv",
                          spec ? spec : "");
    }
    return chunksim_flashtrace_load_run(tr, db, run_id, err, errlen);
}

/* ---- into a scenario ------------------------------------------------------------- */

static chunksim_latency_t *scenario_latency(chunksim_scenario_t *sc, chunksim_flashtrace_kind_t k)
{
    switch (k) {
    case CHUNKSIM_FLASHTRACE_READ:
        return &sc->flash.read_latency;
    case CHUNKSIM_FLASHTRACE_PROGRAM:
        return &sc->flash.program_latency;
    default:
        return &sc->flash.erase_latency;
    }
}

/* The scenario owns a trace latency's path and values (scenario.h). */
static int set_trace_latency(const chunksim_flashtrace_t *tr, chunksim_flashtrace_kind_t k,
                             chunksim_scenario_t *sc)
{
    size_t n = 0;
    for (size_t i = 0; i < tr->count; i++) {
        n += tr->ops[i].kind == k && !tr->ops[i].refused && !tr->ops[i].missing;
    }
    if (n == 0) {
        return 0; /* nothing measured: the scenario's own latency stays */
    }
    double *values = malloc(n * sizeof(*values));
    char *path = strdup(tr->source);
    if (values == NULL || path == NULL) {
        free(values);
        free(path);
        return -ENOMEM;
    }
    for (size_t i = 0, j = 0; i < tr->count; i++) {
        if (tr->ops[i].kind == k && !tr->ops[i].refused && !tr->ops[i].missing) {
            values[j++] = tr->ops[i].latency_us;
        }
    }
    chunksim_latency_t *lat = scenario_latency(sc, k);
    if (lat->kind == CHUNKSIM_LATENCY_TRACE) {
        free(lat->trace.path);
        free(lat->trace.latency_us);
    }
    *lat = (chunksim_latency_t){.kind = CHUNKSIM_LATENCY_TRACE};
    lat->trace.path = path;
    lat->trace.latency_us = values;
    lat->trace.count = n;
    return 0;
}

/* The rule that makes operation i fail as it did; "" when none is needed. */
static void fault_rule_text(const chunksim_flashtrace_op_t *op, size_t i, bool *cut_done, char *buf,
                            size_t len)
{
    const char *name = chunksim_fault_kind_name(op->fault);
    buf[0] = '\0';
    switch (op->fault) {
    case CHUNKSIM_FAULT_READ_LATE:
        snprintf(buf, len, "%s op=%zu delay_us=%" PRIu64, name, i,
                 op->delay_us > 0 ? op->delay_us : 1);
        break;
    case CHUNKSIM_FAULT_STUCK_BIT:
        snprintf(buf, len, "%s addr=0x%" PRIx32 "-0x%" PRIx32, name, op->addr,
                 op->addr + (op->len ? op->len - 1 : 0));
        break;
    case CHUNKSIM_FAULT_BAD_SECTOR:
    case CHUNKSIM_FAULT_WEAR_OUT:
        snprintf(buf, len, "%s op=%zu",
                 op->kind == CHUNKSIM_FLASHTRACE_PROGRAM ? "program_fail" : "erase_fail", i);
        break;
    case CHUNKSIM_FAULT_POWER_LOSS:
        /* One cut ends every operation in flight: the first one it hit places it. */
        if (!*cut_done) {
            if (op->cut_us != CHUNKSIM_SCENARIO_NEVER) {
                snprintf(buf, len, "%s at_us=%" PRIu64, name, op->cut_us);
            } else {
                snprintf(buf, len, "%s op=%zu", name, i);
            }
            *cut_done = true;
        }
        break;
    default:
        snprintf(buf, len, "%s op=%zu", name, i);
        break;
    }
}

static int set_faults(const chunksim_flashtrace_t *tr, chunksim_scenario_t *sc, char *err,
                      size_t errlen)
{
    int rc = chunksim_scenario_set(sc, "faults.fault", "none", err, errlen);
    bool cut_done = false;
    for (size_t i = 0; rc == 0 && i < tr->count; i++) {
        const chunksim_flashtrace_op_t *op = &tr->ops[i];
        char rule[128];
        if (!op->has_fault) {
            continue;
        }
        fault_rule_text(op, i, &cut_done, rule, sizeof(rule));
        if (rule[0] != '\0') {
            rc = chunksim_scenario_set(sc, "faults.fault", rule, err, errlen);
        }
    }
    return rc;
}

int chunksim_flashtrace_apply(const chunksim_flashtrace_t *tr, chunksim_scenario_t *sc, char *err,
                              size_t errlen)
{
    if (tr == NULL || sc == NULL || tr->count == 0) {
        return trace_fail(err, errlen, "latencies from %s: the trace holds no operations",
                          tr != NULL ? tr->source : "?");
    }
    for (int k = 0; k < CHUNKSIM_FLASHTRACE_KIND_COUNT; k++) {
        if (set_trace_latency(tr, (chunksim_flashtrace_kind_t)k, sc) < 0) {
            snprintf(err, errlen, "latencies from %s: out of memory", tr->source);
            return -ENOMEM;
        }
    }
    char why[CHUNKSIM_SCENARIO_ERR_BYTES];
    int rc = set_faults(tr, sc, why, sizeof(why));
    if (rc == 0) {
        rc = chunksim_scenario_validate(sc, why, sizeof(why));
    }
    if (rc < 0) {
        snprintf(err, errlen, "latencies from %s: %s", tr->source, why);
    }
    return rc;
}
