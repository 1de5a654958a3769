/*
 * tests/lib/test_dns_server.c: tests/lib/dns.c as a program, for shell
 * tests.
 *
 *   test_dns_server NAME,ADDRESS...
 *
 * Starts dnsmasq answering only for the given records (TTL 1 s), prints
 * "listening on PORT" and stops it on SIGTERM or SIGINT. Exits 77 when
 * dnsmasq is missing or does not start, as a skipped test does.
 */
#include <signal.h>
#include <stdio.h>

#include "dns.h"

int main(int argc, char **argv) {
  sigset_t stop;
  int sig;
  test_dns dns;

  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  if (!test_dns_start(&dns, (const char *const *)argv + 1, (size_t)argc - 1, 1))
    return 77;
  printf("listening on %d\n", dns.port);
  fflush(stdout);
  sigwait(&stop, &sig);
  test_dns_stop(&dns);
  return 0;
}
