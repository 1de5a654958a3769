/*
 * base/buf.h: a bounds-checked reader over bytes received from a peer.
 *
 * All peer input is parsed through this (like c-ares' ares_buf) so that no
 * parser does its own length arithmetic. A fetch that would read past the
 * end returns false and consumes nothing.
 */
#ifndef CRPC_BASE_BUF_H
#define CRPC_BASE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crpc_buf {
  const uint8_t *data; /* borrowed */
  size_t len;
  size_t pos; /* next byte to read */
} crpc_buf;

static inline void crpc_buf_init(crpc_buf *b, const void *data, size_t len) {
  b->data = data;
  b->len = len;
  b->pos = 0;
}

static inline size_t crpc_buf_remaining(const crpc_buf *b) {
  return b->len - b->pos;
}

static inline bool crpc_buf_fetch_u8(crpc_buf *b, uint8_t *out) {
  if (crpc_buf_remaining(b) < 1)
    return false;
  *out = b->data[b->pos++];
  return true;
}

/* Reads a big-endian (network order) 32-bit integer. */
static inline bool crpc_buf_fetch_be32(crpc_buf *b, uint32_t *out) {
  const uint8_t *p;

  if (crpc_buf_remaining(b) < 4)
    return false;
  p = b->data + b->pos;
  *out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
  b->pos += 4;
  return true;
}

/* Points |*out| at the next |n| bytes (inside the buffer, not copied). */
static inline bool crpc_buf_fetch_bytes(crpc_buf *b, size_t n,
                                        const uint8_t **out) {
  if (crpc_buf_remaining(b) < n)
    return false;
  *out = b->data + b->pos;
  b->pos += n;
  return true;
}

#endif /* CRPC_BASE_BUF_H */
