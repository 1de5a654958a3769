/*
 * wire/percent.h: the percent-encoding of grpc-message (PROTOCOL-HTTP2.md
 * "Responses": Percent-Encoded), which lets a UTF-8 status message travel
 * in an HTTP/2 header.
 */
#ifndef CRPC_WIRE_PERCENT_H
#define CRPC_WIRE_PERCENT_H

#include <stddef.h>

#include "base/bytes.h"
#include "crpc/common.h"

/*
 * Appends the encoding of |len| bytes at |in| to |out|: bytes outside
 * 0x20-0x7e, and '%' itself, become "%XX" (uppercase hex). Returns
 * RESOURCE_EXHAUSTED (|out| unchanged) when out of memory.
 */
crpc_code crpc_percent_encode(const char *in, size_t len, crpc_bytes *out);

/*
 * Decodes |len| bytes at |in| into |out|, which has room for |len| bytes
 * (decoding never grows). Returns the decoded length; no NUL is added.
 * Never fails: an invalid or truncated escape is kept as is, as the spec
 * asks of receivers. |in| and |out| may be the same buffer.
 */
size_t crpc_percent_decode(const char *in, size_t len, char *out);

#endif /* CRPC_WIRE_PERCENT_H */
