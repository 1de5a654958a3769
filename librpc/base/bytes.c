/* base/bytes.c: growable byte buffer. */
#include "base/bytes.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"

void crpc_bytes_init(crpc_bytes *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}

void crpc_bytes_free(crpc_bytes *b) {
  crpc_mem_free(b->data);
  crpc_bytes_init(b);
}

crpc_code crpc_bytes_reserve(crpc_bytes *b, size_t extra) {
  size_t need, cap;
  uint8_t *data;

  if (extra > SIZE_MAX - b->len)
    return CRPC_RESOURCE_EXHAUSTED;
  need = b->len + extra;
  if (need <= b->cap)
    return CRPC_OK;
  /* Double so that appending byte by byte stays linear overall. */
  cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  data = crpc_mem_realloc(b->data, cap);
  if (data == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  b->data = data;
  b->cap = cap;
  return CRPC_OK;
}

crpc_code crpc_bytes_append(crpc_bytes *b, const void *p, size_t n) {
  crpc_code rc;

  if (n == 0)
    return CRPC_OK;
  rc = crpc_bytes_reserve(b, n);
  if (rc != CRPC_OK)
    return rc;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return CRPC_OK;
}

crpc_code crpc_bytes_printf(crpc_bytes *b, const char *fmt, ...) {
  va_list ap;
  int n;
  crpc_code rc;

  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return CRPC_INTERNAL;
  /* vsnprintf writes a NUL we do not keep, so reserve one byte more. */
  rc = crpc_bytes_reserve(b, (size_t)n + 1);
  if (rc != CRPC_OK)
    return rc;
  va_start(ap, fmt);
  vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return CRPC_OK;
}

void crpc_bytes_consume(crpc_bytes *b, size_t n) {
  if (n >= b->len) {
    b->len = 0;
    return;
  }
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
}

void crpc_bytes_clear(crpc_bytes *b) { b->len = 0; }
