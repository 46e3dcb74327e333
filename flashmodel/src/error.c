#include "flashmodel/error.h"

const char *flashmodel_strerror(int err)
{
    switch (err) {
    case FLASHMODEL_OK:
        return "ok";
#define FLASHMODEL_ERRNO_TEXT_(name, value, text)                                                  \
    case FLASHMODEL_E_##name:                                                                      \
        return text;
        FLASHMODEL_ERRNO_MAP(FLASHMODEL_ERRNO_TEXT_)
#undef FLASHMODEL_ERRNO_TEXT_
    default:
        return "unknown error";
    }
}

const char *flashmodel_errname(int err)
{
    switch (err) {
    case FLASHMODEL_OK:
        return "OK";
#define FLASHMODEL_ERRNO_NAME_(name, value, text)                                                  \
    case FLASHMODEL_E_##name:                                                                      \
        return #name;
        FLASHMODEL_ERRNO_MAP(FLASHMODEL_ERRNO_NAME_)
#undef FLASHMODEL_ERRNO_NAME_
    default:
        return "UNKNOWN";
    }
}
