#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "chunksim_test.h"

#include <limits.h>
#include <stdio.h>

void chunksim_test_load_path(chunksim_scenario_t *sc, const char *path, const char *const *sets,
                             size_t n)
{
    char err[CHUNKSIM_SCENARIO_ERR_BYTES];
    int rc = chunksim_scenario_load(sc, path, err, sizeof(err));
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = chunksim_scenario_set_arg(sc, sets[i], err, sizeof(err));
    }
    if (rc == 0) {
        rc = chunksim_scenario_validate(sc, err, sizeof(err));
    }
    if (rc != 0) {
        fail_msg("%s", err);
    }
}

void chunksim_test_load_starter(chunksim_scenario_t *sc, const char *name,
                                const char *const *sets, size_t n)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", CHUNKSIM_TEST_SCENARIO_DIR, name);
    chunksim_test_load_path(sc, path, sets, n);
}
