/*
 * Scenario [flash] and [faults] onto the flash model's config: the one place
 * that knows both vocabularies (scenario keywords are the user's; the model's
 * are the datasheet's and the fault engine's).
 *
 *     chunksim_flashmap_t map;
 *     char err[256];
 *     if (chunksim_flashmap_build(&map, sc, seed, err, sizeof err) < 0) die(err);
 *     flashmodel_init(&fm, &map.cfg);               // copies the rules
 *     flashmodel_load(&fm, ...);                    // the coredump image
 *     chunksim_flashmap_apply_wear(&fm, sc);        // initial_wear_cycles
 *     ...
 *     flashmodel_close(&fm);
 *     chunksim_flashmap_free(&map);                 // after close: traces are borrowed
 *
 * What the scenario says and the model does are kept equal:
 *
 *   read_command/data_lines  read -> 03h (SINGLE) at bus_clock_hz; fast with 1,
 *                            2, 4 lines -> FAST, DUAL_OUT, QUAD_OUT at
 *                            bus_clock_hz with dummy_cycles.
 *   latencies                model -> PART; other forms replace the datasheet
 *                            time as stated (unscaled by wear); spikes
 *                            "SPIKE_US instead of BASE_US" becomes the model's
 *                            "BASE plus an addition"; erase_latency covers
 *                            sector, block and chip erases, one trace sequence.
 *   fault rules              one model rule per scenario rule, in order; on=
 *                            becomes the rule's op filter (counting included),
 *                            op= an exact one-shot, stuck_bit a one-time flip
 *                            of stored bits inside its range, bad_sector a
 *                            range rounded out to whole sectors.
 *
 * Scenario values the model cannot hold (more than FLASHMODEL_MAX_FLIPS flips
 * per read, a geometry the part check refuses) are errors, never silently
 * approximated.
 */
#ifndef CHUNKSIM_FLASHMAP_H
#define CHUNKSIM_FLASHMAP_H

#include "chunksim/scenario.h"
#include "flashmodel/flashmodel.h"

#include <stddef.h>
#include <stdint.h>

/* Latency kinds of the scenario, indexing chunksim_flashmap_t.trace_us. */
enum { CHUNKSIM_FLASHMAP_READ = 0, CHUNKSIM_FLASHMAP_PROGRAM, CHUNKSIM_FLASHMAP_ERASE };

/*
 * What the config points into; owned by the caller, released with _free().
 * The model copies the rules at init but borrows the traces: free the map
 * only after flashmodel_close().
 */
typedef struct chunksim_flashmap {
    flashmodel_config_t cfg;
    flashmodel_fault_rule_t *rules; /* cfg.faults.count of them; NULL when none */
    uint64_t *trace_us[3];          /* read, program, erase latencies from trace files */
} chunksim_flashmap_t;

/*
 * Fills map->cfg from a validated scenario; seed is the flash model's
 * derived seed. Returns 0, or a negative errno (-EINVAL: the scenario says
 * something the model cannot express; -ENOMEM) with a message in err, e.g.
 * "scenario line 12: fault bitflip: cannot flip more than 8 bits per read
 * (flips=9)". On error the map owns nothing.
 */
int chunksim_flashmap_build(chunksim_flashmap_t *map, const chunksim_scenario_t *sc, uint64_t seed,
                            char *err, size_t errlen);

/* Releases what build allocated and zeroes the map; safe on a zeroed or freed map. */
void chunksim_flashmap_free(chunksim_flashmap_t *map);

/* A flash model fault as a scenario names it ("stuck_bit" for BITFLIP_STUCK). */
const char *chunksim_flashmap_fault_name(flashmodel_fault_t fault);

/*
 * [flash] initial_wear_cycles onto every sector of an initialised model (the
 * config has no wear table). Returns 0 or a FLASHMODEL_E_* code.
 */
int chunksim_flashmap_apply_wear(flashmodel_t *fm, const chunksim_scenario_t *sc);

#endif
