/*
 * base/bytes.h: a growable byte buffer.
 *
 * The struct is visible so it can be embedded; a zeroed struct (or one set
 * by crpc_bytes_init) is an empty buffer that owns no memory. On failure
 * every function leaves the buffer unchanged.
 */
#ifndef CRPC_BASE_BYTES_H
#define CRPC_BASE_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "crpc/common.h"

typedef struct crpc_bytes {
  uint8_t *data; /* NULL until something is stored */
  size_t len;    /* bytes in use */
  size_t cap;    /* bytes allocated */
} crpc_bytes;

/* Makes |b| empty without allocating. */
void crpc_bytes_init(crpc_bytes *b);

/* Releases the memory of |b| and leaves it empty (reusable). */
void crpc_bytes_free(crpc_bytes *b);

/* Makes room for |extra| more bytes. RESOURCE_EXHAUSTED when out of memory. */
crpc_code crpc_bytes_reserve(crpc_bytes *b, size_t extra);

/* Appends |n| bytes at |p|. RESOURCE_EXHAUSTED when out of memory. */
crpc_code crpc_bytes_append(crpc_bytes *b, const void *p, size_t n);

/*
 * Appends printf-style text (without its NUL; data[len] is not guaranteed
 * to be NUL). RESOURCE_EXHAUSTED when out of memory, INTERNAL on a format
 * error.
 */
crpc_code crpc_bytes_printf(crpc_bytes *b, const char *fmt, ...)
    CRPC_PRINTF(2, 3);

/* Drops the first |n| bytes (all of them if |n| >= len). */
void crpc_bytes_consume(crpc_bytes *b, size_t n);

/* Sets len to 0, keeping the memory for reuse. */
void crpc_bytes_clear(crpc_bytes *b);

#endif /* CRPC_BASE_BYTES_H */
