/*
 * chunksim run, end to end through the built binary: a scenario that cannot
 * run is refused when it is loaded (exit 2, file, line, key, value and what
 * is accepted), overrides are named in messages and applied before the rules
 * between keys, and a refused override frees what was loaded (the ASan build
 * runs this suite: LeakSanitizer turns a leak into a wrong exit status).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static char tmpdir[] = "/tmp/test_run_cli.XXXXXX";
static char out[1 << 16], err_text[1 << 16];

/* Small and quick: 4 KiB over BLE with MTU 247. */
static const char small_ini[] = "[coredump]\nsize_bytes = 4KiB\n[flash]\nsize_bytes = 1MiB\n"
                                "[link]\natt_mtu = 247\n";

static const char *path_of(const char *name)
{
    static char paths[8][300];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 300, "%s/%s", tmpdir, name);
    return p;
}

static void write_file(const char *name, const char *text)
{
    FILE *f = fopen(path_of(name), "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void read_file(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/*
 * Runs "chunksim run ARGS" in the scratch directory; stdout lands in out,
 * stderr in err_text. The timeout turns a load that blocks into a failure.
 */
__attribute__((format(printf, 1, 2))) static int run_cli(const char *fmt, ...)
{
    char args[4096], cmd[5000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && timeout 60 '%s' run %s > out.txt 2> err.txt", tmpdir,
             CHUNKSIM_BIN, args);
    int status = system(cmd);
    read_file(path_of("out.txt"), out, sizeof out);
    read_file(path_of("err.txt"), err_text, sizeof err_text);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void expect_exit(int got, int want)
{
    if (got != want)
        fail_msg("exit %d, wanted %d\nstdout:\n%s\nstderr:\n%s", got, want, out, err_text);
}

static void assert_contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL)
        fail_msg("\"%s\" not found in:\n%s", part, text);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The message names the override, not a line of the file; nothing leaks (ASan). */
static void test_refused_override_is_named_and_frees_the_scenario(void **state)
{
    (void)state;
    write_file("small.ini", small_ini);
    expect_exit(run_cli("small.ini --db '' --set link.att_mtu=7"), 2);
    assert_contains(
        err_text, "chunksim run: --set link.att_mtu=7: must be a whole number between 23 and 517");
    expect_exit(run_cli("small.ini --db '' --set link.nosuch=1"), 2);
    assert_contains(err_text, "--set link.nosuch=1: unknown key nosuch in [link]");
    /* A rule between keys that only the override breaks blames the key and names the override. */
    expect_exit(run_cli("small.ini --db '' --set link.chunk_bytes=200 --set link.att_mtu=64"), 2);
    assert_contains(err_text, "--set link.chunk_bytes=200: with kind = ble a chunk is one "
                              "notification: at most [link] att_mtu - 3 = 61 "
                              "(--set link.att_mtu=64)");
}

/* scenarios/README.md: the rules between keys are checked after the file and its overrides. */
static void test_override_may_repair_what_the_file_alone_breaks(void **state)
{
    (void)state;
    write_file("big_chunk.ini", "[coredump]\nsize_bytes = 4KiB\n[link]\nchunk_bytes = 200\n");
    expect_exit(run_cli("big_chunk.ini --db '' --set link.att_mtu=247"), 0);
    expect_exit(run_cli("big_chunk.ini --db ''"), 2);
    assert_contains(err_text, "big_chunk.ini:4: [link] chunk_bytes = 200: with kind = ble a chunk "
                              "is one notification: at most [link] att_mtu - 3 = 20 (default)");
}

/* What the models cannot run never starts: exit 2 at load, not a run ended as "error". */
static void test_scenario_the_models_cannot_run_is_refused_at_load(void **state)
{
    (void)state;
    write_file("tiny.ini", "[run]\nexpect = ok\n[coredump]\nsize_bytes = 30\n");
    expect_exit(run_cli("tiny.ini --db ''"), 2);
    assert_contains(err_text, "tiny.ini:4: [coredump] size_bytes = 30: with content = random the "
                              "image is at least 40 bytes");
    assert_true(out[0] == '\0'); /* no table, no run */

    write_file("flips.ini", "[faults]\nfault = bitflip op=3 flips=20\n");
    expect_exit(run_cli("flips.ini --db ''"), 2);
    assert_contains(err_text, "flips.ini:2: [faults] fault = bitflip op=3 flips=20: flips=20: must "
                              "be a bit count from 1 to 8");

    write_file("rle_sync.ini", "[coredump]\nrle = true\n");
    expect_exit(run_cli("rle_sync.ini --db '' --set reader.kind=sync"), 2);
    assert_contains(err_text, "rle_sync.ini:2: [coredump] rle = true: this core does not encode "
                              "run-length encoding: with [reader] kind = sync");

    /* A FIFO blocked the load forever, /dev/zero filled memory. */
    assert_int_equal(mkfifo(path_of("dump.fifo"), 0600), 0);
    write_file("fifo.ini", "[coredump]\ncontent = file\nfile = dump.fifo\n");
    expect_exit(run_cli("fifo.ini --db ''"), 2);
    assert_contains(err_text, "fifo.ini:3: [coredump] file = dump.fifo: dump.fifo is a FIFO, not "
                              "a regular file");
    write_file("zero.ini", "[coredump]\ncontent = file\nfile = /dev/zero\n");
    expect_exit(run_cli("zero.ini --db ''"), 2);
    assert_contains(err_text, "/dev/zero is a character device, not a regular file");
}

/* run --json printed [] and exited 0 for a name that is not UTF-8. */
static void test_name_that_is_not_utf8_is_refused_before_any_output(void **state)
{
    (void)state;
    write_file("latin1.ini", "[run]\nname = caf\xe9\n[coredump]\nsize_bytes = 4KiB\n");
    expect_exit(run_cli("latin1.ini --db '' --json -q"), 2);
    assert_contains(err_text, "latin1.ini:2: [run] name = caf\xe9: byte 4 (0xE9) is not UTF-8");
    assert_true(out[0] == '\0');
    expect_exit(run_cli("small.ini --db '' --json -q --set 'run.description=ab\xff'"), 2);
    assert_contains(err_text, "--set run.description=ab\xff: byte 3 (0xFF) is not UTF-8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_override_is_named_and_frees_the_scenario),
        cmocka_unit_test(test_override_may_repair_what_the_file_alone_breaks),
        cmocka_unit_test(test_scenario_the_models_cannot_run_is_refused_at_load),
        cmocka_unit_test(test_name_that_is_not_utf8_is_refused_before_any_output),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
