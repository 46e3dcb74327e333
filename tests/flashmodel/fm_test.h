/*
 * Shared by the flashmodel suites: a small part (256 KiB, four 64 KiB blocks)
 * with W25Q128JV timing, and open/close helpers. Include after <cmocka.h>.
 */
#ifndef FM_TEST_H
#define FM_TEST_H

#include "flashmodel/flashmodel.h"

#include <string.h>

#define FM_TEST_SIZE   (256u * 1024u)
#define FM_TEST_SECTOR 4096u
#define FM_TEST_PAGE   256u

static inline void fm_test_config(flashmodel_config_t *cfg)
{
    flashmodel_config_default(cfg, FM_TEST_SIZE);
    cfg->seed = 42;
}

/* cmocka setup for suites whose tests start from a fresh config: pass the
 * config as the prestate (FM_TEST_CASE). */
static inline int fm_test_setup(void **state)
{
    fm_test_config(*state);
    return 0;
}

#define FM_TEST_CASE(fn, cfg) cmocka_unit_test_prestate_setup_teardown(fn, fm_test_setup, NULL, cfg)

static inline void fm_test_open(flashmodel_t *fm, const flashmodel_config_t *cfg)
{
    assert_int_equal(flashmodel_init(fm, cfg), 0);
}

/* Every test ends here: nothing may be left in flight. */
static inline void fm_test_close(flashmodel_t *fm)
{
    assert_int_equal(flashmodel_inflight(fm), 0);
    flashmodel_close(fm);
}

static inline void fm_test_open_with_rule(flashmodel_t *fm, flashmodel_config_t *cfg,
                                          const flashmodel_fault_rule_t *rule)
{
    cfg->faults.rules = rule;
    cfg->faults.count = 1;
    fm_test_open(fm, cfg);
}

/* Begin + finish of one op that the test knows is alone on the device. */
static inline int fm_test_read(flashmodel_t *fm, uint64_t now, uint32_t addr, uint8_t *dst,
                               uint32_t len, flashmodel_op_t *op)
{
    assert_int_equal(flashmodel_read_begin(fm, now, addr, len, op), 0);
    return flashmodel_op_finish(fm, op, dst);
}

static inline int fm_test_program(flashmodel_t *fm, uint64_t now, uint32_t addr,
                                  const uint8_t *data, uint32_t len, flashmodel_op_t *op)
{
    assert_int_equal(flashmodel_program_begin(fm, now, addr, data, len, op), 0);
    return flashmodel_op_finish(fm, op, NULL);
}

static inline int fm_test_erase(flashmodel_t *fm, uint64_t now, flashmodel_op_kind_t kind,
                                uint32_t addr, flashmodel_op_t *op)
{
    assert_int_equal(flashmodel_erase_begin(fm, now, kind, addr, op), 0);
    return flashmodel_op_finish(fm, op, NULL);
}

static inline unsigned fm_test_popcount_diff(const uint8_t *a, const uint8_t *b, size_t len)
{
    unsigned n = 0;
    for (size_t i = 0; i < len; i++) {
        n += (unsigned)__builtin_popcount((unsigned)(a[i] ^ b[i]));
    }
    return n;
}

#endif
