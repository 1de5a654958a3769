/*
 * http2/h2_conn.c: an nghttp2 session on a non-blocking byte stream.
 *
 * The stream is a socket or a layer over one (TLS); this file only reads,
 * writes and waits for its setup to complete (transport/stream.h). Reads
 * are fed to nghttp2_session_mem_recv() as they arrive. Writes are
 * batched: anything that produces frames only marks the connection, and a
 * before-wait task serializes every pending frame into one buffer and
 * writes it with as few calls as the stream allows. Closing is deferred
 * to the same task, so no callback ever runs on a freed connection.
 */
#include "http2/h2_conn.h"

#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "http2/h2_mem.h"
#include "http2/ping_policy.h"
#include "transport/socket.h"
#include "transport/stream.h"

_Static_assert(sizeof(crpc_h2_nv) == sizeof(nghttp2_nv), "nv layout");
_Static_assert(offsetof(crpc_h2_nv, value) == offsetof(nghttp2_nv, value),
               "nv layout");
_Static_assert(offsetof(crpc_h2_nv, value_len) ==
                   offsetof(nghttp2_nv, valuelen),
               "nv layout");
_Static_assert(offsetof(crpc_h2_nv, flags) == offsetof(nghttp2_nv, flags),
               "nv layout");
_Static_assert(CRPC_H2_NV_NO_COPY == (NGHTTP2_NV_FLAG_NO_COPY_NAME |
                                      NGHTTP2_NV_FLAG_NO_COPY_VALUE),
               "nv flags");

/* Frames gathered before one write(2); big enough for a few 16 KiB DATA. */
#define WRITE_BATCH (64 * 1024)
#define READ_CHUNK (64 * 1024)

/* Our PINGs' payloads, to tell their ACKs apart. */
static const uint8_t KEEPALIVE_PING[8] = "crpc-ka";
static const uint8_t GOAWAY_PING[8] = "crpc-ga";

/* HANDSHAKING: the stream's setup (a TLS handshake) is under way. */
typedef enum { CONNECTING, HANDSHAKING, OPEN, CLOSED } conn_state;

struct crpc_h2_conn {
  crpc_loop *loop;
  nghttp2_session *session;
  crpc_h2_mem mem; /* nghttp2's allocations, recycled per call */
  crpc_stream *stream;
  conn_state state;
  bool is_server;
  bool was_open; /* got past connecting (and TLS): streams may have left */
  bool is_draining;
  bool service_queued;
  /* What the stream's last AGAIN waits for, besides readability. */
  bool read_wants_write;
  bool write_wants_read;
  bool write_wants_write;
  bool is_timer_armed;
  bool got_frame;   /* a valid frame came: the peer speaks HTTP/2 */
  uint8_t first[2]; /* the peer's first bytes, to explain a failure */
  size_t received;
  crpc_io io;
  crpc_timer handshake_timer;
  crpc_h2_settings set;
  /* Keepalive (gRFC A8): pinging after keepalive_time_ms of silence. */
  crpc_timer keepalive_timer;
  bool is_keepalive_armed;
  bool is_ping_outstanding; /* a keepalive PING awaits its ACK */
  int64_t last_read_at;
  crpc_ping_policy pings; /* server: the client's pings */
  /* Server: max idle, then max age, then its grace (one timer). */
  crpc_timer life_timer;
  bool is_life_armed;
  bool is_notice_sent;     /* the first GOAWAY of drain_gracefully is out */
  bool close_when_flushed; /* a final GOAWAY is queued: close after it */
  int64_t idle_since;
  int64_t age_at;
  int64_t grace_at;
  int64_t final_goaway_at; /* even if the notice's PING gets no ACK */
  crpc_task service; /* flush, or finish closing */
  crpc_bytes out;    /* serialized frames not yet written */
  size_t out_pos;
  crpc_list streams; /* open crpc_h2_stream links */
  size_t stream_count;
  crpc_h2_stream *last_link; /* the last one link_of() found, or NULL */
  size_t consumed; /* DATA bytes to give back to the connection's window */
  const crpc_h2_ops *ops;
  const crpc_h2_conn_ops *conn_ops;
  void *conn_owner;
  char peer[CRPC_ADDR_TEXT_MAX];
  char why[160]; /* why it closed */
};

static void schedule(crpc_h2_conn *conn) {
  crpc_loop_before_wait(conn->loop, &conn->service, &conn->service_queued);
}

/* Once open: always readable, writable while a read or write waits on it. */
static void watch(crpc_h2_conn *conn) {
  crpc_io_want(&conn->io, true,
               conn->write_wants_write || conn->read_wants_write);
}

/*
 * Why a peer that never sent a valid frame may not speak HTTP/2: a TLS
 * record where frames were expected means TLS on one side only. Protocol
 * diagnosis only; nothing here depends on what the stream is.
 */
static const char *hint(const crpc_h2_conn *conn, bool is_eof) {
  if (conn->got_frame)
    return "";
  if (conn->received == 0)
    return is_eof && !conn->is_server ? " before any HTTP/2 frame (does the "
                                        "server require TLS?)"
                                      : "";
  if (conn->received < 2 || conn->first[1] != 0x03)
    return "";
  if (conn->first[0] == 0x16)
    return conn->is_server ? " (a TLS client on a plaintext port?)"
                           : " (the server speaks TLS: use TLS credentials)";
  if (conn->first[0] == 0x15)
    return " (the peer sent a TLS alert: it requires TLS)";
  return "";
}

/* Marks the connection closed; the service task finishes the job. */
static void fail_conn(crpc_h2_conn *conn, const char *fmt, ...)
    CRPC_PRINTF(2, 3);
static void fail_conn(crpc_h2_conn *conn, const char *fmt, ...) {
  if (conn->state == CLOSED)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(conn->why, sizeof(conn->why), fmt, ap);
  va_end(ap);
  conn->state = CLOSED;
  crpc_io_want(&conn->io, false, false);
  schedule(conn);
}

static void detach(crpc_h2_stream *link) {
  /* The connection window must not shrink for good because a stream died
   * with data its owner never read. */
  if (link->unconsumed > 0 && link->conn->state != CLOSED)
    nghttp2_session_consume_connection(link->conn->session, link->unconsumed);
  link->unconsumed = 0;
  if (link->conn->last_link == link)
    link->conn->last_link = NULL;
  crpc_list_remove(&link->node);
  if (--link->conn->stream_count == 0 &&
      link->conn->set.max_idle_ms != CRPC_H2_NEVER)
    link->conn->idle_since = crpc_now_ms();
  link->conn = NULL;
}

/* Keepalive, ping enforcement, idle and age. */

void crpc_h2_settings_init(crpc_h2_settings *s) {
  *s = (crpc_h2_settings){
      .max_concurrent_streams = 1000,
      .stream_window = 1024 * 1024,
      .conn_window = 16 * 1024 * 1024,
      .keepalive_time_ms = CRPC_H2_NEVER,
      .keepalive_timeout_ms = 20000,
      .max_idle_ms = CRPC_H2_NEVER,
      .max_age_ms = CRPC_H2_NEVER,
      .age_grace_ms = CRPC_H2_NEVER,
      .preface_timeout_ms = 20000,
      .max_header_list_len = 16 * 1024, /* gRPC C-core's hard limit */
  };
}

/* |at| + |ms|, where CRPC_H2_NEVER (or past it) stays never. */
static int64_t later(int64_t at, int64_t ms) {
  return ms >= CRPC_H2_NEVER - at ? CRPC_H2_NEVER : at + ms;
}

/* Timers keep a flag, so that closing stops only those still armed. */
static void arm(crpc_timer *t, bool *is_armed, int64_t at) {
  crpc_timer_start_at(t, at);
  *is_armed = true;
}

static void disarm(crpc_timer *t, bool *is_armed) {
  if (*is_armed)
    crpc_timer_stop(t);
  *is_armed = false;
}

static void arm_keepalive(crpc_h2_conn *conn, int64_t at) {
  arm(&conn->keepalive_timer, &conn->is_keepalive_armed, at);
}

static void on_keepalive(void *arg) {
  crpc_h2_conn *conn = arg;
  conn->is_keepalive_armed = false;
  if (conn->state != OPEN)
    return;
  int64_t now = crpc_now_ms();
  if (conn->is_ping_outstanding) {
    fail_conn(conn, "%s: keepalive ping not answered within %lld ms",
              conn->peer, (long long)conn->set.keepalive_timeout_ms);
    return;
  }
  int64_t due = later(conn->last_read_at, conn->set.keepalive_time_ms);
  if (now < due) {
    arm_keepalive(conn, due); /* the peer spoke since */
    return;
  }
  if (conn->stream_count == 0 && !conn->set.keepalive_without_calls) {
    arm_keepalive(conn, later(now, conn->set.keepalive_time_ms));
    return;
  }
  if (nghttp2_submit_ping(conn->session, NGHTTP2_FLAG_NONE, KEEPALIVE_PING) !=
      0) {
    fail_conn(conn, "out of memory");
    return;
  }
  conn->is_ping_outstanding = true;
  arm_keepalive(conn, later(now, conn->set.keepalive_timeout_ms));
  schedule(conn);
}

/* The next time the life timer has something to decide. */
static void arm_life(crpc_h2_conn *conn, int64_t now) {
  int64_t at = conn->grace_at;
  if (conn->is_notice_sent && !conn->is_draining && conn->final_goaway_at < at)
    at = conn->final_goaway_at;
  if (!conn->is_notice_sent && !conn->is_draining) {
    int64_t idle_at = later(conn->stream_count == 0 ? conn->idle_since : now,
                            conn->set.max_idle_ms);
    at = idle_at < conn->age_at ? idle_at : conn->age_at;
  }
  if (at != CRPC_H2_NEVER)
    arm(&conn->life_timer, &conn->is_life_armed, at);
}

static void on_life_timer(void *arg) {
  crpc_h2_conn *conn = arg;
  conn->is_life_armed = false;
  if (conn->state != OPEN)
    return;
  int64_t now = crpc_now_ms();
  if (now >= conn->grace_at) {
    fail_conn(conn, "connection age grace period over");
    return;
  }
  if (conn->is_notice_sent && now >= conn->final_goaway_at)
    crpc_h2_conn_drain(conn); /* no PING ACK: the client may be gone */
  if (!conn->is_notice_sent && !conn->is_draining) {
    if (now >= conn->age_at) {
      crpc_log(CRPC_LOG_DEBUG, "%s: max connection age reached", conn->peer);
      conn->grace_at = later(now, conn->set.age_grace_ms);
      crpc_h2_conn_drain_gracefully(conn);
    } else if (conn->stream_count == 0 &&
               now >= later(conn->idle_since, conn->set.max_idle_ms)) {
      crpc_log(CRPC_LOG_DEBUG, "%s: max connection idle reached", conn->peer);
      crpc_h2_conn_drain_gracefully(conn);
    }
  }
  arm_life(conn, now);
}

/* Timers that run while the connection is open. */
static void start_timers(crpc_h2_conn *conn) {
  int64_t now = crpc_now_ms();
  conn->last_read_at = now;
  if (conn->set.keepalive_time_ms != CRPC_H2_NEVER)
    arm_keepalive(conn, later(now, conn->set.keepalive_time_ms));
  if (!conn->is_server)
    return;
  conn->idle_since = now;
  conn->grace_at = CRPC_H2_NEVER;
  conn->age_at = CRPC_H2_NEVER;
  if (conn->set.max_age_ms != CRPC_H2_NEVER) {
    /* +-10%, so that connections made together do not all end together;
     * the clock's low bits are random enough for that. */
    int64_t spread = conn->set.max_age_ms / 10;
    int64_t jitter =
        spread > 0 ? crpc_clock_now_ns() % (2 * spread + 1) - spread : 0;
    conn->age_at = later(now, conn->set.max_age_ms + jitter);
  }
  arm_life(conn, now);
}

/* Server: a final GOAWAY with |error| and |debug|, then close. */
static void goaway_and_close(crpc_h2_conn *conn, uint32_t error,
                             const char *debug) {
  nghttp2_submit_goaway(conn->session, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(conn->session),
                        error, (const uint8_t *)debug, strlen(debug));
  conn->is_draining = true;
  conn->close_when_flushed = true;
  snprintf(conn->why, sizeof(conn->why), "%s: %s", conn->peer, debug);
  schedule(conn);
}

static void on_ping(crpc_h2_conn *conn, const nghttp2_ping *ping) {
  if (ping->hd.flags & NGHTTP2_FLAG_ACK) {
    if (memcmp(ping->opaque_data, KEEPALIVE_PING, 8) == 0 &&
        conn->is_ping_outstanding) {
      conn->is_ping_outstanding = false;
      arm_keepalive(conn, later(crpc_now_ms(), conn->set.keepalive_time_ms));
    } else if (memcmp(ping->opaque_data, GOAWAY_PING, 8) == 0) {
      crpc_h2_conn_drain(conn); /* the client has seen the first GOAWAY */
    }
    return;
  }
  /* nghttp2 sends the ACK itself. */
  if (conn->is_server && conn->set.min_ping_interval_ms > 0 &&
      crpc_ping_policy_on_ping(&conn->pings, crpc_now_ms(),
                               conn->stream_count > 0)) {
    crpc_log(CRPC_LOG_WARN, "%s: too many pings, closing", conn->peer);
    goaway_and_close(conn, NGHTTP2_ENHANCE_YOUR_CALM, "too_many_pings");
  }
}

static bool is_too_many_pings(const nghttp2_goaway *goaway) {
  static const char text[] = "too_many_pings";
  return goaway->error_code == NGHTTP2_ENHANCE_YOUR_CALM &&
         goaway->opaque_data_len == sizeof(text) - 1 &&
         memcmp(goaway->opaque_data, text, sizeof(text) - 1) == 0;
}

/*
 * nghttp2 keeps each open stream's link as its user data, found through a
 * hash map. A request's callbacks (a header field each, then the frames)
 * come for one stream in a row, so the last link found is remembered;
 * detach() forgets it.
 */
static crpc_h2_stream *link_of(crpc_h2_conn *conn, int32_t stream_id) {
  if (conn->last_link != NULL && conn->last_link->id == stream_id)
    return conn->last_link;
  crpc_h2_stream *link =
      nghttp2_session_get_stream_user_data(conn->session, stream_id);
  if (link != NULL)
    conn->last_link = link;
  return link;
}

static void *owner_of(crpc_h2_conn *conn, int32_t stream_id) {
  crpc_h2_stream *link = link_of(conn, stream_id);
  return link != NULL ? link->owner : NULL;
}

/* nghttp2 callbacks. */

static int on_begin_headers(nghttp2_session *session,
                            const nghttp2_frame *frame, void *user_data) {
  crpc_h2_conn *conn = user_data;
  if (!conn->is_server || frame->hd.type != NGHTTP2_HEADERS ||
      frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
    crpc_h2_stream *open = link_of(conn, frame->hd.stream_id);
    if (open != NULL)
      open->header_len = 0; /* the limit is per block: trailers start anew */
    return 0;
  }
  crpc_h2_stream *link = NULL;
  void *owner = conn->is_draining ? NULL
                                  : conn->conn_ops->on_stream_begin(
                                        conn->conn_owner, conn, &link);
  if (owner == NULL) {
    /* RFC 9113 8.7: REFUSED_STREAM tells the client it is safe to retry. */
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                              NGHTTP2_REFUSED_STREAM);
    return 0;
  }
  link->conn = conn;
  link->owner = owner;
  link->id = frame->hd.stream_id;
  link->unconsumed = 0;
  link->is_remote_ended = false;
  link->header_len = 0;
  crpc_list_insert_tail(&conn->streams, &link->node);
  conn->stream_count++;
  nghttp2_session_set_stream_user_data(session, link->id, link);
  return 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame,
                     const uint8_t *name, size_t namelen, const uint8_t *value,
                     size_t valuelen, uint8_t flags, void *user_data) {
  crpc_h2_conn *conn = user_data;
  crpc_h2_stream *link = link_of(conn, frame->hd.stream_id);
  if (link == NULL)
    return 0;
  /* HPACK lets a few bytes stand for a long field again and again: bound
   * what the block decodes to before anything is copied. nghttp2 resets
   * the stream with INTERNAL_ERROR and skips the rest of the block. */
  link->header_len += namelen + valuelen + 32; /* RFC 7541 4.1 */
  if (link->header_len > conn->set.max_header_list_len) {
    crpc_log(CRPC_LOG_DEBUG, "%s: stream %d: header block over %u bytes",
             conn->peer, (int)link->id, conn->set.max_header_list_len);
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  conn->ops->on_header(link->owner, (const char *)name, namelen,
                       (const char *)value, valuelen,
                       (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0);
  return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame,
                         void *user_data) {
  crpc_h2_conn *conn = user_data;
  bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  void *owner;

  if (!conn->got_frame && conn->is_server && conn->is_timer_armed) {
    crpc_timer_stop(&conn->handshake_timer); /* the preface is in */
    conn->is_timer_armed = false;
  }
  conn->got_frame = true;
  switch (frame->hd.type) {
  case NGHTTP2_HEADERS:
    owner = owner_of(conn, frame->hd.stream_id);
    if (owner == NULL)
      return 0;
    conn->ops->on_headers_done(owner, end_stream);
    break;
  case NGHTTP2_DATA:
    owner = owner_of(conn, frame->hd.stream_id);
    if (owner == NULL)
      return 0;
    break;
  case NGHTTP2_PING:
    on_ping(conn, &frame->ping);
    return 0;
  case NGHTTP2_GOAWAY:
    if (!conn->is_server && is_too_many_pings(&frame->goaway) &&
        conn->conn_ops->on_too_many_pings != NULL)
      conn->conn_ops->on_too_many_pings(conn->conn_owner, conn);
    if (!conn->is_draining) {
      conn->is_draining = true;
      if (conn->conn_ops->on_goaway != NULL)
        conn->conn_ops->on_goaway(conn->conn_owner, conn);
    }
    return 0;
  default:
    return 0;
  }
  /* The owner may have reset the stream in on_headers_done. */
  owner = owner_of(conn, frame->hd.stream_id);
  if (end_stream && owner != NULL)
    conn->ops->on_remote_end(owner);
  return 0;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags,
                         int32_t stream_id, const uint8_t *data, size_t len,
                         void *user_data) {
  crpc_h2_conn *conn = user_data;
  crpc_h2_stream *link = link_of(conn, stream_id);
  if (link == NULL) {
    /* A stream we reset: give the window back so the connection flows. */
    nghttp2_session_consume_connection(session, len);
    return 0;
  }
  link->unconsumed += len;
  link->is_remote_ended = (flags & NGHTTP2_FLAG_END_STREAM) != 0;
  conn->ops->on_data(link->owner, data, len);
  return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id,
                           uint32_t error_code, void *user_data) {
  crpc_h2_conn *conn = user_data;
  crpc_h2_stream *link = link_of(conn, stream_id);
  if (link == NULL)
    return 0;
  void *owner = link->owner;
  nghttp2_session_set_stream_user_data(session, stream_id, NULL);
  detach(link);
  conn->ops->on_close(owner, error_code, NULL);
  return 0;
}

static ssize_t read_data(nghttp2_session *session, int32_t stream_id,
                         uint8_t *buf, size_t length, uint32_t *data_flags,
                         nghttp2_data_source *source, void *user_data) {
  crpc_h2_conn *conn = user_data;
  void *owner = owner_of(conn, stream_id);
  size_t len = 0;
  bool is_later = false;
  if (owner == NULL)
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  /* gRFC A8: a server sending data resets the client's ping strikes. Said
   * here and when HEADERS are queued, rather than in an on_frame_send
   * callback that nghttp2 would run for every frame. */
  crpc_ping_policy_on_data_sent(&conn->pings);
  crpc_h2_data state =
      conn->ops->read_data(owner, buf, length, &len, &is_later);
  if (is_later)
    *data_flags |= NGHTTP2_DATA_FLAG_NO_COPY; /* send_data() copies */
  switch (state) {
  case CRPC_H2_DATA_MORE:
    break;
  case CRPC_H2_DATA_DEFER:
    return len > 0 ? (ssize_t)len : NGHTTP2_ERR_DEFERRED;
  case CRPC_H2_DATA_END:
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    break;
  case CRPC_H2_DATA_TRAILERS: {
    /* nghttp2 allows submitting trailers from inside this callback. */
    const crpc_h2_nv *nv;
    size_t count;
    *data_flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    conn->ops->get_trailers(owner, &nv, &count);
    if (nghttp2_submit_trailer(session, stream_id, (const nghttp2_nv *)nv,
                               count) != 0)
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    break;
  }
  }
  return (ssize_t)len;
}

/*
 * A DATA frame whose payload read_data() left with its owner: the frame
 * header, then the payload copied from the owner straight into the output
 * batch, instead of into nghttp2's frame buffer and from there into the
 * batch. crpc sends no padding.
 */
enum { FRAME_HEADER_LEN = 9 }; /* RFC 9113 4.1 */

static int send_data(nghttp2_session *session, nghttp2_frame *frame,
                     const uint8_t *framehd, size_t length,
                     nghttp2_data_source *source, void *user_data) {
  crpc_h2_conn *conn = user_data;
  void *owner = owner_of(conn, frame->hd.stream_id);
  /* nghttp2 sends frame after frame this way without returning: stop at a
   * batch, write it, and nghttp2 calls again for this frame. */
  if (conn->out.len >= WRITE_BATCH)
    return NGHTTP2_ERR_WOULDBLOCK;
  if (owner == NULL ||
      crpc_bytes_reserve(&conn->out, FRAME_HEADER_LEN + length) != CRPC_OK)
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets the stream */
  crpc_bytes_append(&conn->out, framehd, FRAME_HEADER_LEN);
  conn->ops->copy_data(owner, conn->out.data + conn->out.len);
  conn->out.len += length;
  return 0;
}

static nghttp2_session_callbacks *make_callbacks(void) {
  nghttp2_session_callbacks *cbs;
  if (nghttp2_session_callbacks_new(&cbs) != 0)
    return NULL;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs,
                                                          on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs,
                                                            on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
  nghttp2_session_callbacks_set_send_data_callback(cbs, send_data);
  return cbs;
}

/* Socket I/O. */

static void flush(crpc_h2_conn *conn) {
  if (conn->consumed > 0 && conn->state == OPEN) {
    nghttp2_session_consume_connection(conn->session, conn->consumed);
    conn->consumed = 0;
  }
  while (conn->state == OPEN) {
    if (conn->out_pos == conn->out.len) {
      conn->out.len = conn->out_pos = 0;
      while (conn->out.len < WRITE_BATCH) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(conn->session, &data);
        if (n < 0) {
          fail_conn(conn, "HTTP/2 error: %s", nghttp2_strerror((int)n));
          return;
        }
        if (n == 0)
          break;
        if (crpc_bytes_append(&conn->out, data, (size_t)n) != CRPC_OK) {
          fail_conn(conn, "out of memory");
          return;
        }
      }
      if (conn->out.len == 0)
        break;
    }
    /* One stream write per batch: with TLS, one SSL_write of it all. */
    ssize_t w = crpc_stream_write(conn->stream, conn->out.data + conn->out_pos,
                                  conn->out.len - conn->out_pos);
    if (w == CRPC_STREAM_AGAIN) {
      conn->write_wants_read = conn->stream->wants_read;
      conn->write_wants_write = conn->stream->wants_write;
      watch(conn);
      return;
    }
    if (w < 0) {
      fail_conn(conn, "%s: %s", conn->peer, conn->stream->error);
      return;
    }
    conn->out_pos += (size_t)w;
  }
  if (conn->state != OPEN)
    return;
  conn->write_wants_read = conn->write_wants_write = false;
  watch(conn);
  if (conn->close_when_flushed)
    fail_conn(conn, "%s", conn->why);
  else if (!nghttp2_session_want_read(conn->session) &&
           !nghttp2_session_want_write(conn->session))
    fail_conn(conn, conn->is_draining ? "connection drained"
                                      : "connection closed by HTTP/2");
}

/* Finishes closing: every stream hears of it, then the owner, then free. */
static void finish_close(crpc_h2_conn *conn) {
  while (!crpc_list_is_empty(&conn->streams)) {
    crpc_h2_stream *link =
        crpc_container_of(conn->streams.next, crpc_h2_stream, node);
    void *owner = link->owner;
    nghttp2_session_set_stream_user_data(conn->session, link->id, NULL);
    detach(link);
    /* A stream on a connection that never opened never left us. */
    conn->ops->on_close(owner,
                        conn->was_open ? CRPC_H2_CONN_LOST
                                       : CRPC_H2_CONN_NEVER_OPEN,
                        conn->why);
  }
  crpc_log(CRPC_LOG_DEBUG, "%s: closed: %s", conn->peer, conn->why);
  conn->conn_ops->on_closed(conn->conn_owner, conn, conn->why);
  crpc_io_want(&conn->io, false, false);
  disarm(&conn->handshake_timer, &conn->is_timer_armed);
  disarm(&conn->keepalive_timer, &conn->is_keepalive_armed);
  disarm(&conn->life_timer, &conn->is_life_armed);
  crpc_stream_free(conn->stream);
  nghttp2_session_del(conn->session);
  crpc_h2_mem_destroy(&conn->mem);
  crpc_bytes_free(&conn->out);
  crpc_mem_free(conn);
}

static void on_service(void *arg) {
  crpc_h2_conn *conn = arg;
  conn->service_queued = false;
  if (conn->state == OPEN)
    flush(conn);
  /* A flush that failed queued this task again: close on that run, since
   * the loop still holds the task. */
  if (conn->state == CLOSED && !conn->service_queued)
    finish_close(conn);
}

/* Server connections log why they failed before any stream could. */
static crpc_log_level setup_log_level(const crpc_h2_conn *conn) {
  return conn->is_server ? CRPC_LOG_WARN : CRPC_LOG_DEBUG;
}

/* Drives the stream's setup; opens the connection once it is done. */
static void handshake(crpc_h2_conn *conn) {
  crpc_stream *s = conn->stream;
  int rc = crpc_stream_handshake(s);
  if (rc == CRPC_STREAM_PENDING) {
    crpc_io_want(&conn->io, s->wants_read, s->wants_write);
    return;
  }
  disarm(&conn->handshake_timer, &conn->is_timer_armed);
  if (rc == CRPC_STREAM_FAILED) {
    crpc_log(setup_log_level(conn), "connection %s %s: %s",
             conn->is_server ? "from" : "to", conn->peer, s->error);
    fail_conn(conn, "%s: %s", conn->peer, s->error);
    return;
  }
  conn->state = OPEN;
  conn->was_open = true;
  if (conn->is_server && conn->set.preface_timeout_ms > 0) {
    /* The same timer now waits for the client's preface (slowloris). */
    crpc_timer_start_at(&conn->handshake_timer,
                        crpc_now_ms() + conn->set.preface_timeout_ms);
    conn->is_timer_armed = true;
  }
  start_timers(conn);
  watch(conn);
  if (!conn->is_server && conn->conn_ops->on_ready != NULL)
    conn->conn_ops->on_ready(conn->conn_owner, conn);
  schedule(conn);
}

static void on_handshake_timeout(void *arg) {
  crpc_h2_conn *conn = arg;
  conn->is_timer_armed = false;
  if (conn->state == OPEN && !conn->got_frame) {
    crpc_log(CRPC_LOG_WARN,
             "connection from %s: no HTTP/2 preface within %lld ms", conn->peer,
             (long long)conn->set.preface_timeout_ms);
    fail_conn(conn, "%s: no HTTP/2 preface within %lld ms", conn->peer,
              (long long)conn->set.preface_timeout_ms);
    return;
  }
  if (conn->state != CONNECTING && conn->state != HANDSHAKING)
    return;
  /* The TCP connect and the handshake share the time (min connect
   * timeout, connection-backoff.md): say which of them was slow. */
  const char *what = conn->state == CONNECTING ? "connect" : "handshake";
  crpc_log(setup_log_level(conn),
           "connection %s %s: %s timed out after %lld ms",
           conn->is_server ? "from" : "to", conn->peer, what,
           (long long)conn->stream->handshake_timeout_ms);
  fail_conn(conn, "%s: %s timed out after %lld ms", conn->peer, what,
            (long long)conn->stream->handshake_timeout_ms);
}

static void on_connected(crpc_h2_conn *conn) {
  int err = crpc_socket_connect_result(conn->stream->fd);
  if (err != 0) {
    fail_conn(conn, "connect to %s failed: %s", conn->peer, strerror(err));
    return;
  }
  conn->state = HANDSHAKING;
  handshake(conn);
}

static void on_io(void *arg, bool readable, bool writable) {
  crpc_h2_conn *conn = arg;
  if (conn->state == CONNECTING) {
    on_connected(conn);
    return;
  }
  if (conn->state == HANDSHAKING) {
    handshake(conn);
    /* The peer's first frames may have come with the end of the
     * handshake and sit in the stream already: read them now. */
    readable = true;
  }
  if (writable)
    schedule(conn);
  if (conn->state != OPEN ||
      !(readable || (writable && conn->read_wants_write)))
    return;
  uint8_t buf[READ_CHUNK];
  conn->read_wants_write = false;
  /* A few reads per wake-up, so one busy peer cannot starve the loop; but
   * bytes the stream holds already would get no wake-up of their own. */
  for (int i = 0;
       (i < 4 || crpc_stream_has_pending(conn->stream)) && conn->state == OPEN;
       i++) {
    ssize_t n = crpc_stream_read(conn->stream, buf, sizeof(buf));
    if (n == CRPC_STREAM_AGAIN) {
      conn->read_wants_write = conn->stream->wants_write;
      break;
    }
    if (n < 0) {
      fail_conn(conn, "%s: %s%s", conn->peer, conn->stream->error,
                hint(conn, false));
      break;
    }
    if (n == 0) {
      fail_conn(conn, "connection closed by %s%s", conn->peer,
                hint(conn, true));
      break;
    }
    conn->last_read_at = crpc_now_ms();
    for (ssize_t j = 0; conn->received < 2 && j < n; j++)
      conn->first[conn->received++] = buf[j];
    ssize_t used = nghttp2_session_mem_recv(conn->session, buf, (size_t)n);
    if (used < 0) {
      /* nghttp2 queued a GOAWAY where the protocol allows one. */
      crpc_log(CRPC_LOG_WARN, "%s: HTTP/2 protocol error: %s%s", conn->peer,
               nghttp2_strerror((int)used), hint(conn, false));
      snprintf(conn->why, sizeof(conn->why), "HTTP/2 protocol error: %s",
               nghttp2_strerror((int)used));
      conn->is_draining = true;
      flush(conn);
      fail_conn(conn, "HTTP/2 protocol error from %s: %s%s", conn->peer,
                nghttp2_strerror((int)used), hint(conn, false));
      break;
    }
    if ((size_t)n < sizeof(buf))
      break;
  }
  /* Answer what this read produced now, not before the loop waits: the
   * replies still leave in one write, and their streams (with their calls)
   * close before the next connection's requests are read, so the memory in
   * use follows one connection's calls, not those of every connection that
   * woke the loop together. */
  if (conn->state == OPEN)
    flush(conn);
  else
    schedule(conn);
}

static crpc_code conn_new(crpc_h2_conn **out, crpc_loop *loop,
                          crpc_stream *stream, bool is_server,
                          const crpc_addr *peer,
                          const crpc_h2_settings *settings,
                          const crpc_h2_ops *ops,
                          const crpc_h2_conn_ops *conn_ops, void *conn_owner) {
  crpc_h2_conn *conn = crpc_mem_calloc(1, sizeof(*conn));
  nghttp2_session_callbacks *cbs = make_callbacks();
  nghttp2_option *opt = NULL;
  int rc = -1;

  if (conn == NULL || cbs == NULL || nghttp2_option_new(&opt) != 0)
    goto fail;
  /* Closed streams are kept only for the RFC 7540 priority tree, which
   * gRPC does not use: keeping them costs ~1 MiB per busy connection. */
  nghttp2_option_set_no_closed_streams(opt, 1);
  /* Flow control follows the application's reads (crpc_h2_consume). */
  nghttp2_option_set_no_auto_window_update(opt, 1);
  crpc_h2_mem_init(&conn->mem);
  rc = is_server ? nghttp2_session_server_new3(&conn->session, cbs, conn, opt,
                                               &conn->mem.mem)
                 : nghttp2_session_client_new3(&conn->session, cbs, conn, opt,
                                               &conn->mem.mem);
  if (rc != 0)
    goto fail;

  nghttp2_settings_entry iv[5];
  size_t n = 0;
  iv[n++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
                                     settings->stream_window};
  iv[n++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES,
                                     1};
  iv[n++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
                                     settings->max_header_list_len};
  if (is_server)
    iv[n++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
                                       settings->max_concurrent_streams};
  else
    iv[n++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_ENABLE_PUSH, 0};
  if (nghttp2_submit_settings(conn->session, NGHTTP2_FLAG_NONE, iv, n) != 0 ||
      nghttp2_session_set_local_window_size(conn->session, NGHTTP2_FLAG_NONE,
                                            0, (int32_t)settings->conn_window))
    goto fail;

  conn->loop = loop;
  conn->stream = stream;
  conn->is_server = is_server;
  conn->state = is_server ? HANDSHAKING : CONNECTING;
  conn->ops = ops;
  conn->conn_ops = conn_ops;
  conn->conn_owner = conn_owner;
  conn->set = *settings;
  /* Zeroed settings mean no limits, not limits of zero. */
  int64_t *limits[] = {&conn->set.keepalive_time_ms, &conn->set.max_idle_ms,
                       &conn->set.max_age_ms};
  for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
    if (*limits[i] <= 0)
      *limits[i] = CRPC_H2_NEVER;
  crpc_ping_policy_init(&conn->pings, settings->min_ping_interval_ms,
                        settings->permit_pings_without_calls,
                        settings->max_ping_strikes);
  crpc_timer_init(&conn->keepalive_timer, loop, on_keepalive, conn);
  crpc_timer_init(&conn->life_timer, loop, on_life_timer, conn);
  crpc_list_init(&conn->streams);
  crpc_bytes_init(&conn->out);
  crpc_task_init(&conn->service, on_service, conn);
  crpc_addr_format(peer, conn->peer);
  crpc_io_init(&conn->io, loop, stream->fd, on_io, conn);
  crpc_timer_init(&conn->handshake_timer, loop, on_handshake_timeout, conn);
  if (stream->handshake_timeout_ms > 0) {
    crpc_timer_start_at(&conn->handshake_timer,
                        crpc_now_ms() + stream->handshake_timeout_ms);
    conn->is_timer_armed = true;
  }
  if (is_server)
    handshake(conn); /* a plain socket opens at once */
  else
    crpc_io_want(&conn->io, false, true);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_option_del(opt);
  *out = conn;
  return CRPC_OK;

fail:
  if (conn != NULL && conn->session != NULL)
    nghttp2_session_del(conn->session);
  if (conn != NULL)
    crpc_h2_mem_destroy(&conn->mem);
  crpc_mem_free(conn);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_option_del(opt);
  return CRPC_RESOURCE_EXHAUSTED;
}

crpc_code crpc_h2_conn_connect(crpc_h2_conn **out, crpc_loop *loop,
                               crpc_stream *stream, const crpc_addr *addr,
                               const crpc_h2_settings *settings,
                               const crpc_h2_ops *ops,
                               const crpc_h2_conn_ops *conn_ops,
                               void *conn_owner) {
  return conn_new(out, loop, stream, false, addr, settings, ops, conn_ops,
                  conn_owner);
}

crpc_code crpc_h2_conn_accept(crpc_h2_conn **out, crpc_loop *loop,
                              crpc_stream *stream, const crpc_addr *peer,
                              const crpc_h2_settings *settings,
                              const crpc_h2_ops *ops,
                              const crpc_h2_conn_ops *conn_ops,
                              void *conn_owner) {
  return conn_new(out, loop, stream, true, peer, settings, ops, conn_ops,
                  conn_owner);
}

const char *crpc_h2_conn_peer(const crpc_h2_conn *conn) { return conn->peer; }

const crpc_stream *crpc_h2_conn_stream(const crpc_h2_conn *conn) {
  return conn->stream;
}

crpc_loop *crpc_h2_conn_loop(const crpc_h2_conn *conn) { return conn->loop; }

bool crpc_h2_conn_is_ready(const crpc_h2_conn *conn) {
  return conn->state == OPEN;
}

bool crpc_h2_conn_is_draining(const crpc_h2_conn *conn) {
  return conn->is_draining || conn->state == CLOSED;
}

size_t crpc_h2_conn_stream_count(const crpc_h2_conn *conn) {
  return conn->stream_count;
}

static nghttp2_data_provider provider = {.read_callback = read_data};

crpc_code crpc_h2_submit_request(crpc_h2_conn *conn, crpc_h2_stream *stream,
                                 void *owner, const crpc_h2_nv *nv,
                                 size_t count, bool has_body) {
  if (crpc_h2_conn_is_draining(conn))
    return CRPC_UNAVAILABLE;
  int32_t id = nghttp2_submit_request(conn->session, NULL,
                                      (const nghttp2_nv *)nv, count,
                                      has_body ? &provider : NULL, stream);
  if (id < 0)
    return id == NGHTTP2_ERR_NOMEM ? CRPC_RESOURCE_EXHAUSTED
                                   : CRPC_UNAVAILABLE;
  stream->conn = conn;
  stream->owner = owner;
  stream->id = id;
  stream->unconsumed = 0;
  stream->is_remote_ended = false;
  stream->header_len = 0;
  crpc_list_insert_tail(&conn->streams, &stream->node);
  conn->stream_count++;
  schedule(conn);
  return CRPC_OK;
}

crpc_code crpc_h2_submit_response(crpc_h2_stream *stream, const crpc_h2_nv *nv,
                                  size_t count, bool has_body) {
  crpc_h2_conn *conn = stream->conn;
  if (conn == NULL || conn->state == CLOSED)
    return CRPC_UNAVAILABLE;
  int rc = nghttp2_submit_response(conn->session, stream->id,
                                   (const nghttp2_nv *)nv, count,
                                   has_body ? &provider : NULL);
  crpc_ping_policy_on_data_sent(&conn->pings);
  schedule(conn);
  return rc == 0 ? CRPC_OK : CRPC_INTERNAL;
}

void crpc_h2_resume(crpc_h2_stream *stream) {
  if (stream->conn == NULL)
    return;
  nghttp2_session_resume_data(stream->conn->session, stream->id);
  schedule(stream->conn);
}

void crpc_h2_reset(crpc_h2_stream *stream, uint32_t error) {
  if (stream->conn == NULL)
    return;
  nghttp2_submit_rst_stream(stream->conn->session, NGHTTP2_FLAG_NONE,
                            stream->id, error);
  schedule(stream->conn);
}

void crpc_h2_consume(crpc_h2_stream *stream, size_t len) {
  if (stream->conn == NULL || len == 0)
    return;
  stream->unconsumed -= len < stream->unconsumed ? len : stream->unconsumed;
  /* A stream the peer ended needs no window of its own; the connection's
   * is given back once per batch of frames written (flush()). */
  if (stream->is_remote_ended)
    stream->conn->consumed += len;
  else
    nghttp2_session_consume(stream->conn->session, stream->id, len);
  schedule(stream->conn);
}

void crpc_h2_conn_drain(crpc_h2_conn *conn) {
  if (conn->state == CLOSED || conn->is_draining)
    return;
  conn->is_draining = true;
  if (conn->state == CONNECTING || conn->state == HANDSHAKING) {
    fail_conn(conn, "connection drained");
    return;
  }
  /* RFC 9113 6.8: name the last stream we will process; those below it
   * run to completion, and the session ends when they have. */
  nghttp2_submit_goaway(
      conn->session, NGHTTP2_FLAG_NONE,
      nghttp2_session_get_last_proc_stream_id(conn->session), NGHTTP2_NO_ERROR,
      NULL, 0);
  schedule(conn);
}

void crpc_h2_conn_drain_gracefully(crpc_h2_conn *conn) {
  if (conn->is_notice_sent)
    return; /* under way */
  if (!conn->is_server || conn->state != OPEN || conn->is_draining) {
    crpc_h2_conn_drain(conn);
    return;
  }
  int64_t now = crpc_now_ms();
  conn->is_notice_sent = true;
  conn->final_goaway_at = later(now, conn->set.keepalive_timeout_ms);
  arm_life(conn, now);
  if (nghttp2_submit_shutdown_notice(conn->session) != 0 ||
      nghttp2_submit_ping(conn->session, NGHTTP2_FLAG_NONE, GOAWAY_PING) != 0)
    crpc_h2_conn_drain(conn);
  schedule(conn);
}

void crpc_h2_conn_close(crpc_h2_conn *conn, const char *why) {
  fail_conn(conn, "%s", why);
}
