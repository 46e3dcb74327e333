/*
 * Recorder: the buffer trace rows wait in, and calls and chunks gathered into
 * blocks.
 *
 * Calls, flash ops and chunks wait in plain arrays and reach SQLite through
 * one INSERT ... SELECT per table from an eponymous virtual table that reads
 * the array. A one-row INSERT pays for a whole statement run (cursor open,
 * seek, halt, reset) per row; this pays it once per buffer of up to 4096
 * rows, which halves the cost of a row. Text and chunk bytes are copied into
 * the buffer's byte arena because the caller's pointers live only for its
 * call.
 *
 * The virtual tables are in recorder_vtab.c, the columns in
 * recorder_columns.c.
 *
 * The (run_id, seq) keys must still refuse a repeated seq at the call that
 * repeats it. A row whose seq is above every seq of its kind so far in this
 * run cannot collide, so it is buffered; any other row (flash ops completing
 * out of order, a caller's bug) is inserted on the spot after the rows of its
 * kind buffered before it.
 *
 * A writer thread inserting one buffer while the simulation fills the next
 * was tried and measured: on the project's 2-CPU machines it saved nothing
 * in an optimized build (the commits and the checkpoints' fsyncs stay
 * serial, and the simulation is a fifth of a recorded run) and cost 20% more
 * CPU.
 */
#include "recorder_internal.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Buffered rows are handed to SQLite when this many are waiting (or at a
 * batch commit, if sooner): past a thousand rows one INSERT ... SELECT costs
 * no less per row, and the buffer stays small whatever batch_rows is.
 */
#define REC_ROWS_FLUSH_ROWS 4096u
/* ... or when their text and chunk bytes reach this; a row bigger than a
 * quarter of it is inserted on its own. */
#define REC_ROWS_FLUSH_BYTES (4u << 20)

/* ---- the buffer ------------------------------------------------------------------------ */

/* The block of one kind still growing: rows seq, seq + 1, ... as JSON and bytes. */
typedef struct {
    bool open;
    uint64_t seq; /* the first row's */
    uint32_t rows;
    rec_text_t json, data;
    bool any;      /* a row of this kind was recorded in this run ... */
    uint64_t last; /* ... and this was its seq */
} rec_block_t;

struct chunksim_rec_rows {
    rec_table_t table[KIND_COUNT];
    char *bytes;
    size_t bytes_used, bytes_cap;
    uint32_t count; /* rows, all kinds */

    bool any_seq[KIND_COUNT];     /* a row of this kind was stored in this run ... */
    uint64_t max_seq[KIND_COUNT]; /* ... and this is the highest seq among them */

    rec_block_t block[KIND_COUNT]; /* calls and chunks (rec_blocked) */
};

struct chunksim_rec_rows *chunksim__rec_rows_new(void)
{
    struct chunksim_rec_rows *rows = calloc(1, sizeof *rows);
    for (int k = 0; rows && k < KIND_COUNT; k++) {
        rows->table[k].arena = &rows->bytes;
        rows->table[k].kind = k;
    }
    return rows;
}

void chunksim__rec_rows_free(struct chunksim_rec_rows *rows)
{
    if (!rows)
        return;
    for (int k = 0; k < KIND_COUNT; k++)
        free(rows->table[k].cell);
    free(rows->bytes);
    for (int k = 0; k < KIND_COUNT; k++) {
        free(rows->block[k].json.text);
        free(rows->block[k].data.text);
    }
    free(rows);
}

void chunksim__rec_rows_clear(struct chunksim_rec_rows *rows)
{
    if (!rows)
        return;
    for (int k = 0; k < KIND_COUNT; k++) {
        rows->table[k].count = 0;
        rows->table[k].items = 0;
    }
    rows->count = 0;
    rows->bytes_used = 0;
    for (int k = 0; k < KIND_COUNT; k++)
        rows->block[k].open = false;
}

void chunksim__rec_rows_run_begin(struct chunksim_rec_rows *rows)
{
    chunksim__rec_rows_clear(rows);
    for (int k = 0; rows && k < KIND_COUNT; k++)
        rows->any_seq[k] = false;
    for (int k = 0; rows && k < KIND_COUNT; k++)
        rows->block[k].any = false;
}

/* Insert the waiting rows of one kind into the open batch; they are gone from the buffer. */
static int rec_rows_insert_kind(chunksim_rec_t *rec, int kind)
{
    rec_table_t *t = &rec->rows_->table[kind];
    if (t->count == 0)
        return 0;
    sqlite3_stmt *st = rec->stmt_[STMT_BULK + kind];
    int rc = sqlite3_bind_int64(st, 1, rec->run_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_pointer(st, 2, t, CHUNKSIM__REC_ROWS_POINTER_TYPE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int r = 0;
    if (rc != SQLITE_DONE)
        r = chunksim__rec_fail(
            rec, CHUNKSIM_REC_E_SQLITE, "insert buffered rows: %s; %u buffered %s were lost",
            sqlite3_errmsg(rec->db_), (unsigned)t->items, chunksim__rec_stored[kind]->what);
    sqlite3_reset(st);
    rec->rows_->count -= t->count;
    t->count = 0;
    t->items = 0;
    return r;
}

static int rec_block_close(chunksim_rec_t *rec, int kind);

int chunksim__rec_rows_insert(chunksim_rec_t *rec)
{
    int r = 0;
    for (int k = 0; rec->rows_ && k < KIND_COUNT; k++) {
        int rk = rec_block_close(rec, k);
        r = r != 0 ? r : rk;
    }
    if (!rec->rows_ || rec->rows_->count == 0)
        return r;
    for (int k = 0; k < KIND_COUNT; k++) {
        int rk = rec_rows_insert_kind(rec, k);
        r = r != 0 ? r : rk; /* the first failure is reported, the other kinds still tried */
    }
    chunksim__rec_rows_clear(rec->rows_);
    return r;
}

/* p with room for need units (doubling from first), or NULL with p untouched. */
static void *rec_grow(void *p, size_t *cap, size_t need, size_t unit, size_t first)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : first;
    while (n < need)
        n *= 2;
    void *q = realloc(p, n * unit);
    if (q)
        *cap = n;
    return q;
}

/* Arena bytes the row's text and blobs take. */
static size_t rec_row_extra(const rec_trace_table_t *t, const void *row)
{
    size_t extra = 0;
    for (int i = 0; i < t->ncols; i++) {
        const rec_column_t *c = &t->cols[i];
        if (c->type == REC_COL_TEXT) {
            const char *s = chunksim__rec_ptr_at(row, c->at);
            extra += s ? strlen(s) + 1 : 0;
        } else if (c->type == REC_COL_BLOB) {
            extra += chunksim__rec_size_at(row, c->len_at);
        }
    }
    return extra;
}

/* Copy into the arena, which has the room. */
static uint32_t rec_rows_put(struct chunksim_rec_rows *rows, const void *p, size_t len)
{
    uint32_t at = (uint32_t)rows->bytes_used;
    if (len > 0)
        memcpy(rows->bytes + at, p, len);
    rows->bytes_used += len;
    return at;
}

static rec_cell_t rec_cell(struct chunksim_rec_rows *rows, const rec_column_t *c, const void *row)
{
    if (c->type == REC_COL_TEXT) {
        const char *s = chunksim__rec_ptr_at(row, c->at);
        return s ? (rec_cell_t)rec_rows_put(rows, s, strlen(s) + 1) + 1 : 0;
    }
    if (c->type == REC_COL_BLOB) {
        size_t len = chunksim__rec_size_at(row, c->len_at);
        uint64_t at = rec_rows_put(rows, chunksim__rec_ptr_at(row, c->at), len);
        return (rec_cell_t)(at << 32 | len);
    }
    return chunksim__rec_int_at(c, row);
}

/* Append one row; the caller made room in the row count and the byte limit. */
static int rec_rows_append(chunksim_rec_t *rec, int kind, const void *row, size_t extra,
                           uint32_t items)
{
    struct chunksim_rec_rows *b = rec->rows_;
    const rec_trace_table_t *tt = chunksim__rec_stored[kind];
    rec_table_t *t = &b->table[kind];
    size_t cap = t->cap;
    rec_cell_t *cell = rec_grow(t->cell, &cap, ((size_t)t->count + 1) * (size_t)tt->ncols,
                                sizeof *cell, 256u * (size_t)tt->ncols);
    if (cell) {
        t->cell = cell;
        t->cap = (uint32_t)cap;
    }
    char *bytes = rec_grow(b->bytes, &b->bytes_cap, b->bytes_used + extra, 1, 64u << 10);
    if (bytes)
        b->bytes = bytes;
    if (!cell || !bytes || b->bytes_used + extra > UINT32_MAX)
        return chunksim__rec_fail(
            rec, CHUNKSIM_REC_E_SQLITE,
            "out of memory buffering a row of %s (%zu bytes of text and data)", tt->what, extra);
    rec_cell_t *out = t->cell + (size_t)t->count * (size_t)tt->ncols;
    for (int i = 0; i < tt->ncols; i++)
        out[i] = rec_cell(b, &tt->cols[i], row);
    t->count++;
    t->items += items;
    b->count++;
    return 0;
}

/* A row of kind's stored table, holding items calls, flash ops or chunks. */
static int rec_rows_add_stored(chunksim_rec_t *rec, int kind, const void *row, uint32_t items)
{
    struct chunksim_rec_rows *b = rec->rows_;
    const rec_trace_table_t *tt = chunksim__rec_stored[kind];
    uint64_t seq = (uint64_t)rec_cell(b, &tt->cols[0], row);
    size_t extra = rec_row_extra(tt, row);
    bool alone = (b->any_seq[kind] && seq <= b->max_seq[kind]) || extra > REC_ROWS_FLUSH_BYTES / 4;
    int r = 0;
    if (alone)
        r = rec_rows_insert_kind(rec, kind);
    else if (b->count >= REC_ROWS_FLUSH_ROWS || b->bytes_used + extra > REC_ROWS_FLUSH_BYTES)
        r = chunksim__rec_rows_insert(rec);
    if (r == 0)
        r = rec_rows_append(rec, kind, row, extra, items);
    if (r != 0)
        return r;
    if (!b->any_seq[kind] || seq > b->max_seq[kind])
        b->max_seq[kind] = seq;
    b->any_seq[kind] = true;
    return alone ? rec_rows_insert_kind(rec, kind) : 0;
}

/* ---- calls and chunks, in blocks ---------------------------------------------------------- */

/*
 * A recorded run makes three calls and one chunk per chunk. As rows of their
 * own they cost more to insert than the simulation costs to run; a block of
 * up to 64 consecutive ones in one row costs a JSON text per row instead. A
 * block ends at a gap in seq, at a batch's end, or at these bounds; the bytes
 * keep two rows to a 4 KiB B-tree page (one row of 3500 bytes left an eighth
 * of each page empty; a row above about 4000 bytes spills to overflow pages).
 */
#define REC_BLOCK_ROWS  64u
#define REC_BLOCK_BYTES 1950u

static bool rec_blocked(int kind)
{
    return chunksim__rec_stored[kind] != &chunksim__rec_tables[kind];
}

/* The open block becomes a stored row. */
static int rec_block_close(chunksim_rec_t *rec, int kind)
{
    rec_block_t *b = &rec->rows_->block[kind];
    if (!b->open)
        return 0;
    b->open = false;
    chunksim__rec_text_put(&b->json, "]", 1);
    const char *what = chunksim__rec_tables[kind].what;
    if (b->json.failed || b->data.failed)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_SQLITE,
                                  "out of memory: %u %s from seq %llu were lost", (unsigned)b->rows,
                                  what, (unsigned long long)b->seq);
    rec_block_row_t row = {b->seq, b->json.text, b->data.text, b->data.len};
    int r = rec_rows_add_stored(rec, kind, &row, b->rows);
    if (r != 0) {
        size_t n = strlen(rec->errmsg_);
        snprintf(rec->errmsg_ + n, sizeof rec->errmsg_ - n,
                 "; so were the %u %s from seq %llu that were to be stored next", (unsigned)b->rows,
                 what, (unsigned long long)b->seq);
    }
    return r;
}

/*
 * A row joins its kind's open block or opens one. Inside a block SQLite
 * cannot see a seq, so the order is checked here: each seq is above the last.
 */
static int rec_block_add(chunksim_rec_t *rec, int kind, const void *row)
{
    const rec_trace_table_t *t = &chunksim__rec_tables[kind];
    rec_block_t *b = &rec->rows_->block[kind];
    uint64_t seq = (uint64_t)chunksim__rec_int_at(&t->cols[0], row);
    if (b->any && seq <= b->last)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL,
                                  "%s: seq %llu is not above seq %llu, the last one recorded in "
                                  "this run (calls and chunks are recorded in order)",
                                  t->what, (unsigned long long)seq, (unsigned long long)b->last);
    /* A failed close reports what was lost; this row still opens the next block. */
    int r = 0;
    if (b->open && seq != b->last + 1)
        r = rec_block_close(rec, kind);
    if (!b->open) {
        b->json = (rec_text_t){.text = b->json.text, .cap = b->json.cap};
        b->data = (rec_text_t){.text = b->data.text, .cap = b->data.cap};
        chunksim__rec_text_put(&b->data, "", 0);
        b->open = true;
        b->seq = seq;
        b->rows = 0;
    }
    chunksim__rec_json_row(&b->json, &b->data, t, row, b->rows == 0 ? '[' : ',');
    b->rows++;
    b->any = true;
    b->last = seq;
    /* Full: stored now (a block passes its bytes by at most its last row). */
    if (b->rows >= REC_BLOCK_ROWS || b->json.len + b->data.len >= REC_BLOCK_BYTES) {
        int rc = rec_block_close(rec, kind);
        r = r != 0 ? r : rc;
    }
    return r;
}

int chunksim__rec_rows_add(chunksim_rec_t *rec, int kind, const void *row)
{
    return rec_blocked(kind) ? rec_block_add(rec, kind, row)
                             : rec_rows_add_stored(rec, kind, row, 1);
}
