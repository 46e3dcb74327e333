/* Fault campaigns: shared helpers (see campaign.h). */
/* asprintf, mkstemp */
#define _GNU_SOURCE
#include "campaign.h"
#include "cli.h"
#include "junit.h"
#include "grow.h"

#include "chunksim/recorder.h"
#include "chunksim/error.h"

#include <sqlite3.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const campaign_kind_names[CAMPAIGN_OP_KINDS] = {"read", "program", "erase"};

int campaign_matrix_of_file(chunksim_matrix_t *m, const chunksim_matrix_config_t *cfg,
                            const char *cmd, const char *file, const char *one_case)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    if (chunksim_matrix_init(m, cfg, err, sizeof err) < 0 ||
        chunksim_matrix_add_file(m, file, err, sizeof err) < 0) {
        fprintf(stderr, "chunksim %s: %s\n", cmd, err);
        chunksim_matrix_free(m);
        return CLI_EXIT_USAGE;
    }
    if (one_case != NULL && chunksim_matrix_count(m) != 1) {
        fprintf(stderr,
                "chunksim %s: %s stands for %" PRIu64 " cases ([matrix] lists or seeds); %s\n", cmd,
                file, chunksim_matrix_count(m), one_case);
        chunksim_matrix_free(m);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int campaign_op_kind_parse(const char *name)
{
    for (int k = 0; k < CAMPAIGN_OP_KINDS; k++) {
        if (strcmp(name, campaign_kind_names[k]) == 0)
            return k;
    }
    return -1;
}

const char *campaign_op_kind_name(campaign_op_kind_t kind)
{
    return (unsigned)kind < CAMPAIGN_OP_KINDS ? campaign_kind_names[kind] : "?";
}

bool campaign_outcome_is_damage(chunksim_outcome_t outcome)
{
    return outcome == CHUNKSIM_OUTCOME_LOST || outcome == CHUNKSIM_OUTCOME_CORRUPT ||
           outcome == CHUNKSIM_OUTCOME_VIOLATION;
}

bool campaign_case_is_damage(const cli_batch_result_t *r)
{
    return r->ran && (campaign_outcome_is_damage(r->outcome) || r->rc < 0);
}

bool campaign_judge_damage(const cli_batch_t *b, size_t i, void *ctx, char *why, size_t whylen)
{
    (void)ctx;
    const cli_batch_result_t *r = &b->results[i];
    if (!campaign_case_is_damage(r))
        return false;
    snprintf(why, whylen, "%s: %s", r->rc < 0 ? "error" : chunksim_outcome_name(r->outcome),
             r->reason != NULL ? r->reason : "");
    return true;
}

static int campaign_run_with(const chunksim_matrix_t *m, const chunksim_matrix_case_t *c,
                             chunksim_rec_t *rec, chunksim_run_result_t *res, char *err,
                             size_t errlen)
{
    chunksim_scenario_t sc;
    int rc = chunksim_matrix_case_load(m, c, &sc, err, errlen);
    if (rc < 0)
        return rc;
    const chunksim_run_options_t opts = {.rec = rec, .record_rows = rec != NULL};
    rc = chunksim_run(&sc, &opts, res);
    if (rc < 0)
        snprintf(err, errlen, "case %s: %s", c->id,
                 res->reason[0] ? res->reason : chunksim_strerror(rc));
    chunksim_scenario_free(&sc);
    return rc;
}

int campaign_run_case(const chunksim_matrix_t *m, const chunksim_matrix_case_t *c,
                      chunksim_run_result_t *res, char *err, size_t errlen)
{
    return campaign_run_with(m, c, NULL, res, err, errlen);
}

/* Erases of every size count as "erase", as on= does. */
static int campaign_kind_of_row(const char *kind)
{
    if (strncmp(kind, "erase", 5) == 0)
        return CAMPAIGN_OP_ERASE;
    return campaign_op_kind_parse(kind);
}

static int campaign_read_ops(chunksim_rec_t *rec, int64_t run_id, campaign_ops_t *ops, char *err,
                             size_t errlen)
{
    sqlite3_stmt *st;
    sqlite3 *db = chunksim_rec_db(rec);
    if (sqlite3_prepare_v2(db, "SELECT kind FROM flash_ops WHERE run_id = ? ORDER BY seq", -1, &st,
                           NULL) != SQLITE_OK) {
        snprintf(err, errlen, "reading the reference run: %s", sqlite3_errmsg(db));
        return -EIO;
    }
    sqlite3_bind_int64(st, 1, run_id);
    size_t cap = 0;
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        rc = cli_grow((void **)&ops->kinds, &cap, ops->count, 1, 256);
        if (rc < 0)
            break;
        int kind = campaign_kind_of_row((const char *)sqlite3_column_text(st, 0));
        kind = kind < 0 ? CAMPAIGN_OP_READ : kind;
        ops->kinds[ops->count++] = (uint8_t)kind;
        ops->per_kind[kind]++;
    }
    sqlite3_finalize(st);
    if (rc < 0)
        snprintf(err, errlen, "out of memory");
    return rc;
}

static void campaign_unlink_db(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        (void)unlink(p);
    }
}

int campaign_count_ops(const chunksim_matrix_t *m, const chunksim_matrix_case_t *c,
                       chunksim_run_result_t *res, campaign_ops_t *ops, char *err, size_t errlen)
{
    memset(ops, 0, sizeof *ops);
    const char *tmp = getenv("TMPDIR");
    char *path;
    if (asprintf(&path, "%s/chunksim-reference.XXXXXX", tmp && tmp[0] ? tmp : "/tmp") < 0)
        return -ENOMEM;
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a scratch database: %s", strerror(errno));
        free(path);
        return -EIO;
    }
    close(fd);
    (void)unlink(path); /* the recorder creates it afresh */
    chunksim_rec_t rec;
    int rc = chunksim_rec_open(&rec, path, err, errlen);
    if (rc == 0) {
        rc = campaign_run_with(m, c, &rec, res, err, errlen);
        if (rc == 0)
            rc = campaign_read_ops(&rec, res->run_id, ops, err, errlen);
        chunksim_rec_close(&rec);
    }
    campaign_unlink_db(path);
    free(path);
    if (rc < 0)
        campaign_ops_free(ops);
    return rc;
}

void campaign_ops_free(campaign_ops_t *ops)
{
    free(ops->kinds);
    memset(ops, 0, sizeof *ops);
}

int campaign_hunt_run(const cli_batch_config_t *cfg, const cli_common_t *common,
                      const campaign_hunt_t *hunt)
{
    cli_batch_t b;
    int rc = cli_batch_run(cfg, &b);
    int exit_code = CLI_EXIT_USAGE;
    if (rc == 0 || b.done > 0) {
        exit_code = hunt->report(&b, hunt->ctx, common->json ? stderr : stdout);
        if (common->json)
            cli_batch_json(&b, hunt->verdict(&b, hunt->ctx), stdout);
        else
            cli_batch_summary(&b, stdout);
        if (rc < 0)
            exit_code = CLI_EXIT_FAILED;
        const cli_junit_config_t jc = {.batch = &b, .judge = campaign_judge_damage};
        if (common->junit != NULL && cli_junit_write(&jc, common->junit) < 0) {
            fprintf(stderr, "%s: --junit %s: cannot write it\n", cfg->tool, common->junit);
            exit_code = CLI_EXIT_FAILED;
        }
    }
    cli_batch_free(&b);
    return exit_code;
}
