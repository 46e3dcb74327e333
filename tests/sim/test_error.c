/*
 * The common error list (sim/include/chunksim/error.h): every code has its
 * own name and text, and codes of the four origins never read as each other.
 */
#include "chunksim/error.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"
#include <uv.h>

#include "chunkcore/error.h"
#include "flashmodel/error.h"

#define ERROR_NAMES_MAX 64

static const int own_codes[] = {
#define TEST_CODE_(name, value, text) CHUNKSIM_E_##name,
    CHUNKSIM_ERRNO_MAP(TEST_CODE_)
#undef TEST_CODE_
};

static void test_every_own_code_has_a_distinct_name_and_text(void **state)
{
    (void)state;
    const size_t n = sizeof(own_codes) / sizeof(own_codes[0]);
    char names[ERROR_NAMES_MAX][48];
    assert_in_range(n, 1, ERROR_NAMES_MAX);
    for (size_t i = 0; i < n; i++) {
        const char *name = chunksim_errname(own_codes[i]);
        assert_true(name[0] != '\0');
        assert_string_not_equal(name, "UNKNOWN");
        assert_string_not_equal(chunksim_strerror(own_codes[i]), "unknown error");
        strcpy(names[i], name);
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(names[i], names[j]);
        }
    }
}

static void test_same_magnitude_from_each_origin_reads_differently(void **state)
{
    (void)state;
    /* -4 is EINTR, chunkcore's IO and flashmodel's PAGE. */
    const int errno_code = -EINTR;
    const int core_code = chunksim_err_core(CHUNKCORE_E_IO);
    const int flash_code = chunksim_err_flash(FLASHMODEL_E_PAGE);
    assert_int_equal(CHUNKCORE_E_IO, errno_code);
    assert_string_equal(chunksim_strerror(errno_code), strerror(EINTR));
    assert_string_equal(chunksim_strerror(core_code), chunkcore_strerror(CHUNKCORE_E_IO));
    assert_string_equal(chunksim_strerror(flash_code), flashmodel_strerror(FLASHMODEL_E_PAGE));
    assert_string_not_equal(chunksim_strerror(core_code), chunksim_strerror(errno_code));
    assert_string_not_equal(chunksim_strerror(flash_code), chunksim_strerror(errno_code));
    assert_string_equal(chunksim_errname(errno_code), "errno EINTR");
    assert_string_equal(chunksim_errname(core_code), "core IO");
    assert_string_equal(chunksim_errname(flash_code), "flash PAGE");
    assert_string_equal(chunksim_errname(UV_EOF), "libuv EOF");
    assert_string_equal(chunksim_strerror(UV_EOF), uv_strerror(UV_EOF));
}

static void test_conversions_keep_success_and_zero_reads_ok(void **state)
{
    (void)state;
    assert_int_equal(chunksim_err_core(0), 0);
    assert_int_equal(chunksim_err_core(7), 7);
    assert_int_equal(chunksim_err_flash(0), 0);
    assert_string_equal(chunksim_strerror(0), "ok");
    assert_string_equal(chunksim_errname(0), "OK");
    /* Every chunkcore and flashmodel code lands outside errno's and libuv's range. */
    for (int c = -1; c >= -14; c--) {
        assert_lt(chunksim_err_core(c), -4095);
        assert_lt(chunksim_err_flash(c), -4095);
        assert_int_not_equal(chunksim_err_core(c), chunksim_err_flash(c));
    }
    assert_string_equal(chunksim_strerror(-20999), "unknown error");
}

/* The message goes where the caller asked, cut to its buffer; the code comes back either way. */
static void test_err_format_says_why_and_returns_the_code(void **state)
{
    (void)state;
    char err[16];
    assert_int_equal(chunksim_err_format(-EINVAL, err, sizeof err, "no run %d", 42), -EINVAL);
    assert_string_equal(err, "no run 42");
    assert_int_equal(chunksim_err_format(-EIO, err, 8, "%s", "a longer message"), -EIO);
    assert_string_equal(err, "a longe");
    strcpy(err, "kept");
    assert_int_equal(chunksim_err_format(CHUNKSIM_E_AMBIGUOUS, err, 0, "ignored"),
                     CHUNKSIM_E_AMBIGUOUS);
    assert_string_equal(err, "kept");
    assert_int_equal(chunksim_err_format(-ENOMEM, NULL, 16, "ignored"), -ENOMEM);
}

CHUNKSIM_TEST_MAIN({
    cmocka_unit_test(test_every_own_code_has_a_distinct_name_and_text),
    cmocka_unit_test(test_same_magnitude_from_each_origin_reads_differently),
    cmocka_unit_test(test_conversions_keep_success_and_zero_reads_ok),
    cmocka_unit_test(test_err_format_says_why_and_returns_the_code),
})
