/*
 * transport/socket.c: non-blocking sockets, and the plain socket stream.
 */
#include "transport/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/mem.h"
#include "transport/stream.h"

static void set_nodelay(int fd, int family) {
  /* gRPC messages are small and latency-bound: never wait for Nagle. */
  int one = 1;
  if (family == AF_INET || family == AF_INET6)
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int crpc_socket_connect(const crpc_addr *addr) {
  int family = addr->ss.ss_family;
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  set_nodelay(fd, family);
  if (connect(fd, (const struct sockaddr *)&addr->ss, addr->len) != 0 &&
      errno != EINPROGRESS) {
    int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

int crpc_socket_connect_result(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    return errno;
  return err;
}

int crpc_socket_listen(crpc_addr *addr, int backlog) {
  int family = addr->ss.ss_family;
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd < 0)
    return -errno;
  if (family != AF_UNIX)
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (family == AF_INET6) {
    /* "[::]:port" serves IPv4 too, as gRPC servers do. */
    int zero = 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  }
  if (family == AF_UNIX)
    unlink(((struct sockaddr_un *)&addr->ss)->sun_path);
  if (bind(fd, (struct sockaddr *)&addr->ss, addr->len) != 0 ||
      listen(fd, backlog) != 0)
    goto fail;
  if (family != AF_UNIX) {
    socklen_t len = sizeof(addr->ss);
    if (getsockname(fd, (struct sockaddr *)&addr->ss, &len) != 0)
      goto fail;
    addr->len = len;
  }
  return fd;

fail:;
  int err = errno;
  close(fd);
  return -err;
}

int crpc_socket_accept(int listen_fd, crpc_addr *peer) {
  peer->len = sizeof(peer->ss);
  int fd = accept4(listen_fd, (struct sockaddr *)&peer->ss, &peer->len,
                   SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0)
    return -errno;
  set_nodelay(fd, peer->ss.ss_family);
  return fd;
}

/* The plain socket stream (transport/stream.h). */

crpc_stream *crpc_stream_socket_new(int fd) {
  crpc_stream *s = crpc_mem_calloc(1, sizeof(*s));
  if (s != NULL)
    s->fd = fd;
  return s;
}

ssize_t crpc_stream_socket_read(crpc_stream *s, uint8_t *buf, size_t len) {
  for (;;) {
    ssize_t n = read(s->fd, buf, len);
    if (n >= 0)
      return n;
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      s->wants_read = true;
      s->wants_write = false;
      return CRPC_STREAM_AGAIN;
    }
    snprintf(s->error, sizeof(s->error), "read failed: %s", strerror(errno));
    return CRPC_STREAM_ERROR;
  }
}

ssize_t crpc_stream_socket_write(crpc_stream *s, const uint8_t *buf,
                                 size_t len) {
  for (;;) {
    ssize_t n = write(s->fd, buf, len);
    if (n >= 0)
      return n;
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      s->wants_read = false;
      s->wants_write = true;
      return CRPC_STREAM_AGAIN;
    }
    snprintf(s->error, sizeof(s->error), "write failed: %s", strerror(errno));
    return CRPC_STREAM_ERROR;
  }
}

void crpc_stream_free(crpc_stream *s) {
  if (s == NULL)
    return;
  if (s->ops != NULL) {
    s->ops->free(s);
    return;
  }
  close(s->fd);
  crpc_mem_free(s);
}
