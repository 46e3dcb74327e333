/*
 * Linked into every firmware object (chunksim/firmware.h): the --wrap side
 * of the platform functions the packetizer's coredump source calls. Each
 * wrapper tells chunksim's hooks about the call, calls the port's real
 * function, and tells them what it returned. Plain C types only: the
 * storage info is passed through as the pointer it is.
 */
#include "chunksim/firmware.h"

#include <stddef.h>

void __real_memfault_platform_coredump_storage_get_info(void *info);
bool __real_memfault_platform_coredump_storage_read(uint32_t offset, void *data, size_t len);
void __real_memfault_platform_coredump_storage_clear(void);
/* Weak: a port without its own memfault_coredump_read has the SDK's default. */
bool __real_memfault_coredump_read(uint32_t offset, void *data, size_t len) __attribute__((weak));
/* The SDK's default, renamed by interpose.sh (absent if the SDK file had none). */
bool chunksim_sdk_coredump_read_default(uint32_t offset, void *data, size_t len)
    __attribute__((weak));

void __wrap_memfault_platform_coredump_storage_get_info(void *info);
bool __wrap_memfault_platform_coredump_storage_read(uint32_t offset, void *data, size_t len);
void __wrap_memfault_platform_coredump_storage_clear(void);
bool __wrap_memfault_coredump_read(uint32_t offset, void *data, size_t len);
bool chunksim_sdk_coredump_read(uint32_t offset, void *data, size_t len);

static const chunksim_firmware_hooks_t *s_hooks;
/* Wrapped calls in progress: one inside another is the outer one's doing. */
static unsigned s_depth;

int chunksim_firmware_attach(const chunksim_firmware_hooks_t *hooks)
{
    if (hooks != NULL && hooks->version != CHUNKSIM_FIRMWARE_HOOKS_VERSION) {
        return -1;
    }
    s_hooks = hooks;
    s_depth = 0;
    return 0;
}

static bool shim_enter(chunksim_firmware_fn_t fn, uint32_t offset, size_t len)
{
    bool told = s_hooks != NULL && s_depth == 0;
    s_depth++;
    if (told) {
        s_hooks->enter(s_hooks->ctx, fn, offset, len);
    }
    return told;
}

static void shim_leave(bool told, chunksim_firmware_fn_t fn, uint32_t offset, const void *data,
                       size_t len, bool ok)
{
    s_depth--;
    if (told && s_hooks != NULL) {
        s_hooks->leave(s_hooks->ctx, fn, offset, data, len, ok);
    }
}

void __wrap_memfault_platform_coredump_storage_get_info(void *info)
{
    bool told = shim_enter(CHUNKSIM_FIRMWARE_GET_INFO, 0, 0);
    __real_memfault_platform_coredump_storage_get_info(info);
    shim_leave(told, CHUNKSIM_FIRMWARE_GET_INFO, 0, NULL, 0, true);
}

bool __wrap_memfault_platform_coredump_storage_read(uint32_t offset, void *data, size_t len)
{
    bool told = shim_enter(CHUNKSIM_FIRMWARE_STORAGE_READ, offset, len);
    bool ok = __real_memfault_platform_coredump_storage_read(offset, data, len);
    shim_leave(told, CHUNKSIM_FIRMWARE_STORAGE_READ, offset, data, len, ok);
    return ok;
}

static bool shim_coredump_read(uint32_t offset, void *data, size_t len)
{
    bool told = shim_enter(CHUNKSIM_FIRMWARE_COREDUMP_READ, offset, len);
    bool ok = __real_memfault_coredump_read != NULL
                  ? __real_memfault_coredump_read(offset, data, len)
                  : chunksim_sdk_coredump_read_default(offset, data, len);
    shim_leave(told, CHUNKSIM_FIRMWARE_COREDUMP_READ, offset, data, len, ok);
    return ok;
}

/* A call from another file (-Wl,--wrap). */
bool __wrap_memfault_coredump_read(uint32_t offset, void *data, size_t len)
{
    return shim_coredump_read(offset, data, len);
}

/* A call from inside the SDK's memfault_coredump.c: its data source (interpose.sh). */
bool chunksim_sdk_coredump_read(uint32_t offset, void *data, size_t len)
{
    return shim_coredump_read(offset, data, len);
}

void __wrap_memfault_platform_coredump_storage_clear(void)
{
    bool told = shim_enter(CHUNKSIM_FIRMWARE_CLEAR, 0, 0);
    __real_memfault_platform_coredump_storage_clear();
    shim_leave(told, CHUNKSIM_FIRMWARE_CLEAR, 0, NULL, 0, true);
}
