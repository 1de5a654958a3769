/*
 * wire/compress.h: per-message compression (grpc doc/compression.md).
 *
 * A message whose Compressed-Flag is 1 is compressed with the encoding named
 * by the grpc-encoding header of its stream (PROTOCOL-HTTP2.md
 * "Length-Prefixed-Message"). We speak what grpc-core speaks:
 *   identity  no compression;
 *   gzip      RFC 1952 (zlib windowBits 15 + 16);
 *   deflate   the zlib format of RFC 1950 wrapping RFC 1951 data (windowBits
 *             15), not raw deflate, as in grpc-core's message_compress.cc.
 * Pure functions, no I/O. All memory comes from crpc_mem_*, zlib's included.
 */
#ifndef CRPC_WIRE_COMPRESS_H
#define CRPC_WIRE_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "crpc/common.h"

typedef enum crpc_encoding {
  CRPC_ENCODING_IDENTITY = 0,
  CRPC_ENCODING_GZIP = 1,
  CRPC_ENCODING_DEFLATE = 2,
  CRPC_ENCODING_UNKNOWN = -1
} crpc_encoding;

/*
 * Maps the |len| bytes at |v| (a grpc-encoding value) to an encoding:
 * exactly "identity", "gzip" or "deflate", lowercase, nothing around them.
 * Anything else is CRPC_ENCODING_UNKNOWN, on which a server fails the call
 * with UNIMPLEMENTED and a client with INTERNAL (doc/compression.md "Test
 * cases").
 */
crpc_encoding crpc_encoding_parse(const char *v, size_t len);

/* "identity", "gzip" or "deflate"; NULL for any other value. */
const char *crpc_encoding_name(crpc_encoding e);

/* The grpc-accept-encoding value we send; a literal, for constant headers. */
#define CRPC_ENCODING_ACCEPT "identity,deflate,gzip"
extern const char crpc_encoding_accept[]; /* CRPC_ENCODING_ACCEPT */

/*
 * True if the |len| bytes at |accept|, a grpc-accept-encoding value (tokens
 * separated by commas and/or spaces and tabs), name |e| exactly. Identity is
 * always accepted, even when unlisted or when |len| is 0 (doc/compression.md:
 * a peer may always respond uncompressed). False for CRPC_ENCODING_UNKNOWN.
 */
bool crpc_encoding_is_accepted(const char *accept, size_t len, crpc_encoding e);

/*
 * Appends the |e|-compressed form of the |len| bytes at |in| to |out|
 * (identity appends a copy). Output is not guaranteed to be smaller than the
 * input: like grpc-core, a caller may send the original uncompressed (flag 0)
 * when it is not. On failure |out| keeps its previous contents.
 * Returns OK, RESOURCE_EXHAUSTED when out of memory, INTERNAL when zlib fails
 * or |e| is not one of the three encodings.
 */
crpc_code crpc_compress(crpc_encoding e, const uint8_t *in, size_t len,
                        crpc_bytes *out);

/*
 * Appends the decompressed form of the |len| bytes at |in| to |out|, producing
 * at most |max_len| bytes (the decompressed message limit; bytes already in
 * |out| do not count). Decompression stops as soon as output would exceed
 * |max_len|, so a small "bomb" never inflates in full. The input must be
 * exactly one complete gzip member or zlib stream; an empty input
 * decompresses to nothing, as in grpc-core. Identity appends a copy; a
 * message with Compressed-Flag 1 but no encoding other than identity is the
 * caller's to reject (doc/compression.md "Test cases"). On failure |out| keeps
 * its previous contents and |why| (NULL ok) says why. Returns OK;
 * RESOURCE_EXHAUSTED when out of memory or when the output would exceed
 * |max_len| ("decompressed message larger than max (more than M vs. M)", the
 * real size being unknown); INTERNAL for corrupt, truncated or trailing input,
 * or an |e| that is not one of the three encodings.
 */
crpc_code crpc_decompress(crpc_encoding e, const uint8_t *in, size_t len,
                          size_t max_len, crpc_bytes *out, crpc_status *why);

#endif /* CRPC_WIRE_COMPRESS_H */
