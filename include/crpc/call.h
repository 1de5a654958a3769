/*
 * crpc/call.h: client calls.
 *
 * Generated stubs (protoc-gen-crpc) wrap these functions with typed
 * signatures; the functions here serve any method given its descriptor.
 *
 * Ownership: requests are borrowed and serialized before the function
 * returns. Replies handed out through a `ProtobufCMessage **` are the
 * caller's, freed with protobuf_c_message_free_unpacked(msg, NULL) (or the
 * generated pkg__msg__free_unpacked()).
 */
#ifndef CRPC_CALL_H
#define CRPC_CALL_H

#include <stdbool.h>

#include "channel.h"
#include "metadata.h"
#include "service.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-call options. A call copies what it needs at its start. */
typedef struct crpc_call_opts crpc_call_opts;

CRPC_API crpc_code crpc_call_opts_new(crpc_call_opts **out);
CRPC_API void crpc_call_opts_free(crpc_call_opts *opts);

/* Deadline relative to the call's start. Sent as grpc-timeout. */
CRPC_API void crpc_call_opts_set_timeout_ms(crpc_call_opts *opts,
                                            int64_t timeout_ms);

/* Absolute deadline on the crpc_now_ms() clock; CRPC_DEADLINE_NONE clears. */
CRPC_API void crpc_call_opts_set_deadline(crpc_call_opts *opts,
                                          int64_t deadline);

/* Appends request metadata; see crpc_metadata_add() for the rules. */
CRPC_API crpc_code crpc_call_opts_add_metadata(crpc_call_opts *opts,
                                               const char *key,
                                               const void *value,
                                               size_t value_len);

/* Largest reply message accepted (default: the channel's, 4 MiB). */
CRPC_API void crpc_call_opts_set_max_recv_len(crpc_call_opts *opts,
                                              size_t len);

/*
 * Wait-for-ready (grpc doc/wait-for-ready.md): while the server cannot be
 * reached, the call waits (until its deadline) instead of failing at once
 * with UNAVAILABLE. Overrides the service config's waitForReady.
 */
CRPC_API void crpc_call_opts_set_wait_for_ready(crpc_call_opts *opts,
                                                bool enabled);

/*
 * Compresses request messages with |encoding|: "identity" (the default),
 * "gzip" or "deflate" (grpc doc/compression.md). A server without it
 * answers UNIMPLEMENTED. INVALID_ARGUMENT for other names.
 */
CRPC_API crpc_code crpc_call_opts_set_compression(crpc_call_opts *opts,
                                                  const char *encoding);

/*
 * Asks calls made with |opts| to store the server's response headers and
 * trailers in |headers| and |trailers| (either may be NULL). The lists are
 * cleared at the call's start and filled by the time the call has finished;
 * they are borrowed and must outlive the calls. Reserved keys (grpc-*) are
 * not copied into them.
 */
CRPC_API void crpc_call_opts_capture_metadata(crpc_call_opts *opts,
                                              crpc_metadata *headers,
                                              crpc_metadata *trailers);

/*
 * A unary call: sends |request|, waits for the reply or the deadline.
 *
 * On CRPC_OK, *reply is a new message (the caller's). On failure *reply is
 * untouched and the returned code equals status->code: UNAVAILABLE when the
 * server cannot be reached or the connection dies, DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED (reply over the receive limit, or out of memory),
 * INTERNAL (reply does not parse), CANCELLED (channel freed), or whatever
 * status the server sent. |opts| and |status| may be NULL.
 */
CRPC_API crpc_code crpc_call_unary(crpc_channel *channel,
                                   const crpc_method_desc *method,
                                   const ProtobufCMessage *request,
                                   ProtobufCMessage **reply,
                                   const crpc_call_opts *opts,
                                   crpc_status *status);

/*
 * Completion of crpc_call_unary_async(): |reply| is the caller's on OK and
 * NULL otherwise. Runs on a crpc I/O thread, so it must not block; it may
 * start further calls.
 */
typedef void crpc_unary_done_cb(void *user_data, ProtobufCMessage *reply,
                                const crpc_status *status);

/*
 * Starts a unary call and returns at once; |done| runs exactly once when it
 * ends. Returns non-OK (and never calls |done|) only when the call could not
 * be started: INVALID_ARGUMENT, RESOURCE_EXHAUSTED, CANCELLED (channel
 * closing).
 */
CRPC_API crpc_code crpc_call_unary_async(crpc_channel *channel,
                                         const crpc_method_desc *method,
                                         const ProtobufCMessage *request,
                                         const crpc_call_opts *opts,
                                         crpc_unary_done_cb *done,
                                         void *user_data);

/*
 * A streaming call of any kind, used one message at a time from one thread
 * (crpc_call_cancel() excepted, which any thread may call).
 */
typedef struct crpc_call crpc_call;

/* Starts a call: sends the request headers. */
CRPC_API crpc_code crpc_call_start(crpc_channel *channel,
                                   const crpc_method_desc *method,
                                   const crpc_call_opts *opts,
                                   crpc_call **out);

/*
 * Sends one message, blocking while the peer's flow-control window is
 * closed. Returns the call's final code if the call has already ended.
 */
CRPC_API crpc_code crpc_call_send(crpc_call *call, const ProtobufCMessage *msg);

/*
 * With compression set in the call's options, turns it off (or back on)
 * for the messages sent from now on. Compression is on by default.
 */
CRPC_API void crpc_call_set_send_compression(crpc_call *call, bool enabled);

/* Half-closes: tells the server no more messages follow. */
CRPC_API crpc_code crpc_call_close_send(crpc_call *call);

/*
 * Waits for the next message. CRPC_OK with *msg set (the caller's), or
 * CRPC_OK with *msg NULL at the end of the stream; otherwise the call's
 * final non-OK code.
 */
CRPC_API crpc_code crpc_call_recv(crpc_call *call, ProtobufCMessage **msg);

/*
 * Waits for the call's status (discarding unread messages) and returns its
 * code; fills |status| if not NULL.
 */
CRPC_API crpc_code crpc_call_finish(crpc_call *call, crpc_status *status);

/* Cancels the call (RST_STREAM CANCEL); safe from any thread. */
CRPC_API void crpc_call_cancel(crpc_call *call);

/* Frees the call, cancelling it if it has not finished. NULL is a no-op. */
CRPC_API void crpc_call_free(crpc_call *call);

#ifdef __cplusplus
}
#endif

#endif /* CRPC_CALL_H */
