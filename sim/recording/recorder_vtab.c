/*
 * Recorder: the eponymous virtual tables the bulk inserts read the row
 * buffer through (recorder_rows.c), one per stored trace table, declared from
 * its column list. Read-only, and callable only from the recorder's own
 * statements.
 */
#include "recorder_internal.h"

#include <stdint.h>
#include <string.h>

/* ---- the virtual table: read-only, one row per buffered row, the buffer as hidden argument */

typedef struct {
    sqlite3_vtab base;
    int kind;
} rec_vtab_t;

typedef struct {
    sqlite3_vtab_cursor base;
    const rec_table_t *table;
    uint32_t i;
} rec_vcursor_t;

static int rec_vtab_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                            sqlite3_vtab **out, char **err)
{
    (void)argc;
    (void)argv;
    (void)err;
    int kind = (int)(intptr_t)aux;
    char *cols = chunksim__rec_column_list(chunksim__rec_stored[kind], "");
    char *decl = cols ? sqlite3_mprintf("CREATE TABLE x (%s, buffer HIDDEN)", cols) : NULL;
    int rc = decl ? sqlite3_declare_vtab(db, decl) : SQLITE_NOMEM;
    sqlite3_free(decl);
    sqlite3_free(cols);
    if (rc != SQLITE_OK)
        return rc;
    /* Not callable from triggers or views a database file might carry. */
    sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
    rec_vtab_t *v = sqlite3_malloc(sizeof *v);
    if (!v)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    v->kind = kind;
    *out = &v->base;
    return SQLITE_OK;
}

static int rec_vtab_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

/* The only plan: the buffer given as the hidden column's value. Without it there is no table. */
static int rec_vtab_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info)
{
    int buffer_col = chunksim__rec_stored[((rec_vtab_t *)vtab)->kind]->ncols;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->usable && c->op == SQLITE_INDEX_CONSTRAINT_EQ && c->iColumn == buffer_col) {
            info->aConstraintUsage[i].argvIndex = 1;
            info->aConstraintUsage[i].omit = 1;
            info->estimatedCost = 1;
            return SQLITE_OK;
        }
    }
    return SQLITE_CONSTRAINT;
}

static int rec_vtab_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out)
{
    (void)vtab;
    rec_vcursor_t *c = sqlite3_malloc(sizeof *c);
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    *out = &c->base;
    return SQLITE_OK;
}

static int rec_vtab_close(sqlite3_vtab_cursor *cur)
{
    sqlite3_free(cur);
    return SQLITE_OK;
}

static int rec_vtab_filter(sqlite3_vtab_cursor *cur, int idx_num, const char *idx_str, int argc,
                           sqlite3_value **argv)
{
    (void)idx_num;
    (void)idx_str;
    rec_vcursor_t *c = (rec_vcursor_t *)cur;
    c->table = argc == 1 ? sqlite3_value_pointer(argv[0], CHUNKSIM__REC_ROWS_POINTER_TYPE) : NULL;
    c->i = 0;
    return SQLITE_OK;
}

static int rec_vtab_next(sqlite3_vtab_cursor *cur)
{
    ((rec_vcursor_t *)cur)->i++;
    return SQLITE_OK;
}

static int rec_vtab_eof(sqlite3_vtab_cursor *cur)
{
    const rec_vcursor_t *c = (const rec_vcursor_t *)cur;
    return !c->table || c->i >= c->table->count;
}

static int rec_vtab_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = ((rec_vcursor_t *)cur)->i;
    return SQLITE_OK;
}

/* A column left without a result is SQL NULL. Arena bytes outlive the statement's step. */
static void rec_result(sqlite3_context *ctx, const char *arena, rec_col_type_t type, rec_cell_t v)
{
    switch (type) {
    case REC_COL_TEXT:
        if (v)
            sqlite3_result_text(ctx, arena + v - 1, -1, SQLITE_STATIC);
        break;
    case REC_COL_BLOB: {
        /* An empty blob is an empty blob, not NULL (chunks.data is NOT NULL). */
        uint32_t len = (uint32_t)v;
        if (len == 0)
            sqlite3_result_zeroblob(ctx, 0);
        else
            sqlite3_result_blob(ctx, arena + ((uint64_t)v >> 32), (int)len, SQLITE_STATIC);
        break;
    }
    default:
        if (!chunksim__rec_int_null(type, v))
            sqlite3_result_int64(ctx, v);
        break;
    }
}

static int rec_vtab_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    const rec_vcursor_t *c = (const rec_vcursor_t *)cur;
    const rec_table_t *t = c->table;
    const rec_trace_table_t *tt = chunksim__rec_stored[t->kind];
    if (col < tt->ncols)
        rec_result(ctx, *t->arena, tt->cols[col].type,
                   t->cell[(size_t)c->i * (size_t)tt->ncols + (size_t)col]);
    return SQLITE_OK;
}

/* No xCreate: eponymous-only, so the tables exist on this connection and never in the file. */
static const sqlite3_module rec_vtab_module = {
    .xConnect = rec_vtab_connect,
    .xBestIndex = rec_vtab_best_index,
    .xDisconnect = rec_vtab_disconnect,
    .xOpen = rec_vtab_open,
    .xClose = rec_vtab_close,
    .xFilter = rec_vtab_filter,
    .xNext = rec_vtab_next,
    .xEof = rec_vtab_eof,
    .xColumn = rec_vtab_column,
    .xRowid = rec_vtab_rowid,
};

/* ?2 is the buffer, passed with sqlite3_bind_pointer(). */
static char *rec_bulk_sql(const rec_trace_table_t *t)
{
    char *cols = chunksim__rec_column_list(t, "");
    char *sql = cols ? sqlite3_mprintf("INSERT INTO %s (run_id, %s) SELECT ?1, %s FROM "
                                       "chunksim_rec_buffered_%s(?2)",
                                       t->name, cols, cols, t->name)
                     : NULL;
    sqlite3_free(cols);
    return sql;
}

int chunksim__rec_rows_prepare(chunksim_rec_t *rec)
{
    for (int k = 0; k < KIND_COUNT; k++) {
        const rec_trace_table_t *t = chunksim__rec_stored[k];
        char *module = sqlite3_mprintf("chunksim_rec_buffered_%s", t->name);
        int rc = module ? sqlite3_create_module_v2(rec->db_, module, &rec_vtab_module,
                                                   (void *)(intptr_t)k, NULL)
                        : SQLITE_NOMEM;
        sqlite3_free(module);
        if (rc != SQLITE_OK)
            return chunksim__rec_fail_sqlite(rec, "register the row buffer tables");
        char *sql = rec_bulk_sql(t);
        rc = sql ? sqlite3_prepare_v3(rec->db_, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                      &rec->stmt_[STMT_BULK + k], NULL)
                 : SQLITE_NOMEM;
        sqlite3_free(sql);
        if (rc != SQLITE_OK)
            return chunksim__rec_fail_sqlite(rec, "prepare the bulk insert");
    }
    return 0;
}
