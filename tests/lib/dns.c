/*
 * tests/lib/dns.c: dnsmasq as the tests' DNS server.
 */
#include "dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const dnsmasq_paths[] = {"/usr/sbin/dnsmasq",
                                            "/sbin/dnsmasq"};

/* A UDP port nobody holds right now. */
static int free_udp_port(void) {
  struct sockaddr_in sin = {.sin_family = AF_INET};
  socklen_t len = sizeof(sin);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
      getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  close(fd);
  return ntohs(sin.sin_port);
}

/* Whether something answers DNS on the port (a query for the root). */
static bool answers(int port) {
  static const unsigned char query[] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0,
                                        0,    0,    0, 0, 2, 0, 1};
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
  struct timeval tv = {0, 100 * 1000};
  unsigned char buf[512];
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  bool ok = sendto(fd, query, sizeof(query), 0, (struct sockaddr *)&sin,
                   sizeof(sin)) > 0 &&
            recv(fd, buf, sizeof(buf), 0) > 0;
  close(fd);
  return ok;
}

/* Starts dnsmasq once on |dns->port|; false if it exits or stays mute. */
static bool start_once(test_dns *dns, const char *path,
                       const char *const *records, size_t count, int ttl_s) {
  char port_arg[32], ttl_arg[32];
  snprintf(port_arg, sizeof(port_arg), "--port=%d", dns->port);
  snprintf(ttl_arg, sizeof(ttl_arg), "--local-ttl=%d", ttl_s);
  char **argv = calloc(count + 16, sizeof(*argv));
  char **owned = calloc(count + 1, sizeof(*owned));
  size_t n = 0;
  argv[n++] = (char *)path;
  argv[n++] = "--no-daemon";
  argv[n++] = port_arg;
  argv[n++] = "--listen-address=127.0.0.1";
  argv[n++] = "--bind-interfaces";
  argv[n++] = "--no-resolv";
  argv[n++] = "--no-hosts";
  argv[n++] = "--conf-file=/dev/null";
  argv[n++] = "--pid-file=";
  argv[n++] = "--user=root";
  argv[n++] = ttl_arg;
  for (size_t i = 0; i < count; i++) {
    owned[i] = malloc(strlen(records[i]) + 16);
    sprintf(owned[i], "--host-record=%s", records[i]);
    argv[n++] = owned[i];
  }
  dns->pid = fork();
  if (dns->pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execv(path, argv);
    _exit(127);
  }
  for (size_t i = 0; i < count; i++)
    free(owned[i]);
  free(owned);
  free(argv);
  for (int i = 0; i < 100; i++) {
    if (answers(dns->port))
      return true;
    if (waitpid(dns->pid, NULL, WNOHANG) == dns->pid) {
      dns->pid = 0; /* exited: most likely the port was taken meanwhile */
      return false;
    }
    usleep(20 * 1000);
  }
  test_dns_stop(dns);
  return false;
}

bool test_dns_start(test_dns *dns, const char *const *records, size_t count,
                    int ttl_s) {
  const char *path = NULL;
  for (size_t i = 0; i < sizeof(dnsmasq_paths) / sizeof(*dnsmasq_paths); i++)
    if (access(dnsmasq_paths[i], X_OK) == 0)
      path = dnsmasq_paths[i];
  if (path == NULL) {
    fprintf(stderr, "dnsmasq not found (apt-get install dnsmasq-base)\n");
    return false;
  }
  /* A test may ask for the same port again, to restart the server in
   * place; otherwise a free port, and another one if that gets taken
   * between our check and dnsmasq's bind. */
  const char *again = getenv("CRPC_TEST_DNS_PORT");
  for (int attempt = 0; attempt < 5; attempt++) {
    dns->port = again != NULL ? atoi(again) : free_udp_port();
    if (start_once(dns, path, records, count, ttl_s))
      return true;
  }
  fprintf(stderr, "dnsmasq did not start\n");
  return false;
}

void test_dns_stop(test_dns *dns) {
  if (dns->pid <= 0)
    return;
  kill(dns->pid, SIGKILL);
  waitpid(dns->pid, NULL, 0);
  dns->pid = 0;
}
