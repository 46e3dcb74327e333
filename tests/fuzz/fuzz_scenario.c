/*
 * libFuzzer target: the scenario parser. The input is an INI text, then
 * optionally a NUL byte and command-line overrides ("section.key=value", one
 * per line). Besides the sanitizers, it checks the round trip a recording
 * depends on: a scenario that loads, takes its overrides and validates
 * records a text that reloads to the same configuration, and that
 * configuration records the same text again (docs/schema.md: scenarios are
 * stored as their text and replayed from it). A text refused on its own is
 * loaded again with its overrides applied before the rules between keys (as
 * chunksim run --set does, chunksim_scenario_load_with()): when that loads,
 * the same round trip holds.
 *
 * replay_main.c runs the same entry point over the starter scenarios and
 * tests/fuzz/regressions-scenario in the normal build.
 */
#include "chunksim/scenario.h"
#include "fuzz_split.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bounds what one input may ask for, so that a run is about parsing, not memory. */
#define FUZZ_MAX_INPUT (64u * 1024u)
#define FUZZ_MAX_SETS  32

static void fuzz_check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_scenario: broken promise: %s\n", what);
        abort();
    }
}

static int fuzz_same_bytes(const void *a, const void *b, size_t n)
{
    return n == 0 || (a != NULL && b != NULL && memcmp(a, b, n) == 0);
}

static int fuzz_same_latency(const chunksim_latency_t *a, const chunksim_latency_t *b)
{
    if (a->kind != b->kind)
        return 0;
    if (a->kind != CHUNKSIM_LATENCY_TRACE)
        return memcmp(a, b, sizeof *a) == 0;
    return a->trace.count == b->trace.count &&
           strcmp(a->trace.path ? a->trace.path : "", b->trace.path ? b->trace.path : "") == 0 &&
           fuzz_same_bytes(a->trace.latency_us, b->trace.latency_us,
                           a->trace.count * sizeof(double));
}

/* Rules are the same but for where they were written (a file line, or an override). */
static int fuzz_same_rules(const chunksim_scenario_t *a, const chunksim_scenario_t *b)
{
    if (a->faults.count != b->faults.count)
        return 0;
    for (size_t i = 0; i < a->faults.count; i++) {
        chunksim_fault_rule_t x = a->faults.rules[i], y = b->faults.rules[i];
        x.line = y.line = 0;
        if (memcmp(&x, &y, sizeof x) != 0)
            return 0;
    }
    return 1;
}

/* Whether two configurations are the same, field by field and through every pointer. */
static int fuzz_same_config(const chunksim_scenario_t *a, const chunksim_scenario_t *b)
{
    if (a->coredump.file_bytes != b->coredump.file_bytes ||
        !fuzz_same_bytes(a->coredump.file_data, b->coredump.file_data, a->coredump.file_bytes) ||
        (a->coredump.file_path == NULL) != (b->coredump.file_path == NULL) ||
        (a->coredump.file_path && strcmp(a->coredump.file_path, b->coredump.file_path) != 0) ||
        !fuzz_same_rules(a, b) ||
        !fuzz_same_latency(&a->flash.read_latency, &b->flash.read_latency) ||
        !fuzz_same_latency(&a->flash.program_latency, &b->flash.program_latency) ||
        !fuzz_same_latency(&a->flash.erase_latency, &b->flash.erase_latency))
        return 0;
    /* Everything else is plain data: compare it with the pointers taken out. */
    chunksim_scenario_t x = *a, y = *b;
    x.coredump.file_path = y.coredump.file_path = NULL;
    x.coredump.file_data = y.coredump.file_data = NULL;
    x.faults.rules = y.faults.rules = NULL;
    x.flash.read_latency = y.flash.read_latency = (chunksim_latency_t){0};
    x.flash.program_latency = y.flash.program_latency = (chunksim_latency_t){0};
    x.flash.erase_latency = y.flash.erase_latency = (chunksim_latency_t){0};
    x.record = y.record = NULL;
    return memcmp(&x, &y, sizeof x) == 0;
}

/* The overrides after the NUL, applied in order; 0, or the first failure. */
static int fuzz_apply_sets(chunksim_scenario_t *sc, char *sets, char *err, size_t errlen)
{
    int n = 0;
    for (char *line = strtok(sets, "\n"); line != NULL && n < FUZZ_MAX_SETS;
         line = strtok(NULL, "\n"), n++) {
        int rc = chunksim_scenario_set_arg(sc, line, err, errlen);
        fuzz_check(rc < 0 || rc == 0, "set returns 0 or a negative code");
        if (rc < 0) {
            fuzz_check(err[0] != '\0', "a refused override says why");
            return rc;
        }
    }
    return 0;
}

static void fuzz_round_trip(const chunksim_scenario_t *sc)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    const char *text = chunksim_scenario_text(sc);
    chunksim_scenario_t again, third;
    int rc = chunksim_scenario_load_string(&again, text, "fuzz.ini", NULL, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "reload failed: %s\n--- text ---\n%s\n---\n", err, text);
    fuzz_check(rc == 0, "the recorded text reloads");
    fuzz_check(fuzz_same_config(sc, &again), "the reloaded configuration is the same");
    fuzz_check(strcmp(chunksim_scenario_text(&again), text) == 0, "it records the same text");
    rc = chunksim_scenario_load_string(&third, chunksim_scenario_text(&again), "fuzz.ini", NULL,
                                       err, sizeof err);
    fuzz_check(rc == 0 && fuzz_same_config(&again, &third), "and so on");
    chunksim_scenario_free(&third);
    chunksim_scenario_free(&again);
}

/*
 * The text followed by the overrides as "; --set" lines: how a recording
 * carries them, and loaded the way chunksim_scenario_load_with() loads a
 * command line's --set (after the file, before the rules between keys), so an
 * override may repair what the text alone breaks. NULL when there are none.
 */
static char *fuzz_text_with_sets(const char *text, const char *sets)
{
    size_t tlen = strlen(text), slen = strlen(sets);
    if (slen == 0)
        return NULL;
    /* Each line gains "; --set " (8) and a newline; one more newline after the text. */
    char *out = malloc(tlen + 1 + slen + (slen + 1) * 9 + 1);
    if (out == NULL)
        return NULL;
    char *end = out + tlen;
    memcpy(out, text, tlen);
    if (tlen > 0 && text[tlen - 1] != '\n')
        *end++ = '\n';
    int n = 0;
    for (const char *line = sets; *line != '\0' && n < FUZZ_MAX_SETS; n++) {
        size_t len = strcspn(line, "\n");
        if (len > 0) {
            memcpy(end, "; --set ", 8);
            memcpy(end + 8, line, len);
            end += 8 + len;
            *end++ = '\n';
        }
        line += len + (line[len] == '\n');
    }
    *end = '\0';
    return out;
}

/* The text refused on its own: with the overrides before the rules, it may load. */
static void fuzz_repaired_by_sets(const char *text, const char *sets)
{
    char *both = fuzz_text_with_sets(text, sets);
    if (both == NULL)
        return;
    char err[CHUNKSIM_SCENARIO_ERR_BYTES] = "";
    chunksim_scenario_t sc;
    int rc = chunksim_scenario_load_string(&sc, both, "fuzz.ini", NULL, err, sizeof err);
    fuzz_check(rc <= 0, "load returns 0 or a negative code");
    fuzz_check(rc == 0 || err[0] != '\0', "a refused scenario says why");
    if (rc == 0) {
        fuzz_round_trip(&sc);
        chunksim_scenario_free(&sc);
    }
    free(both);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sets;
    char *buf = fuzz_split(data, size, FUZZ_MAX_INPUT, &sets);
    if (buf == NULL)
        return 0;

    char err[CHUNKSIM_SCENARIO_ERR_BYTES] = "";
    chunksim_scenario_t sc;
    int rc = chunksim_scenario_load_string(&sc, buf, "fuzz.ini", NULL, err, sizeof err);
    fuzz_check(rc <= 0, "load returns 0 or a negative code");
    if (rc < 0) {
        fuzz_check(err[0] != '\0', "a refused scenario says why");
        fuzz_repaired_by_sets(buf, sets);
        free(buf);
        return 0;
    }
    err[0] = '\0';
    if (fuzz_apply_sets(&sc, sets, err, sizeof err) == 0 &&
        chunksim_scenario_validate(&sc, err, sizeof err) == 0)
        fuzz_round_trip(&sc);
    chunksim_scenario_free(&sc);
    free(buf);
    return 0;
}
