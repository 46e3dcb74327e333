/*
 * How a run ended: one list, written once, that generates the enum and the
 * names the CLI prints, the database stores and scenarios expect.
 *
 *   ok          the coredump arrived intact and was cleared (or kept) as asked
 *   lost        the coredump is gone from flash and never arrived intact
 *   corrupt     delivered bytes differ from what was stored
 *   incomplete  not delivered, still stored (or the run was cut short)
 *   violation   the firmware broke the contract (see violations)
 *   error       the run could not be set up, or could not be recorded in
 *               full (record_error); no scenario can expect it
 */
#ifndef CHUNKSIM_OUTCOME_H
#define CHUNKSIM_OUTCOME_H

/* X(enumerator, name, whether a scenario's [run] expect may name it: YES or NO) */
#define CHUNKSIM_OUTCOME_MAP(X)                                                                    \
    X(OK, "ok", YES)                                                                               \
    X(LOST, "lost", YES)                                                                           \
    X(CORRUPT, "corrupt", YES)                                                                     \
    X(INCOMPLETE, "incomplete", YES)                                                               \
    X(VIOLATION, "violation", YES)                                                                 \
    X(ERROR, "error", NO)

typedef enum chunksim_outcome {
#define CHUNKSIM_OUTCOME_ENUM_(name, text, expectable) CHUNKSIM_OUTCOME_##name,
    CHUNKSIM_OUTCOME_MAP(CHUNKSIM_OUTCOME_ENUM_)
#undef CHUNKSIM_OUTCOME_ENUM_
} chunksim_outcome_t;

/* "ok", "lost", ...; "unknown" for a value off the list. */
const char *chunksim_outcome_name(chunksim_outcome_t outcome);

/* The outcome named name; CHUNKSIM_E_INVAL (and *outcome untouched) if none. */
int chunksim_outcome_from_name(const char *name, chunksim_outcome_t *outcome);

#endif
