/*
 * tests/integration/h2raw.h: a deliberately naive HTTP/2 client for hostile
 * tests. It writes whatever frames it is told to, valid or not, and reads
 * the server's frames back (HPACK through nghttp2's inflater) into a record
 * of what happened to each stream and to the connection.
 */
#ifndef CRPC_TEST_H2RAW_H
#define CRPC_TEST_H2RAW_H

#include <nghttp2/nghttp2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Streams 1, 3, ... up to 2 * H2RAW_STREAMS - 1 are recorded. */
#define H2RAW_STREAMS 4096

typedef struct h2raw_stream {
  bool is_done;     /* END_STREAM or RST_STREAM came */
  int rst_code;     /* -1 if none */
  int http_status;  /* -1 if none */
  int grpc_status;  /* -1 if none */
  size_t data_len;  /* DATA payload bytes received */
  char fields[512]; /* "name: value\n" of every field received (truncated) */
} h2raw_stream;

typedef struct h2raw {
  int fd;
  nghttp2_hd_inflater *inflater;
  bool is_closed;    /* EOF or a reset from the server */
  bool sent_failed;  /* a write failed: the server had closed */
  bool is_mute;      /* never answer SETTINGS or PING */
  bool got_settings; /* the server's SETTINGS came (and were ACKed) */
  int goaway_code;   /* -1 if none */
  char goaway_debug[64];
  size_t frames_in;    /* frames received */
  size_t ping_acks;    /* PING ACKs received */
  uint8_t in[1 << 17]; /* bytes of an incomplete frame */
  size_t in_len;
  uint8_t block[1 << 16]; /* header block being gathered */
  size_t block_len;
  uint32_t block_stream;
  bool block_ends_stream;
  h2raw_stream streams[H2RAW_STREAMS];
} h2raw;

/* A TCP connection to 127.0.0.1:|port|; nothing sent yet. Heap-allocated. */
h2raw *h2raw_connect(int port);
void h2raw_free(h2raw *c);

/* Raw bytes (all of them, unless the server closed). */
void h2raw_send(h2raw *c, const void *data, size_t len);
/* One frame. */
void h2raw_frame(h2raw *c, uint8_t type, uint8_t flags, uint32_t stream_id,
                 const void *payload, size_t len);
/* The client preface and an empty SETTINGS frame. */
void h2raw_preface(h2raw *c);
/* SETTINGS with one entry. */
void h2raw_setting(h2raw *c, uint16_t id, uint32_t value);

/*
 * HPACK: appends a literal field without indexing (or with incremental
 * indexing when |index|) to |out|; returns the bytes written.
 */
size_t h2raw_hpack_field(uint8_t *out, const char *name, const char *value,
                         size_t value_len, bool index);
/* A header block from NULL-terminated name, value, ... pairs. */
size_t h2raw_hpack_block(uint8_t *out, const char *const *nv);
/* HEADERS (END_HEADERS, plus END_STREAM if |end_stream|) for |nv|. */
void h2raw_headers(h2raw *c, uint32_t stream_id, const char *const *nv,
                   bool end_stream);

/* The request fields of a well-formed gRPC call to |path|. */
#define H2RAW_GRPC(path)                                                       \
  ":method", "POST", ":scheme", "http", ":path", (path), ":authority",         \
      "localhost", "content-type", "application/grpc", "te", "trailers"

/*
 * Reads and records frames until |done| says so, the server closes, or
 * |timeout_ms| passes; answers SETTINGS and PING unless muted. Returns
 * |done|'s verdict.
 */
typedef bool h2raw_done_cb(h2raw *c, uint32_t arg);
bool h2raw_wait(h2raw *c, h2raw_done_cb *done, uint32_t arg, int timeout_ms);

/*
 * Ready-made conditions: stream |arg| is done; the server's SETTINGS came
 * (its windows apply once they are ACKed); GOAWAY came; never.
 */
h2raw_done_cb h2raw_stream_done;
h2raw_done_cb h2raw_got_settings;
h2raw_done_cb h2raw_got_goaway;
h2raw_done_cb h2raw_never;

/* Stream |id|'s record (NULL past H2RAW_STREAMS). */
h2raw_stream *h2raw_stream_of(h2raw *c, uint32_t id);

#endif /* CRPC_TEST_H2RAW_H */
