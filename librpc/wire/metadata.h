/*
 * wire/metadata.h: internal side of crpc_metadata (include/crpc/metadata.h):
 * key and value rules, and adding headers received from the peer.
 */
#ifndef CRPC_WIRE_METADATA_H
#define CRPC_WIRE_METADATA_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "crpc/metadata.h"

/*
 * Like crpc_metadata_new, but the list, its entries and their strings all
 * come from |arena| and live as long as it: crpc_metadata_free and
 * crpc_metadata_clear free nothing. For metadata that lives as long as a
 * call, such as a request's. Not thread-safe, like the arena.
 */
crpc_code crpc_metadata_new_in_arena(crpc_metadata **out, crpc_arena *arena);

/* A non-empty key of [0-9a-z_.-] (PROTOCOL-HTTP2.md: Header-Name). */
bool crpc_metadata_key_is_valid(const char *key, size_t len);

/*
 * Headers gRPC or HTTP/2 itself owns, which users can neither set nor see:
 * pseudo-headers (":path"...), "grpc-*", content-type, te, user-agent, host
 * and the connection-specific headers RFC 9113 8.2.2 forbids.
 */
bool crpc_metadata_key_is_reserved(const char *key, size_t len);

/* Keys ending in "-bin" carry base64-encoded binary values on the wire. */
bool crpc_metadata_key_is_binary(const char *key, size_t len);

/* Printable ASCII only, 0x20-0x7e (PROTOCOL-HTTP2.md: ASCII-Value). */
bool crpc_metadata_value_is_valid(const char *v, size_t len);

/*
 * Adds a header received from the peer. Reserved and malformed keys are
 * skipped (CRPC_OK, nothing added): they are not custom metadata. A "-bin"
 * value is base64-decoded; INTERNAL if it is not valid base64 (nothing
 * added, the caller decides). Other values are kept as received, even
 * bytes outside printable ASCII, which some peers send. RESOURCE_EXHAUSTED
 * when out of memory.
 */
crpc_code crpc_metadata_add_wire(crpc_metadata *md, const char *key,
                                 size_t key_len, const char *value,
                                 size_t value_len);

#endif /* CRPC_WIRE_METADATA_H */
