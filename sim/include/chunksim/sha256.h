/*
 * SHA-256 as lowercase hex, for content addresses in the recording database
 * (scenario config text, coredump images). A thin wrapper over Nettle: this
 * project does not implement cryptographic primitives itself.
 */
#ifndef CHUNKSIM_SHA256_H
#define CHUNKSIM_SHA256_H

#include <stddef.h>

/* 64 hex digits and the terminating NUL. */
#define CHUNKSIM_SHA256_HEX_BYTES 65

/* Hash len bytes at data (data may be NULL when len is 0) into out, NUL-terminated. */
void chunksim_sha256_hex(const void *data, size_t len, char out[CHUNKSIM_SHA256_HEX_BYTES]);

#endif
