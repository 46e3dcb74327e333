/* Case selection: -R, --where, --rerun-failed (see select.h). */
#include "select.h"

#include "chunksim/recorder.h"
#include "chunksim/sha256.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The latest finished run of a scenario text and seed; its outcome. */
static const char select_latest_sql[] =
    "SELECT r.outcome FROM runs r JOIN scenarios s USING (scenario_id) "
    "WHERE s.config_sha256 = ?1 AND r.seed = ?2 AND r.outcome IS NOT NULL "
    "ORDER BY r.run_id DESC LIMIT 1";

bool cli_select_filters(const cli_select_config_t *cfg)
{
    return cfg->regex != NULL || (cfg->where != NULL && cfg->where->count > 0) ||
           cfg->rerun_failed != NULL;
}

/* Whether the --where key names axis key "section.key": in full or by its key alone. */
static bool select_key_is(const char *want, size_t want_len, const char *axis_key)
{
    const char *dot = strchr(axis_key, '.');
    const char *tail = dot != NULL ? dot + 1 : axis_key;
    return (strlen(axis_key) == want_len && strncmp(axis_key, want, want_len) == 0) ||
           (strlen(tail) == want_len && strncmp(tail, want, want_len) == 0);
}

static bool select_key_known(const chunksim_matrix_t *m, const char *key, size_t len)
{
    if (len == 4 && strncmp(key, "seed", 4) == 0)
        return true;
    for (size_t f = 0; f < m->file_count; f++) {
        for (size_t a = 0; a < m->files[f].axis_count; a++) {
            if (select_key_is(key, len, m->files[f].axes[a].key))
                return true;
        }
    }
    return false;
}

static int select_check_where(const chunksim_matrix_t *m, const cli_list_t *where, char *err,
                              size_t errlen)
{
    for (size_t i = 0; where != NULL && i < where->count; i++) {
        const char *eq = strchr(where->items[i], '=');
        if (eq == NULL || eq == where->items[i]) {
            snprintf(err, errlen, "--where %s: expected KEY=VALUE", where->items[i]);
            return -EINVAL;
        }
        if (!select_key_known(m, where->items[i], (size_t)(eq - where->items[i]))) {
            snprintf(err, errlen,
                     "--where %s: no [matrix] list of these files has that key (nor is it "
                     "seed)",
                     where->items[i]);
            return -EINVAL;
        }
    }
    return 0;
}

static int select_open_db(cli_select_t *s, const char *path, char *err, size_t errlen)
{
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, select_latest_sql, -1, &s->latest, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "--rerun-failed %s: %s", path,
                 s->db != NULL ? sqlite3_errmsg(s->db) : "cannot open");
        return -ENOENT;
    }
    return 0;
}

int cli_select_init(cli_select_t *s, const chunksim_matrix_t *m, const cli_select_config_t *cfg,
                    char *err, size_t errlen)
{
    *s = (cli_select_t){.m = m, .cfg = cfg};
    if (cfg->regex != NULL) {
        int rc = regcomp(&s->re, cfg->regex, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char why[256];
            regerror(rc, &s->re, why, sizeof why);
            snprintf(err, errlen, "-R %s: %s", cfg->regex, why);
            return -EINVAL;
        }
        s->has_re = true;
    }
    int rc = select_check_where(m, cfg->where, err, errlen);
    if (rc == 0 && cfg->rerun_failed != NULL)
        rc = select_open_db(s, cfg->rerun_failed, err, errlen);
    if (rc < 0)
        cli_select_free(s);
    return rc;
}

/* One KEY=VALUE against the case's axis values and seed. */
static bool select_where_one(const cli_select_t *s, const chunksim_matrix_case_t *c,
                             const char *item)
{
    const char *eq = strchr(item, '=');
    size_t key_len = (size_t)(eq - item);
    if (key_len == 4 && strncmp(item, "seed", 4) == 0) {
        char seed[32];
        snprintf(seed, sizeof seed, "%" PRIu64, c->seed);
        return c->has_seed && strcmp(seed, eq + 1) == 0;
    }
    const chunksim_matrix_file_t *f = &s->m->files[c->file];
    size_t first = c->set_count - f->axis_count; /* the axes come after the shared --set */
    for (size_t a = 0; a < f->axis_count; a++) {
        const char *set = c->sets[first + a];
        size_t axis_key_len = strlen(f->axes[a].key);
        if (select_key_is(item, key_len, f->axes[a].key) &&
            strcmp(set + axis_key_len + 1, eq + 1) == 0)
            return true;
    }
    return false;
}

/* 1 when the case's latest run in the database missed its expect. */
static int select_failed_before(cli_select_t *s, const chunksim_matrix_case_t *c, char *err,
                                size_t errlen)
{
    chunksim_scenario_t sc;
    int rc = chunksim_matrix_case_load(s->m, c, &sc, err, errlen);
    if (rc < 0)
        return rc;
    const char *text = chunksim_scenario_text(&sc);
    char sha[CHUNKSIM_SHA256_HEX_BYTES];
    chunksim_sha256_hex(text, strlen(text), sha);
    const char *expect =
        sc.run.expect == CHUNKSIM_EXPECT_NONE ? "ok" : chunksim_expect_name(sc.run.expect);
    sqlite3_reset(s->latest);
    sqlite3_bind_text(s->latest, 1, sha, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s->latest, 2, (sqlite3_int64)sc.run.seed);
    int step = sqlite3_step(s->latest);
    rc = step == SQLITE_ROW ? strcmp((const char *)sqlite3_column_text(s->latest, 0), expect) != 0
                            : 0;
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        snprintf(err, errlen, "--rerun-failed %s: %s", s->cfg->rerun_failed, sqlite3_errmsg(s->db));
        rc = -EIO;
    }
    chunksim_scenario_free(&sc);
    return rc;
}

int cli_select_case(cli_select_t *s, const chunksim_matrix_case_t *c, char *err, size_t errlen)
{
    if (s->has_re) {
        char name[4096];
        chunksim_matrix_case_name(s->m, c, name, sizeof name);
        if (regexec(&s->re, name, 0, NULL, 0) != 0)
            return 0;
    }
    for (size_t i = 0; s->cfg->where != NULL && i < s->cfg->where->count; i++) {
        if (!select_where_one(s, c, s->cfg->where->items[i]))
            return 0;
    }
    return s->db != NULL ? select_failed_before(s, c, err, errlen) : 1;
}

void cli_select_free(cli_select_t *s)
{
    if (s->has_re)
        regfree(&s->re);
    sqlite3_finalize(s->latest);
    sqlite3_close(s->db);
    s->has_re = false;
    s->latest = NULL;
    s->db = NULL;
}
