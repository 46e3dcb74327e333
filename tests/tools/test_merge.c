/* Merging recording databases (sim/recording/merge.c): nothing lost, nothing doubled. */
#include "chunksim/merge.h"
#include "chunksim/run.h"

#include <sqlite3.h>

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"

/* A writer kept open with its run unfinished; closed by teardown. */
static chunksim_rec_t live_writer;
static bool live_writer_open;

#define TINY                                                                                       \
    "[coredump]\nsize_bytes = 8KiB\n\n[flash]\nsize_bytes = 64KiB\n\n[link]\natt_mtu = 247\n"

/* Tables with rows per run, and the content-addressed ones. */
static const char *const per_run_tables[] = {"runs",       "calls",  "flash_ops", "chunks",
                                             "violations", "params", "metrics"};
enum { PER_RUN_TABLES = sizeof per_run_tables / sizeof per_run_tables[0] };

static int64_t count_rows(const char *db_path, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    return chunksim_test_sql_int(db_path, sql);
}

/* Per test (DBS_TEST, in *state): the paths of its input and of its output, new names each test. */
typedef struct dbs {
    char a[PATH_MAX], out[PATH_MAX];
} dbs_t;

static int name_dbs(void **state)
{
    static dbs_t dbs;
    static int test;
    test++;
    snprintf(dbs.a, sizeof dbs.a, "%s/a%d.db", chunksim_test_scratch_dir(), test);
    snprintf(dbs.out, sizeof dbs.out, "%s/out%d.db", chunksim_test_scratch_dir(), test);
    *state = &dbs;
    return 0;
}

#define DBS_TEST(f) cmocka_unit_test_setup(f, name_dbs)

static void open_rec(chunksim_rec_t *rec, const char *path)
{
    char err[512];
    if (chunksim_rec_open(rec, path, err, sizeof err) != 0)
        fail_msg("%s", err);
}

/* Records one run of the scenario text per seed, with every trace row the engine writes. */
static void record_runs(const char *db_path, const char *name, const char *text,
                        const uint64_t *seeds, size_t n)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    chunksim_rec_t rec;
    open_rec(&rec, db_path);
    for (size_t i = 0; i < n; i++) {
        chunksim_scenario_t sc;
        if (chunksim_scenario_load_string(&sc, text, name, NULL, err, sizeof err) != 0)
            fail_msg("%s", err);
        sc.run.seed = seeds[i];
        chunksim_run_options_t opts = {.rec = &rec, .record_rows = true};
        chunksim_run_result_t res;
        assert_int_equal(chunksim_run(&sc, &opts, &res), 0);
        assert_gt(res.run_id, 0);
        chunksim_scenario_free(&sc);
    }
    assert_int_equal(chunksim_rec_close(&rec), 0);
}

/* A hand-made run that has a row in every per-run table, metrics included. */
static void record_full_run(const char *db_path, bool finish)
{
    chunksim_rec_t rec;
    open_rec(&rec, db_path);
    int64_t scenario_id, run_id;
    assert_int_equal(chunksim_rec_scenario(&rec, "manual", "[run]\nname = manual\n", &scenario_id),
                     0);
    static const uint8_t image[64] = {1, 2, 3};
    const chunksim_rec_run_info_t info = {.scenario_id = scenario_id,
                                          .seed = 99,
                                          .mode = "virtual",
                                          .tool_version = "test",
                                          .reader = "single",
                                          .image = image,
                                          .image_bytes = sizeof image,
                                          .flash_bytes = 4096};
    assert_int_equal(chunksim_rec_run_begin(&rec, &info, &run_id), 0);
    for (uint64_t i = 0; i < 3; i++) {
        const chunksim_rec_call_t call = {.seq = i,
                                          .t_us = i * 10,
                                          .kind = "prepare",
                                          .arg = 20,
                                          .result = 1,
                                          .duration_us = CHUNKSIM_REC_TIME_NONE};
        assert_int_equal(chunksim_rec_call(&rec, &call), 0);
    }
    const chunksim_rec_flash_op_t op = {.seq = 0,
                                        .kind = "read",
                                        .addr = 0,
                                        .len = 64,
                                        .start_us = 0,
                                        .end_us = 5,
                                        .latency_us = 5};
    assert_int_equal(chunksim_rec_flash_op(&rec, &op), 0);
    const chunksim_rec_chunk_t chunk = {.seq = 0,
                                        .t_us = 6,
                                        .sent_us = 9,
                                        .header = 0x80,
                                        .delivered = true,
                                        .data = image,
                                        .len = 20};
    assert_int_equal(chunksim_rec_chunk(&rec, &chunk), 0);
    const chunksim_rec_violation_t v = {
        .invariant = "sequential_read", .call_seq = 1, .t_us = 10, .detail = "test"};
    assert_int_equal(chunksim_rec_violation(&rec, &v), 0);
    assert_int_equal(chunksim_rec_param(&rec, "seed.flash", "5"), 0);
    assert_int_equal(chunksim_rec_metric(&rec, "window_hit_ratio", 0.5), 0);
    if (finish) {
        const chunksim_rec_run_result_t result = {.outcome = "violation", .reason = "test"};
        assert_int_equal(chunksim_rec_run_end(&rec, &result), 0);
        assert_int_equal(chunksim_rec_close(&rec), 0);
        return;
    }
    /* Leave it 'running' with its rows committed, as a writer still at work (or one whose
     * file was copied mid-run) leaves it; rec stays open until the process ends. */
    assert_int_equal(chunksim_rec_flush(&rec), 0);
    live_writer = rec;
    live_writer_open = true;
}

static void merge_ok(chunksim_rec_t *out, const char *in, chunksim_merge_stats_t *st)
{
    char err[1024];
    if (chunksim_merge(out, in, NULL, st, err, sizeof err) != 0)
        fail_msg("%s", err);
}

/* Merges in into the recording at out_path, opened and closed here. */
static void merge_into(const char *out_path, const char *in, chunksim_merge_stats_t *st)
{
    chunksim_rec_t rec;
    open_rec(&rec, out_path);
    merge_ok(&rec, in, st);
    assert_int_equal(chunksim_rec_close(&rec), 0);
}

/* ---- tests -------------------------------------------------------------- */

static void test_merge_keeps_every_run_and_all_their_rows(void **state)
{
    const dbs_t *db = *state;
    const char *b = chunksim_test_path("b.db");
    static const uint64_t seeds_a[] = {1, 2, 3}, seeds_b[] = {4};
    record_runs(db->a, "x", TINY, seeds_a, 3);
    record_full_run(db->a, true);
    record_runs(b, "x", TINY, seeds_b, 1); /* same scenario text as in a */
    record_runs(b, "rle", TINY "[coredump]\nrle = true\n", seeds_a, 1);
    /* b's runs as a firmware object's packetizer would have made them. */
    chunksim_test_sql_exec(b, "UPDATE runs SET packetizer = 'firmware, SDK 1.43.0'");

    chunksim_rec_t rec;
    open_rec(&rec, db->out);
    chunksim_merge_stats_t sa, sb;
    merge_ok(&rec, db->a, &sa);
    merge_ok(&rec, b, &sb);
    assert_int_equal(chunksim_rec_close(&rec), 0);

    assert_int_equal(sa.runs_copied, 4);
    assert_int_equal(sb.runs_copied, 2);
    assert_int_equal(sa.runs_present + sb.runs_present, 0);
    for (int t = 0; t < PER_RUN_TABLES; t++) {
        int64_t want = count_rows(db->a, per_run_tables[t]) + count_rows(b, per_run_tables[t]);
        assert_gt(want, 0);
        assert_int_equal(count_rows(db->out, per_run_tables[t]), want);
    }
    /* Scenario x is in both inputs and stored once; rle and manual once each. */
    assert_int_equal(count_rows(db->out, "scenarios"), 3);
    assert_int_equal(sb.scenarios_added, 1);
    /* Images by content: seeds 1..3 and 4, the manual image; rle seed 1 = x seed 1. */
    assert_int_equal(count_rows(db->out, "images"),
                     chunksim_test_sql_int(db->out, "SELECT count(DISTINCT image_id) FROM runs"));
    assert_int_equal(sa.rows_copied + sb.rows_copied,
                     count_rows(db->out, "call_blocks") + count_rows(db->out, "flash_ops") +
                         count_rows(db->out, "chunk_blocks") + count_rows(db->out, "violations") +
                         count_rows(db->out, "params") + count_rows(db->out, "metrics"));
    /* New ids in input order; every row follows its run. */
    assert_int_equal(chunksim_test_sql_int(db->out,
                                           "SELECT group_concat(run_id) = '1,2,3,4,5,6' FROM "
                                           "(SELECT run_id FROM runs ORDER BY run_id)"),
                     1);
    assert_int_equal(chunksim_test_sql_int(db->out, "SELECT seed FROM runs WHERE run_id = 4"), 99);
    assert_int_equal(
        chunksim_test_sql_int(db->out, "SELECT count(*) FROM metrics WHERE run_id = 4"), 1);
    assert_int_equal(chunksim_test_sql_int(db->out,
                                           "SELECT count(*) FROM violations WHERE run_id = 4 AND "
                                           "invariant = 'sequential_read'"),
                     1);
    assert_int_equal(chunksim_test_sql_int(db->out, "SELECT count(*) FROM calls WHERE run_id = 4"),
                     3);
    /* Chunk bytes and per-run chunk counts arrive intact. */
    assert_int_equal(chunksim_test_sql_int(db->out, "SELECT sum(length(data)) FROM chunks"),
                     chunksim_test_sql_int(db->a, "SELECT sum(length(data)) FROM chunks") +
                         chunksim_test_sql_int(b, "SELECT sum(length(data)) FROM chunks"));
    assert_int_equal(
        chunksim_test_sql_int(db->out, "SELECT count(*) FROM runs r WHERE chunks IS NOT NULL AND "
                                       "chunks <> (SELECT count(*) FROM chunks c WHERE c.run_id = "
                                       "r.run_id) AND status = 'finished' AND run_id <> 4"),
        0);
    assert_int_equal(
        chunksim_test_sql_int(db->out, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    assert_int_equal(chunksim_test_sql_int(db->out, "SELECT count(*) FROM runs WHERE packetizer = "
                                                    "'firmware, SDK 1.43.0'"),
                     2);
}

static void test_merging_an_input_again_copies_nothing(void **state)
{
    const dbs_t *db = *state;
    static const uint64_t seeds[] = {11, 12};
    record_runs(db->a, "x", TINY, seeds, 2);
    chunksim_rec_t rec;
    open_rec(&rec, db->out);
    chunksim_merge_stats_t st;
    merge_ok(&rec, db->a, &st);
    assert_int_equal(st.runs_copied, 2);
    int64_t before[PER_RUN_TABLES];
    for (int t = 0; t < PER_RUN_TABLES; t++)
        before[t] = count_rows(db->out, per_run_tables[t]);
    merge_ok(&rec, db->a, &st);
    assert_int_equal(st.runs_copied, 0);
    assert_int_equal(st.runs_present, 2);
    assert_int_equal(st.rows_copied, 0);
    assert_int_equal(st.scenarios_added + st.images_added, 0);
    assert_int_equal(chunksim_rec_close(&rec), 0);
    for (int t = 0; t < PER_RUN_TABLES; t++)
        assert_int_equal(count_rows(db->out, per_run_tables[t]), before[t]);

    /* A merge of a merge: out into a third file, then a again: still two runs. */
    const char *third = chunksim_test_path("third.db");
    open_rec(&rec, third);
    merge_ok(&rec, db->out, &st);
    merge_ok(&rec, db->a, &st);
    assert_int_equal(st.runs_present, 2);
    assert_int_equal(chunksim_rec_close(&rec), 0);
    assert_int_equal(count_rows(third, "runs"), 2);
}

static void test_merged_runs_follow_the_outputs_own_runs(void **state)
{
    const dbs_t *db = *state;
    static const uint64_t in_seeds[] = {21, 22}, own_seeds[] = {31, 32, 33};
    record_runs(db->a, "x", TINY, in_seeds, 2);
    record_runs(db->out, "x", TINY, own_seeds, 3);
    chunksim_merge_stats_t st;
    merge_into(db->out, db->a, &st);
    assert_int_equal(chunksim_test_sql_int(db->out, "SELECT seed FROM runs WHERE run_id = 4"), 21);
    assert_int_equal(chunksim_test_sql_int(db->out, "SELECT seed FROM runs WHERE run_id = 5"), 22);
    assert_int_equal(count_rows(db->out, "scenarios"), 1);
    assert_int_equal(chunksim_test_sql_int(db->out, "SELECT count(*) FROM calls WHERE run_id = 5"),
                     chunksim_test_sql_int(db->a, "SELECT count(*) FROM calls WHERE run_id = 2"));
}

static void on_run(void *data, int64_t src, int64_t dst)
{
    int64_t *pairs = data;
    pairs[2 * pairs[0] + 1] = src;
    pairs[2 * pairs[0] + 2] = dst;
    pairs[0]++;
}

static void test_a_range_merges_only_those_runs_and_reports_their_new_ids(void **state)
{
    const dbs_t *db = *state;
    static const uint64_t seeds[] = {41, 42, 43, 44};
    record_runs(db->a, "x", TINY, seeds, 4);
    chunksim_rec_t rec;
    open_rec(&rec, db->out);
    int64_t pairs[1 + 2 * 8] = {0};
    chunksim_merge_options_t opts = {
        .after_run_id = 1, .up_to_run_id = 3, .on_run = on_run, .data = pairs};
    chunksim_merge_stats_t st;
    char err[512];
    assert_int_equal(chunksim_merge(&rec, db->a, &opts, &st, err, sizeof err), 0);
    assert_int_equal(st.runs_copied, 2);
    assert_int_equal(st.last_run_id, 3);
    assert_int_equal(pairs[0], 2);
    assert_int_equal(pairs[1], 2);
    assert_int_equal(pairs[2], 1);
    assert_int_equal(pairs[3], 3);
    assert_int_equal(pairs[4], 2);
    opts = (chunksim_merge_options_t){.after_run_id = 3};
    assert_int_equal(chunksim_merge(&rec, db->a, &opts, &st, err, sizeof err), 0);
    assert_int_equal(st.runs_copied, 1);
    assert_int_equal(chunksim_rec_close(&rec), 0);
    assert_int_equal(chunksim_test_sql_int(db->out, "SELECT group_concat(seed) = '42,43,44' FROM "
                                                    "(SELECT seed FROM runs ORDER BY run_id)"),
                     1);
}

static void test_a_run_still_running_in_the_input_arrives_interrupted(void **state)
{
    const dbs_t *db = *state;
    record_full_run(db->a, false); /* left 'running' with its rows committed */
    chunksim_merge_stats_t st;
    merge_into(db->out, db->a, &st);
    assert_int_equal(st.runs_copied, 1);
    assert_int_equal(st.runs_interrupted, 1);
    assert_int_equal(chunksim_test_sql_int(
                         db->out, "SELECT count(*) FROM runs WHERE status = 'interrupted' AND "
                                  "outcome = 'incomplete' AND reason LIKE 'still running in %'"),
                     1);
    assert_int_equal(count_rows(db->out, "calls"), 3);
    assert_int_equal(
        chunksim_test_sql_int(db->out, "SELECT count(*) FROM runs WHERE status = 'running'"), 0);
}

/* A merge that finds another writer holding the output says so (st.busy) and changes nothing. */
static void test_a_merge_blocked_by_another_writer_says_busy(void **state)
{
    const dbs_t *db = *state;
    record_full_run(db->a, true);
    chunksim_rec_t rec, other;
    open_rec(&rec, db->out);
    open_rec(&other, db->out);
    assert_int_equal(sqlite3_exec(chunksim_rec_db(&other), "BEGIN IMMEDIATE", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_busy_timeout(chunksim_rec_db(&rec), 0);
    chunksim_merge_stats_t st;
    char err[1024];
    assert_lt(chunksim_merge(&rec, db->a, NULL, &st, err, sizeof err), 0);
    assert_true(st.busy);
    assert_int_equal(st.runs_copied, 0);
    assert_int_equal(sqlite3_exec(chunksim_rec_db(&other), "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(chunksim_rec_close(&other), 0);
    /* Free again: the same merge goes through, and a merge that failed otherwise is not busy. */
    merge_ok(&rec, db->a, &st);
    assert_false(st.busy);
    assert_int_equal(st.runs_copied, 1);
    assert_true(chunksim_merge(&rec, chunksim_test_path("missing.db"), NULL, &st, err, sizeof err) <
                0);
    assert_false(st.busy);
    assert_int_equal(chunksim_rec_close(&rec), 0);
    assert_int_equal(count_rows(db->out, "runs"), 1);
}

static void test_bad_inputs_are_refused_and_nothing_is_created(void **state)
{
    const dbs_t *db = *state;
    char err[1024];
    chunksim_rec_t rec;
    open_rec(&rec, db->out);

    const char *missing = chunksim_test_path("missing.db");
    assert_int_equal(chunksim_merge(&rec, missing, NULL, NULL, err, sizeof err),
                     CHUNKSIM_REC_E_INVAL);
    assert_non_null(strstr(err, "missing.db"));
    struct stat sb;
    assert_int_equal(stat(missing, &sb), -1);

    const char *text = chunksim_test_path("text.db");
    chunksim_test_write_file("text.db",
                             "not a database at all, just some text that is long enough to be a "
                             "header............................................................"
                             "..................................");
    assert_int_equal(chunksim_merge(&rec, text, NULL, NULL, err, sizeof err),
                     CHUNKSIM_REC_E_NOTREC);

    const char *other = chunksim_test_path("other.db");
    chunksim_test_sql_exec(other, "CREATE TABLE runs (x)");
    assert_int_equal(chunksim_merge(&rec, other, NULL, NULL, err, sizeof err),
                     CHUNKSIM_REC_E_NOTREC);
    assert_non_null(strstr(err, "not a chunksim recording"));

    const char *newer = chunksim_test_path("newer.db");
    static const uint64_t seeds[] = {1};
    record_runs(newer, "x", TINY, seeds, 1);
    chunksim_test_sql_exec(newer, "PRAGMA user_version = 99");
    assert_int_equal(chunksim_merge(&rec, newer, NULL, NULL, err, sizeof err),
                     CHUNKSIM_REC_E_VERSION);
    assert_non_null(strstr(err, "schema version 99"));

    assert_int_equal(chunksim_merge(&rec, db->out, NULL, NULL, err, sizeof err),
                     CHUNKSIM_REC_E_INVAL);
    assert_non_null(strstr(err, "is the output database itself"));

    /* An output opened for reading only takes nothing, not even a good input. */
    record_runs(db->a, "x", TINY, seeds, 1);
    chunksim_rec_t ro;
    assert_int_equal(chunksim_rec_open_readonly(&ro, db->out, err, sizeof err), 0);
    assert_int_equal(chunksim_merge(&ro, db->a, NULL, NULL, err, sizeof err), CHUNKSIM_REC_E_INVAL);
    assert_non_null(strstr(err, "not open for writing"));
    chunksim_rec_close(&ro);

    /* A run in progress holds a transaction: no merge in the middle of it. */
    int64_t sid, rid;
    assert_int_equal(chunksim_rec_scenario(&rec, "s", "[run]\n", &sid), 0);
    const chunksim_rec_run_info_t info = {
        .scenario_id = sid, .mode = "virtual", .tool_version = "t", .reader = "single"};
    assert_int_equal(chunksim_rec_run_begin(&rec, &info, &rid), 0);
    assert_int_equal(chunksim_merge(&rec, db->a, NULL, NULL, err, sizeof err),
                     CHUNKSIM_REC_E_STATE);
    assert_int_equal(chunksim_rec_close(&rec), 0);
    assert_int_equal(count_rows(db->out, "runs"), 1); /* only the aborted one of this test */
}

static int group_setup(void **state)
{
    (void)state;
    return chunksim_test_scratch_make("test_merge");
}

static int group_teardown(void **state)
{
    (void)state;
    if (live_writer_open)
        chunksim_rec_close(&live_writer);
    return chunksim_test_scratch_remove();
}

CHUNKSIM_TEST_MAIN_GROUP({
    DBS_TEST(test_merge_keeps_every_run_and_all_their_rows),
    DBS_TEST(test_merging_an_input_again_copies_nothing),
    DBS_TEST(test_merged_runs_follow_the_outputs_own_runs),
    DBS_TEST(test_a_range_merges_only_those_runs_and_reports_their_new_ids),
    DBS_TEST(test_a_run_still_running_in_the_input_arrives_interrupted),
    DBS_TEST(test_bad_inputs_are_refused_and_nothing_is_created),
    DBS_TEST(test_a_merge_blocked_by_another_writer_says_busy),
})
