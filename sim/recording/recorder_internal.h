/*
 * The recorder's parts, shared by its files and by merge.c; not a public
 * interface. recorder.c records (transactions, runs, the recording calls),
 * recorder_open.c opens, creates and repairs, recorder_columns.c lists each
 * trace table's columns once, recorder_rows.c buffers trace rows and gathers
 * calls and chunks into blocks, recorder_vtab.c hands the buffer to SQLite,
 * recorder_bind.c turns C values into SQL values and errors into messages.
 */
#ifndef CHUNKSIM_RECORDER_INTERNAL_H
#define CHUNKSIM_RECORDER_INTERNAL_H

#include "chunksim/recorder.h"

#include <sqlite3.h>

#include <stdbool.h>
#include <stddef.h>

#define REC_NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/* Prepared once per connection; the *_BULK ones are built from the column tables. */
enum rec_stmt {
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_SCENARIO_INSERT,
    STMT_SCENARIO_FIND,
    STMT_IMAGE_FIND,
    STMT_IMAGE_INSERT,
    STMT_RUN_INSERT,
    STMT_RUN_END,
    STMT_RUN_ABORT,
    STMT_VIOLATION,
    STMT_PARAM,
    STMT_METRIC,
    STMT_BULK, /* one per trace table, in rec_kind order */
    STMT_COUNT = STMT_BULK + 3
};

/* ---- the trace tables, each described once (recorder_columns.c) ---------------------- */

/* How a column's C value becomes its SQL value; sentinels become NULL. */
typedef enum {
    REC_COL_U64,  /* uint64_t, stored with its bits (chunksim__rec_i64) */
    REC_COL_TIME, /* uint64_t, CHUNKSIM_REC_TIME_NONE: NULL */
    REC_COL_ARG,  /* int64_t, CHUNKSIM_REC_ARG_NONE: NULL */
    REC_COL_INT,  /* int */
    REC_COL_U32,  /* uint32_t */
    REC_COL_SIZE, /* size_t */
    REC_COL_U8,   /* uint8_t */
    REC_COL_BOOL, /* bool */
    REC_COL_TEXT, /* const char *, NULL: NULL */
    REC_COL_BLOB, /* const void * with a size_t length at len_at; never NULL */
} rec_col_type_t;

typedef struct {
    const char *name; /* the SQL column */
    rec_col_type_t type;
    size_t at;     /* offset of the value in the table's C row struct */
    size_t len_at; /* REC_COL_BLOB: offset of its length */
} rec_column_t;

/* The most columns a trace table has (recorder_columns.c checks it). */
#define REC_COLS_MAX 16

/*
 * One trace table: its columns after run_id, in SQL order, read from a C
 * struct. Column 0 is "seq" (REC_COL_U64): rows are keyed (run_id, seq).
 * The table of that name in schema.sql, or the view chunksim__rec_view_sql()
 * makes, has exactly these columns (tests/sim/test_recorder.c checks the
 * tables, and the views against the version 3 columns written out).
 */
typedef struct {
    const char *name; /* the SQL table */
    const char *what; /* in messages */
    const rec_column_t *cols;
    int ncols;
} rec_trace_table_t;

/* A row of a block table (call_blocks, chunk_blocks): the rows seq, seq + 1, ... */
typedef struct {
    uint64_t seq;
    const char *items; /* JSON: one array per row (chunksim__rec_json_row) */
    const void *data;  /* their BLOB column's bytes, one after another */
    size_t data_len;
} rec_block_row_t;

enum rec_kind { KIND_CALLS, KIND_FLASH_OPS, KIND_CHUNKS, KIND_COUNT };

/* As readers see them, read from chunksim_rec_call_t, chunksim_rec_flash_op_t,
 * chunksim_rec_chunk_t. */
extern const rec_trace_table_t chunksim__rec_tables[KIND_COUNT];
/*
 * As stored: calls and chunks in blocks (call_blocks, chunk_blocks), whose
 * JSON column holds each row's columns after seq as an array, in
 * chunksim__rec_tables order, a BLOB column as its offset into the block's
 * data; the calls and chunks views unpack them. Flash ops as they are.
 */
extern const rec_trace_table_t *const chunksim__rec_stored[KIND_COUNT];

/*
 * "CREATE VIEW calls AS ...": the view that reads a kind stored in blocks one
 * row per item, with the columns of chunksim__rec_tables[kind]; NULL for a
 * kind stored as it is, or no memory. sqlite3_free() it.
 */
char *chunksim__rec_view_sql(int kind);

/* "c1, c2, ..." with each name after prefix ("x." or ""): sqlite3_free() it; NULL: no memory. */
char *chunksim__rec_column_list(const rec_trace_table_t *t, const char *prefix);

/* A field of a row struct: a length, a pointer, an integer column's value. */
size_t chunksim__rec_size_at(const void *row, size_t at);
const void *chunksim__rec_ptr_at(const void *row, size_t at);
sqlite3_int64 chunksim__rec_int_at(const rec_column_t *c, const void *row);
/* Whether an integer column's value is its "none" marker, stored as NULL. */
bool chunksim__rec_int_null(rec_col_type_t type, sqlite3_int64 v);

/* Growing NUL-terminated text; failed: memory ran out, nothing more is appended. */
typedef struct {
    char *text;
    size_t len, cap;
    bool failed;
} rec_text_t;

void chunksim__rec_text_put(rec_text_t *t, const char *s, size_t n);

/*
 * Append before ('[' opening a block, ',' between rows), then the row's
 * columns after seq as a JSON array, to json; its BLOB's bytes to data.
 */
void chunksim__rec_json_row(rec_text_t *json, rec_text_t *data, const rec_trace_table_t *t,
                            const void *row, char before);

/* ---- errors and values (recorder_bind.c) ---------------------------------------------- */

int chunksim__rec_fail(chunksim_rec_t *rec, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int chunksim__rec_fail_sqlite(chunksim_rec_t *rec, const char *what);

/* SQLite integers are signed: keep the bits of values >= 2^63 (seeds) rather than clamp. */
sqlite3_int64 chunksim__rec_i64(uint64_t v);

int chunksim__rec_bind_text(sqlite3_stmt *st, int i, const char *s);
int chunksim__rec_bind_u64(sqlite3_stmt *st, int i, uint64_t v);

/* Step a statement that returns no row and make it reusable; bind_rc: OR of the binds. */
int chunksim__rec_step_done(chunksim_rec_t *rec, sqlite3_stmt *st, int bind_rc, const char *what);

/* ---- buffered trace rows (recorder_rows.c) -------------------------------------------- */

/*
 * A buffered row is one int64 cell per column: the value's bits, or for text
 * its arena offset + 1 (0: NULL), for a blob its arena offset << 32 | length.
 */
typedef sqlite3_int64 rec_cell_t;

/* What the virtual table reads: one kind's rows, and the arena their text is in. */
typedef struct rec_table {
    char *const *arena; /* the buffer's byte arena (it moves as it grows) */
    int kind;
    rec_cell_t *cell;
    uint32_t count, cap;
    uint32_t items; /* calls, flash ops or chunks in the rows (a block holds many calls) */
} rec_table_t;

/* sqlite3_bind_pointer() type tag: only a rec_table_t bound by the recorder is ever read. */
#define CHUNKSIM__REC_ROWS_POINTER_TYPE "chunksim_rec_table"

struct chunksim_rec_rows *chunksim__rec_rows_new(void);
void chunksim__rec_rows_free(struct chunksim_rec_rows *rows);
/* Drop what is waiting (inserted, or lost with its batch). */
void chunksim__rec_rows_clear(struct chunksim_rec_rows *rows);
/* A new run: no seq of any kind seen yet. */
void chunksim__rec_rows_run_begin(struct chunksim_rec_rows *rows);
/* Register the virtual tables and prepare the bulk inserts into rec->stmt_ (recorder_vtab.c). */
int chunksim__rec_rows_prepare(chunksim_rec_t *rec);

/*
 * One row of kind, read from its C struct (chunksim_rec_call_t, ...): buffered,
 * or inserted now after the rows of its kind waiting before it when its seq
 * is not above every earlier one of its kind (so a repeat fails here) or it
 * is too big to buffer.
 */
int chunksim__rec_rows_add(chunksim_rec_t *rec, int kind, const void *row);

/* Every row recorded so far is in SQLite's open batch when this returns 0. */
int chunksim__rec_rows_insert(chunksim_rec_t *rec);

/* ---- shared by the recording calls and opening (recorder.c) --------------------------- */

int chunksim__rec_txn_commit(chunksim_rec_t *rec);
void chunksim__rec_host_name(char *buf, size_t len);

#endif
