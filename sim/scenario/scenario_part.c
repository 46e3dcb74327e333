/*
 * [flash] part: the scenario's datasheet keys take their defaults from one
 * row of the flash model's part table (flashmodel/part.h), so a figure is
 * written once, in that table. A key the file or an override gives keeps
 * its value whatever the part, and wherever it stands relative to part =.
 */
#include "scenario_internal.h"

#include "flashmodel/part.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

const flashmodel_part_info_t *chunksim__scenario_part(const chunksim_scenario_t *sc)
{
    const flashmodel_part_info_t *row = flashmodel_part_find(sc->flash.part);
    return row != NULL ? row : flashmodel_part_at(0);
}

void chunksim__scenario_part_names(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < flashmodel_part_count() && used < len; i++) {
        const char *sep = i == 0 ? "" : ", ";
        chunksim__scenario_format(buf + used, len - used, "%s%s", sep, flashmodel_part_at(i)->name);
        used += strlen(buf + used);
    }
}

int chunksim__scenario_apply_part(chunksim_scenario_t *sc, const struct scenario_key *key,
                                  const char *value, const struct scenario_env *env, char *why,
                                  size_t whylen)
{
    (void)key;
    (void)env;
    char names[400];
    if (flashmodel_part_find(value) == NULL) {
        chunksim__scenario_part_names(names, sizeof names);
        chunksim__scenario_format(why, whylen, "unknown part; known parts are %s", names);
        return -EINVAL;
    }
    chunksim__scenario_format(sc->flash.part, sizeof sc->flash.part, "%s", value);
    return 0;
}

static bool given(const chunksim_scenario_t *sc, const char *name)
{
    return chunksim__scenario_origin(sc, chunksim__scenario_key_index("flash", name)) !=
           SCENARIO_ORIGIN_DEFAULT;
}

/*
 * A [flash] key, named as its scenario field, and the part field it defaults
 * to, copied by memcpy(): their width, checked to be the same at compile time.
 */
#define WIDTH(type, f) sizeof(((type *)0)->f)
#define SAME_WIDTH(sc_field, part_field)                                                           \
    (WIDTH(flashmodel_part_t, part_field) +                                                        \
     0 * sizeof(struct {                                                                           \
         _Static_assert(WIDTH(chunksim_scenario_t, sc_field) ==                                    \
                            WIDTH(flashmodel_part_t, part_field),                                  \
                        "a [flash] key and its part field are of the same width");                 \
         char c;                                                                                   \
     }))
#define PART_KEY(name, part_field)                                                                 \
    {                                                                                              \
#name, offsetof(chunksim_scenario_t, flash.name), offsetof(flashmodel_part_t, part_field), \
            SAME_WIDTH(flash.name, part_field)                                                     \
    }
static const struct {
    const char *key;
    size_t sc_off, part_off, bytes;
} part_keys[] = {
    PART_KEY(size_bytes, size_bytes),
    PART_KEY(page_bytes, page_bytes),
    PART_KEY(sector_bytes, sector_bytes),
    PART_KEY(block_bytes, block_bytes),
    PART_KEY(page_program_typ_us, tpp_typ_us),
    PART_KEY(page_program_max_us, tpp_max_us),
    PART_KEY(sector_erase_typ_us, tse_typ_us),
    PART_KEY(sector_erase_max_us, tse_max_us),
    PART_KEY(block_erase_typ_us, tbe_typ_us),
    PART_KEY(block_erase_max_us, tbe_max_us),
    PART_KEY(chip_erase_typ_us, tce_typ_us),
    PART_KEY(chip_erase_max_us, tce_max_us),
    PART_KEY(endurance_cycles, endurance_cycles),
};

/* The read command's clock and dummy cycles: 03h has none, fast reads on 1, 2 or 4 lines. */
static void fill_read(chunksim_scenario_t *sc, const flashmodel_part_t *p)
{
    bool fast = sc->flash.read_command == CHUNKSIM_READ_CMD_FAST;
    if (!given(sc, "bus_clock_hz"))
        sc->flash.bus_clock_hz = fast ? p->fast_clock_hz : p->read_clock_hz;
    flashmodel_read_mode_t mode = !fast                       ? FLASHMODEL_READ_SINGLE
                                  : sc->flash.data_lines == 4 ? FLASHMODEL_READ_QUAD_OUT
                                  : sc->flash.data_lines == 2 ? FLASHMODEL_READ_DUAL_OUT
                                                              : FLASHMODEL_READ_FAST;
    if (!given(sc, "dummy_cycles"))
        sc->flash.dummy_cycles = p->dummy_cycles[mode];
}

void chunksim__scenario_part_fill(chunksim_scenario_t *sc)
{
    const flashmodel_part_t *p = &chunksim__scenario_part(sc)->part;
    for (size_t i = 0; i < sizeof part_keys / sizeof part_keys[0]; i++) {
        if (!given(sc, part_keys[i].key))
            memcpy((char *)sc + part_keys[i].sc_off, (const char *)p + part_keys[i].part_off,
                   part_keys[i].bytes);
    }
    fill_read(sc, p);
}

void chunksim__scenario_part_resolve(const chunksim_scenario_t *sc, flashmodel_part_t *p)
{
    *p = chunksim__scenario_part(sc)->part;
    for (size_t i = 0; i < sizeof part_keys / sizeof part_keys[0]; i++)
        memcpy((char *)p + part_keys[i].part_off, (const char *)sc + part_keys[i].sc_off,
               part_keys[i].bytes);
}

_Static_assert(sizeof(((chunksim_scenario_t *)0)->flash.size_bytes) == 4, "u32 keys");
_Static_assert(sizeof(((flashmodel_part_t *)0)->tpp_typ_us) == 8 &&
                   sizeof(((chunksim_scenario_t *)0)->flash.page_program_typ_us) == 8,
               "u64 keys");
