/*
 * call/client_call.c: the client side of an RPC.
 *
 * The calling thread builds the call (request headers and, for unary calls,
 * the framed request), posts it to the channel's loop and sleeps on the
 * call's condition variable. Everything touching HTTP/2 runs on the loop;
 * the call's mutex guards only what both threads touch: the send buffer,
 * received messages and the final status.
 *
 * A call holds two references: the application's (until crpc_call_free or
 * the end of crpc_call_unary) and the loop's (from start until the stream
 * closed). The status is final the moment the call "finishes" (trailers,
 * deadline, cancel, connection loss), which may come before the stream's
 * close.
 */
#include "call/client_call.h"

#include <assert.h>
#include <pthread.h>
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
#include "channel/channel.h"
#include "wire/framing.h"
#include "wire/metadata.h"
#include "wire/percent.h"
#include "wire/status.h"
#include "wire/timeout.h"

struct crpc_call {
  atomic_int refs;
  crpc_channel *channel;
  const crpc_method_desc *method;
  crpc_loop *loop;
  int64_t deadline;
  size_t max_recv_len;
  crpc_metadata *capture_headers; /* borrowed from the options */
  crpc_metadata *capture_trailers;
  crpc_headers request_headers; /* built at creation, sent by the loop */
  char timeout_text[CRPC_TIMEOUT_MAX_LEN];

  crpc_call_io io;
  /* Guarded by io.mu. */
  bool is_send_closed;
  bool is_data_deferred; /* nghttp2 waits for crpc_h2_resume() */
  bool is_finished;
  crpc_status status;

  /* Loop thread only. */
  crpc_h2_stream stream;
  crpc_h2_conn *attempt_conn; /* the attempt's, for outlier ejection */
  crpc_deframer deframer;
  crpc_timer timer;
  bool is_started;
  bool is_timer_armed;
  int header_blocks; /* HEADERS blocks completed */
  int http_status;
  bool has_grpc_status;
  crpc_status wire_status; /* from grpc-status / grpc-message */
  crpc_task start_task;
  crpc_task resume_task;
  bool is_resume_posted; /* guarded by io.mu */
  crpc_task cancel_task;
  bool is_cancel_posted; /* guarded by io.mu */
  size_t messages_received;
  crpc_task window_task;
  crpc_encoding send_encoding;
  bool is_send_compressed;     /* guarded by io.mu */
  crpc_encoding recv_encoding; /* loop: the response's grpc-encoding */
  crpc_bytes inflated;         /* loop: scratch for decompression */
  crpc_status recv_error;      /* loop: why a received message failed */

  /* Retries (gRFC A6), loop thread only but for the policy. */
  const crpc_retry_policy *retry; /* NULL: this call is never retried */
  bool is_wait_for_ready;
  int attempts;            /* started so far */
  int transparent_retries;
  bool is_committed;       /* response headers came: no more attempts */
  int64_t pushback_ms;     /* grpc-retry-pushback-ms; -1 none, -2 "stop" */
  bool is_backing_off;     /* between attempts, the retry timer armed */
  bool is_waiting_pick;    /* waiting for the channel's first addresses */
  crpc_pick_waiter waiter;
  crpc_timer retry_timer;
  size_t base_header_count; /* request headers before per-attempt ones */
  char attempts_text[12];

  crpc_cancel_member parent_link; /* in the parent call's scope */
  bool is_parent_cancelled;       /* the parent ended before we started */

  crpc_unary_done_cb *done; /* async unary only */
  void *done_data;

  crpc_arena arena;
  _Alignas(16) uint8_t arena_block[640];
};

static void call_unref(crpc_call *call) {
  if (atomic_fetch_sub_explicit(&call->refs, 1, memory_order_acq_rel) != 1)
    return;
  crpc_cancel_scope_leave(&call->parent_link);
  crpc_call_io_free(&call->io);
  crpc_bytes_free(&call->inflated);
  crpc_deframer_free(&call->deframer);
  crpc_arena_free(&call->arena);
  crpc_channel_unref(call->channel);
  crpc_mem_free(call);
}

static void deliver_async(crpc_call *call);

/*
 * Makes |status| the call's final status, once; wakes the application.
 * Loop thread.
 */
static void finish(crpc_call *call, const crpc_status *status) {
  pthread_mutex_lock(&call->io.mu);
  if (call->is_finished) {
    pthread_mutex_unlock(&call->io.mu);
    return;
  }
  call->is_finished = true;
  call->status = *status;
  pthread_cond_broadcast(&call->io.cv);
  pthread_mutex_unlock(&call->io.mu);
  crpc_cancel_scope_leave(&call->parent_link);
  if (call->is_timer_armed) {
    crpc_timer_stop(&call->timer);
    call->is_timer_armed = false;
  }
  if (call->done != NULL)
    deliver_async(call);
}

static void finish_with(crpc_call *call, crpc_code code, const char *fmt,
                        const char *arg) {
  crpc_status st;
  crpc_status_set(&st, code, fmt, arg);
  finish(call, &st);
}

/* The loop's reference ends when the stream is gone or never started. */
static void release_loop_ref(crpc_call *call) { call_unref(call); }

/* HTTP/2 stream events (loop thread). */

static void on_header(void *owner, const char *name, size_t name_len,
                      const char *value, size_t value_len,
                      bool block_ends_stream) {
  crpc_call *call = owner;
  bool is_trailers = call->header_blocks > 0 || block_ends_stream;

  if (name[0] == ':') {
    if (name_len == 7 && memcmp(name, ":status", 7) == 0) {
      int status = 0;
      for (size_t i = 0; i < value_len && i < 3; i++)
        status = status * 10 + (value[i] - '0');
      call->http_status = status;
    }
    return;
  }
  if (name_len == 11 && memcmp(name, "grpc-status", 11) == 0) {
    crpc_code code;
    if (crpc_status_parse_code(value, value_len, &code)) {
      call->has_grpc_status = true;
      call->wire_status.code = code;
    }
    return;
  }
  if (name_len == 22 && memcmp(name, "grpc-retry-pushback-ms", 22) == 0) {
    /* gRFC A6: a valid non-negative value sets the next delay; anything
     * else means "do not retry". */
    int64_t ms = 0;
    bool ok = value_len > 0 && value_len < 10;
    for (size_t i = 0; ok && i < value_len; i++) {
      ok = value[i] >= '0' && value[i] <= '9';
      ms = ms * 10 + (value[i] - '0');
    }
    call->pushback_ms = ok ? ms : -2;
    return;
  }
  if (name_len == 13 && memcmp(name, "grpc-encoding", 13) == 0) {
    call->recv_encoding = crpc_encoding_parse(value, value_len);
    return;
  }
  if (name_len == 12 && memcmp(name, "grpc-message", 12) == 0) {
    /* Never fails: bad escapes stay literal (PROTOCOL-HTTP2.md). */
    char decoded[CRPC_STATUS_MESSAGE_MAX];
    size_t len = value_len < sizeof(decoded) ? value_len : sizeof(decoded) - 1;
    len = crpc_percent_decode(value, len, decoded);
    crpc_status_set_raw(&call->wire_status, call->wire_status.code, decoded,
                        len);
    return;
  }
  crpc_metadata *md =
      is_trailers ? call->capture_trailers : call->capture_headers;
  if (md != NULL && crpc_metadata_add_wire(md, name, name_len, value,
                                           value_len) == CRPC_INTERNAL)
    crpc_log(CRPC_LOG_DEBUG, "dropping metadata %.*s: invalid base64",
             (int)name_len, name);
}

static void on_headers_done(void *owner, bool end_stream) {
  crpc_call *call = owner;
  /* gRFC A6: response headers commit the call; Trailers-Only does not. */
  if (++call->header_blocks == 1 && !end_stream)
    call->is_committed = true;
}

static crpc_code on_message(void *user_data, const uint8_t *msg, size_t len,
                            bool compressed) {
  crpc_call *call = user_data;
  crpc_code code = crpc_message_inflate(call->recv_encoding, compressed, &msg,
                                        &len, call->max_recv_len,
                                        &call->inflated, &call->recv_error);
  if (code != CRPC_OK)
    return code;
  call->messages_received++;
  pthread_mutex_lock(&call->io.mu);
  /* A unary reply lives in the arena; the caller reads it after finish(),
   * when the loop no longer touches the call. */
  code = crpc_rmsg_queue_push(
      &call->io.received,
      call->method->kind == CRPC_METHOD_UNARY ? &call->arena : NULL, msg, len,
      compressed);
  pthread_cond_broadcast(&call->io.cv);
  pthread_mutex_unlock(&call->io.mu);
  if (code != CRPC_OK) /* on_data reports recv_error: the message is lost */
    crpc_status_set(&call->recv_error, code, "out of memory");
  return code;
}

/* Streamed replies are read one by one: pace the window to the reader. */
static bool is_paced(const crpc_call *call) {
  return call->method->kind == CRPC_METHOD_SERVER_STREAMING ||
         call->method->kind == CRPC_METHOD_BIDI_STREAMING;
}

static void on_window(void *arg) {
  crpc_call *call = arg;
  crpc_h2_consume(&call->stream, crpc_call_io_reopen_window(&call->io));
  call_unref(call);
}

static void on_data(void *owner, const uint8_t *data, size_t len) {
  crpc_call *call = owner;
  crpc_status why;
  call->io.window_held += len;
  if (call->deframer.failed != CRPC_OK) {
    crpc_h2_consume(&call->stream,
                    crpc_call_io_settle_window(&call->io, false));
    return;
  }
  why.code = CRPC_OK;
  if (crpc_deframer_feed(&call->deframer, data, len, on_message, call, &why) !=
      CRPC_OK) {
    if (why.code == CRPC_OK) /* on_message failed and said why */
      why = call->recv_error;
    finish(call, &why);
    crpc_h2_reset(&call->stream, 0x8 /* CANCEL */);
    return;
  }
  crpc_h2_consume(&call->stream,
                  crpc_call_io_settle_window(&call->io, is_paced(call)));
}

static void on_remote_end(void *owner) {}

static crpc_h2_data read_data(void *owner, uint8_t *buf, size_t max,
                              size_t *len, bool *is_later) {
  crpc_call *call = owner;
  crpc_h2_data result = CRPC_H2_DATA_MORE;
  bool is_drained;
  pthread_mutex_lock(&call->io.mu);
  *len = crpc_call_io_take_locked(&call->io, buf, max, &is_drained, is_later);
  if (is_drained) {
    result = call->is_send_closed ? CRPC_H2_DATA_END : CRPC_H2_DATA_DEFER;
    call->is_data_deferred = result == CRPC_H2_DATA_DEFER;
  }
  pthread_mutex_unlock(&call->io.mu);
  return result;
}

static void copy_data(void *owner, uint8_t *dest) {
  crpc_call *call = owner;
  pthread_mutex_lock(&call->io.mu);
  crpc_call_io_copy_later_locked(&call->io, dest);
  pthread_mutex_unlock(&call->io.mu);
}

static void get_trailers(void *owner, const crpc_h2_nv **nv, size_t *count) {
  *nv = NULL;
  *count = 0;
}

/* The status of a stream that closed without a final status of ours. */
static void status_at_close(crpc_call *call, uint32_t error, const char *why,
                            crpc_status *st) {
  if (call->has_grpc_status) {
    *st = call->wire_status;
    if (st->code == CRPC_OK && !crpc_deframer_is_idle(&call->deframer))
      crpc_status_set(st, CRPC_INTERNAL, "stream ended inside a message");
    else if (st->code == CRPC_OK &&
             call->method->kind != CRPC_METHOD_SERVER_STREAMING &&
             call->method->kind != CRPC_METHOD_BIDI_STREAMING &&
             call->messages_received != 1)
      crpc_status_set(st, CRPC_INTERNAL,
                      "%zu reply messages for a unary response",
                      call->messages_received);
  } else if (error == CRPC_H2_CONN_LOST || error == CRPC_H2_CONN_NEVER_OPEN) {
    crpc_status_set(st, CRPC_UNAVAILABLE, "%s", why);
  } else if (error == 0x8 /* CANCEL */ &&
             call->deadline != CRPC_DEADLINE_NONE &&
             crpc_now_ms() >= call->deadline) {
    /* The server's copy of our deadline (grpc-timeout) fired and its reset
     * overtook our own timer: the call ran out of time, as gRPC reports. */
    crpc_status_set(st, CRPC_DEADLINE_EXCEEDED,
                    "deadline exceeded (the server reset the stream)");
  } else if (error != 0) {
    crpc_status_set(st, crpc_status_from_h2_error(error),
                    "stream reset by the server with HTTP/2 error %u", error);
  } else if (call->http_status != 0 && call->http_status != 200) {
    crpc_status_set(st, crpc_status_from_http(call->http_status),
                    "HTTP status %d from the server", call->http_status);
  } else {
    crpc_status_set(st, CRPC_UNKNOWN,
                    "the server closed the stream without a grpc-status");
  }
}

static bool retry_later(crpc_call *call, uint32_t error, const crpc_status *st);

static void on_close(void *owner, uint32_t error, const char *why) {
  crpc_call *call = owner;
  crpc_status st;
  status_at_close(call, error, why, &st);
  crpc_channel_report(call->channel, call->attempt_conn, st.code);
  if (retry_later(call, error, &st))
    return; /* the loop's reference stays with the next attempt */
  finish(call, &st);
  release_loop_ref(call);
}

const crpc_h2_ops crpc_client_call_h2_ops = {
    .on_header = on_header,
    .on_headers_done = on_headers_done,
    .on_data = on_data,
    .on_remote_end = on_remote_end,
    .read_data = read_data,
    .copy_data = copy_data,
    .get_trailers = get_trailers,
    .on_close = on_close,
};

/* Loop tasks. */

static void stop_backing_off(crpc_call *call);

static void on_deadline(void *arg) {
  crpc_call *call = arg;
  call->is_timer_armed = false;
  finish_with(call, CRPC_DEADLINE_EXCEEDED, "%s", "deadline exceeded");
  crpc_h2_reset(&call->stream, 0x8 /* CANCEL */);
  stop_backing_off(call);
}

/* Starts one attempt: a new stream with the whole request. */
static void start_attempt(crpc_call *call) {
  crpc_h2_conn *conn;
  crpc_status why;
  crpc_headers *h = &call->request_headers;

  if (crpc_channel_pick(call->channel, &conn, &call->waiter, &why) !=
      CRPC_OK) {
    if (why.code == CRPC_UNAVAILABLE && call->is_wait_for_ready) {
      /* Every address is in backoff: wait (grpc doc/wait-for-ready.md);
       * the deadline ends the wait. */
      call->is_backing_off = true;
      crpc_timer_start_at(&call->retry_timer, crpc_now_ms() + 100);
      return;
    }
    finish(call, &why);
    goto done;
  }
  if (conn == NULL) {
    call->is_waiting_pick = true; /* the loop's reference waits with it */
    return;
  }
  h->count = call->base_header_count;
  if (call->deadline != CRPC_DEADLINE_NONE) {
    int64_t left = call->deadline - crpc_now_ms();
    if (left <= 0) {
      finish_with(call, CRPC_DEADLINE_EXCEEDED, "%s", "deadline exceeded");
      goto done;
    }
    /* PROTOCOL-HTTP2.md: the remaining time, as grpc-timeout. */
    crpc_timeout_format(left, call->timeout_text);
    crpc_headers_add(h, "grpc-timeout", call->timeout_text,
                     strlen(call->timeout_text));
  }
  if (call->attempts > 0) {
    snprintf(call->attempts_text, sizeof(call->attempts_text), "%d",
             call->attempts);
    crpc_headers_add(h, "grpc-previous-rpc-attempts", call->attempts_text,
                     strlen(call->attempts_text));
  }
  call->attempts++;
  crpc_code code =
      crpc_h2_submit_request(conn, &call->stream, call, h->nv, h->count, true);
  if (code != CRPC_OK) {
    finish_with(call, code, "%s", "cannot start an HTTP/2 stream");
    goto done;
  }
  call->is_started = true;
  call->attempt_conn = conn;
  return; /* the loop's reference now belongs to the stream */

done:
  release_loop_ref(call);
}

static void on_start(void *arg) {
  crpc_call *call = arg;
  pthread_mutex_lock(&call->io.mu);
  bool is_finished = call->is_finished; /* cancelled before it started */
  pthread_mutex_unlock(&call->io.mu);
  if (is_finished) {
    release_loop_ref(call);
    return;
  }
  if (call->deadline != CRPC_DEADLINE_NONE) {
    /* One deadline spans every attempt (gRFC A6). */
    crpc_timer_init(&call->timer, call->loop, on_deadline, call);
    crpc_timer_start_at(&call->timer, call->deadline);
    call->is_timer_armed = true;
  }
  start_attempt(call);
}

static void on_pick_ready(void *arg) {
  crpc_call *call = arg;
  call->is_waiting_pick = false;
  start_attempt(call);
}

static void on_retry_timer(void *arg) {
  crpc_call *call = arg;
  call->is_backing_off = false;
  start_attempt(call);
}

/* Forgets the ended attempt, keeping the request to send it again. */
static void reset_attempt(crpc_call *call) {
  crpc_deframer_free(&call->deframer);
  crpc_deframer_init(&call->deframer, call->max_recv_len);
  call->header_blocks = 0;
  call->http_status = 0;
  call->has_grpc_status = false;
  call->wire_status.code = CRPC_OK;
  call->wire_status.message[0] = '\0';
  call->messages_received = 0;
  call->recv_encoding = CRPC_ENCODING_IDENTITY;
  call->pushback_ms = -1;
  memset(&call->stream, 0, sizeof(call->stream));
  if (call->capture_headers != NULL)
    crpc_metadata_clear(call->capture_headers);
  if (call->capture_trailers != NULL)
    crpc_metadata_clear(call->capture_trailers);
  pthread_mutex_lock(&call->io.mu);
  crpc_call_io_rewind_locked(&call->io); /* the whole request again */
  pthread_mutex_unlock(&call->io.mu);
}

/*
 * After an attempt ended with |st|: true if another attempt was arranged
 * (gRFC A6), transparently or after a backoff.
 */
static bool retry_later(crpc_call *call, uint32_t error,
                        const crpc_status *st) {
  pthread_mutex_lock(&call->io.mu);
  bool is_finished = call->is_finished;
  pthread_mutex_unlock(&call->io.mu);
  if (is_finished || !call->io.is_retained || call->is_committed)
    return false;
  int64_t delay_ms = -1;
  if (call->header_blocks == 0 && call->transparent_retries < 3 &&
      (error == 0x7 /* REFUSED_STREAM */ || error == CRPC_H2_CONN_NEVER_OPEN)) {
    /* It never reached the server's application (RFC 9113 8.7, above
     * GOAWAY's last stream, or the connection never opened): retried
     * transparently, whatever the policy (gRFC A6). After the timer, so
     * that the failed address is in backoff by then. */
    call->transparent_retries++;
    call->attempts--; /* a transparent retry is not an attempt */
    delay_ms = 0;
  } else if (call->is_wait_for_ready && call->header_blocks == 0 &&
             (error == CRPC_H2_CONN_LOST || error == CRPC_H2_CONN_NEVER_OPEN)) {
    /* grpc doc/wait-for-ready.md: wait for a connection, not fail. */
    call->attempts--;
    delay_ms = 100;
  } else if (call->retry != NULL) {
    crpc_retry_throttle *t = crpc_channel_throttle(call->channel);
    bool is_retryable = (call->retry->retryable_codes >> st->code) & 1;
    if (st->code == CRPC_OK || is_retryable || call->pushback_ms != -1)
      crpc_retry_throttle_record(t, st->code != CRPC_OK);
    if (!is_retryable || call->attempts >= call->retry->max_attempts ||
        call->pushback_ms == -2 || !crpc_retry_throttle_allows(t))
      return false;
    delay_ms = call->pushback_ms >= 0
                   ? call->pushback_ms
                   : crpc_retry_backoff_ms(call->retry, call->attempts);
  } else {
    return false;
  }
  /* Never past the deadline: the last attempt's status stands. */
  if (call->deadline != CRPC_DEADLINE_NONE &&
      crpc_now_ms() + delay_ms >= call->deadline)
    return false;
  crpc_log(CRPC_LOG_DEBUG, "%s: attempt %d ended with %s; retrying in %lld ms",
           call->method->path, call->attempts, crpc_code_name(st->code),
           (long long)delay_ms);
  reset_attempt(call);
  call->is_backing_off = true;
  crpc_timer_start_at(&call->retry_timer, crpc_now_ms() + delay_ms);
  return true;
}

/* The call finished while waiting for a retry or for addresses: nothing
 * else will end it. */
static void stop_backing_off(crpc_call *call) {
  if (call->is_backing_off) {
    call->is_backing_off = false;
    crpc_timer_stop(&call->retry_timer);
  } else if (call->is_waiting_pick) {
    call->is_waiting_pick = false;
    crpc_channel_cancel_wait(&call->waiter);
  } else {
    return;
  }
  release_loop_ref(call);
}

static void on_resume(void *arg) {
  crpc_call *call = arg;
  pthread_mutex_lock(&call->io.mu);
  call->is_resume_posted = false;
  pthread_mutex_unlock(&call->io.mu);
  crpc_h2_resume(&call->stream);
  call_unref(call);
}

static void on_cancel(void *arg) {
  crpc_call *call = arg;
  finish_with(call, CRPC_CANCELLED, "%s", "cancelled by the client");
  crpc_h2_reset(&call->stream, 0x8 /* CANCEL */);
  stop_backing_off(call);
  call_unref(call);
}

static void deliver_async(crpc_call *call) {
  ProtobufCMessage *reply = NULL;
  crpc_status st = call->status;
  if (st.code == CRPC_OK) {
    pthread_mutex_lock(&call->io.mu);
    crpc_rmsg *m = crpc_rmsg_queue_pop(&call->io.received);
    pthread_mutex_unlock(&call->io.mu);
    if (m == NULL)
      crpc_status_set(&st, CRPC_INTERNAL, "no reply message");
    else
      crpc_message_unpack(call->method->reply_type, m->data, m->len, NULL,
                          &reply, &st);
    crpc_rmsg_free(m);
  }
  crpc_unary_done_cb *done = call->done;
  call->done = NULL;
  done(call->done_data, reply, &st);
  call_unref(call); /* the application's reference, held for it */
}

/* Creation, on the calling thread. */

static crpc_code call_new(crpc_channel *channel, const crpc_method_desc *method,
                          const crpc_call_opts *opts, crpc_call **out,
                          crpc_status *status) {
  if (channel == NULL || method == NULL)
    return crpc_status_set(status, CRPC_INVALID_ARGUMENT,
                           "channel and method are required");
  /* The arena block at the end needs no zeroing. */
  crpc_call *call =
      crpc_mem_malloc_zeroed(sizeof(*call), offsetof(crpc_call, arena_block));
  if (call == NULL)
    return crpc_status_set(status, CRPC_RESOURCE_EXHAUSTED, "out of memory");
  atomic_init(&call->refs, 2); /* the application's and the loop's */
  crpc_channel_ref(channel);
  call->channel = channel;
  call->method = method;
  call->loop = crpc_channel_loop(channel);
  int64_t now = crpc_now_ms();
  call->deadline = crpc_call_opts_deadline(opts, now);
  const crpc_method_config *config =
      crpc_channel_method_config(channel, method->path);
  if (config != NULL && config->timeout_ms >= 0 &&
      now + config->timeout_ms < call->deadline)
    call->deadline = now + config->timeout_ms;
  call->is_wait_for_ready = opts != NULL && opts->wait_for_ready >= 0
                                ? opts->wait_for_ready == 1
                                : config != NULL && config->wait_for_ready == 1;
  if (config != NULL && config->has_retry_policy)
    call->retry = &config->retry;
  else if (config == NULL &&
           method->idempotency != CRPC_IDEMPOTENCY_UNKNOWN)
    call->retry = &crpc_retry_idempotent_default;
  call->pushback_ms = -1;
  call->max_recv_len = opts != NULL && opts->max_recv_len != 0
                           ? opts->max_recv_len
                           : crpc_channel_max_recv_len(channel);
  if (opts != NULL) {
    call->capture_headers = opts->capture_headers;
    call->capture_trailers = opts->capture_trailers;
    if (call->capture_headers != NULL)
      crpc_metadata_clear(call->capture_headers);
    if (call->capture_trailers != NULL)
      crpc_metadata_clear(call->capture_trailers);
  }
  crpc_call_io_init(&call->io);
  crpc_deframer_init(&call->deframer, call->max_recv_len);
  crpc_arena_init(&call->arena, call->arena_block, sizeof(call->arena_block));
  crpc_task_init(&call->start_task, on_start, call);
  crpc_task_init(&call->resume_task, on_resume, call);
  crpc_task_init(&call->cancel_task, on_cancel, call);
  crpc_task_init(&call->window_task, on_window, call);
  crpc_timer_init(&call->retry_timer, call->loop, on_retry_timer, call);
  crpc_list_init(&call->waiter.node);
  call->waiter.ready = on_pick_ready;
  call->waiter.arg = call;
  crpc_bytes_init(&call->inflated);
  call->send_encoding =
      opts != NULL ? opts->compression : CRPC_ENCODING_IDENTITY;
  call->is_send_compressed = call->send_encoding != CRPC_ENCODING_IDENTITY;

  /* PROTOCOL-HTTP2.md "Requests": pseudo-headers first, then reserved
   * headers, then custom metadata. One slot is kept for grpc-timeout. */
  const crpc_metadata *md = opts != NULL ? opts->metadata : NULL;
  if (opts != NULL && opts->parent_scope != NULL) {
    call->parent_link.cancel = (void (*)(void *))crpc_call_cancel;
    call->parent_link.member = call;
    call->is_parent_cancelled =
        !crpc_cancel_scope_join(opts->parent_scope, &call->parent_link);
  }
  crpc_headers *h = &call->request_headers;
  if (crpc_headers_init(h, &call->arena,
                        12 + crpc_headers_count_metadata(md)) != CRPC_OK)
    goto oom;
  const char *authority = crpc_channel_authority(channel);
  crpc_headers_add(h, ":method", "POST", 4);
  crpc_headers_add(h, ":scheme", "http", 4);
  crpc_headers_add(h, ":path", method->path, strlen(method->path));
  crpc_headers_add(h, ":authority", authority, strlen(authority));
  crpc_headers_add(h, "te", "trailers", 8);
  crpc_headers_add(h, "content-type", "application/grpc", 16);
  crpc_headers_add(h, "user-agent", crpc_headers_user_agent,
                   strlen(crpc_headers_user_agent));
  crpc_headers_add(h, "grpc-accept-encoding", crpc_encoding_accept,
                   strlen(crpc_encoding_accept));
  if (call->send_encoding != CRPC_ENCODING_IDENTITY) {
    const char *name = crpc_encoding_name(call->send_encoding);
    crpc_headers_add(h, "grpc-encoding", name, strlen(name));
  }
  if (crpc_headers_add_metadata(h, md) != CRPC_OK)
    goto oom;
  call->base_header_count = h->count; /* grpc-timeout, attempts follow */
  *out = call;
  return CRPC_OK;

oom:
  atomic_store(&call->refs, 1);
  call_unref(call);
  return crpc_status_set(status, CRPC_RESOURCE_EXHAUSTED, "out of memory");
}

/*
 * gRFC A6: a request larger than the retry buffer commits the call at
 * once; a smaller one is kept so that later attempts can send it again.
 */
#define RETRY_BUFFER_LIMIT (256 * 1024)

static void retain_request(crpc_call *call) {
  call->io.is_retained =
      call->io.lent_len + call->io.send_buf.len <= RETRY_BUFFER_LIMIT;
}

/*
 * The one request of a unary call, framed before the call is posted:
 * uncompressed in the arena, lent to HTTP/2 (nothing to allocate when it
 * fits the arena's first block), compressed into the send buffer.
 */
static crpc_code frame_request(crpc_call *call,
                               const ProtobufCMessage *request) {
  if (call->send_encoding != CRPC_ENCODING_IDENTITY)
    return crpc_message_frame(request, call->send_encoding,
                              &call->io.send_buf);
  return crpc_message_frame_in_arena(request, &call->arena, &call->io.lent,
                                     &call->io.lent_len);
}

static void call_post_start(crpc_call *call) {
  crpc_loop_post(call->loop, &call->start_task);
  if (call->is_parent_cancelled)
    crpc_call_cancel(call);
}

static void copy_status(const crpc_call *call, crpc_status *status) {
  if (status != NULL)
    *status = call->status;
}

CRPC_API crpc_code crpc_call_unary(crpc_channel *channel,
                                   const crpc_method_desc *method,
                                   const ProtobufCMessage *request,
                                   ProtobufCMessage **reply,
                                   const crpc_call_opts *opts,
                                   crpc_status *status) {
  crpc_call *call;
  crpc_code code = call_new(channel, method, opts, &call, status);
  if (code != CRPC_OK)
    return code;
  if (frame_request(call, request) != CRPC_OK) {
    atomic_store(&call->refs, 1);
    call_unref(call);
    return crpc_status_set(status, CRPC_RESOURCE_EXHAUSTED, "out of memory");
  }
  call->is_send_closed = true;
  retain_request(call);
  call_post_start(call);

  pthread_mutex_lock(&call->io.mu);
  while (!call->is_finished)
    pthread_cond_wait(&call->io.cv, &call->io.mu);
  crpc_rmsg *m = crpc_rmsg_queue_pop(&call->io.received);
  pthread_mutex_unlock(&call->io.mu);

  crpc_status st = call->status;
  if (st.code == CRPC_OK)
    crpc_message_unpack(method->reply_type, m->data, m->len, NULL, reply, &st);
  crpc_rmsg_free(m);
  call_unref(call);
  if (status != NULL)
    *status = st;
  return st.code;
}

CRPC_API crpc_code crpc_call_unary_async(crpc_channel *channel,
                                         const crpc_method_desc *method,
                                         const ProtobufCMessage *request,
                                         const crpc_call_opts *opts,
                                         crpc_unary_done_cb *done,
                                         void *user_data) {
  crpc_call *call;
  crpc_code code = call_new(channel, method, opts, &call, NULL);
  if (code != CRPC_OK)
    return code;
  if (frame_request(call, request) != CRPC_OK) {
    atomic_store(&call->refs, 1);
    call_unref(call);
    return CRPC_RESOURCE_EXHAUSTED;
  }
  call->is_send_closed = true;
  retain_request(call);
  call->done = done;
  call->done_data = user_data;
  call_post_start(call);
  return CRPC_OK;
}

CRPC_API crpc_code crpc_call_start(crpc_channel *channel,
                                   const crpc_method_desc *method,
                                   const crpc_call_opts *opts,
                                   crpc_call **out) {
  crpc_call *call;
  crpc_code code = call_new(channel, method, opts, &call, NULL);
  if (code != CRPC_OK)
    return code;
  call_post_start(call);
  *out = call;
  return CRPC_OK;
}

/* Asks the loop to pull newly queued bytes. Called with mu held. */
static void post_resume(crpc_call *call) {
  if (!call->is_data_deferred || call->is_resume_posted)
    return;
  call->is_resume_posted = true;
  call->is_data_deferred = false;
  atomic_fetch_add(&call->refs, 1);
  crpc_loop_post(call->loop, &call->resume_task);
}

CRPC_API crpc_code crpc_call_send(crpc_call *call,
                                  const ProtobufCMessage *msg) {
  crpc_code code;
  pthread_mutex_lock(&call->io.mu);
  /* Flow control: wait while the peer is not taking what we queued. */
  while (!call->is_finished && !crpc_call_io_has_room_locked(&call->io))
    pthread_cond_wait(&call->io.cv, &call->io.mu);
  if (call->is_finished) {
    code = call->status.code != CRPC_OK ? call->status.code : CRPC_INTERNAL;
  } else if (call->is_send_closed) {
    code = CRPC_INTERNAL;
  } else {
    code = crpc_message_frame(msg,
                              call->is_send_compressed ? call->send_encoding
                                                       : CRPC_ENCODING_IDENTITY,
                              &call->io.send_buf);
    if (code == CRPC_OK)
      post_resume(call);
  }
  pthread_mutex_unlock(&call->io.mu);
  return code;
}

CRPC_API void crpc_call_set_send_compression(crpc_call *call, bool enabled) {
  pthread_mutex_lock(&call->io.mu);
  call->is_send_compressed =
      enabled && call->send_encoding != CRPC_ENCODING_IDENTITY;
  pthread_mutex_unlock(&call->io.mu);
}

CRPC_API crpc_code crpc_call_close_send(crpc_call *call) {
  pthread_mutex_lock(&call->io.mu);
  call->is_send_closed = true;
  post_resume(call);
  pthread_mutex_unlock(&call->io.mu);
  return CRPC_OK;
}

CRPC_API crpc_code crpc_call_recv(crpc_call *call, ProtobufCMessage **msg) {
  crpc_rmsg *m;
  pthread_mutex_lock(&call->io.mu);
  while ((m = crpc_rmsg_queue_pop(&call->io.received)) == NULL &&
         !call->is_finished)
    pthread_cond_wait(&call->io.cv, &call->io.mu);
  crpc_code code = call->is_finished ? call->status.code : CRPC_OK;
  if (m != NULL && crpc_call_io_should_reopen_locked(&call->io)) {
    atomic_fetch_add(&call->refs, 1);
    crpc_loop_post(call->loop, &call->window_task);
  }
  pthread_mutex_unlock(&call->io.mu);
  if (m == NULL) {
    *msg = NULL;
    return code;
  }
  crpc_status why;
  code = crpc_message_unpack(call->method->reply_type, m->data, m->len, NULL,
                             msg, &why);
  crpc_rmsg_free(m);
  if (code != CRPC_OK)
    crpc_call_cancel(call);
  return code;
}

CRPC_API crpc_code crpc_call_finish(crpc_call *call, crpc_status *status) {
  pthread_mutex_lock(&call->io.mu);
  while (!call->is_finished)
    pthread_cond_wait(&call->io.cv, &call->io.mu);
  crpc_rmsg_queue_clear(&call->io.received);
  pthread_mutex_unlock(&call->io.mu);
  copy_status(call, status);
  return call->status.code;
}

CRPC_API void crpc_call_cancel(crpc_call *call) {
  pthread_mutex_lock(&call->io.mu);
  bool should_post = !call->is_finished && !call->is_cancel_posted;
  call->is_cancel_posted = true;
  pthread_mutex_unlock(&call->io.mu);
  if (!should_post)
    return;
  atomic_fetch_add(&call->refs, 1);
  crpc_loop_post(call->loop, &call->cancel_task);
}

CRPC_API void crpc_call_free(crpc_call *call) {
  if (call == NULL)
    return;
  crpc_call_cancel(call);
  call_unref(call);
}
