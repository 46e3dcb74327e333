/*
 * Linked into every firmware object (chunksim/firmware.h): the version of
 * the SDK the object was built from, as that SDK's memfault/version.h
 * states it, so that a run's record can say which packetizer ran.
 */
#include "chunksim/firmware.h"

#include "memfault/version.h"

#include <stdio.h>

const char *chunksim_firmware_sdk_version(void)
{
    static char text[16];
    const sMfltSdkVersion v = MEMFAULT_SDK_VERSION;
    snprintf(text, sizeof(text), "%u.%u.%u", (unsigned)v.major, (unsigned)v.minor,
             (unsigned)v.patch);
    return text;
}
