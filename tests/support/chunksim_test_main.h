/*
 * Header-only, for every suite. Include after <cmocka.h>.
 */
#ifndef CHUNKSIM_TEST_MAIN_H
#define CHUNKSIM_TEST_MAIN_H

/*
 * A suite's main():
 *
 *     CHUNKSIM_TEST_MAIN({
 *         cmocka_unit_test(test_a),
 *         ...
 *     })
 *
 * The list is a braced initializer passed whole, so a suite keeps one test a
 * line and writes nothing else. CHUNKSIM_TEST_MAIN_GROUP({...}) also runs the
 * suite's own group_setup() and group_teardown() once around the whole list
 * (fixed names, as Unity's setUp/tearDown: a suite has one pair at most).
 */
#define CHUNKSIM_TEST_MAIN(...)       CHUNKSIM_TEST_MAIN_(NULL, NULL, __VA_ARGS__)
#define CHUNKSIM_TEST_MAIN_GROUP(...) CHUNKSIM_TEST_MAIN_(group_setup, group_teardown, __VA_ARGS__)

#define CHUNKSIM_TEST_MAIN_(setup_, teardown_, ...)                                                \
    int main(void)                                                                                 \
    {                                                                                              \
        const struct CMUnitTest tests[] = __VA_ARGS__;                                             \
        return cmocka_run_group_tests(tests, setup_, teardown_);                                   \
    }

#endif
