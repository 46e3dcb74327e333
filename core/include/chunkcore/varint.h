/*
 * Unsigned LEB128 varints: 7 bits per byte, least significant group first,
 * high bit set on every byte but the last. A uint32_t takes 1 to 5 bytes.
 */
#ifndef CHUNKCORE_VARINT_H
#define CHUNKCORE_VARINT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CHUNKCORE_VARINT_MAX_BYTES 5u

/* Bytes the encoding of value takes (1..5). */
size_t chunkcore_varint_size(uint32_t value);

/*
 * Writes value to out (room for CHUNKCORE_VARINT_MAX_BYTES); returns bytes
 * written. Inline: the transport encodes one per chunk, and the call would
 * cost more than the loop, in time and in flash.
 */
static inline size_t chunkcore_varint_encode(uint32_t value, uint8_t *out)
{
    size_t n = 0;
    while (value >= 0x80u) {
        out[n++] = (uint8_t)(value | 0x80u);
        value >>= 7;
    }
    out[n++] = (uint8_t)value;
    return n;
}

/*
 * Reads one varint from in[0..len). Returns bytes consumed (1..5), or
 * CHUNKCORE_E_INVAL when the input ends inside the varint or the value does
 * not fit 32 bits.
 */
int chunkcore_varint_decode(const uint8_t *in, size_t len, uint32_t *value);

#ifdef __cplusplus
}
#endif

#endif
