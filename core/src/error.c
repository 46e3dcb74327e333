#include "chunkcore/error.h"

/* Two switches on purpose: one switch or one table serving both lookups is
 * 84 to 124 bytes larger at -Os on Cortex-M4. */
const char *chunkcore_strerror(int err)
{
    switch (err) {
    case CHUNKCORE_OK:
        return "ok";
#define CHUNKCORE_ERRNO_TEXT_(name, value, text)                                                   \
    case CHUNKCORE_E_##name:                                                                       \
        return text;
        CHUNKCORE_ERRNO_MAP(CHUNKCORE_ERRNO_TEXT_)
#undef CHUNKCORE_ERRNO_TEXT_
    default:
        return "unknown error";
    }
}

const char *chunkcore_errname(int err)
{
    switch (err) {
    case CHUNKCORE_OK:
        return "OK";
#define CHUNKCORE_ERRNO_NAME_(name, value, text)                                                   \
    case CHUNKCORE_E_##name:                                                                       \
        return #name;
        CHUNKCORE_ERRNO_MAP(CHUNKCORE_ERRNO_NAME_)
#undef CHUNKCORE_ERRNO_NAME_
    default:
        return "UNKNOWN";
    }
}
