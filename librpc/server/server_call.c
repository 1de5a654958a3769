/*
 * server/server_call.c: the server side of an RPC.
 *
 * The loop thread parses the request headers, collects request messages and
 * dispatches the handler: to a worker thread, or, for unary methods on a
 * server that asked for it, inline. The handler's reply and status come
 * back to the loop as one posted task that submits headers, DATA and
 * trailers together, or a Trailers-Only response for an early error.
 *
 * References: the stream holds one until it closes, the handler one from
 * dispatch until its completion has been handed to HTTP/2, and each task
 * posted to the loop one until it ran.
 */
#include "server/server_call.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "call/call_io.h"
#include "call/call_opts.h"
#include "call/headers.h"
#include "call/message.h"
#include "wire/framing.h"
#include "wire/metadata.h"
#include "wire/status.h"
#include "wire/timeout.h"

#define RST_CANCEL 0x8

struct crpc_server_call {
  atomic_int refs;
  crpc_server *server;
  crpc_loop *loop;
  const crpc_server_method *method;
  crpc_h2_stream stream;
  atomic_bool is_cancelled;
  int64_t deadline;
  const char *path;
  const char *peer;
  const crpc_peer_identity *identity; /* verified TLS client, or NULL */
  crpc_metadata *metadata; /* request metadata, NULL if none */
  crpc_call_opts opts;     /* for outbound calls: deadline, cancellation */

  /* Request parsing, loop thread only. */
  bool is_post;
  bool has_grpc_content_type;
  bool has_bad_timeout;
  const char *bad_encoding;
  crpc_encoding recv_encoding;
  unsigned accepted; /* bit per crpc_encoding the client takes */
  crpc_encoding send_encoding;
  bool is_send_compressed; /* guarded by mu */
  bool was_compressed;     /* the request, or the last message read */
  crpc_bytes inflated;     /* loop: scratch for decompression */
  bool is_dispatched;
  bool is_answered_early;
  bool is_admitted; /* counts against the server's max_calls */
  size_t messages_received;
  const uint8_t *request_bytes; /* unary request, in the arena */
  size_t request_len;
  crpc_deframer deframer;
  crpc_timer timer;
  bool is_timer_armed;
  bool is_response_started;
  bool is_done_on_loop; /* the handler's end reached the loop */
  crpc_headers response;

  /* Guarded by io.mu. */
  bool is_remote_ended;
  bool is_flush_posted;
  bool is_handler_done;
  crpc_metadata *headers_out;
  crpc_metadata *trailers_out;
  bool has_pushback;
  int64_t pushback_ms;

  crpc_task run_task;
  crpc_task flush_task;
  crpc_task window_task;

  /*
   * Not zeroed. Most bytes of the statuses are never read; io and scope
   * are initialized once per object, since their mutexes and condition
   * variable stay initialized while the object waits in a loop's cache.
   */
  crpc_status status;      /* guarded by io.mu */
  crpc_status recv_error;  /* loop: why a received message failed */
  crpc_call_io io;         /* received: streaming requests only */
  crpc_cancel_scope scope; /* outbound calls cancelled with this one */
  crpc_arena arena;
  _Alignas(16) uint8_t arena_block[1024];
};

/* The encoding of the next reply message. Called with io.mu held. */
static crpc_encoding send_encoding(const crpc_server_call *call) {
  return call->is_send_compressed ? call->send_encoding
                                  : CRPC_ENCODING_IDENTITY;
}

static bool has_single_request(const crpc_server_call *call) {
  crpc_method_kind kind = call->method->desc->kind;
  return kind == CRPC_METHOD_UNARY || kind == CRPC_METHOD_SERVER_STREAMING;
}

/*
 * Call objects. One freed on an I/O thread waits in that loop's cache
 * (server/server.h) for the loop's next call instead of going back to
 * malloc: at 2.5 KiB it is past glibc's per-thread cache, so malloc and
 * free took their slow paths every call, and the cached object keeps its
 * mutexes and condition variable initialized. A loop keeps at most
 * CACHE_MAX, enough for a connection with 100 calls in flight, and never
 * more than it once had alive at the same time: 320 KiB at the most.
 */
enum { CACHE_MAX = 128 };

typedef struct cached_call {
  struct cached_call *next;
} cached_call;

/* The cancel scope's hold and release (below). */
static void hold(void *arg);
static void release(void *arg);

/* An object for a new call: its sync objects ready, the rest not. */
static crpc_server_call *call_alloc(crpc_server *server) {
  crpc_call_cache *cache = crpc_server_call_cache(server);
  crpc_server_call *call;
  if (cache != NULL && cache->head != NULL) {
    cached_call *c = cache->head;
    crpc_mem_unpoison(c, sizeof(*call));
    cache->head = c->next;
    cache->count--;
    call = (crpc_server_call *)c;
    crpc_cancel_scope_reset(&call->scope);
    return call;
  }
  if ((call = crpc_mem_malloc(sizeof(*call))) == NULL)
    return NULL;
  crpc_call_io_init(&call->io);
  crpc_cancel_scope_init(&call->scope, call, hold, release);
  return call;
}

static void call_destroy(crpc_server_call *call) {
  crpc_call_io_free(&call->io);
  crpc_cancel_scope_destroy(&call->scope);
  crpc_mem_free(call);
}

void crpc_server_call_cache_drain(crpc_call_cache *cache) {
  while (cache->head != NULL) {
    cached_call *c = cache->head;
    crpc_mem_unpoison(c, sizeof(crpc_server_call));
    cache->head = c->next;
    call_destroy((crpc_server_call *)c);
  }
  cache->count = 0;
}

/* Takes the object of a finished call; its io is already cleared. */
static void call_recycle(crpc_server *server, crpc_server_call *call) {
  crpc_call_cache *cache = crpc_server_call_cache(server);
  if (cache == NULL || cache->count >= CACHE_MAX) {
    call_destroy(call);
    return;
  }
  cached_call *c = (cached_call *)call;
  c->next = cache->head;
  cache->head = c;
  cache->count++;
  /* All but the link, which leak checkers follow (LeakSanitizer does not
   * read poisoned memory). */
  crpc_mem_poison(c + 1, sizeof(*call) - sizeof(*c));
}

static void call_unref(crpc_server_call *call) {
  if (atomic_fetch_sub_explicit(&call->refs, 1, memory_order_acq_rel) != 1)
    return;
  crpc_server *server = call->server;
  crpc_call_io_clear(&call->io);
  crpc_bytes_free(&call->inflated);
  crpc_deframer_free(&call->deframer);
  crpc_metadata_free(call->metadata);
  crpc_metadata_free(call->headers_out);
  crpc_metadata_free(call->trailers_out);
  crpc_metadata_free(call->opts.metadata);
  crpc_arena_free(&call->arena);
  if (call->is_admitted)
    crpc_server_call_retired(server);
  call_recycle(server, call);
  crpc_server_call_freed(server);
}

/* The scope keeps the call alive while outbound calls are in it. */
static void hold(void *arg) {
  crpc_server_call *call = arg;
  atomic_fetch_add(&call->refs, 1);
}

static void release(void *arg) { call_unref(arg); }

static void cancel(crpc_server_call *call) {
  atomic_store(&call->is_cancelled, true);
  crpc_cancel_scope_cancel(&call->scope);
  pthread_mutex_lock(&call->io.mu);
  pthread_cond_broadcast(&call->io.cv);
  pthread_mutex_unlock(&call->io.mu);
}

/* Response side (loop thread). */

/* Status, pushback and trailing metadata: one more field than the
 * metadata counts. */
static crpc_code add_status_headers(crpc_server_call *call, crpc_headers *h) {
  if (crpc_headers_add_status(h, &call->status) != CRPC_OK ||
      crpc_headers_add_metadata(h, call->trailers_out) != CRPC_OK)
    return CRPC_RESOURCE_EXHAUSTED;
  if (call->has_pushback) {
    char *text = crpc_arena_alloc(&call->arena, 24);
    if (text == NULL)
      return CRPC_RESOURCE_EXHAUSTED;
    /* gRFC A6: a negative value is sent as is and means "stop". */
    int n = snprintf(text, 24, "%lld", (long long)call->pushback_ms);
    crpc_headers_add(h, "grpc-retry-pushback-ms", text, (size_t)n);
  }
  return CRPC_OK;
}

/*
 * Answers before (or without) a handler: Trailers-Only for gRPC errors
 * (PROTOCOL-HTTP2.md), or a bare HTTP status for requests that are not
 * gRPC at all.
 */
static void answer_early(crpc_server_call *call, int http_status,
                         crpc_code code, const char *fmt, ...)
    CRPC_PRINTF(4, 5);
static void answer_early(crpc_server_call *call, int http_status,
                         crpc_code code, const char *fmt, ...) {
  crpc_headers h;
  va_list ap;
  char msg[CRPC_STATUS_MESSAGE_MAX];

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  call->is_answered_early = true;
  call->is_done_on_loop = true;
  pthread_mutex_lock(&call->io.mu);
  call->is_handler_done = true;
  crpc_status_set(&call->status, code, "%s", msg);
  pthread_mutex_unlock(&call->io.mu);
  if (crpc_headers_init(&h, &call->arena,
                        7 + crpc_headers_count_metadata(call->trailers_out)) !=
      CRPC_OK)
    goto reset;
  const char *status = http_status == 415   ? "415"
                       : http_status == 405 ? "405"
                                            : "200";
  crpc_headers_add(&h, ":status", status, 3);
  crpc_headers_add(&h, "content-type", "application/grpc", 16);
  crpc_headers_add(&h, "grpc-accept-encoding", crpc_encoding_accept,
                   strlen(crpc_encoding_accept));
  if (add_status_headers(call, &h) != CRPC_OK)
    goto reset;
  crpc_log(CRPC_LOG_DEBUG, "%s %s: %s: %s", call->peer,
           call->path != NULL ? call->path : "?", crpc_code_name(code), msg);
  if (crpc_h2_submit_response(&call->stream, h.nv, h.count, false) != CRPC_OK)
    goto reset;
  /* Any request body still coming is consumed and dropped; a gRPC client
   * that sees the status stops sending. (A RST_STREAM here could overtake
   * the response in nghttp2's queue.) */
  call->is_response_started = true;
  return;

reset:
  crpc_h2_reset(&call->stream, 0x2 /* INTERNAL_ERROR */);
}

/* The headers of most replies (no metadata, no compression) and the
 * trailers of most successes, as constants rather than built per call. */
static const crpc_h2_nv plain_headers[] = {
    CRPC_H2_NV(":status", "200"),
    CRPC_H2_NV("content-type", "application/grpc"),
    CRPC_H2_NV("grpc-accept-encoding", CRPC_ENCODING_ACCEPT),
};
static const crpc_h2_nv ok_trailers[] = {CRPC_H2_NV("grpc-status", "0")};

/* A failure with nothing sent: Trailers-Only. Called with io.mu held. */
static bool is_trailers_only_locked(const crpc_server_call *call) {
  return call->is_handler_done && !crpc_call_io_has_unsent_locked(&call->io) &&
         call->status.code != CRPC_OK;
}

/*
 * Submits headers, or resumes DATA, for what the handler produced;
 * |trailers_only| is is_trailers_only_locked(), read by the caller under the
 * lock it held anyway.
 */
static void flush_response(crpc_server_call *call, bool trailers_only) {
  if (call->stream.conn == NULL || call->is_answered_early)
    return;
  if (call->is_response_started) {
    crpc_h2_resume(&call->stream);
    return;
  }
  if (!trailers_only && call->send_encoding == CRPC_ENCODING_IDENTITY &&
      crpc_headers_count_metadata(call->headers_out) == 0) {
    if (crpc_h2_submit_response(&call->stream, plain_headers,
                                sizeof(plain_headers) / sizeof(*plain_headers),
                                true) != CRPC_OK)
      goto reset;
    call->is_response_started = true;
    return;
  }
  crpc_headers *h = &call->response;
  size_t md = crpc_headers_count_metadata(call->headers_out) +
              crpc_headers_count_metadata(call->trailers_out);
  if (crpc_headers_init(h, &call->arena, 7 + md) != CRPC_OK)
    goto reset;
  crpc_headers_add(h, ":status", "200", 3);
  crpc_headers_add(h, "content-type", "application/grpc", 16);
  crpc_headers_add(h, "grpc-accept-encoding", crpc_encoding_accept,
                   strlen(crpc_encoding_accept));
  if (call->send_encoding != CRPC_ENCODING_IDENTITY) {
    const char *name = crpc_encoding_name(call->send_encoding);
    crpc_headers_add(h, "grpc-encoding", name, strlen(name));
  }
  if (crpc_headers_add_metadata(h, call->headers_out) != CRPC_OK)
    goto reset;
  if (trailers_only && add_status_headers(call, h) != CRPC_OK)
    goto reset;
  if (crpc_h2_submit_response(&call->stream, h->nv, h->count, !trailers_only) !=
      CRPC_OK)
    goto reset;
  call->is_response_started = true;
  return;

reset:
  crpc_h2_reset(&call->stream, 0x2 /* INTERNAL_ERROR */);
}

static void on_flush(void *arg) {
  crpc_server_call *call = arg;
  pthread_mutex_lock(&call->io.mu);
  call->is_flush_posted = false;
  bool trailers_only = is_trailers_only_locked(call);
  if (call->is_handler_done)
    call->is_done_on_loop = true;
  pthread_mutex_unlock(&call->io.mu);
  flush_response(call, trailers_only);
  /* The deadline stays armed until the stream closes: a reply stuck
   * behind a client's closed window still ends at the deadline. */
  call_unref(call);
}

/* Asks the loop to send what was queued. Called with io.mu held. */
static void post_flush(crpc_server_call *call) {
  if (call->is_flush_posted)
    return;
  call->is_flush_posted = true;
  atomic_fetch_add(&call->refs, 1);
  crpc_loop_post(call->loop, &call->flush_task);
}

/* The handler. */

/*
 * The one reply of a unary or client-streaming call, uncompressed, is
 * framed in the arena and lent to HTTP/2, as the request was kept there:
 * no heap buffer to copy it through. Called with io.mu held.
 */
static crpc_code frame_reply(crpc_server_call *call,
                             const ProtobufCMessage *reply) {
  if (send_encoding(call) != CRPC_ENCODING_IDENTITY)
    return crpc_message_frame(reply, send_encoding(call), &call->io.send_buf);
  return crpc_message_frame_in_arena(reply, &call->arena, &call->io.lent,
                                     &call->io.lent_len);
}

static void run_handler(void *arg) {
  crpc_server_call *call = arg;
  const crpc_method_desc *desc = call->method->desc;
  ProtobufCMessage *request = NULL, *reply = NULL;
  ProtobufCAllocator alloc;
  crpc_status why; /* not zeroed whole: 260 bytes per call */
  crpc_code code = CRPC_OK;

  why.code = CRPC_OK;
  why.message[0] = '\0';

  /* Requests decode into the call's arena: nothing to free one by one. */
  crpc_arena_pb_allocator(&call->arena, &alloc);
  if (has_single_request(call))
    crpc_message_unpack(desc->request_type, call->request_bytes,
                        call->request_len, &alloc, &request, &why);
  if (why.code == CRPC_OK && (desc->kind == CRPC_METHOD_UNARY ||
                              desc->kind == CRPC_METHOD_CLIENT_STREAMING)) {
    reply = crpc_arena_alloc(&call->arena, desc->reply_type->sizeof_message);
    if (reply == NULL)
      crpc_status_set(&why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
    else
      protobuf_c_message_init(desc->reply_type, reply);
  }
  if (why.code == CRPC_OK)
    code = desc->invoke(call, call->method->handlers, call->method->user_data,
                        request, reply);

  pthread_mutex_lock(&call->io.mu);
  if (why.code == CRPC_OK && code == CRPC_OK && reply != NULL &&
      frame_reply(call, reply) != CRPC_OK)
    crpc_status_set(&why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
  /* The status is copied only when it changes: it is 260 bytes. The same
   * code keeps crpc_server_call_fail()'s message. */
  if (why.code != CRPC_OK) {
    call->status = why;
  } else if (call->status.code != code) {
    call->status.code = code;
    call->status.message[0] = '\0';
  }
  call->is_handler_done = true;
  if (crpc_loop_is_current(call->loop)) {
    call->is_done_on_loop = true;
    bool trailers_only = is_trailers_only_locked(call);
    pthread_mutex_unlock(&call->io.mu);
    flush_response(call, trailers_only);
    call_unref(call); /* the handler's reference */
    return;
  }
  post_flush(call);
  pthread_mutex_unlock(&call->io.mu);
  call_unref(call); /* the handler's reference; the flush task holds one */
}

static void dispatch(crpc_server_call *call) {
  call->is_dispatched = true;
  atomic_fetch_add(&call->refs, 1); /* the handler's */
  if (call->method->desc->kind == CRPC_METHOD_UNARY &&
      crpc_server_runs_inline(call->server)) {
    run_handler(call);
    return;
  }
  const char *peer = crpc_arena_strdup(&call->arena, call->peer);
  call->peer = peer != NULL ? peer : "";
  crpc_workers_run(crpc_server_workers(call->server), &call->run_task);
}

/* Stream events (loop thread). */

static void on_header(void *owner, const char *name, size_t name_len,
                      const char *value, size_t value_len,
                      bool block_ends_stream) {
  crpc_server_call *call = owner;
  /* A constant size lets the compiler compare whole words. */
#define IS(lit)                                                                \
  (name_len == sizeof(lit) - 1 && memcmp(name, lit, sizeof(lit) - 1) == 0)
  if (name[0] == ':') {
    /* nghttp2 checked every pseudo-header (RFC 9113 8.3.1); :scheme and
     * :authority do not matter to gRPC. */
    if (IS(":path")) {
      char *path = crpc_arena_alloc(&call->arena, value_len + 1);
      if (path != NULL) {
        memcpy(path, value, value_len);
        path[value_len] = '\0';
        call->path = path;
      }
    } else if (IS(":method")) {
      call->is_post = value_len == 4 && memcmp(value, "POST", 4) == 0;
    }
    return;
  }
  /* The headers gRPC reads, by length first. */
  switch (name_len) {
  case 12:
    if (IS("content-type")) {
      call->has_grpc_content_type =
          crpc_headers_is_grpc_content_type(value, value_len);
      return;
    }
    if (IS("grpc-timeout")) {
      int64_t timeout_ms;
      if (crpc_timeout_parse(value, value_len, &timeout_ms))
        call->deadline = crpc_now_ms() + timeout_ms;
      else
        call->has_bad_timeout = true;
      return;
    }
    break;
  case 13:
    if (IS("grpc-encoding")) {
      call->recv_encoding = crpc_encoding_parse(value, value_len);
      if (call->recv_encoding == CRPC_ENCODING_UNKNOWN) {
        char *enc = crpc_arena_alloc(&call->arena, value_len + 1);
        if (enc != NULL) {
          memcpy(enc, value, value_len);
          enc[value_len] = '\0';
        }
        call->bad_encoding = enc != NULL ? enc : "?";
      }
      return;
    }
    break;
  case 20:
    if (IS("grpc-accept-encoding")) {
      for (int e = CRPC_ENCODING_GZIP; e <= CRPC_ENCODING_DEFLATE; e++)
        if (crpc_encoding_is_accepted(value, value_len, (crpc_encoding)e))
          call->accepted |= 1u << e;
      return;
    }
    break;
  }
  if (!call->is_dispatched && !crpc_metadata_key_is_reserved(name, name_len)) {
    /* In the arena: nothing to free per header. Request trailers, which
     * come while the handler may read the metadata (and use the arena),
     * are not added. */
    if (call->metadata == NULL &&
        crpc_metadata_new_in_arena(&call->metadata, &call->arena) != CRPC_OK)
      return;
    crpc_metadata_add_wire(call->metadata, name, name_len, value, value_len);
  }
#undef IS
}

static void on_deadline(void *arg) {
  crpc_server_call *call = arg;
  call->is_timer_armed = false;
  cancel(call);
  if (!call->is_response_started)
    answer_early(call, 200, CRPC_DEADLINE_EXCEEDED, "deadline exceeded");
  else
    crpc_h2_reset(&call->stream, RST_CANCEL);
}

static void unknown_method(crpc_server_call *call) {
  /* Name the missing part, as grpc-go does. */
  const char *path = call->path != NULL ? call->path : "";
  const char *slash = path[0] == '/' ? strchr(path + 1, '/') : NULL;
  if (slash == NULL) {
    answer_early(call, 200, CRPC_UNIMPLEMENTED, "malformed method name \"%s\"",
                 path);
    return;
  }
  size_t svc_len = (size_t)(slash - path - 1);
  if (crpc_server_has_service(call->server, path + 1, svc_len))
    answer_early(call, 200, CRPC_UNIMPLEMENTED,
                 "unknown method %s for service %.*s", slash + 1, (int)svc_len,
                 path + 1);
  else
    answer_early(call, 200, CRPC_UNIMPLEMENTED, "unknown service %.*s",
                 (int)svc_len, path + 1);
}

static void on_headers_done(void *owner, bool end_stream) {
  crpc_server_call *call = owner;
  if (call->is_dispatched || call->is_answered_early || call->method != NULL)
    return; /* request trailers: nothing in them for us */
  if (!call->is_post) {
    answer_early(call, 405, CRPC_UNIMPLEMENTED, "gRPC requires POST");
    return;
  }
  if (!call->has_grpc_content_type) {
    /* PROTOCOL-HTTP2.md: 415 keeps non-gRPC clients from reading a gRPC
     * error as success. */
    answer_early(call, 415, CRPC_INTERNAL, "invalid gRPC content-type");
    return;
  }
  call->method = crpc_server_find_method(
      call->server, call->path != NULL ? call->path : "",
      call->path != NULL ? strlen(call->path) : 0);
  if (call->method == NULL) {
    unknown_method(call);
    return;
  }
  if (call->bad_encoding != NULL) {
    /* grpc doc/compression.md: an encoding we lack is UNIMPLEMENTED. */
    answer_early(call, 200, CRPC_UNIMPLEMENTED,
                 "grpc-encoding %s is not supported", call->bad_encoding);
    return;
  }
  if (call->has_bad_timeout) {
    answer_early(call, 200, CRPC_INTERNAL, "malformed grpc-timeout");
    return;
  }
  if (!crpc_server_admit_call(call->server)) {
    /* Shed load before reading the request or running anything. */
    answer_early(call, 200, CRPC_RESOURCE_EXHAUSTED,
                 "server overloaded: %zu calls in flight",
                 crpc_server_max_calls(call->server));
    return;
  }
  call->is_admitted = true;
  if (call->deadline != CRPC_DEADLINE_NONE) {
    if (call->deadline <= crpc_now_ms()) {
      answer_early(call, 200, CRPC_DEADLINE_EXCEEDED, "deadline exceeded");
      return;
    }
    call->opts.deadline = call->deadline;
    crpc_timer_init(&call->timer, call->loop, on_deadline, call);
    crpc_timer_start_at(&call->timer, call->deadline);
    call->is_timer_armed = true;
  }
  if (!has_single_request(call))
    dispatch(call); /* streaming requests: the handler reads as they come */
}

static crpc_code on_message(void *user_data, const uint8_t *msg, size_t len,
                            bool compressed) {
  crpc_server_call *call = user_data;
  crpc_code code =
      crpc_message_inflate(call->recv_encoding, compressed, &msg, &len,
                           crpc_server_max_recv_len(call->server),
                           &call->inflated, &call->recv_error);
  if (code != CRPC_OK)
    return code;
  call->messages_received++;
  if (has_single_request(call)) {
    if (call->messages_received > 1) {
      /* grpc doc/statuscodes.md: a second request message on a method
       * that takes one is UNIMPLEMENTED. */
      answer_early(call, 200, CRPC_UNIMPLEMENTED,
                   "more than one request message for %s", call->path);
      return CRPC_UNIMPLEMENTED;
    }
    call->request_bytes = crpc_arena_memdup(&call->arena, msg, len ? len : 1);
    call->request_len = len;
    call->was_compressed = compressed;
    code = call->request_bytes != NULL ? CRPC_OK : CRPC_RESOURCE_EXHAUSTED;
  } else {
    pthread_mutex_lock(&call->io.mu);
    code = crpc_rmsg_queue_push(&call->io.received, NULL, msg, len,
                                compressed);
    pthread_cond_broadcast(&call->io.cv);
    pthread_mutex_unlock(&call->io.mu);
  }
  if (code != CRPC_OK) /* on_data answers with recv_error */
    crpc_status_set(&call->recv_error, code, "out of memory");
  return code;
}

static void on_window(void *arg) {
  crpc_server_call *call = arg;
  crpc_h2_consume(&call->stream, crpc_call_io_reopen_window(&call->io));
  call_unref(call);
}

static void on_data(void *owner, const uint8_t *data, size_t len) {
  crpc_server_call *call = owner;
  crpc_status why;
  call->io.window_held += len;
  if (call->is_answered_early || call->method == NULL ||
      call->deframer.failed != CRPC_OK) {
    /* Dropped unread. */
    crpc_h2_consume(&call->stream,
                    crpc_call_io_settle_window(&call->io, false));
    return;
  }
  why.code = CRPC_OK;
  crpc_code code =
      crpc_deframer_feed(&call->deframer, data, len, on_message, call, &why);
  if (code != CRPC_OK && why.code == CRPC_OK)
    why = call->recv_error; /* on_message failed and said why */
  /* Streamed requests: the handler's reads pace the window. */
  crpc_h2_consume(&call->stream,
                  crpc_call_io_settle_window(
                      &call->io, code == CRPC_OK && !has_single_request(call)));
  if (code == CRPC_OK || call->is_answered_early)
    return;
  /* A running handler is cancelled; the client hears the real reason
   * unless replies already went out, when only a reset can end it. */
  if (call->is_dispatched)
    cancel(call);
  if (call->is_response_started)
    crpc_h2_reset(&call->stream, RST_CANCEL);
  else
    answer_early(call, 200, why.code, "%s", why.message);
}

static void on_remote_end(void *owner) {
  crpc_server_call *call = owner;
  if (!call->is_dispatched) {
    /* No handler runs yet to wait for it; dispatch() publishes it. */
    call->is_remote_ended = true;
  } else {
    pthread_mutex_lock(&call->io.mu);
    call->is_remote_ended = true;
    pthread_cond_broadcast(&call->io.cv);
    pthread_mutex_unlock(&call->io.mu);
  }
  if (call->is_answered_early || call->is_dispatched || call->method == NULL)
    return;
  if (!crpc_deframer_is_idle(&call->deframer)) {
    answer_early(call, 200, CRPC_INTERNAL, "request ended inside a message");
    return;
  }
  if (call->messages_received == 0) {
    answer_early(call, 200, CRPC_UNIMPLEMENTED, "no request message for %s",
                 call->path);
    return;
  }
  dispatch(call);
}

static crpc_h2_data read_data(void *owner, uint8_t *buf, size_t max,
                              size_t *len, bool *is_later) {
  crpc_server_call *call = owner;
  crpc_h2_data result = CRPC_H2_DATA_MORE;
  bool is_drained;
  pthread_mutex_lock(&call->io.mu);
  *len = crpc_call_io_take_locked(&call->io, buf, max, &is_drained, is_later);
  if (is_drained && call->is_handler_done) {
    result = CRPC_H2_DATA_TRAILERS;
    call->is_done_on_loop = true;
  } else if (is_drained) {
    result = CRPC_H2_DATA_DEFER;
  }
  pthread_mutex_unlock(&call->io.mu);
  return result;
}

static void copy_data(void *owner, uint8_t *dest) {
  crpc_server_call *call = owner;
  pthread_mutex_lock(&call->io.mu);
  crpc_call_io_copy_later_locked(&call->io, dest);
  pthread_mutex_unlock(&call->io.mu);
}

static void get_trailers(void *owner, const crpc_h2_nv **nv, size_t *count) {
  crpc_server_call *call = owner;
  crpc_headers h;
  if (call->status.code == CRPC_OK && call->status.message[0] == '\0' &&
      crpc_headers_count_metadata(call->trailers_out) == 0 &&
      !call->has_pushback) {
    *nv = ok_trailers;
    *count = 1;
    return;
  }
  *nv = NULL;
  *count = 0;
  if (crpc_headers_init(&h, &call->arena,
                        3 + crpc_headers_count_metadata(call->trailers_out)) !=
          CRPC_OK ||
      add_status_headers(call, &h) != CRPC_OK)
    return;
  *nv = h.nv;
  *count = h.count;
}

static void on_close(void *owner, uint32_t error, const char *why) {
  crpc_server_call *call = owner;
  if (call->is_timer_armed) {
    crpc_timer_stop(&call->timer);
    call->is_timer_armed = false;
  }
  /* The answer ends only after the handler's end reached the loop: a
   * stream closed before is a client gone away. */
  if (!call->is_done_on_loop)
    cancel(call);
  call_unref(call);
}

const crpc_h2_ops crpc_server_call_h2_ops = {
    .on_header = on_header,
    .on_headers_done = on_headers_done,
    .on_data = on_data,
    .on_remote_end = on_remote_end,
    .read_data = read_data,
    .copy_data = copy_data,
    .get_trailers = get_trailers,
    .on_close = on_close,
};

void *crpc_server_call_new(crpc_server *server, crpc_h2_conn *conn,
                           crpc_h2_stream **link) {
  crpc_server_call *call = call_alloc(server);
  if (call == NULL)
    return NULL;
  crpc_server_call_opened(server);
  crpc_mem_zero(call, offsetof(crpc_server_call, status));
  call->status.code = call->recv_error.code = CRPC_OK;
  call->status.message[0] = call->recv_error.message[0] = '\0';
  atomic_init(&call->refs, 1); /* the stream's */
  atomic_init(&call->is_cancelled, false);
  call->server = server;
  call->loop = crpc_h2_conn_loop(conn);
  call->deadline = CRPC_DEADLINE_NONE;
  crpc_call_opts_init(&call->opts);
  call->opts.parent_scope = &call->scope;
  crpc_deframer_init(&call->deframer, crpc_server_max_recv_len(server));
  crpc_arena_init(&call->arena, call->arena_block, sizeof(call->arena_block));
  crpc_task_init(&call->run_task, run_handler, call);
  crpc_task_init(&call->flush_task, on_flush, call);
  crpc_task_init(&call->window_task, on_window, call);
  crpc_bytes_init(&call->inflated);
  /* The connection's while the stream is attached; dispatch() copies it
   * for a handler thread, which may outlive the connection. */
  call->peer = crpc_h2_conn_peer(conn);
  /* A copy: the handler may outlive the connection. */
  call->identity =
      crpc_stream_peer_identity(crpc_h2_conn_stream(conn), &call->arena);
  *link = &call->stream;
  return call;
}

/* The handler's API. */

CRPC_API void *crpc_server_call_alloc(crpc_server_call *call, size_t len) {
  return crpc_arena_alloc(&call->arena, len);
}

CRPC_API char *crpc_server_call_strdup(crpc_server_call *call, const char *s) {
  return crpc_arena_strdup(&call->arena, s);
}

CRPC_API crpc_code crpc_server_call_fail(crpc_server_call *call, crpc_code code,
                                         const char *fmt, ...) {
  va_list ap;
  char msg[CRPC_STATUS_MESSAGE_MAX];
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&call->io.mu);
  crpc_status_set(&call->status, code, "%s", msg);
  pthread_mutex_unlock(&call->io.mu);
  return code;
}

/* Handlers get a list either way; one shared empty list serves all. */
static crpc_metadata *empty_metadata;
static pthread_once_t empty_once = PTHREAD_ONCE_INIT;

static void make_empty_metadata(void) { crpc_metadata_new(&empty_metadata); }

CRPC_API const crpc_metadata *
crpc_server_call_metadata(const crpc_server_call *call) {
  if (call->metadata != NULL)
    return call->metadata;
  pthread_once(&empty_once, make_empty_metadata);
  return empty_metadata;
}

static crpc_code add_out(crpc_server_call *call, crpc_metadata **md,
                         const char *key, const void *value, size_t len) {
  crpc_code code = CRPC_OK;
  pthread_mutex_lock(&call->io.mu);
  if (*md == NULL)
    code = crpc_metadata_new(md);
  if (code == CRPC_OK)
    code = crpc_metadata_add(*md, key, value, len);
  pthread_mutex_unlock(&call->io.mu);
  return code;
}

CRPC_API crpc_code crpc_server_call_add_header(crpc_server_call *call,
                                               const char *key,
                                               const void *value,
                                               size_t value_len) {
  if (call->is_response_started)
    return CRPC_INVALID_ARGUMENT; /* headers are already on the wire */
  return add_out(call, &call->headers_out, key, value, value_len);
}

CRPC_API crpc_code crpc_server_call_add_trailer(crpc_server_call *call,
                                                const char *key,
                                                const void *value,
                                                size_t value_len) {
  return add_out(call, &call->trailers_out, key, value, value_len);
}

CRPC_API int64_t crpc_server_call_deadline(const crpc_server_call *call) {
  return call->deadline;
}

CRPC_API bool crpc_server_call_is_cancelled(const crpc_server_call *call) {
  return atomic_load(&call->is_cancelled);
}

CRPC_API const char *crpc_server_call_path(const crpc_server_call *call) {
  return call->path;
}

CRPC_API const char *crpc_server_call_peer(const crpc_server_call *call) {
  return call->peer;
}

CRPC_API const crpc_peer_identity *
crpc_server_call_peer_identity(const crpc_server_call *call) {
  return call->identity;
}

CRPC_API const crpc_call_opts *crpc_server_call_opts(crpc_server_call *call) {
  return &call->opts;
}

static crpc_code cancelled_code(const crpc_server_call *call) {
  return call->deadline != CRPC_DEADLINE_NONE && crpc_now_ms() >= call->deadline
             ? CRPC_DEADLINE_EXCEEDED
             : CRPC_CANCELLED;
}

CRPC_API crpc_code crpc_server_call_read(crpc_server_call *call,
                                         ProtobufCMessage **msg) {
  crpc_rmsg *m;
  crpc_status why;
  *msg = NULL;
  pthread_mutex_lock(&call->io.mu);
  while ((m = crpc_rmsg_queue_pop(&call->io.received)) == NULL &&
         !call->is_remote_ended && !atomic_load(&call->is_cancelled))
    pthread_cond_wait(&call->io.cv, &call->io.mu);
  if (m != NULL) {
    call->was_compressed = m->was_compressed;
    if (crpc_call_io_should_reopen_locked(&call->io)) {
      atomic_fetch_add(&call->refs, 1);
      crpc_loop_post(call->loop, &call->window_task);
    }
  }
  pthread_mutex_unlock(&call->io.mu);
  if (m == NULL)
    return atomic_load(&call->is_cancelled) ? cancelled_code(call) : CRPC_OK;
  crpc_code code = crpc_message_unpack(call->method->desc->request_type,
                                       m->data, m->len, NULL, msg, &why);
  crpc_rmsg_free(m);
  if (code != CRPC_OK)
    crpc_server_call_fail(call, code, "%s", why.message);
  return code;
}

CRPC_API crpc_code crpc_server_call_write(crpc_server_call *call,
                                          const ProtobufCMessage *msg) {
  crpc_code code;
  pthread_mutex_lock(&call->io.mu);
  while (!atomic_load(&call->is_cancelled) &&
         !crpc_call_io_has_room_locked(&call->io))
    pthread_cond_wait(&call->io.cv, &call->io.mu);
  if (atomic_load(&call->is_cancelled)) {
    code = cancelled_code(call);
  } else {
    code = crpc_message_frame(msg, send_encoding(call), &call->io.send_buf);
    if (code == CRPC_OK)
      post_flush(call);
  }
  pthread_mutex_unlock(&call->io.mu);
  return code;
}

CRPC_API crpc_code crpc_server_call_set_compression(crpc_server_call *call,
                                                    const char *encoding) {
  crpc_encoding e = crpc_encoding_parse(encoding, strlen(encoding));
  if (e == CRPC_ENCODING_UNKNOWN || call->is_response_started)
    return CRPC_INVALID_ARGUMENT;
  /* grpc doc/compression.md: never send what the client did not accept. */
  if (e != CRPC_ENCODING_IDENTITY && !(call->accepted & (1u << e)))
    e = CRPC_ENCODING_IDENTITY;
  pthread_mutex_lock(&call->io.mu);
  call->send_encoding = e;
  call->is_send_compressed = e != CRPC_ENCODING_IDENTITY;
  pthread_mutex_unlock(&call->io.mu);
  return CRPC_OK;
}

CRPC_API void crpc_server_call_set_send_compression(crpc_server_call *call,
                                                    bool enabled) {
  pthread_mutex_lock(&call->io.mu);
  call->is_send_compressed =
      enabled && call->send_encoding != CRPC_ENCODING_IDENTITY;
  pthread_mutex_unlock(&call->io.mu);
}

CRPC_API bool crpc_server_call_was_compressed(const crpc_server_call *call) {
  return call->was_compressed;
}

CRPC_API void crpc_call_opts_set_parent(crpc_call_opts *opts,
                                        crpc_server_call *parent,
                                        unsigned propagate) {
  opts->parent_scope = NULL;
  if (parent == NULL)
    return;
  if ((propagate & CRPC_PROPAGATE_DEADLINE) &&
      parent->deadline < opts->deadline)
    opts->deadline = parent->deadline;
  if (propagate & CRPC_PROPAGATE_CANCELLATION)
    opts->parent_scope = &parent->scope;
}

CRPC_API void crpc_server_call_set_retry_pushback(crpc_server_call *call,
                                                  int64_t ms) {
  pthread_mutex_lock(&call->io.mu);
  call->has_pushback = true;
  call->pushback_ms = ms;
  pthread_mutex_unlock(&call->io.mu);
}
