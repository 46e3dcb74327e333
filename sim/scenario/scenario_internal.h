/*
 * Shared between the scenario sources: the key table (scenario_keys.c), the
 * value parsers (scenario_values.c), the INI reader and record
 * (scenario.c) and the cross-field checks (scenario_validate.c); the fault
 * table also serves flash traces (sim/flashtrace).
 */
#ifndef CHUNKSIM_SCENARIO_INTERNAL_H
#define CHUNKSIM_SCENARIO_INTERNAL_H

#include "chunksim/scenario.h"

#include "chunkcore/async.h"
#include "chunkcore/coredump.h"
#include "chunkcore/transport.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The smallest coredump image: header and footer around an empty payload. */
#define SCENARIO_COREDUMP_FRAME_BYTES                                                              \
    (CHUNKCORE_COREDUMP_HEADER_BYTES + CHUNKCORE_COREDUMP_FOOTER_BYTES)

/* Room for one "why" phrase; the caller adds where and which key. */
#define SCENARIO_WHY_BYTES 600

/* What a value's number means; decides the suffixes it may carry. */
enum scenario_unit {
    SCENARIO_UNIT_NONE = 0,
    SCENARIO_UNIT_BYTES,
    SCENARIO_UNIT_US,
    SCENARIO_UNIT_HZ
};

/* Where a value comes from: relative paths and fault rule lines need it. */
struct scenario_env {
    const char *base_dir; /* NULL: the current directory */
    uint32_t line;        /* 0 for a command-line override */
};

/* Origin of a key's value in record->origin[]. */
#define SCENARIO_ORIGIN_DEFAULT 0
#define SCENARIO_ORIGIN_SET     (-1) /* command-line override; > 0 is a line number */

struct chunksim_scenario_record {
    char *text; /* file verbatim + "; --set" lines, NUL-terminated */
    size_t text_bytes;
    char *source; /* the path or name messages cite */
    int *origin;  /* per key in chunksim__scenario_keys[] */
};

struct scenario_key;
typedef int (*scenario_apply_fn)(chunksim_scenario_t *sc, const struct scenario_key *key,
                                 const char *value, const struct scenario_env *env, char *why,
                                 size_t whylen);

enum scenario_key_type {
    SCENARIO_KT_U32 = 0,
    SCENARIO_KT_U64,
    SCENARIO_KT_DOUBLE,
    SCENARIO_KT_BOOL,
    SCENARIO_KT_WORD,   /* one of words[], stored as an int-sized enum */
    SCENARIO_KT_STRING, /* char array of capacity bytes */
    SCENARIO_KT_CUSTOM  /* apply() does it all */
};

struct scenario_key {
    const char *section;
    const char *name;
    enum scenario_key_type type;
    size_t offset; /* into chunksim_scenario_t */
    enum scenario_unit unit;
    uint64_t min, max; /* integers, inclusive */
    uint64_t step;     /* integers: the value must be a multiple of it (0: any) */
    bool pow2;         /* integers: a power of two */
    bool never;        /* U64: "never" means CHUNKSIM_SCENARIO_NEVER */
    double dmin, dmax; /* doubles: dmin <= v, v <= dmax or v < dmax with dmax_open */
    bool dmax_open;
    const char *const *words; /* WORD: NULL-terminated, index is the enum value */
    size_t capacity;          /* STRING */
    bool repeats;             /* may appear on many lines ([faults] fault) */
    scenario_apply_fn apply;  /* CUSTOM */
};

extern const struct scenario_key chunksim__scenario_keys[];
extern const size_t chunksim__scenario_key_count;
extern const char *const chunksim__scenario_sections[]; /* NULL-terminated */

/* Index into chunksim__scenario_keys[] or -1. */
int chunksim__scenario_key_index(const char *section, const char *name);
bool chunksim__scenario_section_known(const char *section);
/* "kind, att_mtu, ..." for messages. */
void chunksim__scenario_section_keys(const char *section, char *buf, size_t len);
/* Parses and stores one value; on error writes why and changes nothing. */
int chunksim__scenario_key_apply(chunksim_scenario_t *sc, int index, const char *value,
                                 const struct scenario_env *env, char *why, size_t whylen);
/* The field's current value as a file would spell it (numbers, keywords). */
void chunksim__scenario_key_format(const chunksim_scenario_t *sc, int index, char *buf, size_t len);

/* scenario.c: the record and derived defaults, for validation. */
int chunksim__scenario_origin(const chunksim_scenario_t *sc, int index);
const char *chunksim__scenario_source(const chunksim_scenario_t *sc);
/* "x.ini:12: [link] att_mtu = 7", "--set link.att_mtu=7" or "x.ini: [link] att_mtu = 23 (default)"
 */
void chunksim__scenario_key_where(const chunksim_scenario_t *sc, int index, char *buf, size_t len);
uint32_t chunksim__scenario_ble_max_chunk_bytes(uint32_t att_mtu);
uint32_t chunksim__scenario_default_chunk_bytes(const chunksim_scenario_t *sc);

/* scenario_part.c: [flash] part and the part table (flashmodel/part.h). */
struct flashmodel_part_info;
/* The scenario's part row (the default part when none is named). */
const struct flashmodel_part_info *chunksim__scenario_part(const chunksim_scenario_t *sc);
/* Every [flash] datasheet key not given takes the part's value (the read
 * command's clock and dummy cycles included). */
void chunksim__scenario_part_fill(chunksim_scenario_t *sc);
/* The part the model runs: the scenario's row with the scenario's [flash]
 * datasheet keys in place of the row's figures (the keys default to the row's). */
void chunksim__scenario_part_resolve(const chunksim_scenario_t *sc, struct flashmodel_part *p);
/* "w25q128jv, mx25r6435f_hp, ..." for messages. */
void chunksim__scenario_part_names(char *buf, size_t len);
int chunksim__scenario_apply_part(chunksim_scenario_t *sc, const struct scenario_key *key,
                                  const char *value, const struct scenario_env *env, char *why,
                                  size_t whylen);

/* Results of chunksim__scenario_parse_scaled(). */
#define SCENARIO_NUM_OK       0
#define SCENARIO_NUM_SYNTAX   (-1) /* not a number, or an unknown suffix */
#define SCENARIO_NUM_FRACTION (-2) /* not a whole number of base units */
#define SCENARIO_NUM_OVERFLOW (-3)

/* "123", "0x7B", "64KiB", "7.5ms", "133MHz" in base units of unit. */
int chunksim__scenario_parse_scaled(const char *s, enum scenario_unit unit, uint64_t *out);
/* The suffixes unit accepts, for messages ("K, KiB, M, MiB"). */
const char *chunksim__scenario_unit_suffixes(enum scenario_unit unit);
/* A finite decimal number, the whole string. */
int chunksim__scenario_parse_double(const char *s, double *out);
int chunksim__scenario_parse_bool(const char *s, bool *out);
/*
 * Text that ends up in JSON, HTML and traces: the offset of the first byte
 * that does not begin well-formed UTF-8 (no overlong forms, surrogates or
 * code points above U+10FFFF), or -1 when all of s is UTF-8; *control tells
 * whether it holds a C0 or C1 control character or DEL.
 */
long chunksim__scenario_text_check(const char *s, bool *control);
/* Index of s in words (case-insensitive), or -1. */
int chunksim__scenario_parse_word(const char *s, const char *const *words);
/* "a, b or c" */
void chunksim__scenario_words_join(const char *const *words, char *buf, size_t len);

/* read_latency etc.; trace files are read and checked here. */
int chunksim__scenario_parse_latency(const char *s, const char *base_dir, chunksim_latency_t *out,
                                     char *why, size_t whylen);
/* A CSV of latencies in microseconds; messages name path and line. */
int chunksim__scenario_trace_load(const char *path, double **latency_us, size_t *count, char *why,
                                  size_t whylen);
void chunksim__scenario_latency_free(chunksim_latency_t *lat);
int chunksim__scenario_latency_copy(chunksim_latency_t *dst, const chunksim_latency_t *src);

/*
 * The chunksim_op_filter_t bits of the operations a fault kind can happen to
 * (0 for no kind); a flash trace's faults are held to the same table.
 */
unsigned chunksim__scenario_fault_ops(chunksim_fault_kind_t kind);

/* "KIND [trigger] [on=...] [params]" */
int chunksim__scenario_parse_fault(const char *s, chunksim_fault_rule_t *out, char *why,
                                   size_t whylen);

/* The whole file, NUL-terminated (not counted in *bytes); -errno. */
int chunksim__scenario_file_read(const char *path, char **data, size_t *bytes);
/*
 * The same for a file a scenario names (coredump payload, latency trace): a
 * regular file of at most max_bytes, checked before anything is read, so
 * that a device cannot fill memory nor a FIFO block the load. On error why
 * says what was wrong ("x is a FIFO, not a regular file", "x: N bytes, more
 * than max_what (M)", "cannot read x: ...").
 */
int chunksim__scenario_regular_file_read(const char *path, uint64_t max_bytes, const char *max_what,
                                         char **data, size_t *bytes, char *why, size_t whylen);
/* base_dir/rel, or rel when it is absolute or base_dir is NULL; malloc'd. */
char *chunksim__scenario_path_join(const char *base_dir, const char *rel);

/* snprintf that never fails the caller (truncates). */
void chunksim__scenario_format(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
