/*
 * transport/stream.h: a byte stream, the seam between HTTP/2 and what
 * carries its bytes.
 *
 * A stream is a socket (ops == NULL: read(2) and write(2) on fd, called
 * directly) or a layer over another stream, such as TLS (tls/tls.h, in the
 * separate librpc-tls library), which fills in ops. HTTP/2 reads and
 * writes a stream and never learns what is below it (curl
 * docs/internals/CONNECTION-FILTERS.md).
 *
 * Every stream is non-blocking and used by one loop thread. A read or
 * write that cannot progress returns CRPC_STREAM_AGAIN with wants_read /
 * wants_write saying which readiness of fd to wait for: a TLS read may need
 * the socket writable and a TLS write may need it readable.
 */
#ifndef CRPC_STREAM_H
#define CRPC_STREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/arena.h"
#include "base/export.h"
#include "crpc/credentials.h"

/* Results of read and write besides a byte count (0 is end of stream). */
#define CRPC_STREAM_AGAIN (-1) /* would block: wait as wants_* say */
#define CRPC_STREAM_ERROR (-2) /* failed for good: error says why */

/* Results of handshake. */
#define CRPC_STREAM_READY 1
#define CRPC_STREAM_PENDING 0 /* call again once fd is as wants_* say */
#define CRPC_STREAM_FAILED (-1)

typedef struct crpc_stream crpc_stream;

typedef struct crpc_stream_ops {
  ssize_t (*read)(crpc_stream *s, uint8_t *buf, size_t len);
  ssize_t (*write)(crpc_stream *s, const uint8_t *buf, size_t len);
  /* Completes the layer's setup (a TLS handshake); NULL if it has none. */
  int (*handshake)(crpc_stream *s);
  /* Bytes already received and buffered inside the layer, so that waiting
   * for fd to be readable would wait for nothing. NULL if it never has. */
  bool (*has_pending)(const crpc_stream *s);
  /* The peer's verified identity copied into |arena|, or NULL: no
   * certificate, or out of memory. NULL if the layer never knows one. */
  const crpc_peer_identity *(*peer_identity)(const crpc_stream *s,
                                             crpc_arena *arena);
  /* Frees the layer and the stream below it (closing fd). */
  void (*free)(crpc_stream *s);
} crpc_stream_ops;

struct crpc_stream {
  const crpc_stream_ops *ops; /* NULL: a plain socket */
  int fd;                     /* the socket at the bottom, for I/O watchers */
  bool wants_read;            /* set when a call returns AGAIN / PENDING */
  bool wants_write;
  /* Setup must complete within this many ms of the stream's start (0: no
   * limit); the connection that owns the stream keeps the time. */
  int64_t handshake_timeout_ms;
  char error[200]; /* why the last call failed */
};

/* A plain socket stream owning |fd|. NULL when out of memory. */
crpc_stream *crpc_stream_socket_new(int fd);

/* The plain socket's read and write (transport/socket.c). */
CRPC_INTERNAL_API ssize_t crpc_stream_socket_read(crpc_stream *s, uint8_t *buf,
                                                  size_t len);
CRPC_INTERNAL_API ssize_t crpc_stream_socket_write(crpc_stream *s,
                                                   const uint8_t *buf,
                                                   size_t len);

/* Reads up to |len| bytes: a count, 0 at the end, AGAIN or ERROR. */
static inline ssize_t crpc_stream_read(crpc_stream *s, uint8_t *buf,
                                       size_t len) {
  return s->ops == NULL ? crpc_stream_socket_read(s, buf, len)
                        : s->ops->read(s, buf, len);
}

/* Writes up to |len| bytes (|len| > 0): a count, AGAIN or ERROR. */
static inline ssize_t crpc_stream_write(crpc_stream *s, const uint8_t *buf,
                                        size_t len) {
  return s->ops == NULL ? crpc_stream_socket_write(s, buf, len)
                        : s->ops->write(s, buf, len);
}

/* READY, PENDING or FAILED. A plain socket is ready at once. */
static inline int crpc_stream_handshake(crpc_stream *s) {
  return s->ops == NULL || s->ops->handshake == NULL ? CRPC_STREAM_READY
                                                     : s->ops->handshake(s);
}

static inline bool crpc_stream_has_pending(const crpc_stream *s) {
  return s->ops != NULL && s->ops->has_pending != NULL &&
         s->ops->has_pending(s);
}

/*
 * Who the peer is, from a certificate the top layer verified, copied into
 * |arena|: NULL for a plain socket, a peer without a certificate, or when
 * out of memory.
 */
static inline const crpc_peer_identity *
crpc_stream_peer_identity(const crpc_stream *s, crpc_arena *arena) {
  return s->ops != NULL && s->ops->peer_identity != NULL
             ? s->ops->peer_identity(s, arena)
             : NULL;
}

/* Closes the socket and frees every layer. NULL is a no-op. */
CRPC_INTERNAL_API void crpc_stream_free(crpc_stream *s);

#endif /* CRPC_STREAM_H */
