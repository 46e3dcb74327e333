/* The option layer (tools/chunksim/options.c): shared options, own tables, help, typos. */
#include "cli.h"
#include "options.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "chunksim_test_main.h"

typedef struct {
    cli_common_t common;
    const char *name;
    cli_list_t tags;
    unsigned count;
    bool flag;
} test_args_t;

static const cli_option_t test_options[] = {
    {"name", 'n', "NAME", "a name", offsetof(test_args_t, name), NULL},
    {"tag", 0, "TAG", "a tag (repeatable)", offsetof(test_args_t, tags), cli_options_parse_list},
    {"count", 0, "N", "a number", offsetof(test_args_t, count), cli_options_parse_unsigned},
    {"flag", 0, NULL, "a flag\nover two lines", offsetof(test_args_t, flag), NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

/* Every shared option but the --db variants other than the recording one. */
static const cli_command_t test_command = {
    .name = "t",
    .usage = "FILE... [options]",
    .about = "A command for the tests.\n",
    .shared = CLI_OPT_DB_RECORD | CLI_OPT_SET | CLI_OPT_SEED | CLI_OPT_SEEDS | CLI_OPT_JOBS |
              CLI_OPT_SHARD | CLI_OPT_QUIET | CLI_OPT_JSON | CLI_OPT_JUNIT | CLI_OPT_NO_TRACE |
              CLI_OPT_MAX_FAILURES | CLI_OPT_STOP,
    .options = test_options,
    .notes = "Exit status: 0.\n",
    .operands = {1, 2, "no file given"},
};

typedef struct {
    int rc;
    int first;
    test_args_t a;
    char *out, *err;
} parsed_t;

/* Parses the NULL-terminated words after argv[0] = "t". */
static parsed_t parse(const char *first, ...)
{
    char *argv[64] = {"t"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *w = first; w != NULL && argc < 63; w = va_arg(ap, const char *))
        argv[argc++] = (char *)w;
    va_end(ap);
    parsed_t p = {0};
    size_t outn, errn;
    FILE *out = open_memstream(&p.out, &outn);
    FILE *err = open_memstream(&p.err, &errn);
    p.rc = cli_options_parse_io(&test_command, argc, argv, &p.a.common, &p.a, &p.first, out, err);
    fclose(out);
    fclose(err);
    return p;
}

static void parsed_free(parsed_t *p)
{
    free(p->out);
    free(p->err);
}

static size_t lines_of(const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

static void test_defaults_without_options(void **state)
{
    (void)state;
    parsed_t p = parse("f.ini", NULL);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.first, 1);
    assert_string_equal(p.a.common.db_path, CLI_DB_DEFAULT);
    assert_false(p.a.common.db_given);
    assert_int_equal(p.a.common.max_failures, CLI_MAX_FAILURES_DEFAULT);
    assert_int_equal(p.a.common.stop_after, 0);
    assert_int_equal(p.a.common.jobs, 0);
    assert_int_equal(p.a.common.set_count, 0);
    assert_null(p.a.common.seed);
    assert_false(p.a.common.quiet || p.a.common.json || p.a.common.no_trace);
    parsed_free(&p);
}

static void test_every_shared_option_lands_in_its_field(void **state)
{
    (void)state;
    parsed_t p = parse("--db", "x.db", "--set", "a.b=1", "--set", "c.d=2", "--seed", "7", "--seeds",
                       "1..3", "-j", "3", "--shard", "2/4", "-q", "--json", "--junit", "j.xml",
                       "--no-trace", "--max-failures", "0", "-F", "5", "f.ini", NULL);
    assert_int_equal(p.rc, 0);
    const cli_common_t *c = &p.a.common;
    assert_string_equal(c->db_path, "x.db");
    assert_true(c->db_given);
    assert_int_equal(c->set_count, 2);
    assert_string_equal(c->sets[0], "a.b=1");
    assert_string_equal(c->sets[1], "c.d=2");
    assert_string_equal(c->seed, "7");
    assert_string_equal(c->seeds, "1..3");
    assert_int_equal(c->jobs, 3);
    assert_string_equal(c->shard, "2/4");
    assert_true(c->quiet && c->json && c->no_trace);
    assert_string_equal(c->junit, "j.xml");
    assert_int_equal(c->max_failures, 0);
    assert_int_equal(c->stop_after, 5);
    parsed_free(&p);
}

static void test_own_options_by_kind(void **state)
{
    (void)state;
    parsed_t p = parse("f.ini", "-n", "x", "--tag", "a", "--tag", "b", "--count", "42", "--flag",
                       "g.ini", NULL);
    assert_int_equal(p.rc, 0);
    assert_string_equal(p.a.name, "x");
    assert_int_equal(p.a.tags.count, 2);
    assert_string_equal(p.a.tags.items[1], "b");
    assert_int_equal(p.a.count, 42);
    assert_true(p.a.flag);
    /* Options may follow the files (GNU order); the files come first after parsing. */
    assert_int_equal(p.first, 10);
    parsed_free(&p);
}

static void test_a_typo_is_one_line_with_the_nearest_option(void **state)
{
    (void)state;
    parsed_t p = parse("f.ini", "--seeed", "3", NULL);
    assert_int_equal(p.rc, CLI_EXIT_USAGE);
    assert_string_equal(p.err, "chunksim t: unknown option '--seeed'; did you mean --seed? see "
                               "'chunksim t --help'\n");
    assert_string_equal(p.out, "");
    parsed_free(&p);
    p = parse("f.ini", "--no-trase", NULL);
    assert_string_equal(p.err, "chunksim t: unknown option '--no-trase'; did you mean --no-trace? "
                               "see 'chunksim t --help'\n");
    parsed_free(&p);
    p = parse("f.ini", "--zzzzzzzz=1", NULL);
    assert_string_equal(p.err,
                        "chunksim t: unknown option '--zzzzzzzz'; see 'chunksim t --help'\n");
    parsed_free(&p);
    p = parse("f.ini", "-x", NULL);
    assert_string_equal(p.err, "chunksim t: unknown option '-x'; see 'chunksim t --help'\n");
    parsed_free(&p);
}

static void test_usage_errors_are_one_line(void **state)
{
    (void)state;
    static const struct {
        const char *args[4];
        const char *err;
    } cases[] = {
        {{"f.ini", "--db", NULL}, "option '--db' needs a value"},
        {{"f.ini", "-j", NULL}, "option '-j' needs a value"},
        {{NULL}, "no file given"},
        {{"a", "b", "c", NULL}, "unexpected argument 'c'"},
        {{"f.ini", "-j", "0", NULL}, "-j 0: expected a number of workers, 1 to 256"},
        {{"f.ini", "--count", "-1", NULL}, "--count -1: expected a number"},
        {{"f.ini", "-F", "0", NULL}, "--stop-on-failure 0: expected a number of failures"},
        {{"f.ini", "--json=1", NULL}, "option '--json' takes no value"},
        {{"f.ini", "--se", NULL}, "unknown option '--se'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *const *w = cases[i].args;
        parsed_t p = parse(w[0], w[0] ? w[1] : NULL, w[0] && w[1] ? w[2] : NULL,
                           w[0] && w[1] && w[2] ? w[3] : NULL, NULL);
        if (p.rc != CLI_EXIT_USAGE || strstr(p.err, cases[i].err) == NULL || lines_of(p.err) != 1)
            fail_msg("case %zu: rc %d, stderr: %s", i, p.rc, p.err);
        parsed_free(&p);
    }
}

static void test_one_set_limit(void **state)
{
    (void)state;
    char *argv[2 * CLI_SETS_MAX + 8] = {"t", "f.ini"};
    int argc = 2;
    for (int i = 0; i <= CLI_SETS_MAX; i++) {
        argv[argc++] = "--set";
        argv[argc++] = "link.att_mtu=23";
    }
    test_args_t a = {0};
    int first;
    char *err = NULL;
    size_t n;
    FILE *errf = open_memstream(&err, &n);
    assert_int_equal(
        cli_options_parse_io(&test_command, argc - 2, argv, &a.common, &a, &first, stdout, errf),
        0);
    assert_int_equal(a.common.set_count, CLI_SETS_MAX);
    assert_int_equal(
        cli_options_parse_io(&test_command, argc, argv, &a.common, &a, &first, stdout, errf),
        CLI_EXIT_USAGE);
    fclose(errf);
    assert_non_null(strstr(err, "at most 56 --set options"));
    free(err);
}

static void test_help_is_generated_from_both_tables(void **state)
{
    (void)state;
    parsed_t p = parse("--help", NULL);
    assert_int_equal(p.rc, -1);
    char *help = NULL;
    size_t n;
    FILE *f = open_memstream(&help, &n);
    cli_options_help(&test_command, f);
    fclose(f);
    assert_string_equal(p.out, help);
    assert_true(strncmp(help, "usage: chunksim t FILE... [options]\n\nA command for the tests.\n",
                        60) == 0);
    /* Each shared option once, then the command's own, then --help, then the notes. */
    const char *want[] = {"  --db FILE ",
                          "  --set KEY=VALUE ",
                          "  --seed N ",
                          "  --seeds LIST ",
                          "  -j, --jobs N ",
                          "  --shard K/N ",
                          "  -q, --quiet ",
                          "  --json ",
                          "  --junit FILE ",
                          "  --no-trace ",
                          "  --max-failures N ",
                          "  -F, --stop-on-failure N",
                          "  -n, --name NAME",
                          "  --tag TAG ",
                          "  --count N ",
                          "  --flag ",
                          "                     over two lines\n",
                          "  -h, --help ",
                          "\nExit status: 0.\n"};
    const char *at = help;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *hit = strstr(at, want[i]);
        if (hit == NULL)
            fail_msg("\"%s\" not found (in order) in:\n%s", want[i], help);
        if (i < 16 && strstr(hit + 1, want[i]) != NULL)
            fail_msg("\"%s\" listed twice in:\n%s", want[i], help);
        at = hit;
    }
    for (const char *line = help; *line; line = strchr(line, '\n') + 1) {
        if (strchr(line, '\n') - line > 80)
            fail_msg("a help line longer than 80 columns: %.*s", (int)(strchr(line, '\n') - line),
                     line);
    }
    free(help);
    parsed_free(&p);
}

static void test_nearest_word(void **state)
{
    (void)state;
    const char *words[] = {"run", "matrix", "merge", "report", "replay"};
    assert_string_equal(cli_options_nearest("matrx", words, 5), "matrix");
    assert_string_equal(cli_options_nearest("repaly", words, 5), "replay");
    assert_string_equal(cli_options_nearest("mat", words, 5), "matrix"); /* a prefix */
    assert_null(cli_options_nearest("frobnicate", words, 5));
    assert_null(cli_options_nearest("run", words, 5)); /* an exact word is no suggestion */
}

/* What the command steps of test_steps saw. */
static struct {
    int checks, runs;
    int nops;
    const char *op0;
    cli_trace_t trace;
} steps_seen;

/* Refuses --count 7, as a check that spans options would. */
static int steps_check(const cli_call_t *call)
{
    const test_args_t *a = call->own;
    steps_seen.checks++;
    return a->count == 7 ? CLI_EXIT_USAGE : 0;
}

/* Its status is the number of operands, so the test sees it come back. */
static int steps_run(const cli_call_t *call)
{
    steps_seen.runs++;
    steps_seen.nops = call->nops;
    steps_seen.op0 = call->ops[0];
    steps_seen.trace = call->common->trace;
    return call->nops;
}

static const cli_command_t test_steps = {
    .name = "t",
    .usage = "FILE...",
    .about = "A command with steps.\n",
    .shared = CLI_OPT_TRACE,
    .options = test_options,
    .operands = {1, -1, "no file given"},
    .check = steps_check,
    .run = steps_run,
};

/* cli_command_main_io on the words after argv[0] = "t"; output thrown away. */
static int steps_main(int argc, char **words)
{
    char *argv[8] = {"t"};
    for (int i = 1; i < argc; i++)
        argv[i] = words[i - 1];
    memset(&steps_seen, 0, sizeof steps_seen);
    test_args_t a = {0};
    FILE *null = fopen("/dev/null", "w");
    int rc = cli_command_main_io(&test_steps, argc, argv, NULL, &a, null, null);
    fclose(null);
    return rc;
}

static void test_command_main_runs_check_then_run(void **state)
{
    (void)state;
    char *two[] = {"a.ini", "--trace", "all", "b.ini"};
    assert_int_equal(steps_main(5, two), 2); /* run's status, with both operands */
    assert_int_equal(steps_seen.checks, 1);
    assert_int_equal(steps_seen.runs, 1);
    assert_int_equal(steps_seen.nops, 2);
    assert_string_equal(steps_seen.op0, "a.ini");
    assert_int_equal(steps_seen.trace, CLI_TRACE_ALL);
    char *one[] = {"a.ini"};
    assert_int_equal(steps_main(2, one), 1);
    assert_int_equal(steps_seen.trace, CLI_TRACE_FAILURES); /* the default policy */
}

static void test_command_main_stops_before_run(void **state)
{
    (void)state;
    char *help[] = {"--help"};
    assert_int_equal(steps_main(2, help), CLI_EXIT_OK);
    assert_int_equal(steps_seen.checks + steps_seen.runs, 0);
    char *none[] = {"--count", "1"};
    assert_int_equal(steps_main(3, none), CLI_EXIT_USAGE); /* no operand */
    assert_int_equal(steps_seen.checks + steps_seen.runs, 0);
    char *refused[] = {"--count", "7", "a.ini"};
    assert_int_equal(steps_main(4, refused), CLI_EXIT_USAGE);
    assert_int_equal(steps_seen.checks, 1);
    assert_int_equal(steps_seen.runs, 0);
    char *bad_policy[] = {"--trace", "some", "a.ini"};
    assert_int_equal(steps_main(4, bad_policy), CLI_EXIT_USAGE);
    assert_int_equal(steps_seen.checks + steps_seen.runs, 0);
}

static void test_a_required_option_is_named(void **state)
{
    (void)state;
    cli_command_t cmd = test_command;
    cmd.required = "name";
    char *argv[] = {"t", "f.ini", "-n", "x", NULL};
    test_args_t a = {0};
    int first;
    char *err = NULL;
    size_t errn;
    FILE *errf = open_memstream(&err, &errn);
    assert_int_equal(cli_options_parse_io(&cmd, 2, argv, &a.common, &a, &first, stdout, errf),
                     CLI_EXIT_USAGE);
    fflush(errf);
    assert_string_equal(err, "chunksim t: --name NAME is required; see 'chunksim t --help'\n");
    assert_int_equal(cli_options_parse_io(&cmd, 4, argv, &a.common, &a, &first, stdout, errf), 0);
    assert_string_equal(a.name, "x");
    fclose(errf);
    free(err);
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_defaults_without_options),
    cmocka_unit_test(test_every_shared_option_lands_in_its_field),
    cmocka_unit_test(test_own_options_by_kind),
    cmocka_unit_test(test_a_typo_is_one_line_with_the_nearest_option),
    cmocka_unit_test(test_usage_errors_are_one_line),
    cmocka_unit_test(test_one_set_limit),
    cmocka_unit_test(test_help_is_generated_from_both_tables),
    cmocka_unit_test(test_nearest_word),
    cmocka_unit_test(test_command_main_runs_check_then_run),
    cmocka_unit_test(test_command_main_stops_before_run),
    cmocka_unit_test(test_a_required_option_is_named),
})
