/*
 * Header-only, for every suite (core/ and flashmodel/ ones too: each suite has
 * tests/support on its include path). Include after <cmocka.h>.
 */
#ifndef CHUNKSIM_TEST_CMP_H
#define CHUNKSIM_TEST_CMP_H

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
