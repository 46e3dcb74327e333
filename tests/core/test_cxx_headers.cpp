/*
 * C++ application glue links against core/: this translation unit includes
 * every public header of core/, defines the platform functions the SDK-style
 * layer calls (in C++), and drives both APIs. Without extern "C" in the
 * headers those definitions would get C++ linkage and the calls below C++
 * names, and the link against the C library would fail.
 */
#include "chunkcore/async.h"
#include "chunkcore/coredump.h"
#include "chunkcore/crc16.h"
#include "chunkcore/error.h"
#include "chunkcore/packetizer.h"
#include "chunkcore/rle.h"
#include "chunkcore/storage.h"
#include "chunkcore/transport.h"
#include "chunkcore/varint.h"
#include "memfault/core/data_packetizer.h"
#include "memfault/panics/coredump.h"
#include "memfault/panics/platform/coredump.h"
#include "memfault/util/crc16.h"

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace
{

const uint32_t kStorageBytes = 1024;
const uint32_t kImageBytes = 100;
uint8_t g_storage[kStorageBytes];
unsigned g_clears;

void put_le32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        b[i] = static_cast<uint8_t>(v >> (8 * i));
    }
}

} // namespace

void memfault_platform_coredump_storage_get_info(sMfltCoredumpStorageInfo *info)
{
    info->size = kStorageBytes;
    info->sector_size = 256;
}

bool memfault_platform_coredump_storage_read(uint32_t offset, void *data, size_t read_len)
{
    if (offset > kStorageBytes || read_len > kStorageBytes - offset) {
        return false;
    }
    std::memcpy(data, g_storage + offset, read_len);
    return true;
}

void memfault_platform_coredump_storage_clear(void)
{
    g_storage[0] = 0;
    g_clears++;
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);          \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

int main()
{
    CHECK(std::strcmp(chunkcore_errname(CHUNKCORE_E_IO), "IO") == 0);
    CHECK(chunkcore_crc16_update(CHUNKCORE_CRC16_INIT, "123456789", 9) == 0x31C3);
    uint8_t varint[CHUNKCORE_VARINT_MAX_BYTES];
    CHECK(chunkcore_varint_encode(300, varint) == 2);
    chunkcore_async_t a;
    CHECK(chunkcore_async_init(&a, nullptr) == CHUNKCORE_E_INVAL);
    chunkcore_rle_t rle;
    CHECK(chunkcore_rle_init(&rle, nullptr) == CHUNKCORE_E_INVAL);

    /* A 100-byte coredump through the SDK-style names. */
    std::memset(g_storage, 0x5A, sizeof(g_storage));
    put_le32(g_storage, CHUNKCORE_COREDUMP_MAGIC);
    put_le32(g_storage + 4, CHUNKCORE_COREDUMP_VERSION);
    put_le32(g_storage + 8, kImageBytes);
    uint8_t header[CHUNKCORE_COREDUMP_HEADER_BYTES];
    CHECK(memfault_coredump_read(0, header, sizeof(header)));
    memfault_packetizer_set_active_sources(kMfltDataSourceMask_All);
    CHECK(memfault_packetizer_data_available());
    unsigned chunks = 0;
    uint8_t buf[32];
    size_t len = sizeof(buf);
    while (memfault_packetizer_get_chunk(buf, &len) && chunks < 100) {
        chunks++;
        len = sizeof(buf);
    }
    CHECK(chunks == 4); /* 101 message bytes: 32-byte chunks carry 30, 30, 30 and 11 + CRC */
    CHECK(g_clears == 1);
    CHECK(chunkcore_sdk_last_error() == 0);
    CHECK(!memfault_packetizer_data_available());
    std::printf("C++ glue: %u chunks, %u clear\n", chunks, g_clears);
    return 0;
}
