/*
 * crpc/metadata.h: gRPC custom metadata, an ordered list of key/value pairs.
 *
 * Keys are lowercase ASCII ([0-9a-z_.-]); keys ending in "-bin" carry binary
 * values (base64 on the wire, raw bytes here), all other values are printable
 * ASCII (0x20-0x7e). Keys starting "grpc-" and HTTP/2 pseudo-headers are
 * reserved and refused. A key may repeat; order is kept.
 */
#ifndef CRPC_METADATA_H
#define CRPC_METADATA_H

#include <stdbool.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct crpc_metadata crpc_metadata;

/* Creates an empty list. RESOURCE_EXHAUSTED when out of memory. */
CRPC_API crpc_code crpc_metadata_new(crpc_metadata **out);

/* Frees |md| and everything in it. NULL is a no-op. */
CRPC_API void crpc_metadata_free(crpc_metadata *md);

/*
 * Appends a copy of |key| and of |value_len| bytes at |value|. Returns
 * INVALID_ARGUMENT for a reserved or malformed key or for a non-ASCII value
 * under a non "-bin" key, RESOURCE_EXHAUSTED when out of memory.
 */
CRPC_API crpc_code crpc_metadata_add(crpc_metadata *md, const char *key,
                                     const void *value, size_t value_len);

/* crpc_metadata_add() for a NUL-terminated value. */
CRPC_API crpc_code crpc_metadata_add_str(crpc_metadata *md, const char *key,
                                         const char *value);

/* Number of entries. */
CRPC_API size_t crpc_metadata_count(const crpc_metadata *md);

/*
 * Entry |i| (0-based). The pointers stay valid until |md| is changed or
 * freed. Values are NUL-terminated for convenience; |value_len| excludes the
 * NUL. Returns false when |i| is out of range.
 */
CRPC_API bool crpc_metadata_at(const crpc_metadata *md, size_t i,
                               const char **key, const char **value,
                               size_t *value_len);

/*
 * The first value under |key| (NUL-terminated, |value_len| may be NULL), or
 * NULL when absent.
 */
CRPC_API const char *crpc_metadata_get(const crpc_metadata *md, const char *key,
                                       size_t *value_len);

/* Removes every entry. */
CRPC_API void crpc_metadata_clear(crpc_metadata *md);

#ifdef __cplusplus
}
#endif

#endif /* CRPC_METADATA_H */
