/*
 * Shared by the sim/, tools/ and glue/ suites (flashmodel's have fm_test.h):
 * loading a scenario with overrides, and comparisons that print both
 * operands when they fail. Include after <cmocka.h>; the suites that link
 * chunksim_sim link chunksim_test_support (tests/CMakeLists.txt).
 */
#ifndef CHUNKSIM_TEST_H
#define CHUNKSIM_TEST_H

#include "chunksim/scenario.h"

#include <stddef.h>

/*
 * Loads the scenario file at path, applies the `section.key=value` overrides
 * sets[0..n) and validates it; a failure fails the test with the loader's
 * message (file, line, key). chunksim_scenario_free() it when done.
 */
void chunksim_test_load_path(chunksim_scenario_t *sc, const char *path, const char *const *sets,
                             size_t n);

/* The same for a scenario of the starter library (scenarios/NAME). */
void chunksim_test_load_starter(chunksim_scenario_t *sc, const char *name, const char *const *sets,
                                size_t n);

/*
 * Comparisons that say what they compared: "a < b: 7 vs 3". Each
 * operand is evaluated once and compared as a long double, which holds every
 * 64-bit integer and every double exactly, so signed, unsigned and floating
 * operands compare by value.
 */
#define CHUNKSIM_TEST_CMP_(a, op, b)                                                               \
    do {                                                                                           \
        const long double a_ = (long double)(a), b_ = (long double)(b);                            \
        if (!(a_ op b_)) {                                                                         \
            fail_msg("%s %s %s: %.21Lg vs %.21Lg", #a, #op, #b, a_, b_);                           \
        }                                                                                          \
    } while (0)

#define assert_eq(a, b) CHUNKSIM_TEST_CMP_(a, ==, b)
#define assert_lt(a, b) CHUNKSIM_TEST_CMP_(a, <, b)
#define assert_le(a, b) CHUNKSIM_TEST_CMP_(a, <=, b)
#define assert_gt(a, b) CHUNKSIM_TEST_CMP_(a, >, b)
#define assert_ge(a, b) CHUNKSIM_TEST_CMP_(a, >=, b)

#endif
