#include "flashmodel/error.h"

#include <stddef.h>

/* One row per code: both lookups read the same list. */
static const struct {
    int code;
    const char *name, *text;
} errors[] = {{FLASHMODEL_OK, "OK", "ok"},
#define FLASHMODEL_ERRNO_ROW_(name, value, text) {FLASHMODEL_E_##name, #name, text},
              FLASHMODEL_ERRNO_MAP(FLASHMODEL_ERRNO_ROW_)
#undef FLASHMODEL_ERRNO_ROW_
};

static size_t error_row(int err)
{
    size_t i = 0;
    while (i < sizeof(errors) / sizeof(errors[0]) && errors[i].code != err) {
        i++;
    }
    return i;
}

const char *flashmodel_strerror(int err)
{
    size_t i = error_row(err);
    return i < sizeof(errors) / sizeof(errors[0]) ? errors[i].text : "unknown error";
}

const char *flashmodel_errname(int err)
{
    size_t i = error_row(err);
    return i < sizeof(errors) / sizeof(errors[0]) ? errors[i].name : "UNKNOWN";
}
