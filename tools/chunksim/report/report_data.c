/* Reports: one run's trace read back from the database, and what is derived from it. */
#include "report.h"

#include "grow.h"

#include "chunksim/error.h"
#include "chunksim/link.h"
#include "chunksim/scenario.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* prepare's answers, as docs/schema.md defines calls.result for it. */
#define PREPARE_READY 0
#define PREPARE_WAIT  1

/* Chunk header bits (docs/chunk-format.md, section 6). */
#define CHUNK_HDR_CONTINUATION 0x80u
#define CHUNK_HDR_MORE         0x40u
#define CHUNK_CRC_BYTES        2
/* Message type byte: a NUL-terminated project key follows (section 2). */
#define MSG_TYPE_HAS_KEY 0x40u
/* Enough of a first chunk for header, length varint, type byte and a 32-character key. */
#define CHUNK_PREFIX_BYTES 48
#define STR2_(x)           #x
#define STR_(x)            STR2_(x)

/* ---- owned strings ---- */

struct report_str_ {
    struct report_str_ *next;
    char text[];
};

/* A copy of text owned by *pool; equal texts share one copy (chunk flags repeat thousands
 * of times). NULL in, NULL out; *oom set when a copy could not be made. */
static const char *str_keep(struct report_str_ **pool, const char *text, bool *oom)
{
    if (text == NULL) {
        return NULL;
    }
    for (struct report_str_ *s = *pool; s != NULL; s = s->next) {
        if (strcmp(s->text, text) == 0) {
            return s->text;
        }
    }
    size_t len = strlen(text);
    struct report_str_ *s = malloc(sizeof(*s) + len + 1);
    if (s == NULL) {
        *oom = true;
        return NULL;
    }
    memcpy(s->text, text, len + 1);
    s->next = *pool;
    *pool = s;
    return s->text;
}

static void str_free_all(struct report_str_ *pool)
{
    while (pool != NULL) {
        struct report_str_ *next = pool->next;
        free(pool);
        pool = next;
    }
}

/* ---- SQLite helpers ---- */

static int sql_fail(sqlite3 *db, char *err, size_t errlen, const char *what)
{
    return chunksim_err_format(-EIO, err, errlen, "%s: %s", what, sqlite3_errmsg(db));
}

static int sql_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        /* A database without our tables: the usual cause is a file that is not a recording. */
        return chunksim_err_format(-EINVAL, err, errlen, "not a readable chunksim recording (%s)",
                                   sqlite3_errmsg(db));
    }
    return 0;
}

/* NULL reads as REPORT_TIME_NONE; a negative time (hand-edited data) as 0. */
static uint64_t col_time(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL) {
        return REPORT_TIME_NONE;
    }
    sqlite3_int64 v = sqlite3_column_int64(st, i);
    return v < 0 ? 0 : (uint64_t)v;
}

static uint64_t col_u64(sqlite3_stmt *st, int i)
{
    sqlite3_int64 v = sqlite3_column_int64(st, i);
    return v < 0 ? 0 : (uint64_t)v;
}

static uint32_t col_u32(sqlite3_stmt *st, int i)
{
    sqlite3_int64 v = sqlite3_column_int64(st, i);
    return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* ---- statistics ---- */

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

uint64_t report_percentile(const uint64_t *sorted, size_t n, unsigned p)
{
    size_t pos = ((size_t)p * n + 99) / 100;
    return sorted[pos == 0 ? 0 : pos - 1];
}

void report_stats_of(uint64_t *values, size_t n, size_t unfinished, report_stats_t *st)
{
    *st = (report_stats_t){.n = n, .unfinished = unfinished};
    if (n == 0) {
        return;
    }
    qsort(values, n, sizeof(values[0]), u64_cmp);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += (double)values[i];
    }
    st->min_us = values[0];
    st->p50_us = report_percentile(values, n, 50);
    st->p90_us = report_percentile(values, n, 90);
    st->p99_us = report_percentile(values, n, 99);
    st->max_us = values[n - 1];
    st->mean_us = sum / (double)n;
}

static uint64_t span_dur(const report_span_t *s)
{
    return s->end_us >= s->start_us ? s->end_us - s->start_us : 0;
}

/* Durations of the ended spans among n items of the given stride, into st. */
static int stats_of_spans(const void *items, size_t n, size_t stride, bool (*keep)(const void *),
                          report_stats_t *st)
{
    uint64_t *v = malloc((n ? n : 1) * sizeof(*v));
    if (v == NULL) {
        return -ENOMEM;
    }
    size_t m = 0, unfinished = 0;
    for (size_t i = 0; i < n; i++) {
        const void *item = (const char *)items + i * stride;
        const report_span_t *s = item; /* every item type starts with its span */
        if (keep != NULL && !keep(item)) {
            continue;
        }
        if (s->end_us == REPORT_TIME_NONE) {
            unfinished++;
        } else {
            v[m++] = span_dur(s);
        }
    }
    report_stats_of(v, m, unfinished, st);
    free(v);
    return 0;
}

static bool op_is_read(const void *item)
{
    return strcmp(((const report_flash_op_t *)item)->kind, "read") == 0;
}

int report_run_stats(const report_run_t *run, report_stats_t *reads, report_stats_t *waits,
                     report_stats_t *chunks)
{
    int rc = stats_of_spans(run->ops, run->n_ops, sizeof(run->ops[0]), op_is_read, reads);
    if (rc == 0) {
        rc = stats_of_spans(run->waits, run->n_waits, sizeof(run->waits[0]), NULL, waits);
    }
    if (rc == 0) {
        rc = stats_of_spans(run->chunks, run->n_chunks, sizeof(run->chunks[0]), NULL, chunks);
    }
    return rc;
}

double report_bytes_per_s(uint64_t message_bytes, uint64_t drain_us)
{
    return drain_us > 0 ? (double)message_bytes * 1e6 / (double)drain_us : 0;
}

/* ---- lanes ---- */

/* Greedy: each span (in start order) takes the first lane free at its start. */
static uint32_t lanes_assign(void *items, size_t n, size_t stride, size_t span_offset)
{
    uint64_t lane_end[REPORT_LANES_MAX] = {0};
    uint32_t used = n ? 1 : 0;
    for (size_t i = 0; i < n; i++) {
        report_span_t *s = (report_span_t *)((char *)items + i * stride + span_offset);
        uint64_t end = s->end_us == REPORT_TIME_NONE ? s->start_us : s->end_us;
        uint32_t l = 0;
        while (l < REPORT_LANES_MAX - 1 && lane_end[l] > s->start_us) {
            l++;
        }
        s->lane = l;
        lane_end[l] = end > lane_end[l] ? end : lane_end[l];
        used = l + 1 > used ? l + 1 : used;
    }
    return used;
}

/* ---- loading ---- */

typedef struct {
    sqlite3 *db;
    report_run_t *run;
    bool oom;
    char *err;
    size_t errlen;
    size_t ops_cap, waits_cap, chunks_cap, viol_cap, faults_cap;
    size_t msg_hdr; /* header bytes of the message the chunks are in */
} load_t;

static const char *keep(load_t *L, const char *text)
{
    return str_keep(&L->run->strs_, text, &L->oom);
}

static int load_row(load_t *L, int64_t run_id)
{
    static const char sql[] =
        "SELECT s.name, r.seed, r.mode, r.status, r.outcome, r.reason, r.drain_us, "
        "r.message_bytes, r.chunks, r.flash_busy_us, r.link_busy_us, r.bound_us, r.efficiency, "
        "r.waits, r.refills, r.retries, r.faults_injected, s.config_text "
        "FROM runs r JOIN scenarios s ON s.scenario_id = r.scenario_id WHERE r.run_id = ?";
    sqlite3_stmt *st;
    int rc = sql_prepare(L->db, sql, &st, L->err, L->errlen);
    if (rc < 0) {
        return rc;
    }
    report_run_t *r = L->run;
    sqlite3_bind_int64(st, 1, run_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        r->scenario = keep(L, col_text(st, 0));
        r->seed = (uint64_t)sqlite3_column_int64(st, 1);
        r->mode = keep(L, col_text(st, 2));
        r->status = keep(L, col_text(st, 3));
        r->outcome = keep(L, col_text(st, 4));
        r->reason = keep(L, col_text(st, 5));
        r->finished = sqlite3_column_type(st, 6) != SQLITE_NULL;
        r->drain_us = col_u64(st, 6);
        r->message_bytes = col_u64(st, 7);
        r->chunk_count = col_u64(st, 8);
        r->flash_busy_us = col_u64(st, 9);
        r->link_busy_us = col_u64(st, 10);
        r->bound_us = col_u64(st, 11);
        r->efficiency = sqlite3_column_double(st, 12);
        r->waits_recorded = col_u64(st, 13);
        r->refills = col_u64(st, 14);
        r->retries = col_u64(st, 15);
        r->faults_injected = col_u64(st, 16);
        r->config_text = keep(L, col_text(st, 17));
        rc = 0;
    } else if (step == SQLITE_DONE) {
        rc = chunksim_err_format(-EINVAL, L->err, L->errlen, "no run %" PRId64 " in the database",
                                 run_id);
    } else {
        rc = sql_fail(L->db, L->err, L->errlen, "reading the run");
    }
    sqlite3_finalize(st);
    return rc;
}

/* Runs the query (run_id bound as ?1) and hands each row to fn. */
static int load_rows(load_t *L, const char *sql, int (*fn)(load_t *, sqlite3_stmt *))
{
    sqlite3_stmt *st;
    int rc = sql_prepare(L->db, sql, &st, L->err, L->errlen);
    if (rc < 0) {
        return rc;
    }
    sqlite3_bind_int64(st, 1, L->run->run_id);
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        rc = fn(L, st);
        if (rc == 0 && L->oom) {
            rc = -ENOMEM;
        }
    }
    if (rc == 0 && step != SQLITE_DONE) {
        rc = sql_fail(L->db, L->err, L->errlen, "reading the trace");
    }
    if (rc == -ENOMEM) {
        chunksim_err_format(rc, L->err, L->errlen, "out of memory reading run %" PRId64,
                            L->run->run_id);
    }
    sqlite3_finalize(st);
    return rc;
}

static int on_op(load_t *L, sqlite3_stmt *st)
{
    report_run_t *r = L->run;
    if (cli_grow((void **)&r->ops, &L->ops_cap, r->n_ops, sizeof(r->ops[0]), 256) < 0) {
        return -ENOMEM;
    }
    report_flash_op_t *op = &r->ops[r->n_ops++];
    *op = (report_flash_op_t){
        .seq = col_u64(st, 0),
        .kind = keep(L, col_text(st, 1) ? col_text(st, 1) : "?"),
        .addr = col_u32(st, 2),
        .len = col_u32(st, 3),
        .span = {.start_us = col_time(st, 4), .end_us = col_time(st, 5)},
        .status = sqlite3_column_int(st, 6),
        .status_name = keep(L, col_text(st, 7)),
        .fault = keep(L, col_text(st, 8)),
    };
    if (op->span.start_us == REPORT_TIME_NONE) {
        op->span.start_us = 0;
    }
    return 0;
}

/* Waits come from the prepare calls, in call order (see report.h). */
static int on_prepare(load_t *L, sqlite3_stmt *st)
{
    report_run_t *r = L->run;
    int result = sqlite3_column_int(st, 2);
    uint64_t t = col_time(st, 1);
    t = t == REPORT_TIME_NONE ? 0 : t;
    report_wait_t *open = r->n_waits ? &r->waits[r->n_waits - 1] : NULL;
    if (open != NULL && open->span.end_us != REPORT_TIME_NONE) {
        open = NULL;
    }
    if (result == PREPARE_WAIT && open != NULL) {
        open->prepares++;
    } else if (result == PREPARE_WAIT) {
        if (cli_grow((void **)&r->waits, &L->waits_cap, r->n_waits, sizeof(r->waits[0]), 256) < 0) {
            return -ENOMEM;
        }
        r->waits[r->n_waits++] = (report_wait_t){
            .span = {.start_us = t, .end_us = REPORT_TIME_NONE},
            .call_seq = col_u64(st, 0),
            .prepares = 1,
        };
    } else if (result == PREPARE_READY && open != NULL) {
        open->span.end_us = t;
    }
    return 0;
}

/* Unsigned LEB128 at b[*p..n); -1 when it runs off the end or past 32 bits. */
static int64_t varint_read(const uint8_t *b, size_t n, size_t *p)
{
    uint64_t v = 0;
    for (unsigned shift = 0; *p < n && shift < 35; shift += 7) {
        uint8_t byte = b[(*p)++];
        v |= (uint64_t)(byte & 0x7fu) << shift;
        if (!(byte & 0x80u)) {
            return (int64_t)v;
        }
    }
    return -1;
}

/* Message bytes before the coredump itself: type byte, and the project key if one follows. */
static size_t msg_header_bytes(const uint8_t *msg, size_t avail)
{
    if (avail == 0 || !(msg[0] & MSG_TYPE_HAS_KEY)) {
        return 1;
    }
    const uint8_t *nul = memchr(msg + 1, 0, avail - 1);
    /* A key longer than the prefix read: the longest the format allows. */
    return nul ? (size_t)(nul - msg) + 1 : 1 + 33;
}

/*
 * Where the packetizer stands in the coredump after this chunk, from the
 * chunk's own bytes: its message offset, the message bytes it carries (its
 * length less header, varint and, on a last chunk, the CRC), less the
 * message header. -1 when the bytes do not parse.
 */
static int64_t chunk_storage_end(const uint8_t *b, size_t avail, size_t len, size_t *msg_hdr)
{
    if (avail == 0) {
        return -1;
    }
    uint8_t h = b[0];
    size_t p = 1;
    int64_t off = 0;
    if (h & CHUNK_HDR_CONTINUATION) {
        off = varint_read(b, avail, &p);
    } else if ((h & CHUNK_HDR_MORE) && varint_read(b, avail, &p) < 0) {
        off = -1;
    }
    if (off < 0 || p > len) {
        return -1;
    }
    if (!(h & CHUNK_HDR_CONTINUATION)) {
        *msg_hdr = msg_header_bytes(b + p, avail - p);
    }
    size_t crc = (h & CHUNK_HDR_MORE) ? 0 : CHUNK_CRC_BYTES;
    size_t carried = len - p >= crc ? len - p - crc : 0;
    int64_t end = off + (int64_t)carried - (int64_t)*msg_hdr;
    return end < 0 ? 0 : end;
}

static int on_chunk(load_t *L, sqlite3_stmt *st)
{
    report_run_t *r = L->run;
    if (cli_grow((void **)&r->chunks, &L->chunks_cap, r->n_chunks, sizeof(r->chunks[0]), 256) < 0) {
        return -ENOMEM;
    }
    const uint8_t *prefix = sqlite3_column_blob(st, 8);
    size_t avail = (size_t)sqlite3_column_bytes(st, 8);
    report_chunk_t *c = &r->chunks[r->n_chunks++];
    *c = (report_chunk_t){
        .seq = col_u64(st, 0),
        .span = {.start_us = col_time(st, 1), .end_us = col_time(st, 2)},
        .link = {.start_us = REPORT_TIME_NONE, .end_us = REPORT_TIME_NONE},
        .len = col_u32(st, 3),
        .header = (uint8_t)sqlite3_column_int(st, 4),
        .flags = keep(L, col_text(st, 5)),
        .delivered = sqlite3_column_int(st, 6) != 0,
        .retransmissions = col_u32(st, 7),
    };
    if (c->span.start_us == REPORT_TIME_NONE) {
        c->span.start_us = 0;
    }
    c->storage_end = chunk_storage_end(prefix, avail, c->len, &L->msg_hdr);
    return 0;
}

static int on_violation(load_t *L, sqlite3_stmt *st)
{
    report_run_t *r = L->run;
    if (cli_grow((void **)&r->violations, &L->viol_cap, r->n_violations, sizeof(r->violations[0]),
                 256) < 0) {
        return -ENOMEM;
    }
    r->violations[r->n_violations++] = (report_violation_t){
        .invariant = keep(L, col_text(st, 0) ? col_text(st, 0) : "?"),
        .call_seq = col_time(st, 1),
        .t_us = col_time(st, 2) == REPORT_TIME_NONE ? 0 : col_time(st, 2),
        .detail = keep(L, col_text(st, 3)),
    };
    return 0;
}

static int on_fault(load_t *L, sqlite3_stmt *st)
{
    report_run_t *r = L->run;
    if (cli_grow((void **)&r->faults, &L->faults_cap, r->n_faults, sizeof(r->faults[0]), 256) < 0) {
        return -ENOMEM;
    }
    r->faults[r->n_faults++] = (report_fault_count_t){
        .kind = keep(L, col_text(st, 0)),
        .count = col_u64(st, 1),
    };
    return 0;
}

/* ---- derived series ---- */

/* What the stored scenario says about the link and the reader. */
typedef struct {
    bool known;
    bool ble;
    chunksim_link_phy_t phy;
    uint64_t bandwidth_bytes_per_s, latency_us;
    bool sync_reader;
    uint32_t window_bytes;
    uint32_t storage_offset;
} stored_config_t;

static void stored_config(const report_run_t *r, stored_config_t *cfg)
{
    *cfg = (stored_config_t){0};
    if (r->config_text == NULL) {
        return;
    }
    chunksim_scenario_t sc;
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    if (chunksim_scenario_load_string(&sc, r->config_text, "stored scenario", NULL, err,
                                      sizeof(err)) < 0) {
        return;
    }
    if (chunksim_scenario_validate(&sc, err, sizeof(err)) == 0) {
        cfg->known = true;
        cfg->ble = sc.link.kind == CHUNKSIM_LINK_BLE;
        cfg->phy = sc.link.phy == CHUNKSIM_PHY_2M ? CHUNKSIM_LINK_PHY_2M : CHUNKSIM_LINK_PHY_1M;
        cfg->bandwidth_bytes_per_s = sc.link.bandwidth_bytes_per_s;
        cfg->latency_us = sc.link.latency_us;
        cfg->sync_reader = sc.reader.kind == CHUNKSIM_READER_SYNC;
        cfg->window_bytes = sc.reader.window_bytes;
        cfg->storage_offset = sc.coredump.storage_offset_bytes;
    }
    chunksim_scenario_free(&sc);
}

/* The link model's time for one chunk's last attempt, up to its ack. */
static uint64_t link_send_us(const stored_config_t *cfg, uint32_t len)
{
    if (cfg->ble) {
        return chunksim_link_ble_exchange_us(cfg->phy,
                                             (size_t)len + CHUNKSIM_LINK_BLE_NOTIFY_OVERHEAD_BYTES);
    }
    uint64_t bw = cfg->bandwidth_bytes_per_s ? cfg->bandwidth_bytes_per_s : 1;
    return ((uint64_t)len * 1000000u + bw - 1) / bw + cfg->latency_us;
}

static void derive_link(report_run_t *r, const stored_config_t *cfg)
{
    r->link_known = cfg->known;
    if (!cfg->known) {
        return;
    }
    for (size_t i = 0; i < r->n_chunks; i++) {
        report_chunk_t *c = &r->chunks[i];
        uint64_t sent = c->span.end_us;
        if (sent == REPORT_TIME_NONE) {
            continue;
        }
        uint64_t d = link_send_us(cfg, c->len);
        c->link.start_us = sent >= d ? sent - d : 0;
        c->link.end_us = sent;
    }
}

static int point_push(report_point_t **pts, size_t *n, size_t *cap, uint64_t t, uint64_t v)
{
    if (*n > 0 && (*pts)[*n - 1].value == v) {
        return 0;
    }
    if (*n > 0 && (*pts)[*n - 1].t_us == t) {
        (*pts)[*n - 1].value = v; /* several changes at one instant: the last one holds */
        if (*n > 1 && (*pts)[*n - 2].value == v) {
            (*n)--;
        }
        return 0;
    }
    if (cli_grow((void **)pts, cap, *n, sizeof(**pts), 256) < 0) {
        return -ENOMEM;
    }
    (*pts)[(*n)++] = (report_point_t){t, v};
    return 0;
}

typedef struct {
    uint64_t t_us;
    int delta;
} edge_t;

static int edge_cmp(const void *a, const void *b)
{
    const edge_t *x = a, *y = b;
    if (x->t_us != y->t_us) {
        return x->t_us < y->t_us ? -1 : 1;
    }
    return x->delta - y->delta; /* ends before starts: back-to-back ops stay busy */
}

static int derive_flash_busy(report_run_t *r)
{
    edge_t *e = malloc((2 * r->n_ops + 1) * sizeof(*e));
    if (e == NULL) {
        return -ENOMEM;
    }
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < r->n_ops; i++) {
        if (r->ops[i].span.end_us != REPORT_TIME_NONE) {
            e[n++] = (edge_t){r->ops[i].span.start_us, +1};
            e[n++] = (edge_t){r->ops[i].span.end_us, -1};
        }
    }
    qsort(e, n, sizeof(e[0]), edge_cmp);
    int rc = point_push(&r->flash_busy, &r->n_flash_busy, &cap, 0, 0);
    long inflight = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        inflight += e[i].delta;
        rc = point_push(&r->flash_busy, &r->n_flash_busy, &cap, e[i].t_us, inflight > 0);
    }
    free(e);
    return rc;
}

/* One event of the window model: a completed read, or a chunk taking bytes. */
typedef struct {
    uint64_t t_us;
    int order;     /* 0: read completes, 1: chunk produced at the same instant after it */
    uint64_t a, b; /* read: [a, b) in flash; chunk: position a */
} fill_ev_t;

static int fill_ev_cmp(const void *x, const void *y)
{
    const fill_ev_t *p = x, *q = y;
    if (p->t_us != q->t_us) {
        return p->t_us < q->t_us ? -1 : 1;
    }
    return p->order - q->order;
}

static int derive_window_fill(report_run_t *r, const stored_config_t *cfg)
{
    fill_ev_t *ev = malloc((r->n_ops + r->n_chunks + 1) * sizeof(*ev));
    if (ev == NULL) {
        return -ENOMEM;
    }
    size_t n = 0, cap = 0;
    uint64_t base = cfg->known ? cfg->storage_offset : REPORT_TIME_NONE;
    for (size_t i = 0; i < r->n_ops; i++) {
        const report_flash_op_t *op = &r->ops[i];
        if (strcmp(op->kind, "read") != 0) {
            continue;
        }
        base = base == REPORT_TIME_NONE ? op->addr : base;
        if (op->span.end_us != REPORT_TIME_NONE && op->status == 0) {
            ev[n++] = (fill_ev_t){op->span.end_us, 0, op->addr, (uint64_t)op->addr + op->len};
        }
    }
    base = base == REPORT_TIME_NONE ? 0 : base;
    for (size_t i = 0; i < r->n_chunks; i++) {
        if (r->chunks[i].storage_end >= 0) {
            ev[n++] = (fill_ev_t){r->chunks[i].span.start_us, 1,
                                  base + (uint64_t)r->chunks[i].storage_end, 0};
        }
    }
    qsort(ev, n, sizeof(ev[0]), fill_ev_cmp);
    int rc = point_push(&r->window_fill, &r->n_window_fill, &cap, 0, 0);
    uint64_t lo = 0, hi = 0, pos = base;
    bool held = false;
    for (size_t i = 0; rc == 0 && i < n && !cfg->sync_reader; i++) {
        if (ev[i].order == 0) {
            uint64_t cap_bytes = cfg->known ? cfg->window_bytes : ev[i].b - ev[i].a;
            if (held && ev[i].a >= lo && ev[i].a <= hi) {
                hi = ev[i].b > hi ? ev[i].b : hi;
                lo = hi - lo > cap_bytes ? hi - cap_bytes : lo;
            } else {
                lo = ev[i].a;
                hi = ev[i].b;
                held = true;
            }
        } else {
            pos = ev[i].a;
        }
        uint64_t from = pos > lo ? pos : lo;
        rc = point_push(&r->window_fill, &r->n_window_fill, &cap, ev[i].t_us,
                        held && from < hi ? hi - from : 0);
    }
    free(ev);
    return rc;
}

static void run_end_time(report_run_t *r)
{
    uint64_t end = r->finished ? r->drain_us : 0;
#define SEE_(t)                                                                                    \
    do {                                                                                           \
        if ((t) != REPORT_TIME_NONE && (t) > end)                                                  \
            end = (t);                                                                             \
    } while (0)
    for (size_t i = 0; i < r->n_ops; i++) {
        SEE_(r->ops[i].span.start_us);
        SEE_(r->ops[i].span.end_us);
    }
    for (size_t i = 0; i < r->n_waits; i++) {
        SEE_(r->waits[i].span.start_us);
        SEE_(r->waits[i].span.end_us);
    }
    for (size_t i = 0; i < r->n_chunks; i++) {
        SEE_(r->chunks[i].span.start_us);
        SEE_(r->chunks[i].span.end_us);
    }
    for (size_t i = 0; i < r->n_violations; i++) {
        SEE_(r->violations[i].t_us);
    }
#undef SEE_
    r->end_us = end;
}

static int load_trace(load_t *L)
{
    static const char ops_sql[] =
        "SELECT seq, kind, addr, len, start_us, end_us, status, status_name, fault "
        "FROM flash_ops WHERE run_id = ?1 ORDER BY seq";
    /* A power cut (run.power_cuts) ends the wait in progress: its result is 0, as READY's. */
    static const char prepare_sql[] =
        "SELECT seq, t_us, result FROM calls "
        "WHERE run_id = ?1 AND kind IN ('prepare', 'power_cut') ORDER BY seq";
    static const char chunks_sql[] =
        "SELECT seq, t_us, sent_us, len, header, flags, delivered, retransmissions, "
        "substr(data, 1, " STR_(CHUNK_PREFIX_BYTES) ") "
                                                    "FROM chunks WHERE run_id = ?1 ORDER BY seq";
    static const char viol_sql[] = "SELECT invariant, call_seq, t_us, detail FROM violations "
                                   "WHERE run_id = ?1 ORDER BY t_us, violation_id";
    static const char fault_sql[] = "SELECT fault, count(*) FROM flash_ops "
                                    "WHERE run_id = ?1 AND fault IS NOT NULL "
                                    "GROUP BY fault ORDER BY 2 DESC, 1";
    int rc = load_rows(L, ops_sql, on_op);
    rc = rc < 0 ? rc : load_rows(L, prepare_sql, on_prepare);
    rc = rc < 0 ? rc : load_rows(L, chunks_sql, on_chunk);
    rc = rc < 0 ? rc : load_rows(L, viol_sql, on_violation);
    rc = rc < 0 ? rc : load_rows(L, fault_sql, on_fault);
    return rc;
}

int report_run_load(sqlite3 *db, int64_t run_id, report_run_t *run, char *err, size_t errlen)
{
    *run = (report_run_t){.run_id = run_id};
    load_t L = {.db = db, .run = run, .err = err, .errlen = errlen, .msg_hdr = 1};
    int rc = load_row(&L, run_id);
    if (rc == 0 && L.oom) {
        rc =
            chunksim_err_format(-ENOMEM, err, errlen, "out of memory reading run %" PRId64, run_id);
    }
    rc = rc < 0 ? rc : load_trace(&L);
    if (rc == 0) {
        stored_config_t cfg;
        stored_config(run, &cfg);
        derive_link(run, &cfg);
        run->lanes_ops = lanes_assign(run->ops, run->n_ops, sizeof(run->ops[0]), 0);
        run->lanes_chunks = lanes_assign(run->chunks, run->n_chunks, sizeof(run->chunks[0]), 0);
        run_end_time(run);
        rc = derive_flash_busy(run);
        rc = rc < 0 ? rc : derive_window_fill(run, &cfg);
        if (rc < 0) {
            chunksim_err_format(rc, err, errlen, "out of memory deriving run %" PRId64, run_id);
        }
    }
    if (rc < 0) {
        report_run_free(run);
    }
    return rc;
}

void report_run_free(report_run_t *run)
{
    free(run->ops);
    free(run->waits);
    free(run->chunks);
    free(run->violations);
    free(run->faults);
    free(run->flash_busy);
    free(run->window_fill);
    str_free_all(run->strs_);
    *run = (report_run_t){0};
}

/* ---- selection ---- */

static int one_int(sqlite3 *db, const char *sql, const char *text, int64_t num, int64_t *out,
                   bool *found, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc = sql_prepare(db, sql, &st, err, errlen);
    if (rc < 0) {
        return rc;
    }
    if (text != NULL) {
        sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_int64(st, 1, num);
    }
    int step = sqlite3_step(st);
    *found = step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (*found) {
        *out = sqlite3_column_int64(st, 0);
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        rc = sql_fail(db, err, errlen, "selecting the run");
    }
    sqlite3_finalize(st);
    return rc;
}

int report_run_latest(sqlite3 *db, const char *name, int64_t *run_id, char *err, size_t errlen)
{
    bool found;
    int rc = one_int(db,
                     "SELECT max(r.run_id) FROM runs r JOIN scenarios s "
                     "ON s.scenario_id = r.scenario_id WHERE s.name = ?1",
                     name, 0, run_id, &found, err, errlen);
    if (rc == 0 && !found) {
        rc = chunksim_err_format(-EINVAL, err, errlen, "no run of scenario '%s' in the database",
                                 name);
    }
    return rc;
}

int report_run_exists(sqlite3 *db, int64_t run_id, char *err, size_t errlen)
{
    bool found;
    int64_t id;
    int rc = one_int(db, "SELECT run_id FROM runs WHERE run_id = ?1", NULL, run_id, &id, &found,
                     err, errlen);
    return rc < 0 ? rc : found;
}

int report_run_ids(sqlite3 *db, int64_t **ids, size_t *n, char *err, size_t errlen)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *st;
    int rc = sql_prepare(db, "SELECT run_id FROM runs ORDER BY run_id", &st, err, errlen);
    size_t cap = 0;
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (cli_grow((void **)ids, &cap, *n, sizeof(**ids), 256) < 0) {
            rc = chunksim_err_format(-ENOMEM, err, errlen, "out of memory listing runs");
        } else {
            (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
        }
    }
    if (rc == 0 && step != SQLITE_DONE) {
        rc = sql_fail(db, err, errlen, "listing runs");
    }
    sqlite3_finalize(st);
    if (rc < 0) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- overview ---- */

/* Appends "name count" to a growing ", "-separated list. */
static int list_append(char **list, size_t *len, const char *name, int64_t count)
{
    char item[160];
    int k = snprintf(item, sizeof(item), "%s%s %" PRId64, *len ? ", " : "", name, count);
    k = k < 0 ? 0 : k >= (int)sizeof(item) ? (int)sizeof(item) - 1 : k;
    char *p = realloc(*list, *len + (size_t)k + 1);
    if (p == NULL) {
        return -ENOMEM;
    }
    memcpy(p + *len, item, (size_t)k + 1);
    *list = p;
    *len += (size_t)k;
    return 0;
}

static int overview_outcomes(sqlite3 *db, report_overview_t *ov, bool *oom, char *err,
                             size_t errlen)
{
    static const char sql[] =
        "SELECT s.name, coalesce(r.outcome, 'running'), count(*) FROM runs r "
        "JOIN scenarios s ON s.scenario_id = r.scenario_id GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2";
    static const char all_sql[] = "SELECT coalesce(outcome, 'running'), count(*) FROM runs "
                                  "GROUP BY 1 ORDER BY 2 DESC, 1";
    sqlite3_stmt *st;
    int rc = sql_prepare(db, sql, &st, err, errlen);
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        const char *name = col_text(st, 0) ? col_text(st, 0) : "";
        for (size_t i = 0; i < ov->n_rows; i++) {
            report_scenario_row_t *row = &ov->rows[i];
            if (strcmp(row->scenario, name) != 0) {
                continue;
            }
            char *list = row->outcomes ? strdup(row->outcomes) : NULL;
            size_t len = list ? strlen(list) : 0;
            if ((row->outcomes && list == NULL) ||
                list_append(&list, &len, col_text(st, 1), sqlite3_column_int64(st, 2)) < 0) {
                rc = -ENOMEM;
            } else {
                row->outcomes = str_keep(&ov->strs_, list, oom);
            }
            free(list);
        }
    }
    sqlite3_finalize(st);
    char *list = NULL;
    size_t len = 0;
    rc = rc < 0 ? rc : sql_prepare(db, all_sql, &st, err, errlen);
    if (rc == 0) {
        while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
            ov->runs += (uint64_t)sqlite3_column_int64(st, 1);
            rc = list_append(&list, &len, col_text(st, 0), sqlite3_column_int64(st, 1));
        }
        sqlite3_finalize(st);
        ov->outcomes = str_keep(&ov->strs_, list ? list : "", oom);
    }
    free(list);
    return rc;
}

int report_overview_load(sqlite3 *db, report_overview_t *ov, char *err, size_t errlen)
{
    static const char sql[] =
        "SELECT scenario, count(*), sum(violations), count(drain_us), avg(drain_us), "
        "avg(CASE WHEN drain_us > 0 THEN message_bytes * 1e6 / drain_us END), "
        "avg(efficiency), min(efficiency) "
        "FROM run_summary GROUP BY scenario ORDER BY min(run_id)";
    *ov = (report_overview_t){0};
    sqlite3_stmt *st;
    int rc = sql_prepare(db, sql, &st, err, errlen);
    size_t cap = 0;
    bool oom = false;
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (cli_grow((void **)&ov->rows, &cap, ov->n_rows, sizeof(ov->rows[0]), 256) < 0) {
            rc = -ENOMEM;
            break;
        }
        ov->rows[ov->n_rows++] = (report_scenario_row_t){
            .scenario = str_keep(&ov->strs_, col_text(st, 0) ? col_text(st, 0) : "", &oom),
            .runs = col_u64(st, 1),
            .violations = col_u64(st, 2),
            .have_metrics = sqlite3_column_int64(st, 3) > 0,
            .drain_us_mean = sqlite3_column_double(st, 4),
            .bytes_per_s_mean = sqlite3_column_double(st, 5),
            .efficiency_mean = sqlite3_column_double(st, 6),
            .efficiency_min = sqlite3_column_double(st, 7),
        };
    }
    if (rc == 0 && step != SQLITE_DONE) {
        rc = sql_fail(db, err, errlen, "reading the runs");
    }
    sqlite3_finalize(st);
    rc = rc < 0 ? rc : overview_outcomes(db, ov, &oom, err, errlen);
    if (rc == -ENOMEM || (rc == 0 && oom)) {
        rc = chunksim_err_format(-ENOMEM, err, errlen, "out of memory reading the runs");
    }
    if (rc < 0) {
        report_overview_free(ov);
    }
    return rc;
}

void report_overview_free(report_overview_t *ov)
{
    free(ov->rows);
    str_free_all(ov->strs_);
    *ov = (report_overview_t){0};
}
