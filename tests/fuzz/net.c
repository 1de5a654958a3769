/* tests/fuzz/net.c: loopback sockets for the connection targets. */
#include "net.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_nonblocking(int fd) {
  int one = 1;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sa;
}

int fuzz_net_listen(int *port) {
  struct sockaddr_in sa = loopback(0);
  socklen_t len = sizeof(sa);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return -1;
  if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
      listen(fd, 64) != 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(sa.sin_port);
  return fd;
}

int fuzz_net_accept(int listen_fd, int timeout_ms) {
  struct pollfd p = {listen_fd, POLLIN, 0};
  int fd;

  if (poll(&p, 1, timeout_ms) <= 0)
    return -1;
  fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd >= 0)
    set_nonblocking(fd);
  return fd;
}

int fuzz_net_connect(int port) {
  struct sockaddr_in sa = loopback(port);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return -1;
  /* Loopback connects complete (or fail) at once. */
  if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
    close(fd);
    return -1;
  }
  set_nonblocking(fd);
  return fd;
}

/* Reads what is there; false at end of stream or on an error. */
static bool drain(int fd, crpc_bytes *in) {
  uint8_t buf[16384];

  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      /* Past 1 MiB the bytes only matter as flow, not as content. */
      if (in->len < (1u << 20) && crpc_bytes_append(in, buf, (size_t)n) != CRPC_OK)
        return false;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

bool fuzz_net_write(int fd, const uint8_t *data, size_t len, crpc_bytes *in,
                    int timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  size_t pos = 0;

  while (pos < len) {
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    int64_t left = deadline - now_ms();

    if (left <= 0 || poll(&p, 1, (int)left) <= 0)
      return false;
    if ((p.revents & (POLLIN | POLLERR | POLLHUP)) && !drain(fd, in))
      return false;
    if (p.revents & POLLOUT) {
      ssize_t n = send(fd, data + pos, len - pos, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        return false;
      if (n > 0)
        pos += (size_t)n;
    }
  }
  return true;
}

bool fuzz_net_read(int fd, crpc_bytes *in, int timeout_ms,
                   bool (*done)(const crpc_bytes *in, void *arg), void *arg) {
  int64_t deadline = now_ms() + timeout_ms;

  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    int64_t left = deadline - now_ms();

    if (done != NULL && done(in, arg))
      return false;
    if (left <= 0 || poll(&p, 1, (int)left) <= 0)
      return false;
    if (!drain(fd, in))
      return true;
  }
}

bool fuzz_net_find_frame(const uint8_t *p, size_t len, uint8_t type,
                         uint8_t flags, const uint8_t *payload,
                         size_t payload_len) {
  size_t pos = 0;

  while (len - pos >= 9) {
    size_t flen = (size_t)p[pos] << 16 | (size_t)p[pos + 1] << 8 | p[pos + 2];
    if (len - pos - 9 < flen)
      return false;
    if (p[pos + 3] == type && (p[pos + 4] & flags) == flags &&
        (payload == NULL ||
         (flen == payload_len && memcmp(p + pos + 9, payload, flen) == 0)))
      return true;
    pos += 9 + flen;
  }
  return false;
}

void fuzz_net_abort(int fd) {
  struct linger lin = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
  close(fd);
}

int fuzz_net_fd_count(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;

  if (d == NULL)
    return -1;
  while (readdir(d) != NULL)
    n++;
  closedir(d);
  return n;
}
