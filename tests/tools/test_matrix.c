/* Matrix expansion (sim/campaign/matrix.c): order, counts, seeds, ids, shards, errors. */
#include "chunksim/matrix.h"

#include <errno.h>
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

/* The id of scenarios/ci/ble.ini + link.att_mtu=247 + seed 7, fixed once. */
#define GOLDEN_ID "ry8a549456"

static char tmpdir[] = "/tmp/test_matrix.XXXXXX";

/* Writes text to tmpdir/name and returns the path (static buffer per call site is not enough). */
static const char *write_file(const char *name, const char *text)
{
    static char paths[16][300];
    static int next;
    char *path = paths[next++ % 16];
    snprintf(path, 300, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

#define TINY "[coredump]\nsize_bytes = 8KiB\n\n[link]\natt_mtu = 247\n"

static const char grid_text[] = TINY "\n[matrix]\n"
                                     "seeds = 1..3\n"
                                     "link.att_mtu = 23 | 185 | 247   ; three MTUs\n"
                                     "reader.kind = single | double\n";

/* Adds the file at path to m; a refusal fails the test with its message. */
static void matrix_add_ok(chunksim_matrix_t *m, const char *path)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    if (chunksim_matrix_add_file(m, path, err, sizeof err) != 0)
        fail_msg("%s", err);
}

static void matrix_of(chunksim_matrix_t *m, const chunksim_matrix_config_t *cfg, const char *path)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    if (chunksim_matrix_init(m, cfg, err, sizeof err) != 0)
        fail_msg("%s", err);
    matrix_add_ok(m, path);
}

/* The error text of adding path to an empty matrix (which must fail). */
static const char *matrix_error_of(const char *path)
{
    static char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    chunksim_matrix_t m;
    assert_int_equal(chunksim_matrix_init(&m, NULL, err, sizeof err), 0);
    int rc = chunksim_matrix_add_file(&m, path, err, sizeof err);
    assert_lt(rc, 0);
    assert_int_equal(chunksim_matrix_count(&m), 0);
    chunksim_matrix_free(&m);
    return err;
}

/* ---- expansion ---------------------------------------------------------- */

static void test_expansion_nests_axes_in_file_order_with_seeds_fastest(void **state)
{
    chunksim_matrix_t *m = *state;
    assert_int_equal(chunksim_matrix_count(m), 3 * 2 * 3);
    static const char *const mtus[] = {"23", "185", "247"};
    static const char *const kinds[] = {"single", "double"};
    uint64_t i = 0;
    for (int a = 0; a < 3; a++) {
        for (int k = 0; k < 2; k++) {
            for (uint64_t seed = 1; seed <= 3; seed++, i++) {
                chunksim_matrix_case_t c;
                char want_mtu[64], want_kind[64];
                assert_int_equal(chunksim_matrix_case(m, i, &c), 0);
                snprintf(want_mtu, sizeof want_mtu, "link.att_mtu=%s", mtus[a]);
                snprintf(want_kind, sizeof want_kind, "reader.kind=%s", kinds[k]);
                assert_int_equal(c.index, i);
                assert_int_equal(c.set_count, 2);
                assert_string_equal(c.sets[0], want_mtu);
                assert_string_equal(c.sets[1], want_kind);
                assert_true(c.has_seed);
                assert_int_equal(c.seed, seed);
            }
        }
    }
    chunksim_matrix_case_t c;
    assert_int_equal(chunksim_matrix_case(m, i, &c), -ENOENT);
}

static void test_seeds_option_replaces_the_files_seeds(void **state)
{
    (void)state;
    chunksim_matrix_t m;
    matrix_of(&m, &(chunksim_matrix_config_t){.seeds = "5..6, 9"},
              write_file("grid.ini", grid_text));
    assert_int_equal(chunksim_matrix_count(&m), 3 * 6);
    static const uint64_t seeds[] = {5, 6, 9};
    for (uint64_t i = 0; i < chunksim_matrix_count(&m); i++) {
        chunksim_matrix_case_t c;
        assert_int_equal(chunksim_matrix_case(&m, i, &c), 0);
        assert_int_equal(c.seed, seeds[i % 3]);
    }
    chunksim_matrix_free(&m);
}

static void test_files_follow_each_other_and_a_plain_file_is_one_case(void **state)
{
    (void)state;
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    chunksim_matrix_t m;
    matrix_of(&m, NULL, write_file("plain.ini", "[run]\nseed = 77\n" TINY));
    matrix_add_ok(&m, write_file("grid.ini", grid_text));
    assert_int_equal(chunksim_matrix_count(&m), 1 + 18);
    chunksim_matrix_case_t c;
    assert_int_equal(chunksim_matrix_case(&m, 0, &c), 0);
    assert_int_equal(c.file, 0);
    assert_false(c.has_seed);
    assert_int_equal(c.set_count, 0);
    chunksim_scenario_t sc;
    assert_int_equal(chunksim_matrix_case_load(&m, &c, &sc, err, sizeof err), 0);
    assert_int_equal(sc.run.seed, 77);
    chunksim_scenario_free(&sc);
    assert_int_equal(chunksim_matrix_case(&m, 1, &c), 0);
    assert_int_equal(c.file, 1);
    assert_int_equal(m.files[1].first_case, 1);
    chunksim_matrix_free(&m);
}

static void test_global_overrides_come_after_the_seed_and_before_the_lists(void **state)
{
    (void)state;
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    const char *sets[] = {"coredump.size_bytes=4KiB", "link.att_mtu=100"};
    chunksim_matrix_t m;
    matrix_of(&m, &(chunksim_matrix_config_t){.sets = sets, .set_count = 2},
              write_file("grid.ini", grid_text));
    chunksim_matrix_case_t c;
    assert_int_equal(chunksim_matrix_case(&m, 10, &c), 0); /* 185, double, seed 2 */
    assert_int_equal(c.set_count, 4);
    assert_string_equal(c.sets[0], "coredump.size_bytes=4KiB");
    assert_string_equal(c.sets[2], "link.att_mtu=185");
    chunksim_scenario_t sc;
    assert_int_equal(chunksim_matrix_case_load(&m, &c, &sc, err, sizeof err), 0);
    assert_int_equal(sc.coredump.size_bytes, 4096);
    assert_int_equal(sc.link.att_mtu, 185); /* the list wins over the global override */
    assert_int_equal(sc.reader.kind, CHUNKSIM_READER_DOUBLE);
    assert_int_equal(sc.run.seed, 2);
    const char *text = chunksim_scenario_text(&sc);
    const char *size = strstr(text, "; --set coredump.size_bytes=4KiB\n");
    const char *kind = strstr(text, "; --set reader.kind=double\n");
    assert_non_null(size);
    assert_true(size < kind);
    /* The seed is the run's, not the text's: every seed of a cell shares one text. */
    assert_null(strstr(text, "run.seed"));
    chunksim_matrix_case_t other;
    assert_int_equal(chunksim_matrix_case(&m, 9, &other), 0); /* 185, double, seed 1 */
    chunksim_scenario_t sc1;
    assert_int_equal(chunksim_matrix_case_load(&m, &other, &sc1, err, sizeof err), 0);
    assert_int_equal(sc1.run.seed, 1);
    assert_string_equal(chunksim_scenario_text(&sc1), text);
    chunksim_scenario_free(&sc1);
    chunksim_scenario_free(&sc);
    chunksim_matrix_free(&m);
}

/* The repro line, run by `chunksim run`, builds exactly the config the matrix ran. */
static void test_case_config_equals_what_its_repro_line_builds(void **state)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    chunksim_matrix_t *m = *state;
    chunksim_matrix_case_t c;
    assert_int_equal(chunksim_matrix_case(m, 10, &c), 0);
    chunksim_scenario_t a, b;
    assert_int_equal(chunksim_matrix_case_load(m, &c, &a, err, sizeof err), 0);
    /* What cmd_run does with "--seed N --set ..." */
    assert_int_equal(chunksim_scenario_load(&b, c.path, err, sizeof err), 0);
    char seed[32];
    snprintf(seed, sizeof seed, "run.seed=%llu", (unsigned long long)c.seed);
    assert_int_equal(chunksim_scenario_set_arg(&b, seed, err, sizeof err), 0);
    for (size_t i = 0; i < c.set_count; i++)
        assert_int_equal(chunksim_scenario_set_arg(&b, c.sets[i], err, sizeof err), 0);
    assert_int_equal(chunksim_scenario_validate(&b, err, sizeof err), 0);
    assert_string_equal(chunksim_scenario_text(&a), chunksim_scenario_text(&b));
    char repro[512];
    size_t n = chunksim_matrix_case_repro(&c, repro, sizeof repro);
    char want[512];
    snprintf(want, sizeof want,
             "chunksim run %s --seed 2 --set link.att_mtu=185 --set "
             "reader.kind=double",
             c.path);
    assert_string_equal(repro, want);
    assert_int_equal(n, strlen(want));
    chunksim_scenario_free(&a);
    chunksim_scenario_free(&b);
}

static void test_repro_line_quotes_what_the_shell_would_split(void **state)
{
    (void)state;
    chunksim_matrix_case_t c = {
        .path = "dir with space/it's.ini",
        .sets = {"faults.fault=read_error rate=0.05", "link.att_mtu=247"},
        .set_count = 2,
        .has_seed = true,
        .seed = 18446744073709551615ull,
    };
    char repro[512];
    chunksim_matrix_case_repro(&c, repro, sizeof repro);
    assert_string_equal(repro, "chunksim run 'dir with space/it'\\''s.ini' --seed "
                               "18446744073709551615 --set 'faults.fault=read_error rate=0.05' "
                               "--set link.att_mtu=247");
    char small[10];
    size_t need = chunksim_matrix_case_repro(&c, small, sizeof small);
    assert_int_equal(need, strlen(repro));
    assert_string_equal(small, "chunksim ");
}

/* A case's name and cell: its axes' values, not the shared overrides; the file's seed without one.
 */
static void test_case_name_and_cell_say_which_values_of_the_axes(void **state)
{
    (void)state;
    const char *sets[] = {"coredump.size_bytes=4KiB"};
    chunksim_matrix_t m;
    matrix_of(&m, &(chunksim_matrix_config_t){.sets = sets, .set_count = 1},
              write_file("grid.ini", grid_text));
    chunksim_matrix_case_t c;
    assert_int_equal(chunksim_matrix_case(&m, 10, &c), 0); /* 185, double, seed 2 */
    char text[128];
    size_t n = chunksim_matrix_case_cell(&m, &c, text, sizeof text);
    assert_string_equal(text, "att_mtu=185,kind=double");
    assert_int_equal(n, strlen(text));
    n = chunksim_matrix_case_name(&m, &c, text, sizeof text);
    assert_string_equal(text, "grid[att_mtu=185,kind=double] seed 2");
    assert_int_equal(n, strlen(text));
    char small[8];
    assert_int_equal(chunksim_matrix_case_name(&m, &c, small, sizeof small), n);
    assert_string_equal(small, "grid[at");
    chunksim_matrix_free(&m);

    /* No axes, no seeds: no brackets, and the seed the file's [run] gives. */
    matrix_of(&m, NULL, write_file("plain.ini", "[run]\nseed = 42\n" TINY));
    assert_int_equal(chunksim_matrix_case(&m, 0, &c), 0);
    assert_int_equal(chunksim_matrix_case_cell(&m, &c, text, sizeof text), 0);
    assert_string_equal(text, "");
    chunksim_matrix_case_name(&m, &c, text, sizeof text);
    assert_string_equal(text, "plain seed 42");
    chunksim_matrix_free(&m);
}

/* ---- ids ---------------------------------------------------------------- */

static void test_case_ids_are_short_unique_stable_and_resolve(void **state)
{
    (void)state;
    chunksim_matrix_t m, again;
    const char *path = write_file("grid.ini", grid_text);
    matrix_of(&m, &(chunksim_matrix_config_t){.seeds = "1..50"}, path);
    matrix_of(&again, &(chunksim_matrix_config_t){.seeds = "1..50"}, path);
    uint64_t n = chunksim_matrix_count(&m);
    assert_int_equal(n, 300);
    char(*ids)[CHUNKSIM_MATRIX_ID_BYTES] = calloc(n, sizeof *ids);
    for (uint64_t i = 0; i < n; i++) {
        chunksim_matrix_case_t c, d, found;
        assert_int_equal(chunksim_matrix_case(&m, i, &c), 0);
        assert_int_equal(chunksim_matrix_case(&again, i, &d), 0);
        assert_int_equal(strlen(c.id), CHUNKSIM_MATRIX_ID_CHARS);
        assert_int_equal(strspn(c.id, "0123456789abcdefghjkmnpqrstvwxyz"), 10);
        assert_string_equal(c.id, d.id);
        assert_int_equal(chunksim_matrix_find(&again, c.id, &found), 0);
        assert_int_equal(found.index, i);
        for (uint64_t j = 0; j < i; j++)
            assert_string_not_equal(ids[j], c.id);
        memcpy(ids[i], c.id, sizeof ids[i]);
    }
    free(ids);
    chunksim_matrix_free(&m);
    chunksim_matrix_free(&again);
}

static void test_case_id_depends_on_file_name_overrides_and_seed_only(void **state)
{
    (void)state;
    chunksim_matrix_case_t c = {.path = "scenarios/ci/ble.ini",
                                .sets = {"link.att_mtu=247"},
                                .set_count = 1,
                                .has_seed = true,
                                .seed = 7};
    chunksim_matrix_case_set_id(&c);
    /* Fixed once: a change here changes every id users have written down. */
    char golden[CHUNKSIM_MATRIX_ID_BYTES];
    memcpy(golden, c.id, sizeof golden);
    assert_string_equal(golden, GOLDEN_ID);

    chunksim_matrix_case_t other_dir = c;
    other_dir.path = "/elsewhere/ble.ini";
    chunksim_matrix_case_set_id(&other_dir);
    assert_string_equal(other_dir.id, golden);

    chunksim_matrix_case_t seed = c;
    seed.seed = 8;
    chunksim_matrix_case_set_id(&seed);
    assert_string_not_equal(seed.id, golden);

    chunksim_matrix_case_t no_seed = c;
    no_seed.has_seed = false;
    chunksim_matrix_case_set_id(&no_seed);
    assert_string_not_equal(no_seed.id, golden);

    chunksim_matrix_case_t set = c;
    set.sets[0] = "link.att_mtu=185";
    chunksim_matrix_case_set_id(&set);
    assert_string_not_equal(set.id, golden);
}

static void test_find_accepts_upper_case_and_refuses_unknown_ids(void **state)
{
    chunksim_matrix_t *m = *state;
    chunksim_matrix_case_t c, found;
    assert_int_equal(chunksim_matrix_case(m, 5, &c), 0);
    char upper[CHUNKSIM_MATRIX_ID_BYTES];
    for (size_t i = 0; i < sizeof upper; i++)
        upper[i] = (char)(c.id[i] >= 'a' && c.id[i] <= 'z' ? c.id[i] - 32 : c.id[i]);
    assert_int_equal(chunksim_matrix_find(m, upper, &found), 0);
    assert_int_equal(found.index, 5);
    assert_int_equal(chunksim_matrix_find(m, "0000000000", &found), -ENOENT);
    assert_int_equal(chunksim_matrix_find(m, "short", &found), -ENOENT);
}

/* ---- shards ------------------------------------------------------------- */

static void test_shards_cover_every_case_exactly_once(void **state)
{
    chunksim_matrix_t *m = *state;
    uint64_t n = chunksim_matrix_count(m);
    for (uint32_t shards = 1; shards <= 5; shards++) {
        size_t per_shard[5] = {0};
        for (uint64_t i = 0; i < n; i++) {
            int owners = 0;
            for (uint32_t k = 1; k <= shards; k++) {
                if (chunksim_matrix_in_shard(i, k, shards)) {
                    owners++;
                    per_shard[k - 1]++;
                }
            }
            assert_int_equal(owners, 1);
        }
        /* Balanced: sizes differ by at most one case. */
        for (uint32_t k = 1; k < shards; k++)
            assert_le(per_shard[0] - per_shard[k], 1);
    }
    /* More shards than cases: the extra shards are empty, still no case twice. */
    for (uint64_t i = 0; i < n; i++)
        assert_true(chunksim_matrix_in_shard(i, (uint32_t)(i + 1), 40));
}

static void test_shard_syntax_is_k_of_n_from_one(void **state)
{
    (void)state;
    char err[256];
    uint32_t k, n;
    assert_int_equal(chunksim_matrix_shard_parse("2/5", &k, &n, err, sizeof err), 0);
    assert_int_equal(k, 2);
    assert_int_equal(n, 5);
    assert_int_equal(chunksim_matrix_shard_parse("1/1", &k, &n, err, sizeof err), 0);
    static const char *const bad[] = {"0/3", "4/3", "1/0",  "3",    "a/b",
                                      "1/",  "/2",  "-1/2", "1/2x", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(chunksim_matrix_shard_parse(bad[i], &k, &n, err, sizeof err), -EINVAL);
        chunksim_test_assert_contains(err, "--shard");
    }
}

/* ---- seeds -------------------------------------------------------------- */

static void test_seed_lists_take_ranges_and_single_seeds(void **state)
{
    (void)state;
    char err[256];
    chunksim_seed_range_t *r;
    size_t n;
    uint64_t count;
    assert_int_equal(
        chunksim_matrix_seeds_parse("10..12 | 3, 0x20", &r, &n, &count, err, sizeof err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(count, 5);
    assert_int_equal(r[0].first, 3); /* sorted */
    assert_int_equal(r[1].first, 10);
    assert_int_equal(r[1].last, 12);
    assert_int_equal(r[2].first, 32);
    free(r);
    assert_int_equal(
        chunksim_matrix_seeds_parse("18446744073709551615", &r, &n, &count, err, sizeof err), 0);
    assert_int_equal(r[0].first, UINT64_MAX);
    free(r);
}

static void test_seed_list_errors_say_what_is_wrong(void **state)
{
    (void)state;
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"5..3", "is empty"},
        {"1..5,5", "given twice"},
        {"x", "is not a seed"},
        {"1..y", "not a range"},
        {"", "no seed given"},
        {"-1", "is not a seed"},
        {"18446744073709551616", "is not a seed"},
        {"0..18446744073709551615", "more than 2^48 seeds"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        chunksim_seed_range_t *r;
        size_t n;
        uint64_t count;
        assert_lt(chunksim_matrix_seeds_parse(bad[i].text, &r, &n, &count, err, sizeof err), 0);
        chunksim_test_assert_contains(err, bad[i].why);
        assert_null(r);
    }
}

/* ---- the [matrix] section ---------------------------------------------- */

static void test_a_single_run_ignores_the_matrix_section(void **state)
{
    (void)state;
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    chunksim_scenario_t sc;
    int rc = chunksim_scenario_load(&sc, write_file("grid.ini", grid_text), err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(sc.link.att_mtu, 247);
    assert_int_equal(sc.reader.kind, CHUNKSIM_READER_SINGLE);
    chunksim_scenario_free(&sc);
}

static void test_matrix_errors_name_the_file_line_and_value(void **state)
{
    (void)state;
    static const struct {
        const char *matrix, *want1, *want2;
    } bad[] = {
        {"link.att_mtu = 23 | 7\n", "bad.ini:8: [matrix] link.att_mtu = 23 | 7: value 2 of 2",
         "between 23 and 517"},
        {"link.bogus = 1 | 2\n", "bad.ini:8: [matrix] link.bogus", "unknown key bogus"},
        {"nosuch.key = 1\n", "bad.ini:8: [matrix] nosuch.key", "unknown section"},
        {"run.seed = 1 | 2\n", "bad.ini:8:", "use seeds = A..B"},
        {"reader.kind = single\nreader.kind = double\n", "bad.ini:9:", "already listed on line 8"},
        {"reader.kind = single | single\n", "bad.ini:8:", "\"single\" is listed twice"},
        {"reader.kind = single | | double\n", "bad.ini:8:", "value 2 of 3 is empty"},
        {"seeds = 1..3\nseeds = 4\n", "bad.ini:9:", "seeds given twice"},
        {"seeds = 3..1\n", "bad.ini:8: [matrix] seeds = 3..1", "is empty"},
        {"mtu = 23\n", "bad.ini:8: [matrix] mtu", "expected section.key"},
        /* Plain syntax is the scenario parser's to check, with the same file:line. */
        {"just words\n", "bad.ini:8: \"just words\"", "expected key = value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s\n[matrix]\n%s", TINY, bad[i].matrix);
        const char *err = matrix_error_of(write_file("bad.ini", text));
        chunksim_test_assert_contains(err, bad[i].want1);
        chunksim_test_assert_contains(err, bad[i].want2);
    }
}

static void test_a_bad_base_file_is_reported_by_the_scenario_parser(void **state)
{
    (void)state;
    const char *err = matrix_error_of(write_file("broken.ini", "[link]\natt_mtu = 7\n"
                                                               "[matrix]\nseeds = 1\n"));
    chunksim_test_assert_contains(err, "broken.ini:2: [link] att_mtu = 7");
    char missing[400];
    snprintf(missing, sizeof missing, "%s/missing.ini", tmpdir);
    chunksim_test_assert_contains(matrix_error_of(missing), "cannot read");
}

static void test_two_files_with_one_name_are_refused(void **state)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES], dir[400];
    snprintf(dir, sizeof dir, "%s/sub", tmpdir);
    (void)mkdir(dir, 0700);
    const char *path = write_file("sub/grid.ini", TINY);
    chunksim_matrix_t *m = *state;
    assert_int_equal(chunksim_matrix_add_file(m, path, err, sizeof err), -EINVAL);
    chunksim_test_assert_contains(err, "a file named grid.ini is already in the matrix");
    assert_int_equal(chunksim_matrix_count(m), 18);
}

static void test_generated_axis_multiplies_the_files_cases(void **state)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    chunksim_matrix_t *m = *state;
    matrix_add_ok(m, write_file("one.ini", TINY));
    const char *cuts[] = {"power_loss on=erase op=0", "power_loss on=read op=1",
                          "power_loss on=read op=2"};
    assert_int_equal(chunksim_matrix_add_axis(m, 0, "faults.fault", cuts, 3, err, sizeof err), 0);
    assert_int_equal(chunksim_matrix_count(m), 18 * 3 + 1);
    assert_int_equal(m->files[1].first_case, 54);
    chunksim_matrix_case_t c;
    assert_int_equal(chunksim_matrix_case(m, 4, &c), 0); /* 23, single, cut 1, seed 2 */
    assert_int_equal(c.set_count, 3);
    assert_string_equal(c.sets[2], "faults.fault=power_loss on=read op=1");
    assert_int_equal(c.seed, 2);
    const char *bad[] = {"power_loss"}; /* needs op= or at_us= */
    assert_lt(chunksim_matrix_add_axis(m, 1, "faults.fault", bad, 1, err, sizeof err), 0);
    chunksim_test_assert_contains(err, "one.ini: faults.fault");
    assert_int_equal(chunksim_matrix_count(m), 55);
}

static void test_global_overrides_must_be_assignments(void **state)
{
    (void)state;
    char err[256];
    chunksim_matrix_t m;
    const char *sets[] = {"att_mtu=247"};
    assert_int_equal(chunksim_matrix_init(&m,
                                          &(chunksim_matrix_config_t){.sets = sets, .set_count = 1},
                                          err, sizeof err),
                     -EINVAL);
    chunksim_test_assert_contains(err, "--set att_mtu=247: expected section.key=value");
    assert_int_equal(
        chunksim_matrix_init(&m, &(chunksim_matrix_config_t){.seeds = "9..1"}, err, sizeof err),
        -EINVAL);
    chunksim_test_assert_contains(err, "is empty");
}

static void test_limits_on_lists_overrides_and_cases(void **state)
{
    (void)state;
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    const char *path = write_file("grid.ini", grid_text);
    chunksim_matrix_t m;

    /* 2^47 seeds x 6 combinations: more cases than a matrix holds. */
    assert_int_equal(
        chunksim_matrix_init(&m, &(chunksim_matrix_config_t){.seeds = "1..140737488355328"}, err,
                             sizeof err),
        0);
    assert_int_equal(chunksim_matrix_add_file(&m, path, err, sizeof err), -E2BIG);
    chunksim_test_assert_contains(err, "more than 2^48 cases");
    assert_int_equal(chunksim_matrix_count(&m), 0);
    chunksim_matrix_free(&m);

    /* 62 overrides + 2 lists = 64 per case; one more list is refused. */
    const char *sets[CHUNKSIM_MATRIX_SETS_MAX];
    for (int i = 0; i < CHUNKSIM_MATRIX_SETS_MAX; i++)
        sets[i] = "link.att_mtu=247";
    assert_int_equal(
        chunksim_matrix_init(
            &m, &(chunksim_matrix_config_t){.sets = sets, .set_count = CHUNKSIM_MATRIX_SETS_MAX},
            err, sizeof err),
        -E2BIG);
    assert_int_equal(
        chunksim_matrix_init(&m, &(chunksim_matrix_config_t){.sets = sets, .set_count = 62}, err,
                             sizeof err),
        0);
    assert_int_equal(chunksim_matrix_add_file(&m, path, err, sizeof err), 0);
    const char *one[] = {"1"};
    assert_int_equal(chunksim_matrix_add_axis(&m, 0, "reader.max_retries", one, 1, err, sizeof err),
                     -E2BIG);
    chunksim_test_assert_contains(err, "at most 64 overrides per case");
    assert_int_equal(chunksim_matrix_count(&m), 18);

    /* Lists of 0 or more than 4096 values, and files that are not there. */
    assert_int_equal(chunksim_matrix_add_axis(&m, 0, "reader.max_retries", one, 0, err, sizeof err),
                     -EINVAL);
    chunksim_test_assert_contains(err, "a list holds 1 to 4096 values");
    assert_int_equal(
        chunksim_matrix_add_axis(&m, 0, "reader.max_retries", one, 4097, err, sizeof err), -EINVAL);
    assert_int_equal(chunksim_matrix_add_axis(&m, 3, "reader.max_retries", one, 1, err, sizeof err),
                     -EINVAL);
    chunksim_test_assert_contains(err, "no file 3");
    chunksim_matrix_case_t c = {.file = 3, .id = "x"};
    chunksim_scenario_t sc;
    assert_int_equal(chunksim_matrix_case_load(&m, &c, &sc, err, sizeof err), -EINVAL);
    chunksim_test_assert_contains(err, "no such file in the matrix");
    chunksim_matrix_free(&m);
}

/* Per test: the matrix of grid.ini alone, in *state; freed after the test. */
static int grid_setup(void **state)
{
    static chunksim_matrix_t m;
    matrix_of(&m, NULL, write_file("grid.ini", grid_text));
    *state = &m;
    return 0;
}

static int grid_teardown(void **state)
{
    chunksim_matrix_free(*state);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- names and long lines ----------------------------------------------- */

static void test_every_case_name_decodes_back_to_its_case(void **state)
{
    (void)state;
    chunksim_matrix_t m;
    matrix_of(&m, NULL, write_file("grid.ini", grid_text));
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    assert_int_equal(chunksim_matrix_add_file(&m, write_file("plain.ini", TINY), err, sizeof err),
                     0);
    uint64_t n = chunksim_matrix_count(&m);
    for (uint64_t i = 0; i < n; i++) {
        chunksim_matrix_case_t c, found;
        char name[512];
        assert_int_equal(chunksim_matrix_case(&m, i, &c), 0);
        assert_lt(chunksim_matrix_case_name(&m, &c, name, sizeof name), sizeof name);
        assert_int_equal(chunksim_matrix_find(&m, name, &found), 0);
        if (found.index != i)
            fail_msg("%s: case %llu, found %llu", name, (unsigned long long)i,
                     (unsigned long long)found.index);
        assert_string_equal(found.id, c.id);
    }
    chunksim_matrix_case_t c;
    assert_int_equal(chunksim_matrix_case(&m, 4, &c), 0);
    char name[512];
    chunksim_matrix_case_name(&m, &c, name, sizeof name);
    assert_string_equal(name, "grid[att_mtu=23,kind=double] seed 2");
    assert_int_equal(chunksim_matrix_case(&m, n - 1, &c), 0);
    chunksim_matrix_case_name(&m, &c, name, sizeof name);
    assert_string_equal(name, "plain seed 1");
    static const char *const wrong[] = {
        "grid[att_mtu=24,kind=double] seed 2",  /* no such value */
        "grid[att_mtu=23,kind=double] seed 4",  /* no such seed */
        "grid[att_mtu=23,kind=double]",         /* the seed missing */
        "grid[kind=double,att_mtu=23] seed 2",  /* axes out of order */
        "grid[att_mtu=23,kind=double] seed 2x", /* trailing text */
        "plain seed 2",                         /* a file without seed lists: its own seed only */
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        if (chunksim_matrix_find(&m, wrong[i], &c) != -ENOENT)
            fail_msg("\"%s\" was found", wrong[i]);
    }
    chunksim_matrix_free(&m);

    /* A value holding the separators still decodes: the candidates are known. */
    matrix_of(&m, NULL,
              write_file("other.ini", TINY "\n[matrix]\nrun.name = a | a,b | a]x,y] seed 1\n"
                                           "link.att_mtu = 23 | 247\n"));
    for (uint64_t i = 0; i < chunksim_matrix_count(&m); i++) {
        chunksim_matrix_case_t found;
        assert_int_equal(chunksim_matrix_case(&m, i, &c), 0);
        chunksim_matrix_case_name(&m, &c, name, sizeof name);
        assert_int_equal(chunksim_matrix_find(&m, name, &found), 0);
        assert_int_equal(found.index, i);
    }
    chunksim_matrix_free(&m);
}

static void test_a_matrix_line_holds_4096_values_and_no_more(void **state)
{
    (void)state;
    static char text[64 * 1024];
    for (int values = 4096; values <= 4097; values++) {
        size_t n = (size_t)snprintf(text, sizeof text, TINY "\n[matrix]\nrun.max_sim_us = 1000001");
        for (int v = 2; v <= values; v++)
            n += (size_t)snprintf(text + n, sizeof text - n, " | %d", 1000000 + v);
        snprintf(text + n, sizeof text - n, "\n");
        const char *path = write_file("long.ini", text);
        if (values == 4096) {
            chunksim_matrix_t m;
            matrix_of(&m, NULL, path);
            assert_int_equal(chunksim_matrix_count(&m), 4096);
            chunksim_matrix_case_t c;
            assert_int_equal(chunksim_matrix_case(&m, 4095, &c), 0);
            assert_string_equal(c.sets[0], "run.max_sim_us=1004096");
            chunksim_matrix_free(&m);
        } else {
            chunksim_test_assert_contains(matrix_error_of(path), "more than 4096 values");
        }
    }
    /* Outside [matrix] a line is still held to libinih's buffer, and says so. */
    size_t n = (size_t)snprintf(text, sizeof text, TINY "\n[run]\nname = ");
    memset(text + n, 'x', 300);
    snprintf(text + n + 300, sizeof text - n - 300, "\n");
    const char *err = matrix_error_of(write_file("wide.ini", text));
    chunksim_test_assert_contains(err, "wide.ini:");
    chunksim_test_assert_contains(err, "line longer than");
}

/* A test of the matrix of grid.ini (grid_setup). */
#define GRID_TEST(f) cmocka_unit_test_setup_teardown(f, grid_setup, grid_teardown)

CHUNKSIM_TEST_MAIN_GROUP({
    GRID_TEST(test_expansion_nests_axes_in_file_order_with_seeds_fastest),
    cmocka_unit_test(test_seeds_option_replaces_the_files_seeds),
    cmocka_unit_test(test_files_follow_each_other_and_a_plain_file_is_one_case),
    cmocka_unit_test(test_global_overrides_come_after_the_seed_and_before_the_lists),
    GRID_TEST(test_case_config_equals_what_its_repro_line_builds),
    cmocka_unit_test(test_repro_line_quotes_what_the_shell_would_split),
    cmocka_unit_test(test_case_name_and_cell_say_which_values_of_the_axes),
    cmocka_unit_test(test_case_ids_are_short_unique_stable_and_resolve),
    cmocka_unit_test(test_case_id_depends_on_file_name_overrides_and_seed_only),
    GRID_TEST(test_find_accepts_upper_case_and_refuses_unknown_ids),
    GRID_TEST(test_shards_cover_every_case_exactly_once),
    cmocka_unit_test(test_shard_syntax_is_k_of_n_from_one),
    cmocka_unit_test(test_seed_lists_take_ranges_and_single_seeds),
    cmocka_unit_test(test_seed_list_errors_say_what_is_wrong),
    cmocka_unit_test(test_a_single_run_ignores_the_matrix_section),
    cmocka_unit_test(test_matrix_errors_name_the_file_line_and_value),
    cmocka_unit_test(test_a_bad_base_file_is_reported_by_the_scenario_parser),
    GRID_TEST(test_two_files_with_one_name_are_refused),
    GRID_TEST(test_generated_axis_multiplies_the_files_cases),
    cmocka_unit_test(test_global_overrides_must_be_assignments),
    cmocka_unit_test(test_limits_on_lists_overrides_and_cases),
    cmocka_unit_test(test_every_case_name_decodes_back_to_its_case),
    cmocka_unit_test(test_a_matrix_line_holds_4096_values_and_no_more),
})
