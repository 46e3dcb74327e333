/*
 * Case selection for `chunksim matrix`: which cases of a matrix run, as CTest
 * and twister users pick tests.
 *
 *   -R REGEX          the case name (chunksim_matrix_case_name) matches the
 *                     POSIX extended regular expression
 *   --where KEY=VALUE the case has that axis value (repeatable, all must
 *                     hold); KEY is an axis key, "section.key" or just "key",
 *                     or "seed"
 *   --rerun-failed DB the case's latest run in DB did not meet its expect
 *
 * A case is selected when every given filter selects it. Runs do not store
 * their case, so --rerun-failed finds a case's runs by what they store: the
 * scenario text the case loads to (its SHA-256, as the recorder keys
 * scenarios) and the seed.
 */
#ifndef CHUNKSIM_CLI_SELECT_H
#define CHUNKSIM_CLI_SELECT_H

#include "options.h"

#include "chunksim/matrix.h"

#include <regex.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct cli_select_config {
    const char *regex;        /* NULL: any name */
    const cli_list_t *where;  /* NULL or empty: any values */
    const char *rerun_failed; /* NULL: any outcome */
} cli_select_config_t;

typedef struct cli_select {
    const chunksim_matrix_t *m;
    const cli_select_config_t *cfg;
    regex_t re;
    bool has_re;
    sqlite3 *db;
    sqlite3_stmt *latest;
} cli_select_t;

/*
 * Compiles the regex, checks every --where key names an axis (or seed) of
 * some file of m, opens the database read-only. 0, or -EINVAL / -ENOENT
 * with err saying which option and why.
 */
int cli_select_init(cli_select_t *s, const chunksim_matrix_t *m, const cli_select_config_t *cfg,
                    char *err, size_t errlen);

/* Whether any filter is given (without one every case is selected). */
bool cli_select_filters(const cli_select_config_t *cfg);

/* 1 when case c is selected, 0 when not, negative on an error described in err. */
int cli_select_case(cli_select_t *s, const chunksim_matrix_case_t *c, char *err, size_t errlen);

void cli_select_free(cli_select_t *s);

#endif
