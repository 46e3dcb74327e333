/* Name <-> enum lookups shared by the modules (private). */
#ifndef FLASHMODEL_NAMES_H
#define FLASHMODEL_NAMES_H

#include "flashmodel/error.h"

#include <stddef.h>
#include <string.h>

static inline const char *flashmodel__name_of(const char *const *names, size_t count, int value)
{
    if (value < 0 || (size_t)value >= count) {
        return "?";
    }
    return names[value];
}

static inline int flashmodel__name_find(const char *const *names, size_t count, const char *name)
{
    if (name == NULL) {
        return FLASHMODEL_E_INVAL;
    }
    for (size_t i = 0; i < count; i++) {
        if (strcmp(names[i], name) == 0) {
            return (int)i;
        }
    }
    return FLASHMODEL_E_INVAL;
}

#define FM_NAME_STRING_(name, text) text,

/* An enum's public pair of lookups over its name list: name_fn(value) and from_fn(name). */
#define FLASHMODEL__NAME_LOOKUPS(type, name_fn, from_fn, names, count)                             \
    const char *name_fn(type value)                                                                \
    {                                                                                              \
        return flashmodel__name_of(names, count, (int)value);                                      \
    }                                                                                              \
    int from_fn(const char *name)                                                                  \
    {                                                                                              \
        return flashmodel__name_find(names, count, name);                                          \
    }

#endif
