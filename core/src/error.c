#include "chunkcore/error.h"

#include <stdbool.h>

/* The text or the name of a code: one switch serves both lookups. */
static const char *error_field(int err, bool text)
{
    switch (err) {
    case CHUNKCORE_OK:
        return text ? "ok" : "OK";
#define CHUNKCORE_ERRNO_CASE_(name, value, message)                                                \
    case CHUNKCORE_E_##name:                                                                       \
        return text ? message : #name;
        CHUNKCORE_ERRNO_MAP(CHUNKCORE_ERRNO_CASE_)
#undef CHUNKCORE_ERRNO_CASE_
    default:
        return text ? "unknown error" : "UNKNOWN";
    }
}

const char *chunkcore_strerror(int err)
{
    return error_field(err, true);
}

const char *chunkcore_errname(int err)
{
    return error_field(err, false);
}
