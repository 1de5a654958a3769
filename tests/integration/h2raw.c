/*
 * tests/integration/h2raw.c: a deliberately naive HTTP/2 client for hostile
 * tests (see h2raw.h).
 */
#include "h2raw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

h2raw *h2raw_connect(int port) {
  h2raw *c = calloc(1, sizeof(*c));
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
  int one = 1;
  if (c == NULL)
    return NULL;
  c->goaway_code = -1;
  for (size_t i = 0; i < H2RAW_STREAMS; i++)
    c->streams[i] =
        (h2raw_stream){.rst_code = -1, .http_status = -1, .grpc_status = -1};
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (c->fd < 0 || nghttp2_hd_inflate_new(&c->inflater) != 0 ||
      connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
    h2raw_free(c);
    return NULL;
  }
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return c;
}

void h2raw_free(h2raw *c) {
  if (c == NULL)
    return;
  if (c->fd >= 0)
    close(c->fd);
  nghttp2_hd_inflate_del(c->inflater);
  free(c);
}

void h2raw_send(h2raw *c, const void *data, size_t len) {
  const uint8_t *p = data;
  while (len > 0 && !c->sent_failed) {
    ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      c->sent_failed = true;
      break;
    }
    p += n;
    len -= (size_t)n;
  }
}

void h2raw_frame(h2raw *c, uint8_t type, uint8_t flags, uint32_t stream_id,
                 const void *payload, size_t len) {
  uint8_t hd[9] = {(uint8_t)(len >> 16),
                   (uint8_t)(len >> 8),
                   (uint8_t)len,
                   type,
                   flags,
                   (uint8_t)(stream_id >> 24),
                   (uint8_t)(stream_id >> 16),
                   (uint8_t)(stream_id >> 8),
                   (uint8_t)stream_id};
  h2raw_send(c, hd, sizeof(hd));
  if (len > 0)
    h2raw_send(c, payload, len);
}

void h2raw_preface(h2raw *c) {
  h2raw_send(c, NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC_LEN);
  h2raw_frame(c, NGHTTP2_SETTINGS, 0, 0, NULL, 0);
}

void h2raw_setting(h2raw *c, uint16_t id, uint32_t value) {
  uint8_t entry[6] = {id >> 8,     id & 0xff,  value >> 24,
                      value >> 16, value >> 8, value};
  h2raw_frame(c, NGHTTP2_SETTINGS, 0, 0, entry, sizeof(entry));
}

/* RFC 7541 5.1: an integer with an N-bit prefix. */
static size_t hpack_int(uint8_t *out, uint8_t first, int prefix, size_t v) {
  size_t max = (1u << prefix) - 1, n = 1;
  if (v < max) {
    out[0] = first | (uint8_t)v;
    return 1;
  }
  out[0] = first | (uint8_t)max;
  for (v -= max; v >= 128; v /= 128)
    out[n++] = (uint8_t)(v % 128 + 128);
  out[n++] = (uint8_t)v;
  return n;
}

size_t h2raw_hpack_field(uint8_t *out, const char *name, const char *value,
                         size_t value_len, bool index) {
  size_t n = 0, name_len = strlen(name);
  out[n++] = index ? 0x40 : 0x00; /* RFC 7541 6.2.1 / 6.2.2, new name */
  n += hpack_int(out + n, 0, 7, name_len);
  memcpy(out + n, name, name_len);
  n += name_len;
  n += hpack_int(out + n, 0, 7, value_len);
  memcpy(out + n, value, value_len);
  return n + value_len;
}

size_t h2raw_hpack_block(uint8_t *out, const char *const *nv) {
  size_t n = 0;
  for (; nv[0] != NULL; nv += 2)
    n += h2raw_hpack_field(out + n, nv[0], nv[1], strlen(nv[1]), false);
  return n;
}

void h2raw_headers(h2raw *c, uint32_t stream_id, const char *const *nv,
                   bool end_stream) {
  uint8_t block[8192];
  size_t len = h2raw_hpack_block(block, nv);
  h2raw_frame(c, NGHTTP2_HEADERS,
              NGHTTP2_FLAG_END_HEADERS |
                  (end_stream ? NGHTTP2_FLAG_END_STREAM : 0),
              stream_id, block, len);
}

h2raw_stream *h2raw_stream_of(h2raw *c, uint32_t id) {
  if (id == 0 || id % 2 == 0 || id / 2 >= H2RAW_STREAMS)
    return NULL;
  return &c->streams[id / 2];
}

static void on_field(h2raw_stream *s, const nghttp2_nv *nv) {
  char line[300];
  snprintf(line, sizeof(line), "%.*s: %.*s\n", (int)nv->namelen, nv->name,
           (int)nv->valuelen, nv->value);
  if (strncmp(line, ":status: ", 9) == 0)
    s->http_status = atoi(line + 9);
  if (strncmp(line, "grpc-status: ", 13) == 0)
    s->grpc_status = atoi(line + 13);
  size_t used = strlen(s->fields);
  snprintf(s->fields + used, sizeof(s->fields) - used, "%s", line);
}

/* Decodes a complete header block; the HPACK state must see every one. */
static void on_block(h2raw *c) {
  h2raw_stream *s = h2raw_stream_of(c, c->block_stream);
  uint8_t *in = c->block;
  size_t left = c->block_len;
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    ssize_t n = nghttp2_hd_inflate_hd2(c->inflater, &nv, &flags, in, left, 1);
    if (n < 0)
      break;
    in += n;
    left -= (size_t)n;
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) && s != NULL)
      on_field(s, &nv);
    if (flags & NGHTTP2_HD_INFLATE_FINAL) {
      nghttp2_hd_inflate_end_headers(c->inflater);
      break;
    }
    if (n == 0 && !(flags & NGHTTP2_HD_INFLATE_EMIT))
      break;
  }
  if (s != NULL && c->block_ends_stream)
    s->is_done = true;
  c->block_len = 0;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static void on_frame(h2raw *c, uint8_t type, uint8_t flags, uint32_t id,
                     const uint8_t *p, size_t len) {
  h2raw_stream *s = h2raw_stream_of(c, id);
  c->frames_in++;
  switch (type) {
  case NGHTTP2_SETTINGS:
    if (flags & NGHTTP2_FLAG_ACK)
      break;
    c->got_settings = true;
    if (!c->is_mute)
      h2raw_frame(c, NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK, 0, NULL, 0);
    break;
  case NGHTTP2_PING:
    if (flags & NGHTTP2_FLAG_ACK)
      c->ping_acks++;
    else if (!c->is_mute)
      h2raw_frame(c, NGHTTP2_PING, NGHTTP2_FLAG_ACK, 0, p, len);
    break;
  case NGHTTP2_HEADERS:
  case NGHTTP2_CONTINUATION:
    if (type == NGHTTP2_HEADERS) {
      c->block_len = 0;
      c->block_stream = id;
      c->block_ends_stream = (flags & NGHTTP2_FLAG_END_STREAM) != 0;
    }
    if (c->block_len + len <= sizeof(c->block)) {
      memcpy(c->block + c->block_len, p, len);
      c->block_len += len;
    }
    if (flags & NGHTTP2_FLAG_END_HEADERS)
      on_block(c);
    break;
  case NGHTTP2_DATA:
    if (s != NULL) {
      s->data_len += len;
      if (flags & NGHTTP2_FLAG_END_STREAM)
        s->is_done = true;
    }
    break;
  case NGHTTP2_RST_STREAM:
    if (s != NULL && len == 4) {
      s->rst_code = (int)be32(p);
      s->is_done = true;
    }
    break;
  case NGHTTP2_GOAWAY:
    if (len >= 8) {
      c->goaway_code = (int)be32(p + 4);
      snprintf(c->goaway_debug, sizeof(c->goaway_debug), "%.*s", (int)(len - 8),
               (const char *)p + 8);
    }
    break;
  default:
    break;
  }
}

/* Hands every complete frame in the buffer to on_frame. */
static void parse(h2raw *c) {
  size_t pos = 0;
  while (c->in_len - pos >= 9) {
    const uint8_t *h = c->in + pos;
    size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
    if (c->in_len - pos < 9 + len)
      break;
    on_frame(c, h[3], h[4], be32(h + 5) & 0x7fffffffu, h + 9, len);
    pos += 9 + len;
  }
  memmove(c->in, c->in + pos, c->in_len - pos);
  c->in_len -= pos;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

bool h2raw_wait(h2raw *c, h2raw_done_cb *done, uint32_t arg, int timeout_ms) {
  long long until = now_ms() + timeout_ms;
  while (!done(c, arg) && !c->is_closed) {
    long long left = until - now_ms();
    struct pollfd pfd = {c->fd, POLLIN, 0};
    if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
      break;
    if (c->in_len == sizeof(c->in))
      break; /* a frame bigger than any server sends */
    ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      c->is_closed = true;
      break;
    }
    c->in_len += (size_t)n;
    parse(c);
  }
  return done(c, arg);
}

bool h2raw_stream_done(h2raw *c, uint32_t id) {
  h2raw_stream *s = h2raw_stream_of(c, id);
  return s != NULL && s->is_done;
}

bool h2raw_got_settings(h2raw *c, uint32_t arg) {
  (void)arg;
  return c->got_settings;
}

bool h2raw_got_goaway(h2raw *c, uint32_t arg) {
  (void)arg;
  return c->goaway_code >= 0;
}

bool h2raw_never(h2raw *c, uint32_t arg) {
  (void)c;
  (void)arg;
  return false;
}
