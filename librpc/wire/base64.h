/*
 * wire/base64.h: base64 for binary ("-bin") metadata values.
 *
 * PROTOCOL-HTTP2.md "Requests": senders emit unpadded base64 (standard
 * alphabet); receivers must accept padded and unpadded values.
 */
#ifndef CRPC_WIRE_BASE64_H
#define CRPC_WIRE_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the unpadded encoding of |n| bytes. */
size_t crpc_base64_encoded_len(size_t n);

/*
 * Encodes |n| bytes at |in| into |out| (crpc_base64_encoded_len(n) bytes,
 * no padding, no NUL). Returns the length written.
 */
size_t crpc_base64_encode(const uint8_t *in, size_t n, char *out);

/* Room crpc_base64_decode needs for |len| input characters. */
#define CRPC_BASE64_DECODED_MAX(len) ((len) / 4 * 3 + 3)

/*
 * Decodes |len| characters at |in|, padded or not, into |out| (room for
 * CRPC_BASE64_DECODED_MAX(len) bytes) and sets |*out_len|. False for a
 * character outside the standard alphabet, misplaced padding or an
 * impossible length; |out| may then hold garbage.
 */
bool crpc_base64_decode(const char *in, size_t len, uint8_t *out,
                        size_t *out_len);

#endif /* CRPC_WIRE_BASE64_H */
