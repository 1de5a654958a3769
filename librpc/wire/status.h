/*
 * wire/status.h: status codes as they travel: grpc-status values and the
 * codes implied by HTTP status and HTTP/2 error codes.
 *
 * crpc_code_name() and crpc_status_set() (include/crpc/common.h) live in
 * status.c too.
 */
#ifndef CRPC_WIRE_STATUS_H
#define CRPC_WIRE_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crpc/common.h"

/*
 * Parses a grpc-status value (|len| bytes, not NUL-terminated): decimal
 * digits only. Codes above 16 become CRPC_UNKNOWN, as grpc does for codes
 * it does not know. False for an empty value or any non-digit.
 */
bool crpc_status_parse_code(const char *v, size_t len, crpc_code *out);

/*
 * The code for a response whose HTTP :status is not 200 (grpc
 * doc/http-grpc-status-mapping.md).
 */
crpc_code crpc_status_from_http(int http_status);

/*
 * The code for a stream reset with HTTP/2 error |h2_error| (RFC 9113 7),
 * as PROTOCOL-HTTP2.md "Errors" maps them; INTERNAL for unknown codes.
 */
crpc_code crpc_status_from_h2_error(uint32_t h2_error);

/*
 * Sets |st| (if not NULL) to |code| and a copy of |len| bytes at |msg| (not
 * NUL-terminated), cut at a UTF-8 character boundary if too long.
 */
void crpc_status_set_raw(crpc_status *st, crpc_code code, const char *msg,
                         size_t len);

#endif /* CRPC_WIRE_STATUS_H */
