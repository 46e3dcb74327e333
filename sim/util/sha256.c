#include "chunksim/sha256.h"

#include <nettle/sha2.h>

void chunksim_sha256_hex(const void *data, size_t len, char out[CHUNKSIM_SHA256_HEX_BYTES])
{
    static const char hex[] = "0123456789abcdef";
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];

    sha256_init(&ctx);
    if (len > 0)
        sha256_update(&ctx, len, data);
    sha256_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0x0f];
    }
    out[2 * sizeof digest] = '\0';
}
