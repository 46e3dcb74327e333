#define _GNU_SOURCE /* strerrorname_np */
#include "chunksim/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>

#include "chunkcore/error.h"
#include "flashmodel/error.h"

/* libuv's own codes (UV_EOF, UV_EAI_*, ...) sit below every errno value on Unix. */
#define ERROR_UV_OWN_MAX  (-3000)
#define ERROR_UV_MIN      (-4095)
#define ERROR_ORIGIN_SPAN 1000
#define ERROR_NAME_BYTES  48

typedef enum error_origin {
    ERROR_NONE,
    ERROR_OWN,
    ERROR_CORE,
    ERROR_FLASH,
    ERROR_ERRNO,
    ERROR_LIBUV,
} error_origin_t;

static error_origin_t error_origin(int err)
{
    if (err >= 0) {
        return ERROR_NONE;
    }
    if (err > ERROR_UV_OWN_MAX) {
        return ERROR_ERRNO;
    }
    if (err >= ERROR_UV_MIN) {
        return ERROR_LIBUV;
    }
    if (err < CHUNKSIM_E_CORE_BASE && err > CHUNKSIM_E_CORE_BASE - ERROR_ORIGIN_SPAN) {
        return ERROR_CORE;
    }
    if (err < CHUNKSIM_E_FLASH_BASE && err > CHUNKSIM_E_FLASH_BASE - ERROR_ORIGIN_SPAN) {
        return ERROR_FLASH;
    }
    return ERROR_OWN;
}

int chunksim_err_core(int core_rc)
{
    return core_rc < 0 && core_rc > -ERROR_ORIGIN_SPAN ? CHUNKSIM_E_CORE_BASE + core_rc : core_rc;
}

int chunksim_err_flash(int flash_rc)
{
    return flash_rc < 0 && flash_rc > -ERROR_ORIGIN_SPAN ? CHUNKSIM_E_FLASH_BASE + flash_rc
                                                         : flash_rc;
}

static const char *error_own_text(int err)
{
    switch (err) {
#define CHUNKSIM_ERRNO_TEXT_(name, value, text)                                                    \
    case CHUNKSIM_E_##name:                                                                        \
        return text;
        CHUNKSIM_ERRNO_MAP(CHUNKSIM_ERRNO_TEXT_)
#undef CHUNKSIM_ERRNO_TEXT_
    default:
        return NULL;
    }
}

static const char *error_own_name(int err)
{
    switch (err) {
#define CHUNKSIM_ERRNO_NAME_(name, value, text)                                                    \
    case CHUNKSIM_E_##name:                                                                        \
        return #name;
        CHUNKSIM_ERRNO_MAP(CHUNKSIM_ERRNO_NAME_)
#undef CHUNKSIM_ERRNO_NAME_
    default:
        return NULL;
    }
}

const char *chunksim_strerror(int err)
{
    const char *own;
    switch (error_origin(err)) {
    case ERROR_NONE:
        return "ok";
    case ERROR_CORE:
        return chunkcore_strerror(err - CHUNKSIM_E_CORE_BASE);
    case ERROR_FLASH:
        return flashmodel_strerror(err - CHUNKSIM_E_FLASH_BASE);
    case ERROR_ERRNO:
        return strerror(-err);
    case ERROR_LIBUV:
        return uv_strerror(err);
    case ERROR_OWN:
        own = error_own_text(err);
        return own != NULL ? own : "unknown error";
    }
    return "unknown error";
}

const char *chunksim_errname(int err)
{
    /* Per thread: the name is formatted for the errno and libuv ranges. */
    static _Thread_local char buf[ERROR_NAME_BYTES];
    const char *own, *sys;
    switch (error_origin(err)) {
    case ERROR_NONE:
        return "OK";
    case ERROR_CORE:
        snprintf(buf, sizeof buf, "core %s", chunkcore_errname(err - CHUNKSIM_E_CORE_BASE));
        return buf;
    case ERROR_FLASH:
        snprintf(buf, sizeof buf, "flash %s", flashmodel_errname(err - CHUNKSIM_E_FLASH_BASE));
        return buf;
    case ERROR_ERRNO:
        sys = strerrorname_np(-err);
        snprintf(buf, sizeof buf, "errno %s", sys != NULL ? sys : "unknown");
        return buf;
    case ERROR_LIBUV:
        snprintf(buf, sizeof buf, "libuv %s", uv_err_name_r(err, (char[32]){0}, 32));
        return buf;
    case ERROR_OWN:
        own = error_own_name(err);
        return own != NULL ? own : "UNKNOWN";
    }
    return "UNKNOWN";
}

int chunksim_err_format(int code, char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}
