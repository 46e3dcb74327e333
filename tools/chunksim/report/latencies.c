/* --latencies-from for run and replay: a flash trace into a loaded scenario. */
#include "cli.h"

#include "chunksim/flashtrace.h"

int cli_apply_latencies(chunksim_scenario_t *sc, const char *spec, char *err, size_t errlen)
{
    if (spec == NULL) {
        return 0;
    }
    chunksim_flashtrace_t tr;
    int rc = chunksim_flashtrace_load(&tr, spec, err, errlen);
    if (rc == 0) {
        rc = chunksim_flashtrace_apply(&tr, sc, err, errlen);
    }
    chunksim_flashtrace_free(&tr);
    if (rc < 0) {
        chunksim_scenario_free(sc);
    }
    return rc;
}
