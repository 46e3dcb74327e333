/*
 * Recorder: the buffer trace rows wait in, and calls gathered into blocks.
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

struct chunksim_rec_rows {
    rec_table_t table[KIND_COUNT];
    char *bytes;
    size_t bytes_used, bytes_cap;
    uint32_t count; /* rows, all kinds */

    bool any_seq[KIND_COUNT];     /* a row of this kind was stored in this run ... */
    uint64_t max_seq[KIND_COUNT]; /* ... and this is the highest seq among them */

    /* The block of calls still growing: calls block_seq, block_seq + 1, ... as JSON. */
    bool block_open;
    uint64_t block_seq;
    uint32_t block_calls;
    rec_text_t block_text;
    bool any_call;      /* a call was recorded in this run ... */
    uint64_t last_call; /* ... and this was its seq */
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
    free(rows->block_text.text);
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
    rows->block_open = false;
}

void chunksim__rec_rows_run_begin(struct chunksim_rec_rows *rows)
{
    chunksim__rec_rows_clear(rows);
    for (int k = 0; rows && k < KIND_COUNT; k++)
        rows->any_seq[k] = false;
    if (rows)
        rows->any_call = false;
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

static int rec_block_close(chunksim_rec_t *rec);

int chunksim__rec_rows_insert(chunksim_rec_t *rec)
{
    int r = rec->rows_ ? rec_block_close(rec) : 0;
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

/* ---- calls, in blocks ------------------------------------------------------------------ */

/*
 * A recorded run makes three calls per chunk. As rows of their own they cost
 * more to insert than the chunks; a block of up to 64 consecutive calls in one
 * row costs a JSON text per call instead. A block ends at a gap in seq, at a
 * batch's end, or at these bounds; the bytes keep a row inside its B-tree
 * page (a WITHOUT ROWID row above about 1000 bytes spills to overflow pages,
 * and 4 KiB blocks made the table 40% larger).
 */
#define REC_BLOCK_CALLS 64u
#define REC_BLOCK_BYTES 900

/* The open block becomes a stored row. */
static int rec_block_close(chunksim_rec_t *rec)
{
    struct chunksim_rec_rows *b = rec->rows_;
    if (!b->block_open)
        return 0;
    b->block_open = false;
    chunksim__rec_text_put(&b->block_text, "]", 1);
    if (b->block_text.failed)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_SQLITE,
                                  "out of memory: %u calls from seq %llu were lost",
                                  (unsigned)b->block_calls, (unsigned long long)b->block_seq);
    rec_call_block_t row = {b->block_seq, b->block_text.text};
    int r = rec_rows_add_stored(rec, KIND_CALLS, &row, b->block_calls);
    if (r != 0) {
        size_t n = strlen(rec->errmsg_);
        snprintf(rec->errmsg_ + n, sizeof rec->errmsg_ - n,
                 "; so were the %u calls from seq %llu that were to be stored next",
                 (unsigned)b->block_calls, (unsigned long long)b->block_seq);
    }
    return r;
}

/*
 * A call joins the open block or opens one. Inside a block SQLite cannot see
 * a seq, so the order is checked here: every call's seq is above the last.
 */
static int rec_call_add(chunksim_rec_t *rec, const chunksim_rec_call_t *c)
{
    struct chunksim_rec_rows *b = rec->rows_;
    if (b->any_call && c->seq <= b->last_call)
        return chunksim__rec_fail(rec, CHUNKSIM_REC_E_INVAL,
                                  "call seq %llu is not above seq %llu, the run's last call: calls "
                                  "are recorded in the order they are made",
                                  (unsigned long long)c->seq, (unsigned long long)b->last_call);
    /* A failed close reports what was lost; this call still opens the next block. */
    int r = 0;
    if (b->block_open && (c->seq != b->last_call + 1 || b->block_calls >= REC_BLOCK_CALLS ||
                          b->block_text.len > REC_BLOCK_BYTES))
        r = rec_block_close(rec);
    if (!b->block_open) {
        b->block_text.len = 0;
        b->block_text.failed = false;
        chunksim__rec_text_put(&b->block_text, "[", 1);
        b->block_open = true;
        b->block_seq = c->seq;
        b->block_calls = 0;
    } else {
        chunksim__rec_text_put(&b->block_text, ",", 1);
    }
    chunksim__rec_call_json(&b->block_text, c);
    b->block_calls++;
    b->any_call = true;
    b->last_call = c->seq;
    return r;
}

int chunksim__rec_rows_add(chunksim_rec_t *rec, int kind, const void *row)
{
    return kind == KIND_CALLS ? rec_call_add(rec, row) : rec_rows_add_stored(rec, kind, row, 1);
}
