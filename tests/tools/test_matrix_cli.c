/*
 * chunksim matrix and chunksim merge, end to end through the built binary:
 * workers, JUnit, shards merged back, case ids, Ctrl-C, a worker that dies.
 */
#include <sqlite3.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"

static char out[1 << 20], err_text[1 << 16];

/* 2 x 2 lists x 3 seeds = 12 cases; disconnect_after_chunk = last loses the coredump. */
static const char cli_ini[] = "[coredump]\nsize_bytes = 8KiB\n"
                              "[flash]\nsize_bytes = 64KiB\n"
                              "[reader]\nkind = sync\n"
                              "[link]\natt_mtu = 247\n"
                              "[matrix]\n"
                              "seeds = 1..3\n"
                              "link.disconnect_after_chunk = never | last\n"
                              "flash.read_latency = model | fixed:50\n";

/* One quick case; the other scenarios add to it ([link] last: fails.ini adds a key to it). */
#define ONE_INI                                                                                    \
    "[coredump]\nsize_bytes = 8KiB\n[flash]\nsize_bytes = 64KiB\n[link]\natt_mtu = 247\n"

/* Many quick cases, to be interrupted. */
static const char long_ini[] = ONE_INI "[matrix]\nseeds = 1..100000\n";

/*
 * Runs "chunksim ARGS" through the shell; stdout lands in out, stderr in err_text. ARGS is a
 * format, a string literal: chunksim_test_shell() formats it, after the binary's path (an
 * argument, not part of the format: a build directory may hold a '%').
 */
#define cli(fmt, ...)                                                                              \
    chunksim_test_shell(out, sizeof out, err_text, sizeof err_text, "'%s' " fmt, CHUNKSIM_BIN,     \
                        ##__VA_ARGS__)

static void expect_exit(int got, int want)
{
    if (got != want)
        fail_msg("exit %d, wanted %d\nstdout:\n%s\nstderr:\n%s", got, want, out, err_text);
}

/* "chunksim ARGS" exits with status, saying part on stderr. */
static void expect_refusal(const char *args, int status, const char *part)
{
    expect_exit(cli("%s", args), status);
    chunksim_test_assert_contains(err_text, part);
}

/* sql on db_path with other_path attached as b. */
static int64_t sql_int_with(const char *db_path, const char *other_path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    char attach[600];
    snprintf(attach, sizeof attach, "ATTACH '%s' AS b", other_path);
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_exec(db, attach, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static const char *sql_text(const char *db_path, const char *sql)
{
    static char text[256];
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    text[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
        snprintf(text, sizeof text, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return text;
}

/* ---- a small XML well-formedness check (what JUnit consumers need) ------ */

static bool xml_name(const char **p)
{
    if (!isalpha((unsigned char)**p) && **p != '_')
        return false;
    while (isalnum((unsigned char)**p) || strchr("_-.:", **p) != NULL)
        (*p)++;
    return true;
}

/* Text up to stop: no '<', and every '&' starts a known entity. */
static bool xml_chars(const char **p, char stop)
{
    static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    while (**p != stop) {
        if (**p == '\0' || **p == '<')
            return false;
        if (**p == '&') {
            size_t i = 0;
            while (i < 5 && strncmp(*p, entities[i], strlen(entities[i])) != 0)
                i++;
            if (i == 5)
                return false;
            *p += strlen(entities[i]);
            continue;
        }
        if ((unsigned char)**p < 0x20 && **p != '\n' && **p != '\t' && **p != '\r')
            return false;
        (*p)++;
    }
    return true;
}

static bool xml_well_formed(const char *s)
{
    const char *stack[16];
    size_t depth_names[16];
    int depth = 0, roots = 0;
    const char *p = strstr(s, "?>");
    if (strncmp(s, "<?xml ", 6) != 0 || p == NULL)
        return false;
    p += 2;
    while (*p) {
        if (*p != '<') {
            if (!xml_chars(&p, *p == '\0' ? '\0' : '<') && *p != '\0')
                return false;
            continue;
        }
        p++;
        if (*p == '/') {
            p++;
            const char *name = p;
            if (depth == 0 || !xml_name(&p) || (size_t)(p - name) != depth_names[depth - 1] ||
                strncmp(name, stack[depth - 1], depth_names[depth - 1]) != 0 || *p++ != '>')
                return false;
            depth--;
            continue;
        }
        const char *name = p;
        if (!xml_name(&p) || depth == 16)
            return false;
        if (depth == 0)
            roots++;
        size_t len = (size_t)(p - name);
        for (;;) {
            while (*p == ' ' || *p == '\n')
                p++;
            if (*p == '/' && p[1] == '>') {
                p += 2;
                break;
            }
            if (*p == '>') {
                p++;
                stack[depth] = name;
                depth_names[depth++] = len;
                break;
            }
            if (!xml_name(&p) || *p++ != '=' || *p++ != '"' || !xml_chars(&p, '"'))
                return false;
            p++;
        }
    }
    return depth == 0 && roots == 1;
}

static void test_the_xml_check_itself_rejects_broken_documents(void **state)
{
    (void)state;
    assert_true(xml_well_formed("<?xml version=\"1.0\"?>\n<a x=\"1&amp;\"><b/>t</a>\n"));
    assert_false(xml_well_formed("<?xml version=\"1.0\"?>\n<a><b></a></b>\n"));
    assert_false(xml_well_formed("<?xml version=\"1.0\"?>\n<a x=\"<\"/>\n"));
    assert_false(xml_well_formed("<?xml version=\"1.0\"?>\n<a>&bogus;</a>\n"));
    assert_false(xml_well_formed("<?xml version=\"1.0\"?>\n<a>x</a><a/>\n"));
    assert_false(xml_well_formed("<?xml version=\"1.0\"?>\n<a>\n"));
}

/* ---- matrix ------------------------------------------------------------ */

static void test_junit_is_well_formed_with_one_testcase_per_case(void **state)
{
    (void)state;
    expect_exit(cli("matrix cli.ini --db '' -j 2 --junit junit.xml"), 1);
    chunksim_test_assert_contains(out, "12 case(s), 12 run in");
    size_t failed = chunksim_test_count_of(out, "FAIL ");
    assert_int_equal(failed, 6); /* every disconnect-after-last case */
    /* The failures come first, the summary last, where a terminal leaves it in view. */
    assert_true(strstr(out, "FAIL ") < strstr(out, "12 case(s)"));
    assert_string_equal(strstr(out, "\noutcomes: "), "\noutcomes: ok 6 lost 6\n");
    chunksim_test_assert_contains(out, "6 passed, 6 failed");
    /* Each failure's next line reproduces it alone. */
    assert_int_equal(chunksim_test_count_of(out, "\n  chunksim run cli.ini --seed "), failed);
    assert_int_equal(chunksim_test_count_of(out, "--set link.disconnect_after_chunk=last --set "
                                                 "flash.read_latency="),
                     failed);
    /* Not a terminal: plain progress lines, the last one complete. */
    chunksim_test_assert_contains(err_text, "chunksim matrix: 12/12 (100%), ");
    chunksim_test_assert_contains(err_text, "runs/s, ETA 0:00, 6 failed\n");

    static char xml[1 << 16];
    chunksim_test_read_file(chunksim_test_path("junit.xml"), xml, sizeof xml);
    assert_true(xml_well_formed(xml));
    assert_int_equal(chunksim_test_count_of(xml, "<testcase "), 12);
    assert_int_equal(chunksim_test_count_of(xml, "<failure "), failed);
    assert_int_equal(chunksim_test_count_of(xml, "</failure>"), failed);
    chunksim_test_assert_contains(
        xml, "<testsuites name=\"chunksim\" tests=\"12\" failures=\"6\" errors=\"0\" "
             "skipped=\"0\"");
    chunksim_test_assert_contains(xml, "<testsuite name=\"cli.ini\" tests=\"12\" failures=\"6\"");
    chunksim_test_assert_contains(xml, "classname=\"cli\" name=\"");
    chunksim_test_assert_contains(xml, "repro: chunksim run cli.ini --seed ");
}

static void test_junit_escapes_what_xml_reserves(void **state)
{
    (void)state;
    chunksim_test_write_file("esc.ini", "[run]\nname = a&b<c>\"d'e\nexpect = lost\n" ONE_INI);
    expect_exit(cli("matrix esc.ini --db '' -q --junit esc.xml"), 1);
    static char xml[1 << 14];
    chunksim_test_read_file(chunksim_test_path("esc.xml"), xml, sizeof xml);
    assert_true(xml_well_formed(xml));
    chunksim_test_assert_contains(xml, "classname=\"a&amp;b&lt;c&gt;&quot;d&apos;e\"");
    chunksim_test_assert_contains(xml, "(expected lost)");
}

/*
 * With a baseline, JUnit fails exactly the cases the baseline check counts:
 * a case that ends lost as its baseline says passes; a changed, a new and a
 * gone case fail. --write-baseline alone fails none, as its exit status.
 */
static void test_junit_with_a_baseline_fails_exactly_the_changes(void **state)
{
    (void)state;
    static char xml[1 << 16], bl[1 << 14], edited[1 << 14];
    expect_exit(cli("matrix cli.ini --db '' -q --write-baseline bl.tsv --junit w.xml"), 0);
    chunksim_test_read_file(chunksim_test_path("w.xml"), xml, sizeof xml);
    chunksim_test_assert_contains(xml, "tests=\"12\" failures=\"0\" errors=\"0\"");
    expect_exit(cli("matrix cli.ini --db '' -q --baseline bl.tsv --junit same.xml"), 0);
    chunksim_test_assert_contains(out, "0 change(s)");
    chunksim_test_read_file(chunksim_test_path("same.xml"), xml, sizeof xml);
    assert_true(xml_well_formed(xml));
    assert_int_equal(chunksim_test_count_of(xml, "<failure"), 0);
    chunksim_test_assert_contains(
        xml, "name=\"cli[disconnect_after_chunk=last,read_latency=model] seed 1\"");

    /* Line 1 of the cases changes outcome, line 2 goes (its case is new), one is made up. */
    chunksim_test_read_file(chunksim_test_path("bl.tsv"), bl, sizeof bl);
    char *first = strchr(strstr(bl, "# case_id"), '\n') + 1;
    char *second = strchr(first, '\n') + 1;
    char *rest = strchr(second, '\n') + 1;
    char *tab = second - 1; /* the last tab of the first line: before its outcome */
    while (*tab != '\t')
        tab--;
    bool was_ok = strncmp(tab + 1, "ok\n", 3) == 0;
    char changed[16];
    snprintf(changed, sizeof changed, "%.10s", first);
    snprintf(edited, sizeof edited, "%.*s\t%s\n%szzzzzzzzzz\tcli\t9\tok\n", (int)(tab - bl), bl,
             was_ok ? "lost" : "ok", rest);
    chunksim_test_write_file("edited.tsv", edited);
    expect_exit(cli("matrix cli.ini --db '' -q --baseline edited.tsv --junit changed.xml"), 1);
    chunksim_test_assert_contains(out, "3 change(s)");
    chunksim_test_read_file(chunksim_test_path("changed.xml"), xml, sizeof xml);
    assert_true(xml_well_formed(xml));
    chunksim_test_assert_contains(xml, "tests=\"13\" failures=\"3\" errors=\"0\"");
    assert_int_equal(chunksim_test_count_of(xml, "<failure"), 3);
    char want[64];
    snprintf(want, sizeof want, "\ncase %s\nrepro: chunksim run cli.ini", changed);
    chunksim_test_assert_contains(xml, want);
    snprintf(want, sizeof want, "\ncase %.10s\nrepro: ", second);
    chunksim_test_assert_contains(xml, want);
    chunksim_test_assert_contains(xml, "message=\"new: ");
    chunksim_test_assert_contains(xml, "message=\"changed: ");
    chunksim_test_assert_contains(xml, "<testsuite name=\"baseline\" tests=\"1\" failures=\"1\"");
    chunksim_test_assert_contains(xml, "name=\"cli seed 9\"");
    chunksim_test_assert_contains(xml, "message=\"gone: ok in the baseline");
}

static void test_shards_merged_hold_exactly_the_whole_matrix(void **state)
{
    (void)state;
    expect_exit(cli("matrix cli.ini --db whole.db -j 2 -q"), 1);
    int64_t whole =
        chunksim_test_sql_int(chunksim_test_path("whole.db"), "SELECT count(*) FROM runs");
    assert_int_equal(whole, 12);
    /* Shard k runs cases k-1, k+4, k+9: each holds a failing (disconnect-after-last) one. */
    for (int k = 1; k <= 5; k++)
        expect_exit(cli("matrix cli.ini --db shard%d.db -j 1 -q --shard %d/5", k, k), 1);
    expect_exit(cli("merge merged.db shard1.db shard2.db shard3.db shard4.db shard5.db"), 0);
    chunksim_test_assert_contains(out, "12 run(s) merged into merged.db, 0 already present");
    expect_exit(cli("merge merged.db shard3.db whole.db"), 0);
    /* shard 3 (cases 2 and 7) is there already; the whole matrix is new: other processes. */
    chunksim_test_assert_contains(out, "12 run(s) merged into merged.db, 2 already present");
    const char *m = chunksim_test_path("merged.db");
    assert_int_equal(chunksim_test_sql_int(m, "SELECT count(*) FROM runs"), 24);
    /* Each (scenario, seed) of the matrix exactly twice: once from the shards, once whole;
     * and with the same outcome both times. */
    assert_int_equal(
        chunksim_test_sql_int(m, "SELECT count(*) FROM (SELECT scenario_id, seed, count(*) AS n, "
                                 "count(DISTINCT outcome) AS o FROM runs GROUP BY 1, 2 "
                                 "HAVING n = 2 AND o = 1)"),
        12);
    /* One scenario per cell: its seeds share it (the seed is recorded with the run). */
    assert_int_equal(chunksim_test_sql_int(m, "SELECT count(*) FROM scenarios"), 4);
    assert_int_equal(
        chunksim_test_sql_int(m, "SELECT count(*) FROM calls"),
        2 * chunksim_test_sql_int(chunksim_test_path("whole.db"), "SELECT count(*) FROM calls"));
    assert_string_equal(sql_text(m, "PRAGMA integrity_check"), "ok");
}

/* --list gives ids; --case ID runs that case alone, and so does its repro line. */
static void test_a_case_id_and_its_repro_line_run_the_same_case(void **state)
{
    (void)state;
    expect_exit(cli("matrix cli.ini --list"), 0);
    assert_int_equal(chunksim_test_count_of(out, "\n"), 12);
    char line[512], id[32], repro[400];
    const char *seventh = out;
    for (int i = 0; i < 7; i++)
        seventh = strchr(seventh, '\n') + 1;
    sscanf(seventh, "%511[^\n]", line);
    unsigned index;
    assert_int_equal(
        sscanf(line, "%u\t%31[^\t]\t%*[^\t]\tchunksim run %399[^\n]", &index, id, repro), 3);
    assert_int_equal(index, 7);
    assert_int_equal(strlen(id), 10);

    cli("matrix cli.ini --case %s --db case.db -q", id);
    chunksim_test_assert_contains(out, "1 case(s), 1 run in");
    cli("run %s --db repro.db -q", repro);
    const char *sha = "SELECT s.config_sha256 || ':' || r.seed || ':' || r.outcome FROM runs r "
                      "JOIN scenarios s USING (scenario_id)";
    char a[256];
    snprintf(a, sizeof a, "%s", sql_text(chunksim_test_path("case.db"), sha));
    assert_gt(strlen(a), 64);
    assert_string_equal(a, sql_text(chunksim_test_path("repro.db"), sha));
    assert_int_equal(chunksim_test_sql_int(chunksim_test_path("case.db"), "SELECT seed FROM runs"),
                     2);

    expect_exit(cli("matrix cli.ini --case %s --seeds 4..5 -q --db ''", id), 2);
    chunksim_test_assert_contains(err_text, "no such case in this matrix");
}

/* The one chunksim in the background, killed by teardown if a test failed before its end. */
static pid_t bg_pid;

/* Runs chunksim in the background; its pid. */
static pid_t spawn_cli(const char *const *args)
{
    pid_t pid = fork();
    assert_ge(pid, 0);
    if (pid == 0) {
        if (chdir(chunksim_test_scratch_dir()) != 0)
            _exit(127);
        FILE *o = freopen("bg_out.txt", "w", stdout);
        FILE *e = freopen("bg_err.txt", "w", stderr);
        (void)o;
        (void)e;
        const char *argv[32] = {CHUNKSIM_BIN};
        for (int i = 0; args[i] != NULL && i < 30; i++)
            argv[i + 1] = args[i];
        execv(CHUNKSIM_BIN, (char *const *)argv);
        _exit(127);
    }
    bg_pid = pid;
    return pid;
}

/* The query's value, or -1 while the database or its schema is not there yet. */
static int64_t sql_int_soft(const char *db_path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return v;
}

/* Waits (bounded, polling) until the query on db returns at least want. */
static void wait_for(const char *db, const char *sql, int64_t want)
{
    const struct timespec pause = {.tv_nsec = 20 * 1000 * 1000};
    for (int i = 0; i < 3000; i++) { /* a minute at most */
        if (sql_int_soft(db, sql) >= want)
            return;
        nanosleep(&pause, NULL);
    }
    fail_msg("%s never reached %lld", sql, (long long)want);
}

static int wait_exit(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    bg_pid = 0;
    chunksim_test_read_file(chunksim_test_path("bg_out.txt"), out, sizeof out);
    chunksim_test_read_file(chunksim_test_path("bg_err.txt"), err_text, sizeof err_text);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The workers' scratch directories, next to the databases in the scratch directory; how many, and
 * the last. */
static int batch_dirs(char *last, size_t len)
{
    int n = 0;
    DIR *d = opendir(chunksim_test_scratch_dir());
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strstr(e->d_name, ".db.scratch-") != NULL) {
            snprintf(last, len, "%s/%s", chunksim_test_scratch_dir(), e->d_name);
            n++;
        }
    }
    closedir(d);
    return n;
}

/* The pid of a worker recording a run that is still going, from its scratch databases. */
static pid_t running_worker(void)
{
    char dir[400];
    if (batch_dirs(dir, sizeof dir) == 0)
        return 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    pid_t pid = 0;
    for (struct dirent *e; pid <= 0 && (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "worker", 6) != 0 || n < 3 || strcmp(e->d_name + n - 3, ".db") != 0)
            continue;
        char db[700];
        snprintf(db, sizeof db, "%s/%s", dir, e->d_name);
        sqlite3 *h;
        sqlite3_stmt *st;
        if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
            sqlite3_busy_timeout(h, 10000) == SQLITE_OK &&
            sqlite3_prepare_v2(h,
                               "SELECT r.writer_pid FROM runs r JOIN scenarios s USING "
                               "(scenario_id) WHERE r.status = 'running' AND s.name = 'die'",
                               -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW)
                pid = (pid_t)sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
        sqlite3_close(h);
    }
    closedir(d);
    return pid;
}

static void test_ctrl_c_keeps_finished_runs_and_leaves_the_database_consistent(void **state)
{
    (void)state;
    const char *db = chunksim_test_path("int.db");
    const char *args[] = {"matrix", "long.ini", "--db",    "int.db", "-j",
                          "2",      "-q",       "--trace", "all",    NULL};
    pid_t pid = spawn_cli(args);
    wait_for(db, "SELECT count(*) FROM runs WHERE status = 'finished'", 5);
    kill(pid, SIGINT); /* to the parent only: it must forward it to its workers */
    expect_exit(wait_exit(pid), 1);
    chunksim_test_assert_contains(out, "interrupted by SIGINT: ");
    unsigned long cases, ran;
    const char *summary = strstr(out, " case(s), ");
    assert_non_null(summary);
    while (summary > out && summary[-1] != '\n')
        summary--;
    assert_int_equal(sscanf(summary, "%lu case(s), %lu run in", &cases, &ran), 2);
    assert_int_equal(cases, 100000);
    assert_ge(ran, 5);
    assert_lt(ran, cases);
    assert_string_equal(sql_text(db, "PRAGMA integrity_check"), "ok");
    assert_int_equal(
        chunksim_test_sql_int(db, "SELECT count(*) FROM runs WHERE status = 'running'"), 0);
    /* Every run the summary counts is in the database, and nothing else. */
    assert_int_equal(chunksim_test_sql_int(db, "SELECT count(*) FROM runs"), (int64_t)ran);
    assert_int_equal(
        chunksim_test_sql_int(db, "SELECT count(*) FROM runs r WHERE status = 'finished' AND "
                                  "chunks <> (SELECT count(*) FROM chunks c WHERE "
                                  "c.run_id = r.run_id)"),
        0);
    /* The workers' scratch databases are gone. */
    char dir[400];
    assert_int_equal(batch_dirs(dir, sizeof dir), 0);
}

/* Waits (bounded) until no process holds the scratch directory's lock: its batch is gone. */
static void wait_unlocked(const char *dir)
{
    char lock[500];
    snprintf(lock, sizeof lock, "%s/owner.lock", dir);
    const struct timespec pause = {.tv_nsec = 20 * 1000 * 1000};
    for (int i = 0; i < 3000; i++) {
        int fd = open(lock, O_RDWR);
        assert_ge(fd, 0);
        bool free_now = flock(fd, LOCK_EX | LOCK_NB) == 0;
        close(fd);
        if (free_now)
            return;
        nanosleep(&pause, NULL);
    }
    fail_msg("%s stayed locked", lock);
}

static void test_a_killed_matrix_leaves_runs_that_the_next_one_recovers(void **state)
{
    (void)state;
    const char *db = chunksim_test_path("killed.db");
    const char *args[] = {"matrix", "long.ini", "--db", "killed.db", "-j", "2", "-q", NULL};
    pid_t pid = spawn_cli(args);
    wait_for(db, "SELECT count(*) FROM runs WHERE status = 'finished'", 5);
    kill(pid, SIGKILL); /* no chance to merge or clean up */
    (void)wait_exit(pid);
    char dir[400];
    assert_int_equal(batch_dirs(dir, sizeof dir), 1);
    wait_unlocked(dir); /* the orphaned workers notice and stop */
    int64_t before = chunksim_test_sql_int(db, "SELECT count(*) FROM runs");

    /* The next batch on the same output merges what the killed one left (cli.ini has
     * 6 losing cases: exit 1). */
    expect_exit(cli("matrix cli.ini --db killed.db -q"), 1);
    const char *said = strstr(err_text, "recovered ");
    unsigned long long recovered;
    if (said == NULL || sscanf(said, "recovered %llu run(s)", &recovered) != 1)
        fail_msg("no recovery reported:\n%s", err_text);
    chunksim_test_assert_contains(
        err_text, "from 1 of 1 scratch directory a killed earlier batch on killed.db");
    assert_int_equal(chunksim_test_sql_int(db, "SELECT count(*) FROM runs"),
                     before + (int64_t)recovered + 12);
    assert_int_equal(
        chunksim_test_sql_int(db, "SELECT count(*) FROM runs WHERE status = 'running'"), 0);
    assert_string_equal(sql_text(db, "PRAGMA integrity_check"), "ok");
    assert_int_equal(batch_dirs(dir, sizeof dir), 0);
    /* Nothing left to recover the time after. */
    expect_exit(cli("matrix cli.ini --db killed.db -q"), 1);
    assert_null(strstr(err_text, "recovered"));
}

static void test_a_database_in_a_missing_directory_is_refused_before_any_run(void **state)
{
    (void)state;
    expect_refusal("matrix cli.ini -q --db nodir/x.db", 2, "the directory nodir does not exist");
    assert_int_equal(chunksim_test_count_of(out, "case(s)"), 0);
    expect_refusal("run cli.ini -q --db nodir/x.db", 2, "the directory nodir does not exist");
    assert_int_equal(chunksim_test_count_of(out, "run(s)"), 0);
}

static void test_a_worker_that_dies_is_replaced_and_its_case_is_an_error(void **state)
{
    (void)state;
    /* Case 0 runs for half a minute of real time; case 1 is quick. */
    chunksim_test_write_file("die.ini", "[run]\nrealtime_scale = 100\n" ONE_INI
                                        "[matrix]\nrun.mode = realtime | virtual\n");
    const char *args[] = {"matrix", "die.ini", "--db", "die.db", "-j", "1", "-q", NULL};
    pid_t pid = spawn_cli(args);
    pid_t worker = 0;
    const struct timespec pause = {.tv_nsec = 20 * 1000 * 1000};
    for (int i = 0; i < 3000 && (worker = running_worker()) <= 0; i++)
        nanosleep(&pause, NULL);
    assert_gt(worker, 0);
    assert_int_equal(kill(worker, SIGKILL), 0);
    expect_exit(wait_exit(pid), 1);
    chunksim_test_assert_contains(out, "2 case(s), 2 run in");
    chunksim_test_assert_contains(out, "1 passed, 1 failed");
    chunksim_test_assert_contains(out, "died of signal 9");
    const char *db = chunksim_test_path("die.db");
    assert_int_equal(chunksim_test_sql_int(db, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(
        chunksim_test_sql_int(db, "SELECT count(*) FROM runs WHERE status = 'interrupted' AND "
                                  "mode = 'realtime'"),
        1);
    assert_int_equal(
        chunksim_test_sql_int(db, "SELECT count(*) FROM runs WHERE status = 'finished' AND "
                                  "outcome = 'ok' AND mode = 'virtual'"),
        1);
    assert_string_equal(sql_text(db, "PRAGMA integrity_check"), "ok");
}

/* --trace failures: a failing case keeps its full trace, a passing one its runs row only. */
static void test_trace_failures_reruns_failing_cases_with_their_trace(void **state)
{
    (void)state;
    expect_exit(cli("matrix cli.ini --db fail.db -q"), 1);
    assert_null(strstr(err_text, "NONDETERMINISTIC"));
    const char *db = chunksim_test_path("fail.db");
    /* One run per case: the summary-only run of a failing case is replaced, not kept. */
    assert_int_equal(chunksim_test_sql_int(db, "SELECT count(*) FROM runs"), 12);
    assert_int_equal(chunksim_test_sql_int(db, "SELECT count(*) FROM runs WHERE outcome <> 'ok'"),
                     6);
    assert_int_equal(
        chunksim_test_sql_int(db, "SELECT count(*) FROM runs r WHERE outcome <> 'ok' AND "
                                  "chunks > 0 AND chunks = (SELECT count(*) FROM chunks c "
                                  "WHERE c.run_id = r.run_id) AND EXISTS (SELECT 1 FROM calls c "
                                  "WHERE c.run_id = r.run_id)"),
        6);
    assert_int_equal(
        chunksim_test_sql_int(db, "SELECT count(*) FROM calls c JOIN runs r USING (run_id) "
                                  "WHERE r.outcome = 'ok'"),
        0);
    assert_int_equal(
        chunksim_test_sql_int(db, "SELECT count(*) FROM chunks c JOIN runs r USING (run_id) "
                                  "WHERE r.outcome = 'ok'"),
        0);
    assert_int_equal(chunksim_test_sql_int(db,
                                           "SELECT count(*) FROM params p WHERE p.run_id NOT IN "
                                           "(SELECT run_id FROM runs)"),
                     0);
    /* The re-run ended as every run of the same case does with its trace from the start. */
    expect_exit(cli("matrix cli.ini --db all.db -q --trace all"), 1);
    assert_int_equal(sql_int_with(db, chunksim_test_path("all.db"),
                                  "SELECT count(*) FROM runs a JOIN scenarios sa USING "
                                  "(scenario_id) WHERE EXISTS (SELECT 1 FROM b.runs r JOIN "
                                  "b.scenarios s USING (scenario_id) WHERE s.config_sha256 = "
                                  "sa.config_sha256 AND r.seed = a.seed AND r.outcome = "
                                  "a.outcome AND r.reason IS a.reason AND r.chunks = a.chunks)"),
                     12);
    /* none: no trace and no image. */
    expect_exit(cli("matrix cli.ini --db none.db -q --trace none"), 1);
    const char *none = chunksim_test_path("none.db");
    assert_int_equal(
        chunksim_test_sql_int(none, "SELECT count(*) FROM runs WHERE image_id IS NULL"), 12);
    assert_int_equal(chunksim_test_sql_int(none, "SELECT count(*) FROM images"), 0);
    assert_int_equal(chunksim_test_sql_int(none, "SELECT count(*) FROM calls"), 0);
    expect_refusal("matrix cli.ini -q --trace some", 2,
                   "--trace some: expected failures, all or none");
}

static void test_bad_usage_exits_2_and_help_exits_0(void **state)
{
    (void)state;
    expect_exit(cli("matrix --help"), 0);
    chunksim_test_assert_contains(out, "usage: chunksim matrix SCENARIO...");
    chunksim_test_assert_contains(out, "--shard K/N");
    expect_exit(cli("matrix"), 2);
    expect_refusal("matrix cli.ini -j 0", 2, "-j 0: expected a number of workers");
    expect_refusal("matrix cli.ini --shard 4/3", 2, "--shard 4/3: need 1 <= K <= N");
    expect_exit(cli("matrix cli.ini --seeds 3..1"), 2);
    expect_exit(cli("matrix cli.ini --set att_mtu=1"), 2);
    expect_refusal("matrix cli.ini --set link.att_mtu=7 --db ''", 2, "case ");
    chunksim_test_assert_contains(err_text, "--set link.att_mtu=7");
    chunksim_test_write_file("bad.ini", "[matrix]\nlink.att_mtu = 23 | 5000\n");
    expect_refusal("matrix bad.ini", 2,
                   "bad.ini:2: [matrix] link.att_mtu = 23 | 5000: value 2 of 2");
    expect_refusal("matrix cli.ini --seeds 0..100000000 --list", 2, "split it with --shard K/N");
    char many[6000] = "";
    for (int i = 0; i < 57; i++)
        strcat(many, " --set link.att_mtu=247");
    expect_exit(cli("matrix cli.ini %s", many), 2);
    chunksim_test_assert_contains(err_text, "at most 56 --set options");
    many[0] = '\0';
    for (int i = 0; i < 257; i++)
        strcat(many, " --case 0000000000");
    expect_exit(cli("matrix cli.ini %s", many), 2);
    chunksim_test_assert_contains(err_text, "at most 256 --case options");
    /* A JUnit file that cannot be written fails the command after the runs. */
    expect_refusal("matrix cli.ini -q --db '' --seeds 1 --junit nodir/j.xml", 1,
                   "--junit nodir/j.xml: No such file or directory");
    expect_exit(cli("merge --help"), 0);
    chunksim_test_assert_contains(out, "usage: chunksim merge OUT.db IN.db...");
    expect_exit(cli("merge only.db"), 2);
    expect_refusal("merge m.db nosuch.db", 2, "nosuch.db");
}

static void test_an_empty_shard_still_writes_a_database(void **state)
{
    (void)state;
    expect_exit(cli("matrix one.ini --shard 2/2 --db empty.db -q"), 0);
    chunksim_test_assert_contains(out, "0 case(s), 0 run in");
    assert_int_equal(
        chunksim_test_sql_int(chunksim_test_path("empty.db"), "SELECT count(*) FROM runs"), 0);
    expect_exit(cli("merge all.db empty.db"), 0);
}

static int kill_bg(void **state)
{
    (void)state;
    if (bg_pid > 0) {
        kill(bg_pid, SIGKILL);
        waitpid(bg_pid, NULL, 0);
        bg_pid = 0;
    }
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    if (chunksim_test_scratch_make("test_matrix_cli") != 0)
        return -1;
    /* The scenarios several tests run; none of them changes one. */
    chunksim_test_write_file("cli.ini", cli_ini);
    chunksim_test_write_file("one.ini", ONE_INI);
    chunksim_test_write_file("long.ini", long_ini);
    /* Scratch databases are made next to the output; nothing may go to TMPDIR. */
    return setenv("TMPDIR", chunksim_test_scratch_dir(), 1);
}

static int group_teardown(void **state)
{
    kill_bg(state);
    return chunksim_test_scratch_remove();
}

/* ---- the option layer, end to end ------------------------------------- */

static void test_help_cmd_and_cmd_help_print_the_same(void **state)
{
    (void)state;
    static const char *const commands[] = {"run",    "bench",  "matrix", "merge",
                                           "sweep",  "swarm",  "shrink", "report",
                                           "export", "decode", "replay", "diff"};
    static char first[1 << 16];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        expect_exit(cli("help %s", commands[i]), 0);
        snprintf(first, sizeof first, "%s", out);
        expect_exit(cli("%s --help", commands[i]), 0);
        assert_string_equal(first, out);
        char usage[64];
        snprintf(usage, sizeof usage, "usage: chunksim %s ", commands[i]);
        chunksim_test_assert_contains(out, usage);
    }
}

static void test_a_typo_prints_one_line_and_a_hint(void **state)
{
    (void)state;
    expect_exit(cli("matrix cli.ini --seeed 3"), 2);
    assert_string_equal(err_text,
                        "chunksim matrix: unknown option '--seeed'; did you mean --seeds? "
                        "see 'chunksim matrix --help'\n");
    assert_string_equal(out, "");
    expect_exit(cli("run cli.ini --seeed 3"), 2);
    assert_string_equal(err_text, "chunksim run: unknown option '--seeed'; did you mean --seed? "
                                  "see 'chunksim run --help'\n");
    expect_exit(cli("matrx cli.ini"), 2);
    assert_string_equal(err_text,
                        "chunksim: unknown command 'matrx'; did you mean matrix? see 'chunksim "
                        "--help'\n");
    expect_exit(cli("matrix"), 2);
    assert_string_equal(err_text,
                        "chunksim matrix: no scenario file given; see 'chunksim matrix --help'\n");
    expect_refusal("help matrx", 2, "unknown command 'matrx'; did you mean matrix?");
    expect_exit(cli("matrix cli.ini --json=1"), 2);
    assert_string_equal(err_text, "chunksim matrix: option '--json' takes no value; see 'chunksim "
                                  "matrix --help'\n");
}

/* ---- output, selection -------------------------------------------------- */

static void test_failures_in_case_order_limited_and_the_summary_last(void **state)
{
    (void)state;
    expect_exit(cli("matrix cli.ini --db '' -j 2 --max-failures 2"), 1);
    assert_int_equal(chunksim_test_count_of(out, "FAIL "), 2);
    /* The first two failing cases in matrix order: disconnect last, model latency, seeds 1, 2. */
    const char *one = strstr(out, "FAIL ");
    assert_non_null(strstr(one, "seed 1: lost"));
    const char *two = strstr(one + 1, "FAIL ");
    assert_true(strstr(one, "seed 1: lost") < two);
    assert_non_null(strstr(two, "seed 2: lost"));
    chunksim_test_assert_contains(two, "--seed 2 --set link.disconnect_after_chunk=last --set "
                                       "flash.read_latency=model\n");
    chunksim_test_assert_contains(out, "\n... and 4 more failures (--max-failures 0 lists all)\n");
    assert_string_equal(strstr(out, "\noutcomes: "), "\noutcomes: ok 6 lost 6\n");
    expect_exit(cli("matrix cli.ini --db '' -j 2 --max-failures 0"), 1);
    assert_int_equal(chunksim_test_count_of(out, "FAIL "), 6);
    assert_int_equal(chunksim_test_count_of(out, "more failure"), 0);
    /* -q: one line per failure, its reason and its repro line on it. */
    expect_exit(cli("matrix cli.ini --db '' -q"), 1);
    assert_int_equal(chunksim_test_count_of(out, "FAIL "), 6);
    assert_int_equal(
        chunksim_test_count_of(out, "the link went down and never came back; repro: chunksim run "
                                    "cli.ini --seed "),
        6);
    assert_int_equal(chunksim_test_count_of(out, "\n  chunksim run"), 0);
}

/* Lines of out that contain part. */
static size_t lines_with(const char *part)
{
    size_t n = 0;
    for (const char *line = out; *line; line = strchr(line, '\n') + 1) {
        const char *end = strchr(line, '\n');
        const char *hit = strstr(line, part);
        n += hit != NULL && hit < end;
    }
    return n;
}

static void test_regex_where_and_list_select_cases(void **state)
{
    (void)state;
    expect_exit(cli("matrix cli.ini --list"), 0);
    assert_int_equal(chunksim_test_count_of(out, "\n"), 12);
    chunksim_test_assert_contains(out, "\tcli[disconnect_after_chunk=last,read_latency=fixed:50] "
                                       "seed 3\tchunksim run cli.ini --seed 3 ");
    expect_exit(cli("matrix cli.ini --list -R 'fixed:50] seed [12]$'"), 0);
    assert_int_equal(chunksim_test_count_of(out, "\n"), 4);
    assert_int_equal(lines_with("fixed:50] seed "), 4);
    expect_exit(cli("matrix cli.ini --list --where disconnect_after_chunk=last --where seed=2"), 0);
    assert_int_equal(chunksim_test_count_of(out, "\n"), 2);
    assert_int_equal(lines_with("disconnect_after_chunk=last,"), 2);
    assert_int_equal(lines_with("seed 2\t"), 2);
    expect_exit(cli("matrix cli.ini --list --where link.disconnect_after_chunk=never -R model"), 0);
    assert_int_equal(chunksim_test_count_of(out, "\n"), 3);
    /* The selection runs, and only it. */
    expect_exit(cli("matrix cli.ini --db '' -q --where disconnect_after_chunk=never"), 0);
    chunksim_test_assert_contains(out, "6 case(s), 6 run in");
    expect_refusal("matrix cli.ini --list --where att_mtu=23", 2,
                   "--where att_mtu=23: no [matrix] list of these files has that key");
    expect_refusal("matrix cli.ini --list -R '('", 2, "-R (: ");
    expect_exit(cli("matrix cli.ini --list -R 'nothing like it'"), 0);
    assert_string_equal(out, "");
}

static void test_stop_on_failure_stops_and_says_so(void **state)
{
    (void)state;
    chunksim_test_write_file("fails.ini", ONE_INI "disconnect_after_chunk = last\n"
                                                  "[matrix]\nseeds = 1..100000\n");
    expect_exit(cli("matrix fails.ini --db '' -j 1 -q -F 3 --max-failures 0"), 1);
    unsigned long failed, not_run;
    const char *stop = strstr(out, "stopped after ");
    assert_non_null(stop);
    assert_int_equal(
        sscanf(stop, "stopped after %lu failure(s) (-F 3): %lu case(s) not run", &failed, &not_run),
        2);
    assert_ge(failed, 3);
    assert_gt(not_run, 0);
    assert_eq(failed + not_run, 100000);
    assert_int_equal(chunksim_test_count_of(out, "FAIL "), failed);
    assert_true(stop < strstr(out, "100000 case(s)"));
}

static void test_rerun_failed_selects_the_failures_of_a_database(void **state)
{
    (void)state;
    expect_exit(cli("matrix cli.ini --db first.db -q"), 1);
    expect_exit(cli("matrix cli.ini --rerun-failed first.db --list"), 0);
    assert_int_equal(chunksim_test_count_of(out, "\n"), 6);
    assert_int_equal(lines_with("disconnect_after_chunk=last"), 6);
    expect_exit(cli("matrix cli.ini --rerun-failed first.db --db second.db -q"), 1);
    chunksim_test_assert_contains(out, "6 case(s), 6 run in");
    assert_int_equal(
        chunksim_test_sql_int(chunksim_test_path("second.db"), "SELECT count(*) FROM runs"), 6);
    /* With other seeds no case has run before: nothing to rerun. */
    expect_exit(cli("matrix cli.ini --seeds 7 --rerun-failed first.db --list"), 0);
    assert_string_equal(out, "");
    expect_refusal("matrix cli.ini --rerun-failed nosuch.db --list", 2,
                   "--rerun-failed nosuch.db: ");
}

static void test_json_is_one_document(void **state)
{
    (void)state;
    expect_exit(cli("matrix cli.ini --db '' -q -j 2 --json"), 1);
    json_error_t e;
    json_t *doc = json_loads(out, 0, &e);
    if (doc == NULL)
        fail_msg("not JSON: %s at line %d:\n%s", e.text, e.line, out);
    json_t *cases = json_object_get(doc, "cases");
    assert_int_equal(json_array_size(cases), 12);
    json_t *seventh = json_array_get(cases, 6);
    assert_string_equal(json_string_value(json_object_get(seventh, "outcome")), "lost");
    assert_false(json_is_true(json_object_get(seventh, "passed")));
    assert_string_equal(json_string_value(json_object_get(seventh, "name")),
                        "cli[disconnect_after_chunk=last,read_latency=model] seed 1");
    assert_non_null(strstr(json_string_value(json_object_get(seventh, "repro")),
                           "chunksim run cli.ini --seed 1 "));
    json_t *summary = json_object_get(doc, "summary");
    assert_int_equal(json_integer_value(json_object_get(summary, "failed")), 6);
    assert_int_equal(json_integer_value(json_object_get(summary, "passed")), 6);
    json_decref(doc);
    expect_exit(cli("matrix cli.ini --json --baseline b.tsv"), 2);
}

/* sweep and swarm: with --json stdout is one document, their text report on stderr. */
static void test_sweep_and_swarm_json_is_one_document(void **state)
{
    (void)state;
    const char *runs[] = {"sweep one.ini --power-loss log --db '' -q --json",
                          "swarm one.ini --seeds 1..5 --db '' -q --json"};
    for (size_t i = 0; i < 2; i++) {
        int rc = cli("%s", runs[i]);
        assert_true(rc == 0 || rc == 1);
        json_error_t e;
        json_t *doc = json_loads(out, 0, &e);
        if (doc == NULL)
            fail_msg("%s: not JSON: %s:\n%s", runs[i], e.text, out);
        size_t cases = json_array_size(json_object_get(doc, "cases"));
        json_t *summary = json_object_get(doc, "summary");
        assert_int_equal(json_integer_value(json_object_get(summary, "cases")), cases);
        json_t *verdict = json_object_get(doc, "verdict");
        json_t *bad =
            json_object_get(verdict, i == 0 ? "damaging_cut_sequences" : "damaging_cases");
        assert_true(json_is_array(bad));
        assert_int_equal(json_array_size(bad) > 0, rc); /* the exit status follows the verdict */
        if (i == 1)
            assert_int_equal(cases, 5);
        else
            chunksim_test_assert_contains(err_text, "reference run (no cut): ok");
        json_decref(doc);
    }
}

/* A 4096-value list on one line, and a matrix of about 10^12 cases found by name. */
static void test_a_case_name_finds_its_case_in_a_huge_matrix(void **state)
{
    (void)state;
    static char text[64 * 1024];
    size_t n = (size_t)snprintf(text, sizeof text,
                                "[coredump]\nsize_bytes = 8KiB\n[flash]\nsize_bytes = 64KiB\n"
                                "[matrix]\nseeds = 1..1000000\nlink.att_mtu = 23");
    for (int mtu = 24; mtu <= 247; mtu++)
        n += (size_t)snprintf(text + n, sizeof text - n, " | %d", mtu);
    n += (size_t)snprintf(text + n, sizeof text - n, "\nflash.read_latency = fixed:1");
    for (int us = 2; us <= 4096; us++)
        n += (size_t)snprintf(text + n, sizeof text - n, " | fixed:%d", us);
    snprintf(text + n, sizeof text - n, "\n");
    chunksim_test_write_file("huge.ini", text);
    expect_exit(cli("matrix huge.ini --case 'huge[att_mtu=100,read_latency=fixed:4000] "
                    "seed 999999' --db huge.db -q"),
                0);
    chunksim_test_assert_contains(out, "1 case(s), 1 run in");
    assert_int_equal(chunksim_test_sql_int(chunksim_test_path("huge.db"), "SELECT seed FROM runs"),
                     999999);
    assert_int_equal(
        chunksim_test_sql_int(chunksim_test_path("huge.db"),
                              "SELECT instr(config_text, '--set link.att_mtu=100') > 0 AND "
                              "instr(config_text, '--set flash.read_latency=fixed:4000') > 0 "
                              "FROM scenarios"),
        1);
    /* An id is a hash: it cannot be decoded, and searching 10^12 cases is refused. */
    expect_refusal("matrix huge.ini --case 0000000000 --db '' -q", 2,
                   "give the case's name (--list prints it)");
    expect_refusal("matrix huge.ini --case 'huge[att_mtu=100,read_latency=fixed:4097] "
                   "seed 1' --db '' -q",
                   2, "no such case in this matrix");
}

CHUNKSIM_TEST_MAIN_GROUP({
    cmocka_unit_test(test_the_xml_check_itself_rejects_broken_documents),
    cmocka_unit_test(test_junit_is_well_formed_with_one_testcase_per_case),
    cmocka_unit_test(test_junit_escapes_what_xml_reserves),
    cmocka_unit_test(test_junit_with_a_baseline_fails_exactly_the_changes),
    cmocka_unit_test(test_shards_merged_hold_exactly_the_whole_matrix),
    cmocka_unit_test(test_a_case_id_and_its_repro_line_run_the_same_case),
    cmocka_unit_test_teardown(test_ctrl_c_keeps_finished_runs_and_leaves_the_database_consistent,
                              kill_bg),
    cmocka_unit_test_teardown(test_a_worker_that_dies_is_replaced_and_its_case_is_an_error,
                              kill_bg),
    cmocka_unit_test_teardown(test_a_killed_matrix_leaves_runs_that_the_next_one_recovers, kill_bg),
    cmocka_unit_test(test_a_database_in_a_missing_directory_is_refused_before_any_run),
    cmocka_unit_test(test_trace_failures_reruns_failing_cases_with_their_trace),
    cmocka_unit_test(test_bad_usage_exits_2_and_help_exits_0),
    cmocka_unit_test(test_an_empty_shard_still_writes_a_database),
    cmocka_unit_test(test_help_cmd_and_cmd_help_print_the_same),
    cmocka_unit_test(test_a_typo_prints_one_line_and_a_hint),
    cmocka_unit_test(test_failures_in_case_order_limited_and_the_summary_last),
    cmocka_unit_test(test_regex_where_and_list_select_cases),
    cmocka_unit_test_teardown(test_stop_on_failure_stops_and_says_so, kill_bg),
    cmocka_unit_test(test_rerun_failed_selects_the_failures_of_a_database),
    cmocka_unit_test(test_json_is_one_document),
    cmocka_unit_test(test_sweep_and_swarm_json_is_one_document),
    cmocka_unit_test(test_a_case_name_finds_its_case_in_a_huge_matrix),
})
