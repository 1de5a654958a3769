/*
 * crpc/server.h: serving gRPC methods.
 *
 * A server has I/O threads (libev loops) that own the connections, and
 * handler threads that run the generated skeletons' handlers. Handlers may
 * block (on a synchronous outbound call, a database) without stalling any
 * connection's I/O. See doc/design.md for the threading model.
 */
#ifndef CRPC_SERVER_H
#define CRPC_SERVER_H

#include <stdarg.h>
#include <stdbool.h>

#include "call.h"
#include "metadata.h"
#include "service.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct crpc_server crpc_server;
typedef struct crpc_server_opts crpc_server_opts;

CRPC_API crpc_code crpc_server_opts_new(crpc_server_opts **out);
CRPC_API void crpc_server_opts_free(crpc_server_opts *opts);

/* Number of I/O threads (default 1). */
CRPC_API void crpc_server_opts_set_io_threads(crpc_server_opts *opts,
                                              int count);

/*
 * Most handler threads at once (default 64). Threads start on demand and a
 * call arriving when all are busy waits for one.
 *
 * 0 runs handlers on the I/O thread itself: the fastest choice, for
 * handlers that never block (no synchronous calls, no blocking I/O), the
 * way gRPC's callback API runs them.
 */
CRPC_API void crpc_server_opts_set_handler_threads(crpc_server_opts *opts,
                                                   int count);

/* Largest request message accepted (default 4 MiB). */
CRPC_API void crpc_server_opts_set_max_recv_len(crpc_server_opts *opts,
                                                size_t len);

/*
 * SETTINGS_MAX_CONCURRENT_STREAMS advertised per connection (default 1000).
 * Streams a client opens past it are reset with REFUSED_STREAM, which
 * clients may retry.
 */
CRPC_API void crpc_server_opts_set_max_concurrent_streams(
    crpc_server_opts *opts, uint32_t count);

/*
 * Overload limits (doc/hardening.md). Most connections open at once
 * (default 0: no limit but the process's file descriptors): a connection
 * accepted past it is closed at once, before TLS or HTTP/2, so its client
 * sees UNAVAILABLE and may try another server; open connections are not
 * touched.
 */
CRPC_API void crpc_server_opts_set_max_connections(crpc_server_opts *opts,
                                                   size_t count);

/*
 * Most calls in flight on the whole server (default 0: no limit), counted
 * from their request headers until their stream closes. A call past it is
 * answered at once with RESOURCE_EXHAUSTED (Trailers-Only), its request
 * unread and no handler run, so the calls already accepted keep their
 * latency instead of queueing behind it.
 */
CRPC_API void crpc_server_opts_set_max_calls(crpc_server_opts *opts,
                                             size_t count);

/*
 * A client must send the HTTP/2 preface and its first frame within |ms|
 * (default 20000) of its connection opening (after TLS), else the
 * connection is closed: a slow or silent client holds no connection long.
 */
CRPC_API void crpc_server_opts_set_preface_timeout(crpc_server_opts *opts,
                                                   int64_t ms);

/*
 * Largest request header block accepted, counted as HPACK does (name +
 * value + 32 bytes per field; default 16 KiB, as gRPC C-core), and
 * advertised as SETTINGS_MAX_HEADER_LIST_SIZE. A bigger one resets its
 * stream with INTERNAL_ERROR before any of it is stored.
 */
CRPC_API void crpc_server_opts_set_max_header_list_len(crpc_server_opts *opts,
                                                       uint32_t len);

/*
 * Server keepalive (gRFC A8): after |time_ms| (default 2 hours) with
 * nothing received on a connection, the server sends a PING; without an
 * ACK within |timeout_ms| (default 20000) it closes the connection, which
 * cancels its calls. Finds clients that vanished without a FIN.
 * CRPC_DURATION_INFINITE turns the pings off.
 */
CRPC_API void crpc_server_opts_set_keepalive(crpc_server_opts *opts,
                                             int64_t time_ms,
                                             int64_t timeout_ms);

/*
 * How often clients may ping (gRFC A8 enforcement): a PING sooner than
 * |min_interval_ms| (default 300000) after the previous one, with no
 * HEADERS or DATA sent in between, is a strike; on a connection without
 * calls the interval is 2 hours unless |permit_without_calls| (default
 * false). More than |max_strikes| (default 2; 0: no limit) strikes end
 * the connection with GOAWAY ENHANCE_YOUR_CALM "too_many_pings".
 * |min_interval_ms| 0 accepts any ping.
 */
CRPC_API void crpc_server_opts_set_ping_policy(crpc_server_opts *opts,
                                               int64_t min_interval_ms,
                                               bool permit_without_calls,
                                               int max_strikes);

/*
 * A connection without calls for |ms| is closed with a graceful GOAWAY
 * (gRPC's MAX_CONNECTION_IDLE). Default CRPC_DURATION_INFINITE.
 */
CRPC_API void crpc_server_opts_set_max_connection_idle(crpc_server_opts *opts,
                                                       int64_t ms);

/*
 * A connection older than |age_ms| (+-10% jitter) gets a graceful GOAWAY
 * (gRPC's MAX_CONNECTION_AGE), so clients reconnect and see new servers
 * behind a balancer; its calls then have |grace_ms| to finish before it
 * closes (MAX_CONNECTION_AGE_GRACE). The GOAWAY is sent in two steps
 * (grpc doc/PROTOCOL-HTTP2.md), so no call racing it is refused. Both
 * default to CRPC_DURATION_INFINITE.
 */
CRPC_API void crpc_server_opts_set_max_connection_age(crpc_server_opts *opts,
                                                      int64_t age_ms,
                                                      int64_t grace_ms);

/* Creates a stopped server. |opts| may be NULL and is copied. */
CRPC_API crpc_code crpc_server_new(crpc_server **out,
                                   const crpc_server_opts *opts);

/*
 * Listens on |address|: "host:port" (IPv4 "0.0.0.0:50051", IPv6
 * "[::]:50051", "localhost:0"), or "unix:path". Port 0 picks a free port,
 * stored in *port if |port| is not NULL. Call before crpc_server_start().
 * Returns UNAVAILABLE (with a log line) if the address cannot be bound.
 */
CRPC_API crpc_code crpc_server_listen(crpc_server *server, const char *address,
                                      int *port);

/*
 * Serves |service| with the generated handler table |handlers|
 * (|handlers_len| bytes, copied) and passes |user_data| to every handler.
 * Generated code wraps this as pkg__svc__register_handlers().
 * INVALID_ARGUMENT if the service is already registered or the server runs.
 */
CRPC_API crpc_code crpc_server_register(crpc_server *server,
                                        const crpc_service_desc *service,
                                        const void *handlers,
                                        size_t handlers_len, void *user_data);

/* Registered services, in registration order (for server reflection). */
CRPC_API size_t crpc_server_service_count(const crpc_server *server);
CRPC_API const crpc_service_desc *
crpc_server_service_at(const crpc_server *server, size_t i);

/*
 * Runs |cb| at the start of crpc_server_shutdown(), before connections
 * drain (health checking reports NOT_SERVING from there). Hooks run in
 * the order added, on the thread that shuts down. Call before starting.
 */
typedef void crpc_server_shutdown_cb(void *user_data);
CRPC_API crpc_code crpc_server_on_shutdown(crpc_server *server,
                                           crpc_server_shutdown_cb *cb,
                                           void *user_data);

/* Starts the I/O threads and begins accepting. */
CRPC_API crpc_code crpc_server_start(crpc_server *server);

/*
 * Graceful shutdown: stops accepting, sends GOAWAY, lets in-flight calls
 * finish for up to |grace_ms| milliseconds, then cancels the rest, and
 * returns when every handler has returned. Any thread but a handler's may
 * call it.
 */
CRPC_API void crpc_server_shutdown(crpc_server *server, int64_t grace_ms);

/* Shuts down (grace 0) if running, then frees. NULL is a no-op. */
CRPC_API void crpc_server_free(crpc_server *server);

/*
 * Inside a handler. A crpc_server_call is valid until the handler returns,
 * and is used by the handler's thread only (crpc_server_call_is_cancelled()
 * excepted).
 */

/*
 * Memory that lives as long as the call (freed after the reply is sent):
 * use it for reply fields, strings and repeated arrays. NULL when out of
 * memory.
 */
CRPC_API void *crpc_server_call_alloc(crpc_server_call *call, size_t len);
CRPC_API char *crpc_server_call_strdup(crpc_server_call *call, const char *s);

/*
 * Sets the status message and returns |code|, for `return
 * crpc_server_call_fail(call, CRPC_NOT_FOUND, "user %d not found", id);`.
 */
CRPC_API crpc_code crpc_server_call_fail(crpc_server_call *call, crpc_code code,
                                         const char *fmt, ...)
    CRPC_PRINTF(3, 4);

/* Request metadata (custom keys only), valid for the call's life. */
CRPC_API const crpc_metadata *
crpc_server_call_metadata(const crpc_server_call *call);

/* Adds response header metadata; sent with the first message or status. */
CRPC_API crpc_code crpc_server_call_add_header(crpc_server_call *call,
                                               const char *key,
                                               const void *value,
                                               size_t value_len);

/* Adds trailing metadata, sent with the status. */
CRPC_API crpc_code crpc_server_call_add_trailer(crpc_server_call *call,
                                                const char *key,
                                                const void *value,
                                                size_t value_len);

/*
 * Server pushback (gRFC A6): asks a retrying client to wait |ms| before its
 * next attempt, or, with a negative |ms|, not to retry at all. Sent as
 * grpc-retry-pushback-ms with the status.
 */
CRPC_API void crpc_server_call_set_retry_pushback(crpc_server_call *call,
                                                  int64_t ms);

/* The call's deadline (crpc_now_ms() clock), CRPC_DEADLINE_NONE if none. */
CRPC_API int64_t crpc_server_call_deadline(const crpc_server_call *call);

/*
 * True once the client cancelled, the connection died or the deadline
 * passed. Safe from any thread.
 */
CRPC_API bool crpc_server_call_is_cancelled(const crpc_server_call *call);

/* The method's :path, "/pkg.Service/Method". */
CRPC_API const char *crpc_server_call_path(const crpc_server_call *call);

/* The peer's address, "ipv4:127.0.0.1:41234", "ipv6:[::1]:5", "unix:". */
CRPC_API const char *crpc_server_call_peer(const crpc_server_call *call);

/*
 * Options for outbound calls made on behalf of this call: they carry its
 * deadline, and its cancellation (the client going away, the deadline
 * passing) cancels them, as gRPC C-core's default propagation does. Owned
 * by the call. For other options, or to opt out of a part, use
 * crpc_call_opts_set_parent() on options of your own.
 */
CRPC_API const crpc_call_opts *crpc_server_call_opts(crpc_server_call *call);

/* What crpc_call_opts_set_parent() hands down. */
#define CRPC_PROPAGATE_DEADLINE 1u
#define CRPC_PROPAGATE_CANCELLATION 2u
#define CRPC_PROPAGATE_DEFAULTS                                               \
  (CRPC_PROPAGATE_DEADLINE | CRPC_PROPAGATE_CANCELLATION)

/*
 * Makes calls started with |opts| children of |parent| (a call whose
 * handler is running): with CRPC_PROPAGATE_DEADLINE they get the parent's
 * deadline (or their own, if earlier); with CRPC_PROPAGATE_CANCELLATION
 * they are cancelled when the parent is. |opts| must not outlive the
 * parent's handler. NULL |parent| clears it.
 */
CRPC_API void crpc_call_opts_set_parent(crpc_call_opts *opts,
                                        crpc_server_call *parent,
                                        unsigned propagate);

/*
 * Compresses reply messages with |encoding| ("identity", "gzip",
 * "deflate") if the client accepts it, else sends them uncompressed, as
 * gRPC servers do. Call before the first write. INVALID_ARGUMENT for other
 * names or once the response has started.
 */
CRPC_API crpc_code crpc_server_call_set_compression(crpc_server_call *call,
                                                    const char *encoding);

/* Turns reply compression off (or back on) for the next messages written. */
CRPC_API void crpc_server_call_set_send_compression(crpc_server_call *call,
                                                    bool enabled);

/*
 * Whether the request message (unary and server-streaming methods) or the
 * message last returned by crpc_server_call_read() came compressed.
 */
CRPC_API bool crpc_server_call_was_compressed(const crpc_server_call *call);

/*
 * Streaming, inside handlers of streaming methods. crpc_server_call_read()
 * waits for the next request message: CRPC_OK with *msg set (the caller's,
 * free with protobuf_c_message_free_unpacked()), CRPC_OK with *msg NULL once
 * the client half-closed, or CANCELLED / DEADLINE_EXCEEDED.
 * crpc_server_call_write() sends one reply message, blocking while the
 * client's flow-control window is closed; CANCELLED if the call is gone.
 */
CRPC_API crpc_code crpc_server_call_read(crpc_server_call *call,
                                         ProtobufCMessage **msg);
CRPC_API crpc_code crpc_server_call_write(crpc_server_call *call,
                                          const ProtobufCMessage *msg);

#ifdef __cplusplus
}
#endif

#endif /* CRPC_SERVER_H */
