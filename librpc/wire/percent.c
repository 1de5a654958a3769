/* wire/percent.c: grpc-message percent-encoding (PROTOCOL-HTTP2.md). */
#include "wire/percent.h"

#include <stdbool.h>

static bool must_escape(unsigned char c) {
  return c < 0x20 || c > 0x7e || c == '%';
}

crpc_code crpc_percent_encode(const char *in, size_t len, crpc_bytes *out) {
  static const char hex[] = "0123456789ABCDEF";
  size_t i, escapes = 0;
  uint8_t *p;
  crpc_code rc;

  if (len == 0)
    return CRPC_OK; /* out->data may be NULL: no pointer arithmetic on it */
  /* Size first so that a failure leaves |out| untouched. */
  for (i = 0; i < len; i++)
    escapes += must_escape((unsigned char)in[i]);
  rc = crpc_bytes_reserve(out, len + 2 * escapes);
  if (rc != CRPC_OK)
    return rc;
  p = out->data + out->len;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)in[i];

    if (must_escape(c)) {
      *p++ = '%';
      *p++ = (uint8_t)hex[c >> 4];
      *p++ = (uint8_t)hex[c & 0xf];
    } else {
      *p++ = c;
    }
  }
  out->len += len + 2 * escapes;
  return CRPC_OK;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

size_t crpc_percent_decode(const char *in, size_t len, char *out) {
  size_t i = 0, n = 0;

  /* The write index never passes the read index, so in-place is safe. */
  while (i < len) {
    if (in[i] == '%' && len - i >= 3) {
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);

      if (hi >= 0 && lo >= 0) {
        out[n++] = (char)(hi << 4 | lo);
        i += 3;
        continue;
      }
    }
    /* Plain byte, or an escape the spec says to pass through literally. */
    out[n++] = in[i++];
  }
  return n;
}
