#include "chunkcore/varint.h"
#include "chunkcore/error.h"

size_t chunkcore_varint_size(uint32_t value)
{
    size_t n = 1;
    while (value >= 0x80u) {
        value >>= 7;
        n++;
    }
    return n;
}

int chunkcore_varint_decode(const uint8_t *in, size_t len, uint32_t *value)
{
    uint32_t v = 0;
    for (size_t i = 0; i < len && i < CHUNKCORE_VARINT_MAX_BYTES; i++) {
        uint8_t b = in[i];
        /* The fifth byte holds bits 28..31: anything above bit 3 overflows. */
        if (i == 4 && (b & 0xF0u)) {
            return CHUNKCORE_E_INVAL;
        }
        v |= (uint32_t)(b & 0x7Fu) << (7 * i);
        if (!(b & 0x80u)) {
            *value = v;
            return (int)(i + 1);
        }
    }
    return CHUNKCORE_E_INVAL;
}
