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

/* A [flash] key and the part field it defaults to, both of the same width. */
#define FLASH_FIELD(f) offsetof(chunksim_scenario_t, flash.f)
#define PART_FIELD(f)  offsetof(flashmodel_part_t, f)
static const struct {
    const char *key;
    size_t sc_off, part_off, bytes;
} part_keys[] = {
    {"size_bytes", FLASH_FIELD(size_bytes), PART_FIELD(size_bytes), 4},
    {"page_bytes", FLASH_FIELD(page_bytes), PART_FIELD(page_bytes), 4},
    {"sector_bytes", FLASH_FIELD(sector_bytes), PART_FIELD(sector_bytes), 4},
    {"block_bytes", FLASH_FIELD(block_bytes), PART_FIELD(block_bytes), 4},
    {"page_program_typ_us", FLASH_FIELD(page_program_typ_us), PART_FIELD(tpp_typ_us), 8},
    {"page_program_max_us", FLASH_FIELD(page_program_max_us), PART_FIELD(tpp_max_us), 8},
    {"sector_erase_typ_us", FLASH_FIELD(sector_erase_typ_us), PART_FIELD(tse_typ_us), 8},
    {"sector_erase_max_us", FLASH_FIELD(sector_erase_max_us), PART_FIELD(tse_max_us), 8},
    {"block_erase_typ_us", FLASH_FIELD(block_erase_typ_us), PART_FIELD(tbe_typ_us), 8},
    {"block_erase_max_us", FLASH_FIELD(block_erase_max_us), PART_FIELD(tbe_max_us), 8},
    {"chip_erase_typ_us", FLASH_FIELD(chip_erase_typ_us), PART_FIELD(tce_typ_us), 8},
    {"chip_erase_max_us", FLASH_FIELD(chip_erase_max_us), PART_FIELD(tce_max_us), 8},
    {"endurance_cycles", FLASH_FIELD(endurance_cycles), PART_FIELD(endurance_cycles), 4},
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
