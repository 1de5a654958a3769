/*
 * transport/socket.c: non-blocking sockets.
 */
#include "transport/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>
#include <unistd.h>

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
