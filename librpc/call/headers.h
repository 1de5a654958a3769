/*
 * call/headers.h: gRPC header blocks, shared by both sides of a call.
 */
#ifndef CRPC_HEADERS_H
#define CRPC_HEADERS_H

#include "base/arena.h"
#include "crpc/metadata.h"
#include "http2/h2_conn.h"

/* "grpc-c-crpc/<version>", gRPC's user-agent convention. */
extern const char crpc_headers_user_agent[];

/* A growing list of header fields; strings live in an arena. */
typedef struct crpc_headers {
  crpc_h2_nv *nv;
  size_t count;
  size_t cap;
  crpc_arena *arena;
} crpc_headers;

/* Room for |cap| fields. RESOURCE_EXHAUSTED when out of memory. */
crpc_code crpc_headers_init(crpc_headers *h, crpc_arena *arena, size_t cap);

/*
 * Adds one field; |name| (lowercase) and |value| must stay valid until the
 * stream closes, since HTTP/2 sends them without a copy.
 */
void crpc_headers_add(crpc_headers *h, const char *name, const char *value,
                      size_t value_len);

/*
 * Adds a copy of custom metadata, in the arena, base64-encoding "-bin"
 * values (unpadded).
 */
crpc_code crpc_headers_add_metadata(crpc_headers *h, const crpc_metadata *md);

/* Adds grpc-status and, if not empty, the percent-encoded grpc-message. */
crpc_code crpc_headers_add_status(crpc_headers *h, const crpc_status *status);

/* Fields needed for |md| on top of the fixed ones. */
size_t crpc_headers_count_metadata(const crpc_metadata *md);

/* True for "application/grpc", "application/grpc+proto", ";params"... */
bool crpc_headers_is_grpc_content_type(const char *v, size_t len);

#endif /* CRPC_HEADERS_H */
