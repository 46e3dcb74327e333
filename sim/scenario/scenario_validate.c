/*
 * Rules between keys, checked once all keys and overrides are in: derived
 * defaults first (they depend on other keys), then geometry, timing, the
 * coredump partition, the reader window, the link chunk, and fault ranges.
 * Each message blames the key a user would most likely change.
 */
#include "scenario_internal.h"

#include "chunksim/image.h"
#include "flashmodel/part.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 5, 6))) static int fail_at(const chunksim_scenario_t *sc,
                                                         const char *key, char *err, size_t errlen,
                                                         const char *fmt, ...)
{
    char section[16], where[700], msg[SCENARIO_WHY_BYTES];
    const char *dot = strchr(key, '.');
    snprintf(section, sizeof section, "%.*s", (int)(dot - key), key);
    chunksim__scenario_key_where(sc, chunksim__scenario_key_index(section, dot + 1), where,
                                 sizeof where);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    chunksim__scenario_format(err, errlen, "%s: %s", where, msg);
    return -EINVAL;
}

/*
 * Where a second key of a rule got its value: "(line 5)", "(--set link.att_mtu=64)"
 * or "(default)", so that a message blaming one key also shows which override,
 * if any, set the other. Returns buf.
 */
static const char *origin_of(const chunksim_scenario_t *sc, const char *key, char *buf, size_t len)
{
    char section[16], value[160];
    const char *dot = strchr(key, '.');
    snprintf(section, sizeof section, "%.*s", (int)(dot - key), key);
    int index = chunksim__scenario_key_index(section, dot + 1);
    int origin = chunksim__scenario_origin(sc, index);
    chunksim__scenario_key_format(sc, index, value, sizeof value);
    if (origin > 0)
        chunksim__scenario_format(buf, len, "(line %d)", origin);
    else if (origin == SCENARIO_ORIGIN_SET)
        chunksim__scenario_format(buf, len, "(--set %s=%s)", key, value);
    else
        chunksim__scenario_format(buf, len, "(default)");
    return buf;
}

/* An origin_of() buffer: a --set value is at most a line long. */
#define ORIGIN_BYTES 200

static bool given(const chunksim_scenario_t *sc, const char *section, const char *name)
{
    return chunksim__scenario_origin(sc, chunksim__scenario_key_index(section, name)) !=
           SCENARIO_ORIGIN_DEFAULT;
}

static void derive_defaults(chunksim_scenario_t *sc)
{
    chunksim__scenario_part_fill(sc);
    if (!given(sc, "link", "chunk_bytes"))
        sc->link.chunk_bytes = chunksim__scenario_default_chunk_bytes(sc);
    if (sc->coredump.content == CHUNKSIM_IMAGE_FILE && sc->coredump.file_path != NULL &&
        !given(sc, "coredump", "size_bytes"))
        sc->coredump.size_bytes =
            (uint32_t)(sc->coredump.file_bytes + SCENARIO_COREDUMP_FRAME_BYTES);
    if (!given(sc, "coredump", "storage_bytes")) {
        uint64_t sector = sc->flash.sector_bytes;
        sc->coredump.storage_bytes =
            (uint32_t)((sc->coredump.size_bytes + sector - 1) / sector * sector);
    }
}

static int check_geometry(const chunksim_scenario_t *sc, char *err, size_t errlen)
{
    const typeof(sc->flash) *f = &sc->flash;
    char o[ORIGIN_BYTES];
    if (f->sector_bytes < f->page_bytes)
        return fail_at(sc, "flash.sector_bytes", err, errlen,
                       "must be at least [flash] page_bytes = %" PRIu32 " %s", f->page_bytes,
                       origin_of(sc, "flash.page_bytes", o, sizeof o));
    if (f->block_bytes < f->sector_bytes)
        return fail_at(sc, "flash.block_bytes", err, errlen,
                       "must be at least [flash] sector_bytes = %" PRIu32 " %s", f->sector_bytes,
                       origin_of(sc, "flash.sector_bytes", o, sizeof o));
    if (f->size_bytes % f->block_bytes != 0)
        return fail_at(sc, "flash.size_bytes", err, errlen,
                       "must be a multiple of [flash] block_bytes = %" PRIu32 " %s", f->block_bytes,
                       origin_of(sc, "flash.block_bytes", o, sizeof o));
    return 0;
}

static int check_timing(const chunksim_scenario_t *sc, char *err, size_t errlen)
{
    const typeof(sc->flash) *f = &sc->flash;
    const struct {
        const char *typ_key, *max_key;
        uint64_t typ, max;
    } pairs[] = {
        {"flash.page_program_typ_us", "flash.page_program_max_us", f->page_program_typ_us,
         f->page_program_max_us},
        {"flash.sector_erase_typ_us", "flash.sector_erase_max_us", f->sector_erase_typ_us,
         f->sector_erase_max_us},
        {"flash.block_erase_typ_us", "flash.block_erase_max_us", f->block_erase_typ_us,
         f->block_erase_max_us},
        {"flash.chip_erase_typ_us", "flash.chip_erase_max_us", f->chip_erase_typ_us,
         f->chip_erase_max_us},
    };
    char o[ORIGIN_BYTES];
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        if (pairs[i].typ > pairs[i].max)
            return fail_at(sc, pairs[i].typ_key, err, errlen,
                           "must not exceed [flash] %s = %" PRIu64 " %s",
                           strchr(pairs[i].max_key, '.') + 1, pairs[i].max,
                           origin_of(sc, pairs[i].max_key, o, sizeof o));
    }
    return 0;
}

static int check_flash(const chunksim_scenario_t *sc, char *err, size_t errlen)
{
    const typeof(sc->flash) *f = &sc->flash;
    int rc = check_geometry(sc, err, errlen);
    if (rc == 0)
        rc = check_timing(sc, err, errlen);
    if (rc < 0)
        return rc;
    if (f->read_command == CHUNKSIM_READ_CMD_READ && f->data_lines != 1)
        return fail_at(sc, "flash.data_lines", err, errlen,
                       "the 03h read command uses one data line; set read_command = fast for 2 "
                       "or 4");
    if (f->read_command == CHUNKSIM_READ_CMD_READ && f->dummy_cycles != 0)
        return fail_at(sc, "flash.dummy_cycles", err, errlen,
                       "the 03h read command has no dummy cycles; set read_command = fast");
    char o[ORIGIN_BYTES];
    if (f->busy_policy == FLASHMODEL_BUSY_SUSPEND && !chunksim__scenario_part(sc)->part.suspend)
        return fail_at(sc, "flash.busy_policy", err, errlen,
                       "[flash] part = %s %s cannot suspend a program or erase; use queue or "
                       "reject",
                       f->part, origin_of(sc, "flash.part", o, sizeof o));
    if (f->initial_wear_cycles > f->endurance_cycles)
        return fail_at(sc, "flash.initial_wear_cycles", err, errlen,
                       "must not exceed [flash] endurance_cycles = %" PRIu32
                       " %s (worn-out sectors: use a wear_out fault)",
                       f->endurance_cycles, origin_of(sc, "flash.endurance_cycles", o, sizeof o));
    return 0;
}

static int check_partition(const chunksim_scenario_t *sc, char *err, size_t errlen)
{
    const typeof(sc->coredump) *c = &sc->coredump;
    uint32_t sector = sc->flash.sector_bytes;
    char o[ORIGIN_BYTES];
    if (c->storage_bytes < c->size_bytes)
        return fail_at(sc, "coredump.storage_bytes", err, errlen,
                       "must be at least [coredump] size_bytes = %" PRIu32 " %s", c->size_bytes,
                       origin_of(sc, "coredump.size_bytes", o, sizeof o));
    if (c->storage_bytes % sector != 0)
        return fail_at(sc, "coredump.storage_bytes", err, errlen,
                       "must be a multiple of [flash] sector_bytes = %" PRIu32 " %s", sector,
                       origin_of(sc, "flash.sector_bytes", o, sizeof o));
    if (c->storage_offset_bytes % sector != 0)
        return fail_at(sc, "coredump.storage_offset_bytes", err, errlen,
                       "must be a multiple of [flash] sector_bytes = %" PRIu32 " %s", sector,
                       origin_of(sc, "flash.sector_bytes", o, sizeof o));
    uint64_t end = (uint64_t)c->storage_offset_bytes + c->storage_bytes;
    if (end > sc->flash.size_bytes) {
        const char *blame = given(sc, "coredump", "storage_offset_bytes")
                                ? "coredump.storage_offset_bytes"
                            : given(sc, "coredump", "storage_bytes") ? "coredump.storage_bytes"
                                                                     : "coredump.size_bytes";
        return fail_at(sc, blame, err, errlen,
                       "the coredump partition [%" PRIu32 ", %" PRIu64
                       ") ends beyond the flash ([flash] size_bytes = %" PRIu32 " %s)",
                       c->storage_offset_bytes, end, sc->flash.size_bytes,
                       origin_of(sc, "flash.size_bytes", o, sizeof o));
    }
    return 0;
}

static int check_coredump(const chunksim_scenario_t *sc, char *err, size_t errlen)
{
    const typeof(sc->coredump) *c = &sc->coredump;
    /* Drawn or repeated bytes live in a memory-region block (image.h); a file's
     * bytes are the body as they are, so only a file makes a smaller image. */
    if (c->content != CHUNKSIM_IMAGE_FILE && c->size_bytes < CHUNKSIM_IMAGE_MIN_BYTES)
        return fail_at(sc, "coredump.size_bytes", err, errlen,
                       "with content = %s the image is at least %u bytes (12-byte header, "
                       "12-byte memory-region block header, 16-byte footer); %u to %u only as a "
                       "file's size + %u with content = file",
                       c->content == CHUNKSIM_IMAGE_PATTERN ? "pattern"
                       : c->content == CHUNKSIM_IMAGE_RAM   ? "ram"
                                                            : "random",
                       CHUNKSIM_IMAGE_MIN_BYTES, (unsigned)SCENARIO_COREDUMP_FRAME_BYTES,
                       CHUNKSIM_IMAGE_MIN_BYTES - 1, (unsigned)SCENARIO_COREDUMP_FRAME_BYTES);
    if (c->content == CHUNKSIM_IMAGE_FILE) {
        if (c->file_path == NULL)
            return fail_at(sc, "coredump.content", err, errlen, "needs [coredump] file = PATH");
        uint64_t want = (uint64_t)c->file_bytes + SCENARIO_COREDUMP_FRAME_BYTES;
        if (c->size_bytes != want)
            return fail_at(sc, "coredump.size_bytes", err, errlen,
                           "must be %" PRIu64 " (the %zu bytes of %s plus the %u-byte header and "
                           "footer), or left out",
                           want, c->file_bytes, c->file_path,
                           (unsigned)SCENARIO_COREDUMP_FRAME_BYTES);
    }
    return check_partition(sc, err, errlen);
}

static int check_reader(const chunksim_scenario_t *sc, char *err, size_t errlen)
{
    uint32_t w = sc->reader.window_bytes;
    if (sc->reader.kind == CHUNKSIM_READER_DOUBLE &&
        (w % 2 != 0 || w < 2 * CHUNKCORE_ASYNC_MIN_WINDOW_BYTES))
        return fail_at(sc, "reader.window_bytes", err, errlen,
                       "with kind = double the window is split in two: must be even and at "
                       "least %u",
                       2 * CHUNKCORE_ASYNC_MIN_WINDOW_BYTES);
    return 0;
}

static int check_link(const chunksim_scenario_t *sc, char *err, size_t errlen)
{
    uint32_t mtu = sc->link.att_mtu, max = chunksim__scenario_ble_max_chunk_bytes(mtu);
    char o[ORIGIN_BYTES];
    if (sc->link.kind != CHUNKSIM_LINK_BLE || sc->link.chunk_bytes <= max)
        return 0;
    origin_of(sc, "link.att_mtu", o, sizeof o);
    if (max == mtu - 3)
        return fail_at(sc, "link.chunk_bytes", err, errlen,
                       "with kind = ble a chunk is one notification: at most [link] att_mtu - 3 "
                       "= %" PRIu32 " %s",
                       max, o);
    return fail_at(sc, "link.chunk_bytes", err, errlen,
                   "with kind = ble a chunk is one notification: at most %" PRIu32
                   " bytes, the longest attribute value ([link] att_mtu = %" PRIu32 " %s)",
                   max, mtu, o);
}

static int check_faults(const chunksim_scenario_t *sc, char *err, size_t errlen)
{
    for (size_t i = 0; i < sc->faults.count; i++) {
        const chunksim_fault_rule_t *r = &sc->faults.rules[i];
        if (r->trigger != CHUNKSIM_TRIGGER_ADDR || r->addr_last < sc->flash.size_bytes)
            continue;
        char where[300];
        if (r->line > 0)
            chunksim__scenario_format(where, sizeof where, "%s:%" PRIu32 ": [faults] fault = %s",
                                      chunksim__scenario_source(sc), r->line,
                                      chunksim_fault_kind_name(r->kind));
        else
            chunksim__scenario_format(where, sizeof where, "--set faults.fault=%s",
                                      chunksim_fault_kind_name(r->kind));
        chunksim__scenario_format(err, errlen,
                                  "%s: addr=0x%" PRIx32 "-0x%" PRIx32
                                  " reaches beyond the flash ([flash] size_bytes = %" PRIu32 ")",
                                  where, r->addr_first, r->addr_last, sc->flash.size_bytes);
        return -EINVAL;
    }
    return 0;
}

int chunksim_scenario_validate(chunksim_scenario_t *sc, char *err, size_t errlen)
{
    derive_defaults(sc);
    int rc = check_flash(sc, err, errlen);
    if (rc == 0)
        rc = check_coredump(sc, err, errlen);
    if (rc == 0)
        rc = check_reader(sc, err, errlen);
    if (rc == 0)
        rc = check_link(sc, err, errlen);
    if (rc == 0)
        rc = check_faults(sc, err, errlen);
    return rc;
}
