/* The SQLite recorder: schema, round trips, batching, crash recovery, views. */
#include "chunksim/error.h"
#include "chunksim/recorder.h"
#include "chunksim/sha256.h"

#include <sqlite3.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"

static char db_path[128];

static int setup(void **state)
{
    static unsigned n;
    (void)state;
    snprintf(db_path, sizeof db_path, "/tmp/chunksim-test-recorder-%ld-%u.db", (long)getpid(), n++);
    chunksim_test_db_remove(db_path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    chunksim_test_db_remove(db_path);
    return 0;
}

/* ---- helpers --------------------------------------------------------------------------- */

static sqlite3 *raw_open(void)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* The integer in the first column of the first row of a query built with printf. */
static int64_t q_int(sqlite3 *db, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static bool q_is_null(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    bool null = sqlite3_column_type(st, 0) == SQLITE_NULL;
    sqlite3_finalize(st);
    return null;
}

/* The text in the first column of the first row, copied into buf ("" for NULL). */
static const char *q_text(sqlite3 *db, char *buf, size_t len, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(buf, len, "%s", t ? (const char *)t : "");
    sqlite3_finalize(st);
    return buf;
}

static void open_rec(chunksim_rec_t *rec)
{
    char err[256];
    int r = chunksim_rec_open(rec, db_path, err, sizeof err);
    if (r != 0)
        fail_msg("open: %s", err);
}

/* The recorder of the OPEN() cases (main), open on db_path. */
static chunksim_rec_t rec;

static int setup_open(void **state)
{
    setup(state);
    open_rec(&rec);
    return 0;
}

/* The close is part of each such case: it must succeed. The files go either way. */
static int teardown_close(void **state)
{
    int rc = chunksim_rec_close(&rec);
    teardown(state);
    if (rc != 0) {
        print_error("chunksim_rec_close: %s\n", chunksim_strerror(rc));
        return -1;
    }
    return 0;
}

static int64_t add_scenario(chunksim_rec_t *rec, const char *name, const char *text)
{
    int64_t id = 0;
    assert_int_equal(chunksim_rec_scenario(rec, name, text, &id), 0);
    assert_gt(id, 0);
    return id;
}

static const uint8_t image_bytes[] = {'C', 'D', 'M', 'P', 1, 2, 3, 4, 5, 6, 7, 8};

static chunksim_rec_run_info_t run_info(int64_t scenario_id, uint64_t seed)
{
    return (chunksim_rec_run_info_t){
        .scenario_id = scenario_id,
        .seed = seed,
        .mode = "virtual",
        .tool_version = "0.1.0-test",
        .started_at = "2024-01-02T03:04:05.678Z",
        .reader = "async",
        .image = image_bytes,
        .image_bytes = sizeof image_bytes,
        .flash_bytes = 16u * 1024 * 1024,
    };
}

static int64_t begin_run(chunksim_rec_t *rec, uint64_t seed)
{
    int64_t scenario_id = add_scenario(rec, "starter/ble-20", "[flash]\nsize = 16M\n");
    chunksim_rec_run_info_t info = run_info(scenario_id, seed);
    int64_t run_id = 0;
    assert_int_equal(chunksim_rec_run_begin(rec, &info, &run_id), 0);
    assert_int_equal(rec->run_id, run_id);
    return run_id;
}

static chunksim_rec_run_result_t ok_result(void)
{
    return (chunksim_rec_run_result_t){
        .outcome = "ok",
        .safety_ok = true,
        .liveness_ok = true,
        .drain_us = 1500000,
        .message_bytes = 4096,
        .chunks = 205,
        .flash_busy_us = 120000,
        .link_busy_us = 1400000,
        .bound_us = 1200000,
        .efficiency = 0.8,
        .waits = 17,
        .refills = 16,
        .retries = 2,
        .faults_injected = 3,
        .wall_ms = 12,
    };
}

static chunksim_rec_call_t call_row(uint64_t seq)
{
    return (chunksim_rec_call_t){
        .seq = seq,
        .t_us = seq * 10,
        .kind = "prepare",
        .arg = 20,
        .result = 1,
        .result_name = "WAIT",
        .duration_us = CHUNKSIM_REC_TIME_NONE,
    };
}

static void add_calls(chunksim_rec_t *rec, uint64_t first, uint64_t count)
{
    for (uint64_t s = first; s < first + count; s++) {
        chunksim_rec_call_t c = call_row(s);
        assert_int_equal(chunksim_rec_call(rec, &c), 0);
    }
}

static void assert_integrity(sqlite3 *db)
{
    char buf[64];
    assert_string_equal(q_text(db, buf, sizeof buf, "PRAGMA integrity_check"), "ok");
    assert_int_equal(q_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_sha256_matches_published_vectors(void **state)
{
    (void)state;
    char hex[CHUNKSIM_SHA256_HEX_BYTES];
    chunksim_sha256_hex(NULL, 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    chunksim_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_open_creates_schema_with_version(void **state)
{
    (void)state;
    chunksim_rec_t rec;
    char buf[128];
    open_rec(&rec);
    sqlite3 *db = chunksim_rec_db(&rec);
    assert_int_equal(q_int(db, "PRAGMA user_version"), CHUNKSIM_REC_SCHEMA_VERSION);
    assert_int_equal(q_int(db, "SELECT value FROM meta WHERE key = 'schema_version'"),
                     CHUNKSIM_REC_SCHEMA_VERSION);
    assert_non_null(strstr(q_text(db, buf, sizeof buf,
                                  "SELECT value FROM meta WHERE key = "
                                  "'created_by'"),
                           "chunksim"));
    assert_string_equal(q_text(db, buf, sizeof buf, "PRAGMA journal_mode"), "wal");
    assert_int_equal(q_int(db, "PRAGMA synchronous"), 1); /* NORMAL */
    assert_int_equal(q_int(db, "PRAGMA foreign_keys"), 1);
    static const char *const objects[] = {"meta",
                                          "scenarios",
                                          "images",
                                          "runs",
                                          "calls",
                                          "flash_ops",
                                          "chunks",
                                          "violations",
                                          "params",
                                          "metrics",
                                          "run_summary",
                                          "flash_read_latency",
                                          "flash_read_durations",
                                          "chunk_size_histogram"};
    for (size_t i = 0; i < sizeof objects / sizeof objects[0]; i++)
        assert_int_equal(
            q_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = '%s'", objects[i]), 1);
    assert_int_equal(chunksim_rec_close(&rec), 0);

    /* Opening it again finds the schema and leaves it alone. */
    open_rec(&rec);
    assert_int_equal(q_int(chunksim_rec_db(&rec), "SELECT count(*) FROM meta"), 3);
    assert_int_equal(chunksim_rec_close(&rec), 0);
}

static void test_open_refuses_newer_schema_version(void **state)
{
    (void)state;
    chunksim_rec_t rec;
    char err[256];
    open_rec(&rec);
    assert_int_equal(chunksim_rec_close(&rec), 0);
    sqlite3 *db = raw_open();
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", CHUNKSIM_REC_SCHEMA_VERSION + 1);
    raw_exec(db, sql);
    sqlite3_close(db);

    assert_int_equal(chunksim_rec_open(&rec, db_path, err, sizeof err), CHUNKSIM_REC_E_VERSION);
    assert_non_null(strstr(err, "newer"));
    assert_null(chunksim_rec_db(&rec));
    assert_int_equal(chunksim_rec_open_readonly(&rec, db_path, err, sizeof err),
                     CHUNKSIM_REC_E_VERSION);

    db = raw_open();
    assert_int_equal(q_int(db, "PRAGMA user_version"), CHUNKSIM_REC_SCHEMA_VERSION + 1);
    sqlite3_close(db);
}

static chunksim_rec_chunk_t chunk_row(uint64_t seq, const uint8_t *data, size_t len);

/* Every value of a file's calls and chunks, as one text. */
static void trace_text(sqlite3 *db, char *buf, size_t len)
{
    /* quote(): a NULL, a text and a blob each look like themselves. */
    q_text(db, buf, len,
           "SELECT (SELECT group_concat(quote(run_id) || ',' || quote(seq) || ',' || quote(t_us) "
           "|| ',' || quote(kind) || ',' || quote(arg) || ',' || quote(result) || ',' || "
           "quote(result_name) || ',' || quote(detail) || ',' || quote(duration_us), ';') FROM "
           "(SELECT * FROM calls ORDER BY run_id, seq)) "
           "|| '|' || (SELECT group_concat(quote(run_id) || ',' || quote(seq) || ',' || "
           "quote(t_us) || ',' || quote(sent_us) || ',' || quote(len) || ',' || quote(header) || "
           "',' || quote(flags) || ',' || quote(delivered) || ',' || quote(retransmissions) || ',' "
           "|| quote(data), ';') FROM (SELECT * FROM chunks ORDER BY run_id, "
           "seq))");
}

/* A file as version 3 wrote it: calls and chunks in tables of their own. */
static void downgrade_to_version_3(sqlite3 *db)
{
    raw_exec(db, "CREATE TABLE calls_v2 AS SELECT * FROM calls; "
                 "CREATE TABLE chunks_v2 AS SELECT NULL AS chunk_id, * FROM chunks; "
                 "DROP VIEW calls; DROP VIEW chunk_size_histogram; DROP VIEW chunks; "
                 "DROP TABLE call_blocks; DROP TABLE chunk_blocks; "
                 "ALTER TABLE calls_v2 RENAME TO calls; ALTER TABLE chunks_v2 RENAME TO chunks; "
                 "CREATE VIEW chunk_size_histogram AS SELECT run_id, len, count(*) AS chunks "
                 "FROM chunks GROUP BY run_id, len; "
                 "UPDATE meta SET value = '3' WHERE key = 'schema_version'; "
                 "PRAGMA user_version = 3");
}

/* A version 3 file: read as it is; opened for writing, its calls and chunks move to blocks. */
static void test_version_3_file_is_read_as_is_and_migrated_on_write(void **state)
{
    (void)state;
    chunksim_rec_t rec;
    char err[256], before[4096], after[4096];
    open_rec(&rec);
    begin_run(&rec, 5);
    add_calls(&rec, 1, 5);
    uint8_t bytes[3] = {1, 2, 3};
    chunksim_rec_chunk_t ch = chunk_row(1, bytes, sizeof bytes);
    assert_int_equal(chunksim_rec_chunk(&rec, &ch), 0);
    ch = chunk_row(2, bytes, 0);
    assert_int_equal(chunksim_rec_chunk(&rec, &ch), 0);
    chunksim_rec_run_result_t res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    trace_text(chunksim_rec_db(&rec), before, sizeof before);
    assert_int_equal(chunksim_rec_close(&rec), 0);
    sqlite3 *db = raw_open();
    downgrade_to_version_3(db);
    trace_text(db, after, sizeof after);
    assert_string_equal(after, before);
    sqlite3_close(db);

    assert_int_equal(chunksim_rec_open_readonly(&rec, db_path, err, sizeof err), 0);
    trace_text(chunksim_rec_db(&rec), after, sizeof after);
    assert_string_equal(after, before);
    assert_int_equal(chunksim_rec_close(&rec), 0);

    open_rec(&rec);
    db = chunksim_rec_db(&rec);
    assert_int_equal(q_int(db, "PRAGMA main.user_version"), CHUNKSIM_REC_SCHEMA_VERSION);
    assert_int_equal(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('calls', "
                               "'chunks') AND type = 'view'"),
                     2);
    trace_text(db, after, sizeof after);
    assert_string_equal(after, before);
    assert_int_equal(q_int(db, "SELECT count(*) FROM chunk_size_histogram"), 2);
    /* Recording goes on in blocks after the migrated rows. */
    begin_run(&rec, 6);
    add_calls(&rec, 1, 3);
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM calls"), 5 + 3);
    assert_integrity(db);
    assert_int_equal(chunksim_rec_close(&rec), 0);
}

/* A version 1 file: read as it is, through a view; opened for writing, migrated. */
static void test_version_1_file_is_read_as_is_and_migrated_on_write(void **state)
{
    (void)state;
    chunksim_rec_t rec;
    char err[256], buf[64];
    open_rec(&rec);
    (void)begin_run(&rec, 5);
    chunksim_rec_run_result_t res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    assert_int_equal(chunksim_rec_close(&rec), 0);
    sqlite3 *db = raw_open();
    downgrade_to_version_3(db);
    raw_exec(db, "DROP INDEX runs_by_case; ALTER TABLE runs DROP COLUMN case_id; "
                 "ALTER TABLE runs DROP COLUMN case_file; ALTER TABLE runs DROP COLUMN case_cell; "
                 "ALTER TABLE runs DROP COLUMN packetizer; "
                 "UPDATE meta SET value = '1' WHERE key = 'schema_version'; "
                 "PRAGMA user_version = 1");
    sqlite3_close(db);

    assert_int_equal(chunksim_rec_open_readonly(&rec, db_path, err, sizeof err), 0);
    assert_true(q_is_null(chunksim_rec_db(&rec), "SELECT case_id FROM runs"));
    assert_int_equal(q_int(chunksim_rec_db(&rec), "SELECT count(*) FROM runs r JOIN scenarios s "
                                                  "USING (scenario_id) WHERE r.seed = 5"),
                     1);
    assert_int_equal(chunksim_rec_close(&rec), 0);
    db = raw_open();
    assert_int_equal(q_int(db, "PRAGMA user_version"), 1); /* reading changed nothing */
    sqlite3_close(db);

    open_rec(&rec);
    db = chunksim_rec_db(&rec);
    assert_int_equal(q_int(db, "PRAGMA main.user_version"), CHUNKSIM_REC_SCHEMA_VERSION);
    assert_int_equal(q_int(db, "SELECT value FROM meta WHERE key = 'schema_version'"),
                     CHUNKSIM_REC_SCHEMA_VERSION);
    assert_string_equal(q_text(db, buf, sizeof buf, "SELECT packetizer FROM runs WHERE seed = 5"),
                        "chunksim");
    assert_true(q_is_null(db, "SELECT case_cell FROM runs WHERE seed = 5"));
    int64_t scenario_id = add_scenario(&rec, "starter/ble-20", "[flash]\nsize = 16M\n");
    chunksim_rec_run_info_t info = run_info(scenario_id, 6);
    info.case_id = "0123456789";
    info.case_file = "m/grid.ini";
    info.case_cell = "att_mtu=23";
    assert_int_equal(chunksim_rec_run_begin(&rec, &info, NULL), 0);
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    assert_string_equal(q_text(db, buf, sizeof buf,
                               "SELECT case_id || ' ' || case_file || ' ' || case_cell "
                               "FROM runs WHERE seed = 6"),
                        "0123456789 m/grid.ini att_mtu=23");
    assert_integrity(db);
    assert_int_equal(chunksim_rec_close(&rec), 0);
}

/* A version 2 database (before runs.packetizer) is upgraded when opened for writing. */
static void test_open_upgrades_version_2(void **state)
{
    (void)state;
    chunksim_rec_t rec;
    open_rec(&rec);
    assert_int_equal(chunksim_rec_close(&rec), 0);
    sqlite3 *db = raw_open();
    downgrade_to_version_3(db);
    raw_exec(db, "ALTER TABLE runs DROP COLUMN packetizer; "
                 "UPDATE meta SET value = '2' WHERE key = 'schema_version'; "
                 "PRAGMA user_version = 2");
    sqlite3_close(db);

    open_rec(&rec);
    db = chunksim_rec_db(&rec);
    assert_int_equal(q_int(db, "PRAGMA user_version"), CHUNKSIM_REC_SCHEMA_VERSION);
    assert_int_equal(q_int(db, "SELECT value FROM meta WHERE key = 'schema_version'"),
                     CHUNKSIM_REC_SCHEMA_VERSION);
    assert_int_equal(q_int(db, "SELECT count(*) FROM pragma_table_info('runs') "
                               "WHERE name = 'packetizer' AND instr(dflt_value, 'chunksim') > 0"),
                     1);
    assert_int_equal(chunksim_rec_close(&rec), 0);
}

static void test_open_refuses_a_file_that_is_not_a_recording(void **state)
{
    (void)state;
    chunksim_rec_t rec;
    char err[256];
    sqlite3 *db = raw_open();
    raw_exec(db, "CREATE TABLE notes (t TEXT)");
    sqlite3_close(db);
    assert_int_equal(chunksim_rec_open(&rec, db_path, err, sizeof err), CHUNKSIM_REC_E_NOTREC);
    assert_non_null(strstr(err, "not a chunksim recording"));

    chunksim_test_db_remove(db_path);
    FILE *f = fopen(db_path, "w");
    assert_non_null(f);
    fputs("this is a text file, long enough to have a header that SQLite rejects......\n"
          "................................................................................\n",
          f);
    fclose(f);
    assert_int_equal(chunksim_rec_open(&rec, db_path, err, sizeof err), CHUNKSIM_REC_E_NOTREC);
}

static void test_open_refuses_a_database_without_wal(void **state)
{
    (void)state;
    chunksim_rec_t rec;
    char uri[200], err[256];
    /* Without locking, SQLite cannot provide WAL's shared memory and keeps "delete". */
    snprintf(uri, sizeof uri, "file:%s?nolock=1", db_path);
    assert_int_equal(chunksim_rec_open(&rec, uri, err, sizeof err), CHUNKSIM_REC_E_SQLITE);
    assert_non_null(strstr(err, "WAL"));
    assert_null(chunksim_rec_db(&rec));
}

static void test_readonly_recorder_refuses_writes(void **state)
{
    (void)state;
    chunksim_rec_t rec;
    char err[256];
    assert_int_equal(chunksim_rec_open_readonly(&rec, db_path, err, sizeof err),
                     CHUNKSIM_REC_E_SQLITE); /* no file */

    open_rec(&rec);
    begin_run(&rec, 1);
    assert_int_equal(chunksim_rec_close(&rec), 0);

    assert_int_equal(chunksim_rec_open_readonly(&rec, db_path, err, sizeof err), 0);
    int64_t id;
    assert_int_equal(chunksim_rec_scenario(&rec, "x", "y", &id), CHUNKSIM_REC_E_READONLY);
    chunksim_rec_run_info_t info = run_info(1, 1);
    assert_int_equal(chunksim_rec_run_begin(&rec, &info, &id), CHUNKSIM_REC_E_READONLY);
    assert_int_equal(q_int(chunksim_rec_db(&rec), "SELECT count(*) FROM run_summary"), 1);
    assert_int_equal(chunksim_rec_close(&rec), 0);
}

static void test_scenario_is_deduplicated_by_config_hash(void **state)
{
    (void)state;
    chunksim_rec_t rec;
    char buf[128], sha[CHUNKSIM_SHA256_HEX_BYTES];
    open_rec(&rec);
    int64_t a = add_scenario(&rec, "starter/ble-20", "[link]\nmtu = 23\n");
    int64_t b = add_scenario(&rec, "ci/ble-20-copy", "[link]\nmtu = 23\n");
    int64_t c = add_scenario(&rec, "starter/ble-244", "[link]\nmtu = 247\n");
    assert_int_equal(a, b);
    assert_int_not_equal(a, c);

    sqlite3 *db = chunksim_rec_db(&rec);
    assert_int_equal(q_int(db, "SELECT count(*) FROM scenarios"), 2);
    snprintf(buf, sizeof buf, "SELECT name FROM scenarios WHERE scenario_id = %lld", (long long)a);
    assert_string_equal(q_text(db, buf, sizeof buf, buf), "starter/ble-20");
    chunksim_sha256_hex("[link]\nmtu = 247\n", strlen("[link]\nmtu = 247\n"), sha);
    snprintf(buf, sizeof buf, "SELECT config_sha256 FROM scenarios WHERE scenario_id = %lld",
             (long long)c);
    assert_string_equal(q_text(db, buf, sizeof buf, buf), sha);
    assert_int_equal(chunksim_rec_close(&rec), 0);
}

static void record_one_row_of_each_kind(chunksim_rec_t *rec)
{
    static const uint8_t bytes[] = {0x80, 0x01, 0x02, 0x00, 0xff, 0x10};
    chunksim_rec_call_t call = {
        .seq = 1,
        .t_us = 100,
        .kind = "get_chunk",
        .arg = 20,
        .result = -5,
        .result_name = "E_WINDOW",
        .detail = "read at 4096 outside window",
        .duration_us = 7,
    };
    chunksim_rec_call_t clear = {
        .seq = 2,
        .t_us = 200,
        .kind = "clear",
        .arg = CHUNKSIM_REC_ARG_NONE,
        .duration_us = CHUNKSIM_REC_TIME_NONE,
    };
    chunksim_rec_flash_op_t op = {
        .seq = 1,
        .kind = "read",
        .addr = 0x1000,
        .len = 256,
        .start_us = 50,
        .end_us = CHUNKSIM_REC_TIME_NONE,
        .status = -4,
        .status_name = "TIMEOUT",
        .fault = "read_timeout",
        .latency_us = 333,
    };
    chunksim_rec_chunk_t chunk = {
        .seq = 1,
        .t_us = 100,
        .sent_us = 2100,
        .header = 0x80,
        .flags = "start",
        .delivered = true,
        .retransmissions = 2,
        .data = bytes,
        .len = sizeof bytes,
    };
    chunksim_rec_chunk_t empty = {.seq = 2, .t_us = 300, .sent_us = CHUNKSIM_REC_TIME_NONE};
    chunksim_rec_violation_t v = {
        .invariant = "one_read_per_chunk", .call_seq = 1, .t_us = 100, .detail = "2 reads"};
    chunksim_rec_violation_t loose = {
        .invariant = "liveness", .call_seq = CHUNKSIM_REC_SEQ_NONE, .t_us = 900};
    assert_int_equal(chunksim_rec_call(rec, &call), 0);
    assert_int_equal(chunksim_rec_call(rec, &clear), 0);
    assert_int_equal(chunksim_rec_flash_op(rec, &op), 0);
    assert_int_equal(chunksim_rec_chunk(rec, &chunk), 0);
    assert_int_equal(chunksim_rec_chunk(rec, &empty), 0);
    assert_int_equal(chunksim_rec_violation(rec, &v), 0);
    assert_int_equal(chunksim_rec_violation(rec, &loose), 0);
    assert_int_equal(chunksim_rec_param(rec, "seed.flash", "0x9e3779b97f4a7c15"), 0);
    assert_int_equal(chunksim_rec_metric(rec, "window_hit_ratio", 0.875), 0);
}

static void test_run_with_every_row_kind_round_trips(void **state)
{
    (void)state;
    chunksim_rec_t rec;
    char buf[256];
    open_rec(&rec);
    const uint64_t seed = 0xfedcba9876543210u; /* >= 2^63: stored by its bits */
    int64_t run = begin_run(&rec, seed);
    record_one_row_of_each_kind(&rec);
    chunksim_rec_run_result_t res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    assert_int_equal(rec.run_id, 0);
    assert_int_equal(chunksim_rec_close(&rec), 0);

    sqlite3 *db = raw_open();
    assert_int_equal(
        (uint64_t)q_int(db, "SELECT seed FROM runs WHERE run_id = %lld", (long long)run), seed);
    assert_string_equal(q_text(db, buf, sizeof buf,
                               "SELECT status || ',' || outcome || ',' || mode || ',' || reader "
                               "|| ',' || coalesce(glue, 'none') || ',' || started_at FROM runs"),
                        "finished,ok,virtual,async,none,2024-01-02T03:04:05.678Z");
    assert_int_equal(q_int(db, "SELECT writer_pid FROM runs"), getpid());
    assert_false(q_is_null(db, "SELECT ended_at FROM runs"));
    assert_int_equal(q_int(db, "SELECT safety_ok + liveness_ok FROM runs"), 2);
    assert_int_equal(q_int(db, "SELECT drain_us FROM runs"), 1500000);
    assert_int_equal(q_int(db, "SELECT chunks FROM runs"), 205);
    assert_int_equal(q_int(db, "SELECT efficiency = 0.8 FROM runs"), 1);
    assert_int_equal(q_int(db, "SELECT waits * 1000000 + refills * 10000 + retries * 100 + "
                               "faults_injected FROM runs"),
                     17160203);
    assert_int_equal(q_int(db, "SELECT flash_busy_us + link_busy_us + bound_us + wall_ms + "
                               "message_bytes FROM runs"),
                     120000 + 1400000 + 1200000 + 12 + 4096);
    assert_int_equal(q_int(db, "SELECT flash_bytes FROM runs"), 16 * 1024 * 1024);
    assert_int_equal(q_int(db, "SELECT i.bytes FROM runs JOIN images i USING (image_id)"),
                     sizeof image_bytes);

    assert_string_equal(
        q_text(db, buf, sizeof buf,
               "SELECT printf('%d,%d,%s,%d,%d,%s,%s,%d', seq, t_us, kind, arg, "
               "result, result_name, detail, duration_us) FROM calls WHERE seq = 1"),
        "1,100,get_chunk,20,-5,E_WINDOW,read at 4096 outside window,7");
    assert_true(q_is_null(db, "SELECT arg FROM calls WHERE seq = 2"));
    assert_true(q_is_null(db, "SELECT duration_us FROM calls WHERE seq = 2"));
    assert_true(q_is_null(db, "SELECT result_name FROM calls WHERE seq = 2"));

    assert_string_equal(q_text(db, buf, sizeof buf,
                               "SELECT printf('%s,%d,%d,%d,%d,%s,%s,%d', kind, addr, len, "
                               "start_us, status, status_name, fault, latency_us) FROM flash_ops"),
                        "read,4096,256,50,-4,TIMEOUT,read_timeout,333");
    assert_true(q_is_null(db, "SELECT end_us FROM flash_ops"));

    assert_string_equal(q_text(db, buf, sizeof buf,
                               "SELECT printf('%d,%d,%d,%d,%d,%s,%d,%d,%s', seq, t_us, sent_us, "
                               "len, header, flags, delivered, retransmissions, hex(data)) "
                               "FROM chunks WHERE seq = 1"),
                        "1,100,2100,6,128,start,1,2,80010200FF10");
    assert_int_equal(q_int(db, "SELECT length(data) FROM chunks WHERE seq = 2 AND data IS NOT "
                               "NULL AND sent_us IS NULL AND delivered = 0"),
                     0);

    assert_string_equal(q_text(db, buf, sizeof buf,
                               "SELECT printf('%s,%d,%d,%s', invariant, call_seq, t_us, detail) "
                               "FROM violations WHERE invariant = 'one_read_per_chunk'"),
                        "one_read_per_chunk,1,100,2 reads");
    assert_true(q_is_null(db, "SELECT call_seq FROM violations WHERE invariant = 'liveness'"));
    assert_string_equal(q_text(db, buf, sizeof buf,
                               "SELECT value FROM params WHERE name = "
                               "'seed.flash'"),
                        "0x9e3779b97f4a7c15");
    assert_int_equal(q_int(db, "SELECT value = 0.875 FROM metrics WHERE name = "
                               "'window_hit_ratio'"),
                     1);
    assert_integrity(db);
    sqlite3_close(db);
}

static void test_image_is_stored_once_per_hash(void **state)
{
    (void)state;
    chunksim_rec_t rec;
    char sha[CHUNKSIM_SHA256_HEX_BYTES];
    chunksim_sha256_hex(image_bytes, sizeof image_bytes, sha);
    open_rec(&rec);
    int64_t scenario = add_scenario(&rec, "s", "cfg");
    for (uint64_t seed = 1; seed <= 3; seed++) {
        chunksim_rec_run_info_t info = run_info(scenario, seed);
        info.image_sha256 = seed == 2 ? sha : NULL; /* given and right, or computed */
        assert_int_equal(chunksim_rec_run_begin(&rec, &info, NULL), 0);
        assert_int_equal(chunksim_rec_run_abort(&rec, "test"), 0);
    }
    chunksim_rec_run_info_t none = run_info(scenario, 4);
    none.image = NULL;
    none.image_bytes = 0;
    assert_int_equal(chunksim_rec_run_begin(&rec, &none, NULL), 0);
    sqlite3 *db = chunksim_rec_db(&rec);
    assert_int_equal(q_int(db, "SELECT count(*) FROM images"), 1);
    assert_int_equal(q_int(db, "SELECT count(DISTINCT image_id) FROM runs"), 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE image_id IS NULL"), 1);
    assert_int_equal(chunksim_rec_close(&rec), 0);
}

/* Written in pieces into a zeroblob: an image over one piece must land byte for byte. */
static void test_image_larger_than_a_piece_is_stored_whole(void **state)
{
    (void)state;
    static uint8_t big[(5u << 20) / 2 + 7]; /* two whole 1 MiB pieces and a part */
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i ^ (i >> 20));
    chunksim_rec_run_info_t info = run_info(add_scenario(&rec, "s", "cfg"), 1);
    info.image = big;
    info.image_bytes = sizeof big;
    assert_int_equal(chunksim_rec_run_begin(&rec, &info, NULL), 0);
    sqlite3 *db = chunksim_rec_db(&rec);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT data FROM images", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(st, 0), sizeof big);
    assert_memory_equal(sqlite3_column_blob(st, 0), big, sizeof big);
    sqlite3_finalize(st);
}

static void test_batch_commits_at_the_row_boundary(void **state)
{
    (void)state;
    assert_int_equal(rec.batch_rows, CHUNKSIM_REC_BATCH_ROWS_DEFAULT);
    assert_int_equal(chunksim_rec_set_batch_rows(&rec, 100), 0);
    int64_t run = begin_run(&rec, 7);

    /* Another connection sees only what was committed. */
    sqlite3 *peek = raw_open();
    assert_int_equal(q_int(peek,
                           "SELECT count(*) FROM runs WHERE run_id = %lld AND status = "
                           "'running'",
                           (long long)run),
                     1);
    add_calls(&rec, 0, 99);
    assert_int_equal(q_int(peek, "SELECT count(*) FROM calls"), 0);
    assert_int_equal(rec.pending_rows, 99);
    add_calls(&rec, 99, 1);
    assert_int_equal(q_int(peek, "SELECT count(*) FROM calls"), 100);
    assert_int_equal(rec.pending_rows, 0);
    add_calls(&rec, 100, 150);
    assert_int_equal(q_int(peek, "SELECT count(*) FROM calls"), 200);
    assert_int_equal(rec.pending_rows, 50);

    /* Every kind of row counts toward the batch. */
    chunksim_rec_flash_op_t op = {.kind = "read", .end_us = 10, .latency_us = 10};
    for (uint64_t s = 0; s < 50; s++) {
        op.seq = s;
        assert_int_equal(chunksim_rec_flash_op(&rec, &op), 0);
    }
    assert_int_equal(q_int(peek, "SELECT count(*) FROM flash_ops"), 50);

    assert_int_equal(chunksim_rec_param(&rec, "p", "1"), 0);
    assert_int_equal(chunksim_rec_flush(&rec), 0);
    assert_int_equal(q_int(peek, "SELECT count(*) FROM params"), 1);
    assert_int_equal(rec.pending_rows, 0);

    add_calls(&rec, 250, 10);
    chunksim_rec_run_result_t res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    assert_int_equal(q_int(peek, "SELECT count(*) FROM calls"), 260);
    assert_int_equal(q_int(peek, "SELECT count(*) FROM runs WHERE status = 'finished'"), 1);
    sqlite3_close(peek);
}

/* Child: record a run past one default batch, then die without closing anything. */
static void record_and_die(void)
{
    chunksim_rec_t rec;
    char err[256];
    if (chunksim_rec_open(&rec, db_path, err, sizeof err) != 0)
        _exit(10);
    int64_t scenario;
    if (chunksim_rec_scenario(&rec, "crash", "cfg", &scenario) != 0)
        _exit(11);
    chunksim_rec_run_info_t info = run_info(scenario, 99);
    if (chunksim_rec_run_begin(&rec, &info, NULL) != 0)
        _exit(12);
    for (uint64_t s = 0; s < CHUNKSIM_REC_BATCH_ROWS_DEFAULT + 1000; s++) {
        chunksim_rec_call_t c = call_row(s);
        if (chunksim_rec_call(&rec, &c) != 0)
            _exit(13);
    }
    _exit(0);
}

static void test_killed_writer_leaves_run_marked_incomplete(void **state)
{
    (void)state;
    pid_t child = fork();
    assert_ge(child, 0);
    if (child == 0)
        record_and_die();
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    chunksim_rec_t rec;
    char buf[512], pid_text[64];
    open_rec(&rec);
    assert_int_equal(rec.recovered_runs, 1);
    sqlite3 *db = chunksim_rec_db(&rec);
    assert_string_equal(q_text(db, buf, sizeof buf, "SELECT status || ',' || outcome FROM runs"),
                        "interrupted,incomplete");
    snprintf(pid_text, sizeof pid_text, "writer process %ld ", (long)child);
    assert_non_null(strstr(q_text(db, buf, sizeof buf, "SELECT reason FROM runs"), pid_text));
    /* The committed batch survived; the uncommitted tail did not. */
    assert_int_equal(q_int(db, "SELECT count(*) FROM calls"), CHUNKSIM_REC_BATCH_ROWS_DEFAULT);
    assert_integrity(db);
    assert_int_equal(chunksim_rec_close(&rec), 0);

    /* Recovery happens once. */
    open_rec(&rec);
    assert_int_equal(rec.recovered_runs, 0);
    assert_int_equal(chunksim_rec_close(&rec), 0);
}

static void test_live_writer_run_is_left_running(void **state)
{
    (void)state;
    chunksim_rec_t writer, other;
    open_rec(&writer);
    int64_t run = begin_run(&writer, 5);
    add_calls(&writer, 0, 10);

    /*
     * Same host, writer process alive (it is us): not touched. The open does
     * not wait for the writer's open batch (it would time out on the lock).
     */
    open_rec(&other);
    assert_int_equal(other.recovered_runs, 0);
    assert_int_equal(writer.pending_rows, 10);
    assert_int_equal(chunksim_rec_flush(&writer), 0);
    assert_int_equal(q_int(chunksim_rec_db(&other), "SELECT count(*) FROM runs WHERE status = "
                                                    "'running'"),
                     1);
    /* A writer on another host cannot share a WAL database: it is gone. */
    sqlite3 *db = raw_open();
    raw_exec(db, "UPDATE runs SET writer_host = 'elsewhere.example'");
    sqlite3_close(db);
    assert_int_equal(chunksim_rec_close(&other), 0);
    open_rec(&other);
    assert_int_equal(other.recovered_runs, 1);
    assert_int_equal(chunksim_rec_close(&other), 0);

    /* The first writer learns that its run was taken from it; its rows stay. */
    add_calls(&writer, 10, 5);
    chunksim_rec_run_result_t res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&writer, &res), CHUNKSIM_REC_E_STATE);
    assert_non_null(strstr(chunksim_rec_errmsg(&writer), "interrupted"));
    assert_int_equal(writer.run_id, 0);
    db = chunksim_rec_db(&writer);
    assert_int_equal(q_int(db, "SELECT count(*) FROM calls WHERE run_id = %lld", (long long)run),
                     15);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE status = 'interrupted'"), 1);
    assert_int_equal(chunksim_rec_close(&writer), 0);
}

static void test_abort_marks_run_incomplete_and_keeps_rows(void **state)
{
    (void)state;
    chunksim_rec_t rec;
    char buf[256];
    open_rec(&rec);
    int64_t first = begin_run(&rec, 1);
    add_calls(&rec, 0, 10);
    assert_int_equal(chunksim_rec_run_abort(&rec, "link disconnected for good"), 0);
    assert_int_equal(rec.run_id, 0);
    assert_int_equal(chunksim_rec_run_abort(&rec, "again"), CHUNKSIM_REC_E_STATE);

    int64_t second = begin_run(&rec, 2);
    add_calls(&rec, 0, 3);
    assert_int_equal(chunksim_rec_close(&rec), 0); /* with the run still open */

    sqlite3 *db = raw_open();
    snprintf(buf, sizeof buf,
             "SELECT status || ',' || outcome || ',' || reason FROM runs "
             "WHERE run_id = %lld",
             (long long)first);
    assert_string_equal(q_text(db, buf, sizeof buf, buf),
                        "aborted,incomplete,link disconnected for good");
    snprintf(buf, sizeof buf,
             "SELECT status || ',' || outcome || ',' || reason FROM runs "
             "WHERE run_id = %lld",
             (long long)second);
    assert_string_equal(q_text(db, buf, sizeof buf, buf),
                        "aborted,incomplete,recorder closed before the run ended");
    assert_int_equal(q_int(db, "SELECT count(*) FROM calls WHERE run_id = %lld", (long long)first),
                     10);
    assert_int_equal(q_int(db, "SELECT count(*) FROM calls WHERE run_id = %lld", (long long)second),
                     3);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE ended_at IS NULL"), 0);
    sqlite3_close(db);
}

static void test_invalid_use_is_refused(void **state)
{
    (void)state;
    chunksim_rec_t rec;
    open_rec(&rec);
    chunksim_rec_call_t c = call_row(0);
    chunksim_rec_run_result_t res = ok_result();
    assert_int_equal(chunksim_rec_call(&rec, &c), CHUNKSIM_REC_E_STATE);
    assert_int_equal(chunksim_rec_run_end(&rec, &res), CHUNKSIM_REC_E_STATE);
    assert_int_equal(chunksim_rec_set_batch_rows(&rec, 0), CHUNKSIM_REC_E_INVAL);

    int64_t scenario = add_scenario(&rec, "s", "cfg");
    chunksim_rec_run_info_t info = run_info(scenario, 1);
    info.mode = "fast";
    assert_int_equal(chunksim_rec_run_begin(&rec, &info, NULL), CHUNKSIM_REC_E_INVAL);
    assert_non_null(strstr(chunksim_rec_errmsg(&rec), "fast"));
    info = run_info(scenario, 1);
    info.image_sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
    assert_int_equal(chunksim_rec_run_begin(&rec, &info, NULL), CHUNKSIM_REC_E_INVAL);
    info = run_info(0, 1);
    assert_int_equal(chunksim_rec_run_begin(&rec, &info, NULL), CHUNKSIM_REC_E_INVAL);
    info = run_info(scenario + 100, 1); /* no such scenario: the foreign key says no */
    assert_int_equal(chunksim_rec_run_begin(&rec, &info, NULL), CHUNKSIM_REC_E_SQLITE);
    assert_int_equal(q_int(chunksim_rec_db(&rec), "SELECT count(*) FROM runs"), 0);

    info = run_info(scenario, 1);
    info.image = NULL; /* but image_bytes says there is one */
    assert_int_equal(chunksim_rec_run_begin(&rec, &info, NULL), CHUNKSIM_REC_E_INVAL);
    info = run_info(scenario, 1);
    assert_int_equal(chunksim_rec_run_begin(&rec, &info, NULL), 0);
    assert_int_equal(chunksim_rec_run_begin(&rec, &info, NULL), CHUNKSIM_REC_E_STATE);
    assert_int_equal(chunksim_rec_call(&rec, &c), 0);
    assert_int_equal(chunksim_rec_call(&rec, &c), CHUNKSIM_REC_E_INVAL);
    assert_non_null(strstr(chunksim_rec_errmsg(&rec), "not above"));
    assert_int_equal(chunksim_rec_param(&rec, "p", "1"), 0);
    assert_int_equal(chunksim_rec_param(&rec, "p", "2"), CHUNKSIM_REC_E_SQLITE);
    c.kind = NULL;
    assert_int_equal(chunksim_rec_call(&rec, &c), CHUNKSIM_REC_E_INVAL);
    chunksim_rec_flash_op_t op = {.kind = NULL};
    assert_int_equal(chunksim_rec_flash_op(&rec, &op), CHUNKSIM_REC_E_INVAL);
    chunksim_rec_chunk_t ch = {.data = NULL, .len = 4};
    assert_int_equal(chunksim_rec_chunk(&rec, &ch), CHUNKSIM_REC_E_INVAL);
    chunksim_rec_violation_t v = {.invariant = NULL};
    assert_int_equal(chunksim_rec_violation(&rec, &v), CHUNKSIM_REC_E_INVAL);
    assert_int_equal(chunksim_rec_param(&rec, "q", NULL), CHUNKSIM_REC_E_INVAL);
    assert_int_equal(chunksim_rec_metric(&rec, NULL, 1.0), CHUNKSIM_REC_E_INVAL);
    assert_int_equal(chunksim_rec_scenario(&rec, NULL, "cfg", &scenario), CHUNKSIM_REC_E_INVAL);

    res.outcome = "fine";
    assert_int_equal(chunksim_rec_run_end(&rec, &res), CHUNKSIM_REC_E_INVAL);
    assert_true(rec.run_id != 0); /* still open: a valid end goes through */
    res.outcome = "violation";
    res.safety_ok = false;
    res.reason = "one_read_per_chunk broken at call 0";
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    sqlite3 *db = chunksim_rec_db(&rec);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE outcome = 'violation' AND "
                               "safety_ok = 0 AND liveness_ok = 1"),
                     1);
    /* The rows before the refused ones were kept. */
    assert_int_equal(q_int(db, "SELECT count(*) FROM calls"), 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM params"), 1);
    assert_int_equal(chunksim_rec_close(&rec), 0);

    c = call_row(9);
    assert_int_equal(chunksim_rec_call(&rec, &c), CHUNKSIM_REC_E_STATE); /* closed */

    assert_string_equal(chunksim_rec_strerror(0), "ok");
    assert_non_null(strstr(chunksim_rec_strerror(CHUNKSIM_REC_E_VERSION), "newer"));
    assert_string_equal(chunksim_rec_strerror(-20999), "unknown error");
}

static void test_batch_lost_to_a_rollback_is_reported(void **state)
{
    (void)state;
    begin_run(&rec, 1);
    add_calls(&rec, 0, 5);
    /* What SQLite does by itself after an I/O error or a full disk. */
    raw_exec(chunksim_rec_db(&rec), "ROLLBACK");
    chunksim_rec_call_t c = call_row(5);
    assert_int_equal(chunksim_rec_call(&rec, &c), CHUNKSIM_REC_E_SQLITE);
    assert_non_null(strstr(chunksim_rec_errmsg(&rec), "5 rows were lost"));
    /* Recording goes on from there. */
    assert_int_equal(chunksim_rec_call(&rec, &c), 0);
    chunksim_rec_run_result_t res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    assert_int_equal(q_int(chunksim_rec_db(&rec), "SELECT count(*) FROM calls"), 1);
}

/* The schema's CHECK constraints hold for writers other than the recorder (merge, import). */
static void test_schema_checks_reject_inconsistent_rows(void **state)
{
    (void)state;
    chunksim_rec_t rec;
    open_rec(&rec);
    begin_run(&rec, 1);
    assert_int_equal(chunksim_rec_close(&rec), 0);

    static const char *const bad[] = {
        "INSERT INTO scenarios (name, config_sha256, config_text) VALUES ('x', 'abc', 't')",
        "INSERT INTO images (sha256, bytes, data) VALUES ('abc', 0, x'')",
        "UPDATE runs SET mode = 'fast'",
        "UPDATE runs SET status = 'done'",
        "UPDATE runs SET outcome = 'fine'",
        "UPDATE runs SET safety_ok = 2",
        "UPDATE runs SET liveness_ok = -1",
        "UPDATE runs SET status = 'finished', outcome = NULL",
        "UPDATE runs SET status = 'running', outcome = 'ok'",
        /* A chunk's header and delivered ranges are its C types' (uint8_t, bool): in blocks. */
    };
    sqlite3 *db = raw_open();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sqlite3_extended_result_codes(db, 1);
        int rc = sqlite3_exec(db, bad[i], NULL, NULL, NULL);
        if (rc != SQLITE_CONSTRAINT_CHECK)
            fail_msg("accepted or wrong error %d: %s", rc, bad[i]);
    }
    sqlite3_close(db);
}

static void test_views_summarize_a_known_dataset(void **state)
{
    (void)state;
    chunksim_rec_t rec;
    char buf[256];
    open_rec(&rec);

    /* Run 1: reads lasting 1..100 us in scrambled order, one that never ends, an erase. */
    int64_t r1 = begin_run(&rec, 1);
    chunksim_rec_flash_op_t op = {.kind = "read", .latency_us = CHUNKSIM_REC_TIME_NONE};
    for (uint64_t s = 0; s < 100; s++) {
        op.seq = s;
        op.start_us = 1000 * s;
        op.end_us = op.start_us + (s * 37) % 100 + 1;
        assert_int_equal(chunksim_rec_flash_op(&rec, &op), 0);
    }
    op = (chunksim_rec_flash_op_t){
        .seq = 100, .kind = "read", .start_us = 1, .end_us = CHUNKSIM_REC_TIME_NONE};
    assert_int_equal(chunksim_rec_flash_op(&rec, &op), 0);
    op = (chunksim_rec_flash_op_t){.seq = 101, .kind = "erase", .start_us = 0, .end_us = 45000};
    assert_int_equal(chunksim_rec_flash_op(&rec, &op), 0);
    uint8_t data[20] = {0};
    chunksim_rec_chunk_t ch = {.data = data, .sent_us = CHUNKSIM_REC_TIME_NONE};
    for (uint64_t s = 0; s < 6; s++) {
        ch.seq = s;
        ch.len = s == 5 ? 12 : 20;
        assert_int_equal(chunksim_rec_chunk(&rec, &ch), 0);
    }
    chunksim_rec_violation_t v = {.invariant = "sequential_read", .call_seq = 4, .t_us = 40};
    assert_int_equal(chunksim_rec_violation(&rec, &v), 0);
    v = (chunksim_rec_violation_t){.invariant = "one_read_per_chunk", .call_seq = 2, .t_us = 20};
    assert_int_equal(chunksim_rec_violation(&rec, &v), 0);
    chunksim_rec_run_result_t res = ok_result();
    res.outcome = "violation";
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);

    /* Run 2: reads of 10, 30, 20 us. */
    int64_t r2 = begin_run(&rec, 2);
    static const uint64_t durs[] = {10, 30, 20};
    for (uint64_t s = 0; s < 3; s++) {
        op = (chunksim_rec_flash_op_t){
            .seq = s, .kind = "read", .start_us = 5, .end_us = 5 + durs[s]};
        assert_int_equal(chunksim_rec_flash_op(&rec, &op), 0);
    }
    res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);

    sqlite3 *db = chunksim_rec_db(&rec);
    snprintf(buf, sizeof buf,
             "SELECT printf('%%d,%%d,%%d,%%.1f,%%d,%%d,%%d,%%d', reads, "
             "unfinished_reads, min_us, mean_us, p50_us, p90_us, p99_us, max_us) "
             "FROM flash_read_latency WHERE run_id = %lld",
             (long long)r1);
    assert_string_equal(q_text(db, buf, sizeof buf, buf), "100,1,1,50.5,50,90,99,100");
    snprintf(buf, sizeof buf,
             "SELECT printf('%%d,%%d,%%d,%%d,%%d', reads, p50_us, p90_us, "
             "p99_us, max_us) FROM flash_read_latency WHERE run_id = %lld",
             (long long)r2);
    assert_string_equal(q_text(db, buf, sizeof buf, buf), "3,20,30,30,30");
    assert_int_equal(q_int(db,
                           "SELECT dur_us FROM flash_read_durations WHERE run_id = %lld AND "
                           "pos = (95 * n + 99) / 100",
                           (long long)r1),
                     95);

    snprintf(buf, sizeof buf,
             "SELECT group_concat(len || ':' || chunks, ' ') FROM "
             "(SELECT * FROM chunk_size_histogram WHERE run_id = %lld "
             "ORDER BY len)",
             (long long)r1);
    assert_string_equal(q_text(db, buf, sizeof buf, buf), "12:1 20:5");
    assert_int_equal(
        q_int(db, "SELECT count(*) FROM chunk_size_histogram WHERE run_id = %lld", (long long)r2),
        0);

    assert_string_equal(q_text(db, buf, sizeof buf,
                               "SELECT group_concat(run_id || ':' || scenario || ':' || outcome "
                               "|| ':' || violations, ' ') FROM (SELECT * FROM run_summary "
                               "ORDER BY run_id)"),
                        "1:starter/ble-20:violation:2 2:starter/ble-20:ok:0");
    (void)r2;
    /* The first violation of a run, as docs/schema.md shows it. */
    assert_string_equal(q_text(db, buf, sizeof buf,
                               "SELECT invariant FROM violations WHERE run_id = 1 "
                               "ORDER BY t_us, violation_id LIMIT 1"),
                        "one_read_per_chunk");
    assert_int_equal(chunksim_rec_close(&rec), 0);
}

static void test_hundred_thousand_chunks_are_recorded(void **state)
{
    (void)state;
    begin_run(&rec, 3);
    uint8_t data[20];
    chunksim_rec_chunk_t ch = {
        .data = data, .len = sizeof data, .flags = "more", .delivered = true};
    for (uint64_t s = 0; s < 100000; s++) {
        memset(data, (int)(s & 0xff), sizeof data);
        ch.seq = s;
        ch.t_us = s * 30000;
        ch.sent_us = ch.t_us + 2100;
        ch.header = (uint8_t)(s & 0xff);
        assert_int_equal(chunksim_rec_chunk(&rec, &ch), 0);
    }
    chunksim_rec_run_result_t res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    sqlite3 *db = chunksim_rec_db(&rec);
    assert_int_equal(q_int(db, "SELECT count(*) FROM chunks"), 100000);
    assert_int_equal(q_int(db, "SELECT sum(len) FROM chunks"), 2000000);
    assert_int_equal(q_int(db, "SELECT count(*) FROM chunks WHERE hex(substr(data, 20, 1)) = "
                               "printf('%%02X', header)"),
                     100000);
}

/* ---- buffered rows ----------------------------------------------------------------------- */

static chunksim_rec_chunk_t chunk_row(uint64_t seq, const uint8_t *data, size_t len)
{
    return (chunksim_rec_chunk_t){.seq = seq,
                                  .t_us = seq * 100,
                                  .sent_us = seq * 100 + 50,
                                  .header = (uint8_t)seq,
                                  .flags = "cont|more",
                                  .delivered = true,
                                  .data = data,
                                  .len = len};
}

/* Calls and chunks interleaved as the engine writes them: three calls per chunk. */
static void add_engine_rows(chunksim_rec_t *rec, uint64_t chunks)
{
    uint8_t data[20];
    for (uint64_t k = 0; k < chunks; k++) {
        for (uint64_t j = 0; j < 3; j++) {
            chunksim_rec_call_t c = call_row(3 * k + j);
            assert_int_equal(chunksim_rec_call(rec, &c), 0);
        }
        memset(data, (int)(k & 0xff), sizeof data);
        chunksim_rec_chunk_t ch = chunk_row(k, data, sizeof data);
        assert_int_equal(chunksim_rec_chunk(rec, &ch), 0);
    }
}

static void assert_engine_rows(sqlite3 *db, int64_t run, uint64_t chunks)
{
    assert_int_equal(q_int(db, "SELECT count(*) FROM calls WHERE run_id = %lld", (long long)run),
                     3 * chunks);
    assert_int_equal(q_int(db, "SELECT count(*) FROM chunks WHERE run_id = %lld", (long long)run),
                     chunks);
    /* Every row holds its own values, not a neighbour's: seq, time and bytes agree. */
    assert_int_equal(q_int(db,
                           "SELECT count(*) FROM calls WHERE run_id = %lld AND t_us = seq * 10 "
                           "AND kind = 'prepare' AND result_name = 'WAIT' AND arg = 20 "
                           "AND duration_us IS NULL",
                           (long long)run),
                     3 * chunks);
    assert_int_equal(q_int(db,
                           "SELECT count(*) FROM chunks WHERE run_id = %lld AND t_us = seq * 100 "
                           "AND sent_us = t_us + 50 AND header = seq %% 256 AND len = 20 "
                           "AND flags = 'cont|more' AND delivered = 1 AND retransmissions = 0 "
                           "AND hex(data) = replace(hex(zeroblob(20)), '00', "
                           "printf('%%02X', seq %% 256))",
                           (long long)run),
                     chunks);
}

static void test_rows_reach_sqlite_in_bulk_and_all_by_flush(void **state)
{
    (void)state;
    int64_t run = begin_run(&rec, 1);
    add_engine_rows(&rec, 100);
    /* Buffered: not even in the open batch yet. */
    sqlite3 *db = chunksim_rec_db(&rec);
    assert_int_equal(q_int(db, "SELECT count(*) FROM calls"), 0);
    assert_int_equal(rec.pending_rows, 400);
    assert_int_equal(chunksim_rec_flush(&rec), 0);
    assert_engine_rows(db, run, 100);

    /* An empty chunk is an empty blob; one too big for the buffer goes in on its own. */
    size_t big_len = 2u << 20;
    uint8_t *big = malloc(big_len);
    assert_non_null(big);
    memset(big, 0xa5, big_len);
    chunksim_rec_chunk_t empty = chunk_row(100, NULL, 0);
    chunksim_rec_chunk_t huge = chunk_row(101, big, big_len);
    assert_int_equal(chunksim_rec_chunk(&rec, &empty), 0);
    assert_int_equal(chunksim_rec_chunk(&rec, &huge), 0);
    free(big);
    chunksim_rec_run_result_t res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    assert_int_equal(q_int(db, "SELECT length(data) FROM chunks WHERE seq = 100 AND data IS NOT "
                               "NULL"),
                     0);
    assert_int_equal(
        q_int(db,
              "SELECT count(*) FROM chunks WHERE seq = 101 AND length(data) = %zu "
              "AND hex(substr(data, 1, 1)) = 'A5' AND hex(substr(data, %zu, 1)) = 'A5'",
              big_len, big_len),
        1);
    assert_integrity(db);
}

static void test_big_chunks_fill_the_buffer_by_bytes(void **state)
{
    (void)state;
    int64_t run = begin_run(&rec, 1);
    static uint8_t data[64 * 1024];
    for (uint64_t s = 0; s < 200; s++) { /* 12.5 MiB: several buffers' worth of bytes */
        memset(data, (int)s, sizeof data);
        chunksim_rec_chunk_t ch = chunk_row(s, data, sizeof data);
        assert_int_equal(chunksim_rec_chunk(&rec, &ch), 0);
    }
    chunksim_rec_run_result_t res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    sqlite3 *db = chunksim_rec_db(&rec);
    assert_int_equal(q_int(db,
                           "SELECT count(*) FROM chunks WHERE run_id = %lld AND len = 65536 "
                           "AND hex(substr(data, 1, 1)) = printf('%%02X', seq) "
                           "AND hex(substr(data, 65536, 1)) = printf('%%02X', seq)",
                           (long long)run),
                     200);
}

/* A repeated seq is refused by the call that repeats it, whether or not the first is buffered. */
static void test_repeated_seq_is_refused_at_once(void **state)
{
    (void)state;
    begin_run(&rec, 1);
    add_calls(&rec, 0, 10);
    /* Calls are stored in blocks, where SQLite sees only the first seq: the recorder checks. */
    chunksim_rec_call_t c = call_row(5);
    assert_int_equal(chunksim_rec_call(&rec, &c), CHUNKSIM_REC_E_INVAL);
    assert_non_null(strstr(chunksim_rec_errmsg(&rec), "calls: seq 5 is not above seq 9"));
    c = call_row(9);
    assert_int_equal(chunksim_rec_call(&rec, &c), CHUNKSIM_REC_E_INVAL);

    /* Flash ops complete out of order: a lower seq that is new is fine. */
    chunksim_rec_flash_op_t op = {.kind = "read", .end_us = 10, .latency_us = 10};
    static const uint64_t order[] = {2, 1, 4, 3, 0};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        op.seq = order[i];
        assert_int_equal(chunksim_rec_flash_op(&rec, &op), 0);
    }
    op.seq = 3;
    assert_int_equal(chunksim_rec_flash_op(&rec, &op), CHUNKSIM_REC_E_SQLITE);
    uint8_t byte = 1;
    chunksim_rec_chunk_t ch = chunk_row(7, &byte, 1);
    assert_int_equal(chunksim_rec_chunk(&rec, &ch), 0);
    assert_int_equal(chunksim_rec_chunk(&rec, &ch), CHUNKSIM_REC_E_INVAL);
    assert_non_null(strstr(chunksim_rec_errmsg(&rec), "chunks: seq 7 is not above seq 7"));

    chunksim_rec_run_result_t res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    sqlite3 *db = chunksim_rec_db(&rec);
    assert_int_equal(q_int(db, "SELECT count(*) FROM calls"), 10);
    assert_int_equal(q_int(db, "SELECT group_concat(seq, '') FROM (SELECT seq FROM flash_ops "
                               "ORDER BY seq)"),
                     1234);
    assert_int_equal(q_int(db, "SELECT count(*) FROM chunks"), 1);

    /* Seqs start over with each run. */
    begin_run(&rec, 2);
    add_calls(&rec, 0, 3);
    res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM calls"), 13);
}

/* The recorder's buffer tables read nothing but a buffer it binds itself. */
static void test_buffer_tables_are_not_queryable(void **state)
{
    (void)state;
    sqlite3 *db = chunksim_rec_db(&rec);
    sqlite3_stmt *st = NULL;
    assert_int_not_equal(
        sqlite3_prepare_v2(db, "SELECT * FROM chunksim_rec_buffered_call_blocks", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_finalize(st);
    assert_int_equal(q_int(db, "SELECT count(*) FROM chunksim_rec_buffered_chunk_blocks(x'00')"),
                     0);
}

static void test_foreign_keys_are_off_only_while_a_run_is_recorded(void **state)
{
    (void)state;
    sqlite3 *db = chunksim_rec_db(&rec);
    assert_int_equal(q_int(db, "PRAGMA foreign_keys"), 1);
    begin_run(&rec, 1);
    assert_int_equal(q_int(db, "PRAGMA foreign_keys"), 0);
    add_calls(&rec, 0, 10);
    chunksim_rec_run_result_t res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    assert_int_equal(q_int(db, "PRAGMA foreign_keys"), 1);
    begin_run(&rec, 2);
    assert_int_equal(chunksim_rec_run_abort(&rec, "stop"), 0);
    assert_int_equal(q_int(db, "PRAGMA foreign_keys"), 1);
    /* The rows written without the checks satisfy them. */
    assert_integrity(db);
    /* And with them on, deleting a run still deletes its trace. */
    raw_exec(db, "DELETE FROM runs WHERE run_id = 1");
    assert_int_equal(q_int(db, "SELECT count(*) FROM calls"), 0);
}

/*
 * A bulk insert that fails (here a trigger standing in for a full disk) is
 * reported by the call that made it, with how many rows it cost; recording
 * goes on.
 */
static void test_failed_bulk_insert_is_reported_with_the_rows_lost(void **state)
{
    (void)state;
    raw_exec(chunksim_rec_db(&rec), "CREATE TRIGGER boom BEFORE INSERT ON call_blocks "
                                    "WHEN NEW.seq = 3000 BEGIN SELECT RAISE(ABORT, 'boom'); END");
    assert_int_equal(chunksim_rec_set_batch_rows(&rec, 1000000), 0);
    begin_run(&rec, 1);
    int failed = 0;
    uint64_t failed_at = 0;
    /* Every other seq: a gap ends a block, so each call is a stored row of its own. */
    for (uint64_t s = 0; s < 10000; s++) {
        chunksim_rec_call_t c = call_row(2 * s);
        int r = chunksim_rec_call(&rec, &c);
        if (r != 0) {
            assert_int_equal(r, CHUNKSIM_REC_E_SQLITE);
            assert_non_null(strstr(chunksim_rec_errmsg(&rec), "boom"));
            assert_non_null(strstr(chunksim_rec_errmsg(&rec),
                                   "4096 buffered calls were lost; so were the 1 "
                                   "calls from seq 8192"));
            failed++;
            failed_at = s;
        }
    }
    /*
     * The call that found the buffer full: a call is stored when the next one
     * ends its block, so the 4096 stored rows are full at call 4097.
     */
    assert_int_equal(failed, 1);
    assert_int_equal(failed_at, 4097);
    chunksim_rec_run_result_t res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    sqlite3 *db = chunksim_rec_db(&rec);
    /* The failed buffer is gone, the block waiting to join it too, everything else kept. */
    assert_int_equal(q_int(db, "SELECT count(*) FROM calls"), 10000 - 4096 - 1);
    assert_int_equal(q_int(db, "SELECT min(seq) FROM calls"), 2 * 4097);
    assert_int_equal(q_int(db, "SELECT count(*) FROM calls WHERE seq = 19998"), 1);
    assert_integrity(db);
}

/* The recorder's one description of each trace table is the schema's, column for column. */
static void test_trace_columns_match_the_schema(void **state)
{
    (void)state;
    sqlite3 *db = chunksim_rec_db(&rec);
    static const char *const tables[] = {"calls", "flash_ops", "chunks"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char cols[512];
        int n = chunksim_rec_trace_columns(tables[i], cols, sizeof cols);
        assert_gt(n, 0);
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "SELECT group_concat(name, ', '), count(*) FROM "
                                            "(SELECT name FROM pragma_table_info(?1) "
                                            "WHERE name != 'run_id' ORDER BY cid)",
                                            -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(st, 1, tables[i], -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(st, 0), cols);
        assert_int_equal(sqlite3_column_int(st, 1), n);
        sqlite3_finalize(st);
    }
    /* The views are made from those lists, so the check above cannot catch a
     * column that goes missing from both: the views keep the columns the
     * calls and chunks tables had in schema version 3, spelled out here. */
    static const char *const v3[][2] = {
        {"calls", "seq, t_us, kind, arg, result, result_name, detail, duration_us"},
        {"chunks", "seq, t_us, sent_us, len, header, flags, delivered, retransmissions, data"},
    };
    for (size_t i = 0; i < sizeof v3 / sizeof v3[0]; i++) {
        char cols[512];
        assert_gt(chunksim_rec_trace_columns(v3[i][0], cols, sizeof cols), 0);
        assert_string_equal(cols, v3[i][1]);
    }
    char small[8];
    assert_int_equal(chunksim_rec_trace_columns("calls", small, sizeof small),
                     CHUNKSIM_REC_E_INVAL);
    assert_int_equal(chunksim_rec_trace_columns("runs", small, sizeof small), CHUNKSIM_REC_E_INVAL);
}

/* Every integer width survives a block's JSON, signs and the bits of values >= 2^63 too. */
static void test_integers_round_trip_through_blocks(void **state)
{
    (void)state;
    static const int64_t args[] = {
        INT64_MIN + 1, -1234567890123LL,      -10,      -1, 0, 1, 9, 10, 99, 100, 999,
        1000,          1234567890123456789LL, INT64_MAX};
    enum { N = sizeof args / sizeof args[0] };
    int64_t run = begin_run(&rec, 1);
    for (int i = 0; i < N; i++) {
        chunksim_rec_call_t c = call_row((uint64_t)i + 1);
        c.arg = args[i];
        c.result = (int)(args[i] % 100000);
        c.t_us = UINT64_MAX - (uint64_t)i - 1; /* stored as its bits: negative */
        c.duration_us = (uint64_t)i * 1000000000000000000u;
        assert_int_equal(chunksim_rec_call(&rec, &c), 0);
    }
    chunksim_rec_run_result_t res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    sqlite3 *db = chunksim_rec_db(&rec);
    for (int i = 0; i < N; i++) {
        uint64_t seq = (uint64_t)i + 1;
        assert_int_equal(q_int(db, "SELECT arg FROM calls WHERE run_id = %lld AND seq = %llu",
                               (long long)run, (unsigned long long)seq),
                         args[i]);
        assert_int_equal(
            q_int(db, "SELECT result FROM calls WHERE seq = %llu", (unsigned long long)seq),
            args[i] % 100000);
        assert_int_equal(
            (uint64_t)q_int(db, "SELECT t_us FROM calls WHERE seq = %llu", (unsigned long long)seq),
            UINT64_MAX - (uint64_t)i - 1);
        assert_int_equal((uint64_t)q_int(db, "SELECT duration_us FROM calls WHERE seq = %llu",
                                         (unsigned long long)seq),
                         (uint64_t)i * 1000000000000000000u);
    }
}

/*
 * Texts of every length the JSON writer tests differently (under 4 bytes, 4
 * to 7, a word, more), each with a byte to escape at the first, a middle and
 * the last position, or none: each must come back as it went in.
 */
static void test_texts_round_trip_through_blocks(void **state)
{
    (void)state;
    static const char *const texts[] = {"",
                                        "a",
                                        "\"",
                                        "ab\\",
                                        "READY",
                                        "\"bcd",
                                        "ab\"d",
                                        "abc\x01",
                                        "abcdefg",
                                        "abc\\efg",
                                        "abcdef\n",
                                        "abcdefgh",
                                        "\tbcdefgh",
                                        "abcdefg\"",
                                        "abcdefghi",
                                        "abcdefgh\\",
                                        "abcdefghi\x1f",
                                        "while the link sends",
                                        "while the \"link\" sends",
                                        "caf\xc3\xa9 \x7f ok\x1f"};
    enum { N = sizeof texts / sizeof texts[0] };
    int64_t run = begin_run(&rec, 1);
    for (int i = 0; i < N; i++) {
        chunksim_rec_call_t c = call_row((uint64_t)i + 1);
        c.detail = texts[i];
        c.kind = texts[N - 1 - i];
        assert_int_equal(chunksim_rec_call(&rec, &c), 0);
    }
    chunksim_rec_run_result_t res = ok_result();
    assert_int_equal(chunksim_rec_run_end(&rec, &res), 0);
    sqlite3 *db = chunksim_rec_db(&rec);
    for (int i = 0; i < N; i++) {
        char sql[160], got[64];
        snprintf(sql, sizeof sql, "SELECT detail FROM calls WHERE run_id = %lld AND seq = %d",
                 (long long)run, i + 1);
        assert_string_equal(q_text(db, got, sizeof got, sql), texts[i]);
        snprintf(sql, sizeof sql, "SELECT kind FROM calls WHERE run_id = %lld AND seq = %d",
                 (long long)run, i + 1);
        assert_string_equal(q_text(db, got, sizeof got, sql), texts[N - 1 - i]);
    }
}

/* Every case but the first gets a database path of its own (setup), removed after (teardown). */
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
/* ... and those that record into it start on rec opened on it, closed after them. */
#define OPEN(f) cmocka_unit_test_setup_teardown(f, setup_open, teardown_close)
CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_sha256_matches_published_vectors),
    T(test_open_creates_schema_with_version),
    T(test_open_refuses_newer_schema_version),
    T(test_version_3_file_is_read_as_is_and_migrated_on_write),
    T(test_version_1_file_is_read_as_is_and_migrated_on_write),
    T(test_open_upgrades_version_2),
    T(test_open_refuses_a_file_that_is_not_a_recording),
    T(test_open_refuses_a_database_without_wal),
    T(test_readonly_recorder_refuses_writes),
    T(test_scenario_is_deduplicated_by_config_hash),
    T(test_run_with_every_row_kind_round_trips),
    T(test_image_is_stored_once_per_hash),
    OPEN(test_image_larger_than_a_piece_is_stored_whole),
    OPEN(test_batch_commits_at_the_row_boundary),
    T(test_killed_writer_leaves_run_marked_incomplete),
    T(test_live_writer_run_is_left_running),
    T(test_abort_marks_run_incomplete_and_keeps_rows),
    T(test_invalid_use_is_refused),
    OPEN(test_batch_lost_to_a_rollback_is_reported),
    T(test_schema_checks_reject_inconsistent_rows),
    T(test_views_summarize_a_known_dataset),
    OPEN(test_hundred_thousand_chunks_are_recorded),
    OPEN(test_rows_reach_sqlite_in_bulk_and_all_by_flush),
    OPEN(test_big_chunks_fill_the_buffer_by_bytes),
    OPEN(test_repeated_seq_is_refused_at_once),
    OPEN(test_buffer_tables_are_not_queryable),
    OPEN(test_trace_columns_match_the_schema),
    OPEN(test_texts_round_trip_through_blocks),
    OPEN(test_integers_round_trip_through_blocks),
    OPEN(test_foreign_keys_are_off_only_while_a_run_is_recorded),
    OPEN(test_failed_bulk_insert_is_reported_with_the_rows_lost),
})
#undef T
#undef OPEN
