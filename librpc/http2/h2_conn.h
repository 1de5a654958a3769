/*
 * http2/h2_conn.h: one HTTP/2 connection over a byte stream, client or
 * server.
 *
 * The only code that includes nghttp2. A connection moves bytes between its
 * stream (transport/stream.h: a socket, or TLS over one, which HTTP/2 does
 * not tell apart) and an nghttp2 session, and reports each stream's events to
 * the stream's owner (a call) through crpc_h2_ops. It knows nothing of gRPC
 * beyond the HTTP/2 settings gRPC peers expect.
 *
 * Everything here runs on the connection's loop thread.
 */
#ifndef CRPC_H2_CONN_H
#define CRPC_H2_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/list.h"
#include "transport/addr.h"
#include "transport/loop.h"
#include "transport/stream.h"

typedef struct crpc_h2_conn crpc_h2_conn;

/*
 * |flags| of a crpc_h2_nv whose name (lowercase) and value stay valid until
 * the stream closes: nghttp2 then neither copies nor lowercases them.
 */
#define CRPC_H2_NV_NO_COPY 0x6

/* A header field to send; same layout as nghttp2_nv (checked in .c). */
typedef struct crpc_h2_nv {
  const char *name;
  const char *value;
  size_t name_len;
  size_t value_len;
  uint8_t flags;
} crpc_h2_nv;

/* A field of two string literals, which outlive every stream. */
#define CRPC_H2_NV(n, v)                                                       \
  { (n), (v), sizeof(n) - 1, sizeof(v) - 1, CRPC_H2_NV_NO_COPY }

/* on_close error code when the whole connection failed (not an h2 code). */
#define CRPC_H2_CONN_LOST 0x10000u
/* ...or when it failed before it was open: nothing was sent. */
#define CRPC_H2_CONN_NEVER_OPEN 0x10001u

/* What read_data reports after filling its buffer. */
typedef enum crpc_h2_data {
  CRPC_H2_DATA_MORE,     /* bytes copied; call again */
  CRPC_H2_DATA_DEFER,    /* nothing now; the owner calls crpc_h2_resume() */
  CRPC_H2_DATA_END,      /* last bytes: end the stream */
  CRPC_H2_DATA_TRAILERS  /* last bytes: then send get_trailers() */
} crpc_h2_data;

/* A stream's link to its connection, embedded in the owner. */
typedef struct crpc_h2_stream {
  crpc_list node; /* in the connection's list of open streams */
  crpc_h2_conn *conn; /* NULL once closed */
  void *owner;
  int32_t id;
  size_t unconsumed; /* DATA bytes received and not yet consumed */
  bool is_remote_ended; /* the peer's last DATA frame is in */
  size_t header_len; /* of the HEADERS block being received */
} crpc_h2_stream;

/* Events of one stream, delivered to the owner given at the stream's start. */
typedef struct crpc_h2_ops {
  /*
   * One field of a HEADERS block; |block_ends_stream| if that block carries
   * END_STREAM (trailers, or a Trailers-Only response).
   */
  void (*on_header)(void *owner, const char *name, size_t name_len,
                    const char *value, size_t value_len,
                    bool block_ends_stream);
  /* The HEADERS block is complete; |end_stream| if it ended the stream. */
  void (*on_headers_done)(void *owner, bool end_stream);
  /* A chunk of DATA payload; the owner calls crpc_h2_consume() for it. */
  void (*on_data)(void *owner, const uint8_t *data, size_t len);
  /* The peer half-closed (END_STREAM). */
  void (*on_remote_end)(void *owner);
  /*
   * Outgoing DATA: up to |max| bytes, *len of them, copied to |buf| now or,
   * with *is_later set (large amounts), by copy_data() when the frame is
   * written, straight into the connection's output: one copy, not two.
   */
  crpc_h2_data (*read_data)(void *owner, uint8_t *buf, size_t max,
                            size_t *len, bool *is_later);
  /* Copies the bytes read_data() left for later to |dest|. */
  void (*copy_data)(void *owner, uint8_t *dest);
  /* Trailers to send after CRPC_H2_DATA_TRAILERS. */
  void (*get_trailers)(void *owner, const crpc_h2_nv **nv, size_t *count);
  /*
   * The stream is closed: |error| is the RST_STREAM code (0 for a clean
   * close), or CRPC_H2_CONN_LOST with |why| naming the connection's fate.
   * Last event; the stream link is already detached.
   */
  void (*on_close)(void *owner, uint32_t error, const char *why);
} crpc_h2_ops;

/* Events of the connection itself, for its owner (channel or server). */
typedef struct crpc_h2_conn_ops {
  /* Server: a request stream begins; return its owner or NULL to refuse. */
  void *(*on_stream_begin)(void *conn_owner, crpc_h2_conn *conn,
                           crpc_h2_stream **stream);
  /* Client: connected and ready for streams. */
  void (*on_ready)(void *conn_owner, crpc_h2_conn *conn);
  /* The peer sent GOAWAY: start no more streams here. */
  void (*on_goaway)(void *conn_owner, crpc_h2_conn *conn);
  /*
   * Client: the GOAWAY said ENHANCE_YOUR_CALM "too_many_pings" (gRFC A8):
   * keepalive pings should be rarer. NULL if not wanted.
   */
  void (*on_too_many_pings)(void *conn_owner, crpc_h2_conn *conn);
  /* Closed; every stream got on_close. The connection frees itself after. */
  void (*on_closed)(void *conn_owner, crpc_h2_conn *conn, const char *why);
} crpc_h2_conn_ops;

/* Durations below: CRPC_H2_NEVER switches the feature off. */
#define CRPC_H2_NEVER INT64_MAX

typedef struct crpc_h2_settings {
  uint32_t max_concurrent_streams; /* server */
  uint32_t stream_window;          /* initial per-stream receive window */
  uint32_t conn_window;            /* connection receive window */
  /*
   * Keepalive (gRFC A8): after keepalive_time_ms with nothing received, a
   * PING; no ACK within keepalive_timeout_ms closes the connection. Only
   * while streams are open, unless keepalive_without_calls.
   */
  int64_t keepalive_time_ms;
  int64_t keepalive_timeout_ms;
  bool keepalive_without_calls;
  /*
   * Server: the client's pings are judged by http2/ping_policy.h (0:
   * never); too many end the connection with GOAWAY ENHANCE_YOUR_CALM
   * "too_many_pings".
   */
  int64_t min_ping_interval_ms;
  bool permit_pings_without_calls;
  int max_ping_strikes;
  /*
   * Server: a graceful GOAWAY once the connection had no stream for
   * max_idle_ms, or lived max_age_ms (+-10% jitter); after an age GOAWAY,
   * streams still open get age_grace_ms before the connection closes.
   */
  int64_t max_idle_ms;
  int64_t max_age_ms;
  int64_t age_grace_ms;
  /*
   * Server: a connection whose client preface and first frame are not in
   * within preface_timeout_ms of the stream opening is closed (slowloris).
   */
  int64_t preface_timeout_ms;
  /*
   * Largest header block (RFC 7541 sizes: name + value + 32 per field)
   * taken per HEADERS; advertised as SETTINGS_MAX_HEADER_LIST_SIZE. A
   * bigger one resets its stream with INTERNAL_ERROR before it is copied.
   */
  uint32_t max_header_list_len;
} crpc_h2_settings;

/*
 * Settings with HTTP/2 windows, a 20 s preface timeout, 16 KiB header
 * blocks, and every other limit above off.
 */
void crpc_h2_settings_init(crpc_h2_settings *s);

/*
 * Starts a client connection on |stream|, whose socket is connecting to
 * |addr|, or a server connection on the |stream| of an accepted socket
 * from |peer|. The stream's handshake (if any) runs first, bounded by its
 * handshake_timeout_ms; its failure closes the connection with the
 * stream's error (logged as a warning on servers). Takes ownership of
 * |stream| on success only. |ops| is used for every stream.
 */
crpc_code crpc_h2_conn_connect(crpc_h2_conn **out, crpc_loop *loop,
                               crpc_stream *stream, const crpc_addr *addr,
                               const crpc_h2_settings *settings,
                               const crpc_h2_ops *ops,
                               const crpc_h2_conn_ops *conn_ops,
                               void *conn_owner);
crpc_code crpc_h2_conn_accept(crpc_h2_conn **out, crpc_loop *loop,
                              crpc_stream *stream, const crpc_addr *peer,
                              const crpc_h2_settings *settings,
                              const crpc_h2_ops *ops,
                              const crpc_h2_conn_ops *conn_ops,
                              void *conn_owner);

/* The peer's address as text ("ipv4:127.0.0.1:5000"). */
const char *crpc_h2_conn_peer(const crpc_h2_conn *conn);
/* The stream below, for what its layers know of the peer (tls/tls.h). */
const crpc_stream *crpc_h2_conn_stream(const crpc_h2_conn *conn);
crpc_loop *crpc_h2_conn_loop(const crpc_h2_conn *conn);
bool crpc_h2_conn_is_ready(const crpc_h2_conn *conn);
/* True once closing or after GOAWAY either way: no new streams. */
bool crpc_h2_conn_is_draining(const crpc_h2_conn *conn);
size_t crpc_h2_conn_stream_count(const crpc_h2_conn *conn);

/*
 * Client: opens a stream with request headers. With |has_body| the DATA
 * comes from ops->read_data. The stream link is attached on success.
 */
crpc_code crpc_h2_submit_request(crpc_h2_conn *conn, crpc_h2_stream *stream,
                                 void *owner, const crpc_h2_nv *nv,
                                 size_t count, bool has_body);
/*
 * Server: response headers; without |has_body| they end the stream
 * (Trailers-Only).
 */
crpc_code crpc_h2_submit_response(crpc_h2_stream *stream, const crpc_h2_nv *nv,
                                  size_t count, bool has_body);
/* More outgoing data is ready after CRPC_H2_DATA_DEFER. */
void crpc_h2_resume(crpc_h2_stream *stream);
/* Resets the stream (RST_STREAM |error|); on_close follows. */
void crpc_h2_reset(crpc_h2_stream *stream, uint32_t error);
/* Returns |len| bytes of flow-control window to the peer. */
void crpc_h2_consume(crpc_h2_stream *stream, size_t len);

/*
 * Graceful close: GOAWAY now, close once the open streams end. Server
 * connections finish their streams; client connections stop taking new ones.
 */
void crpc_h2_conn_drain(crpc_h2_conn *conn);
/*
 * Server: the two-step graceful close (grpc doc/PROTOCOL-HTTP2.md): a
 * GOAWAY naming stream 2^31-1 and a PING, then, once the PING's ACK
 * shows the client has seen it, crpc_h2_conn_drain(). Streams the client
 * started in between are served, not refused.
 */
void crpc_h2_conn_drain_gracefully(crpc_h2_conn *conn);
/* Closes at once: every open stream gets on_close(CRPC_H2_CONN_LOST). */
void crpc_h2_conn_close(crpc_h2_conn *conn, const char *why);

#endif /* CRPC_H2_CONN_H */
